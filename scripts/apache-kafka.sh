#!/usr/bin/env bash
# A real single-node Apache Kafka (KRaft, one combined broker + controller) on loopback: the
# reference that Runnel is compared against (test/differential/, bench/). Never needed for
# `npm start`.
#
#   scripts/apache-kafka.sh start [PORT]   format a fresh KRaft storage dir, start the broker on
#                                          127.0.0.1:PORT (default or 0: a free port; the controller
#                                          gets another free port, or PORT+1 when PORT is given),
#                                          wait until it serves, print its bootstrap address on stdout
#   scripts/apache-kafka.sh stop           stop it cleanly (SIGTERM, SIGKILL after 30 s), delete its data
#   scripts/apache-kafka.sh status         print the bootstrap address if it runs (exit 1 if not)
#   scripts/apache-kafka.sh log            follow its server log
#   scripts/apache-kafka.sh prefetch       resolve the broker's jars into ~/.m2 (cached; CI runs this
#                                          so tests never download) and print the Kafka version
#
# Environment:
#   APACHE_KAFKA_HOME        state dir: pid, config, data, logs (default ${TMPDIR:-/tmp}/runnel-apache-kafka);
#                            one broker per state dir, so use another one to run a second broker
#   KAFKA_VERSION            any 4.x release on Maven Central (default: scripts/reference-kafka/pom.xml's)
#   APACHE_KAFKA_HEAP        heap flags (default -Xmx512m -Xms256m)
#   APACHE_KAFKA_JVM_OPTS    extra JVM flags (tests use -XX:TieredStopAtLevel=1 for a faster start)
#   APACHE_KAFKA_PROPS       extra server.properties lines, newline-separated (later lines win)
#   APACHE_KAFKA_ADVERTISED  host:port that Metadata advertises (e.g. a capturing proxy in front;
#                            default 127.0.0.1:PORT)
#   APACHE_KAFKA_OWNER_PID   stop the broker when this process exits (tests pass their own pid, so a
#                            killed test run leaves no JVM behind)
#   APACHE_KAFKA_KEEP=1      stop keeps the data
#
# The broker and its dependencies come from Maven Central (kafka_2.13 and the server modules,
# about 66 MiB into an empty ~/.m2, 25 MiB more once test/java/setup.sh ran). The resolved classpath
# is cached in scripts/reference-kafka/target/; resolution runs offline first and under a lock, so
# parallel starts share it. The storage is formatted with kafka.tools.StorageTool and the broker runs
# kafka.Kafka with a static controller quorum. scripts/reference-kafka.sh is the same script with
# the older defaults (port 19092, REF_KAFKA_* variables).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
SELF="$HERE/$(basename "$0")"
POM_DIR="$HERE/reference-kafka"
STATE="${APACHE_KAFKA_HOME:-${TMPDIR:-/tmp}/runnel-apache-kafka}"
HEAP="${APACHE_KAFKA_HEAP:--Xmx512m -Xms256m}"
NAME="${APACHE_KAFKA_NAME:-apache-kafka}"

die() { echo "$NAME: $*" >&2; exit 1; }

jars_exist() { local IFS=':'; for jar in $1; do [[ -n "$jar" && -e "$jar" ]] || return 1; done; }

# Prints the broker's classpath, resolving it with Maven (offline first) when the cached one is
# missing, older than the pom, or names a jar that is gone from ~/.m2.
classpath() {
  local version_args=() cp_file="$POM_DIR/target/classpath-${KAFKA_VERSION:-default}.txt"
  [[ -n "${KAFKA_VERSION:-}" ]] && version_args=("-Dkafka.version=$KAFKA_VERSION")
  fresh() { [[ -s "$cp_file" && ! "$POM_DIR/pom.xml" -nt "$cp_file" ]] && jars_exist "$(cat "$cp_file")"; }
  if ! fresh; then
    mkdir -p "$POM_DIR/target"
    command -v mvn >/dev/null || die "mvn not found (apt-get install maven)"
    exec 9>"$POM_DIR/target/.resolve.lock"
    command -v flock >/dev/null && flock 9
    if ! fresh; then
      echo "$NAME: resolving the broker's classpath with Maven..." >&2
      local tmp="$cp_file.$$" log="$POM_DIR/target/mvn.log"
      local goal=(-q -B "${version_args[@]}" dependency:build-classpath "-Dmdep.outputFile=$tmp")
      if ! (cd "$POM_DIR" && { mvn -o "${goal[@]}" || mvn "${goal[@]}"; } >"$log" 2>&1); then
        rm -f "$tmp"
        sed 's/\x1b\[[0-9;]*m//g' "$log" >&2
        die "maven could not resolve kafka_2.13 ${KAFKA_VERSION:-}"
      fi
      mv "$tmp" "$cp_file"
    fi
    exec 9>&-
  fi
  cat "$cp_file"
}

kafka_version() { basename "$(tr ':' '\n' <<<"$1" | grep '/kafka_2.13-')" .jar | sed 's/kafka_2.13-//'; }

running_pid() {
  [[ -f "$STATE/pid" ]] || return 1
  local pid; pid="$(cat "$STATE/pid")"
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

# Two free loopback ports (the kernel picks them; Kafka binds them a moment later).
free_ports() {
  node -e '
    const net = require("node:net");
    const take = () => new Promise((r) => { const s = net.createServer().listen(0, "127.0.0.1", () => r(s)); });
    Promise.all([take(), take()]).then((ss) => { console.log(ss.map((s) => s.address().port).join(" ")); ss.forEach((s) => s.close()); });'
}

# A random cluster id in Kafka's form (URL-safe base64 of 16 bytes); one that starts with '-'
# would read as an option, so draw again.
cluster_id() {
  local id
  while :; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
    [[ "$id" != -* ]] && { echo "$id"; return; }
  done
}

write_config() {
  local port="$1" cport="$2"
  cat > "$STATE/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://${APACHE_KAFKA_ADVERTISED:-127.0.0.1:$port}
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
${APACHE_KAFKA_PROPS:-}
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
}

# One start attempt on the given ports. Returns 0 once the broker serves, 2 when a port was taken
# (the caller may pick others), and dies on any other failure.
start_once() {
  local port="$1" cport="$2" cp="$3"
  rm -rf "$STATE/data" "$STATE/logs"
  mkdir -p "$STATE/data" "$STATE/logs"
  write_config "$port" "$cport"
  local gc=-XX:+UseG1GC
  [[ "${APACHE_KAFKA_JVM_OPTS:-}" == *-XX:+Use*GC* ]] && gc=()
  # shellcheck disable=SC2206
  local jvm=(java $HEAP ${APACHE_KAFKA_JVM_OPTS:-} "${gc[@]}" -Djava.awt.headless=true
    "-Dlog4j2.configurationFile=$STATE/log4j2.properties" "-Dkafka.logs.dir=$STATE/logs" -cp "$cp")
  "${jvm[@]}" kafka.tools.StorageTool format -t "$(cluster_id)" -c "$STATE/server.properties" \
    >"$STATE/logs/format.log" 2>&1 || { cat "$STATE/logs/format.log" >&2; die "storage format failed"; }

  # setsid: the broker outlives this shell and its terminal; stop kills it by PID.
  setsid nohup "${jvm[@]}" kafka.Kafka "$STATE/server.properties" >"$STATE/logs/stdout.log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" > "$STATE/pid"
  echo "127.0.0.1:$port" > "$STATE/bootstrap"

  local deadline=$((SECONDS + ${APACHE_KAFKA_START_TIMEOUT:-90}))
  until grep -q "Kafka Server started" "$STATE/logs/server.log" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$STATE/pid"
      if grep -qs "Address already in use" "$STATE/logs/server.log" "$STATE/logs/stdout.log"; then return 2; fi
      tail -n 40 "$STATE/logs/stdout.log" "$STATE/logs/server.log" >&2 || true
      die "the broker exited during start-up"
    fi
    if (( SECONDS > deadline )); then
      tail -n 40 "$STATE/logs/server.log" >&2 || true
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$STATE/pid"
      die "the broker did not start in ${APACHE_KAFKA_START_TIMEOUT:-90} s"
    fi
    sleep 0.2
  done
}

cmd_start() {
  local want="${1:-0}" pid
  [[ "$want" =~ ^[0-9]+$ ]] || die "bad port '$want'"
  if pid="$(running_pid)"; then
    die "already running (pid $pid, $(cat "$STATE/bootstrap")); run '$0 stop' first or set APACHE_KAFKA_HOME"
  fi
  command -v java >/dev/null || die "java not found"
  local cp; cp="$(classpath)"
  rm -rf "$STATE"
  mkdir -p "$STATE"
  local attempt port cport rc
  for attempt in 1 2 3 4 5; do
    if (( want == 0 )); then read -r port cport < <(free_ports); else port="$want"; cport=$((want + 1)); fi
    rc=0; start_once "$port" "$cport" "$cp" || rc=$?
    (( rc == 0 )) && break
    (( want == 0 )) || die "port $port or $cport is in use"
    echo "$NAME: port $port or $cport was taken meanwhile, trying others" >&2
  done
  (( rc == 0 )) || die "no free ports after $attempt attempts"
  pid="$(cat "$STATE/pid")"
  if [[ -n "${APACHE_KAFKA_OWNER_PID:-}" ]]; then
    APACHE_KAFKA_HOME="$STATE" setsid nohup bash "$SELF" __watch "$APACHE_KAFKA_OWNER_PID" "$pid" >/dev/null 2>&1 </dev/null &
    echo $! > "$STATE/watchdog.pid"
  fi
  kafka_version "$cp" > "$STATE/version"
  echo "$NAME: Apache Kafka $(cat "$STATE/version") pid $pid on 127.0.0.1:$port (controller :$cport), state in $STATE" >&2
  echo "127.0.0.1:$port"
}

cmd_stop() {
  local pid
  # The watchdog first: once the broker exits it would run its own stop, which deletes the state
  # even when this stop was asked to keep it (APACHE_KAFKA_KEEP=1, a restart on the same data).
  if [[ -f "$STATE/watchdog.pid" ]]; then
    local w; w="$(cat "$STATE/watchdog.pid")"
    rm -f "$STATE/watchdog.pid"
    [[ "$w" != "$$" ]] && kill "$w" 2>/dev/null || true
  fi
  if ! pid="$(running_pid)"; then
    echo "$NAME: not running" >&2
  else
    kill "$pid"
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "$NAME: pid $pid did not stop in 30 s, killing" >&2
      kill -9 "$pid" 2>/dev/null || true
    fi
    echo "$NAME: stopped pid $pid" >&2
  fi
  rm -f "$STATE/pid"
  if [[ "${APACHE_KAFKA_KEEP:-0}" != 1 && -d "$STATE" ]]; then rm -rf "$STATE"; fi
}

# Background watchdog (started by `start` with APACHE_KAFKA_OWNER_PID): stops the broker once its
# owner is gone.
cmd_watch() {
  local owner="$1" pid="$2"
  while kill -0 "$owner" 2>/dev/null && kill -0 "$pid" 2>/dev/null; do sleep 1; done
  if [[ "$(cat "$STATE/pid" 2>/dev/null)" == "$pid" ]]; then cmd_stop; fi
}

case "${1:-}" in
  start) shift; cmd_start "$@" ;;
  stop) cmd_stop ;;
  status) if running_pid >/dev/null; then cat "$STATE/bootstrap"; else echo "$NAME: not running" >&2; exit 1; fi ;;
  log) exec tail -F "$STATE/logs/server.log" ;;
  prefetch) command -v java >/dev/null || echo "$NAME: java not found (needed to run the broker)" >&2
            cp="$(classpath)"; echo "$NAME: Apache Kafka $(kafka_version "$cp"): $(tr ':' '\n' <<<"$cp" | wc -l) jars cached" >&2
            kafka_version "$cp" ;;
  __watch) shift; cmd_watch "$@" ;;
  *) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 2 ;;
esac
