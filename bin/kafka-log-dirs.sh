#!/usr/bin/env bash
# Kafka's kafka-log-dirs.sh, with its flags: runs `tributary log-dirs`.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec node "$here/../dist/tributary.mjs" log-dirs "$@"
