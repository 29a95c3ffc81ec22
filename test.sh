#!/usr/bin/env bash
# The one test command (README "Tests"): format, lints, Rust tests, then the conformance suite with the real SDKs
# against the release binary. Installs what it needs (a Python venv with the pinned SDKs) on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")"

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --locked
echo "== cargo build --release"
cargo build --release --locked

echo "== load test: a minute of mixed calls against the release binary"
PROVMOCK_BIN="$PWD/target/release/provmock" PROVMOCK_LOAD_SECS="${PROVMOCK_LOAD_SECS:-60}" \
  cargo test --locked --test load -- --ignored --nocapture

echo "== conformance (real SDKs)"
# The dashboard test drives a headless Chromium; on CI (a fresh machine, as root) install it when missing. Elsewhere
# conformance/test_ui.py skips, saying so, without it.
if [ "${CI:-}" = "true" ] && ! { command -v chromium >/dev/null && command -v chromedriver >/dev/null; }; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver
fi
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r conformance/requirements.txt
PROVMOCK_BIN="$PWD/target/release/provmock" .venv/bin/python -m pytest -q -rs conformance
