#!/usr/bin/python3
"""Integration tests for the matching pipeline: a private redis-server, the
real jobmatch-gateway and jobmatch-matcher processes on free loopback ports,
and Python 7/MDP clients.  Covers a request's whole trip (client, gateway,
matcher, Redis and back), the result cache, load sharing, a matcher killed
mid-stream, Redis stopped mid-stream, and malformed input.

    tests/integration/test_pipeline.py [NAME-FILTER...]

Prints "ok NAME" or "FAIL NAME: why" per test and "N passed, N failed";
exits 1 when any failed.  Every process is stopped at the end of its test.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import stack  # noqa: E402
from harness import check, check_equal, error_code  # noqa: E402
from stack import MATCH, Stack, body, make_candidate, result_key, rank_key  # noqa: E402

runner = harness.Runner(timeout=240)    # generous: a loaded 2-core machine

JOB = "backend-developer"       # the default job, version 1
FAST = dict(heartbeat_ms=250, liveness=4)       # a lost matcher is noticed in ~1 s


def without_serving(result):
    """A result less the two fields that say how it was served."""
    return {key: value for key, value in result.items() if key not in ("cached", "stored")}


def check_ok(reply, what="reply"):
    check(reply.get("ok") is True, "%s is not ok: %s" % (what, json.dumps(reply)[:300]))
    return reply["results"]


@runner.test
def round_trip():
    st = Stack(matchers=1)
    candidate = stack.sample_candidates()[0]
    before_ms = time.time() * 1000
    results = check_ok(st.match({"candidate": candidate, "detail": "full"}))
    check_equal(len(results), 1, "results")
    result = results[0]
    check_equal(result["candidate"], candidate["id"], "candidate")
    check_equal(result["job"], JOB, "job (the default)")
    check_equal(result["job_version"], 1, "job_version")
    check(isinstance(result["score"], (int, float)) and 0 <= result["score"] <= 100,
          "score %r is not in 0..100" % result["score"])
    check(result["band"] in ("strong", "good", "partial", "weak"), "band %r" % result["band"])
    for field in ("required", "requirements", "matched", "partial", "missing",
                  "unknown_skills", "versions"):
        check(field in result, "the result has no %r" % field)
    check(len(result["requirements"]) > 0, "no requirements in the breakdown")
    check_equal(result["cached"], False, "cached")
    check_equal(result["stored"], True, "stored")

    # The stored result, read back from Redis: its compact record, no
    # result string; the breakdown read back through jobmatch.results
    redis = st.redis.client()
    stored = stack.stored_result(redis, JOB, candidate["id"])
    check(stored, "no record for %s (keys: %r)" % (candidate["id"], redis.keys("*")[:10]))
    check_equal(redis.exists(result_key(JOB, candidate["id"])), 0, "a result string stored")
    check_equal(float(stored["score"]), float(result["score"]), "score in the header")
    check_equal(stored["version"], "1", "version in the header")
    check_equal(stored["band"], result["band"], "band in the header")
    check_equal(stored["required"], result["required"], "required in the header")
    check(stored["fp"].startswith("1:"), "fp %r does not start with the job version" % stored["fp"])
    check(before_ms - 5000 <= int(stored["at"]) <= time.time() * 1000 + 5000,
          "at %r is not the time of the write" % stored["at"])
    check_equal(st.full_result(JOB, candidate["id"]), without_serving(result),
                "the breakdown read back")
    ttl = redis.pttl(stack.record_bucket_key(JOB, candidate["id"]))
    check(0 < ttl <= 7 * 86400 * 1000, "result TTL %r ms, want up to 7 days" % ttl)

    # ... and the ranking
    score = redis.zscore(rank_key(JOB, 1), candidate["id"])
    check(score is not None, "%s is not in %s" % (candidate["id"], rank_key(JOB, 1)))
    check_equal(score, float(result["score"]), "ranking score")
    st.check_alive()


@runner.test
def cache_hit_then_miss_on_change():
    st = Stack(matchers=2)
    redis = st.redis.client()
    candidate = stack.sample_candidates()[1]
    first = check_ok(st.match({"candidate": candidate, "detail": "full"}))[0]
    check_equal(first["cached"], False, "first submission cached")
    stored = stack.stored_result(redis, JOB, candidate["id"])
    check(stored, "no stored result after the first submission")

    # The identical profile (its members in another order), from another
    # client so the other matcher may serve it: served from Redis
    reordered = dict(reversed(list(candidate.items())))
    for attempt in range(4):
        again = check_ok(st.match({"candidate": reordered, "detail": "full"}, client=st.client()))[0]
        check_equal(again["cached"], True, "resubmission %d cached" % attempt)
        check_equal(again["score"], first["score"], "cached score")
        check_equal(without_serving(again), without_serving(first), "cached result")
        check_equal(again["stored"], True, "stored of a cached result")
    check_equal(stack.stored_result(redis, JOB, candidate["id"])["at"], stored["at"],
                "write time after cache hits (rewritten?)")

    # One skill changed: scored again, a new fingerprint written
    changed = json.loads(json.dumps(candidate))
    old_skill = changed["skills"][0]
    changed["skills"][0] = "Rust"
    check("Rust" not in json.dumps(candidate), "the sample already lists Rust")
    third = check_ok(st.match({"candidate": changed, "detail": "full"}))[0]
    check_equal(third["cached"], False, "cached after changing %r to Rust" % (old_skill,))
    check_equal(third["stored"], True, "stored after the change")
    restored = stack.stored_result(redis, JOB, candidate["id"])
    check(restored["fp"] != stored["fp"], "fingerprint unchanged after a skill changed: %s"
          % restored["fp"])
    check_equal(st.full_result(JOB, candidate["id"]), without_serving(third),
                "the breakdown read back after the change")
    check_equal(redis.zscore(rank_key(JOB, 1), candidate["id"]), float(third["score"]),
                "ranking after the change")
    # and the changed profile is now the cached one
    fourth = check_ok(st.match({"candidate": changed}))[0]
    check_equal(fourth["cached"], True, "changed profile resubmitted")


@runner.test
def two_matchers_share_the_load():
    st = Stack(matchers=2)
    count = 2000
    bodies = [body(make_candidate(index, "share")) for index in range(count)]
    run = stream(st.client(), bodies, inflight=256, prefix="share")
    run.check_exactly_once()
    for reply in run.bodies():
        check_ok(reply)
    served = [stack.matcher_served(process) for process in st.matchers]
    check_equal(sum(served), count, "requests the matchers say they answered (%r)" % served)
    check(min(served) >= count // 5, "load not shared: %r" % (served,))


def stream(*args, **kwargs):
    return stack.stream(*args, **kwargs)


@runner.test
def matcher_killed_mid_stream():
    st = Stack(matchers=2, **FAST)
    count = 10000
    bodies = [body(make_candidate(index, "kill")) for index in range(count)]
    killed = {}

    def on_reply(answered):
        if answered == 3000:
            killed["at"] = answered
            st.matchers[0].kill()
    run = stream(st.client(), bodies, inflight=300, prefix="kill", on_reply=on_reply,
                 linger=1.0)
    check(killed, "the matcher was never killed")
    run.check_exactly_once()
    for index, reply in enumerate(run.bodies()):
        results = check_ok(reply, "reply %d" % index)
        check_equal(results[0]["candidate"], "kill-%d" % index, "candidate of reply %d" % index)
    stats = st.gateway.stats()
    check(stats["workers_expired"] >= 1, "the gateway did not notice the lost matcher: %r"
          % {key: stats[key] for key in ("workers", "workers_expired", "redispatches")})
    check(stats["redispatches"] >= 1, "no request was re-dispatched (%d in flight at the kill?)"
          % stats["redispatches"])
    check_equal(stats["errors"]["worker_lost"], 0, "worker_lost errors")
    check_equal(len(stats["services"][MATCH]["workers"]), 1, "matchers registered after the kill")
    st.check_alive(st.gateway.process, st.matchers[1])


@runner.test
def redis_stopped_mid_stream():
    st = Stack(matchers=2, persist_redis=True)
    count = 6000
    bodies = [body(make_candidate(index, "down")) for index in range(count)]
    marks = {}

    def on_reply(answered):
        if answered == 1500:
            st.redis.stop()
            marks["stopped"] = answered
        elif answered == 4500:
            st.redis.start()
            marks["started"] = answered
    run = stream(st.client(), bodies, inflight=256, prefix="down", on_reply=on_reply)
    check_equal(sorted(marks), ["started", "stopped"], "redis stop and restart")
    run.check_exactly_once()
    # Redis was restarted only after 3,000 more replies, so replies went on
    # while it was down; no pause much longer than one command timeout (1 s)
    check(run.max_gap < 6.0, "replies paused %.2f s while Redis was down" % run.max_gap)
    replies = run.bodies()
    not_stored = 0
    for index, reply in enumerate(replies):
        result = check_ok(reply, "reply %d" % index)[0]
        check_equal(result["candidate"], "down-%d" % index, "candidate of reply %d" % index)
        not_stored += result["stored"] is False
    check(not_stored > 0, "no reply said stored: false while Redis was down")
    # replies in the Redis outage window carry results like the others
    outage = replies[marks["stopped"] + 300:marks["started"]]
    check(outage and all(reply["results"][0]["stored"] is False for reply in outage[:100]),
          "replies during the outage claim stored: true")

    # After the restart every result is written (pending writes replayed)
    redis = st.redis.client()
    keys = ["down-%d" % index for index in range(count)]

    def missing():
        records = stack.read_records(redis, JOB, keys)
        return [key for key in keys if records[key] is None]
    try:
        harness.wait_for(lambda: not missing(), 40.0, 0.2, "every result in Redis")
    except harness.TestFailure:
        lost = missing()
        raise harness.TestFailure("%d of %d results never reached Redis (first %s)"
                                  % (len(lost), count, lost[:3]))
    check_equal(redis.zcard(rank_key(JOB, 1)), count, "ranking size")
    # ... and new results are stored at once again
    fresh = check_ok(st.match({"candidate": make_candidate(count, "down")}))[0]
    check_equal(fresh["stored"], True, "stored once Redis is back")
    st.check_alive()


@runner.test
def malformed_input_is_answered_or_dropped():
    st = Stack(matchers=2, no_worker_wait_ms=200)
    client = st.client()

    def raw(frames, timeout=10.0):
        client.send_raw(frames)
        return client.recv_raw(timeout)

    def error_of(frames, request_id):
        check(frames is not None, "no reply to %r" % request_id)
        check_equal(len(frames), 5, "frames of the reply to %r" % request_id)
        check_equal(frames[0], request_id, "request id echoed")
        code = error_code(frames[4])
        check(code, "not an error reply: %r" % frames[4][:200])
        return code, json.loads(frames[4])["error"]

    dropped = st.gateway.stats()["dropped"]["client"]
    # Protocol errors, answered by the gateway with the request id echoed
    code, _ = error_of(raw(["hdr", "", "MDPC02", MATCH, "{}"]), b"hdr")
    check_equal(code, "invalid_request", "wrong protocol header")
    code, error = error_of(raw(["nobody", "", "MDPC01", MATCH]), b"nobody")
    check_equal(code, "invalid_request", "missing body frame")
    check("body" in error["message"], "message %r does not name the body" % error["message"])
    # A body of two frames reaches the matcher whole, which refuses it
    code, error = error_of(raw(["extra", "", "MDPC01", MATCH, "{}", "more"]), b"extra")
    check_equal(code, "invalid_request", "two-frame body")
    check("2 frames" in error["message"], "message %r does not count the frames"
          % error["message"])
    # No delimiter, or an envelope frame too big to echo: dropped cleanly
    check(raw(["garbage"], 0.5) is None, "a reply to a message without a delimiter")
    check(raw(["x" * 300, "", "MDPC01", MATCH, "{}"], 0.5) is None,
          "a reply to a message with a 300-byte envelope frame")
    check_equal(st.gateway.stats()["dropped"]["client"], dropped + 2, "dropped messages counted")

    # Bad JSON: the error names line and column
    reply = st.match(b'{\n  "candidate": {\n    "id": "x",\n  }\n}')
    check_equal(error_code(json.dumps(reply)), "invalid_json", "bad JSON")
    check_equal((reply["error"].get("line"), reply["error"].get("column")), (4, 3),
                "line and column of the bad JSON")
    check("line 4" in reply["error"]["message"], "message %r" % reply["error"]["message"])

    # Wrong types: the message names the field
    wrong = [
        ({"candidate": {"id": "x", "skills": "python"}}, "skills"),
        ({"candidate": {"id": "x", "skills": [{"name": "Go", "level": "high"}]}},
         "skills[0].level"),
        ({"candidate": {"id": "x", "years_experience": "ten"}}, "years_experience"),
        ({"candidate": {"id": "x", "name": 7}}, "name"),
        ({"candidate": ["x"]}, "candidate"),
        ({"candidates": {}}, "candidates"),
        ({"candidate": {"id": "x"}, "jobs": 5}, "jobs"),
        ({"candidate": {"id": "x"}, "jobs": [7]}, "jobs[0]"),
        ([], "object"),
    ]
    for value, field in wrong:
        reply = st.match(json.dumps(value).encode())
        check_equal(error_code(json.dumps(reply)), "invalid_request", "code for %r" % value)
        check(field in reply["error"]["message"], "message %r does not name %r"
              % (reply["error"]["message"], field))

    # Unknown job
    reply = st.match({"candidate": {"id": "x", "skills": ["Go"]}, "jobs": [JOB, "astronaut"]})
    check_equal(error_code(json.dumps(reply)), "unknown_job", "unknown job")
    check("astronaut" in reply["error"]["message"], "message %r" % reply["error"]["message"])

    # A 10 MB body: too_large from the gateway
    huge = b'{"candidate": {"id": "x", "resume": "' + b"a" * (10 << 20) + b'"}}'
    client.send(MATCH, "huge", huge)
    _, request_id, reply = client.recv(30.0)
    check_equal((request_id, error_code(reply)), (b"huge", "too_large"), "10 MB body")

    # Under the gateway's limit but 3.5 million JSON values (7 MB of "0,"):
    # too_large from the matcher, naming the limit and the place, and the
    # memory that needed is not kept
    values = b'{"candidates": [' + b"0," * 3500000 + b'0]}'
    reply = st.match(values)
    check_equal(error_code(json.dumps(reply)), "too_large", "3.5 million values")
    check("1000000 JSON values" in reply["error"]["message"] and reply["error"].get("line") == 1,
          "message %r" % reply["error"])
    check(check_ok(st.match({"candidate": stack.sample_candidates()[1]})), "served after")
    for matcher in st.matchers:
        with open("/proc/%d/status" % matcher.pid) as status:
            rss_kb = int(next(line for line in status if line.startswith("VmRSS:")).split()[1])
        check(rss_kb < 24 * 1024, "matcher resident %.1f MB after a 3.5M-value body" % (rss_kb / 1024))

    # 1001 candidates: too_large from the matcher
    many = body(candidates=[{"id": "m%d" % index, "skills": ["Go"]} for index in range(1001)])
    reply = st.match(many)
    check_equal(error_code(json.dumps(reply)), "too_large", "1001 candidates")
    check("1000" in reply["error"]["message"], "message %r" % reply["error"]["message"])
    # ... while 1000 are fine
    results = check_ok(st.match(body(candidates=[{"id": "m%d" % index, "skills": ["Go"]}
                                                 for index in range(1000)])))
    check_equal(len(results), 1000, "results for 1000 candidates")

    # An unknown service: no_workers after --no-worker-wait-ms
    started = time.monotonic()
    client.send("jobmatch.nothing", "nothing", b"{}")
    service, request_id, reply = client.recv(30.0)
    waited = time.monotonic() - started
    check_equal((service, request_id, error_code(reply)),
                (b"jobmatch.nothing", b"nothing", "no_workers"), "unknown service")
    check(0.15 <= waited < 5.0, "no_workers after %.2f s, want about 0.2 s" % waited)

    # Everything still serves
    st.check_alive()
    check(check_ok(st.match({"candidate": stack.sample_candidates()[2]})), "no results")
    check_equal(len(st.gateway.stats()["services"][MATCH]["workers"]), 2, "matchers registered")


@runner.test
def req_and_dealer_clients_at_once():
    st = Stack(matchers=2)
    dealer = st.client()
    req = st.client(req=True)
    count = 150
    for index in range(count):
        dealer.send(MATCH, "d-%d" % index, body(make_candidate(index, "dealer")))
    # the REQ client's requests go through while the DEALER's 150 are in flight
    for index in range(30):
        req.send(MATCH, "q-%d" % index, body(make_candidate(index, "req")))
        service, request_id, reply = req.recv(30.0)
        check_equal((service, request_id), (MATCH.encode(), b"q-%d" % index), "REQ reply")
        result = check_ok(json.loads(reply), "REQ reply %d" % index)[0]
        check_equal(result["candidate"], "req-%d" % index, "candidate of REQ reply %d" % index)
    seen = set()
    for _ in range(count):
        service, request_id, reply = dealer.recv(30.0)
        check(request_id not in seen, "%r answered twice" % request_id)
        seen.add(request_id)
        index = int(request_id.split(b"-")[1])
        result = check_ok(json.loads(reply), "DEALER reply %r" % request_id)[0]
        check_equal(result["candidate"], "dealer-%d" % index, "candidate of %r" % request_id)
    check_equal(len(seen), count, "DEALER replies")
    check(dealer.recv_raw(0.3) is None, "an extra reply reached the DEALER")


@runner.test
def invalid_utf8_and_mixed_batch():
    st = Stack(matchers=1)
    # Invalid UTF-8 inside a JSON string: invalid_json naming where
    prefix = b'{"candidate": {"id": "u1", "name": "Bad '
    reply = st.match(prefix + b'\xff name", "skills": ["Python"]}}')
    check_equal(error_code(json.dumps(reply)), "invalid_json", "invalid UTF-8")
    error = reply["error"]
    check_equal(error.get("line"), 1, "line of the bad byte")
    check(error.get("column") in (len(prefix), len(prefix) + 1),
          "column %r, want %d (the bad byte)" % (error.get("column"), len(prefix) + 1))
    lines = b'{"candidate": {\n  "id": "u2",\n  "skills": ["Go", "C\xc3\x28"]\n}}'
    reply = st.match(lines)
    check_equal(error_code(json.dumps(reply)), "invalid_json", "invalid UTF-8 on line 3")
    check_equal(reply["error"].get("line"), 3, "line of the bad sequence")

    # A batch mixing good and bad candidates: errors in place, the others scored
    jobs = [JOB, "solutions-architect"]
    good = [make_candidate(index, "mixed") for index in range(3)]
    batch = [good[0],
             {"id": "bad-skill", "skills": [{"name": 5}]},
             good[1],
             "not an object",
             good[2],
             {"id": 12, "skills": "Go"}]
    results = check_ok(st.match(body(candidates=batch, jobs=jobs)))
    expected = [("ok", "mixed-0", JOB), ("ok", "mixed-0", jobs[1]),
                ("error", 1, "bad-skill"),
                ("ok", "mixed-1", JOB), ("ok", "mixed-1", jobs[1]),
                ("error", 3, None),
                ("ok", "mixed-2", JOB), ("ok", "mixed-2", jobs[1]),
                ("error", 5, None)]
    got = []
    for entry in results:
        if "error" in entry:
            candidate = entry.get("candidate")
            got.append(("error", entry.get("position"),
                        str(candidate) if candidate is not None else None))
            check_equal(entry["error"]["code"], "invalid_request", "code of %r" % entry)
        else:
            got.append(("ok", entry["candidate"], entry["job"]))
            check_equal(entry["stored"], True, "stored of %s" % entry["candidate"])
    check_equal(len(got), len(expected), "batch entries")
    for index, (entry, want) in enumerate(zip(got, expected)):
        check_equal(entry, want, "batch entry %d" % index)
    redis = st.redis.client()
    for candidate in good:
        for job in jobs:
            check(stack.read_record(redis, job, candidate["id"]) is not None,
                  "no stored result for %s / %s" % (job, candidate["id"]))
    check(stack.read_record(redis, JOB, "bad-skill") is None, "a bad candidate's result was stored")
    st.check_alive()



@runner.test
def batch_while_redis_is_down_says_not_stored():
    """A reply is built as if its results were stored and rewritten when
    they were not: every result says stored: false, and text that looks
    like the rewritten part inside a name (where JSON escapes its quotes)
    stays as it was."""
    st = Stack(matchers=1, persist_redis=True)
    tricky = ',"cached":false,"stored":true}'
    # 60 results make a reply of over 256 KB: written in the matcher's
    # reply buffer, then rewritten into a frame of its own
    fresh = [make_candidate(index, "down-batch") for index in range(60)]
    fresh[3]["name"] = "Ann " + tricky
    st.redis.stop()
    raw = st.client().request(MATCH, json.dumps({"candidates": fresh, "detail": "full"}).encode(),
                              timeout=30.0)
    check(len(raw) > 256 * 1024, "reply of %d bytes, want a big one" % len(raw))
    results = check_ok(json.loads(raw))
    check_equal(len(results), 60, "results")
    for result in results:
        check_equal((result["cached"], result["stored"]), (False, False),
                    "%s while Redis is down" % result["candidate"])
    check_equal(results[3]["name"], "Ann " + tricky, "a name holding the pattern")
    # a summary says so the same way
    few = [make_candidate(index, "down-summary") for index in range(3)]
    few[1]["name"] = "Bo " + tricky
    results = check_ok(st.match(body(candidates=few), client=st.client()))
    check_equal([(r["cached"], r["stored"]) for r in results], [(False, False)] * 3,
                "summaries while Redis is down")
    check_equal(results[1]["name"], "Bo " + tricky, "a name holding the pattern, in a summary")
    st.redis.start()
    # the writes were kept and land once Redis is back
    redis = st.redis.client()
    harness.wait_for(lambda: None not in stack.read_records(redis, JOB, [c["id"] for c in fresh]).values(),
                     20.0, 0.1, "the kept writes in Redis")
    # big replies go on from the buffer, stored again
    for round in range(3):
        more = [make_candidate(index, "up-%d" % round) for index in range(60)]
        results = check_ok(st.match(body(candidates=more)))
        check(all(r["stored"] is True and r["cached"] is False for r in results),
              "round %d after Redis is back" % round)
        check_equal([r["candidate"] for r in results], [c["id"] for c in more], "order")
    st.check_alive()

if __name__ == "__main__":
    runner.main()
