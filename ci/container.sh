#!/usr/bin/env bash
# The container image, for real: build it from the Dockerfile with podman, run it, wait for its HEALTHCHECK, drive
# real calls through its published ports (plain and TLS), check that SIGTERM stops it at once with exit 0, then bring
# up docker-compose.example.yml and check that its app container reaches provmock by service name.
#
# Runs on a fresh machine of our kind (Debian bookworm, root, no image registry): installs podman and friends from
# Debian, makes the base images the Dockerfile names from Debian's packages (mmdebstrap) and imports them under those
# names. Everything lives in a temporary podman storage, network configuration and work directory that are removed
# on exit, success or not. Only loopback addresses are published or talked to.
#
# Where the container runtime cannot start here, says why in one line and exits 0; once it can, any failure of the
# build or of a check exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '== container: %s\n' "$*"; }
fail() {
  [ -s "${W:-/nonexistent}/podman.log" ] && show "$W/podman.log" 20
  printf 'container: FAILED: %s\n' "$*" >&2
  exit 1
}
skip() {
  printf 'container checks skipped: %s\n' "$*"
  exit 0
}
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
# tail of a log file, indented, on stderr
show() { tail -n "${2:-40}" "$1" | sed 's/^/    /' >&2; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
json() { python3 -c "import json, sys; d = json.load(sys.stdin); print($1)"; }

[ "$(id -u)" = 0 ] || skip "needs root (apt-get install, rootful podman); running as uid $(id -u)"

# ---- tools
PKGS=(podman runc netavark aardvark-dns iptables uidmap mmdebstrap podman-compose curl)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "apt-get install ${missing[*]}"
  t=$(now)
  apt_log=$(mktemp)
  if ! { timeout 300 apt-get update -q && DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -q "${missing[@]}"; } \
    >"$apt_log" 2>&1; then
    show "$apt_log"
    fail "apt-get install ${missing[*]}"
  fi
  rm -f "$apt_log"
  say "installed in $(secs "$t" "$(now)") s"
fi

# ---- a private podman: configuration, storage and networks under one temporary directory
# What netavark changes on the host outside it, to be put back: its firewall chains (none yet?), IP forwarding.
FW_BEFORE=$( { iptables-save; ip6tables-save; } 2>/dev/null | grep -c NETAVARK || true)
IP_FORWARD_BEFORE=$(cat /proc/sys/net/ipv4/ip_forward 2>/dev/null || true)
W=$(mktemp -d "${TMPDIR:-/var/tmp}/provmock-ci.XXXXXX")
BG_PIDS=()
# shellcheck disable=SC2086 # $ids, $nets: lists of ids and names, split on purpose
cleanup() {
  local rc=$?
  set +e
  for pid in "${BG_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
  if command -v podman >/dev/null 2>&1 && [ -f "$W/containers.conf" ]; then
    # The storage and network configuration are ours alone: everything listed here was started by this script.
    local ids nets
    ids=$(timeout 60 podman ps -aq 2>/dev/null)
    [ -n "$ids" ] && timeout 120 podman rm -f -t 0 $ids >/dev/null 2>&1
    ids=$(timeout 60 podman pod ps -q 2>/dev/null)
    [ -n "$ids" ] && timeout 120 podman pod rm -f -t 0 $ids >/dev/null 2>&1
    nets=$(timeout 60 podman network ls --format '{{.Name}}' 2>/dev/null | grep -vx podman)
    [ -n "$nets" ] && timeout 60 podman network rm -f $nets >/dev/null 2>&1
    timeout 300 podman rmi -a -f >/dev/null 2>&1
  fi
  # netavark's own firewall chains and IP forwarding, when this run brought them (it never removes them itself).
  if [ "${FW_BEFORE:-1}" = 0 ]; then
    local ipt tbl
    for ipt in iptables ip6tables; do
      command -v "$ipt" >/dev/null 2>&1 || continue
      for tbl in nat filter; do
        "$ipt" -t "$tbl" -S 2>/dev/null | grep -E '^-A (PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING) .*-j NETAVARK' |
          sed 's/^-A //' | while read -r rule; do eval "\"$ipt\" -t $tbl -D $rule" 2>/dev/null; done
        for chain in $("$ipt" -t "$tbl" -S 2>/dev/null | awk '$1 == "-N" && $2 ~ /^NETAVARK/ { print $2 }'); do
          "$ipt" -t "$tbl" -F "$chain" 2>/dev/null
        done
        for chain in $("$ipt" -t "$tbl" -S 2>/dev/null | awk '$1 == "-N" && $2 ~ /^NETAVARK/ { print $2 }'); do
          "$ipt" -t "$tbl" -X "$chain" 2>/dev/null
        done
      done
    done
  fi
  [ -n "${IP_FORWARD_BEFORE:-}" ] && echo "$IP_FORWARD_BEFORE" >/proc/sys/net/ipv4/ip_forward 2>/dev/null
  # Any mount left under the storage (an interrupted build), deepest first.
  findmnt -rn -o TARGET | grep -F "$W/" | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
  rm -rf "$W"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Hard limits here: raising RLIMIT_NOFILE/NPROC is not permitted, and podman's own processes (conmon, runc) run with
# at most 32768 processes, so the containers' defaults must stay within both.
NOFILE=$(ulimit -Hn)
NPROC=$(ulimit -Hu)
[ "$NPROC" = unlimited ] || [ "$NPROC" -gt 32768 ] && NPROC=32768
[ "$NOFILE" = unlimited ] && NOFILE=1048576
mkdir -p "$W/storage" "$W/run" "$W/networks"
cat >"$W/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$NOFILE:$NOFILE", "nproc=$NPROC:$NPROC"]
[engine]
# crun fails here ("cgroups in hybrid mode not supported"); there is no systemd.
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
[network]
network_config_dir = "$W/networks"
EOF
cat >"$W/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$W/storage"
runroot = "$W/run"
EOF
cat >"$W/registries.conf" <<EOF
# Short names (python:3.11-slim) resolve to the images imported below; nothing is pulled.
unqualified-search-registries = ["docker.io"]
short-name-mode = "permissive"
EOF
export CONTAINERS_CONF=$W/containers.conf CONTAINERS_STORAGE_CONF=$W/storage.conf
export CONTAINERS_REGISTRIES_CONF=$W/registries.conf

# ---- can a container start here at all? A one-file image (/usr/bin/true and the libraries it needs).
mkdir -p "$W/probe"
for f in /usr/bin/true $(ldd /usr/bin/true | awk '$2 == "=>" { print $3 } $1 ~ /^\// { print $1 }'); do
  cp --parents -L "$f" "$W/probe/"
done
tar -C "$W/probe" -cf "$W/probe.tar" .
if ! err=$(timeout 60 podman import -q "$W/probe.tar" localhost/provmock-ci-probe 2>&1 >/dev/null); then
  skip "podman cannot import an image here: $(printf '%s' "$err" | tail -n 1)"
fi
if ! err=$(timeout 60 podman run --rm --pull never localhost/provmock-ci-probe /usr/bin/true 2>&1); then
  skip "the container runtime cannot start a container here: $(printf '%s' "$err" | tail -n 1)"
fi
timeout 60 podman rmi -f localhost/provmock-ci-probe >/dev/null
say "podman $(podman version --format '{{.Client.Version}}') with runc starts containers here"

# ---- base images from Debian's packages, under the names the Dockerfile uses (stand-ins for Docker Hub's images)
SOURCES=/etc/apt/sources.list.d/debian.sources
[ -s "$SOURCES" ] || SOURCES=/etc/apt/sources.list
[ -s "$SOURCES" ] || fail "no apt sources for mmdebstrap (looked for /etc/apt/sources.list.d/debian.sources, /etc/apt/sources.list)"
t=$(now)
declare -A ROOTFS=(
  [runtime]="docker.io/library/debian:bookworm-slim|"
  [builder]="docker.io/library/rust:1-slim-bookworm|rustc-web,cargo-web,ca-certificates"
  [python]="docker.io/library/python:3.11-slim|python3,python-is-python3"
)
declare -A MM_PID=()
for k in "${!ROOTFS[@]}"; do
  inc=${ROOTFS[$k]#*|}
  timeout 900 mmdebstrap --variant=minbase ${inc:+--include="$inc"} bookworm "$W/$k.tar" "$SOURCES" \
    >"$W/mmdebstrap-$k.log" 2>&1 &
  MM_PID[$k]=$!
  BG_PIDS+=($!)
done
for k in runtime builder python; do
  wait "${MM_PID[$k]}" || { show "$W/mmdebstrap-$k.log"; fail "mmdebstrap of the $k image"; }
  timeout 300 podman import -q "$W/$k.tar" "${ROOTFS[$k]%%|*}" >/dev/null || fail "podman import of the $k image"
  rm -f "$W/$k.tar"
done
BG_PIDS=()
say "base images made in $(secs "$t" "$(now)") s"

# The builder's Rust must be new enough for the crate (bookworm-security's rustc-web; plain rustc is 1.63).
need=$(sed -n 's/^rust-version *= *"\([0-9.]*\)".*/\1/p' Cargo.toml)
have=$(timeout 60 podman run --rm --pull never --network none docker.io/library/rust:1-slim-bookworm rustc -V |
  awk '{ print $2 }')
[ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -n 1)" = "$need" ] ||
  fail "Debian's rustc-web is $have, the crate needs $need (Cargo.toml rust-version)"
say "builder: rustc $have (crate needs $need)"

# ---- the image, from the Dockerfile
IMAGE=localhost/provmock:ci
say "podman build of the Dockerfile (its log's tail shown on failure)"
t=$(now)
# cargo reaches the crate registry only with this machine's CA bundle, mounted over the builder image's.
# PROFILE=release: the image is assembled exactly as with the default (dist) profile, without its minutes of serial
# full-LTO codegen on CI's two cores; bench/run.sh builds and measures the dist binary.
if ! timeout 2400 podman build --pull=never --network host --format docker --force-rm --build-arg PROFILE=release \
  -v /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro \
  -t "$IMAGE" . >"$W/build.log" 2>&1; then
  show "$W/build.log" 60
  fail "podman build"
fi
BUILD_S=$(secs "$t" "$(now)")
grep -E '^\[[0-9]/[0-9]\] STEP|^STEP|Finished' "$W/build.log" | sed 's/^/    /'
SIZE=$(podman image inspect --format '{{.Size}}' "$IMAGE")
SIZE_MB=$(awk -v s="$SIZE" 'BEGIN { printf "%.1f", s / 1e6 }')
say "built in $BUILD_S s; image $SIZE_MB MB"
[ "$SIZE" -lt 40000000 ] || fail "the image is $SIZE_MB MB, over 40 MB"
user=$(podman image inspect --format '{{.Config.User}}' "$IMAGE")
[ -n "$user" ] && [ "${user%%:*}" != 0 ] && [ "${user%%:*}" != root ] || fail "the image runs as '$user', not a non-root user"
hc=$(podman image inspect --format '{{if .HealthCheck}}{{.HealthCheck.Test}}{{end}}' "$IMAGE")
[ -n "$hc" ] || fail "the image has no HEALTHCHECK (built with --format oci?)"
say "runs as $user; HEALTHCHECK $hc"

wait_healthy() { # container, seconds: runs its HEALTHCHECK until it passes (no systemd runs it here)
  local deadline=$((SECONDS + $2))
  until timeout 10 podman healthcheck run "$1" >/dev/null 2>&1; do
    if [ "$(podman inspect --format '{{.State.Running}}' "$1")" != true ]; then
      podman logs "$1" 2>&1 | tail -n 20 | sed 's/^/    /' >&2
      fail "$1 exited before it was healthy"
    fi
    [ $SECONDS -lt $deadline ] || {
      podman logs "$1" 2>&1 | tail -n 20 | sed 's/^/    /' >&2
      fail "$1 not healthy within $2 s"
    }
    sleep 0.1
  done
}
CURL=(curl -sS --max-time 10)
expect() { # what, python expression over d (the JSON answer) that must be true, JSON answer on stdin
  local body
  body=$(cat)
  printf '%s' "$body" | json "bool($2)" 2>/dev/null | grep -qx True || fail "$1: unexpected answer: $body"
}

# ---- the image run on its own
HTTP=$(free_port)
TLS=$(free_port)
while [ "$TLS" = "$HTTP" ]; do TLS=$(free_port); done
C=provmock-ci-$$
say "podman run -p 127.0.0.1:$HTTP:8080 -p 127.0.0.1:$TLS:8443"
t=$(now)
timeout 60 podman run -d --pull never --name "$C" -p "127.0.0.1:$HTTP:8080" -p "127.0.0.1:$TLS:8443" "$IMAGE" \
  >/dev/null 2>"$W/run.err" || { show "$W/run.err"; fail "podman run"; }
wait_healthy "$C" 30
HEALTHY_S=$(secs "$t" "$(now)")
say "healthy $HEALTHY_S s after podman run (its HEALTHCHECK, run by this script)"
uid=$(podman top "$C" huser | sed -n 2p | tr -d ' ')
[ "$uid" = 10001 ] || fail "provmock runs as host uid '$uid', not 10001"

B=http://127.0.0.1:$HTTP
"${CURL[@]}" "$B/_mock/health" | expect "GET /_mock/health" 'd["status"] == "ok" and d["port"] == 8080'
"${CURL[@]}" -X POST "$B/v1/accounts/C01234567/customers:import" -H 'Content-Type: application/json' \
  -d '{"domain":"altostrat.com"}' |
  expect "Channel customers:import" \
    'd["name"].startswith("accounts/C01234567/customers/") and d["domain"] == "altostrat.com" and d["cloudIdentityId"] == "C00000000"'
say "Channel: customers:import of altostrat.com under accounts/C01234567 → Customer linked to C00000000"
scp=$("${CURL[@]}" -X POST "$B/v1/accounts" -H 'Scp-Api-Version: cloudcontrol 1.2' -H 'Content-Type: application/json' \
  -w '\n%{http_code}' \
  -d '{"name":"ci-account","email":"owner@example.com","landing_zone_id":"2c8a138f8d78e1fc29a449dbfa8681","parent_unit_id":"ou-b30e9fcc39f84a20bf9e7458e5ec3801"}')
[ "$(printf '%s' "$scp" | tail -n 1)" = 201 ] || fail "SCP POST /v1/accounts: $scp"
printf '%s' "$scp" | sed '$d' | expect "SCP POST /v1/accounts" 'len(d["account_id"]) == 32 and len(d["job_id"]) == 32'
account=$(printf '%s' "$scp" | sed '$d' | json 'd["account_id"]')
"${CURL[@]}" "$B/v1/organization-accounts/$account" -H 'Scp-API-Version: organization 1.1' |
  expect "SCP GET /v1/organization-accounts/$account" \
    'd["account"]["id"] == "'"$account"'" and d["account"]["name"] == "ci-account"'
say "SCP: POST /v1/accounts → 201, account $account readable"

# Yandex over TLS, trusting the CA that this container generated (served on its plain port).
"${CURL[@]}" -f "$B/_mock/ca.pem" -o "$W/ca.pem"
grep -q 'BEGIN CERTIFICATE' "$W/ca.pem" || fail "GET /_mock/ca.pem is no PEM certificate"
TCURL=("${CURL[@]}" --cacert "$W/ca.pem" --resolve "localhost:$TLS:127.0.0.1" -H 'Authorization: Bearer provmock-iam-token')
S=https://localhost:$TLS
op=$("${TCURL[@]}" -X POST "$S/organization-manager/v1/idp/users" -H 'Content-Type: application/json' \
  -d '{"userpoolId":"ek0provmockpool00001","username":"ivan@provmock.idp.yandexcloud.net","fullName":"Ivan Petrov","passwordSpec":{"password":"S3cret-Passw0rd!"}}') ||
  fail "Yandex POST /organization-manager/v1/idp/users over TLS (curl --cacert)"
printf '%s' "$op" | expect "Yandex create user" '"id" in d and d["metadata"]["userId"]'
op_id=$(printf '%s' "$op" | json 'd["id"]')
deadline=$((SECONDS + 20))
until printf '%s' "$op" | json 'd.get("done", False)' | grep -qx True; do
  [ $SECONDS -lt $deadline ] || fail "Yandex operation $op_id not done within 20 s: $op"
  sleep 0.2
  op=$("${TCURL[@]}" "$S/operations/$op_id")
done
printf '%s' "$op" | expect "Yandex operation $op_id" \
  'd["response"]["username"] == "ivan@provmock.idp.yandexcloud.net" and d["response"]["status"] == "ACTIVE"'
say "Yandex over TLS (curl --cacert with the container's CA): user created, operation $op_id done"

# SIGTERM: drains and exits 0 within a second (measured to the exit the runtime recorded).
t=$(now)
timeout 10 podman kill --signal TERM "$C" >/dev/null 2>>"$W/podman.log"
code=$(timeout 10 podman wait "$C" 2>>"$W/podman.log") || fail "provmock still running 10 s after SIGTERM"
fin=$(podman inspect --format '{{.State.FinishedAt.UnixNano}}' "$C")
STOP_S=$(awk -v a="$t" -v f="$fin" 'BEGIN { printf "%.3f", f / 1e9 - a }')
[ "$code" = 0 ] || fail "exit code $code after SIGTERM"
awk -v s="$STOP_S" 'BEGIN { exit !(s < 1.0) }' || fail "SIGTERM took $STOP_S s to stop provmock (limit 1 s)"
podman logs "$C" 2>&1 | grep -q 'provmock stopped' || fail "no 'provmock stopped' in the log after SIGTERM"
say "SIGTERM: exit 0 after $STOP_S s"
timeout 60 podman rm -f "$C" >/dev/null 2>>"$W/podman.log"

# ---- docker-compose.example.yml, with the image just built instead of a second build
P=provmockci$$
cat >"$W/compose.override.yml" <<EOF
services:
  provmock:
    image: $IMAGE
EOF
HTTP=$(free_port)
TLS=$(free_port)
while [ "$TLS" = "$HTTP" ]; do TLS=$(free_port); done
export PROVMOCK_HOST_PORT=$HTTP PROVMOCK_HOST_TLS_PORT=$TLS
COMPOSE=(timeout 180 podman-compose -p "$P" -f docker-compose.example.yml -f "$W/compose.override.yml")
say "podman-compose up (project $P, published on 127.0.0.1:$HTTP and :$TLS)"
# podman-compose 1.0.3 ignores depends_on's condition: service_healthy, so the stack is created, and its containers
# are started in that order here: provmock, its healthcheck passing, then app.
"${COMPOSE[@]}" up --no-build --no-start >"$W/compose.log" 2>&1 || { show "$W/compose.log"; fail "podman-compose up"; }
timeout 60 podman start "${P}_provmock_1" >/dev/null 2>>"$W/podman.log"
wait_healthy "${P}_provmock_1" 30
"${CURL[@]}" "http://127.0.0.1:$HTTP/_mock/health" | expect "compose: GET /_mock/health" 'd["status"] == "ok"'
"${CURL[@]}" "http://127.0.0.1:$HTTP/endpoints" |
  expect "compose: Yandex discovery" 'all(e["address"] == "provmock:8443" for e in d["endpoints"])'
timeout 60 podman start "${P}_app_1" >/dev/null 2>>"$W/podman.log"
code=$(timeout 60 podman wait "${P}_app_1" 2>>"$W/podman.log") || fail "the app container still running after 60 s"
out=$(podman logs "${P}_app_1" 2>&1)
[ "$code" = 0 ] && printf '%s' "$out" | grep -q '"status":"ok"' ||
  fail "the app container did not reach http://provmock:8080 (exit $code): $out"
say "app container → http://provmock:8080/_mock/health: $(printf '%s' "$out" | head -c 60)…"
# The generated certificate names the service (PROVMOCK_TLS_SAN): TLS by name from another container.
net=$(podman inspect --format '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}' "${P}_provmock_1")
tls_out=$(timeout 60 podman run --rm --pull never --network "$net" docker.io/library/python:3.11-slim python -c '
import ssl, urllib.request
ca = urllib.request.urlopen("http://provmock:8080/_mock/ca.pem", timeout=10).read().decode()
ctx = ssl.create_default_context(cadata=ca)
print(urllib.request.urlopen("https://provmock:8443/_mock/health", context=ctx, timeout=10).read().decode())' 2>&1) ||
  fail "https://provmock:8443 from another container: $tls_out"
printf '%s' "$tls_out" | grep -q '"status":"ok"' || fail "https://provmock:8443 from another container: $tls_out"
say "another container → https://provmock:8443 verified against provmock's CA"
"${COMPOSE[@]}" down >>"$W/compose.log" 2>&1 || { show "$W/compose.log"; fail "podman-compose down"; }

say "passed: image $SIZE_MB MB, build $BUILD_S s, healthy $HEALTHY_S s after run, SIGTERM stop $STOP_S s (exit 0)"
