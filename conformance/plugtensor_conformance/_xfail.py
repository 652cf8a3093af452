"""Expected failures: one commented TOML file per backend, shipped with the backend package.

Format::

    # why this backend fails what it fails (comments are encouraged)
    [xfail]
    "test_ops.py::test_forward[sin-float16]" = "half-precision sin is 3 ulp off on this driver"
    "test_ops.py::test_grad[*-float16]" = "float16 gradients accumulate in float16"

Keys are patterns over test ids (``FILE::TEST[PARAMS]``, as printed by the report); ``*`` matches any
run of characters and is the only special character (``[`` and ``]`` are literal). Values are the
reason, printed in the report. A test that matches and passes is an XPASS, which fails the run, so the
file stays honest.

Where the file is found, first match wins: the ``--xfail FILE`` option; the backend's
``conformance_xfail`` attribute (a path); a ``CONFORMANCE_XFAIL`` constant in the module defining the
backend class; a ``conformance_xfail.toml`` file next to that module.
"""
from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["XfailList", "find_xfail_file", "load_xfail"]

FILE_NAME = "conformance_xfail.toml"


@dataclass
class XfailList:
    """Patterns -> reasons, with the file they came from."""

    path: str | None = None
    entries: dict[str, str] = field(default_factory=dict)
    _compiled: list = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self._compiled = [(p, re.compile(".*".join(re.escape(part) for part in p.split("*")) + r"\Z"), r)
                          for p, r in self.entries.items()]

    def match(self, test_id: str) -> tuple[str, str] | None:
        """(pattern, reason) of the first pattern matching ``test_id``, else None."""
        for pattern, rx, reason in self._compiled:
            if rx.match(test_id):
                return pattern, reason
        return None


def load_xfail(path: str | os.PathLike | None) -> XfailList:
    """Read an expected-failures file (a missing path means no expected failures)."""
    if path is None:
        return XfailList()
    p = Path(path)
    with p.open("rb") as f:
        data = tomllib.load(f)
    unknown = set(data) - {"xfail"}
    if unknown:
        raise ValueError(f"{p}: unknown table(s) {sorted(unknown)}; expected only [xfail]")
    entries = data.get("xfail", {})
    bad = [k for k, v in entries.items() if not isinstance(v, str) or not v.strip()]
    if bad:
        raise ValueError(f"{p}: every expected failure needs a reason (a non-empty string); missing for {bad}")
    return XfailList(str(p), dict(entries))


def find_xfail_file(backend) -> str | None:
    """The expected-failures file a backend ships, or None (see the module docstring for the order)."""
    explicit = getattr(backend, "conformance_xfail", None)
    if explicit:
        return os.fspath(explicit)
    module = sys.modules.get(type(backend).__module__)
    const = getattr(module, "CONFORMANCE_XFAIL", None)
    if const:
        return os.fspath(const)
    mod_file = getattr(module, "__file__", None)
    if mod_file:
        candidate = Path(mod_file).resolve().parent / FILE_NAME
        if candidate.is_file():
            return str(candidate)
    return None
