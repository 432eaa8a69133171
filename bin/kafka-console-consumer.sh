#!/usr/bin/env bash
# Kafka's kafka-console-consumer.sh, with its flags: runs `tributary console-consumer`.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec node "$here/../dist/tributary.mjs" console-consumer "$@"
