#!/usr/bin/env bash
# Kafka's kafka-console-producer.sh, with its flags: runs `tributary console-producer`.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec node "$here/../dist/tributary.mjs" console-producer "$@"
