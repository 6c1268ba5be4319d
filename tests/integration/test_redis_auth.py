#!/usr/bin/python3
"""Redis AUTH, ACL users and TLS (issue 14, item 5): a private redis-server
with requirepass, with the ACL users of docker/redis-users.acl, or with TLS
only (certificates made here with openssl), the real gateway, matchers and
dashboard on free loopback ports.

    tests/integration/test_redis_auth.py [NAME-FILTER...]

Checks that a Redis that refuses us (NOAUTH, WRONGPASS, NOPERM, a TLS
certificate not trusted) is an outage everywhere: "stored": false from the
matcher, io_error from the job registry and the results service, 503
io_error from the dashboard and /healthz down, never an empty answer; that
the password works from the URL, a file and the environment; and that no
log line holds a password.  Prints "ok NAME" or "FAIL NAME: why" per test
and "N passed, N failed"; exits 1 when any failed.
"""
import json
import os
import subprocess
import sys
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
import harness  # noqa: E402
from harness import check, check_equal  # noqa: E402
from stack import DATA_DIR, MATCH, make_candidate  # noqa: E402
from dashstack import Dashboard  # noqa: E402

runner = harness.Runner(timeout=120)

JOBS = "jobmatch.jobs"
RESULTS = "jobmatch.results"
JOB = "backend-developer"
# needs percent-encoding in a URL: '@', '/', ':', ' ', '%'
PASSWORD = "p@ss/w:rd %41"


def quoted(text):
    return urllib.parse.quote(text, safe="")


class Node:
    """A gateway and the matchers started on it, one at a time."""

    def __init__(self):
        self.gateway = harness.start_gateway(heartbeat_ms=500, liveness=3)
        self.client = harness.MdpClient(self.gateway.clients)
        self.count = 0

    def matcher(self, url, *options, env=None, wait=True):
        """Starts a matcher with --redis url and the extra options; waits
        until it serves the three services."""
        self.count += 1
        argv = [harness.binary("jobmatch-matcher"), "--gateway", self.gateway.workers,
                "--redis", url, "--data", DATA_DIR, "--heartbeat-ms", "500"] + list(options)
        process = harness.spawn("matcher-%d" % self.count, argv,
                                env=dict(os.environ, **(env or {})))
        if wait:
            for service in (MATCH, JOBS, RESULTS):
                self.gateway.wait_workers(service, 1, timeout=15.0)
        return process

    def stop(self, matcher):
        """Stops a matcher and waits until the gateway has no matcher left."""
        matcher.stop()

        def gone():
            entry = self.gateway.stats()["services"].get(MATCH)
            return entry is None or not entry["workers"]
        harness.wait_for(gone, 10.0, 0.05, "the matcher to leave the gateway")

    def call(self, service, body, timeout=20.0):
        return json.loads(self.client.request(service, json.dumps(body).encode(),
                                              timeout=timeout))

    def match(self, serial):
        """Scores one candidate against JOB; returns its result."""
        reply = self.call(MATCH, {"candidate": make_candidate(serial), "jobs": [JOB]})
        check(reply.get("ok") is True, "match not ok: %s" % json.dumps(reply)[:300])
        return reply["results"][0]


def check_outage(node, what):
    """The matcher on node cannot use Redis: scores are not stored and the
    registry and results answer io_error, never an empty list."""
    result = node.match(1)
    check_equal(result["stored"], False, "%s: stored" % what)
    for service, body in [(JOBS, {"op": "list"}), (JOBS, {"op": "get", "id": JOB}),
                          (RESULTS, {"op": "rank", "job": JOB}),
                          (RESULTS, {"op": "result", "job": JOB, "candidate": "gen-1"})]:
        reply = node.call(service, body)
        check(reply.get("ok") is False and reply["error"]["code"] == "io_error",
              "%s: %s %s answered %s" % (what, service, body["op"], json.dumps(reply)[:200]))


def check_works(node, serial, what):
    """The matcher on node uses Redis: the score is stored, the registry
    lists the built-in jobs."""
    def listed():
        reply = node.call(JOBS, {"op": "list"})
        return reply.get("ok") is True and len(reply["jobs"]) >= 1
    harness.wait_for(listed, 10.0, 0.1, "%s: the job list" % what)
    check_equal(node.match(serial)["stored"], True, "%s: stored" % what)


def check_no_secret(*secrets):
    """No log of this test's processes holds any of the secrets (raw or
    percent-encoded)."""
    for process in harness._processes:
        if process.scope != harness._scope[0]:
            continue
        log = process.log()
        for secret in secrets:
            for form in {secret, quoted(secret)}:
                check(form not in log, "%s's log holds a password" % process.name)


def requirepass_redis():
    """A bare Redis that wants PASSWORD."""
    redis = harness.start_redis(acl=False)
    redis.client().config_set("requirepass", PASSWORD)
    return redis


def stored_keys(redis):
    """How many results Redis holds: the records in the bucket hashes."""
    client = redis._module.Redis(host="127.0.0.1", port=redis.port, password=PASSWORD)
    return count_records(client)


def count_records(client):
    return sum(client.hlen(key) for key in client.keys("jobmatch:res:*"))


@runner.test
def requirepass_without_the_password_is_an_outage():
    redis = requirepass_redis()
    node = Node()
    matcher = node.matcher(redis.url + "/0")
    check_outage(node, "no password")
    check_equal(stored_keys(redis), 0, "results in Redis")
    matcher.wait_log("NOAUTH")
    check(matcher.alive(), "matcher alive")


@runner.test
def requirepass_password_from_url_file_and_environment():
    redis = requirepass_redis()
    node = Node()
    # in the URL, percent-encoded
    url = "redis://:%s@127.0.0.1:%d/0" % (quoted(PASSWORD), redis.port)
    first = node.matcher(url)
    check_works(node, 1, "password in the URL")
    node.stop(first)
    # in a file (first line)
    path = os.path.join(harness.tmpdir(), "redis-password")
    with open(path, "w") as secret:
        secret.write(PASSWORD + "\n")
    os.chmod(path, 0o644)
    second = node.matcher(redis.url + "/0", "--redis-password-file", path)
    check_works(node, 2, "password file")
    second.wait_log("can be read by other users")
    node.stop(second)
    # in the environment
    node.matcher(redis.url + "/0", env={"JOBMATCH_REDIS_PASSWORD": PASSWORD})
    check_works(node, 3, "JOBMATCH_REDIS_PASSWORD")
    check_equal(stored_keys(redis), 3, "results in Redis")
    check_no_secret(PASSWORD)


@runner.test
def acl_wrong_password_and_missing_permission_are_outages():
    redis = harness.start_redis()
    redis.allow_denials = True
    node = Node()
    # WRONGPASS
    wrong = node.matcher("redis://jobmatch-matcher:%s@127.0.0.1:%d/0" % (quoted(PASSWORD),
                                                                         redis.port))
    check_outage(node, "wrong password")
    wrong.wait_log("WRONGPASS")
    node.stop(wrong)
    # NOPERM: a matcher logged in as the dashboard's read-only user
    reader = node.matcher(redis.url_for("dashboard") + "/0")
    check_outage(node, "read-only user")
    reader.wait_log("NOPERM")
    check(not redis.client().keys("jobmatch:res:*"), "nothing written")
    node.stop(reader)
    # its own user, password from a file: works
    path = os.path.join(harness.tmpdir(), "matcher-password")
    with open(path, "w") as secret:
        secret.write(redis.passwords["jobmatch-matcher"] + "\n")
    os.chmod(path, 0o600)
    own = node.matcher("redis://jobmatch-matcher@127.0.0.1:%d/0" % redis.port,
                 "--redis-password-file", path)
    check_works(node, 4, "matcher user")
    check("other users" not in own.log(), "no warning for a private password file")
    check_no_secret(PASSWORD, *redis.passwords.values())


class Stackish:
    """What dashstack.Dashboard needs of a stack."""

    def __init__(self, node, redis):
        self.gateway = node.gateway
        self.redis = redis


@runner.test
def dashboard_refused_by_redis_answers_io_error():
    redis = harness.start_redis()
    redis.allow_denials = True
    node = Node()
    node.matcher(redis.url_for("matcher") + "/0")
    check_works(node, 1, "matcher")
    stack = Stackish(node, redis)
    # WRONGPASS: /healthz down, the API io_error
    wrong = Dashboard(stack, name="dashboard-wrong", redis_url="redis://jobmatch-dashboard:%s"
                      "@127.0.0.1:%d/0" % (quoted(PASSWORD), redis.port))
    health = wrong.get("/healthz", auth=False)
    check_equal((health.status, health.json()["status"]), (503, "down"), "healthz, wrong password")
    for path in ["/api/v1/jobs", "/api/v1/jobs/%s/ranking" % JOB]:
        response = wrong.get(path)
        check_equal((response.status, response.code()), (503, "io_error"), path)
    # a user without a password is refused at start
    env = {key: value for key, value in os.environ.items() if key != "JOBMATCH_REDIS_PASSWORD"}
    bare = subprocess.run([harness.binary("jobmatch-dashboard"), "--redis",
                           "redis://jobmatch-dashboard@127.0.0.1:%d/0" % redis.port,
                           "--listen", "127.0.0.1:%d" % harness.free_port(),
                           "--gateway", node.gateway.clients, "--data", DATA_DIR],
                          capture_output=True, text=True, timeout=20, env=env)
    check(bare.returncode != 0 and "has no password" in bare.stderr,
          "a user without a password: %r" % bare.stderr)
    # its own user, password from the environment: works
    env_dashboard = _dashboard_with_env(stack, redis)
    jobs = env_dashboard.get("/api/v1/jobs")
    check_equal(jobs.status, 200, "jobs with the password from the environment")
    check(jobs.json()["jobs"], "jobs listed")
    # NOPERM: the dashboard's user loses a read it needs
    redis.client().acl_setuser("jobmatch-dashboard", commands=["-smembers"])
    response = env_dashboard.get("/api/v1/jobs")
    check_equal((response.status, response.code()), (503, "io_error"), "jobs without SMEMBERS")
    check_no_secret(PASSWORD, *redis.passwords.values())


@runner.test
def error_replies_are_outages_not_empty_answers():
    # the registry's set of job ids holds a string: WRONGTYPE for every read
    redis = harness.start_redis()
    node = Node()
    node.matcher(redis.url_for("matcher") + "/0")
    check_works(node, 1, "matcher")
    dashboard = Dashboard(Stackish(node, redis), redis_url=redis.url_for("dashboard") + "/0")
    check_equal(dashboard.get("/api/v1/jobs").status, 200, "jobs before")
    admin = redis.client()
    ids = admin.smembers("jobmatch:jobs")
    admin.delete("jobmatch:jobs")
    admin.set("jobmatch:jobs", "not a set")
    reply = node.call(JOBS, {"op": "list"})
    check(reply.get("ok") is False and reply["error"]["code"] == "io_error",
          "jobs list on WRONGTYPE: %s" % json.dumps(reply)[:200])
    response = dashboard.get("/api/v1/jobs")
    check_equal((response.status, response.code()), (503, "io_error"), "dashboard jobs")
    # the matcher kept its jobs: it still scores, and lists them once repaired
    check_equal(node.match(2)["job"], JOB, "still scoring")
    admin.delete("jobmatch:jobs")
    admin.sadd("jobmatch:jobs", *ids)
    check_equal(len(node.call(JOBS, {"op": "list"})["jobs"]), len(ids), "jobs after repair")


def _dashboard_with_env(stack, redis):
    """A dashboard logging in as its user with JOBMATCH_REDIS_PASSWORD."""
    old = os.environ.get("JOBMATCH_REDIS_PASSWORD")
    os.environ["JOBMATCH_REDIS_PASSWORD"] = redis.passwords["jobmatch-dashboard"]
    try:
        return Dashboard(stack, name="dashboard-env", redis_url="redis://jobmatch-dashboard@"
                         "127.0.0.1:%d/0" % redis.port)
    finally:
        if old is None:
            del os.environ["JOBMATCH_REDIS_PASSWORD"]
        else:
            os.environ["JOBMATCH_REDIS_PASSWORD"] = old


# --------------------------------------------------------------------------
# TLS

def make_ca(folder, name):
    """A CA (name.crt, name.key) in folder."""
    key, crt = os.path.join(folder, name + ".key"), os.path.join(folder, name + ".crt")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", crt, "-days", "2", "-subj", "/CN=jobmatch test " + name],
                   check=True, capture_output=True)
    return crt, key


def make_cert(folder, name, ca, san=None):
    """A certificate (name.crt, name.key) signed by ca, with SAN san."""
    key, crt = os.path.join(folder, name + ".key"), os.path.join(folder, name + ".crt")
    csr = os.path.join(folder, name + ".csr")
    subprocess.run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr,
                    "-subj", "/CN=" + name], check=True, capture_output=True)
    argv = ["openssl", "x509", "-req", "-in", csr, "-CA", ca[0], "-CAkey", ca[1],
            "-CAcreateserial", "-out", crt, "-days", "2"]
    if san:
        ext = os.path.join(folder, name + ".ext")
        with open(ext, "w") as extensions:
            extensions.write("subjectAltName=%s\n" % san)
        argv += ["-extfile", ext]
    subprocess.run(argv, check=True, capture_output=True)
    return crt, key


class Certificates:
    def __init__(self):
        import tempfile
        self.dir = tempfile.mkdtemp(prefix="tls-", dir=harness.tmpdir())
        self.ca = make_ca(self.dir, "ca")
        self.other_ca = make_ca(self.dir, "other-ca")
        self.server = make_cert(self.dir, "server", self.ca, "DNS:localhost,IP:127.0.0.1")
        self.client = make_cert(self.dir, "client", self.ca)


class TlsRedis:
    """redis-server on a TLS port only (--port 0), with the ACL users."""

    def __init__(self, certs, auth_clients=False):
        import redis as redis_module
        import secrets
        self._module = redis_module
        self.certs = certs
        self.port = harness.free_port()
        self.dir = os.path.join(certs.dir, "redis-%d" % self.port)
        os.mkdir(self.dir)
        self.passwords = {"jobmatch-matcher": secrets.token_hex(12),
                          "jobmatch-dashboard": secrets.token_hex(12)}
        self.admin_password = secrets.token_hex(12)
        acl = os.path.join(self.dir, "users.acl")
        with open(acl, "w") as acl_file:
            acl_file.write(harness.acl_text(self.passwords, self.admin_password))
        # saved on SIGTERM and loaded again, as a production Redis would
        self.argv = ["redis-server", "--port", "0", "--tls-port", self.port,
                     "--bind", "127.0.0.1", "--dir", self.dir, "--save", "3600 1",
                     "--appendonly", "no", "--aclfile", acl,
                     "--tls-cert-file", certs.server[0], "--tls-key-file", certs.server[1],
                     "--tls-ca-cert-file", certs.ca[0],
                     "--tls-auth-clients", "yes" if auth_clients else "no"]
        self.allow_denials = False
        harness.watch_acl(self)
        self.start()

    def start(self):
        self.process = harness.spawn("redis-tls", self.argv)

        def ready():
            if not self.process.alive():
                raise harness.TestFailure("redis-server exited: %s" % "\n".join(self.process.tail()))
            try:
                return self.client().ping()
            except self._module.exceptions.ConnectionError:
                return False
        harness.wait_for(ready, 10.0, 0.05, "redis-server (TLS) to answer PING")

    def client(self):
        return self._module.Redis(
            host="127.0.0.1", port=self.port, decode_responses=True, ssl=True,
            ssl_ca_certs=self.certs.ca[0], ssl_certfile=self.certs.client[0],
            ssl_keyfile=self.certs.client[1], username=harness.ACL_ADMIN,
            password=self.admin_password)

    def url_for(self, program):
        user = "jobmatch-" + program
        return "rediss://%s:%s@127.0.0.1:%d" % (user, self.passwords[user], self.port)

    def acl_denials(self):
        return [(entry.get("username"), entry.get("reason"), entry.get("object"))
                for entry in self.client().acl_log()]


@runner.test
def tls_matcher_and_dashboard_with_ca_verification():
    certs = Certificates()
    redis = TlsRedis(certs)
    node = Node()
    matcher = node.matcher(redis.url_for("matcher") + "/0", "--redis-tls-ca", certs.ca[0])
    check_works(node, 1, "matcher over TLS")
    check_equal(count_records(redis.client()), 1, "the result in Redis")
    dashboard = Dashboard(Stackish(node, redis), redis_url=redis.url_for("dashboard") + "/0",
                          redis_tls_ca=certs.ca[0])
    health = dashboard.get("/healthz", auth=False)
    check_equal(health.json()["checks"]["redis"]["state"], "ok", "healthz: redis over TLS")
    jobs = dashboard.get("/api/v1/jobs")
    check(jobs.status == 200 and jobs.json()["jobs"], "jobs over TLS: %r" % jobs)
    ranking = dashboard.get("/api/v1/jobs/%s/ranking" % JOB)
    check_equal(ranking.status, 200, "ranking over TLS")
    # Redis restarts: the matcher reconnects over TLS and stores again
    redis.process.stop()
    check_equal(node.match(2)["stored"], False, "stored while Redis is down")
    redis.start()
    harness.wait_for(lambda: node.match(3)["stored"], 20.0, 0.3, "the matcher to store again")
    matcher.wait_log("back after")
    check_no_secret(*redis.passwords.values())


@runner.test
def tls_wrong_ca_is_refused_with_a_clear_error():
    certs = Certificates()
    redis = TlsRedis(certs)
    node = Node()
    matcher = node.matcher(redis.url_for("matcher") + "/0", "--redis-tls-ca", certs.other_ca[0])
    check_outage(node, "wrong CA")
    matcher.wait_log("is not accepted")
    check("NOT trusted" in matcher.log(), "the log says why: %s" % matcher.tail(3))
    # a name the certificate does not carry
    node.stop(matcher)
    named = node.matcher(redis.url_for("matcher") + "/0", "--redis-tls-ca", certs.ca[0],
                         "--redis-tls-servername", "redis.example.org")
    check_outage(node, "wrong name")
    named.wait_log("is not accepted")
    # plain redis:// to the TLS port is no Redis either
    plain = "redis://" + redis.url_for("dashboard")[len("rediss://"):] + "/0"
    dashboard = Dashboard(Stackish(node, redis), redis_url=plain)
    check_equal(dashboard.get("/healthz", auth=False).status, 503, "plain to a TLS port")


@runner.test
def tls_client_certificates():
    certs = Certificates()
    redis = TlsRedis(certs, auth_clients=True)
    node = Node()
    without = node.matcher(redis.url_for("matcher") + "/0", "--redis-tls-ca", certs.ca[0])
    check_outage(node, "no client certificate")
    without.wait_log("client certificate")
    node.stop(without)
    node.matcher(redis.url_for("matcher") + "/0", "--redis-tls-ca", certs.ca[0],
                 "--redis-tls-cert", certs.client[0], "--redis-tls-key", certs.client[1])
    check_works(node, 1, "with a client certificate")
    # a bad key file is refused at start, naming the file
    bad = subprocess.run([harness.binary("jobmatch-matcher"), "--redis",
                          redis.url_for("matcher"), "--redis-tls-ca", certs.ca[0],
                          "--redis-tls-cert", certs.client[0], "--redis-tls-key",
                          certs.ca[0], "--data", DATA_DIR],
                         capture_output=True, text=True, timeout=20)
    check(bad.returncode != 0 and certs.client[0] in bad.stderr, "bad key: %r" % bad.stderr)
    check(redis.passwords["jobmatch-matcher"] not in bad.stderr, "no password in the error")


@runner.test
def help_names_the_settings_and_bad_urls_hide_the_password():
    for program in ("jobmatch-matcher", "jobmatch-dashboard"):
        out = subprocess.run([harness.binary(program), "--help"], capture_output=True,
                             text=True, timeout=10).stdout
        for option in ("--redis-password-file", "JOBMATCH_REDIS_PASSWORD", "--redis-tls-ca",
                       "--redis-tls-cert", "--redis-tls-key", "--redis-tls-servername",
                       "rediss://"):
            check(option in out, "%s --help names %s" % (program, option))
        bad = subprocess.run([harness.binary(program), "--redis",
                              "redis://user:s3cret-pw@127.0.0.1:notaport/0", "--data", DATA_DIR],
                             capture_output=True, text=True, timeout=10)
        check(bad.returncode != 0 and "notaport" in bad.stderr, "bad URL refused: %r" % bad.stderr)
        check("s3cret-pw" not in bad.stderr and "user:***@" in bad.stderr,
              "the refusal hides the password: %r" % bad.stderr)


if __name__ == "__main__":
    runner.main()
