#!/usr/bin/env bash
# provmock vs a bare axum server, side by side, in one run (loopback only, bounded in time).
# Prints start-up time, idle RSS, RSS after 100 000 creates, GET and create throughput and p99, and the ratios;
# writes the table to bench/RESULTS.md. Not a test: the numbers depend on the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DURATION=${BENCH_DURATION:-10}
CONNS=${BENCH_CONNECTIONS:-32}
THREADS=${BENCH_THREADS:-2}
CREATES=${BENCH_CREATES:-100000}
P_PORT=${BENCH_PROVMOCK_PORT:-18081}
B_PORT=${BENCH_BASELINE_PORT:-18091}

if ! command -v wrk >/dev/null; then
  if command -v apt-get >/dev/null; then (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null; fi
fi
command -v wrk >/dev/null || { echo "bench: wrk is required (apt-get install wrk)"; exit 1; }

echo "== building (release)"
cargo build --release --locked -q
cargo build --release -q --manifest-path bench/baseline/Cargo.toml
PROVMOCK=("$ROOT/target/release/provmock" --port "$P_PORT" --no-tls --lro-delay 0)
BASELINE=("$ROOT/bench/baseline/target/release/provmock-baseline" "$B_PORT")
M="python3 bench/measure.py"
TMP=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$TMP"' EXIT

measure() { # name port cmd...
  local name=$1 port=$2; shift 2
  echo "== $name: start-up"
  local startup; startup=$($M startup "$port" "$@")
  "$@" >/dev/null 2>&1 &
  local pid=$!
  $M healthy "$port"
  sleep 0.5
  local idle; idle=$($M rss "$pid")
  local base="http://127.0.0.1:$port"
  echo "== $name: GET for ${DURATION}s"
  wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency "$base/v1/accounts/C01234567/customers/S0NEWCUSTOMER1" > "$TMP/$name-get.txt"
  echo "== $name: create for ${DURATION}s"
  wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency -s bench/create.lua "$base/v1/accounts/C07654321/customers" -- 0 tp > "$TMP/$name-create.txt"
  echo "== $name: $CREATES creates on a fresh server, then RSS"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  "$@" >/dev/null 2>&1 &
  pid=$!
  $M healthy "$port"
  local done_creates=0 round=0
  while [ "$done_creates" -lt "$CREATES" ] && [ "$round" -lt 200 ]; do
    round=$((round + 1))
    wrk -t"$THREADS" -c"$CONNS" -d2s -s bench/create.lua "$base/v1/accounts/C07654321/customers" -- 0 "fill$round" > "$TMP/$name-fill.txt"
    done_creates=$((done_creates + $($M created "$TMP/$name-fill.txt")))
  done
  local full; full=$($M rss "$pid")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  local get create
  get=$($M wrk "$TMP/$name-get.txt"); create=$($M wrk "$TMP/$name-create.txt")
  python3 - "$name" "$startup" "$idle" "$full" "$get" "$create" "$TMP/results.json" <<'PY'
import json, os, sys
name, startup, idle, full, get, create, path = sys.argv[1:]
r = json.load(open(path)) if os.path.exists(path) else {}
g, c = json.loads(get), json.loads(create)
r[name] = {"startup_ms": float(startup), "idle_rss_mb": float(idle), "rss_100k_mb": float(full),
           "get_rps": g["rps"], "get_p99_ms": g["p99_ms"], "create_rps": c["rps"], "create_p99_ms": c["p99_ms"]}
json.dump(r, open(path, "w"))
PY
}

measure baseline "$B_PORT" "${BASELINE[@]}"
measure provmock "$P_PORT" "${PROVMOCK[@]}"
python3 - "$TMP/results.json" "$CONNS" "$THREADS" "$DURATION" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); r.update(connections=int(sys.argv[2]), threads=int(sys.argv[3]), duration=int(sys.argv[4]))
json.dump(r, open(sys.argv[1], "w"))
PY
echo
$M report "$TMP/results.json" bench/RESULTS.md
