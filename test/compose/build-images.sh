#!/usr/bin/env bash
# Builds, on a machine with no container registry, every image docker-compose.yml names — so the
# compose test (test/compose/compose.test.ts) runs the users' compose file and the published
# Dockerfile unchanged:
#
#  1. node:20-bookworm-slim, the Dockerfile's base: a rootfs made of the host's own Node 20 and npm
#     (the layout of the official image: /usr/local/bin/node, /usr/local/lib/node_modules/npm),
#     /bin/sh and the few coreutils the Dockerfile's RUN lines use, the shared libraries `ldd`
#     lists for them, and /etc/passwd with the `node` user (uid 1000) the official image has;
#     `docker import`ed under the official name. The host is Debian bookworm, as that image is.
#  2. The etcd image docker-compose.yml names (ETCD_IMAGE below): Debian's etcd-server and
#     etcd-client binaries (3.4; the compose file only uses flags 3.4 and 3.5 share) at the paths
#     of the official image (/usr/local/bin/etcd, /usr/local/bin/etcdctl).
#  3. Runnel itself: `docker build` of the repository's Dockerfile as it is (its `npm ci` fetches
#     from the npm registry; Docker's layer cache keeps that and the TypeScript build across runs).
#
# Each locally made image carries a label with the hash of its inputs: a rerun with the same host
# binaries and this same script reuses it (seconds). An image of that name WITHOUT the label is a
# real one (pulled from the registry on a normal machine) and is left alone and used.
#
# Usage: test/compose/build-images.sh [runnel image tag, default runnel:latest]
# Needs: a running Docker engine, root (or docker group) rights, and the host's node, npm, etcd
# and etcdctl (apt-get install etcd-server etcd-client).
set -euo pipefail
cd "$(dirname "$0")/../.."

RUNNEL_IMAGE="${1:-runnel:latest}"
BASE_IMAGE=node:20-bookworm-slim
# Keep in step with docker-compose.yml's etcd service.
ETCD_IMAGE=$(sed -n 's/^ *image: *\(gcr\.io\/etcd-development\/etcd:[^ ]*\).*/\1/p' docker-compose.yml | head -1)
[[ -n "$ETCD_IMAGE" ]] || { echo "build-images.sh: no etcd image in docker-compose.yml" >&2; exit 1; }

LABEL=org.runnel.test.inputs
log() { echo "build-images.sh: $*" >&2; }

# The label of an existing image: "<none>" when absent, "" when the image has no such label.
image_label() {
  docker image inspect --format "{{ index .Config.Labels \"$LABEL\" }}" "$1" 2>/dev/null || echo "<none>"
}

# Copies binaries and every shared library they need (ldd) into a rootfs, keeping their paths.
copy_with_libs() {
  local root="$1"; shift
  local f lib
  for f in "$@"; do
    mkdir -p "$root$(dirname "$f")"
    cp -L "$f" "$root$f"
    for lib in $(ldd "$f" 2>/dev/null | grep -o '/[^ ]*' || true); do
      [[ -e "$root$lib" ]] && continue
      mkdir -p "$root$(dirname "$lib")"
      cp -L "$lib" "$root$lib"
    done
  done
}

# A merged-/usr skeleton (as Debian bookworm): /bin, /lib, /lib64 are links into /usr.
skeleton() {
  local root="$1"
  mkdir -p "$root"/usr/bin "$root"/usr/lib "$root"/usr/lib64 "$root"/usr/local/bin "$root"/etc "$root"/tmp "$root"/root "$root"/home/node "$root"/var/tmp
  ln -s usr/bin "$root/bin"; ln -s usr/lib "$root/lib"; ln -s usr/lib64 "$root/lib64"; ln -s usr/bin "$root/sbin"
  chmod 1777 "$root/tmp" "$root/var/tmp"
  printf 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' > "$root/etc/passwd"
  printf 'root:x:0:\nnode:x:1000:\nnogroup:x:65534:\n' > "$root/etc/group"
  chown 1000:1000 "$root/home/node"
}

# Tools the Dockerfile's RUN lines and npm's lifecycle scripts call; bash and ldd as the official
# image has them (napi-rs addons ask ldd whether the C library is glibc or musl).
BASE_TOOLS=(sh dash bash ldd env mkdir chown chmod ln rm cp mv cat ls id true false sleep touch uname)
# The shared libraries the official image's Debian packages bring (libc6, libgcc-s1, libstdc++6):
# native addons (snappy, lz4, zstd, crc32) link against more of them than node itself does.
LIB_PACKAGES=(libc6 libgcc-s1 libstdc++6)
package_libs() { dpkg -L "${LIB_PACKAGES[@]}" | grep -E '^(/usr)?/lib/[^/]*(/[^/]*)?\.so[.0-9]*$' | sort -u; }
tool_paths() { local t; for t in "${BASE_TOOLS[@]}"; do readlink -f "$(type -P "$t")"; done; }

build_base() {
  local node npm_dir hash
  node=$(readlink -f "$(command -v node)")
  npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  hash=$( { cat "$node" "$0" "$npm_dir/package.json" $(package_libs); tool_paths; [[ -f "${NODE_EXTRA_CA_CERTS:-}" ]] && cat "$NODE_EXTRA_CA_CERTS"; } | sha256sum | cut -c1-16)
  local have; have=$(image_label "$BASE_IMAGE")
  if [[ "$have" == "$hash" ]]; then log "$BASE_IMAGE: cached ($hash)"; return; fi
  if [[ "$have" != "<none>" && -z "$have" ]]; then log "$BASE_IMAGE: a real image is present, using it"; return; fi
  log "$BASE_IMAGE: importing a rootfs of the host's Node $(node --version) and npm $(npm --version)"
  local root; root=$(mktemp -d)
  skeleton "$root"
  copy_with_libs "$root" $(tool_paths)
  local lib
  for lib in $(package_libs); do mkdir -p "$root$(dirname "$lib")"; cp -L "$lib" "$root$lib"; done
  # Debian's sh is a link to dash; coreutils sit in /usr/bin already (merged /usr).
  ln -sf dash "$root/usr/bin/sh"
  copy_with_libs "$root" "$node"
  mv "$root$node" "$root/usr/local/bin/node"
  mkdir -p "$root/usr/local/lib/node_modules"
  cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  # A host that reaches the npm registry through a TLS-inspecting proxy trusts its CA through
  # NODE_EXTRA_CA_CERTS: the stand-in base image trusts the same, so the Dockerfile's `npm ci` works
  # here as it does on the host. (The official image needs nothing of the kind on a normal network.)
  local ca=()
  if [[ -f "${NODE_EXTRA_CA_CERTS:-}" ]]; then
    mkdir -p "$root$(dirname "$NODE_EXTRA_CA_CERTS")"
    cp -L "$NODE_EXTRA_CA_CERTS" "$root$NODE_EXTRA_CA_CERTS"
    ca=(--change "ENV NODE_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS")
  fi
  tar -C "$root" -c . | docker import \
    --change "LABEL $LABEL=$hash" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV NODE_VERSION='"$(node --version | cut -c2-)" \
    --change 'CMD ["node"]' \
    "${ca[@]}" \
    - "$BASE_IMAGE" >/dev/null
  rm -rf "$root"
}

build_etcd() {
  local etcd etcdctl hash have
  etcd=$(command -v etcd) || { log "etcd not found (apt-get install etcd-server)"; exit 1; }
  etcdctl=$(command -v etcdctl) || { log "etcdctl not found (apt-get install etcd-client)"; exit 1; }
  hash=$(cat "$etcd" "$etcdctl" "$0" | sha256sum | cut -c1-16)
  have=$(image_label "$ETCD_IMAGE")
  if [[ "$have" == "$hash" ]]; then log "$ETCD_IMAGE: cached ($hash)"; return; fi
  if [[ "$have" != "<none>" && -z "$have" ]]; then log "$ETCD_IMAGE: a real image is present, using it"; return; fi
  log "$ETCD_IMAGE: importing Debian's $("$etcd" --version | head -1)"
  local root; root=$(mktemp -d)
  skeleton "$root"
  copy_with_libs "$root" "$(readlink -f "$etcd")" "$(readlink -f "$etcdctl")"
  mv "$root$(readlink -f "$etcd")" "$root/usr/local/bin/etcd"
  mv "$root$(readlink -f "$etcdctl")" "$root/usr/local/bin/etcdctl"
  mkdir -p "$root/var/lib/etcd"
  tar -C "$root" -c . | docker import \
    --change "LABEL $LABEL=$hash" \
    --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
    --change 'WORKDIR /var/lib/etcd' \
    --change 'EXPOSE 2379 2380' \
    --change 'CMD ["/usr/local/bin/etcd"]' \
    - "$ETCD_IMAGE" >/dev/null
  rm -rf "$root"
}

build_runnel() {
  log "$RUNNEL_IMAGE: docker build (layer-cached)"
  local start; start=$(date +%s)
  # The classic builder: Debian's engine has no buildx plugin. Quiet unless it fails.
  local out; out=$(mktemp)
  if ! DOCKER_BUILDKIT=0 docker build -q -t "$RUNNEL_IMAGE" . >"$out" 2>&1; then
    tail -50 "$out" >&2; rm -f "$out"; exit 1
  fi
  rm -f "$out"
  log "$RUNNEL_IMAGE: built in $(( $(date +%s) - start )) s"
}

# The images a rebuild replaced, once nothing uses them (`docker rmi` refuses otherwise). No prune by
# label: the build stage's cached layers inherit the base image's labels and must stay.
replaced=()
for image in "$BASE_IMAGE" "$ETCD_IMAGE" "$RUNNEL_IMAGE"; do
  replaced+=("$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)")
done
build_base
build_etcd
build_runnel
for id in "${replaced[@]}"; do
  [[ -n "$id" ]] || continue
  [[ -z "$(docker image inspect --format '{{join .RepoTags ","}}' "$id" 2>/dev/null)" ]] && docker rmi "$id" >/dev/null 2>&1 || true
done
