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


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_python_blocks_run(page: pathlib.Path) -> None:
    namespace: dict = {"__name__": "__docs__"}
    for i, code in enumerate(_blocks(page, "python")):
        first = code.splitlines()[0] if code.strip() else ""
        m = re.match(r"#\s*expect:\s*(\w+)", first)
        try:
            exec(compile(code, f"{page.name}[block {i}]", "exec"), namespace)
        except Exception as exc:  # noqa: BLE001
            if m and type(exc).__name__ == m.group(1):
                continue
            raise AssertionError(f"{page.name} block {i} failed: {type(exc).__name__}: {exc}\n{code}") from exc
        else:
            assert not m, f"{page.name} block {i} should raise {m.group(1)}"


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
