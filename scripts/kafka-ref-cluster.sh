#!/usr/bin/env bash
# A three-node Apache Kafka KRaft cluster on 127.0.0.1, every node a broker and a controller
# (combined mode), as the reference for the cluster tools, failover and Jepsen-style tests.
#   scripts/kafka-ref-cluster.sh start   <dir> <port1> <port2> <port3> [key=value ...]
#   scripts/kafka-ref-cluster.sh stop    <dir>          every node, SIGTERM (SIGKILL after 30 s)
#   scripts/kafka-ref-cluster.sh kill    <dir> <n>      SIGKILL node n (1..3)
#   scripts/kafka-ref-cluster.sh restart <dir> <n>      stop node n if it runs, start it again
#   scripts/kafka-ref-cluster.sh status  <dir>          one line a node: "<n> <port> up|down [pid]"
# Node n has node.id n and serves PLAINTEXT on 127.0.0.1:<port n>; the controller quorum runs on
# three more free loopback ports. <dir>/node-N holds node N's server.properties, data, server.log,
# kafka.out and kafka.pid; <dir>/cluster.env the ports and cluster id (so restart reuses them),
# <dir>/bootstrap the bootstrap servers (127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3).
# key=value lines are appended to every node's server.properties (the last one of a key wins).
# `start` and `restart` return once every running node answers Metadata listing every running node
# as a broker (after `start`: all three), or fail after KAFKA_REF_TIMEOUT seconds (120) with the
# logs' tail (a failed `start` stops the nodes it started).
# KAFKA_HEAP_OPTS sets the heap (-Xmx384m -Xms64m); jars come from scripts/fetch-kafka.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODES=(1 2 3)
TIMEOUT="${KAFKA_REF_TIMEOUT:-120}"

usage() {
  echo "usage: $0 start <dir> <port1> <port2> <port3> [key=value ...] | stop <dir> | kill <dir> <n> | restart <dir> <n> | status <dir>" >&2
  exit 2
}

cmd="${1:-}"
dir="${2:-}"
[[ -n "$cmd" && -n "$dir" ]] || usage
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"

node_dir() { echo "$dir/node-$1"; }
pidfile() { echo "$dir/node-$1/kafka.pid"; }
alive() { local p; p="$(pidfile "$1")"; [[ -f "$p" ]] && kill -0 "$(cat "$p")" 2>/dev/null; }
check_node() { [[ "$1" =~ ^[123]$ ]] || { echo "kafka-ref-cluster: node must be 1, 2 or 3, not '$1'" >&2; exit 2; }; }

# Asks 127.0.0.1:<port> for Metadata (v1, no topics) and prints the node ids of the brokers it lists,
# sorted, space-separated (a KRaft broker lists registered, unfenced brokers). Prints nothing when
# it cannot connect or is not ready.
brokers_seen() {
  python3 - "$1" <<'PY' 2>/dev/null || true
import socket, struct, sys
port = int(sys.argv[1])
client = b"kafka-ref-cluster"
body = struct.pack(">hhih", 3, 1, 7, len(client)) + client + struct.pack(">i", 0)
try:
    with socket.create_connection(("127.0.0.1", port), timeout=3) as s:
        s.settimeout(3)
        s.sendall(struct.pack(">i", len(body)) + body)
        def read(n):
            buf = b""
            while len(buf) < n:
                chunk = s.recv(n - len(buf))
                if not chunk:
                    raise EOFError
                buf += chunk
            return buf
        size = struct.unpack(">i", read(4))[0]
        resp = read(size)
        count, pos, ids = struct.unpack(">i", resp[4:8])[0], 8, []
        for _ in range(count):  # node_id int32, host string, port int32, rack nullable string
            ids.append(struct.unpack(">i", resp[pos:pos + 4])[0]); pos += 4
            pos += 2 + struct.unpack(">h", resp[pos:pos + 2])[0] + 4
            rack = struct.unpack(">h", resp[pos:pos + 2])[0]; pos += 2 + max(rack, 0)
        print(" ".join(str(i) for i in sorted(ids)))
except Exception:
    pass
PY
}

free_ports() { # free_ports <n>: n distinct free loopback ports, held together while drawn
  python3 -c '
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
' "$1"
}

new_cluster_id() { # 16 random bytes, unpadded url-safe base64, not starting with '-' (see kafka-ref.sh)
  python3 -c '
import base64, os
while True:
    b = os.urandom(16)
    s = base64.urlsafe_b64encode(b).decode().rstrip("=")
    if not s.startswith("-") and any(b[:15]):
        print(s)
        break
'
}

java_opts() { # java_opts <n>
  local nd; nd="$(node_dir "$1")"
  # shellcheck disable=SC2206
  local heap=(${KAFKA_HEAP_OPTS:--Xmx384m -Xms64m})
  echo "${heap[@]} -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true -Dlog4j2.configurationFile=$nd/log4j2.properties -Dkafka.logs.dir=$nd"
}

load_env() {
  [[ -f "$dir/cluster.env" ]] || { echo "kafka-ref-cluster: no cluster in $dir (run start first)" >&2; exit 1; }
  # shellcheck disable=SC1091
  source "$dir/cluster.env"
}

write_node_config() { # write_node_config <n> [key=value ...]
  local n="$1"; shift
  local nd; nd="$(node_dir "$n")"
  local port="PORT_$n" cport="CPORT_$n"
  mkdir -p "$nd/data"
  cat >"$nd/server.properties" <<PROPS
process.roles=broker,controller
node.id=$n
controller.quorum.voters=1@127.0.0.1:$CPORT_1,2@127.0.0.1:$CPORT_2,3@127.0.0.1:$CPORT_3
listeners=PLAINTEXT://127.0.0.1:${!port},CONTROLLER://127.0.0.1:${!cport}
advertised.listeners=PLAINTEXT://127.0.0.1:${!port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$nd/data
num.partitions=1
default.replication.factor=1
auto.create.topics.enable=true
delete.topic.enable=true
offsets.topic.replication.factor=3
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
transaction.state.log.num.partitions=3
share.coordinator.state.topic.replication.factor=3
share.coordinator.state.topic.min.isr=2
group.initial.rebalance.delay.ms=0
PROPS
  local kv
  for kv in "$@"; do echo "$kv" >>"$nd/server.properties"; done
  cat >"$nd/log4j2.properties" <<LOG
status = warn
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = $nd/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
LOG
}

format_node() { # format_node <n>: once, with the cluster's id
  local n="$1" nd; nd="$(node_dir "$n")"
  [[ -f "$nd/data/meta.properties" ]] && return 0
  # shellcheck disable=SC2046
  java $(java_opts "$n") -cp "$LIBS/*" kafka.tools.StorageTool format --ignore-formatted \
    -t "$CLUSTER_ID" -c "$nd/server.properties" >"$nd/format.out" 2>&1 || {
    echo "kafka-ref-cluster: storage format of node $n failed:" >&2; cat "$nd/format.out" >&2; exit 1; }
}

launch_node() { # launch_node <n>: in the background, its pid in node-N/kafka.pid
  local n="$1" nd; nd="$(node_dir "$n")"
  # shellcheck disable=SC2046
  nohup java $(java_opts "$n") -cp "$LIBS/*" kafka.Kafka "$nd/server.properties" \
    >>"$nd/kafka.out" 2>&1 </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
  echo $! >"$(pidfile "$n")"
}

stop_nodes() { # stop_nodes <n...>: SIGTERM to all of them at once, SIGKILL to those alive after 30 s
  local n pids=()
  for n in "$@"; do
    if alive "$n"; then
      local pid; pid="$(cat "$(pidfile "$n")")"
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
  done
  local deadline=$((SECONDS + 30)) pid
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null; do
      if (( SECONDS >= deadline )); then kill -KILL "$pid" 2>/dev/null || true; sleep 0.2; break; fi
      sleep 0.2
    done
  done
  for n in "$@"; do rm -f "$(pidfile "$n")"; done
}

logs_tail() {
  local n
  for n in "$@"; do
    echo "--- node $n ($(node_dir "$n")) ---" >&2
    tail -n 20 "$(node_dir "$n")/kafka.out" >&2 2>/dev/null || true
    tail -n 25 "$(node_dir "$n")/server.log" >&2 2>/dev/null || true
  done
}

wait_ready() { # wait_ready: every running node lists every running node as a broker (or timeout)
  local deadline=$((SECONDS + TIMEOUT)) n m port ready seen
  while :; do
    ready=1
    for n in "${NODES[@]}"; do
      if [[ -f "$(pidfile "$n")" ]] && ! alive "$n"; then
        echo "kafka-ref-cluster: node $n exited during startup" >&2
        logs_tail "$n"; exit 1
      fi
      alive "$n" || continue
      port="PORT_$n"
      seen=" $(brokers_seen "${!port}") "
      for m in "${NODES[@]}"; do
        if alive "$m" && [[ "$seen" != *" $m "* ]]; then ready=0; break 2; fi
      done
    done
    (( ready )) && return 0
    if (( SECONDS >= deadline )); then
      echo "kafka-ref-cluster: the running nodes in $dir did not all list each other as brokers within ${TIMEOUT}s" >&2
      logs_tail "${NODES[@]}"
      return 1
    fi
    sleep 0.5
  done
}

case "$cmd" in
  start)
    [[ $# -ge 5 ]] || usage
    for n in "${NODES[@]}"; do
      if alive "$n"; then echo "kafka-ref-cluster: node $n already running in $dir" >&2; exit 1; fi
    done
    PORT_1="$3"; PORT_2="$4"; PORT_3="$5"
    shift 5
    LIBS="$("$ROOT/scripts/fetch-kafka.sh")"
    if [[ -f "$dir/cluster.env" ]]; then
      # a cluster already formatted here: same ids and controller ports, new client ports allowed
      # shellcheck disable=SC1091
      source <(grep -E '^(CLUSTER_ID|CPORT_[123])=' "$dir/cluster.env")
    else
      read -r CPORT_1 CPORT_2 CPORT_3 <<<"$(free_ports 3)"
      CLUSTER_ID="$(new_cluster_id)"
    fi
    cat >"$dir/cluster.env" <<ENV
CLUSTER_ID=$CLUSTER_ID
PORT_1=$PORT_1
PORT_2=$PORT_2
PORT_3=$PORT_3
CPORT_1=$CPORT_1
CPORT_2=$CPORT_2
CPORT_3=$CPORT_3
LIBS=$LIBS
ENV
    echo "127.0.0.1:$PORT_1,127.0.0.1:$PORT_2,127.0.0.1:$PORT_3" >"$dir/bootstrap"
    for n in "${NODES[@]}"; do write_node_config "$n" "$@"; done
    for n in "${NODES[@]}"; do format_node "$n"; done
    for n in "${NODES[@]}"; do launch_node "$n"; done
    wait_ready || { stop_nodes "${NODES[@]}"; exit 1; }
    ;;
  stop)
    stop_nodes "${NODES[@]}"
    ;;
  kill)
    n="${3:-}"; check_node "$n"
    if alive "$n"; then
      pid="$(cat "$(pidfile "$n")")"
      kill -KILL "$pid" 2>/dev/null || true
      deadline=$((SECONDS + 30))
      while kill -0 "$pid" 2>/dev/null && (( SECONDS < deadline )); do sleep 0.1; done
    fi
    rm -f "$(pidfile "$n")"
    ;;
  restart)
    n="${3:-}"; check_node "$n"
    load_env
    stop_nodes "$n"
    launch_node "$n"
    wait_ready || { stop_nodes "$n"; exit 1; }
    ;;
  status)
    load_env
    for n in "${NODES[@]}"; do
      port="PORT_$n"
      if alive "$n"; then echo "$n ${!port} up $(cat "$(pidfile "$n")")"; else echo "$n ${!port} down"; fi
    done
    ;;
  *)
    usage
    ;;
esac
