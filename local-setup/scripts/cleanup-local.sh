#!/usr/bin/env bash
# Removes what deploy-local.sh created (local-setup/README.md): the pairdb namespace with every
# object and volume claim in it, and the two images built into minikube. minikube itself keeps
# running (`minikube stop` or `minikube delete` when done). Safe to re-run: what is already gone
# is skipped.
#
# Environment:
#   PAIRDB_DELETE_TIMEOUT_SECONDS  longest wait for the namespace to go (default 180)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
NAMESPACE="pairdb"
DELETE_TIMEOUT_SECONDS="${PAIRDB_DELETE_TIMEOUT_SECONDS:-180}"

say() { echo "cleanup-local: $*"; }
fail() {
  echo "cleanup-local: $*" >&2
  exit 1
}

check_tools() {
  local missing=0
  local tool
  for tool in minikube kubectl timeout; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      echo "cleanup-local: missing tool: $tool (local-setup/README.md lists the prerequisites)" >&2
      missing=1
    fi
  done
  [ "$missing" -eq 0 ] || fail "install the missing tools above and run again"
}

check_tools
if ! minikube status >/dev/null 2>&1; then
  say "minikube is not running: nothing to remove"
  exit 0
fi
say "deleting local-setup/k8s and its volume claims"
# The manifests first (ignoring what is gone), then the namespace, which takes the StatefulSets'
# volume claims with it.
if ! timeout "$((DELETE_TIMEOUT_SECONDS + 5))" kubectl delete -k "$ROOT/local-setup/k8s" \
  --ignore-not-found --wait=true --timeout="${DELETE_TIMEOUT_SECONDS}s"; then
  fail "the objects of local-setup/k8s were not gone within ${DELETE_TIMEOUT_SECONDS}s"
fi
if ! timeout "$((DELETE_TIMEOUT_SECONDS + 5))" kubectl delete namespace "$NAMESPACE" \
  --ignore-not-found --wait=true --timeout="${DELETE_TIMEOUT_SECONDS}s"; then
  fail "namespace $NAMESPACE was not gone within ${DELETE_TIMEOUT_SECONDS}s"
fi
local_images=(pairdb/coordinator:local pairdb/storage-node:local)
for image in "${local_images[@]}"; do
  say "removing image $image from minikube"
  minikube image rm "$image" >/dev/null 2>&1 || true
done
say "done"
