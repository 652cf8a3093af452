"""Pluggable "frameworks" (columns) for the benchmark.

A Framework wraps one tensor module on one device and knows how to turn a
NumPy array into one of its tensors, how to get a NumPy array back, and how to
wait for queued work (for asynchronous devices such as OpenCL).  Benchmark
cases are written once against ``fw.M`` (the module: ``plugtensor``,
``numpy`` or ``torch``) so the same statement text is timed everywhere.

To add a column (e.g. a new plugtensor device) nothing here needs to change:
``make_frameworks`` creates one ``TensorFramework(role="pt")`` per requested
device and silently skips (with a note) the devices that are not available.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Framework:
    role = "?"              # "pt", "numpy" or "torch"
    device = "cpu"
    supports_grad = False

    @property
    def key(self) -> str:
        return f"{self.role}:{self.device}"

    def sync(self) -> None:  # pragma: no cover - overridden where useful
        pass

    def no_grad(self):
        return contextlib.nullcontext()


class NumpyFramework(Framework):
    role = "numpy"
    supports_grad = False

    def __init__(self):
        self.M = np
        self.name = "numpy"
        self.version = np.__version__

    def tensor(self, arr, requires_grad=False):
        # Always copy: cases mutate inputs (out=, SGD updates) and the other
        # frameworks get their own copies of the same values.
        return np.array(arr, copy=True)

    def to_numpy(self, t):
        return np.asarray(t)


class TensorFramework(Framework):
    """torch or plugtensor (anything with the PyTorch API)."""

    supports_grad = True

    def __init__(self, module, role, device="cpu"):
        self.M = module
        self.role = role
        self.device = device
        self.name = getattr(module, "__name__", str(module))
        self.version = getattr(module, "__version__", "?")
        self._sync = self._find_sync()

    def _find_sync(self):
        if self.device == "cpu":
            return None
        sub = getattr(self.M, self.device.split(":")[0], None)
        fn = getattr(sub, "synchronize", None)
        if fn is None:
            fn = getattr(self.M, "synchronize", None)
        return fn if fn is not None else self._backend_sync()

    def _backend_sync(self):
        """plugtensor has no public ``synchronize()``: wait through the device's backend
        (``Backend.synchronize(index)``), reached from a tiny tensor's device context."""
        try:
            ctx = self.M.zeros(1, device=self.device)._ctx
            backend, index = ctx.backend, ctx.index
        except Exception:  # noqa: BLE001 - not plugtensor, or the device is unavailable
            return None
        return lambda *_: backend.synchronize(index)

    def device_context(self):
        """plugtensor's context of this device (backend, runtime), or None."""
        try:
            return self.M.zeros(1, device=self.device)._ctx
        except Exception:  # noqa: BLE001
            return None

    @property
    def async_unsynced(self) -> bool:
        return self.device != "cpu" and self._sync is None

    def sync(self):
        if self._sync is not None:
            try:
                self._sync(self.device)
            except TypeError:
                self._sync()

    def tensor(self, arr, requires_grad=False):
        t = self.M.from_numpy(np.array(arr, copy=True))
        if self.device != "cpu":
            t = t.to(self.device)
        if requires_grad:
            t.requires_grad_(True)
        return t

    def to_numpy(self, t):
        if isinstance(t, (int, float, np.ndarray, np.generic)):
            return np.asarray(t)
        if getattr(t, "requires_grad", False):
            t = t.detach()
        if self.device != "cpu":
            t = t.cpu()
        return np.asarray(t.numpy())

    def no_grad(self):
        return self.M.no_grad()

    def check_available(self):
        """Raise if this device cannot hold a tensor and add two of them."""
        a = self.tensor(np.arange(4, dtype=np.float32))
        r = self.to_numpy(a + a)
        if not np.array_equal(r, np.arange(4, dtype=np.float32) * 2):
            raise RuntimeError(f"{self.name} on {self.device}: wrong result for a+a")


def import_pt(module_name: str):
    """Import the module that plays plugtensor (default ``plugtensor``).

    Falls back to the in-repo source tree (core/) if it is not installed.
    """
    try:
        return importlib.import_module(module_name)
    except ImportError:
        if module_name != "plugtensor":
            raise
        for sub in ("core", os.path.join("backends", "numpy_backend")):
            p = os.path.join(REPO, sub)
            if os.path.isdir(p) and p not in sys.path:
                sys.path.insert(0, p)
        return importlib.import_module(module_name)


def available_devices(pt_mod) -> list:
    """Every device type the module reports as usable (``pt.devices()`` rows with status ok),
    cpu first; just ``["cpu"]`` for a module without ``devices()`` (torch)."""
    fn = getattr(pt_mod, "devices", None)
    types = []
    if fn is not None:
        for row in fn():
            if row.get("status") != "ok":
                continue
            t = str(row.get("device", "")).split(":")[0]
            if t and t not in types:
                types.append(t)
    return sorted(types, key=lambda t: t != "cpu") or ["cpu"]


def make_frameworks(pt_module_name: str, devices, notes: list):
    """Return (pt_frameworks, numpy_fw, torch_fw).

    ``devices=None`` means every available device type (see ``available_devices``).
    Unavailable plugtensor devices are skipped with a line in ``notes``.
    Raises if the pt module cannot be imported or no device works.
    """
    import torch

    pt_mod = import_pt(pt_module_name)
    if devices is None:
        devices = available_devices(pt_mod)
        notes.append(f"devices: {','.join(devices)} (every available device type; "
                     f"choose with --devices)")
    pts = []
    for dev in devices:
        fw = TensorFramework(pt_mod, "pt", dev)
        try:
            fw.check_available()
        except Exception as e:  # noqa: BLE001 - report anything
            notes.append(f"skipping plugtensor device {dev!r}: {type(e).__name__}: {e}")
            continue
        if fw.async_unsynced:
            notes.append(f"warning: no {pt_module_name}.{dev}.synchronize(); "
                         f"{dev} timings may miss queued work")
        pts.append(fw)
    if not pts:
        raise RuntimeError("no requested plugtensor device is available")
    return pts, NumpyFramework(), TensorFramework(torch, "torch", "cpu")
