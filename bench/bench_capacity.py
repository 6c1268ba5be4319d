#!/usr/bin/python3
"""bench_capacity.py: what one candidate costs each stage, and the capacity
model of docs/capacity.md built on those costs.

Starts a private stack (redis-server, a gateway, two matchers, through the
integration tests' harness) and runs `jobmatch batch` over fresh candidates
(1 KB profiles, 64 a request, 16 requests in flight, replies at the default
detail, every result stored), against one job and against the four built-in
jobs.  Around each run it reads:
- CPU of the client (the batch CLI: wait4's rusage), the gateway, each
  matcher and redis-server (/proc/PID/stat utime + stime), and Redis's own
  count (INFO cpu used_cpu_user + used_cpu_sys);
- Redis memory (INFO memory used_memory) before and after;
- bytes on the wire: the gateway's worker connections (`ss -ti`: request
  bodies out to the matchers, replies back; the client connection carries
  the same bodies, which the gateway never parses) and Redis's
  total_net_input_bytes / total_net_output_bytes (matcher <-> Redis);
- the CPU every other process on the machine used meanwhile (/proc/stat).
From one job (K = 1) and four (K = 4) it splits each cost into a part per
candidate and a part per candidate-job pair.

Then the checks of the model on this machine, runs alternating (A B A B):
1 against 2 matchers, and 1 redis-server against a Redis Cluster of 3
masters when `jobmatch-matcher --help` says --redis takes cluster seeds
(else "skipped: no cluster support in this build").  Each predicted
throughput ratio comes from the measured costs.  The costs are medians of
BENCH_RUNS (3) runs; a check's rates medians of max(BENCH_RUNS, 5) runs of
half as many candidates each.  Every run is read back: each job's summary
must count every candidate of the run.

Prints its figures (bench/run puts them in bench/RESULTS.md) and rewrites
the generated sections of docs/capacity.md (unless BENCH_CAPACITY_DOC=0).

Usage: bench/bench_capacity.py   (BENCH_COUNT candidates a one-job run,
default 24000; BENCH_RUNS, default 3; BENCH_CLUSTER_SEED: how --redis names
the cluster, default "redis://127.0.0.1:{port}/0", {port} the first master's
port, {hosts} all three as host:port separated by commas; BUILD as bench/run)
Exit status: 0 when every run scored and stored every candidate, 1 otherwise.
"""
import datetime
import itertools
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("JM_BIN", os.path.join(ROOT, os.environ.get("BUILD", "build"), "bin"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import harness  # noqa: E402
import stack  # noqa: E402

COUNT = int(os.environ.get("BENCH_COUNT", "24000"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
CHECK_RUNS = max(RUNS, 5)   # the checks: shorter runs, more of them (noise)
WRITE_DOC = os.environ.get("BENCH_CAPACITY_DOC", "1") != "0"
CLUSTER_SEED = os.environ.get("BENCH_CLUSTER_SEED", "redis://127.0.0.1:{port}/0")
DOC = os.path.join(ROOT, "docs", "capacity.md")
BATCH, WINDOW = 64, 16
ONE_JOB = ["backend-developer"]
ALL_JOBS = sorted(name[:-5] for name in os.listdir(os.path.join(stack.DATA_DIR, "jobs"))
                  if name.endswith(".json"))
TICK = os.sysconf("SC_CLK_TCK")
CPUS = os.cpu_count() or 1


class BenchError(Exception):
    """A run that did not score and store every candidate."""


# --------------------------------------------------------------------------
# What the kernel and Redis count

def cpu_seconds(pid):
    """CPU (user + system) process pid has used, all its threads, in s."""
    with open("/proc/%d/stat" % pid) as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def machine_busy_seconds():
    """CPU every process on the machine has used (not idle, not iowait), in s."""
    with open("/proc/stat") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / TICK


def wire_bytes(port):
    """(bytes sent, bytes received) over the established TCP connections
    whose local port is port (the gateway's side of its worker socket)."""
    text = subprocess.run(["ss", "-tinH", "state", "established", "( sport = :%d )" % port],
                          capture_output=True, text=True, check=True).stdout
    sent = sum(int(value) for value in re.findall(r"\bbytes_acked:(\d+)", text))
    received = sum(int(value) for value in re.findall(r"\bbytes_received:(\d+)", text))
    return sent, received


def redis_figures(client):
    """Redis's CPU (s), used_memory and network bytes in and out."""
    info = client.info()
    return {"cpu": info["used_cpu_user"] + info["used_cpu_sys"], "memory": info["used_memory"],
            "net_in": info["total_net_input_bytes"], "net_out": info["total_net_output_bytes"]}


def median(values):
    return statistics.median(values) if values else float("nan")


# --------------------------------------------------------------------------
# The stack: one redis-server or a cluster of masters, a gateway, matchers

def cluster_supported():
    """Whether this build's matcher takes Redis Cluster seeds in --redis."""
    text = subprocess.run([harness.binary("jobmatch-matcher"), "--help"],
                          capture_output=True, text=True).stdout
    return re.search(r"cluster", text, re.IGNORECASE) is not None


class BenchStack:
    """redis (one server, or `masters` cluster masters), a gateway and
    `matchers` matchers, on free loopback ports; stopped by harness.cleanup."""

    def __init__(self, name, masters=0, matchers=2):
        self.name = name
        if masters:
            self.redis = [harness.Redis("%s-redis-%d" % (name, n + 1), acl=False, extra=(
                "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                "--cluster-node-timeout", "2000", "--cluster-port", harness.free_port()))
                for n in range(masters)]
            self._create_cluster()
            self.redis_url = CLUSTER_SEED.format(port=self.redis[0].port, hosts=",".join(
                "127.0.0.1:%d" % node.port for node in self.redis))
        else:
            self.redis = [harness.Redis(name + "-redis", acl=False)]
            self.redis_url = self.redis[0].url + "/0"
        self.clients = [node.client() for node in self.redis]
        self.gateway = harness.start_gateway(name + "-gateway")
        self.matchers = []
        for _ in range(matchers):
            self.start_matcher()
        self.wait_matchers()

    def _create_cluster(self):
        nodes = ["127.0.0.1:%d" % node.port for node in self.redis]
        done = subprocess.run(["redis-cli", "--cluster", "create"] + nodes + ["--cluster-yes"],
                              capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise BenchError("redis-cli --cluster create failed: %s" % done.stdout[-400:])
        harness.wait_for(lambda: all(node.client().info("cluster").get("cluster_enabled") == 1
                                     and "cluster_state:ok" in node.client().execute_command(
                                         "CLUSTER", "INFO", NEVER_DECODE=True).decode()
                                     for node in self.redis), 30, 0.1, "the cluster to be ok")

    def start_matcher(self):
        argv = [harness.binary("jobmatch-matcher"), "--gateway", self.gateway.workers,
                "--redis", self.redis_url, "--data", stack.DATA_DIR]
        self.matchers.append(harness.spawn("%s-matcher-%d" % (self.name, len(self.matchers) + 1), argv))

    def stop_matcher(self):
        """Stops the last matcher and waits until the gateway has let it go."""
        self.matchers.pop().stop()
        self.wait_matchers()

    def wait_matchers(self):
        count = len(self.matchers)
        harness.wait_for(lambda: len(self.gateway.stats()["services"].get(stack.MATCH, {})
                                     .get("workers", [])) == count,
                         30, 0.05, "%d matchers registered" % count)

    def check_alive(self):
        for process in [node.process for node in self.redis] + [self.gateway.process] + self.matchers:
            if not process.alive():
                raise BenchError("%s exited: %s" % (process.name, " | ".join(process.tail(5))))

    def totals(self, jobs):
        """Each job's candidate count as jobmatch.results "summary" reads it
        back from Redis (None for a job it cannot read)."""
        totals = {}
        for job in jobs:
            reply = json.loads(self.gateway.client().request(
                "jobmatch.results", json.dumps({"op": "summary", "job": job}).encode(), timeout=30.0))
            totals[job] = reply.get("total") if reply.get("ok") else None
        return totals

    def snapshot(self):
        """Every counter a run is measured by, now."""
        redis = [redis_figures(client) for client in self.clients]
        return {
            "at": time.monotonic(),
            "machine": machine_busy_seconds(),
            "gateway": cpu_seconds(self.gateway.process.pid),
            "matchers": [cpu_seconds(process.pid) for process in self.matchers],
            "redis_proc": sum(cpu_seconds(node.process.pid) for node in self.redis),
            "redis_info": sum(figures["cpu"] for figures in redis),
            "memory": sum(figures["memory"] for figures in redis),
            "redis_net": sum(figures["net_in"] + figures["net_out"] for figures in redis),
            "wire": wire_bytes(self.gateway.worker_port),
        }


# --------------------------------------------------------------------------
# One run: a batch of fresh candidates, measured

_BASE = []


def write_input(path, prefix, count):
    """count candidates of about 1 KB, ids "<prefix>-<n>" (never seen before:
    nothing is answered from Redis), profiles cycling through 300."""
    if not _BASE:
        _BASE.extend(stack.make_candidate(n, "base") for n in range(300))
    with open(path, "w") as out:
        for n in range(count):
            candidate = dict(_BASE[n % len(_BASE)])
            candidate["id"] = "%s-%d" % (prefix, n)
            out.write(json.dumps(candidate, separators=(",", ":")) + "\n")
    return os.path.getsize(path) / count


_run_numbers = itertools.count(1)
BATCH_TIMEOUT_S = 600


def wait_batch(process):
    """Waits for the batch CLI (at most BATCH_TIMEOUT_S, then kills it);
    returns its exit code and resource usage (its CPU)."""
    deadline = time.monotonic() + BATCH_TIMEOUT_S
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            return os.waitstatus_to_exitcode(status), usage
        if time.monotonic() > deadline:
            process.kill()
            _, status, usage = os.wait4(process.pid, 0)
            return "killed after %d s" % BATCH_TIMEOUT_S, usage
        time.sleep(0.01)


def run_batch(bench, jobs, count):
    """Scores count fresh candidates against jobs through bench's gateway with
    the batch CLI; returns the figures of the run (per candidate and per pair)."""
    tmp = tempfile.mkdtemp(dir=harness.tmpdir())
    prefix = "cap%d" % next(_run_numbers)
    in_path, out_path = os.path.join(tmp, "in.jsonl"), os.path.join(tmp, "out.jsonl")
    profile_bytes = write_input(in_path, prefix, count)
    argv = stack.batch_argv(bench.gateway.clients, "--in", in_path, "--out", out_path,
                            "--batch", BATCH, "--window", WINDOW, "--timeout-ms", 60000)
    for job in jobs:
        argv += ["--job", job]
    totals = bench.totals(jobs)
    before = bench.snapshot()
    with open(os.path.join(tmp, "batch.err"), "w") as err:
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, env=stack.batch_env())
        exit_code, usage = wait_batch(process)
    after = bench.snapshot()
    bench.check_alive()
    pairs = count * len(jobs)
    stored = 0
    if os.path.exists(out_path):
        with open(out_path) as out:
            stored = sum('"stored":true' in line for line in out)
    if exit_code != 0 or stored != pairs:
        with open(os.path.join(tmp, "batch.err")) as err:
            raise BenchError("batch of %d x %d jobs: exit %s, %d of %d results stored: %s" % (
                count, len(jobs), exit_code, stored, pairs, err.read()[-400:]))
    # read back: every job's summary counts the run's candidates
    for job, total in bench.totals(jobs).items():
        if total is None or totals[job] is None or total - totals[job] != count:
            raise BenchError("%s: the batch said all %d results of job %s were stored, but its summary "
                             "counts %s before and %s after" % (bench.name, count, job, totals[job], total))
    elapsed = after["at"] - before["at"]
    ours = (usage.ru_utime + usage.ru_stime + after["gateway"] - before["gateway"]
            + sum(after["matchers"]) - sum(before["matchers"]) + after["redis_proc"] - before["redis_proc"])
    per = 1e6 / count
    return {
        "jobs": len(jobs), "count": count, "pairs": pairs, "elapsed": elapsed,
        "rate": count / elapsed, "pair_rate": pairs / elapsed,
        "client": (usage.ru_utime + usage.ru_stime) * per,
        "gateway": (after["gateway"] - before["gateway"]) * per,
        "matcher": [(a - b) * per for a, b in zip(after["matchers"], before["matchers"])],
        "redis": (after["redis_proc"] - before["redis_proc"]) * per,
        "redis_info": (after["redis_info"] - before["redis_info"]) * per,
        "memory": (after["memory"] - before["memory"]) / count,
        "request_bytes": (after["wire"][0] - before["wire"][0]) / count,
        "reply_bytes": (after["wire"][1] - before["wire"][1]) / count,
        "redis_bytes": (after["redis_net"] - before["redis_net"]) / count,
        "profile_bytes": profile_bytes,
        # cores the rest of the machine (other programs) used meanwhile
        "others": max(0.0, (after["machine"] - before["machine"] - ours) / elapsed),
    }


# The figures of a run that are costs per candidate (us of CPU, bytes)
COSTS = ("client", "gateway", "matcher", "redis", "redis_info", "memory", "request_bytes",
         "reply_bytes", "redis_bytes")


def medians(runs):
    """Every per-candidate figure of runs (dicts alike), each its median."""
    figures = {}
    for key in runs[0]:
        if isinstance(runs[0][key], (int, float)):
            figures[key] = median([run[key] for run in runs])
    figures["matcher_each"] = [median([run["matcher"][n] for run in runs])
                               for n in range(len(runs[0]["matcher"]))]
    figures["matcher"] = median([sum(run["matcher"]) for run in runs])
    return figures


def split_costs(one, many, jobs):
    """From the medians at 1 job and at `jobs` jobs, each stage's cost per
    candidate (fixed: parsing, the profile) and per pair (each job more)."""
    fixed, pair = {}, {}
    for key in COSTS:
        pair[key] = max(0.0, (many[key] - one[key]) / (jobs - 1))
        fixed[key] = max(0.0, one[key] - pair[key])
    return fixed, pair


# --------------------------------------------------------------------------
# The model (docs/capacity.md says why each assumption)

CANDIDATES = 10e6           # candidates on the board
JOBS = 10e3                 # open jobs
WINDOW_S = 8 * 3600         # the overnight run's window
UTILISATION = 0.7           # share of a core (or a NIC) a plan may fill
SHARD_MEMORY = 25e9         # Redis memory a shard may hold (a 32 GB host)
NIC = 10e9 / 8              # a gateway's network, bytes/s (10 Gbit/s)
MATCH_SHARE = 0.01          # jobs a candidate is scored against when prefiltered
TOP_N = 1000                # retain top N per job
LIVE_CANDIDATES = 20        # new or changed candidates a second, at peak
LIVE_JOBS = 1000            # new or changed jobs a day
TTL_S = 7 * 86400           # results stay this long (--result-ttl-s default)


def plan(name, candidates_per_s, pairs_per_s, written_per_s, kept_pairs, kept_candidates, fixed, pair,
         reply_pairs_per_s=None):
    """One scenario: what it needs of each stage, with the arithmetic."""
    if reply_pairs_per_s is None:
        reply_pairs_per_s = written_per_s

    def cpu(stage, scored=pairs_per_s):
        return (candidates_per_s * fixed[stage] + scored * pair[stage]) / 1e6    # cores
    matcher = cpu("matcher")
    gateway_cpu = (candidates_per_s * fixed["gateway"] + reply_pairs_per_s * pair["gateway"]) / 1e6
    redis_cpu = (candidates_per_s * fixed["redis"] + written_per_s * pair["redis"]) / 1e6
    wire = 2 * (candidates_per_s * (fixed["request_bytes"] + fixed["reply_bytes"])
                + reply_pairs_per_s * (pair["request_bytes"] + pair["reply_bytes"]))
    memory = kept_candidates * fixed["memory"] + kept_pairs * pair["memory"]
    memory_compact = kept_candidates * 400 + kept_pairs * 128
    gateways = max(gateway_cpu / UTILISATION, wire / (NIC * UTILISATION))
    shards_cpu = redis_cpu / UTILISATION
    shards_memory = memory / SHARD_MEMORY
    return {"name": name, "candidates_per_s": candidates_per_s, "pairs_per_s": pairs_per_s,
            "written_per_s": written_per_s, "matcher_cores": matcher / UTILISATION,
            "gateway_cpu": gateway_cpu, "wire": wire, "gateways": gateways,
            "redis_cpu": redis_cpu, "shards_cpu": shards_cpu, "memory": memory,
            "shards_memory": shards_memory, "shards": max(shards_cpu, shards_memory),
            "memory_compact": memory_compact,
            "redis_net": candidates_per_s * fixed["redis_bytes"] + written_per_s * pair["redis_bytes"]}


def scenarios(fixed, pair):
    all_pairs = CANDIDATES * JOBS
    overnight_c = CANDIDATES / WINDOW_S
    # top N kept with a write threshold: the k-th candidate scored for a
    # job enters its top N with chance N/k, so about N (1 + ln(C/N)) writes
    threshold_writes = JOBS * TOP_N * (1 + math.log(CANDIDATES / TOP_N))
    live_pairs = LIVE_CANDIDATES * JOBS
    job_pairs = LIVE_JOBS * CANDIDATES / 86400
    # results written within their TTL, at most one per candidate and job
    live_kept = min(all_pairs, live_pairs * TTL_S)
    job_kept = min(all_pairs, job_pairs * TTL_S)
    return [
        plan("A. overnight, every pair scored and stored (as built)", overnight_c,
             all_pairs / WINDOW_S, all_pairs / WINDOW_S, all_pairs, CANDIDATES, fixed, pair),
        plan("B. overnight, matching jobs only (%.0f%%: %.0f a candidate)" % (100 * MATCH_SHARE,
             JOBS * MATCH_SHARE), overnight_c, all_pairs * MATCH_SHARE / WINDOW_S,
             all_pairs * MATCH_SHARE / WINDOW_S, all_pairs * MATCH_SHARE, CANDIDATES, fixed, pair),
        plan("C. overnight, every pair scored, top %d a job written (not built)" % TOP_N, overnight_c,
             all_pairs / WINDOW_S, threshold_writes / WINDOW_S, JOBS * TOP_N, CANDIDATES, fixed, pair),
        plan("D. live, %d new candidates/s x every job (as built)" % LIVE_CANDIDATES, LIVE_CANDIDATES,
             live_pairs, live_pairs, live_kept, CANDIDATES, fixed, pair),
        plan("E. live, %d new jobs/day x every candidate (as built)" % LIVE_JOBS, 0, job_pairs,
             job_pairs, job_kept, CANDIDATES, fixed, pair),
    ]


def si(value, unit=""):
    """1234567 -> '1.23 M'."""
    for factor, prefix in ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return "%.3g %s%s" % (value / factor, prefix, unit)
    return "%.3g %s" % (value, unit) if unit else "%.3g" % value


def up(value):
    """Whole machines: at least 1, rounded up."""
    return max(1, int(-(-value // 1)))


# --------------------------------------------------------------------------
# The checks: predicted and measured throughput ratios

def predicted_rate(costs, matchers, shards):
    """Candidates/s this machine should reach, were its cores ours: the
    tightest of each matcher, the gateway, the client and each Redis (one
    core each, single-threaded where it counts) and all the cores; returns
    (rate, the name of the bound)."""
    total = costs["client"] + costs["gateway"] + costs["matcher"] + costs["redis"]
    bounds = {
        "matchers": matchers * 1e6 / costs["matcher"],     # the candidates split between them
        "redis": shards * 1e6 / costs["redis"],
        "gateway": 1e6 / max(costs["gateway"], 1e-9),
        "client": 1e6 / max(costs["client"], 1e-9),
        "machine": CPUS * 1e6 / total,
    }
    limit = min(bounds, key=bounds.get)
    return bounds[limit], limit


def cores_used(runs):
    """Medians over runs of the cores all our stages, and the matchers, used."""
    return (median([r["rate"] * (r["client"] + r["gateway"] + sum(r["matcher"]) + r["redis"]) / 1e6
                    for r in runs]),
            median([r["rate"] * sum(r["matcher"]) / 1e6 for r in runs]))


def others_idle(bench, seconds=2.0):
    """Cores the rest of the machine uses while bench idles, over seconds."""
    before = bench.snapshot()
    time.sleep(seconds)
    after = bench.snapshot()
    ours = (after["gateway"] - before["gateway"] + sum(after["matchers"]) - sum(before["matchers"])
            + after["redis_proc"] - before["redis_proc"])
    return max(0.0, (after["machine"] - before["machine"] - ours) / (after["at"] - before["at"]))


def alternate(a, b, runs, jobs, count):
    """Runs a() then b() `runs` times each, alternating; each returns a run."""
    first, second = [], []
    for _ in range(runs):
        first.append(a(jobs, count))
        second.append(b(jobs, count))
    return first, second


# --------------------------------------------------------------------------
# Report and doc

def git(*args):
    done = subprocess.run(["git", "-C", ROOT] + list(args), capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else "unknown"


def machine_line():
    model = "unknown CPU"
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as info:
        memory = int(info.readline().split()[1]) / 2**20
    return "%d cores, %s, %.0f GiB, %s %s" % (CPUS, model, memory, os.uname().sysname, os.uname().release)


def replace_section(text, name, body):
    begin = "<!-- generated by bench/bench_capacity.py: %s -->" % name
    end = "<!-- end of generated: %s -->" % name
    start, stop = text.find(begin), text.find(end)
    if start < 0 or stop < start:
        raise BenchError("%s has no section %r (the markers %r ... %r)" % (DOC, name, begin, end))
    return text[:start + len(begin)] + "\n" + body.rstrip("\n") + "\n" + text[stop:]


def measured_table(one, many, fixed, pair, context):
    rows = [
        ("client (jobmatch batch)", "client", "us"),
        ("gateway", "gateway", "us"),
        ("matchers (both)", "matcher", "us"),
        ("redis-server (/proc)", "redis", "us"),
        ("redis-server (INFO cpu)", "redis_info", "us"),
        ("Redis memory (used_memory)", "memory", "B"),
        ("request, client -> gateway -> matcher", "request_bytes", "B"),
        ("reply, matcher -> gateway -> client", "reply_bytes", "B"),
        ("matcher <-> Redis, both ways", "redis_bytes", "B"),
    ]
    lines = [
        "Measured %s on %s, commit %s; `jobmatch batch`, %d candidates a request, %d requests in "
        "flight, replies at the default detail (`summary`), every result stored; two matchers, one "
        "redis-server (no persistence), all on this machine. Medians of %d runs of %d fresh "
        "candidates (1 job) and %d (%d jobs). Profiles: %.0f bytes of JSON each." % (
            context["date"], context["machine"], context["commit"], BATCH, WINDOW, RUNS, COUNT,
            COUNT // len(ALL_JOBS), len(ALL_JOBS), one["profile_bytes"]),
        "",
        "| stage | per candidate, 1 job | per candidate, %d jobs | fixed, per candidate | per pair (each job more) |" % len(ALL_JOBS),
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for label, key, unit in rows:
        lines.append("| %s | %.1f %s | %.1f %s | %.1f %s | %.1f %s |" % (
            label, one[key], unit, many[key], unit, fixed[key], unit, pair[key], unit))
    total_one = one["client"] + one["gateway"] + one["matcher"] + one["redis"]
    lines += [
        "",
        "Throughput in those runs: %.0f candidates/s at 1 job, %.0f candidates/s (%.0f pairs/s) at "
        "%d jobs; CPU of all four stages %.1f us a candidate at 1 job (this machine's %d cores: at "
        "most %.0f/s at that cost). Other programs used %.2f cores meanwhile (median). Each matcher "
        "at 1 job: %s us a candidate." % (
            one["rate"], many["rate"], many["pair_rate"], len(ALL_JOBS), total_one, CPUS,
            CPUS * 1e6 / total_one, one["others"],
            ", ".join("%.1f" % value for value in one["matcher_each"])),
    ]
    return "\n".join(lines)


def model_section(fixed, pair):
    lines = [
        "Figures from the measured per candidate (fixed) and per pair costs above; cores at %.0f%% "
        "busy, a Redis shard holding at most %s, a gateway's network %s/s (10 Gbit/s) at %.0f%%." % (
            100 * UTILISATION, si(SHARD_MEMORY, "B"), si(NIC, "B"), 100 * UTILISATION),
        "",
        "| scenario | candidates/s | pairs scored/s | pairs written/s | matcher cores | gateways (CPU; network) | Redis CPU (cores) | Redis memory | Redis shards (CPU; memory) | memory at 400 B + 128 B a pair (shards) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in scenarios(fixed, pair):
        lines.append("| %s | %s | %s | %s | %s | %s (%.2g; %.2g) | %s | %s | %s (%s; %s) | %s (%s) |" % (
            s["name"], si(s["candidates_per_s"]), si(s["pairs_per_s"]), si(s["written_per_s"]),
            si(up(s["matcher_cores"])), si(up(s["gateways"])),
            s["gateway_cpu"] / UTILISATION, s["wire"] / (NIC * UTILISATION),
            si(s["redis_cpu"]), si(s["memory"], "B"), si(up(s["shards"])),
            si(up(s["shards_cpu"])), si(up(s["shards_memory"])), si(s["memory_compact"], "B"),
            si(up(s["memory_compact"] / SHARD_MEMORY))))
    a = scenarios(fixed, pair)[0]
    lines += [
        "",
        "The arithmetic of A, with the figures above (f: fixed per candidate, p: per pair):",
        "",
        "    candidates/s = 1e7 / 28,800 s = %.0f;  pairs/s = 1e11 / 28,800 s = %s" % (
            a["candidates_per_s"], si(a["pairs_per_s"])),
        "    matcher cores = (%.0f x %.1f us + %s x %.2f us) / 0.7 = %s" % (
            a["candidates_per_s"], fixed["matcher"], si(a["pairs_per_s"]), pair["matcher"],
            si(up(a["matcher_cores"]))),
        "    Redis cores   = (%.0f x %.1f us + %s x %.2f us) = %s busy; / 0.7 = %s shards by CPU" % (
            a["candidates_per_s"], fixed["redis"], si(a["written_per_s"]), pair["redis"],
            si(a["redis_cpu"]), si(up(a["shards_cpu"]))),
        "    Redis memory  = 1e7 x %.0f B + 1e11 x %.0f B = %s; / 25 GB = %s shards by memory" % (
            fixed["memory"], pair["memory"], si(a["memory"], "B"), si(up(a["shards_memory"]))),
        "    gateway CPU   = (%.0f x %.2f us + %s x %.3f us) = %.1f cores; / 0.7 = %s gateways by CPU" % (
            a["candidates_per_s"], fixed["gateway"], si(a["pairs_per_s"]), pair["gateway"],
            a["gateway_cpu"], si(up(a["gateway_cpu"] / UTILISATION))),
        "    gateway bytes = 2 x (%.0f x %.0f B + %s x %.0f B) = %s/s in + out; / (1.25 GB/s x 0.7) = %s by network" % (
            a["candidates_per_s"], fixed["request_bytes"] + fixed["reply_bytes"], si(a["pairs_per_s"]),
            pair["request_bytes"] + pair["reply_bytes"], si(a["wire"], "B"),
            si(up(a["wire"] / (NIC * UTILISATION)))),
        "    matcher <-> Redis = %s/s over all shards" % si(a["redis_net"], "B"),
    ]
    return "\n".join(lines)


def checks_section(matchers_check, cluster_check):
    lines = ["| check | predicted ratio | measured ratio (median) | runs, candidates/s | what limits it (predicted) | cores our stages used |",
             "| --- | ---: | ---: | --- | --- | --- |"]
    for check in (matchers_check, cluster_check):
        if check.get("skipped"):
            lines.append("| %s | - | - | skipped: %s | - | - |" % (check["name"], check["skipped"]))
            continue
        lines.append("| %s | %.2f | %.2f | %s | %s | %s |" % (
            check["name"], check["predicted"], check["measured"], check["runs"], check["limits"],
            check["cores"]))
    for check in (matchers_check, cluster_check):
        if check.get("note"):
            lines += ["", check["note"]]
    return "\n".join(lines)


def write_doc(sections):
    with open(DOC) as doc:
        text = doc.read()
    for name, body in sections.items():
        text = replace_section(text, name, body)
    with open(DOC, "w") as doc:
        doc.write(text)


# --------------------------------------------------------------------------

def run_check(bench, name, a_label, b_label, a_run, b_run, a_bound, b_bound):
    """CHECK_RUNS runs of a and of b, alternating, COUNT / 2 candidates
    each; the measured b/a ratio of the median rates beside the one
    predicted (a_bound, b_bound: the predicted rate and what bounds it)."""
    others = others_idle(bench)
    a_runs, b_runs = alternate(a_run, b_run, CHECK_RUNS, ONE_JOB, COUNT // 2)
    a_rate, b_rate = median([r["rate"] for r in a_runs]), median([r["rate"] for r in b_runs])
    (a_pred, a_limit), (b_pred, b_limit) = a_bound(), b_bound()
    pairwise = [b["rate"] / a["rate"] for a, b in zip(a_runs, b_runs)]
    a_cores, b_cores = cores_used(a_runs), cores_used(b_runs)
    check = {
        "name": name, "predicted": b_pred / a_pred, "measured": b_rate / a_rate,
        "runs": "%s: %s; %s: %s; run by run %s (median %.2f)" % (
            a_label, " ".join("%.0f" % r["rate"] for r in a_runs),
            b_label, " ".join("%.0f" % r["rate"] for r in b_runs),
            " ".join("%.2f" % ratio for ratio in pairwise), median(pairwise)),
        "limits": "%s: %s (%.0f/s); %s: %s (%.0f/s)" % (a_label, a_limit, a_pred, b_label, b_limit, b_pred),
        "cores": "%.2f; %.2f (matchers %.2f; %.2f); other programs %.2f with the stack idle, %.2f; %.2f "
                 "during the runs" % (a_cores[0], b_cores[0], a_cores[1], b_cores[1], others,
                                      median([r["others"] for r in a_runs]),
                                      median([r["others"] for r in b_runs])),
        "a_runs": a_runs, "b_runs": b_runs,
    }
    print("%s: predicted %.2f, measured %.2f  (%s: median %.0f candidates/s, predicted %.0f, bound: %s; "
          "%s: median %.0f, predicted %.0f, bound: %s)" % (
              name, check["predicted"], check["measured"], a_label, a_rate, a_pred, a_limit,
              b_label, b_rate, b_pred, b_limit))
    print("    runs: %s" % check["runs"])
    print("    cores our stages used (%s; %s): %s" % (a_label, b_label, check["cores"]))
    for label, runs in ((a_label, a_runs), (b_label, b_runs)):
        costs = medians(runs)
        print("    %s: CPU per candidate client %.1f, gateway %.1f, matchers %.1f, redis %.1f us; "
              "other programs %.2f cores" % (label, costs["client"], costs["gateway"], costs["matcher"],
                                              costs["redis"], costs["others"]))
    return check


def main():
    status = 0
    context = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
               "machine": machine_line(), "commit": git("rev-parse", "--short", "HEAD")}
    if git("status", "--porcelain", "--untracked-files=no"):
        context["commit"] += " (with uncommitted changes)"
    try:
        print("capacity: %d candidates a run (1 job), %d (%d jobs: %s), batch %d, window %d, %d runs; %d CPUs; load: %s" % (
            COUNT, COUNT // len(ALL_JOBS), len(ALL_JOBS), " ".join(ALL_JOBS), BATCH, WINDOW, RUNS, CPUS,
            " ".join(open("/proc/loadavg").read().split()[:3])))
        bench = BenchStack("plain")
        run_batch(bench, ONE_JOB, 2000)                    # warm up: jobs loaded, connections made
        one_runs, many_runs = [], []
        for _ in range(RUNS):
            one_runs.append(run_batch(bench, ONE_JOB, COUNT))
            many_runs.append(run_batch(bench, ALL_JOBS, COUNT // len(ALL_JOBS)))
        one, many = medians(one_runs), medians(many_runs)
        fixed, pair = split_costs(one, many, len(ALL_JOBS))
        for label, figures in (("1 job", one), ("%d jobs" % len(ALL_JOBS), many)):
            print("%-7s %6.0f candidates/s; CPU per candidate: client %.1f, gateway %.1f, matchers %.1f (%s), "
                  "redis %.1f (INFO %.1f) us; Redis memory %.0f B, request %.0f B, reply %.0f B, "
                  "matcher<->Redis %.0f B a candidate; other programs %.2f cores" % (
                      label, figures["rate"], figures["client"], figures["gateway"], figures["matcher"],
                      " + ".join("%.1f" % v for v in figures["matcher_each"]), figures["redis"],
                      figures["redis_info"], figures["memory"], figures["request_bytes"],
                      figures["reply_bytes"], figures["redis_bytes"], figures["others"]))
        print("    runs (1 job / %d jobs, candidates/s): %s / %s" % (
            len(ALL_JOBS), " ".join("%.0f" % r["rate"] for r in one_runs),
            " ".join("%.0f" % r["rate"] for r in many_runs)))
        print("split: per candidate client %.1f, gateway %.1f, matchers %.1f, redis %.1f us, %.0f B Redis, %.0f + %.0f B wire; "
              "per pair client %.2f, gateway %.2f, matchers %.2f, redis %.2f us, %.0f B Redis, %.0f + %.0f B wire" % (
                  fixed["client"], fixed["gateway"], fixed["matcher"], fixed["redis"], fixed["memory"],
                  fixed["request_bytes"], fixed["reply_bytes"], pair["client"], pair["gateway"],
                  pair["matcher"], pair["redis"], pair["memory"], pair["request_bytes"], pair["reply_bytes"]))
        for s in scenarios(fixed, pair):
            print("model %s: %s pairs/s, %d matcher cores, %d gateways, %d Redis shards (CPU %d, memory %d; %s)" % (
                s["name"][:2], si(s["pairs_per_s"]), up(s["matcher_cores"]), up(s["gateways"]), up(s["shards"]),
                up(s["shards_cpu"]), up(s["shards_memory"]), si(s["memory"], "B")))

        # Check 1: one matcher against two
        def with_matchers(count):
            def run(jobs, n):
                while len(bench.matchers) > count:
                    bench.stop_matcher()
                while len(bench.matchers) < count:
                    bench.start_matcher()
                    bench.wait_matchers()
                return run_batch(bench, jobs, n)
            return run
        matchers_check = run_check(
            bench, "2 matchers against 1", "1 matcher", "2 matchers", with_matchers(1), with_matchers(2),
            lambda: predicted_rate(one, 1, 1), lambda: predicted_rate(one, 2, 1))

        # Check 2: one redis-server against a cluster of three masters
        if not cluster_supported():
            cluster_check = {"name": "3 Redis masters against 1", "skipped": "no cluster support in this build"}
            print("3 Redis masters against 1: skipped: no cluster support in this build")
        else:
            cluster = BenchStack("cluster", masters=3)
            run_batch(cluster, ONE_JOB, 2000)
            cluster_check = run_check(
                bench, "3 Redis masters against 1", "1 redis-server", "3 masters",
                lambda jobs, n: run_batch(bench, jobs, n), lambda jobs, n: run_batch(cluster, jobs, n),
                lambda: predicted_rate(one, 2, 1), lambda: predicted_rate(one, 2, 3))
        matchers_check["note"] = machine_note(one, matchers_check)
        if WRITE_DOC:
            write_doc({"measured": measured_table(one, many, fixed, pair, context),
                       "model": model_section(fixed, pair),
                       "checks": checks_section(matchers_check, cluster_check)})
            print("docs/capacity.md: measured, model and checks sections rewritten")
    except (BenchError, harness.TestFailure) as error:
        print("bench_capacity.py: %s" % error)
        for line in harness.log_tails():
            print(line)
        status = 1
    finally:
        harness.cleanup()
    return status


def machine_note(costs, check):
    """What limits this machine, from the runs of check and the costs."""
    total = costs["client"] + costs["gateway"] + costs["matcher"] + costs["redis"]
    runs = check["a_runs"] + check["b_runs"]
    best = max(median([r["rate"] for r in check["b_runs"]]), median([r["rate"] for r in check["a_runs"]]))
    others = median([r["others"] for r in runs])
    ours = cores_used(runs)[0]
    idle = max(0.0, CPUS - others - ours)
    verdict = ("the cores, not a stage of the pipeline, are the limit here" if idle < 0.15 * CPUS else
               "cores stayed free, so waiting (round trips, the requests in flight) limits as well")
    return ("What this machine limits: %d cores, shared. A candidate costs %.1f us of CPU over all four "
            "stages, so %d cores of our own would reach at most %.0f candidates/s; the best median "
            "measured was %.0f/s (%.0f%% of that). During the check's runs other programs used %.2f "
            "cores (median), our stages %.2f, and %.2f stayed idle: %s." % (
                CPUS, total, CPUS, CPUS * 1e6 / total, best, 100 * best * total / (CPUS * 1e6),
                others, ours, idle, verdict))


if __name__ == "__main__":
    sys.exit(main())
