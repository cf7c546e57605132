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

# Asterisk's manager interface: without a real PBX (AMI_HOST unset) the AMI simulator stands in
# for it (asterisk_sim/ami.py, issue 16), with the demo agents' phones in queue 95598.
if [ -z "${AMI_HOST:-}" ]; then
  export AMI_HOST=127.0.0.1 AMI_PORT="${AMI_PORT:-5038}" AMI_SECRET="${AMI_SECRET:-demo-ami-secret}"
  $BIN/python -m asterisk_sim ami --port "$AMI_PORT" >> var/log/ami-simulator.log 2>&1 &
  ami_simulator=$!
  trap 'kill -TERM "$ami_simulator" 2>/dev/null || true' EXIT
fi

$BIN/python scripts/manage.py migrate
$BIN/python scripts/manage.py seed
$BIN/python scripts/manage.py quorum-queues  # queues older releases declared otherwise, once

# The services run under a supervisor (scripts/supervise.py): one that dies is restarted with a
# growing pause while the others keep running; logs are appended to var/log/<service>.log and
# rotated. Ctrl-C reaches the supervisor through this trap and stops everything once.
$BIN/python scripts/supervise.py &
supervisor=$!
stop_all() {
  trap - EXIT INT TERM
  kill -TERM "$supervisor" 2>/dev/null || true
  wait "$supervisor" 2>/dev/null || true
  if [ -n "${ami_simulator:-}" ]; then kill -TERM "$ami_simulator" 2>/dev/null || true; fi
}
trap stop_all EXIT INT TERM

# The same Prometheus configuration the tests use, for a local Prometheus (see below).
$BIN/python -m svckit.services prometheus > var/prometheus.yml

$BIN/python scripts/wait_ready.py
cat <<MSG

The 95598 platform is running (logs in var/log/, Ctrl-C stops it):
  FastAGI (calls)       agi://${FASTAGI_ADDRESS:-127.0.0.1:4573}/95598
  Gateway (JSON API)    http://${GATEWAY_ADDRESS:-127.0.0.1:8000}/api/
  Metrics               http://${CALLS_HTTP_ADDRESS:-127.0.0.1:9101}/metrics (calls)
                        http://${STAFFING_HTTP_ADDRESS:-127.0.0.1:9102}/metrics (staffing)
                        http://${VISITS_HTTP_ADDRESS:-127.0.0.1:9104}/metrics (visits)
                        http://${ASSETS_HTTP_ADDRESS:-127.0.0.1:9103}/metrics (assets)
                        http://${INBOX_HTTP_ADDRESS:-127.0.0.1:9105}/metrics (inbox)
                        http://${GATEWAY_ADDRESS:-127.0.0.1:8000}/metrics (gateway)
  Demo logins           agent01 / leader01 / lead01, password: ${DEMO_PASSWORD:-demo}
                        visits (S5): mkt_chief (department head), sales01 / sales02
  Health                /health/live and /health/ready on each of those addresses
Place a call:           make call      (or: .venv/bin/python -m asterisk_sim call --digits 2)
                        the AMI simulator (${AMI_HOST}:${AMI_PORT}) then rings the routed phone,
                        answers, talks 5 s, hangs up: OUTCOME=abandon or no_answer for others
Follow one call:        grep '"uniqueid": "<uniqueid>"' var/log/*.log
Watch it with Prometheus (Debian's: scripts/ensure_prometheus.sh installs it), in a second
terminal, with the platform's rules and alerts (deploy/prometheus/):
  prometheus --config.file=var/prometheus.yml --storage.tsdb.path=var/prometheus
  (it listens on 127.0.0.1:9090 unless --web.listen-address says otherwise)
  then http://127.0.0.1:9090/alerts; Grafana: deploy/grafana (dashboard and provisioning)
MSG
wait "$supervisor"
