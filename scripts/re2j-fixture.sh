#!/usr/bin/env bash
# Regenerates test/fixtures/re2j/cases.json from RE2/J itself (the jar Apache Kafka 4.3.1 ships,
# .cache/kafka/4.3.1/libs/re2j-1.8.jar; scripts/install-interop.sh kafka fetches it).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JAR="$ROOT/.cache/kafka/4.3.1/libs/re2j-1.8.jar"
[[ -f "$JAR" ]] || { echo "re2j-fixture: $JAR is missing (scripts/install-interop.sh kafka)" >&2; exit 1; }
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
javac -d "$OUT" -cp "$JAR" "$ROOT/test/fixtures/re2j/Re2jCases.java"
java -cp "$JAR:$OUT" Re2jCases "$ROOT/test/fixtures/re2j"
echo "re2j-fixture: wrote test/fixtures/re2j/cases.json"
