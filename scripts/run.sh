#!/usr/bin/env bash
# Run the whole system on this machine: broker, migrations, demo data, every service, the gateway.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
BIN=.venv/bin
mkdir -p var/log

scripts/ensure_rabbitmq.sh

# A per-installation token secret unless one is given.
if [ -z "${GATEWAY_TOKEN_SECRET:-}" ]; then
  [ -s var/gateway-secret ] || $BIN/python -c 'import secrets; print(secrets.token_urlsafe(32))' > var/gateway-secret
  GATEWAY_TOKEN_SECRET=$(cat var/gateway-secret)
  export GATEWAY_TOKEN_SECRET
fi

$BIN/python scripts/manage.py migrate
$BIN/python scripts/manage.py seed
$BIN/python scripts/manage.py quorum-queues  # classic event queues of older releases, once

pids=()
# The services run in their own sessions, so a Ctrl-C reaches them only through this trap: one
# SIGTERM each (nameko stops gracefully; a second signal during that stop can hang it), then
# SIGKILL for any still running after 20 s.
stop_all() {
  trap - EXIT INT TERM
  kill -TERM "${pids[@]}" 2>/dev/null || true
  for _ in $(seq 1 40); do
    kill -0 "${pids[@]}" 2>/dev/null || break
    sleep 0.5
  done
  kill -KILL "${pids[@]}" 2>/dev/null || true
}
trap stop_all EXIT INT TERM

# Each service's output (one JSON object a line) is appended to var/log/<name>.log, rotated at
# LOG_MAX_BYTES (20 MiB) with LOG_KEEP (3) older files: restarts append, the disk stays bounded.
start() {  # name, config, module:Class
  setsid $BIN/nameko run --config "$2" "$3" \
    > >($BIN/python scripts/log_to_file.py "var/log/$1.log" \
          --max-bytes "${LOG_MAX_BYTES:-20971520}" --keep "${LOG_KEEP:-3}") 2>&1 &
  pids+=($!)
}
# Every service of the platform, from its one list (svckit/services.py).
while read -r name config entry; do
  start "$name" "$config" "$entry"
done < <($BIN/python -m svckit.services)
# The same Prometheus configuration the tests use, for a local Prometheus (see below).
$BIN/python -m svckit.services prometheus > var/prometheus.yml

$BIN/python scripts/wait_ready.py
cat <<MSG

The 95598 platform is running (logs in var/log/, Ctrl-C stops it):
  FastAGI (calls)       agi://${FASTAGI_ADDRESS:-127.0.0.1:4573}/95598
  Gateway (JSON API)    http://${GATEWAY_ADDRESS:-127.0.0.1:8000}/api/
  Metrics               http://${CALLS_HTTP_ADDRESS:-127.0.0.1:9101}/metrics (calls)
                        http://${STAFFING_HTTP_ADDRESS:-127.0.0.1:9102}/metrics (staffing)
                        http://${GATEWAY_ADDRESS:-127.0.0.1:8000}/metrics (gateway)
  Demo logins           agent01 / leader01 / lead01, password: ${DEMO_PASSWORD:-demo}
  Health                /health/live and /health/ready on each of those addresses
Place a call:           make call      (or: .venv/bin/python -m asterisk_sim call --digits 2)
Follow one call:        grep '"uniqueid": "<uniqueid>"' var/log/*.log
Watch it with Prometheus (Debian's: scripts/ensure_prometheus.sh installs it), in a second
terminal, with the platform's rules and alerts (deploy/prometheus/):
  prometheus --config.file=var/prometheus.yml --storage.tsdb.path=var/prometheus
  (it listens on 127.0.0.1:9090 unless --web.listen-address says otherwise)
  then http://127.0.0.1:9090/alerts; Grafana: deploy/grafana (dashboard and provisioning)
MSG
wait -n "${pids[@]}"
echo "a service stopped; see var/log/" >&2
exit 1
