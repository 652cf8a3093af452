"""Tensor creation: ``tensor()`` inference and errors, legacy constructors, factories, ranges, ``*_like``
and ``new_*``, NumPy interop (memory sharing), and random numbers — checked against PyTorch and NumPy."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import plugtensor as pt  # noqa: E402


def name(d) -> str:
    """'float32' for plugtensor.float32 and torch.float32 alike."""
    return repr(d).split(".")[-1]


def assert_same(mine: pt.Tensor, ref: torch.Tensor, exact: bool = True) -> None:
    """Same dtype, shape and values as the torch tensor."""
    assert name(mine.dtype) == name(ref.dtype)
    assert tuple(mine.shape) == tuple(ref.shape)
    if exact:
        np.testing.assert_array_equal(mine.numpy(), ref.numpy())
    else:
        np.testing.assert_allclose(mine.numpy(), ref.numpy(), rtol=2e-7 if ref.dtype == torch.float64 else 2e-6,
                                   atol=1e-6 if ref.dtype != torch.float16 else 1e-3)


def both(expr: str):
    """``expr`` evaluated with ``m`` bound to plugtensor and to torch."""
    return eval(expr, {"m": pt, "np": np}), eval(expr, {"m": torch, "np": np})


# ---------------------------------------------------------------------------------------------------
# tensor(): dtype inference and errors
# ---------------------------------------------------------------------------------------------------
TENSOR_DATA = [
    "3", "2.5", "True", "[1, 2]", "[1.0, 2]", "[True, False]", "[True, 2]", "[[1, 2], [3, 4.5]]", "[]", "[[]]",
    "[[], []]", "((1, 2), [3, 4])", "range(4)", "[[[1], [2]], [[3], [4]]]", "-2**63", "2**63 - 1",
    "np.arange(3, dtype=np.int32)", "np.arange(3, dtype=np.float16)", "np.arange(4.0).reshape(2, 2)[:, 1]",
    "np.array([True])", "np.float64(2.5)", "np.int8(3)", "np.uint8(200)", "[np.arange(2), np.arange(2)]",
    "[m.tensor(1.5), 2]", "m.tensor([1, 2], dtype=m.int16)",
]


@pytest.mark.filterwarnings("ignore:(Creating a tensor from a list|To copy construct):UserWarning")
@pytest.mark.parametrize("data", TENSOR_DATA)
def test_tensor_dtype_inference_matches_torch(data):
    mine, ref = both(f"m.tensor({data})")
    assert_same(mine, ref)


@pytest.mark.parametrize("data,dtype", [("[1.7, -2.5]", "int64"), ("[1, 0, 2]", "bool"), ("[1, 2]", "float64"),
                                        ("[-1, 255]", "uint8"), ("[[1.5]]", "float16"), ("3", "int8"),
                                        ("np.array([300])", "uint8")])
def test_tensor_explicit_dtype_matches_torch(data, dtype):
    mine, ref = both(f"m.tensor({data}, dtype=m.{dtype})")
    assert_same(mine, ref)


@pytest.mark.parametrize("data,exc", [
    ("[[1, 2], [3]]", ValueError), ("[[[1], [2]], [[3], [4, 5]]]", ValueError), ("[[1], 2]", TypeError),
    ("[1, [2]]", TypeError), ("'abc'", TypeError), ("b'ab'", TypeError), ("['ab', 'c']", ValueError),
    ("[1, 'a']", TypeError), ("None", RuntimeError), ("[1.5, None]", RuntimeError), ("{1: 2}", RuntimeError),
    ("object()", RuntimeError), ("2**63", ValueError), ("[2**64]", ValueError), ("-2**63 - 1", ValueError),
])
def test_tensor_bad_data_raises_like_torch(data, exc):
    with pytest.raises(exc):
        eval(f"torch.tensor({data})", {"torch": torch})
    with pytest.raises(exc):
        pt.tensor(eval(data))


def test_ragged_message_names_the_dimension():
    with pytest.raises(ValueError, match=r"expected sequence of length 2 at dim 1 \(got 3\)"):
        pt.tensor([[1, 2], [3, 4, 5]])


@pytest.mark.parametrize("data,dtype", [("[300]", "uint8"), ("[-256]", "uint8"), ("[-1.5]", "uint8"),
                                        ("[128]", "int8"), ("2**40", "int32"), ("[float('nan')]", "int64"),
                                        ("[float('inf')]", "int32")])
def test_tensor_value_overflowing_integer_dtype_raises_like_torch(data, dtype):
    with pytest.raises(RuntimeError):
        eval(f"torch.tensor({data}, dtype=torch.{dtype})", {"torch": torch})
    with pytest.raises(RuntimeError, match="without overflow"):
        pt.tensor(eval(data), dtype=getattr(pt, dtype))


def test_tensor_copies_its_data():
    a = np.arange(3.0)
    t = pt.tensor(a)
    a[0] = 10.0
    assert t.tolist() == [0.0, 1.0, 2.0]
    src = pt.tensor([1.0, 2.0], requires_grad=True)
    c = pt.tensor(src)  # PyTorch warns here; the result is a detached copy either way
    assert not c.requires_grad and c.grad_fn is None
    c[0] = 5.0
    assert src.tolist() == [1.0, 2.0]


# ---------------------------------------------------------------------------------------------------
# Tensor(...) and the legacy typed constructors
# ---------------------------------------------------------------------------------------------------
LEGACY = ["FloatTensor", "DoubleTensor", "HalfTensor", "ByteTensor", "CharTensor", "ShortTensor", "IntTensor",
          "LongTensor", "BoolTensor"]


@pytest.mark.parametrize("args", ["5, 3", "[1, 2]", "[[1.5, 2], [3, 4]]", "", "0", "(1, 2)", "np.array([1, 2])"])
@pytest.mark.parametrize("ctor", ["Tensor", "FloatTensor", "LongTensor", "BoolTensor", "ByteTensor"])
def test_legacy_constructors_match_torch(ctor, args):
    mine, ref = both(f"m.{ctor}({args})")
    if args in ("5, 3", "", "0"):  # uninitialised: compare dtype and shape only
        assert (name(mine.dtype), tuple(mine.shape)) == (name(ref.dtype), tuple(ref.shape))
    else:
        assert_same(mine, ref)


@pytest.mark.parametrize("ctor", LEGACY)
def test_legacy_isinstance_and_type_names_match_torch(ctor):
    t, r = pt.tensor([1, 0]).type(getattr(pt, ctor)), torch.tensor([1, 0]).type(getattr(torch, ctor))
    assert t.type() == r.type().replace("torch.", "plugtensor.")
    assert t.type() == f"plugtensor.{ctor}"
    assert pt.tensor([1, 0]).type(f"plugtensor.{ctor}").type() == t.type()
    for other in LEGACY:
        assert isinstance(t, getattr(pt, other)) == isinstance(r, getattr(torch, other)), other
    assert isinstance(t, pt.Tensor)


@pytest.mark.parametrize("data", ["[1.0, 2.0]", "[1, 2]"])
def test_tensor_of_tensor_aliases_like_torch(data):
    src = pt.tensor(eval(data))
    alias = pt.Tensor(src)
    ref = torch.Tensor(torch.tensor(eval(data)))
    assert alias is not src and alias.dtype == src.dtype == getattr(pt, name(ref.dtype))
    alias[0] = 7
    assert src[0].item() == 7  # shares memory, as torch.Tensor(t) does
    with pytest.raises(TypeError):
        torch.LongTensor(torch.tensor([1.0]))
    with pytest.raises(TypeError):
        pt.LongTensor(pt.tensor([1.0]))


def test_type_conversions_and_bad_type_name():
    x = pt.tensor([1.5, 2.5])
    assert x.type(pt.int64).dtype is pt.int64 and x.type(pt.LongTensor).type() == "plugtensor.LongTensor"
    assert x.type("plugtensor.IntTensor").tolist() == torch.tensor([1.5, 2.5]).type("torch.IntTensor").tolist()
    with pytest.raises(ValueError):
        torch.ones(1).type("foo")
    with pytest.raises(ValueError):
        x.type("foo")


# ---------------------------------------------------------------------------------------------------
# factories
# ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("expr", [
    "m.zeros(2, 3)", "m.zeros((2, 3))", "m.zeros([2, 0])", "m.zeros(())", "m.zeros(size=(2,))", "m.ones(3)",
    "m.ones(2, dtype=m.int32)", "m.ones(2, dtype=m.bool)", "m.zeros(np.int64(3))", "m.zeros(m.tensor(2))",
    "m.full((2,), 3)", "m.full((2,), 3.5)", "m.full((2,), True)", "m.full((2, 1), 3, dtype=m.float64)",
    "m.full((), 7)", "m.full([2], m.tensor(3))", "m.full((2,), 1.9, dtype=m.int64)",
    "m.eye(3)", "m.eye(2, 3)", "m.eye(3, 2)", "m.eye(3, dtype=m.int64)", "m.eye(2, dtype=m.bool)", "m.eye(0)",
    "m.eye(2, 0)", "m.eye(n=2, m=3)",
])
def test_factories_match_torch(expr):
    mine, ref = both(expr)
    assert_same(mine, ref)


@pytest.mark.parametrize("expr", ["m.empty(2, 3)", "m.empty((0, 4), dtype=m.int16)", "m.empty(())"])
def test_empty_shape_and_dtype(expr):
    mine, ref = both(expr)
    assert (name(mine.dtype), tuple(mine.shape)) == (name(ref.dtype), tuple(ref.shape))


@pytest.mark.parametrize("expr,exc", [("m.zeros(-1)", RuntimeError), ("m.zeros(2.5)", TypeError),
                                      ("m.zeros(2, 'a')", TypeError), ("m.zeros([2, 3.0])", TypeError),
                                      ("m.full(2, 3)", TypeError), ("m.eye(-1)", RuntimeError),
                                      ("m.eye(2.5)", TypeError), ("m.ones(2, 3, dtype=m.int32, requires_grad=True)",
                                                                  RuntimeError)])
def test_factory_errors_match_torch(expr, exc):
    with pytest.raises(exc):
        eval(expr, {"m": torch})
    with pytest.raises(exc):
        eval(expr, {"m": pt})


def test_factory_out_argument():
    out = pt.empty(2, 3)
    r = pt.zeros(2, 3, out=out)
    assert r is out and out.tolist() == [[0.0] * 3] * 2


# ---------------------------------------------------------------------------------------------------
# arange and linspace
# ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("args", [
    "5", "1, 4", "0, 10, 3", "5, 0, -1", "5, 0, -2", "1, 1", "5.0", "0, 1, 0.25", "0.1, 0.4, 0.1", "-1.0, 1.0, 0.5",
    "1, 2.5, 0.5", "0.0, 1.0, 0.3", "10, dtype=m.float32", "0, 3, dtype=m.uint8", "-3, 0, dtype=m.uint8",
    "0, 300, 100, dtype=m.uint8", "0, 1, 0.1, dtype=m.float64", "m.tensor(3)", "-5, 5, 3", "0, -1, -0.25",
])
def test_arange_matches_torch(args):
    mine, ref = both(f"m.arange({args})")
    assert_same(mine, ref, exact=False)


@pytest.mark.parametrize("args,exc", [("0, 5, 0", RuntimeError), ("0, 5, -1", RuntimeError),
                                      ("5, 0", RuntimeError), ("float('inf')", RuntimeError),
                                      ("float('nan')", RuntimeError), ("3, dtype=m.bool", NotImplementedError)])
def test_arange_errors_match_torch(args, exc):
    with pytest.raises(exc):
        eval(f"m.arange({args})", {"m": torch})
    with pytest.raises(exc):
        eval(f"m.arange({args})", {"m": pt})


@pytest.mark.parametrize("args", [
    "0, 1, 5", "-3, 7, 11", "0, 1, 1", "0, 1, 0", "2, 2, 3", "1, 0, 4", "-3.3, 7.1, 100", "0, 10, 4, dtype=m.int64",
    "-1.0, 10.0, 7, dtype=m.int64", "0, 1, 3, dtype=m.float64", "0, 1, 9, dtype=m.float16", "0, 5.5, 3",
    "m.tensor(0.0), m.tensor(1.0), 3", "0, 1, steps=6",
])
def test_linspace_matches_torch(args):
    mine, ref = both(f"m.linspace({args})")
    assert_same(mine, ref, exact=False)
    if mine.numel() > 1:  # both ends are exact
        assert mine[0].item() == ref[0].item() and mine[-1].item() == ref[-1].item()


def test_linspace_errors():
    with pytest.raises(RuntimeError):
        torch.linspace(0, 1, -1)
    with pytest.raises(RuntimeError, match="non-negative"):
        pt.linspace(0, 1, -1)
    with pytest.raises(NotImplementedError):
        pt.linspace(0, 1, 3, dtype=pt.bool)


# ---------------------------------------------------------------------------------------------------
# *_like and new_*
# ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("expr", [
    "m.zeros_like(m.tensor([1, 2]))", "m.ones_like(m.tensor([1.0, 2]), dtype=m.int32)",
    "m.full_like(m.tensor([1, 2]), 2.7)", "m.full_like(m.ones(2), 7, dtype=m.int32)",
    "m.zeros_like(m.ones(2, 3, dtype=m.float64))", "m.ones_like(m.tensor(True))",
    "m.tensor([1, 2]).new_zeros(3)", "m.tensor([1, 2]).new_ones((2, 2))", "m.tensor([1.0, 2]).new_full((2,), 3)",
    "m.tensor([1]).new_full((2,), 3.7)", "m.tensor([1.0, 2]).new_tensor([1, 2])",
    "m.tensor([1, 2]).new_tensor([1.5])", "m.tensor([1.0, 2]).new_zeros(2, dtype=m.int8)",
    "m.tensor([1.0]).new_zeros([2, 3])", "m.tensor([1.0]).new_zeros(size=(2,))", "m.tensor([1.0]).new_ones(())",
    "m.tensor([1], dtype=m.int16).new_ones(2, 2)",
])
def test_like_and_new_match_torch(expr):
    mine, ref = both(expr)
    assert_same(mine, ref)


@pytest.mark.parametrize("expr", ["m.empty_like(m.ones(2, 3))", "m.empty_like(m.ones(2), dtype=m.int64)",
                                  "m.rand_like(m.ones(2, 2, dtype=m.float64))", "m.randn_like(m.ones(3))",
                                  "m.randint_like(m.ones(3), 10)", "m.randint_like(m.ones(3), 3, 10)",
                                  "m.tensor([1, 2]).new_empty(2)", "m.tensor([1.0]).new_empty((2, 3))"])
def test_uninitialised_and_random_like_shape_and_dtype(expr):
    mine, ref = both(expr)
    assert (name(mine.dtype), tuple(mine.shape)) == (name(ref.dtype), tuple(ref.shape))


def test_like_and_new_keep_requires_grad_off_and_take_it_when_asked():
    x = pt.ones(2, requires_grad=True)
    assert not pt.zeros_like(x).requires_grad and not x.new_zeros(2).requires_grad
    assert pt.ones_like(x, requires_grad=True).requires_grad and x.new_ones(2, requires_grad=True).is_leaf


# ---------------------------------------------------------------------------------------------------
# NumPy interop
# ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float64", "float32", "float16", "int64", "int32", "int16", "int8", "uint8",
                                   "bool"])
def test_from_numpy_shares_memory_both_ways(dtype):
    a = np.zeros((2, 3), dtype=dtype)
    t = pt.from_numpy(a)
    assert name(t.dtype) == name(torch.from_numpy(a).dtype) and t.shape == (2, 3)
    a[0, 1] = 1
    assert t[0, 1].item() == 1
    t[1, 2] = 1
    assert a[1, 2] == 1
    assert np.shares_memory(t.numpy(), a)


def test_from_numpy_keeps_strides_of_a_view():
    a = np.arange(12.0).reshape(3, 4)
    view = a[:, 1::2]
    t, r = pt.from_numpy(view), torch.from_numpy(view)
    assert t.stride() == r.stride() and t.tolist() == r.tolist()
    a[2, 3] = -1.0
    assert t[2, 1].item() == -1.0
    f = np.asfortranarray(a)
    assert pt.from_numpy(f).stride() == torch.from_numpy(f).stride()


@pytest.mark.parametrize("array,exc", [
    ("np.arange(3)[::-1]", ValueError), ("np.zeros(2, dtype=object)", TypeError),
    ("np.zeros(2, dtype='M8[s]')", TypeError), ("np.zeros(2, dtype='>f4')", ValueError), ("[1, 2]", TypeError),
])
def test_from_numpy_rejects_like_torch(array, exc):
    a = eval(array, {"np": np})
    with pytest.raises(exc):
        torch.from_numpy(a)
    with pytest.raises(exc):
        pt.from_numpy(a)


def test_from_numpy_rejects_dtypes_plugtensor_lacks():
    # torch has complex and uint16..uint64 tensors; plugtensor's dtype registry does not (by default).
    for dt in ("complex64", "uint16", "uint64"):
        with pytest.raises(TypeError, match=f"numpy.{dt}"):
            pt.from_numpy(np.zeros(2, dtype=dt))


def test_numpy_shares_memory_and_refuses_requires_grad():
    t = pt.zeros(3)
    a = t.numpy()
    a[1] = 5.0
    assert t.tolist() == [0.0, 5.0, 0.0]
    t.add_(1)
    assert a.tolist() == [1.0, 6.0, 1.0]
    v = pt.arange(6).reshape(2, 3)[:, 1:]
    assert v.numpy().tolist() == [[1, 2], [4, 5]] and np.shares_memory(v.numpy(), v._base.numpy())
    x = pt.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="requires grad"):
        x.numpy()
    with pytest.raises(RuntimeError):
        torch.ones(2, requires_grad=True).numpy()
    assert x.detach().numpy().tolist() == [1.0, 1.0]
    assert np.shares_memory(x.detach().numpy(), x.numpy(force=True))


def test_as_tensor_shares_when_it_can():
    a = np.arange(3.0)
    t = pt.as_tensor(a)
    a[0] = 9.0
    assert t[0].item() == 9.0 and t.dtype is pt.float64
    copied = pt.as_tensor(a, dtype=pt.float32)
    a[1] = 9.0
    assert copied[1].item() == 1.0 and copied.dtype is pt.float32
    src = pt.tensor([1, 2])
    assert pt.as_tensor(src) is src
    for expr in ("m.as_tensor([1, 2])", "m.as_tensor(3.5)", "m.as_tensor([1, 2], dtype=m.float64)",
                 "m.as_tensor(m.tensor([1, 2]), dtype=m.float32)", "m.asarray([1, 2])"):
        assert_same(*both(expr))


# ---------------------------------------------------------------------------------------------------
# random numbers
# ---------------------------------------------------------------------------------------------------
RANDOM = [lambda: pt.rand(3, 4), lambda: pt.randn(5, dtype=pt.float64), lambda: pt.randint(0, 10, (6,)),
          lambda: pt.randint(-5, 5, (2, 3), dtype=pt.int32), lambda: pt.randperm(7), lambda: pt.rand(2, 2) * 3,
          lambda: pt.ones(4).uniform_(-2, 2), lambda: pt.empty(3).normal_(1.0, 0.5),
          lambda: pt.zeros(4, dtype=pt.int64).random_(0, 100), lambda: pt.rand_like(pt.ones(3, dtype=pt.float16))]


def test_manual_seed_reproduces_every_generator():
    pt.manual_seed(1234)
    first = [f().tolist() for f in RANDOM]
    pt.manual_seed(1234)
    assert [f().tolist() for f in RANDOM] == first
    pt.manual_seed(1235)
    assert [f().tolist() for f in RANDOM] != first
    state = pt.get_rng_state()
    a = pt.rand(4).tolist()
    pt.set_rng_state(state)
    assert pt.rand(4).tolist() == a
    assert pt.initial_seed() == 1235


def test_generator_object_is_independent_of_the_default_stream():
    g1, g2 = pt.Generator().manual_seed(7), pt.Generator().manual_seed(7)
    pt.manual_seed(0)
    a = pt.rand(5, generator=g1)
    pt.rand(3)  # draws from the default stream do not move g2
    assert a.tolist() == pt.rand(5, generator=g2).tolist()


@pytest.mark.parametrize("dtype", [pt.float16, pt.float32, pt.float64], ids=str)
def test_rand_is_in_unit_interval(dtype):
    pt.manual_seed(0)
    x = pt.rand(20000, dtype=dtype).numpy().astype(np.float64)
    assert x.min() >= 0.0 and x.max() < 1.0
    assert abs(x.mean() - 0.5) < 0.01 and abs(x.var() - 1 / 12) < 0.005
    assert np.histogram(x, bins=10, range=(0, 1))[0].min() > 1700  # roughly uniform


@pytest.mark.parametrize("dtype", [pt.float32, pt.float64], ids=str)
def test_randn_mean_and_std(dtype):
    pt.manual_seed(1)
    x = pt.randn(40000, dtype=dtype).numpy().astype(np.float64)
    assert abs(x.mean()) < 0.02 and abs(x.std() - 1.0) < 0.02
    assert abs((np.abs(x) < 1).mean() - 0.6827) < 0.01  # the normal's 1-sigma mass


@pytest.mark.parametrize("low,high,dtype", [(0, 10, pt.int64), (-5, 3, pt.int8), (0, 2, pt.bool),
                                            (250, 256, pt.uint8), (-3, 4, pt.float32), (0, 2**40, pt.int64)])
def test_randint_bounds(low, high, dtype):
    pt.manual_seed(2)
    x = pt.randint(low, high, (5000,), dtype=dtype)
    assert x.dtype is dtype
    v = x.numpy().astype(np.float64)
    assert v.min() >= low and v.max() <= high - 1
    if high - low <= 10:
        assert set(np.unique(v)) == set(range(low, high))  # every value is hit


@pytest.mark.parametrize("expr,exc", [("m.randint(5, 5, (2,))", RuntimeError),
                                      ("m.randint(3, (2,), dtype=m.bool)", RuntimeError),
                                      ("m.randint(-1, 3, (2,), dtype=m.uint8)", RuntimeError),
                                      ("m.randint(0, 257, (2,), dtype=m.uint8)", RuntimeError),
                                      ("m.rand(2, dtype=m.int64)", NotImplementedError),
                                      ("m.randn(2, dtype=m.int32)", NotImplementedError),
                                      ("m.randperm(-1)", RuntimeError)])
def test_random_errors_match_torch(expr, exc):
    with pytest.raises(exc):
        eval(expr, {"m": torch})
    with pytest.raises(exc):
        eval(expr, {"m": pt})


@pytest.mark.parametrize("n", [0, 1, 2, 17, 1000])
def test_randperm_is_a_permutation(n):
    p = pt.randperm(n)
    assert p.dtype is pt.int64 and sorted(p.tolist()) == list(range(n))
    assert pt.randperm(n, dtype=pt.float32).dtype is pt.float32


@pytest.mark.parametrize("make", [lambda: pt.rand(2, 3, requires_grad=True),
                                  lambda: pt.zeros(2, requires_grad=True),
                                  lambda: pt.full((2,), 1.5, requires_grad=True),
                                  lambda: pt.tensor([1.0, 2.0], requires_grad=True),
                                  lambda: pt.arange(3.0, requires_grad=True),
                                  lambda: pt.linspace(0, 1, 3, requires_grad=True),
                                  lambda: pt.eye(2, requires_grad=True), lambda: pt.randn(2, requires_grad=True)])
def test_factories_make_leaves_that_require_grad(make):
    x = make()
    assert x.requires_grad and x.is_leaf and x.grad_fn is None
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full(tuple(x.shape), 2.0, dtype=x.grad.numpy().dtype))


def test_integer_tensors_cannot_require_grad():
    for make in (lambda m: m.tensor([1, 2], requires_grad=True), lambda m: m.zeros(2, dtype=m.int64,
                                                                                  requires_grad=True),
                 lambda m: m.randint(0, 3, (2,), requires_grad=True)):
        with pytest.raises(RuntimeError):
            make(torch)
        with pytest.raises(RuntimeError, match="floating point"):
            make(pt)
