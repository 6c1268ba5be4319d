#!/usr/bin/python3
"""Integration tests for jobmatch-gateway: the real binary on free loopback
ports, with Python 7/MDP workers and clients written from the spec (so they
also test compatibility with third-party Majordomo peers).

    tests/integration/test_gateway.py [NAME-FILTER...]
"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, check_equal, error_code, MdpClient, WorkerThread  # noqa: E402

runner = harness.Runner(timeout=30)

FAST = dict(heartbeat_ms=100, liveness=5)      # workers lost after ~500 ms


def echo(body):
    return b"echo:" + body


def hold(body):
    return None


def recv_command(raw, timeout=1.0):
    """The next message a raw worker gets that is not a HEARTBEAT."""
    deadline = time.monotonic() + timeout
    while True:
        frames = raw.recv_raw(max(0.0, deadline - time.monotonic()))
        if frames != [b"", b"MDPW01", b"\x04"]:
            return frames


@runner.test
def round_trip_dealer_and_req():
    gateway = harness.start_gateway()
    WorkerThread(gateway.workers, "echo", echo)
    gateway.wait_workers("echo")
    client = MdpClient(gateway.clients)
    client.send("echo", "id-1", b'{"candidate": 1}')
    service, request_id, body = client.recv()
    check_equal((service, request_id, body), (b"echo", b"id-1", b'echo:{"candidate": 1}'))

    req = MdpClient(gateway.clients, req=True)
    for index in range(20):
        req.send("echo", "req-%d" % index, b"x%d" % index)
        check_equal(req.recv(), (b"echo", b"req-%d" % index, b"echo:x%d" % index))


@runner.test
def many_in_flight_each_answered_once():
    gateway = harness.start_gateway()
    first = WorkerThread(gateway.workers, "echo", echo, slots=4)
    second = WorkerThread(gateway.workers, "echo", echo, slots=4)
    gateway.wait_workers("echo", 2)

    count = 500
    client = MdpClient(gateway.clients)
    for index in range(count):
        client.send("echo", "r%d" % index, b"b%d" % index)
    seen = {}
    for _ in range(count):
        service, request_id, body = client.recv(5.0)
        check(request_id not in seen, "request-id %r answered twice" % request_id)
        seen[request_id] = body
    check_equal(len(seen), count, "distinct replies")
    for index in range(count):
        check_equal(seen[b"r%d" % index], b"echo:b%d" % index, "reply to r%d" % index)
    check(client.recv_raw(0.2) is None, "an extra reply arrived")
    # Both workers took part (turns among workers with free slots)
    check(min(first.received, second.received) > count // 5,
          "load not shared: %d / %d" % (first.received, second.received))

    # 50 REQ clients, each with a request in flight at the same time
    reqs = [MdpClient(gateway.clients, req=True) for _ in range(50)]
    for index, req in enumerate(reqs):
        req.send("echo", "q%d" % index, b"%d" % index)
    for index, req in enumerate(reqs):
        check_equal(req.recv(5.0), (b"echo", b"q%d" % index, b"echo:%d" % index))


@runner.test
def mmi_service_and_unknown_mmi():
    gateway = harness.start_gateway()
    WorkerThread(gateway.workers, "echo", echo)
    gateway.wait_workers("echo")
    client = MdpClient(gateway.clients)
    check_equal(client.request("mmi.service", b"echo"), b"200")
    check_equal(client.request("mmi.service", b"nobody"), b"404")
    check_equal(client.request("mmi.whatever", b""), b"501")
    req = MdpClient(gateway.clients, req=True)
    check_equal(req.request("mmi.service", b"echo"), b"200")


@runner.test
def no_workers_after_the_wait():
    gateway = harness.start_gateway(no_worker_wait_ms=300)
    client = MdpClient(gateway.clients)
    started = time.monotonic()
    body = client.request("nobody", b"{}", timeout=3.0)
    elapsed = time.monotonic() - started
    check_equal(error_code(body), "no_workers")
    check(0.25 <= elapsed < 1.5, "answered after %.3fs, want about 0.3s" % elapsed)

    # A worker that turns up within the wait gets the request
    client.send("late", "w1", b"{}")
    time.sleep(0.1)
    WorkerThread(gateway.workers, "late", echo)
    check_equal(client.recv(2.0), (b"late", b"w1", b"echo:{}"))

    # A service whose workers all left: the same wait, then no_workers
    leaving = WorkerThread(gateway.workers, "brief", echo)
    gateway.wait_workers("brief")
    leaving.stop()
    harness.wait_for(lambda: not gateway.has_workers("brief"), 2.0, what="worker to leave")
    check_equal(error_code(client.request("brief", b"{}", timeout=2.0)), "no_workers")


@runner.test
def busy_when_the_queue_is_full():
    gateway = harness.start_gateway(queue_max=5)
    worker = WorkerThread(gateway.workers, "slow", hold)
    gateway.wait_workers("slow")
    client = MdpClient(gateway.clients)
    for index in range(10):
        client.send("slow", "s%d" % index, b"{}")
    busy = []
    started = time.monotonic()
    for _ in range(5):
        _, request_id, body = client.recv(2.0)
        check_equal(error_code(body), "busy", "reply to %r" % request_id)
        busy.append(request_id)
    check(time.monotonic() - started < 1.0, "busy replies were not immediate")
    check_equal(sorted(busy), sorted(b"s%d" % index for index in range(5, 10)), "busy ids")
    stats = gateway.stats()
    check_equal((stats["queue_depth"], stats["in_flight"]), (4, 1), "queued, in flight")
    check_equal(stats["errors"]["busy"], 5, "busy count")

    # Once the worker answers, the queue drains and memory is returned
    worker.handler = echo
    worker.release()
    answered = sorted(client.recv(2.0)[1] for _ in range(5))
    check_equal(answered, sorted(b"s%d" % index for index in range(5)), "answered ids")
    stats = gateway.stats()
    check_equal((stats["queue_depth"], stats["in_flight"]), (0, 0), "queued, in flight")
    check_equal(error_code(client.request("slow", b"{}")), None)


@runner.test
def too_large_body():
    gateway = harness.start_gateway()
    worker = WorkerThread(gateway.workers, "echo", echo)
    gateway.wait_workers("echo")
    client = MdpClient(gateway.clients)
    body = client.request("echo", b"x" * (10 * 1024 * 1024), timeout=5.0)
    check_equal(error_code(body), "too_large")
    check_equal(worker.received, 0, "requests the worker saw")
    # Just under the limit passes
    body = client.request("echo", b"y" * (8 * 1024 * 1024 - 16), timeout=5.0)
    check_equal(len(body), 8 * 1024 * 1024 - 16 + 5, "reply size")


@runner.test
def malformed_client_frames():
    gateway = harness.start_gateway()
    WorkerThread(gateway.workers, "echo", echo)
    gateway.wait_workers("echo")
    raw = MdpClient(gateway.clients)
    MDPC = b"MDPC01"
    # (frames sent by a DEALER, expected envelope of the reply or None for a
    # drop, words in the message)
    cases = [
        ([b"id-a", b"", b"MDPC02", b"echo", b"{}"], [b"id-a"], "protocol header"),
        ([b"id-h", b"", b"MDPW01", b"\x01", b"echo"], [b"id-h"], "protocol header"),
        ([MDPC, b"echo", b"{}"], [], "delimiter"),
        ([b"id-c", b"", MDPC, b"echo"], [b"id-c"], "missing the body"),
        ([b"id-e", b"", MDPC, b"", b"{}"], [b"id-e"], "service name is empty"),
        ([b"id-g", b"", MDPC, b"a b\n", b"{}"], [b"id-g"], "printable ASCII"),
        ([b"id-i", b"", MDPC], [b"id-i"], "missing the service"),
        ([b"id-j", b""], [b"id-j"], "missing the 'MDPC01'"),
        ([b""], [], "missing the 'MDPC01'"),
        ([b"hop", b"id-k", b"", MDPC, b"echo"] + [b"x"] * 65, [b"hop", b"id-k"], "more than 64"),
        ([b"garbage"], None, None),
        ([b"i" * 256, b"", MDPC, b"echo", b"{}"], None, None),     # envelope frame too big
        ([b"e"] * 9 + [b"", MDPC, b"echo", b"{}"], None, None),   # envelope too long
        ([b"\xff" * 40, MDPC, b"echo", b"id-f", b"{}"], None, None),
    ]
    for frames, want_envelope, words in cases:
        raw.send_raw(frames)
        reply = raw.recv_raw(0.3 if want_envelope is None else 2.0)
        if want_envelope is None:
            check(reply is None, "%r should be dropped, got %r" % (frames[:3], reply))
            continue
        check(reply is not None, "no reply to %r" % frames[:4])
        split = reply.index(b"")
        check_equal(reply[:split], want_envelope, "envelope echoed for %r" % frames[:4])
        check_equal(len(reply), split + 4, "frames of the reply to %r" % frames[:4])
        check_equal(reply[split + 1], MDPC, "reply header")
        error = json.loads(reply[split + 3])["error"]
        check_equal(error["code"], "invalid_request")
        check(words in error["message"], "message %r lacks %r" % (error["message"], words))
    # A request of the old form (request id after the service) is a stock
    # request with a two-frame body: the worker refuses it whole
    raw.send_raw([b"", MDPC, b"echo", b"id-d", b"{}"])
    reply = raw.recv_raw(2.0)
    check(reply is not None and reply[:3] == [b"", MDPC, b"echo"] and len(reply) == 4,
          "reply to an old-form request: %r" % reply)
    check_equal(error_code(reply[3]), "invalid_request", "old-form request")
    # REQ clients get the error too, and stay usable
    req = MdpClient(gateway.clients, req=True)
    req.send_raw([MDPC, b""])
    check_equal(error_code(req.recv()[2]), "invalid_request")
    check_equal(req.request("echo", b"ok"), b"echo:ok")
    # The gateway keeps serving and counted it all
    check_equal(raw.request("echo", b"still"), b"echo:still")
    stats = gateway.stats()
    check_equal(stats["errors"]["invalid_request"], 11, "invalid_request count")
    check_equal(stats["dropped"]["client"], 4, "dropped count")


@runner.test
def malformed_worker_frames():
    gateway = harness.start_gateway(**FAST)
    cases = [
        [b"junk"],
        [b"", b"MDPW01"],
        [b"", b"MDPW02", b"\x01", b"echo"],
        [b"", b"MDPW01", b"\x09"],
        [b"", b"MDPW01", b"\x01"],                          # READY without a service
        [b"", b"MDPW01", b"\x01", b"echo", b"slots=0"],
        [b"", b"MDPW01", b"\x01", b"echo", b"slots=1001"],
        [b"", b"MDPW01", b"\x01", b"echo", b"slots=abc"],
        [b"", b"MDPW01", b"\x01", b"mmi.service"],          # reserved name
        [b"", b"MDPW01", b"\x01", b"two words"],            # not a service name
        [b"", b"MDPW01", b"\x03", b"token", b"", b"body"],  # REPLY from a stranger
        [b"", b"MDPW01", b"\x04"],                          # HEARTBEAT from a stranger
    ]
    for frames in cases:
        raw = MdpClient(gateway.workers)         # a DEALER is all a worker is
        raw.send_raw(frames)
        reply = raw.recv_raw(0.3)
        if reply is not None:
            check_equal(reply, [b"", b"MDPW01", b"\x05"], "answer to %r" % frames)
        raw.close()
    # A registered worker that sends nonsense is disconnected; requests still work
    raw = MdpClient(gateway.workers)
    raw.send_raw([b"", b"MDPW01", b"\x01", b"echo"])
    gateway.wait_workers("echo")
    raw.send_raw([b"", b"MDPW01", b"\x03", b"only-token"])
    check_equal(recv_command(raw), [b"", b"MDPW01", b"\x05"], "DISCONNECT")
    WorkerThread(gateway.workers, "echo", echo, heartbeat_ms=100)
    check_equal(gateway.client().request("echo", b"fine"), b"echo:fine")
    check(gateway.process.alive(), "gateway died")
    check(gateway.stats()["services"].get("mmi.service") is None, "reserved name registered")


@runner.test
def standard_worker_gets_heartbeats_and_one_request_at_a_time():
    gateway = harness.start_gateway(**FAST)
    worker = WorkerThread(gateway.workers, "single", hold, heartbeat_ms=100)
    gateway.wait_workers("single")
    client = MdpClient(gateway.clients)
    for index in range(3):
        client.send("single", "one%d" % index, b"{}")
    harness.wait_for(lambda: worker.received == 1, 2.0, what="first request")
    time.sleep(0.3)
    check_equal(worker.received, 1, "requests given to a 1-slot worker")
    worker.release()
    harness.wait_for(lambda: worker.received == 2, 2.0, what="second request")
    worker.handler = echo
    worker.release()
    got = sorted(client.recv(2.0)[1] for _ in range(3))
    check_equal(got, [b"one0", b"one1", b"one2"])

    # The gateway heartbeats a raw worker
    raw = MdpClient(gateway.workers)
    raw.send_raw([b"", b"MDPW01", b"\x01", b"other"])
    check_equal(raw.recv_raw(1.0), [b"", b"MDPW01", b"\x04"], "HEARTBEAT")


@runner.test
def slots_eight_receives_eight_concurrent_requests():
    gateway = harness.start_gateway()
    worker = WorkerThread(gateway.workers, "batch", hold, slots=8)
    gateway.wait_workers("batch")
    stats = gateway.stats()
    check_equal(stats["services"]["batch"]["slots"], 8, "slots announced")
    client = MdpClient(gateway.clients)
    for index in range(20):
        client.send("batch", "b%d" % index, b"%d" % index)
    harness.wait_for(lambda: len(worker.held) == 8, 2.0, what="8 concurrent requests")
    time.sleep(0.2)
    check_equal(len(worker.held), 8, "requests held at once")
    worker.release()
    harness.wait_for(lambda: len(worker.held) == 8 and worker.replied == 8, 2.0,
                     what="the next 8")
    worker.handler = echo
    worker.release()
    got = sorted(client.recv(2.0)[1] for _ in range(20))
    check_equal(got, sorted(b"b%d" % index for index in range(20)))
    check_equal(worker.max_outstanding, 8, "most held at once")


@runner.test
def killed_worker_requests_are_redispatched_once():
    # the kill is noticed on the closed connection; a lenient liveness keeps
    # a loaded machine from also expiring the doomed worker before the kill
    # (its requests would then be re-dispatched twice)
    gateway = harness.start_gateway(heartbeat_ms=100, liveness=30)
    doomed = harness.spawn_worker(gateway.workers, "match", mode="silent", slots=10,
                                  heartbeat_ms=100, name="doomed")
    gateway.wait_workers("match")
    client = MdpClient(gateway.clients)
    for index in range(10):
        client.send("match", "k%d" % index, b'{"n": %d}' % index)
    doomed.wait_log("REQUEST 10")
    harness.spawn_worker(gateway.workers, "match", mode="echo", slots=4, heartbeat_ms=100,
                         name="rescuer")
    gateway.wait_workers("match", 2)
    doomed.kill()
    replies = {}
    for _ in range(10):
        _, request_id, body = client.recv(3.0)
        check(request_id not in replies, "%r answered twice" % request_id)
        replies[request_id] = json.loads(body)
    check_equal(sorted(replies), sorted(b"k%d" % index for index in range(10)))
    check(all(reply["worker"] == "rescuer" for reply in replies.values()), "answered by rescuer")
    check(client.recv_raw(0.5) is None, "a request was answered twice")
    stats = gateway.stats()
    check_equal(stats["redispatches"], 10, "re-dispatches")
    check_equal(stats["workers_expired"], 1, "workers expired")


@runner.test
def late_reply_after_redispatch_is_dropped():
    gateway = harness.start_gateway(**FAST)
    hung = WorkerThread(gateway.workers, "match", hold, heartbeat_ms=100)
    gateway.wait_workers("match")
    client = MdpClient(gateway.clients)
    client.send("match", "late-1", b"{}")
    harness.wait_for(lambda: len(hung.held) == 1, 2.0, what="the hung worker to get it")
    hung.send_heartbeats = False                 # it hangs: the gateway expires it
    WorkerThread(gateway.workers, "match", lambda body: b"second", heartbeat_ms=100)
    check_equal(client.recv(3.0), (b"match", b"late-1", b"second"))
    hung.release(lambda body: b"first, too late")
    harness.wait_for(lambda: hung.replied == 1, 2.0, what="the late reply to go")
    check(client.recv_raw(0.5) is None, "the late reply reached the client")
    check(gateway.stats()["late_replies"] >= 1, "late reply not counted")


@runner.test
def max_attempts_then_worker_lost():
    gateway = harness.start_gateway(max_attempts=2, **FAST)
    workers = [harness.spawn_worker(gateway.workers, "match", mode="silent", heartbeat_ms=100,
                                    name="silent-%d" % index) for index in range(2)]
    gateway.wait_workers("match", 2)
    client = MdpClient(gateway.clients)
    client.send("match", "lost-1", b"{}")
    holder = harness.wait_for(lambda: [w for w in workers if "REQUEST 1" in w.log()], 2.0,
                              what="a worker to get the request")[0]
    holder.kill()
    other = [w for w in workers if w is not holder][0]
    other.wait_log("REQUEST 1", 3.0)
    other.kill()
    _, request_id, body = client.recv(3.0)
    check_equal(request_id, b"lost-1")
    check_equal(error_code(body), "worker_lost")
    check("dispatched 2 times" in json.loads(body)["error"]["message"], "message names attempts")

    # With a single attempt allowed, the first loss answers worker_lost
    single = harness.start_gateway(name="gateway-single", max_attempts=1, **FAST)
    doomed = harness.spawn_worker(single.workers, "match", mode="silent", heartbeat_ms=100,
                                  name="doomed-single")
    single.wait_workers("match")
    client = MdpClient(single.clients)
    client.send("match", "lost-2", b"{}")
    doomed.wait_log("REQUEST 1")
    doomed.kill()
    check_equal(error_code(client.recv(3.0)[2]), "worker_lost")


@runner.test
def re_ready_redispatches_outstanding_requests():
    gateway = harness.start_gateway()
    raw = MdpClient(gateway.workers)
    raw.send_raw([b"", b"MDPW01", b"\x01", b"again"])
    client = MdpClient(gateway.clients)
    client.send("again", "rr-1", b"{}")
    first = recv_command(raw, 2.0)
    check_equal(first[:3], [b"", b"MDPW01", b"\x02"], "REQUEST")
    raw.send_raw([b"", b"MDPW01", b"\x01", b"again"])     # restarted with the same identity
    second = recv_command(raw, 2.0)
    check_equal(second[:3], [b"", b"MDPW01", b"\x02"], "REQUEST again")
    check(second[3] != first[3], "a re-dispatch must use a new token")
    raw.send_raw([b"", b"MDPW01", b"\x03", first[3], b"", b"stale"])
    raw.send_raw([b"", b"MDPW01", b"\x03", second[3], b"", b"fresh"])
    check_equal(client.recv(2.0), (b"again", b"rr-1", b"fresh"))
    check(client.recv_raw(0.3) is None, "answered twice")


@runner.test
def stats_counters():
    gateway = harness.start_gateway(no_worker_wait_ms=0)
    WorkerThread(gateway.workers, "echo", echo, slots=3)
    gateway.wait_workers("echo")
    client = MdpClient(gateway.clients)
    for index in range(25):
        client.request("echo", b"{}")
    check_equal(error_code(client.request("nobody", b"{}")), "no_workers")
    stats = gateway.stats()
    for key in ("version", "uptime_s", "requests", "replies", "errors", "redispatches",
                "queue_depth", "in_flight", "workers", "services", "latency"):
        check(key in stats, "stats lack %r" % key)
    check(stats["requests"] >= 26, "requests %d" % stats["requests"])
    check_equal(stats["replies"], 25, "replies")
    check_equal(stats["errors"]["no_workers"], 1, "no_workers")
    check(stats["uptime_s"] > 0, "uptime")
    check_equal(stats["workers"], 1, "workers")
    echo_stats = stats["services"]["echo"]
    check_equal((echo_stats["slots"], len(echo_stats["workers"])), (3, 1), "echo service")
    check_equal(echo_stats["workers"][0]["slots"], 3, "worker slots")
    latency = stats["latency"]
    check_equal(latency["count"], 25, "latency samples")
    check_equal(sum(bucket["count"] for bucket in latency["buckets"]), 25, "bucket total")
    check(latency["p50_us"] is not None and latency["p50_us"] <= 100000, "p50 %r" % latency)


@runner.test
def bad_settings_and_taken_ports():
    gateway = harness.binary("jobmatch-gateway")
    result = subprocess.run([gateway, "--queue-max", "0"], capture_output=True, text=True,
                            timeout=5)
    check_equal(result.returncode, 2, "exit code for a bad value")
    check("--queue-max" in result.stderr, "error names the option: %r" % result.stderr)
    result = subprocess.run([gateway, "--help"], capture_output=True, text=True, timeout=5)
    check_equal(result.returncode, 0, "exit code for --help")
    check("JOBMATCH_NO_WORKER_WAIT_MS" in result.stdout, "help lists env vars")
    env = dict(os.environ, JOBMATCH_LIVENESS="zero")
    result = subprocess.run([gateway], capture_output=True, text=True, timeout=5, env=env)
    check_equal(result.returncode, 2, "exit code for a bad environment value")
    check("JOBMATCH_LIVENESS" in result.stderr, "error names the variable")

    running = harness.start_gateway()
    taken = harness.spawn("gateway-clash", [gateway, "--clients", running.clients,
                                            "--workers", "tcp://127.0.0.1:%d" % harness.free_port()])
    check_equal(taken.wait(5), 1, "exit code when the port is taken")
    check("cannot bind" in taken.log(), "log says why")
    check_equal(running.stop(), 0, "exit code after SIGTERM")
    check("final summary" in running.process.log(), "summary at exit")


runner.main()
