#!/usr/bin/env bash
# CPU profiles of Tributary's produce path and fetch path (node --cpu-prof on the broker process),
# each summarised by self time (dist/bench/profile-summary.js).
#   scripts/bench-profile.sh [out-dir] [records]     (defaults: /tmp/tributary-profile, 1000000)
# Produce: Kafka's ProducerPerformance (100 B records, acks=1, linger.ms=5, batch.size=65536) and
# then our Node producer, against a broker started with --cpu-prof. Fetch: the broker restarted on
# the same data with --cpu-prof, read back by our Node consumer. Bounded: every step has a timeout.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OUT="${1:-/tmp/tributary-profile}"
N="${2:-1000000}"
npx tsc -p tsconfig.json >&2
LIBS="$(scripts/fetch-kafka.sh)"
rm -rf "$OUT"; mkdir -p "$OUT/produce" "$OUT/produce-node" "$OUT/fetch"
DATA="$(mktemp -d /tmp/tributary-profile-data-XXXXXX)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
BROKER_PID=""
cleanup() { [[ -n "$BROKER_PID" ]] && kill "$BROKER_PID" 2>/dev/null || true; rm -rf "$DATA"; }
trap cleanup EXIT

start_broker() { # $1 = profile dir
  node --cpu-prof --cpu-prof-dir="$1" dist/tributary.mjs server-start config/server.properties \
    --override "listeners=PLAINTEXT://127.0.0.1:$PORT" --override "advertised.listeners=PLAINTEXT://127.0.0.1:$PORT" \
    --override "log.dirs=$DATA" >>"$OUT/broker.log" 2>&1 &
  BROKER_PID=$!
  for _ in $(seq 1 100); do timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT" 2>/dev/null && return 0; sleep 0.1; done
  echo "broker did not start" >&2; exit 1
}
stop_broker() {
  kill -TERM "$BROKER_PID"
  for _ in $(seq 1 100); do kill -0 "$BROKER_PID" 2>/dev/null || { BROKER_PID=""; return 0; }; sleep 0.1; done
  kill -KILL "$BROKER_PID"; BROKER_PID=""
}
summary() { node dist/bench/profile-summary.js "$(ls "$1"/*.cpuprofile | head -1)" --top 30; }

echo "== produce path: ProducerPerformance, $N x 100 B, acks=1, linger.ms=5, batch.size=65536"
start_broker "$OUT/produce"
timeout 180 java -Xmx512M -cp "$LIBS/*" org.apache.kafka.tools.ProducerPerformance --bootstrap-server "127.0.0.1:$PORT" \
  --topic prof --num-records "$N" --record-size 100 --throughput -1 \
  --command-property acks=1 linger.ms=5 batch.size=65536 2>/dev/null | tail -1
stop_broker
summary "$OUT/produce" | tee "$OUT/produce.txt"

echo "== produce path: Node producer, $N x 100 B, acks=1, 64 KB batches, 5 in flight"
start_broker "$OUT/produce-node"
timeout 180 node dist/bench/produce-consume.js --bootstrap "127.0.0.1:$PORT" --topic prof-node --records "$N" --batch 65536 --skip-consume | grep -E '^produce'
stop_broker
summary "$OUT/produce-node" | tee "$OUT/produce-node.txt"

echo "== fetch path: Node consumer reading topic prof ($N records) from offset 0"
start_broker "$OUT/fetch"
timeout 180 node dist/bench/produce-consume.js --bootstrap "127.0.0.1:$PORT" --topic prof --records "$N" --skip-produce | grep -E '^consume'
stop_broker
summary "$OUT/fetch" | tee "$OUT/fetch.txt"
