#!/usr/bin/python3
"""The dashboard as a stranger meets it (issue 14, item 6), against a real
stack: a private redis-server, jobmatch-gateway, a jobmatch-matcher and
jobmatch-dashboard on free loopback ports.

  - Host: a name that is not one of --allowed-hosts gets 421 naming the
    header (DNS rebinding); the loopback names and the --listen address
    are served, with or without the port.
  - Writes: another origin (Origin, Referer, Sec-Fetch-Site) gets 403, a
    body that is not application/json 415, and nothing reaches Redis; a
    same-origin JSON write and a client without Origin (curl) still work.
  - HTTPS with a certificate made here by openssl; plain HTTP on that port
    gets no HTTP answer; unreadable or mismatched files are refused.
  - Connections: 4,100 slow, idle connections from 127.0.0.2 do not stop
    127.0.0.1 being served; an idle connection is closed.
  - Rate: more than --rate-burst at once gets 429 with Retry-After, for
    that address only.
  - /livez, /readyz and /healthz name no endpoint.

Every JSON response is checked against proto/openapi.yaml.

    tests/integration/test_dashboard_security.py [NAME-FILTER...]

Prints "ok NAME" or "FAIL NAME: why" per test and "N passed, N failed".
"""
import http.client
import json
import os
import resource
import select
import socket
import ssl
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
import harness  # noqa: E402
from harness import TestFailure, check, check_equal  # noqa: E402
from stack import Stack, rank_key, read_record, result_key  # noqa: E402
from dashstack import DATA_DIR, Dashboard, OpenApi, Response, dashboard_argv  # noqa: E402

runner = harness.Runner(timeout=180)
JOB = "backend-developer"
API = OpenApi()


def candidate(candidate_id):
    return {"candidate": {"id": candidate_id, "name": "Probe " + candidate_id,
                          "skills": ["Python", "PostgreSQL", "Docker"]}, "jobs": [JOB]}


def stored(stack, candidate_id):
    """True when Redis holds a result of candidate_id for JOB, or ranks it."""
    redis = stack.redis.client()
    if redis.exists(result_key(JOB, candidate_id)) or read_record(redis, JOB, candidate_id):
        return True
    return any(redis.zscore(key, candidate_id) is not None
               for key in redis.scan_iter(match=rank_key(JOB, "*")))


def raw_request(port, method, path, headers, body=b"", source="127.0.0.1", host="127.0.0.1"):
    """One request with exactly these headers (http.client adds no Host or
    Content-Type of its own), from the source address.  Returns a Response."""
    connection = http.client.HTTPConnection(host, port, timeout=30, source_address=(source, 0))
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for key, value in headers.items():
            connection.putheader(key, value)
        if body or method in ("POST", "PUT"):
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body if body else None)
        reply = connection.getresponse()
        return Response(reply.status, dict(reply.getheaders()), reply.read())
    finally:
        connection.close()


def refused(response, status, code, header, template, method="GET"):
    """response is the error status with code, naming header."""
    API.check(response, method, template)
    check_equal((response.status, response.code()), (status, code), "%s %s" % (method, template))
    error = response.json()["error"]
    check_equal(error.get("header"), header, "the header named")
    check(header in error["message"], "message names %s: %r" % (header, error["message"]))


# --------------------------------------------------------------------------
# Host (DNS rebinding)

@runner.test
def test_foreign_host_refused_allowed_hosts_served():
    stack = Stack(matchers=0)
    dashboard = Dashboard(stack)
    port = dashboard.port
    for host in ["evil.test:%d" % port, "evil.test", "localhost.evil.test:%d" % port,
                 "127.0.0.2:%d" % port, "127.0.0.1.nip.io:%d" % port]:
        for path, template in [("/api/v1/jobs", "/api/v1/jobs"), ("/healthz", "/healthz"),
                               ("/", None), ("/app.js", None)]:
            response = raw_request(port, "GET", path, {"Host": host})
            check_equal((response.status, response.code()), (421, "misdirected_request"),
                        "Host %s, %s" % (host, path))
            check(host.split(":")[0] in response.json()["error"]["message"], "message names the host")
            if template:
                refused(response, 421, "misdirected_request", "Host", template)
    # the rebinding page's own write, same-origin as far as its browser knows
    response = raw_request(port, "POST", "/api/v1/match",
                           {"Host": "evil.test:%d" % port, "Origin": "http://evil.test:%d" % port,
                            "Content-Type": "application/json"},
                           json.dumps(candidate("rebound")).encode())
    refused(response, 421, "misdirected_request", "Host", "/api/v1/match", "POST")
    check(not stored(stack, "rebound"), "nothing stored from a rebound page")
    # HTTP/1.0 without any Host
    response = raw_request(port, "GET", "/api/v1/jobs", {})
    check_equal(response.status, 421, "no Host")
    # the loopback names and the address it listens on, with or without the port
    for host in ["localhost:%d" % port, "localhost", "LOCALHOST:%d" % port, "127.0.0.1:%d" % port,
                 "127.0.0.1", "[::1]:%d" % port, "localhost.:%d" % port]:
        response = raw_request(port, "GET", "/api/v1/jobs", {"Host": host})
        API.check(response, "GET", "/api/v1/jobs")
        check_equal(response.status, 200, "Host %s served" % host)
        check_equal(raw_request(port, "GET", "/", {"Host": host}).status, 200, "page for %s" % host)
    # --allowed-hosts replaces the names; the --listen address stays
    other = harness.free_port()
    named = spawn_dashboard(stack, "127.0.0.3", other, "--allowed-hosts", "dash.example.test, .corp.test")
    check_equal(raw_request(other, "GET", "/api/v1/jobs", {"Host": "dash.example.test:%d" % other},
                            host="127.0.0.3").status, 200, "a named host")
    check_equal(raw_request(other, "GET", "/api/v1/jobs", {"Host": "a.corp.test"},
                            host="127.0.0.3").status, 200, "a name under .corp.test")
    check_equal(raw_request(other, "GET", "/api/v1/jobs", {"Host": "127.0.0.3:%d" % other},
                            host="127.0.0.3").status, 200, "the --listen address")
    check_equal(raw_request(other, "GET", "/api/v1/jobs", {"Host": "localhost:%d" % other},
                            host="127.0.0.3").status, 421, "localhost no longer")
    check(named.alive() and dashboard.alive(), "dashboards alive")


def spawn_dashboard(stack, address, port, *options, name="dashboard-named", env=None):
    """A dashboard on address:port with these options; returns its process
    once it answers (any status: its Host rules may refuse ours)."""
    argv = dashboard_argv(stack, None, *options)
    if address:
        argv += ["--listen", "%s:%d" % (address, port)]
    process = harness.spawn(name, argv, env=env)

    def answers():
        if not process.alive():
            raise TestFailure("%s exited: %s" % (name, " | ".join(process.tail())))
        try:
            raw_request(port, "GET", "/healthz", {"Host": "127.0.0.1"}, host=address or "127.0.0.1")
            return True
        except OSError:
            return False
    harness.wait_for(answers, 10.0, 0.05, "%s to answer" % name)
    return process


# --------------------------------------------------------------------------
# Writes: origin and content type

@runner.test
def test_cross_site_writes_refused_and_nothing_stored():
    stack = Stack(matchers=1)
    dashboard = Dashboard(stack)            # no --token: the default
    port = dashboard.port
    own = "http://127.0.0.1:%d" % port
    evil = "http://127.0.0.1:%d" % harness.free_port()
    plain = json.dumps(candidate("csrf-plain")).encode()
    cases = [
        # what a cross-site form or no-cors fetch sends: text/plain, with an Origin
        ("csrf-plain", {"Origin": evil, "Content-Type": "text/plain"}, 403, "cross_origin", "Origin"),
        # even from our own origin, text/plain is not a write
        ("csrf-own-plain", {"Origin": own, "Content-Type": "text/plain;charset=UTF-8"}, 415,
         "unsupported_media_type", "Content-Type"),
        ("csrf-form", {"Content-Type": "application/x-www-form-urlencoded"}, 415,
         "unsupported_media_type", "Content-Type"),
        ("csrf-multipart", {"Content-Type": "multipart/form-data; boundary=x"}, 415,
         "unsupported_media_type", "Content-Type"),
        ("csrf-none", {}, 415, "unsupported_media_type", "Content-Type"),
        ("csrf-jsonish", {"Content-Type": "application/jsonp"}, 415, "unsupported_media_type",
         "Content-Type"),
        # JSON, but another origin says so: Origin, Referer, Sec-Fetch-Site
        ("csrf-origin", {"Origin": evil, "Content-Type": "application/json"}, 403, "cross_origin",
         "Origin"),
        ("csrf-null", {"Origin": "null", "Content-Type": "application/json"}, 403, "cross_origin",
         "Origin"),
        ("csrf-scheme", {"Origin": "https://127.0.0.1:%d" % port, "Content-Type": "application/json"},
         403, "cross_origin", "Origin"),
        ("csrf-referer", {"Referer": "http://evil.test/page", "Content-Type": "application/json"}, 403,
         "cross_origin", "Referer"),
        ("csrf-site", {"Sec-Fetch-Site": "cross-site", "Content-Type": "application/json"}, 403,
         "cross_origin", "Sec-Fetch-Site"),
        ("csrf-same-site", {"Sec-Fetch-Site": "same-site", "Content-Type": "application/json"}, 403,
         "cross_origin", "Sec-Fetch-Site"),
    ]
    for candidate_id, headers, status, code, header in cases:
        headers = dict(headers, Host="127.0.0.1:%d" % port)
        body = json.dumps(candidate(candidate_id)).encode() if candidate_id != "csrf-plain" else plain
        response = raw_request(port, "POST", "/api/v1/match", headers, body)
        refused(response, status, code, header, "/api/v1/match", "POST")
    # a job put and a delete from another origin change nothing
    job = {"title": "Planted", "requirements": [{"skill": "Python", "importance": "required"}]}
    response = raw_request(port, "PUT", "/api/v1/jobs/planted",
                           {"Host": "127.0.0.1:%d" % port, "Origin": evil,
                            "Content-Type": "application/json"}, json.dumps(job).encode())
    refused(response, 403, "cross_origin", "Origin", "/api/v1/jobs/{job}", "PUT")
    response = raw_request(port, "PUT", "/api/v1/jobs/planted", {"Host": "127.0.0.1:%d" % port,
                           "Content-Type": "text/plain"}, json.dumps(job).encode())
    refused(response, 415, "unsupported_media_type", "Content-Type", "/api/v1/jobs/{job}", "PUT")
    response = raw_request(port, "DELETE", "/api/v1/jobs/" + JOB,
                           {"Host": "127.0.0.1:%d" % port, "Origin": evil})
    refused(response, 403, "cross_origin", "Origin", "/api/v1/jobs/{job}", "DELETE")
    response = raw_request(port, "POST", "/api/v1/best", {"Host": "127.0.0.1:%d" % port,
                           "Origin": evil, "Content-Type": "application/json"},
                           json.dumps({"candidate": candidate("x")["candidate"]}).encode())
    refused(response, 403, "cross_origin", "Origin", "/api/v1/best", "POST")
    # nothing of it reached Redis or the registry
    for candidate_id, *_ in cases:
        check(not stored(stack, candidate_id), "%s not stored" % candidate_id)
    check_equal(dashboard.get("/api/v1/jobs/planted").status, 404, "no planted job")
    check_equal(dashboard.get("/api/v1/jobs/" + JOB).status, 200, "the job is still there")
    # the page's own writes, and clients without Origin (curl, scripts), work
    response = raw_request(port, "POST", "/api/v1/match",
                           {"Host": "127.0.0.1:%d" % port, "Origin": own,
                            "Referer": own + "/", "Sec-Fetch-Site": "same-origin",
                            "Content-Type": "application/json; charset=utf-8"},
                           json.dumps(candidate("same-origin")).encode())
    API.check(response, "POST", "/api/v1/match")
    check_equal(response.status, 200, "same-origin JSON write: %r" % response)
    check(stored(stack, "same-origin"), "the same-origin write is stored")
    response = raw_request(port, "POST", "/api/v1/match", {"Host": "localhost:%d" % port,
                           "Referer": "http://localhost:%d/?x" % port,
                           "Content-Type": "application/json"},
                           json.dumps(candidate("same-referer")).encode())
    check_equal(response.status, 200, "a same-origin Referer")
    check_equal(dashboard.request("POST", "/api/v1/match", candidate("no-origin")).status, 200,
                "a client without Origin")
    check(stored(stack, "no-origin") and stored(stack, "same-referer"), "stored")
    # a DELETE needs no Content-Type (it has no body), reads need no Origin check
    check_equal(dashboard.request("DELETE", "/api/v1/jobs/nothing-here").status, 404,
                "a DELETE without Content-Type reaches the registry")
    check_equal(raw_request(port, "GET", "/api/v1/jobs", {"Host": "127.0.0.1:%d" % port,
                            "Origin": evil}).status, 200, "a read with a foreign Origin")


@runner.test
def test_token_does_not_let_another_origin_write():
    stack = Stack(matchers=1)
    dashboard = Dashboard(stack, token="t0ken")
    evil = "http://localhost:%d" % harness.free_port()
    response = dashboard.request("POST", "/api/v1/match", candidate("with-token"),
                                 headers={"Origin": evil})
    refused(response, 403, "cross_origin", "Origin", "/api/v1/match", "POST")
    response = dashboard.request("POST", "/api/v1/match", candidate("with-token"),
                                 headers={"Content-Type": "text/plain"})
    check_equal(response.status, 415, "text/plain with the token")
    check(not stored(stack, "with-token"), "nothing stored")
    response = dashboard.request("POST", "/api/v1/match", candidate("with-token"), auth=False)
    check_equal(response.status, 401, "the token is still asked")
    check_equal(dashboard.request("POST", "/api/v1/match", candidate("with-token")).status, 200,
                "with the token")


# --------------------------------------------------------------------------
# HTTPS

def make_certificate(directory, name):
    """A self-signed certificate for localhost and 127.0.0.1 and its key,
    made with openssl.  Returns (cert path, key path)."""
    cert, key = os.path.join(directory, name + ".crt"), os.path.join(directory, name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def start_tls(stack, cert, key, name="dashboard-tls", **options):
    port = harness.free_port()
    argv = dashboard_argv(stack, port, "--tls-cert", cert, "--tls-key", key, **options)
    process = harness.spawn(name, argv)
    context = ssl.create_default_context(cafile=cert)

    def request(method, path, body=None, headers=None):
        connection = http.client.HTTPSConnection("localhost", port, timeout=30, context=context)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            reply = connection.getresponse()
            return Response(reply.status, dict(reply.getheaders()), reply.read())
        finally:
            connection.close()

    def ready():
        if not process.alive():
            raise TestFailure("the TLS dashboard exited: %s" % " | ".join(process.tail()))
        try:
            return request("GET", "/healthz").status in (200, 503)
        except OSError:
            return False
    harness.wait_for(ready, 10.0, 0.05, "the TLS dashboard")
    return port, request, process


def start_failing(stack, *options):
    """Runs the dashboard with these options, expecting it to refuse to
    start; returns (exit status, stderr)."""
    argv = dashboard_argv(stack, harness.free_port(), *options)
    run = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    return run.returncode, run.stderr


@runner.test
def test_https_serves_and_refuses_plain_http():
    stack = Stack(matchers=1)
    directory = harness.tmpdir()
    cert, key = make_certificate(directory, "dash")
    port, request, process = start_tls(stack, cert, key, token="tls-token")
    auth = {"Authorization": "Bearer tls-token"}
    response = request("GET", "/api/v1/jobs", headers=auth)
    API.check(response, "GET", "/api/v1/jobs")
    check_equal(response.status, 200, "jobs over HTTPS")
    check(b"app.js" in request("GET", "/", headers=auth).raw, "the page over HTTPS")
    cookie = request("GET", "/?token=tls-token").headers.get("Set-Cookie", "")
    check("Secure" in cookie and "HttpOnly" in cookie, "the token cookie is Secure: %r" % cookie)
    own = "https://localhost:%d" % port
    response = request("POST", "/api/v1/match", json.dumps(candidate("over-tls")),
                       dict(auth, Origin=own, **{"Content-Type": "application/json"}))
    check_equal(response.status, 200, "a same-origin write over HTTPS: %r" % response)
    check(stored(stack, "over-tls"), "stored")
    # the same host over http:// is another origin
    response = request("POST", "/api/v1/match", json.dumps(candidate("tls-downgrade")),
                       dict(auth, Origin="http://localhost:%d" % port,
                            **{"Content-Type": "application/json"}))
    check_equal((response.status, response.code()), (403, "cross_origin"), "http:// origin on https")
    check(not stored(stack, "tls-downgrade"), "not stored")
    # plain HTTP on the HTTPS port gets no HTTP answer
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        raw.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        answer = b""
        try:
            while len(answer) < 4096:
                chunk = raw.recv(4096)
                if not chunk:
                    break
                answer += chunk
        except OSError:
            pass
    check(not answer.startswith(b"HTTP/"), "plain HTTP answered: %r" % answer[:80])
    check(b"healthz" not in answer and b"status" not in answer, "nothing of /healthz in clear")
    check(process.alive(), "still serving")
    check_equal(request("GET", "/healthz").status, 200, "HTTPS after the plain attempt")
    # bad files: missing, a directory, not PEM, a key of another certificate, half a pair
    other_cert, other_key = make_certificate(directory, "other")
    cases = [
        (["--tls-cert", os.path.join(directory, "missing.crt"), "--tls-key", key], "cannot read"),
        (["--tls-cert", cert, "--tls-key", directory], "unreadable"),
        (["--tls-cert", key, "--tls-key", key], "not a PEM certificate"),
        (["--tls-cert", cert, "--tls-key", cert], "not a PEM private key"),
        (["--tls-cert", cert, "--tls-key", other_key], "do not match"),
        (["--tls-cert", cert], "--tls-key is missing"),
        (["--tls-key", key], "--tls-cert is missing"),
    ]
    broken = os.path.join(directory, "broken.crt")
    with open(broken, "w") as out:
        out.write("-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n")
    cases.append((["--tls-cert", broken, "--tls-key", key], "--tls-cert"))
    for options, words in cases:
        status, stderr = start_failing(stack, *options)
        check(status != 0, "%s: started anyway" % options)
        check(words in stderr, "%s: %r in %r" % (options, words, stderr[-300:]))
        check("PRIVATE KEY-----\n" not in stderr, "the key is never printed")


# --------------------------------------------------------------------------
# Connections and rate

def raise_open_files(wanted):
    """Raises this process's open-file limit towards wanted; returns what fits."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


@runner.test
def test_slow_connection_flood_from_one_address():
    """The reproduction of the issue: ~4,100 connections that send half a
    request and wait, all from 127.0.0.2.  127.0.0.1 is still served,
    and the dashboard keeps at most --max-connections-per-ip of them."""
    stack = Stack(matchers=0)
    dashboard = Dashboard(stack)           # default caps
    per_ip = 64
    attack = min(4100, raise_open_files(4100 + 400) - 300)
    check(attack > 2 * per_ip, "room for the flood (%d open files)" % attack)
    flood = []
    started = time.monotonic()
    try:
        for index in range(attack):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            flood.append(sock)
            sock.bind(("127.0.0.2", 0))
            sock.settimeout(10)
            try:
                sock.connect(("127.0.0.1", dashboard.port))
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            except OSError:
                pass                    # refused or reset: the dashboard shed it
        # the victim, from 127.0.0.1, while every attacking socket is open
        for _ in range(5):
            response = dashboard.get("/api/v1/jobs", timeout=10)
            check_equal(response.status, 200, "127.0.0.1 served during the flood")
        response = dashboard.get("/", timeout=10)
        check_equal(response.status, 200, "the page during the flood")
        # the dashboard closed all but per_ip of the attacker's connections:
        # a socket it closed polls readable (end of file) or in error
        def still_open():
            poller = select.poll()
            for sock in flood:
                poller.register(sock, select.POLLIN | select.POLLERR | select.POLLHUP)
            return len(flood) - len(poller.poll(0))
        open_count = harness.wait_for(lambda: (lambda n: n if n <= per_ip else None)(still_open()),
                                      20.0, 0.5, "the attacker's extra connections to close")
        check(open_count <= per_ip, "attacker holds %d connections" % open_count)
        check(open_count >= per_ip // 2, "some of the attacker's are kept (%d): the cap, not a crash"
              % open_count)
        check(dashboard.alive(), "dashboard alive")
        print("note: %d connections from 127.0.0.2 in %.1f s; %d kept open by the dashboard, "
              "127.0.0.1 served throughout" % (attack, time.monotonic() - started, open_count))
    finally:
        for sock in flood:
            sock.close()
    check_equal(dashboard.get("/api/v1/jobs").status, 200, "served after the flood")


@runner.test
def test_idle_connection_closed_and_global_cap():
    stack = Stack(matchers=0)
    dashboard = Dashboard(stack, connection_timeout_s=1, max_connections=16,
                          max_connections_per_ip=0)
    idle = socket.create_connection(("127.0.0.1", dashboard.port), timeout=15)
    idle.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")   # never finished
    try:
        check_equal(idle.recv(100), b"", "an idle connection is closed by the dashboard")
    except ConnectionResetError:
        pass
    finally:
        idle.close()
    # 40 idle connections against a cap of 16: the extra ones wait in the
    # listen queue until the idle timeout frees places; then a client is
    # served again
    held = []
    for _ in range(40):
        sock = socket.create_connection(("127.0.0.1", dashboard.port), timeout=10)
        held.append(sock)
    harness.wait_for(lambda: dashboard_answers(dashboard), 15.0, 0.2,
                     "the dashboard to serve again once idle connections time out")
    for sock in held:
        sock.close()
    check(dashboard.alive(), "alive")


def dashboard_answers(dashboard):
    try:
        return dashboard.get("/api/v1/jobs", timeout=2).status == 200
    except OSError:
        return False


@runner.test
def test_rate_limit_answers_429_per_address():
    stack = Stack(matchers=0)
    dashboard = Dashboard(stack, rate_limit=0.5, rate_burst=10)
    port = dashboard.port

    def get(path, source="127.0.0.5"):          # an address the readiness polls left alone
        return raw_request(port, "GET", path, {"Host": "127.0.0.1:%d" % port}, source=source)
    statuses = [get("/api/v1/jobs").status for _ in range(10)]
    check_equal(statuses, [200] * 10, "the burst is served")
    response = get("/api/v1/jobs")
    API.check(response, "GET", "/api/v1/jobs")
    check_equal((response.status, response.code()), (429, "rate_limited"), "over the burst")
    retry = int(response.headers.get("Retry-After", "0"))
    check(1 <= retry <= 2, "Retry-After %r (one token every 2 s)" % retry)
    check_equal(get("/healthz").status, 429, "every path counts")
    check_equal(get("/").status, 429, "the page too")
    # another address has its own bucket
    check_equal(get("/api/v1/jobs", source="127.0.0.2").status, 200, "127.0.0.2 served")
    # after Retry-After, one more
    time.sleep(retry + 0.2)
    check_equal(get("/api/v1/jobs").status, 200, "served again after Retry-After")
    metrics = raw_request(dashboard.port, "GET", "/metrics", {"Host": "localhost"}, source="127.0.0.3")
    check('jobmatch_dashboard_http_errors_total{code="rate_limited"}' in metrics.raw.decode(),
          "429s counted")
    # the defaults never bother a page: 300 requests at once are all served
    busy = Dashboard(stack, name="dashboard-defaults")
    statuses = set(busy.get("/api/v1/jobs").status for _ in range(300))
    check_equal(statuses, {200}, "300 requests under the default limit")


# --------------------------------------------------------------------------
# /healthz and settings

@runner.test
def test_healthz_names_no_endpoint():
    stack = Stack(matchers=1)
    dashboard = Dashboard(stack)
    for state in ("up", "down"):
        for probe in ["/readyz", "/livez", "/healthz"]:
            response = dashboard.get(probe)
            body = API.check(response, "GET", probe)
            raw = response.raw.decode()
            for secret in ["redis://", "tcp://", "unix:", "127.0.0.1", "localhost", ":%d" % stack.redis.port,
                           str(stack.redis.port), str(stack.gateway.clients.rsplit(":", 1)[1]),
                           DATA_DIR, harness.ROOT, "endpoint", "/"]:
                check(secret not in raw, "%s (%s) shows %r: %s" % (probe, state, secret, raw[:300]))
        check(body["checks"]["redis"]["state"] in ("ok", "down"), "redis state")
        check(body["checks"]["gateway"]["state"] in ("ok", "down"), "gateway state")
        if state == "up":
            check_equal(body["checks"]["redis"]["state"], "ok", "redis up")
            stack.redis.process.stop()
        else:
            check_equal((response.status, body["checks"]["redis"]["state"]), (503, "down"), "redis down")


@runner.test
def test_settings_in_help_and_bad_values_refused():
    stack = Stack(matchers=0)
    binary = harness.binary("jobmatch-dashboard")
    out = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=10).stdout
    for name in ["allowed-hosts", "tls-cert", "tls-key", "max-connections", "max-connections-per-ip",
                 "connection-timeout-s", "rate-limit", "rate-burst"]:
        check("--" + name in out, "--help names --%s" % name)
        check("JOBMATCH_" + name.upper().replace("-", "_") in out, "--help names its variable")
    status, stderr = start_failing(stack, "--allowed-hosts", "dash example")
    check(status != 0 and "--allowed-hosts" in stderr and "dash example" in stderr,
          "a bad --allowed-hosts: %r" % stderr[-200:])
    status, stderr = start_failing(stack, "--rate-limit", "-1")
    check(status == 2 and "rate-limit" in stderr, "a negative --rate-limit: %r" % stderr[-200:])
    status, stderr = start_failing(stack, "--connection-timeout-s", "0")
    check(status == 2 and "connection-timeout-s" in stderr, "a zero timeout: %r" % stderr[-200:])
    # from the environment
    port = harness.free_port()
    env = dict(os.environ, JOBMATCH_ALLOWED_HOSTS="env.example.test",
               JOBMATCH_LISTEN="127.0.0.1:%d" % port)
    spawn_dashboard(stack, None, port, name="dashboard-env", env=env)
    check_equal(raw_request(port, "GET", "/api/v1/jobs", {"Host": "env.example.test"}).status, 200,
                "JOBMATCH_ALLOWED_HOSTS applies")
    check_equal(raw_request(port, "GET", "/api/v1/jobs", {"Host": "localhost"}).status, 421,
                "and replaces the loopback names")


if __name__ == "__main__":
    runner.main()
