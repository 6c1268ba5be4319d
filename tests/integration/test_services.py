#!/usr/bin/python3
"""Integration tests for the services jobmatch.jobs and jobmatch.results and
for background re-scoring (proto/services.md): a private redis-server, the
real gateway and two matchers on free loopback ports, and raw 7/MDP client
frames from pyzmq (harness.MdpClient).

    tests/integration/test_services.py [NAME-FILTER...]

Prints "ok NAME" or "FAIL NAME: why" per test and "N passed, N failed";
exits 1 when any failed.  Every process is stopped at the end of its test.
"""
import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, check_equal  # noqa: E402
from stack import MATCH, Stack, escape_id, make_candidate, matcher_served, read_records  # noqa: E402

runner = harness.Runner(timeout=240)

JOBS = "jobmatch.jobs"
RESULTS = "jobmatch.results"
BUILT_IN = ["backend-developer", "backend-engineer", "database-administrator",
            "solutions-architect"]
BANDS = ["strong", "good", "partial", "weak"]


def start(matchers=2, **matcher_options):
    """A stack whose matchers all serve the three services."""
    stack = Stack(matchers=matchers, matcher_options=matcher_options)
    for service in (JOBS, RESULTS):
        stack.gateway.wait_workers(service, matchers, timeout=10.0)
    stack.rpc = stack.client()
    harness.wait_for(lambda: len(call(stack, JOBS, {"op": "list"}).get("jobs", [])) >= 1, 10.0,
                     0.05, "the built-in jobs to be seeded")
    return stack


def call(stack, service, body, timeout=20.0):
    """One request; body is a dict (sent as JSON) or bytes (sent as is)."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return json.loads(stack.rpc.request(service, raw, timeout=timeout))


def ok(reply, what="reply"):
    check(reply.get("ok") is True, "%s is not ok: %s" % (what, json.dumps(reply)[:400]))
    return reply


def error(reply, code, *words):
    """Checks an error reply with code whose message names every word."""
    check(reply.get("ok") is False, "expected an error, got %s" % json.dumps(reply)[:300])
    check_equal(reply["error"]["code"], code, "error code")
    for word in words:
        check(word in reply["error"]["message"],
              "message %r does not name %r" % (reply["error"]["message"], word))
    return reply["error"]


def match(stack, candidates, jobs, detail="full"):
    """Scores candidates (in requests of at most 500) and returns the results
    (the whole breakdown unless detail says less)."""
    results = []
    for first in range(0, len(candidates), 500):
        reply = stack.match({"candidates": candidates[first:first + 500], "jobs": jobs,
                             "detail": detail}, client=stack.rpc, timeout=60.0)
        results += ok(reply, "match")["results"]
    return results


def small_job(job_id, title="Go developer", skills=("Go", "PostgreSQL", "Docker")):
    return {"id": job_id, "title": title, "requirements": [
        {"skill": skill, "weight": 4 - index, "importance": "required" if index == 0 else "preferred"}
        for index, skill in enumerate(skills)]}


def job_state(stack, job_id):
    return ok(call(stack, JOBS, {"op": "get", "id": job_id}), "get")


def wait_ranked(stack, job_id, version, timeout=120.0):
    """Waits until the job's ranking shows version and no re-scoring runs."""
    def flipped():
        state = job_state(stack, job_id)
        return state["ranked_version"] == version and state["rescoring"] is None
    harness.wait_for(flipped, timeout, 0.05, "job %s ranked at version %d" % (job_id, version))


def whole_ranking(stack, job_id, **filters):
    """Every entry of the ranking, read page by page (limit 1000)."""
    entries, offset = [], 0
    while True:
        body = {"op": "rank", "job": job_id, "offset": offset, "limit": 1000}
        body.update(filters)
        page = ok(call(stack, RESULTS, body), "rank")
        entries += page["entries"]
        offset += len(page["entries"])
        if not page["entries"] or offset >= page["matching"]:
            return page, entries


def rss_kb(process):
    with open("/proc/%d/status" % process.popen.pid) as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


# --------------------------------------------------------------------------
# jobmatch.jobs

@runner.test
def jobs_built_in_seeded_once():
    stack = start()
    listed = ok(call(stack, JOBS, {"op": "list"}))["jobs"]
    check_equal([job["id"] for job in listed], BUILT_IN, "built-in jobs, sorted by id")
    for job in listed:
        check_equal(job["version"], 1, "version of " + job["id"])
        check(job["requirements"] > 10, "requirement count of %s: %r" % (job["id"], job))
    ok(call(stack, JOBS, {"op": "delete", "id": "backend-engineer"}), "delete")
    error(call(stack, JOBS, {"op": "get", "id": "backend-engineer"}), "not_found", "backend-engineer")
    error(call(stack, JOBS, {"op": "delete", "id": "backend-engineer"}), "not_found")
    # a matcher started later does not bring the deleted built-in job back
    late = stack.start_matcher()
    late.wait_log("loaded", timeout=10.0)
    time.sleep(0.5)
    ids = [job["id"] for job in ok(call(stack, JOBS, {"op": "list"}))["jobs"]]
    check("backend-engineer" not in ids, "a deleted built-in job came back: %r" % ids)
    check_equal(stack.redis.client().sismember("jobmatch:jobs:seeded", "backend-engineer"), True,
                "seeded mark")
    stack.check_alive()


@runner.test
def jobs_put_get_list_delete():
    stack = start()
    events = stack.redis.client().pubsub()
    events.subscribe("jobmatch:events")
    events.get_message(timeout=2.0)             # the subscription itself
    job = small_job("go-dev", skills=("golang", "Postgres", "k8s"))
    job["version"] = 77                         # ignored: the registry counts
    job["description"] = "Writes Go services."
    put = ok(call(stack, JOBS, {"op": "put", "job": job}), "put")
    check_equal(put["job"]["version"], 1, "version of a new job")
    check_equal([r["skill"] for r in put["job"]["requirements"]], ["go", "postgresql", "kubernetes"],
                "skills stored by id")
    check_equal(put["rescoring"], None, "no re-scoring for a new job")
    event = events.get_message(timeout=5.0)
    check(event and json.loads(event["data"]) == {"event": "job", "id": "go-dev", "version": 1},
          "change published: %r" % event)
    got = job_state(stack, "go-dev")
    check_equal(got["job"], put["job"], "get returns what put stored")
    check_equal(got["ranked_version"], 1, "ranked version")
    again = ok(call(stack, JOBS, {"op": "put", "job": small_job("go-dev", title="Go engineer")}))
    check_equal(again["job"]["version"], 2, "second put raises the version")
    check_equal(job_state(stack, "go-dev")["job"]["title"], "Go engineer", "title after the edit")
    listed = {entry["id"]: entry for entry in ok(call(stack, JOBS, {"op": "list"}))["jobs"]}
    check_equal(sorted(listed), sorted(BUILT_IN + ["go-dev"]), "listed ids")
    check_equal((listed["go-dev"]["version"], listed["go-dev"]["requirements"],
                 listed["go-dev"]["title"]), (2, 3, "Go engineer"), "list entry")
    # persisted in Redis, as specified
    stored = stack.redis.client().hgetall("jobmatch:job:go-dev")
    check_equal(stored["version"], "2", "version in Redis")
    check_equal(json.loads(stored["json"])["title"], "Go engineer", "job json in Redis")
    error(call(stack, JOBS, {"op": "put", "job": small_job("team:a b")}), "invalid_request", "id")
    deleted = ok(call(stack, JOBS, {"op": "delete", "id": "go-dev"}))
    check_equal(deleted, {"ok": True, "id": "go-dev", "deleted": True}, "delete reply")
    error(call(stack, JOBS, {"op": "get", "id": "go-dev"}), "not_found", "go-dev")
    error(call(stack, JOBS, {"op": "delete", "id": "nope"}), "not_found", "nope")
    check(stack.redis.client().exists("jobmatch:job:go-dev") == 0, "job hash deleted")
    # a re-created job goes on from its last version, so no result cached
    # for the deleted job counts for the new one (and its ranking fills again)
    check_equal(ok(call(stack, JOBS, {"op": "put", "job": small_job("go-dev")}))["job"]["version"], 3,
                "version after delete and put")
    match(stack, [make_candidate(5, prefix="again")], ["go-dev"])
    ok(call(stack, JOBS, {"op": "delete", "id": "go-dev"}))
    check_equal(ok(call(stack, JOBS, {"op": "put", "job": small_job("go-dev")}))["job"]["version"], 4,
                "version after a second delete and put")
    result = match(stack, [make_candidate(5, prefix="again")], ["go-dev"])[0]
    check_equal((result["job_version"], result["cached"]), (4, False), "scored afresh")
    check_equal(ok(call(stack, RESULTS, {"op": "rank", "job": "go-dev"}))["total"], 1, "ranked again")
    stack.check_alive()


@runner.test
def jobs_validation_errors_name_the_field():
    stack = start()
    bad = small_job("bad", skills=("Kubernets", "Pyton", "Zorblax"))
    reply = error(call(stack, JOBS, {"op": "put", "job": bad}), "unknown_skill", "Kubernets")
    check_equal([(u["input"], u["suggestion"]) for u in reply["unknown"]],
                [("Kubernets", "kubernetes"), ("Pyton", "python"), ("Zorblax", None)],
                "unknown skills with suggestions")
    error(call(stack, JOBS, {"op": "get", "id": "bad"}), "not_found")     # nothing stored
    any_of = {"id": "bad2", "title": "t", "requirements": [{"any_of": ["Java", "Cobolt++"]}]}
    reply = error(call(stack, JOBS, {"op": "put", "job": any_of}), "unknown_skill", "Cobolt++")
    check_equal([u["input"] for u in reply["unknown"]], ["Cobolt++"], "unknown any_of member")
    error(call(stack, JOBS, {"op": "put"}), "invalid_request", "job")
    error(call(stack, JOBS, {"op": "put", "job": []}), "invalid_request", "job")
    error(call(stack, JOBS, {"op": "put", "job": {"id": 5, "title": "x", "requirements": []}}),
          "invalid_request", "job.id")
    error(call(stack, JOBS, {"op": "put", "job": {"id": "x" * 129, "title": "t",
                                                  "requirements": [{"skill": "go"}]}}),
          "invalid_request", "job")
    error(call(stack, JOBS, {"op": "put", "job": {"id": "x", "title": "t", "requirements": "go"}}),
          "invalid_request", "requirements")
    weight = small_job("w")
    weight["requirements"][1]["weight"] = "heavy"
    error(call(stack, JOBS, {"op": "put", "job": weight}), "invalid_request", "weight")
    error(call(stack, JOBS, {"op": "get"}), "invalid_request", "id")
    error(call(stack, JOBS, {"op": "get", "id": 7}), "invalid_request", "id")
    error(call(stack, JOBS, {"op": "frobnicate"}), "invalid_request", "frobnicate", "put", "delete")
    error(call(stack, JOBS, {"id": "x"}), "invalid_request", "op")
    error(call(stack, RESULTS, {"op": "nope"}), "invalid_request", "rank", "summary")
    broken = error(call(stack, JOBS, b'{"op": "get",\n "id": }'), "invalid_json")
    check_equal((broken["line"], broken["column"] > 0), (2, True), "line and column")
    error(call(stack, JOBS, b'{"op": "get", "id": "\xff\xfe"}'), "invalid_json")
    error(call(stack, JOBS, b'[1, 2]'), "invalid_request", "object")
    error(call(stack, JOBS, b''), "invalid_json")
    huge = {"op": "put", "job": {"id": "huge", "title": "t", "description": "x" * 2000000,
                                  "requirements": [{"skill": "go"}] * 1000}}
    reply = call(stack, JOBS, huge)
    check(reply.get("ok") is False, "a job of 1000 requirements is refused: %s" % str(reply)[:200])
    stack.check_alive()


@runner.test
def match_refuses_duplicate_keys_and_number_ids_as_jobs_does():
    """jobmatch.match answers a key given twice (in the body or in a
    candidate, at any depth) with invalid_json, as jansson makes
    jobmatch.jobs and jobmatch.results do, and a candidate id that is not a
    string with invalid_request, as jobmatch.jobs does for a job id."""
    stack = start(matchers=1)
    error(call(stack, JOBS, b'{"op": "get", "op": "list"}'), "invalid_json", "duplicate")
    error(call(stack, RESULTS, b'{"op": "rank", "op": "summary"}'), "invalid_json", "duplicate")
    person = b'{"id": "dup-1", "skills": ["Go"]}'
    error(call(stack, MATCH, b'{"candidate": ' + person + b', "candidate": ' + person + b'}'),
          "invalid_json", "duplicate", '"candidate"', "the body")
    error(call(stack, MATCH, b'{"candidate": {"id": "dup-1", "id": "dup-2", "skills": ["Go"]}}'),
          "invalid_json", "duplicate", '"id"', "candidate")
    nested = b'{"id": "dup-3", "skills": [{"name": "Go", "level": 2, "level": 5}]}'
    error(call(stack, MATCH, b'{"candidates": [' + person + b', ' + nested + b']}'),
          "invalid_json", "duplicate", '"level"', "candidates[1]")
    many = b"{" + b", ".join(b'"k%d": 1' % i for i in range(5000)) + b', "k17": 2}'
    error(call(stack, MATCH, b'{"candidates": [' + person + b', ' + many + b']}'),
          "invalid_json", "duplicate", '"k17"', "candidates[1]")
    # a number is not an id: the whole request fails for one candidate,
    # its item for one of many (as other per-candidate problems)
    error(call(stack, MATCH, {"candidate": {"id": 12, "skills": ["Go"]}}),
          "invalid_request", "id must be a string")
    error(call(stack, MATCH, {"candidate": {"skills": ["Go"]}}),
          "invalid_request", "id must be a string")
    reply = ok(call(stack, MATCH, {"candidates": [{"id": "num-ok", "skills": ["Go"]},
                                                   {"id": 7.0, "skills": ["Go"]}],
                                    "jobs": ["backend-developer"]}))
    items = [item for item in reply["results"] if "error" in item]
    check_equal([(item["position"], item["candidate"], item["error"]["code"]) for item in items],
                [(1, None, "invalid_request")], "the number id's item")
    check(any(item.get("candidate") == "num-ok" and "score" in item for item in reply["results"]),
          "the other candidate is scored: %s" % json.dumps(reply)[:300])
    stack.check_alive()


# --------------------------------------------------------------------------
# Propagation

@runner.test
def job_change_reaches_every_matcher():
    stack = start(slots=1)          # one request per matcher at a time: both must serve
    client = stack.client()
    candidate = make_candidate(1)
    bodies = [json.dumps({"candidate": dict(candidate, id="p-%d" % n), "jobs": ["go-dev"]}).encode()
              for n in range(40)]
    ok(call(stack, JOBS, {"op": "put", "job": small_job("go-dev")}))
    put_at = time.monotonic()
    ok(call(stack, JOBS, {"op": "put", "job": small_job("go-dev", skills=("Rust", "Go"))}))

    def versions():
        sent = ["v%d-%d" % (int(time.monotonic() * 1000), n) for n in range(len(bodies))]
        for request_id, request in zip(sent, bodies):
            client.send("jobmatch.match", request_id, request)
        seen = []
        for _ in sent:
            _, _, reply = client.recv(timeout=20.0)
            results = ok(json.loads(reply), "match")["results"]
            seen.append(results[0]["job_version"])
        return seen
    harness.wait_for(lambda: set(versions()) == {2}, 10.0, 0.05, "version 2 everywhere")
    elapsed = time.monotonic() - put_at
    for _ in range(3):
        check_equal(set(versions()), {2}, "versions served after the change")
    counts = [matcher_served(matcher) for matcher in stack.matchers]
    check(all(count > 0 for count in counts), "both matchers served: %r" % counts)
    print("    (version 2 served by both matchers %.2f s after the put)" % elapsed, flush=True)


# --------------------------------------------------------------------------
# jobmatch.results

@runner.test
def results_rank_pages_and_filters():
    stack = start()
    candidates = [make_candidate(n, prefix="r") for n in range(120)]
    # a name of 256 bytes (the most a name may have) whose escapes make the
    # header line longer than a header read (1,024 bytes): its page reads
    # the whole result
    candidates[0]["name"] = "\x01" * 230 + "Grace \"Hopper\"\tend"
    names = {c["id"]: c["name"] for c in candidates}
    results = match(stack, candidates, ["backend-developer"])
    check_equal({r["job_version"] for r in results}, {1}, "job_version in results")
    scores = {r["candidate"]: r["score"] for r in results}
    bands = {r["candidate"]: r["band"] for r in results}
    page, entries = whole_ranking(stack, "backend-developer")
    check_equal((page["total"], page["matching"], len(entries)), (120, 120, 120), "counts")
    want = sorted(scores, key=lambda c: (-scores[c], [-b for b in c.encode()]))
    check_equal([e["candidate"] for e in entries], want, "order: best first, then id descending")
    check_equal([e["rank"] for e in entries], list(range(1, 121)), "ranks")
    for entry in entries:
        check_equal((entry["score"], entry["band"]), (scores[entry["candidate"]],
                                                      bands[entry["candidate"]]), "entry")
        check_equal(entry["name"], names[entry["candidate"]], "name of %s" % entry["candidate"])
        check(" of " in entry["required"], "entry fields: %r" % entry)
    # pagination: pages of 7 put together are the whole ranking
    paged, offset = [], 0
    while offset < 120:
        part = ok(call(stack, RESULTS, {"op": "rank", "job": "backend-developer",
                                        "offset": offset, "limit": 7}))
        check_equal((part["offset"], part["limit"], part["version"]), (offset, 7, 1), "page header")
        paged += part["entries"]
        offset += 7
    check_equal(paged, entries, "pages of 7")
    # filters
    cut = sorted(scores.values())[60]
    part, filtered = whole_ranking(stack, "backend-developer", min_score=cut)
    expected = [c for c in want if scores[c] >= cut]
    check_equal(([e["candidate"] for e in filtered], part["matching"], part["total"]),
                (expected, len(expected), 120), "min_score filter")
    for band in BANDS:
        part, filtered = whole_ranking(stack, "backend-developer", band=band)
        expected = [c for c in want if bands[c] == band]
        check_equal([e["candidate"] for e in filtered], expected, "band " + band)
        check_equal((part["matching"], part["total"]), (len(expected), 120), "counts for " + band)
        check_equal([e["rank"] for e in filtered], list(range(1, len(expected) + 1)), "ranks in band")
    both = [c for c in want if bands[c] == "partial" and scores[c] >= 45]
    part, filtered = whole_ranking(stack, "backend-developer", band="partial", min_score=45)
    check_equal([e["candidate"] for e in filtered], both, "band and min_score")
    # a candidate scored again with other skills moves between bands, never in two
    best_id = want[0]
    check(bands[best_id] != "weak", "the best candidate is not weak")
    moved = dict(next(c for c in candidates if c["id"] == best_id), skills=["Cobol"])
    check_equal(match(stack, [moved], ["backend-developer"])[0]["band"], "weak", "moved band")
    weak = whole_ranking(stack, "backend-developer", band="weak")[1]
    check(best_id in [e["candidate"] for e in weak], "the moved candidate is in the weak band")
    counts = [whole_ranking(stack, "backend-developer", band=band)[0]["matching"] for band in BANDS]
    check_equal(sum(counts), 120, "band sets partition the ranking after a re-submission")
    # errors
    for bad, field in [({"limit": 0}, "limit"), ({"limit": 1001}, "limit"), ({"offset": -1}, "offset"),
                       ({"band": "great"}, "band"), ({"min_score": "x"}, "min_score"),
                       ({"limit": "5"}, "limit")]:
        body = {"op": "rank", "job": "backend-developer"}
        body.update(bad)
        error(call(stack, RESULTS, body), "invalid_request", field)
    error(call(stack, RESULTS, {"op": "rank", "job": "nope"}), "not_found", "nope")
    error(call(stack, RESULTS, {"op": "rank"}), "invalid_request", "job")
    stack.check_alive()


@runner.test
def results_result_candidate_best_summary():
    stack = start()
    candidates = [make_candidate(n, prefix="s") for n in range(60)]
    by_job = {}
    for job in ("backend-developer", "database-administrator"):
        by_job[job] = {r["candidate"]: r for r in match(stack, candidates, [job])}
    served = by_job["backend-developer"]["s-3"]
    got = ok(call(stack, RESULTS, {"op": "result", "job": "backend-developer", "candidate": "s-3",
                                   "detail": "full"}))
    strip = lambda r: {k: v for k, v in r.items() if k not in ("cached", "stored")}  # noqa: E731
    check_equal(got["result"], strip(served), "result equals what match returned")
    error(call(stack, RESULTS, {"op": "result", "job": "backend-developer", "candidate": "zz"}),
          "not_found", "zz")
    error(call(stack, RESULTS, {"op": "result", "job": "backend-developer"}), "invalid_request",
          "candidate")
    # candidate: all results across jobs, by job id
    across = ok(call(stack, RESULTS, {"op": "candidate", "candidate": "s-3"}))
    check_equal([r["job"] for r in across["results"]], ["backend-developer", "database-administrator"],
                "jobs with a result")
    check_equal(across["results"][1]["score"], by_job["database-administrator"]["s-3"]["score"], "score")
    check_equal(ok(call(stack, RESULTS, {"op": "candidate", "candidate": "never"}))["results"], [],
                "a candidate never scored")
    # summary
    summary = ok(call(stack, RESULTS, {"op": "summary", "job": "backend-developer"}))
    results = list(by_job["backend-developer"].values())
    check_equal(summary["total"], 60, "summary total")
    check_equal(summary["bands"], {band: sum(r["band"] == band for r in results) for band in BANDS},
                "bands")
    histogram = [0] * 10
    for r in results:
        histogram[min(int(r["score"] // 10), 9)] += 1
    check_equal(summary["histogram"], histogram, "histogram")
    missing = {}
    for r in results:
        for requirement in r["requirements"]:
            if requirement["status"] == "missing":
                missing[requirement["requirement"]] = missing.get(requirement["requirement"], 0) + 1
    want = sorted(missing.items(), key=lambda item: (-item[1], item[0]))[:20]
    check_equal([(m["requirement"], m["count"]) for m in summary["missing"]], want, "most missing")
    # best: one profile against every registered job, nothing stored
    ok(call(stack, JOBS, {"op": "put", "job": small_job("go-dev")}))
    profile = dict(make_candidate(9, prefix="best"), id="best-one")
    best = ok(call(stack, RESULTS, {"op": "best", "candidate": profile, "limit": 3}))["results"]
    check_equal(len(best), 3, "limit")
    everything = ok(call(stack, RESULTS, {"op": "best", "candidate": profile, "limit": 100}))["results"]
    check_equal(sorted(r["job"] for r in everything), sorted(BUILT_IN + ["go-dev"]), "every job")
    direct = {r["job"]: r["score"] for r in match(stack, [dict(profile, id="direct")],
                                                  BUILT_IN + ["go-dev"])}
    check_equal({r["job"]: r["score"] for r in everything}, direct, "best scores equal match scores")
    check_equal([r["score"] for r in everything], sorted(direct.values(), reverse=True), "best first")
    check_equal(best, everything[:3], "top 3")
    check(stack.redis.client().exists("jobmatch:profile:best-one") == 0, "best stores nothing")
    error(call(stack, RESULTS, {"op": "best", "candidate": {"id": "x", "skills": "go"}}),
          "invalid_request", "skills")
    error(call(stack, RESULTS, {"op": "best", "candidate": profile, "limit": 0}), "invalid_request", "limit")
    error(call(stack, RESULTS, {"op": "best", "candidate": dict(profile, id=7)}), "invalid_request",
          "candidate id")
    error(call(stack, RESULTS, {"op": "candidate", "candidate": 7}), "invalid_request", "candidate")
    error(call(stack, RESULTS, {"op": "result", "job": 7, "candidate": "x"}), "invalid_request", "job")
    error(call(stack, RESULTS, {"op": "summary", "job": "nope"}), "not_found")
    stack.check_alive()


# --------------------------------------------------------------------------
# Re-scoring

@runner.test
def rescore_flips_to_complete_new_version():
    stack = start(rescore_chunk=100)
    count = 6000
    candidates = [make_candidate(n, prefix="c") for n in range(count)]
    ok(call(stack, JOBS, {"op": "put", "job": small_job("go-dev", skills=("Go", "Docker", "Linux"))}))
    old = {r["candidate"]: r["score"] for r in match(stack, candidates, ["go-dev"])}
    redis = stack.redis.client()
    check_equal(redis.zcard("jobmatch:rank:go-dev:1"), count, "ranking of version 1")
    mget_before = int(redis.info("commandstats").get("cmdstat_mget", {}).get("calls", 0))
    # the edit: now Python is what counts
    put = ok(call(stack, JOBS, {"op": "put", "job": small_job(
        "go-dev", skills=("Python", "Django", "PostgreSQL", "Redis"))}))
    check_equal(put["rescoring"], {"version": 2, "done": 0, "total": count}, "progress at the put")
    # meanwhile readers see one complete version and the progress
    seen_progress = False
    late = [make_candidate(n, prefix="late") for n in range(20)]
    # scored during the re-scoring: against version 2, or against version 1
    # by a matcher that has not seen the put yet (then handed to the re-scoring)
    for result in match(stack, late, ["go-dev"]):
        if result["job_version"] == 1:
            old[result["candidate"]] = result["score"]
    while True:
        page = ok(call(stack, RESULTS, {"op": "rank", "job": "go-dev", "limit": 50}))
        if page["version"] == 1:
            check(count <= page["total"] <= count + len(late),
                  "version 1 ranking complete while re-scoring: %d" % page["total"])
            for entry in page["entries"]:
                check_equal(entry["score"], old[entry["candidate"]], "a version 1 score")
            if page["rescoring"]:
                seen_progress = True
                check(0 <= page["rescoring"]["done"] <= page["rescoring"]["total"], "progress")
        else:
            check_equal(page["version"], 2, "ranked version")
            break
    wait_ranked(stack, "go-dev", 2)
    page, entries = whole_ranking(stack, "go-dev")
    check_equal(page["total"], count + 20, "every candidate ranked at version 2, the late ones too")
    check(redis.exists("jobmatch:rank:go-dev:1") == 0, "the version 1 ranking is gone")
    check_equal(redis.exists("jobmatch:rescore:go-dev:2"), 0, "queue emptied")
    # no old score remains: every ranked score is the version 2 score
    records = read_records(redis, "go-dev", [entry["candidate"] for entry in entries])
    stored = [(str(records[entry["candidate"]]["version"]), records[entry["candidate"]]["score"])
              for entry in entries]
    check_equal({version for version, _ in stored}, {"2"}, "versions of the ranked results")
    for entry, (_, score) in zip(entries, stored):
        check_equal(entry["score"], round(float(score), 1), "ranked score = stored score")
    check_equal([e["score"] for e in entries], sorted((e["score"] for e in entries), reverse=True),
                "order")
    # the order reflects the new requirements: fresh scores of a sample, computed by best
    for entry in entries[::600] + entries[-3:]:
        profile = next(c for c in candidates + late if c["id"] == entry["candidate"])
        fresh = ok(call(stack, RESULTS, {"op": "best", "candidate": profile, "limit": 100}))["results"]
        check_equal(next(r["score"] for r in fresh if r["job"] == "go-dev"), entry["score"],
                    "score of %s against version 2" % entry["candidate"])
    changed = sum(1 for e in entries if old.get(e["candidate"], e["score"]) != e["score"])
    check(changed > count // 2, "the edit changed most scores (%d of %d)" % (changed, count))
    mgets = int(redis.info("commandstats")["cmdstat_mget"]["calls"]) - mget_before
    check(mgets <= count // 100 + 20, "profiles read in batches: %d MGETs for %d" % (mgets, count))
    for matcher in stack.matchers:
        check(rss_kb(matcher) < 32 * 1024, "%s RSS %d kB" % (matcher.name, rss_kb(matcher)))
    print("    (progress seen: %s)" % seen_progress, flush=True)
    stack.check_alive()


@runner.test
def results_written_for_an_old_version_are_handed_over():
    """A matcher that has not yet heard of a job's new version writes
    results for the old one; the guard queued behind them hands those
    candidates (ids of every length) to the re-scoring of the new version."""
    stack = start(matchers=1)
    ok(call(stack, JOBS, {"op": "put", "job": small_job("go-dev")}))
    redis = stack.redis.client()
    # version 2, without the change notice the matcher would reload on
    redis.hset("jobmatch:job:go-dev", "version", 2)
    candidates = [make_candidate(n, prefix="old" + "-x" * (n % 7)) for n in range(40)]
    results = match(stack, candidates, ["go-dev"])
    check_equal({r["job_version"] for r in results}, {1}, "scored against the version it knew")
    wait_ranked(stack, "go-dev", 2)
    page, entries = whole_ranking(stack, "go-dev")
    check_equal(sorted(e["candidate"] for e in entries), sorted(c["id"] for c in candidates),
                "the candidates, handed over and ranked at version 2")
    records = read_records(redis, "go-dev", [candidate["id"] for candidate in candidates])
    check_equal({record["version"] for record in records.values()}, {2},
                "every stored result re-scored at version 2")
    check_equal(redis.exists("jobmatch:rank:go-dev:1"), 0, "the version 1 ranking is gone")


@runner.test
def rescore_takes_over_a_dead_matchers_chunk():
    stack = start(rescore_chunk=50, rescore_claim_ms=1000)
    count = 3000
    candidates = [make_candidate(n, prefix="d") for n in range(count)]
    ok(call(stack, JOBS, {"op": "put", "job": small_job("go-dev")}))
    match(stack, candidates, ["go-dev"])
    redis = stack.redis.client()
    ok(call(stack, JOBS, {"op": "put", "job": small_job("go-dev", skills=("Java", "Spring"))}))
    # what a matcher that claimed a chunk and died leaves behind
    pipe = redis.pipeline(transaction=True)
    pipe.lpop("jobmatch:rescore:go-dev:2", 50)
    pipe.time()
    popped, now = pipe.execute()
    check(popped, "the queue was already empty; the test needs a slower re-scoring")
    deadline = now[0] * 1000 + now[1] // 1000 + 300
    redis.hset("jobmatch:rescore:go-dev:2:claims", "dead-1",
               json.dumps({"deadline": deadline, "ids": popped}))
    # and a real matcher killed in the middle
    stack.matchers[0].kill()
    wait_ranked(stack, "go-dev", 2)
    page, entries = whole_ranking(stack, "go-dev")
    check_equal(page["total"], count, "every candidate ranked at version 2")
    check_equal({e["candidate"] for e in entries}, {c["id"] for c in candidates}, "the candidates")
    records = read_records(redis, "go-dev", list(popped))
    check_equal({record["version"] for record in records.values()}, {2},
                "the dead chunk was re-scored")
    check("took over chunk dead-1" in stack.matchers[1].log(), "the survivor logged the take-over")
    check_equal(redis.exists("jobmatch:rescore:go-dev:2:claims"), 0, "no claim left")
    stack.check_alive(stack.gateway.process, stack.matchers[1])


@runner.test
def rescore_reads_packed_and_old_json_profiles():
    stack = start(rescore_chunk=20)
    candidates = [make_candidate(n, prefix="p") for n in range(60)]
    ok(call(stack, JOBS, {"op": "put", "job": small_job("go-dev")}))
    match(stack, candidates, ["go-dev"])
    redis = stack.redis.client()
    raw = stack.redis.client()
    raw.connection_pool.connection_kwargs["decode_responses"] = False
    packed = raw.get("jobmatch:profile:p-0")
    check(packed[:1] == b"\xf1", "profiles are stored packed: %r" % packed[:16])
    check(len(packed) < len(json.dumps(candidates[0], separators=(",", ":"))),
          "packed profile of %d bytes for a %d-byte candidate" % (len(packed), len(json.dumps(candidates[0]))))
    # an older matcher's profile, as JSON, and a packed profile cut short
    redis.set("jobmatch:profile:p-1", json.dumps({"id": "p-1", "name": "Old Format", "skills": [
        {"id": "python", "name": "Python", "level": 4, "years": 6},
        {"id": "django", "name": "Django", "level": 3, "years": 2.5}], "unknown": []},
        separators=(",", ":")))
    raw.set("jobmatch:profile:p-2", packed[:len(packed) // 2])
    job = small_job("go-dev", skills=("Python", "Django", "PostgreSQL"))
    ok(call(stack, JOBS, {"op": "put", "job": job}))
    wait_ranked(stack, "go-dev", 2)
    page, entries = whole_ranking(stack, "go-dev")
    scores = {e["candidate"]: e["score"] for e in entries}
    check_equal(len(entries), 59, "every candidate but the one with a broken profile")
    check("p-2" not in scores, "a broken profile drops out")
    old = {"id": "p-1", "skills": [{"name": "Python", "level": 4, "years": 6},
                                   {"name": "Django", "level": 3, "years": 2.5}]}
    fresh = ok(call(stack, RESULTS, {"op": "best", "candidate": old, "limit": 100}))["results"]
    check_equal(scores["p-1"], next(r["score"] for r in fresh if r["job"] == "go-dev"),
                "the JSON profile re-scored")
    for candidate in candidates[3:60:10]:
        fresh = ok(call(stack, RESULTS, {"op": "best", "candidate": candidate, "limit": 100}))["results"]
        check_equal(scores[candidate["id"]], next(r["score"] for r in fresh if r["job"] == "go-dev"),
                    "packed profile of %s re-scored" % candidate["id"])
    check(any("stored profile" in m.log() and "truncated" in m.log() for m in stack.matchers),
          "the broken profile was logged")
    stack.check_alive()


@runner.test
def rescore_edit_during_rescore_and_delete():
    stack = start(rescore_chunk=20)
    candidates = [make_candidate(n, prefix="e") for n in range(2000)]
    ok(call(stack, JOBS, {"op": "put", "job": small_job("go-dev")}))
    match(stack, candidates, ["go-dev"])
    ok(call(stack, JOBS, {"op": "put", "job": small_job("go-dev", skills=("Java",))}))
    third = ok(call(stack, JOBS, {"op": "put", "job": small_job("go-dev", skills=("Python",))}))
    check_equal(third["job"]["version"], 3, "third version")
    wait_ranked(stack, "go-dev", 3)
    page, entries = whole_ranking(stack, "go-dev")
    check_equal((page["version"], page["total"]), (3, 2000), "ranking of version 3")
    redis = stack.redis.client()
    left = sorted(k for k in redis.scan_iter("jobmatch:rank:go-dev:*")
                  if not k.startswith("jobmatch:rank:go-dev:3"))
    check_equal(left, [], "only version 3 sets")
    check(not list(redis.scan_iter("jobmatch:rescore:go-dev:*")), "no re-scoring keys left")
    ok(call(stack, JOBS, {"op": "delete", "id": "go-dev"}))
    check(not list(redis.scan_iter("jobmatch:rank:go-dev:*")), "rankings dropped with the job")
    error(call(stack, RESULTS, {"op": "rank", "job": "go-dev"}), "not_found")
    stack.check_alive()


@runner.test
def rescore_completes_under_sustained_load():
    stack = start(rescore_chunk=50)
    count = 3000
    ok(call(stack, JOBS, {"op": "put", "job": small_job("go-dev")}))
    match(stack, [make_candidate(n, prefix="u") for n in range(count)], ["go-dev"])
    ok(call(stack, JOBS, {"op": "put", "job": small_job("go-dev", skills=("Rust", "Linux"))}))
    # keep both matchers busy with submissions for another job meanwhile
    client = stack.client()
    bodies = [json.dumps({"candidate": make_candidate(n, prefix="load"),
                          "jobs": ["backend-developer"]}).encode() for n in range(200)]
    sent = answered = 0
    started = time.monotonic()
    while True:
        while sent - answered < 64:
            client.send("jobmatch.match", "load-%d" % sent, bodies[sent % len(bodies)])
            sent += 1
        client.recv(timeout=20.0)
        answered += 1
        if answered % 100 == 0 and job_state(stack, "go-dev")["ranked_version"] == 2:
            break
        check(time.monotonic() - started < 120, "re-scoring under load did not complete in 120 s")
    page, entries = whole_ranking(stack, "go-dev")
    check_equal((page["version"], page["total"]), (2, count), "ranking of version 2 under load")
    check(answered >= 100, "the load went on (%d requests answered)" % answered)
    stack.check_alive()


@runner.test
def jobs_and_results_answer_while_match_is_saturated():
    # One matcher kept busy with 200-candidate batches for 4 s, heartbeats
    # every 200 ms: its jobs and results services must still read their
    # gateway's heartbeats (or they would reconnect) and answer within a
    # moment.  (A matcher that served only its busiest socket lost them
    # within the first second.)
    stack = Stack(matchers=1, heartbeat_ms=200, liveness=3)
    for service in (JOBS, RESULTS):
        stack.gateway.wait_workers(service, 1, timeout=10.0)
    client = stack.client()
    profiles = [make_candidate(n, prefix="sat") for n in range(200)]
    sent = answered = asked = 0
    asked_at, waits = {}, []
    started = time.monotonic()
    next_ask = started + 0.5
    while time.monotonic() - started < 4.0 or asked_at:
        while sent - answered < 8 and time.monotonic() - started < 4.0:
            for profile in profiles:
                profile["id"] = "sat-%d-%s" % (sent, profile["name"])
            client.send("jobmatch.match", "m-%d" % sent,
                        json.dumps({"candidates": profiles, "jobs": ["backend-developer"]}).encode())
            sent += 1
        if time.monotonic() >= next_ask and time.monotonic() - started < 4.0:
            service = (JOBS, RESULTS)[asked % 2]
            body = {"op": "list"} if service == JOBS else {"op": "rank", "job": "backend-developer",
                                                            "limit": 3}
            client.send(service, "ask-%d" % asked, json.dumps(body).encode())
            asked_at["ask-%d" % asked] = time.monotonic()
            asked += 1
            next_ask = time.monotonic() + 0.2
        _service, request_id, body = client.recv(timeout=10.0)
        request_id = request_id.decode()
        if request_id.startswith("ask-"):
            waits.append(time.monotonic() - asked_at.pop(request_id))
            check(json.loads(body).get("ok") is True, "%s answered %s" % (request_id, body[:200]))
        else:
            answered += 1
    check(answered >= 8, "the match service was kept busy (%d batches)" % answered)
    check(len(waits) >= 10, "jobs and results asked %d times" % len(waits))
    check(max(waits) < 1.5, "slowest jobs/results answer under load: %.2f s" % max(waits))
    log = stack.matchers[0].log()
    check("silent for" not in log, "a worker of the busy matcher lost its gateway: %s" % [
        line for line in log.splitlines() if "silent for" in line][:2])
    stack.check_alive()


@runner.test
def services_answer_io_error_while_redis_is_down():
    stack = start()
    ok(call(stack, JOBS, {"op": "put", "job": small_job("go-dev")}))
    stack.redis.stop()
    for service, body in [(JOBS, {"op": "list"}), (JOBS, {"op": "get", "id": "go-dev"}),
                          (JOBS, {"op": "put", "job": small_job("go-dev")}),
                          (JOBS, {"op": "delete", "id": "go-dev"}),
                          (RESULTS, {"op": "rank", "job": "go-dev"}),
                          (RESULTS, {"op": "summary", "job": "go-dev"}),
                          (RESULTS, {"op": "result", "job": "go-dev", "candidate": "x"})]:
        error(call(stack, service, body), "io_error", "Redis")
    # scoring goes on from the jobs the matchers know; best needs no Redis
    result = match(stack, [make_candidate(1)], ["backend-developer"])[0]
    check_equal((result["job_version"], result["stored"]), (1, False), "scored without Redis")
    check(ok(call(stack, RESULTS, {"op": "best", "candidate": make_candidate(2)}))["results"], "best")
    stack.check_alive()


def thread_nice(pid):
    """The nice value of every thread of process pid (field 19 of stat)."""
    values = []
    for task in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/stat" % (pid, task)) as stat:
            values.append(int(stat.read().rsplit(")", 1)[1].split()[16]))
    return values


@runner.test
def matchers_and_batch_lower_their_cpu_priority():
    # matchers and `jobmatch batch` run at nice 10 (or higher, as started),
    # every thread of them, so that Redis and the gateway win a busy CPU
    own = os.nice(0)
    want = max(10, own)
    stack = Stack(matchers=1)
    plain = stack.start_matcher(nice=0)
    stack.gateway.wait_workers(MATCH, 2, timeout=30.0)
    niced = thread_nice(stack.matchers[0].pid)
    check(len(niced) >= 3, "the matcher's threads: %r" % niced)
    check_equal(set(niced), {want}, "every thread of a default matcher at nice %d" % want)
    check_equal(set(thread_nice(plain.pid)), {own}, "--nice 0 leaves the matcher as started")
    candidates = os.path.join(harness.tmpdir(), "nice.jsonl")
    with open(candidates, "w") as out:
        out.write(json.dumps(make_candidate(1)) + "\n")
    # against a gateway no matcher serves the run waits: look at it meanwhile
    idle = harness.Gateway(name="idle-gateway")
    for env, expected in [({}, want), ({"JOBMATCH_NICE": "3"}, max(3, own))]:
        cli = harness.spawn("batch", [harness.binary("jobmatch"), "batch", "--gateway", idle.clients,
                                      "--in", candidates, "--out", os.path.join(harness.tmpdir(), "nice.out"),
                                      "--force"], env=env)
        seen = {}

        def settled():
            if not cli.alive():
                return True
            seen["nice"] = thread_nice(cli.pid)
            return len(seen["nice"]) >= 2 and set(seen["nice"]) == {expected}
        harness.wait_for(settled, 10.0, 0.02, "jobmatch batch at nice %d" % expected)
        check(cli.alive(), "jobmatch batch waits for a matcher: %s" % cli.tail(3))
        check_equal(set(seen.get("nice", [])), {expected}, "every thread of jobmatch batch (%r)" % env)
        cli.stop()
    stack.check_alive()


if __name__ == "__main__":
    runner.main()
