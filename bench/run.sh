#!/usr/bin/env bash
# provmock vs a bare axum server, side by side, in one run (loopback only, bounded in time). Not a test: the numbers
# depend on the machine. Prints and writes to bench/RESULTS.md:
#   1. start-up (median of 10), idle RSS, RSS after 100 000 creates, GET and create requests/s and p99, for both,
#      with provmock/baseline ratios. Throughput: both servers run at once and wrk alternates between them for
#      BENCH_ROUNDS rounds; each metric's median over the rounds counts, so a noisy moment hits both alike.
#   3. --data-dir creates vs in-memory creates at 16 clients (the data dir under target/, i.e. the repo's disk).
#   2. provmock's cost as its store grows: GET, a list page (through a page token) and creates, with 1 000 and with
#      1 000 000 customers stored (BENCH_LARGE), and the large/small ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DURATION=${BENCH_DURATION:-10}
CONNS=${BENCH_CONNECTIONS:-32}
THREADS=${BENCH_THREADS:-2}
ROUNDS=${BENCH_ROUNDS:-3}
CREATES=${BENCH_CREATES:-100000}
SMALL=${BENCH_SMALL:-1000}
LARGE=${BENCH_LARGE:-1000000}
[ "$LARGE" -gt $((SMALL + 20000)) ] || { echo "bench: BENCH_LARGE must exceed BENCH_SMALL + 20000"; exit 2; }
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
FILL="$ROOT/bench/baseline/target/release/bench-fill"
M="python3 bench/measure.py"
TMP=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$TMP"' EXIT
R="$TMP/results.json"
echo '{}' > "$R"
put() { $M put "$R" "$@"; } # put SECTION KEY VALUE

GET_PATH=/v1/accounts/C01234567/customers/S0NEWCUSTOMER1
CREATE_PATH=/v1/accounts/C07654321/customers

start() { # PIDVAR PORT CMD...: start a server, wait until it answers on PORT
  local -n out=$1
  local port=$2
  shift 2
  "$@" >/dev/null 2>&1 &
  out=$!
  $M healthy "$port"
}
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

echo "== start-up (median of 10 starts each)"
put baseline startup_ms "$($M startup "$B_PORT" "${BASELINE[@]}")"
put provmock startup_ms "$($M startup "$P_PORT" "${PROVMOCK[@]}")"

start bpid "$B_PORT" "${BASELINE[@]}"
start ppid "$P_PORT" "${PROVMOCK[@]}"
sleep 0.5
put baseline idle_rss_mb "$($M rss "$bpid")"
put provmock idle_rss_mb "$($M rss "$ppid")"

for kind in get create; do
  for round in $(seq "$ROUNDS"); do
    for name in baseline provmock; do
      port=$B_PORT; [ "$name" = provmock ] && port=$P_PORT
      echo "== $kind, round $round/$ROUNDS: $name (${DURATION}s)"
      if [ "$kind" = get ]; then
        wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency "http://127.0.0.1:$port$GET_PATH" > "$TMP/$name-$kind-$round.txt"
      else
        wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency -s bench/create.lua \
          "http://127.0.0.1:$port$CREATE_PATH" -- 0 "r$round" > "$TMP/$name-$kind-$round.txt"
      fi
    done
  done
  for name in baseline provmock; do
    $M median "$R" "$name" "$kind" "$TMP/$name-$kind-"*.txt
  done
done
stop "$bpid"; stop "$ppid"

for name in baseline provmock; do
  echo "== $name: $CREATES creates on a fresh server, then RSS"
  if [ "$name" = provmock ]; then
    port=$P_PORT; start pid "$port" "${PROVMOCK[@]}"
  else
    port=$B_PORT; start pid "$port" "${BASELINE[@]}"
  fi
  "$FILL" "$port" "$CREATE_PATH" "$CREATES" "$CONNS" fill > "$TMP/fill.txt"
  $M filled "$TMP/fill.txt" "$CREATES"
  put "$name" rss_100k_mb "$($M rss "$pid")"
  stop "$pid"
done

echo "== provmock as the store grows: $SMALL and $LARGE customers"
start pid "$P_PORT" "${PROVMOCK[@]}"
base="http://127.0.0.1:$P_PORT"
stored=0
for level in "$SMALL" "$LARGE"; do
  echo "== filling to $level customers"
  "$FILL" "$P_PORT" "$CREATE_PATH" "$((level - stored))" "$CONNS" "s$level" > "$TMP/fill.txt"
  $M filled "$TMP/fill.txt" "$((level - stored))"
  stored=$level
  # a stored customer to GET, and the page after the first (through its page token) to list
  read -r name token < <($M probe "$base$CREATE_PATH?pageSize=50")
  wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency "$base/v1/$name" > "$TMP/scale-get-$level.txt"
  wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency "$base$CREATE_PATH?pageSize=50&pageToken=$token" > "$TMP/scale-list-$level.txt"
  "$FILL" "$P_PORT" "$CREATE_PATH" 20000 "$CONNS" "c$level" > "$TMP/scale-create-$level.txt"
  stored=$((stored + 20000))
  $M scale "$R" "$level" "$TMP/scale-get-$level.txt" "$TMP/scale-list-$level.txt" "$TMP/scale-create-$level.txt" "$($M rss "$pid")"
done
stop "$pid"

echo "== --data-dir creates vs in memory, 16 clients (alternating rounds)"
DD=$(mktemp -d -p "${BENCH_DATA_DIR_PARENT:-$ROOT/target}")
start mpid "$P_PORT" "${PROVMOCK[@]}"
start dpid "$((P_PORT + 1))" "$ROOT/target/release/provmock" --port "$((P_PORT + 1))" --no-tls --lro-delay 0 --data-dir "$DD"
for round in $(seq "$ROUNDS"); do
  for name in memory datadir; do
    port=$P_PORT; [ "$name" = datadir ] && port=$((P_PORT + 1))
    wrk -t"$THREADS" -c16 -d"${DURATION}s" --latency -s bench/create.lua \
      "http://127.0.0.1:$port$CREATE_PATH" -- 0 "d$round" > "$TMP/$name-create16-$round.txt"
  done
done
for name in memory datadir; do
  $M median "$R" "$name" create16 "$TMP/$name-create16-"*.txt
done
stop "$mpid"; stop "$dpid"; rm -rf "$DD"

put meta connections "$CONNS"; put meta threads "$THREADS"; put meta duration "$DURATION"; put meta rounds "$ROUNDS"
put meta small "$SMALL"; put meta large "$LARGE"; put meta creates "$CREATES"
echo
$M report "$R" bench/RESULTS.md
