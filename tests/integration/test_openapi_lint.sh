#!/usr/bin/env bash
# Lints proto/openapi.yaml with Redocly CLI (`redocly lint`, its recommended
# rules): no errors allowed.  The tool is not a project dependency (it needs
# Node 20.19 or later; Debian 12 ships 18), so the check is skipped, with a
# line saying so, when it is missing: put `redocly` on PATH, in
# node_modules/.bin, or name it in $REDOCLY (e.g. after
# `cd /tmp/redocly && npm i @redocly/cli`, REDOCLY=/tmp/redocly/node_modules/.bin/redocly).
# Prints "ok NAME" or "FAIL NAME: why", then "N passed, N failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
ROOT=${JM_ROOT:-$(cd "$here/../.." && pwd)}
SPEC="$ROOT/proto/openapi.yaml"
tool=${REDOCLY:-}
[ -n "$tool" ] || tool=$(command -v redocly || true)
[ -n "$tool" ] || { [ -x "$ROOT/node_modules/.bin/redocly" ] && tool="$ROOT/node_modules/.bin/redocly"; }
if [ -z "$tool" ] || ! version=$(timeout 60 "$tool" --version 2>/dev/null); then
    echo "skip openapi_lint: Redocly CLI not found or not runnable (set REDOCLY, see this file's header)"
    echo "0 passed, 0 failed"
    exit 0
fi
if out=$(timeout 120 "$tool" lint --format=stylish "$SPEC" 2>&1); then
    echo "ok openapi_lint (redocly $version: $(grep -cE '^ +[0-9]+:[0-9]+ +warning' <<<"$out") warnings)"
    echo "1 passed, 0 failed"
else
    echo "FAIL openapi_lint: redocly $version finds errors in proto/openapi.yaml"
    grep -E '^ +[0-9]+:[0-9]+ +error' <<<"$out" | head -20 | sed 's/^/    /'
    echo "0 passed, 1 failed"
    exit 1
fi
