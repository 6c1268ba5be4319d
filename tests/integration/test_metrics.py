#!/usr/bin/python3
"""Integration tests for the gateway's and the matcher's own /metrics,
/livez and /readyz (--metrics-listen; issue 19, item 2).

    tests/integration/test_metrics.py [NAME-FILTER...]

Scrapes both and parses the Prometheus text format strictly (every sample
has a HELP and TYPE, names and labels well formed, values numbers, each
series once); counters rise after requests; histogram buckets are
cumulative and end at +Inf equal to _count; /readyz on a matcher is 503
while Redis is down or no gateway hears it, on a gateway while it stops; hostile HTTP (long URL, bad
method, unknown path) is answered; without --metrics-listen nothing listens;
bad addresses are refused at start.  Also checks docker/alerts.yml and
docker/grafana-dashboard.json name only metrics the programs export.
Prints "ok NAME" or "FAIL NAME: why" per test and "N passed, N failed".
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import harness  # noqa: E402
import stack  # noqa: E402
from harness import check, check_equal  # noqa: E402

runner = harness.Runner(timeout=120)
JOB = "backend-developer"
NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\.)*)"'
SAMPLE = re.compile(r"^(%s)(?:\{(.*)\})? (\S+)$" % NAME)
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


def get(port, path, method="GET"):
    """(status, body text) of an HTTP request to 127.0.0.1:port; status 0
    when nothing listens."""
    request = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except urllib.error.URLError:
        return 0, ""


def parse(text):
    """Parses exposition text strictly: {(name, labels tuple): value} and
    {family: type}.  Fails on anything malformed."""
    samples, types, helps = {}, {}, set()
    for number, line in enumerate(text.splitlines(), 1):
        where = "line %d %r" % (number, line[:120])
        if line.startswith("# HELP "):
            parts = line.split(" ", 3)
            check(len(parts) == 4 and re.fullmatch(NAME, parts[2]), "bad HELP at " + where)
            check(parts[2] not in helps, "second HELP for %s at %s" % (parts[2], where))
            helps.add(parts[2])
            continue
        if line.startswith("# TYPE "):
            parts = line.split(" ")
            check(len(parts) == 4 and parts[3] in TYPES, "bad TYPE at " + where)
            check(parts[2] not in types, "second TYPE for %s at %s" % (parts[2], where))
            types[parts[2]] = parts[3]
            continue
        check(not line.startswith("#") and line, "stray line at " + where)
        match = SAMPLE.match(line)
        check(match, "malformed sample at " + where)
        name, label_text, value = match.groups()
        labels = []
        if label_text:
            check(re.fullmatch(r"%s(,%s)*" % (LABEL, LABEL), label_text),
                  "malformed labels at " + where)
            labels = re.findall(LABEL, label_text)
            keys = [key for key, _ in labels]
            check(len(keys) == len(set(keys)), "a label twice at " + where)
        float(value)                        # raises on a bad value
        family = re.sub(r"_(bucket|sum|count)$", "", name) if name not in types else name
        check(family in types, "sample before its TYPE at " + where)
        check(family in helps, "sample without HELP at " + where)
        key = (name, tuple(sorted(labels)))
        check(key not in samples, "series twice at " + where)
        samples[key] = float(value)
    return samples, types


def value(samples, metric, **labels):
    """The value of the one series of metric whose labels include labels."""
    found = [v for (n, ls), v in samples.items()
             if n == metric and all((k, str(w)) in ls for k, w in labels.items())]
    check(len(found) == 1, "%d series %s%r" % (len(found), metric, labels))
    return found[0]


def check_histograms(samples, types):
    """Every histogram's buckets rise, end at +Inf, and +Inf equals _count."""
    for family, kind in types.items():
        if kind != "histogram":
            continue
        groups = {}
        for (name, labels), v in samples.items():
            if name == family + "_bucket":
                rest = tuple(l for l in labels if l[0] != "le")
                le = dict(labels)["le"]
                groups.setdefault(rest, []).append((float("inf") if le == "+Inf" else float(le), v))
        for rest, buckets in groups.items():
            buckets.sort()
            counts = [count for _, count in buckets]
            check(counts == sorted(counts), "%s%r buckets not cumulative: %r" % (family, rest, counts))
            check(buckets[-1][0] == float("inf"), "%s%r ends at +Inf" % (family, rest))
            count = samples[(family + "_count", rest)]
            check_equal(buckets[-1][1], count, "%s%r +Inf bucket against _count" % (family, rest))


def scrape(port):
    status, text = get(port, "/metrics")
    check_equal(status, 200, "/metrics status")
    samples, types = parse(text)
    check_histograms(samples, types)
    return samples, types


def metrics_stack(matchers=1, **matcher_options):
    gateway_port, matcher_port = harness.free_port(), harness.free_port()
    # the gateway's name through the environment (Stack's own name argument is taken)
    os.environ["JOBMATCH_NAME"] = "gw-test"
    try:
        s = stack.Stack(matchers=0, metrics_listen="127.0.0.1:%d" % gateway_port)
    finally:
        del os.environ["JOBMATCH_NAME"]
    options = {"metrics_listen": "127.0.0.1:%d" % matcher_port, "name": "matcher-test"}
    options.update(matcher_options)
    if matchers:
        s.start_matcher(**options)
        s.gateway.wait_workers(stack.MATCH, 1, timeout=30.0)
    return s, gateway_port, matcher_port


def wait_scrape(port, predicate, what, timeout=10.0):
    found = {}

    def done():
        found["samples"], found["types"] = scrape(port)
        return predicate(found["samples"])
    harness.wait_for(done, timeout, 0.2, what)
    return found["samples"], found["types"]


@runner.test
def counters_rise_and_histograms_hold():
    s, gateway_port, matcher_port = metrics_stack()
    wait_scrape(matcher_port, lambda m: value(m, "jobmatch_ready") == 1, "the matcher ready")
    before_gw, types = scrape(gateway_port)
    before_m, _ = scrape(matcher_port)
    for family in ("process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds",
                   "process_max_fds", "process_start_time_seconds"):
        check(family in types, "gateway exports " + family)
        check(value(before_m, family, name="matcher-test") >= 0, "matcher " + family)
    check(value(before_gw, "process_resident_memory_bytes") > 1e6, "resident memory in bytes")
    check(all(("name", "gw-test") in labels for (_, labels) in before_gw),
          "every gateway sample has name=\"gw-test\"")
    check_equal(types.get("jobmatch_gateway_requests_total"), "counter", "requests type")
    client = s.gateway.client()
    for serial in range(5):
        reply = s.match(stack.body(stack.make_candidate(serial, "m"), jobs=[JOB]), client=client)
        check("results" in reply, "a match reply: %r" % reply)

    def risen(samples):
        return value(samples, "jobmatch_matcher_requests_total") \
            >= value(before_m, "jobmatch_matcher_requests_total") + 5
    after_m, _ = wait_scrape(matcher_port, risen, "matcher requests counted")
    after_gw, _ = wait_scrape(gateway_port, lambda m: value(m, "jobmatch_gateway_replies_total")
                              >= value(before_gw, "jobmatch_gateway_replies_total") + 5,
                              "gateway replies counted")
    check(value(after_gw, "jobmatch_request_duration_seconds_count", service=stack.MATCH) >= 5,
          "gateway latency histogram counted the requests")
    check(value(after_m, "jobmatch_request_duration_seconds_count", service=stack.MATCH) >= 5,
          "matcher latency histogram counted the requests")
    check(value(after_m, "jobmatch_matcher_results_total") >= 5, "results counted")
    check(not any(name.endswith("_ratio") for (name, _) in after_m), "no precomputed ratios")


@runner.test
def readyz_and_livez_mean_what_they_say():
    s, gateway_port, matcher_port = metrics_stack()
    check_equal(get(gateway_port, "/livez")[0], 200, "gateway /livez")
    check_equal(get(gateway_port, "/readyz"), (200, "ready\n"), "gateway /readyz")
    harness.wait_for(lambda: get(matcher_port, "/readyz")[0] == 200, 10, 0.1, "matcher ready")
    check_equal(get(matcher_port, "/livez")[0], 200, "matcher /livez")
    s.redis.stop()
    harness.wait_for(lambda: get(matcher_port, "/readyz")[0] == 503, 10, 0.1,
                     "matcher not ready with Redis down")
    status, text = get(matcher_port, "/readyz")
    check("Redis" in text, "the reason names Redis: %r" % text)
    check_equal(get(matcher_port, "/livez")[0], 200, "matcher still live with Redis down")
    samples, _ = scrape(matcher_port)
    check_equal(value(samples, "jobmatch_matcher_redis_up"), 0.0, "redis_up with Redis down")
    check_equal(value(samples, "jobmatch_ready"), 0.0, "jobmatch_ready with Redis down")


@runner.test
def matcher_without_gateway_is_not_ready():
    port = harness.free_port()
    redis = harness.start_redis()
    argv = [harness.binary("jobmatch-matcher"), "--gateway", "tcp://127.0.0.1:%d" % harness.free_port(),
            "--redis", redis.url_for("matcher") + "/0", "--data", stack.DATA_DIR,
            "--metrics-listen", "127.0.0.1:%d" % port]
    harness.spawn("matcher-alone", argv)
    harness.wait_for(lambda: get(port, "/livez")[0] == 200, 20, 0.1, "matcher live")
    status, text = get(port, "/readyz")
    check_equal(status, 503, "/readyz without a gateway")
    check("gateway" in text, "the reason names the gateway: %r" % text)
    samples, _ = scrape(port)
    name = value(samples, "jobmatch_build_info", service="matcher")
    check_equal(name, 1.0, "build info")
    default = [dict(labels)["name"] for (n, labels) in samples if n == "jobmatch_build_info"][0]
    check(default.endswith("-matcher") and default.startswith(socket.gethostname()[:10]),
          "default name is <hostname>-matcher: %r" % default)


@runner.test
def gateway_not_ready_while_stopping():
    port = harness.free_port()
    gateway = harness.start_gateway(metrics_listen="127.0.0.1:%d" % port, drain_ms=3000)
    harness.spawn_worker(gateway.workers, "echo.silent", mode="silent")
    gateway.wait_workers("echo.silent", 1)
    check_equal(get(port, "/readyz")[0], 200, "ready before SIGTERM")
    harness.MdpClient(gateway.clients).send("echo.silent", "r1", b"held")  # the drain waits for it
    harness.wait_for(lambda: gateway.stats()["in_flight"] == 1, 5, 0.02, "the request in flight")
    gateway.process.popen.send_signal(signal.SIGTERM)
    harness.wait_for(lambda: get(port, "/readyz")[0] == 503, 3, 0.05, "not ready while draining")
    status, text = get(port, "/readyz")
    check("stopping" in text, "the reason says stopping: %r" % text)
    check_equal(get(port, "/livez")[0], 200, "still live while draining")


@runner.test
def hostile_http_is_answered():
    s, gateway_port, _ = metrics_stack(matchers=0)
    check_equal(get(gateway_port, "/metrics", method="POST")[0], 405, "POST /metrics")
    check_equal(get(gateway_port, "/metrics", method="DELETE")[0], 405, "DELETE /metrics")
    check_equal(get(gateway_port, "/nothing")[0], 404, "unknown path")
    status = get(gateway_port, "/" + "a" * 20000)[0]
    check(status in (414, 431), "a 20,000-byte URL: %d" % status)
    # garbage and a silent connection do not stop the next scrape
    with socket.create_connection(("127.0.0.1", gateway_port), timeout=5) as raw:
        raw.sendall(b"\x00\xff garbage\r\n\r\n")
    idle = [socket.create_connection(("127.0.0.1", gateway_port), timeout=5) for _ in range(20)]
    for sock in idle:
        sock.close()
    scrape(gateway_port)
    s.check_alive(s.gateway.process)


@runner.test
def off_by_default_and_bad_addresses_refused():
    s = stack.Stack(matchers=0)
    check("--metrics-listen" not in " ".join(s.gateway.process.popen.args), "started without it")
    out = subprocess.run([harness.binary("jobmatch-gateway"), "--help"], capture_output=True,
                         text=True, timeout=10).stdout
    check("--metrics-listen" in out and "--name" in out, "--help lists the settings")
    listening = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True).stdout
    pid = str(s.gateway.process.popen.pid)
    ports = [line for line in listening.splitlines() if "pid=%s," % pid in line]
    check_equal(len(ports), 2, "gateway sockets listening (clients, workers only): %r" % ports)
    for bad in ("nohost", "127.0.0.1:99999", "999.1.1.1:80", "[::1:80"):
        result = subprocess.run([harness.binary("jobmatch-gateway"), "--clients",
                                 "tcp://127.0.0.1:%d" % harness.free_port(), "--workers",
                                 "tcp://127.0.0.1:%d" % harness.free_port(),
                                 "--metrics-listen", bad], capture_output=True, text=True,
                                timeout=10)
        check(result.returncode != 0, "%r refused" % bad)
        check("--metrics-listen" in result.stderr, "error names the setting: %r" % result.stderr)
    result = subprocess.run([harness.binary("jobmatch-gateway"), "--metrics-listen", "127.0.0.1:0",
                             "--name", "x" * 200], capture_output=True, text=True, timeout=10)
    check(result.returncode != 0 and "--name" in result.stderr, "a 200-byte --name refused: %r"
          % result.stderr)


def exported_families():
    """Metric families the gateway and matcher export, from one scrape each."""
    s, gateway_port, matcher_port = metrics_stack()
    wait_scrape(matcher_port, lambda m: value(m, "jobmatch_ready") == 1, "the matcher ready")
    names = set()
    for port in (gateway_port, matcher_port):
        samples, types = scrape(port)
        names |= set(types)
        names |= {name for (name, _) in samples}
    return names


def expression_metrics(expression):
    """Names in a PromQL expression that look like our metrics."""
    return set(re.findall(r"\b((?:jobmatch|process)_[a-z0-9_]+)", expression))


@runner.test
def alert_rules_and_grafana_dashboard_name_exported_metrics():
    import yaml
    names = exported_families()
    with open(os.path.join(ROOT, "docker", "alerts.yml")) as f:
        rules = yaml.safe_load(f)
    alerts = [rule for group in rules["groups"] for rule in group["rules"]]
    wanted = {"JobmatchNoWorkers", "JobmatchQueueNearFull", "JobmatchRedisUnreachable",
              "JobmatchResultsNotStored", "JobmatchLatencyP99High"}
    check(wanted <= {rule.get("alert") for rule in alerts}, "alerts: %r" % [r.get("alert") for r in alerts])
    for rule in alerts:
        for key in ("alert", "expr", "labels", "annotations"):
            check(key in rule, "%s has %s" % (rule.get("alert"), key))
        unknown = expression_metrics(rule["expr"]) - names
        check(not unknown, "%s names metrics not exported: %r" % (rule["alert"], unknown))
    promtool = "/usr/bin/promtool"
    if os.path.exists(promtool):
        result = subprocess.run([promtool, "check", "rules", os.path.join(ROOT, "docker", "alerts.yml")],
                                capture_output=True, text=True, timeout=60)
        check_equal(result.returncode, 0, "promtool check rules: %s" % (result.stdout + result.stderr))
        result = subprocess.run([promtool, "check", "config",
                                 os.path.join(ROOT, "docker", "prometheus.yml")],
                                capture_output=True, text=True, timeout=60)
        check_equal(result.returncode, 0, "promtool check config: %s" % (result.stdout + result.stderr))
    with open(os.path.join(ROOT, "docker", "grafana-dashboard.json")) as f:
        board = json.load(f)
    check(board.get("title") and board.get("uid") and isinstance(board.get("panels"), list),
          "dashboard has title, uid, panels")
    exprs = [target["expr"] for panel in board["panels"] for target in panel.get("targets", [])]
    check(len(exprs) >= 6, "dashboard queries: %d" % len(exprs))
    ids = [panel["id"] for panel in board["panels"]]
    check(len(ids) == len(set(ids)), "panel ids unique")
    for expr in exprs:
        unknown = expression_metrics(expr) - names
        check(not unknown, "dashboard query %r names metrics not exported: %r" % (expr, unknown))


if __name__ == "__main__":
    sys.exit(runner.main())
