#!/usr/bin/env bash
# Installed jobmatch runs from where it is installed (issue 19, item 1).
# `make install DESTDIR=$TMP/root PREFIX=/usr` (built in build-install/, so
# build/ keeps its own PREFIX); then a private Redis, the gateway, a matcher
# and the dashboard, all from $TMP/root/usr/bin, on free ports, in a working
# directory holding a broken decoy ./data and a decoy web page that must not
# be used, with no JOBMATCH_* variable set.  The CLI scores a candidate
# through the gateway; the dashboard serves the installed page and /livez.
# The Debian package is tested by test_deb.sh.  Each check prints "ok NAME" or
# "FAIL NAME: why"; the last line is "N passed, N failed".
# Usage: tests/integration/test_install.sh   (JM_ROOT optional)
set -u
here=$(cd "$(dirname "$0")" && pwd)
ROOT=${JM_ROOT:-$(cd "$here/../.." && pwd)}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/jm-test-install.XXXXXX")
EXAMPLES="$ROOT/proto/examples/candidates.jsonl"
. "$here/stack_lib.sh"

# every JOBMATCH_* variable off: the installed programs must find their files alone
for variable in $(env | sed -n 's/^\(JOBMATCH_[A-Z_]*\)=.*/\1/p'); do unset "$variable"; done

# ---- make install -----------------------------------------------------------
command -v help2man >/dev/null || { echo "SKIP: no help2man (tests/deps.sh installs it)"; echo "0 passed, 0 failed (skipped: no help2man)"; exit 0; }
ROOTFS="$TMP/root"
if make -C "$ROOT" -s -j2 BUILD=build-install install DESTDIR="$ROOTFS" PREFIX=/usr > "$TMP/install.log" 2>&1; then
    ok make_install
else
    fail make_install "$(tail -5 "$TMP/install.log")"; finish
fi
missing=""
for file in usr/bin/jobmatch usr/bin/jobmatch-gateway usr/bin/jobmatch-matcher usr/bin/jobmatch-dashboard \
            usr/bin/jobmatch-healthcheck usr/share/jobmatch/data/taxonomy.json \
            usr/share/jobmatch/data/jobs/backend-developer.json usr/share/jobmatch/web/index.html \
            usr/share/man/man1/jobmatch-gateway.1 usr/share/man/man1/jobmatch-matcher.1 \
            usr/share/man/man1/jobmatch-dashboard.1 usr/share/man/man1/jobmatch.1 \
            usr/lib/systemd/system/jobmatch-gateway.service usr/lib/systemd/system/jobmatch-matcher.service \
            usr/lib/systemd/system/jobmatch-dashboard.service usr/lib/sysusers.d/jobmatch.conf \
            etc/jobmatch/jobmatch.env.example; do
    [ -s "$ROOTFS/$file" ] || missing+=" $file"
done
[ -z "$missing" ] && ok installed_files || fail installed_files "missing:$missing"
grep -q 'JOBMATCH_REDIS' "$ROOTFS/usr/share/man/man1/jobmatch-matcher.1" \
    && ok man_page_lists_the_settings || fail man_page_lists_the_settings "no JOBMATCH_REDIS in jobmatch-matcher.1"
grep -q 'jobmatch batch' "$ROOTFS/usr/share/man/man1/jobmatch.1" && grep -q 'JOBMATCH_JOB' "$ROOTFS/usr/share/man/man1/jobmatch.1" \
    && ok man_page_lists_the_commands_settings || fail man_page_lists_the_commands_settings "no jobmatch batch or JOBMATCH_JOB in jobmatch.1"
unit="$ROOTFS/usr/lib/systemd/system/jobmatch-gateway.service"
if grep -q '^ExecStart=/usr/bin/jobmatch-gateway$' "$unit" && grep -q '^User=jobmatch$' "$unit" \
   && grep -q '^ProtectSystem=strict$' "$unit" && grep -q '^NoNewPrivileges=yes$' "$unit"; then
    ok unit_hardened
else
    fail unit_hardened "$(grep -E 'ExecStart|User|ProtectSystem|NoNewPrivileges' "$unit")"
fi

# ---- the stack from the installed files ----------------------------------------
BIN="$ROOTFS/usr/bin"
CWD="$TMP/cwd"                       # decoys: a broken ./data and another page
mkdir -p "$CWD/data/jobs" "$CWD/services/jobmatch-dashboard/web" "$CWD/web"
echo '{ broken' > "$CWD/data/taxonomy.json"
echo 'DECOY PAGE' > "$CWD/services/jobmatch-dashboard/web/index.html"
echo 'DECOY PAGE' > "$CWD/web/index.html"
cd "$CWD" || exit 1

if ! command -v redis-server >/dev/null; then
    echo "SKIP: no redis-server, the installed stack is not run"; finish
fi
redis_port=$(free_port); clients=$(free_port); workers=$(free_port); http=$(free_port)
redis-server --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no > "$TMP/redis.log" 2>&1 &
pids+=($!)
wait_until 10 redis-cli -p "$redis_port" ping || { fail redis "no answer on $redis_port"; finish; }
"$BIN/jobmatch-gateway" --clients "tcp://127.0.0.1:$clients" --workers "tcp://127.0.0.1:$workers" \
    > "$TMP/gateway.log" 2>&1 &
pids+=($!)
"$BIN/jobmatch-matcher" --gateway "tcp://127.0.0.1:$workers" --redis "redis://127.0.0.1:$redis_port/0" \
    > "$TMP/matcher.log" 2>&1 &
pids+=($!); matcher_pid=$!
"$BIN/jobmatch-dashboard" --listen "127.0.0.1:$http" --gateway "tcp://127.0.0.1:$clients" \
    --redis "redis://127.0.0.1:$redis_port/0" > "$TMP/dashboard.log" 2>&1 &
pids+=($!); dashboard_pid=$!

head -n 1 "$EXAMPLES" > "$TMP/one.json"
submit () { "$BIN/jobmatch" submit --gateway "tcp://127.0.0.1:$clients" --timeout-ms 2000 "$TMP/one.json" > "$TMP/submit.out" 2> "$TMP/submit.err"; }
if wait_until 20 submit && grep -q '"score"' "$TMP/submit.out"; then
    ok cli_scores_through_the_installed_stack
else
    fail cli_scores_through_the_installed_stack "$(cat "$TMP/submit.err") matcher: $(tail -3 "$TMP/matcher.log")"
fi
kill -0 "$matcher_pid" 2>/dev/null && ! grep -q broken "$TMP/matcher.log" \
    && ok matcher_ignores_decoy_data || fail matcher_ignores_decoy_data "$(tail -3 "$TMP/matcher.log")"

get () { curl -sf --max-time 3 "http://127.0.0.1:$http$1"; }
if wait_until 15 get /livez; then ok dashboard_livez; else fail dashboard_livez "$(tail -3 "$TMP/dashboard.log")"; fi
page=$(get / 2>/dev/null)
if [ "$page" = "$(cat "$ROOTFS/usr/share/jobmatch/web/index.html")" ]; then
    ok dashboard_serves_the_installed_page
else
    fail dashboard_serves_the_installed_page "got: ${page:0:80} $(tail -2 "$TMP/dashboard.log")"
fi
kill -0 "$dashboard_pid" 2>/dev/null && ok dashboard_runs || fail dashboard_runs "$(tail -3 "$TMP/dashboard.log")"
"$BIN/jobmatch" jobs list --offline > "$TMP/jobs.out" 2>&1 \
    && grep -q backend-developer "$TMP/jobs.out" && ok cli_offline_uses_installed_data \
    || fail cli_offline_uses_installed_data "$(head -3 "$TMP/jobs.out")"
"$BIN/jobmatch" --data "$CWD/data" jobs list --offline > /dev/null 2>&1
[ $? -eq 2 ] && ok explicit_data_wins || fail explicit_data_wins "--data $CWD/data (broken) was not used"
finish
