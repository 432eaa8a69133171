#!/usr/bin/env bash
# Group commit: produce throughput with flush.messages=1 (an fsync before every acknowledgement,
# shared by the batches that arrive while one runs) against the default page-cache policy, on
# Tributary and on Apache Kafka 4.3.1, both driven by Kafka's own ProducerPerformance with
# acks=-1 on this machine's disk (/tmp).
#   bench/flush-commit.sh [records (default 50000)] [record size (default 100)]
# Prints one line per broker and policy: records/s, MB/s, average and p99 latency. Holds
# /tmp/heavy.lock while it runs (unless BENCH_NO_LOCK=1); stops both brokers at the end.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [[ "${BENCH_NO_LOCK:-}" != 1 && -z "${FLOCKED:-}" ]]; then exec env FLOCKED=1 flock /tmp/heavy.lock "$0" "$@"; fi
RECORDS="${1:-50000}"
SIZE="${2:-100}"
LIBS="$(scripts/fetch-kafka.sh)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
WORK="$(mktemp -d /tmp/bench-flush-XXXXXX)"
TRIB_PORT="$(free_port)"
KAFKA_PORT="$(free_port)"
trib_pid=""
cleanup() {
  [[ -n "$trib_pid" ]] && kill "$trib_pid" 2>/dev/null && wait "$trib_pid" 2>/dev/null || true
  scripts/kafka-ref.sh stop "$WORK/kafka" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

printf 'node.id=1\nlog.dirs=%s\nlisteners=PLAINTEXT://127.0.0.1:%s\n' "$WORK/trib-data" "$TRIB_PORT" > "$WORK/trib.properties"
node dist/tributary.mjs server-start "$WORK/trib.properties" 2>"$WORK/trib.log" 3>&- &
trib_pid=$!
scripts/kafka-ref.sh start "$WORK/kafka" "$KAFKA_PORT" >/dev/null 3>&-
for _ in $(seq 1 100); do timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$TRIB_PORT" 2>/dev/null && break; sleep 0.1; done

run() { # broker-name port policy
  local name="$1" port="$2" policy="$3" topic="flush-$3"
  local cfg=()
  [[ "$policy" == "flush1" ]] && cfg=(--config flush.messages=1)
  bin/kafka-topics.sh --bootstrap-server "127.0.0.1:$port" --create --topic "$topic" --partitions 1 --replication-factor 1 "${cfg[@]}" >/dev/null
  local out
  out="$(java -Xmx512m -cp "$LIBS/*" -Dlog4j2.rootLogger.level=ERROR org.apache.kafka.tools.ProducerPerformance \
    --topic "$topic" --num-records "$RECORDS" --record-size "$SIZE" --throughput -1 \
    --producer-props "bootstrap.servers=127.0.0.1:$port" acks=-1 2>/dev/null | tail -1)"
  # "N records sent, X records/sec (Y MB/sec), A ms avg latency, M ms max latency, p50 ms 50th, p95 ms 95th, p99 ms 99th, ..."
  echo "$out" | awk -v n="$name" -v p="$policy" -F', ' '{
    split($2, t, " "); split($3, a, " "); split($7, q, " ");
    printf "%-10s %-22s %12s records/s %10s avg ms %8s p99 ms\n", n, (p=="flush1" ? "flush.messages=1" : "default (page cache)"), t[1], a[1], q[1] }'
}
for policy in default flush1; do
  run tributary "$TRIB_PORT" "$policy"
  run kafka "$KAFKA_PORT" "$policy"
done
