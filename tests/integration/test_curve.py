#!/usr/bin/python3
"""Integration tests for CURVE: the real jobmatch-gateway with --curve-cert
and certificate directories, real matchers, the CLI, the dashboard and
proto/examples/client.py on free loopback ports, with keys written by
`jobmatch keys new`.  Covers who may connect on which socket (a worker key
cannot send requests, a client key cannot register as a worker, an unknown
key and a plaintext peer get nothing), the denial counters, admin-only
registry writes, the refusal to bind an open address without CURVE, and
`jobmatch keys new` itself.

    tests/integration/test_curve.py [NAME-FILTER...]

Prints "ok NAME" or "FAIL NAME: why" per test and "N passed, N failed";
exits 1 when any failed.  Every process is stopped at the end of its test.
"""
import json
import os
import stat
import subprocess
import sys
import time
import urllib.request

import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import stack  # noqa: E402
from harness import check, check_equal, error_code  # noqa: E402
from stack import MATCH, body  # noqa: E402

sys.path.insert(0, os.path.join(harness.ROOT, "proto", "examples"))
import client as example_client  # noqa: E402

runner = harness.Runner(timeout=120)

JOBS = "jobmatch.jobs"
CLIENT_PY = os.path.join(harness.ROOT, "proto", "examples", "client.py")


def run_cli(*args, env=None, timeout=30):
    """Runs build/bin/jobmatch with args; returns the CompletedProcess."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([harness.binary("jobmatch")] + [str(arg) for arg in args],
                          capture_output=True, text=True, timeout=timeout, env=full_env)


class Keys:
    """A fresh key directory: the gateway's pair, and clients/, workers/,
    admins/ (the gateway's allowed directories) plus others/ (keys no
    directory allows), each pair written by `jobmatch keys new`."""

    def __init__(self):
        import tempfile
        self.dir = tempfile.mkdtemp(prefix="keys-", dir=harness.tmpdir())
        for sub in ("clients", "workers", "admins", "others"):
            os.mkdir(os.path.join(self.dir, sub))
        self.new("gateway")

    def new(self, name, sub=""):
        """Writes a pair; returns (public path, secret path)."""
        where = os.path.join(self.dir, sub)
        out = run_cli("keys", "new", name, "--dir", where)
        check_equal(out.returncode, 0, "jobmatch keys new %s exit (%s)" % (name, out.stderr.strip()))
        return os.path.join(where, name), os.path.join(where, name + "_secret")

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def public_key(self, path):
        return example_client.load_certificate(path)[0].decode()


class CurveClient(harness.MdpClient):
    """harness.MdpClient over CURVE: the gateway's public certificate and
    our secret certificate (paths), read as client.py reads them."""

    def __init__(self, endpoint, server_cert, own_cert):
        server_public, _ = example_client.load_certificate(server_cert)
        public, secret = example_client.load_certificate(own_cert)
        self.req = False
        self.socket = harness.context().socket(zmq.DEALER)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.curve_serverkey = server_public
        self.socket.curve_publickey = public
        self.socket.curve_secretkey = secret
        self.socket.connect(endpoint)
        self._sequence = 0
        harness.on_cleanup(self.close)


class CurveGateway(harness.Gateway):
    """The gateway with CURVE on: its own client (for stats) uses the
    admin key when there is one, else a client key."""

    def __init__(self, keys, admins=True, name="gateway", **options):
        self.keys = keys
        _, self.own_secret = keys.new("gateway-stats", "admins" if admins else "clients")
        options.update(curve_cert=keys.path("gateway_secret"), curve_clients=keys.path("clients"),
                       curve_workers=keys.path("workers"))
        if admins:
            options["curve_admins"] = keys.path("admins")
        harness.Gateway.__init__(self, name, **options)

    def client(self):
        if self._client is None:
            self._client = CurveClient(self.clients, self.keys.path("gateway"), self.own_secret)
        return self._client

    def curve_client(self, own_cert):
        return CurveClient(self.clients, self.keys.path("gateway"), own_cert)


def start_matcher(gateway, redis, cert, name="matcher"):
    """A jobmatch-matcher with CURVE keys (cert: its secret certificate)."""
    return harness.spawn(name, [
        harness.binary("jobmatch-matcher"), "--gateway", gateway.workers,
        "--redis", redis.url_for("matcher") + "/0", "--data", stack.DATA_DIR,
        "--curve-server", gateway.keys.path("gateway"), "--curve-cert", cert])


def match_body():
    return body(stack.sample_candidates()[0])


def expect_silence(client, service, request_body, timeout=1.5):
    """Fails unless a request gets no reply at all within timeout."""
    try:
        reply = client.request(service, request_body, timeout=timeout)
    except TimeoutError:
        return
    raise harness.TestFailure("expected no reply, got %r" % reply[:200])


@runner.test
def allowed_matcher_serves_allowed_clients():
    keys = Keys()
    _, worker_secret = keys.new("matcher-1", "workers")
    _, client_secret = keys.new("board-1", "clients")
    redis = harness.start_redis()
    gateway = CurveGateway(keys)
    matcher = start_matcher(gateway, redis, worker_secret)
    gateway.wait_workers(MATCH, 1, timeout=30.0)

    client = gateway.curve_client(client_secret)
    reply = json.loads(client.request(MATCH, match_body(), timeout=30.0))
    check(reply.get("ok") is True, "match over CURVE: %s" % json.dumps(reply)[:300])
    result = reply["results"][0]
    check(0 <= result["score"] <= 100 and result["stored"] is True, "result %r" % result)

    # the CLI, with the same key from the environment and from options
    env = {"JOBMATCH_CURVE_SERVER": keys.path("gateway"), "JOBMATCH_CURVE_CERT": client_secret}
    out = run_cli("jobs", "list", "--gateway", gateway.clients, "--timeout-ms", 10000, env=env)
    check_equal(out.returncode, 0, "jobmatch jobs list over CURVE (%s)" % out.stderr.strip())
    check("backend-developer" in out.stdout, "jobs list: %r" % out.stdout[:200])
    out = run_cli("--curve-server", keys.path("gateway"), "--curve-cert", client_secret,
                  "submit", "--gateway", gateway.clients, "--timeout-ms", 10000,
                  os.path.join(harness.ROOT, "proto", "examples", "candidates.jsonl"))
    check_equal(out.returncode, 0, "jobmatch submit over CURVE (%s)" % out.stderr.strip()[:300])
    check(all(json.loads(line)["score"] >= 0 for line in out.stdout.splitlines()), "submit output")
    # only one of the two given: refused with a clear message
    out = run_cli("jobs", "list", "--gateway", gateway.clients,
                  env={"JOBMATCH_CURVE_CERT": client_secret})
    check(out.returncode == 2 and "--curve-server" in out.stderr, "half a key pair: %r" % out.stderr)

    # proto/examples/client.py
    out = subprocess.run([harness.PYTHON, CLIENT_PY, "--gateway", gateway.clients,
                          "--curve-server", keys.path("gateway"), "--curve-cert", client_secret,
                          "jobs"], capture_output=True, text=True, timeout=30)
    check_equal(out.returncode, 0, "client.py jobs over CURVE (%s)" % out.stderr.strip())
    check("backend-developer" in out.stdout, "client.py jobs: %r" % out.stdout[:200])

    # a plaintext client on the CURVE socket gets nothing, and breaks nothing
    plain = harness.MdpClient(gateway.clients)
    expect_silence(plain, MATCH, match_body())
    stats = gateway.stats()
    check_equal(stats["denied"], {"clients": 0, "workers": 0}, "denied")
    check_equal(len(stats["services"][MATCH]["workers"]), 1, "matchers registered")
    check(matcher.alive() and gateway.process.alive(), "a process exited")


@runner.test
def workers_without_an_allowed_key_get_nothing():
    keys = Keys()
    _, worker_secret = keys.new("matcher-1", "workers")
    _, client_secret = keys.new("board-1", "clients")
    stranger_public, stranger_secret = keys.new("stranger", "others")
    redis = harness.start_redis()
    gateway = CurveGateway(keys)
    good = start_matcher(gateway, redis, worker_secret, "matcher-good")
    gateway.wait_workers(MATCH, 1, timeout=30.0)
    stranger = start_matcher(gateway, redis, stranger_secret, "matcher-stranger")
    with_client_key = start_matcher(gateway, redis, client_secret, "matcher-client-key")
    harness.wait_for(lambda: gateway.stats()["denied"]["workers"] >= 2, 20.0, 0.1,
                     "two denials on the workers socket")
    # the rogue matchers keep trying (they reconnect when the gateway is silent);
    # every try is refused and none of them ever registers
    client = gateway.curve_client(client_secret)
    for index in range(12):
        reply = json.loads(client.request(MATCH, match_body(), timeout=30.0))
        check(reply.get("ok") is True, "request %d: %s" % (index, json.dumps(reply)[:200]))
    stats = gateway.stats()
    for service in (MATCH, JOBS, "jobmatch.results"):
        check_equal(len(stats["services"][service]["workers"]), 1, "workers of %s" % service)
    check_equal(stats["workers_joined"], 3, "workers joined (the good matcher's three services)")
    check_equal(stats["denied"]["clients"], 0, "denied on the clients socket")
    # the denial is logged with the key
    check(keys.public_key(stranger_public) in gateway.process.log(), "the stranger's key is not logged")
    for rogue in (stranger, with_client_key):
        check(rogue.alive(), "%s exited" % rogue.name)
        check_equal(stack.matcher_served(rogue), 0, "requests %s served" % rogue.name)
    check(stack.matcher_served(good) >= 12, "the allowed matcher did not serve the requests")


@runner.test
def clients_without_an_allowed_key_get_nothing():
    keys = Keys()
    _, worker_secret = keys.new("matcher-1", "workers")
    _, stranger_secret = keys.new("stranger", "others")
    redis = harness.start_redis()
    gateway = CurveGateway(keys)
    start_matcher(gateway, redis, worker_secret)
    gateway.wait_workers(MATCH, 1, timeout=30.0)
    before = gateway.stats()["denied"]
    expect_silence(gateway.curve_client(stranger_secret), MATCH, match_body())
    expect_silence(gateway.curve_client(worker_secret), MATCH, match_body())
    expect_silence(gateway.curve_client(stranger_secret), "jobmatch.stats", b"")
    after = gateway.stats()["denied"]
    check(after["clients"] >= before["clients"] + 3, "denials on the clients socket: %r -> %r"
          % (before, after))
    check_equal(after["workers"], before["workers"], "denials on the workers socket")
    # the CLI with an unknown key hears nothing and says so
    out = run_cli("--curve-server", keys.path("gateway"), "--curve-cert", stranger_secret,
                  "jobs", "list", "--gateway", gateway.clients, "--timeout-ms", 1000)
    check(out.returncode == 2 and "no reply" in out.stderr, "CLI with a stranger's key: %r"
          % out.stderr)
    check(gateway.process.alive(), "the gateway exited")


@runner.test
def registry_writes_need_an_admin_key():
    keys = Keys()
    _, worker_secret = keys.new("matcher-1", "workers")
    _, client_secret = keys.new("board-1", "clients")
    _, admin_secret = keys.new("ops", "admins")
    redis = harness.start_redis()
    gateway = CurveGateway(keys)
    start_matcher(gateway, redis, worker_secret)
    gateway.wait_workers(JOBS, 1, timeout=30.0)
    job = {"id": "curve-job", "title": "CURVE job",
           "requirements": [{"skill": "Python", "weight": 3}]}
    board = gateway.curve_client(client_secret)
    admin = gateway.curve_client(admin_secret)

    def ask(client, request):
        return json.loads(client.request(JOBS, json.dumps(request).encode(), timeout=30.0))

    refused = ask(board, {"op": "put", "job": job})
    check_equal(error_code(json.dumps(refused)), "forbidden", "a client's put")
    check("admin" in refused["error"]["message"], "message: %r" % refused["error"]["message"])
    put = ask(admin, {"op": "put", "job": job})
    check(put.get("ok") is True and put["job"]["version"] == 1, "an admin's put: %r" % put)
    check(ask(board, {"op": "get", "id": "curve-job"}).get("ok") is True, "a client's get")
    check(ask(board, {"op": "list"}).get("ok") is True, "a client's list")
    refused = ask(board, {"op": "delete", "id": "curve-job"})
    check_equal(error_code(json.dumps(refused)), "forbidden", "a client's delete")
    # a second "op" does not slip a delete past the check (the matcher also
    # refuses duplicate keys)
    refused = ask(board, {"op": "get", "op": "delete", "id": "curve-job"})
    check_equal(error_code(json.dumps(refused)), "forbidden", "a client's delete behind a get")
    deleted = ask(admin, {"op": "delete", "id": "curve-job"})
    check(deleted.get("ok") is True and deleted.get("deleted") is True, "an admin's delete: %r"
          % deleted)
    check_equal(gateway.stats()["errors"]["forbidden"], 3, "forbidden counted")
    # the CLI says what happened and exits 1 (refused)
    out = run_cli("--curve-server", keys.path("gateway"), "--curve-cert", client_secret,
                  "jobs", "delete", "backend-developer", "--gateway", gateway.clients)
    check(out.returncode == 1 and "forbidden" in out.stderr, "CLI delete: %r" % out.stderr)


@runner.test
def dashboard_over_curve():
    keys = Keys()
    _, worker_secret = keys.new("matcher-1", "workers")
    _, dashboard_secret = keys.new("dashboard", "clients")
    _, stranger_secret = keys.new("stranger", "others")
    redis = harness.start_redis()
    gateway = CurveGateway(keys)
    start_matcher(gateway, redis, worker_secret)
    gateway.wait_workers(MATCH, 1, timeout=30.0)

    def dashboard(name, cert):
        port = harness.free_port()
        harness.spawn(name, [harness.binary("jobmatch-dashboard"), "--listen", "127.0.0.1:%d" % port,
                             "--gateway", gateway.clients, "--redis", redis.url_for("dashboard") + "/0",
                             "--data", stack.DATA_DIR, "--health-timeout-ms", 500,
                             "--curve-server", keys.path("gateway"), "--curve-cert", cert])

        def health():
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port, timeout=5) as answer:
                    return json.loads(answer.read())
            except urllib.error.HTTPError as error:
                return json.loads(error.read())
            except OSError:
                return None
        health.url = "http://127.0.0.1:%d" % port
        return health

    allowed = dashboard("dashboard", dashboard_secret)
    harness.wait_for(lambda: (allowed() or {}).get("checks", {}).get("gateway", {}).get("state") == "ok",
                     15.0, 0.1, "the dashboard to reach the gateway over CURVE")
    refused = dashboard("dashboard-stranger", stranger_secret)
    harness.wait_for(refused, 15.0, 0.1, "the second dashboard to serve")
    check_equal(refused()["checks"]["gateway"]["state"], "down", "gateway seen by a stranger's dashboard")
    # the allowed one's /metrics counts the stranger's refusals
    import re
    with urllib.request.urlopen(allowed.url + "/metrics", timeout=5) as answer:
        metrics = answer.read().decode()
    found = re.search(r'^jobmatch_gateway_denied_total\{socket="clients"\} (\d+)', metrics, re.M)
    check(found and int(found.group(1)) >= 1, "denied counter in /metrics: %r" % (found and found.group(0)))


@runner.test
def open_binds_need_curve_or_insecure():
    binary = harness.binary("jobmatch-gateway")
    keys = Keys()

    def start(*args):
        return subprocess.run([binary] + [str(arg) for arg in args], capture_output=True,
                              text=True, timeout=10)

    port, other = harness.free_port(), harness.free_port()
    for clients, workers in (("tcp://*:%d" % port, "tcp://127.0.0.1:%d" % other),
                             ("tcp://127.0.0.1:%d" % port, "tcp://0.0.0.0:%d" % other)):
        out = start("--clients", clients, "--workers", workers)
        check(out.returncode != 0 and "refusing to bind" in out.stderr and "--insecure" in out.stderr,
              "open plaintext bind %s, %s: exit %d %r" % (clients, workers, out.returncode, out.stderr))
    # half a CURVE configuration is refused too
    out = start("--curve-clients", keys.path("clients"))
    check(out.returncode != 0 and "--curve-cert" in out.stderr, "dirs without a cert: %r" % out.stderr)
    out = start("--clients", "tcp://127.0.0.1:%d" % port, "--workers", "tcp://127.0.0.1:%d" % other,
                "--curve-cert", keys.path("gateway_secret"))
    check(out.returncode != 0 and "--curve-clients" in out.stderr, "a cert without dirs: %r" % out.stderr)
    public_only = keys.path("others", "public-only")
    with open(keys.path("gateway")) as source, open(public_only, "w") as copy:
        copy.write(source.read())
    out = start("--clients", "tcp://127.0.0.1:%d" % port, "--workers", "tcp://127.0.0.1:%d" % other,
                "--curve-cert", public_only, "--curve-clients", keys.path("clients"),
                "--curve-workers", keys.path("workers"))
    check(out.returncode != 0 and "no secret key" in out.stderr, "a public cert as --curve-cert: %r"
          % out.stderr)
    out = start("--clients", "tcp://127.0.0.1:%d" % port, "--workers", "tcp://127.0.0.1:%d" % other,
                "--curve-cert", keys.path("gateway_secret"), "--curve-clients", keys.path("nowhere"),
                "--curve-workers", keys.path("workers"))
    check(out.returncode != 0 and "nowhere" in out.stderr, "a missing directory: %r" % out.stderr)

    # --insecure starts it; loopback clients work as before
    insecure = harness.spawn("gateway-insecure", [binary, "--clients", "tcp://*:%d" % port,
                                                  "--workers", "tcp://127.0.0.1:%d" % other,
                                                  "--insecure"])
    client = harness.MdpClient("tcp://127.0.0.1:%d" % port)
    harness.wait_for(lambda: insecure.alive() and _answers(client), 10.0, 0.1,
                     "the --insecure gateway to answer")
    check("--insecure" in insecure.log(), "no warning about --insecure: %r" % insecure.tail(3))
    # and the defaults are loopback: a plain start binds 127.0.0.1
    out = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=10)
    check("tcp://127.0.0.1:5570" in out.stdout and "tcp://127.0.0.1:5571" in out.stdout,
          "loopback defaults in --help")
    for option in ("--curve-cert", "--curve-clients", "--curve-workers", "--curve-admins",
                   "--insecure"):
        check(option in out.stdout, "--help names %s" % option)


def _answers(client):
    try:
        return client.request("mmi.service", b"none", timeout=0.5) == b"404"
    except TimeoutError:
        return False


@runner.test
def keys_new_writes_a_usable_pair():
    import tempfile
    where = tempfile.mkdtemp(prefix="keys-new-", dir=harness.tmpdir())
    out = run_cli("keys", "new", "board", "--dir", where)
    check_equal(out.returncode, 0, "exit (%s)" % out.stderr)
    public_path, secret_path = os.path.join(where, "board"), os.path.join(where, "board_secret")
    check_equal(stat.S_IMODE(os.stat(secret_path).st_mode), 0o600, "mode of the secret file")
    check(not stat.S_IMODE(os.stat(public_path).st_mode) & 0o022, "public file writable by others")
    public, none = example_client.load_certificate(public_path)
    check(none is None, "the public certificate holds a secret key")
    public_again, secret = example_client.load_certificate(secret_path)
    check_equal(public_again, public, "public key in both files")
    check_equal(zmq.curve_public(secret), public, "the secret key's public key")
    check(public.decode() in out.stdout, "the public key is printed")
    with open(secret_path) as file:
        secret_text = file.read()
    # never overwritten: the second run fails and leaves both files alone
    again = run_cli("keys", "new", "board", "--dir", where)
    check(again.returncode == 2 and "not overwriting" in again.stderr, "overwrite: %r" % again.stderr)
    with open(secret_path) as file:
        check_equal(file.read(), secret_text, "the secret file after a refused overwrite")
    # only the public file left: still refused, and no secret written beside it
    os.unlink(secret_path)
    again = run_cli("keys", "new", "board", "--dir", where)
    check(again.returncode == 2 and not os.path.exists(secret_path), "public file kept: %r" % again.stderr)
    for bad in ("../escape", ".hidden", "x_secret", ""):
        out = run_cli("keys", "new", bad, "--dir", where)
        check_equal(out.returncode, 2, "name %r" % bad)
    out = run_cli("keys", "new", "x", "--dir", os.path.join(where, "missing"))
    check(out.returncode == 2 and "not a directory" in out.stderr, "missing --dir: %r" % out.stderr)


if __name__ == "__main__":
    runner.main()
