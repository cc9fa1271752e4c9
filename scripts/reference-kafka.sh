#!/usr/bin/env bash
# A real single-node Apache Kafka (KRaft, combined broker + controller) for developers who want
# to know "what would Kafka do?". Not used by CI.
#
#   scripts/reference-kafka.sh start [PORT]   start on 127.0.0.1:PORT (default 19092; the controller
#                                             listens on PORT+1) and print the bootstrap address
#   scripts/reference-kafka.sh stop           stop it (by its PID) and delete its data
#   scripts/reference-kafka.sh status         print the bootstrap address if it runs
#   scripts/reference-kafka.sh log            follow its server log
#
# Environment: REF_KAFKA_HOME (state dir: pid, config, data, logs; default /tmp/runnel-reference-kafka
# — use another one to run a second broker), KAFKA_VERSION (default: the version in
# scripts/reference-kafka/pom.xml), REF_KAFKA_HEAP (default -Xmx512m), REF_KAFKA_KEEP=1 (stop keeps data),
# REF_KAFKA_ADVERTISED=host:port (the address Metadata advertises, e.g. a capturing proxy in front;
# default 127.0.0.1:PORT), REF_KAFKA_PROPS (extra server.properties lines, newline-separated).
#
# The broker and its dependencies come from Maven Central (kafka_2.13 and the server modules:
# 66 MiB into an empty ~/.m2, about 25 MiB more once test/java/setup.sh ran). KAFKA_VERSION can be
# any 4.x release that Maven Central serves. The storage is formatted with kafka.tools.StorageTool
# (still in the core jar in 4.x) and the broker runs kafka.Kafka with a static controller quorum.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
POM_DIR="$HERE/reference-kafka"
STATE="${REF_KAFKA_HOME:-${TMPDIR:-/tmp}/runnel-reference-kafka}"
HEAP="${REF_KAFKA_HEAP:--Xmx512m -Xms256m}"

die() { echo "reference-kafka: $*" >&2; exit 1; }

classpath() {
  local version_args=() cp_file="$POM_DIR/target/classpath-${KAFKA_VERSION:-default}.txt"
  [[ -n "${KAFKA_VERSION:-}" ]] && version_args=("-Dkafka.version=$KAFKA_VERSION")
  if [[ ! -s "$cp_file" || "$POM_DIR/pom.xml" -nt "$cp_file" ]]; then
    mkdir -p "$POM_DIR/target"
    echo "reference-kafka: resolving the broker's classpath with Maven..." >&2
    if ! (cd "$POM_DIR" && mvn -q -B "${version_args[@]}" dependency:build-classpath -Dmdep.outputFile="$cp_file" \
        >"$POM_DIR/target/mvn.log" 2>&1); then
      sed 's/\x1b\[[0-9;]*m//g' "$POM_DIR/target/mvn.log" >&2
      die "maven could not resolve kafka_2.13 ${KAFKA_VERSION:-}"
    fi
  fi
  cat "$cp_file"
}

running_pid() {
  [[ -f "$STATE/pid" ]] || return 1
  local pid; pid="$(cat "$STATE/pid")"
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

cmd_start() {
  local port="${1:-19092}"
  local cport=$((port + 1))
  if pid="$(running_pid)"; then
    die "already running (pid $pid, $(cat "$STATE/bootstrap")); run '$0 stop' first or set REF_KAFKA_HOME"
  fi
  command -v java >/dev/null || die "java not found"
  local cp; cp="$(classpath)"
  rm -rf "$STATE"
  mkdir -p "$STATE/data" "$STATE/logs"

  cat > "$STATE/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://${REF_KAFKA_ADVERTISED:-127.0.0.1:$port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$STATE/data
num.partitions=1
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
${REF_KAFKA_PROPS:-}
PROPS

  cat > "$STATE/log4j2.properties" <<PROPS
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = $STATE/logs/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.requests.name = kafka.request.logger
logger.requests.level = WARN
PROPS

  local cluster_id
  # A random cluster id in Kafka's form (URL-safe base64 of a UUID); one that starts with '-'
  # would read as an option, so draw again.
  cluster_id="$(python3 -c '
import base64, uuid
while True:
    s = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    if s[0] != "-": break
print(s)')"
  local jvm=(java $HEAP -XX:+UseG1GC -Djava.awt.headless=true
    "-Dlog4j2.configurationFile=$STATE/log4j2.properties" "-Dkafka.logs.dir=$STATE/logs" -cp "$cp")
  "${jvm[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$STATE/server.properties" \
    >"$STATE/logs/format.log" 2>&1 || { cat "$STATE/logs/format.log" >&2; die "storage format failed"; }

  # setsid: the broker outlives this shell and its terminal; stop kills it by PID.
  setsid nohup "${jvm[@]}" kafka.Kafka "$STATE/server.properties" >"$STATE/logs/stdout.log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" > "$STATE/pid"
  echo "127.0.0.1:$port" > "$STATE/bootstrap"

  local deadline=$((SECONDS + 90))
  until grep -q "Kafka Server started" "$STATE/logs/server.log" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 40 "$STATE/logs/stdout.log" "$STATE/logs/server.log" >&2 || true
      die "the broker exited during start-up"
    fi
    if (( SECONDS > deadline )); then
      tail -n 40 "$STATE/logs/server.log" >&2 || true
      kill "$pid" 2>/dev/null || true
      die "the broker did not start in 90 s"
    fi
    sleep 0.5
  done
  echo "reference-kafka: Apache Kafka $(basename "$(tr ':' '\n' <<<"$cp" | grep '/kafka_2.13-')" .jar | sed 's/kafka_2.13-//') pid $pid, state in $STATE" >&2
  echo "127.0.0.1:$port"
}

cmd_stop() {
  local pid
  if ! pid="$(running_pid)"; then
    echo "reference-kafka: not running" >&2
  else
    kill "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "reference-kafka: pid $pid did not stop in 30 s, killing" >&2
      kill -9 "$pid" 2>/dev/null || true
    fi
    echo "reference-kafka: stopped pid $pid" >&2
  fi
  rm -f "$STATE/pid"
  if [[ "${REF_KAFKA_KEEP:-0}" != 1 && -d "$STATE" ]]; then rm -rf "$STATE"; fi
}

case "${1:-}" in
  start) shift; cmd_start "$@" ;;
  stop) cmd_stop ;;
  status) if pid="$(running_pid)"; then cat "$STATE/bootstrap"; else echo "reference-kafka: not running" >&2; exit 1; fi ;;
  log) exec tail -F "$STATE/logs/server.log" ;;
  *) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 2 ;;
esac
