"""Reductions (sum, mean, max, var, norm, ...), scans and softmax, with their gradients."""
from __future__ import annotations

import math
import warnings

from .. import _dtype as D
from .._tensor import _record
from ..autograd._engine import LEADING_DIMS
from ..autograd._node import node_class
from ._common import (Tensor, _gm, _make, cast, dims_arg, exporter, no_record, scatter_back, type_word,
                      wrap_dim, write_out)
from .shape import expand_to

_ALL: dict[str, object] = {}


_export = exporter(_ALL, bind_methods=True)


def _keep_shape(shape, dims) -> tuple:
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


def _expand_back(g: Tensor, shape, dims, keepdim: bool) -> Tensor:
    """Broadcast a reduced gradient back to the input's shape."""
    if not keepdim and dims != LEADING_DIMS[len(dims)]:  # expand itself adds missing leading dims
        g = g.reshape(_keep_shape(shape, dims))
    return expand_to(g, shape)


def _reduce_args(input: Tensor, dim, op: str):
    nd = input._data.ndim
    if dim is None:
        return tuple(range(nd)), True
    return dims_arg(dim, nd, op), False


def _check_nonempty(input: Tensor, dims, op: str) -> None:
    sh = input._data.shape
    for d in dims:
        if sh[d] == 0:
            raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size.")
    if not dims and input.numel() == 0:
        raise RuntimeError(f"{op}(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
                           f"reduction dim with the 'dim' argument.")


_SUM0, _SUM1 = node_class("SumBackward0"), node_class("SumBackward1")
_FLOAT = D.FLOAT
_MEAN0, _MEAN1 = node_class("MeanBackward0"), node_class("MeanBackward1")


def _sum_backward(node, g):
    shape, dims, keepdim = node.ctx
    return (_expand_back(g, shape, dims, keepdim),)


def _sum_all_backward(node, g):
    return (expand_to(g, node.ctx),)


def _mean_backward(node, g):
    shape, dims, keepdim, n = node.ctx
    if not _gm.enabled:  # outside create_graph the division needs no op (checks, promotion, record)
        g = _make(g._ctx.K["div"](g._data, n), g._dtype, g._ctx)
    else:
        g = g / n
    return (_expand_back(g, shape, dims, keepdim),)


def sum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None, out=None) -> Tensor:  # noqa: A001
    """Sum over ``dim`` (all dims by default); integer and bool inputs sum to int64."""
    if dim is None and dtype is None and out is None:
        dt = input._dtype
        if dt.kind == _FLOAT:  # the common x.sum(): axes=None tells the kernel to reduce everything
            ctx = input._ctx
            res = _make(ctx.K["sum"](input._data, None, False), dt, ctx)
            if input._rg and _gm.enabled:
                _record(_SUM0, _sum_all_backward, (input,), res, (), input._data.shape)
            return res
    dims, full = _reduce_args(input, dim, "sum")
    dt = dtype or (input._dtype if input._dtype.kind == D.FLOAT else D.int64)
    x = input._data if dtype is None else cast(input, dtype)
    # Pass a dtype only when accumulating in another type (ints sum in int64).
    res = _make(input._ctx.K["sum"](x, dims, keepdim, None if dt is input._dtype else dt), dt, input._ctx)
    if _gm.enabled and input._rg:
        _record(_SUM0 if full else _SUM1, _sum_backward, (input,), res, (), (input._data.shape, dims, keepdim))
    return write_out(out, res, "sum") if out is not None else res


def mean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None, out=None) -> Tensor:
    """Arithmetic mean over ``dim``; only floating inputs (as in PyTorch)."""
    dt = dtype or input._dtype
    if dt.kind != D.FLOAT:
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a floating point or "
                           f"complex dtype. Got: {type_word(input._dtype)}")
    dims, full = _reduce_args(input, dim, "mean")
    n = 1
    for d in dims:
        n *= input._data.shape[d]
    x = input._data if dt is input._dtype else cast(input, dt)
    K = input._ctx.K
    s = K["sum"](x, dims, keepdim, dt)
    r = K["div"](s, n)  # an empty mean is 0/0 = nan, as in PyTorch
    res = _make(r, dt, input._ctx)
    if _gm.enabled and input._rg:
        _record(_MEAN0 if full else _MEAN1, _mean_backward, (input,), res, (), (input._data.shape, dims, keepdim, n))
    return write_out(out, res, "mean") if out is not None else res


_PROD0, _PROD1 = node_class("ProdBackward0"), node_class("ProdBackward1")


def prod(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Product over one dim (or all); integer and bool inputs multiply in int64."""
    if dim is not None and not isinstance(dim, int):
        raise TypeError("prod(): argument 'dim' must be int")
    dims, full = _reduce_args(input, dim, "prod")
    dt = dtype or (input._dtype if input._dtype.kind == D.FLOAT else D.int64)
    res = _make(input._ctx.K["prod"](cast(input, dt), dims, keepdim, dt), dt, input._ctx)
    if _gm.enabled and input._rg:
        _record(_PROD0 if full else _PROD1, _prod_backward, (input,), res, (input,), (dims, keepdim, full))
    return res


def _prod_backward(node, g):
    (x,) = node.saved_tensors
    dims, keepdim, full = node.ctx
    shape = x.shape
    if full:
        flat = x.reshape(-1)
        others = _exclusive_prod(flat).reshape(shape)
        return (g * others,)
    d = dims[0]
    xm = x.movedim(d, -1)
    others = _exclusive_prod(xm).movedim(-1, d)
    return (_expand_back(g, tuple(shape), dims, keepdim) * others,)


def _exclusive_prod(x: Tensor) -> Tensor:
    """For each element along the last dim, the product of all the others (exact with zeros)."""
    n = x.shape[-1]
    if n == 0:
        return x
    ones = x.new_ones(tuple(x.shape[:-1]) + (1,))
    left = cat_last([ones, x.narrow(-1, 0, n - 1)]).cumprod(-1)
    right = cat_last([x.narrow(-1, 1, n - 1), ones]).flip(-1).cumprod(-1).flip(-1)
    return left * right


def cat_last(ts):
    from .shape import cat
    return cat(ts, -1)


class _ReturnType(tuple):
    """``(values, indices)`` as PyTorch's ``torch.return_types.max``."""

    _name = "max"

    def __new__(cls, values, indices):
        return tuple.__new__(cls, (values, indices))

    @property
    def values(self) -> Tensor:
        return self[0]

    @property
    def indices(self) -> Tensor:
        return self[1]

    def __repr__(self) -> str:
        return f"plugtensor.return_types.{self._name}(\nvalues={self[0]!r},\nindices={self[1]!r})"


def _return_type(name: str):
    return type(name, (_ReturnType,), {"_name": name, "__slots__": ()})


_RT = {n: _return_type(n) for n in ("max", "min", "sort", "topk", "kthvalue", "median", "mode", "aminmax")}
_MAX0, _AMAX = node_class("MaxBackward0"), node_class("AmaxBackward0")
_MAX1 = node_class("MaxBackward1")
_MIN0, _AMIN = node_class("MinBackward0"), node_class("AminBackward0")
_MIN1 = node_class("MinBackward1")


def _extreme_backward(node, g):
    (x, out) = node.saved_tensors
    dims, keepdim = node.ctx
    shape = tuple(x.shape)
    o = _expand_back(out, shape, dims, keepdim)
    mask = x == o
    count = mask.sum(dims, keepdim=True)
    # Ties share the gradient evenly; where, not a product: an inf/NaN gradient gives 0 elsewhere.
    return ((_expand_back(g, shape, dims, keepdim) / count).where(mask, 0.0),)


def _index_backward(node, g):
    (idx,) = node.saved_tensors
    d, keepdim, shape = node.ctx
    if not keepdim:
        g, idx = g.unsqueeze(d), idx.unsqueeze(d)
    return (scatter_back(g, shape, d, idx),)


def _extreme(kind: str):
    """max / min: full reduction, ``(values, indices)`` along a dim, or elementwise with a tensor."""
    amax_name, arg_name = ("amax", "argmax") if kind == "max" else ("amin", "argmin")
    full_cls, dim_cls = (_MAX1, _MAX0) if kind == "max" else (_MIN1, _MIN0)
    rt = _RT[kind]

    def fn(input: Tensor, dim=None, keepdim: bool = False, *, out=None):
        if isinstance(dim, Tensor):
            return getattr(Tensor, "maximum" if kind == "max" else "minimum")(input, dim)
        K = input._ctx.K
        if dim is None:
            _check_nonempty(input, (), kind)
            dims = tuple(range(input._data.ndim))
            res = _make(K[amax_name](input._data, dims, False), input._dtype, input._ctx)
            if _gm.enabled and input._rg:
                _record(full_cls, _extreme_backward, (input,), res, (input, res), (dims, False))
            return res
        d = wrap_dim(dim, input._data.ndim, kind)
        if input._data.ndim:
            _check_nonempty(input, (d,), kind)
        idx = _make(K[arg_name](input._data, d if input._data.ndim else None, keepdim), D.int64, input._ctx)
        vals = _make(K[amax_name](input._data, (d,) if input._data.ndim else (), keepdim), input._dtype, input._ctx)
        if _gm.enabled and input._rg:
            _record(dim_cls, _index_backward, (input,), vals, (idx,), (d, keepdim, input._data.shape))
        return rt(vals, idx)
    fn.__name__ = kind
    return fn


max = _export(_extreme("max"))  # noqa: A001
min = _export(_extreme("min"))  # noqa: A001


def _amax_like(kind: str):
    cls = _AMAX if kind == "amax" else _AMIN

    def fn(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
        full = dim is None or dim == () or dim == []
        dims = dims_arg(None if full else dim, input._data.ndim, kind)
        _check_nonempty(input, () if full else dims, kind)
        res = _make(input._ctx.K[kind](input._data, dims, keepdim), input._dtype, input._ctx)
        if _gm.enabled and input._rg:
            _record(cls, _extreme_backward, (input,), res, (input, res), (dims, keepdim))
        return res
    fn.__name__ = kind
    return fn


amax = _export(_amax_like("amax"))
amin = _export(_amax_like("amin"))


def _arg(kind: str):
    def fn(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
        K = input._ctx.K
        if input._dtype is D.bool:
            raise RuntimeError(f"{kind}(): does not support bool input")
        if dim is None:
            if input.numel() == 0:
                raise IndexError(f"{kind}(): Expected reduction dim to be specified for input.numel() == 0.")
            flat = input.reshape(-1)._data
            r = K[kind](flat, 0, False)
            if keepdim:
                r = input._ctx.backend.reshape_view(r, (1,) * input._data.ndim)
            return _make(r, D.int64, input._ctx)
        d = wrap_dim(dim, input._data.ndim, kind)
        if input._data.ndim == 0:
            return _make(input._ctx.backend.full((), 0, D.int64, input._ctx.index), D.int64, input._ctx)
        _check_nonempty(input, (d,), kind)
        return _make(K[kind](input._data, d, keepdim), D.int64, input._ctx)
    fn.__name__ = kind
    return fn


argmax = _export(_arg("argmax"))
argmin = _export(_arg("argmin"))


def _logical(kind: str):
    def fn(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
        dims, _ = _reduce_args(input, dim, kind)
        if dim is not None and len(dim if isinstance(dim, (tuple, list)) else (dim,)) == 0:
            dims = ()  # PyTorch reduces over no dims here (unlike sum, where () means all)
        r = input._ctx.K[kind](input._data, dims, keepdim)
        res = _make(r, D.bool, input._ctx)
        return res.to(D.uint8) if input._dtype is D.uint8 else res
    fn.__name__ = kind
    return fn


all = _export(_logical("all"))  # noqa: A001
any = _export(_logical("any"))  # noqa: A001

_VAR, _STD = node_class("VarBackward0"), node_class("StdBackward0")


def _moments_args(dim, unbiased, keepdim, correction):
    if isinstance(dim, bool):  # var(x, unbiased)
        dim, unbiased = None, dim
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    return dim, keepdim, correction


def var(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
    """Variance over ``dim`` with Bessel's ``correction`` (1 by default)."""
    return _moment(input, dim, unbiased, keepdim, correction, "var")


def std(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
    """Standard deviation over ``dim`` with Bessel's ``correction`` (1 by default)."""
    return _moment(input, dim, unbiased, keepdim, correction, "std")


def _moment(input, dim, unbiased, keepdim, correction, kind):
    if input._dtype.kind != D.FLOAT:
        raise RuntimeError(f"{kind}(): only floating point inputs are supported, got {type_word(input._dtype)}")
    dim, keepdim, correction = _moments_args(dim, unbiased, keepdim, correction)
    dims, _ = _reduce_args(input, dim, kind)
    n = 1
    for d in dims:
        n *= input._data.shape[d]
    denom = n - correction
    if denom <= 0:
        warnings.warn(f"{kind}(): degrees of freedom is <= 0. Correction should be strictly less than the reduction "
                      f"factor (input numel divided by output numel).", UserWarning, stacklevel=3)
    with no_record():
        centered = input - mean(input, dims, keepdim=True)
        ss = sum(centered * centered, dims, keepdim=keepdim)
        v = ss / (denom if denom > 0 else 0)  # too few elements: x/0 (inf, or nan for 0/0), as in PyTorch
        res = v.sqrt() if kind == "std" else v
    if _gm.enabled and input._rg:
        _record(_STD if kind == "std" else _VAR, _moment_backward, (input,), res, (input, res),
                (dims, keepdim, denom, kind))
    return res


def _moment_backward(node, g):
    x, res = node.saved_tensors
    dims, keepdim, denom, kind = node.ctx
    shape = tuple(x.shape)
    centered = x - x.mean(dims, keepdim=True)
    if kind == "var":
        return (_expand_back(g, shape, dims, keepdim) * centered * (2.0 / denom),)
    return (_expand_back(g / res, shape, dims, keepdim) * centered / denom,)


def var_mean(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    return var(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


def std_mean(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    return std(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


_NORM = node_class("LinalgVectorNormBackward0")


def norm(input: Tensor, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """Vector p-norm over ``dim`` (all elements by default); 'fro' is the 2-norm of all elements."""
    if input._dtype.kind != D.FLOAT:
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                           f"{type_word(input._dtype)}")
    if p == "fro" or p is None:
        p = 2
    elif isinstance(p, str) or not isinstance(p, (int, float)) and not hasattr(p, "__float__"):
        raise RuntimeError(f"linalg.vector_norm: Order {p} not supported.")
    p = float(p)
    dims, _ = _reduce_args(input, dim, "norm")
    if p < 0 or math.isinf(p):
        _check_norm_identity(input, dim, dims, p)
    with no_record():
        a = input.abs()
        if p == 2:
            res = sum(a * a, dims, keepdim=keepdim).sqrt()
        elif p == 1:
            res = sum(a, dims, keepdim=keepdim)
        elif p == math.inf:
            res = amax(a, dims, keepdim=keepdim)
        elif p == -math.inf:
            res = amin(a, dims, keepdim=keepdim)
        elif p == 0:
            res = sum((a != 0).to(input._dtype), dims, keepdim=keepdim)
        else:
            res = sum(a ** p, dims, keepdim=keepdim) ** (1.0 / p)
    if _gm.enabled and input._rg:
        _record(_NORM, _norm_backward, (input,), res, (input, res), (p, dims, keepdim))
    return res


def _check_norm_identity(input: Tensor, dim, dims, p: float) -> None:
    """max / min of nothing is undefined: PyTorch's error for an inf or negative norm of an empty set."""
    pname = ("-inf" if p < 0 else "inf") if math.isinf(p) else f"{p:g}"
    if dim is None:
        if input.numel() == 0:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {pname} norm on an empty tensor because the "
                               f"operation does not have an identity")
        return
    for d in dims:
        if input._data.shape[d] == 0:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {pname} norm on the dimension {d} because "
                               f"this dimension is empty and the operation does not have an identity")


def _norm_backward(node, g):
    x, res = node.saved_tensors
    p, dims, keepdim = node.ctx
    shape = tuple(x.shape)
    n = _expand_back(res, shape, dims, keepdim)
    ge = _expand_back(g, shape, dims, keepdim)
    if p == 2:
        return (ge * (x / n).masked_fill(n == 0, 0.0),)
    if p == 1:
        return (ge * x.sign(),)
    if math.isinf(p):
        mask = x.abs() == n
        return (ge * x.sign() * mask / mask.sum(dims, keepdim=True),)
    if p == 0:
        return (ge * 0,)
    return (ge * (x * x.abs() ** (p - 2) / n ** (p - 1)).masked_fill(n == 0, 0.0),)


_LSE = node_class("LogsumexpBackward0")


def logsumexp(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    """``log(sum(exp(input), dim))``, computed stably."""
    dims = dims_arg(dim, input._data.ndim, "logsumexp")
    x = input if input._dtype.kind == D.FLOAT else input.to(D.get_default_dtype())
    with no_record():
        m = amax(x, dims, keepdim=True) if x.numel() else x.sum(dims, keepdim=True)
        m = m.masked_fill(m.isinf(), 0.0)
        res = (x - m).exp().sum(dims, keepdim=True).log() + m
        if not keepdim:
            res = res.squeeze(dims)
    if _gm.enabled and input._rg:
        _record(_LSE, _lse_backward, (input,), res, (input, res), (dims, keepdim))
    return res


def _lse_backward(node, g):
    x, res = node.saved_tensors
    dims, keepdim = node.ctx
    shape = tuple(x.shape)
    return (_expand_back(g, shape, dims, keepdim) * (x - _expand_back(res, shape, dims, keepdim)).exp(),)


_CUMSUM = node_class("CumsumBackward0")


def cumsum(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Running sum along ``dim``; integer inputs accumulate in int64."""
    d = wrap_dim(dim, input._data.ndim, "cumsum")
    dt = dtype or (input._dtype if input._dtype.kind == D.FLOAT else D.int64)
    if input._data.ndim == 0:
        return input.to(dt).clone()
    res = _make(input._ctx.K["cumsum"](input._data, d, dt), dt, input._ctx)
    if _gm.enabled and input._rg:
        _record(_CUMSUM, _cumsum_backward, (input,), res, (), d)
    return res


def _cumsum_backward(node, g):
    d = node.ctx
    return (g.flip(d).cumsum(d).flip(d),)


_CUMPROD = node_class("CumprodBackward0")


def cumprod(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Running product along ``dim``; integer inputs multiply in int64."""
    d = wrap_dim(dim, input._data.ndim, "cumprod")
    dt = dtype or (input._dtype if input._dtype.kind == D.FLOAT else D.int64)
    if input._data.ndim == 0:
        return input.to(dt).clone()
    res = _make(input._ctx.K["cumprod"](cast(input, dt), d, dt), dt, input._ctx)
    if _gm.enabled and input._rg:
        _record(_CUMPROD, _cumprod_backward, (input,), res, (input,), d)
    return res


def _cumprod_backward(node, g):
    """d out_j / d x_k = prod_{i <= j, i != k} x_i for j >= k, built without dividing by x (exact at zeros).

    With the dim moved last (length n): left_k = prod_{i<k} x_i, and for each k the running product of
    x with the entries i <= k replaced by 1 gives prod_{k<i<=j} x_i; an (n, n) intermediate per row."""
    (x,) = node.saved_tensors
    d = node.ctx
    xm, gm = x.movedim(d, -1), g.movedim(d, -1)
    n = xm.shape[-1]
    if n == 0:
        return (g,)
    idx = x.new_ones(n).cumsum(0)  # 1..n, only compared with itself
    after_k = idx.unsqueeze(0) > idx.unsqueeze(1)  # [k, i]: i > k
    upper = idx.unsqueeze(0) >= idx.unsqueeze(1)  # [k, j]: j >= k
    rows = xm.unsqueeze(-2).expand(tuple(xm.shape[:-1]) + (n, n)).masked_fill(~after_k, 1.0).cumprod(-1)
    inner = (rows * gm.unsqueeze(-2) * upper).sum(-1)
    ones = xm.new_ones(tuple(xm.shape[:-1]) + (1,))
    left = cat_last([ones, xm.narrow(-1, 0, n - 1)]).cumprod(-1)
    return ((left * inner).movedim(-1, d),)


_SOFTMAX, _LOG_SOFTMAX = node_class("SoftmaxBackward0"), node_class("LogSoftmaxBackward0")


def _softmax_input(input: Tensor, dtype, op: str) -> Tensor:
    if dtype is not None:
        if not isinstance(dtype, D.dtype):
            raise TypeError(f"{op}(): argument 'dtype' must be plugtensor.dtype, not {type(dtype).__name__}")
        return input.to(dtype)
    if input._dtype.kind != D.FLOAT:  # PyTorch needs an explicit dtype= to take integers
        raise NotImplementedError(f"{op}(): \"{op}_kernel_impl\" not implemented for '{type_word(input._dtype)}'")
    return input


def _softmax_kernel(x: Tensor, d: int, name: str):
    """softmax / log_softmax of ``x``'s array along ``d``: the backend's kernel, else from primitives."""
    K, b, data = x._ctx.K, x._ctx.backend, x._data
    if data.ndim == 0:  # one element: work on it as a 1-element vector
        data = b.reshape_view(data, (1,))
    kern = K.get(name)
    if kern is not None:
        r = kern(data, d)
    elif x.numel() == 0:
        r = data
    else:
        shifted = K["sub"](data, K["amax"](data, (d,), True))  # stable: the largest exponent is 0
        if name == "softmax":
            e = K["exp"](shifted)
            r = K["div"](e, K["sum"](e, (d,), True))
        else:
            r = K["sub"](shifted, K["log"](K["sum"](K["exp"](shifted), (d,), True)))
    return b.reshape_view(r, ()) if x._data.ndim == 0 else r


def softmax(input: Tensor, dim: int, dtype=None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim``, computed stably."""
    x = _softmax_input(input, dtype, "softmax")
    d = wrap_dim(dim, x._data.ndim, "softmax")
    res = _make(_softmax_kernel(x, d, "softmax"), x._dtype, x._ctx)
    if _gm.enabled and x._rg:
        _record(_SOFTMAX, _softmax_backward, (x,), res, (res,), d)
    return res


def _softmax_backward(node, g):
    (y,) = node.saved_tensors
    d = node.ctx
    return (y * (g - (g * y).sum(d, keepdim=True)),)


def log_softmax(input: Tensor, dim: int, dtype=None) -> Tensor:
    """``x - logsumexp(x)`` along ``dim``."""
    x = _softmax_input(input, dtype, "log_softmax")
    d = wrap_dim(dim, x._data.ndim, "log_softmax")
    res = _make(_softmax_kernel(x, d, "log_softmax"), x._dtype, x._ctx)
    if _gm.enabled and x._rg:
        _record(_LOG_SOFTMAX, _log_softmax_backward, (x,), res, (res,), d)
    return res


def _log_softmax_backward(node, g):
    (y,) = node.saved_tensors
    d = node.ctx
    if _gm.enabled or not y._data.ndim:  # create_graph (differentiable ops), or a 0-d input
        return (g - y.exp() * g.sum(d, keepdim=True),)
    K, gd = g._ctx.K, g._data  # the same, on the kernels directly (every classifier's training step)
    kern = K.get("log_softmax_backward")  # a backend's fused version, if it has one
    if kern is not None:
        r = kern(gd, y._data, d)
    else:
        r = K["sub"](gd, K["mul"](K["exp"](y._data), K["sum"](gd, (d,), True)))
    return (_make(r, g._dtype, g._ctx),)


_SORT = node_class("SortBackward0")


def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False):
    """``(values, indices)`` sorted along ``dim``."""
    if input._data.ndim == 0:
        return _RT["sort"](input.clone(), input.new_zeros((), dtype=D.int64))
    d = wrap_dim(dim, input._data.ndim, "sort")
    v, i = input._ctx.K["sort"](input._data, d, descending, stable)
    vals, idx = _make(v, input._dtype, input._ctx), _make(i, D.int64, input._ctx)
    if _gm.enabled and input._rg:
        _record(_SORT, _sort_backward, (input,), vals, (idx,), (d, input._data.shape))
    return _RT["sort"](vals, idx)


def _sort_backward(node, g):
    (idx,) = node.saved_tensors
    d, shape = node.ctx
    return (scatter_back(g, shape, d, idx),)


def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    return sort(input, dim, descending, stable)[1]


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):  # noqa: A002
    """The ``k`` largest (or smallest) elements along ``dim`` and their indices."""
    d = wrap_dim(dim, input._data.ndim, "topk")
    n = input._data.shape[d] if input._data.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    with no_record():
        vals, idx = sort(input, d, descending=largest, stable=True)
        if input._data.ndim:
            vals, idx = vals.narrow(d, 0, k).clone(), idx.narrow(d, 0, k).clone()
    if _gm.enabled and input._rg:
        _record(_TOPK, _sort_backward, (input,), vals, (idx,), (d, input._data.shape))
    return _RT["topk"](vals, idx)


_TOPK = node_class("TopkBackward0")


for _fn in (sum, mean, prod, var, std, var_mean, std_mean, norm, logsumexp, cumsum, cumprod, softmax, log_softmax,
            sort, argsort, topk):
    _export(_fn)
for _name in ("var_mean", "std_mean"):
    delattr(Tensor, _name)
