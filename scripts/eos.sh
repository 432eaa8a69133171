#!/usr/bin/env bash
# The exactly-once pipeline test (tools/eos/): input topic -> a consume-transform-produce pipeline
# on the Java client's transactions -> output topic, with kill -9 of the pipeline and of the broker
# in a loop; every input record must appear exactly once in the committed output.
#   scripts/eos.sh --broker tributary|kafka --short|--long [more flags: tools/eos/main.ts]
# --short: about 1-2 minutes (CI); --long: 5 minutes of input and up to 60 kills.
# Builds if stale, builds the Java program (scripts/install-interop.sh java) if missing, fetches
# the Kafka jars for --broker kafka. Holds /tmp/heavy.lock (a broker and two or three JVMs) unless
# EOS_NO_LOCK=1 (when the caller holds it already), and is killed after a hard timeout if anything
# hangs. Exit 0: passed; 1: an anomaly, named in the report; 2: the run could not be carried out.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [[ ! -f dist/tools/eos/main.js || ! -f dist/tributary.mjs || -n "$(find src tools bench -name '*.ts' -newer dist/tributary.mjs 2>/dev/null | head -1)" ]]; then
  npm run build >&2
fi
jar=test/interop/java/target/interop-client.jar
if [[ ! -f "$jar" || -n "$(find test/interop/java/src -newer "$jar" -print -quit)" ]]; then
  scripts/install-interop.sh java >&2
fi
seconds=40
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[$i]}" in
    --broker) [[ "${args[$((i + 1))]:-}" == kafka ]] && scripts/fetch-kafka.sh >/dev/null ;;
    --broker=kafka) scripts/fetch-kafka.sh >/dev/null ;;
    --long) seconds=300 ;;
    --seconds) seconds="${args[$((i + 1))]}" ;;
  esac
done
# The workload, the input producer's delivery timeout, draining, the reads, broker restarts.
limit=$((seconds + 600))
cmd=(timeout --kill-after=20 "$limit" node dist/tools/eos/main.js "$@")
if [[ "${EOS_NO_LOCK:-}" == 1 ]]; then exec "${cmd[@]}"; fi
exec flock /tmp/heavy.lock "${cmd[@]}"
