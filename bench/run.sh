#!/usr/bin/env bash
# provmock vs bare baselines of the same shapes, side by side, in one run (loopback only, every server and load
# generator bounded in time). Not a test: the numbers depend on the machine. Prints and writes to bench/RESULTS.md:
#   1. start-up (median of 10) and idle RSS, provmock vs the bare axum baseline;
#   2. per family, each create and read hot path, provmock vs a bare axum (REST) or bare tonic (gRPC) baseline
#      answering the same shape: both servers run at once and the load generator alternates between them for
#      BENCH_ROUNDS rounds; each path's median over the rounds counts (every round is listed), so a noisy moment
#      hits both alike. REST with wrk, gRPC reads with h2load, gRPC creates with bench-fill (see bench/README.md);
#   3. per family, RSS per 100 000 stored objects (a fresh server of each kind filled with BENCH_CREATES objects);
#   4. provmock's Channel cost as its store grows (BENCH_SMALL vs BENCH_LARGE customers);
#   5. --data-dir creates vs in-memory creates at 16 clients (the data dir under target/, i.e. the repo's disk).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DURATION=${BENCH_DURATION:-10}
CONNS=${BENCH_CONNECTIONS:-32}
THREADS=${BENCH_THREADS:-2}
ROUNDS=${BENCH_ROUNDS:-3}
CREATES=${BENCH_CREATES:-100000}
CI_ACCOUNTS=${BENCH_CI_ACCOUNTS:-$CREATES}
SMALL=${BENCH_SMALL:-1000}
LARGE=${BENCH_LARGE:-1000000}
[ "$LARGE" -gt $((SMALL + 20000)) ] || { echo "bench: BENCH_LARGE must exceed BENCH_SMALL + 20000"; exit 2; }
P_PORT=${BENCH_PROVMOCK_PORT:-18081}
B_PORT=${BENCH_BASELINE_PORT:-18091}
G_PORT=$((B_PORT + 1)) # the bare tonic baseline

need() { # TOOL PACKAGE: install a missing load generator from Debian's packages when we can
  if ! command -v "$1" >/dev/null && command -v apt-get >/dev/null; then
    (apt-get update -qq && apt-get install -y -qq "$2") >/dev/null || true
  fi
  command -v "$1" >/dev/null || { echo "bench: $1 is required (apt-get install $2)"; exit 1; }
}
need wrk wrk
need h2load nghttp2-client

# provmock: the dist profile, as shipped in the image (BENCH_PROVMOCK_BIN measures a given binary instead)
PROVMOCK_BIN=${BENCH_PROVMOCK_BIN:-$ROOT/target/dist/provmock}
echo "== building (provmock: ${BENCH_PROVMOCK_BIN:-the dist profile}; the baselines: release)"
[ -n "${BENCH_PROVMOCK_BIN:-}" ] || cargo build --profile dist --locked -q
cargo build --release -q --manifest-path bench/baseline/Cargo.toml
BB=$ROOT/bench/baseline/target/release
FILL=$BB/bench-fill
M="python3 bench/measure.py"
TMP=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$TMP"' EXIT
R="$TMP/results.json"
echo '{}' > "$R"
put() { $M put "$R" "$@"; } # put SECTION KEY VALUE
FIX=$TMP/fixtures.json
$M fixtures "$CI_ACCOUNTS" "$FIX" # the default world + CI_ACCOUNTS consumer accounts bench{i}@altostrat.com

PROVMOCK=("$PROVMOCK_BIN" --port "$P_PORT" --no-tls --lro-delay 0)
BASELINE=("$BB/provmock-baseline" "$B_PORT")
BASELINE_GRPC=("$BB/provmock-baseline-grpc" "$G_PORT")

GET_PATH=/v1/accounts/C01234567/customers/S0NEWCUSTOMER1
CREATE_PATH=/v1/accounts/C07654321/customers
CH_RPC=/google.cloud.channel.v1.CloudChannelService
SCP_ORG_H='Scp-API-Version: organization 1.1'

# Servers live as long as this script: the EXIT trap ends them.
start() { # PIDVAR PORT CMD...: start a server, wait until it answers /_mock/health on PORT
  local -n out=$1
  local port=$2
  shift 2
  "$@" >/dev/null 2>&1 &
  out=$!
  $M healthy "$port"
}
start_grpc() { # PIDVAR PORT CMD...: the tonic baseline speaks only h2c: wait for its port
  local -n out=$1
  local port=$2
  shift 2
  "$@" >/dev/null 2>&1 &
  out=$!
  $M listening "$port"
}
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

echo "== start-up (median of 10 starts each)"
put baseline startup_ms "$($M startup "$B_PORT" "${BASELINE[@]}")"
put provmock startup_ms "$($M startup "$P_PORT" "${PROVMOCK[@]}")"

start bpid "$B_PORT" "${BASELINE[@]}"
start ppid "$P_PORT" "${PROVMOCK[@]}"
start_grpc gpid "$G_PORT" "${BASELINE_GRPC[@]}"
sleep 0.5
IDLE_B=$($M rss "$bpid"); IDLE_P=$($M rss "$ppid"); IDLE_G=$($M rss "$gpid")
put baseline idle_rss_mb "$IDLE_B"; put provmock idle_rss_mb "$IDLE_P"; put baseline_grpc idle_rss_mb "$IDLE_G"
stop "$bpid"; stop "$ppid"; stop "$gpid"

# ---- throughput: all three servers at once, provmock and the REST baseline with the Cloud Identity fixtures ----
echo "== starting provmock, bare axum and bare tonic (fixtures with $CI_ACCOUNTS extra consumer accounts)"
start bpid "$B_PORT" "${BASELINE[@]}" --fixtures "$FIX"
start ppid "$P_PORT" "${PROVMOCK[@]}" --fixtures "$FIX"
start_grpc gpid "$G_PORT" "${BASELINE_GRPC[@]}"

rest_port() { [ "$1" = provmock ] && echo "$P_PORT" || echo "$B_PORT"; }
grpc_port() { [ "$1" = provmock ] && echo "$P_PORT" || echo "$G_PORT"; }
declare -A EXPECT=() # DATA bytes of one answer per server, for h2load rounds
bounded() { timeout "$((DURATION + 60))" "$@"; }
wrk_() { bounded wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency "$@"; }
h2load_() { # OUT URL BODYFILE
  bounded h2load -D "$DURATION" -c "$CONNS" -t "$THREADS" -m 1 -H 'content-type: application/grpc' \
    -H 'te: trailers' -d "$3" --log-file "$1.log" "$2" > "$1"
}
grpc_check() { # NAME PORT RPC BODYFILE FAMILY KIND: one call must answer grpc-status 0; remembers its size
  local status bytes
  read -r status bytes < <("$FILL" call "$2" "$3" "$4")
  [ "$status" = 0 ] || { echo "bench: $3 on $1 answered grpc-status $status"; exit 1; }
  EXPECT[$1]=$bytes
  $M bytes "$R" "$5" "$6" "$1" "$bytes"
}
alternate() { # FAMILY KIND TOOL FUNC: FUNC NAME ROUND OUT runs one round against NAME; rounds alternate servers
  local fam=$1 kind=$2 tool=$3 fn=$4 round name out
  for round in $(seq "$ROUNDS"); do
    for name in baseline provmock; do
      echo "== $fam $kind, round $round/$ROUNDS: $name (${DURATION}s)"
      out="$TMP/$fam-$kind-$name-$round.txt"
      "$fn" "$name" "$round" "$out"
      $M round "$R" "$fam" "$kind" "$name" "$tool" "$out" ${EXPECT[$name]:+"${EXPECT[$name]}"}
    done
  done
  EXPECT=()
}

# Channel
ch_rest_create() { wrk_ -s bench/create.lua "http://127.0.0.1:$(rest_port "$1")$CREATE_PATH" -- 0 "r$2" > "$3"; }
ch_rest_get() { wrk_ "http://127.0.0.1:$(rest_port "$1")$GET_PATH" > "$3"; }
declare -A LIST_URL=() BODY=()
ch_rest_list() { wrk_ "${LIST_URL[$1]}" > "$3"; }
ch_grpc_create() { bounded "$FILL" run "$(grpc_port "$1")" channel-grpc "$DURATION" "$CONNS" "g$2" > "$3"; }
ch_grpc_get() { h2load_ "$3" "http://127.0.0.1:$(grpc_port "$1")$CH_RPC/GetCustomer" "$TMP/get-customer.bin"; }
ch_grpc_list() { h2load_ "$3" "http://127.0.0.1:$(grpc_port "$1")$CH_RPC/ListCustomers" "${BODY[$1]}"; }

alternate channel rest-create wrk ch_rest_create
for name in baseline provmock; do
  $M size "$R" channel rest-get "$name" "http://127.0.0.1:$(rest_port $name)$GET_PATH" ""
  base="http://127.0.0.1:$(rest_port $name)"
  read -r _ token < <($M jget "$base$CREATE_PATH?pageSize=50" "" customers.0.name 'nextPageToken|q')
  LIST_URL[$name]="$base$CREATE_PATH?pageSize=50&pageToken=$token"
  $M size "$R" channel rest-list "$name" "${LIST_URL[$name]}" ""
done
alternate channel rest-get wrk ch_rest_get
alternate channel rest-list wrk ch_rest_list
alternate channel grpc-create fill ch_grpc_create
"$FILL" body "$TMP/get-customer.bin" get-customer accounts/C01234567/customers/S0NEWCUSTOMER1
for name in baseline provmock; do grpc_check "$name" "$(grpc_port $name)" "$CH_RPC/GetCustomer" "$TMP/get-customer.bin" channel grpc-get; done
alternate channel grpc-get h2load ch_grpc_get
for name in baseline provmock; do
  read -r _ token < <("$FILL" list-probe "$(grpc_port $name)" accounts/C07654321)
  BODY[$name]="$TMP/list-customers-$name.bin"
  "$FILL" body "${BODY[$name]}" list-customers accounts/C07654321 "$token"
  grpc_check "$name" "$(grpc_port $name)" "$CH_RPC/ListCustomers" "${BODY[$name]}" channel grpc-list
done
alternate channel grpc-list h2load ch_grpc_list

# Cloud Identity: sends cycle over the fixtures' bench{i}@altostrat.com; the list page after the first
ci_send() { wrk_ -s bench/family.lua "http://127.0.0.1:$(rest_port "$1")/" -- cisend "c$2" "$CI_ACCOUNTS" > "$3"; }
ci_list() { wrk_ "${LIST_URL[$1]}" > "$3"; }
for name in baseline provmock; do
  $M jpost "http://127.0.0.1:$(rest_port $name)/v1/customers/C00000000/userinvitations/bench0@altostrat.com:send" "" "" done >/dev/null
done
alternate cloudidentity send wrk ci_send
for name in baseline provmock; do
  base="http://127.0.0.1:$(rest_port $name)/v1/customers/C00000000/userinvitations"
  token=$($M jget "$base?pageSize=100" "" 'nextPageToken|q')
  LIST_URL[$name]="$base?pageSize=100&pageToken=$token"
  $M size "$R" cloudidentity list "$name" "${LIST_URL[$name]}" ""
done
alternate cloudidentity list wrk ci_list

# SCP (permissive auth: no signature needed)
scp_create() { wrk_ -s bench/family.lua "http://127.0.0.1:$(rest_port "$1")/" -- scp "s$2" > "$3"; }
declare -A GET_URL=()
scp_get() { wrk_ -H "$SCP_ORG_H" "${GET_URL[$1]}" > "$3"; }
scp_list() { wrk_ -H "$SCP_ORG_H" "http://127.0.0.1:$(rest_port "$1")/v1/organization-accounts?size=50&page=1" > "$3"; }
alternate scp create wrk scp_create
for name in baseline provmock; do
  base="http://127.0.0.1:$(rest_port $name)"
  id=$($M jget "$base/v1/organization-accounts?size=1" "$SCP_ORG_H" accounts.0.id)
  GET_URL[$name]="$base/v1/organization-accounts/$id"
  $M size "$R" scp get "$name" "${GET_URL[$name]}" "$SCP_ORG_H"
  $M size "$R" scp list "$name" "$base/v1/organization-accounts?size=50&page=1" "$SCP_ORG_H"
done
alternate scp get wrk scp_get
alternate scp list wrk scp_list

# Yandex IdP
y_rest_create() { wrk_ -s bench/family.lua "http://127.0.0.1:$(rest_port "$1")/" -- yandex "y$2" > "$3"; }
y_grpc_create() { bounded "$FILL" run "$(grpc_port "$1")" yandex-grpc "$DURATION" "$CONNS" "yg$2" > "$3"; }
declare -A OP_URL=()
y_get() { wrk_ "${GET_URL[$1]}" > "$3"; }
y_op_get() { wrk_ "${OP_URL[$1]}" > "$3"; }
alternate yandex rest-create wrk y_rest_create
alternate yandex grpc-create fill y_grpc_create
for name in baseline provmock; do
  base="http://127.0.0.1:$(rest_port $name)"
  # a fresh user and its (done) operation, so the operation is among the finished ones still kept
  read -r op user < <($M jpost "$base/organization-manager/v1/idp/users" "" \
    '{"userpoolId":"ek0provmockpool00001","username":"probe@provmock.idp.yandexcloud.net","fullName":"Ivan Petrov","passwordSpec":{"password":"S3cret-Passw0rd!"}}' \
    id metadata.userId)
  GET_URL[$name]="$base/organization-manager/v1/idp/users/$user"
  OP_URL[$name]="$base/operations/$op"
  $M size "$R" yandex get "$name" "${GET_URL[$name]}" ""
  $M size "$R" yandex op-get "$name" "${OP_URL[$name]}" ""
done
alternate yandex get wrk y_get
alternate yandex op-get wrk y_op_get
stop "$bpid"; stop "$ppid"; stop "$gpid"

# ---- RSS per stored object: a fresh server of each kind, BENCH_CREATES objects of one family ----
for fam in channel cloudidentity scp yandex; do
  kind=$fam
  n=$CREATES
  extra=()
  if [ "$fam" = cloudidentity ]; then kind=cisend n=$CI_ACCOUNTS extra=(--fixtures "$FIX"); fi
  for name in baseline provmock; do
    echo "== $fam: $n stored on a fresh $name, then RSS"
    if [ "$name" = provmock ]; then
      port=$P_PORT idle=$IDLE_P; start pid "$port" "${PROVMOCK[@]}" "${extra[@]}"
    else
      port=$B_PORT idle=$IDLE_B; start pid "$port" "${BASELINE[@]}" "${extra[@]}"
    fi
    "$FILL" fill "$port" "$kind" "$n" "$CONNS" fill > "$TMP/fill.txt"
    $M filled "$TMP/fill.txt" "$n"
    $M rss100k "$R" "$fam" "$name" "$idle" "$($M rss "$pid")" "$n"
    [ "$fam" = channel ] && put "$name" rss_100k_mb "$($M rss "$pid")"
    stop "$pid"
  done
done

# ---- provmock's Channel cost as its store grows ----
echo "== provmock as the store grows: $SMALL and $LARGE customers"
start pid "$P_PORT" "${PROVMOCK[@]}"
base="http://127.0.0.1:$P_PORT"
stored=0
for level in "$SMALL" "$LARGE"; do
  echo "== filling to $level customers"
  "$FILL" fill "$P_PORT" channel "$((level - stored))" "$CONNS" "s$level" > "$TMP/fill.txt"
  $M filled "$TMP/fill.txt" "$((level - stored))"
  stored=$level
  # a stored customer to GET, and the page after the first (through its page token) to list
  read -r name token < <($M probe "$base$CREATE_PATH?pageSize=50")
  wrk_ "$base/v1/$name" > "$TMP/scale-get-$level.txt"
  wrk_ "$base$CREATE_PATH?pageSize=50&pageToken=$token" > "$TMP/scale-list-$level.txt"
  "$FILL" fill "$P_PORT" channel 20000 "$CONNS" "c$level" > "$TMP/scale-create-$level.txt"
  stored=$((stored + 20000))
  $M scale "$R" "$level" "$TMP/scale-get-$level.txt" "$TMP/scale-list-$level.txt" "$TMP/scale-create-$level.txt" "$($M rss "$pid")"
done
stop "$pid"

echo "== --data-dir creates vs in memory, 16 clients (alternating rounds)"
DD=$(mktemp -d -p "${BENCH_DATA_DIR_PARENT:-$ROOT/target}")
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$TMP" "$DD"' EXIT
start mpid "$P_PORT" "${PROVMOCK[@]}"
start dpid "$((P_PORT + 1))" "$PROVMOCK_BIN" --port "$((P_PORT + 1))" --no-tls --lro-delay 0 --data-dir "$DD"
for round in $(seq "$ROUNDS"); do
  for name in memory datadir; do
    port=$P_PORT; [ "$name" = datadir ] && port=$((P_PORT + 1))
    bounded wrk -t"$THREADS" -c16 -d"${DURATION}s" --latency -s bench/create.lua \
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
