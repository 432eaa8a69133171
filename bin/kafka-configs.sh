#!/usr/bin/env bash
# Kafka's kafka-configs.sh, with its flags: runs `tributary configs`.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec node "$here/../dist/tributary.mjs" configs "$@"
