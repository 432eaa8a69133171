#!/usr/bin/env bash
# Kafka's kafka-dump-log.sh, with its flags: runs `tributary dump-log`.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec node "$here/../dist/tributary.mjs" dump-log "$@"
