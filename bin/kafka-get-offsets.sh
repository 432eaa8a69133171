#!/usr/bin/env bash
# Kafka's kafka-get-offsets.sh, with its flags: runs `tributary get-offsets`.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec node "$here/../dist/tributary.mjs" get-offsets "$@"
