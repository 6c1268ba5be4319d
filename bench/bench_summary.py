#!/usr/bin/python3
"""bench_summary.py: what a job's summary costs to read, and to keep.

Starts a private stack (redis-server, a gateway, two matchers, with the
integration tests' stack.py), scores BENCH_COUNT (default 100,000)
candidates for backend-developer with `jobmatch batch`, and reports:
- the Redis CPU the kept summary adds per candidate: the summary script's
  usec (INFO commandstats, cmdstat_evalsha) against every command's, over
  the batch;
- the latency of jobmatch.results "summary", BENCH_READS (default 200)
  reads each, alternating in rounds of 20: the kept summary (one HGETALL)
  and the recount older rankings get (the summary hash renamed away for
  the round, which makes the readers recount as before this change).

Usage: bench/bench_summary.py   (BENCH_COUNT, BENCH_READS; BUILD as bench/run)
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
import harness  # noqa: E402
import stack  # noqa: E402

COUNT = int(os.environ.get("BENCH_COUNT", "100000"))
READS = int(os.environ.get("BENCH_READS", "200"))
JOB = "backend-developer"


def usec(redis):
    stats = redis.info("commandstats")
    total = sum(entry["usec"] for entry in stats.values())
    return total, stats.get("cmdstat_evalsha", {}).get("usec", 0)


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main():
    try:
        s = stack.Stack(matchers=2)
        redis = s.redis.client()
        tmp = tempfile.mkdtemp(dir=harness.tmpdir())
        in_path = stack.write_candidates(os.path.join(tmp, "in.jsonl"), COUNT, "b")
        before_all, before_script = usec(redis)
        started = time.monotonic()
        stack.run_batch(s.clients, "--in", in_path, "--out", os.path.join(tmp, "out.jsonl"),
                        "--job", JOB, "--timeout-ms", 30000, timeout=1200)
        elapsed = time.monotonic() - started
        after_all, after_script = usec(redis)
        ranked = redis.zcard(stack.rank_key(JOB, 1))
        print("%d candidates scored and stored in %.1f s; ranking holds %d" % (COUNT, elapsed, ranked))
        print("Redis CPU per candidate: %.2f us in all, of which the summary script %.2f us (%.0f%%)" % (
            (after_all - before_all) / COUNT, (after_script - before_script) / COUNT,
            100.0 * (after_script - before_script) / max(1, after_all - before_all)))
        client = s.client()
        request = json.dumps({"op": "summary", "job": JOB}).encode()
        summary_key = stack.rank_key(JOB, 1) + ":summary"
        times = {"kept": [], "recount": []}
        replies = {}
        for _ in range(max(1, READS // 20)):
            for mode in ("kept", "recount"):
                if mode == "recount":
                    redis.rename(summary_key, summary_key + ":aside")
                for _ in range(20):
                    at = time.perf_counter()
                    reply = json.loads(client.request("jobmatch.results", request, timeout=30.0))
                    times[mode].append((time.perf_counter() - at) * 1000)
                    replies[mode] = reply
                if mode == "recount":
                    redis.rename(summary_key + ":aside", summary_key)
        for mode in ("kept", "recount"):
            print("summary %-8s p50 %7.2f ms  p99 %7.2f ms  (%d reads)" % (
                mode + ":", statistics.median(times[mode]), percentile(times[mode], 0.99),
                len(times[mode])))
        same = all(replies["kept"][k] == replies["recount"][k] for k in ("total", "bands", "histogram"))
        print("kept and recounted total, bands, histogram equal: %s" % ("yes" if same else "NO"))
        return 0 if same and replies["kept"].get("ok") else 1
    finally:
        harness.cleanup()


if __name__ == "__main__":
    sys.exit(main())
