#!/usr/bin/python3
"""Inspection (issue 19, item 3): the gateway's built-in jobmatch.system,
`jobmatch status` and the dashboard's GET /api/v1/system, against the real
jobmatch-gateway (and, for the dashboard and the worker names, a real
jobmatch-matcher with its redis-server) on free loopback ports.

Covers workers listed with their services, slots and names; a SIGKILLed
worker gone at once (its connection closed) and a hung one gone after its
heartbeats expire, their requests counted as re-dispatched; a full queue
with its depth, oldest wait and the busy refusal among the recent failures
(never the request's body); a worker's error reply among them too; the
CLI's exit codes; the dashboard's document; and garbage sent to
jobmatch.system answered with a clear invalid_request.

    tests/integration/test_status.py [NAME-FILTER...]
"""
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
import harness  # noqa: E402
from harness import check, check_equal, error_code, MdpClient, WorkerThread  # noqa: E402

import zmq  # noqa: E402

runner = harness.Runner(timeout=120)
SYSTEM = "jobmatch.system"
SECRET = "Zelda-Secret-Candidate-Text"


def system(gateway, body=b"", client=None):
    """jobmatch.system, decoded; fails the test on an error reply."""
    reply = json.loads((client or gateway.client()).request(SYSTEM, body, timeout=5.0))
    check(reply.get("ok") is True, "jobmatch.system answered %r" % reply)
    return reply


def service_entry(doc, name):
    for entry in doc["services"]:
        if entry["name"] == name:
            return entry
    return None


def workers_of(doc, service):
    return [worker for worker in doc["workers"] if worker["service"] == service]


def jobmatch_status(gateway, *args):
    """Runs `jobmatch status`; returns (exit status, stdout, stderr)."""
    run = subprocess.run([harness.binary("jobmatch"), "status", "--gateway", gateway.clients,
                          "--timeout-ms", "5000"] + list(args),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
    return run.returncode, run.stdout, run.stderr


def raw_worker(gateway, service, *extensions):
    """A DEALER that announces itself with READY [service, extensions...]."""
    socket = harness.context().socket(zmq.DEALER)
    socket.setsockopt(zmq.LINGER, 0)
    socket.connect(gateway.workers)
    harness.on_cleanup(lambda: socket.close(linger=0))
    socket.send_multipart([b"", b"MDPW01", b"\x01", service.encode()]
                          + [extension.encode() for extension in extensions])
    return socket


@runner.test
def test_workers_listed_with_services_slots_and_names():
    gateway = harness.start_gateway()
    WorkerThread(gateway.workers, "echo.a", lambda body: body, slots=4)
    WorkerThread(gateway.workers, "echo.a", lambda body: None, slots=1)
    raw_worker(gateway, "echo.b", "slots=2", "heartbeat=1000", "name=build-7:4242")
    gateway.wait_workers("echo.a", 2)
    gateway.wait_workers("echo.b", 1)
    client = MdpClient(gateway.clients)
    client.send("echo.a", "held-1", b"one")
    client.send("echo.a", "held-2", b"two")

    def two_busy():
        return service_entry(system(gateway), "echo.a")["busy"] >= 1
    harness.wait_for(two_busy, 5.0, 0.05, "a busy worker")
    doc = system(gateway)
    check_equal(doc["workers_total"], 3, "workers_total")
    check_equal(sorted(worker["slots_max"] for worker in workers_of(doc, "echo.a")), [1, 4],
                "echo.a slots")
    named = workers_of(doc, "echo.b")
    check_equal(len(named), 1, "echo.b workers")
    check_equal(named[0]["name"], "build-7:4242", "the READY name")
    check_equal(named[0]["slots"], 2, "echo.b slots")
    check(all(worker["name"] is None for worker in workers_of(doc, "echo.a")),
          "stock workers say no name")
    for worker in doc["workers"]:
        check(re.fullmatch(r"[0-9a-f]{1,16}", worker["id"]), "short hex id: %r" % worker["id"])
        check(0 <= worker["last_heard_ms"] <= 3000, "last heard: %r" % worker)
        check(0 < worker["expires_in_ms"] <= 3000, "expires in: %r" % worker)
    entry = service_entry(doc, "echo.a")
    check_equal((entry["workers"], entry["slots"]), (2, 5), "echo.a workers and slots")
    check(doc["counters"]["dispatched"] >= 2, "dispatched counted: %r" % doc["counters"])
    # a bad name is refused like a bad slots value
    raw_worker(gateway, "echo.c", "name=has space")
    time.sleep(0.3)
    check(service_entry(system(gateway), "echo.c") is None
          or service_entry(system(gateway), "echo.c")["workers"] == 0, "bad name refused")


@runner.test
def test_dead_worker_leaves_and_its_requests_are_redispatched():
    gateway = harness.start_gateway(heartbeat_ms=200, liveness=3, no_worker_wait_ms=60000)
    doomed = harness.spawn_worker(gateway.workers, "slow.svc", mode="silent", slots=2,
                                  heartbeat_ms=200, liveness=3, name="doomed")
    gateway.wait_workers("slow.svc", 1)
    client = MdpClient(gateway.clients)
    client.send("slow.svc", "r1", b"first")
    client.send("slow.svc", "r2", b"second")
    harness.wait_for(lambda: service_entry(system(gateway), "slow.svc")["busy"] == 2,
                     5.0, 0.05, "both requests at the worker")
    before = system(gateway)["counters"]
    doomed.kill()
    # its connection closes: gone at once, not after the heartbeats
    harness.wait_for(lambda: not workers_of(system(gateway), "slow.svc"), 2.0, 0.02,
                     "the killed worker to leave")
    doc = system(gateway)
    counters = doc["counters"]
    check_equal(counters["redispatched"] - before["redispatched"], 2, "re-dispatched")
    check_equal(counters["workers_expired"] - before["workers_expired"], 1, "workers expired")
    entry = service_entry(doc, "slow.svc")
    check_equal((entry["workers"], entry["queued"], entry["busy"]), (0, 2, 0),
                "queue after the death")
    check(entry["oldest_wait_ms"] >= 0, "oldest wait: %r" % entry)
    check_equal((entry["dispatched"], entry["redispatched"]), (2, 2), "the service's counts")

    # a hung worker (connection open, no heartbeats) leaves after expiry
    # (a bare DEALER: READY, then silence; libzmq keeps the connection up)
    raw_worker(gateway, "slow.svc", "slots=2", "heartbeat=200")
    started = time.monotonic()
    harness.wait_for(lambda: service_entry(system(gateway), "slow.svc")["busy"] == 2,
                     5.0, 0.02, "the requests at the second worker")
    harness.wait_for(lambda: not workers_of(system(gateway), "slow.svc"), 5.0, 0.02,
                     "the hung worker to expire")
    waited = time.monotonic() - started
    check(waited >= 0.3, "expired after its liveness, not at once (%.2f s)" % waited)
    doc = system(gateway)
    check_equal(doc["counters"]["redispatched"] - before["redispatched"], 4,
                "re-dispatched, both workers")
    # a live worker takes them: they are answered, on their third dispatch
    WorkerThread(gateway.workers, "slow.svc", lambda body: b"done:" + body)
    replies = {client.recv(5.0)[1] for _ in range(2)}
    check_equal(replies, {b"r1", b"r2"}, "both answered after re-dispatch")
    harness.wait_for(lambda: service_entry(system(gateway), "slow.svc")["queued"] == 0,
                     2.0, 0.02, "the queue to drain")


@runner.test
def test_full_queue_shows_depth_oldest_wait_and_busy_failure():
    gateway = harness.start_gateway(queue_max=3, no_worker_wait_ms=60000)
    client = MdpClient(gateway.clients)
    for index in range(3):
        client.send("nobody.svc", "q%d" % index, json.dumps({"name": SECRET}))
    time.sleep(0.3)
    client.send("nobody.svc", "q-busy", json.dumps({"name": SECRET}))
    _, request_id, body = client.recv(5.0)
    check_equal((request_id, error_code(body)), (b"q-busy", "busy"), "the fourth is refused")
    text = gateway.client().request(SYSTEM, b"", timeout=5.0)
    check(SECRET.encode() not in text, "no request body in the document")
    doc = json.loads(text)
    entry = service_entry(doc, "nobody.svc")
    check_equal((entry["workers"], entry["queued"]), (0, 3), "depth")
    check(entry["oldest_wait_ms"] >= 250, "oldest wait: %r" % entry["oldest_wait_ms"])
    check_equal(doc["limits"]["queue_max"], 3, "queue_max")
    check_equal(doc["held"]["queued"], 3, "held queued")
    recent = doc["failures"]["recent"]
    check(recent, "a failure is listed")
    newest = recent[0]
    check_equal((newest["service"], newest["code"], newest["attempts"], newest["source"]),
                ("nobody.svc", "busy", 0, "gateway"), "the busy refusal")
    check(re.fullmatch(r"[0-9a-f]{2,10}", newest["client"]), "client prefix: %r" % newest)
    check(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", newest["time"]),
          "time: %r" % newest["time"])
    check(newest["age_ms"] < 10000, "age: %r" % newest)
    check_equal(doc["counters"]["busy"], 1, "busy counted")
    # the table says the same; no matcher registered: exit 1
    status, out, err = jobmatch_status(gateway)
    check_equal(status, 1, "exit without a jobmatch.match worker (%s)" % err.strip())
    check("no worker is registered for jobmatch.match" in err, "stderr: %r" % err)
    check(re.search(r"nobody\.svc +0 +0 +0 +3 ", out), "queue row: %s" % out)
    check(re.search(r"nobody\.svc +busy +0 ", out), "failure row: %s" % out)
    check(SECRET not in out, "no body in the table")
    # only the newest N failures when asked
    check_equal(len(system(gateway, b'{"failures": 0}')["failures"]["recent"]), 0, "failures 0")


@runner.test
def test_worker_error_replies_are_failures_too():
    gateway = harness.start_gateway()
    refusal = json.dumps({"ok": False, "error": {"code": "unknown_job", "message": SECRET}})
    WorkerThread(gateway.workers, "refuse.svc", lambda body: refusal)
    gateway.wait_workers("refuse.svc", 1)
    reply = gateway.client().request("refuse.svc", b"{}", timeout=5.0)
    check_equal(error_code(reply), "unknown_job", "the worker's refusal")
    gateway.client().request("refuse.svc", b"{}", timeout=5.0)
    doc = system(gateway)
    newest = doc["failures"]["recent"][0]
    check_equal((newest["service"], newest["code"], newest["attempts"], newest["source"]),
                ("refuse.svc", "unknown_job", 1, "worker"), "the worker's refusal listed")
    check_equal(doc["counters"]["worker_errors"], 2, "worker errors")
    check_equal(doc["failures"]["total"], 2, "failures total")
    check(SECRET not in json.dumps(doc), "never the message")


@runner.test
def test_cli_exit_codes_and_json():
    gateway = harness.start_gateway()
    WorkerThread(gateway.workers, "jobmatch.match", lambda body: body, slots=3)
    gateway.wait_workers("jobmatch.match", 1)
    gateway.client().request("jobmatch.match", b"{}", timeout=5.0)
    status, out, err = jobmatch_status(gateway)
    check_equal(status, 0, "exit with a matcher (%s)" % err.strip())
    check(re.search(r"jobmatch\.match +1 +3 +0 +0 +- +1 +0\n", out), "queue row: %s" % out)
    check(re.search(r"jobmatch\.match +1 +3 +0 +0 ", out), "queue row: %s" % out)
    check("WORKERS" in out and "3/3" in out, "worker row: %s" % out)
    status, out, err = jobmatch_status(gateway, "--json")
    check_equal(status, 0, "exit with --json")
    doc = json.loads(out)
    check("ok" not in doc, "--json prints the document without ok")
    check_equal([entry["name"] for entry in doc["services"]], ["jobmatch.match"], "services")
    status, out, err = jobmatch_status(gateway, "--failures", "101")
    check_equal(status, 2, "usage error")
    check("--failures" in err, "names the option: %r" % err)
    # no gateway there: exit 2 after the timeout
    silent = "tcp://127.0.0.1:%d" % harness.free_port()
    run = subprocess.run([harness.binary("jobmatch"), "status", "--gateway", silent,
                          "--timeout-ms", "300"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, timeout=30)
    check_equal(run.returncode, 2, "no gateway (%s)" % run.stderr.strip())
    check("no reply" in run.stderr, "says why: %r" % run.stderr)


@runner.test
def test_hostile_bodies_get_clear_errors():
    gateway = harness.start_gateway()
    client = gateway.client()
    cases = [
        (b"garbage", "not JSON"),
        (b"[1, 2]", "JSON object"),
        (b'{"failures": -1}', "\"failures\" must be an integer"),
        (b'{"failures": "all"}', "\"failures\" must be an integer"),
        (b'{"failures": 1, "failures": 2}', "not JSON"),
        (b'{"workers": 1}', "unknown member \"workers\""),
        (b"{" * 5000, "at most 1024"),
        (b"\xff\xfe\x00", "not JSON"),
    ]
    for body, wanted in cases:
        reply = json.loads(client.request(SYSTEM, body, timeout=5.0))
        check_equal(reply.get("ok"), False, "refused %r" % body[:20])
        check_equal(reply["error"]["code"], "invalid_request", "code for %r" % body[:20])
        check(wanted in reply["error"]["message"], "message for %r: %r"
              % (body[:20], reply["error"]["message"]))
    # two body frames
    client.send_raw(["x1", "", "MDPC01", SYSTEM, "{}", "{}"])
    _, request_id, body = client.recv(5.0)
    check_equal(error_code(body), "invalid_request", "two frames")
    # a worker may not take the name
    socket = raw_worker(gateway, SYSTEM)
    check(socket.poll(2000), "the gateway answers the READY")
    check_equal(socket.recv_multipart()[2], b"\x05", "DISCONNECT for a reserved name")
    doc = system(gateway)
    check_equal(doc["counters"]["workers_joined"], 0, "no worker took jobmatch.system")
    check(len(doc["failures"]["recent"]) >= len(cases), "the refusals are listed")
    check(gateway.process.alive(), "the gateway keeps serving")


@runner.test
def test_dashboard_answers_the_same_document():
    from stack import MATCH, Stack
    from dashstack import Dashboard, OpenApi
    api = OpenApi()
    stack = Stack(matchers=1)
    dashboard = Dashboard(stack, token="status-token")
    response = dashboard.request("GET", "/api/v1/system")
    check_equal(response.status, 200, "GET /api/v1/system (%r)" % response.raw[:200])
    doc = api.check(response, "GET", "/api/v1/system")
    direct = system(stack.gateway)
    del direct["ok"]
    check_equal(sorted(doc), sorted(direct), "the same members as jobmatch.system")
    check_equal(sorted((w["service"], w["id"]) for w in doc["workers"]),
                sorted((w["service"], w["id"]) for w in direct["workers"]), "the same workers")
    matchers = workers_of(doc, MATCH)
    check_equal(len(matchers), 1, "one matcher")
    pid = stack.matchers[0].popen.pid
    check(matchers[0]["name"] and matchers[0]["name"].endswith(":%d" % pid),
          "the matcher says host:pid: %r" % matchers[0]["name"])
    check(all(worker["name"] == matchers[0]["name"] for worker in doc["workers"]),
          "its three services carry the same name")
    response = dashboard.request("GET", "/api/v1/system?failures=1")
    check(len(api.check(response, "GET", "/api/v1/system")["failures"]["recent"]) <= 1,
          "failures=1")
    response = dashboard.request("GET", "/api/v1/system?failures=x")
    check_equal((response.status, response.code()), (400, "invalid_request"), "bad failures")
    response = dashboard.request("GET", "/api/v1/system", auth=False)
    check_equal(response.status, 401, "the token is needed")
    status, out, err = jobmatch_status(stack.gateway)
    check_equal(status, 0, "exit with a real matcher (%s)" % err.strip())
    check(matchers[0]["name"] in out, "the table names the matcher: %s" % out)


if __name__ == "__main__":
    runner.main()
