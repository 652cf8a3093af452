"""Per-op tests of plugtensor's reductions, scans, softmax and sorting on the cpu device.

Values are checked against NumPy in float64, result dtypes, node names and exception types against
PyTorch, and gradients against central finite differences (and torch where ties make the
convention matter).
"""
from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hypothesis import given, settings, strategies as st  # noqa: E402

import plugtensor as pt  # noqa: E402
from _helpers import (ALL_DTYPES, assert_close, dtype_name, grad_fn_name, gradcheck, layout, pt_tensor,  # noqa: E402
                      sample, same_exception, to_np, torch_grads, torch_tensor)

# Both libraries warn about var/std of too few elements; test_var_too_few_elements_warns checks ours.
pytestmark = pytest.mark.filterwarnings("ignore:.*degrees of freedom is <= 0:UserWarning")


def _axes(dim, ndim):
    if dim is None or dim == ():
        return tuple(range(ndim))
    return tuple(d % max(ndim, 1) for d in (dim if isinstance(dim, tuple) else (dim,)))


def _np_reduce(fn):
    def ref(x, dim, keepdim):
        axes = _axes(dim, x.ndim)
        return fn(x, axis=axes if x.ndim else None, keepdims=keepdim)
    return ref


def _lse(x, axis, keepdims):
    m = np.max(x, axis=axis, keepdims=True) if x.size else np.zeros([1] * x.ndim)
    m = np.where(np.isfinite(m), m, 0)
    r = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return r if keepdims else np.squeeze(r, axis=axis)


def _moment(kind, correction):
    def ref(x, axis, keepdims):
        n = np.prod([x.shape[a] for a in (axis if axis is not None else range(x.ndim))])
        mu = np.mean(x, axis=axis, keepdims=True)
        v = np.sum((x - mu) ** 2, axis=axis, keepdims=keepdims) / max(n - correction, 0)
        return np.sqrt(v) if kind == "std" else v
    return ref


def _pnorm(p):
    def ref(x, axis, keepdims):
        a = np.abs(x)
        if p == math.inf:
            return np.max(a, axis=axis, keepdims=keepdims)
        if p == -math.inf:
            return np.min(a, axis=axis, keepdims=keepdims)
        if p == 0:
            return np.sum(a != 0, axis=axis, keepdims=keepdims).astype(np.float64)
        return np.sum(a ** p, axis=axis, keepdims=keepdims) ** (1 / p)
    return ref


# name -> (plugtensor call, torch call, NumPy float64 reference); the calls take (module, x, dim, keepdim).
def _plain(name):
    def call(m, x, dim, keepdim):
        return getattr(m, name)(x) if dim is None else getattr(m, name)(x, dim, keepdim=keepdim)
    return call


def _with(name, **kw):
    def call(m, x, dim, keepdim):
        return getattr(m, name)(x, **kw) if dim is None else getattr(m, name)(x, dim=dim, keepdim=keepdim, **kw)
    return call


REDUCTIONS = {
    "sum": (_plain("sum"), _np_reduce(np.sum)),
    "mean": (_plain("mean"), _np_reduce(np.mean)),
    "prod": (_plain("prod"), _np_reduce(np.prod)),
    "amax": (_plain("amax"), _np_reduce(np.max)),
    "amin": (_plain("amin"), _np_reduce(np.min)),
    "all": (_plain("all"), _np_reduce(np.all)),
    "any": (_plain("any"), _np_reduce(np.any)),
    "logsumexp": (lambda m, x, dim, keepdim: m.logsumexp(x, tuple(range(x.ndim)) if dim is None else dim,
                                                         keepdim=keepdim), _np_reduce(_lse)),
    "var": (_plain("var"), _np_reduce(_moment("var", 1))),
    "std": (_plain("std"), _np_reduce(_moment("std", 1))),
    "var_c0": (_with("var", correction=0), _np_reduce(_moment("var", 0))),
    "std_c2": (_with("std", correction=2), _np_reduce(_moment("std", 2))),
    "var_unbiased_false": (lambda m, x, dim, keepdim: m.var(x, unbiased=False) if dim is None else
                           m.var(x, dim, unbiased=False, keepdim=keepdim), _np_reduce(_moment("var", 0))),
    "norm": (lambda m, x, dim, keepdim: m.norm(x) if dim is None else m.norm(x, dim=dim, keepdim=keepdim),
             _np_reduce(_pnorm(2))),
    "norm_fro": (lambda m, x, dim, keepdim: m.norm(x, "fro") if dim is None else
                 m.norm(x, "fro", dim=dim, keepdim=keepdim), _np_reduce(_pnorm(2))),
    **{f"norm_p{p}": (lambda m, x, dim, keepdim, p=p: m.norm(x, p) if dim is None else
                      m.norm(x, p, dim=dim, keepdim=keepdim), _np_reduce(_pnorm(p)))
       for p in (1, 3, 0, math.inf, -math.inf)},
}
DIMS = [None, 0, -1, (0, 2), (-1, 0), ()]


def _compare(got, want, ref_value) -> None:
    assert dtype_name(got.dtype) == dtype_name(want.dtype)
    assert tuple(got.shape) == tuple(want.shape)
    dt = dtype_name(got.dtype)
    if dt.startswith("float"):
        assert_close(got, ref_value, dt)
    else:
        assert_close(got, np.asarray(ref_value).astype(dt))


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", DIMS, ids=str)
@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("name", REDUCTIONS)
def test_reduction_values_and_dtype(name: str, dtype: str, dim, keepdim: bool) -> None:
    if (dim is None and keepdim) or (name == "logsumexp" and dim == ()):
        return  # the no-dim form has no keepdim; torch's logsumexp(dim=()) fails on an internal shape check
    call, ref = REDUCTIONS[name]
    a = sample((2, 3, 4), dtype, -2, 2, seed=1)
    res = same_exception(lambda: call(pt, pt_tensor(a), dim, keepdim),
                         lambda: call(torch, torch_tensor(a), dim, keepdim))
    if res is None:
        return
    got, want = res
    if name in ("all", "any") and dim == ():
        expect = a.astype(bool)  # torch reduces over no dims here
    else:
        with np.errstate(all="ignore"):
            expect = ref(a.astype(np.float64), dim, keepdim)
    _compare(got, want, expect)


@pytest.mark.parametrize("shape,dim", [((), None), ((), 0), ((), -1), ((0,), None), ((0,), 0), ((2, 0, 3), 1),
                                       ((2, 0, 3), 0), ((2, 0, 3), None), ((1,), 0), ((2, 0, 3), (0, 1))], ids=str)
@pytest.mark.parametrize("name", REDUCTIONS)
def test_reduction_zero_dim_and_empty(name: str, shape: tuple, dim) -> None:
    call, ref = REDUCTIONS[name]
    a = sample(shape, "float32", -2, 2, seed=2)
    for keepdim in ((False,) if dim is None else (False, True)):
        res = same_exception(lambda: call(pt, pt_tensor(a), dim, keepdim),
                             lambda: call(torch, torch_tensor(a), dim, keepdim))
        if res is None:
            continue
        got, want = res
        assert dtype_name(got.dtype) == dtype_name(want.dtype)
        assert tuple(got.shape) == tuple(want.shape), (shape, dim, keepdim)
        # torch is the reference for the conventions of empty reductions (0, 1, nan, -inf)
        assert_close(got, want.numpy().astype(np.float64), "float32")


@pytest.mark.parametrize("kind", ["transposed", "sliced"])
@pytest.mark.parametrize("name", REDUCTIONS)
def test_reduction_non_contiguous(name: str, kind: str) -> None:
    call, ref = REDUCTIONS[name]
    a = sample((3, 4, 5), "float64", -2, 2, seed=3)
    for dim in (None, 1, (0, 2) if name != "prod" else -1):  # prod takes one dim
        got = call(pt, layout(a, kind), dim, False)
        _compare(got, call(torch, torch_tensor(a), dim, False), ref(a, dim, False))


@pytest.mark.parametrize("name", ["sum", "mean", "prod", "amax", "amin", "logsumexp", "var", "std", "norm",
                                  "norm_p1", "norm_p3", "norm_pinf", "norm_p-inf", "var_c0", "std_c2"])
@pytest.mark.parametrize("dim", [None, 1, (0, 2)], ids=str)
def test_reduction_gradient(name: str, dim) -> None:
    call, _ = REDUCTIONS[name]
    if name == "prod" and isinstance(dim, tuple):
        dim = -1  # prod takes one dim
    a = sample((2, 3, 4), "float64", -2, 2, seed=4)
    for keepdim in ((False,) if dim is None else (False, True)):
        gradcheck(lambda x: call(pt, x, dim, keepdim), [pt_tensor(a, requires_grad=True)])


def test_prod_gradient_with_zeros() -> None:
    a = np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 4.0], [1.5, 2.0, -1.0]])
    gradcheck(lambda x: x.prod(), [pt_tensor(a[2:], requires_grad=True)])
    for call in (lambda m, x: m.prod(x), lambda m, x: m.prod(x, 1), lambda m, x: m.prod(x, 0, keepdim=True)):
        got, want = torch_grads(lambda x: call(pt, x), lambda x: call(torch, x), [a])
        np.testing.assert_allclose(got[0], want[0])


def test_reduction_dtype_argument_and_out() -> None:
    a = sample((3, 4), "int32", -5, 5, seed=5)
    for name, kw in (("sum", {"dtype": "float64"}), ("mean", {"dtype": "float64"}), ("prod", {"dtype": "float32"}),
                     ("cumsum", {"dtype": "float64", "dim": 1}), ("sum", {"dtype": "int8", "dim": 0})):
        args = {k: (getattr(pt, v) if k == "dtype" else v) for k, v in kw.items()}
        targs = {k: (getattr(torch, v) if k == "dtype" else v) for k, v in kw.items()}
        res = same_exception(lambda: getattr(pt, name)(pt_tensor(a), **args),
                             lambda: getattr(torch, name)(torch_tensor(a), **targs))
        if res is not None:
            got, want = res
            assert dtype_name(got.dtype) == dtype_name(want.dtype) == kw["dtype"]
            assert_close(got, want.numpy().astype(np.float64) if want.is_floating_point() else want.numpy(),
                         kw["dtype"] if kw["dtype"].startswith("float") else None)
    x = sample((3, 4), "float32", seed=6)
    for name in ("sum", "mean"):
        o, to = pt.empty(0), torch.empty(0)
        assert getattr(pt, name)(pt_tensor(x), 1, out=o) is o
        getattr(torch, name)(torch_tensor(x), 1, out=to)
        assert_close(o, to.numpy().astype(np.float64), "float32")


# ------------------------------------------------------------------------------------------------
# max / min / argmax / argmin
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_forms(name: str, dtype: str) -> None:
    a = sample((3, 4), dtype, -3, 3, seed=7)  # small integer range: plenty of ties
    npfn, argfn = (np.max, np.argmax) if name == "max" else (np.min, np.argmin)
    full = getattr(pt, name)(pt_tensor(a))
    assert dtype_name(full.dtype) == dtype and full.shape == ()
    assert_close(full, np.asarray(npfn(a)))
    for dim in (0, 1, -1):
        for keepdim in (False, True):
            r = getattr(pt, name)(pt_tensor(a), dim, keepdim)
            t = getattr(torch, name)(torch_tensor(a), dim, keepdim)
            assert type(r).__name__ == type(t).__name__ == name
            values, indices = r
            assert values is r.values and indices is r.indices
            assert dtype_name(values.dtype) == dtype and indices.dtype == pt.int64
            assert_close(values, npfn(a, axis=dim, keepdims=keepdim))
            assert_close(indices, t.indices.numpy())  # ties resolve to the first occurrence, as in torch
            assert_close(indices, argfn(a, axis=dim, keepdims=keepdim))
    b = sample((4,), dtype, -3, 3, seed=8)
    res = same_exception(lambda: getattr(pt, name)(pt_tensor(a), pt_tensor(b)),
                         lambda: getattr(torch, name)(torch_tensor(a), torch_tensor(b)))
    if res is not None:
        assert dtype_name(res[0].dtype) == dtype_name(res[1].dtype)
        assert_close(res[0], (np.maximum if name == "max" else np.minimum)(a, b))


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_argmin(name: str, dtype: str) -> None:
    a = sample((3, 4, 2), dtype, -2, 2, seed=9)
    ref = getattr(np, name)
    for dim, keepdim in ((None, False), (None, True), (0, False), (1, True), (-1, False)):
        res = same_exception(lambda: getattr(pt, name)(pt_tensor(a), dim, keepdim),
                             lambda: getattr(torch, name)(torch_tensor(a), dim, keepdim))
        if res is None:
            continue
        got, want = res
        assert got.dtype == pt.int64 and tuple(got.shape) == tuple(want.shape)
        assert_close(got, want.numpy())
        expect = ref(a.reshape(-1)) if dim is None else ref(a, axis=dim, keepdims=keepdim)
        assert_close(got, np.asarray(expect).reshape(want.shape))


def test_max_min_zero_dim_empty_and_layouts() -> None:
    for shape, dim in (((), None), ((), 0), ((0,), None), ((0,), 0), ((2, 0), 1), ((2, 0), 0), ((3,), 1)):
        a = np.zeros(shape, np.float32)
        for name in ("max", "min", "argmax", "argmin"):
            def call(m, x):
                return getattr(m, name)(x) if dim is None else getattr(m, name)(x, dim)
            res = same_exception(lambda: call(pt, pt_tensor(a)), lambda: call(torch, torch_tensor(a)))
            if res is not None:
                got, want = res
                got, want = (got[0], want[0]) if isinstance(want, tuple) else (got, want)
                assert tuple(got.shape) == tuple(want.shape), (name, shape, dim)
    a = sample((4, 5), "float64", seed=10)
    for kind in ("transposed", "sliced"):
        v, i = pt.max(layout(a, kind), 1)
        assert_close(v, a.max(1))
        assert_close(i, a.argmax(1))
        assert_close(pt.argmin(layout(a, kind)), np.asarray(a.argmin()))


def test_max_min_gradients() -> None:
    a = sample((3, 4), "float64", seed=11)
    gradcheck(lambda x: x.max(), [pt_tensor(a, requires_grad=True)])
    gradcheck(lambda x: x.min(1)[0], [pt_tensor(a, requires_grad=True)])
    gradcheck(lambda x: x.max(0, keepdim=True).values, [pt_tensor(a, requires_grad=True)])
    gradcheck(lambda x, y: x.max(y), [pt_tensor(a, requires_grad=True), pt_tensor(a[0] + 0.1, requires_grad=True)])


TIES = {
    "max()": lambda x: x.max(), "min()": lambda x: x.min(), "max(dim)": lambda x: x.max(1).values,
    "min(dim, keepdim)": lambda x: x.min(0, keepdim=True).values, "amax()": lambda x: x.amax(),
    "amax(dim)": lambda x: x.amax(1), "amin(dims)": lambda x: x.amin((0, 1)), "norm(inf)": lambda x: x.norm(math.inf),
    "norm(inf, dim)": lambda x: x.norm(math.inf, dim=1), "norm(-inf)": lambda x: x.norm(-math.inf),
    "sort": lambda x: x.sort(1).values * pt_or_torch_arange(x), "topk": lambda x: x.topk(2, 1).values,
    "clamp at bounds": lambda x: x.clamp(1, 3), "maximum": lambda x: x.maximum(x.flip(1)),
    "norm at 0": lambda x: (x * 0).norm(), "abs at 0": lambda x: (x - x.detach()).abs().sum(),
}


def pt_or_torch_arange(x):
    """Weights 1, 2, ... along the last dim (so a gradient shows which tied element got which slot)."""
    n = x.shape[-1]
    return (pt if isinstance(x, pt.Tensor) else torch).arange(1.0, n + 1.0, dtype=x.dtype)


@pytest.mark.parametrize("expr", TIES)
def test_gradient_ties_match_torch(expr: str) -> None:
    a = np.array([[3.0, 1.0, 3.0, 2.0], [1.0, 1.0, -3.0, 0.0], [3.0, 2.0, 2.0, 3.0]])
    got, want = torch_grads(TIES[expr], TIES[expr], [a])
    np.testing.assert_allclose(got[0], want[0], err_msg=expr)


# ------------------------------------------------------------------------------------------------
# Scans, softmax, sorting
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumsum(dim: int, dtype: str) -> None:
    a = sample((3, 4), dtype, -3, 3, seed=12)
    res = same_exception(lambda: pt.cumsum(pt_tensor(a), dim), lambda: torch.cumsum(torch_tensor(a), dim))
    if res is not None:
        got, want = res
        assert dtype_name(got.dtype) == dtype_name(want.dtype)
        _compare(got, want, np.cumsum(a.astype(np.float64), axis=dim))
        assert_close(pt_tensor(a).cumsum(dim), to_np(got))


def test_cumsum_shapes_layouts_and_gradient() -> None:
    for shape, dim in (((), 0), ((0,), 0), ((2, 0), 1), ((2, 0), 0)):
        a = np.ones(shape, np.float32)
        _compare(pt.cumsum(pt_tensor(a), dim), torch.cumsum(torch_tensor(a), dim),
                 np.cumsum(a, axis=dim) if a.ndim else a.astype(np.float64))
    a = sample((4, 5), "float64", seed=13)
    assert_close(pt.cumsum(layout(a, "transposed"), 0), np.cumsum(a, 0))
    assert_close(pt.cumsum(layout(a, "sliced"), 1), np.cumsum(a, 1))
    for dim in (0, 1):
        gradcheck(lambda x: x.cumsum(dim), [pt_tensor(a, requires_grad=True)])
    same_exception(lambda: pt.cumsum(pt_tensor(a), 2), lambda: torch.cumsum(torch_tensor(a), 2))


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_cumprod(dtype: str) -> None:
    a = sample((3, 4), dtype, -2, 2, seed=21)
    for dim in (0, 1, -1):
        got, want = pt.cumprod(pt_tensor(a), dim), torch.cumprod(torch_tensor(a), dim)
        assert dtype_name(got.dtype) == dtype_name(want.dtype)
        _compare(got, want, np.cumprod(a.astype(np.float64), axis=dim))


def test_cumprod_gradient_with_zeros() -> None:
    a = np.array([[0.5, 0.0, 2.0, 0.0], [1.5, -2.0, 0.3, 1.0], [0.0, 0.0, 3.0, -1.0]])
    for dim in (0, 1):
        gradcheck(lambda x: x.cumprod(dim), [pt_tensor(a, requires_grad=True)])
        got, want = torch_grads(lambda x: x.cumprod(dim), lambda x: x.cumprod(dim), [a])
        np.testing.assert_allclose(got[0], want[0])
    assert grad_fn_name(pt_tensor(a, requires_grad=True).cumprod(0)) == "CumprodBackward0"


def _np_softmax(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _np_log_softmax(x, axis):
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "bool"])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_values_and_dtype(name: str, dtype: str) -> None:
    a = sample((3, 4, 5), dtype, -4, 4, seed=14)
    for dim in (0, 1, -1):
        res = same_exception(lambda: getattr(pt, name)(pt_tensor(a), dim),
                             lambda: getattr(torch, name)(torch_tensor(a), dim))
        if res is None:
            continue
        got, want = res
        assert dtype_name(got.dtype) == dtype_name(want.dtype)
        ref = _np_softmax if name == "softmax" else _np_log_softmax
        assert_close(got, ref(a.astype(np.float64), dim), dtype_name(got.dtype))
    if dtype != "float16":
        for out_dt in ("float64", "float32"):
            got = getattr(pt, name)(pt_tensor(a), 1, dtype=getattr(pt, out_dt))
            want = getattr(torch, name)(torch_tensor(a), 1, dtype=getattr(torch, out_dt))
            assert dtype_name(got.dtype) == dtype_name(want.dtype) == out_dt


def test_softmax_stability_shapes_layouts_and_gradient() -> None:
    big = np.array([[1000.0, 1001.0, 999.0], [-1000.0, -1e4, -999.0]])
    assert_close(pt.softmax(pt_tensor(big), 1), _np_softmax(big, 1))
    assert_close(pt.log_softmax(pt_tensor(big), 1), _np_log_softmax(big, 1))
    for shape, dim in (((), 0), ((0, 3), 1), ((2, 0), 1)):
        a = np.ones(shape)
        for name in ("softmax", "log_softmax"):
            got = getattr(pt, name)(pt_tensor(a), dim)
            want = getattr(torch, name)(torch_tensor(a), dim)
            assert_close(got, want.numpy())
    a = sample((4, 5), "float64", seed=15)
    assert_close(pt.softmax(layout(a, "transposed"), 0), _np_softmax(a, 0))
    assert_close(layout(a, "sliced").log_softmax(1), _np_log_softmax(a, 1))
    for name in ("softmax", "log_softmax"):
        for dim in (0, -1):
            gradcheck(lambda x: getattr(x, name)(dim), [pt_tensor(a, requires_grad=True)])
        same_exception(lambda: getattr(pt, name)(pt_tensor(a), 2), lambda: getattr(torch, name)(torch_tensor(a), 2))


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_sort_and_argsort(dtype: str) -> None:
    a = sample((4, 6), dtype, -3, 3, seed=16)  # many ties
    for dim in (0, 1, -1):
        for descending in (False, True):
            r = pt.sort(pt_tensor(a), dim, descending=descending, stable=True)
            t = torch.sort(torch_tensor(a), dim=dim, descending=descending, stable=True)
            assert type(r).__name__ == "sort" and r.values is r[0] and r.indices is r[1]
            assert dtype_name(r.values.dtype) == dtype and r.indices.dtype == pt.int64
            key = -a.astype(np.float64) if descending else a
            idx = np.argsort(key, axis=dim, kind="stable")
            assert_close(r.indices, idx)
            assert_close(r.values, np.take_along_axis(a, idx, axis=dim))
            assert_close(r.indices, t.indices.numpy())
            assert_close(pt.argsort(pt_tensor(a), dim, descending=descending, stable=True), idx)
            assert_close(pt_tensor(a).sort(dim, descending).values, np.take_along_axis(a, idx, axis=dim))


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "uint8", "float16"])
@pytest.mark.parametrize("largest", [True, False])
def test_topk(largest: bool, dtype: str) -> None:
    # distinct values (topk's order among ties is unspecified in torch)
    a = np.array([np.arange(7) * 3 + i for i in range(4)], dtype=dtype)[:, np.random.default_rng(0).permutation(7)]
    for dim, k in ((1, 3), (0, 2), (-1, 7), (1, 0)):
        r = pt.topk(pt_tensor(a), k, dim, largest=largest)
        t = torch.topk(torch_tensor(a), k, dim, largest=largest)
        assert type(r).__name__ == "topk"
        assert dtype_name(r.values.dtype) == dtype and r.indices.dtype == pt.int64
        order = np.argsort(-a.astype(np.float64) if largest else a, axis=dim, kind="stable")
        idx = np.take(order, np.arange(k), axis=dim)
        assert_close(r.indices, idx)
        assert_close(r.values, np.take_along_axis(a, idx, axis=dim))
        assert_close(r.values, t.values.numpy())
    same_exception(lambda: pt.topk(pt_tensor(a), 8), lambda: torch.topk(torch_tensor(a), 8))
    same_exception(lambda: pt.topk(pt_tensor(a), -1), lambda: torch.topk(torch_tensor(a), -1))


def test_sort_topk_shapes_layouts_and_gradients() -> None:
    for shape in ((), (0,), (2, 0)):
        a = np.ones(shape)
        v, i = pt.sort(pt_tensor(a))
        tv, ti = torch.sort(torch_tensor(a))
        assert tuple(v.shape) == tuple(tv.shape) and tuple(i.shape) == tuple(ti.shape)
        assert_close(i, ti.numpy())
    a = sample((5, 6), "float64", seed=18)
    v, i = pt.sort(layout(a, "transposed"), 0)
    assert_close(v, np.sort(a, 0))
    assert_close(i, np.argsort(a, 0, kind="stable"))
    v, i = layout(a, "sliced").topk(2, 1)
    assert_close(v, -np.sort(-a, 1)[:, :2])
    gradcheck(lambda x: x.sort(1, descending=True).values, [pt_tensor(a, requires_grad=True)])
    gradcheck(lambda x: x.sort(0).values, [pt_tensor(a, requires_grad=True)])
    gradcheck(lambda x: x.topk(3, 0, largest=False).values, [pt_tensor(a, requires_grad=True)])
    same_exception(lambda: pt.sort(pt_tensor(a), 2), lambda: torch.sort(torch_tensor(a), 2))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(-5, 5), min_size=1, max_size=12), st.booleans())
def test_sort_hypothesis(values: list, descending: bool) -> None:
    a = np.array(values, dtype=np.float32)
    r = pt.sort(pt_tensor(a), descending=descending, stable=True)
    t = torch.sort(torch_tensor(a), descending=descending, stable=True)
    assert_close(r.indices, t.indices.numpy())
    assert_close(r.values, t.values.numpy().astype(np.float64), "float32")


# ------------------------------------------------------------------------------------------------
# Node names and errors
# ------------------------------------------------------------------------------------------------
NAMED = {
    "sum()": lambda x: x.sum(), "sum(1)": lambda x: x.sum(1), "mean()": lambda x: x.mean(),
    "mean(1)": lambda x: x.mean(1), "prod()": lambda x: x.prod(), "prod(1)": lambda x: x.prod(1),
    "max()": lambda x: x.max(), "max(1)": lambda x: x.max(1)[0], "min()": lambda x: x.min(),
    "min(1)": lambda x: x.min(1)[0], "max(t)": lambda x: x.max(x * 2), "amax": lambda x: x.amax(1),
    "amin": lambda x: x.amin(), "var": lambda x: x.var(), "var(1)": lambda x: x.var(1), "std": lambda x: x.std(0),
    "norm": lambda x: x.norm(), "norm(1)": lambda x: x.norm(1), "norm(inf, dim)": lambda x: x.norm(math.inf, 1),
    "logsumexp": lambda x: x.logsumexp(1), "cumsum": lambda x: x.cumsum(0), "softmax": lambda x: x.softmax(1),
    "log_softmax": lambda x: x.log_softmax(0), "sort": lambda x: x.sort().values, "topk": lambda x: x.topk(2).values,
}


@pytest.mark.parametrize("expr", NAMED)
def test_grad_fn_names(expr: str) -> None:
    a = sample((3, 4), "float32", seed=19)
    y = NAMED[expr](pt_tensor(a, requires_grad=True))
    t = NAMED[expr](torch_tensor(a, requires_grad=True))
    assert grad_fn_name(y) == grad_fn_name(t)


ERRORS = {
    "sum dim": lambda m, x: m.sum(x, 3), "sum dims": lambda m, x: m.sum(x, (0, -4)),
    "mean dim": lambda m, x: m.mean(x, -4),
    "prod dim": lambda m, x: m.prod(x, 3), "max dim": lambda m, x: m.max(x, 3), "min dim": lambda m, x: m.min(x, -4),
    "amax dim": lambda m, x: m.amax(x, 5), "argmax dim": lambda m, x: m.argmax(x, 3),
    "all dim": lambda m, x: m.all(x, 3),
    "var dim": lambda m, x: m.var(x, 3), "norm dim": lambda m, x: m.norm(x, dim=3),
    "logsumexp dim": lambda m, x: m.logsumexp(x, 3), "cumsum dim": lambda m, x: m.cumsum(x, 3),
    "softmax dim": lambda m, x: m.softmax(x, 3), "sort dim": lambda m, x: m.sort(x, 3),
    "topk dim": lambda m, x: m.topk(x, 1, 3), "duplicate dims": lambda m, x: m.sum(x, (0, 0)),
    "mean int": lambda m, x: m.mean(x.long()), "mean int dim": lambda m, x: m.mean(x.long(), 0),
    "var int": lambda m, x: m.var(x.long()), "std int": lambda m, x: m.std(x.int(), 0),
    "norm int": lambda m, x: m.norm(x.long()), "softmax int": lambda m, x: m.softmax(x.long(), 0),
    "max empty": lambda m, x: m.max(x[:0]), "amax empty dim": lambda m, x: m.amax(x[:, :0], 1),
    "argmax empty": lambda m, x: m.argmax(x[:0]), "topk k": lambda m, x: m.topk(x, 5),
    "norm inf empty": lambda m, x: m.norm(x[:0], math.inf), "prod dims": lambda m, x: m.prod(x, (0, 1)),
}


@pytest.mark.parametrize("case", ERRORS)
def test_errors_match_torch(case: str) -> None:
    a = sample((2, 3, 4), "float32", seed=20)
    same_exception(lambda: ERRORS[case](pt, pt_tensor(a)), lambda: ERRORS[case](torch, torch_tensor(a)))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's note about the 0 / 0 inside
def test_var_too_few_elements_warns() -> None:
    for call in (lambda m: m.var(m.ones(1)), lambda m: m.std(m.ones(2, 3), 0, correction=2)):
        with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
            got = call(pt)
        assert_close(got, call(torch).numpy().astype(np.float64), "float32")


def test_error_messages_name_the_problem() -> None:
    with pytest.raises(IndexError, match="Dimension out of range"):
        pt.ones(2, 3).sum(2)
    with pytest.raises(RuntimeError, match="mean.*Long"):
        pt.tensor([1, 2]).mean()


@pytest.mark.parametrize("shape", [(4096, 10), (128, 16), (3, 512, 2), (2048, 1)])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "bool"])
def test_reductions_over_many_short_rows(shape, dtype):
    # The NumPy backend reduces many short rows through a transposed copy; the values, dtypes and
    # shapes must be those of the plain reduction (NumPy float64 reference), NaN included.
    rng = np.random.default_rng(len(shape) + shape[-1])
    x = rng.standard_normal(shape) * 3
    if dtype == "bool":
        x = x > 2
    elif dtype.startswith("int"):
        x = np.rint(x)
    elif shape[-1] > 1:
        x.reshape(-1, shape[-1])[5, 1] = np.nan  # one row whose max, min, sum and prod are all NaN
    t = pt.tensor(x.astype(dtype))
    ops = {"any": np.any, "all": np.all} if dtype == "bool" else \
        {"sum": np.sum, "amax": np.max, "amin": np.min, "prod": np.prod}
    for name, ref in ops.items():
        for keepdim in (False, True):
            got = getattr(t, name)(-1, keepdim=keepdim)
            want = ref(x.astype(np.float64) if dtype != "bool" else x, axis=-1, keepdims=keepdim)
            assert got.shape == want.shape
            assert str(got.dtype) == str(getattr(torch.tensor(x.astype(dtype)), name)(-1).dtype).replace("torch",
                                                                                                      "plugtensor")
            np.testing.assert_allclose(got.numpy().astype(np.float64), want.astype(np.float64), rtol=1e-5,
                                       atol=1e-5 if dtype == "float32" else 0, equal_nan=True,
                                       err_msg=f"{name} keepdim={keepdim}")


@pytest.mark.parametrize("shape,dim", [((128, 512), 0), ((300, 3), 0), ((4, 5, 6, 7), (0, 1)), ((4, 5, 6, 7), (0, 1, 2)),
                                       ((128, 10), 1), ((20, 30, 4), -1), ((2, 3), 0), ((5000, 1), 0)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sums_over_leading_axes_and_short_rows(shape, dim, dtype):
    # The NumPy backend sums these as a product with a vector of ones (BLAS). Values against a
    # float64 reference with a tolerance that naive float32 accumulation would also meet; a NaN and
    # an inf column must come out as NaN and inf; shapes, dtypes and keepdim as torch's.
    rng = np.random.default_rng(sum(shape))
    x = rng.standard_normal(shape).astype(dtype)
    flat = x.reshape(-1, x.shape[-1])
    if flat.shape[0] > 2 and flat.shape[1] > 1:
        flat[1, 0], flat[2, 1] = np.nan, np.inf
    want_dtype = str(torch.tensor(x).sum(dim).dtype).replace("torch", "plugtensor")
    for name in ("sum", "mean"):
        for keepdim in (False, True):
            got = getattr(pt.from_numpy(x), name)(dim, keepdim=keepdim)
            want = getattr(np, name)(x.astype(np.float64), axis=dim, keepdims=keepdim)
            assert got.shape == want.shape and str(got.dtype) == want_dtype
            np.testing.assert_allclose(got.numpy(), want, rtol=1e-5 if dtype == "float32" else 1e-12,
                                       atol=1e-4 if dtype == "float32" else 1e-12, equal_nan=True,
                                       err_msg=f"{name} keepdim={keepdim}")


@pytest.mark.parametrize("shape,dim", [((4096, 10), 1), ((200, 16), 1), ((200, 16), -1), ((16, 300), 0),
                                       ((8, 200, 3), 2)])
@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_softmax_over_many_short_rows(shape, dim, fn):
    # The NumPy backend computes these in transposed space for many short rows; NumPy float64 reference.
    x = np.random.default_rng(shape[-1]).standard_normal(shape).astype(np.float32) * 4
    got = getattr(pt.from_numpy(x), fn)(dim)
    z = x.astype(np.float64) - x.max(axis=dim, keepdims=True)
    lse = np.log(np.exp(z).sum(axis=dim, keepdims=True))
    want = z - lse if fn == "log_softmax" else np.exp(z - lse)
    assert got.is_contiguous() and got.dtype == pt.float32
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)
