#!/usr/bin/python3
"""bench_failover.py: what losing one of two gateways costs a batch.

Starts a private stack on free loopback ports (redis-server, two
jobmatch-gateway, two jobmatch-matcher each connected to both, with the
integration tests' stack.py) and runs `jobmatch batch` over BENCH_COUNT
(default 50,000) candidates given both gateways, RUNS times (default 3)
with gateway 1 SIGKILLed once 1 MB of output is written, and as many times
without a kill, alternating.  For each run it measures the rate and the
longest pause of the output (no byte written), polled every 2 ms.  Prints
both medians and checks every run wrote one line per candidate with no
request waiting for its timeout.

Usage: bench/bench_failover.py   (BENCH_COUNT, BENCH_RUNS; BUILD as bench/run)
Exit status: 0 when every run was complete, 1 otherwise.
"""
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

COUNT = int(os.environ.get("BENCH_COUNT", "50000"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))


def one_run(kill):
    """One batch on a fresh stack; returns (rate, longest pause s, complete)."""
    try:
        s = stack.Stack(matchers=2, gateways=2)
        tmp = tempfile.mkdtemp(dir=harness.tmpdir())
        in_path = stack.write_candidates(os.path.join(tmp, "in.jsonl"), COUNT, "f")
        out, summary = os.path.join(tmp, "out.jsonl"), os.path.join(tmp, "summary.json")
        process = stack.start_batch(s.clients, "--in", in_path, "--out", out, "--summary", summary,
                                    "--timeout-ms", 30000)

        def size():
            return os.path.getsize(out) if os.path.exists(out) else 0
        harness.wait_for(lambda: size() >= 1 << 20 or process.poll() is not None, 300, 0.002)
        if kill:
            s.gateways[0].process.kill()
        last, last_at, pause = size(), time.monotonic(), 0.0
        while process.poll() is None:
            time.sleep(0.002)
            now, at = size(), time.monotonic()
            if now != last:
                pause, last, last_at = max(pause, at - last_at), now, at
        run = stack.read_json(summary)["this_run"]
        complete = (process.returncode == 0 and stack.count_lines(out) == COUNT
                    and run["timeouts"] == 0)
        return run["rate"], pause, complete
    finally:
        harness.cleanup()


def main():
    results = {True: [], False: []}
    for _ in range(RUNS):
        for kill in (True, False):
            results[kill].append(one_run(kill))
    ok = True
    for kill in (False, True):
        rates = [r[0] for r in results[kill]]
        pauses = [r[1] for r in results[kill]]
        ok = ok and all(r[2] for r in results[kill])
        print("%-28s rate median %6.0f candidates/s (%s); longest pause median %.2f s (%s)" % (
            "one gateway killed mid-run:" if kill else "both gateways up:", statistics.median(rates),
            ", ".join("%.0f" % r for r in rates), statistics.median(pauses),
            ", ".join("%.2f" % p for p in pauses)))
    print("%d candidates a run, two matchers; every run complete (one line each, no timeout): %s"
          % (COUNT, "yes" if ok else "NO"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
