"""The plugin manager: reads entry points once, lazily, and builds per-device kernel tables.

Failures are recorded per plugin (name, distribution, version, traceback) and raised, with advice,
only when that plugin's device is asked for; ``import plugtensor`` never fails because of a plugin.
Any exception a plugin raises while it is imported, its hooks run or its backend loads is recorded,
``SystemExit`` included (only ``KeyboardInterrupt`` goes through). When several plugins serve one
device type, they are tried in hook call order and the first that loads serves it.
"""
from __future__ import annotations

import os
import threading
import time
import traceback
import warnings
from collections.abc import Mapping
from importlib import metadata
from typing import Any

import pluggy

from . import _dtype, hookspecs
from ._device import device as _device_cls
from .backend import _checks
from .hookspecs import SlowPluginImportWarning

__all__ = ["plugin_manager", "register_plugin", "unregister_plugin", "get_context", "get_backend", "load_failures",
           "backends", "DeviceContext", "devices", "slow_imports", "SlowPluginImportWarning", "SLOW_IMPORT_SECONDS"]

ENTRY_POINT_GROUP = "plugtensor.backends"

_lock = threading.RLock()
_pm = pluggy.PluginManager("plugtensor")
_pm.add_hookspecs(hookspecs)
_loaded_entry_points = False
_specs: dict[str, list[hookspecs.BackendSpec]] | None = None  # device type -> its specs, in hook call order
_backends: dict[str, Any] = {}
_served: dict[str, hookspecs.BackendSpec] = {}  # device type -> the spec whose backend is loaded
_failures: list[dict] = []
_contexts: dict[Any, "DeviceContext"] = {}
_load_errors: dict[str, str] = {}  # device type -> message of its backend's load failure (raised again, not retried)
_plugin_dists: dict[str, tuple[str | None, str | None]] = {}  # entry-point name -> (distribution, version)
_disabled: set[str] = set()
_OFF = ("0", "false", "no", "off")
#: A plugin whose entry point takes longer than this to import is named in a warning and by ``info``.
SLOW_IMPORT_SECONDS = 1.0
_slow: list[dict] = []


def _fatal(exc: BaseException) -> bool:
    """Exceptions a plugin may end the program with: only Ctrl-C. ``sys.exit()`` in a plugin is a load failure."""
    return isinstance(exc, KeyboardInterrupt)


class PluginFailure(dict):
    """One plugin's load failure: keys name, distribution, version, phase ('import', 'load' or a hook's
    name), device_type (or None), error and traceback."""


def _record_failure(name: str, dist: str | None, version: str | None, phase: str, exc: BaseException,
                    device_type: str | None = None) -> None:
    error = f"{type(exc).__name__}: {exc}"
    if any((f["name"], f["phase"], f["device_type"], f["error"]) == (name, phase, device_type, error)
           for f in _failures):
        return  # the same failure again (tables are rebuilt when plugins change): keep one record
    _failures.append(PluginFailure(
        name=name, distribution=dist, version=version, phase=phase, device_type=device_type,
        error=error, traceback="".join(traceback.format_exception(exc))))


def plugin_manager() -> pluggy.PluginManager:
    """The pluggy manager (entry points are loaded on first call)."""
    _ensure_entry_points()
    return _pm


def register_plugin(plugin, name: str | None = None) -> None:
    """Register a plugin by hand (for ``PLUGTENSOR_PLUGIN_AUTOLOAD=0`` or tests).

    Entry points are read first, so a hand-registered plugin ranks above them in pluggy's order.
    Kernels it adds take effect at once, also for tensors that already exist."""
    _ensure_entry_points()
    with _lock:
        _pm.register(plugin, name=name)
        _rebuild_tables()


def unregister_plugin(name: str) -> None:
    """Remove the plugin registered under ``name``; the kernel tables are rebuilt without it."""
    with _lock:
        p = _pm.get_plugin(name)
        if p is not None:
            _pm.unregister(p)
        _rebuild_tables()


def _rebuild_tables() -> None:
    """Recompute backend specs after the plugin set changed.

    A loaded backend whose spec is unchanged keeps its instance and its contexts; only its kernel
    table is rebuilt, in place, so existing tensors see the new kernels. A backend whose spec changed
    (or when new dtypes appeared) is dropped and reloaded on next use."""
    global _specs
    old_specs, old_backends = _specs or {}, dict(_backends)
    n_dtypes = len(_dtype.dtypes())
    _specs = None
    _backends.clear()
    _load_errors.clear()
    if not old_backends:
        _contexts.clear()
        return
    specs = _backend_specs()
    same_dtypes = n_dtypes == len(_dtype.dtypes())
    old_served = dict(_served)
    _served.clear()
    for device_type, b in old_backends.items():
        old, new = old_specs.get(device_type), specs.get(device_type)
        if same_dtypes and old is not None and new is not None and [s.load for s in new] == [s.load for s in old]:
            _served[device_type] = next(s for s in new if s.load is old_served[device_type].load)
            _reload_kernels(device_type, b)
            _backends[device_type] = b
    for key, ctx in list(_contexts.items()):
        if ctx.type not in _backends:
            del _contexts[key]
        else:
            ctx.refresh()


def _reload_kernels(device_type: str, b) -> None:
    """Rebuild ``b``'s kernel table in place, so that contexts and tensors holding it see the change."""
    table = b._kernel_table
    fresh = _build_kernels(device_type, b)
    _replace_items(table, fresh)


def _replace_items(table: dict, fresh: dict) -> None:
    """Make ``table`` equal ``fresh`` without a moment where a name is missing: ops running in other
    threads look kernels up meanwhile (and see the old kernel or the new one, never a KeyError)."""
    table.update(fresh)
    for name in [n for n in table if n not in fresh]:
        del table[name]


def _reload_kernel_tables() -> None:
    """Rebuild every loaded backend's kernel tables (kernel checks were switched on or off)."""
    with _lock:
        for device_type, b in _backends.items():
            _reload_kernels(device_type, b)
        for ctx in set(_contexts.values()):
            ctx.refresh()


def _autoload_off() -> bool:
    return os.environ.get("PLUGTENSOR_PLUGIN_AUTOLOAD", "1").strip().lower() in _OFF


def _ensure_entry_points() -> None:
    global _loaded_entry_points
    if _loaded_entry_points:
        return
    with _lock:
        if _loaded_entry_points:
            return
        _loaded_entry_points = True
        if _autoload_off():
            return
        disabled = {s.strip() for s in os.environ.get("PLUGTENSOR_DISABLE_PLUGINS", "").split(",") if s.strip()}
        for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
            if ep.name in disabled:
                _disabled.add(ep.name)
                continue
            if _pm.has_plugin(ep.name):
                continue
            dist = getattr(ep, "dist", None)
            dname, dver = (dist.metadata["Name"], dist.version) if dist is not None else (None, None)
            _plugin_dists[ep.name] = (dname, dver)
            start = time.perf_counter()
            try:
                plugin = ep.load()
                if not _pm.is_registered(plugin):  # already registered by hand under another name
                    _pm.register(plugin, name=ep.name)
            except BaseException as exc:  # noqa: BLE001 - a broken plugin must not break import (nor exit)
                if _fatal(exc):
                    raise
                _record_failure(ep.name, dname, dver, "import", exc)
            _note_import_time(ep.name, dname, dver, time.perf_counter() - start)


def _note_import_time(name: str, dist: str | None, version: str | None, seconds: float) -> None:
    if seconds <= SLOW_IMPORT_SECONDS:
        return
    _slow.append({"name": name, "distribution": dist, "version": version, "seconds": seconds})
    warnings.warn(SlowPluginImportWarning(
        f"plugtensor plugin {name} ({dist or '?'} {version or '?'}) took {seconds:.1f} s to import (more than "
        f"{SLOW_IMPORT_SECONDS:g} s), which every program using plugtensor pays on first use. Its author can move "
        f"heavy imports into BackendSpec.load; PLUGTENSOR_DISABLE_PLUGINS={name} skips it."), stacklevel=2)


def slow_imports() -> list[dict]:
    """Plugins whose entry point took more than :data:`SLOW_IMPORT_SECONDS` to import: dicts with name,
    distribution, version and seconds."""
    _ensure_entry_points()
    return [dict(s) for s in _slow]


def _plugin_dist(plugin) -> tuple[str | None, str | None]:
    for p, dist in _pm.list_plugin_distinfo():
        if p is plugin:
            return dist.metadata["Name"], dist.version
    # A module registered by hand: find the distribution that installed its top-level package.
    top = getattr(plugin, "__name__", "").partition(".")[0]
    if top:
        try:
            dname = metadata.packages_distributions().get(top, [None])[0]
            if dname is not None:
                return dname, metadata.version(dname)
        except Exception:  # noqa: BLE001 - metadata is advisory only
            pass
    return None, None


def _call_hook(hook, **kwargs) -> list[tuple[str, Any]]:
    """Call a hook implementation by implementation, so one failing plugin is recorded, not fatal."""
    results = []
    for impl in hook.get_hookimpls()[::-1]:  # pluggy's call order: last registered (or tryfirst) first
        try:
            r = impl.function(*[kwargs[a] for a in impl.argnames])
        except BaseException as exc:  # noqa: BLE001 - SystemExit too: recorded, not fatal
            if _fatal(exc):
                raise
            _record_failure(impl.plugin_name, *_version_of(impl.plugin_name), hook.name, exc,
                            kwargs.get("device_type"))
            continue
        if r is not None:
            results.append((impl.plugin_name, r))
    return results


def _version_of(plugin_name: str) -> tuple[str | None, str | None]:
    if plugin_name in _plugin_dists:
        return _plugin_dists[plugin_name]
    p = _pm.get_plugin(plugin_name)
    return _plugin_dist(p) if p is not None else (None, None)


def _backend_specs() -> dict[str, hookspecs.BackendSpec]:
    global _specs
    _ensure_entry_points()
    if _specs is not None:
        return _specs
    with _lock:
        _call_hook(_pm.hook.plugtensor_register_dtypes, register=_dtype.register_dtype)
        specs: dict[str, list[hookspecs.BackendSpec]] = {}
        for plugin_name, result in _call_hook(_pm.hook.plugtensor_register_backends):
            try:
                result = list(result)
                if not all(isinstance(s, hookspecs.BackendSpec) for s in result):
                    raise TypeError(f"expected a list of BackendSpec, got {result!r:.200}")
            except Exception as exc:  # noqa: BLE001
                _record_failure(plugin_name, *_version_of(plugin_name), "plugtensor_register_backends", exc)
                continue
            for spec in result:
                spec.plugin = plugin_name
                if spec.name is None:
                    spec.name = plugin_name
                if spec.distribution is None:
                    spec.distribution = _version_of(plugin_name)[0]
                specs.setdefault(spec.device_type, []).append(spec)
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
        candidates = specs.get(device_type)
        if not candidates:
            raise RuntimeError(_missing_message(device_type, specs))
        if device_type in _load_errors:
            # Loading is not retried: the failure is recorded once and reported the same way each time.
            raise RuntimeError(_load_errors[device_type])
        errors = []
        for spec in candidates:  # hook call order: a tryfirst plugin that fails leaves the device to the next
            try:
                b = spec.load()
                _check_api_version(b)
                _served[device_type] = spec
                b._kernel_table = _build_kernels(device_type, b)
            except BaseException as exc:  # noqa: BLE001 - SystemExit too: recorded, and the next plugin tried
                _served.pop(device_type, None)
                if _fatal(exc):
                    raise
                _record_failure(spec.plugin, *_version_of(spec.plugin), "load", exc, device_type)
                errors.append((spec, exc))
                continue
            _backends[device_type] = b
            return b
        parts = []
        for spec, exc in errors:
            dname, dver = _version_of(spec.plugin)
            parts.append(f"(plugin '{spec.plugin}', distribution {dname or '?'} {dver or '?'}) failed to load: "
                         f"{type(exc).__name__}: {exc}")
        dname = _version_of(errors[-1][0].plugin)[0]
        msg = _load_errors[device_type] = (
            f"The backend for device type '{device_type}' {'; the next one '.join(parts)}. "
            f"Run `python -m plugtensor info` for the traceback; reinstalling the plugin or its "
            f"dependencies (`pip install --force-reinstall {dname or errors[-1][0].name}`) usually fixes this.")
        raise RuntimeError(msg) from errors[0][1]


def _claims_ownership(backend, index) -> bool:
    """Whether ``backend.sole_owner`` ever says True: asked about a fresh array only it holds."""
    from . import _dtype as D
    try:
        return bool(backend.sole_owner(backend.empty((1,), D.float32, index)))
    except Exception:  # noqa: BLE001 - no float32 on this device, or a backend's own error: never elide
        return False


#: Fast kernels that specialise a table kernel under another name: "mm" is "matmul" on 2-D operands.
_FAST_BASE = {"mm": "matmul"}


def _source(plugin_name: str | None, backend=None) -> str:
    """Who supplied a kernel, for kernel-check errors: "plugin 'x' (distribution d 1.0)" or the backend."""
    dname, dver = _version_of(plugin_name) if plugin_name else (None, None)
    dist = f", distribution {dname} {dver or '?'}" if dname else ""
    if backend is None:
        return f"plugin '{plugin_name}'" + (f" ({dist[2:]})" if dist else "")
    return f"backend '{getattr(backend, 'name', '?')}' (plugin '{plugin_name}'{dist})"


def _build_kernels(device_type: str, b) -> dict:
    """The backend's own kernels, updated by every plugin's ``plugtensor_register_kernels``.

    Kernels from plugins are wrapped with their result checks (backend/_checks.py); the backend's
    own kernels too while kernel checks are on."""
    own = dict(b.kernels())
    kernels = dict(own)
    supplier: dict[str, str] = {}
    # Call order puts the highest-priority plugin first, so apply in reverse: the first one wins.
    for plugin_name, extra in reversed(_call_hook(_pm.hook.plugtensor_register_kernels,
                                                  device_type=device_type, backend=b)):
        if not isinstance(extra, Mapping) or not all(callable(v) for v in extra.values()):
            _record_failure(plugin_name, *_version_of(plugin_name), "plugtensor_register_kernels",
                            TypeError(f"expected a dict of kernel name -> callable, got {extra!r:.200}"), device_type)
            continue
        kernels.update(extra)
        supplier.update(dict.fromkeys(extra, plugin_name))
    # Raw kernels (e.g. bare NumPy ufuncs) may stand in on the hottest paths only where no plugin
    # replaced the backend's own kernel.
    fast = {n: f for n, f in b.fast_kernels().items()
            if kernels.get(_FAST_BASE.get(n, n)) is own.get(_FAST_BASE.get(n, n))}
    check_all = _checks.kernel_checks()
    served = _served.get(device_type)
    own_source = _source(served.plugin if served is not None else None, b) if check_all else ""
    for name, plugin_name in supplier.items():
        source = _source(plugin_name)
        kernels[name] = _checks.checked(name, _checks.guarded(name, kernels[name], source, own["clone"], own["copy_"]),
                                        source, b)
    if check_all:
        for name, f in kernels.items():
            if name not in supplier:
                kernels[name] = _checks.checked(name, f, own_source, b)
        fast = {n: _checks.checked(n, f, own_source, b) for n, f in fast.items()}
    b._fast_table = fast
    return kernels


def _check_api_version(b) -> None:
    from .backend._base import API_VERSION
    v = getattr(b, "api_version", API_VERSION)
    if v != API_VERSION:
        raise RuntimeError(f"backend '{getattr(b, 'name', '?')}' was written for plugin API_VERSION {v}, but this "
                           f"plugtensor provides API_VERSION {API_VERSION}; install matching versions of the "
                           f"backend and plugtensor")


def _missing_message(device_type: str, specs: dict) -> str:
    installed = ", ".join(f"'{t}' (plugin {', '.join(s.plugin for s in c)})" for t, c in sorted(specs.items()))
    msg = f"No backend serves device type '{device_type}'. Installed backends: {installed or 'none'}."
    broken = [f for f in _failures if f["phase"] == "import" or f.get("device_type") == device_type]
    if broken:
        msg += " Plugins that failed to load: " + "; ".join(
            f"{f['name']} ({f['distribution'] or '?'} {f['version'] or ''}): {f['error']}" for f in broken)
        msg += ". Run `python -m plugtensor info` for details."
    for f in _failures:
        if f["phase"] == "plugtensor_register_backends":
            # The hook failed, so which device types the plugin serves is unknown: it may be this one.
            msg += (f" Plugin {f['name']} ({f['distribution'] or '?'} {f['version'] or '?'}) failed in "
                    f"plugtensor_register_backends ({f['error']}), so none of its device types were registered; if "
                    f"it serves '{device_type}', run `python -m plugtensor info` for the traceback and reinstall or "
                    f"upgrade it (`pip install --force-reinstall {f['distribution'] or f['name']}`), or report the "
                    f"error to its authors.")
    if _disabled:
        msg += f" PLUGTENSOR_DISABLE_PLUGINS skipped: {', '.join(sorted(_disabled))}."
    if _autoload_off():
        msg += (" PLUGTENSOR_PLUGIN_AUTOLOAD=0 is set, so no entry points were loaded (register plugins by hand "
                "with plugtensor.register_plugin).")
    return msg + _install_hint(device_type)


def load_failures() -> list[dict]:
    """Every plugin failure recorded so far: dicts with name, distribution, version, phase, error, traceback."""
    return list(_failures)


def backends() -> list[dict]:
    """One row per device type: the plugin serving it, its distribution and version, and its load status.

    Backends are not loaded by this call, so a broken one shows as 'not loaded' until it is used."""
    rows = []
    for device_type, candidates in sorted(_backend_specs().items()):
        spec = _served.get(device_type, candidates[0])
        dname, dver = _version_of(spec.plugin)
        b = _backends.get(device_type)
        status = ("failed" if device_type in _load_errors else "loaded" if b is not None else "not loaded")
        failed = [s.plugin for s in candidates if s is not spec and _failed_at_load(s.plugin, device_type)]
        rows.append({"device_type": device_type, "plugin": spec.plugin, "backend": spec.name,
                     "distribution": spec.distribution or dname, "version": dver,
                     "backend_version": getattr(b, "version", None), "status": status, "failed_plugins": failed})
    return rows


def _failed_at_load(plugin_name: str, device_type: str) -> bool:
    return any(f["name"] == plugin_name and f["phase"] == "load" and f["device_type"] == device_type
               for f in _failures)


class DeviceContext:
    """Everything a tensor on one device needs on the hot path: backend, kernel table, dtypes."""

    __slots__ = ("device", "backend", "K", "F", "AT", "index", "dtypes", "type", "elide")

    def __init__(self, dev: _device_cls, backend) -> None:
        self.device, self.backend, self.index, self.type = dev, backend, dev.index, dev.type
        self.K = backend._kernel_table
        self.dtypes = frozenset(backend.device_dtypes(dev.index))
        self.F: dict = {}
        self.refresh()
        self.AT = backend.array_type
        # Results may be written into temporaries only where the backend can tell sole ownership:
        # ask it about an array nothing else holds.
        self.elide = _claims_ownership(backend, dev.index)

    def refresh(self) -> None:
        """Rebuild F after the kernel table changed (a plugin registered later)."""
        # F: K with raw kernels where the backend offers them; their results may be a non-array
        # scalar for 0-d inputs (class is not AT), which backend.as_array turns into an array.
        fresh = dict(self.K)
        for fast, base in _FAST_BASE.items():
            if base in self.K:
                fresh[fast] = self.K[base]
        fresh.update(getattr(self.backend, "_fast_table", {}))
        _replace_items(self.F, fresh)

    def __repr__(self) -> str:
        return f"DeviceContext({self.device!s}, backend={self.backend.name})"


def get_context(dev) -> DeviceContext:
    """Resolve a device (string, device or None for cpu) to its context; cached."""
    try:
        ctx = _contexts.get(dev)
    except TypeError:  # unhashable (a list): device() below raises PyTorch's TypeError for it
        ctx = None
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
    for device_type, candidates in sorted(_backend_specs().items()):
        spec = candidates[0]
        try:
            b = get_backend(device_type)
        except RuntimeError:
            f = next((f for f in reversed(_failures) if f.get("device_type") == device_type), None)
            rows.append({"device": device_type, "backend": spec.name, "version": _version_of(spec.plugin)[1] or "?",
                         "name": "-", "dtypes": "", "status": f"failed: {f['error'] if f else 'see load_failures()'}"})
            continue
        try:
            n = b.device_count()
            found = []
            for i in range(n):
                props = b.device_properties(i)
                found.append({"device": device_type if device_type == "cpu" else f"{device_type}:{i}",
                              "backend": b.name, "version": b.version, "name": b.device_name(i),
                              "dtypes": ",".join(d.name for d in b.device_dtypes(i)), "status": "ok", **props})
        except Exception as exc:  # noqa: BLE001 - a backend that fails to describe its devices: show why
            rows.append({"device": device_type, "backend": b.name, "version": getattr(b, "version", "?"), "name": "-",
                         "dtypes": "", "status": f"failed: {type(exc).__name__}: {exc}"})
            continue
        if n == 0:
            rows.append({"device": device_type, "backend": b.name, "version": b.version, "name": "-", "dtypes": "",
                         "status": "unavailable: " + getattr(b, "unavailable_reason", "no device")})
        rows.extend(found)
    failures = []
    for f in load_failures():
        served = _served.get(f["device_type"])
        failures.append(dict(f, served_by=served.plugin) if served is not None and f["phase"] == "load"
                        and served.plugin != f["name"] else f)
    return DeviceTable(rows, failures)


def _failure_where(f: dict) -> str:
    """" (device type 'cpu', served by plugin numpy instead)" for a failure tied to a device type."""
    if not f.get("device_type"):
        return ""
    instead = f", served by plugin {f['served_by']} instead" if f.get("served_by") else ""
    return f" (device type '{f['device_type']}'{instead})"


class DeviceTable(list):
    """A list of dict rows that prints as a table."""

    def __init__(self, rows, failures) -> None:
        super().__init__(rows)
        self.failures = failures

    def format(self, failures: bool = True) -> str:
        """The rows as an aligned text table, followed by one line per plugin failure."""
        cols = ["device", "backend", "version", "name", "dtypes", "status"]
        table = [cols] + [[str(r.get(c, "")) for c in cols] for r in self]
        widths = [max(len(row[i]) for row in table) for i in range(len(cols))]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in table]
        lines.insert(1, "  ".join("-" * w for w in widths))
        if not self:
            lines.append("(no backends installed: pip install plugtensor-numpy)")
        for f in self.failures if failures else ():
            lines.append(f"plugin {f['name']} ({f['distribution'] or '?'} {f['version'] or '?'}) failed at "
                         f"{f['phase']}{_failure_where(f)}: {f['error']}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.format()

    __str__ = __repr__
