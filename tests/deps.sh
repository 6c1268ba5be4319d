#!/usr/bin/env bash
# Installs the Debian packages jobmatch needs to build and test, if missing.
set -euo pipefail
pkgs=(build-essential pkg-config libczmq-dev libzmq3-dev libhiredis-dev libjansson-dev
      libmicrohttpd-dev redis-server python3-zmq python3-redis)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
