#!/usr/bin/env bash
# Installed jobmatch runs from where it is installed (issue 19, item 1).
# `make install DESTDIR=$TMP/root PREFIX=/usr` (built in build-install/, so
# build/ keeps its own PREFIX); then a private Redis, the gateway, a matcher
# and the dashboard, all from $TMP/root/usr/bin, on free ports, in a working
# directory holding a broken decoy ./data and a decoy web page that must not
# be used, with no JOBMATCH_* variable set.  The CLI scores a candidate
# through the gateway; the dashboard serves the installed page and /livez.
# If dpkg-buildpackage and debhelper are here, `make deb` builds the package
# (lintian too, when present) and `dpkg -x` unpacks it into a scratch root:
# units, man pages, data, web page and the sysusers file must be there.  The
# .deb is never installed on this machine.  Each check prints "ok NAME" or
# "FAIL NAME: why"; the last line is "N passed, N failed".
# Usage: tests/integration/test_install.sh   (JM_ROOT optional)
set -u
here=$(cd "$(dirname "$0")" && pwd)
ROOT=${JM_ROOT:-$(cd "$here/../.." && pwd)}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/jm-test-install.XXXXXX")
EXAMPLES="$ROOT/proto/examples/candidates.jsonl"
pids=()
passed=0; failed=0
ok ()   { echo "ok $1"; passed=$((passed + 1)); }
fail () { echo "FAIL $1: $2"; failed=$((failed + 1)); }
finish () { echo "$passed passed, $failed failed"; exit $((failed > 0)); }

cleanup () {
    { for pid in "${pids[@]}"; do kill "$pid"; done
      for pid in "${pids[@]}"; do wait "$pid"; done; } 2>/dev/null
    if [ "$failed" -eq 0 ]; then rm -rf "$TMP"; else echo "logs kept in $TMP"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# every JOBMATCH_* variable off: the installed programs must find their files alone
for variable in $(env | sed -n 's/^\(JOBMATCH_[A-Z_]*\)=.*/\1/p'); do unset "$variable"; done

free_port () { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_until () {   # wait_until SECONDS COMMAND...: true once COMMAND succeeds
    local deadline=$((SECONDS + $1)); shift
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.2
    done
}

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

# ---- the Debian package, unpacked (never installed here) ----------------------
cd "$ROOT" || exit 1
if ! command -v dpkg-buildpackage >/dev/null || ! command -v dh >/dev/null; then
    echo "SKIP deb: no dpkg-buildpackage or debhelper (tests/deps.sh installs them)"; finish
fi
if ! command -v lintian >/dev/null; then
    echo "SKIP lintian: not installed; the package is built without it"
    deb_target=(deb LINTIAN=true)
else
    deb_target=(deb)
fi
if make -s BUILD=build-install "${deb_target[@]}" > "$TMP/deb.log" 2>&1; then
    ok make_deb
else
    fail make_deb "$(grep -E '^[EW]:|error' "$TMP/deb.log" | head -5)"; finish
fi
deb=$(ls build-install/deb/jobmatch_*_*.deb | grep -v dbgsym | head -n 1)
dpkg -x "$deb" "$TMP/deb-root" || { fail deb_unpacks "dpkg -x $deb"; finish; }
missing=""
for file in usr/bin/jobmatch-gateway usr/bin/jobmatch-matcher usr/bin/jobmatch-dashboard usr/bin/jobmatch \
            lib/systemd/system/jobmatch-gateway.service lib/systemd/system/jobmatch-matcher.service \
            lib/systemd/system/jobmatch-dashboard.service usr/lib/sysusers.d/jobmatch.conf \
            usr/share/man/man1/jobmatch-gateway.1.gz usr/share/man/man1/jobmatch.1.gz \
            usr/share/jobmatch/data/taxonomy.json usr/share/jobmatch/web/index.html \
            etc/jobmatch/jobmatch.env.example; do
    [ -s "$TMP/deb-root/$file" ] || missing+=" $file"
done
[ -z "$missing" ] && ok deb_holds_every_file || fail deb_holds_every_file "missing:$missing"
cd "$CWD" || exit 1
"$TMP/deb-root/usr/bin/jobmatch" jobs list --offline 2>&1 | grep -q backend-developer \
    && ok deb_cli_uses_its_data || fail deb_cli_uses_its_data "the unpacked CLI found no data"
finish
