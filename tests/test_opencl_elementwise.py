"""The OpenCL elementwise kernels (unary/binary ops, where, astype, copy_, fill, flip, contiguous,
clone, arange) against the NumPy backend (device ``cpu``): each kernel is called with the same
operands on both devices -- edge values, every dtype the device has, ranks 0-4, broadcasting,
strided views, Python scalars on either side, ``out=`` into strided views, empty arrays -- and the
values, dtypes and shapes must agree. The public ops that use them are checked the same way.

Views are made the same way on both sides: a NumPy view of a contiguous base, and the CLArray with
the same element strides and offset over the base written to the device.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from _opencl import CL, CLArray, CPU, DEV, RT, dev  # noqa: E402 - skips this module without an OpenCL device
import plugtensor as pt  # noqa: E402
from plugtensor.backend import BINARY_KERNELS, UNARY_KERNELS  # noqa: E402
from plugtensor.backend import dtypes as D  # noqa: E402

from plugtensor_opencl import _elementwise as E  # noqa: E402

DTYPES = [d.name for d in RT.dtypes]
FLOATS = [d for d in DTYPES if d.startswith("float")]
# Every kernel signature compiles once (~0.15 s cold): the full op sweeps use these dtypes, and int16,
# int32 and float64 (the same generated code at another width) get the ops whose results depend on it.
SWEEP = [d for d in DTYPES if d not in ("int16", "int32", "float64")]
WIDTH_OPS = ("add", "mul", "neg", "abs", "floor_divide", "remainder", "fmod", "div", "bitwise_left_shift",
             "bitwise_right_shift", "bitwise_not", "round", "isnan", "reciprocal")

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


# ---------------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------------
def edge(dtype: str) -> np.ndarray:
    """Values that exercise every rule of the ops: signs, zeros, halves, limits, nan and inf."""
    if dtype == "bool":
        return np.array([True, False, True, False, False, True])
    if dtype.startswith("float"):
        v = [0.0, -0.0, 0.5, -0.5, 1.0, -1.0, 1.5, 2.5, -2.5, 3.0, -7.25, 100.0, 1e30, -1e30, np.inf, -np.inf, np.nan]
        return np.array(v, dtype=dtype)
    info = np.iinfo(dtype)
    v = [0, 1, -1, 2, -2, 3, 7, -7, 100, -100, info.max, info.min, info.max - 1, info.min + 1]
    return np.array([x for x in v if info.min <= x <= info.max], dtype=dtype)


def values(shape, dtype: str = "float32", seed: int = 0) -> np.ndarray:
    """Small values (exact in every dtype), with zeros."""
    v = np.random.default_rng(seed).integers(-5, 6, size=shape)
    return np.asarray((v > 0) if dtype == "bool" else (v * (0.5 if dtype.startswith("float") else 1)).astype(dtype))


def host(a: CLArray) -> np.ndarray:
    return CL.backend.to_host(a)


def base_of(a: CLArray, base: np.ndarray) -> np.ndarray:
    """The whole base storage of the view ``a`` (to check writes through views)."""
    return RT.read(CLArray(a.storage, base.shape, tuple(s // base.itemsize for s in base.strides), 0, a.dtype))


def assert_same(got, want, rtol: float = 0.0) -> None:
    want = np.asarray(want)
    got = np.asarray(got)
    assert got.shape == want.shape
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    if rtol and want.dtype.kind == "f":
        np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-37 if want.dtype == np.float32 else 1e-300,
                                   equal_nan=True)
    else:
        np.testing.assert_array_equal(got, want)


def tol(dtype) -> float:
    """OpenCL's math builtins may be a few ulp off the C library NumPy uses."""
    return {"float32": 4e-6, "float64": 1e-13, "float16": 2e-3}.get(np.dtype(dtype).name, 0.0)


def run(name: str, *args, rtol: float = 0.0) -> None:
    """Kernel ``name`` on NumPy arrays / scalars (cpu) and on their device copies (opencl) must agree."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        want = CPU.K[name](*args)
    got = host(CL.K[name](*[dev(a) if isinstance(a, np.ndarray) else a for a in args]))
    assert_same(got, want, rtol)


def cpu_raises(name: str, *args) -> bool:
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            CPU.K[name](*args)
    except (TypeError, ValueError, OverflowError):
        return True
    return False


# ---------------------------------------------------------------------------------------------------
# the kernel table
# ---------------------------------------------------------------------------------------------------
def test_every_elementwise_kernel_is_provided():
    table = E.kernels()
    for name in UNARY_KERNELS + BINARY_KERNELS + ("where", "astype", "copy_", "contiguous", "clone", "flip"):
        assert callable(table[name]), name
        assert CL.K[name] is not None


# ---------------------------------------------------------------------------------------------------
# unary ops over edge values of every dtype
# ---------------------------------------------------------------------------------------------------
FLOAT_ONLY = ["exp", "expm1", "log", "log1p", "log2", "log10", "sqrt", "sin", "cos", "tan", "asin", "acos", "atan",
              "sinh", "cosh", "tanh"]
ANY_DTYPE = ["neg", "abs", "sign", "floor", "ceil", "round", "trunc", "square", "logical_not", "bitwise_not",
             "isnan", "isinf", "isfinite", "reciprocal"]


@pytest.mark.parametrize("name,dtype", [(n, d) for n in FLOAT_ONLY for d in FLOATS
                                        if d == "float32" or n in ("exp", "log", "sin", "sqrt", "tanh", "expm1")])
def test_float_unary(name, dtype):
    x = edge(dtype)
    if name in ("asin", "acos", "atan", "tanh", "sin", "cos", "tan"):
        x = np.concatenate([x, np.linspace(-1, 1, 9, dtype=dtype)])
    run(name, x, rtol=tol(dtype))


def unary_cases() -> list:
    """(op, dtype) pairs NumPy has a loop for and the core may send (it casts or raises first for the
    others: bool negation/rounding, integer reciprocal and rint)."""
    out = []
    for name in ANY_DTYPE:
        for dtype in DTYPES:
            if dtype not in SWEEP and name not in WIDTH_OPS:
                continue
            never = (dtype == "bool" and name in ("neg", "square", "reciprocal", "floor", "ceil", "round", "trunc")) \
                or (name in ("reciprocal", "round") and dtype not in FLOATS)
            if not never and not cpu_raises(name, edge(dtype)):
                out.append((name, dtype))
    return out


@pytest.mark.parametrize("name,dtype", unary_cases())
def test_unary_every_dtype(name, dtype):
    run(name, edge(dtype), rtol=tol(dtype))


def test_erf_against_math():
    import math
    x = np.array([-3.0, -1.0, -0.25, 0.0, 0.1, 0.5, 2.0, np.inf, -np.inf], dtype=np.float32)
    got = host(CL.K["erf"](dev(x)))
    want = np.array([math.erf(v) for v in x.astype(np.float64)], dtype=np.float32)
    np.testing.assert_allclose(got, want, rtol=4e-6, atol=1e-7)


def test_unary_integer_input_to_float_op_is_promoted_like_numpy():
    x = np.array([0, 1, 4, 9], dtype=np.int32)
    run("sqrt", x, rtol=1e-13)  # int32 -> float64, as NumPy


# ---------------------------------------------------------------------------------------------------
# binary ops: every pair of edge values, every dtype
# ---------------------------------------------------------------------------------------------------
def pairs(dtype: str) -> tuple[np.ndarray, np.ndarray]:
    v = edge(dtype)
    a, b = np.broadcast_arrays(v[:, None], v[None, :])
    return np.ascontiguousarray(a), np.ascontiguousarray(b)


def binary_cases() -> list:
    """(op, dtype) pairs NumPy has a loop for and the core may send (it raises for bool division and
    shifts, and casts integers to float for atan2)."""
    out = []
    for name in BINARY_KERNELS:
        for dtype in DTYPES:
            if dtype not in SWEEP and name not in WIDTH_OPS:
                continue
            never = name == "pow" or (name == "atan2" and dtype not in FLOATS) or (dtype == "bool" and name in (
                "floor_divide", "remainder", "fmod", "div", "atan2", "bitwise_left_shift", "bitwise_right_shift"))
            if not never and not cpu_raises(name, *pairs(dtype)):
                out.append((name, dtype))
    return out


@pytest.mark.parametrize("name,dtype", binary_cases())
def test_binary_every_dtype(name, dtype):
    a, b = pairs(dtype)
    approx = name in ("div", "atan2") or (dtype == "float16")
    run(name, a, b, rtol=tol(dtype) if approx else 0.0)


@pytest.mark.parametrize("dtype", [d for d in DTYPES if d != "bool"])  # the core does bool ** bool itself
def test_pow(dtype):
    if dtype.startswith("float"):
        a, b = pairs(dtype)
        run("pow", a, b, rtol=tol(dtype))
        return
    # integer powers: wraparound, every exponent up to beyond the bit width (NumPy rejects negative ones)
    info = np.iinfo(dtype)
    base = np.array([x for x in (0, 1, -1, 2, -2, 3, -3, 7, 100, info.max, info.min) if x >= info.min], dtype=dtype)
    exps = np.array([0, 1, 2, 3, 5, 7, 8, 15, 31, 63, 64, 100][: 12 if info.bits >= 8 else 8], dtype=np.int64)
    exps = exps[exps <= info.max].astype(dtype)
    a, b = np.broadcast_arrays(base[:, None], exps[None, :])
    run("pow", np.ascontiguousarray(a), np.ascontiguousarray(b))


def test_integer_pow_negative_exponent_is_pytorchs():
    a = np.array([1, -1, -1, 2, -3, 0], dtype=np.int64)
    b = np.array([-3, -2, -3, -1, -2, -1], dtype=np.int64)  # NumPy raises here; PyTorch gives these
    assert host(CL.K["pow"](dev(a), dev(b))).tolist() == [1, 1, -1, 0, 0, 0]


def test_integer_division_by_zero_does_not_trap():
    a = np.array([7, -7, 0, -128], dtype=np.int8)
    for name in ("floor_divide", "remainder", "fmod"):
        run(name, a, np.zeros(4, dtype=np.int8))
        run(name, a, np.full(4, -1, dtype=np.int8))


def _int_zero_division_forms():
    """name -> call(module, x, z) for every form of integer division by a zero divisor."""
    def aug_floordiv(m, x, z):
        x //= z
        return x

    def aug_mod(m, x, z):
        x %= z
        return x
    return {
        "floor_divide": lambda m, x, z: m.floor_divide(x, z), "//": lambda m, x, z: x // z,
        "//=": aug_floordiv, "floor_divide_": lambda m, x, z: x.floor_divide_(z), "// 0": lambda m, x, z: x // 0,
        "7 // z": lambda m, x, z: 7 // z, "div trunc": lambda m, x, z: m.div(x, z, rounding_mode="trunc"),
        "div floor": lambda m, x, z: m.div(x, z, rounding_mode="floor"),
        "div_ trunc 0": lambda m, x, z: x.div_(0, rounding_mode="trunc"),
        "remainder": lambda m, x, z: m.remainder(x, z), "%": lambda m, x, z: x % z, "%=": aug_mod,
        "% 0": lambda m, x, z: x % 0, "7 % z": lambda m, x, z: 7 % z, "fmod": lambda m, x, z: m.fmod(x, z),
        "fmod 0": lambda m, x, z: m.fmod(x, 0), "fmod_": lambda m, x, z: x.fmod_(z),
        "remainder out=": lambda m, x, z: m.remainder(x, z, out=m.empty_like(x)),
        "0-dim divisor": lambda m, x, z: m.floor_divide(x, z[1]),
    }


@pytest.mark.parametrize("dtype", ["int8", "int64", "uint8"])
@pytest.mark.parametrize("form", list(_int_zero_division_forms()))
def test_integer_division_by_zero_raises_like_torch(form, dtype):
    """The kernels answer 0 (above); the public ops raise PyTorch's CPU error on the device too,
    before writing anything (docs/decisions.md: one reduction and a one-element read per division)."""
    torch = pytest.importorskip("torch")
    call = _int_zero_division_forms()[form]
    a, z = np.array([7, 0, 5], dtype=dtype), np.array([2, 0, 1], dtype=dtype)
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        call(torch, torch.from_numpy(a.copy()), torch.from_numpy(z))
    x = pt.tensor(a, device=DEV)
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        call(pt, x, pt.tensor(z, device=DEV))
    assert x.tolist() == a.tolist()
    ok = pt.tensor(np.array([2, 3, 1], dtype=dtype), device=DEV)  # no zero: no error, PyTorch's values
    got = pt.tensor(a, device=DEV) // ok
    assert got.tolist() == (torch.from_numpy(a) // torch.from_numpy(np.array([2, 3, 1], dtype=dtype))).tolist()


@pytest.mark.parametrize("dtype,scalar", [(d, s) for d in ("float32", "int64", "bool") for s in (2, -3, 2.5, True)])
@pytest.mark.parametrize("name", ["sub", "floor_divide"])
def test_python_scalar_on_either_side(name, scalar, dtype):
    x = values((3, 4), dtype, seed=1)
    for args in ((x, scalar), (scalar, x)):
        if cpu_raises(name, *args) or (dtype == "bool" and name == "floor_divide"):
            continue
        run(name, *args, rtol=1e-6)


def test_scalar_wraps_into_small_integer_dtypes():
    x = values((5,), "uint8")  # NumPy 2 raises for out-of-range Python ints; the core wraps them first
    got = host(CL.K["add"](dev(x), 300))
    assert_same(got, (x + np.uint8(300 % 256)).astype(np.uint8))
    got = host(CL.K["sub"](dev(x), -1))
    assert_same(got, (x + np.uint8(1)).astype(np.uint8))


def test_float32_scalar_rounds_like_numpy():
    x = np.array([1.0, 2.0], dtype=np.float32)
    run("add", x, 0.1)
    run("mul", x, 1e300)  # the scalar overflows float32 to inf, as NumPy's weak scalar does
    run("div", 3, x, rtol=1e-7)


def test_new_scalars_compile_no_new_kernel():
    x = dev(values((4,), "float32"))
    CL.K["mul"](x, 1.0)
    n = len(E._dev(RT).kernels)
    for s in (2.0, 3.5, -1e10):
        CL.K["mul"](x, s)
    assert len(E._dev(RT).kernels) == n


# ---------------------------------------------------------------------------------------------------
# layouts: ranks 0-4, broadcasting, strided and expanded views, out= into views, empty arrays
# ---------------------------------------------------------------------------------------------------
SHAPES = [(), (5,), (3, 4), (2, 3, 4), (2, 3, 2, 3)]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_ranks(shape):
    a, b = values(shape, seed=1), values(shape, seed=2)
    run("add", a, b)
    run("exp", a, rtol=4e-6)
    run("where", np.asarray(a > 0), a, b)
    if shape:
        tb = np.arange(2 * a.size, dtype=np.float32).reshape((2,) + shape)
        v = np.transpose(tb[1])  # a transposed view with an offset (strided on the device too)
        assert_same(host(CL.K["mul"](dev(v, tb), 2.0)), CPU.K["mul"](v, 2.0))
        cb = tb > 3
        c = np.transpose(cb[1])
        assert_same(host(CL.K["where"](dev(c, cb), dev(v, tb), dev(np.array(-1.0, np.float32)))),
                    CPU.K["where"](c, v, np.array(-1.0, np.float32)))


VIEWS = {
    "transpose": lambda b: b.transpose(2, 0, 1)[:3, 1:5, 2:7],
    "stepped": lambda b: b[::2, 1::2, ::2],
    "expanded": lambda b: np.broadcast_to(b[0, 0, :5], (3, 4, 5)),
    "offset": lambda b: b[2:5, 1:5, 3:8],
    "row-expanded": lambda b: np.broadcast_to(b[1, :4, 2:3], (3, 4, 5)),
}


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("dtype", ["float32", "int16"])
def test_strided_inputs(view, dtype):
    base = values((6, 9, 10), dtype)
    x = VIEWS[view](base)
    y = values((3, 4, 5), dtype, seed=4)
    assert x.shape == (3, 4, 5)
    for name, args, cargs in [("add", (x, y), (dev(x, base), dev(y))), ("sub", (y, x), (dev(y), dev(x, base))),
                              ("neg", (x,), (dev(x, base),)), ("mul", (x, 3), (dev(x, base), 3)),
                              ("astype", (x, D.float64), (dev(x, base), D.float64)),
                              ("clone", (x,), (dev(x, base),)), ("contiguous", (x,), (dev(x, base),))]:
        want = CPU.K[name](*args)
        want = np.asarray(want).astype(np.float64) if name == "astype" else want
        got = CL.K[name](*cargs)
        assert got.is_contiguous()
        assert_same(host(got), want)


@pytest.mark.parametrize("sa,sb", [((3, 1), (1, 4)), ((4,), (2, 3, 4)), ((2, 1, 4), (3, 1)), ((), (2, 3)),
                                   ((1, 1, 1, 5), (2, 3, 1, 1)), ((3, 0), (1, 1)), ((1,), ())])
def test_broadcasting(sa, sb):
    a, b = values(sa, seed=1), values(sb, seed=2)
    run("add", a, b)
    run("ge", a, b)
    run("where", values(sa, "bool", seed=3), a, b)


def test_broadcast_mismatch_is_value_error():
    with pytest.raises(ValueError):
        CL.K["add"](dev(values((3,))), dev(values((4,))))
    with pytest.raises(ValueError):
        CL.K["add"](dev(values((2, 3))), dev(values((3,))), out=dev(values((3,))))


@pytest.mark.parametrize("view", ["stepped", "transpose", "offset"])
def test_out_into_strided_view(view):
    base = values((6, 9, 10), "float32")
    want = base.copy()
    out_np = VIEWS[view](want)
    out = dev(VIEWS[view](base), base)
    a, b = values((3, 4, 5), seed=5), values((4, 5), seed=6)
    r = CL.K["mul"](dev(a), dev(b), out=out)
    assert r is out
    CPU.K["mul"](a, b, out=out_np)
    assert_same(base_of(out, base), want)
    # unary and comparison (into a bool view) and an out of another dtype (converted on store)
    CL.K["exp"](dev(a), out=out)
    CPU.K["exp"](a, out=out_np)
    np.testing.assert_allclose(base_of(out, base), want, rtol=4e-6)


def test_out_aliasing_an_input():
    x = np.arange(10, dtype=np.float32)
    d = dev(x)
    CL.K["add"](d, d, out=d)  # the same layout: fine in place
    assert_same(host(d), x + x)
    # overlapping but shifted: the result must be as if the inputs were read first
    base = np.arange(10, dtype=np.float32)
    db = dev(base)
    out = CLArray(db.storage, (9,), (1,), 1, db.dtype)
    inp = CLArray(db.storage, (9,), (1,), 0, db.dtype)
    CL.K["add"](inp, 1.0, out=out)
    want = base.copy()
    np.add(base[:9].copy(), 1.0, out=want[1:])
    assert_same(host(db), want)


@pytest.mark.parametrize("shape", [(0,), (3, 0, 2)], ids=str)
def test_empty(shape):
    a = values(shape)
    run("add", a, a)
    run("mul", a, 2.0)
    run("exp", a)
    run("where", np.asarray(a > 0), a, a)
    assert host(CL.K["astype"](dev(a), D.int32)).shape == shape
    assert host(E.flip(dev(a), None)).shape == shape
    d = dev(a)
    assert CL.K["copy_"](d, 1.0) is d
    assert E.arange(RT, 0, 1, 0, D.float32).shape == (0,)


# ---------------------------------------------------------------------------------------------------
# where, astype, copy_, fill, flip, contiguous, clone, arange
# ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", SWEEP)
def test_where_dtypes_and_zero_d_operands(dtype):
    c = values((3, 4), "bool", seed=7)
    a, b = values((3, 4), dtype, seed=1), values((4,), dtype, seed=2)
    run("where", c, a, b)
    run("where", c, np.array(edge(dtype)[1]), b)  # 0-d arrays, as the core makes for scalars
    run("where", c, a, np.array(edge(dtype)[2]))


NARROWING = {("int64", "int32"), ("int64", "uint8"), ("int32", "int16"), ("int16", "int8"), ("int8", "uint8"),
             ("uint8", "int8")}


def interesting_casts(src: str) -> list[str]:
    """Every target of a float or bool; integers to bool, floats and narrower integers (wrapping)."""
    if src == "bool" or src.startswith("float"):
        return DTYPES
    return [d for d in DTYPES if d == "bool" or d.startswith("float") or (src, d) in NARROWING]


@pytest.mark.parametrize("src", DTYPES)
def test_astype(src):
    x = edge(src)
    if src.startswith("float"):  # values that truncate, wrap, or are out of every integer range
        x = np.concatenate([x, np.array([300.5, -300.5, 255.9, 65535.7, 40000.2, -40000.2, 3e9, -3e9,
                                         2.0**31, -2.0**31 - 1, 2.0**63, 1e10], dtype=src)])
    for dst in interesting_casts(src):
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            want = CPU.K["astype"](x, getattr(D, dst))
        got = CL.K["astype"](dev(x), getattr(D, dst))
        assert_same(host(got), want)


def test_astype_returns_a_copy():
    d = dev(values((4,)))
    r = CL.K["astype"](d, D.float32)
    assert r.storage is not d.storage


@pytest.mark.parametrize("view", ["stepped", "transpose", "offset"])
def test_copy_into_strided_view_with_broadcast_and_cast(view):
    base = values((6, 9, 10), "int32")
    want = base.copy()
    dst_np = VIEWS[view](want)
    dst = dev(VIEWS[view](base), base)
    src = values((4, 1), "float64", seed=8) * 3.3
    assert CL.K["copy_"](dst, dev(src)) is dst
    CPU.K["copy_"](dst_np, src)
    assert_same(base_of(dst, base), want)
    # a Python scalar
    CL.K["copy_"](dst, -7.9)
    CPU.K["copy_"](dst_np, -7.9)
    assert_same(base_of(dst, base), want)


def test_writing_into_an_expanded_view_is_value_error():
    base = values((5,))
    dst = CLArray(dev(base).storage, (3, 5), (0, 1), 0, D.float32)
    with pytest.raises(ValueError):
        CL.K["copy_"](dst, dev(values((3, 5))))
    with pytest.raises(ValueError):
        CL.K["add"](dev(values((3, 5))), 1.0, out=dst)


def test_copy_between_overlapping_views():
    base = np.arange(12, dtype=np.int64)
    d = dev(base)
    CL.K["copy_"](CLArray(d.storage, (10,), (1,), 2, d.dtype), CLArray(d.storage, (10,), (1,), 0, d.dtype))
    want = base.copy()
    want[2:] = base[:10]
    assert_same(host(d), want)
    CL.K["copy_"](CLArray(d.storage, (12,), (1,), 0, d.dtype), CLArray(d.storage, (12,), (-1,), 11, d.dtype))
    assert_same(host(d), want[::-1])


@pytest.mark.parametrize("dtype", [d for d in DTYPES if d in ("bool", "uint8", "int64", "float32", "float64")])
def test_fill(dtype):
    base = values((4, 6), dtype)
    want = base.copy()
    d = dev(base)
    view = CLArray(d.storage, (2, 3), (12, 2), 1, d.dtype)
    value = {"bool": True, "float32": -2.75, "float64": 1e300, "uint8": 250}.get(dtype, -3)
    E.fill(view, value)
    want[::2, 1::2][:2, :3] = value
    assert_same(host(d), want)
    full = CL.backend.full((2, 3), value, getattr(D, dtype), 0)
    assert_same(host(full), np.full((2, 3), value, dtype=want.dtype))


@pytest.mark.parametrize("axes", [None, (0,), (1, 2), (-1,), 2, (0, 1, 2)], ids=str)
def test_flip(axes):
    base = values((4, 6, 5), "int32")
    x = base[1:, ::2, :]
    want = CPU.K["flip"](x, axes)
    got = CL.K["flip"](dev(x, base), axes)
    assert got.is_contiguous()
    assert_same(host(got), want)


def test_contiguous_and_clone():
    d = dev(values((3, 4)))
    assert CL.K["contiguous"](d) is d
    c = CL.K["clone"](d)
    assert c.storage is not d.storage and c.is_contiguous()
    assert_same(host(c), host(d))
    t = CLArray(d.storage, (4, 3), (1, 4), 0, d.dtype)
    ct = CL.K["contiguous"](t)
    assert ct is not t and ct.is_contiguous()
    assert_same(host(ct), values((3, 4)).T)


@pytest.mark.parametrize("start,step,n,dtype", [c for c in [
    (0, 1, 10, "int64"), (-3, 2, 7, "int32"), (5, -3, 6, "int16"), (0.5, 0.1, 11, "float32"), (-1.0, 0.3, 9, "float64"),
    (0, 1, 5, "float32"), (2, 1, 4, "uint8"), (0.5, 0.7, 4, "int64"), (2**40, 3, 4, "int64")] if c[3] in DTYPES])
def test_arange(start, step, n, dtype):
    dt = getattr(D, dtype)
    assert_same(host(E.arange(RT, start, step, n, dt)), CPU.backend.arange(start, step, n, dt, 0))


# ---------------------------------------------------------------------------------------------------
# the public ops on the device agree with cpu
# ---------------------------------------------------------------------------------------------------
def test_public_ops_match_cpu():
    x = np.random.default_rng(0).standard_normal((3, 4, 5)).astype(np.float32)
    y = np.random.default_rng(1).standard_normal((4, 1)).astype(np.float32)
    for xs, ys in ((x, y),):
        results = []
        for device in ("cpu", DEV):
            a, b = pt.tensor(xs, device=device), pt.tensor(ys, device=device)
            at = a.transpose(0, 2)[:, ::2]
            r = [a + b, a * 2 - b, (a / b).floor(), a.sigmoid(), at.exp(), a.clamp(-0.5, 0.5), a > b,
                 pt.where(a > 0, a, b), a.int() // 3, (a.int() % -3), a.double().sqrt(), -at, a.round(),
                 a.to(pt.int8), a.abs().log1p()]
            c = pt.zeros(5, 4, 3, device=device)
            c[:, 1:3] = 1.5
            c.add_(1)
            r.append(c)
            results.append([t.cpu().numpy() for t in r])
        for got, want in zip(results[1], results[0]):
            assert got.dtype == want.dtype
            np.testing.assert_allclose(got, want, rtol=4e-6, atol=1e-6, equal_nan=True)
