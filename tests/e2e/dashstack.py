#!/usr/bin/python3
"""The dashboard for tests: jobmatch-dashboard on a free loopback port over
a stack.Stack, an HTTP client, a checker of responses against
proto/openapi.yaml, and a seeder that writes a ranked job straight into
Redis in the layout of proto/services.md (for big or hand-made rankings).

  dashboard_argv(stack, port, ...)  the one command line a test dashboard
                                   runs with (Dashboard and the security
                                   tests' TLS and refused starts use it)
  Dashboard(stack, token=None, namespace=None, **options)
      .url, .get(path) / .request(method, path, body) -> Response
  OpenApi().check(response, method, template)  validates status and body
  seed_job(redis, namespace, job_id, count, ...)  a job with count results
"""
import json
import os
import random
import re
import sys
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import harness  # noqa: E402
from harness import TestFailure, check  # noqa: E402
from stack import encode_record, escape_id, record_bucket_key  # noqa: E402

DATA_DIR = os.environ.get("JM_DATA_DIR") or os.path.join(ROOT, "data")
OPENAPI = os.path.join(ROOT, "proto", "openapi.yaml")
BANDS = ("strong", "good", "partial", "weak")


class Response:
    def __init__(self, status, headers, raw):
        self.status = status
        self.headers = headers
        self.raw = raw

    def json(self):
        return json.loads(self.raw)

    def code(self):
        """The error code of an error body, else None."""
        try:
            return self.json()["error"]["code"]
        except (ValueError, KeyError, TypeError):
            return None

    def __repr__(self):
        return "<%d %s>" % (self.status, self.raw[:200])


def dashboard_argv(stack, port, *extra, gateway=None, redis_url=None, **options):
    """jobmatch-dashboard's argv over stack: --listen 127.0.0.1:port (none
    when port is None), stack's gateway and Redis, the data directory, then
    extra arguments and options as --name value."""
    argv = [harness.binary("jobmatch-dashboard")]
    if port is not None:
        argv += ["--listen", "127.0.0.1:%d" % port]
    argv += ["--gateway", gateway or stack.gateway.clients,
             "--redis", redis_url or (stack.redis.url_for("dashboard") + "/0"), "--data", DATA_DIR]
    argv += list(extra)
    for key, value in options.items():
        argv += ["--" + key.replace("_", "-"), str(value)]
    return argv


class Dashboard:
    """jobmatch-dashboard on a free loopback port, talking to stack's
    gateway and Redis; stopped at the end of the test."""

    def __init__(self, stack, token=None, namespace=None, name="dashboard", gateway=None,
                 redis_url=None, **options):
        self.port = harness.free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.token = token
        extra = (["--token", token] if token else []) + (["--namespace", namespace] if namespace else [])
        argv = dashboard_argv(stack, self.port, *extra, gateway=gateway, redis_url=redis_url, **options)
        self.process = harness.spawn(name, argv)

        def ready():
            if not self.process.alive():
                raise TestFailure("dashboard exited: %s" % " | ".join(self.process.tail()))
            try:
                return self.get("/healthz", auth=False).status in (200, 503)
            except OSError:
                return False
        harness.wait_for(ready, 10.0, 0.05, "the dashboard to answer /healthz")

    def request(self, method, path, body=None, headers=None, auth=True, timeout=30.0):
        """Sends one request; body is bytes, str or a JSON value.  Returns a
        Response whatever the status."""
        data = body
        if body is not None and not isinstance(body, (bytes, str)):
            data = json.dumps(body)
        if isinstance(data, str):
            data = data.encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if auth and self.token:
            request.add_header("Authorization", "Bearer " + self.token)
        for key, value in (headers or {}).items():
            request.add_header(key, value)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as reply:
                return Response(reply.status, dict(reply.headers), reply.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, dict(error.headers), error.read())

    def get(self, path, **options):
        return self.request("GET", path, **options)

    def alive(self):
        return self.process.alive()


class OpenApi:
    """proto/openapi.yaml, and a check of a response against it: the status
    must be declared (or covered by default) and the JSON body must validate
    against the declared schema (jsonschema, Draft 2020-12 as in OpenAPI
    3.1, with $refs resolved in the document)."""

    def __init__(self):
        import jsonschema
        import yaml
        with open(OPENAPI) as spec:
            self.doc = yaml.safe_load(spec)
        self.jsonschema = jsonschema
        self.resolver = jsonschema.RefResolver.from_schema(self.doc)
        self.checked = 0

    def schema_for(self, method, template, status):
        operation = self.doc["paths"][template][method.lower()]
        responses = operation["responses"]
        response = responses.get(str(status)) or responses.get("default")
        check(response is not None, "%s %s: status %d is not in the OpenAPI description"
              % (method, template, status))
        if "$ref" in response:
            response = self.resolver.resolve(response["$ref"])[1]
        content = response.get("content", {})
        return content.get("application/json", {}).get("schema")

    def check(self, response, method, template):
        """Validates response; returns its decoded body (None for non-JSON)."""
        schema = self.schema_for(method, template, response.status)
        if schema is None:
            return None
        check(response.headers.get("Content-Type", "").startswith("application/json"),
              "%s %s: JSON expected, got %s" % (method, template, response.headers.get("Content-Type")))
        body = response.json()
        validator = self.jsonschema.Draft202012Validator(schema, resolver=self.resolver)
        errors = sorted(validator.iter_errors(body), key=lambda error: list(error.path))
        if errors:
            error = errors[0]
            raise TestFailure("%s %s (%d) does not match the OpenAPI description at %s: %s"
                              % (method, template, response.status,
                                 "/".join(str(part) for part in error.path), error.message[:300]))
        self.checked += 1
        return body


# --------------------------------------------------------------------------
# Seeding a ranking straight into Redis (proto/services.md, redis-keys.md)

FIRST = ["Priya", "Marcus", "Sofia", "Chen", "Amara", "Lukas", "Fatima", "Diego", "Yuki",
         "Olu", "Ingrid", "Rahul", "Elena", "Kwame", "Mei", "Tomasz", "Zoë", "José"]
LAST = ["Raman", "Oyelaran", "Lindqvist", "Wei", "Okafor", "Brandt", "Haddad", "Morales",
        "Tanaka", "Adeyemi", "Solberg", "Mehta", "Petrova", "Mensah", "Lin", "Nowak"]
SKILL_IDS = {"REST APIs": "rest-api"}     # labels whose taxonomy id is not the label
REQUIREMENTS = [("Python", "required"), ("PostgreSQL", "required"), ("Docker", "required"),
                ("REST APIs", "preferred"), ("Kubernetes", "preferred"), ("Redis", "nice-to-have")]


def band_of(score, all_required):
    """common/engine/jm_score.c's bands."""
    if score >= 80 and all_required:
        return "strong"
    if score >= 60:
        return "good"
    if score >= 40:
        return "partial"
    return "weak"


def make_result(job, version, candidate, name, rng):
    """A result object shaped like the matcher's (proto/openapi.yaml
    Result), with a breakdown whose statuses fit its score."""
    requirements = []
    points = 0.0
    met_required = total_required = 0
    for label, importance in REQUIREMENTS:
        status = rng.choice(["met", "met", "partial", "missing"])
        credit = {"met": 1.0, "partial": 0.5, "missing": 0.0}[status]
        item = {"requirement": label, "importance": importance, "weight": 3, "status": status,
                "credit": credit, "points": round(credit * 16.0, 2)}
        if status != "missing":
            item["skill"] = label.lower()
            item["written"] = label
        if status == "partial":
            item["via"] = "mysql"
            item["via_name"] = "MySQL"
            item["relation"] = "sibling"
        if importance == "required":
            total_required += 1
            met_required += status == "met"
        points += item["points"]
        requirements.append(item)
    score = round(min(100.0, points + rng.random() * 4), 1)
    all_required = met_required == total_required
    return {"candidate": candidate, "name": name, "job": job, "job_version": version,
            "score": score, "band": band_of(score, all_required),
            "required": "%d of %d" % (met_required, total_required),
            "required_met": met_required, "required_total": total_required,
            "requirements": requirements}


def seeded_profile(candidate, name):
    """A stored profile in the JSON form older matchers wrote (still read):
    the name the ranking shows, and the skills a breakdown is recomputed from."""
    return json.dumps({"id": candidate, "name": name, "skills": [
        {"id": "python", "name": "Python", "level": 4, "years": 5},
        {"id": "docker", "name": "Docker", "level": 3, "years": 2}], "unknown": []},
        ensure_ascii=False, separators=(",", ":"))


def seed_job(redis, namespace, job_id, count, version=1, ranked=None, title="Seeded job",
             names=None, seed=1, rescoring=None, batch=5000):
    """Registers job_id in Redis under namespace (job hash, jobs set) and
    ranks count synthetic results for version ranked (default version):
    their compact records (score, band, required), the candidates' stored
    profiles (with their names), the rank ZSET and its strong and good band
    ZSETs (as matchers write them); the job's JSON as "json", and as
    "v:<ranked>" when ranked is not version.  names maps serial -> name for chosen candidates.
    Returns {candidate id: result} of what was written."""
    ranked = ranked or version
    rng = random.Random(seed)
    ns = namespace
    # the JSON's id as the registry would take it (keys take any id: tests
    # seed odd ones); breakdowns recomputed from it name that id
    job = {"id": re.sub(r"[^A-Za-z0-9._-]", "-", job_id), "title": title,
           "description": "seeded for tests",
           "requirements": [{"skill": SKILL_IDS.get(label, label.lower()), "importance": importance,
                             "weight": 3, "label": label} for label, importance in REQUIREMENTS]}
    job_key = "%s:job:%s" % (ns, escape_id(job_id))
    fields = {"json": json.dumps(job), "version": version, "updated": 0, "ranked": ranked}
    if ranked != version:
        fields["v:%d" % ranked] = fields["json"]
    if rescoring:
        fields.update({"rescore_version": rescoring[0], "rescore_done": rescoring[1],
                       "rescore_total": rescoring[2]})
    redis.hset(job_key, mapping=fields)
    redis.sadd("%s:jobs" % ns, job_id)
    rank_key = "%s:rank:%s:%s" % (ns, escape_id(job_id), ranked)
    written = {}
    pipe = redis.pipeline(transaction=False)
    for serial in range(count):
        candidate = "c-%06d" % serial
        name = (names or {}).get(serial) or "%s %s" % (rng.choice(FIRST), rng.choice(LAST))
        result = make_result(job_id, ranked, candidate, name, rng)
        written[candidate] = result
        record = encode_record(result["score"], result["band"], result["required_met"],
                               result["required_total"], "%d:00000000:seed:%016x" % (ranked, serial))
        pipe.hset(record_bucket_key(job_id, candidate, ns), candidate, record)
        pipe.set("%s:profile:%s" % (ns, escape_id(candidate)), seeded_profile(candidate, name))
        pipe.zadd(rank_key, {candidate: result["score"]})
        if result["band"] in ("strong", "good"):   # partial and weak: score ranges
            pipe.zadd("%s:%s" % (rank_key, result["band"]), {candidate: result["score"]})
        if serial % batch == batch - 1:
            pipe.execute()
    pipe.execute()
    return written


def expected_order(results):
    """Candidate ids as the ranking orders them: score descending, equal
    scores by id descending (ZREVRANGEBYSCORE, proto/redis-keys.md)."""
    return [candidate for candidate, _ in sorted(results.items(),
            key=lambda item: (item[1]["score"], item[0]), reverse=True)]
