#!/usr/bin/env bash
# Installs the Debian packages jobmatch needs to build and test, if missing,
# and the npm package the dashboard's browser test drives Chromium with.
set -euo pipefail
cd "$(dirname "$0")/.."
pkgs=(build-essential pkg-config libczmq-dev libzmq3-dev libhiredis-dev libjansson-dev
      libmicrohttpd-dev libgnutls28-dev redis-server openssl python3-zmq python3-redis
      chromium wrk python3-jsonschema python3-yaml prometheus
      clang libclang-rt-14-dev help2man debhelper lintian
      systemd-container debootstrap)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node and npm: any install will do (Debian's nodejs 18 and npm, or another)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
    echo "deps: installing ${missing[*]}"
    if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# playwright-core, pinned by package-lock.json; it drives /usr/bin/chromium
# and downloads no browser of its own
if [ ! -f node_modules/playwright-core/package.json ]; then
    echo "deps: npm ci (playwright-core)"
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi
