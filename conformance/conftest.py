"""Shared fixtures: a running provmock release binary driven by the real SDKs.

* `provmock`         – session-wide permissive server (plain port + TLS port), started once.
* `provmock_strict`  – session-wide `--auth strict` server, started only when a test asks for it.
* `provmock_port`    – the permissive server's plain port, after `POST /_mock/reset` (also picked up by
                       test_cloudidentity.py).
* `fresh`            – resets the permissive server (and the strict one, if it is running) before a test; the Channel
                       modules use it autouse via `pytestmark`.
* `reset(server)`    – the same as a plain helper.

PROVMOCK_BIN overrides the binary (default: target/release/provmock).
"""

import os
import signal
import socket
import subprocess
import tempfile
import time

import pytest
import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HEALTH_TIMEOUT = 10.0


def _binary():
    path = os.environ.get("PROVMOCK_BIN") or os.path.join(ROOT, "target", "release", "provmock")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(
            f"provmock binary not found or not executable at {path}: "
            "run `cargo build --release` in the repo root or set PROVMOCK_BIN",
            pytrace=False,
        )
    return path


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A provmock process: `port` (REST + h2c gRPC), `tls_port`, `base` URL, `ca` (PEM bytes, fetched lazily)."""

    def __init__(self, *extra_args):
        self.port = _free_port()
        self.tls_port = _free_port()
        while self.tls_port == self.port:
            self.tls_port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.args = [
            _binary(),
            "--port",
            str(self.port),
            "--tls-port",
            str(self.tls_port),
            "--lro-delay",
            "500ms",
            *extra_args,
        ]
        self._log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(self.args, stdout=self._log, stderr=subprocess.STDOUT)
        self._ca = None
        self._wait_healthy()

    def _output(self):
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-4000:]

    def _wait_healthy(self):
        deadline = time.monotonic() + HEALTH_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                pytest.fail(
                    f"provmock exited with {self.proc.returncode} at start ({' '.join(self.args)}):\n{self._output()}",
                    pytrace=False,
                )
            try:
                r = requests.get(f"{self.base}/_mock/health", timeout=1)
                if r.status_code == 200 and r.json().get("status") == "ok":
                    return
            except (requests.RequestException, ValueError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                pytest.fail(
                    f"provmock did not answer /_mock/health within {HEALTH_TIMEOUT:.0f}s "
                    f"({' '.join(self.args)}):\n{self._output()}",
                    pytrace=False,
                )
            time.sleep(0.05)

    @property
    def ca(self):
        if self._ca is None:
            r = requests.get(f"{self.base}/_mock/ca.pem", timeout=5)
            r.raise_for_status()
            self._ca = r.content
        return self._ca

    @property
    def running(self):
        return self.proc.poll() is None

    def reset(self):
        r = requests.post(f"{self.base}/_mock/reset", timeout=5)
        assert r.status_code == 200, f"POST /_mock/reset -> {r.status_code} {r.text}"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self._log.close()


def reset(server):
    """POST /_mock/reset: the world goes back to the fixtures."""
    server.reset()


_servers = {}


@pytest.fixture(scope="session")
def provmock():
    server = Server()
    _servers["permissive"] = server
    yield server
    _servers.pop("permissive", None)
    server.stop()


@pytest.fixture(scope="session")
def provmock_strict():
    server = Server("--auth", "strict")
    _servers["strict"] = server
    yield server
    _servers.pop("strict", None)
    server.stop()


@pytest.fixture
def fresh(provmock):
    """Resets every provmock this session has started; yields the permissive server."""
    for server in list(_servers.values()):
        if server.running:
            server.reset()
    return provmock


@pytest.fixture
def provmock_port(fresh):
    return fresh.port


@pytest.fixture
def strict(provmock_strict):
    """The `--auth strict` server, reset."""
    provmock_strict.reset()
    return provmock_strict


@pytest.fixture
def start_provmock():
    """A factory: `start_provmock("--control-token", "x")` starts a provmock with extra flags; every one it started is
    stopped when the test ends."""
    started = []

    def start(*extra_args):
        server = Server(*extra_args)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
