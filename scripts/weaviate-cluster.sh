#!/usr/bin/env bash
# Starts (or stops) a local Weaviate cluster on loopback for rgunit's remote
# index: node i serves REST on 8080+i and gRPC on 50051+i (every port
# shifted by $WV_PORT_OFFSET, default 0, to run two clusters side by side).
#
#   scripts/weaviate-cluster.sh start N DIR   # N nodes, data and logs under DIR
#   scripts/weaviate-cluster.sh stop DIR      # stop every node of DIR
#   scripts/weaviate-cluster.sh kill DIR I    # crash node I (SIGKILL), for fault drills
#   scripts/weaviate-cluster.sh restart DIR I # start node I again
#
# Weaviate's gRPC and cluster data ports listen on every interface whatever
# its settings. On a machine others can reach, run the cluster and rgunit in
# a private network namespace that holds only loopback, e.g. as root:
#   unshare -n bash -c 'ip link set lo up; scripts/weaviate-cluster.sh start 3 /tmp/wv; rgunit ...'
# The server binary: $RGUNIT_WEAVIATE_SERVER, weaviate-server on PATH, or
# $(go env GOPATH)/bin/weaviate-server (go install
# github.com/weaviate/weaviate/cmd/weaviate-server@v1.35.2 with GOFLAGS=-mod=mod).
set -euo pipefail
off=${WV_PORT_OFFSET:-0}

server() {
  if [ -n "${RGUNIT_WEAVIATE_SERVER:-}" ]; then echo "$RGUNIT_WEAVIATE_SERVER"; return; fi
  if command -v weaviate-server >/dev/null 2>&1; then command -v weaviate-server; return; fi
  for p in "$(go env GOPATH 2>/dev/null)/bin/weaviate-server" "$HOME/.cache/rgunit/weaviate-server-v1.35.2"; do
    if [ -x "$p" ]; then echo "$p"; return; fi
  done
  echo "no weaviate-server binary (see the top of $0)" >&2
  exit 1
}

start_node() { # DIR I N
  local dir=$1 i=$2 n=$3 join=() j
  for ((j = 0; j < n; j++)); do join+=("n$j:$((off + 8300 + 2 * j))"); done
  mkdir -p "$dir/n$i"
  (
    export PERSISTENCE_DATA_PATH="$dir/n$i" AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED=true \
      DEFAULT_VECTORIZER_MODULE=none ENABLE_MODULES= CLUSTER_HOSTNAME="n$i" \
      CLUSTER_BIND_ADDR=127.0.0.1 CLUSTER_ADVERTISE_ADDR=127.0.0.1 CLUSTER_IN_LOCALHOST=true \
      GO_PROFILING_DISABLE=true DISABLE_TELEMETRY=true LOG_LEVEL=warning \
      GRPC_PORT=$((off + 50051 + i)) CLUSTER_GOSSIP_BIND_PORT=$((off + 7100 + 2 * i)) CLUSTER_DATA_BIND_PORT=$((off + 7101 + 2 * i)) \
      RAFT_PORT=$((off + 8300 + 2 * i)) RAFT_INTERNAL_RPC_PORT=$((off + 8301 + 2 * i)) \
      RAFT_JOIN="$(IFS=,; echo "${join[*]}")" RAFT_BOOTSTRAP_EXPECT="$n"
    if [ "$i" -gt 0 ]; then export CLUSTER_JOIN=127.0.0.1:$((off + 7100)); fi
    exec "$(server)" --host 127.0.0.1 --port $((off + 8080 + i)) --scheme http >>"$dir/n$i.log" 2>&1
  ) &
  echo $! >"$dir/n$i.pid"
  echo "$n" >"$dir/nodes"
}

wait_node() { # I PATH
  for _ in $(seq 600); do
    if curl -fsS "http://127.0.0.1:$((off + 8080 + $1))$2" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  echo "node n$1 not ready; see its log" >&2
  return 1
}

case "${1:-}" in
start)
  n=${2:?N}; dir=${3:?DIR}
  mkdir -p "$dir"
  for ((i = 0; i < n; i++)); do
    start_node "$dir" "$i" "$n"
    if [ "$i" -eq 0 ] && [ "$n" -gt 1 ]; then wait_node 0 /v1/.well-known/live; fi
  done
  for ((i = 0; i < n; i++)); do wait_node "$i" /v1/.well-known/ready; done
  for ((i = 0; i < n; i++)); do echo "n$i: weaviate://127.0.0.1:$((off + 8080 + i))/Rgunit?grpc=$((off + 50051 + i))"; done
  ;;
stop)
  dir=${2:?DIR}
  for f in "$dir"/n*.pid; do [ -e "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; rm -f "$f"; done
  ;;
kill)
  dir=${2:?DIR}; i=${3:?I}
  kill -9 "$(cat "$dir/n$i.pid")"; rm -f "$dir/n$i.pid"
  ;;
restart)
  dir=${2:?DIR}; i=${3:?I}
  start_node "$dir" "$i" "$(cat "$dir/nodes")"
  wait_node "$i" /v1/.well-known/ready
  ;;
*)
  sed -n '2,16p' "$0"; exit 2
  ;;
esac
