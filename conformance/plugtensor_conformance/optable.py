"""The op table: one ``OpInfo`` row per public op, the single source of truth of the op tests.

A row says how to call the op, which sample inputs to try, the NumPy float64 reference, which dtypes
the op accepts (PyTorch 2.13's CPU support), the result dtype rule, tolerances, and whether it is
differentiable. ``test_ops.py`` turns every row into forward, variant (method, in-place, ``out=``),
gradient and second-derivative tests, for every dtype the device declares.

Adding an op to plugtensor means adding a row here; ``test_completeness.py`` fails until it exists.
``NOT_OPS`` lists the public names that are not tensor ops, each with the reason.
"""
from __future__ import annotations

import numpy as np

from . import _creation as C
from ._opinfo import (ALL, BOOL, FLOAT, FLOATS, INT64, INTS, INTS_BOOL, NUMBERS, SAME, SUM, Arg, OpInfo, Sample,
                      big_values, binary_samples, distinct, nonzero_values, reduce_samples, unary_samples,
                      uniform, with_scalar)

__all__ = ["OPS", "OPS_BY_NAME", "NOT_OPS", "NOT_OPS_FUNCTIONAL"]

_INF = float("inf")


def _f(fn):
    """A reference that computes in float64 whatever the input (ints and bools promote to float)."""
    return lambda *a, **k: fn(*[np.asarray(x, dtype=np.float64) if isinstance(x, np.ndarray) else x for x in a], **k)


def _axis(dim):
    return tuple(dim) if isinstance(dim, (list, tuple)) else dim


# ---------------------------------------------------------------------------------------------------
# Unary elementwise: (name, reference, derivative, domain lo, hi, extreme values, dtypes, result rule)
# ---------------------------------------------------------------------------------------------------
_BIG = [1.0, 12.0, 100.0, 800.0, -800.0]  # overflow of exp & co. in float16/float32/float64
_UNARY = [
    ("neg", np.negative, lambda x: -np.ones_like(x), -3, 3, _BIG, NUMBERS, SAME),
    ("abs", np.abs, np.sign, -3, 3, _BIG, NUMBERS, SAME),
    ("exp", _f(np.exp), _f(np.exp), -3, 3, _BIG, ALL, FLOAT),
    ("expm1", _f(np.expm1), _f(np.exp), -3, 3, _BIG, ALL, FLOAT),
    ("log", _f(np.log), _f(lambda x: 1 / x), 0.1, 4, [0.0, -1.0, 1e30, 1.0], ALL, FLOAT),
    ("log1p", _f(np.log1p), _f(lambda x: 1 / (1 + x)), -0.9, 3, [-1.0, -2.0, 1e-10, 1.0], ALL, FLOAT),
    ("log2", _f(np.log2), _f(lambda x: 1 / (x * np.log(2))), 0.1, 4, [0.0, -1.0, 1024.0, 1.0], ALL, FLOAT),
    ("log10", _f(np.log10), _f(lambda x: 1 / (x * np.log(10))), 0.1, 4, [0.0, -1.0, 1e4, 1.0], ALL, FLOAT),
    ("sqrt", _f(np.sqrt), _f(lambda x: 0.5 / np.sqrt(x)), 0.1, 4, [0.0, -1.0, 1e30, 4.0], ALL, FLOAT),
    ("rsqrt", _f(lambda x: 1 / np.sqrt(x)), _f(lambda x: -0.5 * x ** -1.5), 0.1, 4, [0.0, -1.0, 1e30, 4.0], ALL,
     FLOAT),
    ("sin", _f(np.sin), _f(np.cos), -3, 3, [1e4, -1e4, 0.0, 3.0], ALL, FLOAT),
    ("cos", _f(np.cos), _f(lambda x: -np.sin(x)), -3, 3, [1e4, -1e4, 0.0, 3.0], ALL, FLOAT),
    ("tan", _f(np.tan), _f(lambda x: 1 / np.cos(x) ** 2), -1.2, 1.2, [0.0, 1.0, -1.0], ALL, FLOAT),
    ("asin", _f(np.arcsin), _f(lambda x: 1 / np.sqrt(1 - x * x)), -0.9, 0.9, [1.0, -1.0, 2.0], ALL, FLOAT),
    ("acos", _f(np.arccos), _f(lambda x: -1 / np.sqrt(1 - x * x)), -0.9, 0.9, [1.0, -1.0, 2.0], ALL, FLOAT),
    ("atan", _f(np.arctan), _f(lambda x: 1 / (1 + x * x)), -3, 3, [1e30, -1e30, 0.0], ALL, FLOAT),
    ("sinh", _f(np.sinh), _f(np.cosh), -3, 3, _BIG, ALL, FLOAT),
    ("cosh", _f(np.cosh), _f(np.sinh), -3, 3, _BIG, ALL, FLOAT),
    ("tanh", _f(np.tanh), _f(lambda x: 1 - np.tanh(x) ** 2), -3, 3, _BIG, ALL, FLOAT),
    ("sigmoid", _f(lambda x: 1 / (1 + np.exp(-x))), _f(lambda x: np.exp(-x) / (1 + np.exp(-x)) ** 2), -4, 4,
     _BIG, ALL, FLOAT),
    ("relu", lambda x: np.maximum(x, 0).astype(x.dtype), lambda x: (x > 0).astype(np.float64), -3, 3, _BIG,
     NUMBERS, SAME),
    ("sign", lambda x: x if x.dtype == bool else np.sign(x), None, -3, 3, [0.0, -0.0, 5.0, -5.0], ALL, SAME),
    ("floor", np.floor, None, -3, 3, [0.5, -0.5, 1e30], NUMBERS, SAME),
    ("ceil", np.ceil, None, -3, 3, [0.5, -0.5, 1e30], NUMBERS, SAME),
    ("round", np.round, None, -3, 3, [0.5, 1.5, 2.5, -0.5, -2.5], NUMBERS, SAME),  # half to even
    ("trunc", np.trunc, None, -3, 3, [0.5, -0.5, -1.7, 1e30], NUMBERS, SAME),
    ("reciprocal", _f(lambda x: 1 / x), _f(lambda x: -1 / (x * x)), 0.5, 3, [0.0, -0.0, 1e-30, 1e30], ALL, FLOAT),
    ("square", np.square, lambda x: 2 * x, -3, 3, _BIG, ALL, lambda d: "int64" if d == "bool" else d),
]
_NO_GRAD = {"sign", "floor", "ceil", "round", "trunc"}  # zero gradient almost everywhere: not checked by FD
_ALIASES = {"neg": ("negative",), "abs": ("absolute",), "asin": ("arcsin",), "acos": ("arccos",),
            "atan": ("arctan",)}


def _unary_row(name, ref, dref, lo, hi, big, dtypes, result) -> OpInfo:
    grad = name not in _NO_GRAD
    return OpInfo(name, ref=ref, samples=unary_samples(lo, hi, big), dtypes=dtypes, result=result, grad=grad,
                  inplace=True, out=True, aliases=_ALIASES.get(name, ()), gradgrad=grad and name != "relu",
                  dref=dref)


OPS: list[OpInfo] = [_unary_row(*row) for row in _UNARY]

OPS += [
    OpInfo("bitwise_not", ref=lambda x: np.logical_not(x) if x.dtype == bool else np.invert(x),
           samples=unary_samples(-8, 8), dtypes=INTS_BOOL, inplace=True),
    OpInfo("logical_not", ref=np.logical_not, samples=unary_samples(-2, 2), result=BOOL, inplace=True),
    OpInfo("isnan", ref=np.isnan, samples=unary_samples(big=[float("nan"), _INF, -_INF, 1.0]), result=BOOL),
    OpInfo("isinf", ref=np.isinf, samples=unary_samples(big=[float("nan"), _INF, -_INF, 1.0]), result=BOOL),
    OpInfo("isfinite", ref=np.isfinite, samples=unary_samples(big=[float("nan"), _INF, -_INF, 1.0]), result=BOOL),
]


# ---------------------------------------------------------------------------------------------------
# Binary elementwise
# ---------------------------------------------------------------------------------------------------
def _any_float(a, b) -> bool:
    return any(isinstance(x, float) or getattr(x, "dtype", np.dtype(int)).kind == "f" for x in (a, b))


def _pow(a, b):
    """Integer powers stay integral (wrapping); anything with a float computes in float64."""
    return np.power(np.asarray(a, np.float64), b) if _any_float(a, b) else np.power(a, b)


def _with(samples, *extra):
    """``samples`` followed by the extra samples made by each ``extra(rng)``."""
    return lambda rng: [*samples(rng), *(s for make in extra for s in make(rng))]


def _alpha(rng):
    return [Sample((Arg(uniform(rng, (3, 4), -3, 3)), Arg(uniform(rng, (4,), -3, 3))), {"alpha": 2},
                   desc="alpha=2", only=NUMBERS)]


def _rounding(rng):
    a, b = Arg(uniform(rng, (3, 4), -9, 9)), Arg(nonzero_values(rng, (3, 4)))
    return [Sample((a, b), {"rounding_mode": m}, desc=f"rounding_mode={m!r}", result=SAME, only=NUMBERS)
            for m in ("trunc", "floor")]


def _div(a, b, rounding_mode=None):
    if rounding_mode == "floor":
        return np.floor_divide(a, b)
    q = np.true_divide(np.asarray(a, np.float64), b)
    return np.trunc(q) if rounding_mode == "trunc" else q


_CMP = dict(scalars=(2, 1.5), result=BOOL)
_LOGICAL = dict(scalars=(), result=BOOL)  # torch's logical_* take tensors only
OPS += [
    OpInfo("add", ref=lambda a, b, alpha=1: np.add(a, np.multiply(b, alpha) if alpha != 1 else b),
           samples=_with(binary_samples(big=True), _alpha), grad=True, inplace=True, out=True, gradgrad=True),
    OpInfo("sub", ref=lambda a, b, alpha=1: np.subtract(a, np.multiply(b, alpha) if alpha != 1 else b),
           samples=_with(binary_samples(big=True), _alpha), dtypes=NUMBERS, grad=True, inplace=True, out=True,
           aliases=("subtract",)),
    OpInfo("mul", ref=np.multiply, samples=binary_samples(big=True), grad=True, inplace=True, out=True,
           aliases=("multiply",), gradgrad=True),
    OpInfo("div", ref=_div, samples=_with(binary_samples(nonzero_other=True, result=FLOAT), _rounding), result=FLOAT,
           grad=True, inplace=True, out=True, aliases=("divide", "true_divide"), gradgrad=True),
    OpInfo("floor_divide", ref=np.floor_divide, samples=binary_samples(nonzero_other=True, scalars=(2,)),
           dtypes=NUMBERS, inplace=True, out=True),
    OpInfo("remainder", ref=np.remainder, samples=binary_samples(nonzero_other=True, scalars=(2, 1.5)),
           dtypes=NUMBERS, grad=True, inplace=True, out=True),
    OpInfo("fmod", ref=np.fmod, samples=binary_samples(nonzero_other=True, scalars=(2, 1.5)), dtypes=NUMBERS,
           grad=True, inplace=True, out=True),
    OpInfo("pow", ref=_pow,
           samples=binary_samples(0.5, 2.5, other=(0.0, 3.0), scalars=(2, 0.5), aliased=False),
           dtypes=NUMBERS, grad=True, inplace=True, out=True, gradgrad=True),
    OpInfo("atan2", ref=_f(np.arctan2), samples=binary_samples(scalars=()), result=FLOAT, grad=True, inplace=True,
           out=True),
    OpInfo("maximum", ref=np.maximum, samples=binary_samples(scalars=()), grad=True, out=True),
    OpInfo("minimum", ref=np.minimum, samples=binary_samples(scalars=()), grad=True, out=True),
    OpInfo("eq", ref=np.equal, samples=binary_samples(-2, 2, **_CMP), result=BOOL, inplace=True, out=True),
    OpInfo("ne", ref=np.not_equal, samples=binary_samples(-2, 2, **_CMP), result=BOOL, inplace=True, out=True,
           aliases=("not_equal",)),
    OpInfo("lt", ref=np.less, samples=binary_samples(-2, 2, **_CMP), result=BOOL, inplace=True, out=True,
           aliases=("less",)),
    OpInfo("le", ref=np.less_equal, samples=binary_samples(-2, 2, **_CMP), result=BOOL, inplace=True, out=True,
           aliases=("less_equal",)),
    OpInfo("gt", ref=np.greater, samples=binary_samples(-2, 2, **_CMP), result=BOOL, inplace=True, out=True,
           aliases=("greater",)),
    OpInfo("ge", ref=np.greater_equal, samples=binary_samples(-2, 2, **_CMP), result=BOOL, inplace=True, out=True,
           aliases=("greater_equal",)),
    OpInfo("logical_and", ref=np.logical_and, samples=binary_samples(-2, 2, **_LOGICAL), result=BOOL, inplace=True,
           out=True),
    OpInfo("logical_or", ref=np.logical_or, samples=binary_samples(-2, 2, **_LOGICAL), result=BOOL, inplace=True,
           out=True),
    OpInfo("logical_xor", ref=np.logical_xor, samples=binary_samples(-2, 2, **_LOGICAL), result=BOOL, inplace=True,
           out=True),
    OpInfo("bitwise_and", ref=np.bitwise_and, samples=binary_samples(-8, 8, scalars=(3,)), dtypes=INTS_BOOL,
           inplace=True, out=True),
    OpInfo("bitwise_or", ref=np.bitwise_or, samples=binary_samples(-8, 8, scalars=(3,)), dtypes=INTS_BOOL,
           inplace=True, out=True),
    OpInfo("bitwise_xor", ref=np.bitwise_xor, samples=binary_samples(-8, 8, scalars=(3,)), dtypes=INTS_BOOL,
           inplace=True, out=True),
    OpInfo("bitwise_left_shift", ref=np.left_shift, samples=binary_samples(-8, 8, other=(0, 3), scalars=(2,),
                                                                          aliased=False),
           dtypes=INTS, inplace=True, out=True),
    OpInfo("bitwise_right_shift", ref=np.right_shift, samples=binary_samples(-8, 8, other=(0, 3), scalars=(2,),
                                                                            aliased=False),
           dtypes=INTS, inplace=True, out=True),
]


# ---------------------------------------------------------------------------------------------------
# where, clamp, closeness
# ---------------------------------------------------------------------------------------------------
def _where_samples(rng):
    cond = lambda shape: Arg(rng.random(shape) < 0.5, dtype="bool")  # noqa: E731
    yield Sample((cond((3, 4)), Arg(uniform(rng, (3, 4), -3, 3)), Arg(uniform(rng, (3, 4), -3, 3))), desc="same shape")
    yield Sample((cond((3, 1)), Arg(uniform(rng, (4,), -3, 3)), Arg(uniform(rng, (3, 4), -3, 3), "transposed")),
                 desc="broadcast")
    yield Sample((cond((2, 3)), Arg(uniform(rng, (2, 3), -3, 3)), Arg(uniform(rng, (), -3, 3))), desc="0-dim other")
    yield Sample((cond((0, 2)), Arg(np.zeros((0, 2))), Arg(np.zeros((0, 2)))), desc="empty", grad=False)


def _clamp_samples(rng):
    x = lambda shape, layout="contiguous": Arg(uniform(rng, shape, -3, 3), layout)  # noqa: E731
    # Non-negative bounds: PyTorch casts a Python bound to the tensor's dtype first, so a negative
    # bound wraps for uint8 (a quirk a backend should not be judged on).
    yield Sample((x((3, 4)),), {"min": 1, "max": 2}, desc="int bounds")
    yield Sample((x((3, 4), "transposed"),), {"min": 1}, desc="min only, transposed")
    yield Sample((x((2, 5), "sliced"),), {"max": 1}, desc="max only, strided")
    yield Sample((x(()),), {"min": 0, "max": 1}, desc="0-dim")
    yield Sample((x((3, 4)),), {"min": 0.5, "max": 1.5}, desc="float bounds", result=with_scalar(1.5))
    yield Sample((x((3, 4)), x((3, 4)), Arg(uniform(rng, (4,), 1, 3))), desc="tensor bounds, broadcast")
    yield Sample((Arg(np.zeros((0, 2))),), {"min": 0}, desc="empty", grad=False)


def _clamp_ref(x, min=None, max=None):  # noqa: A002
    r = x
    if min is not None:
        r = np.maximum(r, min)
    if max is not None:
        r = np.minimum(r, max)
    return r


def _close_samples(rng):
    a = uniform(rng, (3, 4), -3, 3)
    b = a.copy()
    b[0, 0] += 1e-3
    b[1, 1] += 1.0
    yield Sample((Arg(a), Arg(b)), desc="some close")
    yield Sample((Arg(a), Arg(a)), desc="equal")
    yield Sample((Arg(a), Arg(b)), {"rtol": 0.0, "atol": 2.0}, desc="atol")
    yield Sample((Arg(np.array([np.nan, 1.0, _INF])), Arg(np.array([np.nan, 1.0, _INF]))), {"equal_nan": True},
                 desc="nan, inf")
    yield Sample((Arg(uniform(rng, (2, 3), -3, 3)), Arg(uniform(rng, (3,), -3, 3))), desc="broadcast")


def _isclose(a, b, rtol=1e-5, atol=1e-8, equal_nan=False):
    return np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)


def _equal_samples(rng):
    a = uniform(rng, (3, 4), -3, 3)
    b = a.copy()
    b[2, 3] += 1
    yield Sample((Arg(a), Arg(a)), desc="equal")
    yield Sample((Arg(a), Arg(b)), desc="one differs")
    yield Sample((Arg(a), Arg(a[:2])), desc="different shapes")


OPS += [
    OpInfo("where", ref=lambda c, x, y: np.where(c, x, y), samples=_where_samples, grad=True, out=True,
           method=lambda c, x, y: x.where(c, y)),
    OpInfo("clamp", ref=_clamp_ref, samples=_clamp_samples, dtypes=NUMBERS, grad=True, inplace=True, out=True,
           aliases=("clip",)),
    OpInfo("clamp_min", ref=lambda x, m: np.maximum(x, m),
           samples=lambda rng: [Sample((Arg(uniform(rng, (3, 4), -3, 3)), 0.5), result=with_scalar(0.5)),
                                Sample((Arg(uniform(rng, (3, 4), -3, 3), "transposed"), 1), result=with_scalar(1))],
           grad=True),
    OpInfo("clamp_max", ref=lambda x, m: np.minimum(x, m),
           samples=lambda rng: [Sample((Arg(uniform(rng, (3, 4), -3, 3)), 0.5), result=with_scalar(0.5)),
                                Sample((Arg(uniform(rng, (3, 4), -3, 3), "sliced"), 1), result=with_scalar(1))],
           grad=True),
    OpInfo("isclose", ref=_f(_isclose), samples=_close_samples, result=BOOL),
    OpInfo("allclose", ref=_f(lambda a, b, **k: bool(np.all(_isclose(a, b, **k)))), samples=_close_samples,
           result=BOOL),
    OpInfo("equal", ref=lambda a, b: a.shape == b.shape and bool(np.all(a == b)), samples=_equal_samples,
           result=BOOL),
]


# ---------------------------------------------------------------------------------------------------
# Reductions
# ---------------------------------------------------------------------------------------------------
def _reduce(fn):
    def ref(x, dim=None, keepdim=False, **kw):
        return fn(x, axis=_axis(dim), keepdims=keepdim, **kw)
    return ref


def _max_samples(kind):
    def gen(rng):
        yield Sample((Arg(uniform(rng, (3, 4), -3, 3)),), desc="all elements")
        yield Sample((Arg(uniform(rng, (4, 3), -3, 3), "transposed"),), {"dim": 1}, desc="dim=1 (values, indices)",
                     result=lambda d: (d, "int64"))
        yield Sample((Arg(uniform(rng, (2, 3, 4), -3, 3), "sliced"),), {"dim": -1, "keepdim": True},
                     desc="dim=-1 keepdim", result=lambda d: (d, "int64"))
        yield Sample((Arg(uniform(rng, (), -3, 3)),), desc="0-dim")
        yield Sample((Arg(uniform(rng, (3, 4), -3, 3)), Arg(uniform(rng, (4,), -3, 3))), desc="binary (elementwise)")
        yield Sample((Arg(np.array([[1.0, np.nan, 3.0], [2.0, 0.0, -1.0]])),), {"dim": 1}, desc="nan propagates",
                     result=lambda d: (d, "int64"), grad=False)
    return gen


def _max_ref(kind):
    red, arg, ew = (np.max, np.argmax, np.maximum) if kind == "max" else (np.min, np.argmin, np.minimum)

    def ref(x, other=None, dim=None, keepdim=False):
        if other is not None:
            return ew(x, other)
        if dim is None:
            return red(x)
        return red(x, axis=dim, keepdims=keepdim), np.expand_dims(arg(x, axis=dim), dim) if keepdim \
            else arg(x, axis=dim)
    return ref


def _arg_ref(kind):
    fn = np.argmax if kind == "argmax" else np.argmin

    def ref(x, dim=None, keepdim=False):
        if dim is None:
            return np.asarray(fn(x))
        r = fn(x, axis=dim)
        return np.expand_dims(r, dim) if keepdim else r
    return ref


def _arg_samples(rng):
    yield Sample((Arg(uniform(rng, (3, 4), -3, 3)),), desc="all elements")
    yield Sample((Arg(uniform(rng, (4, 3), -3, 3), "transposed"),), {"dim": 0}, desc="dim=0")
    yield Sample((Arg(uniform(rng, (2, 3, 4), -3, 3), "sliced"),), {"dim": -1, "keepdim": True}, desc="keepdim")
    yield Sample((Arg(uniform(rng, (), -3, 3)),), desc="0-dim")
    yield Sample((Arg(np.array([[1.0, np.nan, 3.0], [np.nan, 0.0, -1.0]])),), {"dim": 1}, desc="nan is the extreme")


def _nan_sample(rng):
    return [Sample((Arg(np.array([[1.0, np.nan, 3.0], [2.0, 0.0, -1.0]])),), {"dim": 1}, desc="nan propagates",
                   grad=False)]


def _big_sample(rng):
    return [Sample((Arg(big_values((2, 4))),), {"dim": 1}, desc="near overflow", grad=False)]


def _moment_samples(rng):
    x = lambda shape, layout="contiguous": Arg(uniform(rng, shape, -3, 3), layout)  # noqa: E731
    yield Sample((x((3, 4)),), desc="all elements (correction=1)")
    yield Sample((x((3, 4)),), {"dim": 1}, desc="dim=1")
    yield Sample((x((4, 3), "transposed"),), {"dim": 0, "keepdim": True}, desc="dim=0 keepdim")
    yield Sample((x((2, 3, 4), "sliced"),), {"dim": (0, 2), "unbiased": False}, desc="unbiased=False")
    yield Sample((x((3, 4)),), {"dim": 1, "correction": 0}, desc="correction=0")
    yield Sample((x((3, 4)),), {"dim": 0, "correction": 2}, desc="correction=2")


def _var(x, dim=None, unbiased=None, keepdim=False, correction=None):
    ddof = correction if correction is not None else (0 if unbiased is False else 1)
    return np.var(x, axis=_axis(dim), ddof=ddof, keepdims=keepdim)


def _std(x, **k):
    return np.sqrt(_var(x, **k))


def _mean(x, dim=None, keepdim=False):
    return np.mean(x, axis=_axis(dim), keepdims=keepdim)


def _norm(x, p="fro", dim=None, keepdim=False):
    a = np.abs(x)
    ax = _axis(dim)
    if p in ("fro", 2, 2.0):
        return np.sqrt(np.sum(a * a, axis=ax, keepdims=keepdim))
    if p == _INF:
        return np.max(a, axis=ax, keepdims=keepdim)
    if p == -_INF:
        return np.min(a, axis=ax, keepdims=keepdim)
    if p == 0:
        return np.sum(a != 0, axis=ax, keepdims=keepdim).astype(np.float64)
    return np.sum(a ** p, axis=ax, keepdims=keepdim) ** (1.0 / p)


def _norm_samples(rng):
    x = lambda shape, layout="contiguous": Arg(uniform(rng, shape, -3, 3), layout)  # noqa: E731
    yield Sample((x((3, 4)),), desc="frobenius")
    yield Sample((x((3, 4), "transposed"),), {"p": 1}, desc="p=1")
    yield Sample((x((3, 4)),), {"p": _INF}, desc="p=inf")
    yield Sample((x((3, 4)),), {"p": 3, "dim": 1}, desc="p=3, dim=1")
    yield Sample((x((2, 3, 4), "sliced"),), {"dim": -1, "keepdim": True}, desc="dim=-1 keepdim")
    yield Sample((x(()),), desc="0-dim")


def _lse(x, dim, keepdim=False):
    m = np.max(x, axis=_axis(dim), keepdims=True)
    r = m + np.log(np.sum(np.exp(x - m), axis=_axis(dim), keepdims=True))
    return r if keepdim else np.squeeze(r, axis=_axis(dim))


def _softmax(x, dim, dtype=None):
    e = np.exp(x - np.max(x, axis=dim, keepdims=True))
    return e / np.sum(e, axis=dim, keepdims=True)


def _log_softmax(x, dim, dtype=None):
    m = np.max(x, axis=dim, keepdims=True)
    return x - m - np.log(np.sum(np.exp(x - m), axis=dim, keepdims=True))


def _dim_samples(rng, lo=-3.0, hi=3.0, dims=(1, 0, -1)):
    yield Sample((Arg(uniform(rng, (3, 4), lo, hi)), dims[0]), desc=f"dim={dims[0]}")
    yield Sample((Arg(uniform(rng, (4, 3), lo, hi), "transposed"), dims[1]), desc=f"dim={dims[1]}, transposed")
    yield Sample((Arg(uniform(rng, (2, 3, 4), lo, hi), "sliced"), dims[2]), desc=f"dim={dims[2]}, strided")


def _cum(fn):
    return lambda x, dim: fn(x, axis=dim)


def _sort_samples(rng):
    yield Sample((Arg(distinct(rng, (3, 5))),), desc="last dim")
    yield Sample((Arg(distinct(rng, (4, 3)), "transposed"),), {"dim": 0}, desc="dim=0, transposed")
    yield Sample((Arg(distinct(rng, (2, 6)), "sliced"),), {"descending": True}, desc="descending, strided")
    yield Sample((Arg(distinct(rng, (6,))),), {"stable": True}, desc="stable")


def _sort(x, dim=-1, descending=False, stable=False):
    idx = np.argsort(-x if descending else x, axis=dim, kind="stable")
    return np.take_along_axis(x, idx, axis=dim), idx


def _topk_samples(rng):
    yield Sample((Arg(distinct(rng, (3, 5))), 2), desc="k=2")
    yield Sample((Arg(distinct(rng, (5, 3)), "transposed"), 3), {"dim": 0}, desc="dim=0")
    yield Sample((Arg(distinct(rng, (2, 6)), "sliced"), 2), {"largest": False}, desc="smallest")


def _topk(x, k, dim=-1, largest=True, sorted=True):  # noqa: A002
    idx = np.argsort(-x if largest else x, axis=dim, kind="stable")
    idx = np.take(idx, np.arange(k), axis=dim)
    return np.take_along_axis(x, idx, axis=dim), idx


_RED_TOL = {"float16": (2e-2, 5e-3)}
_TIES = "bool values tie, and the order of ties is unspecified without stable=True"
OPS += [
    OpInfo("sum", ref=_reduce(np.sum), samples=reduce_samples(extra=_big_sample), result=SUM, grad=True, out=True, tol=_RED_TOL,
           gradgrad=True),
    OpInfo("mean", ref=_mean, samples=reduce_samples(), dtypes=FLOATS, grad=True, out=True, tol=_RED_TOL),
    OpInfo("prod", ref=_reduce(np.prod), samples=reduce_samples(0.5, 1.5, multi=False), result=SUM, grad=True, tol=_RED_TOL),
    OpInfo("amax", ref=_reduce(np.max), samples=reduce_samples(empty=False, extra=_nan_sample), grad=True),
    OpInfo("amin", ref=_reduce(np.min), samples=reduce_samples(empty=False, extra=_nan_sample), grad=True),
    OpInfo("max", ref=_max_ref("max"), samples=_max_samples("max"), grad=True),
    OpInfo("min", ref=_max_ref("min"), samples=_max_samples("min"), grad=True),
    OpInfo("argmax", ref=_arg_ref("argmax"), samples=_arg_samples, dtypes=NUMBERS, result=INT64),
    OpInfo("argmin", ref=_arg_ref("argmin"), samples=_arg_samples, dtypes=NUMBERS, result=INT64),
    OpInfo("all", ref=_reduce(np.all), samples=reduce_samples(-1, 1, empty=True),
           result=lambda d: "uint8" if d == "uint8" else "bool"),
    OpInfo("any", ref=_reduce(np.any), samples=reduce_samples(-1, 1, empty=True),
           result=lambda d: "uint8" if d == "uint8" else "bool"),
    OpInfo("var", ref=_var, samples=_moment_samples, dtypes=FLOATS, grad=True, tol=_RED_TOL),
    OpInfo("std", ref=_std, samples=_moment_samples, dtypes=FLOATS, grad=True, tol=_RED_TOL),
    OpInfo("var_mean", ref=lambda x, **k: (_var(x, **k), _mean(x, k.get("dim"), k.get("keepdim", False))),
           samples=_moment_samples, dtypes=FLOATS, grad=True, result=lambda d: (d, d), method=None, tol=_RED_TOL),
    OpInfo("std_mean", ref=lambda x, **k: (_std(x, **k), _mean(x, k.get("dim"), k.get("keepdim", False))),
           samples=_moment_samples, dtypes=FLOATS, grad=True, result=lambda d: (d, d), method=None, tol=_RED_TOL),
    OpInfo("norm", ref=_norm, samples=_norm_samples, dtypes=FLOATS, grad=True, tol=_RED_TOL),
    OpInfo("logsumexp", ref=_f(_lse), samples=lambda rng: [*_dim_samples(rng), Sample(
        (Arg(uniform(rng, (2, 3), -3, 3)), 1), {"keepdim": True}, desc="keepdim")], dtypes=ALL, result=FLOAT,
        grad=True, tol=_RED_TOL),
    OpInfo("softmax", ref=_softmax, samples=_dim_samples, dtypes=FLOATS, grad=True, tol=_RED_TOL),
    OpInfo("log_softmax", ref=_log_softmax, samples=_dim_samples, dtypes=FLOATS, grad=True, tol=_RED_TOL),
    OpInfo("cumsum", ref=_cum(np.cumsum), samples=_dim_samples, result=SUM, grad=True, tol=_RED_TOL),
    OpInfo("cumprod", ref=_cum(np.cumprod), samples=lambda rng: _dim_samples(rng, 0.5, 1.5), result=SUM, grad=True,
           tol=_RED_TOL),
    OpInfo("sort", ref=_sort, samples=_sort_samples, dtypes=NUMBERS, grad=True, result=lambda d: (d, "int64"),
           skip={"bool": _TIES}),
    OpInfo("argsort", ref=lambda x, **k: _sort(x, **k)[1], samples=_sort_samples, dtypes=NUMBERS, result=INT64,
           skip={"bool": _TIES}),
    OpInfo("topk", ref=_topk, samples=_topk_samples, dtypes=NUMBERS, grad=True, result=lambda d: (d, "int64")),
]


# ---------------------------------------------------------------------------------------------------
# Linear algebra
# ---------------------------------------------------------------------------------------------------
def _mat_samples(*shapes_list):
    def gen(rng):
        for shapes in shapes_list:
            layouts = ("contiguous",) * len(shapes)
            if shapes and shapes[0] and len(shapes[0]) >= 2:
                layouts = ("transposed",) + layouts[1:]
            yield Sample(tuple(Arg(uniform(rng, s, -2, 2), l) for s, l in zip(shapes, layouts)),
                         desc=" @ ".join(str(list(s)) for s in shapes))
    return gen


_MM_TOL = {"float16": (2e-2, 1e-2), "float32": (3e-5, 1e-5)}
OPS += [
    OpInfo("mm", ref=np.matmul, samples=_mat_samples(((3, 4), (4, 2)), ((1, 5), (5, 1)), ((2, 0), (0, 3))),
           dtypes=NUMBERS, grad=True, out=True, tol=_MM_TOL, gradgrad=True),
    OpInfo("bmm", ref=np.matmul, samples=_mat_samples(((2, 3, 4), (2, 4, 2)), ((1, 2, 2), (1, 2, 3))),
           dtypes=NUMBERS, grad=True, out=True, tol=_MM_TOL),
    OpInfo("dot", ref=lambda a, b: np.asarray(np.dot(a, b)), samples=_mat_samples(((5,), (5,)), ((0,), (0,))),
           dtypes=NUMBERS, grad=True, out=True, tol=_MM_TOL),
    OpInfo("mv", ref=np.matmul, samples=_mat_samples(((3, 4), (4,)), ((2, 0), (0,))), dtypes=NUMBERS, grad=True,
           out=True, tol=_MM_TOL),
    OpInfo("matmul", ref=lambda a, b: np.asarray(np.matmul(a, b)),
           samples=_mat_samples(((3, 4), (4, 2)), ((4,), (4,)), ((3, 4), (4,)), ((4,), (4, 2)),
                                ((2, 3, 4), (4, 2)), ((2, 1, 3, 4), (3, 4, 2)), ((3,), (2, 3, 4))),
           dtypes=NUMBERS, grad=True, out=True, tol=_MM_TOL, gradgrad=True),
    OpInfo("outer", ref=np.outer, samples=_mat_samples(((3,), (4,)), ((0,), (2,))), grad=True,
           tol=_MM_TOL, aliases=("ger",)),
]


# ---------------------------------------------------------------------------------------------------
# Shape and view ops (all dtypes; views are checked for aliasing in test_views.py)
# ---------------------------------------------------------------------------------------------------
def _x(rng, shape, layout="contiguous"):
    return Arg(uniform(rng, shape, -3, 3), layout)


def _shape_op(name, ref, samples, **kw) -> OpInfo:
    kw.setdefault("grad", True)
    return OpInfo(name, ref=ref, samples=samples, **kw)


def _seq_samples(rng):
    yield Sample(([_x(rng, (2, 3)), _x(rng, (2, 3), "transposed"), _x(rng, (2, 3), "sliced")],), desc="dim=0",
                 method=False)
    yield Sample(([_x(rng, (2, 3)), _x(rng, (2, 3))],), {"dim": 1}, desc="dim=1", method=False)
    yield Sample(([_x(rng, (2, 3)), _x(rng, (2, 3))],), {"dim": -1}, desc="dim=-1", method=False)


def _cat_samples(rng):
    yield Sample(([_x(rng, (2, 3)), _x(rng, (4, 3), "transposed"), _x(rng, (1, 3), "sliced")],), desc="dim=0",
                 method=False)
    yield Sample(([_x(rng, (2, 3)), _x(rng, (2, 1)), _x(rng, (2, 0))],), {"dim": 1}, desc="dim=1 with empty",
                 method=False)
    yield Sample(([_x(rng, (2, 3))],), {"dim": -1}, desc="one tensor", method=False)


def _stack_ref(ts, dim=0):
    return np.stack(ts, axis=dim)


def _split_ref(x, s, dim=0):
    n = x.shape[dim]
    if isinstance(s, int):
        edges = list(range(s, n, s))
    else:
        edges = list(np.cumsum(s)[:-1])
    return tuple(np.split(x, edges, axis=dim))


def _chunk_ref(x, chunks, dim=0):
    n = x.shape[dim]
    size = -(-n // chunks)
    return _split_ref(x, size, dim) if n else (x,)


def _unflatten_ref(x, dim, sizes):
    shape = list(x.shape)
    d = dim % x.ndim
    sizes = list(sizes)
    if -1 in sizes:
        known = int(np.prod([s for s in sizes if s != -1]))
        sizes[sizes.index(-1)] = shape[d] // known
    return x.reshape(shape[:d] + sizes + shape[d + 1:])


def _flatten_ref(x, start_dim=0, end_dim=-1):
    if x.ndim == 0:
        return x.reshape(1)
    s, e = start_dim % x.ndim, end_dim % x.ndim
    return x.reshape(x.shape[:s] + (-1,) + x.shape[e + 1:]) if x.size else \
        x.reshape(x.shape[:s] + (int(np.prod(x.shape[s:e + 1])),) + x.shape[e + 1:])


def _squeeze_ref(x, dim=None):
    if dim is None:
        return np.squeeze(x)
    dims = dim if isinstance(dim, tuple) else (dim,)
    dims = tuple(d % max(x.ndim, 1) for d in dims if x.ndim and x.shape[d % x.ndim] == 1)
    return np.squeeze(x, axis=dims) if dims else x


def _expand_ref(x, *sizes):
    lead = len(sizes) - x.ndim
    return np.broadcast_to(x, tuple(x.shape[i - lead] if n == -1 else n for i, n in enumerate(sizes)))


def _atleast_1d(x):
    return np.atleast_1d(x)


def _repeat_ref(x, *sizes):
    return np.tile(x, sizes)


def _getitem_samples(rng):
    x = lambda: _x(rng, (4, 5))  # noqa: E731
    idx = lambda v: Arg(np.array(v), dtype="int64")  # noqa: E731
    yield Sample((x(), (1,)), desc="int")
    yield Sample((x(), (slice(1, 3), slice(None, None, 2))), desc="slices with step")
    yield Sample((_x(rng, (4, 5), "transposed"), (Ellipsis, -1)), desc="ellipsis, negative int, transposed")
    yield Sample((_x(rng, (4, 5), "sliced"), (None, slice(None), 2)), desc="None (new axis), strided")
    yield Sample((x(), (idx([0, 2, 2]),)), desc="int64 index tensor (repeated)")
    yield Sample((x(), (Arg(np.array([[True, False, True, False, True]] * 4), dtype="bool"),)), desc="bool mask")
    yield Sample((x(), (slice(None), idx([[0, 1], [4, 3]]))), desc="index tensor in dim 1")
    yield Sample((x(), (idx([0, 3]), idx([1, 4]))), desc="two index tensors")
    yield Sample((_x(rng, ()), ()), desc="0-dim, empty key")
    yield Sample((x(), (slice(5, 10),)), desc="empty slice")


def _setitem_samples(rng):
    x = lambda: _x(rng, (4, 5))  # noqa: E731
    yield Sample((x(), (1,), _x(rng, (5,))), desc="row <- tensor")
    yield Sample((x(), (slice(None), slice(1, 4, 2)), 1.5), desc="strided slice <- scalar",
                 result=lambda d: d)
    yield Sample((x(), (Arg(np.array([0, 2]), dtype="int64"),), _x(rng, (2, 5))), desc="index tensor <- tensor")
    yield Sample((x(), (Arg(np.array([[True, False, True, False, True]] * 4), dtype="bool"),), 0),
                 desc="bool mask <- scalar")
    yield Sample((_x(rng, (4, 5), "transposed"), (Ellipsis, 0), _x(rng, (1,))), desc="broadcast value, transposed")


def _setitem(x, key, value):
    """``x[key] = value`` on a copy, returned (the op under test is __setitem__)."""
    y = x.clone()
    y[key] = value
    return y


def _setitem_ref(x, key, value):
    y = x.copy()
    with np.errstate(all="ignore"):
        y[key] = np.asarray(value).astype(y.dtype) if y.dtype.kind != "f" else value
    return y


OPS += [
    _shape_op("reshape", lambda x, *s: x.reshape(s[0] if len(s) == 1 and isinstance(s[0], tuple) else s),
              lambda rng: [Sample((_x(rng, (3, 4)), (2, 6)), desc="tuple"),
                           Sample((_x(rng, (3, 4), "transposed"), (-1,)), desc="-1, transposed (copies)"),
                           Sample((_x(rng, (2, 6), "sliced"), (3, 4)), desc="strided"),
                           Sample((_x(rng, ()), (1, 1)), desc="0-dim"),
                           Sample((Arg(np.zeros((0, 4))), (2, 0, 2)), desc="empty", grad=False)]),
    _shape_op("Tensor.view", lambda x, *s: x.reshape(s[0] if len(s) == 1 and isinstance(s[0], tuple) else s),
              lambda rng: [Sample((_x(rng, (3, 4)), (2, 6)), desc="tuple"),
                           Sample((_x(rng, (3, 4)), 4, -1), desc="-1"),
                           Sample((_x(rng, (4, 3), "transposed"), 4, 3, 1), desc="unit dim on a transposed view"),
                           Sample((_x(rng, ()), 1), desc="0-dim")], method="view"),
    _shape_op("flatten", _flatten_ref, lambda rng: [
        Sample((_x(rng, (2, 3, 4)),), desc="all"),
        Sample((_x(rng, (2, 3, 4), "transposed"), 1), desc="start_dim=1, transposed"),
        Sample((_x(rng, (2, 3, 4)), 0, 1), desc="dims 0..1"),
        Sample((_x(rng, ()),), desc="0-dim")]),
    _shape_op("unflatten", _unflatten_ref, lambda rng: [
        Sample((_x(rng, (2, 6)), 1, (2, 3)), desc="dim=1"),
        Sample((_x(rng, (6, 2), "transposed"), 0, (3, -1)), desc="-1, transposed")]),
    _shape_op("squeeze", _squeeze_ref, lambda rng: [
        Sample((_x(rng, (1, 3, 1)),), desc="all"),
        Sample((_x(rng, (1, 3, 1)), 2), desc="dim=2"),
        Sample((_x(rng, (1, 3, 1)), 1), desc="dim of size 3 (no-op)"),
        Sample((_x(rng, (1, 3, 1)), (0, 2)), desc="tuple of dims"),
        Sample((_x(rng, ()),), desc="0-dim")]),
    _shape_op("unsqueeze", lambda x, d: np.expand_dims(x, d), lambda rng: [
        Sample((_x(rng, (3, 4)), 0), desc="dim=0"),
        Sample((_x(rng, (3, 4), "transposed"), -1), desc="dim=-1, transposed"),
        Sample((_x(rng, ()), 0), desc="0-dim")]),
    _shape_op("permute", lambda x, *d: np.transpose(x, d[0] if len(d) == 1 else d), lambda rng: [
        Sample((_x(rng, (2, 3, 4)), (2, 0, 1)), desc="tuple"),
        Sample((_x(rng, (2, 3, 4), "sliced"), (1, 2, 0)), desc="strided"),
        Sample((_x(rng, (2, 3)), (-1, -2)), desc="negative dims")]),
    _shape_op("transpose", lambda x, a, b: np.swapaxes(x, a, b), lambda rng: [
        Sample((_x(rng, (2, 3, 4)), 0, 2)), Sample((_x(rng, (3, 4), "transposed"), -1, -2)),
        Sample((_x(rng, (3,)), 0, 0), desc="1-d")], aliases=("swapaxes", "swapdims")),
    _shape_op("t", lambda x: x.T, lambda rng: [Sample((_x(rng, (3, 4)),)), Sample((_x(rng, (3,)),), desc="1-d"),
                                               Sample((_x(rng, ()),), desc="0-dim")]),
    _shape_op("movedim", lambda x, s, d: np.moveaxis(x, s, d), lambda rng: [
        Sample((_x(rng, (2, 3, 4)), 0, 2)), Sample((_x(rng, (2, 3, 4)), (0, 1), (2, 0)), desc="tuples")],
        aliases=("moveaxis",)),
    _shape_op("broadcast_to", lambda x, s: _expand_ref(x, *s), lambda rng: [
        Sample((_x(rng, (3, 1)), (2, 3, 4))), Sample((_x(rng, ()), (2, 2)), desc="0-dim"),
        Sample((_x(rng, (4,), "sliced"), (3, -1)), desc="-1 keeps the size, strided")]),
    _shape_op("Tensor.expand", _expand_ref, lambda rng: [
        Sample((_x(rng, (3, 1)), 2, 3, 4)), Sample((_x(rng, (1, 4), "sliced"), 3, -1), desc="-1, strided")],
        method="expand"),
    _shape_op("Tensor.repeat", _repeat_ref, lambda rng: [
        Sample((_x(rng, (2, 3)), 2, 1)), Sample((_x(rng, (3,), "sliced"), 2, 2), desc="more dims, strided")],
        method="repeat"),
    _shape_op("tile", lambda x, d: np.tile(x, d), lambda rng: [
        Sample((_x(rng, (2, 3)), (2, 1))), Sample((_x(rng, (3,)), (2, 2)), desc="more dims"),
        Sample((_x(rng, (2, 3), "transposed"), (2,)), desc="fewer dims")]),
    _shape_op("clone", lambda x: x.copy(), unary_samples()),
    _shape_op("Tensor.contiguous", lambda x: x.copy(), unary_samples(), method="contiguous"),
    _shape_op("flip", lambda x, d: np.flip(x, d), lambda rng: [
        Sample((_x(rng, (3, 4)), (0,))), Sample((_x(rng, (2, 3, 4), "transposed"), (0, 2)), desc="two dims"),
        Sample((_x(rng, (3, 4)), [-1]), desc="list, negative")]),
    _shape_op("cat", lambda ts, dim=0: np.concatenate(ts, axis=dim), _cat_samples, method=None, out=True,
              aliases=("concat", "concatenate")),
    _shape_op("stack", _stack_ref, _seq_samples, method=None, out=True),
    _shape_op("hstack", lambda ts: np.hstack(ts), lambda rng: [
        Sample(([_x(rng, (2, 3)), _x(rng, (2, 1), "sliced")],), method=False),
        Sample(([_x(rng, (3,)), _x(rng, (2,))],), desc="1-d", method=False)], method=None),
    _shape_op("vstack", lambda ts: np.vstack(ts), lambda rng: [
        Sample(([_x(rng, (2, 3)), _x(rng, (1, 3), "sliced")],), method=False),
        Sample(([_x(rng, (3,)), _x(rng, (3,))],), desc="1-d", method=False)], method=None),
    _shape_op("atleast_1d", _atleast_1d, lambda rng: [Sample((_x(rng, ()),)), Sample((_x(rng, (2, 3)),))],
              method=None),
    _shape_op("split", _split_ref, lambda rng: [
        Sample((_x(rng, (5, 3)), 2), desc="size 2"), Sample((_x(rng, (3, 5), "transposed"), [1, 3, 1], 1),
                                                            desc="sections, dim=1"),
        Sample((_x(rng, (4, 2)), 4), desc="one piece")],
        result=lambda d: (d,) * 8),
    _shape_op("chunk", _chunk_ref, lambda rng: [Sample((_x(rng, (5, 3)), 2)), Sample((_x(rng, (3, 6)), 3, 1))],
              result=lambda d: (d,) * 8),
    _shape_op("unbind", lambda x, dim=0: tuple(np.moveaxis(x, dim, 0)), lambda rng: [
        Sample((_x(rng, (3, 2)),)), Sample((_x(rng, (3, 2), "transposed"), 1), desc="dim=1, transposed")],
        result=lambda d: (d,) * 8),
    _shape_op("narrow", lambda x, d, s, n: np.take(x, np.arange(s, s + n), axis=d), lambda rng: [
        Sample((_x(rng, (4, 5)), 1, 1, 3)), Sample((_x(rng, (4, 5), "sliced"), 0, 2, 0), desc="length 0")]),
    _shape_op("select", lambda x, d, i: np.take(x, i, axis=d), lambda rng: [
        Sample((_x(rng, (4, 5)), 1, 2)), Sample((_x(rng, (4, 5), "transposed"), 0, -1), desc="negative index")]),
    _shape_op("Tensor.__getitem__", lambda x, key: np.asarray(x[key]), _getitem_samples, method=None,
              func=lambda x, key: x[key]),
    _shape_op("Tensor.__setitem__", _setitem_ref, _setitem_samples, method=None, func=_setitem),
]


# ---------------------------------------------------------------------------------------------------
# Gather / scatter and masks
# ---------------------------------------------------------------------------------------------------
def _idx(v):
    return Arg(np.array(v), dtype="int64")


def _scatter_add_ref(x, dim, index, src):
    out = x.copy()
    for pos in np.ndindex(*index.shape):
        tgt = list(pos)
        tgt[dim] = index[pos]
        out[tuple(tgt)] += src[pos]
    return out


def _index_put_ref(x, indices, values, accumulate=False):
    out = x.copy()
    key = tuple(indices)
    if accumulate:
        np.add.at(out, key, values)
    else:
        out[key] = values
    return out


def _mask(rng, shape):
    return Arg(rng.random(shape) < 0.5, dtype="bool")


OPS += [
    OpInfo("gather", ref=lambda x, d, i: np.take_along_axis(x, i, axis=d), samples=lambda rng: [
        Sample((_x(rng, (3, 4)), 1, _idx([[0, 3], [1, 1], [2, 0]])), desc="dim=1"),
        Sample((_x(rng, (3, 4), "transposed"), 0, _idx([[2, 0, 1, 0]])), desc="dim=0, transposed")], grad=True),
    OpInfo("scatter_add", ref=_scatter_add_ref, samples=lambda rng: [
        Sample((_x(rng, (3, 4)), 1, _idx([[0, 3, 0], [1, 1, 1], [2, 0, 2]]), _x(rng, (3, 3))),
               desc="dim=1, repeated indices"),
        Sample((_x(rng, (3, 4)), 0, _idx([[2, 0, 1, 0]]), _x(rng, (2, 4), "transposed")), desc="src bigger",
               grad=False)],  # PyTorch's gradient of src has the index's shape: not a valid gradient here
        grad=True, inplace=True),
    OpInfo("index_select", ref=lambda x, d, i: np.take(x, i, axis=d), samples=lambda rng: [
        Sample((_x(rng, (3, 4)), 1, _idx([3, 0, 3]))), Sample((_x(rng, (3, 4), "sliced"), 0, _idx([2])), desc="dim=0"),
        Sample((_x(rng, (3, 4)), 0, _idx(np.zeros(0, dtype=np.int64))), desc="empty index", grad=False)], grad=True),
    OpInfo("take", ref=lambda x, i: np.take(x.ravel(), i), samples=lambda rng: [
        Sample((_x(rng, (3, 4)), _idx([[0, 11], [5, -1]]))), Sample((_x(rng, (3, 4), "transposed"), _idx([1, 2])))],
        grad=True),
    OpInfo("masked_fill", ref=lambda x, m, v: np.where(m, v, x), samples=lambda rng: [
        Sample((_x(rng, (3, 4)), _mask(rng, (3, 4)), 2)),
        Sample((_x(rng, (3, 4), "transposed"), _mask(rng, (4,)), -1), desc="broadcast mask"),
        Sample((_x(rng, (3, 4)), _mask(rng, (3, 4)), Arg(np.array(1.0))), desc="0-dim tensor value")],
        grad=True, inplace=True),
    OpInfo("masked_select", ref=lambda x, m: np.broadcast_to(x, np.broadcast_shapes(x.shape, m.shape))[
        np.broadcast_to(m, np.broadcast_shapes(x.shape, m.shape))], samples=lambda rng: [
        Sample((_x(rng, (3, 4)), _mask(rng, (3, 4)))), Sample((_x(rng, (3, 4), "sliced"), _mask(rng, (4,))))],
        grad=True),
    OpInfo("nonzero", ref=lambda x: np.argwhere(x), samples=lambda rng: [
        Sample((Arg(uniform(rng, (3, 4), -1, 1)),)), Sample((Arg(uniform(rng, (5,), -1, 1), "sliced"),)),
        Sample((Arg(np.zeros((2, 2))),), desc="all zero")], result=INT64),
    OpInfo("argwhere", ref=lambda x: np.argwhere(x), samples=lambda rng: [
        Sample((Arg(uniform(rng, (3, 4), -1, 1)),)), Sample((Arg(uniform(rng, (4, 3), -1, 1), "transposed"),))],
        result=INT64),
    OpInfo("index_put", ref=_index_put_ref, samples=lambda rng: [
        Sample((_x(rng, (3, 4)), (_idx([0, 2]),), _x(rng, (2, 4))), desc="rows"),
        Sample((_x(rng, (3, 4)), (_idx([0, 0, 1]), _idx([1, 1, 3])), _x(rng, (3,))), {"accumulate": True},
               desc="accumulate, repeated")], grad=True, inplace=True),
]


# ---------------------------------------------------------------------------------------------------
# nn.functional
# ---------------------------------------------------------------------------------------------------
def _reduce_loss(v, reduction):
    return v.mean() if reduction == "mean" else v.sum() if reduction == "sum" else v


def _nll(logp, target, reduction="mean"):
    return _reduce_loss(np.asarray(-logp[np.arange(len(target)), target]), reduction)


def _xent(x, target, reduction="mean"):
    return _nll(_log_softmax(x, 1), target, reduction)


def _loss_samples(rng):
    yield Sample((_x(rng, (3, 4)), _x(rng, (3, 4))), desc="mean")
    yield Sample((_x(rng, (3, 4), "transposed"), _x(rng, (3, 4))), {"reduction": "sum"}, desc="sum, transposed")
    yield Sample((_x(rng, (2, 3)), _x(rng, (2, 3), "sliced")), {"reduction": "none"}, desc="none")


def _class_samples(rng):
    yield Sample((_x(rng, (4, 3)), _idx([0, 2, 1, 2])), desc="mean")
    yield Sample((_x(rng, (4, 3), "transposed"), _idx([1, 1, 0, 2])), {"reduction": "sum"}, desc="sum")
    yield Sample((_x(rng, (2, 5)), _idx([4, 0])), {"reduction": "none"}, desc="none")


_F = "nn.functional."
OPS += [
    OpInfo(_F + "linear", ref=lambda x, w, b=None: x @ w.T + (0 if b is None else b), samples=lambda rng: [
        Sample((_x(rng, (3, 4)), _x(rng, (2, 4)), _x(rng, (2,))), desc="with bias"),
        Sample((_x(rng, (5, 3, 4), "sliced"), _x(rng, (2, 4), "transposed")), desc="batched, no bias")],
        dtypes=NUMBERS, grad=True, method=None, tol=_MM_TOL),
    OpInfo(_F + "relu", ref=lambda x: np.maximum(x, 0).astype(x.dtype), samples=unary_samples(), dtypes=NUMBERS,
           grad=True, method=None),
    OpInfo(_F + "sigmoid", ref=_f(lambda x: 1 / (1 + np.exp(-x))), samples=unary_samples(), result=FLOAT,
           grad=True, method=None),
    OpInfo(_F + "tanh", ref=_f(np.tanh), samples=unary_samples(), result=FLOAT, grad=True, method=None),
    OpInfo(_F + "softmax", ref=_softmax, samples=_dim_samples, dtypes=FLOATS, grad=True, method=None, tol=_RED_TOL),
    OpInfo(_F + "log_softmax", ref=_log_softmax, samples=_dim_samples, dtypes=FLOATS, grad=True, method=None,
           tol=_RED_TOL),
    OpInfo(_F + "mse_loss", ref=lambda a, b, reduction="mean": _reduce_loss((a - b) ** 2, reduction),
           samples=_loss_samples, dtypes=FLOATS, grad=True, method=None, tol=_RED_TOL),
    OpInfo(_F + "l1_loss", ref=lambda a, b, reduction="mean": _reduce_loss(np.abs(a - b), reduction),
           samples=_loss_samples, dtypes=FLOATS, grad=True, method=None, tol=_RED_TOL),
    OpInfo(_F + "nll_loss", ref=_nll, samples=_class_samples, dtypes=FLOATS, grad=True, method=None, tol=_RED_TOL),
    OpInfo(_F + "cross_entropy", ref=_xent, samples=_class_samples, dtypes=FLOATS, grad=True, method=None,
           tol=_RED_TOL),
    OpInfo(_F + "dropout", custom=C.check_dropout, dtypes=FLOATS),
]


# ---------------------------------------------------------------------------------------------------
# Creation and random ops: custom checks (no tensor inputs), in _creation.py
# ---------------------------------------------------------------------------------------------------
OPS += [
    OpInfo("tensor", custom=C.check_tensor),
    OpInfo("as_tensor", custom=C.check_as_tensor),
    OpInfo("asarray", custom=C.check_asarray),
    OpInfo("from_numpy", custom=C.check_from_numpy),
    OpInfo("zeros", custom=C.factory_check("zeros")),
    OpInfo("ones", custom=C.factory_check("ones")),
    OpInfo("empty", custom=C.factory_check("empty")),
    OpInfo("full", custom=C.check_full),
    OpInfo("zeros_like", custom=C.like_check("zeros_like")),
    OpInfo("ones_like", custom=C.like_check("ones_like")),
    OpInfo("empty_like", custom=C.like_check("empty_like")),
    OpInfo("full_like", custom=C.like_check("full_like")),
    OpInfo("arange", custom=C.check_arange, dtypes=NUMBERS),
    OpInfo("linspace", custom=C.check_linspace, dtypes=NUMBERS),
    OpInfo("logspace", custom=C.check_logspace, dtypes=NUMBERS),
    OpInfo("eye", custom=C.check_eye),
    OpInfo("Tensor", custom=C.check_legacy_tensor, dtypes=frozenset({"float32"})),
    *[OpInfo(name, custom=C.legacy_check(name), dtypes=frozenset({dt})) for name, dt in C.LEGACY.items()],
    OpInfo("rand", custom=C.random_check("rand"), dtypes=FLOATS),
    OpInfo("randn", custom=C.random_check("randn"), dtypes=FLOATS),
    OpInfo("rand_like", custom=C.random_check("rand_like"), dtypes=FLOATS),
    OpInfo("randn_like", custom=C.random_check("randn_like"), dtypes=FLOATS),
    OpInfo("randint", custom=C.check_randint, dtypes=NUMBERS),
    OpInfo("randint_like", custom=C.check_randint_like, dtypes=NUMBERS),
    OpInfo("randperm", custom=C.check_randperm, dtypes=NUMBERS - {"uint8", "int8"}),
    OpInfo("normal", custom=C.check_normal, dtypes=FLOATS),
]

OPS_BY_NAME: dict[str, OpInfo] = {op.name: op for op in OPS}

# Public names of ``plugtensor`` that are not tensor ops, so they have no row. Each group says why.
NOT_OPS = {
    # dtypes and their aliases, devices, shapes: values, not ops
    "dtype", "bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64", "half", "float",
    "double", "short", "int", "long", "device", "Size",
    # dtype queries and defaults: no tensors involved (promotion is tested in test_promotion.py)
    "promote_types", "result_type", "can_cast", "finfo", "iinfo", "get_default_dtype", "set_default_dtype",
    "get_default_device", "set_default_device", "is_tensor", "is_floating_point", "numel",
    # random-state management: tested in test_random.py
    "Generator", "default_generator", "manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state",
    # plugin system, printing options, namespaces, grad modes (autograd is tested in test_autograd.py)
    "devices", "load_failures", "register_plugin", "hookimpl", "set_printoptions", "get_printoptions",
    "autograd", "nn", "optim", "cuda", "return_types", "no_grad", "enable_grad", "set_grad_enabled",
    "is_grad_enabled", "inference_mode",
}

# Public names of ``plugtensor.nn.functional`` that are not ops (none so far).
NOT_OPS_FUNCTIONAL: set[str] = set()
