#!/usr/bin/env bash
# Side-by-side benchmark of Tributary and Apache Kafka on this machine (issue 4).
#   scripts/bench-compare.sh [--quick] [--repeats N] [--tmpfs] [--profile <dir>] [--brokers kafka,tributary] [--workloads all|security] ...
# Builds (tsc), fetches the Kafka jars (scripts/fetch-kafka.sh, cached in .cache/kafka), then runs
# dist/bench/compare.js, which starts each broker on a free loopback port, drives it with Kafka's
# ProducerPerformance / ConsumerPerformance / EndToEndLatency and our Node client, and prints a
# markdown table (JSON copy in bench/results/). The whole run is bounded: no repeat starts that
# would overrun --budget-s (default 2400 s for the full run, workload 1 being 5M records; 540 s
# with --quick, which takes about 3 minutes), and a hard timeout kills it if anything hangs.
#   scripts/bench-compare.sh --cluster [--quick] [--brokers kafka,tributary] [--recoveries N]
# runs dist/bench/cluster.js instead: three Tributary brokers on etcd against three Kafka KRaft
# nodes, one cluster after the other, acks=all produce throughput and p99 at RF 3 and
# min.insync.replicas=2, and the time from kill -9 of a leader to the next acknowledged produce.
# It holds /tmp/heavy.lock (several brokers on a shared machine) unless BENCH_NO_LOCK=1.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [[ ! -f dist/bench/compare.js || -n "$(find src bench -name '*.ts' -newer dist/bench/compare.js 2>/dev/null | head -1)" ]]; then
  npx tsc -p tsconfig.json >&2
fi
LIBS="$(scripts/fetch-kafka.sh)"
if [[ " $* " == *" --cluster "* ]]; then
  cmd=(timeout --kill-after=15 "${BENCH_HARD_TIMEOUT:-1800}" node dist/bench/cluster.js --kafka-libs "$LIBS" "$@")
  if [[ "${BENCH_NO_LOCK:-}" == 1 ]]; then exec "${cmd[@]}"; fi
  exec flock /tmp/heavy.lock "${cmd[@]}"
fi
exec timeout --kill-after=15 "${BENCH_HARD_TIMEOUT:-3600}" node dist/bench/compare.js --kafka-libs "$LIBS" "$@"
