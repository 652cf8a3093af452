"""The OpenCL indexing kernels (``index``, ``index_put``, ``take_along_axis``, ``scatter_add``,
``nonzero``, ``concatenate``) against the NumPy backend (device ``cpu``): the kernels called
directly with the same keys on both devices, and the public ops that use them.

Views are made the same way on both sides: a NumPy view of a contiguous base, and the CLArray with
the same element strides and offset over the base written to the device.
"""
from __future__ import annotations

import numpy as np
import pytest

from _opencl import CL, CLArray, CPU, DEV, RT, dev  # noqa: E402 - skips this module without an OpenCL device
import plugtensor as pt  # noqa: E402
from plugtensor.backend import dtypes as D  # noqa: E402

from plugtensor_opencl import _index  # noqa: E402

DTYPES = [d.name for d in RT.dtypes]
SHAPE = (3, 4, 5)


# ---------------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------------
def values(shape, dtype: str = "float32", seed: int = 0) -> np.ndarray:
    """Small integer values (exact in every dtype; sums stay exact in floats), with zeros."""
    v = np.random.default_rng(seed).integers(-3, 4, size=shape)
    return (v > 0) if dtype == "bool" else v.astype(dtype)


def host(a: CLArray) -> np.ndarray:
    assert a.is_contiguous()  # the kernels return new contiguous arrays
    return RT.read(a)


def cl_key(key):
    return tuple(dev(k) if isinstance(k, np.ndarray) else k for k in key)


def assert_same(got: np.ndarray, want: np.ndarray) -> None:
    want = np.asarray(want)
    assert got.shape == want.shape
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


i64 = np.int64


# Keys over SHAPE (3, 4, 5), written with NumPy arrays; each covers one of NumPy's placement rules.
KEYS = {
    "one": lambda: (np.array([2, -1, 0, 2]),),
    "two-d": lambda: (np.array([[0, 1], [-3, 2]]),),
    "middle": lambda: (slice(None), np.array([3, -4, 1])),
    "last": lambda: (slice(None), slice(None), np.array([4, 0, -1, 4])),
    "broadcast-pair": lambda: (np.array([[0], [2]]), np.array([1, 3, -1])),
    "separated": lambda: (np.array([0, 2]), slice(None), np.array([1, 4])),
    "int-separated": lambda: (1, slice(None), np.array([1, 4, 4])),
    "int-adjacent": lambda: (slice(None), 2, np.array([[1], [4]])),
    "none-between": lambda: (np.array([0, 2]), None, np.array([1, 3])),
    "none-first": lambda: (None, slice(1, 3), np.array([0, -4, 3])),
    "ellipsis": lambda: (Ellipsis, np.array([0, 3])),
    "stepped": lambda: (slice(None, None, 2), np.array([1, 1]), slice(1, 5, 3)),
    "zero-d-index": lambda: (np.array(1), slice(None), np.array([2, 3])),
    "basic-only": lambda: (1, slice(0, 4, 2), None),
    "all-arrays": lambda: (np.array([0, 1]), np.array([3, 2]), np.array([-1, 0])),
    "empty-index": lambda: (slice(None), np.array([], dtype=i64)),
    "mask-full": lambda: (values(SHAPE, seed=1) > 0,),
    "mask-leading": lambda: (values(SHAPE[:2], seed=2) > 0,),
    "mask-middle": lambda: (slice(None), values((4,), seed=3) > -2),
    "mask-none": lambda: (np.zeros(SHAPE[:2], dtype=bool),),
    "mask-and-index": lambda: (np.array([2]), np.array([True, False, True, True])),
    "mask-0d-true": lambda: (np.array(True),),
    "mask-0d-false": lambda: (slice(None), np.array(False)),
    "mask-0d-with-index": lambda: (np.array([1, 0]), np.array(True)),
    "python-bool-separated": lambda: (np.array([[1], [0]]), slice(None), False),
}


# ---------------------------------------------------------------------------------------------------
# index
# ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", KEYS)
def test_index_keys(name):
    x = values(SHAPE, "float32")
    key = KEYS[name]()
    assert_same(host(CL.K["index"](dev(x), cl_key(key))), CPU.K["index"](x, key))


@pytest.mark.parametrize("dtype", DTYPES)
def test_index_dtypes(dtype):
    x = values(SHAPE, dtype)
    key = KEYS["separated"]()
    assert_same(host(CL.K["index"](dev(x), cl_key(key))), CPU.K["index"](x, key))


# (3, 4, 5) non-contiguous views of a (6, 9, 10) base
VIEWS = {
    "transpose": lambda b: b.transpose(2, 0, 1)[:3, 1:5, 2:7],
    "stepped": lambda b: b[::2, 1::2, ::2],
    "expanded": lambda b: np.broadcast_to(b[0, 0, :5], SHAPE),
    "offset": lambda b: b[2:5, 1:5, 3:8],
}


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("name", ["separated", "mask-leading", "middle"])
def test_index_strided_input(view, name):
    base = values((6, 9, 10), "int32")
    x = VIEWS[view](base)
    key = KEYS[name]()
    assert x.shape == SHAPE
    assert_same(host(CL.K["index"](dev(x, base), cl_key(key))), CPU.K["index"](x, key))


def test_index_strided_index_array_and_mask():
    x = values(SHAPE, "float64")
    ibase = np.array([[3, 0, 9], [-1, 2, 7], [1, -4, 1]], dtype=i64)
    idx = ibase.T[:2, 1:]  # non-contiguous int64 index: [[-1, 1], [2, -4]]
    mbase = values((8, 5), seed=5) > 0
    mask = mbase.T[:3, ::2]  # a (3, 4) non-contiguous mask
    for key, ckey in [((slice(None), idx), (slice(None), dev(idx, ibase))), ((mask,), (dev(mask, mbase),))]:
        assert_same(host(CL.K["index"](dev(x), ckey)), CPU.K["index"](x, key))


@pytest.mark.parametrize("rank", [1, 2, 4])
def test_index_ranks(rank):
    shape = (4, 3, 2, 5)[:rank]
    x = values(shape, "int64")
    for key in [(np.array([3, -1, 0, 0]),), (Ellipsis, np.array([0, -1])), (values(shape, seed=7) > 0,)]:
        assert_same(host(CL.K["index"](dev(x), cl_key(key))), CPU.K["index"](x, key))


@pytest.mark.parametrize("idx_dtype", ["int32", "uint8", "int16"])
def test_index_other_integer_index_dtypes(idx_dtype):
    x = values(SHAPE, "float32")
    key = (slice(None), np.array([3, 0, 2, 3], dtype=idx_dtype))
    assert_same(host(CL.K["index"](dev(x), cl_key(key))), CPU.K["index"](x, key))


def test_index_zero_d_and_empty_arrays():
    x0 = np.array(2.5, dtype=np.float32)
    for key in [(np.array(True),), (np.array(False),), (), (True,), (None, False)]:
        assert_same(host(CL.K["index"](dev(x0), cl_key(key))), CPU.K["index"](x0, key))
    e = np.zeros((0, 3), dtype=np.float32)
    for key in [(np.array([], dtype=i64),), (slice(None), np.array([2, 0])), (np.zeros((0, 3), dtype=bool),)]:
        assert_same(host(CL.K["index"](dev(e), cl_key(key))), CPU.K["index"](e, key))


def test_index_errors():
    x = dev(values(SHAPE))
    with pytest.raises(IndexError):
        CL.K["index"](x, (dev(np.array([0, 1])), dev(np.array([0, 1, 2]))))
    with pytest.raises(IndexError):
        CL.K["index"](x, (dev(np.ones((3, 5), dtype=bool)),))
    with pytest.raises(IndexError):
        CL.K["index"](x, (0, 0, 0, 0))


# ---------------------------------------------------------------------------------------------------
# index_put
# ---------------------------------------------------------------------------------------------------
def check_put(base: np.ndarray, key, v, accumulate: bool, view=lambda b: b) -> None:
    """index_put into ``view(base)`` on both devices; the whole base must then agree (writes go through)."""
    want = base.copy()
    a = dev(view(base), base)
    r = CL.K["index_put"](a, cl_key(key), dev(v) if isinstance(v, np.ndarray) else v, accumulate)
    assert r is a
    CPU.K["index_put"](view(want), key, v, accumulate)
    assert_same(RT.read(CLArray(a.storage, base.shape, tuple(s // base.itemsize for s in base.strides), 0, a.dtype)),
                want)


# keys that name an element more than once: without accumulate, which write wins is unspecified
DUPLICATES = {"one", "last", "int-separated", "stepped"}


@pytest.mark.parametrize("name", KEYS)
def test_index_put_keys(name):
    x = values(SHAPE, "float32")
    key = KEYS[name]()
    shape = CPU.K["index"](x, key).shape
    v = values(shape, "float32", seed=9) + 10
    check_put(x, key, v, True)
    check_put(x, key, 7.0, False)
    if name not in DUPLICATES:
        check_put(x, key, v, False)
        if v.size:  # values broadcast over the leading dims
            check_put(x, key, v[(0,) * (len(shape) - 1)] if len(shape) > 1 else v[:1], False)


@pytest.mark.parametrize("dtype", DTYPES)
def test_index_put_accumulate_duplicates(dtype):
    x = values(SHAPE, dtype)
    key = (np.array([0, 2, 0, 0, -3]), slice(None), np.array([1, 4, 1, 1, 1]))  # (0, :, 1) four times
    v = values((5, 4), dtype, seed=11)
    check_put(x, key, v, True)
    check_put(x, key, values((4,), dtype, seed=12), True)  # values broadcast
    check_put(x, key, True if dtype == "bool" else 2, True)  # a scalar
    check_put(x, KEYS["separated"](), values((2, 4), dtype, seed=14), False)


def test_index_put_accumulate_many_duplicates():
    # 20,000 updates to two elements: the atomics must not lose any
    for dtype in ("int8", "int16", "int32", "int64", "float32"):
        x = np.zeros(3, dtype=dtype)
        idx = np.arange(20000) % 2
        check_put(x, (idx,), np.ones(20000, dtype=dtype), True)


@pytest.mark.parametrize("accumulate", [False, True])
def test_index_put_strided_target(accumulate):
    base = values((6, 9, 10), "float64")
    for view in VIEWS.values():
        if view is VIEWS["expanded"]:
            continue  # an expanded target names one element many times
        check_put(base, KEYS["separated"](), values((2, 4), "float64", seed=3).T.copy().T, accumulate, view)
        check_put(base, KEYS["mask-leading"](), 3.5, accumulate, view)
        if accumulate:
            check_put(base, (np.array([0, 0]),), values((2, 4, 5), "float64"), accumulate, view)
    # non-contiguous values
    vbase = values((5, 6), "float64", seed=3)
    check_put(values(SHAPE, "float64"), KEYS["separated"](), vbase.T[:4, :2].T, accumulate)


def test_index_put_values_alias_target():
    # x[:, [1, 2]] = x[:, [0, 1]] written through a view of the same storage: every value is read first
    x = values((4, 3), "int32")
    a = dev(x)
    v = CLArray(a.storage, (4, 2), (3, 1), 0, a.dtype)
    CL.K["index_put"](a, (slice(None), dev(np.array([1, 2]))), v, False)
    want = x.copy()
    want[:, [1, 2]] = x[:, 0:2]
    assert_same(RT.read(a), want)


def test_index_put_shape_mismatch_and_empty():
    a = dev(values(SHAPE))
    with pytest.raises(ValueError):
        CL.K["index_put"](a, (dev(np.array([0, 1])),), dev(values((3, 5))), False)
    check_put(values(SHAPE), (np.array([], dtype=i64),), values((0, 4, 5)), True)
    check_put(values(SHAPE), (slice(None), np.array([], dtype=i64)), 2.0, False)
    check_put(values(SHAPE), (np.zeros(SHAPE, dtype=bool),), 1.0, False)


def test_accumulate_serial_fallback(monkeypatch):
    # a device without 64-bit atomics adds the updates in one work item
    monkeypatch.setattr(_index, "_atomic_mode", lambda rt, dtype: "serial")
    check_put(values(SHAPE, "float64"), (np.array([0, 0, 2, 0]),), values((4, 4, 5), "float64"), True)


# ---------------------------------------------------------------------------------------------------
# take_along_axis and scatter_add
# ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("rank", [1, 2, 3, 4])
def test_take_along_axis(rank):
    shape = (4, 3, 5, 2)[:rank]
    x = values(shape, "float32")
    rng = np.random.default_rng(rank)
    for axis in range(-rank, rank):
        ishape = list(shape)
        ishape[axis] = 6
        idx = rng.integers(-shape[axis], shape[axis], size=ishape)
        assert_same(host(CL.K["take_along_axis"](dev(x), dev(idx), axis)), CPU.K["take_along_axis"](x, idx, axis))
    if rank >= 2:  # broadcasting: a size-1 dim of the index (or of a) spreads over the other's
        idx = rng.integers(0, shape[0], size=(2,) + (1,) * (rank - 1))
        assert_same(host(CL.K["take_along_axis"](dev(x), dev(idx), 0)), CPU.K["take_along_axis"](x, idx, 0))
        x1 = x[:, :1]
        idx = rng.integers(0, shape[0], size=(3,) + shape[1:])
        assert_same(host(CL.K["take_along_axis"](dev(x1.copy()), dev(idx), 0)),
                    CPU.K["take_along_axis"](x1, idx, 0))


@pytest.mark.parametrize("dtype", DTYPES)
def test_take_along_axis_dtypes_strided(dtype):
    base = values((5, 6, 4), dtype)
    x = base.transpose(2, 0, 1)[:, 1:, ::2]  # (4, 4, 3)
    ibase = np.random.default_rng(1).integers(-3, 3, size=(3, 4, 4))
    idx = ibase.transpose(2, 1, 0)[:, :, 1:]  # (4, 4, 2)
    got = CL.K["take_along_axis"](dev(x, base), dev(idx, ibase), -1)
    assert_same(host(got), CPU.K["take_along_axis"](x, idx, -1))


# every dtype at rank 2, every rank for a few dtypes (each pair compiles a kernel)
SCATTER_CASES = sorted({(d, 2) for d in DTYPES} | {(d, r) for d in ("float32", "int64", "int8", "bool")
                                                   for r in (1, 2, 3, 4)})


@pytest.mark.parametrize("dtype,rank", SCATTER_CASES)
def test_scatter_add(dtype, rank):
    shape = (4, 3, 5, 2)[:rank]
    rng = np.random.default_rng(rank)
    axis = rank - 1
    ishape = [max(1, s - 1) for s in shape]
    ishape[axis] = 7  # more entries than the dim: duplicates
    idx = rng.integers(0, shape[axis], size=ishape)
    src = values(ishape, dtype, seed=4)
    want = values(shape, dtype)
    got = dev(want)
    CPU.K["scatter_add"](want, axis, idx, src)
    assert CL.K["scatter_add"](got, axis, dev(idx), dev(src)) is got
    assert_same(RT.read(got), want)


def test_scatter_add_strided_dst_index_src():
    base = values((6, 7, 5), "float64")
    dst = base[1:5, ::2, 1:4].transpose(2, 0, 1)  # (3, 4, 4), a view: the base must change
    ibase = np.random.default_rng(2).integers(0, 4, size=(4, 3, 6))
    idx = ibase.transpose(1, 2, 0)[:, ::2, :]  # (3, 3, 4)
    sbase = values((4, 3, 3), "float64", seed=8)
    src = sbase.transpose(1, 2, 0)  # (3, 3, 4)
    got = dev(dst, base)
    CL.K["scatter_add"](got, 1, dev(idx, ibase), dev(src, sbase))
    want = base.copy()
    CPU.K["scatter_add"](want[1:5, ::2, 1:4].transpose(2, 0, 1), 1, idx, src)
    assert_same(RT.read(CLArray(got.storage, base.shape, (35, 5, 1), 0, got.dtype)), want)


# ---------------------------------------------------------------------------------------------------
# nonzero and concatenate
# ---------------------------------------------------------------------------------------------------
NONZERO_CASES = sorted({(d, 3) for d in DTYPES} | {(d, r) for d in ("bool", "float32") for r in range(5)})


@pytest.mark.parametrize("dtype,rank", NONZERO_CASES)
def test_nonzero(dtype, rank):
    shape = (3, 5, 2, 4)[:rank]
    x = values(shape, dtype, seed=rank)
    assert_same(RT.read(CL.K["nonzero"](dev(x))), CPU.K["nonzero"](x))
    assert_same(RT.read(CL.K["nonzero"](dev(np.zeros(shape, x.dtype)))), CPU.K["nonzero"](np.zeros(shape, x.dtype)))


def test_nonzero_special_values_strided_large():
    f = np.array([0.0, -0.0, np.nan, np.inf, 1e-30, 0.0], dtype=np.float32)
    assert_same(RT.read(CL.K["nonzero"](dev(f))), CPU.K["nonzero"](f))
    base = values((40, 30, 50), "int16", seed=3)
    x = base.transpose(2, 0, 1)[::3, 1:, 5:]  # 14 x 39 x 25, several chunks
    assert_same(RT.read(CL.K["nonzero"](dev(x, base))), CPU.K["nonzero"](x))
    big = (np.arange(3_000_000) % 7 == 3).astype(np.uint8)
    assert_same(RT.read(CL.K["nonzero"](dev(big))), CPU.K["nonzero"](big))
    for e in (np.zeros((0,), np.float32), np.zeros((2, 0, 3), np.float32)):
        assert_same(RT.read(CL.K["nonzero"](dev(e))), CPU.K["nonzero"](e))


@pytest.mark.parametrize("dtype", DTYPES)
def test_concatenate(dtype):
    base = values((4, 6, 5), dtype)
    parts = [base[:2, :3], base.transpose(1, 0, 2)[:2, 1:4], base[::2, ::2][:, :3], base[:0, :3]]
    for axis in (0, -3):
        got = CL.K["concatenate"]([dev(p, base) for p in parts], axis)
        assert_same(host(got), CPU.K["concatenate"](parts, axis))
    parts = [base[:2, :1], base[1:3, 2:6], base[:2, 0:0]]
    assert_same(host(CL.K["concatenate"]([dev(p, base) for p in parts], 1)), CPU.K["concatenate"](parts, 1))


@pytest.mark.parametrize("rank", [1, 2, 4])
def test_concatenate_ranks(rank):
    shape = (2, 3, 2, 2)[:rank]
    parts = [values(shape, "int32", seed=s) for s in range(3)]
    axis = rank - 1
    assert_same(host(CL.K["concatenate"]([dev(p) for p in parts], axis)), CPU.K["concatenate"](parts, axis))


# ---------------------------------------------------------------------------------------------------
# the public ops that use these kernels
# ---------------------------------------------------------------------------------------------------
def both(x: np.ndarray):
    return pt.tensor(x), pt.tensor(x, device=DEV)


def same(c: pt.Tensor, o: pt.Tensor) -> None:
    assert o.device.type == DEV
    assert o.dtype == c.dtype
    assert_same(o.to("cpu").numpy(), c.numpy())


def pkey(key, device):
    return tuple(pt.tensor(k, device=device) if isinstance(k, np.ndarray) else k for k in key)


@pytest.mark.parametrize("name", ["middle", "separated", "int-adjacent", "none-between", "broadcast-pair",
                                  "all-arrays", "mask-full", "mask-middle", "mask-and-index", "empty-index"])
def test_public_getitem_setitem(name):
    x = values(SHAPE, "float32")
    key = KEYS[name]()
    c, o = both(x)
    same(c[pkey(key, "cpu")], o[pkey(key, DEV)])
    shape = c[pkey(key, "cpu")].shape
    v = values(tuple(shape), "float32", seed=5) + 10
    c[pkey(key, "cpu")] = pt.tensor(v)
    o[pkey(key, DEV)] = pt.tensor(v, device=DEV)
    same(c, o)
    c[pkey(key, "cpu")] = -1.5
    o[pkey(key, DEV)] = -1.5
    same(c, o)


def test_public_index_put_gather_scatter():
    x = values(SHAPE, "float64")
    c, o = both(x)
    idx = np.array([0, 2, 0, -1])
    v = values((4, 4, 5), "float64", seed=3)
    c.index_put_((pt.tensor(idx),), pt.tensor(v), accumulate=True)
    o.index_put_((pt.tensor(idx, device=DEV),), pt.tensor(v, device=DEV), accumulate=True)
    same(c, o)
    g = np.random.default_rng(0).integers(0, 4, size=(3, 6, 5))
    same(pt.gather(c, 1, pt.tensor(g)), pt.gather(o, 1, pt.tensor(g, device=DEV)))
    src = values((3, 6, 5), "float64", seed=4)
    same(c.scatter_add(1, pt.tensor(g), pt.tensor(src)), o.scatter_add(1, pt.tensor(g, device=DEV),
                                                                      pt.tensor(src, device=DEV)))
    sel = np.array([4, 0, 4])
    same(c.index_select(2, pt.tensor(sel)), o.index_select(2, pt.tensor(sel, device=DEV)))
    t = np.array([[-1, 5], [59, 0]])
    same(pt.take(c, pt.tensor(t)), pt.take(o, pt.tensor(t, device=DEV)))


def test_public_masks_nonzero_cat_stack():
    x = values(SHAPE, "int32")
    c, o = both(x)
    m = values((4, 5), seed=6) > 0
    same(c.masked_select(pt.tensor(m)), o.masked_select(pt.tensor(m, device=DEV)))
    same(c.masked_fill(pt.tensor(m), 9), o.masked_fill(pt.tensor(m, device=DEV), 9))
    same(c.nonzero(), o.nonzero())
    for cc, oo in zip(c.nonzero(as_tuple=True), o.nonzero(as_tuple=True)):
        same(cc, oo)
    same(pt.cat([c, c.transpose(1, 2)[:, :, 1:].transpose(1, 2)], 1),  # a (3, 3, 5) non-contiguous part
         pt.cat([o, o.transpose(1, 2)[:, :, 1:].transpose(1, 2)], 1))
    same(pt.stack([c[:, :, 1:], c[:, :, :4]], 2), pt.stack([o[:, :, 1:], o[:, :, :4]], 2))
