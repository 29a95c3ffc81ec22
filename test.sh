#!/usr/bin/env bash
# The one test command (README "Tests"): format, lints, Rust tests, then the conformance suite with the real SDKs
# against the release binary, then the Python wheel's own tests from a fresh venv. Installs what it needs (Python
# venvs with the pinned SDKs and maturin) on a fresh machine.
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

echo "== Python: .venv with the pinned SDKs and maturin (and Chromium for the dashboard test on CI)"
# The dashboard test drives a headless Chromium; on CI (a fresh machine, as root) install it when missing. Elsewhere
# conformance/test_ui.py skips, saying so, without it.
if [ "${CI:-}" = "true" ] && ! { command -v chromium >/dev/null && command -v chromedriver >/dev/null; }; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver
fi
PY=${PYTHON:-python3}
pip_install() { # VENV ARGS...
  "$1/bin/python" -m pip install --quiet --disable-pip-version-check "${@:2}"
}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
pip_install .venv -r conformance/requirements.txt -r python/requirements-build.txt

echo "== wheel: maturin build --release (python/: the release binary above, not compiled again, + the plugin)"
rm -f target/wheels/provmock-*.whl
(cd python && ../.venv/bin/maturin build --release --locked --out ../target/wheels)
WHEEL=$(ls target/wheels/provmock-*.whl)

echo "== conformance (real SDKs, fixtures from the plugin in the wheel)"
pip_install .venv --no-deps --force-reinstall "$WHEEL"
PROVMOCK_BIN="$PWD/target/release/provmock" .venv/bin/python -m pytest -q -rs conformance

echo "== the wheel in a fresh venv: python/tests (plugin, clients with the real SDKs, README snippets)"
rm -rf target/wheel-venv
"$PY" -m venv target/wheel-venv
pip_install target/wheel-venv -r python/requirements-test.txt "$WHEEL"
(cd python/tests && env -u PROVMOCK_BIN ../../target/wheel-venv/bin/python -m pytest -q -p no:cacheprovider .)
