"""The vocabulary of the op table: ``OpInfo`` (one op), ``Sample`` (one call) and ``Arg`` (one tensor
argument described in NumPy), plus the sample generators most ops share.

Samples are plain NumPy data, made into device tensors only inside a test, so the same table drives
every device and every dtype. Values are drawn from a generator seeded by the op's name: every run
checks the same inputs.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from ._harness import ALL_DTYPES, FLOAT_DTYPES, INT_DTYPES

__all__ = ["Arg", "Sample", "OpInfo", "rng_for", "SAME", "FLOAT", "BOOL", "INT64", "SUM", "with_scalar",
           "ALL", "FLOATS", "INTS", "INTS_BOOL", "NUMBERS", "unary_samples", "binary_samples", "reduce_samples",
           "big_values", "distinct"]

ALL = frozenset(ALL_DTYPES)
FLOATS = frozenset(FLOAT_DTYPES)
INTS = frozenset(INT_DTYPES)
INTS_BOOL = INTS | {"bool"}
NUMBERS = FLOATS | INTS  # everything but bool


@dataclass
class Arg:
    """A tensor argument: values (float64, or a function of the dtype under test), layout and dtype.

    ``dtype=None`` means "the dtype under test"; a fixed dtype (``"int64"`` for indices, ``"bool"`` for
    masks) keeps the argument out of the dtype sweep and out of gradient checks. The same ``Arg`` object
    used twice in one sample becomes the same tensor twice (aliased inputs).
    """

    value: Any
    layout: str = "contiguous"
    dtype: str | None = None
    grad: bool = True

    def values(self, dtype: str) -> np.ndarray:
        v = self.value(self.dtype or dtype) if callable(self.value) else self.value
        return np.asarray(v)

    def final_dtype(self, dtype: str) -> str:
        return self.dtype or dtype


@dataclass
class Sample:
    """One call: positional args (``Arg``, Python values, or lists/tuples of them) and keyword args.

    ``result`` overrides the op's result-dtype rule for this call (e.g. an int tensor plus a float
    scalar is float32); ``grad=False`` keeps the sample out of gradient checks (non-differentiable
    points, overflow)."""

    args: tuple
    kwargs: dict = field(default_factory=dict)
    desc: str = ""
    result: Callable[[str], Any] | None = None
    grad: bool = True
    method: bool = True  # the method form applies (first arg is the tensor)
    only: frozenset | None = None  # the dtypes this sample applies to (default: all the op's dtypes)


@dataclass
class OpInfo:
    """One public op. See optable.py for how the fields are used.

    name      the public name: ``plugtensor.<name>``, ``Tensor.<method>`` (method only) or
              ``nn.functional.<name>``; also the row of the report table
    ref       NumPy reference ``ref(*args, **kwargs)`` computing in float64 (int64 for integers); may
              return a tuple for multi-output ops
    samples   ``samples(rng) -> iterable of Sample``
    dtypes    the dtypes the op accepts (PyTorch 2.13's CPU support); others are not applicable
    result    result dtype rule: ``result(dtype) -> name`` (or tuple of names for several outputs)
    grad      differentiable with respect to its floating-point tensor arguments
    method    True: ``Tensor.<name>`` with the first arg as self; a str: that method name; a callable
              ``method(*args, **kwargs)``; None: no method form
    func      the callable to test (default: looked up from ``name``)
    inplace   has an in-place variant ``Tensor.<name>_`` (and ``plugtensor.<name>_`` where exported)
    out       accepts ``out=``
    aliases   other public names of the same op (checked to be the same function)
    tol       per-dtype (rtol, atol) overrides of the forward tolerances
    gradgrad  check second derivatives (create_graph) too
    dref      derivative f'(x) of a unary elementwise op: the reference gradient
    custom    ``custom(device, dtype)``: a test body replacing the sample-driven forward test
              (creation and random ops)
    skip      dtype -> reason: dtypes PyTorch accepts that the suite does not check (shown as '-')
    """

    name: str
    ref: Callable | None = None
    samples: Callable[[np.random.Generator], Iterable[Sample]] | None = None
    dtypes: frozenset = ALL
    result: Callable[[str], Any] = None  # type: ignore[assignment]
    grad: bool = False
    method: Any = True
    func: Callable | None = None
    inplace: bool = False
    out: bool = False
    aliases: tuple = ()
    tol: dict = field(default_factory=dict)
    gradgrad: bool = False
    dref: Callable | None = None
    custom: Callable | None = None
    skip: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.result is None:
            self.result = SAME
        if self.custom is not None:
            self.method = None  # creation ops have no tensor to be a method of

    @property
    def method_name(self) -> str | None:
        if self.method is True:
            return self.name.rsplit(".", 1)[-1]
        return self.method if isinstance(self.method, str) else None

    def __repr__(self) -> str:
        return f"OpInfo({self.name})"


def rng_for(name: str) -> np.random.Generator:
    """The generator of an op's samples: seeded by its name, so every run checks the same values."""
    return np.random.default_rng(zlib.crc32(name.encode()))


# -- result dtype rules ---------------------------------------------------------------------------
def SAME(d: str) -> str:  # noqa: N802 - rules read like constants in the table
    return d


def FLOAT(d: str) -> str:  # noqa: N802
    """Integers and bools compute in the default float dtype (float32)."""
    return d if d in FLOAT_DTYPES else "float32"


def BOOL(d: str) -> str:  # noqa: N802
    return "bool"


def INT64(d: str) -> str:  # noqa: N802
    return "int64"


def SUM(d: str) -> str:  # noqa: N802
    """sum/prod/cumsum: integers and bools accumulate in int64."""
    return d if d in FLOAT_DTYPES else "int64"


def with_scalar(value, base: Callable[[str], str] = SAME) -> Callable[[str], str]:
    """The result dtype of a tensor op with a Python scalar operand (PyTorch's wrapped-number rule)."""
    def rule(d: str) -> str:
        if isinstance(value, float) and d not in FLOAT_DTYPES:
            d = "float32"
        elif isinstance(value, int) and not isinstance(value, bool) and d == "bool":
            d = "int64"
        return base(d)
    return rule


# -- sample values ------------------------------------------------------------------------------------
def uniform(rng: np.random.Generator, shape: Sequence[int], lo: float, hi: float) -> np.ndarray:
    return rng.uniform(lo, hi, size=shape)


def nonzero_values(rng: np.random.Generator, shape: Sequence[int], lo: float = 1.0, hi: float = 3.0) -> np.ndarray:
    """Values with |v| in [lo, hi] and random sign: safe divisors in every dtype (uint8 takes |v|)."""
    return rng.uniform(lo, hi, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def distinct(rng: np.random.Generator, shape: Sequence[int]) -> np.ndarray:
    """Distinct non-negative integers (exact in every dtype but bool): no ties for sort/topk."""
    n = int(np.prod(shape)) if len(shape) else 1
    return rng.permutation(n).astype(np.float64).reshape(shape)


def big_values(shape: Sequence[int] = (4,), fraction: float = 0.75):
    """Values near the top of the dtype's range (a function of the dtype): ``x + x`` overflows
    (floats to inf, integers wrap)."""
    def value(dtype: str) -> np.ndarray:
        if dtype == "bool":
            return np.resize(np.array([True, False, True, True]), shape)
        if dtype in FLOAT_DTYPES:
            top = float(np.finfo(dtype).max)
        else:
            top = float(np.iinfo(dtype).max)
        base = np.array([fraction, -fraction, fraction / 2, 1.0])
        if dtype == "uint8":
            base = np.abs(base)
        v = np.resize(base, shape) * top
        if dtype in INT_DTYPES:
            info = np.iinfo(dtype)
            # float64 cannot hold int64's max exactly: go through Python ints
            return np.array([max(info.min, min(info.max, int(x))) for x in v.ravel()], dtype=dtype).reshape(shape)
        return v.astype(dtype)
    return value


def unary_samples(lo: float = -3.0, hi: float = 3.0, big: Sequence[float] | None = None, empty: bool = True):
    """Shapes and layouts for elementwise unary ops, values in [lo, hi]; ``big`` adds extreme values."""
    def gen(rng: np.random.Generator) -> Iterable[Sample]:
        yield Sample((Arg(uniform(rng, (3, 4), lo, hi)),), desc="2-d")
        yield Sample((Arg(uniform(rng, (4, 3), lo, hi), "transposed"),), desc="transposed")
        yield Sample((Arg(uniform(rng, (2, 5), lo, hi), "sliced"),), desc="strided slice")
        yield Sample((Arg(uniform(rng, (2, 3, 2), lo, hi)),), desc="3-d")
        yield Sample((Arg(np.broadcast_to(uniform(rng, (4,), lo, hi), (3, 4)), "expanded"),),
                     desc="expanded view (stride 0)")
        yield Sample((Arg(uniform(rng, (), lo, hi)),), desc="0-dim")
        if empty:
            yield Sample((Arg(np.zeros((0, 3))),), desc="empty", grad=False)
        if big is not None:
            yield Sample((Arg(np.array(big, dtype=np.float64)),), desc="extreme values", grad=False)
    return gen


def binary_samples(lo: float = -3.0, hi: float = 3.0, other: tuple[float, float] | None = None,
                   nonzero_other: bool = False, scalars: Sequence[Any] = (2, 1.5), big: bool = False,
                   result: Callable[[str], str] = SAME, empty: bool = True, aliased: bool = True):
    """Samples for broadcasting binary ops: same shape, broadcast, 0-dim, Python scalars, layouts,
    empty, aliased (the same tensor twice) and near-overflow values."""
    olo, ohi = other if other is not None else (lo, hi)

    def b(rng, shape, layout="contiguous"):
        if nonzero_other:
            return Arg(nonzero_values(rng, shape, max(1.0, olo), max(1.0, ohi)), layout)
        return Arg(uniform(rng, shape, olo, ohi), layout)

    def gen(rng: np.random.Generator) -> Iterable[Sample]:
        a = lambda shape, layout="contiguous": Arg(uniform(rng, shape, lo, hi), layout)  # noqa: E731
        yield Sample((a((3, 4)), b(rng, (3, 4))), desc="same shape")
        yield Sample((a((3, 1, 4)), b(rng, (2, 4))), desc="broadcast")
        yield Sample((a((4,)), b(rng, (3, 4))), desc="broadcast left")
        yield Sample((a((4, 3), "transposed"), b(rng, (4, 3), "sliced")), desc="transposed and strided")
        yield Sample((Arg(np.broadcast_to(uniform(rng, (3,), lo, hi), (2, 3)), "expanded"), b(rng, (2, 3))),
                     desc="expanded view (stride 0)")
        yield Sample((a((3, 4)), b(rng, ())), desc="0-dim other")
        yield Sample((a(()), b(rng, ())), desc="both 0-dim")
        if empty:
            yield Sample((a((0, 3)), b(rng, (3,))), desc="empty", grad=False)
        if aliased:
            x = Arg(uniform(rng, (2, 3), max(lo, olo), min(hi, ohi)) if not nonzero_other
                    else nonzero_values(rng, (2, 3), max(1.0, olo), max(1.0, ohi)))
            yield Sample((x, x), desc="aliased (same tensor twice)", grad=False)
        for s in scalars:
            yield Sample((a((2, 3)), s), desc=f"python {type(s).__name__} scalar", result=with_scalar(s, result))
        if big:
            yield Sample((Arg(big_values()), Arg(big_values())), desc="near overflow", grad=False)
    return gen


def reduce_samples(lo: float = -3.0, hi: float = 3.0, dims: bool = True, empty: bool = True, multi: bool = True,
                   extra: Callable[[np.random.Generator], Iterable[Sample]] | None = None):
    """Samples for reductions: all elements, one dim, keepdim, negative and multiple dims, 0-dim,
    layouts, and (``empty``) an empty input."""
    def gen(rng: np.random.Generator) -> Iterable[Sample]:
        a = lambda shape, layout="contiguous": Arg(uniform(rng, shape, lo, hi), layout)  # noqa: E731
        yield Sample((a((3, 4)),), desc="all elements")
        yield Sample((a((4, 3), "transposed"),), desc="all elements, transposed")
        yield Sample((a(()),), desc="0-dim")
        if dims:
            yield Sample((a((3, 4)),), {"dim": 1}, desc="dim=1")
            yield Sample((a((2, 3, 4), "sliced"),), {"dim": -1, "keepdim": True}, desc="dim=-1 keepdim, strided")
            if multi:
                yield Sample((a((2, 3, 4)),), {"dim": (0, 2)}, desc="dims (0, 2)")
            yield Sample((a((4, 3), "transposed"),), {"dim": 0}, desc="dim=0, transposed")
        if empty:
            yield Sample((Arg(np.zeros((0, 3))),), desc="empty", grad=False)
            if dims:
                yield Sample((Arg(np.zeros((0, 3))),), {"dim": 1}, desc="empty, dim=1", grad=False)
        if extra is not None:
            yield from extra(rng)
    return gen
