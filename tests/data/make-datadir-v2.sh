#!/usr/bin/env bash
# Makes tests/data/datadir-v2 — the golden data dir of format 2 that every later provmock must load — and the
# export it must give (tests/data/datadir-v2.export.json). Run once, when the format was introduced; never again
# for format 2 (a later change that breaks loading it is a format change: a new version, with a new golden dir).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${PROVMOCK_BIN:-target/debug/provmock}
OUT=tests/data/datadir-v2
rm -rf "$OUT" && mkdir -p "$OUT"
PORT=18555
B="http://127.0.0.1:$PORT"
"$BIN" --port $PORT --no-tls --seed 1 --lro-delay 0 --data-dir "$OUT" >/dev/null 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "$B/_mock/health" >/dev/null && break; sleep 0.05; done
j() { curl -sf -X "$1" "$B$2" -H 'content-type: application/json' ${3:+-d "$3"} >/dev/null; }
customer() { echo "{\"orgDisplayName\":\"Org $1\",\"domain\":\"$1\",\"orgPostalAddress\":{\"regionCode\":\"US\",\"postalCode\":\"94043\",\"addressLines\":[\"1 Main St\"]},\"primaryContactInfo\":{\"firstName\":\"Ada\",\"lastName\":\"Admin\",\"email\":\"ada@$1\"}}"; }
SCP='{"landing_zone_id":"2c8a138f8d78e1fc29a449dbfa8681","parent_unit_id":"ou-b30e9fcc39f84a20bf9e7458e5ec3801"'
# Before the snapshot: every family, an unknown reseller account and Yandex organization, a manual operation.
j PUT /_mock/operations/policy '{"kind":"yandex.createUserpool","policy":"manual"}'
j POST /v1/accounts/C01234567/customers "$(customer golden-one.com)"
j POST /v1/accounts/acme1/customers "$(customer golden-unknown-parent.com)"
j POST /v1/accounts "$SCP,\"name\":\"golden-scp\"}"
j POST /organization-manager/v1/idp/users '{"userpoolId":"ek0provmockpool00001","username":"golden@x.y","fullName":"G","passwordSpec":{"password":"Golden-Passw0rd"}}'
j POST /organization-manager/v1/idp/userpools '{"organizationId":"bpfunknownorg0000001","name":"golden-pool","defaultSubdomain":"golden"}'
j POST /v1/customers/C00000000/userinvitations/writer@altostrat.com:send '{}'
# A state import (written as snapshot generation 2) that adds an SCP access key with its secret.
curl -sf "$B/_mock/state" | python3 -c '
import json, sys
d = json.load(sys.stdin)
d["scp"]["access_keys"].append({"access_key": "AKGOLDEN", "secret_key": "SK-golden-test-only", "owner": "golden"})
print(json.dumps(d))' > "$OUT.tmp.json"
curl -sf -X PUT "$B/_mock/state" -H 'content-type: application/json' --data-binary @"$OUT.tmp.json" >/dev/null
rm -f "$OUT.tmp.json"
# After it: change records on top of generation 2, the clock and the policies included.
j POST /v1/accounts/C07654321/customers "$(customer golden-two.com)"
j POST /v1/accounts "$SCP,\"name\":\"golden-scp-two\"}"
j POST /_mock/clock:advance '{"seconds":3600}'
j PUT /_mock/operations/policy '{"kind":"scp.createAccount","policy":"manual"}'
j POST /v1/accounts "$SCP,\"name\":\"golden-scp-pending\"}"
curl -sf "$B/_mock/state" | python3 -m json.tool --sort-keys > tests/data/datadir-v2.export.json
kill $PID; wait $PID 2>/dev/null || true
rm -f "$OUT/lock"
ls -l "$OUT"
