#!/usr/bin/env bash
# Installs etcd (Debian's etcd-server, 3.4), the coordination service of a Tributary cluster, when
# it is not on PATH yet. Quiet, retried; used by .ci/run before the cluster tests.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
if command -v etcd >/dev/null 2>&1; then exit 0; fi
as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo -n "$@"; fi; }
for n in 1 2 3; do
  if as_root apt-get update -qq >/dev/null 2>&1 && as_root apt-get install -y -qq --no-install-recommends etcd-server >/dev/null 2>&1; then
    command -v etcd >/dev/null 2>&1 && exit 0
  fi
  echo "install-etcd: retrying ($n)" >&2
  sleep $((n * 5))
done
echo "install-etcd: could not install etcd-server" >&2
exit 1
