"""Kernel results: during the suite's run every kernel of the backend under test is checked for the
shape and dtype of its result (plugtensor.backend.set_kernel_checks, turned on by the suite's pytest
plugin), so a kernel returning the right values in the wrong dtype fails whatever test calls it.
Here: checking is really on for the device's tables, one call of every primitive passes it with
NumPy float64's values, and a plugin kernel returning the wrong shape or dtype is caught by name."""
from __future__ import annotations

import numpy as np
import pytest

import plugtensor as pt
from plugtensor.backend import hookimpl, kernel_checks
from plugtensor.backend._checks import SPECS

from ._harness import assert_close, host

AREA = "kernel results"


def test_checks_are_on_for_every_kernel_of_the_device(device):
    assert kernel_checks(), "the conformance run must turn kernel checks on"
    ctx = pt.zeros(1, device=device)._ctx
    unchecked = sorted(n for table in (ctx.K, ctx.F) for n, f in table.items()
                       if n in SPECS and getattr(f, "_plugtensor_checked", None) is None)
    assert not unchecked, f"kernels not checked on {device}: {unchecked}"


def _np(x):
    return np.asarray(host(x), dtype=np.float64)


def test_every_primitive_passes_its_result_check(device, target):
    """One call of each primitive the core uses on float32 (or the widest float the device has);
    a kernel whose result breaks its rule raises RuntimeError here."""
    dt = "float32" if "float32" in target.dtypes else next(d for d in target.dtypes if "float" in d)
    rng = np.random.default_rng(5)
    a_np = np.round(rng.uniform(-4, 4, (3, 4)), 1)
    b_np = np.round(rng.uniform(0.5, 4, (3, 4)), 1)
    a, b = pt.tensor(a_np, dtype=getattr(pt, dt), device=device), pt.tensor(b_np, dtype=getattr(pt, dt), device=device)
    idx_np = np.array([[0, 2, 1, 0], [2, 2, 0, 1]])
    idx = pt.tensor(idx_np, device=device)
    checks = [
        ("neg", -a, -a_np), ("exp", a.exp(), np.exp(a_np)), ("abs", a.abs(), np.abs(a_np)),
        ("isnan", a.isnan(), np.isnan(a_np)), ("add", a + b, a_np + b_np), ("mul scalar", a * 0.5, a_np * 0.5),
        ("broadcast sub", a - b[0], a_np - b_np[0]), ("div", a / b, a_np / b_np), ("lt", a < b, a_np < b_np),
        ("maximum", pt.maximum(a, b), np.maximum(a_np, b_np)), ("sum", a.sum(), a_np.sum()),
        ("sum dim keepdim", a.sum(1, keepdim=True), a_np.sum(1, keepdims=True)),
        ("prod", b.prod(0), b_np.prod(0)), ("amax", a.amax(1), a_np.max(1)), ("any", (a > 0).any(1), (a_np > 0).any(1)),
        ("argmax", a.argmax(1), a_np.argmax(1)), ("argmin all", a.argmin(), a_np.argmin()),
        ("cumsum", a.cumsum(1), np.cumsum(a_np, 1)), ("cumprod", b.cumprod(0), np.cumprod(b_np, 0)),
        ("where", pt.where(a > 0, a, b), np.where(a_np > 0, a_np, b_np)),
        ("matmul 2-D", a @ b.T, a_np @ b_np.T), ("matmul 1-D", a[0] @ b[0], a_np[0] @ b_np[0]),
        ("matmul batched", a.reshape(3, 2, 2) @ b.reshape(3, 2, 2), a_np.reshape(3, 2, 2) @ b_np.reshape(3, 2, 2)),
        ("matmul vector", a @ b[0], a_np @ b_np[0]), ("astype", a.to(pt.int64), a_np.astype(np.int64)),
        ("cat", pt.cat([a, b], 0), np.concatenate([a_np, b_np], 0)),
        ("gather", a.gather(0, idx), np.take_along_axis(a_np, idx_np, 0)),
        ("index", a[idx[0, :2]], a_np[idx_np[0, :2]]), ("index mask", a[a > 0], a_np[a_np > 0]),
        ("index mixed", a[1:, idx[0, :2]], a_np[1:, idx_np[0, :2]]),
        ("nonzero", (a > 0).nonzero(), np.argwhere(a_np > 0)), ("flip", a.flip(1), a_np[:, ::-1]),
        ("sort values", a.sort(1)[0], np.sort(a_np, 1)), ("contiguous", a.t().contiguous(), a_np.T),
        ("clone", a.clone(), a_np), ("softmax", a.softmax(1), np.exp(a_np) / np.exp(a_np).sum(1, keepdims=True)),
        ("relu", a.relu(), np.maximum(a_np, 0)),
    ]
    z = pt.zeros(3, 4, dtype=getattr(pt, dt), device=device)
    z.scatter_add_(0, idx.remainder(3)[:1].expand(3, 4).contiguous(), a)
    zn = np.zeros((3, 4))
    np.add.at(zn, (np.broadcast_to(idx_np[:1] % 3, (3, 4)), np.arange(4)), a_np)
    checks.append(("scatter_add", z, zn))
    c = a.clone()
    c[idx[0, :2]] = 1.0
    cn = a_np.copy()
    cn[idx_np[0, :2]] = 1.0
    checks.append(("index_put", c, cn))
    d = pt.empty(3, 4, dtype=getattr(pt, dt), device=device)
    d.copy_(b)
    checks.append(("copy_", d, b_np))
    for what, got, want in checks:
        kind = "int64" if got.dtype in (pt.int64, pt.bool) else dt
        assert_close(_np(got), np.asarray(want, np.float64), kind, (1e-5, 1e-5), what=what)


class _WrongKernels:
    """For the device under test: ``neg`` returns a 0-d result, ``abs`` the input's dtype's
    neighbour (the values are right)."""

    def __init__(self, device_type: str, other) -> None:
        self.device_type, self.other = device_type, other

    @hookimpl
    def plugtensor_register_kernels(self, device_type, backend):
        if device_type != self.device_type:
            return None
        own, other = backend.kernels(), self.other
        return {"neg": lambda a, out=None: own["sum"](a, None, False),
                "abs": lambda a, out=None: own["astype"](own["abs"](a), other)}


def test_plugin_kernel_with_wrong_result_is_caught(device, target):
    floats = [d for d in target.dtypes if "float" in d]
    if not floats:
        pytest.skip("the device has no float dtype")
    other = next((d for d in target.dtypes if d != floats[0] and d != "bool"), None)
    t = pt.tensor([[1.5, -2.0, 3.0], [0.5, 0.25, -1.0]], dtype=getattr(pt, floats[0]), device=device)
    pt.register_plugin(_WrongKernels(target.type, getattr(pt, other)), name="conformance-wrong-kernels")
    try:
        with pytest.raises(RuntimeError, match=r"kernel 'neg' from plugin 'conformance-wrong-kernels' returned "
                                               r"shape \[\] .* expected shape \[2, 3\]"):
            -t
        with pytest.raises(RuntimeError, match=rf"kernel 'abs' from plugin 'conformance-wrong-kernels' returned "
                                               rf"shape \[2, 3\] and dtype {other}, expected shape \[2, 3\] and "
                                               rf"dtype {floats[0]}"):
            t.abs()
    finally:
        from plugtensor._plugins import unregister_plugin
        unregister_plugin("conformance-wrong-kernels")
    assert_close(_np(t.abs()), np.abs(_np(t)), floats[0], what="abs after the plugin is gone")
