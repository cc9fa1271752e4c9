#!/usr/bin/env bash
# Installs the clients of test/compat/clients-*.test.ts (.ci/run calls this after apt-get has
# installed python3-venv, the -dev libraries and build-essential). Cache-friendly: each step is
# skipped when what it would make is already there for the same pinned versions.
#   Python   test/.venv: confluent-kafka, kafka-python, aiokafka (py/requirements.txt) and
#            kafka-python 2.2 in test/.venv/kafka-python-2.2 (py/requirements-kafka-python-2.2.txt),
#            faust-streaming and fastavro (py/requirements-faust.txt)
#   Go       the modules of go/go.mod (go mod download) and the program, built into
#            test/.work/compat-go/compat (the tests build it too when it is missing); the same for
#            go-sarama122 (sarama 1.22) into test/.work/compat-go/sarama122
#   Java 3.x test/java/kafka3 (kafka-clients 3.9), fetched into ~/.m2 and built
#   JS       @confluentinc/kafka-javascript: a native build (CKJS_LINKING=dynamic: its bundled
#            librdkafka against Debian's -dev libraries; its prebuilt download is unreachable),
#            about 90 s, kept in ${RUNNEL_CACHE:-~/.cache/runnel}/ckjs-<lock hash> and linked as
#            js/node_modules
#   JS       @platformatic/kafka (pure JS): `npm ci` in platformatic/ (its own node_modules)
#   Go       segmentio/kafka-go: kafka-go/ (a Go module of its own) built into
#            test/.work/compat-go/kafka-go
#   Rust     the rdkafka crate (dynamic-linking: Debian's librdkafka-dev, which .ci/run installs)
#            built from rust/ (Cargo.lock) into test/.work/compat-rust; skipped without cargo or
#            without librdkafka's pkg-config file, and the Rust test then skips saying so
# Prints how long each step took.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
CACHE="${RUNNEL_CACHE:-$HOME/.cache/runnel}"
t() { echo "test/compat/clients/setup.sh: $1 in $(( $(date +%s) - $2 )) s"; }

# Python: a venv from Debian's python3 (the machine's other pythons may lack ensurepip).
start=$(date +%s)
VENV="$ROOT/test/.venv"
stamp="$(cat "$HERE/py/requirements.txt" "$HERE/py/requirements-kafka-python-2.2.txt" | sha256sum | cut -c1-16)"
if [[ "$(cat "$VENV/.runnel-stamp" 2>/dev/null)" != "$stamp" ]]; then
  rm -rf "$VENV"
  /usr/bin/python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$HERE/py/requirements.txt"
  "$VENV/bin/pip" install -q --disable-pip-version-check --no-deps --target "$VENV/kafka-python-2.2" \
    -r "$HERE/py/requirements-kafka-python-2.2.txt"
  echo "$stamp" >"$VENV/.runnel-stamp"
fi
# Faust and fastavro (test/streams/faust.test.ts), added to the same venv with a stamp of their own:
# a new pin here installs them again without recreating the venv the other clients use.
faust_stamp="$(sha256sum "$HERE/py/requirements-faust.txt" | cut -c1-16)"
if [[ "$(cat "$VENV/.runnel-faust-stamp" 2>/dev/null)" != "$faust_stamp" ]]; then
  "$VENV/bin/pip" install -q --disable-pip-version-check --no-deps -r "$HERE/py/requirements-faust.txt"
  echo "$faust_stamp" >"$VENV/.runnel-faust-stamp"
fi
t "python clients ready" "$start"

# Go: the machine image has Go in /usr/local/go; without Go the Go tests skip.
start=$(date +%s)
GO="$(command -v go || true)"
[[ -z "$GO" && -x /usr/local/go/bin/go ]] && GO=/usr/local/go/bin/go
if [[ -n "$GO" ]]; then
  "$GO" -C "$HERE/go" mod download
  "$GO" -C "$HERE/go" build -mod=readonly -o "$ROOT/test/.work/compat-go/compat" .
  # sarama 1.22 (Debian 12's release) in a module of its own, so that it builds with the
  # dependency versions it was released with (in go/ they would be raised to the newest sarama's);
  # it builds DataDog/zstd with cgo (build-essential).
  "$GO" -C "$HERE/go-sarama122" mod download
  "$GO" -C "$HERE/go-sarama122" build -mod=readonly -o "$ROOT/test/.work/compat-go/sarama122" .
  t "go clients built ($("$GO" version | cut -d' ' -f3))" "$start"
else
  echo "test/compat/clients/setup.sh: no go toolchain: the Go client tests will skip" >&2
fi

# Java 3.x clients (JDK and Maven come with .ci/run's Java step).
start=$(date +%s)
strip() { sed 's/\x1b\[[0-9;]*m//g' | grep -v '^$' >&2 || true; }  # Maven's colour resets
mvn -q -B -Dstyle.color=never -f "$ROOT/test/java/kafka3/pom.xml" dependency:go-offline package dependency:build-classpath \
  -Dmdep.outputFile="$ROOT/test/java/kafka3/target/classpath.txt" -DskipTests 2>&1 | strip
t "java 3.x clients built" "$start"

# @confluentinc/kafka-javascript.
start=$(date +%s)
lockhash="$(cat "$HERE/js/package-lock.json" <(node --version) | sha256sum | cut -c1-16)"
dir="$CACHE/ckjs-$lockhash"
if [[ ! -f "$dir/node_modules/@confluentinc/kafka-javascript/build/Release/confluent-kafka-javascript.node" ]]; then
  rm -rf "$dir"
  mkdir -p "$dir"
  cp "$HERE/js/package.json" "$HERE/js/package-lock.json" "$dir/"
  (cd "$dir" && CKJS_LINKING=dynamic npm_config_build_from_source=true \
    npm ci --foreground-scripts --no-audit --no-fund --loglevel=error >"$dir/build.log" 2>&1) ||
    { tail -50 "$dir/build.log" >&2; echo "test/compat/clients/setup.sh: @confluentinc/kafka-javascript failed to build" >&2; exit 1; }
fi
ln -sfn "$dir/node_modules" "$HERE/js/node_modules"
t "@confluentinc/kafka-javascript ready" "$start"

# @platformatic/kafka: pure JS, its own lock file and node_modules (not the checkout's).
start=$(date +%s)
PK="$HERE/platformatic"
stamp="$(cat "$PK/package-lock.json" <(node --version) | sha256sum | cut -c1-16)"
if [[ "$(cat "$PK/node_modules/.runnel-stamp" 2>/dev/null)" != "$stamp" ]]; then
  (cd "$PK" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$stamp" >"$PK/node_modules/.runnel-stamp"
fi
t "@platformatic/kafka ready" "$start"

# segmentio/kafka-go (a module of its own: its dependencies stay apart from franz-go's and sarama's).
start=$(date +%s)
if [[ -n "$GO" ]]; then
  "$GO" -C "$HERE/kafka-go" mod download
  "$GO" -C "$HERE/kafka-go" build -mod=readonly -o "$ROOT/test/.work/compat-go/kafka-go" .
  t "kafka-go built" "$start"
fi

# The Rust rdkafka crate against Debian's librdkafka (pkg-config rdkafka); Cargo.lock pins every crate.
start=$(date +%s)
CARGO="$(command -v cargo || true)"
[[ -z "$CARGO" && -x "$HOME/.cargo/bin/cargo" ]] && CARGO="$HOME/.cargo/bin/cargo"
if [[ -z "$CARGO" ]]; then
  echo "test/compat/clients/setup.sh: no cargo: the Rust rdkafka test will skip" >&2
elif ! pkg-config --exists rdkafka; then
  echo "test/compat/clients/setup.sh: no librdkafka-dev (pkg-config rdkafka): the Rust rdkafka test will skip" >&2
else
  CARGO_TARGET_DIR="$ROOT/test/.work/compat-rust" "$CARGO" build --release --locked -q --manifest-path "$HERE/rust/Cargo.toml"
  t "rust rdkafka built ($("$CARGO" --version | cut -d' ' -f2), librdkafka $(pkg-config --modversion rdkafka))" "$start"
fi
