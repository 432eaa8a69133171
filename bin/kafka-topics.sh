#!/usr/bin/env bash
# Kafka's kafka-topics.sh, with its flags: runs `tributary topics`.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec node "$here/../dist/tributary.mjs" topics "$@"
