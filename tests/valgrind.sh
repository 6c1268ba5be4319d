#!/usr/bin/env bash
# Runs jobmatch-gateway, one jobmatch-matcher and jobmatch-dashboard under
# valgrind (memcheck, full leak check) on free loopback ports with a private
# redis-server in a temporary folder, drives a short but broad workload
# through them (CLI: submit, jobs put/get/list/delete, rank, results, best,
# batch, bad input; dashboard HTTP API; a Redis restart while the matcher
# runs), stops each service with SIGTERM and prints every service's valgrind
# ERROR SUMMARY and "definitely/indirectly lost" lines.
#
# Not part of 'make test' (it takes a few minutes).
#
# Usage: tests/valgrind.sh            (builds BUILD=build-vg OPT=-O0 first)
#   env BUILD=DIR       build folder (default build-vg)
#   env NO_BUILD=1      do not run make
#   env KEEP=1          keep the temporary folder (logs, valgrind reports)
#   env VG_CLI=0        run the jobmatch CLI without valgrind (default: under
#                       valgrind too, its reports checked like the services')
# Exit status: 0 every service is clean, 1 a service has valgrind errors or
# leaks (or did not exit cleanly), 2 the stack could not be set up.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${BUILD:-build-vg}
BIN="$ROOT/$BUILD/bin"
DATA="$ROOT/data"

if [ "${NO_BUILD:-0}" != 1 ]; then
    make -j2 BUILD="$BUILD" OPT=-O0 >/dev/null || { echo "build failed"; exit 2; }
fi
for tool in valgrind redis-server curl python3; do
    command -v "$tool" >/dev/null || { echo "missing: $tool"; exit 2; }
done

TMP=$(mktemp -d /tmp/jm-valgrind.XXXXXX)
PIDS=()
cleanup () {
    local p
    for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
    if [ -n "${KEEP:-}" ]; then echo "kept: $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap "exit 2" INT TERM

free_ports () {   # N free loopback TCP ports
    python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}
read -r P_REDIS P_CLIENTS P_WORKERS P_HTTP <<<"$(free_ports 4)"
REDIS_URL="redis://127.0.0.1:$P_REDIS/0"
GW="tcp://127.0.0.1:$P_CLIENTS"
HTTP="http://127.0.0.1:$P_HTTP"
VG=(valgrind --leak-check=full --show-leak-kinds=definite,indirect
    --errors-for-leak-kinds=definite,indirect --error-exitcode=99
    --track-origins=yes --num-callers=30)
GW_MAX_BODY=262144
DASH_MAX_BODY=131072

export JOBMATCH_TIMEOUT_MS=30000 JOBMATCH_DATA_DIR="$DATA" JOBMATCH_GATEWAY="$GW"
mkdir -p "$TMP/cli"
if [ "${VG_CLI:-1}" != 0 ]; then
    JM_VG=("${VG[@]}" --log-file="$TMP/cli/%p.vg")
else
    JM_VG=()
fi
jm () { "${JM_VG[@]}" "$BIN/jobmatch" "$@"; }
JM=jm
step () { echo "-- $*"; }

start_redis () {
    redis-server --port "$P_REDIS" --bind 127.0.0.1 --save '' --appendonly no \
        --dir "$TMP" >>"$TMP/redis.log" 2>&1 &
    REDIS_PID=$!
    local i
    for i in $(seq 100); do
        redis-cli -p "$P_REDIS" ping 2>/dev/null | grep -q PONG && return 0
        sleep 0.1
    done
    echo "redis-server did not start"; exit 2
}
start_redis
PIDS+=("$REDIS_PID")

declare -A SVC_PID
start_service () {   # name args...
    local name=$1; shift
    "${VG[@]}" --log-file="$TMP/$name.vg" "$BIN/$name" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
    SVC_PID[$name]=$!
    PIDS+=("$!")
}
# Settings partly from config files, so their reader runs too.  Heartbeats
# 1 s x 15: a worker that vanishes is lost within 15 s, while valgrind's
# slowness cannot make the matcher miss 15 in a row.
cat >"$TMP/gateway.conf" <<CONF
# gateway settings
heartbeat-ms = 1000
liveness = 15
no-worker-wait-ms = 60000

max-body = $GW_MAX_BODY
CONF
TOKEN=vg-secret-token
cat >"$TMP/dashboard.conf" <<CONF
token = $TOKEN
threads = 2
timeout-ms = 30000
CONF
start_service jobmatch-gateway --clients "$GW" --workers "tcp://127.0.0.1:$P_WORKERS" \
    --config "$TMP/gateway.conf"
start_service jobmatch-matcher --gateway "tcp://127.0.0.1:$P_WORKERS" --redis "$REDIS_URL" \
    --data "$DATA" --heartbeat-ms 1000 --liveness 15 --poll-ms 250
start_service jobmatch-dashboard --listen "127.0.0.1:$P_HTTP" --gateway "$GW" --redis "$REDIS_URL" \
    --data "$DATA" --config "$TMP/dashboard.conf" --health-timeout-ms 20000 --max-body "$DASH_MAX_BODY"

# Ready: the matcher answers a registry request, the dashboard answers /healthz.
ready=0
for i in $(seq 120); do
    if "$BIN/jobmatch" jobs list --json >/dev/null 2>&1; then ready=1; break; fi
    sleep 1
done
[ $ready -eq 1 ] || { echo "gateway/matcher not ready"; cat "$TMP"/*.err; exit 2; }
for i in $(seq 120); do
    curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" "$HTTP/healthz" && break
    sleep 1
done

W="$TMP/work"; mkdir -p "$W"
run () { "$@" >>"$W/out.log" 2>&1; echo "   exit $? : $*" ; }
run_in () { local f=$1; shift; "$@" <"$f" >>"$W/out.log" 2>&1; echo "   exit $? : $* < $f" ; }
http () {   # METHOD PATH [curl args...]
    local m=$1 p=$2; shift 2
    local code
    code=$(curl -s -o "$W/http.body" -w '%{http_code}' -X "$m" --max-time 60 -H "Authorization: Bearer $TOKEN" "$@" "$HTTP$p")
    echo "   HTTP $code : $m $p"
    cat "$W/http.body" >>"$W/out.log"
}

status=0
step "CLI: submit, jobs, rank, results, best"
run "$JM" submit "$ROOT/proto/examples/candidates.jsonl"
run "$JM" submit --job backend-developer --job database-administrator --explain "$ROOT/proto/examples/candidates.jsonl"
run "$JM" submit --ranked --batch 5 --window 3 --job solutions-architect "$ROOT/proto/examples/candidates.jsonl"
run "$JM" jobs list --json
run "$JM" jobs list --table
run "$JM" jobs get backend-developer
run "$JM" jobs get backend-developer --full
sed -e 's/"id": "backend-engineer"/"id": "vg-engineer"/' "$DATA/jobs/backend-engineer.json" >"$W/vg-engineer.json"
run "$JM" jobs put "$W/vg-engineer.json"
run "$JM" jobs put "$DATA/jobs/backend-engineer.json"
run "$JM" jobs put "$DATA/jobs/backend-engineer.json"     # a new version: re-scoring
run "$JM" submit --job vg-engineer "$ROOT/proto/examples/candidates.jsonl"
run "$JM" rank backend-developer --json
run "$JM" rank backend-developer --table --limit 5 --offset 2 --min-score 10
run "$JM" rank backend-developer --band strong --json
run "$JM" results backend-developer cand-0001
run "$JM" results --explain backend-developer cand-0002
run "$JM" results --all cand-0001 --json
run "$JM" results --all cand-0001 --table
head -1 "$ROOT/proto/examples/candidates.jsonl" >"$W/one.json"
run "$JM" best "$W/one.json" --json
run "$JM" best --table --limit 3 "$W/one.json"
run "$JM" jobs delete vg-engineer
run "$JM" jobs list --json

step "CLI: batch"
run "$JM" batch --in "$ROOT/proto/examples/candidates.jsonl" --out "$W/batch.jsonl" --job backend-developer --summary "$W/summary.json"
run "$JM" batch --in "$ROOT/proto/examples/candidates.jsonl" --out "$W/batch.csv" --all-jobs --batch 7 --window 2
run "$JM" batch --in "$ROOT/proto/examples/candidates.jsonl" --out "$W/batch.jsonl" --resume
printf 'id,name,skills,years_experience\nc1,"Ann, A",Python;SQL;Docker,3\nc2,Bob,"Java;""Spring""",x\n' >"$W/in.csv"
run "$JM" batch --in "$W/in.csv" --out "$W/out-csv.jsonl"

step "CLI: bad input"
{ head -3 "$ROOT/proto/examples/candidates.jsonl"; echo '{"id": "bad-1", "skills": [Python'; printf '{"id": "bad-\xff\xfe", "skills": ["Python"]}\n'; echo '{"id": "bad-3"}'; echo '{"id": 5, "skills": 7}'; } >"$W/bad.jsonl"
run "$JM" submit "$W/bad.jsonl"
run "$JM" batch --in "$W/bad.jsonl" --out "$W/bad-out.jsonl"
run "$JM" submit --job no-such-job "$W/one.json"
run "$JM" rank no-such-job
run "$JM" results no-such-job cand-0001
run "$JM" results backend-developer no-such-candidate
run "$JM" jobs get no-such-job
run "$JM" jobs delete no-such-job
echo '{"id": "broken", "title": ' >"$W/broken-job.json"
run "$JM" jobs put "$W/broken-job.json"
echo '{"id": "vg-unknown", "title": "T", "description": "d", "requirements": [{"skill": "no-such-skill-xyz", "kind": "required"}]}' >"$W/unknown-skill.json"
run "$JM" jobs put "$W/unknown-skill.json"
printf '{"id": "c\xc3", "skills": ["Pyth\xffon"]}' >"$W/bad-utf8.json"
run "$JM" best "$W/bad-utf8.json"
echo '[1, 2' >"$W/bad-best.json"
run "$JM" best "$W/bad-best.json"
python3 - "$W/big.jsonl" "$GW_MAX_BODY" <<'EOF'
import json, sys
path, limit = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    f.write(json.dumps({"id": "big-1", "name": "x" * (limit * 2), "skills": ["Python"]}) + "\n")
EOF
run "$JM" submit --retries 0 "$W/big.jsonl"

step "dashboard HTTP"
http GET /healthz
http GET /metrics
http GET /
http GET /api/v1/jobs
http GET /api/v1/jobs/backend-developer
http GET "/api/v1/jobs/backend-developer/ranking?offset=1&limit=5&min_score=5&band=good"
http GET "/api/v1/jobs/backend-developer/ranking?q=ra"
http GET "/api/v1/jobs/backend-developer/ranking?limit=0"
http GET "/api/v1/jobs/backend-developer/ranking?q=%ff%fe"
http GET /api/v1/jobs/backend-developer/summary
http GET /api/v1/jobs/backend-developer/results/cand-0001
http GET /api/v1/jobs/backend-developer/results/nobody
http GET /api/v1/candidates/cand-0001/results
http GET /api/v1/candidates/nobody/results
http GET /api/v1/jobs/no-such-job
http GET /api/v1/jobs/no-such-job/ranking
http GET /api/v1/jobs/no-such-job/summary
http GET /api/v1/taxonomy
http GET "/api/v1/taxonomy?q=pyth"
http GET /api/v1/no-such-path
sed -e 's/"id": "backend-engineer"/"id": "vg-dash"/' "$DATA/jobs/backend-engineer.json" >"$W/vg-dash.json"
http PUT /api/v1/jobs/vg-dash -H 'Content-Type: application/json' --data-binary "@$W/vg-dash.json"
http PUT /api/v1/jobs/vg-dash -H 'Content-Type: application/json' --data-binary "@$W/vg-dash.json"
http PUT /api/v1/jobs/other-id -H 'Content-Type: application/json' --data-binary "@$W/vg-dash.json"
http POST /api/v1/match -H 'Content-Type: application/json' --data-binary "{\"candidate\": $(cat "$W/one.json"), \"jobs\": [\"vg-dash\", \"backend-developer\"]}"
http POST /api/v1/match -H 'Content-Type: application/json' --data-binary '{"candidates": [{"id": "m1", "skills": ["Python", "SQL"]}, {"id": "m2"}, 5]}'
http POST /api/v1/best -H 'Content-Type: application/json' --data-binary "{\"candidate\": $(cat "$W/one.json")}"
http POST /api/v1/best -H 'Content-Type: application/json' --data-binary "$(cat "$W/one.json")"
http GET /api/v1/jobs/vg-dash/ranking
http DELETE /api/v1/jobs/vg-dash
http DELETE /api/v1/jobs/vg-dash
http POST /api/v1/match -H 'Content-Type: application/json' --data-binary '{"candidate": {"id": "x", "skills": [Pyth'
http POST /api/v1/match -H 'Content-Type: application/json' --data-binary "$(printf '{"candidate": {"id": "\xff\xfe", "skills": ["Py\xc3thon"]}}')"
http POST /api/v1/match -H 'Content-Type: application/json' --data-binary '{"candidate": {"id": "x", "skills": ["Python"]}, "jobs": ["no-such-job"]}'
http POST /api/v1/match -H 'Content-Type: application/json' --data-binary '[]'
http POST /api/v1/match -H 'Content-Type: application/json' --data-binary ''
http PUT /api/v1/jobs/vg-bad -H 'Content-Type: application/json' --data-binary '{"title": 5}'
http PUT /api/v1/jobs/vg-bad -H 'Content-Type: application/json' --data-binary '{"title": "x", "requirements": [{"skill": "no-such-skill-xyz"}]}'
python3 -c "import sys; sys.stdout.write('{\"candidate\": {\"id\": \"big\", \"name\": \"' + 'x' * (int(sys.argv[1]) * 2) + '\", \"skills\": [\"Python\"]}}')" "$DASH_MAX_BODY" >"$W/big.json"
http POST /api/v1/match -H 'Content-Type: application/json' --data-binary "@$W/big.json"
http POST /api/v1/match -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' --data-binary "@$W/big.json"
http POST /api/v1/jobs    # method not allowed
http GET /api/v1/jobs/backend-developer/ranking -H 'Authorization: Bearer nothing'

http GET /app.js
http GET /app.css
http GET "/?token=abc"
http GET "/?token=$TOKEN"
curl -s -o /dev/null -w '   HTTP %{http_code} : no token\n' "$HTTP/api/v1/jobs"
curl -s -o /dev/null -w '   HTTP %{http_code} : wrong token\n' -H 'Authorization: Bearer nope' "$HTTP/api/v1/jobs"
curl -s -o /dev/null -w '   HTTP %{http_code} : bad scheme\n' -H 'Authorization: Basic eDp5' "$HTTP/metrics"
curl -s -o /dev/null -w '   HTTP %{http_code} : cookie\n' -b "jm_token=$TOKEN" "$HTTP/"
http GET /../../etc/passwd --path-as-is
http GET /%2e%2e/%2e%2e/etc/passwd
http HEAD /api/v1/jobs
http OPTIONS /api/v1/jobs
http GET "/api/v1/jobs/backend-developer/ranking?q=$(printf 'q%.0s' $(seq 300))"
http GET "/api/v1/jobs/backend-developer/ranking?offset=99999999999999999999&limit=abc&min_score=nan&band=x"
http GET "/api/v1/jobs/backend-developer/ranking?offset=100000000&limit=1000&min_score=100"
http GET "/api/v1/jobs/$(printf 'j%.0s' $(seq 300))/ranking"
http GET "/api/v1/jobs/%ff%00x/results/%00"
http GET "/api/v1/candidates/$(printf 'c%.0s' $(seq 2000))/results"
http GET "/api/v1/jobs/backend-developer/results/"
http GET "/api/v1/jobs//summary"
http GET /api/v1/jobs/backend-developer/ranking -H "X-Long: $(printf 'h%.0s' $(seq 6000))"
http POST /api/v1/match -H 'Content-Type: text/plain' --data-binary 'x'
# the dashboard's guards: a foreign Host, another origin, a missing Content-Type
http GET /api/v1/jobs -H 'Host: evil.test'
http GET /healthz -H "Host: $(printf 'h%.0s' $(seq 300))"
http POST /api/v1/match -H 'Origin: http://evil.test' -H 'Content-Type: application/json' --data-binary '{}'
http POST /api/v1/match -H 'Referer: null' -H 'Content-Type: application/json' --data-binary '{}'
http POST /api/v1/match -H 'Sec-Fetch-Site: cross-site' -H 'Content-Type: application/json' --data-binary '{}'
http PUT /api/v1/jobs/vg-x -H 'Content-Type:' --data-binary '{}'
http POST /api/v1/match -H 'Content-Type: application/json' -H 'Content-Length: 999999999' --data-binary 'x' --max-time 3
# concurrent requests
par=()
for i in $(seq 12); do
    curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" --max-time 60 "$HTTP/api/v1/jobs/backend-developer/ranking?limit=$i" &
    par+=($!)
    curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" --max-time 60 -X POST -H 'Content-Type: application/json' \
        --data-binary "{\"candidate\": {\"id\": \"par-$i\", \"skills\": [\"Python\", \"SQL\"]}}" "$HTTP/api/v1/match" &
    par+=($!)
done
curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" --max-time 60 "$HTTP/metrics" & par+=($!)
curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" --max-time 60 "$HTTP/healthz" & par+=($!)
wait "${par[@]}"
echo "   ${#par[@]} concurrent requests done"
# clients that leave before the answer
python3 - "$ROOT/proto/examples/candidates.jsonl" >"$W/many.json" <<'PYEOF'
import json, sys
c = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
out = []
for i in range(10):
    for x in c:
        y = dict(x); y["id"] = "%s-m%d" % (x["id"], i); out.append(y)
print(json.dumps({"candidates": out}))
PYEOF
for i in 1 2 3; do
    curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" --max-time 0.3 -X POST -H 'Content-Type: application/json' --data-binary "@$W/many.json" "$HTTP/api/v1/match"
    curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" --max-time 0.1 "$HTTP/api/v1/jobs/backend-developer/summary"
done
sleep 2

step "CLI: local commands and stdin"
run "$JM" score --job backend-developer "$ROOT/proto/examples/candidates.jsonl"
run "$JM" score --explain --job database-administrator "$W/one.json"
run "$JM" score "$W/bad.jsonl"
run "$JM" skills --help
run "$JM" skills normalize "k8s" "Postgres 15" "Pythn" ""
run "$JM" jobs list --offline
run "$JM" jobs show backend-developer --table
run "$JM" jobs show "$W/broken-job.json"
run_in "$W/bad.jsonl" "$JM" submit -
run_in "$W/bad.jsonl" "$JM" score -
run "$JM" skills list --json
run "$JM" skills extract "$(ls "$ROOT"/proto/examples/resumes/*.txt | head -1)"
printf 'Pyth\xffon\nk8s\n\n' >"$W/names.txt"
run_in "$W/names.txt" "$JM" skills normalize

step "raw 7/MDP traffic (malformed messages, fake workers)"
/usr/bin/python3 "$ROOT/tests/valgrind_mdp.py" "$GW" "tcp://127.0.0.1:$P_WORKERS" >"$W/mdp1.log" 2>&1; echo "   exit $?"; cat "$W/mdp1.log"

sleep 5    # the fake worker that vanished expires meanwhile (15 s)

step "Redis stop and restart while the matcher runs"
kill -TERM "$REDIS_PID"; wait "$REDIS_PID" 2>/dev/null
run "$JM" submit --retries 1 --timeout-ms 15000 "$W/one.json"
http GET /api/v1/jobs/backend-developer/ranking
http GET /healthz
sleep 2
start_redis
PIDS+=("$REDIS_PID")
sleep 3
# The private Redis keeps nothing: the jobs are put again
ok=1
for i in $(seq 30); do
    "$BIN/jobmatch" jobs put "$DATA/jobs/backend-developer.json" >/dev/null 2>&1 && { ok=0; break; }
    sleep 1
done
echo "   matcher serves again after the Redis restart: $([ $ok -eq 0 ] && echo yes || echo NO)"
[ $ok -eq 0 ] || status=1
run "$JM" jobs put "$DATA/jobs/backend-engineer.json"
run "$JM" submit "$ROOT/proto/examples/candidates.jsonl"
run "$JM" rank backend-engineer --json
http GET /api/v1/jobs/backend-developer/ranking
http GET /metrics
http GET /healthz
sleep 3

step "in flight at shutdown: raw MDP requests held, a big match through the dashboard, a batch"
/usr/bin/python3 "$ROOT/tests/valgrind_mdp.py" "$GW" "tcp://127.0.0.1:$P_WORKERS" 600 >"$W/mdp2.log" 2>&1 &
MDP_PID=$!; PIDS+=("$MDP_PID")
for i in $(seq 240); do grep -q 'raw MDP done' "$W/mdp2.log" 2>/dev/null && break; sleep 0.5; done
cat "$W/mdp2.log"
curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" --max-time 120 -X POST -H 'Content-Type: application/json' --data-binary "@$W/many.json" "$HTTP/api/v1/match" &
CURL_PID=$!
"$BIN/jobmatch" batch --in "$W/many.json" --format json --out "$W/late.jsonl" --all-jobs --retries 0 >/dev/null 2>&1 &
BATCH_PID=$!
sleep 1.5

step "SIGTERM every service"
for name in jobmatch-dashboard jobmatch-matcher jobmatch-gateway; do
    pid=${SVC_PID[$name]}
    kill -TERM "$pid" 2>/dev/null
    for i in $(seq 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then
        echo "   $name did not exit in 60 s after SIGTERM: killed"; kill -KILL "$pid"; status=1
    fi
    wait "$pid"; rc=$?
    echo "   $name exit status $rc"
    [ "$rc" -eq 0 ] || status=1
done
kill -TERM "$REDIS_PID" 2>/dev/null; wait "$REDIS_PID" 2>/dev/null
kill -KILL "$MDP_PID" "$CURL_PID" "$BATCH_PID" 2>/dev/null; wait "$MDP_PID" "$CURL_PID" "$BATCH_PID" 2>/dev/null

echo
echo "== valgrind reports"
for name in jobmatch-gateway jobmatch-matcher jobmatch-dashboard; do
    f="$TMP/$name.vg"
    echo "-- $name"
    grep -E 'ERROR SUMMARY|definitely lost:|indirectly lost:|All heap blocks|in use at exit' "$f" | sed -E 's/^==[0-9]+== */   /'
    errs=$(grep -E 'ERROR SUMMARY' "$f" | tail -1 | sed -E 's/.*ERROR SUMMARY: ([0-9]+) errors.*/\1/')
    if [ -z "$errs" ] || [ "$errs" != 0 ]; then
        status=1
        echo "   first reports:"
        grep -vE '^==[0-9]+== *$' "$f" | grep -A 25 -E 'Invalid|uninitialised|Conditional|definitely lost in|indirectly lost in|Syscall param|Mismatched|free\(\)' | head -80 | sed 's/^/   /'
    fi
done
if [ "${VG_CLI:-1}" != 0 ]; then
    echo "-- jobmatch (CLI): $(ls "$TMP/cli" | wc -l) runs"
    bad=0
    for f in "$TMP"/cli/*.vg; do
        grep -q 'ERROR SUMMARY: 0 errors' "$f" && continue
        grep -q 'ERROR SUMMARY' "$f" || continue     # killed on purpose
        bad=$((bad + 1)); status=1
        if [ $bad -le 3 ]; then
            grep -m1 'Command:' "$f" | sed -E 's/^==[0-9]+== */   /'
            grep -E 'ERROR SUMMARY|definitely lost:|indirectly lost:' "$f" | sed -E 's/^==[0-9]+== */   /'
            grep -vE '^==[0-9]+== *$' "$f" | grep -A 25 -E 'Invalid|uninitialised|Conditional|definitely lost in|indirectly lost in|Syscall param|Mismatched' | head -60 | sed 's/^/   /'
        fi
    done
    echo "   $bad runs with errors"
fi
if [ -n "${KEEP:-}" ] || [ $status -ne 0 ]; then KEEP=1; fi
echo
[ $status -eq 0 ] && echo "valgrind: all services clean" || echo "valgrind: ERRORS (see above; logs in $TMP)"
exit $status
