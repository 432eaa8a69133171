#!/usr/bin/env bash
# Kafka's kafka-delete-records.sh, with its flags: runs `tributary delete-records`.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec node "$here/../dist/tributary.mjs" delete-records "$@"
