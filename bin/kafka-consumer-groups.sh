#!/usr/bin/env bash
# Kafka's kafka-consumer-groups.sh, with its flags: runs `tributary consumer-groups`.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec node "$here/../dist/tributary.mjs" consumer-groups "$@"
