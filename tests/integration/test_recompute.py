#!/usr/bin/python3
"""Integration test for full breakdowns recomputed from what Redis keeps
(common/store/jm_recompute.h): candidates with résumés, levels and years
scored with "detail": "full", then each breakdown recomputed by
bench_recompute from the stored profile and the job version's JSON in the
job hash (`json`, or `v:<ranked>` while a newer version is re-scored),
compared byte for byte with the reply and with what jobmatch.results reads
back (Redis keeps each result's compact record only, no breakdown); after a
job change, every stored result is recomputed at the version its record
holds (never a mix), the ranked version's JSON is kept until the flip and
deleted then.
Prints the recompute's breakdowns per second on one core.

    tests/integration/test_recompute.py [NAME-FILTER...]

Prints "ok NAME" or "FAIL NAME: why" per test and "N passed, N failed";
exits 1 when any failed.  Every process is stopped at the end of its test.
"""
import glob
import json
import os
import re
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import stack  # noqa: E402
from harness import check, check_equal  # noqa: E402

runner = harness.Runner(timeout=300)
JOBS = "jobmatch.jobs"
RESULTS = "jobmatch.results"
JOB = "recompute-dev"
FLAGS = ',"cached":false,"stored":true}'


def call(s, service, body, timeout=30.0):
    reply = json.loads(s.rpc.request(service, json.dumps(body).encode(), timeout=timeout))
    check(reply.get("ok") is True, "%s: %s" % (service, json.dumps(reply)[:300]))
    return reply


def same(got, want, what):
    """Checks two texts are the same bytes, naming where they first differ."""
    if got != want:
        at = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
        check(False, "%s: differs at byte %d of %d/%d: got ...%r, want ...%r" % (
            what, at, len(got), len(want), got[max(0, at - 60):at + 80], want[max(0, at - 60):at + 80]))


def resumes():
    """The résumé texts of the evaluation set."""
    texts = []
    for path in sorted(glob.glob(os.path.join(harness.ROOT, "tests", "eval", "resumes", "*"))):
        if not path.endswith(".json"):
            with open(path, encoding="utf-8") as text:
                texts.append(text.read()[:60000])
    return texts


def candidates(count):
    """Varied candidates: every third with a résumé, some with typos."""
    texts = resumes()
    out = []
    for n in range(count):
        candidate = stack.make_candidate(n, prefix="rc", seed="recompute")
        if n % 3 == 0:
            candidate["resume"] = texts[n // 3 % len(texts)]
        if n % 5 == 0:
            candidate["skills"] = candidate["skills"][:6] + ["Pyhton", "Kubernets", "Zorblax"]
        if n % 7 == 0:
            del candidate["years_experience"]
        out.append(candidate)
    return out


def raw_results(raw):
    """The result objects' bytes of a match reply at full, fresh, in order."""
    body = raw.decode()
    prefix = '{"ok":true,"results":['
    check(body.startswith(prefix) and body.endswith("]}"), "reply shape")
    return body[len(prefix):-2].split(FLAGS + ",")


def raw_results_any(raw):
    """The result objects' bytes of a match reply at full, fresh or cached,
    in order, each without its "cached" and "stored"."""
    body = raw.decode()
    prefix = '{"ok":true,"results":['
    check(body.startswith(prefix) and body.endswith("]}"), "reply shape")
    parts = re.split(r',"cached":(?:true|false),"stored":(?:true|false)\}(?:,|$)', body[len(prefix):-2])
    return [part + "}" for part in parts if part]


def read_back(s, candidate):
    """The bytes of candidate's full breakdown as jobmatch.results reads it
    back (recomputed from its record, profile and job version)."""
    raw = s.rpc.request(RESULTS, json.dumps({"op": "result", "job": JOB, "candidate": candidate,
                                             "detail": "full"}).encode(), timeout=10.0).decode()
    prefix = '{"ok":true,"result":'
    check(raw.startswith(prefix) and raw.endswith("}"), "result reply: %s" % raw[:200])
    return raw[len(prefix):-1]


def recompute(inputs, runs=0):
    """bench_recompute over inputs: its output lines, and its stderr."""
    text = "".join(json.dumps(i) + "\n" for i in inputs)
    argv = [harness.binary("bench_recompute"), "--runs", str(runs)]
    run = subprocess.run(argv, input=text.encode(), capture_output=True, env=stack.batch_env(),
                         timeout=120)
    check_equal(run.returncode, 0, "bench_recompute exit: %s" % run.stderr.decode()[-400:])
    return run.stdout.decode().splitlines(), run.stderr.decode()


def stored_inputs(redis, raw, ids):
    """What Redis holds for each candidate: its record's version (as text,
    in "version"), and the recompute input built from the job hash and the
    profile."""
    job = redis.hgetall("jobmatch:job:" + JOB)
    records = stack.read_records(redis, JOB, ids)
    check(redis.exists(*[stack.result_key(JOB, c) for c in ids[:100]]) == 0,
          "result strings stored")
    pipe = raw.pipeline(transaction=False)
    for candidate in ids:
        pipe.get("jobmatch:profile:" + stack.escape_id(candidate))
    values = pipe.execute()
    stored, inputs = [], []
    for i, candidate in enumerate(ids):
        check(records[candidate] is not None, "no record of %s" % candidate)
        result = {"version": str(records[candidate]["version"])}
        version = records[candidate]["version"]
        text = job["json"] if version == int(job["version"]) else job.get("v:%d" % version)
        check(text is not None, "the JSON of version %d of %s is kept" % (version, JOB))
        stored.append(result)
        inputs.append({"job": text, "version": version, "candidate": candidate,
                       "profile": values[i].hex()})
    return stored, inputs, job


@runner.test
def full_breakdowns_recomputed_byte_for_byte_across_a_job_change():
    s = stack.Stack(matchers=1, matcher_options={"rescore_chunk": 10})
    for service in (JOBS, RESULTS):
        s.gateway.wait_workers(service, 1, timeout=10.0)
    s.rpc = s.client()
    harness.wait_for(lambda: call(s, JOBS, {"op": "list"})["jobs"], 10.0, 0.05, "jobs seeded")
    base = call(s, JOBS, {"op": "get", "id": "backend-developer"})["job"]
    base.pop("version", None)
    job = dict(base, id=JOB)
    call(s, JOBS, {"op": "put", "job": job})
    count = 1500
    pool = candidates(count)
    replies = []
    for first in range(0, count, 250):
        raw = s.rpc.request(stack.MATCH, json.dumps({"candidates": pool[first:first + 250],
                                                     "jobs": [JOB], "detail": "full"}).encode(),
                            timeout=120.0)
        replies += raw_results(raw)
    check_equal(len(replies), count, "results")
    ids = [c["id"] for c in pool]
    redis = s.redis.client()
    raw_client = s.redis.client()
    raw_client.connection_pool.connection_kwargs["decode_responses"] = False
    stored, inputs, hash_v1 = stored_inputs(redis, raw_client, ids)
    check(not any(k.startswith("v:") for k in hash_v1), "no older version kept: %s" % list(hash_v1))
    lines, speed = recompute(inputs, runs=3)
    first_replies = {}
    for candidate, reply, line in zip(ids, replies, lines):
        same(line[:-1] + FLAGS, reply if reply.endswith(FLAGS) else reply + FLAGS,
             "recomputed = the reply of %s" % candidate)
        first_replies[candidate] = line
        same(read_back(s, candidate), line, "read back = the reply of %s" % candidate)
    resumed = sum(1 for c in pool if "resume" in c)
    corrected = sum(1 for line in lines if '"corrections":[{' in line)
    print("    %d breakdowns byte-identical (%d with a résumé, %d with corrections)"
          % (count, resumed, corrected), flush=True)
    print("    " + speed.strip(), flush=True)
    # the job changes: version 1's JSON stays in v:1 while version 2 is re-scored
    matcher = s.matchers[0]
    changed = json.loads(json.dumps(job))
    changed["requirements"][0]["weight"] = 1
    changed["requirements"][1]["importance"] = "nice-to-have"
    put = call(s, JOBS, {"op": "put", "job": changed})
    os.kill(matcher.popen.pid, signal.SIGSTOP)
    try:
        middle = redis.hgetall("jobmatch:job:" + JOB)
        check_equal(middle.get("v:1"), hash_v1["json"], "v:1 holds version 1's JSON")
        check_equal(middle["version"], "2", "version 2 current")
        stored, inputs, _ = stored_inputs(redis, raw_client, ids)
        versions = [r["version"] for r in stored]
        lines, _ = recompute(inputs)
        for candidate, result, line in zip(ids, stored, lines):
            if result["version"] == "1":
                same(line, first_replies[candidate], "mid re-scoring, %s at version 1" % candidate)
            check('"job_version":%s,' % result["version"] in line, "one version per result")
        print("    mid re-scoring (put answered %s): %d results at version 1, %d at 2, each "
              "recomputed at its own" % (json.dumps(put.get("rescoring")), versions.count("1"),
                                         versions.count("2")), flush=True)
    finally:
        os.kill(matcher.popen.pid, signal.SIGCONT)

    def flipped():
        state = call(s, JOBS, {"op": "get", "id": JOB})
        return state["ranked_version"] == 2 and state["rescoring"] is None
    harness.wait_for(flipped, 120.0, 0.05, "ranked at version 2")
    final = redis.hgetall("jobmatch:job:" + JOB)
    check("v:1" not in final, "v:1 deleted at the flip: %s" % sorted(final))
    stored, inputs, _ = stored_inputs(redis, raw_client, ids)
    check_equal({r["version"] for r in stored}, {"2"}, "every result re-scored at version 2")
    lines, _ = recompute(inputs)
    # the same candidates again at version 2: cached, scored again from the
    # request, the bytes the re-scoring stored records of
    again = []
    for first in range(0, count, 250):
        again += raw_results_any(s.rpc.request(stack.MATCH, json.dumps(
            {"candidates": pool[first:first + 250], "jobs": [JOB], "detail": "full"}).encode(),
            timeout=120.0))
    check_equal(len(again), count, "results at version 2")
    for candidate, reply, line in zip(ids, again, lines):
        same(line, reply, "after the flip, %s" % candidate)
    for candidate, reply in list(zip(ids, again))[::10]:
        same(read_back(s, candidate), reply, "read back after the flip, %s" % candidate)
    # a put with nothing ranked keeps no older version; delete drops the job hash
    call(s, JOBS, {"op": "delete", "id": JOB})
    check_equal(redis.exists("jobmatch:job:" + JOB), 0, "deleted")
    s.check_alive()


if __name__ == "__main__":
    runner.main()
