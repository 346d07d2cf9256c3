#!/usr/bin/env bash
# Install the Debian packages the tests need, only when they are missing:
# chromium (Playwright drives /usr/bin/chromium), redis-server (the message queue) and nginx
# (in front of a primary and its edge nodes: tests/edge, docs/deploy.md). Installing nginx
# does not start it: the tests run their own on a free port.
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || missing+=(nginx)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing ${missing[*]} from Debian's packages…"
sudo_cmd=""
[ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
$sudo_cmd apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
