#!/usr/bin/env bash
# Kafka's kafka-transactions.sh, with its flags: runs `tributary transactions`.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec node "$here/../dist/tributary.mjs" transactions "$@"
