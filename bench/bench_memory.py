#!/usr/bin/python3
"""bench_memory.py: Redis memory per candidate-job pair, structure by structure.

Starts a private redis-server (harness.py), then fills it, one structure
after another, with BENCH_MEMORY_PAIRS (default 1,000,000) pairs of one job
written by build/bin/bench_memory (the real record encoder jm_record and key
builder jm_keys, piped through `redis-cli --pipe`), and prints for each
structure INFO memory's used_memory growth divided by the pairs, its
encoding, and the total of two layouts:
- today's rankings: records + ranking ZSET + band sets + the kept summary's
  :parts hash (the result STRINGs of today, ~6.2 KB each, are left out:
  proto/redis-keys.md 3.1; the issue measured 7.4 KB a pair with them);
- sharded rankings: records + ranking shards (one small ZSET per score and
  sub-shard, listpack-encoded) with the summary's share kept in the record;
then, into an emptied server, the same pairs through the matcher's real
write path (bench_memory store: jm_store_write_many in groups of 64, as the
matcher writes them: records, ranking, band sets, the kept summary and its
:parts; no result strings, proto/redis-keys.md 3.1), its growth per pair
the figure that counts.  Profiles (once per candidate, not per pair) are
left out.  The target is at most 128 bytes a pair, rankings included.

Usage: bench/bench_memory.py   (BENCH_MEMORY_PAIRS; BUILD as bench/run)
"""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("JM_BIN", os.path.join(ROOT, os.environ.get("BUILD", "build"), "bin"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import harness  # noqa: E402

PAIRS = int(os.environ.get("BENCH_MEMORY_PAIRS", "1000000"))
STRUCTURES = ["records", "ranking", "bands", "parts", "shards"]
TARGET = 128


def fill(redis_server, structure):
    generate = subprocess.Popen([harness.binary("bench_memory"), structure, str(PAIRS)],
                                stdout=subprocess.PIPE)
    load = subprocess.run(["redis-cli", "-p", str(redis_server.port), "--pipe"],
                          stdin=generate.stdout, capture_output=True, text=True)
    generate.stdout.close()
    if generate.wait() != 0 or load.returncode != 0 or "errors: 0" not in load.stdout:
        raise SystemExit("bench_memory %s: %s %s" % (structure, load.stdout[-300:], load.stderr[-300:]))


def main():
    try:
        redis_server = harness.start_redis("redis-memory", acl=False)
        redis = redis_server.client()
        print("memory: %d pairs of one job, redis-server %s, ids of 12 bytes"
              % (PAIRS, redis.info("server")["redis_version"]))
        cost = {}
        for structure in STRUCTURES:
            before = redis.info("memory")["used_memory"]
            keys_before = redis.dbsize()
            fill(redis_server, structure)
            grown = redis.info("memory")["used_memory"] - before
            cost[structure] = grown / PAIRS
            keys = redis.dbsize() - keys_before
            sample = next(iter(redis.scan_iter(match="*" if structure != "records"
                                                else "jobmatch:res:*", count=1000)), None)
            if structure == "shards":
                sample = next(iter(redis.scan_iter(match="jobmatch:rank:*:s*", count=1000)))
            elif structure == "ranking":
                sample = "jobmatch:rank:bench-job:1"
            elif structure == "bands":
                sample = "jobmatch:rank:bench-job:1:good"
            elif structure == "parts":
                sample = "jobmatch:rank:bench-job:1:parts"
            print("  %-8s %7.1f bytes/pair  %6d keys, %s" % (
                structure, cost[structure], keys, redis.object("encoding", sample)))
        today = cost["records"] + cost["ranking"] + cost["bands"] + cost["parts"]
        sharded = cost["records"] + cost["shards"]
        print("  records with today's rankings (ZSET, band sets, :parts): %.1f bytes/pair" % today)
        print("  records with sharded rankings:                          %.1f bytes/pair "
              "(target <= %d)" % (sharded, TARGET))
        redis.flushall()
        before = redis.info("memory")["used_memory"]
        run = subprocess.run([harness.binary("bench_memory"), "store", str(PAIRS),
                              "redis://127.0.0.1:%d" % redis_server.port], capture_output=True,
                             text=True)
        if run.returncode != 0:
            raise SystemExit("bench_memory store: %s" % run.stderr[-300:])
        grown = redis.info("memory")["used_memory"] - before
        print("  the real write path (jm_store_write_many): %.1f bytes/pair, %d keys "
              "(target <= %d)" % (grown / PAIRS, redis.dbsize(), TARGET))
    finally:
        harness.cleanup()


if __name__ == "__main__":
    main()
