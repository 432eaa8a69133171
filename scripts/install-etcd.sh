#!/usr/bin/env bash
# Installs etcd (Debian's etcd-server, 3.4), the coordination service of a Tributary cluster, and
# iptables (the Jepsen test's `isolate` fault cuts a broker off with it, in a network namespace of
# the test's own), when they are not on PATH yet. Quiet, retried; used by .ci/run before the
# cluster tests. iptables is optional: without it the isolate fault is skipped, with the reason.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
have() { command -v "$1" >/dev/null 2>&1 || [[ -x "/usr/sbin/$1" ]]; }
if have etcd && have iptables; then exit 0; fi
as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo -n "$@"; fi; }
for n in 1 2 3; do
  if as_root apt-get update -qq >/dev/null 2>&1 && as_root apt-get install -y -qq --no-install-recommends etcd-server iptables >/dev/null 2>&1; then
    have etcd && exit 0
  fi
  echo "install-etcd: retrying ($n)" >&2
  sleep $((n * 5))
done
echo "install-etcd: could not install etcd-server" >&2
exit 1
