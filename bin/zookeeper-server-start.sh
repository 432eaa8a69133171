#!/usr/bin/env bash
# zookeeper-server-start.sh [-daemon] zookeeper.properties
# Tributary's coordination service is etcd, not ZooKeeper. This script keeps the tutorial's start
# sequence working: it reads the file's clientPort and dataDir and starts etcd there
# (bin/etcd-server-start.sh), so brokers with zookeeper.connect=localhost:<clientPort> find it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
daemon=()
if [ "${1:-}" = "-daemon" ]; then daemon=(-daemon); shift; fi
if [ $# -lt 1 ]; then
  echo "USAGE: $0 [-daemon] zookeeper.properties" >&2
  exit 1
fi
prop() { # prop <key> <default>: the key's value in the properties file (last one wins)
  local v
  v="$(sed -n "s/^[[:space:]]*$1[[:space:]]*[=:][[:space:]]*//p" "$2" | tail -n 1 | sed 's/[[:space:]]*$//')"
  echo "${v:-$3}"
}
port="$(prop clientPort "$1" 2181)"
dir="$(prop dataDir "$1" /tmp/zookeeper)"
echo "[zookeeper-server-start] Tributary coordinates through etcd: starting etcd on port $port with data in $dir (from $1)" >&2
exec "$here/etcd-server-start.sh" "${daemon[@]}" --client-port "$port" --data-dir "$dir"
