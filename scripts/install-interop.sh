#!/usr/bin/env bash
# Installs the real Kafka clients the interop suite (test/interop) drives, all cached under .cache/:
#   kcat     kcat from Debian's packages (apt)
#   python   .cache/venv (pytest, kafka-python 2.0.2, confluent-kafka, codecs) and
#            .cache/venv-kp3 (the newest kafka-python 3.x, codecs)
#   java     the Java kafka-clients 4.x test programs in test/interop/java (one shaded jar in its
#            target/, with sqlite-jdbc for the group tests' exactly-once demonstration)
#   kafka    the Apache Kafka reference broker's jars (scripts/fetch-kafka.sh)
#   all      kcat python java  (the default; `kafka` only when asked, or with INTEROP_REF=1)
# Each step is quiet, retried, and skipped when already done.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

retry() { # retry <tries> <command...>
  local tries="$1" n=1; shift
  until "$@"; do
    if (( n >= tries )); then echo "install-interop: failed after $n tries: $*" >&2; return 1; fi
    echo "install-interop: retrying ($n): $*" >&2
    sleep $((n * 5)); n=$((n + 1))
  done
}

quiet() { # quiet <command...>: output to a log, shown only when the command fails
  local log; log="$(mktemp)"
  if "$@" >"$log" 2>&1; then rm -f "$log"; return 0; fi
  local rc=$?; tail -40 "$log" >&2; rm -f "$log"; return "$rc"
}

as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo -n "$@"; fi; }

install_kcat() {
  if command -v kcat >/dev/null 2>&1; then return 0; fi
  retry 3 quiet as_root apt-get update -qq
  retry 3 quiet as_root apt-get install -y -qq --no-install-recommends kcat
}

make_venv() { # make_venv <dir> <requirements>
  local dir="$1" req="$2" stamp="$1/.requirements"
  if [[ -x "$dir/bin/python" && -f "$stamp" ]] && cmp -s "$req" "$stamp"; then return 0; fi
  rm -rf "$dir"
  python3 -m venv "$dir"
  retry 3 quiet "$dir/bin/pip" install -q --retries 5 --timeout 60 -r "$req"
  # the group tests' exactly-once demonstration keeps its results in SQLite (the stdlib module)
  "$dir/bin/python" -c 'import sqlite3' || { echo "install-interop: $dir's python lacks sqlite3" >&2; return 1; }
  cp "$req" "$stamp"
}

install_python() {
  make_venv .cache/venv test/interop/requirements-kp2.txt &
  local a=$!
  make_venv .cache/venv-kp3 test/interop/requirements-kp3.txt &
  local b=$!
  wait "$a"; wait "$b"
}

install_java() {
  local pom=test/interop/java/pom.xml jar=test/interop/java/target/interop-client.jar
  if [[ -f "$jar" && "$jar" -nt "$pom" ]] && [[ -z "$(find test/interop/java/src -newer "$jar" -print -quit)" ]]; then
    return 0
  fi
  # Offline when ~/.m2 already has everything; otherwise one online build (retried) resolves it
  # all (dependency:go-offline misses plugins' runtime dependencies), and later builds are offline.
  if ! mvn -q -B -ntp -Dstyle.color=never -o -f "$pom" package -DskipTests >/dev/null 2>&1; then
    retry 3 quiet mvn -q -B -ntp -Dstyle.color=never -f "$pom" package -DskipTests
  fi
}

install_kafka() { retry 2 scripts/fetch-kafka.sh >/dev/null; }

steps=("$@")
if (( ${#steps[@]} == 0 )) || [[ "${steps[0]}" == all ]]; then
  steps=(kcat python java)
  if [[ "${INTEROP_REF:-0}" == 1 || "${INTEROP_BROKER:-}" == kafka ]]; then steps+=(kafka); fi
fi
mkdir -p .cache
for s in "${steps[@]}"; do
  start=$SECONDS
  "install_$s"
  echo "install-interop: $s ready ($((SECONDS - start))s)"
done
