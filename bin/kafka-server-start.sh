#!/usr/bin/env bash
# kafka-server-start.sh server.properties [--override property=value]*
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ $# -lt 1 ]; then
  echo "USAGE: $0 [-daemon] server.properties [--override property=value]*" >&2
  exit 1
fi
args=()
for a in "$@"; do
  case "$a" in
    -daemon) ;;
    *) args+=("$a") ;;
  esac
done
exec node "$here/../dist/tributary.mjs" server-start "${args[@]}"
