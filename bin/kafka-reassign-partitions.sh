#!/usr/bin/env bash
# Kafka's kafka-reassign-partitions.sh, with its flags: runs `tributary reassign-partitions`.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec node "$here/../dist/tributary.mjs" reassign-partitions "$@"
