#!/usr/bin/python3
"""Hostile frames (issue 14, item 1): malformed messages sent to the real
jobmatch-gateway's two ports and, from a fake gateway, to a real
jobmatch-matcher.  Nothing may crash; each process must serve normally
afterwards.

    tests/integration/test_hostile_frames.py [NAME-FILTER...]

Prints "ok NAME" or "FAIL NAME: why" per test and "N passed, N failed".
"""
import json
import os
import subprocess
import sys
import time

import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import stack  # noqa: E402
from harness import check, check_equal, MdpClient, WorkerThread  # noqa: E402

runner = harness.Runner(timeout=60)

MDPW = b"MDPW01"
MDPC = b"MDPC01"

# Messages a peer may send to the workers port (after the routing id the
# gateway's ROUTER adds)
WORKER_GARBAGE = [
    [b""],
    [b"", MDPW],
    [b"junk"],
    [b"", MDPW, b""],
    [b"", MDPW, b"\x04\x04"],
    [b"", MDPW, b"\x01"],                           # READY without a service
    [b"", MDPW, b"\x01", b"a b"],
    [b"", MDPW, b"\x01", b"mmi.service"],
    [b"", MDPW, b"\x01", b"svc", b"slots=0"],
    [b"", MDPW, b"\x03"],                           # REPLY from an unknown worker
    [b"", MDPW, b"\x03", b"tok", b"", b"{}"],
    [b"", MDPW, b"\x02", b"tok", b"", b"{}"],       # REQUEST from a worker
    [b"", MDPW, b"\xff"],
    [b"", b"MDPC01", b"\x04"],
    [b"", MDPW, b"\x04"] + [b"x"] * 5000,
    [b"x"] * 10000,
]

CLIENT_GARBAGE = [
    [b""],
    [b"", MDPC],
    [b"junk"],
    [b"", MDPC, b"svc"],
    [b"", b"", b""],
    [b"x"] * 10000,
    [b""] * 10000,
]


@runner.test
def gateway_survives_an_empty_frame_on_the_workers_port():
    gateway = harness.start_gateway()
    port = gateway.worker_port
    # The reproduction from the issue, verbatim
    subprocess.run([sys.executable, "-c",
                    'import zmq,time;s=zmq.Context().socket(zmq.DEALER);'
                    's.connect("tcp://127.0.0.1:%d");s.send(b"");time.sleep(1)' % port],
                   check=True, timeout=20)
    check(gateway.process.alive(), "gateway exited: %s" % " | ".join(gateway.process.tail(5)))
    gateway.wait_ready(2.0)
    stats = gateway.stats()
    check(stats["dropped"]["worker"] >= 1, "the empty frame was not counted: %r" % stats["dropped"])


@runner.test
def gateway_survives_garbage_on_both_ports():
    gateway = harness.start_gateway()
    worker_socket = harness.context().socket(zmq.DEALER)
    worker_socket.setsockopt(zmq.LINGER, 0)
    worker_socket.connect(gateway.workers)
    harness.on_cleanup(worker_socket.close)
    for frames in WORKER_GARBAGE:
        worker_socket.send_multipart(frames)
    hostile = MdpClient(gateway.clients)
    for frames in CLIENT_GARBAGE:
        hostile.send_raw(frames)
    client = MdpClient(gateway.clients)
    # The same garbage from a worker that registered first: it is disconnected
    registered = harness.MdpWorker(gateway.workers, "victim")
    gateway.wait_workers("victim")
    registered.socket.send_multipart([b""])
    harness.wait_for(lambda: not gateway.has_workers("victim"), 5.0, 0.05,
                     "the worker that sent an empty frame removed")
    time.sleep(0.3)
    check(gateway.process.alive(), "gateway exited: %s" % " | ".join(gateway.process.tail(5)))
    # Still serves: a well-behaved worker and client
    WorkerThread(gateway.workers, "echo", lambda body: b"echo:" + body)
    gateway.wait_workers("echo")
    check_equal(client.request("echo", b"hello", timeout=5.0), b"echo:hello")
    stats = gateway.stats()
    check(stats["dropped"]["worker"] >= len(WORKER_GARBAGE) - 2,
          "worker garbage not counted: %r" % stats["dropped"])
    # Without a delimiter there is no one to answer; the rest is answered
    check(stats["dropped"]["client"] >= 2, "client garbage not counted: %r" % stats["dropped"])
    check(stats["errors"]["invalid_request"] >= 5, "client garbage not answered: %r"
          % stats["errors"])
    answers = 0
    while hostile.recv_raw(0.2) is not None:
        answers += 1
    check(answers >= 5, "the hostile client got %d answers" % answers)


class FakeGateway:
    """A ROUTER a real matcher connects to as its gateway; the test drives
    it.  A matcher opens one worker connection per service it serves."""

    def __init__(self):
        self.socket = harness.context().socket(zmq.ROUTER)
        self.socket.setsockopt(zmq.LINGER, 0)
        port = self.socket.bind_to_random_port("tcp://127.0.0.1")
        self.endpoint = "tcp://127.0.0.1:%d" % port
        self.workers = {}           # service -> routing id of its latest READY
        harness.on_cleanup(self.socket.close)

    def recv(self, timeout):
        """The next message that is not a HEARTBEAT or READY (READY updates
        workers), or None after timeout seconds."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self.socket.poll(int(remaining * 1000)):
                return None
            frames = self.socket.recv_multipart()
            if frames[1:4] == [b"", MDPW, b"\x01"] and len(frames) >= 5:
                self.workers[frames[4]] = frames[0]
                continue
            if frames[1:] == [b"", MDPW, b"\x04"]:
                continue
            return frames

    def wait_ready(self, service, timeout=30.0):
        harness.wait_for(lambda: self.recv(0.05) is None and service in self.workers,
                         timeout, 0.0, "the matcher's READY for %r" % service)

    def send(self, identity, frames):
        self.socket.send_multipart([identity] + frames)


@runner.test
def matcher_survives_a_fake_gateway():
    redis = harness.start_redis()
    fake = FakeGateway()
    matcher = harness.spawn("matcher", [
        harness.binary("jobmatch-matcher"), "--gateway", fake.endpoint,
        "--redis", redis.url_for("matcher") + "/0", "--data", stack.DATA_DIR,
        "--heartbeat-ms", "1000", "--liveness", "3"])
    fake.wait_ready(stack.MATCH.encode())
    time.sleep(0.3)                 # the matcher's other services announce themselves
    fake.recv(0.1)
    garbage = [
        [b""],                                      # [identity, ""] from the issue
        [b"", MDPW],
        [b"junk"],
        [b"", MDPW, b""],
        [b"", MDPW, b"\x02"],
        [b"", MDPW, b"\x02", b"tok"],
        [b"", MDPW, b"\x02", b"", b"", b"{}"],
        [b"", MDPW, b"\x02", b"tok", b"x", b"{}"],
        [b"", MDPW, b"\x01", b"svc"],
        [b"", MDPW, b"\x03", b"tok", b"", b"{}"],
        [b"", MDPW, b"\x07"],
        [b"", MDPW, b"\x04", b"extra"],
        [b"", b"MDPC01", b"\x02", b"tok", b"", b"{}"],
        [b"x"] * 10000,
    ]
    for identity in fake.workers.values():
        for frames in garbage:
            fake.send(identity, frames)
        fake.send(identity, [b"", MDPW, b"\x04"])
    time.sleep(0.5)
    check(matcher.alive(), "matcher exited: %s" % " | ".join(matcher.tail(5)))
    # Still serves a real request, answered under its token
    candidate = stack.sample_candidates()[0]
    fake.send(fake.workers[stack.MATCH.encode()],
              [b"", MDPW, b"\x02", b"token-1", b"", stack.body(candidate)])
    reply = fake.recv(20.0)
    check(reply is not None, "no reply from the matcher after the garbage")
    check_equal(reply[1:5], [b"", MDPW, b"\x03", b"token-1"], "reply header")
    check_equal(reply[5], b"", "reply delimiter")
    decoded = json.loads(reply[6])
    check(decoded.get("ok") is True, "matcher reply not ok: %s" % reply[6][:200])
    check(matcher.alive(), "matcher exited: %s" % " | ".join(matcher.tail(5)))
    check("malformed" in matcher.log(), "the matcher did not log the dropped messages")


if __name__ == "__main__":
    runner.main()
