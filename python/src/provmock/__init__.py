"""provmock for Python: the emulator's binary (installed as the `provmock` command), a pytest plugin
(`provmock.plugin`, loaded through the `pytest11` entry point) and real SDK clients pointed at it
(`provmock.clients`)."""

from ._server import CALL_TIMEOUT, START_TIMEOUT, Provmock, ProvmockError, ProvmockStartError, find_binary, launch
from .clients import ScpAuth, scp_headers, scp_signature

try:
    from importlib.metadata import PackageNotFoundError, version as _version

    __version__ = _version("provmock")
except PackageNotFoundError:  # imported from a source tree, not installed
    __version__ = "0+unknown"

__all__ = [
    "CALL_TIMEOUT",
    "START_TIMEOUT",
    "Provmock",
    "ProvmockError",
    "ProvmockStartError",
    "ScpAuth",
    "find_binary",
    "launch",
    "scp_headers",
    "scp_signature",
]
