#!/usr/bin/python3
"""Integration tests for several gateways (issue 16, item 6): two gateways,
two matchers each connected to both, and clients given both endpoints.

    tests/integration/test_gateways.py [NAME-FILTER...]

The main test kills one of the two gateways with SIGKILL in the middle of
a `jobmatch batch` of several thousand candidates: the batch finishes on
the other, every candidate has exactly one output line, and its result and
ranking entry are in Redis.  Others: the dashboard and the CLI's one-shot
commands and the Python client keep answering when a gateway dies; the
matcher shares its slots among its gateways, gives them all to the one left,
and shares them again when the other comes back (and clients use it again);
bad gateway lists are refused with a clear error.
Prints "ok NAME" or "FAIL NAME: why" per test and "N passed, N failed".
"""
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
import harness  # noqa: E402
import stack  # noqa: E402
from harness import check, check_equal  # noqa: E402

runner = harness.Runner(timeout=300)
JOB = "backend-developer"


def path(name):
    return os.path.join(harness.tmpdir(), name)


start_batch, stderr_of = stack.start_batch, stack.stderr_of


def check_stored(redis, ids, job=JOB):
    """Every candidate has its result and its ranking entry in Redis."""
    records = stack.read_records(redis, job, ids)
    missing = [c for c in ids if records[c] is None]
    check(not missing, "%d results missing in Redis (first %r)" % (len(missing), missing[:3]))
    version = records[ids[0]]["version"]
    rank = stack.rank_key(job, version)
    pipe = redis.pipeline(transaction=False)
    for candidate in ids:
        pipe.zscore(rank, candidate)
    scores = pipe.execute()
    unranked = [c for c, v in zip(ids, scores) if v is None]
    check(not unranked, "%d candidates missing from %s (first %r)" % (len(unranked), rank,
                                                                       unranked[:3]))


@runner.test
def kill_one_of_two_gateways_mid_batch():
    total = 20000
    s = stack.Stack(matchers=2, gateways=2, heartbeat_ms=250, liveness=3)
    in_path = stack.write_candidates(path("gw.jsonl"), total, "gw")
    out_path, summary_path = path("gw.out.jsonl"), path("gw.summary.json")
    # --batch 20: many requests, so that some are in flight on the gateway killed
    process = start_batch(s.clients, "--in", in_path, "--out", out_path, "--job", JOB,
                          "--batch", 20, "--timeout-ms", 30000, "--summary", summary_path)
    harness.wait_for(lambda: stack.count_lines(out_path) >= 2000 or process.poll() is not None, 120,
                     0.02, "2,000 results before killing a gateway")
    check(process.poll() is None, "the run is still going: %s" % stderr_of(process)[-300:])
    served = [gateway.stats()["requests"] for gateway in s.gateways]
    check(all(count > 10 for count in served), "both gateways carried requests: %r" % served)
    s.gateways[0].process.kill()                # SIGKILL, mid-batch
    killed_at = stack.count_lines(out_path)
    started = time.monotonic()
    process.wait(240)
    took = time.monotonic() - started
    err = stderr_of(process)
    check_equal(process.returncode, 0, "batch exit status (stderr %r)" % err[-400:])
    check(killed_at < total, "the gateway died mid-batch (%d of %d lines)" % (killed_at, total))
    records = stack.read_jsonl(out_path)
    ids = ["gw-%d" % n for n in range(total)]
    check_equal(len(records), total, "output lines")
    check_equal([r.get("candidate") for r in records], ids, "each candidate once, in order")
    check(all("score" in r and r.get("job") == JOB for r in records), "every line a result")
    summary = stack.read_json(summary_path)
    check(summary["complete"] is True, "complete")
    run = summary["this_run"]
    check(run["failovers"] > 0, "requests failed over to the other gateway: %r" % run)
    # a failover waits for no timeout: far less than --timeout-ms
    check(run["timeouts"] == 0, "no request waited for its timeout: %r" % run)
    print("    killed at %d of %d lines; the rest took %.1f s; %r" % (killed_at, total, took, run))
    check_stored(s.redis.client(), ids)
    s.check_alive(s.gateways[1].process, *s.matchers)


@runner.test
def dashboard_keeps_answering_when_a_gateway_dies():
    from dashstack import Dashboard
    s = stack.Stack(matchers=2, gateways=2, heartbeat_ms=250, liveness=3)
    dashboard = Dashboard(s, gateway=s.clients)
    candidates = stack.sample_candidates()

    def match():
        response = dashboard.request("POST", "/api/v1/match",
                                     {"candidates": candidates, "jobs": [JOB]}, timeout=20)
        check_equal(response.status, 200, "match status (%r)" % response.raw[:200])
        check_equal(len(response.json()["results"]), len(candidates), "results")

    for _ in range(6):
        match()
    served = [gateway.stats()["requests"] for gateway in s.gateways]
    check(all(count > 0 for count in served), "both gateways carried requests: %r" % served)
    s.gateways[0].process.kill()
    started = time.monotonic()
    for _ in range(10):
        match()
    took = time.monotonic() - started
    check(took < 15, "10 requests after the kill in %.1f s" % took)
    ready = dashboard.get("/readyz", auth=False)
    check_equal(ready.status, 200, "/readyz with one gateway of two (%r)" % ready.raw[:300])
    check("jobmatch_dashboard_gateway_failovers_total" in dashboard.get("/metrics").raw.decode(),
          "/metrics counts failovers")


@runner.test
def cli_asks_the_other_gateway():
    s = stack.Stack(matchers=1, gateways=2)
    env = stack.batch_env()

    def jobs_list(repeated=False):
        # --gateway A,B, or the option repeated: --gateway A --gateway B
        gateways = [arg for endpoint in s.clients.split(",") for arg in ("--gateway", endpoint)] \
            if repeated else ["--gateway", s.clients]
        return subprocess.run([harness.binary("jobmatch"), "jobs", "list"] + gateways + ["--timeout-ms", "5000"],
                              capture_output=True, text=True, env=env, timeout=30)
    first = jobs_list()
    check_equal(first.returncode, 0, "jobs list (stderr %r)" % first.stderr[-300:])
    s.gateways[0].process.kill()
    for attempt in range(4):    # whichever gateway comes first, the answer comes
        started = time.monotonic()
        again = jobs_list(repeated=attempt % 2 == 1)
        check_equal(again.returncode, 0, "jobs list with one gateway dead (%r)" % again.stderr[-300:])
        check(time.monotonic() - started < 4, "answered without waiting for a timeout")
        check_equal(again.stdout, first.stdout, "the same jobs")


@runner.test
def python_client_fails_over_requests_in_flight():
    sys.path.insert(0, os.path.join(harness.ROOT, "proto", "examples"))
    from client import JobmatchClient
    s = stack.Stack(matchers=2, gateways=2)
    candidates = [stack.make_candidate(n, "py") for n in range(200)]
    with JobmatchClient(s.clients, timeout=20) as jobmatch:
        check_equal(len(jobmatch.submit(candidates[:10], jobs=[JOB])), 10, "results before")
        # 20 requests of 10 in flight, spread over both gateways; one dies under them
        ids = {jobmatch.send(stack.MATCH, {"candidates": candidates[n * 10:n * 10 + 10],
                                          "jobs": [JOB]}): n for n in range(20)}
        s.gateways[0].process.kill()
        answered = {}
        while len(answered) < len(ids):
            got = jobmatch.recv(20)
            check(got is not None, "every request answered (%d of %d)" % (len(answered), len(ids)))
            check(got[0] not in answered, "one reply per request")
            check(got[1].get("ok") is True, "ok: %r" % str(got[1])[:200])
            answered[got[0]] = [r["candidate"] for r in got[1]["results"]]
        for request_id, n in ids.items():
            check_equal(answered[request_id], [c["id"] for c in candidates[n * 10:n * 10 + 10]],
                        "the results of request %d" % n)
        check_equal(len(jobmatch.submit(candidates[:30], jobs=[JOB])), 30, "results after")
    out = subprocess.run([sys.executable, os.path.join(harness.ROOT, "proto", "examples", "client.py"),
                          "--gateway", s.clients, "jobs"], capture_output=True, text=True, timeout=30)
    check_equal(out.returncode, 0, "client.py jobs with one gateway dead (stderr %r)" % out.stderr)
    bad = subprocess.run([sys.executable, os.path.join(harness.ROOT, "proto", "examples", "client.py"),
                          "--gateway", "tcp://127.0.0.1:1,", "jobs"], capture_output=True, text=True,
                         timeout=30)
    check(bad.returncode == 2 and "gateway" in bad.stderr, "a bad list refused: %r" % bad.stderr)


@runner.test
def matcher_shares_its_slots_between_gateways():
    s = stack.Stack(matchers=1, gateways=2, heartbeat_ms=250, liveness=3,
                    matcher_options={"slots": 64})

    def slots(gateway):
        workers = gateway.stats()["services"][stack.MATCH]["workers"]
        return sum(worker.get("slots_now", worker.get("slots", 0)) for worker in workers)
    harness.wait_for(lambda: slots(s.gateways[0]) == 32 and slots(s.gateways[1]) == 32, 10, 0.05,
                     "32 slots offered to each gateway")
    s.gateways[1].process.kill()
    harness.wait_for(lambda: slots(s.gateways[0]) == 64, 10, 0.05,
                     "all 64 slots to the gateway left (%r)" % s.gateways[0].stats()["services"])
    # the gateway back on the same endpoints: the matcher registers again, the
    # slots are shared again, and clients given both use it again
    back = s.gateways[1]
    back.process = harness.spawn("gateway-2-again", [
        harness.binary("jobmatch-gateway"), "--clients", back.clients, "--workers", back.workers,
        "--heartbeat-ms", 250, "--liveness", 3])
    back.wait_ready(10)
    harness.wait_for(lambda: slots(s.gateways[0]) == 32 and slots(back) == 32, 15, 0.05,
                     "32 slots to each gateway again")
    done = stack.run_batch(s.clients, "--in", stack.write_candidates(path("back.jsonl"), 400, "back"),
                           "--out", path("back.out.jsonl"), "--batch", 10, "--job", JOB)
    check_equal(done.returncode, 0, "batch over both (stderr %r)" % done.stderr[-300:])
    check(back.stats()["requests"] > 3, "the gateway back carried requests: %r" % back.stats()["requests"])


@runner.test
def bad_gateway_lists_are_refused():
    matcher = harness.binary("jobmatch-matcher")
    cases = [
        ("tcp://127.0.0.1:5571,", "gateway 2 of the list is empty"),
        ("tcp://127.0.0.1:5571,tcp://nowhere", "gateway 2 of the list"),
        ("tcp://127.0.0.1:99999", "port 1 to 65535"),
        (",".join(["tcp://127.0.0.1:%d" % (5000 + n) for n in range(9)]), "more than 8 gateways"),
    ]
    for value, text in cases:
        out = subprocess.run([matcher, "--gateway", value, "--data", stack.DATA_DIR, "--redis",
                              "redis://127.0.0.1:1/0"], capture_output=True, text=True, timeout=20)
        check(out.returncode != 0, "%r refused (exit %d)" % (value, out.returncode))
        check(text in out.stderr, "%r: the error says %r: %r" % (value, text, out.stderr[-300:]))
    batch = subprocess.run(stack.batch_argv("tcp://127.0.0.1:5570,ftp://x", "--in", "/dev/null",
                                            "--out", path("never.jsonl")),
                           capture_output=True, text=True, env=stack.batch_env(), timeout=20)
    check_equal(batch.returncode, 2, "batch refuses a bad list (stderr %r)" % batch.stderr[-300:])
    check("gateway 2 of the list" in batch.stderr, "batch names the entry: %r" % batch.stderr)


if __name__ == "__main__":
    runner.main()
