#!/usr/bin/python3
"""bench_cluster.py: what a Redis Cluster costs a batch, against one Redis.

Starts two private stacks on free loopback ports with the integration
tests' helpers: one redis-server, and a Redis Cluster of 3 masters and 3
replicas (tests/integration/test_cluster.py), each with a gateway and two
matchers.  Runs `jobmatch batch` over BENCH_COUNT (default 40,000) new
candidates against two jobs on each, alternating (A B A B), RUNS times
(default 3).  Prints per run the rate in candidate-job pairs per second
and the CPU per pair of Redis (all nodes; masters alone) and of the
matchers, read from /proc; then the medians.

Usage: bench/bench_cluster.py   (BENCH_COUNT, BENCH_RUNS; BUILD as bench/run)
Exit status: 0 when every run was complete, 1 otherwise.
"""
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("JM_BIN", os.path.join(ROOT, os.environ.get("BUILD", "build"), "bin"))
os.environ.setdefault("JM_DATA_DIR", os.path.join(ROOT, "data"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import harness  # noqa: E402
import stack  # noqa: E402
import test_cluster  # noqa: E402

COUNT = int(os.environ.get("BENCH_COUNT", "40000"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
JOBS = ("backend-developer", "database-administrator")
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(processes):
    total = 0
    for process in processes:
        with open("/proc/%d/stat" % process.popen.pid) as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / TICK


runner = harness.Runner(timeout=1800)


@runner.test
def cluster_against_one_redis():
    single = stack.Stack(matchers=2)
    cluster = test_cluster.Cluster()
    clustered = stack.Stack(matchers=2, redis=cluster)
    masters = [process for port, process in cluster.nodes if port in cluster.master_ports()]
    setups = {"one redis": (single, [single.redis.process], [single.redis.process]),
              "cluster": (clustered, [process for _, process in cluster.nodes], masters)}
    rates = {name: [] for name in setups}
    pairs = COUNT * len(JOBS)
    for run in range(RUNS):
        for name, (s, nodes, primaries) in setups.items():
            in_path = stack.write_candidates(os.path.join(harness.tmpdir(), "in.jsonl"), COUNT,
                                             "%s%d" % (name.replace(" ", ""), run))
            out_path = os.path.join(harness.tmpdir(), "out-%s-%d.jsonl" % (name, run))
            before = [cpu_seconds(nodes), cpu_seconds(primaries), cpu_seconds(s.matchers)]
            start = time.monotonic()
            args = ["--in", in_path, "--out", out_path]
            for job in JOBS:
                args += ["--job", job]
            done = stack.run_batch(s.gateway.clients, *args, timeout=900)
            seconds = time.monotonic() - start
            after = [cpu_seconds(nodes), cpu_seconds(primaries), cpu_seconds(s.matchers)]
            harness.check_equal(done.returncode, 0, "%s batch (%s)" % (name, done.stderr[-300:]))
            harness.check_equal(stack.count_lines(out_path), pairs, "%s output lines" % name)
            used = [(b - a) * 1e6 / pairs for a, b in zip(before, after)]
            rates[name].append(pairs / seconds)
            print("    %-9s run %d: %6.0f pairs/s; CPU us per pair: redis %.1f (masters %.1f), "
                  "matchers %.1f" % (name, run + 1, pairs / seconds, used[0], used[1], used[2]),
                  flush=True)
    for name, values in rates.items():
        print("    %-9s median %.0f pairs/s over %d runs" % (name, statistics.median(values), RUNS))


if __name__ == "__main__":
    runner.main()
