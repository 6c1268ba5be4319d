#!/usr/bin/python3
"""Cross-site requests and DNS rebinding against the dashboard, in a real
browser: starts a private redis-server, jobmatch-gateway, a matcher and
jobmatch-dashboard without --token (the default) on free loopback ports,
and another origin (python3 -m http.server on another port) serving an
attack page; runs tests/e2e/security.e2e.js in headless Chromium
(playwright-core), whose attack page posts candidates to the dashboard by
no-cors fetch, CORS fetch and forms, and which opens the dashboard as
http://evil.test:PORT/ (mapped to 127.0.0.1 like a rebinding DNS name).
Then checks Redis: none of the attackers' candidates is stored, while the
dashboard's own page's JSON write is.

    tests/integration/test_browser_security.py

Prints the browser's "ok NAME" / "FAIL NAME" lines, one per Redis check,
and "N passed, N failed".  Needs /usr/bin/chromium and
node_modules/playwright-core (tests/deps.sh installs both).
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
import harness  # noqa: E402
from stack import Stack, rank_key, read_record, result_key  # noqa: E402
from dashstack import Dashboard  # noqa: E402

JOB = "backend-developer"
SCRIPT = os.path.join(harness.ROOT, "tests", "e2e", "security.e2e.js")

# The attack page.  The text/plain form is the classic way to post JSON
# cross-site: name + "=" + value makes {"candidate": ..., "x": "="}.
ATTACK_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Totally a job board</title></head>
<body>
<iframe name="sink-plain"></iframe><iframe name="sink-url"></iframe>
<form id="plain" method="POST" action="%(dash)s/api/v1/match" enctype="text/plain" target="sink-plain">
<input type="hidden" name='%(plain_name)s' value='%(plain_value)s'></form>
<form id="url" method="POST" action="%(dash)s/api/v1/match" target="sink-url">
<input type="hidden" name="candidate" value='%(url_value)s'></form>
<script>
window.attackOutcome = {};
const body = (id) => JSON.stringify({candidate: {id: id, skills: ["Python", "PostgreSQL"]},
                                     jobs: ["%(job)s"]});
(async () => {
    try {
        await fetch("%(dash)s/api/v1/match", {method: "POST", mode: "no-cors",
            headers: {"Content-Type": "text/plain"}, body: body("csrf-fetch")});
        window.attackOutcome.noCors = "sent";
    } catch (error) { window.attackOutcome.noCors = "rejected " + error; }
    try {
        const reply = await fetch("%(dash)s/api/v1/match", {method: "POST",
            headers: {"Content-Type": "application/json"}, body: body("csrf-cors")});
        window.attackOutcome.cors = "answered " + reply.status;
    } catch (error) { window.attackOutcome.cors = "rejected " + error; }
    document.getElementById("plain").submit();
    document.getElementById("url").submit();
    setTimeout(() => { window.attackDone = true; }, 1500);
})();
</script></body></html>
"""


def stored(redis, candidate_id):
    if redis.exists(result_key(JOB, candidate_id)) or read_record(redis, JOB, candidate_id):
        return True
    return any(redis.zscore(key, candidate_id) is not None
               for key in redis.scan_iter(match=rank_key(JOB, "*")))


def main():
    missing = [what for what, path in
               [("chromium", "/usr/bin/chromium"), ("node", "/usr/bin/node"),
                ("playwright-core", os.path.join(harness.ROOT, "node_modules", "playwright-core"))]
               if not os.path.exists(path)]
    if missing:
        print("FAIL browser: missing %s (run tests/deps.sh)" % ", ".join(missing))
        print("0 passed, 1 failed")
        return 1
    bin_dir = os.environ.get("JM_BIN") or os.path.join(harness.ROOT, "build", "bin")
    out_dir = os.path.join(os.path.dirname(os.path.abspath(bin_dir)), "test-output", "browser")
    os.makedirs(out_dir, exist_ok=True)
    stack = Stack(matchers=1)
    dashboard = Dashboard(stack)
    # the other origin: a plain static server on another port
    site = os.path.join(harness.tmpdir(), "evil-site")
    os.makedirs(site, exist_ok=True)
    plain_json = json.dumps({"candidate": {"id": "csrf-form", "skills": ["Python"]}, "jobs": [JOB]})
    with open(os.path.join(site, "csrf.html"), "w") as page:
        page.write(ATTACK_PAGE % {
            "dash": dashboard.url, "job": JOB,
            "plain_name": plain_json[:-1] + ', "x": "', "plain_value": '"}',
            "url_value": json.dumps({"id": "csrf-urlform", "skills": ["Python"]})})
    evil_port = harness.free_port()
    evil = harness.spawn("evil-site", [sys.executable, "-m", "http.server", str(evil_port),
                                       "--bind", "127.0.0.1", "--directory", site])
    harness.wait_for(lambda: _answers(evil_port), 10.0, 0.05, "the other origin's server")
    env = dict(os.environ, DASH_URL=dashboard.url, DASH_PORT=str(dashboard.port),
               EVIL_URL="http://127.0.0.1:%d/csrf.html" % evil_port, OUT_DIR=out_dir)
    try:
        run = subprocess.run(["node", SCRIPT], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, timeout=300)
        output, code = run.stdout, run.returncode
    except subprocess.TimeoutExpired as error:
        output = error.stdout.decode() if isinstance(error.stdout, bytes) else (error.stdout or "")
        output, code = output + "\nFAIL browser: timed out\n", 1
    passed = failed = 0
    expectations = []
    for line in output.rstrip().splitlines():
        if line.endswith(" failed") and " passed, " in line:
            counts = [int(part.split()[0]) for part in line.split(", ")]
            passed, failed = passed + counts[0], failed + counts[1]
        elif line.startswith("stored? "):
            _, candidate_id, want = line.split()
            expectations.append((candidate_id, want == "yes"))
        else:
            print(line)
    if not expectations:
        print("FAIL redis: the browser script named no candidates to look for")
        failed += 1
    redis = stack.redis.client()
    for candidate_id, want in expectations:
        got = stored(redis, candidate_id)
        if got == want:
            passed += 1
            print("ok redis_%s_%s" % ("holds" if want else "lacks", candidate_id))
        else:
            failed += 1
            print("FAIL redis: %s is %sstored" % (candidate_id, "" if got else "not "))
    alive = dashboard.alive() and evil.alive()
    if not alive:
        print("FAIL processes: the dashboard or the other origin exited")
        failed += 1
    if code != 0 and failed == 0:
        failed += 1
        print("FAIL browser: node exited %d" % code)
    if failed:
        harness._failed = True
        for line in harness.log_tails():
            print("    " + line, file=sys.stderr)
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


def _answers(port):
    import urllib.request
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/csrf.html" % port, timeout=2) as reply:
            return reply.status == 200
    except OSError:
        return False


if __name__ == "__main__":
    try:
        status = main()
    finally:
        harness._run_cleanups(harness._scope[0])
    sys.exit(status)
