#!/usr/bin/python3
"""--log-format json on every program: each line a gateway, a matcher and
a dashboard write (at debug level, with hostile ids and bodies that make them log
warnings) is one JSON object with the text line's fields; the CLI takes
--log-format and JOBMATCH_LOG_FORMAT; a bad value is refused.

    tests/integration/test_log_format.py [NAME-FILTER...]

Prints "ok NAME" or "FAIL NAME: why" per test and "N passed, N failed".
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, check_equal  # noqa: E402
from stack import DATA_DIR, MATCH, Stack, make_candidate  # noqa: E402

runner = harness.Runner(timeout=120)
FIELDS = ["time", "program", "pid", "level", "message"]
LEVELS = {"error", "warning", "info", "debug"}


def check_json_lines(process, program):
    """Every line of process's log parses as a record of program; returns
    the records."""
    with open(process.log_path, "rb") as log:
        raw = log.read()
    records = []
    for number, line in enumerate(raw.split(b"\n")[:-1], 1):
        try:
            record = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise harness.TestFailure("%s line %d is not JSON (%s): %r" % (program, number, error, line[:200]))
        check_equal(list(record), FIELDS, "%s line %d fields" % (program, number))
        check_equal(record["program"], program, "program")
        check(record["pid"] == process.popen.pid, "pid %r, want %d" % (record["pid"], process.popen.pid))
        check(record["level"] in LEVELS, "level %r" % record["level"])
        check(record["time"].endswith("Z") and len(record["time"]) == 24, "time %r" % record["time"])
        records.append(record)
    check(raw.endswith(b"\n"), "%s log ends mid-line" % program)
    return records


def s_get(port, path):
    """The status of GET path on the dashboard, or None when it does not answer."""
    import http.client
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("GET", path)
        return connection.getresponse().status
    except OSError:
        return None


@runner.test
def json_logs_parse_for_gateway_matcher_and_dashboard():
    stack = Stack(matchers=1, log_format="json", verbose=True,
                  matcher_options={"log_format": "json", "verbose": True})
    candidate = make_candidate(1)
    candidate["id"] = 'say "hi"\\ \t\x01 caf\u00e9'
    stack.match({"candidate": candidate, "jobs": ["backend-developer"]})
    client = stack.gateway.client()
    #  Bodies that are not JSON, or not UTF-8: the matcher answers an error and logs them
    for body in (b'{"candidate": "\xff\xfe\x00\x1b[31m"', b"\x80\"\\", b"{" * 5000):
        client.request(MATCH, body, timeout=10.0)
    #  Request ids and a service name the gateway logs as they come
    for request_id, service in ((b'id "q" \\ \x01\x1b\xff\xc3', MATCH), (b"id-2", b'no"such\x00\x80svc')):
        client.send(service, request_id, b"{}")
        client.recv(timeout=10.0)
    port = harness.free_port()
    dashboard = harness.spawn("dashboard", [
        harness.binary("jobmatch-dashboard"), "--listen", "127.0.0.1:%d" % port, "--gateway",
        stack.gateway.clients, "--redis", stack.redis.url_for("dashboard") + "/0", "--data", DATA_DIR,
        "--log-format", "json", "--verbose"])
    harness.wait_for(lambda: s_get(port, "/livez") == 200, 10.0, 0.1, "the dashboard to serve")
    s_get(port, '/api/v1/jobs/x%22%01%ff%5c')
    dashboard.stop()
    check_json_lines(dashboard, "jobmatch-dashboard")
    matcher = stack.matchers[0]
    matcher.stop()
    stack.gateway.stop()
    gateway_records = check_json_lines(stack.gateway.process, "jobmatch-gateway")
    matcher_records = check_json_lines(matcher, "jobmatch-matcher")
    levels = {record["level"] for record in gateway_records + matcher_records}
    check({"info", "debug"} <= levels, "levels seen: %s" % sorted(levels))
    check(any("stopping" in record["message"] for record in matcher_records), "no stop record")


@runner.test
def bad_log_format_is_refused():
    for program in ("jobmatch-gateway", "jobmatch-matcher", "jobmatch-dashboard"):
        done = subprocess.run([harness.binary(program), "--log-format", "xml"], capture_output=True,
                              timeout=10)
        check_equal(done.returncode, 2, "%s exit status" % program)
        check(b"log-format" in done.stderr, "%s says: %r" % (program, done.stderr[:200]))
    done = subprocess.run([harness.binary("jobmatch"), "--log-format", "xml", "skills", "list"],
                          capture_output=True, timeout=10)
    check_equal(done.returncode, 2, "jobmatch exit status")
    check(b"--log-format" in done.stderr, "jobmatch says: %r" % done.stderr[:200])
    env = dict(os.environ, JOBMATCH_LOG_FORMAT="yaml")
    done = subprocess.run([harness.binary("jobmatch"), "skills", "list"], capture_output=True,
                          timeout=10, env=env)
    check_equal(done.returncode, 2, "jobmatch exit status with JOBMATCH_LOG_FORMAT=yaml")


@runner.test
def cli_logs_json():
    for argv, env in (([harness.binary("jobmatch"), "--log-format", "json"], {}),
                      ([harness.binary("jobmatch")], {"JOBMATCH_LOG_FORMAT": "json"})):
        done = subprocess.run(argv + ["--verbose", "--data", DATA_DIR, "skills", "list"],
                              capture_output=True, timeout=30, env=dict(os.environ, **env))
        check_equal(done.returncode, 0, "jobmatch skills list: %r" % done.stderr[-300:])
        lines = done.stderr.decode().splitlines()
        check(lines, "no log lines")
        for line in lines:
            record = json.loads(line)
            check_equal(list(record), FIELDS, "fields")
            check_equal(record["program"], "jobmatch", "program")


if __name__ == "__main__":
    runner.main()
