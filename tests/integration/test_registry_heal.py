#!/usr/bin/python3
"""The job registry heals itself and lasts (proto/services.md, *Healing*):
a Redis flushed or restarted empty gets every job the matchers hold back,
at the same versions, within a second, and rankings go on; a version never
goes down; and a Redis with its append-only file keeps every job across a
restart.  A private redis-server, the real gateway and matchers.

    tests/integration/test_registry_heal.py [NAME-FILTER...]
"""
import json
import os
import shutil
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, check_equal  # noqa: E402
from stack import PersistentRedis, Stack, make_candidate, rank_key  # noqa: E402

runner = harness.Runner(timeout=120)

JOBS = "jobmatch.jobs"
RESULTS = "jobmatch.results"
BUILT_IN = ["backend-developer", "backend-engineer", "database-administrator",
            "solutions-architect"]


class AofRedis(PersistentRedis):
    """PersistentRedis with the persistence `make run` and the compose file
    set up: an append-only file fsynced every second, no snapshots."""

    def start(self, timeout=10.0):
        check(self.process is None or not self.process.alive(), "redis-server already running")
        self.process = harness.spawn(self.name, [
            "redis-server", "--port", self.port, "--bind", "127.0.0.1", "--dir", self.dir,
            "--save", "", "--appendonly", "yes", "--appendfsync", "everysec",
            "--aclfile", self.acl_path])

        def ready():
            if not self.process.alive():
                raise harness.TestFailure("redis-server exited: %s" % "\n".join(self.process.tail()))
            try:
                return self.client().ping()
            except (self._module.exceptions.ConnectionError,
                    self._module.exceptions.BusyLoadingError):
                return False
        harness.wait_for(ready, timeout, 0.02, "redis-server to answer PING")


def _ready(stack):
    for service in (JOBS, RESULTS):
        stack.gateway.wait_workers(service, len(stack.matchers), timeout=10.0)
    stack.rpc = stack.client()
    harness.wait_for(lambda: len(call(stack, JOBS, {"op": "list"}).get("jobs", [])) == 4, 10.0,
                     0.05, "the built-in jobs to be seeded")
    return stack


class _Stack(Stack):
    """A Stack on a Redis given by the test (for AofRedis and restarts)."""

    def __init__(self, redis, matchers=2, **matcher_options):
        self.heartbeat_ms, self.liveness = 1000, 3
        self.matcher_options = dict(matcher_options)
        self.redis = redis
        self.gateway = harness.start_gateway(heartbeat_ms=1000, liveness=3)
        self.gateways, self.clients = [self.gateway], self.gateway.clients
        self.matchers = []
        for _ in range(matchers):
            self.start_matcher()
        self.gateway.wait_workers("jobmatch.match", matchers, timeout=30.0)


def call(stack, service, body, timeout=20.0):
    return json.loads(stack.rpc.request(service, json.dumps(body).encode(), timeout=timeout))


def ok(reply, what="reply"):
    check(reply.get("ok") is True, "%s is not ok: %s" % (what, json.dumps(reply)[:400]))
    return reply


def small_job(job_id, title="Go developer"):
    return {"id": job_id, "title": title, "requirements": [
        {"skill": "Go", "weight": 3, "importance": "required"},
        {"skill": "PostgreSQL", "weight": 2, "importance": "preferred"}]}


def versions(redis):
    """job id -> version, as the registry holds them."""
    client = redis.client()
    return {job: int(client.hget("jobmatch:job:" + job, "version") or 0)
            for job in client.smembers("jobmatch:jobs")}


def set_up_jobs(stack):
    """Puts go-dev twice and backend-developer once more; returns the
    versions every job should keep."""
    ok(call(stack, JOBS, {"op": "put", "job": small_job("go-dev")}))
    ok(call(stack, JOBS, {"op": "put", "job": small_job("go-dev", "Go engineer")}))
    bd = ok(call(stack, JOBS, {"op": "get", "id": "backend-developer"}))["job"]
    del bd["version"]
    ok(call(stack, JOBS, {"op": "put", "job": bd}))
    want = versions(stack.redis)
    check_equal(want.get("go-dev"), 2, "go-dev version")
    check_equal(want.get("backend-developer"), 2, "backend-developer version")
    check_equal(len(want), 5, "jobs registered")
    # every matcher has them (a poll is 250 ms)
    time.sleep(0.6)
    return want


def score(stack, prefix, count=20, jobs=("backend-developer", "go-dev")):
    """Scores count new candidates against jobs; returns the replies' results."""
    candidates = [make_candidate(serial, prefix=prefix) for serial in range(count)]
    reply = ok(stack.match({"candidates": candidates, "jobs": list(jobs)}, client=stack.rpc),
               "match")
    return reply["results"]


def check_ranked(stack, job, version, count, prefix):
    """The job's ranked version is version and its ranking holds the count
    candidates of prefix."""
    client = stack.redis.client()
    harness.wait_for(lambda: client.hget("jobmatch:job:" + job, "ranked") == str(version), 5.0,
                     0.05, "%s ranked at version %d" % (job, version))
    members = set(client.zrange(rank_key(job, version), 0, -1))
    missing = [serial for serial in range(count) if "%s-%d" % (prefix, serial) not in members]
    check(not missing, "%d of %d %s candidates missing from %s's ranking" % (
        len(missing), count, prefix, job))


def wait_healed(stack, want, started, limit):
    """Waits until the registry holds want again; returns the seconds it took."""
    harness.wait_for(lambda: versions(stack.redis) == want, limit + 5.0, 0.01,
                     "the registry to be put back as %r" % want)
    took = time.monotonic() - started
    check(took <= limit, "the registry took %.2f s to heal (limit %.1f s)" % (took, limit))
    return took


@runner.test
def flushall_heals_within_a_second():
    stack = _ready(Stack(matchers=2))
    want = set_up_jobs(stack)
    score(stack, "before")
    started = time.monotonic()
    stack.redis.client().flushall()
    took = wait_healed(stack, want, started, 1.0)
    # submit and batch's service answer for the default job and the job put at run time
    results = score(stack, "after")
    check_equal({(r["job"], r["job_version"]) for r in results},
                {("backend-developer", 2), ("go-dev", 2)}, "jobs and versions scored")
    check_ranked(stack, "backend-developer", 2, 20, "after")
    check_ranked(stack, "go-dev", 2, 20, "after")
    got = ok(call(stack, JOBS, {"op": "get", "id": "go-dev"}))
    check_equal(got["job"]["title"], "Go engineer", "go-dev title")
    check_equal(got["job"]["version"], 2, "go-dev version")
    client = stack.redis.client()
    check_equal(client.sismember("jobmatch:jobs:seeded", "backend-engineer"), True,
                "built-in jobs marked seeded")
    rank = ok(call(stack, RESULTS, {"op": "rank", "job": "backend-developer", "limit": 100}))
    check_equal(rank["total"], 20, "backend-developer ranking after the flush")
    stack.check_alive()
    print("    healed in %.3f s" % took)


@runner.test
def batch_through_a_flush_ranks_every_result_it_stores():
    import subprocess
    stack = _ready(Stack(matchers=2))
    count = 4000
    in_path = os.path.join(harness.tmpdir(), "flush-in.jsonl")
    with open(in_path, "w") as out:
        for serial in range(count):
            out.write(json.dumps(make_candidate(serial % 400, prefix="x")
                                 | {"id": "flush-%d" % serial}) + "\n")
    out_path = os.path.join(harness.tmpdir(), "flush-out.jsonl")
    env = dict(os.environ, JOBMATCH_DATA_DIR=os.path.join(harness.ROOT, "data"))
    batch = subprocess.Popen([harness.binary("jobmatch"), "batch", "--gateway", stack.gateway.clients,
                              "--in", in_path, "--out", out_path, "--job", "backend-developer",
                              "--batch", "100"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, env=env)
    harness.on_cleanup(lambda: batch.poll() is None and batch.kill())
    client = stack.redis.client()
    harness.wait_for(lambda: client.zcard(rank_key("backend-developer", 1)) >= 500, 60.0, 0.005,
                     "the batch under way")
    client.flushall()
    _, err = batch.communicate(timeout=120)
    check_equal(batch.returncode, 0, "batch exit status (%s)" % err.decode()[-300:])
    with open(out_path) as out:
        check_equal(sum(1 for _ in out), count, "output records")
    stored = {candidate for key in client.scan_iter("jobmatch:res:backend-developer:*", count=1000)
              for candidate in client.hkeys(key)}
    ranked = set(client.zrange(rank_key("backend-developer", 1), 0, -1))
    check(stored, "results stored after the flush")
    unranked = stored - ranked
    check(not unranked, "%d of %d results stored after the flush are not ranked" % (
        len(unranked), len(stored)))
    check_equal(client.hget("jobmatch:job:backend-developer", "ranked"), "1", "ranked version")
    print("    %d of %d results stored after the flush, all ranked" % (len(stored), count))


@runner.test
def results_scored_before_the_heal_are_ranked():
    # a slow poll: requests right after the flush land before the heal
    stack = _ready(Stack(matchers=1, matcher_options={"poll_ms": 1000}))
    want = set_up_jobs(stack)
    time.sleep(0.6)
    client = stack.redis.client()
    client.flushall()
    score(stack, "gap", count=30)
    in_gap = not client.exists("jobmatch:job:backend-developer")
    wait_healed(stack, want, time.monotonic(), 2.0)
    check_ranked(stack, "backend-developer", 2, 30, "gap")
    check_ranked(stack, "go-dev", 2, 30, "gap")
    print("    scored %s the heal" % ("before" if in_gap else "after (the gap was missed)"))


@runner.test
def redis_restarted_empty_heals():
    redis = PersistentRedis()
    stack = _ready(_Stack(redis))
    want = set_up_jobs(stack)
    redis.process.kill()
    for name in os.listdir(redis.dir):
        if name != "users.acl":
            path = os.path.join(redis.dir, name)
            shutil.rmtree(path) if os.path.isdir(path) else os.unlink(path)
    time.sleep(0.5)
    redis.start()
    started = time.monotonic()
    # the matchers reconnect with their backoff (100 ms, doubling), then heal
    took = wait_healed(stack, want, started, 3.0)
    # the other matcher may still be in its backoff: scored, not stored yet
    for matcher in stack.matchers:
        matcher.wait_log("back after", timeout=10.0)
    results = score(stack, "after")
    check_equal({(r["job"], r["job_version"]) for r in results},
                {("backend-developer", 2), ("go-dev", 2)}, "jobs and versions scored")
    for result in results:
        check(result.get("stored") is not False, "a result not stored after the heal")
    check_ranked(stack, "backend-developer", 2, 20, "after")
    stack.check_alive()
    print("    healed %.3f s after Redis answered" % took)


@runner.test
def aof_keeps_every_job_across_a_restart():
    redis = AofRedis()
    stack = _ready(_Stack(redis))
    want = set_up_jobs(stack)
    # no matcher may heal: what comes back is what Redis kept
    for matcher in stack.matchers:
        check_equal(matcher.stop(), 0, "matcher exit status")
    time.sleep(1.5)                     # appendfsync everysec
    redis.process.kill()
    redis.start()
    check_equal(versions(redis), want, "jobs and versions after the restart from the AOF")
    client = redis.client()
    check_equal(json.loads(client.hget("jobmatch:job:go-dev", "json"))["title"], "Go engineer",
                "go-dev as put")
    check_equal(sorted(client.smembers("jobmatch:jobs:seeded")), BUILT_IN, "seeded built-ins")


@runner.test
def a_version_never_goes_down():
    stack = _ready(Stack(matchers=2))
    want = set_up_jobs(stack)
    client = stack.redis.client()
    job_json = client.hget("jobmatch:job:go-dev", "json")
    for matcher in stack.matchers:
        matcher.popen.send_signal(signal.SIGSTOP)
    try:
        client.flushall()
        # a newer go-dev than the matchers hold, in a registry that is otherwise gone
        newer = json.loads(job_json)
        newer["title"] = "Go lead"
        client.hset("jobmatch:job:go-dev", mapping={"json": json.dumps(newer, sort_keys=True),
                                                    "version": 7, "ranked": 7})
        client.sadd("jobmatch:jobs", "go-dev")
    finally:
        for matcher in stack.matchers:
            matcher.popen.send_signal(signal.SIGCONT)
    want["go-dev"] = 7
    wait_healed(stack, want, time.monotonic(), 2.0)
    time.sleep(0.6)                     # every matcher reloads
    check_equal(versions(stack.redis), want, "versions after the heal")
    check_equal(json.loads(client.hget("jobmatch:job:go-dev", "json"))["title"], "Go lead",
                "go-dev kept as the registry had it")
    for _ in range(4):                  # through both matchers
        results = score(stack, "newer", count=2, jobs=("go-dev",))
        check_equal({r["job_version"] for r in results}, {7}, "go-dev scored at version")
    stack.check_alive()


@runner.test
def a_deleted_job_stays_deleted():
    stack = _ready(Stack(matchers=2))
    ok(call(stack, JOBS, {"op": "put", "job": small_job("go-dev")}))
    time.sleep(0.6)
    ok(call(stack, JOBS, {"op": "delete", "id": "go-dev"}))
    ok(call(stack, JOBS, {"op": "delete", "id": "backend-engineer"}))
    time.sleep(1.0)
    check_equal(sorted(versions(stack.redis)),
                ["backend-developer", "database-administrator", "solutions-architect"],
                "jobs after the deletes")
    check_equal(call(stack, JOBS, {"op": "get", "id": "go-dev"})["error"]["code"], "not_found",
                "go-dev after its delete")
    # a flush loses the deleted versions; the heal marks the built-in jobs
    # seeded, so a matcher started afterwards does not seed the deleted one
    stack.redis.client().flushall()
    harness.wait_for(lambda: len(versions(stack.redis)) == 3, 5.0, 0.05, "the heal")
    stack.start_matcher()
    stack.gateway.wait_workers(JOBS, 3, timeout=20.0)
    time.sleep(1.0)
    check_equal(sorted(versions(stack.redis)),
                ["backend-developer", "database-administrator", "solutions-architect"],
                "jobs after a flush and a new matcher")
    stack.check_alive()


@runner.test
def a_change_stopped_between_its_two_steps_heals():
    """A change is the job's script, then the registry's step (jobs set,
    jobs:seq, events: redis-keys.md 3.3, Two steps).  A matcher stopped
    between the two leaves the job changed without jobs:seq raised, or a job
    stored but not listed: the matchers' reload every 10 s finds the first,
    and a matcher holding the job lists it again."""
    stack = _ready(Stack(matchers=2))
    ok(call(stack, JOBS, {"op": "put", "job": small_job("go-dev")}))
    time.sleep(0.6)
    client = stack.redis.client()
    # the put's script ran (version 2 stored), its INCR of jobs:seq did not
    job = json.loads(client.hget("jobmatch:job:go-dev", "json"))
    job["title"] = "Go engineer"
    client.hset("jobmatch:job:go-dev", mapping={
        "json": json.dumps(job, separators=(",", ":"), sort_keys=True), "version": 2,
        "ranked": 2})
    started = time.monotonic()

    def scored_at(version):
        results = score(stack, "heal-%d" % int(time.monotonic() * 1000), count=4, jobs=("go-dev",))
        return {r["job_version"] for r in results} == {version}
    harness.wait_for(lambda: scored_at(2), 15.0, 0.5, "every matcher to score go-dev at version 2")
    took = time.monotonic() - started
    check(took <= 11.0, "version 2 reached the matchers in %.1f s (the reload is every 10 s)" % took)
    # a seeding's script ran, its listing did not: a matcher holding the job lists it
    client.srem("jobmatch:jobs", "backend-engineer")
    harness.wait_for(lambda: client.sismember("jobmatch:jobs", "backend-engineer"), 15.0, 0.1,
                     "backend-engineer to be listed again")
    logs = "".join(matcher.log() for matcher in stack.matchers)
    check("backend-engineer was missing from the registry's list: listed again" in logs,
          "a matcher says it listed backend-engineer again")
    check_equal(int(client.hget("jobmatch:job:backend-engineer", "version")), 1,
                "backend-engineer kept its version")
    stack.check_alive()
    print("    a lost raise of jobs:seq found in %.1f s" % took)


if __name__ == "__main__":
    runner.main()
