#!/usr/bin/env bash
# bench_batch.sh: `jobmatch batch` end to end: throughput and the CLI's memory.
#
# Starts a private stack on free loopback ports (redis-server with its own
# dir, jobmatch-gateway, two jobmatch-matcher), generates candidates as JSON
# lines (~1 KB profiles, 12-20 skills, every id distinct so every one is
# scored and stored), and runs `jobmatch batch` over 100,000 and then over
# BENCH_COUNT (default 1,000,000) of them under /usr/bin/time, at the
# default detail (summary, proto/services.md), and between the two 100,000
# others asking the whole breakdown (--detail full).  Prints the rate
# (candidates/s, Redis writes included), the output's bytes a candidate at
# both details, the CLI's peak resident size
# for both sizes (flat memory: the two should be close), the matchers' peak
# RSS, and checks that the output holds exactly one line per candidate.
# Stops everything it started, also on Ctrl-C or failure.
#
# Redis would need ~8 KB per candidate (8 GB for a million), more than a
# shared test machine should give it: it runs as the README's sizing advice
# says, with --maxmemory BENCH_REDIS_MAXMEMORY (default 2gb, 0: no limit)
# and volatile-ttl, so old results and profiles are evicted while every
# write is still made, and the job registry and rankings never are.
#
# Usage: bench/bench_batch.sh      (BENCH_COUNT=200000 for a quicker look)
# BENCH_KEEP=1 keeps the temp dir.  Exit status: 0 when every candidate was
# written exactly once (figures below target included), 1 otherwise.
set -u
cd "$(dirname "$0")/.."
BIN=${BUILD:-build}/bin
COUNT=${BENCH_COUNT:-1000000}
SMALL=100000
MAXMEMORY=${BENCH_REDIS_MAXMEMORY:-2gb}
for program in jobmatch-gateway jobmatch-matcher jobmatch; do
    [ -x "$BIN/$program" ] || { echo "bench_batch.sh: $BIN/$program is not built (run make)"; exit 1; }
done
command -v redis-server >/dev/null || { echo "bench_batch.sh: redis-server is not installed"; exit 1; }
[ -x /usr/bin/time ] || { echo "bench_batch.sh: /usr/bin/time is not installed (apt-get install time)"; exit 1; }

. bench/lib.sh
bench_init bench_batch.sh jm-bench-batch
BENCH_DROP_KEPT=("*.jsonl")     # the generated inputs are large: keep only the logs

REDIS_PORT=$(free_port); CLIENT_PORT=$(free_port); WORKER_PORT=$(free_port)
GATEWAY="tcp://127.0.0.1:$CLIENT_PORT"
export JOBMATCH_DATA_DIR=$PWD/data

start_redis --maxmemory "$MAXMEMORY" --maxmemory-policy volatile-ttl
start_gateway
start_matchers
# ready when both matchers have registered (they log it)
for _ in $(seq 100); do
    [ "$(grep -l "serving jobmatch.match" "$TMP"/matcher-*.log 2>/dev/null | wc -l)" = 2 ] && break
    sleep 0.1
done
echo '{"id": "warm-up", "skills": ["SQL"]}' | "$BIN/jobmatch" submit --gateway "$GATEWAY" --retries 5 >/dev/null \
    || { failed=1; echo "bench_batch.sh: the stack did not answer; see $TMP"; exit 1; }

echo "generating $SMALL + $COUNT candidates..."
/usr/bin/python3 - "$TMP" "$SMALL" "$COUNT" <<'PY'
import json, os, sys
sys.path.insert(0, os.path.join(os.getcwd(), "tests", "integration"))
os.environ.setdefault("JM_DATA_DIR", os.path.join(os.getcwd(), "data"))
import stack
tmp, small, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
bases = []
for serial in range(2000):
    profile = stack.make_candidate(serial, "base")
    del profile["id"]
    bases.append(json.dumps(profile)[1:])
for name, prefix, total in (("small.jsonl", "s", small), ("full.jsonl", "f", small),
                            ("big.jsonl", "b", count)):
    with open(os.path.join(tmp, name), "w", buffering=1 << 20) as out:
        for n in range(total):
            out.write('{"id": "%s-%d", %s\n' % (prefix, n, bases[n % 2000]))
PY
[ $? = 0 ] || { failed=1; echo "bench_batch.sh: could not generate the candidates"; exit 1; }

# run NAME COUNT [BATCH-OPTION...]: one batch run under /usr/bin/time; sets RATE,
# RSS_MB, SECONDS_TAKEN, OUT_BYTES (the output's bytes a candidate)
run () {
    local name=$1 total=$2
    shift 2
    /usr/bin/time -v "$BIN/jobmatch" batch --gateway "$GATEWAY" --in "$TMP/$name.jsonl" \
        --out "$TMP/$name.out" --summary "$TMP/$name.summary.json" "$@" 2>"$TMP/$name.err"
    local rc=$?
    if [ $rc != 0 ]; then
        failed=1; echo "bench_batch.sh: batch over $name exited $rc:"; tail -5 "$TMP/$name.err"; exit 1
    fi
    local lines
    lines=$(wc -l <"$TMP/$name.out")
    if [ "$lines" != "$total" ]; then
        failed=1; echo "bench_batch.sh: $lines output lines for $total candidates"; exit 1
    fi
    read -r RATE SECONDS_TAKEN SCORED < <(/usr/bin/python3 -c 'import json, sys
s = json.load(open(sys.argv[1])); r = s["this_run"]
print("%.0f %.1f %d" % (r["rate"], r["elapsed_s"], s["scored"]))' "$TMP/$name.summary.json")
    RSS_MB=$(awk -F: '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$TMP/$name.err")
    OUT_BYTES=$(( $(stat -c %s "$TMP/$name.out") / total ))
    rm -f "$TMP/$name.out"
}

matcher_rss () {
    local peak=0 kb
    for pid in "${matcher_pids[@]}"; do
        kb=$(awk '/VmHWM/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
        [ "${kb:-0}" -gt "$peak" ] && peak=$kb
    done
    awk -v kb="$peak" 'BEGIN { printf "%.1f", kb / 1024 }'
}

run small "$SMALL"
SMALL_RATE=$RATE SMALL_RSS=$RSS_MB SMALL_BYTES=$OUT_BYTES
run full "$SMALL" --detail full
FULL_RATE=$RATE FULL_BYTES=$OUT_BYTES
run big "$COUNT"
printf 'batch %d candidates:  %s candidates/s  (%s s, %d scored afresh and stored, two matchers, JSON lines in and out)  target 40,000/s\n' \
    "$COUNT" "$(printf "%'d" "$RATE")" "$SECONDS_TAKEN" "$SCORED"
printf 'batch %d candidates:  %s candidates/s  (%d output bytes a candidate)\n' "$SMALL" \
    "$(printf "%'d" "$SMALL_RATE")" "$SMALL_BYTES"
printf 'batch %d candidates, --detail full:  %s candidates/s  (%d output bytes a candidate, the whole breakdown; run between the two above)  no target\n' \
    "$SMALL" "$(printf "%'d" "$FULL_RATE")" "$FULL_BYTES"
printf 'CLI peak RSS:  %s MB over %d candidates, %s MB over %d  (flat: bounded window, streamed input and output)\n' \
    "$RSS_MB" "$COUNT" "$SMALL_RSS" "$SMALL"
printf 'matcher peak RSS:  %s MB  (target < 32 MB)\n' "$(matcher_rss)"
printf 'output: exactly one line per candidate in both runs; %s\n' "$REDIS_NOTE"
# the ceiling: the same stack driven by bench_pipeline (no files, no reordering)
if [ -x "$BIN/bench_pipeline" ]; then
    reference=$("$BIN/bench_pipeline" --gateway "$GATEWAY" --data data --mode batch --runs 1 --count "$SMALL" \
                --no-cached --no-full 2>&1 | grep -m1 "pipeline batch:" | sed -E 's/ +\(.*//')
    echo "reference, same stack right after: ${reference:-bench_pipeline gave no figure}"
fi
