#!/usr/bin/env bash
# Make sure a RabbitMQ broker answers: the one in $AMQP_URI, or one on 127.0.0.1:5672,
# starting (and if need be installing) Debian's rabbitmq-server when none runs.
# With --management, also enable the management plugin (the tests create a vhost per test).
set -euo pipefail

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_for_port() {
  for _ in $(seq 1 90); do port_open "$1" "$2" && return 0; sleep 1; done
  echo "RabbitMQ did not come up on $1:$2" >&2; return 1
}

if [ -n "${AMQP_URI:-}" ]; then
  echo "using RabbitMQ from AMQP_URI"
  exit 0
fi

if ! port_open 127.0.0.1 5672; then
  if ! command -v rabbitmq-server >/dev/null 2>&1; then
    echo "installing Debian's rabbitmq-server"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server
  fi
  echo "starting rabbitmq-server"
  rabbitmq-server -detached
  wait_for_port 127.0.0.1 5672
fi

if [ "${1:-}" = "--management" ] && ! port_open 127.0.0.1 15672; then
  rabbitmq-plugins enable rabbitmq_management >/dev/null
  wait_for_port 127.0.0.1 15672
fi
echo "RabbitMQ is up on 127.0.0.1:5672"
