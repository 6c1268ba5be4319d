#!/usr/bin/python3
"""The whole jobmatch stack for integration tests: a private redis-server,
jobmatch-gateway and jobmatch-matcher processes on free loopback ports.
Built on harness.py (processes, clients, the runner), which it does not
change; what harness.py lacks for the pipeline lives here:

  Stack(matchers=2, ...)      redis + gateway + N matchers, ready to serve;
                              .client(), .match(body), .start_matcher(),
                              .check_alive(); gateways=2: that many
                              gateways (.gateways), every matcher connected
                              to each, .clients the list for CLI --gateway
  PersistentRedis             a redis-server that saves to its own dir on
                              SIGTERM and can be started again on the same
                              port and dir (harness.Redis cannot)
  stream(client, bodies, ...) many requests with a window in flight, each
                              reply matched to its request id; reports
                              missing, duplicated and unknown replies
  make_candidate(serial)      a realistic ~1 KB profile (12-20 skills)
  write_candidates(), count_lines()  a JSON lines file of them, its lines
  start_batch(), stderr_of()  jobmatch batch in the background
  sample_candidates()         proto/examples/candidates.jsonl
  result_key(), rank_key()    Redis key names as in proto/redis-keys.md
  matcher_served(process)     requests a stopped matcher says it answered

Every process is a harness.Process, so it is stopped at the end of the test
that started it, and at exit even on failure.
"""
import json
import os
import random
import signal
import struct
import tempfile
import time

import harness
from harness import TestFailure, check

MATCH = "jobmatch.match"
DATA_DIR = os.environ.get("JM_DATA_DIR") or os.path.join(harness.ROOT, "data")
SAMPLES = os.path.join(harness.ROOT, "proto", "examples", "candidates.jsonl")


# --------------------------------------------------------------------------
# Redis keys (proto/redis-keys.md, section 2 and 3)

_ESCAPED = set(b":%*?[]\\{}\x7f") | set(range(0x21))


def escape_id(value):
    """An id as it appears inside a key: percent-encoded where a byte could
    make the key ambiguous; other bytes, UTF-8 included, kept as they are."""
    raw = bytearray()
    for byte in value.encode("utf-8"):
        if byte in _ESCAPED:
            raw += b"%%%02X" % byte
        else:
            raw.append(byte)
    return raw.decode("utf-8")


def result_key(job, candidate, namespace="jobmatch"):
    return "%s:result:%s:%s" % (namespace, escape_id(job), escape_id(candidate))


RECORD_BUCKETS = 16384      # JM_RECORD_BUCKETS


def record_bucket_key(job, candidate, namespace="jobmatch"):
    """The bucket hash holding a candidate's compact record for job
    (redis-keys.md 3.1.1): FNV-1a of the id's bytes, as jm_record_bucket."""
    bucket = 2166136261
    for byte in candidate.encode("utf-8"):
        bucket = ((bucket ^ byte) * 16777619) & 0xFFFFFFFF
    return "%s:res:%s:%d" % (namespace, escape_id(job), bucket & (RECORD_BUCKETS - 1))


def forget_result(redis, job, candidate, namespace="jobmatch"):
    """Deletes a candidate's stored result for job (its record, and a
    result string an older matcher left): the next match of it is not
    cached."""
    redis.delete(result_key(job, candidate, namespace))
    redis.hdel(record_bucket_key(job, candidate, namespace), candidate)


BAND_CODES = ["strong", "good", "partial", "weak"]     # jm_band_t


def _varint(value):
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def encode_record(score, band, required_met, required_total, fingerprint, at=0):
    """A compact record as jm_record_encode writes it (common/store/jm_record.h):
    fingerprint is "<version>:<8 hex>:<scorer>:<16 hex>"."""
    version, job_hash, scorer, profile_hash = fingerprint.split(":")
    cents = round(score * 100)
    exact = score >= 0 and cents / 100 == score and cents < (1 << 28)
    out = bytearray([0x10 | (0 if exact else 0x04) | BAND_CODES.index(band)])
    out += _varint(cents) if exact else struct.pack("<d", score)
    out += _varint(required_met) + _varint(required_total) + _varint(int(version))
    out += bytes.fromhex(job_hash) + bytes([len(scorer)]) + scorer.encode()
    out += bytes.fromhex(profile_hash) + _varint(at)
    return bytes(out)


def decode_record(data):
    """The fields of a compact record (bytes), as a dict: score, band,
    required_met, required_total, version, fingerprint, at."""
    at = 0

    def varint():
        nonlocal at
        value = shift = 0
        while True:
            byte = data[at]
            at += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return value
    head = data[0]
    if head >> 4 != 1:
        raise ValueError("record format %d" % (head >> 4))
    at = 1
    if head & 0x04:
        score = struct.unpack("<d", data[1:9])[0]
        at = 9
    else:
        score = varint() / 100
    met, total, version = varint(), varint(), varint()
    job_hash = data[at:at + 4].hex()
    scorer = data[at + 5:at + 5 + data[at + 4]].decode()
    at += 5 + data[at + 4]
    profile_hash = data[at:at + 8].hex()
    at += 8
    written = varint()
    if at != len(data):
        raise ValueError("%d bytes after the record" % (len(data) - at))
    return {"score": score, "band": BAND_CODES[head & 3], "required_met": met,
            "required_total": total, "version": version, "at": written,
            "fingerprint": "%d:%s:%s:%s" % (version, job_hash, scorer, profile_hash)}


def raw_client(redis):
    """A client of the same server answering bytes (records are binary)."""
    kwargs = dict(redis.connection_pool.connection_kwargs)
    kwargs["decode_responses"] = False
    return type(redis)(**kwargs)


def read_record(redis, job, candidate, namespace="jobmatch"):
    """The decoded record of (job, candidate), or None."""
    data = raw_client(redis).hget(record_bucket_key(job, candidate, namespace), candidate)
    return decode_record(data) if data is not None else None


def read_records(redis, job, candidates, namespace="jobmatch"):
    """{candidate: decoded record or None} for candidates, one pipeline."""
    pipe = raw_client(redis).pipeline(transaction=False)
    for candidate in candidates:
        pipe.hget(record_bucket_key(job, candidate, namespace), candidate)
    return {candidate: decode_record(data) if data is not None else None
            for candidate, data in zip(candidates, pipe.execute())}


def parse_stored(value):
    """A result string an older matcher stored (redis-keys.md 3.1, no longer
    written): its header fields, and "json", the result JSON text.  None
    for None; an error if malformed."""
    if value is None:
        return None
    head, newline, body = value.partition("\n")
    if not newline:
        raise ValueError("a stored result without its header line: %r" % value[:80])
    fields = json.loads(head)
    fields["json"] = body
    return fields


def stored_result(redis, job, candidate, namespace="jobmatch"):
    """(job, candidate)'s stored result as its compact record holds it, with
    the names the result strings' header used: fp, version (text), score,
    at, band, required ("m of n"); None when there is none."""
    record = read_record(redis, job, candidate, namespace)
    if record is None:
        return None
    return {"fp": record["fingerprint"], "version": str(record["version"]),
            "score": record["score"], "at": record["at"], "band": record["band"],
            "required": "%d of %d" % (record["required_met"], record["required_total"])}


def rank_key(job, version, namespace="jobmatch"):
    return "%s:rank:%s:%s" % (namespace, escape_id(job), escape_id(str(version)))


# --------------------------------------------------------------------------
# Candidates

_SKILL_NAMES = None


def skill_names():
    """Names of the taxonomy's skills, as people write them."""
    global _SKILL_NAMES
    if _SKILL_NAMES is None:
        with open(os.path.join(DATA_DIR, "taxonomy.json")) as taxonomy:
            _SKILL_NAMES = [skill["name"] for skill in json.load(taxonomy)["skills"]]
    return _SKILL_NAMES


_FIRST = ["Priya", "Marcus", "Sofia", "Chen", "Amara", "Lukas", "Fatima", "Diego", "Yuki",
          "Olu", "Ingrid", "Rahul", "Elena", "Kwame", "Mei", "Tomasz"]
_LAST = ["Raman", "Oyelaran", "Lindqvist", "Wei", "Okafor", "Brandt", "Haddad", "Morales",
         "Tanaka", "Adeyemi", "Solberg", "Mehta", "Petrova", "Mensah", "Lin", "Nowak"]


def make_candidate(serial, prefix="gen", seed=None):
    """A realistic candidate profile of about 1 KB: 12 to 20 skills, most
    with level, years and last_used, a name and years of experience.  The
    id is "<prefix>-<serial>"; the same (serial, seed) gives the same
    profile."""
    rng = random.Random("%s:%d" % (seed, serial))
    names = skill_names()
    skills = []
    for name in rng.sample(names, rng.randint(12, 20)):
        if rng.random() < 0.25:
            skills.append(name)
        else:
            skills.append({"name": name, "level": rng.randint(1, 5),
                           "years": rng.randint(0, 12), "last_used": rng.randint(2015, 2026)})
    return {"id": "%s-%d" % (prefix, serial),
            "name": "%s %s" % (rng.choice(_FIRST), rng.choice(_LAST)),
            "years_experience": rng.randint(0, 25),
            "skills": skills}


def sample_candidates():
    """The sample candidates of proto/examples/candidates.jsonl, decoded."""
    with open(SAMPLES) as samples:
        return [json.loads(line) for line in samples if line.strip()]


def body(candidate=None, candidates=None, jobs=None):
    """A jobmatch.match request body as bytes."""
    value = {"candidate": candidate} if candidates is None else {"candidates": candidates}
    if jobs is not None:
        value["jobs"] = jobs
    return json.dumps(value).encode()



# --------------------------------------------------------------------------
# jobmatch batch

def batch_env():
    """The environment for a `jobmatch batch` run: our data, none of the
    caller's JOBMATCH_* settings that would change the run."""
    full = dict(os.environ, JOBMATCH_DATA_DIR=DATA_DIR)
    for name in ("JOBMATCH_GATEWAY", "JOBMATCH_TIMEOUT_MS", "JOBMATCH_WINDOW", "JOBMATCH_BATCH", "JOBMATCH_JOB"):
        full.pop(name, None)
    return full


def batch_argv(gateway, *args):
    return [harness.binary("jobmatch"), "batch", "--gateway", gateway] + [str(arg) for arg in args]


def read_jsonl(file_path):
    """The records of a JSON lines file (a batch output)."""
    with open(file_path) as data:
        return [json.loads(line) for line in data.read().splitlines()]


def read_json(file_path):
    """A JSON file (a batch summary)."""
    with open(file_path) as data:
        return json.load(data)


def write_candidates(file_path, count, prefix, distinct=300):
    """Writes count candidates as JSON lines to file_path, ids
    "<prefix>-<n>"; profiles cycle through `distinct` generated ones."""
    base = [make_candidate(i, prefix) for i in range(min(count, distinct))]
    with open(file_path, "w") as out:
        for n in range(count):
            candidate = dict(base[n % len(base)])
            candidate["id"] = "%s-%d" % (prefix, n)
            out.write(json.dumps(candidate) + "\n")
    return file_path


def count_lines(file_path):
    """Lines in a file (0 when it does not exist yet)."""
    if not os.path.exists(file_path):
        return 0
    with open(file_path, "rb") as data:
        return data.read().count(b"\n")


def start_batch(gateway, *args):
    """Starts jobmatch batch in the background, its stderr to a file
    (stderr_of reads it); killed at the end of the test if still running."""
    import subprocess
    err_path = os.path.join(harness.tmpdir(), "batch-%d.err" % time.monotonic_ns())
    with open(err_path, "w") as err:
        process = subprocess.Popen(batch_argv(gateway, *args), stdout=subprocess.DEVNULL,
                                   stderr=err, env=batch_env())
    harness.on_cleanup(lambda: process.poll() is None and process.kill())
    process.err_path = err_path
    return process


def stderr_of(process):
    """What a batch started with start_batch wrote on stderr so far."""
    with open(process.err_path) as err:
        return err.read()


def run_batch(gateway, *args, timeout=200):
    """Runs jobmatch batch to the end; returns the CompletedProcess."""
    import subprocess
    return subprocess.run(batch_argv(gateway, *args), capture_output=True, text=True,
                          env=batch_env(), timeout=timeout)

# --------------------------------------------------------------------------
# Redis that survives a restart

class PersistentRedis:
    """A private redis-server on a free port with its own data dir that
    saves its data there when stopped with SIGTERM (an RDB snapshot) and
    loads it when started again with start() on the same port and dir."""

    def __init__(self, name="redis"):
        import redis as redis_module
        import secrets
        self._module = redis_module
        self.name = name
        self.port = harness.free_port()
        # A port freed by an earlier test can come back: the dir must be new.
        self.dir = tempfile.mkdtemp(prefix="%s-%d-" % (name, self.port), dir=harness.tmpdir())
        self.url = "redis://127.0.0.1:%d" % self.port
        # the ACL users of docker/redis-users.acl, as harness.Redis
        self.passwords = {"jobmatch-matcher": secrets.token_hex(12),
                          "jobmatch-dashboard": secrets.token_hex(12)}
        self.admin_password = secrets.token_hex(12)
        self.acl_path = os.path.join(self.dir, "users.acl")
        with open(self.acl_path, "w") as acl_file:
            acl_file.write(harness.acl_text(self.passwords, self.admin_password))
        self.process = None
        self.allow_denials = False
        harness.watch_acl(self)
        self.start()

    def start(self, timeout=10.0):
        """Starts redis-server (again) and waits until it answers PING."""
        check(self.process is None or not self.process.alive(), "redis-server already running")
        self.process = harness.spawn(self.name, [
            "redis-server", "--port", self.port, "--bind", "127.0.0.1", "--dir", self.dir,
            "--save", "3600 1", "--appendonly", "no", "--dbfilename", "dump.rdb",
            "--aclfile", self.acl_path])

        def ready():
            if not self.process.alive():
                raise TestFailure("redis-server exited: %s" % "\n".join(self.process.tail()))
            try:
                return self.client().ping()
            except self._module.exceptions.ConnectionError:
                return False
            except self._module.exceptions.BusyLoadingError:
                return False
        harness.wait_for(ready, timeout, 0.02, "redis-server to answer PING")

    def client(self):
        """A redis-py client (decoded strings), as the admin user."""
        return self._module.Redis(host="127.0.0.1", port=self.port, decode_responses=True,
                                  socket_timeout=5, username=harness.ACL_ADMIN,
                                  password=self.admin_password)

    def url_for(self, program):
        """The URL program ("matcher" or "dashboard") logs in with."""
        user = "jobmatch-" + program
        return "redis://%s:%s@127.0.0.1:%d" % (user, self.passwords[user], self.port)

    def acl_denials(self):
        """What ACL LOG recorded: a list of (user, reason, object) tuples."""
        return [(entry.get("username"), entry.get("reason"), entry.get("object"))
                for entry in self.client().acl_log()]

    def stop(self):
        """SIGTERM: Redis saves its snapshot and exits."""
        return self.process.stop(timeout=10.0)


# --------------------------------------------------------------------------
# The stack

class Stack:
    """redis-server, jobmatch-gateway and `matchers` jobmatch-matcher
    processes on free loopback ports, all stopped at the end of the test.
    The gateway's other settings come as keyword arguments (queue_max=5);
    matcher_options apply to every matcher (slots=64).  Returns once the
    gateway has every matcher registered.  With gateways=N, N gateways
    (self.gateways, self.gateway the first), each matcher connected to all,
    and self.clients their client endpoints separated by commas."""

    def __init__(self, matchers=2, heartbeat_ms=1000, liveness=3, persist_redis=False,
                 matcher_options=None, gateways=1, redis=None, **gateway_options):
        self.heartbeat_ms = heartbeat_ms
        self.liveness = liveness
        self.matcher_options = dict(matcher_options or {})
        # redis: one already started (url_for, process, client), e.g. a cluster
        self.redis = redis or (PersistentRedis() if persist_redis else harness.start_redis())
        self.gateways = [harness.start_gateway("gateway-%d" % (n + 1) if gateways > 1 else "gateway",
                                               heartbeat_ms=heartbeat_ms, liveness=liveness,
                                               **gateway_options)
                         for n in range(gateways)]
        self.gateway = self.gateways[0]
        self.clients = ",".join(gateway.clients for gateway in self.gateways)
        self.matchers = []
        for _ in range(matchers):
            self.start_matcher()
        if matchers:
            for gateway in self.gateways:
                gateway.wait_workers(MATCH, matchers, timeout=30.0)

    def start_matcher(self, **options):
        """Starts one more matcher (named matcher-1, matcher-2, ...) and
        returns its harness.Process; does not wait for it to register."""
        settings = dict(self.matcher_options)
        settings.update(options)
        argv = [harness.binary("jobmatch-matcher"), "--gateway",
                ",".join(gateway.workers for gateway in self.gateways),
                "--redis", self.redis.url_for("matcher") + "/0", "--data", DATA_DIR,
                "--heartbeat-ms", self.heartbeat_ms, "--liveness", self.liveness]
        for key, value in settings.items():
            if value is True:
                argv.append("--" + key.replace("_", "-"))
            else:
                argv += ["--" + key.replace("_", "-"), str(value)]
        process = harness.spawn("matcher-%d" % (len(self.matchers) + 1), argv)
        self.matchers.append(process)
        return process

    def client(self, req=False):
        """A new DEALER (or REQ) client of the gateway."""
        return harness.MdpClient(self.gateway.clients, req=req)

    def full_result(self, job, candidate, client=None, timeout=10.0):
        """(job, candidate)'s full breakdown as jobmatch.results reads it back
        (recomputed from its record, the stored profile and the job version),
        or None when it is not found."""
        client = client or self.gateway.client()
        body = {"op": "result", "job": job, "candidate": candidate, "detail": "full"}
        reply = json.loads(client.request("jobmatch.results", json.dumps(body).encode(),
                                          timeout=timeout))
        return reply["result"] if reply.get("ok") else None

    def match(self, request_body, client=None, timeout=30.0):
        """Sends one jobmatch.match request and returns its decoded reply."""
        client = client or self.gateway.client()
        if not isinstance(request_body, bytes):
            request_body = json.dumps(request_body).encode()
        return json.loads(client.request(MATCH, request_body, timeout=timeout))

    def processes(self):
        return [self.redis.process] + [gateway.process for gateway in self.gateways] + self.matchers

    def check_alive(self, *processes):
        """Fails the test when any of the given processes (default: the
        gateway and every matcher not deliberately stopped) has exited."""
        for process in processes or [self.gateway.process] + self.matchers:
            check(process.alive(), "%s exited with %s: %s" % (
                process.name, process.popen.returncode, " | ".join(process.tail(5))))


# --------------------------------------------------------------------------
# Streams of requests

class StreamResult:
    """What stream() saw: replies (request id -> body), duplicates and
    strangers (ids answered twice, ids never sent), missing (ids sent and
    never answered), elapsed seconds, max_gap (the longest wait for a reply
    while requests were outstanding)."""

    def __init__(self):
        self.replies = {}
        self.order = []
        self.duplicates = []
        self.strangers = []
        self.missing = []
        self.elapsed = 0.0
        self.max_gap = 0.0

    def bodies(self):
        """Replies decoded from JSON, in request-id order of sending."""
        return [json.loads(self.replies[request_id]) for request_id in self.order
                if request_id in self.replies]

    def check_exactly_once(self):
        """Fails unless every request was answered exactly once."""
        check(not self.missing, "%d of %d requests unanswered (first %r)" % (
            len(self.missing), len(self.order), self.missing[:3]))
        check(not self.duplicates, "%d replies duplicated (first %r)" % (
            len(self.duplicates), self.duplicates[:3]))
        check(not self.strangers, "%d replies to request ids never sent (first %r)" % (
            len(self.strangers), self.strangers[:3]))


def stream(client, bodies, inflight=256, service=MATCH, prefix="r", on_reply=None,
           stall_timeout=30.0, linger=0.3):
    """Sends every body in bodies from client (a DEALER harness.MdpClient)
    with request ids "<prefix>-<n>", keeping up to inflight requests
    outstanding, and collects the replies.  on_reply(answered) is called
    after each new reply (it may block, to kill or restart something).
    Gives up when no reply comes for stall_timeout seconds; afterwards
    listens linger seconds more for duplicates.  Returns a StreamResult."""
    result = StreamResult()
    total = len(bodies)
    result.order = [("%s-%d" % (prefix, index)).encode() for index in range(total)]
    expected = set(result.order)
    service = service.encode() if isinstance(service, str) else service
    sent = outstanding = 0
    started = last_reply = time.monotonic()

    def take(frames):
        nonlocal outstanding, last_reply
        # [request-id, "", MDPC01, service, body]
        if len(frames) != 5 or frames[1] != b"" or frames[2] != harness.MDPC:
            raise TestFailure("malformed reply: %r" % [frame[:40] for frame in frames])
        request_id = frames[0]
        if request_id in result.replies:
            result.duplicates.append(request_id)
            return False
        if request_id not in expected:
            result.strangers.append(request_id)
            return False
        result.replies[request_id] = frames[4]
        outstanding -= 1
        now = time.monotonic()
        result.max_gap = max(result.max_gap, now - last_reply)
        last_reply = now
        return True

    while len(result.replies) < total:
        while sent < total and outstanding < inflight:
            client.send(service, result.order[sent], bodies[sent])
            sent += 1
            outstanding += 1
        frames = client.recv_raw(0.2)
        if frames is None:
            if time.monotonic() - last_reply > stall_timeout:
                break
            continue
        if take(frames) and on_reply:
            on_reply(len(result.replies))
            last_reply = max(last_reply, time.monotonic() - 0.001)
    if outstanding > 0:         # the wait for a reply went on until we gave up
        result.max_gap = max(result.max_gap, time.monotonic() - last_reply)
    result.elapsed = time.monotonic() - started
    deadline = time.monotonic() + linger
    while time.monotonic() < deadline:
        frames = client.recv_raw(max(0.0, deadline - time.monotonic()))
        if frames is not None:
            take(frames)
    result.missing = [request_id for request_id in result.order if request_id not in result.replies]
    return result


# --------------------------------------------------------------------------
# Matcher logs

def matcher_served(process, stop=True):
    """How many requests a matcher answered, from its own statistics lines
    ("last 30 s: N requests, ..."), which it logs every 30 s and once more
    when it stops.  Stops the matcher first (SIGTERM) unless stop is
    False."""
    import re
    if stop and process.alive():
        process.stop(signal.SIGTERM)
    return sum(int(count) for count in re.findall(r"last \d+ s: (\d+) requests", process.log()))
