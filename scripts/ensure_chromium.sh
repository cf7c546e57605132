#!/usr/bin/env bash
# Make sure Debian's headless-capable Chromium and its WebDriver are installed (the console's
# browser tests, tests/browser/, and `make screenshots`): apt-get update once, then install.
set -euo pipefail
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
  exit 0
fi
echo "installing Debian's chromium and chromium-driver"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-noto-cjk >/dev/null
echo "chromium is installed: $(/usr/bin/chromium --version 2>/dev/null || echo '?')"
