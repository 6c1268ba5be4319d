#!/usr/bin/env bash
# The Debian package installs and starts (issue 19, item 1).  `make deb`
# (lintian too, when present) builds the package, or JM_DEB=path reuses one
# (deb_package in stack_lib.sh); `dpkg -x` unpacks it into a scratch root $TMP/root.  The .deb is never
# installed on this machine.
#
# "Starts" is checked here as the units would start the programs: for each
# unit of the package (lib/systemd/system/jobmatch-*.service) its ExecStart
# and EnvironmentFile lines, with the package's absolute paths moved into the
# scratch root, are run with only the variables those files set (env -i), in
# /, as the unprivileged user nobody with no new privileges and UMask 0077
# (setpriv, when run as root).  The scratch root's env files give private
# free ports, a private redis-server and JOBMATCH_DATA_DIR / WEB_ROOT inside
# the root.  The package's CLI scores proto/examples/candidates.jsonl through
# the gateway; the dashboard answers /livez, /readyz and a ranking read with
# every candidate.  `systemd-analyze verify` checks the units (paths moved
# into the root); `systemd-sysusers --root --dry-run` the sysusers file; the
# maintainer scripts pass `sh -n`, and the postinst, run with stub commands,
# creates the user before it enables and starts the three units.
# Not checked here: systemd as PID 1, the real user jobmatch, the sandboxing
# enforced, the unit ordering and Restart=; test_deb_boot.sh installs the
# package in a Debian 12 container booted under systemd and checks those.
# Each check prints "ok NAME" or "FAIL NAME: why"; the last line is
# "N passed, N failed".
# Usage: tests/integration/test_deb.sh   (JM_ROOT, JM_DEB optional)
set -u
here=$(cd "$(dirname "$0")" && pwd)
ROOT=${JM_ROOT:-$(cd "$here/../.." && pwd)}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/jm-test-deb.XXXXXX")
EXAMPLES="$ROOT/proto/examples/candidates.jsonl"
JOB=backend-developer
deb=""                               # set by deb_package
. "$here/stack_lib.sh"

# ---- the package, unpacked ----------------------------------------------------
cd "$ROOT" || exit 1
deb_package
R="$TMP/root"
chmod 755 "$TMP"                     # nobody reads the root and the env files
dpkg -x "$deb" "$R" && dpkg -e "$deb" "$TMP/control" \
    || { fail deb_unpacks "dpkg -x / -e $deb"; finish; }
missing=""
for file in usr/bin/jobmatch-gateway usr/bin/jobmatch-matcher usr/bin/jobmatch-dashboard usr/bin/jobmatch \
            lib/systemd/system/jobmatch-gateway.service lib/systemd/system/jobmatch-matcher.service \
            lib/systemd/system/jobmatch-dashboard.service usr/lib/sysusers.d/jobmatch.conf \
            usr/share/man/man1/jobmatch-gateway.1.gz usr/share/man/man1/jobmatch.1.gz \
            usr/share/jobmatch/data/taxonomy.json usr/share/jobmatch/web/index.html \
            etc/jobmatch/jobmatch.env.example; do
    [ -s "$R/$file" ] || missing+=" $file"
done
[ -z "$missing" ] && ok deb_holds_every_file || fail deb_holds_every_file "missing:$missing"
(cd "$TMP" && "$R/usr/bin/jobmatch" jobs list --offline 2>&1) | grep -q backend-developer \
    && ok deb_cli_uses_its_data || fail deb_cli_uses_its_data "the unpacked CLI found no data"
UNITS="$R/lib/systemd/system"
units=$(cd "$UNITS" 2>/dev/null && ls jobmatch-*.service)
[ "$(echo $units)" = "jobmatch-dashboard.service jobmatch-gateway.service jobmatch-matcher.service" ] \
    && ok deb_has_three_units || fail deb_has_three_units "found: $(echo $units)"

# ---- the units' ExecStart and EnvironmentFile, moved into the root ------------
# unit_lines UNIT KEY: the values of KEY= in UNIT's [Service] section
unit_lines () { sed -n '/^\[Service\]/,/^\[/s/^'"$2"'=//p' "$UNITS/$1"; }
if ! command -v redis-server >/dev/null; then echo "SKIP: no redis-server, the stack is not run"; finish; fi
redis_port=$(free_port); clients=$(free_port); workers=$(free_port); http=$(free_port)
mkdir -p "$R/etc/jobmatch"
cat > "$R/etc/jobmatch/jobmatch.env" <<EOF
# every program (written by test_deb.sh)
JOBMATCH_CLIENTS=tcp://127.0.0.1:$clients
JOBMATCH_WORKERS=tcp://127.0.0.1:$workers
JOBMATCH_REDIS=redis://127.0.0.1:$redis_port/0
JOBMATCH_LISTEN=127.0.0.1:$http
JOBMATCH_DATA_DIR=$R/usr/share/jobmatch/data
JOBMATCH_WEB_ROOT=$R/usr/share/jobmatch/web
EOF
echo "JOBMATCH_GATEWAY=tcp://127.0.0.1:$workers" > "$R/etc/jobmatch/matcher.env"
echo "JOBMATCH_GATEWAY=tcp://127.0.0.1:$clients" > "$R/etc/jobmatch/dashboard.env"
chmod 644 "$R"/etc/jobmatch/*.env

# The variables a unit's EnvironmentFile lines give, as NAME=value words;
# a missing file is an error unless its line starts with "-", as in systemd.
unit_environment () {
    local line file optional
    while IFS= read -r line; do
        optional=0; file=$line
        [ "${file#-}" != "$file" ] && { optional=1; file=${file#-}; }
        case $file in /*) ;; *) echo "EnvironmentFile=$line is not absolute" >&2; return 1 ;; esac
        file="$R$file"
        if [ ! -r "$file" ]; then
            [ $optional -eq 1 ] && continue
            echo "EnvironmentFile=$line: no $file" >&2; return 1
        fi
        grep -Ev '^[[:space:]]*([#;]|$)' "$file"
    done < <(unit_lines "$1" EnvironmentFile)
}
as_service=()                        # the unit's User=, NoNewPrivileges=, UMask= as far as we can
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
    as_service=(setpriv --reuid=nobody --regid=nogroup --clear-groups --no-new-privs)
else
    echo "SKIP run_as_nobody: not root or no setpriv; the programs run as $(id -un)"
fi
start_unit () {   # start_unit NAME: runs ExecStart of jobmatch-NAME.service; sets started_pid
    local unit="jobmatch-$1.service" exec environment
    exec=$(unit_lines "$unit" ExecStart)
    [ "$(echo "$exec" | wc -l)" -eq 1 ] && [ "${exec#/}" != "$exec" ] \
        || { fail "unit_$1_execstart" "one absolute ExecStart wanted: $exec"; return 1; }
    environment=$(unit_environment "$unit" 2>"$TMP/$1.env.err") \
        || { fail "unit_$1_environment" "$(cat "$TMP/$1.env.err")"; return 1; }
    # shellcheck disable=SC2086  # ExecStart's words, the env files' NAME=value lines
    ( cd / && umask 0077 && exec env -i PATH=/usr/bin:/bin $environment "${as_service[@]}" "$R"$exec ) \
        > "$TMP/$1.log" 2>&1 &
    started_pid=$!; pids+=($!)
}
redis-server --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no > "$TMP/redis.log" 2>&1 &
pids+=($!)
wait_until 10 redis-cli -p "$redis_port" ping || { fail redis "no answer on $redis_port"; finish; }
start_unit gateway && gateway_pid=$started_pid
start_unit matcher && matcher_pid=$started_pid
start_unit dashboard && dashboard_pid=$started_pid
[ -n "${gateway_pid:-}" ] && [ -n "${matcher_pid:-}" ] && [ -n "${dashboard_pid:-}" ] || finish

submit () {
    "$R/usr/bin/jobmatch" submit --gateway "tcp://127.0.0.1:$clients" --timeout-ms 3000 --job "$JOB" \
        "$EXAMPLES" > "$TMP/submit.out" 2> "$TMP/submit.err"
}
candidates=$(grep -c . "$EXAMPLES")
if wait_until 30 submit && [ "$(grep -c '"score"' "$TMP/submit.out")" -eq "$candidates" ]; then
    ok cli_scores_the_samples_through_the_units
else
    fail cli_scores_the_samples_through_the_units \
        "$(grep -c '"score"' "$TMP/submit.out") of $candidates scored; $(tail -2 "$TMP/submit.err") matcher: $(tail -3 "$TMP/matcher.log")"
fi
get () { curl -sf --max-time 3 "http://127.0.0.1:$http$1"; }
if wait_until 15 get /livez; then ok dashboard_livez; else fail dashboard_livez "$(tail -3 "$TMP/dashboard.log")"; fi
if wait_until 15 get /readyz; then
    ok dashboard_readyz
else
    fail dashboard_readyz "$(curl -s --max-time 3 "http://127.0.0.1:$http/readyz") $(tail -3 "$TMP/dashboard.log")"
fi
check_ranking_holds "$candidates"
page=$(get / 2>/dev/null)
[ "$page" = "$(cat "$R/usr/share/jobmatch/web/index.html")" ] && ok dashboard_serves_the_package_page \
    || fail dashboard_serves_the_package_page "got: ${page:0:80}"
alive=""
for name in gateway matcher dashboard; do
    pid_var="${name}_pid"; kill -0 "${!pid_var}" 2>/dev/null || alive+=" $name: $(tail -2 "$TMP/$name.log")"
done
[ -z "$alive" ] && ok every_unit_still_runs || fail every_unit_still_runs "exited:$alive"
if [ ${#as_service[@]} -gt 0 ]; then
    owners=$(ps -o user= -p "$gateway_pid,$matcher_pid,$dashboard_pid" 2>/dev/null | sort -u | xargs)
    [ "$owners" = nobody ] && ok units_run_unprivileged || fail units_run_unprivileged "run as: $owners"
fi
stop_all

# ---- systemd-analyze verify, the units' paths moved into the root ------------
if command -v systemd-analyze >/dev/null; then
    mkdir -p "$TMP/units"
    for unit in $units; do
        sed -e "s|^ExecStart=/|ExecStart=$R/|" -e "s|^EnvironmentFile=\(-\{0,1\}\)/|EnvironmentFile=\1$R/|" \
            "$UNITS/$unit" > "$TMP/units/$unit"
    done
    if (cd "$TMP/units" && MANPATH="$R/usr/share/man" SYSTEMD_LOG_LEVEL=notice \
            systemd-analyze verify --man=yes $units) > "$TMP/verify.log" 2>&1 \
       && ! grep -q . "$TMP/verify.log"; then
        ok systemd_analyze_verify
    else
        fail systemd_analyze_verify "$(head -5 "$TMP/verify.log")"
    fi
else
    echo "SKIP systemd_analyze_verify: no systemd-analyze"
fi

# ---- the user: sysusers file and maintainer scripts ---------------------------
if command -v systemd-sysusers >/dev/null; then
    mkdir -p "$TMP/users/etc"
    if systemd-sysusers --root="$TMP/users" --dry-run "$R/usr/lib/sysusers.d/jobmatch.conf" \
            > "$TMP/sysusers.log" 2>&1 && grep -q "jobmatch" "$TMP/sysusers.log"; then
        ok sysusers_creates_jobmatch
    else
        fail sysusers_creates_jobmatch "$(head -3 "$TMP/sysusers.log")"
    fi
else
    echo "SKIP sysusers_creates_jobmatch: no systemd-sysusers"
fi
syntax=""
for script in "$TMP"/control/{preinst,postinst,prerm,postrm}; do
    [ -e "$script" ] && { sh -n "$script" 2>>"$TMP/syntax.log" || syntax+=" $(basename "$script")"; }
done
[ -z "$syntax" ] && ok maintainer_scripts_parse || fail maintainer_scripts_parse "$syntax: $(head -2 "$TMP/syntax.log")"
# The postinst with every command that acts on the system replaced by a stub
# that logs its arguments: the user first, then the units enabled and started.
stubs="$TMP/stubs"; mkdir -p "$stubs"
for tool in systemd-sysusers deb-systemd-helper deb-systemd-invoke systemctl; do
    printf '#!/bin/sh\necho "%s $*" >> "%s"\n' "$tool" "$TMP/postinst.calls" > "$stubs/$tool"
    chmod +x "$stubs/$tool"
done
if [ -e "$TMP/control/postinst" ]; then
    # the postinst's own "is systemd running" test is answered yes: start lines run
    sed 's|\[ -d /run/systemd/system \]|true|g' "$TMP/control/postinst" > "$TMP/postinst"
    env -i PATH="$stubs:/usr/bin:/bin" DPKG_MAINTSCRIPT_PACKAGE=jobmatch DPKG_MAINTSCRIPT_NAME=postinst \
        sh "$TMP/postinst" configure "" > "$TMP/postinst.log" 2>&1
    calls=$(cat "$TMP/postinst.calls" 2>/dev/null)
    first=$(echo "$calls" | grep -n '^systemd-sysusers .*jobmatch.conf' | head -1 | cut -d: -f1)
    enable=$(echo "$calls" | grep -n '^deb-systemd-helper .*enable' | head -1 | cut -d: -f1)
    start=$(echo "$calls" | grep -n '^deb-systemd-invoke .*start' | head -1 | cut -d: -f1)
    started=$(echo "$calls" | grep '^deb-systemd-invoke .*start' | grep -o 'jobmatch-[a-z]*\.service' | sort -u | xargs)
    if [ -n "$first" ] && [ -n "$enable" ] && [ -n "$start" ] && [ "$first" -lt "$enable" ] && [ "$first" -lt "$start" ] \
       && [ "$started" = "jobmatch-dashboard.service jobmatch-gateway.service jobmatch-matcher.service" ]; then
        ok postinst_creates_the_user_then_starts_the_units
    else
        fail postinst_creates_the_user_then_starts_the_units "calls: $(echo "$calls" | tr '\n' ';')"
    fi
else
    fail postinst_creates_the_user_then_starts_the_units "the package has no postinst"
fi
finish
