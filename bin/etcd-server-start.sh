#!/usr/bin/env bash
# etcd-server-start.sh [-daemon] [--client-port PORT] [--data-dir DIR] [etcd flags...]
# Starts a one-member etcd on 127.0.0.1 for a local Tributary cluster (brokers set
# etcd.connect=localhost:PORT). Defaults: port 2379, data in ./data/etcd. Any other flag goes to
# etcd as it is. etcd comes from Debian's etcd-server package (scripts/install-etcd.sh).
set -euo pipefail
port=2379 dir=./data/etcd daemon=0 extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    -daemon) daemon=1 ;;
    --client-port) port="$2"; shift ;;
    --data-dir) dir="$2"; shift ;;
    -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) extra+=("$1") ;;
  esac
  shift
done
if ! command -v etcd >/dev/null 2>&1; then
  echo "etcd is not installed: run scripts/install-etcd.sh (Debian's etcd-server)" >&2
  exit 1
fi
peer=$((port + 1))
mkdir -p "$dir"
args=(--name tributary --data-dir "$dir"
  --listen-client-urls "http://127.0.0.1:$port" --advertise-client-urls "http://127.0.0.1:$port"
  --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer"
  --initial-cluster "tributary=http://127.0.0.1:$peer" --log-level warn "${extra[@]}")
echo "[etcd-server-start] etcd on 127.0.0.1:$port (peer port $peer), data in $dir" >&2
if [ "$daemon" = 1 ]; then
  nohup etcd "${args[@]}" >"$dir/etcd.out" 2>&1 &
  echo $! >"$dir/etcd.pid"
  exit 0
fi
exec etcd "${args[@]}"
