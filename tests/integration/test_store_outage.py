#!/usr/bin/python3
"""Integration tests of issue 17, items 1 and 2: Redis outages longer than
the matcher's old ~2 s window lose nothing, and `jobmatch batch` knows what
was stored.  Each test starts a private redis-server, a gateway and one
matcher on free loopback ports (stack.Stack), and a few thousand candidates.

    tests/integration/test_store_outage.py [NAME-FILTER...]

  redis_paused_then_every_result_ranked   Redis stopped (SIGSTOP) 4 s mid-batch:
                                          every result and ranking entry ends
                                          in Redis, the matcher dropped no write,
                                          exit 0 only once all are stored
  redis_killed_then_resume_repairs        Redis SIGKILLed mid-batch, restarted
                                          from its AOF: not_stored > 0 and exit
                                          3; --resume stores exactly those, one
                                          record per candidate, all ranked
  bound_reached_gateway_holds_requests    a 1 MiB bound on pending writes while
                                          Redis is stopped: the matcher offers 0
                                          slots, the gateway queues, nothing is
                                          lost; the backlog drains when Redis is
                                          back and the matcher takes work again
  gateway_honours_heartbeat_slots         HEARTBEAT "slots=N" from a raw worker:
                                          0 holds requests, 1 lets one through,
                                          more than READY's disconnects
  gateway_answers_busy_past_its_queue_... and past queue-max, busy

Prints "ok NAME" or "FAIL NAME: why" per test and "N passed, N failed".
"""
import json
import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import stack  # noqa: E402
from harness import TestFailure, check, check_equal  # noqa: E402

runner = harness.Runner(timeout=300)
JOB = "backend-developer"


env, batch_argv, batch = stack.batch_env, stack.batch_argv, stack.run_batch


def path(name):
    return os.path.join(harness.tmpdir(), name)


start_batch, stderr_of, count_lines = stack.start_batch, stack.stderr_of, stack.count_lines


def write_candidates(name, count, prefix, distinct=300):
    return stack.write_candidates(path(name), count, prefix, distinct)


read_jsonl, summary_of = stack.read_jsonl, stack.read_json


def check_one_each(out_path, ids):
    """The output holds one record per candidate, in input order."""
    records = read_jsonl(out_path)
    got = [record.get("candidate") for record in records]
    check_equal(len(got), len(ids), "output records")
    check(got == ids, "one record per candidate, in order (first difference at %r)" % (
        next((i for i, (a, b) in enumerate(zip(got, ids)) if a != b), None),))
    return records


def check_all_in_redis(redis, ids):
    """Every candidate has its stored result and its entry in the job's
    ranking (of the version the results were scored for)."""
    client = redis.client()
    records = stack.read_records(client, JOB, ids)
    present = sum(record is not None for record in records.values())
    check_equal(present, len(ids), "result records in Redis")
    head = stack.stored_result(client, JOB, ids[0])
    ranked = client.zcard(stack.rank_key(JOB, head["version"]))
    check_equal(ranked, len(ids), "ZCARD of the ranking")


def check_never_dropped(matcher):
    log = matcher.log()
    check("dropp" not in log.lower(), "the matcher dropped writes: %r" % [
        line for line in log.splitlines() if "dropp" in line.lower()][:3])


def stopped(redis):
    """Redis frozen (SIGSTOP) until the with block ends (SIGCONT)."""
    class Frozen:
        def __enter__(self):
            os.kill(redis.process.pid, signal.SIGSTOP)
            harness.on_cleanup(lambda: os.kill(redis.process.pid, signal.SIGCONT))

        def __exit__(self, *exc):
            os.kill(redis.process.pid, signal.SIGCONT)
    return Frozen()


class AofRedis:
    """A private redis-server that keeps every write in its AOF (appendfsync
    always), so that a SIGKILL loses nothing Redis confirmed, and that can be
    started again on the same port and dir.  Without ACL users: Redis 7.0
    cannot load an AOF holding MULTI/EXEC (what Lua scripts write) when the
    default user is off, as docker/redis-users.acl has it (NOPERM on every
    EXEC while loading, the data lost)."""

    def __init__(self, name="redis-aof"):
        import redis as redis_module
        import tempfile
        self._module = redis_module
        self.name = name
        self.port = harness.free_port()
        self.dir = tempfile.mkdtemp(prefix="%s-%d-" % (name, self.port), dir=harness.tmpdir())
        self.url = "redis://127.0.0.1:%d" % self.port
        self.process = None
        self.start()

    def start(self, timeout=10.0):
        check(self.process is None or not self.process.alive(), "redis-server already running")
        self.process = harness.spawn(self.name, [
            "redis-server", "--port", self.port, "--bind", "127.0.0.1", "--dir", self.dir,
            "--save", "", "--appendonly", "yes", "--appendfsync", "always"])

        def ready():
            if not self.process.alive():
                raise TestFailure("redis-server exited: %s" % "\n".join(self.process.tail()))
            try:
                return self.client().ping()
            except (self._module.exceptions.ConnectionError, self._module.exceptions.BusyLoadingError):
                return False
        harness.wait_for(ready, timeout, 0.02, "redis-server to answer PING")

    def client(self):
        return self._module.Redis(host="127.0.0.1", port=self.port, decode_responses=True,
                                  socket_timeout=5)

    def url_for(self, program):
        return self.url


# --------------------------------------------------------------------------
# Tests

@runner.test
def redis_paused_then_every_result_ranked():
    total = 3000
    s = stack.Stack(matchers=1)
    in_path = write_candidates("paused.jsonl", total, "paused")
    out_path, summary_path = path("paused.out.jsonl"), path("paused.summary.json")
    ids = ["paused-%d" % n for n in range(total)]
    process = start_batch(s.gateway.clients, "--in", in_path, "--out", out_path, "--batch", 50,
                          "--window", 4, "--timeout-ms", 30000, "--summary", summary_path)
    harness.wait_for(lambda: count_lines(out_path) >= 300 or process.poll() is not None, 60, 0.01,
                     "300 results before pausing Redis")
    with stopped(s.redis):
        time.sleep(4.0)             # twice the old ~2 s window
    process.wait(120)
    err = stderr_of(process)
    summary = summary_of(summary_path)
    check(process.returncode in (0, 3), "exit 0 or 3: %d %r" % (process.returncode, err[-300:]))
    check_equal(process.returncode == 0, summary["not_stored"] == 0, "exit 0 only when all stored")
    if summary["not_stored"]:
        check(summary["complete"] is False, "not complete while some are not stored")
        check("--resume" in err, "the summary says what to do: %r" % err[-300:])
        resumed = batch(s.gateway.clients, "--in", in_path, "--out", out_path, "--resume",
                        "--summary", summary_path)
        check_equal(resumed.returncode, 0, "--resume exit status (%r)" % resumed.stderr[-400:])
        summary = summary_of(summary_path)
        check_equal(summary["not_stored"], 0, "not stored after --resume")
        check(summary["complete"] is True, "complete after --resume")
    check_one_each(out_path, ids)
    check_all_in_redis(s.redis, ids)
    s.matchers[0].wait_log("back after", 10)
    check_never_dropped(s.matchers[0])
    s.check_alive()


@runner.test
def redis_killed_then_resume_repairs():
    # enough candidates that the batch is still running when Redis is killed:
    # with summary replies 3,000 took under a second and could finish first
    total = 20000
    s = stack.Stack(matchers=0)
    s.redis.process.stop()
    s.redis = AofRedis()
    s.start_matcher()
    s.gateway.wait_workers(stack.MATCH, 1, timeout=30.0)
    in_path = write_candidates("killed.jsonl", total, "killed")
    out_path, summary_path = path("killed.out.jsonl"), path("killed.summary.json")
    ids = ["killed-%d" % n for n in range(total)]
    process = start_batch(s.gateway.clients, "--in", in_path, "--out", out_path, "--batch", 50,
                          "--window", 4, "--timeout-ms", 30000, "--summary", summary_path)
    harness.wait_for(lambda: count_lines(out_path) >= 300 or process.poll() is not None, 60, 0.01,
                     "300 results before killing Redis")
    check(process.poll() is None, "the batch was still running when Redis was killed")
    s.redis.process.kill()
    killed_at = count_lines(out_path)
    harness.wait_for(lambda: count_lines(out_path) >= killed_at + 200 or process.poll() is not None,
                     30, 0.01, "results answered while Redis is down")
    s.redis.start()
    process.wait(120)
    err = stderr_of(process)
    summary = summary_of(summary_path)
    check_equal(process.returncode, 3, "exit status with results not stored (%r)" % err[-400:])
    check(summary["not_stored"] > 0, "not_stored counted: %r" % summary)
    check(summary["complete"] is False, "not complete")
    records = check_one_each(out_path, ids)
    unstored = [r["candidate"] for r in records if r.get("stored") is False]
    check_equal(len(unstored), summary["not_stored"], "records that say stored:false")

    resumed = batch(s.gateway.clients, "--in", in_path, "--out", out_path, "--resume",
                    "--summary", summary_path)
    check_equal(resumed.returncode, 0, "--resume exit status (%r)" % resumed.stderr[-400:])
    summary = summary_of(summary_path)
    check_equal(summary["not_stored"], 0, "not stored after --resume")
    check_equal(summary["repaired"], len(unstored), "candidates repaired")
    check_equal(summary["candidates"], total, "candidates in the summary")
    check("re-submitting the %d candidates" % len(unstored) in resumed.stderr,
          "it re-submits exactly those: %r" % resumed.stderr[-400:])
    print("    %d of %d answered stored:false; --resume repaired them: %s" % (
        len(unstored), total, " | ".join(line for line in resumed.stderr.splitlines()
                                         if "stored" in line or "in " in line)), flush=True)
    repaired = check_one_each(out_path, ids)
    check(all(r.get("stored") is True for r in repaired), "every record stored now")
    # the records not repaired are byte for byte what they were
    before = {r["candidate"]: r for r in records if r.get("stored") is not False}
    check(all(before[r["candidate"]] == r for r in repaired if r["candidate"] in before),
          "records already stored are unchanged")
    check(not os.path.exists(out_path + ".repair") and not os.path.exists(out_path + ".tmp"),
          "no side files left")
    check_all_in_redis(s.redis, ids)
    check_never_dropped(s.matchers[0])
    s.check_alive()


@runner.test
def bound_reached_gateway_holds_requests():
    total = 2000
    s = stack.Stack(matchers=1, matcher_options={"redis_pending_max_mb": 1, "slots": 8})
    in_path = write_candidates("bound.jsonl", total, "bound")
    out_path, summary_path = path("bound.out.jsonl"), path("bound.summary.json")
    ids = ["bound-%d" % n for n in range(total)]
    matcher = s.matchers[0]
    with stopped(s.redis):
        process = start_batch(s.gateway.clients, "--in", in_path, "--out", out_path, "--batch", 50,
                              "--window", 4, "--timeout-ms", 60000, "--summary", summary_path)
        matcher.wait_log("taking no requests", 60)
        # the gateway knows: the matcher holds 0 slots, the rest waits there
        # (the requests it held still get their replies, "stored": false)
        def held():
            entry = s.gateway.stats()["services"][stack.MATCH]
            worker = entry["workers"][0]
            return worker["slots"] == 0 and worker["busy"] == 0 and entry["queued"] > 0
        harness.wait_for(held, 20, 0.05, "the gateway to queue requests for a matcher with 0 slots")
        time.sleep(0.5)
        written = count_lines(out_path)
        time.sleep(2.0)
        check_equal(count_lines(out_path), written, "output while the matcher takes no work")
        check(process.poll() is None, "the batch waits: %r" % stderr_of(process)[-300:])
        check(written < total, "the bound stopped the run (%d written)" % written)
        resumed_at = time.monotonic()
    matcher.wait_log("taking requests again", 60)
    drained_s = time.monotonic() - resumed_at
    process.wait(120)
    err = stderr_of(process)
    check(process.returncode in (0, 3), "exit 0 or 3: %d %r" % (process.returncode, err[-300:]))
    if process.returncode == 3:
        resumed = batch(s.gateway.clients, "--in", in_path, "--out", out_path, "--resume",
                        "--summary", summary_path)
        check_equal(resumed.returncode, 0, "--resume exit status (%r)" % resumed.stderr[-400:])
    check_one_each(out_path, ids)
    check_all_in_redis(s.redis, ids)
    check_never_dropped(matcher)
    full = re.search(r"(\d+) writes \((\d+) bytes\) wait for redis", matcher.log())
    again = re.search(r"taking requests again after ([\d.]+) s", matcher.log())
    print("    bound 1 MiB: slots went to 0 at %s bytes pending; taking work again %.1f s after Redis "
          "came back (%s s at 0 slots)" % (full.group(2) if full else "?", drained_s,
                                            again.group(1) if again else "?"), flush=True)
    s.check_alive()


@runner.test
def gateway_honours_heartbeat_slots():
    """The HEARTBEAT "slots=N" extension at the gateway, with a raw worker."""
    gateway = harness.start_gateway(heartbeat_ms=1000, liveness=3)
    raw = harness.MdpClient(gateway.workers)            # a DEALER is all a worker is
    raw.send_raw([b"", b"MDPW01", b"\x01", b"pressed", b"slots=2"])
    gateway.wait_workers("pressed")

    def next_request(timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            frames = raw.recv_raw(max(0.0, deadline - time.monotonic()))
            if frames and frames[2] == b"\x02":
                return frames
        return None

    raw.send_raw([b"", b"MDPW01", b"\x04", b"slots=0"])
    harness.wait_for(lambda: gateway.stats()["services"]["pressed"]["workers"][0]["slots"] == 0, 5,
                     0.02, "0 slots in the gateway's stats")
    client = harness.MdpClient(gateway.clients)
    client.send("pressed", "r1", b"one")
    check(next_request(0.5) is None, "no request for a worker with 0 slots")
    check_equal(gateway.stats()["services"]["pressed"]["queued"], 1, "the request waits")
    raw.send_raw([b"", b"MDPW01", b"\x04", b"slots=1"])
    request = next_request(2.0)
    check(request is not None and request[-1] == b"one", "dispatched once a slot is offered")
    client.send("pressed", "r2", b"two")
    check(next_request(0.5) is None, "1 slot, 1 held: no second request")
    raw.send_raw([b"", b"MDPW01", b"\x03", request[3], b"", b"done"])
    check_equal(client.recv()[1:], (b"r1", b"done"), "the reply")
    second = next_request(2.0)
    check(second is not None and second[-1] == b"two", "the reply freed the slot")
    # more slots than READY said: disconnected, its request dispatched again
    raw.send_raw([b"", b"MDPW01", b"\x04", b"slots=3"])
    deadline = time.monotonic() + 2.0
    frames = None
    while time.monotonic() < deadline and frames != [b"", b"MDPW01", b"\x05"]:
        frames = raw.recv_raw(max(0.0, deadline - time.monotonic()))
    check_equal(frames, [b"", b"MDPW01", b"\x05"], "DISCONNECT for slots above READY's")
    check(gateway.process.alive(), "gateway alive")


@runner.test
def gateway_answers_busy_past_its_queue_for_a_full_worker():
    gateway = harness.start_gateway(queue_max=2)
    raw = harness.MdpClient(gateway.workers)
    raw.send_raw([b"", b"MDPW01", b"\x01", b"pressed", b"slots=4"])
    gateway.wait_workers("pressed")
    raw.send_raw([b"", b"MDPW01", b"\x04", b"slots=0"])
    harness.wait_for(lambda: gateway.stats()["services"]["pressed"]["workers"][0]["slots"] == 0, 5,
                     0.02, "0 slots in the gateway's stats")
    client = harness.MdpClient(gateway.clients)
    for index in range(3):
        client.send("pressed", "r%d" % index, b"x")
    service, request_id, body = client.recv(2.0)
    check_equal(request_id, b"r2", "the request past the queue is answered")
    check_equal(harness.error_code(body), "busy", "answered busy")


if __name__ == "__main__":
    runner.main()
