#!/usr/bin/env bash
# Fetches the Apache Kafka broker, tools and clients as jars from Maven Central (with Maven),
# into .cache/kafka/<version>/libs. Idempotent: does nothing when the cache is complete.
# Usage: scripts/fetch-kafka.sh [version]    (env KAFKA_VERSION works too)
# Prints the libs directory on stdout.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VERSION="${1:-${KAFKA_VERSION:-4.3.1}}"
DEST="$ROOT/.cache/kafka/$VERSION"
LIBS="$DEST/libs"

if [[ -f "$DEST/.complete" ]] && compgen -G "$LIBS/kafka_2.13-$VERSION.jar" >/dev/null; then
  echo "$LIBS"
  exit 0
fi

WORK="$DEST/pom"
mkdir -p "$WORK"
rm -rf "$LIBS.tmp"
# A throwaway pom whose dependencies are the broker, the tools and the clients; Kafka 4 logs
# through log4j2, whose slf4j binding and yaml config support we add so the broker runs.
cat >"$WORK/pom.xml" <<POM
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.tributary</groupId>
  <artifactId>kafka-dist</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-clients</artifactId><version>$VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-storage</artifactId><version>$VERSION</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>2.0.17</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j2-impl</artifactId><version>2.24.3</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>2.24.3</version></dependency>
  </dependencies>
</project>
POM

attempt=1
until mvn -q -B -ntp -f "$WORK/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$LIBS.tmp" >"$WORK/mvn.log" 2>&1; do
  if (( attempt >= 3 )); then
    echo "fetch-kafka: maven failed 3 times; last log:" >&2
    tail -40 "$WORK/mvn.log" >&2
    exit 1
  fi
  echo "fetch-kafka: maven attempt $attempt failed, retrying" >&2
  attempt=$((attempt + 1))
  sleep $((attempt * 5))
done

rm -rf "$LIBS"
mv "$LIBS.tmp" "$LIBS"
touch "$DEST/.complete"
echo "$LIBS"
