#!/usr/bin/python3
"""Shared helpers for the jobmatch integration tests.

Every test file under tests/integration/ is an executable /usr/bin/python3
script that imports this module, starts the real programs on free loopback
ports and prints one line per test and a summary:

    import harness
    runner = harness.Runner()

    @runner.test
    def round_trip():
        gateway = harness.start_gateway(heartbeat_ms=200)
        worker = harness.WorkerThread(gateway.workers, "echo", lambda body: body)
        client = harness.MdpClient(gateway.clients)
        harness.check_equal(client.request("echo", b"{}"), b"{}")

    runner.main()

Three layers, each owning one thing; a test imports the highest it needs:
  harness.py (this file)      processes (spawn, cleanup), Redis, one gateway,
                              MDP clients and workers, the runner
  stack.py                    the pipeline on top: redis + gateways +
                              matchers (Stack), batch runs, candidates
  ../e2e/dashstack.py         the dashboard on top of a Stack: its command
                              line (dashboard_argv), HTTP client, OpenAPI check
Programs that keep running start through harness.spawn (stopped after the
test); the layers above only build their command lines.

What it gives you:

  free_port()                 a free TCP port on 127.0.0.1
  spawn(name, argv)           a Process with stdout+stderr in a log file in the
                              session's temp dir; stopped after the test, and at
                              exit even on failure
  binary(name)                path of build/bin/<name> (or $JM_BIN/<name>)
  start_redis()               a private redis-server on a free port, own data dir,
                              with the ACL users of docker/redis-users.acl
                              (url_for("matcher") logs in as the matcher; a
                              test fails if Redis logged an ACL denial);
                              start_redis(acl=False) is a bare Redis
  start_gateway(**options)    jobmatch-gateway on free ports, waits until it
                              answers; options are its settings (queue_max=5)
  MdpClient, MdpWorker        small 7/MDP client and worker (with the slots=N
                              extension), independent of the C library
  WorkerThread                an MdpWorker serving a handler in a thread
  spawn_worker(...)           an MdpWorker in its own process (to SIGKILL it)
  wait_for(fn, timeout)       polls until fn() is true
  error_code(body)            the "code" of an error reply body, or None
  Runner                      runs the selected tests, "ok NAME" / "FAIL NAME:
                              reason", then "N passed, N failed"

Run with `python3 harness.py worker --help` for the worker process options.
Set JM_KEEP_TMP=1 to keep the temp dir with the logs after a clean run.
"""

import argparse
import atexit
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

import zmq

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.environ.get("JM_ROOT") or os.path.dirname(os.path.dirname(HERE))
BIN = os.environ.get("JM_BIN") or os.path.join(ROOT, "build", "bin")
PYTHON = "/usr/bin/python3"

MDPC = b"MDPC01"
MDPW = b"MDPW01"
READY, REQUEST, REPLY, HEARTBEAT, DISCONNECT = b"\x01", b"\x02", b"\x03", b"\x04", b"\x05"

_context = None


def context():
    """The process's ZeroMQ context."""
    global _context
    if _context is None:
        _context = zmq.Context()
    return _context


# --------------------------------------------------------------------------
# Small utilities

class TestFailure(AssertionError):
    pass


def check(condition, message="check failed"):
    if not condition:
        raise TestFailure(message)


def check_equal(got, want, what="value"):
    if got != want:
        raise TestFailure("%s: got %r, want %r" % (what, _short(got), _short(want)))


def _short(value, limit=200):
    text = repr(value)
    return value if len(text) <= limit else text[:limit] + "..."


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout=5.0, interval=0.01, what="condition"):
    """Polls predicate() until it returns a true value, which it returns;
    raises TestFailure after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TestFailure("timed out after %.1fs waiting for %s" % (timeout, what))
        time.sleep(interval)


def binary(name):
    path = os.path.join(BIN, name)
    if not os.access(path, os.X_OK):
        raise TestFailure("%s is not built (run make)" % path)
    return path


def error_code(body):
    """The error code of a gateway/matcher error reply, or None."""
    try:
        value = json.loads(body)
    except (ValueError, TypeError):
        return None
    if isinstance(value, dict) and value.get("ok") is False:
        return (value.get("error") or {}).get("code")
    return None


# --------------------------------------------------------------------------
# Temp dir and processes

_tmpdir = None
_failed = False
_cleanups = []          # (scope, fn): stopped at the end of the test that made them


def tmpdir():
    """The session's temp dir (logs, redis data); removed at exit after a
    clean run unless JM_KEEP_TMP is set."""
    global _tmpdir
    if _tmpdir is None:
        _tmpdir = tempfile.mkdtemp(prefix="jm-it-")
    return _tmpdir


def _at_exit():
    _run_cleanups(None)
    if _context is not None:
        _context.destroy(linger=0)
    if _tmpdir:
        if _failed or os.environ.get("JM_KEEP_TMP"):
            print("logs kept in %s" % _tmpdir, file=sys.stderr)
        else:
            shutil.rmtree(_tmpdir, ignore_errors=True)


atexit.register(_at_exit)


def _on_sigterm(signum, frame):
    raise SystemExit(128 + signum)      # runs the atexit cleanup


signal.signal(signal.SIGTERM, _on_sigterm)

_scope = [0]
_processes = []         # every Process started, for failure reports


def on_cleanup(fn):
    """Calls fn() at the end of the current test (or at exit)."""
    _cleanups.append((_scope[0], fn))


def cleanup():
    """Stops everything started so far, newest first: for scripts outside
    the Runner that start several stacks in turn (bench/bench_failover.py)."""
    _run_cleanups(None)


def _run_cleanups(scope):
    """Runs the cleanups registered in scope (all when None), newest first."""
    keep = []
    for entry in reversed(_cleanups):
        if scope is None or entry[0] == scope:
            try:
                entry[1]()
            except Exception:                       # cleanup must go on
                traceback.print_exc()
        else:
            keep.append(entry)
    _cleanups[:] = list(reversed(keep))


class Process:
    """A child process whose stdout and stderr go to <tmpdir>/<name>.log."""

    def __init__(self, name, argv, env=None, cwd=None):
        self.name = name
        self.argv = [str(arg) for arg in argv]
        base = os.path.join(tmpdir(), name)
        self.log_path = base + ".log"
        serial = 1
        while os.path.exists(self.log_path):
            serial += 1
            self.log_path = "%s.%d.log" % (base, serial)
        full_env = dict(os.environ)
        full_env.update(env or {})
        with open(self.log_path, "wb") as log:
            self.popen = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL, env=full_env, cwd=cwd)
        self.pid = self.popen.pid
        self.scope = _scope[0]
        _processes.append(self)
        on_cleanup(self.stop)

    def alive(self):
        return self.popen.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=5.0):
        """Sends sig and waits; SIGKILL after timeout.  Returns the exit code."""
        if self.popen.poll() is None:
            try:
                self.popen.send_signal(sig)
                return self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
        return self.popen.wait()

    def kill(self):
        """SIGKILL, as a crash would."""
        return self.stop(signal.SIGKILL)

    def wait(self, timeout=10.0):
        return self.popen.wait(timeout)

    def log(self):
        with open(self.log_path, "r", errors="replace") as log:
            return log.read()

    def wait_log(self, text, timeout=5.0, count=1):
        """Waits until text appears count times in the log."""
        return wait_for(lambda: self.log().count(text) >= count, timeout,
                        what="%r in %s's log" % (text, self.name))

    def tail(self, lines=15):
        return self.log().splitlines()[-lines:]


def spawn(name, argv, env=None, cwd=None):
    """Starts argv as a Process named name (see Process)."""
    return Process(name, argv, env=env, cwd=cwd)


def log_tails(scope=None, lines=10):
    """The last lines of the logs of the processes started in scope (the
    current test when None), for failure reports."""
    scope = _scope[0] if scope is None else scope
    out = []
    for process in _processes:
        if process.scope == scope:
            out.append("--- %s (%s)" % (process.name, process.log_path))
            out.extend("    " + line for line in process.tail(lines))
    return out


# --------------------------------------------------------------------------
# Redis

# Every program runs as its own Redis user, with the least permissions of
# docker/redis-users.acl: a test that needs a command the file does not
# grant fails the way production would.  The tests' own client logs in as
# an admin user; Redis(acl=False) is a bare Redis without users.
ACL_FILE = os.path.join(ROOT, "docker", "redis-users.acl")
ACL_ADMIN = "jobmatch-test-admin"
# the key namespaces the tests use ("seeded": test_dashboard's)
ACL_NAMESPACES = ("jobmatch", "seeded")


_acl_watched = []       # (scope, redis): ACL LOG checked when the test ends


def watch_acl(redis):
    """Fails the current test if, when it ends, redis (anything with
    acl_denials() and allow_denials) logged an ACL denial: a program sent
    a command or touched a key its user may not."""
    _acl_watched.append((_scope[0], redis))


def _acl_check(scope):
    """The first ACL denial of the Redis servers watched in scope, as a
    TestFailure, or None."""
    import redis as redis_module
    for entry_scope, redis in list(_acl_watched):
        if entry_scope != scope:
            continue
        _acl_watched.remove((entry_scope, redis))
        try:
            denials = [] if redis.allow_denials else redis.acl_denials()
        except (redis_module.exceptions.RedisError, OSError):
            continue                            # stopped by the test
        if denials:
            return TestFailure("Redis ACL denied %d command(s); first: user %s, %s %s "
                               "(docker/redis-users.acl)" % ((len(denials),) + denials[0]))
    return None


def acl_text(passwords, admin_password, namespaces=ACL_NAMESPACES):
    """docker/redis-users.acl with a password for each user (passwords:
    user name -> password), each "~jobmatch:" or "&jobmatch:" pattern repeated
    for every namespace, and an admin user with every permission."""
    import re
    lines = []
    with open(ACL_FILE) as acl:
        for line in acl.read().splitlines():
            if not line.startswith("user "):
                continue
            user = line.split()[1]

            def every_namespace(match):
                return " ".join(match.group(1) + ns + ":" + match.group(2) for ns in namespaces)
            line = re.sub(r"((?:%R)?[~&])jobmatch:(\S*)", every_namespace, line)
            if user in passwords:
                line += " >" + passwords[user]
            lines.append(line)
    lines.append("user %s on >%s ~* &* +@all" % (ACL_ADMIN, admin_password))
    return "\n".join(lines) + "\n"


class Redis:
    """A private redis-server on a free port with its own data dir, with the
    ACL users of docker/redis-users.acl (acl=True) or none.  url is the bare
    URL; url_for("matcher") the URL a program logs in with."""

    def __init__(self, name="redis", acl=True, extra=()):
        import redis as redis_module
        import secrets
        self.port = free_port()
        # A port freed by an earlier test can come back: the dir must be new.
        self.dir = tempfile.mkdtemp(prefix="%s-%d-" % (name, self.port), dir=tmpdir())
        self.url = "redis://127.0.0.1:%d" % self.port
        self.acl = acl
        self.passwords = {"jobmatch-matcher": secrets.token_hex(12),
                          "jobmatch-dashboard": secrets.token_hex(12)}
        self.admin_password = secrets.token_hex(12)
        argv = ["redis-server", "--port", self.port, "--bind", "127.0.0.1",
                "--dir", self.dir, "--save", "", "--appendonly", "no"]
        if acl:
            path = os.path.join(self.dir, "users.acl")
            with open(path, "w") as acl_file:
                acl_file.write(acl_text(self.passwords, self.admin_password))
            argv += ["--aclfile", path]
        self.process = spawn(name, argv + list(extra))
        self._module = redis_module
        self.allow_denials = False
        if acl:
            watch_acl(self)

        def ready():
            if not self.process.alive():
                raise TestFailure("redis-server exited: %s" % "\n".join(self.process.tail()))
            try:
                return self.client().ping()
            except self._module.exceptions.ConnectionError:
                return False
        wait_for(ready, 10.0, 0.02, "redis-server to answer PING")

    def url_for(self, program):
        """The URL program ("matcher" or "dashboard") logs in with: its own
        user and password, or the bare URL without ACL users."""
        if not self.acl:
            return self.url
        user = "jobmatch-" + program
        return "redis://%s:%s@127.0.0.1:%d" % (user, self.passwords[user], self.port)

    def client(self):
        """A redis-py client (decoded strings), as the admin user."""
        if not self.acl:
            return self._module.Redis(host="127.0.0.1", port=self.port, decode_responses=True)
        return self._module.Redis(host="127.0.0.1", port=self.port, decode_responses=True,
                                  username=ACL_ADMIN, password=self.admin_password)

    def acl_denials(self):
        """What ACL LOG recorded: a list of (user, reason, object) tuples."""
        return [(entry.get("username"), entry.get("reason"), entry.get("object"))
                for entry in self.client().acl_log()] if self.acl else []

    def stop(self):
        self.process.stop()


def start_redis(name="redis", acl=True, extra=()):
    return Redis(name, acl=acl, extra=extra)


# --------------------------------------------------------------------------
# The gateway

class Gateway:
    """jobmatch-gateway on free loopback ports.  clients and workers are the
    endpoints to connect to."""

    def __init__(self, name="gateway", **options):
        self.client_port = free_port()
        self.worker_port = free_port()
        self.clients = "tcp://127.0.0.1:%d" % self.client_port
        self.workers = "tcp://127.0.0.1:%d" % self.worker_port
        argv = [binary("jobmatch-gateway"), "--clients", self.clients, "--workers", self.workers]
        for key, value in options.items():
            if value is True:
                argv.append("--" + key.replace("_", "-"))
            elif value is False:
                argv.append("--no-" + key.replace("_", "-"))
            else:
                argv += ["--" + key.replace("_", "-"), str(value)]
        self.process = spawn(name, argv)
        self._client = None
        self.wait_ready()

    def wait_ready(self, timeout=5.0):
        """Waits until the gateway answers mmi.service."""
        client = self.client()
        deadline = time.monotonic() + timeout
        while True:
            if not self.process.alive():
                raise TestFailure("gateway exited %s: %s" % (self.process.popen.returncode,
                                                              "\n".join(self.process.tail())))
            try:
                client.request("mmi.service", b"none", timeout=0.2)
                return
            except TimeoutError:
                if time.monotonic() > deadline:
                    raise TestFailure("gateway did not answer within %.1fs" % timeout)

    def client(self):
        """A DEALER client of this gateway, kept for stats () and friends."""
        if self._client is None:
            self._client = MdpClient(self.clients)
        return self._client

    def stats(self, timeout=2.0):
        """jobmatch.stats, decoded."""
        return json.loads(self.client().request("jobmatch.stats", b"", timeout=timeout))

    def has_workers(self, service):
        return self.client().request("mmi.service", service, timeout=2.0) == b"200"

    def wait_workers(self, service, count=1, timeout=5.0):
        """Waits until service has count workers registered."""
        def enough():
            entry = self.stats()["services"].get(service)
            return entry is not None and len(entry["workers"]) >= count
        wait_for(enough, timeout, 0.02, "%d worker(s) for %r" % (count, service))

    def stop(self, sig=signal.SIGTERM):
        return self.process.stop(sig)


def start_gateway(name="gateway", **options):
    return Gateway(name, **options)


# --------------------------------------------------------------------------
# 7/MDP client

def _bytes(value):
    return value if isinstance(value, bytes) else str(value).encode()


class MdpClient:
    """A 7/MDP client that, like jobmatch's own, carries a request id in the
    ZeroMQ envelope: a DEALER (the default, many requests in flight) sends
    [request-id, "", MDPC01, service, body] and gets the id back in front
    of the reply.  req=True uses a REQ socket: plain 7/MDP, one request at
    a time, so the reply is to the request just sent and no id travels."""

    def __init__(self, endpoint, req=False):
        self.req = req
        self.socket = context().socket(zmq.REQ if req else zmq.DEALER)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.setsockopt(zmq.SNDHWM, 100000)
        self.socket.setsockopt(zmq.RCVHWM, 100000)
        self.socket.connect(endpoint)
        self._sequence = 0
        self._last_id = None
        on_cleanup(self.close)

    def close(self):
        if not self.socket.closed:
            self.socket.close(linger=0)

    def send(self, service, request_id, body):
        frames = [MDPC, _bytes(service), _bytes(body)]
        if self.req:
            self._last_id = _bytes(request_id)
            self.socket.send_multipart(frames)
        else:
            self.socket.send_multipart([_bytes(request_id), b""] + frames)

    def send_raw(self, frames):
        """Sends frames exactly as given (for malformed-input tests)."""
        self.socket.send_multipart([_bytes(frame) for frame in frames])

    def recv_raw(self, timeout=2.0):
        """The next message's frames, or None after timeout seconds."""
        if self.socket.poll(int(timeout * 1000)):
            return self.socket.recv_multipart()
        return None

    def recv(self, timeout=5.0):
        """The next reply as (service, request_id, body); TimeoutError when
        none comes within timeout seconds."""
        frames = self.recv_raw(timeout)
        if frames is None:
            raise TimeoutError("no reply within %.1fs" % timeout)
        if self.req:
            request_id = self._last_id
        else:
            if len(frames) < 2 or frames[1] != b"":
                raise TestFailure("reply without [request-id, \"\"]: %r" % frames[:3])
            request_id, frames = frames[0], frames[2:]
        if len(frames) != 3 or frames[0] != MDPC:
            raise TestFailure("malformed reply: %r" % [_short(frame, 60) for frame in frames])
        return frames[1], request_id, frames[2]

    def request(self, service, body, timeout=5.0):
        """Sends one request and returns the body of its reply, skipping
        replies to other request ids."""
        self._sequence += 1
        request_id = b"py-%d" % self._sequence
        self.send(service, request_id, body)
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                if self.req:        # a REQ socket is stuck without its reply
                    self._reopen()
                raise TimeoutError("no reply from %r within %.1fs" % (service, timeout))
            try:
                _, reply_id, reply = self.recv(remaining)
            except TimeoutError:
                continue
            if reply_id == request_id:
                return reply

    def _reopen(self):
        endpoint = self.socket.getsockopt(zmq.LAST_ENDPOINT).decode()
        self.socket.close(linger=0)
        self.socket = context().socket(zmq.REQ)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.connect(endpoint)


# --------------------------------------------------------------------------
# 7/MDP worker

class MdpWorker:
    """A 7/MDP worker written from the spec, independent of the C library:
    READY (with "slots=N" when slots is given and "heartbeat=MS", so the
    gateway expires it after liveness of its own intervals), REQUEST/REPLY,
    heartbeats both ways, reconnection when the broker is silent or sends
    DISCONNECT.  Use it from one thread only."""

    def __init__(self, endpoint, service, slots=None, heartbeat_ms=1000, liveness=3,
                 identity=None):
        self.endpoint = endpoint
        self.service = _bytes(service)
        self.slots = slots
        self.heartbeat = heartbeat_ms / 1000.0
        self.liveness = liveness
        self.identity = identity
        self.socket = None
        self.send_heartbeats = True     # False simulates a hung worker
        self.reconnects = -1
        self.connect()
        on_cleanup(self.close)

    def connect(self):
        if self.socket is not None:
            self.socket.close(linger=0)
        self.socket = context().socket(zmq.DEALER)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.setsockopt(zmq.SNDHWM, 100000)
        self.socket.setsockopt(zmq.RCVHWM, 100000)
        if self.identity:
            self.socket.setsockopt(zmq.IDENTITY, _bytes(self.identity))
        self.socket.connect(self.endpoint)
        frames = [b"", MDPW, READY, self.service]
        if self.slots is not None:
            frames.append(b"slots=%d" % self.slots)
        frames.append(b"heartbeat=%d" % round(self.heartbeat * 1000))
        self.socket.send_multipart(frames)
        self.reconnects += 1
        now = time.monotonic()
        self.heartbeat_at = now + self.heartbeat
        self.expires_at = now + self.heartbeat * self.liveness

    def close(self, disconnect=True):
        if self.socket is not None and not self.socket.closed:
            if disconnect:
                try:
                    self.socket.send_multipart([b"", MDPW, DISCONNECT], zmq.NOBLOCK)
                except zmq.ZMQError:
                    pass
            self.socket.close(linger=100 if disconnect else 0)

    def tick(self):
        """Heartbeats and liveness; returns seconds until the next tick."""
        now = time.monotonic()
        if now >= self.expires_at:
            self.connect()
            now = time.monotonic()
        if now >= self.heartbeat_at:
            if self.send_heartbeats:
                self.socket.send_multipart([b"", MDPW, HEARTBEAT])
            self.heartbeat_at = now + self.heartbeat
        return max(0.0, min(self.heartbeat_at, self.expires_at) - now)

    def recv(self, timeout=1.0):
        """The next request as (token, body), or None after timeout seconds."""
        deadline = time.monotonic() + timeout
        while True:
            wait = min(self.tick(), deadline - time.monotonic())
            if wait < 0:
                return None
            if not self.socket.poll(int(wait * 1000) + 1):
                if time.monotonic() >= deadline:
                    return None
                continue
            frames = self.socket.recv_multipart()
            self.expires_at = time.monotonic() + self.heartbeat * self.liveness
            if len(frames) < 3 or frames[0] != b"" or frames[1] != MDPW:
                continue
            command = frames[2]
            if command == REQUEST and len(frames) == 6 and frames[4] == b"":
                return frames[3], frames[5]
            if command == REQUEST and len(frames) > 6 and frames[4] == b"":
                # like jobmatch's services: one-frame bodies only, never a part
                self.reply(frames[3], json.dumps({"ok": False, "error": {
                    "code": "invalid_request",
                    "message": "the body is %d frames" % (len(frames) - 5)}}))
            if command == DISCONNECT:
                self.connect()

    def reply(self, token, body):
        self.socket.send_multipart([b"", MDPW, REPLY, token, b"", _bytes(body)])


class WorkerThread:
    """An MdpWorker serving handler(body) -> reply body in a thread.  When the
    handler returns None the request is held: it is kept in .held as (token,
    body) until release() replies to it.  Counters: .received, .replied,
    .max_outstanding."""

    def __init__(self, endpoint, service, handler, slots=None, heartbeat_ms=1000, liveness=3,
                 identity=None):
        self.endpoint, self.service, self.handler = endpoint, service, handler
        self.options = dict(slots=slots, heartbeat_ms=heartbeat_ms, liveness=liveness,
                            identity=identity)
        self.held = []
        self.received = 0
        self.replied = 0
        self.max_outstanding = 0
        self.send_heartbeats = True
        self._commands = queue.Queue()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self.error = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        self._ready.wait(5)
        on_cleanup(self.stop)

    def _run(self):
        try:
            worker = MdpWorker(self.endpoint, self.service, **self.options)
            self.worker = worker
            self._ready.set()
            while not self._stop.is_set():
                worker.send_heartbeats = self.send_heartbeats
                while not self._commands.empty():
                    self._commands.get()(worker)
                request = worker.recv(0.02)
                if request is None:
                    continue
                token, body = request
                self.received += 1
                self.max_outstanding = max(self.max_outstanding, len(self.held) + 1)
                reply = self.handler(body)
                if reply is None:
                    self.held.append((token, body))
                else:
                    worker.reply(token, reply)
                    self.replied += 1
            worker.close()
        except Exception as error:                  # reported by stop()
            self.error = error
            self._ready.set()

    def release(self, reply=lambda body: body, count=None):
        """Replies to the held requests (all, or the first count) with
        reply(body), from the worker's thread."""
        def release_held(worker):
            chosen = self.held[:count] if count is not None else list(self.held)
            del self.held[:len(chosen)]
            for token, body in chosen:
                worker.reply(token, reply(body))
                self.replied += 1
        self._commands.put(release_held)

    def stop(self):
        self._stop.set()
        self.thread.join(5)
        if self.error:
            raise TestFailure("worker thread failed: %r" % self.error)


def spawn_worker(endpoint, service, mode="echo", slots=None, heartbeat_ms=1000, liveness=3,
                 name="worker", delay_ms=0):
    """An MdpWorker in its own process (see `harness.py worker --help`).  It
    logs "READY" once connected and "REQUEST <n> <body>" for each request."""
    argv = [PYTHON, os.path.abspath(__file__), "worker", "--endpoint", endpoint,
            "--service", service, "--mode", mode, "--heartbeat-ms", heartbeat_ms,
            "--liveness", liveness, "--name", name, "--delay-ms", delay_ms]
    if slots is not None:
        argv += ["--slots", slots]
    process = spawn(name, argv)
    process.wait_log("READY")
    return process


def _worker_main(argv):
    parser = argparse.ArgumentParser(prog="harness.py worker",
                                     description="A 7/MDP worker process for tests.")
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--service", required=True)
    parser.add_argument("--slots", type=int)
    parser.add_argument("--mode", choices=["echo", "silent", "delay", "batch"], default="echo",
                        help="echo: reply at once with {worker, echo}; silent: never reply; "
                             "delay: reply after --delay-ms; batch: hold until --slots "
                             "requests are outstanding, then reply to all")
    parser.add_argument("--delay-ms", type=int, default=0)
    parser.add_argument("--heartbeat-ms", type=int, default=1000)
    parser.add_argument("--liveness", type=int, default=3)
    parser.add_argument("--name", default="worker")
    options = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    worker = MdpWorker(options.endpoint, options.service, slots=options.slots,
                       heartbeat_ms=options.heartbeat_ms, liveness=options.liveness)
    print("READY", flush=True)
    pending = []            # (due time, token, body)
    count = 0

    def answer(body):
        return json.dumps({"ok": True, "worker": options.name,
                           "echo": body.decode("utf-8", "replace")})
    try:
        while True:
            wait = 0.05
            if pending:
                wait = max(0.0, min(wait, pending[0][0] - time.monotonic()))
            request = worker.recv(wait)
            if request is not None:
                count += 1
                token, body = request
                print("REQUEST %d %s" % (count, body[:60].decode("utf-8", "replace")),
                      flush=True)
                if options.mode == "echo":
                    worker.reply(token, answer(body))
                elif options.mode == "delay":
                    pending.append((time.monotonic() + options.delay_ms / 1000.0, token, body))
                elif options.mode == "batch":
                    pending.append((float("inf"), token, body))
                    if len(pending) >= (options.slots or 1):
                        print("BATCH %d" % len(pending), flush=True)
                        for _, held_token, held_body in pending:
                            worker.reply(held_token, answer(held_body))
                        pending = []
            now = time.monotonic()
            while pending and pending[0][0] <= now:
                _, token, body = pending.pop(0)
                worker.reply(token, answer(body))
    except KeyboardInterrupt:
        worker.close()


# --------------------------------------------------------------------------
# The runner

class Runner:
    """Collects test functions and runs them: `runner.main()` runs those
    named on the command line (substring match) or all, each with a timeout,
    and prints "ok NAME" or "FAIL NAME: reason" per test and the summary line
    "N passed, N failed".  Processes, sockets and threads a test started are
    stopped when it ends."""

    def __init__(self, timeout=30.0):
        self.tests = []
        self.timeout = timeout

    def test(self, fn):
        self.tests.append(fn)
        return fn

    def run(self, selectors=()):
        global _failed
        passed = failed = 0
        signal.signal(signal.SIGALRM, self._on_alarm)
        for fn in self.tests:
            name = fn.__name__
            if selectors and not any(selector in name for selector in selectors):
                continue
            _scope[0] += 1
            started = time.monotonic()
            failure = None
            signal.setitimer(signal.ITIMER_REAL, self.timeout)
            try:
                fn()
            except Exception as error:
                failure = error
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            failure = failure or _acl_check(_scope[0])
            try:
                _run_cleanups(_scope[0])
            except Exception as error:
                failure = failure or error
            elapsed = time.monotonic() - started
            if failure is None:
                passed += 1
                print("ok %s (%.2fs)" % (name, elapsed), flush=True)
            else:
                failed += 1
                _failed = True
                reason = str(failure) or type(failure).__name__
                print("FAIL %s: %s" % (name, reason.splitlines()[0] if reason else ""),
                      flush=True)
                detail = traceback.format_exception(type(failure), failure,
                                                    failure.__traceback__)
                for line in "".join(detail).splitlines()[-6:]:
                    print("    " + line, file=sys.stderr)
                for line in log_tails():
                    print("    " + line, file=sys.stderr)
        print("%d passed, %d failed" % (passed, failed), flush=True)
        return 0 if failed == 0 else 1

    def _on_alarm(self, signum, frame):
        raise TestFailure("timed out after %.0fs" % self.timeout)

    def main(self):
        sys.exit(self.run(sys.argv[1:]))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        _worker_main(sys.argv[2:])
    else:
        print(__doc__)
