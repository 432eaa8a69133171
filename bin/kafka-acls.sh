#!/usr/bin/env bash
# Kafka's kafka-acls.sh, with its flags: runs `tributary acls`.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec node "$here/../dist/tributary.mjs" acls "$@"
