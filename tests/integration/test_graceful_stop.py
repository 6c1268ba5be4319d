#!/usr/bin/python3
"""Graceful stops: a gateway sent SIGTERM answers every request it holds
(its worker's reply, or `unavailable` once --drain-ms has passed, and at
once for those still waiting), takes no new ones and exits 0 within the
bound; a dashboard sent SIGTERM finishes the requests in flight.  Real
gateway, matchers, dashboard and redis-server on free loopback ports.

    tests/integration/test_graceful_stop.py [NAME-FILTER...]
"""
import json
import os
import signal
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
import harness  # noqa: E402
from harness import check, check_equal  # noqa: E402
from stack import MATCH, Stack, make_candidate  # noqa: E402
from dashstack import Dashboard  # noqa: E402

runner = harness.Runner(timeout=120)


def send_all(client, service, bodies, prefix="r"):
    """Sends every body; returns the request ids in order."""
    ids = []
    for index, body in enumerate(bodies):
        request_id = ("%s-%d" % (prefix, index)).encode()
        client.send(service, request_id, body)
        ids.append(request_id)
    return ids


def collect(client, ids, timeout):
    """Replies to ids (request id -> decoded body) received within timeout
    seconds; fails on a reply to an unknown id or a duplicate."""
    replies = {}
    deadline = time.monotonic() + timeout
    while len(replies) < len(ids) and time.monotonic() < deadline:
        frames = client.recv_raw(max(0.0, deadline - time.monotonic()))
        if frames is None:
            break
        request_id = frames[0]
        check(request_id in ids, "a reply to a request never sent: %r" % request_id)
        check(request_id not in replies, "two replies to %r" % request_id)
        replies[request_id] = json.loads(frames[-1])
    return replies


def outcome(body):
    """"ok", or the error code of an error reply."""
    if body.get("ok") is True or ("echo" in body and "ok" not in body):
        return "ok"
    return harness.error_code(json.dumps(body)) or "?"


def stop_timed(process, timeout=15.0):
    """SIGTERM; returns (exit status, seconds it took)."""
    started = time.monotonic()
    process.popen.send_signal(signal.SIGTERM)
    status = process.popen.wait(timeout)
    return status, time.monotonic() - started


@runner.test
def gateway_waits_for_held_requests_and_refuses_the_rest():
    gateway = harness.start_gateway(heartbeat_ms=200, drain_ms=5000)
    # 20 slots: 20 requests held for 1 s each, 20 waiting for a slot
    harness.spawn_worker(gateway.workers, "slow", mode="delay", slots=20, delay_ms=1000,
                         heartbeat_ms=200)
    gateway.wait_workers("slow")
    client = harness.MdpClient(gateway.clients)
    ids = send_all(client, "slow", [b'{"n": %d}' % n for n in range(40)])
    harness.wait_for(lambda: gateway.stats()["services"]["slow"]["in_flight"] == 20, 5.0, 0.02,
                     "20 requests at the worker")
    started = time.monotonic()
    gateway.process.popen.send_signal(signal.SIGTERM)
    # while it waits for the worker: a new request is refused
    late = harness.MdpClient(gateway.clients)
    late.send("slow", b"late", b"{}")
    got = late.recv_raw(2.0)
    check(got is not None, "no reply to a request sent while the gateway stops")
    check_equal(harness.error_code(got[-1]), "unavailable", "a request sent while stopping")
    replies = collect(client, ids, 10.0)
    status = gateway.process.popen.wait(10.0)
    took = time.monotonic() - started
    check_equal(len(replies), 40, "requests answered")
    outcomes = [outcome(replies[request_id]) for request_id in ids]
    check_equal(outcomes.count("ok"), 20, "answered by the worker")
    check_equal(outcomes.count("unavailable"), 20, "answered unavailable (waiting for a slot)")
    check_equal(status, 0, "gateway exit status")
    check(took < 3.0, "the gateway took %.2f s to stop (the worker answered within 1 s)" % took)
    check("every request held was answered" in gateway.process.log(), "drain logged")


@runner.test
def gateway_answers_unavailable_after_the_drain_bound():
    gateway = harness.start_gateway(heartbeat_ms=200, drain_ms=500)
    harness.spawn_worker(gateway.workers, "mute", mode="silent", slots=40, heartbeat_ms=200)
    gateway.wait_workers("mute")
    client = harness.MdpClient(gateway.clients)
    ids = send_all(client, "mute", [b"{}"] * 40)
    harness.wait_for(lambda: gateway.stats()["services"]["mute"]["in_flight"] == 40, 5.0, 0.02,
                     "40 requests at the worker")
    status, took = stop_timed(gateway.process)
    replies = collect(client, ids, 3.0)
    check_equal(len(replies), 40, "requests answered")
    check_equal({outcome(body) for body in replies.values()}, {"unavailable"}, "outcomes")
    check_equal(status, 0, "gateway exit status")
    check(0.4 <= took < 2.5, "stopped after %.2f s (drain-ms 500)" % took)


@runner.test
def gateway_sigterm_with_matchers_drops_nothing():
    stack = Stack(matchers=2, heartbeat_ms=1000, drain_ms=1500)
    client = stack.client()
    bodies = [json.dumps({"candidates": [make_candidate(n * 100 + i, prefix="stop")
                                         for i in range(100)],
                          "jobs": ["backend-developer"]}).encode() for n in range(40)]
    ids = send_all(client, MATCH, bodies)
    # one matcher stops dead with its share: only the drain bound answers those
    time.sleep(0.05)
    stack.matchers[0].popen.send_signal(signal.SIGSTOP)
    try:
        status, took = stop_timed(stack.gateway.process)
        replies = collect(client, ids, 5.0)
    finally:
        stack.matchers[0].popen.send_signal(signal.SIGCONT)
    outcomes = [outcome(replies[request_id]) for request_id in ids if request_id in replies]
    check_equal(len(replies), 40, "requests answered (%s)" % {o: outcomes.count(o) for o in set(outcomes)})
    check(set(outcomes) <= {"ok", "unavailable"}, "outcomes: %r" % set(outcomes))
    check_equal(status, 0, "gateway exit status")
    check(took < 1.5 + 2.0, "stopped after %.2f s (drain-ms 1500)" % took)
    print("    %d results, %d unavailable; stopped in %.2f s" % (
        outcomes.count("ok"), outcomes.count("unavailable"), took))


@runner.test
def dashboard_finishes_requests_in_flight():
    stack = Stack(matchers=1, heartbeat_ms=1000)
    dashboard = Dashboard(stack, drain_ms=5000)
    candidates = [make_candidate(n, prefix="dash") for n in range(5)]
    matcher = stack.matchers[0]
    matcher.popen.send_signal(signal.SIGSTOP)
    responses = []

    def ask():
        responses.append(dashboard.request("POST", "/api/v1/match",
                                           {"candidates": candidates,
                                            "jobs": ["backend-developer"]}, timeout=20.0))
    try:
        thread = threading.Thread(target=ask)
        thread.start()
        harness.wait_for(lambda: stack.gateway.stats()["services"][MATCH]["in_flight"] == 1, 5.0,
                         0.02, "the request at the (stopped) matcher")
        dashboard.process.popen.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        check(dashboard.process.alive(), "the dashboard exited with a request in flight")
    finally:
        matcher.popen.send_signal(signal.SIGCONT)
    thread.join(20.0)
    check_equal(len(responses), 1, "responses")
    check_equal(responses[0].status, 200, "status of the request in flight (%r)" % responses[0])
    check_equal(len(responses[0].json()["results"]), 5, "results")
    check_equal(dashboard.process.popen.wait(10.0), 0, "dashboard exit status")
    check("every request in flight finished" in dashboard.process.log(), "drain logged")


if __name__ == "__main__":
    runner.main()
