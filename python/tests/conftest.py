"""The plugin's own tests. They run from a venv with the provmock wheel installed (test.sh), not from the source
tree: the `provmock` fixture comes from the installed plugin, the binary from the wheel (or PROVMOCK_BIN)."""

import os

pytest_plugins = ["pytester"]

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
