#!/usr/bin/python3
"""Integration tests of issue 17, item 2, for results Redis lost after
confirming them: `jobmatch batch --resume --verify` asks jobmatch.results
(op "stored") which results of the output Redis holds and re-submits the
rest.  Each test starts a private redis-server (with the ACL users of
docker/redis-users.acl), a gateway and matchers on free loopback ports.

    tests/integration/test_verify_repair.py [NAME-FILTER...]

  flushall_then_verify_restores_everything  a batch, FLUSHALL, --resume --verify:
                                            every result and ranking entry back,
                                            the output the same records in the
                                            same order with the same scores
  lost_ranking_entries_stored_again         results kept, some ranking entries
                                            gone: the repair asks "refresh", so
                                            cached results are stored again
  csv_output_verified_at_ranked_version     a CSV output (no job_version in it)
                                            is checked against the ranked version
  stored_op_refuses_hostile_bodies          wrong types, too many ids, bad ids,
                                            unknown job: errors naming the field
  intact_output_left_alone                  nothing lost: nothing re-submitted,
                                            the output byte for byte the same
  verify_names_what_the_service_refused     the job deleted since: exit 2, the
                                            message names the job and where,
                                            the output untouched

Prints "ok NAME" or "FAIL NAME: why" per test and "N passed, N failed".
"""
import csv
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import stack  # noqa: E402
from harness import check, check_equal  # noqa: E402

runner = harness.Runner(timeout=300)
JOB = "backend-developer"
RESULTS = "jobmatch.results"


batch = stack.run_batch


def path(name):
    return os.path.join(harness.tmpdir(), name)


def write_candidates(name, count, prefix):
    file_path = path(name)
    with open(file_path, "w") as out:
        for n in range(count):
            out.write(json.dumps(stack.make_candidate(n, prefix)) + "\n")
    return file_path


read_jsonl, summary_of = stack.read_jsonl, stack.read_json


def ranking(redis, version):
    return dict(redis.client().zrange(stack.rank_key(JOB, version), 0, -1, withscores=True))


def wait_healed(redis, version):
    """The matchers put the job back after the flush (within a second)."""
    client = redis.client()
    harness.wait_for(lambda: client.hget("jobmatch:job:" + JOB, "version") == str(version), 10,
                     0.05, "the registry to heal")


def call(s, body, service=RESULTS):
    return json.loads(s.gateway.client().request(service, json.dumps(body).encode(), timeout=20))


def scored_batch(s, name, total, out_format="jsonl"):
    in_path = write_candidates(name + ".jsonl", total, name)
    out_path, summary_path = path(name + ".out." + out_format), path(name + ".summary.json")
    done = batch(s.gateway.clients, "--in", in_path, "--out", out_path, "--summary", summary_path)
    check_equal(done.returncode, 0, "first run's exit (%r)" % done.stderr[-300:])
    return in_path, out_path, summary_path


def ranked_batch(s, name, total):
    """A JSON lines batch of total: its paths, records, version and ranking."""
    in_path, out_path, summary_path = scored_batch(s, name, total)
    before = read_jsonl(out_path)
    version = before[0]["job_version"]
    ranked = ranking(s.redis, version)
    check_equal(len(ranked), total, "ranked after the batch")
    return in_path, out_path, summary_path, before, version, ranked


def read_bytes(file_path):
    with open(file_path, "rb") as data:
        return data.read()


def flush_and_verify(s, in_path, out_path, summary_path, version):
    """FLUSHALL, the registry healed, then --resume --verify; its summary."""
    s.redis.client().flushall()
    wait_healed(s.redis, version)
    return verify(s, in_path, out_path, summary_path)[1]


def verify(s, in_path, out_path, summary_path, *extra):
    run = batch(s.gateway.clients, "--in", in_path, "--out", out_path, "--resume", "--verify",
                "--summary", summary_path, *extra)
    check_equal(run.returncode, 0, "--resume --verify exit (%r)" % run.stderr[-400:])
    return run, summary_of(summary_path)


@runner.test
def flushall_then_verify_restores_everything():
    total = 3000
    s = stack.Stack(matchers=2)
    in_path, out_path, summary_path, before, version, ranked = ranked_batch(s, "flushed", total)
    started = time.monotonic()
    summary = flush_and_verify(s, in_path, out_path, summary_path, version)
    took = time.monotonic() - started
    check_equal(summary["verified"]["results"], total, "results verified")
    check_equal(summary["verified"]["missing"], total, "results Redis lost")
    check_equal(summary["repaired"], total, "candidates repaired")
    check_equal(summary["not_stored"], 0, "not stored after the repair")
    after = read_jsonl(out_path)
    check_equal(len(after), total, "records after the repair")
    check([r["candidate"] for r in after] == [r["candidate"] for r in before],
          "the same candidates in the same order")
    check([r["score"] for r in after] == [r["score"] for r in before], "the same scores")
    check(all(r["stored"] is True and r["cached"] is False for r in after),
          "every record stored afresh")
    client = s.redis.client()
    records = stack.read_records(client, JOB, [record["candidate"] for record in after])
    check_equal(sum(record is not None for record in records.values()), total,
                "result records back in Redis")
    check_equal(ranking(s.redis, version), ranked, "the ranking, members and scores")
    print("    verified and repaired %d in %.1f s" % (total, took))
    s.check_alive()


@runner.test
def lost_ranking_entries_stored_again():
    total = 500
    s = stack.Stack(matchers=1)
    in_path, out_path, summary_path, before, version, ranked = ranked_batch(s, "unranked", total)
    gone = [before[n]["candidate"] for n in (0, 7, 250, total - 1)]
    client = s.redis.client()
    client.zrem(stack.rank_key(JOB, version), *gone)
    check(all(stack.read_record(client, JOB, c) is not None for c in gone), "results kept")
    run, summary = verify(s, in_path, out_path, summary_path)
    check_equal(summary["verified"]["missing"], len(gone), "results missing from the ranking")
    check_equal(summary["repaired"], len(gone), "candidates repaired")
    after = read_jsonl(out_path)
    check_equal([r["candidate"] for r in after], [r["candidate"] for r in before], "order")
    check(after == before, "the records as they were (scored again, not served from the cache)")
    # a result served from the cache writes no ranking entry: these are back
    # because the repair asked the matcher to refresh
    check_equal(ranking(s.redis, version), ranked, "the ranking, members and scores")
    s.check_alive()


@runner.test
def csv_output_verified_at_ranked_version():
    total = 400
    s = stack.Stack(matchers=1)
    in_path, out_path, summary_path = scored_batch(s, "csv", total, "csv")
    with open(out_path) as data:
        before = list(csv.DictReader(data))
    version = s.redis.client().hget("jobmatch:job:" + JOB, "ranked")
    ranked = ranking(s.redis, version)
    summary = flush_and_verify(s, in_path, out_path, summary_path, version)
    check_equal(summary["verified"]["missing"], total, "results Redis lost")
    with open(out_path) as data:
        after = list(csv.DictReader(data))
    check_equal([(r["id"], r["score"]) for r in after], [(r["id"], r["score"]) for r in before],
                "ids and scores, in order")
    check_equal(ranking(s.redis, version), ranked, "the ranking, members and scores")


@runner.test
def stored_op_refuses_hostile_bodies():
    s = stack.Stack(matchers=1)
    reply = s.match(stack.body(candidates=[stack.make_candidate(n, "h") for n in range(3)],
                               jobs=[JOB]))
    check(reply["ok"], "scored: %r" % reply)
    version = reply["results"][0]["job_version"]
    good = call(s, {"op": "stored", "job": JOB, "candidates": ["h-0", "nobody", "h-2"]})
    check(good.get("ok"), "a valid request: %r" % good)
    check_equal(good["missing"], [1], "missing indices")
    check_equal(good["version"], version, "the ranked version by default")
    old = call(s, {"op": "stored", "job": JOB, "version": version + 5, "candidates": ["h-0"]})
    check_equal(old["missing"], [0], "not in the ranking of another version")
    cases = [
        ({"op": "stored", "job": JOB, "candidates": "h-0"}, "invalid_request", "candidates"),
        ({"op": "stored", "job": JOB, "candidates": []}, "invalid_request", "candidates"),
        ({"op": "stored", "job": JOB}, "invalid_request", "candidates"),
        ({"op": "stored", "job": JOB, "candidates": ["x"] * 1001}, "invalid_request", "1000"),
        ({"op": "stored", "job": JOB, "candidates": ["ok", 7]}, "invalid_request", "candidates[1]"),
        ({"op": "stored", "job": JOB, "candidates": ["ok", ""]}, "invalid_request", "candidates[1]"),
        ({"op": "stored", "job": JOB, "candidates": ["x" * 129]}, "invalid_request", "candidates[0]"),
        ({"op": "stored", "job": JOB, "version": "1", "candidates": ["a"]}, "invalid_request",
         "version"),
        ({"op": "stored", "job": JOB, "version": 0, "candidates": ["a"]}, "invalid_request",
         "version"),
        ({"op": "stored", "job": 5, "candidates": ["a"]}, "invalid_request", "job"),
        ({"op": "stored", "candidates": ["a"]}, "invalid_request", "job"),
        ({"op": "stored", "job": "no-such-job", "candidates": ["a"]}, "not_found", "no-such-job"),
    ]
    for body, code, named in cases:
        reply = call(s, body)
        check(reply.get("ok") is False, "refused: %r -> %r" % (str(body)[:80], reply))
        check_equal(reply["error"]["code"], code, "code for %s" % str(body)[:80])
        check(named in reply["error"]["message"], "%r names %r" % (reply["error"]["message"], named))
    refresh = s.match({"jobs": [JOB], "refresh": "yes", "candidates": [stack.make_candidate(1, "h")]})
    check_equal(harness.error_code(json.dumps(refresh)), "invalid_request", "refresh not a boolean")
    check("refresh" in refresh["error"]["message"], "the message names refresh")
    s.check_alive()


@runner.test
def intact_output_left_alone():
    s = stack.Stack(matchers=1)
    in_path, out_path, summary_path = scored_batch(s, "intact", 300)
    before = read_bytes(out_path)
    run, summary = verify(s, in_path, out_path, summary_path)
    check_equal(summary["verified"], {"results": 300, "missing": 0, "candidates": 0}, "verified")
    check_equal(summary["repaired"], 0, "repaired")
    check(read_bytes(out_path) == before, "the output unchanged")


@runner.test
def verify_names_what_the_service_refused():
    s = stack.Stack(matchers=1)
    in_path, out_path, summary_path = scored_batch(s, "deleted", 200)
    before = read_bytes(out_path)
    deleted = call(s, {"op": "delete", "id": JOB}, service="jobmatch.jobs")
    check(deleted.get("ok"), "deleted: %r" % deleted)
    run = batch(s.gateway.clients, "--in", in_path, "--out", out_path, "--resume", "--verify",
                "--summary", summary_path)
    check_equal(run.returncode, 2, "exit status (%r)" % run.stderr[-300:])
    for named in ("cannot verify", JOB, "candidates 1 to 200"):
        check(named in run.stderr, "the message names %r: %r" % (named, run.stderr[:300]))
    check(read_bytes(out_path) == before, "the output unchanged")


if __name__ == "__main__":
    runner.main()
