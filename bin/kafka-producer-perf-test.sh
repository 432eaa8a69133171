#!/usr/bin/env bash
# Kafka's kafka-producer-perf-test.sh, with its flags: runs `tributary producer-perf-test`.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec node "$here/../dist/tributary.mjs" producer-perf-test "$@"
