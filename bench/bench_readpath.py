#!/usr/bin/python3
"""bench_readpath.py: what the reads of results and rankings cost, through
both readers (jobmatch.results in a matcher, the dashboard's /api/v1).

Starts a private stack (redis-server, a gateway, one matcher, a dashboard),
scores BENCH_COUNT (default 20,000) candidates for backend-developer with
`jobmatch batch`, then times BENCH_READS (default 400) reads of each view,
alternating in rounds of 20: a ranking page (limit 20) at offset 0 and at
offset COUNT/2, one result, a candidate's results, the summary; on each
reader.  Run it with JM_BIN set to another build's bin directory to compare.

Usage: bench/bench_readpath.py   (BENCH_COUNT, BENCH_READS; BUILD as bench/run)
"""
import json
import os
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("JM_BIN", os.path.join(ROOT, os.environ.get("BUILD", "build"), "bin"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import harness  # noqa: E402
import stack  # noqa: E402
from dashstack import Dashboard  # noqa: E402
from bench_summary import percentile  # noqa: E402

COUNT = int(os.environ.get("BENCH_COUNT", "20000"))
READS = int(os.environ.get("BENCH_READS", "400"))
JOB = "backend-developer"


def main():
    try:
        s = stack.Stack(matchers=1)
        tmp = tempfile.mkdtemp(dir=harness.tmpdir())
        in_path = stack.write_candidates(os.path.join(tmp, "in.jsonl"), COUNT, "b")
        stack.run_batch(s.clients, "--in", in_path, "--out", os.path.join(tmp, "out.jsonl"),
                        "--job", JOB, "--timeout-ms", 30000, timeout=1200)
        dashboard = Dashboard(s, rate_limit=0)
        client = s.client()
        candidate = json.loads(client.request("jobmatch.results", json.dumps(
            {"op": "rank", "job": JOB, "limit": 1}).encode(), timeout=30.0))["entries"][0]["candidate"]
        deep = COUNT // 2

        def results(body):
            reply = json.loads(client.request("jobmatch.results", json.dumps(body).encode(), timeout=30.0))
            assert reply.get("ok"), reply

        def http(path):
            response = dashboard.get(path)
            assert response.status == 200, (path, response.status)

        views = {
            "results rank 0": lambda: results({"op": "rank", "job": JOB, "limit": 20}),
            "results rank deep": lambda: results({"op": "rank", "job": JOB, "limit": 20, "offset": deep}),
            "results result": lambda: results({"op": "result", "job": JOB, "candidate": candidate}),
            "results candidate": lambda: results({"op": "candidate", "candidate": candidate}),
            "results summary": lambda: results({"op": "summary", "job": JOB}),
            "http ranking 0": lambda: http("/api/v1/jobs/%s/ranking?limit=20" % JOB),
            "http ranking deep": lambda: http("/api/v1/jobs/%s/ranking?limit=20&offset=%d" % (JOB, deep)),
            "http result": lambda: http("/api/v1/jobs/%s/results/%s" % (JOB, stack.escape_id(candidate))),
            "http candidate": lambda: http("/api/v1/candidates/%s/results" % stack.escape_id(candidate)),
            "http summary": lambda: http("/api/v1/jobs/%s/summary" % JOB),
        }
        times = {name: [] for name in views}
        for _ in range(max(1, READS // 20)):
            for name, read in views.items():
                for _ in range(20):
                    at = time.perf_counter()
                    read()
                    times[name].append((time.perf_counter() - at) * 1000)
        print("%d candidates ranked; bin %s" % (COUNT, os.environ["JM_BIN"]))
        for name in views:
            print("%-20s p50 %6.3f ms  p99 %6.3f ms  (%d reads)" % (
                name, statistics.median(times[name]), percentile(times[name], 0.99), len(times[name])))
        return 0
    finally:
        harness.cleanup()


if __name__ == "__main__":
    sys.exit(main())
