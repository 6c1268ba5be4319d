#!/usr/bin/python3
"""Integration tests for the gateway's limits and deadlines (issue 14, item 4):
the real jobmatch-gateway (and, where it matters, a real jobmatch-matcher with
its private redis-server) on free loopback ports, against the peers that hurt
it before: a worker that heartbeats but never replies, a flood of 8 MiB
bodies to a service nobody serves, a client that never reads its replies,
frames far over the socket limits, and a greedy client.

Memory is the gateway's resident size (VmRSS in /proc/PID/status), sampled
while the flood runs and after it.

    tests/integration/test_limits.py [NAME-FILTER...]
"""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import stack  # noqa: E402
from harness import check, check_equal, error_code, MdpClient, WorkerThread  # noqa: E402

import json  # noqa: E402
import zmq  # noqa: E402

runner = harness.Runner(timeout=180)    # generous: a loaded 2-core machine

MiB = 1024 * 1024
RESIDUE_MAX = 72 * MiB  # what the gateway may keep after a flood (see the flood test)


def echo(body):
    return b"echo:" + body


def hold(body):
    return None


def error_message(body):
    return json.loads(body)["error"]["message"]


def note(format, *args):
    """Prints a measured figure to stderr when JM_VERBOSE is set."""
    if os.environ.get("JM_VERBOSE"):
        print("    " + format % args, file=sys.stderr, flush=True)


def rss_bytes(pid):
    """The resident size of a process, from /proc/PID/status."""
    with open("/proc/%d/status" % pid) as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise harness.TestFailure("no VmRSS for %d" % pid)


class RssSampler:
    """Samples a process's VmRSS every 10 ms in a thread until stop(); .peak
    is the largest seen."""

    def __init__(self, pid):
        self.pid = pid
        self.peak = rss_bytes(pid)
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        harness.on_cleanup(self.stop)

    def _run(self):
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, rss_bytes(self.pid))
            except (OSError, harness.TestFailure):
                return
            time.sleep(0.01)

    def stop(self):
        self._stop.set()
        self.thread.join(2)
        return self.peak


def collect(client, request_ids, timeout):
    """Receives replies on client until every id in request_ids has one (or
    timeout seconds pass without a reply); returns {request id: body} and
    fails on a duplicate."""
    wanted = set(request_ids)
    replies = {}
    while len(replies) < len(wanted):
        try:
            _, request_id, body = client.recv(timeout)
        except TimeoutError:
            break
        if request_id in wanted:
            check(request_id not in replies, "request %r answered twice" % request_id)
            replies[request_id] = body
    return replies


def quiet_client(endpoint):
    """A client whose socket reads as little as ZeroMQ allows: a receive
    high water mark of 2 and a 4 KiB kernel buffer, so replies it does not
    read back up to the gateway quickly."""
    client = MdpClient(endpoint)
    client.socket.close(linger=0)
    sock = harness.context().socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.RCVHWM, 2)
    sock.setsockopt(zmq.RCVBUF, 4096)
    sock.setsockopt(zmq.SNDHWM, 100000)
    sock.connect(endpoint)
    client.socket = sock
    return client


def settled_rss(gateway, below, timeout=15.0):
    """Waits until the gateway's RSS is below `below` bytes (it trims after
    a burst drains); returns the last value seen."""
    seen = [0]

    def small():
        seen[0] = rss_bytes(gateway.process.pid)
        return seen[0] < below
    try:
        harness.wait_for(small, timeout, 0.1, "gateway RSS under %d MiB" % (below // MiB))
    except harness.TestFailure:
        raise harness.TestFailure("gateway RSS stayed at %.1f MiB, want under %.1f MiB"
                                  % (seen[0] / MiB, below / MiB))
    note("settled at %.1f MiB", seen[0] / MiB)
    return seen[0]


# --------------------------------------------------------------------------
# Deadlines

@runner.test
def hung_worker_requests_go_to_a_real_matcher():
    # The reproduction: a worker with 30 slots that heartbeats but never
    # replies, beside a real matcher; 90 requests.  Each one the hung worker
    # takes is taken back at the deadline and goes to the matcher.
    st = stack.Stack(matchers=1, request_timeout_ms=2000, max_attempts=3)
    hung = WorkerThread(st.gateway.workers, stack.MATCH, hold, slots=30)
    st.gateway.wait_workers(stack.MATCH, 2)
    client = st.client()
    ids = []
    for index in range(90):
        request_id = b"hung-%d" % index
        client.send(stack.MATCH, request_id, stack.body(stack.make_candidate(index)))
        ids.append(request_id)
    # Bounded: at most max-attempts deadlines of 2 s each, plus scoring
    replies = collect(client, ids, timeout=30.0)
    check_equal(len(replies), 90, "requests answered")
    codes = {}
    for body in replies.values():
        code = error_code(body)
        check(code in (None, "timeout"), "unexpected reply %r" % body[:200])
        codes[code] = codes.get(code, 0) + 1
    check(hung.received >= 1, "the hung worker was given no request")
    # A request taken from the hung worker goes to the other worker, which
    # has free slots: none runs out of attempts
    check_equal(codes.get(None, 0), 90, "requests scored by the matcher")
    stats = st.gateway.stats()
    check(stats["timeouts"] >= 1, "no timeout counted")
    # Each timeout re-dispatched (and more when the worker was disconnected)
    check(stats["redispatches"] >= stats["timeouts"], "re-dispatches %d < timeouts %d"
          % (stats["redispatches"], stats["timeouts"]))
    check(stats["workers_timed_out"] >= 1, "the hung worker was never disconnected")
    # Its replies, when they finally come, are late: counted, never delivered
    late_before = stats["late_replies"]
    hung.release(lambda body: b'{"ok":true,"forged":true}')
    harness.wait_for(lambda: st.gateway.stats()["late_replies"] > late_before, 5.0,
                     what="late replies counted")
    check(client.recv_raw(0.3) is None, "a late reply reached the client")
    st.check_alive()


@runner.test
def hung_worker_alone_answers_timeout():
    # No other worker: each request is dispatched max-attempts times, then
    # answered timeout.  (worker-timeouts-max 0: the worker is kept.)
    gateway = harness.start_gateway(request_timeout_ms=300, max_attempts=2,
                                    worker_timeouts_max=0)
    hung = WorkerThread(gateway.workers, "slow", hold, slots=10)
    gateway.wait_workers("slow")
    client = MdpClient(gateway.clients)
    ids = [b"t-%d" % index for index in range(5)]
    for request_id in ids:
        client.send("slow", request_id, b"{}")
    replies = collect(client, ids, timeout=10.0)
    check_equal(len(replies), 5, "requests answered")
    for body in replies.values():
        check_equal(error_code(body), "timeout", "reply %r" % body[:200])
        message = error_message(body)
        check("after 2 dispatches" in message and "300 ms" in message,
              "the message does not say how many dispatches and how long: %r" % message)
    stats = gateway.stats()
    check_equal(stats["errors"]["timeout"], 5, "timeout replies")
    check_equal(stats["timeouts"], 10, "dispatches timed out (2 each)")
    check_equal(hung.received, 10, "dispatches the worker saw")
    check_equal((stats["in_flight"], stats["queue_depth"], stats["held_bytes"]), (0, 0, 0),
                "in flight, waiting, bytes held")
    check_equal((stats["workers_timed_out"], hung.worker.reconnects), (0, 0),
                "workers disconnected, reconnects")
    # The worker's slots are free again: it is given the next request
    client.send("slow", b"next", b"{}")
    harness.wait_for(lambda: hung.received == 11, 5.0, what="the next request at the worker")


@runner.test
def worker_timing_out_in_a_row_is_disconnected():
    gateway = harness.start_gateway(request_timeout_ms=300, max_attempts=1,
                                    worker_timeouts_max=3)
    hung = WorkerThread(gateway.workers, "slow", hold, slots=10)
    gateway.wait_workers("slow")
    client = MdpClient(gateway.clients)
    for index in range(3):
        body = client.request("slow", b"{}", timeout=5.0)
        check_equal(error_code(body), "timeout", "reply %d" % index)
        check("after 1 dispatch," in error_message(body), "message %r" % body)
    # The third in a row: disconnected; a stock worker reconnects on
    # DISCONNECT and starts afresh
    harness.wait_for(lambda: gateway.stats()["workers_timed_out"] == 1, 5.0,
                     what="the worker disconnected")
    harness.wait_for(lambda: hung.worker.reconnects >= 1, 5.0, what="the worker to reconnect")
    gateway.wait_workers("slow")
    # The gateway still serves
    WorkerThread(gateway.workers, "echo", echo)
    gateway.wait_workers("echo")
    check_equal(client.request("echo", b"after"), b"echo:after")


@runner.test
def a_worker_that_answers_in_time_keeps_its_place():
    # Timeouts in a row, not in all: a worker that answers between its
    # timeouts is not disconnected.
    gateway = harness.start_gateway(request_timeout_ms=1000, max_attempts=1,
                                    worker_timeouts_max=2)
    bodies = []

    def every_other(body):
        bodies.append(body)
        return None if len(bodies) % 2 else b"done"
    worker = WorkerThread(gateway.workers, "flaky", every_other, slots=1)
    gateway.wait_workers("flaky")
    client = MdpClient(gateway.clients)
    codes = [error_code(client.request("flaky", b"%d" % index, timeout=5.0))
             for index in range(6)]
    check_equal(codes, ["timeout", None] * 3, "replies")
    stats = gateway.stats()
    check_equal(stats["workers_timed_out"], 0, "workers disconnected")
    check_equal(worker.worker.reconnects, 0, "reconnects")


# --------------------------------------------------------------------------
# Memory under floods

@runner.test
def flood_of_large_bodies_to_an_unserved_service():
    # The reproduction: 200 bodies of 8 MiB for a service nobody serves took
    # the gateway from 61 MB to 1.6 GB.  With the default caps one client
    # holds at most client-bytes-max (128 MiB, 16 bodies); the rest are
    # answered busy as they arrive.  Twice, to see memory come back after
    # each flood.
    gateway = harness.start_gateway(no_worker_wait_ms=1000)
    gateway.stats()
    baseline = rss_bytes(gateway.process.pid)
    body = b"x" * (8 * MiB)
    for flood in range(2):
        sampler = RssSampler(gateway.process.pid)
        client = MdpClient(gateway.clients)
        ids = [b"big-%d" % index for index in range(200)]
        for request_id in ids:
            client.send("nobody", request_id, body)
        replies = collect(client, ids, timeout=60.0)
        peak = sampler.stop()
        check_equal(len(replies), 200, "requests answered")
        codes = {}
        for reply in replies.values():
            codes[error_code(reply)] = codes.get(error_code(reply), 0) + 1
        check_equal(sorted(codes), ["busy", "no_workers"], "reply codes")
        busy = [reply for reply in replies.values() if error_code(reply) == "busy"]
        check("client-bytes-max" in error_message(busy[0]), "busy message %r" % busy[0])
        # The bound: the 128 MiB one client may hold, plus what libzmq has
        # read but the loop has not yet refused (it refuses at once; 16
        # messages of 8 MiB is ample), plus the process.  Before: 1.6 GB.
        bound = 128 * MiB + 16 * 8 * MiB
        note("flood %d: baseline %.1f MiB, peak %.1f MiB, %r", flood, baseline / MiB,
             peak / MiB, codes)
        check(peak - baseline < bound, "RSS grew by %.0f MiB during the flood, bound %.0f MiB"
              % ((peak - baseline) / MiB, bound / MiB))
        stats = gateway.stats()
        check_equal((stats["held_bytes"], stats["clients"]), (0, 0), "bytes held, clients")
        # ... and comes back once the flood has drained.  What may stay:
        # free memory at the top of libzmq's thread arena, which glibc keeps
        # up to the gateway's trim threshold (64 MiB, set in gateway.c).
        settled_rss(gateway, baseline + RESIDUE_MAX)
    stats = gateway.stats()
    check_equal(stats["busy_by_cap"]["client_bytes_max"], stats["errors"]["busy"],
                "busy by client-bytes-max")


@runner.test
def client_that_never_reads_its_replies():
    # The reproduction: replies to a client that never reads them piled up
    # in the gateway (164 MB).  Now at most client-reply-max wait for it;
    # the rest are dropped and counted, and everyone else is served.
    gateway = harness.start_gateway(client_reply_max=50)
    worker = WorkerThread(gateway.workers, "echo", echo, slots=50)
    gateway.wait_workers("echo")
    gateway.stats()
    baseline = rss_bytes(gateway.process.pid)
    sampler = RssSampler(gateway.process.pid)
    greedy = quiet_client(gateway.clients)
    count, size = 4000, 64 * 1024
    body = b"r" * size
    # Paced so the requests are not what fills the gateway: the worker
    # keeps up to 200 behind
    for index in range(count):
        if index % 100 == 0:
            harness.wait_for(lambda: worker.replied >= index - 200, 30.0, 0.005,
                             "the worker to keep up")
        greedy.send("echo", b"q-%d" % index, body)
    harness.wait_for(lambda: gateway.stats()["replies"] >= count, 60.0, 0.1,
                     "the worker to answer all %d requests" % count)
    # Another client is served while the greedy one's replies are stuck
    other = MdpClient(gateway.clients)
    check_equal(other.request("echo", b"hello"), b"echo:hello")
    peak = sampler.stop()
    stats = gateway.stats()
    dropped = stats["dropped_replies"]["unread"]
    # What can wait for the greedy client: 50 in the gateway's queue, a few
    # in its own, and what the kernel buffers hold (a few MB on loopback)
    check(dropped >= count - 1000, "only %d of %d replies dropped" % (dropped, count))
    check(dropped <= count, "dropped %d" % dropped)
    # 4000 replies of 64 KiB are 250 MiB; bounded, the gateway keeps a few MB
    bound = 64 * MiB
    note("unread replies: baseline %.1f MiB, peak %.1f MiB, %d dropped", baseline / MiB,
         peak / MiB, dropped)
    check(peak - baseline < bound, "RSS grew by %.0f MiB, bound %.0f MiB"
          % ((peak - baseline) / MiB, bound / MiB))
    check_equal(worker.replied, count + 1, "replies by the worker")


# --------------------------------------------------------------------------
# Socket limits

@runner.test
def oversized_frames_are_refused_unread():
    # The workers socket took 512 MiB frames.  A frame over the socket's
    # limit closes the sender's connection before it is allocated: here 64
    # MiB against max-worker-message 16 MiB, and against the clients'
    # limit (max-body 1 MiB + 1 MiB slack).
    gateway = harness.start_gateway(max_body=1 * MiB, max_worker_message=16 * MiB)
    gateway.stats()
    baseline = rss_bytes(gateway.process.pid)
    sampler = RssSampler(gateway.process.pid)
    huge = b"z" * (64 * MiB)

    raw_worker = harness.context().socket(zmq.DEALER)
    raw_worker.setsockopt(zmq.LINGER, 0)
    raw_worker.connect(gateway.workers)
    harness.on_cleanup(lambda: raw_worker.close(linger=0))
    raw_worker.send_multipart([b"", harness.MDPW, harness.READY, b"echo", huge])

    raw_client = MdpClient(gateway.clients)
    raw_client.send("echo", b"huge", huge)
    check(raw_client.recv_raw(2.0) is None, "a 64 MiB body was answered")
    # A body between max-body and the socket limit is still answered too_large
    client = MdpClient(gateway.clients)
    reply = client.request("echo", b"y" * (MiB + 512 * 1024))
    check_equal(error_code(reply), "too_large", "1.5 MiB body")
    stats = gateway.stats()
    check_equal(stats["workers"], 0, "workers registered by the 64 MiB READY")
    check_equal(stats["dropped"]["worker"], 0, "the READY was not even read")
    peak = sampler.stop()
    note("oversized frames: baseline %.1f MiB, peak %.1f MiB", baseline / MiB, peak / MiB)
    check(peak - baseline < 32 * MiB, "RSS grew by %.0f MiB: a 64 MiB frame was taken in"
          % ((peak - baseline) / MiB))
    # The gateway still serves: a worker joins, a client is answered
    WorkerThread(gateway.workers, "echo", echo)
    gateway.wait_workers("echo")
    check_equal(client.request("echo", b"small"), b"echo:small")
    check(gateway.process.alive(), "the gateway died")


# --------------------------------------------------------------------------
# Per-client caps

@runner.test
def greedy_client_gets_busy_while_others_are_served():
    gateway = harness.start_gateway(client_queue_max=5, client_bytes_max=1 * MiB,
                                    held_bytes_max=3 * MiB)
    holder = WorkerThread(gateway.workers, "hold", hold, slots=100)
    WorkerThread(gateway.workers, "echo", echo)
    gateway.wait_workers("hold")
    gateway.wait_workers("echo")

    # Requests: 5 held, the next 3 busy, naming the cap
    greedy = MdpClient(gateway.clients)
    ids = [b"g-%d" % index for index in range(8)]
    for request_id in ids:
        greedy.send("hold", request_id, b"{}")
    busy = collect(greedy, ids[5:], timeout=5.0)
    check_equal(sorted(busy), sorted(ids[5:]), "busy replies")
    for body in busy.values():
        check_equal(error_code(body), "busy")
        check("client-queue-max" in error_message(body), "message %r" % body)
    harness.wait_for(lambda: holder.received == 5, 5.0, what="5 requests at the worker")

    # Another client is served, by either service
    other = MdpClient(gateway.clients)
    check_equal(other.request("echo", b"hi"), b"echo:hi")
    other.send("hold", b"o-1", b"{}")
    harness.wait_for(lambda: holder.received == 6, 5.0, what="the other client's request held")
    stats = gateway.stats()
    check_equal(stats["clients"], 2, "clients holding requests")
    check_equal(stats["busy_by_cap"]["client_queue_max"], 3, "busy by client-queue-max")

    # Bytes: 1 MiB per client; two of 400 KiB fit, the third does not
    heavy = MdpClient(gateway.clients)
    chunk = b"b" * (400 * 1024)
    for index in range(3):
        heavy.send("hold", b"h-%d" % index, chunk)
    reply = collect(heavy, [b"h-2"], timeout=5.0)
    check_equal(error_code(reply.get(b"h-2")), "busy", "third 400 KiB request")
    check("client-bytes-max" in error_message(reply[b"h-2"]), "message %r" % reply[b"h-2"])

    # All clients: 3 MiB held in all; heavy holds 800 KiB, two more clients
    # 800 KiB each, the third would pass 3 MiB
    harness.wait_for(lambda: holder.received == 8, 5.0, what="heavy's requests held")
    fillers = []
    for index in range(3):
        filler = MdpClient(gateway.clients)
        fillers.append(filler)
        filler.send("hold", b"f-%d" % index, b"f" * (800 * 1024))
        if index < 2:
            harness.wait_for(lambda: holder.received == 9 + index, 5.0,
                             what="filler %d held" % index)
    reply = collect(fillers[2], [b"f-2"], timeout=5.0)
    check_equal(error_code(reply.get(b"f-2")), "busy", "request past held-bytes-max")
    check("held-bytes-max" in error_message(reply[b"f-2"]), "message %r" % reply[b"f-2"])
    stats = gateway.stats()
    check_equal((stats["busy_by_cap"]["client_bytes_max"], stats["busy_by_cap"]["held_bytes_max"]),
                (1, 1), "busy by bytes caps")
    check_equal(stats["errors"]["busy"], 5, "busy replies")

    # Answered, the greedy client may send again; clients holding nothing
    # have no entry
    holder.release()
    replies = collect(greedy, ids[:5], timeout=5.0)
    check_equal(len(replies), 5, "held requests answered")
    harness.wait_for(lambda: gateway.stats()["clients"] == 0, 5.0, what="client entries freed")
    check_equal(gateway.stats()["held_bytes"], 0, "bytes held")
    greedy.send("echo", b"again", b"x")
    check_equal(collect(greedy, [b"again"], 5.0).get(b"again"), b"echo:x", "after the cap")


runner.main()
