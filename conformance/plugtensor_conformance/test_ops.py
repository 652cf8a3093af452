"""Every op of the op table, for every dtype the device declares: forward values against the NumPy
reference, the method / alias / in-place / ``out=`` variants against the function, gradients against
finite differences (and the reference derivative), and second derivatives where the row asks."""
from __future__ import annotations

import numpy as np
import pytest

import plugtensor as pt

from ._creation import NotApplicable
from ._harness import (FLOAT_DTYPES, assert_close, can_cast, cast_values, expected_as, fd_dtype, host,
                       is_float, layout_tensor, pt_dtype, quiet, to_ref)
from ._opinfo import Arg, OpInfo, Sample, rng_for
from .optable import OPS
from .plugin import dtype_params, target_from_config

AREA = "ops"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "op" not in metafunc.fixturenames:
        return
    cfg = metafunc.config
    t = target_from_config(cfg)
    name = metafunc.function.__name__
    cases = []
    for op in OPS:
        dts = dtype_params(cfg, op.dtypes - set(op.skip))
        if name == "test_variants" and op.custom is not None:
            continue
        if name == "test_grad":
            if not op.grad:
                continue
            dts = [d for d in dts if d in FLOAT_DTYPES]
            if t is not None and t.quick:
                dts = [d for d in dts if d == "float32"]
        if name == "test_gradgrad":
            if not op.gradgrad or (t is not None and t.quick):
                continue
            fd = fd_dtype(t.dtypes) if t is not None else "float64"
            dts = [d for d in dts if d == fd]
        cases += [pytest.param(op, d, id=f"{op.name}-{d}") for d in dts]
    metafunc.parametrize(("op", "dtype"), cases)


# -- building calls ---------------------------------------------------------------------------------------
class Call:
    """One sample made concrete for a dtype and device: tensor args, reference args, grad leaves."""

    def __init__(self, sample: Sample, dtype: str, device: str, requires_grad: bool = False,
                 fd: str | None = None) -> None:
        self.sample, self.dtype, self.device = sample, dtype, device
        self.leaves: list[tuple[Arg, pt.Tensor]] = []
        self._t: dict[int, pt.Tensor] = {}
        self._r: dict[int, np.ndarray] = {}
        self._rg, self._fd = requires_grad, fd
        self.args = self._conv(sample.args)
        self.kwargs = {k: self._conv(v) for k, v in sample.kwargs.items()}
        self.ref_args = self._ref(sample.args)
        self.ref_kwargs = {k: self._ref(v) for k, v in sample.kwargs.items()}

    def values(self, a: Arg) -> np.ndarray:
        dt = a.final_dtype(self.dtype)
        return cast_values(a.values(dt), dt)

    def _conv(self, a):
        if isinstance(a, Arg):
            if id(a) not in self._t:
                vals = self.values(a)
                rg = self._rg and a.grad and a.dtype is None and is_float(self.dtype)
                if self._fd is not None and a.dtype is None:
                    vals = vals.astype(self._fd)  # finite differences: same values, computed in fd dtype
                t = layout_tensor(vals, a.layout if self._fd is None else "contiguous", self.device, rg)
                self._t[id(a)] = t
                if rg:
                    self.leaves.append((a, t))
            return self._t[id(a)]
        if isinstance(a, (list, tuple)):
            return type(a)(self._conv(x) for x in a)
        return a

    def _ref(self, a):
        if isinstance(a, Arg):
            if id(a) not in self._r:
                self._r[id(a)] = to_ref(self.values(a))
            return self._r[id(a)]
        if isinstance(a, (list, tuple)):
            return type(a)(self._ref(x) for x in a)
        return a


def function_of(op: OpInfo):
    """The callable under test: ``op.func``, ``plugtensor.<name>``, or the method for ``Tensor.<m>`` rows."""
    if op.func is not None:
        return op.func
    if op.name.startswith("Tensor."):
        m = op.name.split(".", 1)[1]
        return lambda self, *a, **k: getattr(self, m)(*a, **k)
    obj = pt
    for part in op.name.split("."):
        obj = getattr(obj, part)
    return obj


def outputs(r) -> list:
    if isinstance(r, (tuple, list)):
        return list(r)
    return [r]


def result_dtypes(op: OpInfo, sample: Sample, dtype: str, n: int) -> list[str]:
    rule = (sample.result or op.result)(dtype)
    return [rule] * n if isinstance(rule, str) else list(rule)[:n]


def check_outputs(op: OpInfo, sample: Sample, dtype: str, device: str, got, ref) -> None:
    """Outputs of one call against the reference: count, type, dtype, device, shape and values."""
    gots, refs = outputs(got), outputs(ref)
    where = f"{op.name} [{sample.desc or 'sample'}]"
    assert len(gots) == len(refs), f"{where}: {len(gots)} outputs, expected {len(refs)}"
    for i, (g, r, dt) in enumerate(zip(gots, refs, result_dtypes(op, sample, dtype, len(refs)))):
        w = where if len(refs) == 1 else f"{where} output {i}"
        if isinstance(r, bool):  # allclose, equal: a Python bool
            assert isinstance(g, bool), f"{w}: expected a Python bool, got {type(g).__name__}"
            assert g == r, f"{w}: got {g}, expected {r}"
            continue
        assert isinstance(g, pt.Tensor), f"{w}: expected a Tensor, got {type(g).__name__}"
        assert g.dtype == pt_dtype(dt), f"{w}: dtype {g.dtype}, expected plugtensor.{dt}"
        assert g.device == pt.device(device), f"{w}: device {g.device}, expected {device}"
        h = host(g)
        assert h.dtype == np.dtype(dt), f"{w}: the backend array holds {h.dtype} for a {dt} tensor"
        assert_close(h, expected_as(r, dt), dt, op.tol.get(dt), what=w)


def samples_of(op: OpInfo, dtype: str | None = None) -> list[Sample]:
    """The op's samples that apply to ``dtype``."""
    return [s for s in op.samples(rng_for(op.name)) if dtype is None or s.only is None or dtype in s.only]


# -- forward --------------------------------------------------------------------------------------------------
def test_forward(op: OpInfo, dtype: str, device: str) -> None:
    if op.custom is not None:
        try:
            op.custom(device, dtype)
        except NotApplicable as exc:
            pytest.skip(f"n/a: {exc}")
        return
    fn = function_of(op)
    for s in samples_of(op, dtype):
        c = Call(s, dtype, device)
        with quiet():
            ref = op.ref(*c.ref_args, **c.ref_kwargs)
        check_outputs(op, s, dtype, device, fn(*c.args, **c.kwargs), ref)


# -- method, aliases, in-place, out= -----------------------------------------------------------------------
def _same(a, b, what: str) -> None:
    """Two results of the same op (e.g. function and method) are identical: dtype, shape, values."""
    for x, y in zip(outputs(a), outputs(b)):
        if not isinstance(x, pt.Tensor):
            assert x == y, f"{what}: {x!r} != {y!r}"
            continue
        assert isinstance(y, pt.Tensor) and x.dtype == y.dtype, f"{what}: dtype {getattr(y, 'dtype', y)}, " \
                                                                 f"expected {x.dtype}"
        hx, hy = host(x), host(y)
        assert hx.shape == hy.shape and np.array_equal(hx, hy, equal_nan=hx.dtype.kind == "f"), \
            f"{what}: values differ\n{hy}\nexpected\n{hx}"


def _method_call(op: OpInfo, c: Call):
    if callable(op.method):
        return op.method(*c.args, **c.kwargs)
    return getattr(c.args[0], op.method_name)(*c.args[1:], **c.kwargs)


def test_variants(op: OpInfo, dtype: str, device: str) -> None:
    fn = function_of(op)
    checked = 0
    for s in samples_of(op, dtype):
        c = Call(s, dtype, device)
        first = s.args[0] if s.args else None
        want = fn(*c.args, **c.kwargs)
        if op.method is not None and s.method and isinstance(first, Arg) and not op.name.startswith("Tensor."):
            _same(want, _method_call(op, Call(s, dtype, device)), f"{op.name}: method form [{s.desc}]")
        for alias in op.aliases:
            _same(want, getattr(pt, alias)(*Call(s, dtype, device).args, **c.kwargs),
                  f"plugtensor.{alias} (alias of {op.name}) [{s.desc}]")
        if op.out and isinstance(want, pt.Tensor):
            _check_out(fn, s, dtype, device, want, op.name)
        if op.inplace and isinstance(first, Arg) and first.dtype is None and isinstance(want, pt.Tensor):
            _check_inplace(op, s, dtype, device, want)
        checked += 1
    assert checked, f"{op.name}: no samples"


def _check_out(fn, s: Sample, dtype: str, device: str, want: pt.Tensor, name: str) -> None:
    c = Call(s, dtype, device)
    out = pt.full(tuple(want.shape), 7, dtype=want.dtype, device=device) if want.dtype != pt.bool else \
        pt.zeros(tuple(want.shape), dtype=pt.bool, device=device)
    r = fn(*c.args, **c.kwargs, out=out)
    assert r is out, f"{name}(out=...) [{s.desc}] must return the out tensor"
    _same(want, out, f"{name}(out=...) [{s.desc}]")
    empty = pt.empty(0, dtype=want.dtype, device=device)
    fn(*Call(s, dtype, device).args, **c.kwargs, out=empty)
    _same(want, empty, f"{name}(out=<empty tensor>) [{s.desc}] (resized to the result)")


def _check_inplace(op: OpInfo, s: Sample, dtype: str, device: str, want: pt.Tensor) -> None:
    forms = [("method", lambda c: getattr(c.args[0], op.method_name + "_")(*c.args[1:], **c.kwargs))]
    if hasattr(pt, op.name + "_"):
        forms.append(("function", lambda c: getattr(pt, op.name + "_")(*c.args, **c.kwargs)))
    for form, call in forms:
        c = Call(s, dtype, device)
        x = c.args[0]
        what = f"{op.name}_ ({form}) [{s.desc}]"
        # PyTorch refuses to write a result it cannot cast to self's dtype, of another shape, or into
        # an expanded view (several elements share one memory location).
        if not can_cast(want.dtype.name, dtype) or tuple(want.shape) != tuple(x.shape) or \
                s.args[0].layout == "expanded":
            with pytest.raises(RuntimeError):
                call(c)
            continue
        v0 = x._version
        r = call(c)
        assert r is x, f"{what}: must return self"
        assert x._version > v0, f"{what}: the version counter must increase"
        assert x.dtype == pt_dtype(dtype), f"{what}: dtype changed to {x.dtype}"
        assert_close(host(x), expected_as(host(want), dtype), dtype, op.tol.get(dtype), what=what)


# -- gradients -------------------------------------------------------------------------------------------------
_GRAD_TOL = {"float64": (1e-5, 1e-6), "float32": (2e-3, 2e-4), "float16": (1e-2, 5e-3)}
_FD_TOL = {"float64": (1e-5, 1e-6), "float32": (2e-2, 2e-2)}  # by the dtype finite differences run in
_FD_STEP = {"float64": 1e-6, "float32": 1e-3}
_KINK = 0.05  # forward and backward differences disagreeing by more (relatively) mark a non-smooth point


def central_difference(f, x0: np.ndarray, step: float) -> np.ndarray:
    """d f / d x by central differences, element by element; nan where ``f`` is not smooth within the
    step (a kink or jump between the samples: the one-sided differences disagree), as such points
    have no well-defined derivative to compare with."""
    f0 = f(x0)
    g = np.zeros(x0.shape)
    for k in np.ndindex(*x0.shape):
        h = step * max(1.0, abs(x0[k]))
        x = x0.copy()
        x[k] = x0[k] + h
        up = f(x)
        x[k] = x0[k] - h
        down = f(x)
        fwd, bwd = (up - f0) / h, (f0 - down) / h
        g[k] = (up - down) / (2 * h) if abs(fwd - bwd) <= _KINK * (1 + abs(fwd) + abs(bwd)) else np.nan
    return g


def assert_close_where_defined(got: np.ndarray, want: np.ndarray, tol, what: str) -> None:
    """assert_close, skipping elements where ``want`` is nan (no derivative there)."""
    defined = ~np.isnan(want)
    assert defined.size == 0 or defined.mean() >= 0.5, f"{what}: the function is not smooth at most sample " \
                                                        f"points; the sample needs other values"
    assert_close(np.where(defined, got, 0.0), np.where(defined, want, 0.0), "float64", tol, what=what)


def _grad_samples(op: OpInfo, dtype: str, limit: int | None = None) -> list[Sample]:
    out = [s for s in samples_of(op, dtype) if s.grad]
    return out[:limit] if limit else out


def _cotangents(outs: list, seed: int) -> list:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(tuple(o.shape)) if _differentiable(o) else None for o in outs]


def _differentiable(o) -> bool:
    return isinstance(o, pt.Tensor) and o.dtype.is_floating_point and o.requires_grad


def _loss(outs: list, vs: list, dtype: str, device: str):
    """sum_i <out_i, v_i> as a device scalar (for backward)."""
    total = None
    for o, v in zip(outs, vs):
        if v is None:
            continue
        term = (o * pt.tensor(v.astype(dtype), device=device)).sum()
        total = term if total is None else total + term
    return total


def _host_loss(outs: list, vs: list) -> float:
    return float(sum(np.sum(host(o).astype(np.float64) * v) for o, v in zip(outs, vs) if v is not None))


def _fd_gradient(op: OpInfo, s: Sample, dtype: str, device: str, fd: str, vs: list) -> list[np.ndarray]:
    """Central differences of sum_i <out_i, v_i> with respect to each differentiable argument, in ``fd``."""
    fn = function_of(op)
    base = Call(s, dtype, device, requires_grad=True)
    grads = []
    with pt.no_grad():
        for arg, _ in base.leaves:
            def loss(x, arg=arg):
                c = Call(_replace(s, arg, Arg(x, dtype=fd)), dtype, device, fd=fd)
                return _host_loss(outputs(fn(*c.args, **c.kwargs)), vs)
            grads.append(central_difference(loss, base.values(arg).astype(np.float64), _FD_STEP[fd]))
    return grads


def _replace(s: Sample, old: Arg, new: Arg) -> Sample:
    def rep(a):
        if a is old:
            return new
        if isinstance(a, (list, tuple)):
            return type(a)(rep(x) for x in a)
        return a
    return Sample(rep(s.args), {k: rep(v) for k, v in s.kwargs.items()}, s.desc, s.result, s.grad, s.method)


def test_grad(op: OpInfo, dtype: str, device: str, target) -> None:
    fn = function_of(op)
    fd = fd_dtype(target.dtypes)
    samples = _grad_samples(op, dtype, 2 if target.quick else None)
    assert samples, f"{op.name}: no gradient samples"
    for i, s in enumerate(samples):
        c = Call(s, dtype, device, requires_grad=True)
        if not c.leaves:
            continue
        outs = outputs(fn(*c.args, **c.kwargs))
        vs = _cotangents(outs, i)
        assert any(v is not None for v in vs), f"{op.name} [{s.desc}]: no output requires grad"
        _loss(outs, vs, dtype, device).backward()
        fd_grads = _fd_gradient(op, s, dtype, device, fd, vs)
        rtol, atol = _GRAD_TOL[dtype]
        frtol, fatol = _FD_TOL[fd]
        tol = (max(rtol, frtol), max(atol, fatol))
        for (arg, leaf), want in zip(c.leaves, fd_grads):
            what = f"{op.name} [{s.desc}] gradient"
            assert leaf.grad is not None, f"{what}: .grad is None after backward"
            assert leaf.grad.dtype == leaf.dtype, f"{what}: dtype {leaf.grad.dtype}, expected {leaf.dtype}"
            assert tuple(leaf.grad.shape) == tuple(leaf.shape), f"{what}: shape {list(leaf.grad.shape)}"
            assert_close_where_defined(host(leaf.grad).astype(np.float64), want, tol, what + " vs finite differences")
            if op.dref is not None:
                x = c.values(arg).astype(np.float64)
                with quiet():
                    ref = vs[0] * op.dref(x)
                assert_close(host(leaf.grad).astype(np.float64), ref, "float64", (rtol, atol),
                             what=what + " vs the reference derivative")


def test_gradgrad(op: OpInfo, dtype: str, device: str) -> None:
    """Hessian-vector products through ``create_graph=True`` against differences of gradients."""
    fn = function_of(op)
    for i, s in enumerate(_grad_samples(op, dtype, 2)):
        c = Call(s, dtype, device, requires_grad=True)
        if not c.leaves:
            continue
        leaves = [t for _, t in c.leaves]
        outs = outputs(fn(*c.args, **c.kwargs))
        vs = _cotangents(outs, i)
        grads = pt.autograd.grad(_loss(outs, vs, dtype, device), leaves, create_graph=True)
        ws = [np.random.default_rng(100 + j).standard_normal(tuple(t.shape)) for j, t in enumerate(leaves)]
        m = _loss(list(grads), ws, dtype, device) if any(g.requires_grad for g in grads) else None
        hv = pt.autograd.grad(m, leaves, allow_unused=True) if m is not None else [None] * len(leaves)
        for j, (arg, leaf) in enumerate(c.leaves):
            def grad_dot_w(x, arg=arg):
                cp = Call(_replace(s, arg, Arg(x)), dtype, device, requires_grad=True)
                o = outputs(fn(*cp.args, **cp.kwargs))
                g = pt.autograd.grad(_loss(o, vs, dtype, device), [t for _, t in cp.leaves], allow_unused=True)
                return sum(float(np.sum(host(gi) * w)) for gi, w in zip(g, ws) if gi is not None)
            x0 = c.values(arg).astype(np.float64)
            want = central_difference(grad_dot_w, x0, _FD_STEP[dtype])
            got = np.zeros(x0.shape) if hv[j] is None else host(hv[j]).astype(np.float64)
            assert_close_where_defined(got, want, (1e-4, 1e-5) if dtype == "float64" else (3e-2, 3e-2),
                                       f"{op.name} [{s.desc}] second derivative (create_graph) vs finite differences")
