#!/usr/bin/env bash
# scripts/apache-kafka.sh with its older defaults, kept for the tools and habits that use it
# (scripts/capture-golden.ts, test/compat/cli-apache-kafka.test.ts, the fixtures in test/unit/groups).
#
#   scripts/reference-kafka.sh start [PORT]   start on 127.0.0.1:PORT (default 19092; the controller
#                                             listens on PORT+1) and print the bootstrap address
#   scripts/reference-kafka.sh stop           stop it (by its PID) and delete its data
#   scripts/reference-kafka.sh status         print the bootstrap address if it runs
#   scripts/reference-kafka.sh log            follow its server log
#
# Environment: REF_KAFKA_HOME (state dir; default /tmp/runnel-reference-kafka — use another one to
# run a second broker), KAFKA_VERSION, REF_KAFKA_HEAP (default -Xmx512m -Xms256m), REF_KAFKA_KEEP=1
# (stop keeps data), REF_KAFKA_ADVERTISED=host:port, REF_KAFKA_PROPS (extra server.properties lines).
# See scripts/apache-kafka.sh for the rest (its APACHE_KAFKA_* variables work here too).
set -euo pipefail
export APACHE_KAFKA_NAME=reference-kafka
export APACHE_KAFKA_HOME="${REF_KAFKA_HOME:-${APACHE_KAFKA_HOME:-${TMPDIR:-/tmp}/runnel-reference-kafka}}"
for v in HEAP KEEP ADVERTISED PROPS; do
  ref="REF_KAFKA_$v"
  [[ -n "${!ref:-}" ]] && export "APACHE_KAFKA_$v=${!ref}"
done
script="$(dirname "$0")/apache-kafka.sh"
case "${1:-}" in
  start) exec bash "$script" start "${2:-19092}" ;;
  stop | status | log | prefetch) exec bash "$script" "$1" ;;
  *) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 2 ;;
esac
