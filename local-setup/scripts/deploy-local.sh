#!/usr/bin/env bash
# Deploys PairDB to minikube (local-setup/README.md): checks its tools, builds both images into
# minikube, applies local-setup/k8s, waits for every rollout with a timeout, runs a put/get smoke
# test through a port-forward and prints how to reach the cluster. Safe to re-run: it starts
# minikube only when it is not running, and every other step leaves a deployed cluster as it is.
#
# Environment:
#   PAIRDB_ROLLOUT_TIMEOUT_SECONDS  longest wait for each rollout (default 300)
#   PAIRDB_LOCAL_PORT               local end of the port-forward to the coordinator (default 50051)
#   PAIRDB_FORWARD_TIMEOUT_SECONDS  longest wait for the port-forward to answer (default 60)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
NAMESPACE="pairdb"
ROLLOUT_TIMEOUT_SECONDS="${PAIRDB_ROLLOUT_TIMEOUT_SECONDS:-300}"
LOCAL_PORT="${PAIRDB_LOCAL_PORT:-50051}"
FORWARD_TIMEOUT_SECONDS="${PAIRDB_FORWARD_TIMEOUT_SECONDS:-60}"
# In dependency order: the coordinators need the metadata store, the storage nodes a coordinator.
ROLLOUTS=(statefulset/postgres deployment/redis deployment/coordinator statefulset/storage-node)

say() { echo "deploy-local: $*"; }
fail() {
  echo "deploy-local: $*" >&2
  exit 1
}

check_tools() {
  local missing=0
  local tool hint
  while IFS='|' read -r tool hint; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      echo "deploy-local: missing tool: $tool ($hint)" >&2
      missing=1
    fi
  done <<'TOOLS'
minikube|install it: https://minikube.sigs.k8s.io/docs/start/
kubectl|install it: https://kubernetes.io/docs/tasks/tools/
docker|minikube's docker driver needs it: https://docs.docker.com/engine/install/
timeout|it comes with GNU coreutils
pairdb|from the repository root: npm ci && npx nx run cli:build, then put node_modules/.bin on PATH
TOOLS
  [ "$missing" -eq 0 ] || fail "install the missing tools above and run again"
}

start_minikube() {
  if minikube status >/dev/null 2>&1; then
    say "minikube is running"
  else
    say "starting minikube"
    minikube start
  fi
}

build_images() {
  local app
  for app in coordinator storage-node; do
    say "building pairdb/$app:local into minikube"
    minikube image build -t "pairdb/$app:local" -f "apps/$app/Dockerfile" "$ROOT"
  done
}

wait_for_rollouts() {
  local target
  for target in "${ROLLOUTS[@]}"; do
    say "waiting for $target (at most ${ROLLOUT_TIMEOUT_SECONDS}s)"
    # kubectl's own --timeout, and timeout(1) around it in case kubectl itself hangs.
    if ! timeout "$((ROLLOUT_TIMEOUT_SECONDS + 5))" kubectl -n "$NAMESPACE" rollout status \
      "$target" --timeout="${ROLLOUT_TIMEOUT_SECONDS}s"; then
      fail "$target did not finish rolling out within ${ROLLOUT_TIMEOUT_SECONDS}s;" \
        "see kubectl -n $NAMESPACE get pods and kubectl -n $NAMESPACE describe $target"
    fi
  done
}

smoke_test() {
  local address="127.0.0.1:$LOCAL_PORT"
  say "port-forwarding service/coordinator to $address"
  kubectl -n "$NAMESPACE" port-forward service/coordinator "$LOCAL_PORT:50051" >/dev/null &
  local forward=$!
  # shellcheck disable=SC2064 # the pid is fixed now
  trap "kill $forward 2>/dev/null || true" EXIT
  local waited=0
  until pairdb --address "$address" node list >/dev/null 2>&1; do
    [ "$waited" -lt "$FORWARD_TIMEOUT_SECONDS" ] ||
      fail "the coordinator did not answer at $address within ${FORWARD_TIMEOUT_SECONDS}s"
    sleep 1
    waited=$((waited + 1))
  done
  say "smoke test: put and get in tenant smoke"
  local code=0
  pairdb --address "$address" tenant create smoke --replication-factor 3 >/dev/null 2>&1 ||
    code=$?
  # 5 is ALREADY_EXISTS: a re-run finds the tenant of the first run.
  [ "$code" -eq 0 ] || [ "$code" -eq 5 ] || fail "could not create tenant smoke (exit $code)"
  pairdb --address "$address" put smoke deploy-check ok >/dev/null
  local value
  value="$(pairdb --address "$address" get smoke deploy-check)"
  [ "$value" = "ok" ] || fail "smoke test read back '$value', not 'ok'"
  say "smoke test passed"
}

print_access() {
  cat <<HELP
deploy-local: PairDB is running in namespace $NAMESPACE.
  kubectl -n $NAMESPACE get pods
  kubectl -n $NAMESPACE port-forward service/coordinator 50051:50051 8080:8080 9090:9090
  pairdb --address 127.0.0.1:50051 status
  local-setup/scripts/cleanup-local.sh removes it.
HELP
}

check_tools
cd "$ROOT"
start_minikube
build_images
say "applying local-setup/k8s"
kubectl apply -k "$ROOT/local-setup/k8s"
wait_for_rollouts
smoke_test
print_access
