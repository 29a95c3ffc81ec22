"""Every code block of the repository's README runs as written against a fresh provmock.

Conventions (README.md): a fenced block's info string is its language, optionally followed by words:
* ```python          a script, run in a fresh interpreter (`python -c`);
* ```python pytest   a pytest module, run with pytest in a directory of its own (the plugin supplies the fixtures);
* ```sh / ```bash    run with `bash -euo pipefail`; curl fails on an HTTP error status (--fail-with-body);
* ```json            a fixtures document: it must load (PUT /_mock/state);
* ```LANG no-run, or a `<!-- no-run -->` line right before the block: not run (other languages, builds, Docker).
Any other block must say no-run, so nothing is skipped silently.

The snippets address provmock's defaults (127.0.0.1:8080, TLS 8443); the test runs them against the session's
provmock on free ports, replacing those two port numbers, and resets the world (fixtures, fault rules, policies,
journal) before each block. A failure names the block's line in README.md."""

import json
import os
import re
import subprocess
import sys

import pytest

from conftest import ROOT

README = os.environ.get("PROVMOCK_README") or os.path.join(ROOT, "README.md")
RUN = {"python", "sh", "bash", "shell", "json"}
TIMEOUT = 180
# curl as the snippets use it, but an HTTP error status fails the block (curl -s alone exits 0 on a 409)
SH_PRELUDE = 'curl() { command curl --fail-with-body --max-time 30 "$@"; }\n'


class Block:
    def __init__(self, line, lang, words, code):
        self.line, self.lang, self.words, self.code = line, lang, words, code

    @property
    def no_run(self):
        return "no-run" in self.words

    def __repr__(self):
        return f"README.md:{self.line} ({self.lang} {' '.join(self.words)})".rstrip()


def parse(text):
    """The fenced blocks of a Markdown text, with the line number of each opening fence."""
    out, lines, i = [], text.split("\n"), 0
    while i < len(lines):
        m = re.match(r"^```(\S*)\s*(.*)$", lines[i])
        if not m:
            i += 1
            continue
        start, lang, words = i + 1, m.group(1), m.group(2).split()
        prev = next((lines[j].strip() for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        if prev == "<!-- no-run -->":
            words.append("no-run")
        i += 1
        body = []
        while i < len(lines) and lines[i].strip() != "```":
            body.append(lines[i])
            i += 1
        if i == len(lines):
            raise AssertionError(f"README.md:{start}: code block never closed")
        out.append(Block(start, lang, words, "\n".join(body) + "\n"))
        i += 1
    return out


with open(README, encoding="utf-8") as f:
    BLOCKS = parse(f.read())
RUNNABLE = [b for b in BLOCKS if b.lang in RUN and not b.no_run]


def test_the_parser_finds_every_kind_of_block():
    text = "x\n```python\nprint(1)\n```\n<!-- no-run -->\n\n```sh\nexit 1\n```\n```rust no-run\nfn\n```\n"
    got = [(b.line, b.lang, b.no_run, b.code) for b in parse(text)]
    assert got == [(2, "python", False, "print(1)\n"), (7, "sh", True, "exit 1\n"), (10, "rust", True, "fn\n")]


def test_every_block_is_run_or_marked_no_run():
    unmarked = [repr(b) for b in BLOCKS if b.lang not in RUN and not b.no_run]
    assert unmarked == [], "blocks in a language this test cannot run must say no-run"
    kinds = {(b.lang, "pytest" in b.words) for b in RUNNABLE}
    assert {("python", False), ("python", True), ("sh", False), ("json", False)} <= kinds, kinds


def _ports(code, server):
    code = re.sub(r"(?<!\d)8080(?!\d)", str(server.port), code)
    return re.sub(r"(?<!\d)8443(?!\d)", str(server.tls_port), code)


def _fail(block, what, out):
    pytest.fail(f"{block!r}: {what}\n--- stdout ---\n{out.stdout[-3000:]}\n--- stderr ---\n{out.stderr[-6000:]}",
                pytrace=False)


def _run_script(block, server, tmp_path):
    code = _ports(block.code, server)
    if block.lang == "python":
        cmd = [sys.executable, "-c", code]
    else:
        cmd = ["bash", "-euo", "pipefail", "-c", SH_PRELUDE + code]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=TIMEOUT)


@pytest.mark.parametrize("block", RUNNABLE, ids=lambda b: f"line{b.line}-{b.lang}{'-pytest' if 'pytest' in b.words else ''}")
def test_readme_block_runs(block, provmock, tmp_path):
    provmock.fresh()
    if block.lang == "json":
        provmock.import_state(json.loads(block.code))
        provmock.reset()
        return
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    if "pytest" in block.words:
        path = tmp_path / f"test_readme_line{block.line}.py"
        path.write_text(block.code)
        out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path)],
                             cwd=tmp_path, env=env, capture_output=True, text=True, timeout=TIMEOUT)
        if out.returncode != 0 or " passed" not in out.stdout:
            _fail(block, f"pytest exited {out.returncode}", out)
        return
    offset = provmock.log_size()
    out = _run_script(block, provmock, tmp_path)
    if out.returncode != 0:
        _fail(block, f"exited {out.returncode}", out)
    if "request method=" in provmock.log():  # the plugin's default log level shows every request
        assert "request method=" in provmock.log(since=offset), f"{block!r} never reached the test's provmock"


def test_readme_blocks_run_one_after_another_in_any_order(provmock, tmp_path):
    """What a reader does: paste the examples one after another into one provmock, without resetting it. The README
    says they run in any order, so: forwards, then backwards."""
    scripts = [b for b in RUNNABLE if b.lang != "json" and "pytest" not in b.words]
    provmock.fresh()
    for block in scripts + scripts[::-1]:
        out = _run_script(block, provmock, tmp_path)
        if out.returncode != 0:
            _fail(block, f"exited {out.returncode} after the blocks before it, without a reset", out)
