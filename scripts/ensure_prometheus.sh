#!/usr/bin/env bash
# Make sure Debian's Prometheus server and promtool are installed (the tests run promtool on
# deploy/prometheus and start a Prometheus on loopback against the running services). Installs
# the package only; the Debian service it brings is not started or needed.
set -euo pipefail
if command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; then
  exit 0
fi
echo "installing Debian's prometheus (server and promtool)"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
command -v promtool >/dev/null && command -v prometheus >/dev/null || {
  echo "prometheus was installed but promtool or prometheus is not on PATH" >&2; exit 1; }
