#!/usr/bin/python3
"""bench_cluster_spread.py: how one batch's Redis work spreads over the
masters of a Redis Cluster (proto/redis-keys.md 1.1: keys tagged per job).

Starts a cluster of 3 masters without replicas and two matchers
(tests/integration/test_cluster.py), puts BENCH_JOBS - 4 jobs next to the
4 built-in ones (default 40 in all), scores BENCH_COUNT (default 1,000)
candidates against every job with `jobmatch batch --all-jobs`, and prints
for each master the commands it processed, its CPU seconds (INFO cpu, user
+ system) and the keys it holds.  Run it with JM_BIN set to an older
build's bin directory (and JM_ROOT to its tree) to compare layouts.

Usage: bench/bench_cluster_spread.py   (BENCH_COUNT, BENCH_JOBS; BUILD as bench/run)
"""
import os
import sys
import time

ROOT = os.environ.get("JM_ROOT") or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("JM_BIN", os.path.join(ROOT, os.environ.get("BUILD", "build"), "bin"))
os.environ.setdefault("JM_DATA_DIR", os.path.join(ROOT, "data"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import harness  # noqa: E402
import stack  # noqa: E402
import test_cluster  # noqa: E402

COUNT = int(os.environ.get("BENCH_COUNT", "1000"))
JOB_COUNT = int(os.environ.get("BENCH_JOBS", "40"))


def cpu(node):
    info = node.info("cpu")
    return info["used_cpu_sys"] + info["used_cpu_user"]


def measure():
    cluster = test_cluster.Cluster(replicas=0)
    s = test_cluster.start(cluster)
    for n in range(JOB_COUNT - 4):
        test_cluster.call(s, test_cluster.JOBS, {"op": "put", "job": {
            "id": "spread-%d" % n, "title": "Job %d" % n, "requirements": [
                {"skill": "Python", "weight": 3, "importance": "required"},
                {"skill": "Docker", "weight": 2, "importance": "preferred"}]}})
    time.sleep(0.5)                     # every matcher has them (a poll is 250 ms)
    masters = cluster.master_ports()
    before = {port: (cluster.node(port).info("stats")["total_commands_processed"],
                     cpu(cluster.node(port))) for port in masters}
    path = stack.write_candidates(os.path.join(harness.tmpdir(), "c.jsonl"), COUNT, "sp")
    started = time.monotonic()
    done = stack.run_batch(s.gateway.clients, "--in", path, "--out",
                           os.path.join(harness.tmpdir(), "c.out"), "--all-jobs", timeout=600)
    took = time.monotonic() - started
    harness.check_equal(done.returncode, 0, "batch exit status")
    print("%d candidates x %d jobs in %.1f s" % (COUNT, JOB_COUNT, took))
    for port in masters:
        node = cluster.node(port)
        print("master %d: %8d commands, %5.2f s CPU, %6d keys" % (
            port, node.info("stats")["total_commands_processed"] - before[port][0],
            cpu(node) - before[port][1], node.dbsize()))


runner = harness.Runner(timeout=900)
runner.test(measure)

if __name__ == "__main__":
    sys.exit(runner.run([]))
