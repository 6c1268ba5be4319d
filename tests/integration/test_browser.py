#!/usr/bin/python3
"""The dashboard's page in a real browser: starts a private redis-server,
jobmatch-gateway, two jobmatch-matcher processes and jobmatch-dashboard
(with a token) on free loopback ports, scores the sample candidates, then
runs tests/e2e/dashboard.e2e.js in headless Chromium (Debian's chromium,
driven by playwright-core from npm): picks a job, checks the rows against
the API, pages, filters, searches, opens a breakdown, scores candidates
through the form, checks escaping of submitter text, the job editor's
autocomplete and the live refresh.  Screenshots (dashboard.png,
escaping.png) go to $JM_BIN/../test-output/browser/ and stay there.

    tests/integration/test_browser.py

Prints the browser's "ok NAME" / "FAIL NAME" lines and "N passed, N failed".
Needs /usr/bin/chromium and node_modules/playwright-core (tests/deps.sh
installs both).
"""
import os
import subprocess
import sys
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
import harness  # noqa: E402
from stack import Stack, sample_candidates  # noqa: E402
from dashstack import Dashboard  # noqa: E402

JOB = "backend-developer"
SCRIPT = os.path.join(harness.ROOT, "tests", "e2e", "dashboard.e2e.js")


def main():
    missing = [what for what, path in
               [("chromium", "/usr/bin/chromium"), ("node", "/usr/bin/node"),
                ("playwright-core", os.path.join(harness.ROOT, "node_modules", "playwright-core"))]
               if not os.path.exists(path)]
    if missing:
        print("FAIL browser: missing %s (run tests/deps.sh)" % ", ".join(missing))
        print("0 passed, 1 failed")
        return 1
    # kept after the run, next to the binaries (build*/ is not versioned)
    bin_dir = os.environ.get("JM_BIN") or os.path.join(harness.ROOT, "build", "bin")
    out_dir = os.path.join(os.path.dirname(os.path.abspath(bin_dir)), "test-output", "browser")
    os.makedirs(out_dir, exist_ok=True)
    stack = Stack(matchers=2)
    dashboard = Dashboard(stack, token="e2e-token")
    response = dashboard.request("POST", "/api/v1/match",
                                 {"candidates": sample_candidates(), "jobs": [JOB]})
    if response.status != 200:
        print("FAIL setup: scoring the samples answered %r" % response)
        print("0 passed, 1 failed")
        return 1
    env = dict(os.environ, DASH_URL=dashboard.url, DASH_TOKEN=dashboard.token, DASH_JOB=JOB,
               OUT_DIR=out_dir)
    try:
        run = subprocess.run(["node", SCRIPT], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, timeout=600)
        output, code = run.stdout, run.returncode
    except subprocess.TimeoutExpired as error:
        output, code = (error.stdout or b"").decode() if isinstance(error.stdout, bytes) \
            else (error.stdout or ""), 1
        output += "\nFAIL browser: timed out\n"
    lines = output.rstrip().splitlines()
    summary = [line for line in lines if line.endswith(" failed") and " passed, " in line]
    for line in lines:
        if line not in summary:
            print(line)
    alive = dashboard.alive() and all(matcher.alive() for matcher in stack.matchers)
    if not alive:
        print("FAIL processes: a service exited during the browser test")
    if code != 0 or not alive:
        for line in harness.log_tails():
            print("    " + line, file=sys.stderr)
    if summary:
        passed, failed = [int(part.split()[0]) for part in summary[-1].split(", ")]
    else:
        passed, failed = 0, 1
    failed += 0 if alive else 1
    if failed:
        harness._failed = True          # keep the services' logs
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 and code == 0 else 1


if __name__ == "__main__":
    try:
        status = main()
    finally:
        harness._run_cleanups(harness._scope[0])
    sys.exit(status)
