#!/usr/bin/python3
"""Integration tests for `jobmatch submit` (candidates scored through the
gateway) and for `make run`'s script, scripts/run-stack.sh.  Each test
starts what it needs on free loopback ports: a private redis-server,
jobmatch-gateway and jobmatch-matcher processes (stack.Stack).

    tests/integration/test_submit.py [NAME-FILTER...]

Prints "ok NAME" or "FAIL NAME: why" per test and "N passed, N failed";
exits 1 when any failed.  Every process is stopped at the end of its test.
"""
import json
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import stack  # noqa: E402
from harness import TestFailure, check, check_equal  # noqa: E402

runner = harness.Runner(timeout=120)
JOB, DBA = "backend-developer", "database-administrator"
RUN_STACK = os.path.join(harness.ROOT, "scripts", "run-stack.sh")
RANK_ROW = re.compile(r"^\s+(\d+)\s+(\S+)\s+(.*?)\s+(\d+\.\d)\s+(strong|good|partial|weak)\s+(\d+) of (\d+) met$")


class Run:
    def __init__(self, completed):
        self.rc, self.out, self.err = completed.returncode, completed.stdout, completed.stderr

    def json_lines(self):
        try:
            return [json.loads(line) for line in self.out.splitlines() if line.strip()]
        except ValueError as error:
            raise TestFailure("not JSON lines (%s): %r" % (error, self.out[:300]))

    def expect(self, rc):
        if self.rc != rc:
            raise TestFailure("exit %d, want %d; stderr: %s; stdout: %s" % (
                self.rc, rc, self.err.strip()[:400], self.out.strip()[:200]))
        return self


def submit(gateway, *args, input_text=None, env=None, timeout=120):
    """Runs jobmatch submit; gateway None leaves it to the environment."""
    full_env = dict(os.environ)
    full_env["JOBMATCH_DATA_DIR"] = stack.DATA_DIR
    for name in ("JOBMATCH_GATEWAY", "JOBMATCH_TIMEOUT_MS", "JOBMATCH_JOB", "JOBMATCH_BATCH"):
        full_env.pop(name, None)
    full_env.update(env or {})
    argv = [harness.binary("jobmatch"), "submit"] + (["--gateway", gateway] if gateway else [])
    argv += [str(arg) for arg in args]
    return Run(subprocess.run(argv, input=input_text, capture_output=True, text=True, env=full_env,
                              timeout=timeout))


def write_lines(name, lines):
    path = os.path.join(harness.tmpdir(), name)
    with open(path, "w") as out:
        out.write("".join(line + "\n" for line in lines))
    return path


def ranked_rows(text):
    """The rows of --ranked tables: (rank, candidate, name, score, band, met, total)."""
    rows = []
    for line in text.splitlines():
        match = RANK_ROW.match(line)
        if match:
            rank, candidate, name, score, band, met, total = match.groups()
            rows.append((int(rank), candidate, name.strip(), float(score), band, int(met), int(total)))
    return rows


# --------------------------------------------------------------------------
# Tests

@runner.test
def results_in_input_order_then_cached():
    s = stack.Stack(matchers=2)
    candidates = [stack.make_candidate(i, "sub") for i in range(250)]
    path = write_lines("order.jsonl", [json.dumps(c) for c in candidates])
    # small batches: 25 requests, 4 in flight, answered by two matchers in any order
    first = submit(s.gateway.clients, "--job", JOB, "--job", DBA, "--batch", 10, "--window", 4, path)
    first.expect(0)
    results = first.json_lines()
    check_equal(len(results), 500, "result lines")
    want = [(c["id"], job) for c in candidates for job in (JOB, DBA)]
    check_equal([(r["candidate"], r["job"]) for r in results], want, "candidate and job order")
    check(all(r["cached"] is False for r in results), "first submission scored afresh")
    check(all(r["band"] in ("strong", "good", "partial", "weak") for r in results), "bands")
    redis = s.redis.client()
    stored = stack.stored_result(redis, JOB, "sub-7")
    check(stored is not None, "result of sub-7 stored in Redis")
    check_equal(stored["score"], results[14]["score"], "stored score")
    # the same again: every result from the cache, same scores
    again = submit(s.gateway.clients, "--job", JOB, "--job", DBA, path).expect(0).json_lines()
    check(all(r["cached"] is True for r in again), "resubmission served from the cache")
    check_equal([r["score"] for r in again], [r["score"] for r in results], "cached scores")
    # one changed profile is scored again, the others stay cached
    candidates[3]["skills"] = ["PostgreSQL", "Python", "Django"]
    path = write_lines("order2.jsonl", [json.dumps(c) for c in candidates])
    third = submit(s.gateway.clients, path).expect(0).json_lines()
    check_equal([r["candidate"] for r in third if not r["cached"]], ["sub-3"], "re-scored after a change")


@runner.test
def bad_lines_reported_others_scored():
    s = stack.Stack(matchers=1)
    lines = [
        json.dumps({"id": "ok-1", "skills": ["Python", "PostgreSQL"]}),
        '{"id": "broken", "skills": [',                        # line 2: not JSON
        json.dumps({"id": "wrong-type", "skills": "Python"}),  # line 3: rejected by the matcher
        "[1, 2]",                                              # line 4: not an object
        "",
        json.dumps({"id": "ok-2", "name": "Zoë \u202e", "skills": ["Go", "Kubernets"]}),
        b"\xff\xfe".decode("latin-1"),                         # line 7: invalid UTF-8 once encoded
    ]
    path = os.path.join(harness.tmpdir(), "bad.jsonl")
    with open(path, "wb") as out:
        for line in lines:
            out.write((line.encode("latin-1") if line.startswith("\xff") else line.encode()) + b"\n")
    run = submit(s.gateway.clients, "--job", JOB, "--job", DBA, "--detail", "full", path).expect(1)
    out = run.json_lines()
    check_equal([(o.get("candidate"), o.get("job"), "error" in o) for o in out], [
        ("ok-1", JOB, False), ("ok-1", DBA, False), (None, None, True), ("wrong-type", None, True),
        (None, None, True), ("ok-2", JOB, False), ("ok-2", DBA, False), (None, None, True)],
        "records in input order, one error object per bad candidate")
    errors = [o["error"] for o in out if "error" in o]
    check_equal([(e["code"], e["line"]) for e in errors],
                [("invalid_json", 2), ("invalid_request", 3), ("invalid_request", 4), ("invalid_json", 7)],
                "error codes and lines")
    check_equal([e["position"] for e in errors], [2, 3, 4, 6], "positions")
    check("skills" in errors[1]["message"], "the message names the field: %r" % errors[1]["message"])
    for line in (2, 3, 4, 7):
        check(re.search(r"bad\.jsonl:%d:\d+: item \d+: " % line, run.err), "stderr names line %d: %s" % (line, run.err))
    check("Kubernetes" in json.dumps(out[5]), "typo corrected for ok-2")
    s.check_alive()


@runner.test
def array_object_and_stdin_inputs():
    s = stack.Stack(matchers=1)
    candidates = [stack.make_candidate(i, "arr") for i in range(30)]
    path = os.path.join(harness.tmpdir(), "array.json")
    with open(path, "w") as out:
        json.dump(candidates, out, indent=2)
    got = submit(s.gateway.clients, path).expect(0).json_lines()
    check_equal([r["candidate"] for r in got], [c["id"] for c in candidates], "array order")
    one = submit(s.gateway.clients, "-", input_text=json.dumps(candidates[4], indent=2)).expect(0).json_lines()
    check_equal([(r["candidate"], r["cached"]) for r in one], [("arr-4", True)], "one pretty object on stdin")
    check_equal(one[0]["score"], got[4]["score"], "same score")
    # a broken array is a fatal parse error with line and column
    broken = submit(s.gateway.clients, "-", input_text='[{"id": "a", "skills": []},\n {"id": }]')
    broken.expect(2)
    check(re.search(r"<stdin>:2:\d+", broken.err), "stderr names the line: %r" % broken.err)


@runner.test
def ranked_table_and_explain():
    s = stack.Stack(matchers=2)
    samples = stack.sample_candidates()
    json_run = submit(s.gateway.clients, "--job", JOB, stack.SAMPLES).expect(0).json_lines()
    ranked = submit(s.gateway.clients, "--job", JOB, "--job", DBA, "--ranked", stack.SAMPLES).expect(0)
    tables = ranked.out.split("\nJob ")
    check_equal(len(tables), 2, "one table per job")
    check(ranked.out.startswith("Job %s v1: %d candidates ranked" % (JOB, len(samples))), ranked.out[:120])
    rows = ranked_rows(tables[0])
    check_equal(len(rows), len(samples), "rows of the first table")
    check_equal([row[0] for row in rows], list(range(1, len(samples) + 1)), "ranks")
    scores = [row[3] for row in rows]
    check(scores == sorted(scores, reverse=True), "best first: %r" % scores[:8])
    want = sorted(((round(r["score"], 1), r["candidate"], r["band"], r["required"]) for r in json_run),
                  key=lambda x: (-x[0], x[1]))
    check_equal([(row[3], row[1], row[4], "%d of %d" % (row[5], row[6])) for row in rows], want,
                "the table holds the JSON results")
    check_equal(len(ranked_rows(tables[1])), len(samples), "rows of the second table")
    explain = submit(s.gateway.clients, "--explain", stack.SAMPLES).expect(0)
    check_equal(explain.out.count("\nCandidate  ") + explain.out.startswith("Candidate  "), len(samples),
                "one block per candidate")
    check("STATUS" in explain.out and "EARNED BY" in explain.out and "Missing" in explain.out, "explain table")
    check("from the cache" in explain.out, "cached results say so")
    both = submit(s.gateway.clients, "--explain", "--ranked", stack.SAMPLES)
    both.expect(2)


@runner.test
def errors_of_the_run_and_environment():
    s = stack.Stack(matchers=1)
    one = json.dumps({"id": "e1", "skills": ["SQL"]})
    unknown = submit(s.gateway.clients, "--job", "no-such-job", "-", input_text=one).expect(2)
    check("unknown_job" in unknown.err and "no-such-job" in unknown.err, unknown.err)
    check_equal(unknown.out, "", "nothing on stdout")
    # the gateway and the jobs from the environment
    env = {"JOBMATCH_GATEWAY": s.gateway.clients, "JOBMATCH_JOB": "%s,%s" % (DBA, JOB)}
    got = submit(None, "-", input_text=one, env=env).expect(0).json_lines()
    check_equal([r["job"] for r in got], [DBA, JOB], "jobs from JOBMATCH_JOB")
    # the command line's --job replace the variable's, repeated or comma-separated
    over = submit(None, "--job", JOB, "--job", DBA, "-", input_text=one,
                  env=dict(env, JOBMATCH_JOB="no-such-job")).expect(0).json_lines()
    check_equal([r["job"] for r in over], [JOB, DBA], "--job A --job B over JOBMATCH_JOB")
    listed = submit(None, "--job", "%s,%s" % (JOB, DBA), "-", input_text=one, env=env).expect(0).json_lines()
    check_equal([r["job"] for r in listed], [JOB, DBA], "--job A,B")
    empty = submit(None, "-", input_text=one, env=dict(env, JOBMATCH_JOB="%s,,%s" % (JOB, DBA))).expect(2)
    check("JOBMATCH_JOB" in empty.err and "empty item" in empty.err, empty.err)
    bad_env = submit(None, "-", input_text=one, env={"JOBMATCH_BATCH": "zero"}).expect(2)
    check("batch" in bad_env.err, bad_env.err)
    # nobody listening: a clear error after the retries, not a hang
    port = harness.free_port()
    started = time.monotonic()
    gone = submit("tcp://127.0.0.1:%d" % port, "--timeout-ms", 300, "--retries", 1, "-", input_text=one)
    gone.expect(2)
    check("io_error" in gone.err and "no reply" in gone.err, gone.err)
    check(time.monotonic() - started < 30, "gave up in time")
    usage = submit(s.gateway.clients, "--help")
    usage.expect(0)
    check("JOBMATCH_GATEWAY" in usage.out + usage.err and "--ranked" in usage.out + usage.err, "help")


@runner.test
def matcher_killed_during_submit():
    s = stack.Stack(matchers=2, heartbeat_ms=200, liveness=3)
    candidates = [stack.make_candidate(i, "kill") for i in range(4000)]
    path = write_lines("kill.jsonl", [json.dumps(c) for c in candidates])
    env = dict(os.environ, JOBMATCH_DATA_DIR=stack.DATA_DIR)
    out_path = os.path.join(harness.tmpdir(), "kill.out")
    with open(out_path, "w") as out:
        process = subprocess.Popen([harness.binary("jobmatch"), "submit", "--gateway", s.gateway.clients,
                                    "--batch", "20", "--window", "16", path],
                                   stdout=out, stderr=subprocess.PIPE, env=env)
        harness.wait_for(lambda: os.path.getsize(out_path) > 200000 or process.poll() is not None, 60,
                         what="the first results")
        s.matchers[0].kill()
        err = process.communicate(timeout=100)[1]
    check_equal(process.returncode, 0, "exit status (stderr %r)" % err[-300:])
    with open(out_path) as out:
        got = [json.loads(line)["candidate"] for line in out]
    check_equal(got, [c["id"] for c in candidates], "every candidate once, in order")


@runner.test
def run_stack_once_prints_the_table():
    ports = {name: str(harness.free_port()) for name in
             ("JOBMATCH_CLIENT_PORT", "JOBMATCH_WORKER_PORT", "JOBMATCH_REDIS_PORT", "JOBMATCH_DASHBOARD_PORT")}
    run_dir = os.path.join(harness.tmpdir(), "run")
    env = dict(os.environ, RUN_ONCE="1", JOBMATCH_RUN_DIR=run_dir, **ports)
    completed = subprocess.run([RUN_STACK], capture_output=True, text=True, env=env, timeout=100)
    out = completed.stdout
    check_equal(completed.returncode, 0, "exit status (output %r %r)" % (out[-500:], completed.stderr[-300:]))
    check("tcp://127.0.0.1:%s" % ports["JOBMATCH_CLIENT_PORT"] in out, "the gateway's endpoint is shown")
    rows = ranked_rows(out)
    samples = stack.sample_candidates()
    check_equal(len(rows), len(samples), "one row per sample candidate")
    check_equal(sorted(row[1] for row in rows), sorted(c["id"] for c in samples), "the sample ids")
    check([row[3] for row in rows] == sorted((row[3] for row in rows), reverse=True), "best first")
    # scorer 2.0.0: the samples state few levels (an unstated level earns 0.75), so the best is good
    check(any(row[4] in ("strong", "good") for row in rows) and any(row[4] == "weak" for row in rows), "bands vary")
    check("stopped;" in out, "says it stopped everything")
    check(os.path.exists(os.path.join(run_dir, "logs", "gateway.log")), "logs under the run dir")
    # nothing it started is left: the ports are free again
    for name in ("JOBMATCH_CLIENT_PORT", "JOBMATCH_REDIS_PORT"):
        harness.wait_for(lambda: _port_free(int(ports[name])), 10, what="port %s freed" % name)


def _port_free(port):
    import socket
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


@runner.test
def run_stack_serves_until_ctrl_c():
    ports = {name: str(harness.free_port()) for name in
             ("JOBMATCH_CLIENT_PORT", "JOBMATCH_WORKER_PORT", "JOBMATCH_REDIS_PORT", "JOBMATCH_DASHBOARD_PORT")}
    run_dir = os.path.join(harness.tmpdir(), "run-serve")
    env = dict(os.environ, JOBMATCH_RUN_DIR=run_dir, **ports)
    env.pop("RUN_ONCE", None)
    process = subprocess.Popen([RUN_STACK], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    harness.on_cleanup(lambda: process.poll() is None and process.kill())
    out = b""
    deadline = time.monotonic() + 100
    while b"Serving until Ctrl-C" not in out and time.monotonic() < deadline and process.poll() is None:
        out += process.stdout.read1(65536)
    check(b"Serving until Ctrl-C" in out, "serving: %r" % out[-300:])
    # still serving: another client is answered
    gateway = "tcp://127.0.0.1:%s" % ports["JOBMATCH_CLIENT_PORT"]
    got = submit(gateway, "-", input_text=json.dumps({"id": "late", "skills": ["Java"]})).expect(0).json_lines()
    check_equal(got[0]["candidate"], "late", "served after the table")
    process.send_signal(signal.SIGINT)
    rest = process.communicate(timeout=30)[0]
    check_equal(process.returncode, 130, "exit status after Ctrl-C")
    check(b"stopped;" in rest, "says it stopped: %r" % rest[-200:])
    for name in ("JOBMATCH_CLIENT_PORT", "JOBMATCH_REDIS_PORT"):
        harness.wait_for(lambda: _port_free(int(ports[name])), 10, what="port %s freed" % name)


if __name__ == "__main__":
    runner.main()
