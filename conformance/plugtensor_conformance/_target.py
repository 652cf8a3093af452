"""The device under test: its backend, the dtypes it declares, and the backend's expected failures."""
from __future__ import annotations

import importlib
from dataclasses import dataclass

import plugtensor as pt

from ._harness import ALL_DTYPES
from ._xfail import XfailList, find_xfail_file, load_xfail

__all__ = ["Target", "resolve_target", "QUICK_DTYPES"]

# --quick checks these columns only (where the device declares them).
QUICK_DTYPES = ("bool", "int64", "float32")


@dataclass
class Target:
    device: str               # the device tensors report, as a string ("cpu", "opencl:0" for "opencl")
    type: str
    index: int
    backend: object
    dtypes: tuple[str, ...]   # the standard dtypes the device declares, in table order
    xfail: XfailList
    quick: bool = False

    @property
    def backend_name(self) -> str:
        return str(getattr(self.backend, "name", "?"))

    @property
    def backend_version(self) -> str:
        return str(getattr(self.backend, "version", "?"))

    @property
    def tested_dtypes(self) -> tuple[str, ...]:
        """The dtype columns the run checks (all declared ones, or a few with --quick)."""
        if self.quick:
            return tuple(d for d in self.dtypes if d in QUICK_DTYPES)
        return self.dtypes


_cache: dict[tuple, Target] = {}


def resolve_target(device: str, plugins: tuple[str, ...] = (), xfail_file: str | None = None,
                   quick: bool = False) -> Target:
    """Register ``plugins`` (module names), resolve ``device`` and read the expected failures.

    Raises the backend's own error (RuntimeError naming the installed backends) when the device is
    unavailable: the suite cannot run, which is a failure, not a skip."""
    key = (device, tuple(plugins), xfail_file, quick)
    if key in _cache:
        return _cache[key]
    # The loaded Backend instance and the plugin manager are not public API yet: import them here only.
    from plugtensor._plugins import get_backend, plugin_manager
    for name in plugins:
        if not plugin_manager().has_plugin(name):
            pt.register_plugin(importlib.import_module(name), name=name)
    d = pt.zeros(1, device=device).device  # loads the backend, or raises its error; fills in the index
    backend = get_backend(d.type)
    index = 0 if d.index is None else d.index
    declared = {dt.name for dt in backend.device_dtypes(index)}
    dtypes = tuple(n for n in ALL_DTYPES if n in declared)
    xfail = load_xfail(xfail_file if xfail_file is not None else find_xfail_file(backend))
    t = _cache[key] = Target(str(d), d.type, index, backend, dtypes, xfail, quick)
    return t
