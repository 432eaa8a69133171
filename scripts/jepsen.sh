#!/usr/bin/env bash
# Jepsen-style queue test of a three-broker cluster: Tributary (on etcd) or Apache Kafka 4.3.1 KRaft.
#   scripts/jepsen.sh --broker tributary|kafka --short|--long [--runs N] [--seconds S] [more flags]
# --short: one run of about 60-90 s in all (CI); --long: 10 runs of 5 minutes. More flags and the
# exit codes: tools/jepsen/main.ts. Builds if stale; fetches the Kafka jars for --broker kafka.
# Runs in a network namespace of its own when it can (see below), for the `isolate` fault.
# Holds /tmp/heavy.lock (three brokers, or three JVMs, on a shared machine) unless JEPSEN_NO_LOCK=1
# (when the caller holds it already), and is killed after a hard timeout if anything hangs.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# dist/tributary.mjs is rewritten by every build (tsc leaves unchanged outputs alone): the stamp.
if [[ ! -f dist/tools/jepsen/main.js || ! -f dist/tributary.mjs || -n "$(find src tools bench -name '*.ts' -newer dist/tributary.mjs 2>/dev/null | head -1)" ]]; then
  npm run build >&2
fi
runs=1 seconds=40
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[$i]}" in
    --broker) [[ "${args[$((i + 1))]:-}" == kafka ]] && scripts/fetch-kafka.sh >/dev/null ;;
    --broker=kafka) scripts/fetch-kafka.sh >/dev/null ;;
    --long) runs=10 seconds=300 ;;
    --runs) runs="${args[$((i + 1))]}" ;;
    --seconds) seconds="${args[$((i + 1))]}" ;;
  esac
done
# Per run: the workload, up to ~4 minutes of startup, healing, settling and the final read.
limit=$((runs * (seconds + 240) + 60))
cmd=(timeout --kill-after=20 "$limit" node dist/tools/jepsen/main.js "$@")
# A network namespace of its own when `unshare -n` works (root, or user namespaces allowed): only
# loopback, brought up here; the `isolate` fault's iptables rules then touch nothing else. Every
# process of the run (etcd, brokers, JVMs, tools) is in it. Without it, isolate is skipped.
if [[ "${JEPSEN_NETNS:-}" != 1 ]] && unshare -n true 2>/dev/null; then
  cmd=(unshare -n bash -c 'ip link set lo up && JEPSEN_NETNS=1 exec "$@"' jepsen-netns "${cmd[@]}")
fi
if [[ "${JEPSEN_NO_LOCK:-}" == 1 ]]; then exec "${cmd[@]}"; fi
exec flock /tmp/heavy.lock "${cmd[@]}"
