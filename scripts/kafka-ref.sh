#!/usr/bin/env bash
# Starts or stops a real single-node KRaft Apache Kafka broker (the reference for the interop suite).
#   scripts/kafka-ref.sh start <dir> <port> [key=value ...]   extra server.properties lines
#   scripts/kafka-ref.sh stop  <dir>
# KAFKA_REF_EXTRA_LISTENERS (",NAME://127.0.0.1:P,...") and KAFKA_REF_EXTRA_PROTOCOLS
# (",NAME:SASL_SSL,...") add listeners (also advertised) and their security protocols.
# KAFKA_REF_JAVA_OPTS adds JVM options (space-separated, e.g. -Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=...).
# The broker listens on 127.0.0.1:<port> (its controller on a free loopback port), keeps its data,
# config and logs in <dir>, and its pid in <dir>/kafka.pid. `start` returns once the broker has
# logged that it started and accepts TCP connections, or fails after KAFKA_REF_TIMEOUT seconds (60).
# Jars come from scripts/fetch-kafka.sh (KAFKA_VERSION picks the version).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cmd="${1:-}"
dir="${2:-}"
if [[ -z "$cmd" || -z "$dir" ]]; then
  echo "usage: $0 start <dir> <port> [key=value ...] | stop <dir>" >&2
  exit 2
fi
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
pidfile="$dir/kafka.pid"

alive() { [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

port_open() { # bash's /dev/tcp, with a short timeout so a black hole cannot hang us
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

stop() {
  if ! alive; then rm -f "$pidfile"; return 0; fi
  local pid; pid="$(cat "$pidfile")"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 20))
  while kill -0 "$pid" 2>/dev/null; do
    if (( SECONDS >= deadline )); then kill -KILL "$pid" 2>/dev/null || true; break; fi
    sleep 0.2
  done
  rm -f "$pidfile"
}

case "$cmd" in
  stop)
    stop
    ;;
  start)
    port="${3:-}"
    if [[ -z "$port" ]]; then echo "usage: $0 start <dir> <port> [key=value ...]" >&2; exit 2; fi
    shift 3
    if alive; then echo "kafka-ref: already running in $dir (pid $(cat "$pidfile"))" >&2; exit 1; fi
    libs="$("$ROOT/scripts/fetch-kafka.sh")"
    cport="$(free_port)"
    mkdir -p "$dir/data"
    cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport${KAFKA_REF_EXTRA_LISTENERS:-}
advertised.listeners=PLAINTEXT://127.0.0.1:$port${KAFKA_REF_EXTRA_LISTENERS:-}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT${KAFKA_REF_EXTRA_PROTOCOLS:-}
log.dirs=$dir/data
num.partitions=1
default.replication.factor=1
auto.create.topics.enable=true
delete.topic.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
PROPS
    for kv in "$@"; do echo "$kv" >>"$dir/server.properties"; done
    cat >"$dir/log4j2.properties" <<LOG
status = warn
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = $dir/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
LOG
    java_opts=(-Xmx512m -Xms128m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
               "-Dlog4j2.configurationFile=$dir/log4j2.properties" "-Dkafka.logs.dir=$dir")
    if [[ -n "${KAFKA_REF_JAVA_OPTS:-}" ]]; then read -r -a extra_java_opts <<<"$KAFKA_REF_JAVA_OPTS"; java_opts+=("${extra_java_opts[@]}"); fi
    # A cluster id is 16 random bytes in unpadded url-safe base64 (22 characters), drawn again, as
    # Kafka's Uuid.randomUuid does, while it starts with '-' (the storage tool would take it for an
    # option: one start in 64 failed) or is the zero or metadata-topic id.
    cluster_id="$(python3 -c '
import base64, os
while True:
    b = os.urandom(16)
    s = base64.urlsafe_b64encode(b).decode().rstrip("=")
    if not s.startswith("-") and any(b[:15]):
        print(s)
        break
')"
    if [[ ! -f "$dir/data/meta.properties" ]]; then
      java "${java_opts[@]}" -cp "$libs/*" kafka.tools.StorageTool format --ignore-formatted \
        -t "$cluster_id" -c "$dir/server.properties" >"$dir/format.out" 2>&1 || {
        echo "kafka-ref: storage format failed:" >&2; cat "$dir/format.out" >&2; exit 1; }
    fi
    : >"$dir/server.log"
    nohup java "${java_opts[@]}" -cp "$libs/*" kafka.Kafka "$dir/server.properties" \
      >"$dir/kafka.out" 2>&1 </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
    echo $! >"$pidfile"
    deadline=$((SECONDS + ${KAFKA_REF_TIMEOUT:-60}))
    until grep -q "Kafka Server started" "$dir/server.log" 2>/dev/null && port_open "$port"; do
      if ! alive; then
        echo "kafka-ref: broker exited during startup; last output:" >&2
        tail -n 30 "$dir/kafka.out" "$dir/server.log" >&2 || true
        rm -f "$pidfile"; exit 1
      fi
      if (( SECONDS >= deadline )); then
        echo "kafka-ref: broker not ready on 127.0.0.1:$port after ${KAFKA_REF_TIMEOUT:-60}s" >&2
        tail -n 30 "$dir/server.log" >&2 || true
        stop; exit 1
      fi
      sleep 0.2
    done
    ;;
  *)
    echo "usage: $0 start <dir> <port> [key=value ...] | stop <dir>" >&2
    exit 2
    ;;
esac
