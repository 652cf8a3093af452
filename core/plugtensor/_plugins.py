"""The plugin manager: reads entry points once, lazily, and builds per-device kernel tables.

Failures are recorded per plugin (name, distribution, version, traceback) and raised, with advice,
only when that plugin's device is asked for; ``import plugtensor`` never fails because of a plugin.
"""
from __future__ import annotations

import os
import threading
import traceback
from importlib import metadata
from typing import Any

import pluggy

from . import _dtype, hookspecs
from ._device import device as _device_cls

__all__ = ["plugin_manager", "register_plugin", "get_context", "load_failures", "DeviceContext", "devices"]

ENTRY_POINT_GROUP = "plugtensor.backends"

_lock = threading.RLock()
_pm = pluggy.PluginManager("plugtensor")
_pm.add_hookspecs(hookspecs)
_loaded_entry_points = False
_specs: dict[str, hookspecs.BackendSpec] | None = None
_backends: dict[str, Any] = {}
_failures: list[dict] = []
_contexts: dict[Any, "DeviceContext"] = {}


class PluginFailure(dict):
    """One plugin's load failure: keys name, distribution, version, phase, error, traceback."""


def _record_failure(name: str, dist: str | None, version: str | None, phase: str, exc: BaseException,
                    device_type: str | None = None) -> None:
    _failures.append(PluginFailure(
        name=name, distribution=dist, version=version, phase=phase, device_type=device_type,
        error=f"{type(exc).__name__}: {exc}", traceback="".join(traceback.format_exception(exc))))


def plugin_manager() -> pluggy.PluginManager:
    """The pluggy manager (entry points are loaded on first call)."""
    _ensure_entry_points()
    return _pm


def register_plugin(plugin, name: str | None = None) -> None:
    """Register a plugin by hand (for ``PLUGTENSOR_PLUGIN_AUTOLOAD=0`` or tests)."""
    with _lock:
        _pm.register(plugin, name=name)
        _reset_tables()


def unregister_plugin(name: str) -> None:
    with _lock:
        p = _pm.get_plugin(name)
        if p is not None:
            _pm.unregister(p)
        _reset_tables()


def _reset_tables() -> None:
    global _specs
    _specs = None
    _backends.clear()
    _contexts.clear()


def _ensure_entry_points() -> None:
    global _loaded_entry_points
    if _loaded_entry_points:
        return
    with _lock:
        if _loaded_entry_points:
            return
        _loaded_entry_points = True
        if os.environ.get("PLUGTENSOR_PLUGIN_AUTOLOAD", "1").strip().lower() in ("0", "false", "no", "off"):
            return
        disabled = {s.strip() for s in os.environ.get("PLUGTENSOR_DISABLE_PLUGINS", "").split(",") if s.strip()}
        for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
            if ep.name in disabled or _pm.has_plugin(ep.name):
                continue
            dist = getattr(ep, "dist", None)
            dname, dver = (dist.metadata["Name"], dist.version) if dist is not None else (None, None)
            try:
                _pm.register(ep.load(), name=ep.name)
            except BaseException as exc:  # noqa: BLE001 - a broken plugin must not break import
                if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                    raise
                _record_failure(ep.name, dname, dver, "import", exc)


def _plugin_dist(plugin) -> tuple[str | None, str | None]:
    for p, dist in _pm.list_plugin_distinfo():
        if p is plugin:
            return dist.metadata["Name"], dist.version
    return None, None


def _call_hook(hook, **kwargs) -> list[tuple[str, Any]]:
    """Call a hook implementation by implementation, so one failing plugin is recorded, not fatal."""
    results = []
    for impl in hook.get_hookimpls()[::-1]:  # pluggy's call order: last registered (or tryfirst) first
        try:
            r = impl.function(*[kwargs[a] for a in impl.argnames])
        except Exception as exc:  # noqa: BLE001
            _record_failure(impl.plugin_name, *_version_of(impl.plugin_name), hook.name, exc)
            continue
        if r is not None:
            results.append((impl.plugin_name, r))
    return results


def _version_of(plugin_name: str) -> tuple[str | None, str | None]:
    p = _pm.get_plugin(plugin_name)
    return _plugin_dist(p) if p is not None else (None, None)


def _backend_specs() -> dict[str, hookspecs.BackendSpec]:
    global _specs
    _ensure_entry_points()
    if _specs is not None:
        return _specs
    with _lock:
        _call_hook(_pm.hook.plugtensor_register_dtypes, register=_dtype.register_dtype)
        specs: dict[str, hookspecs.BackendSpec] = {}
        for plugin_name, result in _call_hook(_pm.hook.plugtensor_register_backends):
            for spec in result:
                if spec.name is None:
                    spec.name = plugin_name
                if spec.distribution is None:
                    spec.distribution = _version_of(plugin_name)[0]
                specs.setdefault(spec.device_type, spec)
        _specs = specs
        return specs


def _install_hint(device_type: str) -> str:
    known = {"cpu": "plugtensor-numpy", "opencl": "plugtensor-opencl", "cuda": "plugtensor-cupy"}
    pkg = known.get(device_type)
    return f" Install one, e.g. `pip install {pkg}`." if pkg else ""


def get_backend(device_type: str):
    """The loaded Backend serving ``device_type`` (loading it on first use)."""
    b = _backends.get(device_type)
    if b is not None:
        return b
    with _lock:
        b = _backends.get(device_type)
        if b is not None:
            return b
        specs = _backend_specs()
        spec = specs.get(device_type)
        if spec is None:
            raise RuntimeError(_missing_message(device_type, specs))
        try:
            b = spec.load()
        except Exception as exc:  # noqa: BLE001
            dname, dver = _version_of(spec.name)
            _record_failure(spec.name, dname, dver, "load", exc, device_type)
            raise RuntimeError(
                f"The backend for device type '{device_type}' (plugin '{spec.name}', distribution "
                f"{dname or '?'} {dver or ''}) failed to load: {type(exc).__name__}: {exc}. "
                f"Run `python -m plugtensor info` for the traceback; reinstalling the plugin or its "
                f"dependencies usually fixes this.") from exc
        kernels = dict(b.kernels())
        for plugin_name, extra in reversed(_call_hook(_pm.hook.plugtensor_register_kernels,
                                                      device_type=device_type, backend=b)):
            kernels.update(extra)
        b._kernel_table = kernels
        _backends[device_type] = b
        return b


def _missing_message(device_type: str, specs: dict) -> str:
    installed = ", ".join(f"'{t}' ({s.name})" for t, s in sorted(specs.items())) or "none"
    msg = f"No backend serves device type '{device_type}'. Installed backends: {installed}."
    broken = [f for f in _failures if f["phase"] == "import" or f.get("device_type") == device_type]
    if broken:
        msg += " Plugins that failed to load: " + "; ".join(
            f"{f['name']} ({f['distribution'] or '?'} {f['version'] or ''}): {f['error']}" for f in broken)
        msg += ". Run `python -m plugtensor info` for details."
    if os.environ.get("PLUGTENSOR_PLUGIN_AUTOLOAD", "1") == "0":
        msg += " PLUGTENSOR_PLUGIN_AUTOLOAD=0 is set, so no entry points were loaded."
    return msg + _install_hint(device_type)


def load_failures() -> list[dict]:
    """Every plugin failure recorded so far (after resolving all backends)."""
    return list(_failures)


class DeviceContext:
    """Everything a tensor on one device needs on the hot path: backend, kernel table, dtypes."""

    __slots__ = ("device", "backend", "K", "index", "dtypes", "type")

    def __init__(self, dev: _device_cls, backend) -> None:
        self.device, self.backend, self.index, self.type = dev, backend, dev.index, dev.type
        self.K = backend._kernel_table
        self.dtypes = frozenset(backend.device_dtypes(dev.index))

    def __repr__(self) -> str:
        return f"DeviceContext({self.device!s}, backend={self.backend.name})"


def get_context(dev) -> DeviceContext:
    """Resolve a device (string, device or None for cpu) to its context; cached."""
    ctx = _contexts.get(dev)
    if ctx is not None:
        return ctx
    d = dev if isinstance(dev, _device_cls) else _device_cls("cpu" if dev is None else dev)
    ctx = _contexts.get(d)
    if ctx is None:
        with _lock:
            backend = get_backend(d.type)
            n = backend.device_count()
            idx = 0 if d.index is None else d.index
            if idx >= n:
                if n == 0:
                    raise RuntimeError(f"Device type '{d.type}' (backend '{backend.name}') has no devices available "
                                       f"here: {getattr(backend, 'unavailable_reason', 'no device found')}")
                raise RuntimeError(f"Invalid device '{d}': device type '{d.type}' has {n} device(s) "
                                   f"(indices 0..{n - 1}), backend '{backend.name}'.")
            full = _device_cls(d.type, idx) if d.type != "cpu" else _device_cls("cpu")
            ctx = _contexts.get(full)
            if ctx is None:
                ctx = _contexts[full] = DeviceContext(full, backend)
            _contexts[d] = ctx
    try:
        _contexts[dev] = ctx
    except TypeError:
        pass
    return ctx


def devices() -> "DeviceTable":
    """Every installed backend, its devices, their dtypes and status (and plugin load errors)."""
    rows = []
    for dtype_name, spec in sorted(_backend_specs().items()):
        try:
            b = get_backend(dtype_name)
        except RuntimeError as exc:
            rows.append({"device": dtype_name, "backend": spec.name, "version": "?", "name": "-",
                         "dtypes": "", "status": f"failed: {exc.__cause__ or exc}"})
            continue
        n = b.device_count()
        if n == 0:
            rows.append({"device": dtype_name, "backend": b.name, "version": b.version, "name": "-", "dtypes": "",
                         "status": "unavailable: " + getattr(b, "unavailable_reason", "no device")})
        for i in range(n):
            props = b.device_properties(i)
            rows.append({"device": dtype_name if dtype_name == "cpu" else f"{dtype_name}:{i}", "backend": b.name,
                         "version": b.version, "name": b.device_name(i),
                         "dtypes": ",".join(d.name for d in b.device_dtypes(i)), "status": "ok", **props})
    return DeviceTable(rows, load_failures())


class DeviceTable(list):
    """A list of dict rows that prints as a table."""

    def __init__(self, rows, failures) -> None:
        super().__init__(rows)
        self.failures = failures

    def __repr__(self) -> str:
        cols = ["device", "backend", "version", "name", "dtypes", "status"]
        table = [cols] + [[str(r.get(c, "")) for c in cols] for r in self]
        widths = [max(len(row[i]) for row in table) for i in range(len(cols))]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in table]
        lines.insert(1, "  ".join("-" * w for w in widths))
        if not self:
            lines.append("(no backends installed: pip install plugtensor-numpy)")
        for f in self.failures:
            lines.append(f"plugin {f['name']} ({f['distribution'] or '?'} {f['version'] or ''}) failed at "
                         f"{f['phase']}: {f['error']}")
        return "\n".join(lines)

    __str__ = __repr__
