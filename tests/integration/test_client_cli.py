#!/usr/bin/python3
"""Integration tests for the clients of the job registry and the results:
the `jobmatch` commands that talk to the gateway (jobs put/get/list/delete,
results, rank, best) and the Python example client, proto/examples/client.py,
run end to end so that it cannot rot.  Each test starts what it needs on free
loopback ports: a private redis-server, jobmatch-gateway and two
jobmatch-matcher processes (stack.Stack), or only a gateway.

    tests/integration/test_client_cli.py [NAME-FILTER...]

Prints "ok NAME" or "FAIL NAME: why" per test and "N passed, N failed";
exits 1 when any failed.  Every process is stopped at the end of its test.
"""
import json
import os
import pty
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import stack  # noqa: E402
from harness import TestFailure, check, check_equal  # noqa: E402

runner = harness.Runner(timeout=90)

JOB = "backend-developer"           # a built-in job, the default one
JOBS_SERVICE, RESULTS_SERVICE = "jobmatch.jobs", "jobmatch.results"
CLIENT_PY = os.path.join(harness.ROOT, "proto", "examples", "client.py")
BANDS = ("strong", "good", "partial", "weak")


# --------------------------------------------------------------------------
# Helpers

class Run:
    """What a command did: rc, out, err (text)."""

    def __init__(self, argv, completed):
        self.argv = argv
        self.rc = completed.returncode
        self.out = completed.stdout
        self.err = completed.stderr

    def lines(self):
        return [line for line in self.out.splitlines() if line.strip()]

    def json_lines(self):
        try:
            return [json.loads(line) for line in self.lines()]
        except ValueError as error:
            raise TestFailure("not JSON lines (%s): %r" % (error, self.out[:300]))

    def json(self):
        try:
            return json.loads(self.out)
        except ValueError as error:
            raise TestFailure("not JSON (%s): %r" % (error, self.out[:300]))

    def expect(self, rc, what=None):
        """Fails unless the exit status is rc; returns self."""
        if self.rc != rc:
            raise TestFailure("%s: exit %d, want %d; stderr: %s; stdout: %s" % (
                what or " ".join(self.argv[1:4]), self.rc, rc, self.err.strip()[:300],
                self.out.strip()[:200]))
        return self


def _run(argv, input_text=None, env=None, timeout=60):
    full_env = dict(os.environ)
    full_env.setdefault("JOBMATCH_DATA_DIR", stack.DATA_DIR)
    full_env.pop("JOBMATCH_GATEWAY", None)
    full_env["JOBMATCH_TIMEOUT_MS"] = "30000"      # generous: the machine may be loaded
    full_env.update(env or {})
    completed = subprocess.run(argv, input=input_text, capture_output=True, text=True,
                               env=full_env, timeout=timeout)
    return Run(argv, completed)


def jm(gateway, *args, input_text=None, env=None):
    """Runs build/bin/jobmatch ARGS --gateway GATEWAY (when gateway is not None)."""
    argv = [harness.binary("jobmatch")] + [str(arg) for arg in args]
    if gateway:
        argv += ["--gateway", gateway]
    return _run(argv, input_text, env)


def jm_tty(gateway, *args):
    """Runs build/bin/jobmatch ARGS --gateway GATEWAY with stdout on a
    pseudo-terminal; returns (exit status, what it printed there)."""
    master, slave = pty.openpty()
    env = dict(os.environ, JOBMATCH_DATA_DIR=stack.DATA_DIR, JOBMATCH_TIMEOUT_MS="30000", LANG="C.UTF-8")
    argv = [harness.binary("jobmatch")] + [str(arg) for arg in args] + ["--gateway", gateway]
    process = subprocess.Popen(argv, stdout=slave, stderr=subprocess.PIPE, env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:                 # EIO: the program closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    rc = process.wait(60)
    process.stderr.close()
    return rc, b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


def client_py(gateway, *args, input_text=None):
    """Runs proto/examples/client.py --gateway GATEWAY ARGS with /usr/bin/python3."""
    argv = [harness.PYTHON, CLIENT_PY, "--gateway", gateway, "--timeout", "20"] + [str(a) for a in args]
    return _run(argv, input_text)


def write_file(name, value):
    """Writes value (JSON, or text as it is) to a file in a fresh temp dir; returns its path."""
    folder = tempfile.mkdtemp(prefix="cli-", dir=harness.tmpdir())
    path = os.path.join(folder, name)
    with open(path, "w", encoding="utf-8") as out:
        out.write(value if isinstance(value, str) else json.dumps(value, indent=2))
    return path


def start_stack(**options):
    """redis + gateway + two matchers, with the registry and results services up."""
    the_stack = stack.Stack(matchers=2, **options)
    for service in (JOBS_SERVICE, RESULTS_SERVICE):
        the_stack.gateway.wait_workers(service, 2, timeout=15.0)
    return the_stack


def submit(the_stack, candidates, jobs=None):
    """Scores candidates through jobmatch.match (in requests of 100); returns the results."""
    results = []
    for start in range(0, len(candidates), 100):
        body = {"candidates": candidates[start:start + 100]}
        if jobs:
            body["jobs"] = jobs
        reply = the_stack.match(body, timeout=30.0)
        check(reply.get("ok") is True, "match failed: %r" % reply)
        results += reply["results"]
    return results


def new_job(job_id, weight=3):
    """A small job of our own."""
    return {"id": job_id, "title": "Integration test job",
            "description": "an API developer for the client tests",
            "requirements": [
                {"skill": "Python", "weight": weight, "importance": "required"},
                {"any_of": ["PostgreSQL", "MySQL"], "weight": 2, "importance": "required",
                 "label": "a relational database"},
                {"skill": "Docker", "weight": 1, "importance": "preferred"}]}


# --------------------------------------------------------------------------
# Without the matchers

@runner.test
def no_reply_names_the_gateway_and_the_wait():
    endpoint = "tcp://127.0.0.1:%d" % harness.free_port()
    # exit 2: no answer (try later), not 1 (the service refused the request)
    run = jm(endpoint, "jobs", "list", "--timeout-ms", 300).expect(2)
    check("jobmatch: no reply from the gateway at %s within 300 ms" % endpoint in run.err, run.err)
    check("--offline" in run.err, "jobs list does not point to --offline: %r" % run.err)
    check_equal(run.out, "", "stdout")
    run = jm(None, "rank", JOB, env={"JOBMATCH_GATEWAY": endpoint, "JOBMATCH_TIMEOUT_MS": "200"})
    run.expect(2)
    check("at %s within 200 ms" % endpoint in run.err, "the environment is not used: " + run.err)
    run = jm(None, "results", JOB, "c1", "--timeout-ms", 200, env={"JOBMATCH_GATEWAY": endpoint})
    check("at %s within 200 ms" % endpoint in run.expect(2).err, run.err)
    run = jm(endpoint, "jobs", "get", JOB, env={"JOBMATCH_TIMEOUT_MS": "soon"}).expect(2)
    check("JOBMATCH_TIMEOUT_MS: 'soon' is not an integer (the variable of --timeout-ms)" in run.err, run.err)


@runner.test
def no_workers_is_an_error_reply():
    gateway = harness.start_gateway(no_worker_wait_ms=100)
    for args in (["jobs", "list"], ["rank", JOB], ["results", JOB, "c1"], ["jobs", "get", JOB]):
        run = jm(gateway.clients, *args).expect(2, " ".join(args))     # no answer: try later
        check(run.err.startswith("jobmatch: no_workers: "), "%s: %r" % (args, run.err))
        check(run.out == "", "%s printed %r" % (args, run.out))


@runner.test
def usage_errors_exit_2():
    gateway = "tcp://127.0.0.1:%d" % harness.free_port()    # never reached
    cases = [
        ["rank"], ["rank", JOB, "--limit", "0"], ["rank", JOB, "--limit", "1001"],
        ["rank", JOB, "--offset", "-1"], ["rank", JOB, "--min-score", "abc"],
        ["rank", JOB, "--min-score", "101"], ["rank", JOB, "--band", "excellent"],
        ["rank", JOB, "--json", "--table"], ["rank", JOB, "other-job"],
        ["results", JOB], ["results", JOB, "c1", "c2"], ["results", "--all"],
        ["best"], ["best", "a.json", "--limit", "x"], ["best", "a.json", "--limit", "101"],
        ["jobs", "get"], ["jobs", "delete"], ["jobs", "put"], ["jobs", "get", "a", "b"],
        ["jobs", "list", "--timeout-ms", "0"], ["jobs", "list", "--gateway", ""],
    ]
    for args in cases:
        run = jm(gateway, *args)
        check(run.rc == 2, "%s: exit %d, want 2 (%s)" % (args, run.rc, run.err.strip()[:200]))
        check("--help" in run.err, "%s: no hint to --help: %r" % (args, run.err))
    for args in (["rank", "--help"], ["results", "--help"], ["best", "--help"], ["jobs", "put", "--help"],
                 ["jobs", "get", "--help"], ["jobs", "delete", "--help"]):
        run = jm(None, *args).expect(0, " ".join(args))
        check(run.out.startswith("Usage: jobmatch " + " ".join(args[:-1])), run.out[:100])
        check("Exit status: 0 done; 1 the service refused the request" in run.out,
              "%s: exit status not documented" % args)
    # bad local files are not the service's business: exit 2, nothing sent
    bad = write_file("bad.json", '{"id": "x",\n  "title": }\n')
    run = jm(gateway, "jobs", "put", bad).expect(2)
    check(run.err.startswith(bad + ":2:"), "no line and column: %r" % run.err)
    run = jm(gateway, "best", write_file("two.jsonl", '{"id": "a"}\n{"id": "b"}\n')).expect(2)
    check(":2:1:" in run.err, "a second candidate is not reported: %r" % run.err)
    run = jm(gateway, "jobs", "put", write_file("array.json", [1])).expect(2)
    check("expected one job as a JSON object" in run.err, run.err)
    jm(gateway, "jobs", "put", "/nonexistent/job.json").expect(2)


@runner.test
def offline_jobs_still_work():
    ids = sorted(os.path.splitext(name)[0] for name in os.listdir(os.path.join(stack.DATA_DIR, "jobs"))
                 if name.endswith(".json"))
    run = jm(None, "jobs", "list", "--offline", "--json").expect(0)
    check_equal(sorted(row["id"] for row in run.json_lines()), ids, "offline job ids")
    run = jm(None, "jobs", "list", "--offline").expect(0)
    check(run.lines()[0].split()[:2] == ["ID", "TITLE"], run.out[:100])
    run = jm(None, "jobs", "show", JOB).expect(0)
    check_equal(run.json()["id"], JOB, "jobs show")


@runner.test
def python_example_client_without_matchers():
    gateway = harness.start_gateway(no_worker_wait_ms=100)
    # the gateway answers jobmatch.stats itself: a real round trip
    stats = json.loads(client_py(gateway.clients, "stats").expect(0).out)
    check("requests" in stats and "services" in stats, "stats: %r" % stats)
    run = client_py(gateway.clients, "rank", JOB).expect(2)       # no answer: try later
    check(run.err.startswith("no_workers: "), run.err)
    check_equal(run.out, "", "stdout")
    endpoint = "tcp://127.0.0.1:%d" % harness.free_port()
    run = _run([harness.PYTHON, CLIENT_PY, "--gateway", endpoint, "--timeout", "0.3", "jobs"]).expect(2)
    check("no reply from the gateway at %s within 0.3 s" % endpoint in run.err, run.err)
    run = client_py(gateway.clients, "post-job", write_file("bad.json", '{"id":\n')).expect(2)
    check("line 2 column 1" in run.err, "no line and column: %r" % run.err)
    help_text = _run([harness.PYTHON, CLIENT_PY, "--help"]).expect(0).out
    check(help_text.startswith("usage: client.py"), help_text[:80])


# --------------------------------------------------------------------------
# The job registry

@runner.test
def jobs_list_shows_the_built_in_jobs():
    the_stack = start_stack()
    gateway = the_stack.gateway.clients
    ids = sorted(os.path.splitext(name)[0] for name in os.listdir(os.path.join(stack.DATA_DIR, "jobs"))
                 if name.endswith(".json"))
    rows = jm(gateway, "jobs", "list").expect(0).json_lines()      # not a terminal: JSON lines
    check_equal([row["id"] for row in rows], ids, "registered jobs, sorted by id")
    for row in rows:
        check(row["version"] >= 1 and row["requirements"] > 0 and row["title"], "bad row %r" % row)
        check("candidates" in row and "ranked_version" in row and "rescoring" in row, "missing fields %r" % row)
    table = jm(gateway, "jobs", "list", "--table").expect(0)
    check_equal(table.lines()[0].split(),
                ["ID", "TITLE", "VERSION", "REQUIREMENTS", "CANDIDATES", "RANKED", "RESCORING"], "header")
    check_equal([line.split()[0] for line in table.lines()[1:]], ids, "table rows")
    rc, text = jm_tty(gateway, "jobs", "list")                      # a terminal: a table
    check_equal((rc, text), (0, table.out), "jobs list on a terminal")


@runner.test
def jobs_put_get_list_delete_round_trip():
    the_stack = start_stack()
    gateway = the_stack.gateway.clients
    path = write_file("job.json", dict(new_job("cli-job"), version=41))    # a version given is ignored
    stored = jm(gateway, "jobs", "put", path).expect(0).json()
    check_equal((stored["id"], stored["version"]), ("cli-job", 1), "first put")
    check_equal(stored["requirements"][0].get("skill"), "python", "skills are stored by id")
    again = jm(gateway, "jobs", "put", path).expect(0).json()
    check_equal(again["version"], 2, "a second put raises the version")

    got = jm(gateway, "jobs", "get", "cli-job").expect(0)
    check(got.out.startswith("{\n  "), "not pretty JSON: %r" % got.out[:40])
    job = got.json()
    check_equal((job["id"], job["version"], job["title"]), ("cli-job", 2, "Integration test job"), "get")
    full = jm(gateway, "jobs", "get", "cli-job", "--full").expect(0).json()
    check("ranked_version" in full and "rescoring" in full and full["job"]["id"] == "cli-job", full)

    # what get prints can be put back
    round_trip = jm(gateway, "jobs", "put", "-", input_text=got.out).expect(0).json()
    check_equal(round_trip["version"], 3, "put of get's output")

    listed = {row["id"]: row for row in jm(gateway, "jobs", "list", "--json").expect(0).json_lines()}
    check("cli-job" in listed and listed["cli-job"]["version"] == 3, "list: %r" % listed.get("cli-job"))
    check_equal(listed["cli-job"]["requirements"], 3, "requirements counted")

    run = jm(gateway, "jobs", "delete", "cli-job").expect(0)
    check("cli-job" in run.out, run.out)
    run = jm(gateway, "jobs", "get", "cli-job").expect(1)
    check(run.err.startswith("jobmatch: not_found: "), run.err)
    jm(gateway, "jobs", "delete", "cli-job").expect(1)
    ids = [row["id"] for row in jm(gateway, "jobs", "list", "--json").expect(0).json_lines()]
    check("cli-job" not in ids, "deleted job still listed")


@runner.test
def jobs_put_rejects_unknown_skills_with_suggestions():
    the_stack = start_stack()
    gateway = the_stack.gateway.clients
    job = new_job("cli-bad")
    job["requirements"].append({"skill": "Kubernets", "weight": 1})
    job["requirements"].append({"any_of": ["Docker", "Zorblaxian Framework"], "weight": 1})
    run = jm(gateway, "jobs", "put", write_file("bad-skills.json", job)).expect(1)
    check(run.err.startswith("jobmatch: unknown_skill: "), run.err)
    check("'Kubernets': did you mean 'kubernetes'?" in run.err, "no suggestion: %r" % run.err)
    check("'Zorblaxian Framework'" in run.err, "not every unknown name listed: %r" % run.err)
    jm(gateway, "jobs", "get", "cli-bad").expect(1)        # nothing was stored
    # other validation errors come back as the service words them
    run = jm(gateway, "jobs", "put", write_file("no-id.json", {"title": "x", "requirements": []})).expect(1)
    check(run.err.startswith("jobmatch: "), run.err)


@runner.test
def bad_jobs_are_refused_with_where_and_why():
    the_stack = start_stack()
    gateway = the_stack.gateway.clients
    # invalid UTF-8 never leaves the machine: the file's line and column, exit 2
    path = write_file("latin1.json", "")
    with open(path, "wb") as out:
        out.write(b'{"id": "x",\n "title": "caf\xe9", "requirements": []}')
    run = jm(gateway, "jobs", "put", path).expect(2)
    check(run.err.startswith(path + ":2:") and "invalid_json" in run.err, run.err)
    # what the service refuses: exit 1, with the field it names
    cases = [({"id": "w", "title": "t", "requirements": "Python"}, "requirements"),
             ({"id": "w", "title": "t", "requirements": [{"skill": "Python", "weight": -1}]},
              "requirements[0].weight"),
             ({"id": "w", "title": "t", "requirements": [{"skill": 42}]}, "requirements[0]"),
             ({"id": "x" * 300, "title": "t", "requirements": [{"skill": "Python"}]}, "id")]
    for job, field in cases:
        run = jm(gateway, "jobs", "put", write_file("refused.json", job)).expect(1, field)
        check(run.err.startswith("jobmatch: invalid_request: ") and field in run.err, run.err)
    run = jm(gateway, "jobs", "get", "x" * 1000).expect(1)
    check(run.err.startswith("jobmatch: invalid_request: "), run.err)
    run = jm(gateway, "jobs", "get", "bad\x1bid").expect(1)
    check("\x1b" not in run.err and "bad?id" in run.err, "a control character reached stderr: %r" % run.err)
    # a body over the gateway's limit
    huge = {"id": "huge", "title": "t", "description": "x" * (9 << 20), "requirements": [{"skill": "Python"}]}
    run = jm(gateway, "jobs", "put", write_file("huge.json", huge)).expect(1)
    check(run.err.startswith("jobmatch: too_large: "), run.err)
    the_stack.check_alive()


# --------------------------------------------------------------------------
# Results and rankings

def ranked_stack():
    """A stack with the sample candidates scored for the default job."""
    the_stack = start_stack()
    candidates = stack.sample_candidates()
    submit(the_stack, candidates, [JOB])
    return the_stack, candidates


@runner.test
def rank_pages_filters_and_table():
    the_stack, candidates = ranked_stack()
    gateway = the_stack.gateway.clients
    everything = jm(gateway, "rank", JOB, "--limit", 1000).expect(0).json_lines()
    check_equal(len(everything), len(candidates), "entries")
    check_equal([entry["rank"] for entry in everything], list(range(1, len(candidates) + 1)), "ranks")
    order = [(-entry["score"], [-byte for byte in entry["candidate"].encode()]) for entry in everything]
    check(order == sorted(order), "not best first, ties by candidate id descending (proto/services.md)")
    check_equal(sorted(entry["candidate"] for entry in everything),
                sorted(candidate["id"] for candidate in candidates), "candidates")
    for entry in everything:
        check(entry["band"] in BANDS and " of " in entry["required"] and "name" in entry, "entry %r" % entry)

    default_run = jm(gateway, "rank", JOB).expect(0)
    check_equal(default_run.json_lines(), everything[:20], "default page")
    # the totals, which JSON lines leave out, on stderr
    version = jm(gateway, "jobs", "get", JOB).expect(0).json()["version"]
    check_equal(default_run.err, "showing 1-20 of %d (%d in all), version %d\n"
                % (len(candidates), len(candidates), version), "footer on stderr")
    page = jm(gateway, "rank", JOB, "--offset", 5, "--limit", 5).expect(0).json_lines()
    check_equal(page, everything[5:10], "offset 5, limit 5")

    good = jm(gateway, "rank", JOB, "--min-score", 60, "--limit", 1000).expect(0).json_lines()
    check_equal([entry["candidate"] for entry in good],
                [entry["candidate"] for entry in everything if entry["score"] >= 60], "min score 60")
    for band in BANDS:
        rows = jm(gateway, "rank", JOB, "--band", band, "--limit", 1000).expect(0).json_lines()
        check_equal([entry["candidate"] for entry in rows],
                    [entry["candidate"] for entry in everything if entry["band"] == band], "band " + band)
        check_equal([entry["rank"] for entry in rows], list(range(1, len(rows) + 1)), "ranks within the band")

    table = jm(gateway, "rank", JOB, "--table", "--limit", 10, "--offset", 2).expect(0)
    lines = table.out.splitlines()
    check_equal(lines[0].split(), ["RANK", "CANDIDATE", "NAME", "SCORE", "BAND", "REQUIRED"], "header")
    check_equal(lines[1].split()[:2], ["3", everything[2]["candidate"]], "first row")
    footer = "showing 3-12 of %d (%d in all), version " % (len(candidates), len(candidates))
    check(any(line.startswith(footer) for line in lines), "no footer %r in %r" % (footer, lines[-3:]))
    # the top entry's band (scorer 2.0.0: unstated levels earn 0.75, so the
    # examples may have no strong entry)
    top_band = everything[0]["band"]
    filtered = jm(gateway, "rank", JOB, "--table", "--band", top_band).expect(0)
    in_band = sum(1 for entry in everything if entry["band"] == top_band)
    check("of %d (%d in all)" % (in_band, len(candidates)) in filtered.out, filtered.out[-200:])
    rc, text = jm_tty(gateway, "rank", JOB, "--limit", 10, "--offset", 2)      # a terminal: a table
    check_equal(rc, 0, "rank on a terminal")
    check_equal(text.splitlines()[0].split(), lines[0].split(), "the table on a terminal")
    check("\u2588" in text, "no score bars on a UTF-8 terminal: %r" % text[:300])
    check(any(line.startswith(footer) for line in text.splitlines()), "no footer on the terminal")
    past = jm(gateway, "rank", JOB, "--table", "--offset", 1000).expect(0)
    check("showing none" in past.out, past.out)
    run = jm(gateway, "rank", "no-such-job").expect(1)
    check(run.err.startswith("jobmatch: not_found: ") and "no-such-job" in run.err, run.err)


@runner.test
def results_json_explain_and_all_jobs():
    the_stack, candidates = ranked_stack()
    gateway = the_stack.gateway.clients
    first = candidates[0]["id"]
    entry = [e for e in jm(gateway, "rank", JOB, "--limit", 1000).expect(0).json_lines() if e["candidate"] == first][0]
    run = jm(gateway, "results", JOB, first).expect(0)
    check(run.out.startswith("{\n  "), "not pretty JSON")
    result = run.json()
    check_equal((result["candidate"], result["job"]), (first, JOB), "result ids")
    check_equal((result["score"], result["band"]), (entry["score"], entry["band"]), "result agrees with rank")
    check(result["job_version"] >= 1 and result["requirements"], "result fields")

    explained = jm(gateway, "results", JOB, first, "--explain").expect(0)
    for text in ("Candidate  " + first, "Job        " + JOB, "Score      ", "STATUS", "REQUIREMENT",
                 "CREDIT", "POINTS", "Missing", "Corrections"):
        check(text in explained.out, "--explain lacks %r" % text)
    check_equal(sum(1 for line in explained.out.splitlines() if line.startswith("  met ")
                    or line.startswith("  partial ") or line.startswith("  missing ")
                    or line.startswith("  below level ")), len(result["requirements"]), "one row per requirement")

    run = jm(gateway, "results", JOB, "nobody-at-all").expect(1)
    check(run.err.startswith("jobmatch: not_found: "), run.err)

    submit(the_stack, candidates[:1], ["database-administrator"])
    rows = jm(gateway, "results", "--all", first).expect(0).json_lines()
    check_equal(sorted(row["job"] for row in rows), ["backend-developer", "database-administrator"], "--all")
    table = jm(gateway, "results", "--all", first, "--table").expect(0)
    check_equal(table.lines()[0].split(), ["JOB", "VERSION", "SCORE", "BAND", "REQUIRED"], "--all table")


@runner.test
def best_jobs_for_a_candidate():
    the_stack = start_stack()
    gateway = the_stack.gateway.clients
    candidate = stack.sample_candidates()[0]
    path = write_file("candidate.json", candidate)
    registered = {row["id"]: row for row in jm(gateway, "jobs", "list").expect(0).json_lines()}
    results = jm(gateway, "best", path, "--limit", 2).expect(0).json_lines()
    check_equal(len(results), 2, "--limit 2")
    check(results[0]["score"] >= results[1]["score"], "not best first")
    check(all(result["job"] in registered for result in results), "unknown jobs in %r" % results)
    everything = jm(gateway, "best", "-", "--limit", 100, input_text=json.dumps(candidate)).expect(0).json_lines()
    check_equal(sorted(result["job"] for result in everything), sorted(registered), "every job once")
    check_equal(everything[:2], results, "the top 2 are the first 2 of all")
    table = jm(gateway, "best", path, "--table").expect(0)
    check_equal(table.lines()[0].split(), ["RANK", "JOB", "TITLE", "SCORE", "BAND", "REQUIRED"], "header")
    first_title = registered[everything[0]["job"]]["title"]
    check(first_title in table.lines()[1], "no title %r in %r" % (first_title, table.lines()[1]))
    # nothing is stored
    jm(gateway, "results", everything[0]["job"], candidate["id"]).expect(1)
    run = jm(gateway, "best", write_file("invalid.json", {"id": "x", "skills": "Python"}))
    check_equal(run.rc, 1, "an invalid candidate is the service's error")
    check(run.err.startswith("jobmatch: "), run.err)


@runner.test
def names_are_escaped_in_tables_only():
    the_stack = start_stack()
    gateway = the_stack.gateway.clients
    name = "Eve\x1b[2J\x07 \u202eliam\u202c \x9b31m"
    submit(the_stack, [{"id": "evil-1", "name": name, "skills": ["Python", "Django", "SQL"]}], [JOB])
    table = jm(gateway, "rank", JOB, "--table").expect(0)
    for bad in ("\x1b", "\x07", "\u202e", "\u202c", "\x9b"):
        check(bad not in table.out, "%r reached the terminal" % bad)
    check("Eve?[2J?" in table.out, "name not shown with ? marks: %r" % table.out)
    rows = jm(gateway, "rank", JOB, "--json").expect(0).json_lines()
    check_equal(rows[0]["name"], name, "JSON keeps the name")
    explained = jm(gateway, "results", JOB, "evil-1", "--explain").expect(0)
    check("\x1b" not in explained.out and "\u202e" not in explained.out, "--explain leaks controls")


@runner.test
def a_changed_job_is_re_ranked_under_its_new_version():
    the_stack = start_stack()
    gateway = the_stack.gateway.clients
    path = write_file("job.json", new_job("cli-rescore", weight=3))
    jm(gateway, "jobs", "put", path).expect(0)
    candidates = stack.sample_candidates()
    submit(the_stack, candidates, ["cli-rescore"])
    before = jm(gateway, "rank", "cli-rescore", "--limit", 1000).expect(0).json_lines()
    check_equal(len(before), len(candidates), "ranked before the change")
    with open(path, "w") as out:
        json.dump(new_job("cli-rescore", weight=1), out)
    put = jm(gateway, "jobs", "put", path).expect(0)
    check_equal(put.json()["version"], 2, "new version")
    check("re-scoring %d ranked candidates against version 2" % len(candidates) in put.err,
          "no word of the re-scoring: %r" % put.err)

    def flipped():
        rows = jm(gateway, "jobs", "list", "--json").expect(0).json_lines()
        row = [r for r in rows if r["id"] == "cli-rescore"][0]
        return row if row["ranked_version"] == 2 and row["rescoring"] is None else None
    row = harness.wait_for(flipped, 30.0, 0.2, "the ranking of version 2")
    check_equal(row["candidates"], len(candidates), "candidates after re-scoring")
    table = jm(gateway, "rank", "cli-rescore", "--table").expect(0)
    check("), version 2" in table.out, "footer does not say version 2: %r" % table.out[-200:])
    check("re-scoring" not in table.out, "still re-scoring: %r" % table.out[-200:])
    after = jm(gateway, "rank", "cli-rescore", "--limit", 1000).expect(0).json_lines()
    check_equal(len(after), len(candidates), "ranked after the change")
    for entry in after[:5]:
        result = jm(gateway, "results", "cli-rescore", entry["candidate"]).expect(0).json()
        check_equal(result["job_version"], 2, "job_version of %s" % entry["candidate"])
        check_equal(result["score"], entry["score"], "score of %s" % entry["candidate"])


# --------------------------------------------------------------------------
# The Python example client

@runner.test
def python_example_client_end_to_end():
    the_stack = start_stack()
    gateway = the_stack.gateway.clients
    job_path = write_file("job.json", new_job("py-job"))
    stored = json.loads(client_py(gateway, "post-job", job_path).expect(0).out)
    check_equal((stored["id"], stored["version"]), ("py-job", 1), "post-job")
    check("py-job" in [row["id"] for row in client_py(gateway, "jobs").expect(0).json_lines()], "jobs")
    check_equal(json.loads(client_py(gateway, "get-job", "py-job").expect(0).out)["version"], 1, "get-job")

    candidates = stack.sample_candidates()
    samples = write_file("candidates.jsonl", "".join(json.dumps(c) + "\n" for c in candidates))
    results = client_py(gateway, "submit", samples, "--job", "py-job", "--job", JOB).expect(0).json_lines()
    check_equal(len(results), 2 * len(candidates), "one result per candidate and job")
    check_equal([(r["candidate"], r["job"]) for r in results[:2]],
                [(candidates[0]["id"], "py-job"), (candidates[0]["id"], JOB)], "results in input order")

    run = client_py(gateway, "rank", "py-job", "--limit", 5, "--offset", 1).expect(0)
    page = run.json_lines()
    check_equal([entry["rank"] for entry in page], [2, 3, 4, 5, 6], "rank page")
    check("showing 2-6 of %d" % len(candidates) in run.err, run.err)
    cli_page = jm(gateway, "rank", "py-job", "--limit", 5, "--offset", 1).expect(0).json_lines()
    check_equal(page, cli_page, "client.py and the CLI agree")

    result = json.loads(client_py(gateway, "result", "py-job", page[0]["candidate"]).expect(0).out)
    check_equal(result["score"], page[0]["score"], "result")
    rows = client_py(gateway, "results", page[0]["candidate"]).expect(0).json_lines()
    check({"py-job", JOB} <= {row["job"] for row in rows}, "results across jobs: %r" % rows)
    best = client_py(gateway, "best", write_file("one.json", candidates[0]), "--limit", 3).expect(0).json_lines()
    check(len(best) == 3 and best[0]["score"] >= best[-1]["score"], "best: %r" % best)
    stats = json.loads(client_py(gateway, "stats").expect(0).out)
    check(stats["requests"] > 0 and RESULTS_SERVICE in stats["services"], "stats")

    bad = dict(new_job("py-bad"))
    bad["requirements"] = [{"skill": "Kubernets"}]
    run = client_py(gateway, "post-job", write_file("bad.json", bad)).expect(1)
    check(run.err.startswith("unknown_skill: ") and "kubernetes" in run.err, run.err)
    client_py(gateway, "delete-job", "py-job").expect(0)
    run = client_py(gateway, "get-job", "py-job").expect(1)
    check(run.err.startswith("not_found: "), run.err)


@runner.test
def python_example_client_as_a_module():
    the_stack = start_stack()
    code = r"""
import json, sys
sys.path.insert(0, sys.argv[2])
from client import JobmatchClient, JobmatchError
with JobmatchClient(sys.argv[1], timeout=20) as jobmatch:
    job = jobmatch.put_job({"id": "mod-job", "title": "t", "requirements": [{"skill": "Go", "weight": 2}]})
    assert job["version"] == 1, job
    ids = [jobmatch.send("jobmatch.jobs", {"op": "get", "id": "mod-job"}) for _ in range(5)]
    seen = set()
    while len(seen) < 5:
        request_id, body = jobmatch.recv()
        assert body["ok"] and body["job"]["id"] == "mod-job", body
        seen.add(request_id)
    assert seen == set(ids), (seen, ids)
    results = jobmatch.submit([{"id": "m%d" % i, "skills": [{"name": "Go", "level": 5}]} for i in range(2500)],
                              jobs=["mod-job"])
    assert [r["candidate"] for r in results] == ["m%d" % i for i in range(2500)]
    page = jobmatch.rank("mod-job", limit=3, band="strong")
    assert page["total"] == 2500 and len(page["entries"]) == 3, page
    try:
        jobmatch.result("mod-job", "nobody")
        raise SystemExit("no error for a missing result")
    except JobmatchError as error:
        assert error.code == "not_found", error.code
    # ids are strings, never numbers: refused before sending, with the
    # code and the field the services name
    refused = [(lambda: jobmatch.result("mod-job", 42), "candidate must be a string"),
               (lambda: jobmatch.result(7, "m1"), "job must be a string"),
               (lambda: jobmatch.candidate_results(42), "candidate must be a string"),
               (lambda: jobmatch.rank(7), "job must be a string"),
               (lambda: jobmatch.get_job(7), "id must be a string"),
               (lambda: jobmatch.delete_job(7), "id must be a string"),
               (lambda: jobmatch.put_job({"id": 7, "title": "t"}), "job.id must be a string"),
               (lambda: jobmatch.best({"id": 42, "skills": [{"name": "Go"}]}), "candidate id must be a string"),
               (lambda: jobmatch.submit([{"id": "m1"}], jobs=[7]), "jobs[0] must be a string"),
               (lambda: jobmatch.result("mod-job", "x" * 129), "candidate must be a string of 1 to 128")]
    for call, words in refused:
        try:
            call()
            raise SystemExit("no error: %s" % words)
        except JobmatchError as error:
            assert error.code == "invalid_request" and words in error.message, (error.code, error.message)
    # and the services refuse them the same way when they get there
    for op, body, words in [("best", {"candidate": {"id": 42, "skills": [{"name": "Go"}]}},
                             "candidate id must be a string"),
                            ("candidate", {"candidate": 42}, "candidate must be a string"),
                            ("result", {"job": "mod-job", "candidate": 42}, "candidate must be a string")]:
        body["op"] = op
        try:
            jobmatch.request("jobmatch.results", body)
            raise SystemExit("jobmatch.results %s took an integer id" % op)
        except JobmatchError as error:
            assert error.code == "invalid_request" and words in error.message, (op, error.code, error.message)
    items = jobmatch.submit([{"id": 42, "skills": [{"name": "Go"}]}, {"id": "m1", "skills": [{"name": "Go"}]}],
                            jobs=["mod-job"])
    assert items[0]["error"]["code"] == "invalid_request" and "candidate id must be a string" in \
        items[0]["error"]["message"], items[0]
    assert items[1]["candidate"] == "m1" and "score" in items[1], items[1]
print("done")
"""
    run = _run([harness.PYTHON, "-c", code, the_stack.gateway.clients, os.path.dirname(CLIENT_PY)]).expect(0)
    check_equal(run.out.strip(), "done", "module use")


if __name__ == "__main__":
    runner.main()
