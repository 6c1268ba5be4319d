#!/usr/bin/python3
"""Integration tests for the summaries kept with the rankings (issue 16,
proto/redis-keys.md "Kept summaries"): a job version's summary equals a
recount of its stored results after a batch, after the same candidates are
written again with other profiles, after a job change and its re-scoring,
and after writes replayed when the matcher's Redis connection is cut.

    tests/integration/test_summary.py [NAME-FILTER...]
"""
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, check_equal  # noqa: E402
from stack import escape_id, forget_result, make_candidate, read_records  # noqa: E402
from test_services import call, ok, start  # noqa: E402

runner = harness.Runner(timeout=300)

JOBS = "jobmatch.jobs"
RESULTS = "jobmatch.results"
BANDS = ["strong", "good", "partial", "weak"]


def job(job_id, skills, importance=("required", "preferred", "preferred")):
    return {"id": job_id, "title": "Test job", "requirements": [
        {"skill": skill, "weight": 4 - index, "importance": importance[min(index, 2)]}
        for index, skill in enumerate(skills)]}


def match(stack, candidates, jobs):
    for first in range(0, len(candidates), 500):
        reply = stack.match({"candidates": candidates[first:first + 500], "jobs": jobs,
                             "detail": "score"}, client=stack.rpc, timeout=60.0)
        ok(reply, "match")


def recount(stack, job_id, candidates):
    """The summary recounted from the stored result of each candidate, all
    of the job's ranked version: its record, and its breakdown as
    jobmatch.results reads it back (recomputed)."""
    redis = stack.redis.client()
    version = int(redis.hget("jobmatch:job:" + escape_id(job_id), "ranked"))
    records = read_records(redis, job_id, candidates)
    bands = {band: 0 for band in BANDS}
    histogram = [0] * 10
    missing = {}
    total = 0
    for candidate in candidates:
        record = records[candidate]
        check(record is not None, "every candidate has a stored result")
        check_equal(record["version"], version, "stored result's version")
        result = ok(call(stack, RESULTS, {"op": "result", "job": job_id, "candidate": candidate,
                                          "detail": "full"}), "result")["result"]
        check_equal((result["score"], result["band"], result["job_version"]),
                    (record["score"], record["band"], version), "breakdown against its record")
        total += 1
        bands[result["band"]] += 1
        histogram[min(max(int(result["score"] // 10), 0), 9)] += 1
        for requirement in result["requirements"]:
            if requirement["status"] == "missing":
                label = requirement["requirement"]
                missing[label] = missing.get(label, 0) + 1
    want = sorted(missing.items(), key=lambda item: (-item[1], item[0]))[:20]
    return {"version": version, "total": total, "bands": bands, "histogram": histogram,
            "missing": [{"requirement": label, "count": count} for label, count in want]}


def check_summary(stack, job_id, candidates, what):
    want = recount(stack, job_id, candidates)
    got = ok(call(stack, RESULTS, {"op": "summary", "job": job_id}), "summary")
    check("recounted" not in got, "%s: the kept summary answers, not a recount" % what)
    check_equal({key: got[key] for key in want}, want, what)
    return got


@runner.test
def summary_equals_recount_after_batch_rewrite_and_job_change():
    stack = start(rescore_chunk=200)
    ok(call(stack, JOBS, {"op": "put", "job": job("sum-job", ("Go", "Docker", "Linux"))}))
    ids = ["a-%d" % n for n in range(1500)]
    match(stack, [make_candidate(n, prefix="a") for n in range(1500)], ["sum-job"])
    check_summary(stack, "sum-job", ids, "after a batch")
    # the same candidates again, other profiles: they move between bins and bands
    match(stack, [make_candidate(n, prefix="a", seed="other") for n in range(1500)], ["sum-job"])
    check_summary(stack, "sum-job", ids, "after the same candidates with other profiles")
    # the same writes again (cached: nothing changes), and half of them once more
    match(stack, [make_candidate(n, prefix="a", seed="other") for n in range(750)], ["sum-job"])
    check_summary(stack, "sum-job", ids, "after cached candidates")
    # a job change: the new version's summary comes from the re-scoring writes
    ok(call(stack, JOBS, {"op": "put", "job": job("sum-job", ("Python", "PostgreSQL", "Redis"))}))
    redis = stack.redis.client()
    def flipped():
        state = ok(call(stack, JOBS, {"op": "get", "id": "sum-job"}))
        return state["ranked_version"] == 2 and state["rescoring"] is None
    harness.wait_for(flipped, 120.0, 0.1, "re-scoring to version 2")
    check_summary(stack, "sum-job", ids, "after the job change and its re-scoring")
    check_equal(redis.exists("jobmatch:rank:sum-job:1:summary", "jobmatch:rank:sum-job:1:parts"), 0,
                "version 1's summary dropped with its ranking")
    # a delete drops the summary with the ranking
    ok(call(stack, JOBS, {"op": "delete", "id": "sum-job"}))
    check_equal(redis.exists("jobmatch:rank:sum-job:2:summary", "jobmatch:rank:sum-job:2:parts"), 0,
                "summary dropped with the deleted job")
    stack.check_alive()


@runner.test
def both_readers_answer_the_same_summary_kept_or_recounted():
    """jobmatch.results and the dashboard read summaries through one module
    (jm_summary_read): the same kept summary, and without it (a ranking
    written by an older matcher) the same recount, of the ranked version."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "e2e"))
    from dashstack import Dashboard
    stack = start(matchers=1)
    ok(call(stack, JOBS, {"op": "put", "job": job("both-job", ("Go", "Docker", "Linux"))}))
    ids = ["b-%d" % n for n in range(400)]
    match(stack, [make_candidate(n, prefix="b") for n in range(400)], ["both-job"])
    dashboard = Dashboard(stack)
    fields = ("version", "total", "bands", "histogram", "missing")

    def both():
        results = ok(call(stack, RESULTS, {"op": "summary", "job": "both-job"}), "summary")
        page = dashboard.request("GET", "/api/v1/jobs/both-job/summary", None).json()
        return results, page
    results, page = both()
    want = recount(stack, "both-job", ids)
    check_equal({key: results[key] for key in fields}, want, "the kept summary")
    check_equal({key: page[key] for key in fields}, want, "the dashboard's kept summary")
    check("recounted" not in page, "the dashboard answers the kept summary")
    redis = stack.redis.client()
    redis.rename("jobmatch:rank:both-job:1:summary", "moved-away")
    results, page = both()
    check_equal(results.get("recounted"), True, "recounted without a kept summary")
    check_equal(page.get("recounted"), True, "the dashboard recounted too")
    check_equal({key: page[key] for key in fields}, {key: results[key] for key in fields},
                "both recounts")
    # 400 results, all in the recount's sample: it equals the kept summary
    check_equal({key: results[key] for key in fields}, want, "the recount")
    check_equal(results["rescoring"], None, "no re-scoring")
    check_equal(page["rescoring"], None, "no re-scoring on the dashboard")
    stack.check_alive()


@runner.test
def summary_exact_when_writes_are_replayed():
    """The matcher's connection is cut again and again during a batch: writes
    Redis ran but did not confirm go again after the reconnect."""
    stack = start(matchers=1)
    ok(call(stack, JOBS, {"op": "put", "job": job("replay-job", ("Go", "Docker", "Linux"))}))
    redis = stack.redis.client()
    stop = threading.Event()
    kills = [0]
    def cut():
        while not stop.is_set():
            for client in redis.client_list():
                if client.get("user", "") == "jobmatch-matcher" or "matcher" in client.get("name", ""):
                    try:
                        redis.client_kill_filter(_id=client["id"])
                        kills[0] += 1
                    except Exception:
                        pass
            time.sleep(0.05)
    cutter = threading.Thread(target=cut, daemon=True)
    cutter.start()
    ids = ["r-%d" % n for n in range(3000)]
    try:
        match(stack, [make_candidate(n, prefix="r") for n in range(3000)], ["replay-job"])
    finally:
        stop.set()
        cutter.join()
    check(kills[0] > 0, "the connection was cut")
    harness.wait_for(lambda: redis.zcard("jobmatch:rank:replay-job:1") == 3000, 20.0, 0.1,
                     "every write landed")
    time.sleep(0.5)
    check_summary(stack, "replay-job", ids, "after replayed writes")
    # a restarted matcher writes the same results again: nothing counted twice
    stack.matchers[0].stop()
    for candidate in ids[:500]:
        forget_result(redis, "replay-job", candidate)   # not cached: written again
    stack.start_matcher()
    stack.gateway.wait_workers("jobmatch.match", 1, timeout=10.0)
    match(stack, [make_candidate(n, prefix="r") for n in range(500)], ["replay-job"])
    check_summary(stack, "replay-job", ids, "after a restarted matcher wrote them again")
    stack.check_alive(stack.gateway.process, stack.matchers[1])


@runner.test
def retention_bounds_the_ranking_while_counts_stay_exact():
    stack = start(rescore_chunk=200)
    redis = stack.redis.client()
    ok(call(stack, JOBS, {"op": "put", "job": dict(job("top-job", ("Go", "Docker", "Linux")),
                                                    retain={"top": 100})}))
    ok(call(stack, JOBS, {"op": "put", "job": dict(job("min-job", ("Go", "Docker", "Linux")),
                                                    retain={"min_score": 30})}))
    check_equal(ok(call(stack, JOBS, {"op": "get", "id": "top-job"}))["job"]["retain"], {"top": 100},
                "retain kept with the job")
    ids = ["t-%d" % n for n in range(1200)]
    candidates = [make_candidate(n, prefix="t") for n in range(1200)]
    match(stack, candidates, ["top-job", "min-job"])
    check_equal(redis.zcard("jobmatch:rank:top-job:1"), 100, "ranking kept at its top 100")
    summary = check_summary(stack, "top-job", ids, "top 100: counts of every candidate")
    check_equal(summary["total"], 1200, "total counts the trimmed candidates")
    best = redis.zrevrange("jobmatch:rank:top-job:1", 0, -1, withscores=True)
    scores = sorted((record["score"] for record in read_records(redis, "top-job", ids).values()),
                    reverse=True)
    check_equal([score for _, score in best], scores[:100], "the best 100 kept")
    for band in ("strong", "good"):
        members = redis.zrange("jobmatch:rank:top-job:1:" + band, 0, -1)
        check(all(redis.zscore("jobmatch:rank:top-job:1", m) is not None for m in members),
              "the %s set holds only ranked candidates" % band)
    lowest = redis.zrange("jobmatch:rank:min-job:1", 0, 0, withscores=True)
    check(not lowest or lowest[0][1] >= 30, "min_score: nothing below 30 ranked: %r" % lowest)
    check_summary(stack, "min-job", ids, "min_score: counts of every candidate")
    # written again with other profiles: still bounded, still exact
    match(stack, [make_candidate(n, prefix="t", seed="again") for n in range(1200)], ["top-job"])
    check_equal(redis.zcard("jobmatch:rank:top-job:1"), 100, "still 100 after rewrites")
    check_summary(stack, "top-job", ids, "top 100 after rewrites")
    # bad retain values are refused, naming the field
    for retain, word in (({"top": 0}, "retain.top"), ({"top": "5"}, "retain.top"),
                         ({"top": 1.5}, "retain.top"), ({"min_score": 101}, "retain.min_score"),
                         ({"min_score": "x"}, "retain.min_score"), ({"min_score": 0}, "retain.min_score"),
                         ({"top": 5, "min_score": 10}, "retain"), ({"keep": 5}, "retain"),
                         (5, "retain"), ([], "retain")):
        reply = call(stack, JOBS, {"op": "put", "job": dict(job("bad-job", ("Go",)), retain=retain)})
        check(reply.get("ok") is False, "retain %r refused: %s" % (retain, reply))
        check_equal(reply["error"]["code"], "invalid_request", "code for retain %r" % (retain,))
        check(word in reply["error"]["message"], "%r names %s: %s" % (retain, word, reply["error"]["message"]))
    stack.check_alive()


if __name__ == "__main__":
    sys.exit(runner.run(sys.argv[1:]))
