#!/usr/bin/python3
"""Dead matchers noticed at once (issue 17, item 4): the gateway removes a
worker as soon as its TCP connection closes (a socket monitor on the
workers socket) or stays silent for peer-timeout-ms (ZeroMQ's own
heartbeat, answered by the peer's I/O thread), and re-dispatches what it
held, instead of waiting for heartbeat-ms x liveness of missed heartbeats.
Real redis-server, jobmatch-gateway and jobmatch-matcher processes on free
loopback ports (stack.Stack).

    tests/integration/test_worker_death.py [NAME-FILTER...]

Covers a matcher SIGKILLed while it holds requests (noticed in well under
its 3 s heartbeat expiry, its requests answered by the other matcher, no
worker_lost; over CURVE too), a matcher SIGSTOPped (its connection silent:
noticed after peer-timeout-ms, back once it continues), a kill storm under
`jobmatch batch` (every candidate once, exit 0, no worker_lost; the rates
with and without the storm are printed, not asserted: JM_STORM_CANDIDATES,
JM_STORM_PERIOD_S and JM_STORM_ARGS, the batch's options, change it), workers dying right after their
READY (nothing left registered, the live worker undisturbed), and a stock
7/MDP worker with 2,500 ms heartbeats staying registered next to frequent
ZeroMQ heartbeats.  Prints "ok NAME" or "FAIL NAME: why" per test and
"N passed, N failed".
"""
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import stack  # noqa: E402
from harness import TestFailure, check, check_equal  # noqa: E402
from mdp_stock import StockReqClient, StockWorkerThread  # noqa: E402

runner = harness.Runner(timeout=180)
JOB = "backend-developer"


def matchers_registered(st):
    entry = st.gateway.stats()["services"].get(stack.MATCH)
    return len(entry["workers"]) if entry else 0


def path(name):
    return os.path.join(harness.tmpdir(), name)


def write_candidates(name, count, prefix, distinct=300):
    """count candidates as JSON lines, ids "<prefix>-<n>"."""
    base = [stack.make_candidate(index, prefix) for index in range(min(count, distinct))]
    file_path = path(name)
    with open(file_path, "w") as out:
        for index in range(count):
            candidate = dict(base[index % len(base)])
            candidate["id"] = "%s-%d" % (prefix, index)
            out.write(json.dumps(candidate) + "\n")
    return file_path


def batch_env():
    env = dict(os.environ, JOBMATCH_DATA_DIR=stack.DATA_DIR)
    for name in ("JOBMATCH_GATEWAY", "JOBMATCH_TIMEOUT_MS", "JOBMATCH_WINDOW", "JOBMATCH_BATCH"):
        env.pop(name, None)
    return env


def start_batch(gateway, in_path, out_path, summary_path, *args):
    """jobmatch batch in the background, stderr to a file."""
    argv = [harness.binary("jobmatch"), "batch", "--gateway", gateway, "--in", in_path,
            "--out", out_path, "--summary", summary_path, "--nice", "0"] + [str(a) for a in args]
    err = open(out_path + ".err", "w")
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, env=batch_env())
    harness.on_cleanup(lambda: process.poll() is None and process.kill())
    return process


def check_every_candidate_once(out_path, prefix, count):
    with open(out_path) as data:
        records = [json.loads(line) for line in data]
    got = [record.get("candidate") for record in records]
    want = ["%s-%d" % (prefix, index) for index in range(count)]
    if got != want:
        seen = set()
        duplicated = [entry for entry in got if entry in seen or seen.add(entry)]
        missing = [entry for entry in want if entry not in seen]
        raise TestFailure("%d records for %d candidates: %d duplicated (first %r), %d missing "
                          "(first %r)" % (len(got), count, len(duplicated), duplicated[:3],
                                          len(missing), missing[:3]))
    errors = [record for record in records if "error" in record]
    check(not errors, "%d error records (first %r)" % (len(errors), errors[:1]))


# --------------------------------------------------------------------------
# Tests

@runner.test
def killed_matcher_is_noticed_at_once_and_its_requests_answered():
    # heartbeats of 1000 ms x 3: by heartbeats alone the dead matcher would
    # stay registered for 3 s and what it held would wait that long
    st = stack.Stack(matchers=2, heartbeat_ms=1000, liveness=3)
    count = 3000
    bodies = [stack.body(stack.make_candidate(index, "dead")) for index in range(count)]
    seen = {}
    watcher = harness.MdpClient(st.gateway.clients)

    def on_reply(answered):
        if answered != 600:
            return
        st.matchers[0].kill()                   # SIGKILL while it holds requests
        killed_at = time.monotonic()
        while True:
            stats = json.loads(watcher.request("jobmatch.stats", b"", timeout=2.0))
            if stats["services"][stack.MATCH]["workers"] and \
                    len(stats["services"][stack.MATCH]["workers"]) == 1:
                break
            if time.monotonic() - killed_at > 10.0:
                raise TestFailure("the killed matcher is still registered after 10 s")
            time.sleep(0.005)
        seen["noticed"] = time.monotonic() - killed_at
    run = stack.stream(st.client(), bodies, inflight=256, prefix="dead", on_reply=on_reply,
                       linger=0.5)
    check("noticed" in seen, "the matcher was never killed")
    run.check_exactly_once()
    for index, reply in enumerate(run.bodies()):
        check(reply.get("ok") is True, "reply %d is an error: %r" % (index, reply))
    stats = st.gateway.stats()
    check_equal(stats["errors"]["worker_lost"], 0, "worker_lost errors")
    check(stats["workers_disconnected"] >= 1, "noticed by its closed connection: %r" % {
        key: stats[key] for key in ("workers_expired", "workers_disconnected")})
    check(stats["redispatches"] >= 1, "the killed matcher held no request")
    log = st.gateway.process.log()
    line = next((entry for entry in log.splitlines()
                 if "lost its connection" in entry and stack.MATCH in entry), "")
    check(line, "the gateway logged the lost connection")
    print("    killed matcher noticed after %.0f ms (gateway: %s)" % (
        seen["noticed"] * 1000, line.split("worker ", 1)[-1][:140]))
    # well under the 3 s the heartbeats would take; ~ms on loopback
    check(seen["noticed"] < 1.0, "noticed only after %.2f s" % seen["noticed"])
    st.check_alive(st.gateway.process, st.matchers[1])


@runner.test
def stopped_matcher_is_noticed_by_zeromq_heartbeats_and_comes_back():
    # SIGSTOP: the connection stays open and silent, as when a host vanishes
    st = stack.Stack(matchers=2, heartbeat_ms=1000, liveness=3, peer_timeout_ms=400)
    frozen = st.matchers[0]
    frozen.popen.send_signal(signal.SIGSTOP)
    stopped_at = time.monotonic()
    try:
        harness.wait_for(lambda: matchers_registered(st) == 1, 5.0, 0.01,
                         "the stopped matcher removed")
        noticed = time.monotonic() - stopped_at
        # it is answered meanwhile by the other matcher
        reply = st.match({"candidate": stack.make_candidate(1, "frozen")}, timeout=10.0)
        check(reply.get("ok") is True, "a request while one matcher is stopped: %r" % reply)
    finally:
        frozen.popen.send_signal(signal.SIGCONT)
    harness.wait_for(lambda: matchers_registered(st) == 2, 10.0, 0.05,
                     "the matcher registered again after SIGCONT")
    stats = st.gateway.stats()
    check(stats["workers_disconnected"] >= 1, "noticed by its connection: %r" % {
        key: stats[key] for key in ("workers_expired", "workers_disconnected")})
    print("    stopped matcher noticed after %.0f ms (peer-timeout-ms 400, heartbeats "
          "1000 ms x 3)" % (noticed * 1000))
    check(noticed < 2.5, "noticed only after %.2f s" % noticed)
    st.check_alive()


@runner.test
def killed_matcher_is_noticed_at_once_over_curve():
    import test_curve
    keys = test_curve.Keys()
    _, worker_secret = keys.new("matcher-1", "workers")
    redis = harness.start_redis()
    gateway = test_curve.CurveGateway(keys, heartbeat_ms=1000, liveness=3)
    doomed = test_curve.start_matcher(gateway, redis, worker_secret, "matcher-doomed")
    test_curve.start_matcher(gateway, redis, worker_secret, "matcher-spare")
    gateway.wait_workers(stack.MATCH, 2, timeout=30.0)
    doomed.kill()
    killed_at = time.monotonic()
    harness.wait_for(lambda: len(gateway.stats()["services"][stack.MATCH]["workers"]) == 1,
                     5.0, 0.005, "the killed matcher removed")
    noticed = time.monotonic() - killed_at
    stats = gateway.stats()
    check(stats["workers_disconnected"] >= 1, "noticed by its closed connection: %r" % {
        key: stats[key] for key in ("workers_expired", "workers_disconnected")})
    print("    killed matcher noticed after %.0f ms over CURVE" % (noticed * 1000))
    check(noticed < 1.0, "noticed only after %.2f s" % noticed)


@runner.test
def kill_storm_under_a_batch_keeps_every_candidate_once():
    count = int(os.environ.get("JM_STORM_CANDIDATES", "20000"))
    period = float(os.environ.get("JM_STORM_PERIOD_S", "0.3"))
    st = stack.Stack(matchers=2, heartbeat_ms=1000, liveness=3)
    args = os.environ.get("JM_STORM_ARGS", "--batch 25 --window 16 --timeout-ms 10000").split()
    # undisturbed
    calm_in = write_candidates("calm.jsonl", count, "calm")
    started = time.monotonic()
    calm = start_batch(st.gateway.clients, calm_in, path("calm.out.jsonl"),
                       path("calm.summary.json"), *args)
    check_equal(calm.wait(120), 0, "undisturbed batch exit status")
    calm_rate = count / (time.monotonic() - started)
    check_every_candidate_once(path("calm.out.jsonl"), "calm", count)
    # the storm: every period, SIGKILL the older matcher and start a new one
    storm_in = write_candidates("storm.jsonl", count, "storm")
    started = time.monotonic()
    storm = start_batch(st.gateway.clients, storm_in, path("storm.out.jsonl"),
                        path("storm.summary.json"), *args)
    # A kill waits until the matcher started by the one before has registered:
    # on a loaded machine a matcher can take longer than the period to start,
    # and killing the one serving matcher over and over would lose a request
    # to max-attempts kills (worker_lost, as the protocol says) however fast
    # deaths are noticed.
    kills = deferred = 0
    next_kill = started + period
    while storm.poll() is None and time.monotonic() - started < 150:
        if time.monotonic() < next_kill:
            time.sleep(0.01)
            continue
        if matchers_registered(st) < 2:
            deferred += 1
            next_kill = time.monotonic() + 0.02
            continue
        live = [process for process in st.matchers if process.alive()]
        live[0].kill()
        kills += 1
        st.start_matcher()
        next_kill = time.monotonic() + period
    elapsed = time.monotonic() - started
    check(storm.poll() is not None, "the storm batch did not finish in 150 s")
    with open(path("storm.out.jsonl") + ".err") as err:
        stderr = err.read()
    check_equal(storm.returncode, 0, "storm batch exit status (stderr %r)" % stderr[-400:])
    check_every_candidate_once(path("storm.out.jsonl"), "storm", count)
    with open(path("storm.summary.json")) as data:
        summary = json.load(data)
    check(summary["complete"] is True, "summary complete: %r" % summary)
    stats = st.gateway.stats()
    check_equal(stats["errors"]["worker_lost"], 0, "worker_lost errors")
    storm_rate = count / elapsed
    print("    %d candidates: undisturbed %.0f/s; %d matcher SIGKILLs every %.1f s: %.0f/s "
          "(%.0f%%), %d removed on their closed connection, %d requests re-dispatched, "
          "%d kills deferred 20 ms for a starting matcher" % (
              count, calm_rate, kills, period, storm_rate, 100.0 * storm_rate / calm_rate,
              stats["workers_disconnected"], stats["redispatches"], deferred))
    check(kills >= 2, "only %d kills during the batch: make it longer (JM_STORM_CANDIDATES)"
          % kills)


@runner.test
def workers_dying_right_after_ready_leave_nothing_registered():
    # READY then gone: the READY may be read before or after the monitor
    # reports the closed connection, and the next connection may reuse the
    # descriptor; neither a stale READY nor a reused descriptor may leave a
    # dead worker registered or remove the live one
    import zmq
    gateway = harness.start_gateway(heartbeat_ms=1000, liveness=3)
    live = harness.WorkerThread(gateway.workers, "churn", lambda body: b"live:" + body,
                                heartbeat_ms=1000)
    gateway.wait_workers("churn")
    for round_ in range(60):
        sock = harness.context().socket(zmq.DEALER)
        sock.connect(gateway.workers)
        sock.send_multipart([b"", harness.MDPW, b"\x01", b"churn", b"heartbeat=1000"])
        if round_ % 3 == 0:
            time.sleep(0.01)                # sometimes registered before it dies
        sock.close(linger=200)              # the READY leaves, then the connection closes
    harness.wait_for(lambda: len(gateway.stats()["services"]["churn"]["workers"]) == 1, 2.0,
                     0.02, "only the live worker registered")
    client = harness.MdpClient(gateway.clients)
    for index in range(20):
        reply = client.request("churn", b"r%d" % index, timeout=5.0)
        check_equal(reply, b"live:r%d" % index, "reply %d" % index)
    stats = gateway.stats()
    check_equal(len(stats["services"]["churn"]["workers"]), 1, "workers registered")
    check_equal(live.worker.reconnects, 0, "times the live worker had to reconnect")
    print("    60 workers gone right after READY: %d joined and removed on their closed "
          "connection, %d READYs read after it closed" % (stats["workers_disconnected"],
                                                          stats["stale_ready"]))
    check_equal(stats["workers_joined"] - 1, stats["workers_disconnected"],
                "every worker that joined and died was removed by its connection")
    check_equal(stats["workers_joined"] - 1 + stats["stale_ready"], 60,
                "every dead worker's READY was registered then removed, or dropped")


@runner.test
def stock_worker_with_slow_heartbeats_stays_registered():
    # frequent ZeroMQ heartbeats (a PING every 75 ms, 300 ms to answer)
    # next to a stock worker's 2,500 ms MDP heartbeats
    gateway = harness.start_gateway(heartbeat_ms=200, liveness=3, peer_timeout_ms=300)
    worker = StockWorkerThread(gateway.workers, b"steady", lambda frames: [b"w"] + frames)
    harness.on_cleanup(lambda: worker.thread.is_alive() and worker.stop())
    gateway.wait_workers("steady")
    client = StockReqClient(gateway.clients, timeout=5.0, retries=1, context=harness.context())
    harness.on_cleanup(client.close)
    started = time.monotonic()
    rounds = 0
    while time.monotonic() - started < 7.0:
        check_equal(client.request(b"steady", [b"r%d" % rounds]), [b"w", b"r%d" % rounds],
                    "request after %.1f s" % (time.monotonic() - started))
        rounds += 1
        time.sleep(0.5)
    stats = gateway.stats()
    check_equal(stats["workers_expired"], 0, "workers expired")
    check_equal(stats["workers_joined"], 1, "workers joined")
    check_equal(worker.worker.connections, 1, "READYs the stock worker sent")
    check_equal(worker.worker.disconnects_received, 0, "DISCONNECTs the stock worker got")


if __name__ == "__main__":
    runner.main()
