#!/usr/bin/env bash
# A real 3-broker Apache Kafka cluster (KRaft) on loopback: the reference that Runnel's cluster
# mode (issue 16, docs/cluster.md) is compared against in test/differential/cluster-kafka.test.ts
# and bench/cluster/. Same jars as scripts/apache-kafka.sh (its cached classpath is reused).
#
# Shape: ONE dedicated KRaft controller (node id 100, a single-voter static quorum) and THREE
# brokers (node ids 1, 2, 3; process.roles=broker). Not three combined broker+controller nodes,
# because the scenarios kill brokers: with combined nodes, killing two of them (the
# NOT_ENOUGH_REPLICAS scenario) loses the quorum, so nothing can fence them or shrink an ISR, and
# killing a leader often kills the active controller too, so failover times would mix a Raft
# election into the leader election. A separate controller is also the analogue of Runnel's
# etcd + N brokers.
#
#   scripts/apache-kafka-cluster.sh start           format fresh storage, start the controller and
#                                                    the brokers on free 127.0.0.1 ports, wait until
#                                                    every broker serves (is unfenced), print the
#                                                    bootstrap list on stdout: 127.0.0.1:P1,...,P3
#   scripts/apache-kafka-cluster.sh stop            stop every node and delete the state
#                                                    (SIGKILL; SIGTERM + wait with APACHE_KAFKA_KEEP=1)
#   scripts/apache-kafka-cluster.sh status          one line per node: `broker 1 127.0.0.1:P pid 123 up`
#                                                    (`down` when not running); exit 1 when none runs
#   scripts/apache-kafka-cluster.sh kill-broker N   SIGKILL broker N (its data stays)
#   scripts/apache-kafka-cluster.sh stop-broker N   SIGTERM broker N (controlled shutdown) and wait
#   scripts/apache-kafka-cluster.sh start-broker N  restart broker N on its data and port, wait until
#                                                    it serves again
#   scripts/apache-kafka-cluster.sh log N|controller  follow a node's server log
#
# Environment:
#   APACHE_KAFKA_CLUSTER_HOME  state dir (default ${TMPDIR:-/tmp}/runnel-apache-kafka-cluster):
#                              controller/ and broker-N/ each with server.properties, data, logs, pid
#   APACHE_KAFKA_BROKERS       number of brokers (default 3)
#   APACHE_KAFKA_HEAP          broker heap flags (default -Xmx384m -Xms128m)
#   APACHE_KAFKA_CONTROLLER_HEAP  controller heap flags (default -Xmx256m -Xms64m)
#   APACHE_KAFKA_JVM_OPTS      extra JVM flags for every node (tests: -XX:TieredStopAtLevel=1)
#   APACHE_KAFKA_PROPS         extra server.properties lines for every node, brokers AND controller
#                              (in KRaft the controller applies num.partitions,
#                              default.replication.factor, min.insync.replicas to new topics)
#   APACHE_KAFKA_OWNER_PID     stop the whole cluster when this process exits (tests pass their pid)
#   APACHE_KAFKA_KEEP=1        stop keeps the data (and stops cleanly)
#   KAFKA_VERSION              as for scripts/apache-kafka.sh
# Every other broker setting is Kafka's default (default.replication.factor=1,
# offsets.topic.replication.factor=3, broker.session.timeout.ms=9000, ...).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
SELF="$HERE/$(basename "$0")"
STATE="${APACHE_KAFKA_CLUSTER_HOME:-${TMPDIR:-/tmp}/runnel-apache-kafka-cluster}"
BROKERS="${APACHE_KAFKA_BROKERS:-3}"
HEAP="${APACHE_KAFKA_HEAP:--Xmx384m -Xms128m}"
CONTROLLER_HEAP="${APACHE_KAFKA_CONTROLLER_HEAP:--Xmx256m -Xms64m}"
JVM_OPTS="${APACHE_KAFKA_JVM_OPTS:-}"
# A started cluster keeps its settings, so start-broker restarts a node as it first ran.
# shellcheck disable=SC1091
[[ "${1:-}" != start && -f "$STATE/settings" ]] && source "$STATE/settings"
CONTROLLER_ID=100
NAME=apache-kafka-cluster

die() { echo "$NAME: $*" >&2; exit 1; }

# The broker classpath, resolved and cached by scripts/apache-kafka.sh (`prefetch`).
classpath() {
  local err
  err="$(bash "$HERE/apache-kafka.sh" prefetch 2>&1 >/dev/null)" || { echo "$err" >&2; die "no classpath"; }
  cat "$HERE/reference-kafka/target/classpath-${KAFKA_VERSION:-default}.txt"
}

node_dir() { if [[ "$1" == controller ]]; then echo "$STATE/controller"; else echo "$STATE/broker-$1"; fi; }

# A process that runs (a killed node is a zombie until init reaps it: that counts as gone).
alive() { [[ -r "/proc/$1/stat" ]] && [[ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" != Z ]]; }

node_pid() {
  local f; f="$(node_dir "$1")/pid"
  [[ -f "$f" ]] || return 1
  local pid; pid="$(cat "$f")"
  alive "$pid" || return 1
  echo "$pid"
}

check_broker() { [[ "$1" =~ ^[0-9]+$ ]] && (( $1 >= 1 && $1 <= BROKERS )) || die "no broker '$1' (1..$BROKERS)"; }

# N free loopback ports (the kernel picks them; Kafka binds them a moment later).
free_ports() {
  node -e '
    const net = require("node:net");
    const take = () => new Promise((r) => { const s = net.createServer().listen(0, "127.0.0.1", () => r(s)); });
    Promise.all(Array.from({ length: Number(process.argv[1]) }, take)).then((ss) => {
      console.log(ss.map((s) => s.address().port).join(" ")); ss.forEach((s) => s.close()); });' "$1"
}

cluster_id() {
  local id
  while :; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
    [[ "$id" != -* ]] && { echo "$id"; return; }
  done
}

write_log4j() {
  cat > "$1/log4j2.properties" <<PROPS
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = $1/logs/server.log
appender.file.append = true
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
logger.requests.name = kafka.request.logger
logger.requests.level = WARN
PROPS
}

write_configs() {
  local cport="$1"; shift
  local voters="$CONTROLLER_ID@127.0.0.1:$cport" dir id=0 port
  dir="$(node_dir controller)"; mkdir -p "$dir/data" "$dir/logs"
  echo "$cport" > "$dir/port"
  cat > "$dir/server.properties" <<PROPS
process.roles=controller
node.id=$CONTROLLER_ID
controller.quorum.voters=$voters
listeners=CONTROLLER://127.0.0.1:$cport
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data
${APACHE_KAFKA_PROPS:-}
PROPS
  write_log4j "$dir"
  for port in "$@"; do
    id=$((id + 1)); dir="$(node_dir "$id")"; mkdir -p "$dir/data" "$dir/logs"
    echo "$port" > "$dir/port"
    cat > "$dir/server.properties" <<PROPS
process.roles=broker
node.id=$id
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:$port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data
${APACHE_KAFKA_PROPS:-}
PROPS
    write_log4j "$dir"
  done
}

# Sets JVM to the java command line for a node (the heap depends on its role).
jvm() {
  local dir; dir="$(node_dir "$1")"
  local heap="$HEAP"; [[ "$1" == controller ]] && heap="$CONTROLLER_HEAP"
  local gc=(-XX:+UseG1GC)
  [[ "$JVM_OPTS" == *-XX:+Use*GC* ]] && gc=()
  # shellcheck disable=SC2206
  JVM=(java $heap $JVM_OPTS "${gc[@]}" -Djava.awt.headless=true
    "-Dlog4j2.configurationFile=$dir/log4j2.properties" "-Dkafka.logs.dir=$dir/logs" -cp "$CP")
}

format_node() {
  local dir; dir="$(node_dir "$1")"
  jvm "$1"
  "${JVM[@]}" kafka.tools.StorageTool format -t "$2" -c "$dir/server.properties" >"$dir/logs/format.log" 2>&1 ||
    { cat "$dir/logs/format.log" >&2; die "storage format of $1 failed"; }
}

# Starts a node's JVM in the background (setsid: it outlives this shell; stop kills it by PID).
launch() {
  local dir; dir="$(node_dir "$1")"
  # The line count before this start: readiness looks only at log lines written after it.
  wc -l < "$dir/logs/server.log" 2>/dev/null > "$dir/log-mark" || echo 0 > "$dir/log-mark"
  jvm "$1"
  setsid nohup "${JVM[@]}" kafka.Kafka "$dir/server.properties" >>"$dir/logs/stdout.log" 2>&1 </dev/null &
  echo $! > "$dir/pid"
}

# Waits until the node logs "Kafka Server started" (a broker logs it once unfenced). Returns 2 when
# the node exited on a taken port, dies on any other failure.
await_node() {
  local dir pid mark; dir="$(node_dir "$1")"; pid="$(cat "$dir/pid")"; mark="$(cat "$dir/log-mark")"
  local deadline=$((SECONDS + ${APACHE_KAFKA_START_TIMEOUT:-120}))
  until tail -n +"$((mark + 1))" "$dir/logs/server.log" 2>/dev/null | grep -q "Kafka Server started"; do
    if ! alive "$pid"; then
      rm -f "$dir/pid"
      grep -qs "Address already in use" "$dir/logs/server.log" "$dir/logs/stdout.log" && return 2
      tail -n 30 "$dir/logs/stdout.log" "$dir/logs/server.log" >&2 || true
      die "node $1 exited during start-up"
    fi
    if (( SECONDS > deadline )); then
      tail -n 30 "$dir/logs/server.log" >&2 || true
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$dir/pid"
      die "node $1 did not start in ${APACHE_KAFKA_START_TIMEOUT:-120} s"
    fi
    sleep 0.2
  done
}

bootstrap() {
  local id list=()
  for id in $(seq 1 "$BROKERS"); do list+=("127.0.0.1:$(cat "$(node_dir "$id")/port")"); done
  local IFS=,; echo "${list[*]}"
}

# One start attempt on fresh ports: 0 when every node serves, 2 when a port was taken meanwhile.
start_once() {
  local ports cport id rc=0
  read -r cport ports < <(free_ports $((BROKERS + 1)))
  rm -rf "$STATE"; mkdir -p "$STATE"
  # shellcheck disable=SC2086
  write_configs "$cport" $ports
  printf 'BROKERS=%q\nHEAP=%q\nCONTROLLER_HEAP=%q\nJVM_OPTS=%q\n' "$BROKERS" "$HEAP" "$CONTROLLER_HEAP" "$JVM_OPTS" > "$STATE/settings"
  local cid; cid="$(cluster_id)"; echo "$cid" > "$STATE/cluster.id"
  local pids=()
  for id in controller $(seq 1 "$BROKERS"); do format_node "$id" "$cid" & pids+=($!); done
  for p in "${pids[@]}"; do wait "$p" || die "storage format failed"; done
  launch controller
  for id in $(seq 1 "$BROKERS"); do launch "$id"; done
  for id in controller $(seq 1 "$BROKERS"); do await_node "$id" || rc=$?; (( rc == 0 )) || break; done
  if (( rc != 0 )); then kill_all; fi
  return "$rc"
}

kill_all() {
  local id pid
  for id in $(seq 1 "$BROKERS") controller; do
    if pid="$(node_pid "$id")"; then kill -9 "$pid" 2>/dev/null || true; fi
    rm -f "$(node_dir "$id")/pid"
  done
}

cmd_start() {
  local id pid
  for id in controller $(seq 1 "$BROKERS"); do
    if pid="$(node_pid "$id")"; then die "already running (node $id pid $pid); run '$0 stop' first or set APACHE_KAFKA_CLUSTER_HOME"; fi
  done
  command -v java >/dev/null || die "java not found"
  CP="$(classpath)"
  # Whatever fails from here on (a node that does not start, a format error) leaves no JVM behind.
  trap kill_all EXIT
  local attempt rc
  for attempt in 1 2 3; do
    rc=0; start_once || rc=$?
    (( rc == 0 )) && break
    echo "$NAME: a port was taken meanwhile, trying others" >&2
  done
  (( rc == 0 )) || die "no free ports after $attempt attempts"
  trap - EXIT
  bootstrap > "$STATE/bootstrap"
  basename "$(tr ':' '\n' <<<"$CP" | grep '/kafka_2.13-')" .jar | sed 's/kafka_2.13-//' > "$STATE/version"
  if [[ -n "${APACHE_KAFKA_OWNER_PID:-}" ]]; then
    APACHE_KAFKA_CLUSTER_HOME="$STATE" setsid nohup bash "$SELF" __watch "$APACHE_KAFKA_OWNER_PID" >/dev/null 2>&1 </dev/null &
    echo $! > "$STATE/watchdog.pid"
  fi
  echo "$NAME: Apache Kafka $(cat "$STATE/version"): controller $CONTROLLER_ID on :$(cat "$(node_dir controller)/port"), brokers 1-$BROKERS on $(cat "$STATE/bootstrap"), state in $STATE" >&2
  cat "$STATE/bootstrap"
}

# SIGTERM and wait (30 s, then SIGKILL).
term_wait() {
  local pid="$1" what="$2"
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 150); do alive "$pid" || return 0; sleep 0.2; done
  echo "$NAME: $what (pid $pid) did not stop in 30 s, killing" >&2
  kill -9 "$pid" 2>/dev/null || true
}

cmd_stop() {
  # The watchdog first, so it does not run a second stop when the nodes exit.
  if [[ -f "$STATE/watchdog.pid" ]]; then
    local w; w="$(cat "$STATE/watchdog.pid")"
    rm -f "$STATE/watchdog.pid"
    [[ "$w" != "$$" ]] && kill "$w" 2>/dev/null || true
  fi
  [[ -d "$STATE" ]] || { echo "$NAME: not running" >&2; return 0; }
  if [[ "${APACHE_KAFKA_KEEP:-0}" == 1 ]]; then
    # Brokers first and together (each moves its leaderships away), the controller last.
    local id pid waits=()
    for id in $(seq 1 "$BROKERS"); do
      if pid="$(node_pid "$id")"; then term_wait "$pid" "broker $id" & waits+=($!); fi
    done
    for w in "${waits[@]}"; do wait "$w" || true; done
    if pid="$(node_pid controller)"; then term_wait "$pid" controller; fi
    for id in controller $(seq 1 "$BROKERS"); do rm -f "$(node_dir "$id")/pid"; done
  else
    kill_all
    rm -rf "$STATE"
  fi
  echo "$NAME: stopped" >&2
}

cmd_status() {
  local id pid any=1 dir
  [[ -d "$STATE" ]] || { echo "$NAME: not running" >&2; return 1; }
  for id in controller $(seq 1 "$BROKERS"); do
    dir="$(node_dir "$id")"
    if pid="$(node_pid "$id")"; then any=0; else pid=-; fi
    local role=broker; [[ "$id" == controller ]] && { role=controller; }
    local nid="$id"; [[ "$id" == controller ]] && nid=$CONTROLLER_ID
    echo "$role $nid 127.0.0.1:$(cat "$dir/port" 2>/dev/null) pid $pid $([[ "$pid" == - ]] && echo down || echo up)"
  done
  return "$any"
}

cmd_kill_broker() {
  check_broker "$1"
  local pid; pid="$(node_pid "$1")" || die "broker $1 is not running"
  kill -9 "$pid"
  while alive "$pid"; do sleep 0.02; done
  rm -f "$(node_dir "$1")/pid"
  echo "$NAME: killed broker $1 (pid $pid)" >&2
}

cmd_stop_broker() {
  check_broker "$1"
  local pid; pid="$(node_pid "$1")" || die "broker $1 is not running"
  term_wait "$pid" "broker $1"
  rm -f "$(node_dir "$1")/pid"
  echo "$NAME: stopped broker $1 (pid $pid)" >&2
}

cmd_start_broker() {
  check_broker "$1"
  [[ -f "$(node_dir "$1")/server.properties" ]] || die "no cluster state in $STATE (run start first)"
  local pid; if pid="$(node_pid "$1")"; then die "broker $1 already runs (pid $pid)"; fi
  CP="$(classpath)"
  launch "$1"
  local rc=0; await_node "$1" || rc=$?
  (( rc == 0 )) || die "broker $1: its port $(cat "$(node_dir "$1")/port") is taken"
  echo "$NAME: broker $1 pid $(cat "$(node_dir "$1")/pid") on 127.0.0.1:$(cat "$(node_dir "$1")/port")" >&2
}

# Background watchdog (started by `start` with APACHE_KAFKA_OWNER_PID): stops the cluster once its
# owner is gone. Brokers killed and restarted meanwhile do not matter: it watches only the owner.
cmd_watch() {
  while kill -0 "$1" 2>/dev/null && [[ -d "$STATE" ]]; do sleep 1; done
  [[ -d "$STATE" ]] && cmd_stop
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  kill-broker) cmd_kill_broker "${2:-}" ;;
  stop-broker) cmd_stop_broker "${2:-}" ;;
  start-broker) cmd_start_broker "${2:-}" ;;
  log) exec tail -F "$(node_dir "${2:-1}")/logs/server.log" ;;
  __watch) shift; cmd_watch "$@" ;;
  *) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 2 ;;
esac
