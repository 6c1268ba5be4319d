#!/usr/bin/python3
"""A jobmatch client for job boards, in Python: submit candidates, post jobs,
read rankings.

It speaks JMP/1 (proto/protocol.md) to jobmatch-gateway with nothing but
pyzmq (Debian: apt-get install python3-zmq; run it with /usr/bin/python3).
Use it as a script:

    client.py [--gateway EP] [--timeout S] [--curve-server FILE --curve-cert FILE]
              COMMAND [ARGS]

    submit FILE [--job ID]... [--detail LEVEL]
                                 score candidates (one JSON object, an array or
                                 JSON lines; "-" is stdin); prints one result a line
    post-job FILE                create or replace a job; prints it with its version
    get-job ID                   prints one job
    jobs                         lists the registered jobs, one a line
    delete-job ID                removes a job
    rank JOB [--offset N] [--limit N] [--min-score X] [--band B]
                                 prints a page of a job's ranking, one entry a line,
                                 then a summary line on stderr
    result JOB CANDIDATE         prints a stored result (--detail, default full)
    results CANDIDATE            prints a candidate's results for every job
    best FILE [--limit N]        the jobs that suit one candidate best

    --detail LEVEL (submit, result, results, best) says how much of each result
    the reply carries: score (candidate, job, job_version, score, band), summary
    (also name, required met and the required requirements missing: the default
    but for result) or full (the whole breakdown); proto/services.md.
    stats                        the gateway's counters

    --gateway defaults to $JOBMATCH_GATEWAY, else tcp://127.0.0.1:5570; several
    gateways are endpoints separated by commas (requests spread over them, and
    those of a gateway that dies go to another: see JobmatchClient); --timeout
    (seconds, default 10) bounds the wait for each reply.  Exit status, as for
    the jobmatch CLI: 0 all good; 1 the service refused the request (printed
    on stderr as "CODE: message": not_found, unknown_skill, ...); 2 no answer
    (no reply in time, or no_workers, busy, unavailable, worker_lost, internal: try again
    later), a usage error or an unreadable file.

    CURVE (a gateway started with --curve-cert): --curve-server names the
    gateway's public certificate and --curve-cert our own secret certificate
    (default $JOBMATCH_CURVE_SERVER and $JOBMATCH_CURVE_CERT), both czmq
    zcert files as `jobmatch keys new NAME` writes them (NAME and NAME_secret);
    our public key must be in the gateway's --curve-clients (or --curve-admins)
    directory.  A refused key gets no answer at all: the request times out.

or as a module:

    from client import JobmatchClient, JobmatchError
    with JobmatchClient("tcp://127.0.0.1:5570", timeout=10.0) as jobmatch:
        jobmatch.put_job({"id": "api-dev", "title": "API developer",
                          "requirements": [{"skill": "Python", "weight": 3}]})
        results = jobmatch.submit([{"id": "c1", "name": "Ada", "skills": ["Python"]}],
                                  jobs=["api-dev"], detail="score")
        page = jobmatch.rank("api-dev", limit=10)
        for entry in page["entries"]:
            print(entry["rank"], entry["candidate"], entry["score"])

How the protocol works, in short.  The client connects a DEALER socket to the
gateway and sends each request as five frames:

    [REQUEST-ID, "", "MDPC01", SERVICE, BODY]

and gets back the same five frames with the reply body.  BODY is JSON.  After
the empty delimiter this is plain Majordomo (7/MDP, "MDP/Client v0.1"); the
request id before it travels in the ZeroMQ envelope, as a REQ socket's
routing frames do.  It is the client's own choice: replies can come in any
order, and the id tells which request each answers, so many requests can be
in flight at once (send() and recv() below; submit() uses them).  A stock
7/MDP client, without the id, works too, one request at a time.  Every request is answered
exactly once, by a matcher or by the gateway with an error body:

    {"ok": false, "error": {"code": "no_workers", "message": "..."}}

(codes in proto/protocol.md section 7; JobmatchError carries them).  If no
reply comes within the timeout, the request may still be answered later: the
client then drops that reply, since its id is no longer awaited.  Services:

    jobmatch.match    {"candidates": [...], "jobs": [ID, ...], "detail": D}  -> {"ok", "results"}
    jobmatch.jobs     {"op": "put" | "get" | "list" | "delete", ...}
    jobmatch.results  {"op": "result" | "rank" | "candidate" | "best" | "summary", ...}

(proto/services.md has every field).
"""

import argparse
import itertools
import json
import os
import sys
import time

import zmq
from zmq.utils.monitor import recv_monitor_message

DEFAULT_GATEWAY = "tcp://127.0.0.1:5570"
MAX_GATEWAYS = 8                # endpoints in one --gateway list, as the C programs
# connection events: up (handshake done: a refused CURVE key connects and fails
# again and again), and down (lost, refused, silent past the heartbeat timeout)
EVENTS_UP = zmq.EVENT_HANDSHAKE_SUCCEEDED
EVENTS_DOWN = (zmq.EVENT_DISCONNECTED | zmq.EVENT_CONNECT_RETRIED | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL
               | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL | zmq.EVENT_HANDSHAKE_FAILED_AUTH)
MDPC = b"MDPC01"
MATCH, JOBS, RESULTS, STATS = "jobmatch.match", "jobmatch.jobs", "jobmatch.results", "jobmatch.stats"
MAX_CANDIDATES = 1000           # candidates in one jobmatch.match request
DETAILS = ("score", "summary", "full")      # how much of a result a reply carries
# answered by the gateway before any work was done (unavailable: the gateway
# was stopping; a request its worker held may have run, and scoring again is
# harmless)
MAX_ID_BYTES = 128              # a job or candidate id: a string of 1 to 128 bytes (UTF-8)
RETRYABLE = ("busy", "no_workers", "unavailable")
UNANSWERED = RETRYABLE + ("worker_lost", "timeout", "internal")  # not the request's fault: try later


class JobmatchError(Exception):
    """An error reply: code (e.g. "unknown_skill", "not_found", "no_workers"),
    message, and the whole reply body (an unknown_skill error lists the
    unknown names with suggestions in reply["error"]["unknown"])."""

    def __init__(self, code, message, reply=None):
        super().__init__("%s: %s" % (code, message))
        self.code = code
        self.message = message
        self.reply = reply or {}


def _check_id(value, field):
    """Refuses an id that is not a string of 1 to MAX_ID_BYTES bytes, as
    the services do (invalid_request naming the field), before sending:
    ids are strings, never numbers (42 and "42" would be two candidates)."""
    if not isinstance(value, str) or not 1 <= len(value.encode("utf-8", "surrogatepass")) <= MAX_ID_BYTES:
        raise JobmatchError("invalid_request", "%s must be a string of 1 to %d bytes (got %s)"
                            % (field, MAX_ID_BYTES, type(value).__name__ if not isinstance(value, str)
                               else "%d bytes" % len(value.encode("utf-8", "surrogatepass"))))
    return value


def _check_candidate(candidate):
    """A candidate profile: a dict whose "id" is a string id."""
    if not isinstance(candidate, dict):
        raise JobmatchError("invalid_request", "candidate must be an object (a candidate profile)")
    _check_id(candidate.get("id"), "candidate id")
    return candidate


def load_certificate(path):
    """Reads a czmq certificate file (ZPL text: a "curve" section with
    public-key and, in NAME_secret, secret-key, each 40 Z85 characters).
    Returns (public_key, secret_key) as bytes, secret_key None when the file
    holds none.  Raises ValueError naming the file when it is not one."""
    keys = {}
    section = None
    with open(path, encoding="utf-8") as file:
        for line in file:
            text = line.rstrip()
            if not text.strip() or text.lstrip().startswith("#"):
                continue
            if not text[0].isspace():
                section = text.split("#", 1)[0].strip()
                continue
            name, equals, value = text.strip().partition("=")
            value = value.strip()
            # a quoted value may hold '#' (Z85 keys do); elsewhere it starts a comment
            if value.startswith('"'):
                value = value[1:].split('"', 1)[0]
            else:
                value = value.split("#", 1)[0].strip()
            if section == "curve" and equals:
                keys[name.strip()] = value
    public, secret = keys.get("public-key", ""), keys.get("secret-key")
    if len(public) != 40 or (secret is not None and len(secret) != 40):
        raise ValueError("%s is not a czmq certificate (no 40-character curve public-key)" % path)
    if secret == "0" * 40:
        secret = None
    return public.encode(), secret.encode() if secret else None


class JobmatchClient:
    """Connections to one gateway or several.  Not thread-safe (a ZeroMQ
    socket is not): use one client per thread.  With curve_server (the
    gateway's public certificate file) and curve_cert (our secret
    certificate file) the connections are CURVE-encrypted and authenticated.

    endpoint may name several gateways, separated by commas (or as a list):
    one DEALER each, watched by a socket monitor and ZMTP heartbeats.  Each
    request goes to the gateway up with the fewest requests in flight; when
    a gateway's connection goes down, the requests waiting on it are sent
    again at once to another under the same ids (scoring is idempotent, and
    a late second reply to an id is dropped)."""

    def __init__(self, endpoint=None, timeout=10.0, context=None, curve_server=None, curve_cert=None):
        endpoints = endpoint or os.environ.get("JOBMATCH_GATEWAY") or DEFAULT_GATEWAY
        if isinstance(endpoints, str):
            endpoints = [entry.strip() for entry in endpoints.split(",")]
        if not 1 <= len(endpoints) <= MAX_GATEWAYS or not all(endpoints) \
                or len(set(endpoints)) < len(endpoints):
            raise ValueError("give 1 to %d gateway endpoints separated by commas, each once, not %r"
                             % (MAX_GATEWAYS, endpoint))
        self.endpoint = ",".join(endpoints)
        self.timeout = timeout
        curve_server = curve_server or os.environ.get("JOBMATCH_CURVE_SERVER")
        curve_cert = curve_cert or os.environ.get("JOBMATCH_CURVE_CERT")
        if bool(curve_server) != bool(curve_cert):
            raise ValueError("CURVE needs both the gateway's public certificate (--curve-server) "
                             "and our secret certificate (--curve-cert)")
        keys = None
        if curve_server:
            server_public, _ = load_certificate(curve_server)
            public, secret = load_certificate(curve_cert)
            if not secret:
                raise ValueError("%s has no secret key: give NAME_secret" % curve_cert)
            keys = (server_public, public, secret)
        self._context = context or zmq.Context.instance()
        self._poller = zmq.Poller()
        self._gateways = [self._connect(entry, keys) for entry in endpoints]
        self._pending = {}              # request id -> [gateway index, frames]
        self._turn = 0
        self._ids = itertools.count(1)
        self._prefix = "py-%d-%x" % (os.getpid(), id(self) & 0xFFFFFF)

    def _connect(self, endpoint, keys):
        """A DEALER to one gateway, with its monitor, both polled."""
        sock = self._context.socket(zmq.DEALER)
        sock.setsockopt(zmq.LINGER, 0)
        sock.setsockopt(zmq.HEARTBEAT_IVL, 1000)       # a hung gateway is lost after 3 s
        sock.setsockopt(zmq.HEARTBEAT_TIMEOUT, 3000)
        if keys:
            sock.curve_serverkey, sock.curve_publickey, sock.curve_secretkey = keys
        monitor = sock.get_monitor_socket(EVENTS_UP | EVENTS_DOWN)
        sock.connect(endpoint)
        self._poller.register(sock, zmq.POLLIN)
        self._poller.register(monitor, zmq.POLLIN)
        return {"endpoint": endpoint, "socket": sock, "monitor": monitor, "up": None, "in_flight": 0}

    def close(self):
        for gateway in self._gateways:
            gateway["socket"].disable_monitor()
            gateway["monitor"].close(linger=0)
            gateway["socket"].close(linger=0)

    def _pick(self, avoid=None):
        """The gateway for the next request: of those up, the one with the
        fewest in flight; when none is up (yet), the next in turn."""
        count = len(self._gateways)
        order = [(self._turn + step) % count for step in range(count)]
        up = [index for index in order if self._gateways[index]["up"] and index != avoid]
        if up:
            index = min(up, key=lambda i: self._gateways[i]["in_flight"])
        else:
            index = next((i for i in order if i != avoid), order[0])
        self._turn = (index + 1) % count
        return index

    def _transmit(self, request_id, frames, avoid=None):
        index = self._pick(avoid)
        self._gateways[index]["socket"].send_multipart(frames)
        self._gateways[index]["in_flight"] += 1
        self._pending[request_id] = [index, frames]

    def _forget(self, request_id):
        """No longer waits for request_id (answered, or given up)."""
        entry = self._pending.pop(request_id, None)
        if entry:
            self._gateways[entry[0]]["in_flight"] -= 1

    def _watch(self, index):
        """Reads gateway index's connection events; when it went down, sends
        the requests waiting on it to another gateway."""
        gateway = self._gateways[index]
        lost = False
        while gateway["monitor"].poll(0):
            event = recv_monitor_message(gateway["monitor"])["event"]
            if event & EVENTS_UP:
                gateway["up"] = True
            elif event & EVENTS_DOWN and gateway["up"] is not False:
                gateway["up"] = False
                lost = True
        if lost and len(self._gateways) > 1:
            for request_id, (where, frames) in list(self._pending.items()):
                if where == index:
                    self._forget(request_id)
                    self._transmit(request_id, frames, avoid=index)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- the protocol -------------------------------------------------------

    def send(self, service, body):
        """Sends one request (body: a dict, or bytes as they are) and returns
        its request id; does not wait."""
        request_id = "%s-%d" % (self._prefix, next(self._ids))
        if not isinstance(body, bytes):
            body = json.dumps(body).encode()
        self._transmit(request_id, [request_id.encode(), b"", MDPC, service.encode(), body])
        return request_id

    def recv(self, timeout=None):
        """Waits up to timeout seconds (default: the client's) for the next
        reply.  Returns (request_id, body) with body decoded from JSON, or
        None when nothing came.  A reply to a request no longer awaited
        (answered already, or given up) is dropped."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            ready = dict(self._poller.poll(remaining * 1000)) if remaining > 0 else {}
            if not ready:
                return None
            for index, gateway in enumerate(self._gateways):
                if gateway["monitor"] in ready:
                    self._watch(index)
            sockets = [gateway["socket"] for gateway in self._gateways if gateway["socket"] in ready]
            if not sockets:
                continue
            frames = sockets[0].recv_multipart()
            # [REQUEST-ID, "", MDPC01, SERVICE, BODY]
            if len(frames) != 5 or frames[1] != b"" or frames[2] != MDPC:
                continue                        # not a reply to this client: ignore it
            request_id = frames[0].decode(errors="replace")
            if request_id not in self._pending:
                continue                        # answered already, or abandoned
            self._forget(request_id)
            try:
                body = json.loads(frames[4])
            except ValueError:
                body = {"ok": False, "error": {"code": "internal",
                                               "message": "the reply is not JSON"}}
            return request_id, body

    def request(self, service, body, timeout=None, retries=0):
        """Sends one request and waits for its reply.  Returns the reply
        body when it says "ok"; raises JobmatchError for an error reply and
        TimeoutError when none came within timeout seconds.  busy,
        no_workers and unavailable are retried up to retries times, after
        0.2 s, 0.4 s, 0.8 s..."""
        timeout = self.timeout if timeout is None else timeout
        for attempt in range(retries + 1):
            request_id = self.send(service, body)
            deadline = time.monotonic() + timeout
            while True:
                got = self.recv(max(0.0, deadline - time.monotonic()))
                if got is None:
                    self._forget(request_id)
                    raise TimeoutError("no reply from the gateway at %s within %g s"
                                       % (self.endpoint, timeout))
                if got[0] == request_id:        # else a late reply to an abandoned request
                    reply = got[1]
                    break
            if not isinstance(reply, dict):
                raise JobmatchError("internal", "the reply is not a JSON object")
            if reply.get("ok") is True or (service == STATS and "ok" not in reply):
                return reply
            error = reply.get("error") or {}
            code, message = error.get("code", "internal"), error.get("message", "")
            if code not in RETRYABLE or attempt == retries:
                raise JobmatchError(code, message, reply)
            time.sleep(0.2 * 2 ** attempt)

    # -- jobmatch.match -----------------------------------------------------

    def submit(self, candidates, jobs=None, window=8, detail=None):
        """Scores candidates (dicts) against jobs (ids; None: the default
        job), stores the results and updates the rankings.  Sends them in
        requests of up to 1000 with up to window requests in flight, and
        returns the results in input order: one per candidate and job, or
        for a candidate that could not be read {"position", "candidate",
        "error"}.  detail: "score", "summary" or "full" (None: the
        service's default, summary).  Raises JobmatchError when a whole
        request fails, or invalid_request before sending anything when a
        job id is not a string.  A candidate whose id is not a string gets
        an error item (invalid_request) like any candidate the service
        cannot read."""
        for index, job in enumerate(jobs or []):
            _check_id(job, "jobs[%d]" % index)
        chunks = [candidates[i:i + MAX_CANDIDATES] for i in range(0, len(candidates), MAX_CANDIDATES)]
        replies, pending = {}, {}
        next_chunk = 0
        while len(replies) < len(chunks):
            while next_chunk < len(chunks) and len(pending) < window:
                body = {"candidates": chunks[next_chunk]}
                if jobs:
                    body["jobs"] = list(jobs)
                if detail:
                    body["detail"] = detail
                pending[self.send(MATCH, body)] = next_chunk
                next_chunk += 1
            got = self.recv()
            if got is None:
                raise TimeoutError("no reply from the gateway at %s within %g s"
                                   % (self.endpoint, self.timeout))
            if got[0] not in pending:
                continue
            index = pending.pop(got[0])
            reply = got[1]
            if not isinstance(reply, dict) or reply.get("ok") is not True:
                error = (reply or {}).get("error") or {}
                raise JobmatchError(error.get("code", "internal"), error.get("message", ""), reply)
            replies[index] = reply["results"]
        return [result for index in range(len(chunks)) for result in replies[index]]

    # -- jobmatch.jobs ------------------------------------------------------

    def put_job(self, job):
        """Creates or replaces a job; returns it as stored, with "version"."""
        if not isinstance(job, dict):
            raise JobmatchError("invalid_request", "job must be an object (a job profile)")
        _check_id(job.get("id"), "job.id")
        return self.request(JOBS, {"op": "put", "job": job})["job"]

    def get_job(self, job_id):
        """The reply of get: {"job", "ranked_version", "rescoring"}."""
        return self.request(JOBS, {"op": "get", "id": _check_id(job_id, "id")})

    def list_jobs(self):
        """Every registered job: id, title, version, requirements,
        candidates, ranked_version, rescoring."""
        return self.request(JOBS, {"op": "list"})["jobs"]

    def delete_job(self, job_id):
        return self.request(JOBS, {"op": "delete", "id": _check_id(job_id, "id")})

    # -- jobmatch.results ---------------------------------------------------

    @staticmethod
    def _with_detail(body, detail):
        if detail:
            body["detail"] = detail
        return body

    def result(self, job_id, candidate_id, detail=None):
        """The stored result of a candidate for a job (JobmatchError
        not_found when there is none), at detail (None: summary)."""
        return self.request(RESULTS, self._with_detail(
            {"op": "result", "job": _check_id(job_id, "job"),
             "candidate": _check_id(candidate_id, "candidate")}, detail))["result"]

    def rank(self, job_id, offset=0, limit=20, min_score=None, band=None):
        """A page of a job's ranking: {"job", "version", "total", "matching",
        "offset", "limit", "entries": [{"rank", "candidate", "name", "score",
        "band", "required"}], "rescoring"}."""
        body = {"op": "rank", "job": _check_id(job_id, "job"), "offset": offset, "limit": limit, "band": band}
        if min_score is not None:
            body["min_score"] = min_score
        return self.request(RESULTS, body)

    def candidate_results(self, candidate_id, detail=None):
        """A candidate's results for every registered job that has one, at
        detail (None: summary)."""
        return self.request(RESULTS, self._with_detail(
            {"op": "candidate", "candidate": _check_id(candidate_id, "candidate")}, detail))["results"]

    def best(self, candidate, limit=10, detail=None):
        """One profile scored against every registered job, best first
        (nothing is stored), at detail (None: summary)."""
        return self.request(RESULTS, self._with_detail(
            {"op": "best", "candidate": _check_candidate(candidate), "limit": limit}, detail))["results"]

    def stats(self):
        """The gateway's counters (jobmatch.stats)."""
        return self.request(STATS, b"")


# --------------------------------------------------------------------------
# The script

def _read_text(path):
    """The text of a file ("-": stdin)."""
    if path == "-":
        return sys.stdin.read()
    with open(path, encoding="utf-8") as file:
        return file.read()


def _read_json(path):
    """Parses a file ("-": stdin) holding one JSON value."""
    return json.loads(_read_text(path))


def _read_candidates(path):
    """Candidates from a file: one object, an array, or JSON lines."""
    text = _read_text(path)
    stripped = text.strip()
    if stripped.startswith("["):
        return json.loads(stripped)
    try:
        value = json.loads(stripped)
        return [value]
    except ValueError:
        return [json.loads(line) for line in text.splitlines() if line.strip()]


def _print(value, pretty=False):
    print(json.dumps(value, indent=2 if pretty else None))


def _parser():
    parser = argparse.ArgumentParser(
        prog="client.py", description="A jobmatch client: submit candidates, post jobs, read rankings.",
        epilog="See the top of this file for the protocol and the Python API.")
    parser.add_argument("--gateway", help="the gateway, or several separated by commas "
                        "(default $JOBMATCH_GATEWAY or %s)" % DEFAULT_GATEWAY)
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for a reply")
    parser.add_argument("--curve-server", metavar="FILE",
                        help="CURVE: the gateway's public certificate (default $JOBMATCH_CURVE_SERVER)")
    parser.add_argument("--curve-cert", metavar="FILE",
                        help="CURVE: our own secret certificate (default $JOBMATCH_CURVE_CERT)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    command = commands.add_parser("submit", help="score candidates")
    command.add_argument("file")
    command.add_argument("--job", action="append", help="a job id; repeatable (default: the default job)")
    command.add_argument("--detail", choices=DETAILS, default="summary", help="how much of each result")
    command = commands.add_parser("post-job", help="create or replace a job")
    command.add_argument("file")
    command = commands.add_parser("get-job", help="one job")
    command.add_argument("id")
    commands.add_parser("jobs", help="the registered jobs")
    command = commands.add_parser("delete-job", help="remove a job")
    command.add_argument("id")
    command = commands.add_parser("rank", help="a page of a job's ranking")
    command.add_argument("job")
    command.add_argument("--offset", type=int, default=0)
    command.add_argument("--limit", type=int, default=20)
    command.add_argument("--min-score", type=float)
    command.add_argument("--band", choices=["strong", "good", "partial", "weak"])
    command = commands.add_parser("result", help="a stored result")
    command.add_argument("job")
    command.add_argument("candidate")
    command.add_argument("--detail", choices=DETAILS, default="full", help="how much of the result")
    command = commands.add_parser("results", help="a candidate's results for every job")
    command.add_argument("candidate")
    command.add_argument("--detail", choices=DETAILS, default="summary", help="how much of each result")
    command = commands.add_parser("best", help="the jobs that suit one candidate best")
    command.add_argument("file")
    command.add_argument("--limit", type=int, default=10)
    command.add_argument("--detail", choices=DETAILS, default="summary", help="how much of each result")
    commands.add_parser("stats", help="the gateway's counters")
    return parser


def main(argv=None):
    args = _parser().parse_args(argv)
    try:
        client = JobmatchClient(args.gateway, timeout=args.timeout, curve_server=args.curve_server,
                                curve_cert=args.curve_cert)
    except (OSError, ValueError) as error:      # a CURVE certificate missing or not one, a bad list
        print("%s%s" % ("" if "gateway" in str(error) else "CURVE: ", error), file=sys.stderr)
        return 2
    try:
        with client as jobmatch:
            if args.command == "submit":
                for result in jobmatch.submit(_read_candidates(args.file), jobs=args.job,
                                              detail=args.detail):
                    _print(result)
            elif args.command == "post-job":
                _print(jobmatch.put_job(_read_json(args.file)), pretty=True)
            elif args.command == "get-job":
                _print(jobmatch.get_job(args.id)["job"], pretty=True)
            elif args.command == "jobs":
                for job in jobmatch.list_jobs():
                    _print(job)
            elif args.command == "delete-job":
                jobmatch.delete_job(args.id)
                print("deleted job %s" % args.id)
            elif args.command == "rank":
                page = jobmatch.rank(args.job, args.offset, args.limit, args.min_score, args.band)
                for entry in page["entries"]:
                    _print(entry)
                entries = page["entries"]
                shown = "%d-%d" % (entries[0]["rank"], entries[-1]["rank"]) if entries else "none"
                print("showing %s of %d (%d in all), version %d" % (
                    shown, page["matching"], page["total"], page["version"]), file=sys.stderr)
            elif args.command == "result":
                _print(jobmatch.result(args.job, args.candidate, detail=args.detail), pretty=True)
            elif args.command == "results":
                for result in jobmatch.candidate_results(args.candidate, detail=args.detail):
                    _print(result)
            elif args.command == "best":
                for result in jobmatch.best(_read_json(args.file), limit=args.limit, detail=args.detail):
                    _print(result)
            elif args.command == "stats":
                _print(jobmatch.stats(), pretty=True)
    except JobmatchError as error:
        print("%s: %s" % (error.code, error.message), file=sys.stderr)
        for entry in (error.reply.get("error") or {}).get("unknown") or []:
            suggestion = entry.get("suggestion")
            print("  %r: %s" % (entry.get("input"), "did you mean %r?" % suggestion if suggestion
                                else "no close match"), file=sys.stderr)
        return 2 if error.code in UNANSWERED else 1
    except TimeoutError as error:
        print(str(error), file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except (OSError, ValueError) as error:      # unreadable file, bad JSON in it
        print("%s: %s" % (getattr(args, "file", "input"), error), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
