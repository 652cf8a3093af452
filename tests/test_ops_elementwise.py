"""Per-op tests of plugtensor's elementwise ops on the cpu device.

Values are checked against NumPy in float64, result dtypes, node names and exception types against
PyTorch, and gradients against central finite differences (and torch where ties make the
convention matter).
"""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hypothesis import given, settings, strategies as st  # noqa: E402

import plugtensor as pt  # noqa: E402
from _helpers import (ALL_DTYPES, assert_close, dtype_name, grad_fn_name, gradcheck, layout, pt_tensor,  # noqa: E402
                      sample, same_exception, to_np, torch_grads, torch_tensor)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# name -> (float64 reference, input range). Ranges keep inputs inside the op's domain and away from
# the kinks where finite differences are meaningless.
UNARY = {
    "neg": (np.negative, -3, 3), "abs": (np.abs, -3, 3), "exp": (np.exp, -3, 3), "expm1": (np.expm1, -3, 3),
    "log": (np.log, 0.1, 5), "log1p": (np.log1p, -0.9, 5), "log2": (np.log2, 0.1, 5), "log10": (np.log10, 0.1, 5),
    "sqrt": (np.sqrt, 0.1, 5), "rsqrt": (lambda x: 1 / np.sqrt(x), 0.1, 5), "sin": (np.sin, -3, 3),
    "cos": (np.cos, -3, 3), "tan": (np.tan, -1.2, 1.2), "asin": (np.arcsin, -0.95, 0.95),
    "acos": (np.arccos, -0.95, 0.95), "atan": (np.arctan, -3, 3), "sinh": (np.sinh, -3, 3),
    "cosh": (np.cosh, -3, 3), "tanh": (np.tanh, -3, 3), "sigmoid": (_sigmoid, -3, 3),
    "relu": (lambda x: np.maximum(x, 0), -3, 3), "sign": (np.sign, -3, 3), "floor": (np.floor, -3, 3),
    "ceil": (np.ceil, -3, 3), "round": (np.round, -3, 3), "trunc": (np.trunc, -3, 3),
    "reciprocal": (np.reciprocal, 0.2, 3), "square": (np.square, -3, 3),
}


def _expect_values(got, ref_fn, *arrays):
    """Compare ``got`` with ``ref_fn`` applied to the float64 inputs, in ``got``'s dtype."""
    with np.errstate(all="ignore"):  # log(0) = -inf etc. are expected reference values
        ref = ref_fn(*[np.asarray(a).astype(np.float64) for a in arrays])
    dt = dtype_name(got.dtype)
    if dt.startswith("float"):
        assert_close(got, ref, dt)
    else:
        # Integer results wrap as C integers do (uint8 - uint8 < 0), so go through int64.
        assert_close(got, np.asarray(ref).astype(np.int64).astype(dt) if dt != "bool" else ref.astype(bool))


# ------------------------------------------------------------------------------------------------
# Unary ops
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("name", UNARY)
def test_unary_values_and_dtype(name: str, dtype: str) -> None:
    ref, lo, hi = UNARY[name]
    a = sample((3, 4), dtype, lo, hi)
    res = same_exception(lambda: getattr(pt, name)(pt_tensor(a)), lambda: getattr(torch, name)(torch_tensor(a)))
    if res is None:
        return
    got, want = res
    assert dtype_name(got.dtype) == dtype_name(want.dtype)
    if dtype_name(got.dtype).startswith("float"):
        _expect_values(got, ref, a)
    else:  # integer results (neg of uint8 wraps, abs of int8 -128): torch is the reference
        assert_close(got, want.numpy())


@pytest.mark.parametrize("kind", ["contiguous", "transposed", "sliced"])
@pytest.mark.parametrize("shape", [(), (0,), (2, 0), (2, 3, 4)])
@pytest.mark.parametrize("name", UNARY)
def test_unary_shapes_and_layouts(name: str, shape: tuple, kind: str) -> None:
    ref, lo, hi = UNARY[name]
    a = sample(shape, "float64", lo, hi)
    x = layout(a, kind)
    got = getattr(x, name)()  # the method form
    assert tuple(got.shape) == shape
    _expect_values(got, ref, a)
    assert_close(x, a)  # the input is untouched


@pytest.mark.parametrize("name", UNARY)
def test_unary_inplace_and_out(name: str) -> None:
    ref, lo, hi = UNARY[name]
    a = sample((2, 3), "float32", lo, hi)
    x = pt_tensor(a)
    view = x[:, 1:]
    assert getattr(view, name + "_")() is view  # in place on a non-contiguous view writes through to the base
    expect = a.astype(np.float64).copy()
    expect[:, 1:] = ref(expect[:, 1:])
    assert_close(x, expect, "float32")
    out = pt.empty(0)
    assert getattr(pt, name)(pt_tensor(a), out=out) is out
    assert_close(out, ref(a.astype(np.float64)), "float32")


@pytest.mark.parametrize("name", sorted(set(UNARY) - {"neg", "abs", "sign", "floor", "ceil", "round", "trunc",
                                                      "relu", "square"}))
def test_unary_inplace_on_int_cannot_cast(name: str) -> None:
    a = sample((3,), "int64", 1, 3)
    same_exception(lambda: getattr(pt_tensor(a), name + "_")(), lambda: getattr(torch_tensor(a), name + "_")())


@pytest.mark.parametrize("name", UNARY)
def test_unary_gradient(name: str) -> None:
    _, lo, hi = UNARY[name]
    a = sample((3, 4), "float64", lo, hi, seed=1)
    if name in ("floor", "ceil", "round", "trunc"):
        a = np.round(a) + 0.3  # away from the jumps
    gradcheck(lambda x: getattr(x, name)(), [pt_tensor(a, requires_grad=True)])


@pytest.mark.parametrize("name", UNARY)
def test_unary_grad_fn_name(name: str) -> None:
    _, lo, hi = UNARY[name]
    a = sample((3,), "float32", lo, hi)
    y = getattr(pt_tensor(a, requires_grad=True), name)()
    t = getattr(torch_tensor(a, requires_grad=True), name)()
    assert grad_fn_name(y) == grad_fn_name(t)


def test_unary_gradient_matches_torch_at_kinks() -> None:
    # relu'(0) = 0, abs'(0) = 0 and sign/sqrt edge values follow torch's conventions.
    a = np.array([-1.0, 0.0, 2.0])
    for name in ("relu", "abs", "sign", "square"):
        got, want = torch_grads(lambda x: getattr(x, name)(), lambda x: getattr(x, name)(), [a])
        np.testing.assert_allclose(got[0], want[0], err_msg=name)


@pytest.mark.parametrize("n", [7, 2048, 65536 + 3, (1 << 20) + 5, 3 << 20])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_relu_of_large_tensors_is_exact(n: int, dtype: str) -> None:
    # The NumPy backend computes relu of larger arrays against a cached vector of zeros, in slices
    # beyond its length: the bits must be PyTorch's (NaN, -0.0 kept as -0.0, inf included), for
    # contiguous, transposed and out= results.
    x = np.random.default_rng(n).standard_normal(n).astype(dtype) * 3
    x[::97], x[5::101], x[7::103] = np.nan, -0.0, -np.inf
    want = torch.relu(torch.from_numpy(x)).numpy()
    got = pt.from_numpy(x).relu().numpy()
    assert got.dtype == want.dtype and np.array_equal(got.view(f"u{x.itemsize}"), want.view(f"u{x.itemsize}"))
    if n % 8 == 0:
        xt = pt.from_numpy(x).reshape(8, -1).t()
        np.testing.assert_array_equal(xt.relu().numpy(), want.reshape(8, -1).T)
        out = pt.empty(n, dtype=getattr(pt, dtype))
        assert pt.relu(pt.from_numpy(x), out=out) is out
        np.testing.assert_array_equal(out.numpy(), want)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-20, 20, allow_nan=False, width=32), min_size=1, max_size=8),
       st.sampled_from(["exp", "tanh", "sigmoid", "atan", "sin", "expm1"]))
def test_unary_hypothesis(values: list, name: str) -> None:
    a = np.array(values, dtype=np.float32)
    _expect_values(getattr(pt, name)(pt_tensor(a)), UNARY[name][0], a)


# ------------------------------------------------------------------------------------------------
# Binary ops
# ------------------------------------------------------------------------------------------------
def _bitwise(fn):
    def ref(a, b):
        return fn(a.astype(np.int64), b.astype(np.int64))
    return ref


# name -> (float64 reference, range of a, range of b, b must be nonzero)
BINARY = {
    "add": (np.add, (-4, 4), (-4, 4), False), "sub": (np.subtract, (-4, 4), (-4, 4), False),
    "mul": (np.multiply, (-4, 4), (-4, 4), False), "div": (np.true_divide, (-4, 4), (-4, 4), True),
    "floor_divide": (np.floor_divide, (-8, 8), (-4, 4), True), "remainder": (np.remainder, (-8, 8), (-4, 4), True),
    "fmod": (np.fmod, (-8, 8), (-4, 4), True), "pow": (np.power, (0.25, 3), (0, 3), False),
    "maximum": (np.maximum, (-4, 4), (-4, 4), False), "minimum": (np.minimum, (-4, 4), (-4, 4), False),
    "atan2": (np.arctan2, (-4, 4), (-4, 4), False),
    "eq": (np.equal, (-2, 2), (-2, 2), False), "ne": (np.not_equal, (-2, 2), (-2, 2), False),
    "lt": (np.less, (-2, 2), (-2, 2), False), "le": (np.less_equal, (-2, 2), (-2, 2), False),
    "gt": (np.greater, (-2, 2), (-2, 2), False), "ge": (np.greater_equal, (-2, 2), (-2, 2), False),
    "logical_and": (np.logical_and, (-1, 1), (-1, 1), False), "logical_or": (np.logical_or, (-1, 1), (-1, 1), False),
    "logical_xor": (np.logical_xor, (-1, 1), (-1, 1), False),
    "bitwise_and": (_bitwise(np.bitwise_and), (-8, 8), (-8, 8), False),
    "bitwise_or": (_bitwise(np.bitwise_or), (-8, 8), (-8, 8), False),
    "bitwise_xor": (_bitwise(np.bitwise_xor), (-8, 8), (-8, 8), False),
    "bitwise_left_shift": (_bitwise(np.left_shift), (-8, 8), (0, 3), False),
    "bitwise_right_shift": (_bitwise(np.right_shift), (-8, 8), (0, 3), False),
}
DIFFERENTIABLE = ("add", "sub", "mul", "div", "pow", "maximum", "minimum", "atan2", "remainder", "fmod")

DTYPE_PAIRS = [
    ("float32", "float32"), ("float64", "float32"), ("float16", "float32"), ("float16", "float16"),
    ("int32", "int64"), ("uint8", "int8"), ("uint8", "uint8"), ("int64", "int64"), ("int8", "int8"),
    ("bool", "bool"), ("int64", "float32"), ("bool", "int32"), ("uint8", "bool"), ("int8", "float16"),
    ("bool", "float64"),
]


def _operand(name: str, which: int, shape, dtype: str, seed: int) -> np.ndarray:
    _, ra, rb, nonzero = BINARY[name]
    lo, hi = ra if which == 0 else rb
    x = sample(shape, dtype, lo, hi, seed=seed, quantum=0.25)
    if which == 1 and nonzero:
        x[x == 0] = 1
    return x


@pytest.mark.parametrize("da,db", DTYPE_PAIRS)
@pytest.mark.parametrize("name", BINARY)
def test_binary_tensor_tensor(name: str, da: str, db: str) -> None:
    a = _operand(name, 0, (3, 1), da, 1)
    b = _operand(name, 1, (4,), db, 2)  # broadcast to (3, 4)
    res = same_exception(lambda: getattr(pt, name)(pt_tensor(a), pt_tensor(b)),
                         lambda: getattr(torch, name)(torch_tensor(a), torch_tensor(b)))
    if res is None:
        return
    got, want = res
    assert dtype_name(got.dtype) == dtype_name(want.dtype), (name, da, db)
    assert tuple(got.shape) == (3, 4)
    _expect_values(got, BINARY[name][0], a, b)


SCALARS = [("float32", 2.5), ("int64", 2.5), ("int32", 3), ("uint8", 3), ("int8", -2), ("bool", True),
           ("bool", 2), ("bool", 1.5), ("float16", 2), ("int64", True), ("float64", 3)]


@pytest.mark.parametrize("dtype,s", SCALARS)
@pytest.mark.parametrize("name", BINARY)
def test_binary_tensor_scalar(name: str, dtype: str, s) -> None:
    a = _operand(name, 0, (5,), dtype, 3)
    res = same_exception(lambda: getattr(pt, name)(pt_tensor(a), s),
                         lambda: getattr(torch, name)(torch_tensor(a), s))
    if res is not None:
        got, want = res
        assert dtype_name(got.dtype) == dtype_name(want.dtype), (name, dtype, s)
        _expect_values(got, BINARY[name][0], a, np.float64(s))


# (dim>0 tensor dtype, 0-dim tensor dtype): 0-dim tensors only promote across categories.
ZERO_DIM = [("float32", "float64"), ("int32", "float64"), ("int32", "int64"), ("uint8", "int8"),
            ("bool", "int64"), ("float16", "float64"), ("int8", "bool")]


@pytest.mark.parametrize("da,db", ZERO_DIM)
@pytest.mark.parametrize("name", ["add", "mul", "div", "maximum", "eq", "bitwise_or", "remainder", "pow"])
def test_binary_zero_dim_promotion(name: str, da: str, db: str) -> None:
    a = _operand(name, 0, (4,), da, 4)
    b = _operand(name, 1, (), db, 5)
    for args in ((a, b), (b, a)):
        res = same_exception(lambda: getattr(pt, name)(pt_tensor(args[0]), pt_tensor(args[1])),
                             lambda: getattr(torch, name)(torch_tensor(args[0]), torch_tensor(args[1])))
        if res is not None:
            got, want = res
            assert dtype_name(got.dtype) == dtype_name(want.dtype), (name, args[0].dtype, args[1].dtype)
            _expect_values(got, BINARY[name][0], *args)


def test_documented_promotions() -> None:
    i = pt.tensor([1, 2, 3])
    assert (i + 2.5).dtype == pt.get_default_dtype() == pt.float32
    assert (pt.ones(2) + pt.tensor(1.0, dtype=pt.float64)).dtype == pt.float32
    assert (pt.ones(2, dtype=pt.uint8) + pt.ones(2, dtype=pt.int8)).dtype == pt.int16
    pt.set_default_dtype(pt.float64)
    try:
        assert (i + 2.5).dtype == pt.float64
        assert (i / 2).dtype == pt.float64
    finally:
        pt.set_default_dtype(pt.float32)


@pytest.mark.parametrize("dtype,s,name", [("uint8", 300, "add"), ("int8", 1000, "mul"), ("uint8", -1, "add"),
                                          ("int8", 200, "sub"), ("int16", 70000, "add")])
def test_out_of_range_int_scalar_wraps_like_torch(dtype: str, s: int, name: str) -> None:
    a = sample((6,), dtype, -4, 4)
    res = same_exception(lambda: getattr(pt, name)(pt_tensor(a), s), lambda: getattr(torch, name)(torch_tensor(a), s))
    if res is not None:
        got, want = res
        assert dtype_name(got.dtype) == dtype_name(want.dtype)
        assert_close(got, want.numpy())


@pytest.mark.parametrize("kind", ["contiguous", "transposed", "sliced"])
@pytest.mark.parametrize("sa,sb", [((), ()), ((), (3, 2)), ((0,), (1,)), ((2, 0, 3), (3,)), ((2, 3, 4), (3, 1)),
                                   ((4, 1, 2), (3, 2))])
@pytest.mark.parametrize("name", BINARY)
def test_binary_shapes_and_layouts(name: str, sa: tuple, sb: tuple, kind: str) -> None:
    dt = "int64" if name.startswith("bitwise") else "float64"
    a, b = _operand(name, 0, sa, dt, 6), _operand(name, 1, sb, dt, 7)
    got = getattr(layout(a, kind), name)(layout(b, kind))
    assert tuple(got.shape) == np.broadcast_shapes(sa, sb)
    _expect_values(got, BINARY[name][0], a, b)


@pytest.mark.parametrize("name", BINARY)
def test_binary_shape_mismatch_error(name: str) -> None:
    a, b = np.ones((2, 3)), np.ones((4,))
    if name.startswith("bitwise"):
        a, b = a.astype(np.int64), b.astype(np.int64)
    same_exception(lambda: getattr(pt, name)(pt_tensor(a), pt_tensor(b)),
                   lambda: getattr(torch, name)(torch_tensor(a), torch_tensor(b)))
    with pytest.raises(RuntimeError, match="size of tensor a"):
        getattr(pt, name)(pt_tensor(a), pt_tensor(b))


@pytest.mark.parametrize("name", ["bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift",
                                  "bitwise_right_shift"])
@pytest.mark.parametrize("other", ["tensor", 1])
def test_bitwise_on_float_raises(name: str, other) -> None:
    a = np.ones(3, dtype=np.float32)
    b = np.ones(3, dtype=np.int64)
    same_exception(lambda: getattr(pt, name)(pt_tensor(a), pt_tensor(b) if other == "tensor" else other),
                   lambda: getattr(torch, name)(torch_tensor(a), torch_tensor(b) if other == "tensor" else other))


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("name", ["bitwise_not", "logical_not"])
def test_not_ops(name: str, dtype: str) -> None:
    a = sample((2, 3), dtype, -5, 5)
    res = same_exception(lambda: getattr(pt, name)(pt_tensor(a)), lambda: getattr(torch, name)(torch_tensor(a)))
    if res is not None:
        got, want = res
        assert dtype_name(got.dtype) == dtype_name(want.dtype)
        expect = np.logical_not(a) if name == "logical_not" else np.invert(a)
        assert_close(got, expect)


@pytest.mark.parametrize("da,db", [("float32", "float32"), ("int64", "int64"), ("int32", "float64"),
                                   ("uint8", "int8")])
@pytest.mark.parametrize("mode", [None, "trunc", "floor"])
def test_div_rounding_mode(mode, da: str, db: str) -> None:
    a = sample((4, 5), da, -9, 9, seed=8, quantum=0.25)
    b = sample((5,), db, -3, 3, seed=9, quantum=0.25)
    b[b == 0] = 1
    ref = {None: np.true_divide, "trunc": lambda x, y: np.trunc(x / y),
           "floor": lambda x, y: np.floor(x / y)}[mode]
    for other, tother in ((pt_tensor(b), torch_tensor(b)), (2, 2), (-1.5, -1.5)):
        got = pt.div(pt_tensor(a), other, rounding_mode=mode)
        want = torch.div(torch_tensor(a), tother, rounding_mode=mode)
        assert dtype_name(got.dtype) == dtype_name(want.dtype), (mode, da, db, other)
        _expect_values(got, ref, a, b if isinstance(other, pt.Tensor) else np.float64(other))
        assert_close(pt_tensor(a).div(other, rounding_mode=mode), to_np(got))
    same_exception(lambda: pt.div(pt_tensor(a), 2, rounding_mode="round"),
                   lambda: torch.div(torch_tensor(a), 2, rounding_mode="round"))


def test_div_rounding_mode_gradient_and_name() -> None:
    a, b = sample((3,), "float64", 1, 5), sample((3,), "float64", 1, 2, seed=3)
    for mode in ("trunc", "floor"):
        y = pt.div(pt_tensor(a, requires_grad=True), pt_tensor(b), rounding_mode=mode)
        t = torch.div(torch_tensor(a, requires_grad=True), torch_tensor(b), rounding_mode=mode)
        assert grad_fn_name(y) == grad_fn_name(t)
        got, want = torch_grads(lambda x, y: pt.div(x, y, rounding_mode=mode),
                                lambda x, y: torch.div(x, y, rounding_mode=mode), [a, b])
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w)


# ------------------------------------------------------------------------------------------------
# Gradients of binary ops
# ------------------------------------------------------------------------------------------------
GRAD_SHAPES = [((3, 4), (3, 4)), ((3, 1), (4,)), ((), (2, 3)), ((2, 3, 4), (1, 4)), ((2, 1, 3), (4, 1))]


@pytest.mark.parametrize("sa,sb", GRAD_SHAPES)
@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_binary_gradient_broadcasting(name: str, sa: tuple, sb: tuple) -> None:
    a = sample(sa, "float64", *BINARY[name][1], seed=10)
    b = sample(sb, "float64", *BINARY[name][2], seed=11)
    if name in ("div", "remainder", "fmod", "atan2"):
        b = np.where(np.abs(b) < 0.5, 1.5, b)
    if name in ("remainder", "fmod"):  # keep a/b away from the integers where the result jumps
        a = (np.floor(a / b) + 0.5) * b
    gradcheck(lambda x, y: getattr(x, name)(y), [pt_tensor(a, requires_grad=True), pt_tensor(b, requires_grad=True)])


@pytest.mark.parametrize("name", DIFFERENTIABLE)
@pytest.mark.parametrize("s", [2.5, -1.5, 2])
def test_binary_gradient_with_scalar(name: str, s) -> None:
    a = sample((3, 2), "float64", 0.5, 3, seed=12)
    if name in ("remainder", "fmod"):
        a = (np.floor(a / s) + 0.5) * s
    if name in ("maximum", "minimum", "atan2"):  # tensors only, as in torch
        same_exception(lambda: getattr(pt, name)(pt_tensor(a), s), lambda: getattr(torch, name)(torch_tensor(a), s))
        return
    gradcheck(lambda x: getattr(pt, name)(x, s), [pt_tensor(a, requires_grad=True)])
    if name not in ("remainder", "fmod"):  # torch has no scalar-first form of those
        gradcheck(lambda x: getattr(pt, name)(s, x) if name != "pow" else pt.pow(abs(s), x),
                  [pt_tensor(a, requires_grad=True)])


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_minimum_ties_match_torch(name: str) -> None:
    a = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 5.0]])
    b = np.array([1.0, 0.0, 3.0])  # ties at (0, 0), (0, 2) and (1, 0)
    got, want = torch_grads(getattr(pt, name), getattr(torch, name), [a, b])
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w)


def test_pow_gradient_edge_cases_match_torch() -> None:
    a = np.array([0.0, 1.0, 2.0, 0.0])
    b = np.array([2.0, 0.0, 0.5, 0.0])
    got, want = torch_grads(pt.pow, torch.pow, [a, b])
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w)
    for e in (0, 1, 2, 0.5):
        got, want = torch_grads(lambda x: x ** e, lambda x: x ** e, [np.array([0.0, 1.0, 4.0])])
        np.testing.assert_allclose(got[0], want[0], err_msg=f"x ** {e}")
    for base in (0.0, 2.0):
        got, want = torch_grads(lambda x: base ** x, lambda x: base ** x, [np.array([0.0, 1.0, 2.0])])
        np.testing.assert_allclose(got[0], want[0], err_msg=f"{base} ** x")


def test_int_pow_negative_exponent_raises() -> None:
    same_exception(lambda: pt.tensor([1, 2]) ** -1, lambda: torch.tensor([1, 2]) ** -1)


@pytest.mark.parametrize("dtype", ["int8", "int64", "uint8"])
def test_int_pow_negative_tensor_exponent_is_torchs(dtype: str) -> None:
    # NumPy refuses integers to negative integer powers; PyTorch answers 0, 1 or -1 (truncated)
    a = np.array([1, -1, -1, 2, -3, 0, 5], dtype=np.int64)
    b = np.array([-3, -2, -3, -1, -2, -1, 2], dtype=np.int64)
    if dtype == "uint8":
        a, b = np.abs(a), np.abs(b)
    got, want = pt_tensor(a.astype(dtype)) ** pt_tensor(b.astype(dtype)), torch_tensor(a.astype(dtype)) ** \
        torch_tensor(b.astype(dtype))
    assert got.tolist() == want.tolist()


def test_augmented_floordiv_and_mod_are_in_place() -> None:
    # (integer division by zero, in every form and on every device: the conformance suite's
    # special_values area and tests/test_opencl_elementwise.py)
    x, t = pt.tensor([7, -8, 9]), torch.tensor([7, -8, 9])
    y, u = x, t
    x //= pt.tensor([2, 3, -4])
    t //= torch.tensor([2, 3, -4])
    assert x is y and x.tolist() == t.tolist() and u is t
    x %= 3
    t %= 3
    assert x is y and x.tolist() == t.tolist()


def test_special_values_match_torch() -> None:
    """The NaN and -0.0 details fixed in the NumPy kernels (the conformance suite's special_values area
    checks them on every backend)."""
    nan, inf = float("nan"), float("inf")
    f = np.array([nan, -0.0, 0.0, -2.5, 2.5, inf, -inf, 1.0], dtype=np.float32)
    for fn in ("sign", "relu"):
        got, want = getattr(pt, fn)(pt_tensor(f)).numpy(), getattr(torch, fn)(torch_tensor(f)).numpy()
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(np.signbit(got[1:]), np.signbit(want[1:]))
    a, b = np.repeat(f, f.size), np.tile(f, f.size)
    for fn in ("remainder", "fmod", "floor_divide"):
        got, want = getattr(pt, fn)(pt_tensor(a), pt_tensor(b)).numpy(), getattr(torch, fn)(torch_tensor(a),
                                                                                              torch_tensor(b)).numpy()
        np.testing.assert_array_equal(got, want, err_msg=fn)
        num = ~np.isnan(want)  # (a NaN's sign bit means nothing)
        np.testing.assert_array_equal(np.signbit(got[num]), np.signbit(want[num]), err_msg=fn)
    for bound in (0.0, -0.0):
        for kw in ("min", "max"):
            got = pt.clamp(pt_tensor(f), **{kw: bound}).numpy()
            want = torch.clamp(torch_tensor(f), **{kw: bound}).numpy()
            np.testing.assert_array_equal(np.signbit(got[1:]), np.signbit(want[1:]), err_msg=f"clamp {kw}={bound}")
    big = np.array([inf, -inf, 1.0, inf], dtype=np.float32)
    other = np.array([-inf, inf, inf, inf], dtype=np.float32)
    assert pt.isclose(pt_tensor(big), pt_tensor(other)).tolist() == torch.isclose(torch_tensor(big),
                                                                                  torch_tensor(other)).tolist()


def _exprs(a, b):
    """Expressions whose node names must match torch's."""
    return {
        "a+b": lambda: a + b, "a+2": lambda: a + 2, "2+a": lambda: 2 + a, "a-b": lambda: a - b,
        "a-2": lambda: a - 2, "2-a": lambda: 2 - a, "a*b": lambda: a * b, "2*a": lambda: 2 * a,
        "a/b": lambda: a / b, "a/2": lambda: a / 2, "2/a": lambda: 2 / a, "a**2": lambda: a ** 2,
        "a**2.5": lambda: a ** 2.5, "a**b": lambda: a ** b, "2**a": lambda: 2 ** a, "-a": lambda: -a,
        "a%b": lambda: a % b, "a%2": lambda: a % 2, "fmod(a,b)": lambda: a.fmod(b), "fmod(a,2)": lambda: a.fmod(2),
        "remainder(a,b)": lambda: a.remainder(b), "maximum": lambda: a.maximum(b), "minimum": lambda: a.minimum(b),
        "atan2": lambda: a.atan2(b), "add alpha": lambda: a.add(b, alpha=2), "sub alpha": lambda: a.sub(b, alpha=2),
        "where": lambda: (a.where(a > 0, b)), "where scalar": lambda: a.where(a > 0, 0.0),
        "clamp scalar": lambda: a.clamp(-1, 1), "clamp_min": lambda: a.clamp_min(0),
        "clamp_max": lambda: a.clamp_max(0),
        "clamp tensor": lambda: a.clamp(b), "clamp tensors": lambda: a.clamp(b, b + 1), "clip": lambda: a.clip(-1, 1),
        "abs()": lambda: abs(a), "a.add_(b)": lambda: (a * 1).add_(b), "a.mul_(2)": lambda: (a * 1).mul_(2),
        "a.pow_(2)": lambda: (a * 1).pow_(2), "a.div_(b)": lambda: (a * 1).div_(b),
        "a.clamp_(0)": lambda: (a * 1).clamp_(0),
        "a.exp_()": lambda: (a * 1).exp_(), "a//2": lambda: a // 2,
    }


@pytest.mark.parametrize("expr", list(_exprs(None, None)))
def test_binary_grad_fn_names(expr: str) -> None:
    a, b = np.array([0.5, -1.5, 2.0]), np.array([1.0, 2.0, -0.5])
    y = _exprs(pt_tensor(a, requires_grad=True), pt_tensor(b, requires_grad=True))[expr]()
    t = _exprs(torch_tensor(a, requires_grad=True), torch_tensor(b, requires_grad=True))[expr]()
    assert grad_fn_name(y) == grad_fn_name(t)


def test_floor_divide_has_no_derivative() -> None:
    same_exception(lambda: (pt.ones(2, requires_grad=True) // 2).sum().backward(),
                   lambda: (torch.ones(2, requires_grad=True) // 2).sum().backward())


# ------------------------------------------------------------------------------------------------
# Operators, reflected forms, in-place forms, out= and alpha=
# ------------------------------------------------------------------------------------------------
OPERATORS = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": lambda a, b: a / b,
    "//": lambda a, b: a // b, "%": lambda a, b: a % b, "**": lambda a, b: a ** b, "&": lambda a, b: a & b,
    "|": lambda a, b: a | b, "^": lambda a, b: a ^ b, "<<": lambda a, b: a << b, ">>": lambda a, b: a >> b,
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
}


@pytest.mark.parametrize("dtype", ["float32", "int64", "bool", "uint8"])
@pytest.mark.parametrize("op", OPERATORS)
def test_operators_and_reflected(op: str, dtype: str) -> None:
    a = sample((2, 3), dtype, 1, 3, seed=13)
    b = sample((3,), dtype, 1, 3, seed=14)
    fn = OPERATORS[op]
    cases = [(lambda m: m(a), lambda m: m(b))]  # tensor op tensor
    for s in (2, 1.5, True):
        cases += [(lambda m: m(a), lambda m, s=s: s), (lambda m, s=s: s, lambda m: m(b))]
    for left, right in cases:
        res = same_exception(lambda: fn(left(pt_tensor), right(pt_tensor)),
                             lambda: fn(left(torch_tensor), right(torch_tensor)))
        if res is None:
            continue
        got, want = res
        assert dtype_name(got.dtype) == dtype_name(want.dtype), (op, dtype, left(np.asarray), right(np.asarray))
        assert_close(got, want.numpy().astype(np.float64) if want.dtype.is_floating_point else want.numpy(),
                     dtype_name(got.dtype))


def test_unary_operators() -> None:
    a = sample((4,), "int32", -5, 5)
    assert_close(-pt_tensor(a), -a)
    assert_close(abs(pt_tensor(a)), np.abs(a))
    assert_close(~pt_tensor(a), ~a)
    assert_close(~pt_tensor(a > 0), ~(a > 0))
    with pytest.raises(TypeError):
        ~pt.ones(2)  # noqa: B018 - torch raises TypeError for ~ on float
    with pytest.raises(TypeError):
        ~torch.ones(2)  # noqa: B018


INPLACE = [("add_", {}), ("sub_", {}), ("mul_", {}), ("div_", {}), ("div_", {"rounding_mode": "floor"}),
           ("floor_divide_", {}), ("remainder_", {}), ("fmod_", {}), ("pow_", {}), ("atan2_", {}),
           ("add_", {"alpha": 2}), ("sub_", {"alpha": 0.5}), ("eq_", {}), ("lt_", {}), ("logical_and_", {}),
           ("bitwise_and_", {}), ("bitwise_or_", {}), ("bitwise_left_shift_", {})]


@pytest.mark.parametrize("da,db", [("float32", "float32"), ("float32", "float64"), ("int64", "int32"),
                                   ("int32", "float32"), ("int64", "bool"), ("bool", "bool"), ("float16", "int64")])
@pytest.mark.parametrize("name,kw", INPLACE)
def test_inplace_binary(name: str, kw: dict, da: str, db: str) -> None:
    a = sample((2, 3), da, 1, 4, seed=15, quantum=0.25)
    b = sample((3,), db, 1, 3, seed=16, quantum=0.25)
    for other in ("tensor", 2, 1.5):
        x, t = pt_tensor(a), torch_tensor(a)
        ob = pt_tensor(b) if other == "tensor" else other
        tb = torch_tensor(b) if other == "tensor" else other
        res = same_exception(lambda: getattr(x, name)(ob, **kw), lambda: getattr(t, name)(tb, **kw))
        if res is None:
            continue
        got, _ = res
        assert got is x
        assert dtype_name(x.dtype) == dtype_name(t.dtype) == da
        assert_close(x, t.numpy().astype(np.float64) if t.is_floating_point() else t.numpy(), da)


def test_inplace_result_type_cannot_be_cast() -> None:
    for call in (lambda m: m([1, 2]).add_(1.5), lambda m: m([1, 2]).div_(2), lambda m: m([True]).add_(1),
                 lambda m: m([1, 2]).mul_(m([1.5, 2.0])), lambda m: m([1, 2]).sqrt_()):
        same_exception(lambda: call(pt.tensor), lambda: call(torch.tensor))
    with pytest.raises(RuntimeError, match="can't be cast"):
        pt.tensor([1, 2]).add_(1.5)


def test_inplace_broadcast_into_smaller_raises_and_view_writes_through() -> None:
    same_exception(lambda: pt.ones(3).add_(pt.ones(2, 3)), lambda: torch.ones(3).add_(torch.ones(2, 3)))
    base = pt.zeros(3, 4)
    base.t()[1:].add_(pt.arange(3.0))  # rows 1.. of the transpose are columns 1.. of base
    expect = np.zeros((3, 4))
    expect.T[1:] += np.arange(3.0)
    assert_close(base, expect, "float32")
    x = pt.ones(3)
    v = x._version
    x += 2
    x *= pt.tensor([1.0, 2.0, 3.0])
    assert x._version == v + 2
    assert_close(x, [3.0, 6.0, 9.0], "float32")


def test_inplace_gradient() -> None:
    a, b = sample((2, 3), "float64", 1, 3), sample((3,), "float64", 1, 3, seed=2)

    def fn(x, y):
        z = x * 1
        z.mul_(y).add_(y, alpha=2).div_(y + 1).pow_(2)
        return z
    gradcheck(fn, [pt_tensor(a, requires_grad=True), pt_tensor(b, requires_grad=True)])


def test_inplace_on_leaf_requiring_grad_raises() -> None:
    same_exception(lambda: pt.ones(2, requires_grad=True).add_(1), lambda: torch.ones(2, requires_grad=True).add_(1))


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "maximum", "remainder", "eq", "lt", "logical_or",
                                  "atan2", "pow"])
def test_out_argument(name: str) -> None:
    a, b = _operand(name, 0, (2, 3), "float32", 17), _operand(name, 1, (3,), "float32", 18)
    ref = BINARY[name][0]
    for out_dtype in ("float32", "float64", "int64", "bool"):
        for out_shape in ((2, 3), (0,)):
            o = pt.empty(out_shape, dtype=getattr(pt, out_dtype))
            to = torch.empty(out_shape, dtype=getattr(torch, out_dtype))
            res = same_exception(lambda: getattr(pt, name)(pt_tensor(a), pt_tensor(b), out=o),
                                 lambda: getattr(torch, name)(torch_tensor(a), torch_tensor(b), out=to))
            if res is None:
                continue
            assert res[0] is o
            assert dtype_name(o.dtype) == out_dtype and tuple(o.shape) == (2, 3)
            expect = ref(a.astype(np.float64), b.astype(np.float64))
            assert_close(o, expect.astype(out_dtype) if out_dtype in ("bool", "int64") else expect,
                         "float32" if out_dtype.startswith("float") else None)


@pytest.mark.parametrize("sa,sb,so", [((), (), (0,)), ((3,), (3,), (2, 3)), ((3,), (), (0,)), ((2, 1), (3,), (2, 3)),
                                      ((3,), (3,), (6,))], ids=str)
@pytest.mark.filterwarnings("ignore:An output with one or more elements was resized:UserWarning")
def test_out_is_resized_to_the_result(sa: tuple, sb: tuple, so: tuple) -> None:
    a, b = sample(sa, "float32", seed=1), sample(sb, "float32", seed=2)
    for name in ("add", "mul", "maximum", "atan2", "pow"):
        o, to = pt.ones(so), torch.ones(so)
        res = same_exception(lambda: getattr(pt, name)(pt_tensor(a), pt_tensor(b), out=o),
                             lambda: getattr(torch, name)(torch_tensor(a), torch_tensor(b), out=to))
        if res is not None:
            assert tuple(o.shape) == tuple(to.shape) == np.broadcast_shapes(sa, sb)
            assert_close(o, to.numpy().astype(np.float64), "float32")


def test_out_with_grad_raises() -> None:
    same_exception(lambda: pt.add(pt.ones(2, requires_grad=True), 1, out=pt.empty(2)),
                   lambda: torch.add(torch.ones(2, requires_grad=True), 1, out=torch.empty(2)))


@pytest.mark.parametrize("dtype,alpha", [("float32", 2), ("float32", 0.5), ("int64", 3), ("int64", 0.5),
                                         ("bool", True), ("float64", -1)])
@pytest.mark.parametrize("name", ["add", "sub"])
def test_alpha(name: str, dtype: str, alpha) -> None:
    a, b = sample((2, 3), dtype, -3, 3, seed=19), sample((3,), dtype, -3, 3, seed=20)
    for other, tother in ((pt_tensor(b), torch_tensor(b)), (2, 2)):
        res = same_exception(lambda: getattr(pt, name)(pt_tensor(a), other, alpha=alpha),
                             lambda: getattr(torch, name)(torch_tensor(a), tother, alpha=alpha))
        if res is None:
            continue
        got, want = res
        assert dtype_name(got.dtype) == dtype_name(want.dtype)
        ob = b.astype(np.float64) if isinstance(other, pt.Tensor) else float(other)
        sign = 1 if name == "add" else -1
        _expect_values(got, lambda x, y: x + sign * alpha * y, a, ob)


# ------------------------------------------------------------------------------------------------
# where, clamp / clip
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("da,db", [("float32", "float32"), ("float32", "float64"), ("int64", "float32"),
                                   ("int32", "int64"), ("bool", "uint8"), ("float16", "float16")])
def test_where_values_and_dtype(da: str, db: str) -> None:
    cond = sample((3, 1), "bool", seed=21)
    a, b = sample((1, 4), da, -3, 3, seed=22), sample((4,), db, -3, 3, seed=23)
    cases = [(a, b), (a, 2.5), (1, b), (a, np.array(1.0)), (0, 1.5)]
    for x, y in cases:
        def mk(m, v):
            return m(v) if isinstance(v, np.ndarray) else v
        res = same_exception(lambda: pt.where(pt_tensor(cond), mk(pt_tensor, x), mk(pt_tensor, y)),
                             lambda: torch.where(torch_tensor(cond), mk(torch_tensor, x), mk(torch_tensor, y)))
        if res is None:
            continue
        got, want = res
        assert dtype_name(got.dtype) == dtype_name(want.dtype), (da, db, type(x), type(y))
        assert_close(got, want.numpy().astype(np.float64) if want.is_floating_point() else want.numpy(),
                     dtype_name(got.dtype))
        expect = np.where(cond, x, y)
        assert_close(got, expect.astype(np.float64) if got.is_floating_point() else
                     expect.astype(dtype_name(got.dtype)), dtype_name(got.dtype))


def test_where_errors_layouts_and_gradient() -> None:
    same_exception(lambda: pt.where(pt.ones(3), pt.ones(3), pt.zeros(3)),
                   lambda: torch.where(torch.ones(3), torch.ones(3), torch.zeros(3)))
    same_exception(lambda: pt.where(pt.ones(3) > 0, pt.ones(2), pt.zeros(3)),
                   lambda: torch.where(torch.ones(3) > 0, torch.ones(2), torch.zeros(3)))
    cond = sample((4, 3), "bool", seed=24)
    a, b = sample((4, 3), "float64", seed=25), sample((4, 3), "float64", seed=26)
    got = pt.where(layout(cond, "transposed"), layout(a, "sliced"), layout(b, "transposed"))
    assert_close(got, np.where(cond, a, b))
    assert_close(pt.where(pt_tensor(np.zeros((0, 3), bool)), 1.0, 0.0), np.zeros((0, 3)), "float32")
    gradcheck(lambda x, y: pt.where(pt_tensor(cond[:, :1]), x, y),
              [pt_tensor(a[:1], requires_grad=True), pt_tensor(b, requires_grad=True)])
    gradcheck(lambda x: pt.where(pt_tensor(cond), x, 2.0), [pt_tensor(a, requires_grad=True)])


CLAMP_BOUNDS = [(-1, 1), (-1, None), (None, 1), (0.5, None), (-1.5, 1.5), (2, -2), (True, None)]


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int32", "uint8", "int8", "bool"])
@pytest.mark.parametrize("lo,hi", CLAMP_BOUNDS)
@pytest.mark.parametrize("name", ["clamp", "clip"])
def test_clamp_scalar_bounds(name: str, lo, hi, dtype: str) -> None:
    a = sample((3, 4), dtype, -3, 3, seed=27)
    res = same_exception(lambda: getattr(pt, name)(pt_tensor(a), lo, hi),
                         lambda: getattr(torch, name)(torch_tensor(a), lo, hi))
    if res is None:
        return
    got, want = res
    assert dtype_name(got.dtype) == dtype_name(want.dtype), (lo, hi, dtype)
    if not got.is_floating_point():  # integer bounds wrap into the dtype (-1 -> 255 for uint8)
        assert_close(got, want.numpy())
        return
    expect = a.astype(np.float64)
    if lo is not None:
        expect = np.maximum(expect, lo)
    if hi is not None:
        expect = np.minimum(expect, hi)
    _expect_values(got, lambda x: expect, a)


@pytest.mark.parametrize("da,dlo,dhi", [("float32", "float32", "float32"), ("float32", "float64", None),
                                        ("int64", "float32", "float32"), ("int32", None, "int64"),
                                        ("float64", "float64", "float64")])
def test_clamp_tensor_bounds(da: str, dlo, dhi) -> None:
    a = sample((3, 4), da, -3, 3, seed=28)
    lo = sample((4,), dlo, -2, 0, seed=29) if dlo else None
    hi = sample((3, 1), dhi, 0, 2, seed=30) if dhi else None

    def mk(m, v):
        return None if v is None else m(v)
    res = same_exception(lambda: pt.clamp(pt_tensor(a), mk(pt_tensor, lo), mk(pt_tensor, hi)),
                         lambda: torch.clamp(torch_tensor(a), mk(torch_tensor, lo), mk(torch_tensor, hi)))
    if res is None:
        return
    got, want = res
    assert dtype_name(got.dtype) == dtype_name(want.dtype)
    assert tuple(got.shape) == tuple(want.shape)
    assert_close(got, want.numpy().astype(np.float64) if want.is_floating_point() else want.numpy(),
                 dtype_name(got.dtype))


def test_clamp_errors_inplace_and_out() -> None:
    same_exception(lambda: pt.clamp(pt.ones(2)), lambda: torch.clamp(torch.ones(2)))
    same_exception(lambda: pt.tensor([1, 5]).clamp_(0.5, 2), lambda: torch.tensor([1, 5]).clamp_(0.5, 2))
    x = pt.tensor([-3.0, 0.5, 3.0])
    assert x.clamp_(-1, 1) is x
    assert_close(x, [-1.0, 0.5, 1.0], "float32")
    x = pt.tensor([-3.0, 0.5, 3.0])
    x.clip_(max=0)
    assert_close(x, [-3.0, 0.0, 0.0], "float32")
    o = pt.empty(3)
    assert pt.clamp(pt.tensor([-3.0, 0.5, 3.0]), min=0, out=o) is o
    assert_close(o, [0.0, 0.5, 3.0], "float32")


def test_clamp_gradient() -> None:
    a = sample((3, 4), "float64", -3, 3, seed=31)
    a[np.abs(np.abs(a) - 1) < 0.05] = 0.0  # away from the boundaries
    gradcheck(lambda x: x.clamp(-1, 1), [pt_tensor(a, requires_grad=True)])
    gradcheck(lambda x: x.clamp(min=-1), [pt_tensor(a, requires_grad=True)])
    lo, hi = sample((4,), "float64", -2, -0.5, seed=32), sample((3, 1), "float64", 0.5, 2, seed=33)
    gradcheck(lambda x, l, h: x.clamp(l, h),
              [pt_tensor(a, requires_grad=True), pt_tensor(lo, requires_grad=True), pt_tensor(hi, requires_grad=True)])


@pytest.mark.parametrize("bounds", ["scalar", "tensor", "tensor_min", "tensor_max", "crossed"])
def test_clamp_gradient_at_boundaries_matches_torch(bounds: str) -> None:
    a = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
    lo, hi = np.array([-1.0, -1.0, 0.0, 0.0, 3.0]), np.array([1.0, 1.0, 0.0, 1.0, 2.0])
    if bounds == "scalar":
        got, want = torch_grads(lambda x: x.clamp(-1, 1), lambda x: x.clamp(-1, 1), [a])
    elif bounds == "tensor":
        got, want = torch_grads(lambda x, l, h: x.clamp(l, h), lambda x, l, h: x.clamp(l, h), [a, lo, hi])
    elif bounds == "tensor_min":
        got, want = torch_grads(lambda x, l: x.clamp(min=l), lambda x, l: x.clamp(min=l), [a, lo])
    elif bounds == "tensor_max":
        got, want = torch_grads(lambda x, h: x.clamp(max=h), lambda x, h: x.clamp(max=h), [a, hi])
    else:  # min > max: the result is max everywhere
        got, want = torch_grads(lambda x, l, h: x.clamp(l, h), lambda x, l, h: x.clamp(l, h), [a, hi + 1, lo])
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w)


def test_big_temporary_left_operand_takes_the_result(monkeypatch):
    # NumPy's temporary elision: `x @ w + b` writes the sum into the product's buffer. Only a
    # temporary nothing else holds may be reused; named tensors, leaves and saved inputs never are.
    ctx = pt.ones(1)._ctx
    outs = []
    add, mul = ctx.F["add"], ctx.F["mul"]
    monkeypatch.setitem(ctx.F, "add", lambda a, b, out=None: outs.append(out is not None) or
                        (add(a, b) if out is None else add(a, b, out=out)))
    monkeypatch.setitem(ctx.F, "mul", lambda a, b, out=None: outs.append(out is not None) or
                        (mul(a, b) if out is None else mul(a, b, out=out)))
    rng = np.random.default_rng(0)
    xn, wn, bn, cn = (rng.standard_normal(s).astype(np.float32) for s in ((64, 300), (300, 400), (400,), (400,)))
    x, b = pt.from_numpy(xn), pt.from_numpy(bn)
    w, c = pt.from_numpy(wn.copy()).requires_grad_(), pt.from_numpy(cn.copy()).requires_grad_()
    from plugtensor.backend import REFCOUNTS_EXACT  # (no elision where reference counts are unreliable)
    y = x @ w + b                                   # temporary + b: elided
    assert outs == [REFCOUNTS_EXACT]
    np.testing.assert_allclose(y.detach().numpy(), xn @ wn + bn, rtol=1e-4, atol=1e-4)
    z = x @ w
    y2 = z + b                                      # z is named: not elided, z keeps its values
    assert outs == [REFCOUNTS_EXACT, False]
    np.testing.assert_allclose(z.detach().numpy(), xn @ wn, rtol=1e-4, atol=1e-4)
    prod = (x @ w) * c                              # MulBackward saves the product: not elided
    assert outs == [REFCOUNTS_EXACT, False, False]
    prod.sum().backward()
    np.testing.assert_allclose(c.grad.numpy(), (xn @ wn).sum(0), rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(w.grad.numpy(), xn.T @ np.broadcast_to(cn, (64, 400)), rtol=1e-3, atol=1e-3)
    leaf_sum = pt.from_numpy(xn.copy()).requires_grad_() + b[:300]   # a leaf that requires grad: kept
    assert outs[-1] is False
    np.testing.assert_array_equal(leaf_sum.grad_fn.next_functions[0][0].variable.detach().numpy(), xn)
    assert y2.shape == (64, 400)
