#!/usr/bin/env bash
# Builds local stand-ins for the public base images that apps/*/Dockerfile and
# local-setup/docker-compose.yml name, for a machine that cannot pull from a registry (CI, see
# local-setup/README.md#testing-without-a-registry). Each stand-in is built from Debian's
# packages only: debootstrap makes debian:bookworm-slim, the others are built on it. A tag that
# already exists is never replaced, so a machine holding the real images keeps them.
#
#   tools/deploy-check/standin-images/build.sh [--cache-dir DIR]
#
# DIR (default /var/cache/pairdb-standin) keeps the debootstrap tarball between runs.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
cache_dir=/var/cache/pairdb-standin
mirror="${PAIRDB_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
label='org.pairdb.standin=true'
export DOCKER_BUILDKIT=0

while [ $# -gt 0 ]; do
  case "$1" in
    --cache-dir)
      cache_dir="${2:?--cache-dir needs a folder}"
      shift 2
      ;;
    *)
      echo "build.sh: unknown argument: $1" >&2
      exit 2
      ;;
  esac
done

need() {
  command -v "$1" >/dev/null 2>&1 || {
    echo "build.sh: $1 is missing ($2)" >&2
    exit 1
  }
}
have_image() { docker image inspect "$1" >/dev/null 2>&1; }

need docker "Debian package docker.io"
docker info >/dev/null 2>&1 || {
  echo "build.sh: no Docker daemon answers (start dockerd)" >&2
  exit 1
}

if have_image debian:bookworm-slim; then
  echo "build.sh: debian:bookworm-slim exists; left as it is"
else
  tarball="$cache_dir/bookworm-minbase.tar"
  if [ ! -s "$tarball" ]; then
    need debootstrap "Debian package debootstrap"
    mkdir -p "$cache_dir"
    rootfs="$(mktemp -d "$cache_dir/rootfs.XXXXXX")"
    trap 'rm -rf "$rootfs"' EXIT
    echo "build.sh: debootstrap bookworm (minbase) from $mirror"
    debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$cache_dir/debootstrap.log" 2>&1 || {
      tail -20 "$cache_dir/debootstrap.log" >&2
      exit 1
    }
    # What the real slim image leaves out too: downloaded packages and package lists.
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" -cf "$tarball.partial" .
    mv "$tarball.partial" "$tarball"
    rm -rf "$rootfs"
    trap - EXIT
  fi
  docker import --change 'CMD ["bash"]' --change "LABEL $label" "$tarball" debian:bookworm-slim >/dev/null
  echo "build.sh: built debian:bookworm-slim"
fi

# The Node.js image runs this machine's node (Debian's nodejs is older than the apps need) and
# npm, as the real image does from /usr/local, with its user node (uid 1000), and trusts what
# this machine trusts (a machine behind a TLS-inspecting proxy reaches the npm registry only so).
if have_image node:20-bookworm-slim; then
  echo "build.sh: node:20-bookworm-slim exists; left as it is"
else
  need node "Node.js 20"
  need npm "npm"
  context="$(mktemp -d)"
  trap 'rm -rf "$context"' EXIT
  cp "$here/node/Dockerfile" "$context/"
  cp "$(readlink -f "$(command -v node)")" "$context/node"
  cp -r "$(npm root -g)/npm" "$context/npm"
  cp "${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}" "$context/ca-certificates.crt"
  docker build -q --label "$label" -t node:20-bookworm-slim "$context" >/dev/null
  rm -rf "$context"
  trap - EXIT
  echo "build.sh: built node:20-bookworm-slim (node $(node --version))"
fi

for image in postgres:16 redis:7; do
  if have_image "$image"; then
    echo "build.sh: $image exists; left as it is"
    continue
  fi
  docker build -q --label "$label" -t "$image" "$here/${image%%:*}" >/dev/null
  echo "build.sh: built $image"
done
