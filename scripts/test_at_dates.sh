#!/usr/bin/env bash
# Run the whole test suite as if today were another day: the process's wall clock is moved with
# libfaketime (Debian's, installed here when absent), starting at each date given and running on
# from there. The suite must not care what day it is: every test pins its dates through the
# service clock. Usage: scripts/test_at_dates.sh ["2027-01-15 10:00:00" "2027-01-17 10:00:00" ...]
set -euo pipefail
cd "$(dirname "$0")/.."

lib=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -n 1 || true)
if [ -z "$lib" ]; then
  echo "installing Debian's libfaketime"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libfaketime
  lib=$(ls /usr/lib/*/faketime/libfaketime.so.1 | head -n 1)
fi

[ $# -gt 0 ] || set -- "2027-01-15 10:00:00" "2027-01-17 10:00:00"  # a Friday, a Sunday
for day in "$@"; do
  echo "=== the suite on $(FAKETIME="@$day" LD_PRELOAD="$lib" date '+%A %F %T')"
  # monotonic time is moved too (it runs at the real pace): with it left alone, libfaketime's
  # epoll_wait wrapper hands eventlet's hub an invalid timeout (EINVAL)
  FAKETIME="@$day" LD_PRELOAD="$lib" \
    .venv/bin/python -m pytest -q -p no:cacheprovider
done
