"""`python -m provmock ARGS` runs the installed binary with ARGS."""

import os
import subprocess
import sys

from ._server import find_binary


def main():
    binary = find_binary()
    if os.name == "posix":
        os.execv(binary, [binary, *sys.argv[1:]])
    sys.exit(subprocess.call([binary, *sys.argv[1:]]))


if __name__ == "__main__":
    main()
