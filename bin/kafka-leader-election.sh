#!/usr/bin/env bash
# Kafka's kafka-leader-election.sh, with its flags: runs `tributary leader-election`.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec node "$here/../dist/tributary.mjs" leader-election "$@"
