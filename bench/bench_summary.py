#!/usr/bin/python3
"""bench_summary.py: what a job's summary costs to read, and to keep.

Starts a private stack (redis-server, a gateway, two matchers, with the
integration tests' stack.py), scores BENCH_COUNT (default 100,000)
candidates for backend-developer with `jobmatch batch`, and reports:
- the Redis CPU per candidate over the batch (INFO cpu, user + system),
  and the summary script's share (INFO commandstats, cmdstat_evalsha); run
  it with JM_BIN set to an older build's bin directory for the CPU without
  the script;
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
    """Redis's CPU so far (user + system, us) and the summary script's
    (cmdstat_evalsha: the script with the commands it calls)."""
    cpu = redis.info("cpu")
    stats = redis.info("commandstats")
    total = (cpu["used_cpu_user"] + cpu["used_cpu_sys"]) * 1e6
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
        print("Redis CPU per candidate: %.2f us (process user+sys), summary script %.2f us (%.0f%%)" % (
            (after_all - before_all) / COUNT, (after_script - before_script) / COUNT,
            100.0 * (after_script - before_script) / max(1, after_all - before_all)))
        client = s.client()
        request = json.dumps({"op": "summary", "job": JOB}).encode()
        summary_key = stack.rank_key(JOB, 1) + ":summary"
        times = {"kept": [], "recount": []}
        replies = {}
        kept = redis.exists(summary_key)    # none: a build before kept summaries
        if not kept:
            times, replies = {"recount": []}, {}
        for _ in range(max(1, READS // 20)):
            for mode in ("kept", "recount") if kept else ("recount",):
                if mode == "recount" and kept:
                    redis.rename(summary_key, summary_key + ":aside")
                for _ in range(20):
                    at = time.perf_counter()
                    reply = json.loads(client.request("jobmatch.results", request, timeout=30.0))
                    times[mode].append((time.perf_counter() - at) * 1000)
                    replies[mode] = reply
                if mode == "recount" and kept:
                    redis.rename(summary_key + ":aside", summary_key)
        for mode in times:
            print("summary %-8s p50 %7.2f ms  p99 %7.2f ms  (%d reads)" % (
                mode + ":", statistics.median(times[mode]), percentile(times[mode], 0.99),
                len(times[mode])))
        if not kept:
            print("no kept summary (an older build): every read recounts")
            return 0 if replies["recount"].get("ok") else 1
        same = all(replies["kept"][k] == replies["recount"][k] for k in ("total", "bands", "histogram"))
        print("kept and recounted total, bands, histogram equal: %s" % ("yes" if same else "NO"))
        return 0 if same and replies["kept"].get("ok") else 1
    finally:
        harness.cleanup()


if __name__ == "__main__":
    sys.exit(main())
