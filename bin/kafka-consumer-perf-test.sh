#!/usr/bin/env bash
# Kafka's kafka-consumer-perf-test.sh, with its flags: runs `tributary consumer-perf-test`.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec node "$here/../dist/tributary.mjs" consumer-perf-test "$@"
