"""Every ```python block in README.md and docs/**/*.md runs; blocks of one page share a namespace.

A block whose first line is ``# expect: ExceptionName`` must raise that exception. Shell blocks
(```sh) that run ``python -m plugtensor ...`` are executed too; other fences are plain text.
"""
from __future__ import annotations

import pathlib
import re
import shlex
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.S | re.M)


def _blocks(page: pathlib.Path, lang: str) -> list[str]:
    return [body for kind, body in FENCE.findall(page.read_text()) if kind == lang]


_RUNNER = """
import re, sys
blocks = {blocks!r}
namespace = {{"__name__": "__docs__"}}
for i, code in enumerate(blocks):
    first = code.splitlines()[0] if code.strip() else ""
    m = re.match(r"#\\s*expect:\\s*(\\w+)", first)
    try:
        exec(compile(code, "{page}[block %d]" % i, "exec"), namespace)
    except Exception as exc:
        if m and type(exc).__name__ == m.group(1):
            continue
        raise
    else:
        if m:
            sys.exit("{page} block %d should raise %s" % (i, m.group(1)))
"""


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_python_blocks_run(page: pathlib.Path) -> None:
    # Each page runs in its own interpreter: pages register plugins and change global state.
    blocks = _blocks(page, "python")
    if not blocks:
        return
    script = _RUNNER.format(blocks=blocks, page=page.name)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert r.returncode == 0, f"{page.name}: a code block failed:\n{r.stdout}\n{r.stderr}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_shell_blocks_run(page: pathlib.Path) -> None:
    for code in _blocks(page, "sh"):
        for line in code.splitlines():
            line = line.strip()
            if line.startswith("python -m plugtensor"):
                args = shlex.split(line)[1:]
                r = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=120)
                assert r.returncode == 0, f"{page.name}: `{line}` failed:\n{r.stdout}\n{r.stderr}"


def test_every_page_has_runnable_code_or_is_an_index() -> None:
    for page in PAGES:
        text = page.read_text()
        assert "```" in text, f"{page} has no code block"
