#!/usr/bin/python3
"""Integration tests for replies at the detail the caller asks
(proto/services.md, "detail"): jobmatch.match and jobmatch.results at
score, summary (the default) and full, fresh and cached; full byte for
byte what the engine writes (the reply before "detail" existed); the
error for a bad value; and the CLI and client.py asking for what they
show.  A private redis-server, the real gateway and a matcher on free
loopback ports.

    tests/integration/test_detail.py [NAME-FILTER...]

Prints "ok NAME" or "FAIL NAME: why" per test and "N passed, N failed";
exits 1 when any failed.  Every process is stopped at the end of its test.
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import stack  # noqa: E402
from harness import check, check_equal  # noqa: E402

runner = harness.Runner(timeout=180)
JOB = "backend-developer"
RESULTS = "jobmatch.results"
SCORE_KEYS = ["candidate", "job", "job_version", "score", "band", "cached", "stored"]
SUMMARY_KEYS = ["candidate", "name", "job", "job_version", "score", "band", "required",
                "required_met", "required_total", "missing_required", "missing_required_skills",
                "cached", "stored"]


def start():
    s = stack.Stack(matchers=1)
    s.gateway.wait_workers(RESULTS, 1, timeout=10.0)
    s.rpc = s.client()
    return s


def raw_match(s, body):
    """The reply's bytes, and decoded."""
    raw = s.rpc.request(stack.MATCH, json.dumps(body).encode(), timeout=60.0)
    return raw, json.loads(raw)


def results_call(s, body):
    return json.loads(s.rpc.request(RESULTS, json.dumps(body).encode(), timeout=30.0))


def engine_lines(candidates, job=JOB):
    """What `jobmatch score` (the engine, offline) writes for candidates: the
    full result JSON, byte for byte what a match reply held before "detail"."""
    text = "".join(json.dumps(c) + "\n" for c in candidates)
    run = subprocess.run([harness.binary("jobmatch"), "score", "--job", job], input=text.encode(),
                         capture_output=True, env=stack.batch_env(), timeout=60)
    check_equal(run.returncode, 0, "jobmatch score exit")
    return run.stdout.decode().splitlines()


def full_reply(lines, cached):
    """The reply bytes a full request gets: the engine's JSON plus the flags."""
    flags = ',"cached":%s,"stored":true}' % ("true" if cached else "false")
    return ('{"ok":true,"results":[' + ",".join(line[:-1] + flags for line in lines) + "]}").encode()


def check_levels(results, full, what):
    """results: {detail: list of results}; checks each level's fields and
    that they agree with the full ones."""
    for score, summary, whole in zip(results["score"], results["summary"], full):
        check_equal(list(score), SCORE_KEYS, "%s: score fields" % what)
        check_equal(list(summary), SUMMARY_KEYS, "%s: summary fields" % what)
        for key in ("candidate", "job", "job_version", "score", "band"):
            check_equal(score[key], whole[key], "%s: score %s" % (what, key))
        for key in SUMMARY_KEYS[:-3]:
            if key != "missing_required_skills":
                check_equal(summary[key], whole[key], "%s: summary %s" % (what, key))
        penalised = [r["requirement"] for r in whole["requirements"] if r.get("penalised")]
        check_equal(summary["missing_required_skills"], penalised, "%s: missing required" % what)
        check_equal(len(penalised), whole["missing_required"], "%s: one label per missing" % what)


@runner.test
def match_levels_fields_sizes_and_full_bytes():
    s = start()
    candidates = [stack.make_candidate(n, prefix="d") for n in range(64)]
    lines = engine_lines(candidates)
    sizes, results = {}, {}
    # fresh at each level: a new set of ids per level, so none is cached
    for detail in ("score", "summary", "full"):
        batch = [dict(c, id="%s-%s" % (detail, c["id"])) for c in candidates]
        raw, reply = raw_match(s, {"candidates": batch, "detail": detail})
        check(reply["ok"] is True, "ok")
        check(all(r["cached"] is False and r["stored"] is True for r in reply["results"]), "fresh, stored")
        sizes[detail] = len(raw)
        results[detail] = [dict(r, candidate=r["candidate"].split("-", 1)[1]) for r in reply["results"]]
    full = [json.loads(line) for line in lines]
    check_equal([dict(r, cached=None, stored=None, candidate=None) for r in results["full"]],
                [dict(r, cached=None, stored=None, candidate=None) for r in full], "full = engine")
    check_levels(results, full, "fresh")
    # the default is summary; the same candidates now cached: full byte for byte
    raw, reply = raw_match(s, {"candidates": [dict(c, id="summary-" + c["id"]) for c in candidates]})
    check_equal(len(raw), sizes["summary"] - 64, "default: summary, cached (true is 1 byte shorter)")
    check_equal(list(reply["results"][0]), SUMMARY_KEYS, "default fields")
    check(all(r["cached"] for r in reply["results"]), "cached")
    # the first 64 at full fresh, then at every level cached: cut from the stored full JSON
    raw, reply = raw_match(s, {"candidates": candidates, "detail": "full"})
    check_equal(raw, full_reply(lines, cached=False), "full, fresh: the engine's bytes")
    raw, reply = raw_match(s, {"candidates": candidates, "detail": "full"})
    check_equal(raw, full_reply(lines, cached=True), "full, cached: the engine's bytes")
    cached = {}
    for detail in ("score", "summary"):
        cached_raw, cached_reply = raw_match(s, {"candidates": candidates, "detail": detail})
        check(all(r["cached"] for r in cached_reply["results"]), "%s cached" % detail)
        cached[detail] = cached_reply["results"]
        check_equal([dict(r, cached=False) for r in cached_reply["results"]], results[detail],
                    "%s: cached = fresh" % detail)
    check_levels(cached, full, "cached")
    ratio = sizes["full"] / sizes["summary"]
    print("    64 candidates: full %d bytes, summary %d (%.1fx smaller), score %d (%.1fx)" % (
        sizes["full"], sizes["summary"], ratio, sizes["score"], sizes["full"] / sizes["score"]))
    check(ratio >= 10, "summary is at least 10x smaller than full: %.1f" % ratio)
    check(sizes["full"] / sizes["score"] >= 20, "score is at least 20x smaller than full")
    s.check_alive()


@runner.test
def bad_detail_refused():
    s = start()
    candidate = stack.make_candidate(1, prefix="bad")
    for value, words in [("nope", ['"nope"']), ("FULL", ['"FULL"']), ("", ['not ""']),
                         (5, ["a string", "a number"]), (True, ["not true"]), ([], ["an array"]),
                         ({"level": "full"}, ["an object"]), ("x" * 5000, ["..."])]:
        for body in ({"candidate": candidate, "detail": value},
                     {"candidates": [candidate], "detail": value}):
            raw, reply = raw_match(s, body)
            check(reply["ok"] is False, "refused: %r" % (value,))
            check_equal(reply["error"]["code"], "invalid_request", "code")
            message = reply["error"]["message"]
            for word in ['detail', '"score", "summary" or "full"'] + words:
                check(word in message, "message %r names %r" % (message, word))
            check(len(message) < 200, "message is short")
        for op in ({"op": "result", "job": JOB, "candidate": "bad-1"},
                   {"op": "candidate", "candidate": "bad-1"}, {"op": "best", "candidate": candidate}):
            reply = results_call(s, dict(op, detail=value))
            check_equal(reply["error"]["code"], "invalid_request", "%s refused" % op["op"])
            check("detail" in reply["error"]["message"], "names detail")
    # null is the default
    raw, reply = raw_match(s, {"candidate": candidate, "detail": None})
    check_equal(list(reply["results"][0]), SUMMARY_KEYS, "null: summary")
    s.check_alive()


@runner.test
def results_ops_take_detail():
    s = start()
    candidates = [stack.make_candidate(n, prefix="r") for n in range(5)]
    raw, reply = raw_match(s, {"candidates": candidates, "jobs": [JOB, "database-administrator"],
                               "detail": "full"})
    full = {(r["job"], r["candidate"]): r for r in reply["results"]}
    strip = lambda r: {k: v for k, v in r.items() if k not in ("cached", "stored")}  # noqa: E731
    one = full[(JOB, "r-2")]
    got = results_call(s, {"op": "result", "job": JOB, "candidate": "r-2", "detail": "full"})
    check_equal(got["result"], strip(one), "result full = match full")
    default = results_call(s, {"op": "result", "job": JOB, "candidate": "r-2"})["result"]
    check_equal(list(default), SUMMARY_KEYS[:-2], "result: summary by default")
    check_equal(default["score"], one["score"], "score")
    score = results_call(s, {"op": "result", "job": JOB, "candidate": "r-2", "detail": "score"})["result"]
    check_equal(list(score), SCORE_KEYS[:-2], "result: score")
    across = results_call(s, {"op": "candidate", "candidate": "r-2"})["results"]
    check_equal([list(r) for r in across], [SUMMARY_KEYS[:-2]] * 2, "candidate: summary by default")
    across_full = results_call(s, {"op": "candidate", "candidate": "r-2", "detail": "full"})["results"]
    check_equal(across_full, [strip(full[(r["job"], "r-2")]) for r in across], "candidate: full")
    best = results_call(s, {"op": "best", "candidate": candidates[2], "limit": 2})["results"]
    check_equal([list(r) for r in best], [SUMMARY_KEYS[:-2]] * 2, "best: summary by default")
    best_full = results_call(s, {"op": "best", "candidate": candidates[2], "limit": 2,
                                 "detail": "full"})["results"]
    check_equal([r["score"] for r in best_full], [r["score"] for r in best], "best scores")
    check("requirements" in best_full[0], "best full has the breakdown")
    s.check_alive()


def cli(*args, input_text=None):
    argv = [harness.binary("jobmatch")] + [str(a) for a in args]
    return subprocess.run(argv, input=input_text, capture_output=True, text=True,
                          env=stack.batch_env(), timeout=120)


@runner.test
def cli_asks_for_what_it_shows():
    s = start()
    gateway = s.gateway.clients
    candidates = [stack.make_candidate(n, prefix="c") for n in range(20)]
    text = "".join(json.dumps(c) + "\n" for c in candidates)
    # submit: JSON lines at summary by default, --detail as asked; --explain a breakdown
    run = cli("submit", "--gateway", gateway, "-", input_text=text)
    check_equal(run.returncode, 0, "submit exit: %s" % run.stderr)
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    check_equal([list(r) for r in lines], [SUMMARY_KEYS] * 20, "submit: summary")
    for detail, keys in (("score", SCORE_KEYS), ("full", None)):
        run = cli("submit", "--gateway", gateway, "--detail", detail, "-", input_text=text)
        got = [json.loads(line) for line in run.stdout.splitlines()]
        if keys:
            check_equal([list(r) for r in got], [keys] * 20, "submit --detail score")
        else:
            check(all("requirements" in r for r in got), "submit --detail full")
            check_equal([r["score"] for r in got], [r["score"] for r in lines], "same scores")
    # score, offline, cuts its results the same way (full by default: the engine's JSON)
    offline = cli("score", "--detail", "summary", "-", input_text=text)
    check_equal(offline.stdout.splitlines(),
                [json.dumps({k: v for k, v in r.items() if k not in ("cached", "stored")},
                            ensure_ascii=False, separators=(",", ":")) for r in lines],
                "score --detail summary: the submitted summaries")
    check_equal(cli("score", "-", input_text=text).stdout.splitlines(), engine_lines(candidates),
                "score: full by default")
    explain = cli("submit", "--gateway", gateway, "--explain", "-", input_text=json.dumps(candidates[0]))
    check_equal(explain.returncode, 0, "explain exit")
    whole = json.loads(engine_lines(candidates[:1])[0])
    for requirement in whole["requirements"]:
        row = "  %-7s  %s" % (requirement["status"].replace("below_level", "below"),
                              requirement["requirement"][:40])
        check(row in explain.stdout, "submit --explain shows %r:\n%s" % (row, explain.stdout))
    ranked = cli("submit", "--gateway", gateway, "--ranked", "-", input_text=text)
    check_equal(ranked.returncode, 0, "ranked exit")
    check(" of " in ranked.stdout and "met" in ranked.stdout, "ranked shows required met")
    bad = cli("submit", "--gateway", gateway, "--detail", "most", "-", input_text=text)
    check_equal(bad.returncode, 2, "usage error")
    check('"score", "summary" or "full"' in bad.stderr, bad.stderr)
    both = cli("submit", "--gateway", gateway, "--explain", "--detail", "score", "-", input_text=text)
    check_equal(both.returncode, 2, "--explain with --detail")
    # results: --explain and JSON need the breakdown
    result = cli("results", "--gateway", gateway, JOB, "c-3")
    check("requirements" in json.loads(result.stdout), "results JOB CANDIDATE: full")
    table = cli("results", "--gateway", gateway, JOB, "c-3", "--explain")
    check_equal(table.returncode, 0, "results --explain exit")
    check(table.stdout.count("\n") > 5, "results --explain prints the breakdown")
    # batch: JSON lines and CSV at summary, --detail as asked
    directory = harness.tmpdir()
    source = os.path.join(directory, "in.jsonl")
    with open(source, "w") as out:
        out.write(text)
    sizes = {}
    for detail in ("score", "summary", "full", None):
        out_path = os.path.join(directory, "out-%s.jsonl" % detail)
        args = ["--in", source, "--out", out_path] + (["--detail", detail] if detail else [])
        run = stack.run_batch(gateway, *args)
        check_equal(run.returncode, 0, "batch %s: %s" % (detail, run.stderr[-300:]))
        records = stack.read_jsonl(out_path)
        sizes[detail] = os.path.getsize(out_path)
        check_equal(len(records), 20, "records")
        want = {"score": SCORE_KEYS, "summary": SUMMARY_KEYS, None: SUMMARY_KEYS}.get(detail)
        if want:
            check_equal([list(r) for r in records], [want] * 20, "batch %s fields" % detail)
        else:
            check(all("requirements" in r for r in records), "batch full")
    check(sizes["full"] > 10 * sizes["summary"], "batch output: summary much smaller: %r" % sizes)
    csv_path = os.path.join(directory, "out.csv")
    run = stack.run_batch(gateway, "--in", source, "--out", csv_path)
    check_equal(run.returncode, 0, "batch csv")
    with open(csv_path) as data:
        rows = data.read().splitlines()
    check_equal(rows[0], "id,name,job,score,band,required,missing,error,line,cached,stored", "header")
    summaries = {r["candidate"]: r for r in stack.read_jsonl(os.path.join(directory, "out-None.jsonl"))}
    for row in rows[1:]:
        fields = row.split(",")
        check(fields[5].endswith(" of 7") or " of " in fields[5], "required column: %s" % row)
        if not summaries[fields[0]]["missing_required_skills"]:
            check_equal(fields[6], "", "no missing required: %s" % row)
    s.check_alive()


@runner.test
def python_client_takes_detail():
    s = start()
    sys.path.insert(0, os.path.join(harness.ROOT, "proto", "examples"))
    import client
    candidates = [stack.make_candidate(n, prefix="py") for n in range(3)]
    with client.JobmatchClient(s.gateway.clients, timeout=20.0) as jobmatch:
        default = jobmatch.submit(candidates)
        check_equal([list(r) for r in default], [SUMMARY_KEYS] * 3, "client: summary by default")
        score = jobmatch.submit(candidates, detail="score")
        check_equal([list(r) for r in score], [SCORE_KEYS] * 3, "client: score")
        full = jobmatch.submit(candidates, detail="full")
        check(all("requirements" in r for r in full), "client: full")
        check("requirements" in jobmatch.result(JOB, "py-1", detail="full"), "result full")
        check("requirements" not in jobmatch.result(JOB, "py-1"), "result summary")
        check_equal(list(jobmatch.best(candidates[0], limit=1, detail="score")[0]), SCORE_KEYS[:-2],
                    "best score")
    script = os.path.join(harness.ROOT, "proto", "examples", "client.py")
    run = subprocess.run(["/usr/bin/python3", script, "--gateway", s.gateway.clients, "result", JOB,
                          "py-1"], capture_output=True, text=True, timeout=60)
    check("requirements" in json.loads(run.stdout), "client.py result: full by default")
    s.check_alive()


if __name__ == "__main__":
    runner.main()
