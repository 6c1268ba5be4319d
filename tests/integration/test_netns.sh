#!/usr/bin/env bash
# Across hosts, for real (issue 16, item 7): Redis, two gateways, two
# matchers and the CLI each in a network namespace of its own, joined by
# veth links to a bridge in a hub namespace, on private addresses made here
# (10.231.0.0/24), with CURVE as the gateway requires off loopback.  Loopback stays down in every namespace, so nothing can
# talk over it.  A `jobmatch batch` from the client namespace, given both
# gateways, scores candidates; one gateway is killed (SIGKILL) mid-run; the
# batch finishes on the other, and every candidate's result and ranking
# entry is in Redis.  Every namespace (and with it every link) is removed on
# exit.  Needs root: prints "SKIP: ..." and passes when namespaces cannot be
# made.  Each check prints "ok NAME" or "FAIL NAME: why"; the last line is
# "N passed, N failed".
# Usage: tests/integration/test_netns.sh   (JM_BIN, JM_ROOT, JM_DATA_DIR optional)
set -u
here=$(cd "$(dirname "$0")" && pwd)
ROOT=${JM_ROOT:-$(cd "$here/../.." && pwd)}
BIN=${JM_BIN:-$ROOT/build/bin}
DATA=${JM_DATA_DIR:-$ROOT/data}
EXAMPLES="$ROOT/proto/examples/candidates.jsonl"
TOTAL=20000
JOB=backend-developer
NET=10.231.0
P=jm$$                                  # namespace prefix, unique per run
HUB=$P-hub
TMP=$(mktemp -d "${TMPDIR:-/tmp}/jm-test-netns.XXXXXX")
namespaces=()
pids=()

passed=0; failed=0
ok ()   { echo "ok $1"; passed=$((passed + 1)); }
fail () { echo "FAIL $1: $2"; failed=$((failed + 1)); }

cleanup () {
    { for pid in "${pids[@]}"; do kill -9 "$pid"; done
      for pid in "${pids[@]}"; do wait "$pid"; done; } 2>/dev/null
    for ns in "${namespaces[@]}"; do ip netns del "$ns" 2>/dev/null; done
    if [ "$failed" -eq 0 ]; then rm -rf "$TMP"; else echo "logs kept in $TMP"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

skip () {
    echo "SKIP: $1"
    echo "0 passed, 0 failed (skipped: $1)"
    exit 0
}

for program in jobmatch jobmatch-gateway jobmatch-matcher; do
    [ -x "$BIN/$program" ] || { fail setup "$BIN/$program is missing (run make)"; echo "$passed passed, $failed failed"; exit 1; }
done
command -v ip >/dev/null || skip "no ip command (iproute2)"
command -v redis-server >/dev/null || skip "no redis-server"
if ! out=$(ip netns add "$HUB" 2>&1); then
    skip "cannot create network namespaces ($out): run as root to test across hosts"
fi
namespaces+=("$HUB")

# host NAME N: a namespace with eth0 at $NET.N/24, its veth peer on the hub's bridge
ip -n "$HUB" link add br0 type bridge && ip -n "$HUB" link set br0 up || { fail setup "no bridge in $HUB"; exit 1; }
host () {
    local ns=$P-$1 n=$2
    ip netns add "$ns" || return 1
    namespaces+=("$ns")
    ip -n "$HUB" link add "h$n" type veth peer name eth0 netns "$ns" || return 1
    ip -n "$HUB" link set "h$n" master br0 up &&
    ip -n "$ns" addr add "$NET.$n/24" dev eth0 &&
    ip -n "$ns" link set eth0 up
}
for spec in redis:1 gw1:2 gw2:3 m1:4 m2:5 client:6; do
    host "${spec%%:*}" "${spec##*:}" || { fail setup "cannot make namespace ${spec%%:*}"; echo "$passed passed, $failed failed"; exit 1; }
done

# run NS NAME COMMAND...: starts COMMAND in namespace NS, its output in $TMP/NAME.log
run () {
    local ns=$P-$1 name=$2; shift 2
    ip netns exec "$ns" "$@" >"$TMP/$name.log" 2>&1 &
    pids+=($!)
    eval "pid_$name=$!"
}
# wait_until SECONDS COMMAND...: polls COMMAND every 0.1 s until it succeeds
wait_until () {
    local tries=$(($1 * 10)); shift
    while [ "$tries" -gt 0 ]; do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; tries=$((tries - 1)); done
    return 1
}
rcli () { ip netns exec "$P-client" redis-cli -h "$NET.1" -p 6379 "$@"; }

run redis redis redis-server --bind "$NET.1" --port 6379 --save "" --appendonly no --protected-mode no
if wait_until 10 rcli ping; then ok "redis-server answers across the veth links"; else
    fail "redis-server answers across the veth links" "not at $NET.1: $(tail -2 "$TMP/redis.log")"; fi
# CURVE, as across real hosts: one gateway key pair for both gateways, one
# for the matchers, one for the client
mkdir -p "$TMP/keys" "$TMP/clients" "$TMP/workers"
for name in gateway matcher client; do
    "$BIN/jobmatch" keys new "$name" --dir "$TMP/keys" >/dev/null || fail setup "jobmatch keys new $name"
done
cp "$TMP/keys/matcher" "$TMP/workers/" && cp "$TMP/keys/client" "$TMP/clients/"
for g in 1 2; do
    run "gw$g" "gateway$g" "$BIN/jobmatch-gateway" --clients "tcp://$NET.$((g + 1)):5570" \
        --workers "tcp://$NET.$((g + 1)):5571" --heartbeat-ms 250 --liveness 3 \
        --curve-cert "$TMP/keys/gateway_secret" --curve-clients "$TMP/clients" \
        --curve-workers "$TMP/workers"
done
WORKERS="tcp://$NET.2:5571,tcp://$NET.3:5571"
CLIENTS="tcp://$NET.2:5570,tcp://$NET.3:5570"
for m in 1 2; do
    run "m$m" "matcher$m" "$BIN/jobmatch-matcher" --gateway "$WORKERS" --redis "redis://$NET.1:6379/0" \
        --data "$DATA" --heartbeat-ms 250 --liveness 3 \
        --curve-server "$TMP/keys/gateway" --curve-cert "$TMP/keys/matcher_secret"
done
# both matchers registered with both gateways: 2 workers of jobmatch.match in each
registered () {
    [ "$(cat "$TMP"/matcher*.log | grep -c "serving jobmatch.match")" -eq 2 ] &&
    grep -q "joined service 'jobmatch.match'.*2 workers" "$TMP/gateway1.log" &&
    grep -q "joined service 'jobmatch.match'.*2 workers" "$TMP/gateway2.log"
}
if wait_until 30 registered; then ok "two matchers registered with both gateways across namespaces"; else
    fail "two matchers registered with both gateways across namespaces" "$(tail -3 "$TMP"/gateway1.log)"; fi

# the candidates: the examples again and again, each with an id of its own
python3 - "$EXAMPLES" "$TMP/in.jsonl" "$TOTAL" <<'EOF'
import json, sys
base = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
with open(sys.argv[2], "w") as out:
    for n in range(int(sys.argv[3])):
        candidate = dict(base[n % len(base)], id="nx-%d" % n)
        out.write(json.dumps(candidate) + "\n")
EOF

# the batch from the client namespace, given both gateways; gateway 1 killed mid-run
ip netns exec "$P-client" env JOBMATCH_DATA_DIR="$DATA" JOBMATCH_CURVE_SERVER="$TMP/keys/gateway" \
    JOBMATCH_CURVE_CERT="$TMP/keys/client_secret" timeout 300 "$BIN/jobmatch" batch \
    --gateway "$CLIENTS" --in "$TMP/in.jsonl" --out "$TMP/out.jsonl" --job "$JOB" --batch 20 \
    --timeout-ms 30000 --summary "$TMP/summary.json" >"$TMP/batch.log" 2>&1 &
batch_pid=$!
pids+=("$batch_pid")
lines () { [ -f "$TMP/out.jsonl" ] && wc -l <"$TMP/out.jsonl" || echo 0; }
wait_until 120 sh -c "[ \$(wc -l <'$TMP/out.jsonl' 2>/dev/null || echo 0) -ge 2000 ] || ! kill -0 $batch_pid"
killed_at=$(lines)
{ kill -9 "$pid_gateway1"; wait "$pid_gateway1"; } 2>/dev/null
wait "$batch_pid"; rc=$?
if [ "$rc" -eq 0 ]; then ok "batch across namespaces exits 0 after a gateway died at line $killed_at"; else
    fail "batch across namespaces exits 0" "exit $rc: $(tail -3 "$TMP/batch.log")"; fi
if [ "$killed_at" -lt "$TOTAL" ]; then ok "the gateway died mid-batch ($killed_at of $TOTAL lines)"; else
    fail "the gateway died mid-batch" "the batch was done already ($killed_at lines)"; fi
if python3 - "$TMP/out.jsonl" "$TOTAL" "$JOB" <<'EOF'
import json, sys
records = [json.loads(line) for line in open(sys.argv[1])]
want = ["nx-%d" % n for n in range(int(sys.argv[2]))]
got = [r.get("candidate") for r in records]
assert got == want, "%d lines for %d candidates" % (len(got), len(want))
assert all("score" in r and r.get("job") == sys.argv[3] for r in records), "a line without a score"
EOF
then ok "one output line per candidate, in order"; else fail "one output line per candidate" "see above"; fi

# Redis, asked from the client namespace: every result, and every candidate ranked
results=$(rcli --scan --pattern "jobmatch:res:$JOB:*" | sed 's/^/HLEN /' | rcli | awk '{ n += $1 } END { print n + 0 }')
if [ "$results" -eq "$TOTAL" ]; then ok "$TOTAL results in Redis"; else
    fail "results in Redis" "$results of $TOTAL"; fi
ranked=0
for key in $(rcli --scan --pattern "jobmatch:rank:$JOB:*"); do
    count=$(rcli zcard "$key")
    [ "$count" -gt "$ranked" ] && ranked=$count
done
if [ "$ranked" -ge "$TOTAL" ]; then ok "every candidate in the ranking"; else
    fail "every candidate in the ranking" "$ranked of $TOTAL"; fi
failovers=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["this_run"]["failovers"])' "$TMP/summary.json" 2>/dev/null || echo "?")
echo "    $TOTAL candidates; gateway 1 killed at line $killed_at; $failovers requests failed over"
if kill -0 "$pid_gateway2" 2>/dev/null && kill -0 "$pid_matcher1" 2>/dev/null && kill -0 "$pid_matcher2" 2>/dev/null; then
    ok "gateway 2 and both matchers still running"; else fail "the others still running" "one exited"; fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
