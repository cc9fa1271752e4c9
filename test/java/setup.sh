#!/usr/bin/env bash
# Pre-fetches everything the Java harness needs into ~/.m2 (Kafka clients, tools, streams and the
# Maven plugins) and builds it, so that tests can build offline (mvn -o). .ci/run calls this.
# MAVEN_REPO=/path uses another local repository (to measure a fresh download).
# Prints how long it took and how much ~/.m2 grew.
set -euo pipefail
cd "$(dirname "$0")"
command -v mvn >/dev/null || { echo "test/java/setup.sh: mvn not found (apt-get install maven)" >&2; exit 1; }
repo="${MAVEN_REPO:-$HOME/.m2/repository}"
mvn_opts=(-q -B -Dstyle.color=never)
[[ -n "${MAVEN_REPO:-}" ]] && mvn_opts+=("-Dmaven.repo.local=$MAVEN_REPO")
before=$(du -sk "$repo" 2>/dev/null | cut -f1 || echo 0)
start=$(date +%s)
# go-offline resolves the plugins too; package + build-classpath then also fetch what only the build
# and the harness's classpath step use, and leave test/java/target ready.
# (Maven's console library prints colour resets even in batch mode: strip them.)
strip() { sed 's/\x1b\[[0-9;]*m//g' | grep -v '^$' >&2 || true; }
mvn "${mvn_opts[@]}" dependency:go-offline package dependency:build-classpath \
  -Dmdep.outputFile="$PWD/target/classpath.txt" -DskipTests 2>&1 | strip
# Verify the offline build works from this cache (what test/helpers/java.ts runs first).
mvn "${mvn_opts[@]}" -o package dependency:build-classpath -Dmdep.outputFile="$PWD/target/classpath.txt" -DskipTests 2>&1 | strip
after=$(du -sk "$repo" 2>/dev/null | cut -f1 || echo 0)
echo "test/java/setup.sh: ready in $(( $(date +%s) - start )) s; ~/.m2 grew by $(( (after - before) / 1024 )) MiB (now $(( after / 1024 )) MiB)"
