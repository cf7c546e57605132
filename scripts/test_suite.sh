#!/usr/bin/env bash
# The whole test suite in shards that run at once (pytest-split, balanced by the durations kept
# in tests/durations.json). The tests wait on the broker, the databases, timers and a browser far
# more than they compute: one pytest process kept one of this machine's two cores about half
# busy, so two shards finish in a little over half the time. TEST_SHARDS=1 runs one process.
# Each shard's output is kept and shown whole at the end; the exit status is non-zero if any
# shard failed. Extra arguments go to every pytest (e.g. -x, -k ..., --durations=20).
set -uo pipefail
cd "$(dirname "$0")/.."

shards=${TEST_SHARDS:-2}
logs=$(mktemp -d)
pids=()
for group in $(seq 1 "$shards"); do
  .venv/bin/python -m pytest -q -p no:cacheprovider --durations-path tests/durations.json \
    --splits "$shards" --group "$group" --splitting-algorithm least_duration "$@" \
    >"$logs/$group.log" 2>&1 &
  pids+=($!)
done

status=0
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || status=1
  group=$((i + 1))
  echo "=== shard $group of $shards"
  cat "$logs/$group.log"
done
rm -rf "$logs"
exit $status
