#!/usr/bin/python3
"""Integration tests for `jobmatch batch`: files of candidates scored
through the gateway, in input order, resumable.  Each test starts what it
needs on free loopback ports: a private redis-server, jobmatch-gateway and
jobmatch-matcher processes (stack.Stack).

    tests/integration/test_batch.py [NAME-FILTER...]

The main test is the one of issue #4: a batch of 100,000 during which one
matcher is killed with SIGKILL, then the CLI itself, then resumed: exactly
100,000 output lines, each candidate once, in order.  Prints "ok NAME" or
"FAIL NAME: why" per test and "N passed, N failed"; exits 1 when any failed.
"""
import csv
import io
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import stack  # noqa: E402
from harness import TestFailure, check, check_equal  # noqa: E402

runner = harness.Runner(timeout=600)
JOB, DBA = "backend-developer", "database-administrator"
BANDS = ("strong", "good", "partial", "weak")


env, batch_argv = stack.batch_env, stack.batch_argv


def batch(gateway, *args, timeout=300):
    """Runs jobmatch batch to the end; returns the CompletedProcess."""
    return stack.run_batch(gateway, *args, timeout=timeout)


def path(name):
    return os.path.join(harness.tmpdir(), name)


start_batch, stderr_of, count_lines = stack.start_batch, stack.stderr_of, stack.count_lines


def write_candidates(name, count, prefix, distinct=500):
    """count candidates as JSON lines, ids "<prefix>-<n>"; profiles cycle
    through `distinct` generated ones (generating 100,000 takes long)."""
    return stack.write_candidates(path(name), count, prefix, distinct)


def read_jsonl(file_path):
    with open(file_path) as data:
        text = data.read()
    check(text.endswith("\n") or not text, "the output ends with a complete line")
    try:
        return [json.loads(line) for line in text.splitlines()]
    except ValueError as error:
        raise TestFailure("output is not JSON lines: %s" % error)


def check_exact(records, ids, jobs=(JOB,)):
    """Every candidate exactly once per job, in input order."""
    got = [(r.get("candidate"), r.get("job")) for r in records]
    want = [(i, job) for i in ids for job in jobs]
    if got != want:
        seen, duplicates = set(), []
        for entry in got:
            if entry in seen:
                duplicates.append(entry)
            seen.add(entry)
        missing = [entry for entry in want if entry not in seen]
        raise TestFailure("%d records for %d expected: %d duplicated (first %r), %d missing (first %r)" % (
            len(got), len(want), len(duplicates), duplicates[:3], len(missing), missing[:3]))


# --------------------------------------------------------------------------
# Tests

@runner.test
def kill_matcher_then_cli_then_resume_100k():
    total = 100000
    s = stack.Stack(matchers=2, heartbeat_ms=250, liveness=3)
    in_path = write_candidates("big.jsonl", total, "big")
    out_path = path("big.out.jsonl")
    process = start_batch(s.gateway.clients, "--in", in_path, "--out", out_path, "--timeout-ms", 5000)
    harness.wait_for(lambda: count_lines(out_path) >= 15000 or process.poll() is not None, 240, 0.05,
                     "15,000 results before killing a matcher")
    check(process.poll() is None, "the run is still going: %s" % stderr_of(process)[-300:])
    s.matchers[0].kill()                        # SIGKILL: its requests are re-dispatched
    before = count_lines(out_path)
    harness.wait_for(lambda: count_lines(out_path) >= before + 15000 or process.poll() is not None, 240,
                     0.05, "15,000 more results after the matcher died")
    check(process.poll() is None, "the run is still going: %s" % stderr_of(process)[-300:])
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    partial = count_lines(out_path)
    check(0 < partial < total, "killed mid-run (%d lines)" % partial)
    s.check_alive(s.gateway.process, s.matchers[1])
    resumed = batch(s.gateway.clients, "--in", in_path, "--out", out_path, "--resume", "--summary",
                    path("big.summary.json"), timeout=400)
    check_equal(resumed.returncode, 0, "resume exit status (stderr %r)" % resumed.stderr[-400:])
    check("resumed after" in resumed.stderr, "the summary says it resumed: %r" % resumed.stderr[-300:])
    check_equal(count_lines(out_path), total, "output lines")
    records = read_jsonl(out_path)
    check_exact(records, ["big-%d" % n for n in range(total)])
    check(all("score" in r and r["band"] in BANDS for r in records), "every line a result")
    with open(path("big.summary.json")) as data:
        summary = json.load(data)
    check_equal(summary["candidates"], total, "summary candidates")
    check_equal(summary["scored"] + summary["cached"], total, "scored + cached")
    check_equal(sum(summary["bands"][band] for band in BANDS), total, "bands add up")
    check(summary["complete"] is True, "complete")


@runner.test
def csv_with_bad_lines():
    s = stack.Stack(matchers=1)
    rows = [
        'id,name,skills,resume',                                     # line 1
        'c1,Ann Lee,"Python;PostgreSQL;Docker",',                    # 2
        'c2,"Bob ""B"" Smith","Java; Spring Boot ; MySQL","Built REST APIs,',   # 3
        'in Go and Kubernetes"',                                     # 4 (inside c2's quotes)
        'c3,Broken,"Go;Redis,',                                      # 5 unterminated quote
        'c4,Dee,Go;Redis,',                                          # 6
        'c5,Too,many,fields,here',                                   # 7 five fields
        'c6,Eve,C#;.NET;SQL Server,',                                # 8
        'c7,Bad\xff,SQL,',                                           # 9 invalid UTF-8
        'c8,Fay,"Rust; Kubernets",',                                 # 10
        'c9,Gil,"Go\x00;SQL",',                                      # 11 a NUL byte
    ]
    in_path = path("bad.csv")
    with open(in_path, "wb") as out:
        for row in rows:
            out.write(row.encode("utf-8").replace(b"\xc3\xbf", b"\xff") + b"\r\n")
    out_path = path("bad.out.csv")
    done = batch(s.gateway.clients, "--in", in_path, "--out", out_path, "--job", JOB, "--job", DBA)
    check_equal(done.returncode, 1, "exit status: some lines were bad (stderr %r)" % done.stderr[-300:])
    with open(out_path, newline="", encoding="utf-8", errors="replace") as data:
        table = list(csv.DictReader(data))
    got = [(r["id"], r["job"], r["line"], bool(r["error"])) for r in table]
    want = []
    for cid, line, bad in (("c1", 2, False), ("c2", 3, False), ("c3", 5, True), ("c4", 6, False),
                           ("c5", 7, True), ("c6", 8, False), ("c7", 9, True), ("c8", 10, False),
                           ("c9", 11, True)):
        for job in (JOB, DBA):
            want.append((cid, job, str(line), bad))
    # the id of a bad record is reported when it could be read
    check_equal([(g[1], g[2], g[3]) for g in got], [(w[1], w[2], w[3]) for w in want],
                "records: job, line, error")
    check_equal([g[0] for g in got if not g[3]], [w[0] for w in want if not w[3]], "scored ids in order")
    scored = {(r["id"], r["job"]): r for r in table if not r["error"]}
    check_equal(scored[("c2", JOB)]["name"], 'Bob "B" Smith', "doubled quotes decoded")
    check(float(scored[("c1", JOB)]["score"]) > 0 and scored[("c1", JOB)]["band"] in BANDS, "a score")
    errors = [r for r in table if r["error"]]
    check("line 5" in errors[0]["error"] and "quote" in errors[0]["error"], errors[0]["error"])
    check("field" in errors[2]["error"], errors[2]["error"])
    check("UTF-8" in errors[4]["error"], errors[4]["error"])
    # found by fuzzing: a NUL became \u0000 and the matcher refused the whole request (which
    # the CLI then split until the record was alone): it is caught before it is sent
    check("NUL" in errors[6]["error"], errors[6]["error"])
    check("errors at input lines: 5, 7, 9, 11" in done.stderr, "the summary lists the lines: %r" % done.stderr)
    s.check_alive()


@runner.test
def jsonl_with_bad_lines():
    s = stack.Stack(matchers=1)
    lines = [
        json.dumps({"id": "j1", "skills": ["Python"]}),
        '{"id": "j2", "skills": ["Go"',                              # 2: not JSON
        json.dumps({"id": "j3", "skills": "SQL"}),                   # 3: rejected by the matcher
        "",                                                          # 4: blank, skipped
        "42",                                                        # 5: not an object
        json.dumps({"id": "j4", "name": "Zoë", "skills": ["PostgreSQL", "Django"]}),
        '{"id": "j5", "skills": ["\\ud800"]}',                       # 7: lone surrogate
        json.dumps({"id": "j6", "skills": ["Redis"]}),
        json.dumps({"id": "huge", "skills": ["SQL"], "resume": "Python " * (1400 * 1024)}),  # 9: ~9.8 MB
        json.dumps({"id": "j7", "skills": ["Go"]}),
        '{"id": "deep", "skills": ["Go"], "x": ' + "[" * 300 + "]" * 300 + "}",  # 11: too deep
        json.dumps({"id": "j8", "skills": ["SQL"]}),
    ]
    in_path = path("bad.jsonl")
    with open(in_path, "w") as out:
        out.write("\n".join(lines) + "\n")
    out_path = path("bad.out.jsonl")
    done = batch(s.gateway.clients, "--in", in_path, "--out", out_path)
    check_equal(done.returncode, 1, "exit status (stderr %r)" % done.stderr[-300:])
    records = read_jsonl(out_path)
    check_equal(len(records), 11, "one record per candidate line")
    good = [r["candidate"] for r in records if "error" not in r]
    check_equal(good, ["j1", "j4", "j6", "j7", "j8"], "scored in order")
    bad = [(r["line"], r["error"]["code"]) for r in records if "error" in r]
    check_equal([line for line, _ in bad], [2, 3, 5, 7, 9, 11], "error lines")
    check_equal(bad[0][1], "invalid_json", "line 2's code")
    check_equal(bad[1][1], "invalid_request", "line 3's code")
    # found by fuzzing: nested deeper than the matcher reads, it passed the CLI's check and
    # the matcher refused its whole request (which the CLI then split until it was alone)
    check_equal(bad[5][1], "invalid_json", "line 11's code")
    deep = [r for r in records if r.get("line") == 11][0]
    check("nesting depth" in deep["error"]["message"], "caught by the CLI: %r" % deep["error"])
    check("errors at input lines: 2, 3, 5, 7, 9, 11" in done.stderr, done.stderr[-300:])
    check("5 results" in done.stderr and "6 with errors" in done.stderr, done.stderr[-300:])
    check(all(len(line) < 100000 for line in open(out_path)), "no candidate text copied into errors")
    s.check_alive()


@runner.test
def json_array_input():
    s = stack.Stack(matchers=2)
    candidates = [stack.make_candidate(n, "arr") for n in range(3000)]
    pretty = path("array.json")
    with open(pretty, "w") as out:
        json.dump(candidates, out, indent=2)
    out_path = path("array.out.jsonl")
    done = batch(s.gateway.clients, "--in", pretty, "--out", out_path, "--batch", 100)
    check_equal(done.returncode, 0, "exit status (stderr %r)" % done.stderr[-300:])
    check_exact(read_jsonl(out_path), [c["id"] for c in candidates])
    # compact on one line, read as an array because of --format
    compact = path("array.txt")
    with open(compact, "w") as out:
        json.dump(candidates[:50], out)
    done = batch(s.gateway.clients, "--in", compact, "--format", "json", "--out", path("compact.out"),
                 "--out-format", "csv")
    check_equal(done.returncode, 0, "exit status (stderr %r)" % done.stderr[-300:])
    with open(path("compact.out"), newline="") as data:
        table = list(csv.DictReader(data))
    check_equal([r["id"] for r in table], [c["id"] for c in candidates[:50]], "CSV output in order")
    check(all(r["cached"] == "true" for r in table), "second time: from the cache")
    # a broken element: an error record, the elements after it still scored
    broken = path("broken.json")
    with open(broken, "w") as out:
        out.write('[\n  {"id": "b1", "skills": ["SQL"]},\n  {"id": "b2", "skills": [}\n'
                  '  ,{"id": "b3", "skills": ["Go"]},\n  {"id": "b4", "skills": ["Java"]}\n]\n')
    done = batch(s.gateway.clients, "--in", broken, "--out", path("broken.out"))
    check_equal(done.returncode, 1, "exit status (stderr %r)" % done.stderr[-300:])
    records = read_jsonl(path("broken.out"))
    check_equal([(r.get("candidate"), r.get("line")) for r in records],
                [("b1", None), (None, 3), ("b3", None), ("b4", None)], "records")


@runner.test
def ctrl_c_then_resume():
    total = 40000
    s = stack.Stack(matchers=2)
    in_path = write_candidates("int.jsonl", total, "int")
    out_path = path("int.out.jsonl")
    process = start_batch(s.gateway.clients, "--in", in_path, "--out", out_path)
    harness.wait_for(lambda: count_lines(out_path) >= 5000 or process.poll() is not None, 240, 0.05,
                     "5,000 results")
    process.send_signal(signal.SIGINT)
    rc = process.wait(60)
    err = stderr_of(process)
    check_equal(rc, 130, "exit status after Ctrl-C (stderr %r)" % err[-300:])
    check("interrupted" in err and "--resume" in err, "says how to continue: %r" % err[-300:])
    written = count_lines(out_path)
    check(5000 <= written < total, "stopped early with complete lines (%d)" % written)
    records = read_jsonl(out_path)                   # every line complete
    check_exact(records, ["int-%d" % n for n in range(written)])
    # without --resume an existing output is refused
    refused = batch(s.gateway.clients, "--in", in_path, "--out", out_path)
    check_equal(refused.returncode, 2, "refuses to overwrite")
    check_equal(count_lines(out_path), written, "output untouched")
    done = batch(s.gateway.clients, "--in", in_path, "--out", out_path, "--resume")
    check_equal(done.returncode, 0, "resume (stderr %r)" % done.stderr[-300:])
    check_exact(read_jsonl(out_path), ["int-%d" % n for n in range(total)])
    # resuming a complete run adds nothing; a different input is refused
    again = batch(s.gateway.clients, "--in", in_path, "--out", out_path, "--resume")
    check_equal(again.returncode, 0, "resume of a finished run (stderr %r)" % again.stderr[-300:])
    check_equal(count_lines(out_path), total, "nothing added")
    other = write_candidates("other.jsonl", 5000, "other")
    wrong = batch(s.gateway.clients, "--in", other, "--out", out_path, "--resume")
    check_equal(wrong.returncode, 2, "a different input is refused (stderr %r)" % wrong.stderr[-300:])
    check("same input" in wrong.stderr, wrong.stderr[-300:])


@runner.test
def gateway_restarted_during_run():
    total = 30000
    s = stack.Stack(matchers=2, heartbeat_ms=250, liveness=3)
    in_path = write_candidates("gw.jsonl", total, "gw")
    out_path = path("gw.out.jsonl")
    process = start_batch(s.gateway.clients, "--in", in_path, "--out", out_path, "--timeout-ms", 1500,
                          "--retries", 20, "--window", 8, "--batch", 100)
    harness.wait_for(lambda: count_lines(out_path) >= 3000 or process.poll() is not None, 240, 0.05,
                     "3,000 results")
    argv = s.gateway.process.argv
    s.gateway.process.kill()
    time.sleep(0.5)
    restarted = harness.spawn("gateway-2", argv)
    rc = process.wait(400)
    check_equal(rc, 0, "exit status (stderr %r)" % stderr_of(process)[-400:])
    check_exact(read_jsonl(out_path), ["gw-%d" % n for n in range(total)])
    check("resent" in stderr_of(process), "the summary counts resends: %r" % stderr_of(process)[-300:])
    check(restarted.alive(), "the new gateway runs")


def resident_bytes(file_path):
    """Bytes of file_path in the page cache (mincore on a mapping)."""
    import ctypes
    import mmap
    size = os.path.getsize(file_path)
    page = os.sysconf("SC_PAGE_SIZE")
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                          ctypes.c_long]
    libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p]
    with open(file_path, "rb") as data:
        address = libc.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, data.fileno(), 0)
        check(address not in (None, ctypes.c_void_p(-1).value), "mmap (errno %d)" % ctypes.get_errno())
        try:
            vector = (ctypes.c_ubyte * ((size + page - 1) // page))()
            rc = libc.mincore(address, size, vector)
            check_equal(rc, 0, "mincore (errno %d)" % ctypes.get_errno())
            return sum(1 for flag in vector if flag & 1) * page
        finally:
            libc.munmap(address, size)


def filesystem_of(file_path):
    """The type of the filesystem holding file_path, from /proc/mounts."""
    best, kind = "", "?"
    real = os.path.realpath(file_path)
    with open("/proc/mounts") as mounts:
        for line in mounts:
            fields = line.split()
            point = fields[1].replace("\\040", " ")
            if (real == point or real.startswith(point.rstrip("/") + "/")) and len(point) >= len(best):
                best, kind = point, fields[2]
    return kind


@runner.test
def big_output_leaves_little_in_the_page_cache():
    # ~5 KB a full result: 12,000 give ~60 MB; what is on disk more than
    # 16 MB behind the end is dropped from the cache as the run goes
    total = 12000
    s = stack.Stack(matchers=1)
    in_path = write_candidates("cache.jsonl", total, "cache", distinct=200)
    out_path = path("cache.out.jsonl")
    done = batch(s.gateway.clients, "--in", in_path, "--out", out_path, "--detail", "full")
    check_equal(done.returncode, 0, "exit status (stderr %r)" % done.stderr[-300:])
    size = os.path.getsize(out_path)
    check(size > 48 << 20, "the output is big enough to tell (%d bytes)" % size)
    kind = filesystem_of(out_path)
    if kind in ("tmpfs", "ramfs"):
        print("    (%s keeps files in memory: the page cache bound is not checked)" % kind)
    else:
        resident = resident_bytes(out_path)         # before reading it back, which caches it
        check(resident < 30 << 20, "%.1f MB of the %.1f MB output still cached" % (
            resident / 2**20, size / 2**20))
    check_exact(read_jsonl(out_path), ["cache-%d" % n for n in range(total)])


@runner.test
def all_jobs_and_usage():
    s = stack.Stack(matchers=1)
    in_path = write_candidates("all.jsonl", 20, "all")
    out_path = path("all.out.jsonl")
    done = batch(s.gateway.clients, "--in", in_path, "--out", out_path, "--all-jobs")
    check_equal(done.returncode, 0, "exit status (stderr %r)" % done.stderr[-300:])
    records = read_jsonl(out_path)
    jobs = []
    for record in records[:10]:
        if record["job"] not in jobs:
            jobs.append(record["job"])
    check(len(jobs) >= 4 and JOB in jobs and DBA in jobs, "every registered job: %r" % jobs)
    check_exact(records, ["all-%d" % n for n in range(20)], jobs)
    usage = batch(s.gateway.clients, "--in", in_path)
    check_equal(usage.returncode, 2, "--out is needed")
    both = batch(s.gateway.clients, "--in", in_path, "--out", path("x"), "--job", JOB, "--all-jobs")
    check_equal(both.returncode, 2, "--job and --all-jobs")
    # --all-jobs on the command line wins over JOBMATCH_JOB, as any option does
    over = subprocess.run(stack.batch_argv(s.gateway.clients, "--in", in_path, "--out", path("over.jsonl"),
                                           "--all-jobs"), capture_output=True, text=True,
                          env=dict(stack.batch_env(), JOBMATCH_JOB=DBA), timeout=120)
    check_equal(over.returncode, 0, "--all-jobs over JOBMATCH_JOB (stderr %r)" % over.stderr[-300:])
    check_equal([(r["candidate"], r["job"]) for r in read_jsonl(path("over.jsonl"))],
                [(r["candidate"], r["job"]) for r in records], "every registered job, not the variable's")
    twice = batch(s.gateway.clients, "--in", in_path, "--out", path("z"), "--job", "%s,%s" % (JOB, DBA),
                  "--job", JOB)
    check(twice.returncode == 2 and "given twice" in twice.stderr, "a job given twice: %r" % twice.stderr)
    missing = batch(s.gateway.clients, "--in", path("nothing-here.jsonl"), "--out", path("y"))
    check_equal(missing.returncode, 2, "a missing input")
    check("nothing-here.jsonl" in missing.stderr, missing.stderr)


if __name__ == "__main__":
    runner.main()
