"""The OpenCL reduction, arg-reduction, scan and sort kernels against the NumPy backend (device ``cpu``).

The kernels are called directly with the same arguments on both devices (what the core's reduction ops
call), over dtypes, ranks 0-4, axis subsets, keepdim, views (transposed, step slices, broadcast,
offset), empty dims and NaN; large reductions are checked against float64 NumPy sums.

Views are made the same way on both sides: a NumPy view of a contiguous base, and the CLArray with the
same element strides and offset over the base written to the device.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from _opencl import CLArray, RT, dev  # noqa: E402 - skips this module without an OpenCL device
import plugtensor as pt  # noqa: E402
from plugtensor.backend import dtypes as D  # noqa: E402

from plugtensor_opencl import _reduce  # noqa: E402

CPU = pt.tensor([0])._ctx.K
K = _reduce.kernels()
DTYPES = [d.name for d in RT.dtypes if d.name != "float16"]
INTS = [d for d in DTYPES if d not in ("bool", "float32", "float64")]
FLOATS = [d for d in DTYPES if d in ("float32", "float64")]
REDUCTIONS = ("sum", "prod", "amax", "amin", "any", "all")


# -- helpers ----------------------------------------------------------------------------------------
def values(shape, dtype: str, seed: int = 0, lo: int = -3, hi: int = 4) -> np.ndarray:
    """Small integers (exact in every dtype), or uniform floats for float dtypes."""
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return rng.integers(0, 2, size=shape).astype(bool)
    if dtype in ("float32", "float64"):
        return rng.uniform(-2, 2, size=shape).astype(dtype)
    if dtype == "uint8":
        lo, hi = 0, 6
    return rng.integers(lo, hi, size=shape).astype(dtype)


def host(a: CLArray) -> np.ndarray:
    assert isinstance(a, CLArray) and a.is_contiguous() and a.offset == 0  # a new contiguous array
    return RT.read(a)


def assert_same(got: CLArray, want, rtol: float | None = None) -> None:
    """Same shape, dtype and values (floats within ``rtol``, NaN where NaN)."""
    want = np.asarray(want)
    g = host(got)
    assert g.shape == want.shape and g.dtype == want.dtype, (g.shape, g.dtype, want.shape, want.dtype)
    if want.dtype.kind == "f":
        tol = rtol if rtol is not None else (2e-6 if want.dtype == np.float32 else 1e-12)
        np.testing.assert_allclose(g, want, rtol=tol, atol=tol, equal_nan=True)
    else:
        np.testing.assert_array_equal(g, want)


def sum_dtype(op: str, dtype: str):
    """The dtype the core passes: ints and bools sum and multiply in int64."""
    return D.int64 if op in ("sum", "prod") and dtype not in FLOATS else None


def both(op: str, x: np.ndarray, base: np.ndarray | None, *args):
    return K[op](dev(x, base), *args), CPU[op](x, *args)


# -- sum / prod / amax / amin / any / all ------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op", REDUCTIONS)
def test_reduction_dtypes(op, dtype):
    """Every op and dtype through each loop: rows of 37 (vectors and a tail), all (split or not) and
    across rows (4 outputs per work-item, and a tail of 1)."""
    x = values((3, 4, 37), dtype, seed=1)
    if op == "prod" and dtype in FLOATS:
        x = (1 + x / 8).astype(dtype)  # keep 148-element products in range
    for axes, keepdim in (((2,), False), (None, True), ((1,), False)):
        got, want = both(op, x, None, axes, keepdim, sum_dtype(op, dtype))
        assert_same(got, want, rtol=2e-5 if dtype == "float32" else None)


@pytest.mark.parametrize("op,dtype", [("sum", "float32"), ("amax", "int64"), ("all", "bool")])
def test_reduction_ranks_and_axes(op, dtype):
    """Every axis subset of ranks 0-4 (as the core passes them, and negative ones), keepdim or not."""
    for rank in range(5):
        x = values((2, 3, 4, 5)[:rank], dtype, seed=rank)
        subsets = [None] + [c for k in range(rank + 1) for c in itertools.combinations(range(rank), k)]
        for i, axes in enumerate(subsets):
            if op != "all" and axes == ():
                continue  # the core sends () only to any/all (sum's () means every dim)
            keepdim = bool(i % 2)
            got = K[op](dev(x), axes, keepdim, sum_dtype(op, dtype))
            assert_same(got, CPU[op](x, axes, keepdim, sum_dtype(op, dtype)))
            if axes:  # negative dims reduce the same dims
                neg = tuple(a - rank for a in axes)
                assert_same(K[op](dev(x), neg, keepdim, sum_dtype(op, dtype)),
                            CPU[op](x, axes, keepdim, sum_dtype(op, dtype)))


VIEWS = {
    "transpose": (lambda b: b.transpose(2, 0, 1), (4, 5, 6)),
    "steps": (lambda b: b[1::2, ::3, 1:], (5, 7, 6)),
    "offset": (lambda b: b[2:, 1], (4, 3, 5)),
    "expand": (lambda b: np.broadcast_to(b[:, None, :], (3, 4, 5)), (3, 5)),
    "expand_inner": (lambda b: np.broadcast_to(b[:, :, None], (3, 5, 40)), (3, 5)),
    "columns": (lambda b: b[:, 1:8, None], (6, 9)),  # dim 0 reduced across rows of 7 outputs
}


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("op,dtype", [("sum", "float32"), ("prod", "float64"), ("amin", "int16"),
                                      ("any", "bool"), ("sum", "uint8")])
def test_reduction_views(view, op, dtype):
    fn, base_shape = VIEWS[view]
    base = values(base_shape, dtype, seed=3)
    x = fn(base)
    for axes, keepdim in ((None, False), ((0,), True), ((x.ndim - 1,), False), ((0, x.ndim - 1), False)):
        got, want = both(op, x, base, axes, keepdim, sum_dtype(op, dtype))
        assert_same(got, want)


def test_reduction_result_dtype():
    """``dtype`` is the accumulation and result dtype: int8 sums in int64 without wrapping, bools count."""
    x = np.full((300,), 100, dtype=np.int8)
    assert_same(K["sum"](dev(x), (0,), False, D.int64), CPU["sum"](x, (0,), False, D.int64))
    assert host(K["sum"](dev(x), (0,), False, D.int64)) == 30000
    b = values((7, 9), "bool")
    assert_same(K["sum"](dev(b), None, False, D.int64), CPU["sum"](b, None, False, D.int64))
    f = values((6, 7), "float32")
    assert_same(K["sum"](dev(f), (1,), False, D.float64), CPU["sum"](f, (1,), False, D.float64))
    i = values((6, 7), "int32")
    assert_same(K["prod"](dev(i), (0,), True, D.int64), CPU["prod"](i, (0,), True, D.int64))


@pytest.mark.parametrize("op", REDUCTIONS)
def test_reduction_empty(op):
    """Empty reduced dims give the identity; empty kept dims give an empty result."""
    for dtype in ("float32", "int32"):
        x = values((3, 0, 4), dtype)
        for axes, keepdim in (((1,), False), ((0, 1), True), ((2,), False)):
            if op in ("amax", "amin") and 1 in axes:
                continue  # the core refuses max/min over an empty dim
            got, want = both(op, x, None, axes, keepdim, sum_dtype(op, dtype))
            assert_same(got, want)
        if op not in ("amax", "amin"):
            got, want = both(op, x, None, None, False, sum_dtype(op, dtype))
            assert_same(got, want)


def test_reduction_nan():
    x = values((4, 6), "float64")
    x[1, 2] = x[3, 0] = np.nan
    x[2, 5] = np.inf
    for op in ("sum", "amax", "amin", "any", "all"):
        for axes in ((0,), (1,), None):
            got, want = both(op, x, None, axes, False, None)
            assert_same(got, want)
    big = values((3, 100_000), "float32", seed=5)  # the vectorised, split path
    big[1, 77_777] = np.nan
    for op in ("amax", "amin"):
        for axes in ((1,), None):
            got, want = both(op, big, None, axes, False, None)
            assert_same(got, want)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_large_sums(dtype):
    """1e6-element sums (split over work-items, vectorised) within float rounding of the float64 sum."""
    rng = np.random.default_rng(7)
    x = rng.uniform(0, 1, size=1_000_003).astype(dtype)
    ref = x.astype(np.float64).sum()
    got = host(K["sum"](dev(x), None, False))
    assert got.dtype == x.dtype and abs(float(got) - ref) <= 2e-7 * ref
    rows = x[:999_999].reshape(3, 333_333)
    got = host(K["sum"](dev(rows, x), (1,), True))
    np.testing.assert_allclose(got[:, 0], rows.astype(np.float64).sum(1), rtol=2e-7)
    cols = x[:1_000_000].reshape(1000, 1000).T  # reduce the non-contiguous dim
    np.testing.assert_allclose(host(K["sum"](dev(cols, x), (1,), False)), cols.astype(np.float64).sum(1),
                               rtol=1e-6)
    tall = x[:1_000_000].reshape(100_000, 10)  # across rows, split into chunks of rows
    np.testing.assert_allclose(host(K["sum"](dev(tall, x), (0,), False)), tall.astype(np.float64).sum(0),
                               rtol=1e-6)
    for op in ("amax", "amin"):
        assert_same(K[op](dev(tall, x), (0,), True), CPU[op](tall, (0,), True))
    p = (1 + (x[:200_000] - 0.5) * 1e-4).astype(dtype)
    # float32 products drift (NumPy's own float32 prod is 6e-4 off here); float64 ones stay close
    np.testing.assert_allclose(host(K["prod"](dev(p), (0,), False, getattr(D, dtype))),
                               np.prod(p.astype(np.float64)), rtol=3e-3 if dtype == "float32" else 1e-10)
    for op in ("amax", "amin"):
        assert_same(K[op](dev(x), None, False), CPU[op](x, None, False))


def test_large_int_and_bool():
    x = values((1_200_000,), "int32", lo=-1000, hi=1000)
    assert_same(K["sum"](dev(x), None, False, D.int64), CPU["sum"](x, None, False, D.int64))
    assert_same(K["amax"](dev(x), (0,), False), CPU["amax"](x, (0,), False))
    b = np.zeros(1_000_000, dtype=bool)
    for op in ("any", "all"):
        assert_same(K[op](dev(b), None, False), CPU[op](b, None, False))
    b[654_321] = True
    for op in ("any", "all"):
        assert_same(K[op](dev(~b), None, False), CPU[op](~b, None, False))
        assert_same(K[op](dev(b), None, False), CPU[op](b, None, False))


# -- argmax / argmin ---------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [d for d in DTYPES if d != "bool"])
@pytest.mark.parametrize("op", ["argmax", "argmin"])
def test_arg_dtypes(op, dtype):
    x = values((3, 4, 37), dtype, seed=2)  # small integers: many ties, the first one wins (rows of 37: 4 lanes)
    for axis, keepdim in ((0, False), (1, True), (2, False)):
        got, want = both(op, x, None, axis, keepdim)
        assert_same(got, want)


@pytest.mark.parametrize("op", ["argmax", "argmin"])
def test_arg_views_nan_and_large(op):
    base = values((5, 7, 6), "float32", seed=4)
    for x in (base.transpose(2, 0, 1), base[1::2, ::3], np.broadcast_to(base[0, :, :1], (7, 3))):
        for axis in range(x.ndim):
            got, want = both(op, x, base, axis, axis == 1)
            assert_same(got, want)
    nan = values((4, 6), "float64")
    nan[1, 2] = nan[1, 4] = nan[3, 0] = np.nan
    for axis in (0, 1):
        got, want = both(op, nan, None, axis, False)
        assert_same(got, want)
    flat = values((2_000_000,), "int16", lo=-50, hi=50)  # split over work-items: ties across chunks
    got, want = both(op, flat, None, 0, False)
    assert_same(got, want)
    big = values((3, 300_000), "float32", seed=6)
    big[:, 250_000] = np.nan
    big[2, 100_001] = np.nan
    got, want = both(op, big, None, 1, True)
    assert_same(got, want)
    scalar = np.array(3.5, dtype=np.float32)
    got, want = both(op, scalar, None, None, False)
    assert_same(got, want)


# -- cumsum / cumprod ---------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op", ["cumsum", "cumprod"])
def test_scan_dtypes(op, dtype):
    x = values((3, 4, 5), dtype, seed=8, lo=-2, hi=3)
    out = getattr(D, dtype) if dtype in FLOATS else D.int64
    for axis in (0, 2):
        got, want = both(op, x, None, axis, out)
        assert_same(got, want)


@pytest.mark.parametrize("op", ["cumsum", "cumprod"])
def test_scan_views_and_large(op):
    base = values((5, 7, 6), "float64", seed=9)
    for x in (base.transpose(2, 0, 1), base[1::2, ::3, 2], np.broadcast_to(base[0, :, :1], (7, 3))):
        for axis in range(x.ndim):
            got, want = both(op, x, base, axis, D.float64)
            assert_same(got, want)
    i8 = values((4, 6), "int8", lo=-100, hi=100)
    got, want = both(op, i8, None, 1, D.int64)  # accumulates in the result dtype: no int8 wrap
    assert_same(got, want)
    f = values((3, 5), "int32")
    got, want = both(op, f, None, 0, D.float32)
    assert_same(got, want)
    empty = values((3, 0, 2), "float32")
    for axis in (0, 1):
        got, want = both(op, empty, None, axis, D.float32)
        assert_same(got, want)
    if op == "cumsum":  # chunked scan of long rows against a float64 running sum
        x = np.random.default_rng(10).uniform(0, 1, size=(2, 400_000)).astype(np.float32)
        got = host(K["cumsum"](dev(x), 1, D.float32))
        np.testing.assert_allclose(got, np.cumsum(x.astype(np.float64), axis=1), rtol=1e-6)
        n = values((1_000_000,), "int64", lo=-1000, hi=1000)
        got, want = both(op, n, None, 0, D.int64)
        assert_same(got, want)
    else:
        x = (1 + np.random.default_rng(10).uniform(-1e-4, 1e-4, size=300_000)).astype(np.float64)
        got = host(K["cumprod"](dev(x), 0, D.float64))
        np.testing.assert_allclose(got, np.cumprod(x), rtol=1e-12)


# -- sort ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_sort_dtypes_stable(dtype):
    """Values and indices exactly as NumPy's stable sort (many ties), both directions, every axis."""
    x = values((5, 13, 6), dtype, seed=11)
    for axis, descending in ((1, False), (1, True), (0, True), (2, False)):
        gv, gi = K["sort"](dev(x), axis, descending, True)
        wv, wi = CPU["sort"](x, axis, descending, True)
        assert_same(gv, wv)
        assert_same(gi, wi)


def test_sort_views_nan_and_sizes():
    base = values((9, 11), "float32", seed=12)
    base[2, 3] = base[4, 3] = base[5, 5] = np.nan
    base[1, 3] = -np.inf
    for x in (base, base.T, base[1::2, ::3], np.broadcast_to(base[3], (4, 11))):
        for axis in range(x.ndim):
            for descending in (False, True):
                gv, gi = K["sort"](dev(x, base if x is not base else None), axis, descending, True)
                wv, wi = CPU["sort"](x, axis, descending, True)
                assert_same(gv, wv)
                assert_same(gi, wi)
    for n in (0, 1, 2, 3, 17, 64, 1000):  # block widths that do and don't divide the length
        x = values((2, n), "int32", seed=n, lo=-20, hi=20)
        for descending in (False, True):
            gv, gi = K["sort"](dev(x), 1, descending, True)
            wv, wi = CPU["sort"](x, 1, descending, True)
            assert_same(gv, wv)
            assert_same(gi, wi)
    x = values((100_000,), "float64", seed=13)
    gv, gi = K["sort"](dev(x), 0, True, True)
    wv, wi = CPU["sort"](x, 0, True, True)
    assert_same(gv, wv)
    assert_same(gi, wi)


# -- through the public ops --------------------------------------------------------------------------
def test_public_ops_use_the_kernels():
    """A few public calls on the device agree with the same calls on cpu."""
    x = values((4, 5), "float32", seed=14)
    a, b = pt.tensor(x, device="opencl"), pt.tensor(x)
    for fn in (lambda t: t.sum(), lambda t: t.amax(1), lambda t: t.argmax(), lambda t: t.argmin(0),
               lambda t: t.max(1).indices, lambda t: t.sort(0, descending=True).values,
               lambda t: t.sort(1, stable=True).indices, lambda t: t.any(), lambda t: t.t().prod(1)):
        got, want = fn(a), fn(b)
        assert got.device.type == "opencl" and got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_allclose(got.cpu().numpy(), want.numpy(), rtol=2e-6)
