"""The OpenCL ``matmul`` kernel against the NumPy backend (device ``cpu``): mm, bmm, mv and dot
forms, every dtype the device has, sizes that are and are not multiples of the tiles (and empty
ones), transposed / stepped / offset / expanded views, and each of the three kernels (``direct``,
``packed``, ``local``) forced on the same operands. The public ops and the backward of ``mm`` /
``bmm`` (which multiply by transposed views) are checked end to end.

Operands hold small integers, so every product is exact in every dtype and the results must be
equal, not close; int8/uint8 sums overflow and must wrap exactly as NumPy's do. One test uses
random floats with a tolerance for the float rounding of long sums.

Views are made the same way on both sides: a NumPy view of a contiguous base, and the CLArray with
the same element strides and offset over the base written to the device.
"""
from __future__ import annotations

import numpy as np
import pytest

from _opencl import CL, CLArray, CPU, DEV, RT  # noqa: E402 - skips this module without an OpenCL device
import plugtensor as pt  # noqa: E402
from plugtensor.backend import dtypes as D  # noqa: E402

from plugtensor_opencl import _matmul  # noqa: E402

DTYPES = [d.name for d in RT.dtypes if d is not D.bool]   # the core refuses bool matmul
PATHS = [None, "direct", "packed", "local"]               # None: the size-based choice


def values(shape, dtype: str = "float32", seed: int = 0, high: int = 4) -> np.ndarray:
    """Small integers in [-3, 3] ([0, 3] for unsigned): products and sums are exact in floats."""
    low = 0 if dtype.startswith("uint") else -3
    return np.random.default_rng(seed).integers(low, high, size=shape).astype(dtype)


def dev(x: np.ndarray, base: np.ndarray | None = None) -> CLArray:
    """``x`` on the device; when ``x`` is a view of the contiguous ``base``, the same view of ``base``."""
    if base is None:
        return RT.write(x, getattr(D, x.dtype.name))
    b = dev(base)
    item = x.itemsize
    return CLArray(b.storage, x.shape, tuple(s // item for s in x.strides),
                   (x.__array_interface__["data"][0] - base.__array_interface__["data"][0]) // item, b.dtype)


def check(a: np.ndarray, b: np.ndarray, path=None, a_base=None, b_base=None) -> None:
    got = _matmul.matmul(dev(a, a_base), dev(b, b_base), path=path)
    assert got.is_contiguous()                       # a new contiguous array, never a view
    want = np.asarray(CPU.K["matmul"](a, b))
    host = RT.read(got)
    assert host.shape == want.shape and host.dtype == want.dtype
    np.testing.assert_array_equal(host, want)


# (M, K, N): 1x1, odd sizes, one more than a tile in every direction, exact tiles, thin ones.
SHAPES = [(1, 1, 1), (3, 5, 7), (65, 129, 33), (6, 16, 32), (13, 1, 17), (2, 40, 3), (40, 3, 1)]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("mkn", SHAPES)
def test_mm_shapes(mkn, path):
    m, k, n = mkn
    check(values((m, k), seed=1), values((k, n), seed=2), path)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_mm_dtypes(dtype, path):
    check(values((9, 20), dtype, seed=3), values((20, 18), dtype, seed=4), path)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("dtype", [d for d in ("int8", "uint8", "int16") if d in DTYPES])
def test_integer_sums_wrap(dtype, path):
    # Sums of up to 60 * 9 overflow 8 bits (and 127 * 127 * 60 overflows 16): NumPy wraps.
    hi = 128 if dtype == "int16" else 4
    a, b = values((7, 60), dtype, seed=5, high=hi), values((60, 19), dtype, seed=6, high=hi)
    check(a, b, path)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("mkn", [(0, 4, 5), (4, 0, 5), (4, 5, 0), (0, 0, 0)])
def test_mm_empty(mkn, path):
    m, k, n = mkn
    check(values((m, k)), values((k, n)), path)   # k == 0: zeros


# Non-contiguous operands of shape (m, k) = (10, 21): views of bigger bases.
VIEWS = {
    "transposed": (lambda: values((21, 10), seed=7), lambda base: base.T),
    "stepped": (lambda: values((20, 43), seed=8), lambda base: base[::2, 1::2]),
    "offset": (lambda: values((13, 25), seed=9), lambda base: base[3:, 4:]),
    "transposed-stepped": (lambda: values((43, 31), seed=10), lambda base: base[1::2, 3::3].T),
    "expanded-row": (lambda: values((1, 21), seed=11), lambda base: np.broadcast_to(base, (10, 21))),
    "expanded-col": (lambda: values((10, 1), seed=12), lambda base: np.broadcast_to(base, (10, 21))),
}


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("view", VIEWS)
def test_strided_operands(view, path):
    make, take = VIEWS[view]
    base = make()
    x = take(base)
    assert x.shape == (10, 21) and not x.flags.c_contiguous
    other = values((21, 17), seed=13)
    check(x, other, path, a_base=base)                                  # as the left operand
    check(np.ascontiguousarray(x.T), x, path, b_base=base)             # (21, 10) @ (10, 21) view
    check(other.T, x.T, path, a_base=other, b_base=base)               # both transposed


@pytest.mark.parametrize("path", PATHS)
def test_bmm(path):
    check(values((3, 5, 7), seed=14), values((3, 7, 9), seed=15), path)
    check(values((2, 17, 33), "int32", seed=16), values((2, 33, 6), "int32", seed=17), path)


@pytest.mark.parametrize("path", PATHS)
def test_bmm_views(path):
    base_a, base_b = values((4, 9, 6), seed=18), values((8, 5, 9), seed=19)
    a = base_a.transpose(0, 2, 1)[1:]            # (3, 6, 9), batch-major, transposed matrices
    b = base_b[::3, :, :].transpose(0, 2, 1)      # (3, 9, 5), stepped batch
    check(a, b, path, a_base=base_a, b_base=base_b)
    shared = values((1, 9, 4), seed=20)          # batch of 1 against 3: broadcast (stride 0)
    check(a, np.broadcast_to(shared, (3, 9, 4)), path, b_base=shared)
    check(a, shared, path)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_dot_mv_vm(dtype, path):
    base = values((40,), dtype, seed=21)
    v = base[::2]                                                      # (20,), stride 2
    check(v, values((20,), dtype, seed=22), path, a_base=base)         # dot: a 0-d result
    m = values((20, 13), dtype, seed=23)
    check(m.T, v, path, a_base=m, b_base=base)                         # mv with a transposed matrix
    check(v, m, path, a_base=base)                                     # vector @ matrix
    check(values((3, 4, 20), dtype, seed=24), v, path, b_base=base)     # batch @ vector
    check(v, values((3, 20, 5), dtype, seed=25), path, a_base=base)     # vector @ batch


@pytest.mark.parametrize("dtype", ["float32", "int32"])
def test_long_dot_splits_k(dtype):
    # Few outputs and a long k: the direct kernel splits k into parts and sums them.
    n = 3 * _matmul._SPLIT_K + 5
    check(values((n,), dtype, seed=26), values((n,), dtype, seed=27))
    check(values((2, n), dtype, seed=28), values((n, 3), dtype, seed=29))


@pytest.mark.parametrize("path", PATHS)
def test_random_floats(path):
    rng = np.random.default_rng(30)
    for dtype, rtol in (("float32", 2e-5), ("float64", 1e-12)):
        if dtype not in DTYPES:
            continue
        a, b = rng.standard_normal((70, 300)).astype(dtype), rng.standard_normal((300, 50)).astype(dtype)
        got = RT.read(_matmul.matmul(dev(a), dev(b), path=path))
        ref = a.astype(np.float64) @ b.astype(np.float64)
        assert got.dtype == a.dtype
        np.testing.assert_allclose(got, ref, rtol=rtol, atol=rtol * np.abs(ref).max())


def test_refused_operands():
    with pytest.raises(TypeError):
        _matmul.matmul(dev(values((2, 2), "float32")), dev(values((2, 2), "int32")))
    with pytest.raises(TypeError):
        _matmul.matmul(dev(values((2, 2), "uint8") > 0), dev(values((2, 2), "uint8") > 0))
    with pytest.raises(ValueError):
        _matmul.matmul(dev(values((2, 3))), dev(values((2, 3))))


@pytest.mark.parametrize("path", PATHS)
def test_kernels_compile_once(path):
    a, b = dev(values((20, 30), seed=36)), dev(values((30, 40), seed=37))
    _matmul.matmul(a, b, path=path)
    cache = dict(_matmul._dev(RT).kernels)
    for shape in ((20, 30, 40), (25, 31, 40), (65, 17, 33)):   # other sizes: the same kernels
        m, k, n = shape
        _matmul.matmul(dev(values((m, k))), dev(values((k, n))), path=path)
    assert _matmul._dev(RT).kernels.keys() == cache.keys()
    assert all(_matmul._dev(RT).kernels[key] is cache[key] for key in cache)


# ---------------------------------------------------------------------------------------------------
# The public ops on the device, and their gradients (the backward of mm multiplies by b.t()).
# ---------------------------------------------------------------------------------------------------
def pair(x: np.ndarray, grad: bool = False):
    return (pt.tensor(x, requires_grad=grad), pt.tensor(x, device=DEV, requires_grad=grad))


@pytest.mark.parametrize("op", ["matmul", "mm", "bmm", "mv", "dot", "@", "broadcast"])
def test_public_ops(op):
    shapes = {"matmul": ((5, 6), (6, 4)), "mm": ((17, 9), (9, 20)), "bmm": ((2, 5, 6), (2, 6, 3)),
              "mv": ((7, 6), (6,)), "dot": ((6,), (6,)), "@": ((3, 6), (6, 19)), "broadcast": ((2, 3, 6), (6, 4))}
    (sa, sb) = shapes[op]
    ca, ga = pair(values(sa, seed=31))
    cb, gb = pair(values(sb, seed=32))
    fn = {"@": lambda x, y: x @ y, "broadcast": pt.matmul}.get(op) or getattr(pt, op)
    want, got = fn(ca, cb), fn(ga, gb)
    assert got.device.type == DEV and got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_array_equal(got.cpu().numpy(), want.numpy())


@pytest.mark.parametrize("op", ["mm", "bmm"])
def test_gradients(op):
    sa, sb = ((33, 20), (20, 18)) if op == "mm" else ((2, 9, 20), (2, 20, 7))
    (ca, ga), (cb, gb) = pair(values(sa, seed=33), True), pair(values(sb, seed=34), True)
    g = values(sa[:-1] + sb[-1:], seed=35)
    getattr(pt, op)(ca, cb).backward(pt.tensor(g))
    getattr(pt, op)(ga, gb).backward(pt.tensor(g, device=DEV))
    for c, d in ((ca, ga), (cb, gb)):
        np.testing.assert_array_equal(d.grad.cpu().numpy(), c.grad.numpy())
