"""Shared fixtures, built on provmock's own pytest plugin (python/src/provmock/plugin.py, loaded through its pytest11
entry point once the wheel is installed: test.sh installs it into .venv). The suite drives the release binary:
PROVMOCK_BIN, else target/release/provmock.

* `provmock`         – the plugin's session-wide permissive server (plain port + TLS port), started once.
* `provmock_strict`  – a session-wide `--auth strict` server, started only when a test asks for it.
* `fresh`            – the plugin's `provmock_fresh` (world reset, no fault rules, policies or journal entries), and
                       the strict server reset too if it is running; the Channel modules use it via `pytestmark`.
* `provmock_port`    – the fresh permissive server's plain port.
* `strict`           – the strict server, fresh.
* `start_provmock`   – the plugin's `provmock_factory`: `start_provmock("--control-token", "x")` starts another
                       provmock, stopped when the test ends.
* `reset(server)`    – POST /_mock/reset as a plain helper.
"""

import importlib.util
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("PROVMOCK_BIN", os.path.join(ROOT, "target", "release", "provmock"))

if importlib.util.find_spec("provmock") is None:  # a venv without the wheel: the plugin from the source tree
    sys.path.insert(0, os.path.join(ROOT, "python", "src"))
    pytest_plugins = ["provmock.plugin"]
# else installed: pytest has loaded the plugin through its entry point

def reset(server):
    """POST /_mock/reset: the world goes back to the fixtures."""
    server.reset()


_strict = []


@pytest.fixture(scope="session")
def provmock_strict(request):
    from provmock import ProvmockStartError
    from provmock.plugin import start

    try:
        server = start(request.config, auth="strict")
    except ProvmockStartError as e:
        pytest.fail(str(e), pytrace=False)
    _strict.append(server)
    yield server
    _strict.remove(server)
    server.stop()


@pytest.fixture
def fresh(provmock_fresh):
    """Resets every provmock this session has started; yields the permissive server."""
    for server in _strict:
        server.fresh()
    return provmock_fresh


@pytest.fixture
def provmock_port(fresh):
    return fresh.port


@pytest.fixture
def strict(provmock_strict):
    """The `--auth strict` server, fresh."""
    return provmock_strict.fresh()


@pytest.fixture
def start_provmock(provmock_factory):
    return provmock_factory
