#!/usr/bin/env bash
# Writes the configuration tables of Kafka's documentation (configuration.html includes them as
# generated/kafka_config.html, topic_config.html and group_config.html) by running the generators
# Kafka's own docs build runs, from the Apache Kafka jars in .cache/kafka/<version>/libs
# (scripts/fetch-kafka.sh fetches them).
#   tools/kafka-configs/dump-docs.sh [version]      (default 4.3.1) -> tools/kafka-configs/<version>/
# Then: npm run build && npm run kafka-configs  (regenerates src/broker/config/kafka-table.ts).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VERSION="${1:-4.3.1}"
LIBS="$("$ROOT/scripts/fetch-kafka.sh" "$VERSION")"
OUT="$ROOT/tools/kafka-configs/$VERSION"
mkdir -p "$OUT"
java -cp "$LIBS/*" kafka.server.KafkaConfig >"$OUT/kafka_config.html"
java -cp "$LIBS/*" org.apache.kafka.storage.internals.log.LogConfig >"$OUT/topic_config.html"
java -cp "$LIBS/*" org.apache.kafka.coordinator.group.GroupConfig >"$OUT/group_config.html"
echo "$OUT"
