"""The provmock pytest plugin (loaded through the package's `pytest11` entry point; `-p no:provmock` turns it off).

Fixtures:
* `provmock` (session): a provmock on free ports (plain and TLS), started once per session (so once per
  pytest-xdist worker), stopped at the end. Attributes `url`, `grpc_target`, `tls_target`, `ca_pem`; the control
  plane helpers of `provmock.Provmock`.
* `provmock_fresh` (function): the same server after `fresh()`: world reset to the fixtures, no fault rules,
  no operation policies, empty journal.
* `provmock_factory` (function): `provmock_factory(*flags, auth=..., env={...}, ...)` starts another provmock with
  the session's options plus these; each one is stopped when the test ends. `provmock.plugin.start(config, ...)`
  does the same for fixtures of a wider scope (the caller stops it).

Options (command line, else ini): --provmock-bin / provmock_bin (after $PROVMOCK_BIN on the command line's
side: CLI > PROVMOCK_BIN > ini > the installed binary), --provmock-fixtures, --provmock-lro-delay,
--provmock-auth, --provmock-seed, --provmock-control-token (else $PROVMOCK_CONTROL_TOKEN; the helpers send it).

When a test fails, its report gets a section with what each running provmock logged during that test (one line per
request: the plugin runs provmock with PROVMOCK_LOG=info,provmock=debug unless PROVMOCK_LOG is set).
"""

import os

import pytest

from ._server import ProvmockStartError, launch, running_instances

OPTIONS = (
    ("bin", "provmock binary to run (default: $PROVMOCK_BIN, else the one installed with the provmock package)"),
    ("fixtures", "fixtures file (JSON) for provmock's world (--fixtures)"),
    ("lro-delay", "how long provmock's operations take, e.g. 0, 200ms, 2s (--lro-delay)"),
    ("auth", "provmock's auth mode: permissive or strict (--auth)"),
    ("seed", "seed for deterministic ids, page tokens and operation names (--seed)"),
    ("control-token", "token for provmock's control plane (--control-token; default $PROVMOCK_CONTROL_TOKEN)"),
)
DEFAULT_LOG = "info,provmock=debug"


def pytest_addoption(parser):
    group = parser.getgroup("provmock", "provmock emulator")
    for name, help_text in OPTIONS:
        dest = "provmock_" + name.replace("-", "_")
        group.addoption(f"--provmock-{name}", dest=dest, default=None, help=help_text)
        parser.addini(dest, help_text, default=None)


def settings(config):
    """The session's provmock options: command line first, then ini (relative paths in ini are relative to the
    ini file), then the environment where the binary reads none itself."""
    out = {}
    for name, _ in OPTIONS:
        dest = "provmock_" + name.replace("-", "_")
        cli = config.getoption(dest)
        value, from_ini = (cli, False) if cli not in (None, "") else (config.getini(dest), True)
        if value in (None, "", []):
            value = None
        elif from_ini and name in ("bin", "fixtures") and config.inipath is not None:
            value = os.path.join(str(config.inipath.parent), os.path.expanduser(value))
        elif name in ("bin", "fixtures"):
            value = os.path.abspath(os.path.expanduser(value))
        out[name.replace("-", "_")] = value
    if config.getoption("provmock_bin") in (None, "") and os.environ.get("PROVMOCK_BIN"):
        out["bin"] = os.environ["PROVMOCK_BIN"]
    if out["control_token"] is None:
        out["control_token"] = os.environ.get("PROVMOCK_CONTROL_TOKEN") or None
    return out


def start(config, *args, env=None, **overrides):
    """Starts a provmock with the session's options, `overrides` (fixtures, lro_delay, auth, seed, control_token,
    tls, binary), extra flags `args` and extra environment variables `env` (e.g. {"PROVMOCK_LOG": "debug"}).
    Raises ProvmockStartError with the log when it does not come up."""
    opts = settings(config)
    kwargs = {
        "binary": opts["bin"],
        "fixtures": opts["fixtures"],
        "lro_delay": opts["lro_delay"],
        "auth": opts["auth"],
        "seed": opts["seed"],
        "control_token": opts["control_token"],
    }
    kwargs.update(overrides)
    child_env = dict(os.environ)
    child_env.setdefault("PROVMOCK_LOG", DEFAULT_LOG)
    child_env.update(env or {})
    return launch(*args, env=child_env, **kwargs)


@pytest.fixture(scope="session")
def provmock(request):
    """A provmock for the whole session (one per xdist worker)."""
    try:
        server = start(request.config)
    except ProvmockStartError as e:
        pytest.fail(str(e), pytrace=False)
    yield server
    server.stop()


@pytest.fixture
def provmock_fresh(provmock):
    """The session's provmock, reset: fixtures world, no fault rules, no operation policies, empty journal."""
    return provmock.fresh()


@pytest.fixture
def provmock_factory(request):
    """Starts more provmocks for one test: `provmock_factory("--data-dir", path, auth="strict")`."""
    started = []

    def factory(*args, **options):
        server = start(request.config, *args, **options)
        started.append(server)
        return server

    yield factory
    for server in started:
        server.stop()


_OFFSETS = pytest.StashKey()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    item.stash[_OFFSETS] = {id(s): s.log_size() for s in running_instances()}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not report.failed:
        return
    offsets = item.stash.get(_OFFSETS, {})
    for server in running_instances():
        text = server.log(since=offsets.get(id(server), 0)).rstrip()
        if text:
            report.sections.append((f"provmock log {server.url} ({report.when})", text[-20000:]))
