"""Matrix products: ``mm``, ``matmul``/``@`` (batched, broadcasting), ``bmm``, ``dot``, ``mv``, ``outer``."""
from __future__ import annotations

from .. import _dtype as D
from .._tensor import _record
from ..autograd._node import node_class
from ._common import Tensor, _gm, _make, exporter, same_ctx, tensor_args, type_word, write_out

_ALL: dict[str, object] = {}


_export = exporter(_ALL, bind_methods=True)


def _check_dtypes(a: Tensor, b: Tensor, op: str):
    if a._dtype is not b._dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {type_word(a._dtype).lower()} != "
                           f"{type_word(b._dtype).lower()}" if op == "mm" else
                           f"{op}: expected both inputs to have the same dtype, but got {type_word(a._dtype)} and "
                           f"{type_word(b._dtype)}")
    if a._dtype is D.bool:
        raise NotImplementedError(f"{op}(): \"{op}\" not implemented for 'Bool'")
    return same_ctx(a, b, op)


def _product(cls, a: Tensor, b: Tensor, op: str, out=None) -> Tensor:
    ctx = a._ctx
    if a._dtype is not b._dtype or b._ctx is not ctx or a._dtype is D.bool:
        ctx = _check_dtypes(a, b, op)
    res = _make((ctx.F["mm"] if op == "mm" else ctx.K["matmul"])(a._data, b._data), a._dtype, ctx)
    if _gm.enabled and (a._rg or b._rg):
        _record(cls, _BACKWARD[op], (a, b), res, (a, b))
    return write_out(out, res, op) if out is not None else res


def _mm_backward(node, g):
    a, b = node.saved_tensors
    (ea, _), (eb, _) = node.next_functions
    if _gm.enabled:  # create_graph: differentiable ops
        return (g.mm(b.t()) if ea is not None else None, a.t().mm(g) if eb is not None else None)
    # The kernels directly (the hot path of every training step): g, a and b share device and dtype.
    ctx = g._ctx
    mm, tr, dt = ctx.F["mm"], ctx.backend.permute, g._dtype
    return (_make(mm(g._data, tr(b._data, (1, 0))), dt, ctx) if ea is not None else None,
            _make(mm(tr(a._data, (1, 0)), g._data), dt, ctx) if eb is not None else None)


def _bmm_backward(node, g):
    a, b = node.saved_tensors
    return (g.bmm(b.transpose(1, 2)) if node.needs_input_grad(0) else None,
            a.transpose(1, 2).bmm(g) if node.needs_input_grad(1) else None)


def _dot_backward(node, g):
    a, b = node.saved_tensors
    return (g * b if node.needs_input_grad(0) else None, g * a if node.needs_input_grad(1) else None)


def _mv_backward(node, g):
    a, v = node.saved_tensors
    return (g.unsqueeze(1) * v.unsqueeze(0) if node.needs_input_grad(0) else None,
            a.t().mv(g) if node.needs_input_grad(1) else None)


_BACKWARD = {"mm": _mm_backward, "bmm": _bmm_backward, "dot": _dot_backward, "mv": _mv_backward}
_MM, _BMM = node_class("MmBackward0"), node_class("BmmBackward0")
_DOT, _MV = node_class("DotBackward0"), node_class("MvBackward0")


def mm(input: Tensor, mat2: Tensor, *, out=None) -> Tensor:
    """Matrix product of two 2-D tensors."""
    if input.__class__ is not Tensor or mat2.__class__ is not Tensor:
        tensor_args("mm", input=input, mat2=mat2)
    if input._data.ndim != 2 or mat2._data.ndim != 2:
        raise RuntimeError(f"{'self' if input._data.ndim != 2 else 'mat2'} must be a matrix")
    if input._data.shape[1] != mat2._data.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({input._data.shape[0]}x{input._data.shape[1]} "
                           f"and {mat2._data.shape[0]}x{mat2._data.shape[1]})")
    return _product(_MM, input, mat2, "mm", out)


def bmm(input: Tensor, mat2: Tensor, *, out=None) -> Tensor:
    """Batched matrix product of two 3-D tensors with equal batch size."""
    if input.__class__ is not Tensor or mat2.__class__ is not Tensor:
        tensor_args("bmm", input=input, mat2=mat2)
    if input._data.ndim != 3 or mat2._data.ndim != 3:
        raise RuntimeError(f"batch1 must be a 3D tensor" if input._data.ndim != 3 else "batch2 must be a 3D tensor")
    s1, s2 = input._data.shape, mat2._data.shape
    if s1[0] != s2[0] or s1[2] != s2[1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{s1[0]}, {s1[2]}] but "
                           f"got: [{s2[0]}, {s2[1]}].")
    return _product(_BMM, input, mat2, "bmm", out)


def dot(input: Tensor, tensor: Tensor, *, out=None) -> Tensor:
    """Inner product of two 1-D tensors of equal length."""
    if input.__class__ is not Tensor or tensor.__class__ is not Tensor:
        tensor_args("dot", input=input, tensor=tensor)
    if input._data.ndim != 1 or tensor._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input._data.ndim}D and {tensor._data.ndim}D tensors")
    if input._data.shape[0] != tensor._data.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{input._data.shape[0]}] and src "
                           f"[{tensor._data.shape[0]}] to have the same number of elements, but got "
                           f"{input._data.shape[0]} and {tensor._data.shape[0]} elements respectively")
    return _product(_DOT, input, tensor, "dot", out)


def mv(input: Tensor, vec: Tensor, *, out=None) -> Tensor:
    """Matrix-vector product."""
    if input.__class__ is not Tensor or vec.__class__ is not Tensor:
        tensor_args("mv", input=input, vec=vec)
    if input._data.ndim != 2 or vec._data.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input._data.ndim}, {vec._data.ndim}")
    if input._data.shape[1] != vec._data.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({input._data.shape[0]}), mat ({input._data.shape[0]}x"
                           f"{input._data.shape[1]}), vec ({vec._data.shape[0]})")
    return _product(_MV, input, vec, "mv", out)


def matmul(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """NumPy-style matrix product: dot, mv, mm, or broadcast batched products by the inputs' ranks."""
    if out is None and input.__class__ is Tensor and other.__class__ is Tensor:
        a, b = input._data, other._data
        if a.ndim == 2 and b.ndim == 2 and a.shape[1] == b.shape[0]:  # the common case, straight to mm
            ctx, dt = input._ctx, input._dtype
            if other._ctx is not ctx or other._dtype is not dt or dt is D.bool:
                return _product(_MM, input, other, "mm")
            res = _make(ctx.F["mm"](a, b), dt, ctx)
            if _gm.enabled and (input._rg or other._rg):
                _record(_MM, _mm_backward, (input, other), res, (input, other))
            return res
    if not isinstance(other, Tensor) or not isinstance(input, Tensor):
        raise TypeError(f"matmul(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
    na, nb = input._data.ndim, other._data.ndim
    if na == 0 or nb == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {na}D and {nb}D")
    if na == 1 and nb == 1:
        res = dot(input, other)
    elif na == 2 and nb == 1:
        res = mv(input, other)
    elif na == 1 and nb == 2:
        res = _retag(mm(input.unsqueeze(0), other).squeeze(0), _SQUEEZE_)
    elif na == 2 and nb == 2:
        res = mm(input, other)
    else:
        a = input.unsqueeze(0) if na == 1 else input
        b = other.unsqueeze(-1) if nb == 1 else other
        if a._data.shape[-1] != b._data.shape[-2]:
            raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                               f"[{b._data.shape[0]}, {a._data.shape[-1]}] but got: [{b._data.shape[0]}, "
                               f"{b._data.shape[-2]}].")
        batch = _broadcast(a._data.shape[:-2], b._data.shape[:-2])
        n = 1
        for s in batch:
            n *= s
        a = a.expand(batch + a._data.shape[-2:]).reshape((n,) + a._data.shape[-2:])
        b = b.expand(batch + b._data.shape[-2:]).reshape((n,) + b._data.shape[-2:])
        shape = batch + (a._data.shape[-2],) * (na > 1) + (b._data.shape[-1],) * (nb > 1)
        res = _retag(bmm(a, b).reshape(shape), _UNSAFE_VIEW)
    return write_out(out, res, "matmul") if out is not None else res


# PyTorch's names for the last node of these matmul forms (an in-place squeeze, an _unsafe_view).
_SQUEEZE_, _UNSAFE_VIEW = node_class("SqueezeBackward4"), node_class("UnsafeViewBackward0")


def _retag(res: Tensor, cls) -> Tensor:
    """Rename the node just recorded for ``res`` to PyTorch's name for the whole expression."""
    if res._grad_fn is not None:
        res._grad_fn.__class__ = cls
    return res


def _broadcast(s1, s2) -> tuple:
    n = max(len(s1), len(s2))
    s1, s2 = (1,) * (n - len(s1)) + tuple(s1), (1,) * (n - len(s2)) + tuple(s2)
    out = []
    for i, (x, y) in enumerate(zip(s1, s2)):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"matmul(): the size of tensor a ({x}) must match the size of tensor b ({y}) at "
                               f"non-singleton dimension {i} of the batch dimensions")
        out.append(max(x, y) if x and y else 0)
    return tuple(out)


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """Outer product of two 1-D tensors."""
    if input.__class__ is not Tensor or vec2.__class__ is not Tensor:
        tensor_args("outer", input=input, vec2=vec2)
    if input._data.ndim != 1 or vec2._data.ndim != 1:
        raise RuntimeError("outer: expected 1D tensors")
    return input.unsqueeze(1) * vec2.unsqueeze(0)


for _fn in (mm, bmm, dot, mv, matmul, outer):
    _export(_fn)
_ALL["ger"] = outer
Tensor.__matmul__ = matmul
Tensor.__rmatmul__ = lambda self, other: matmul(other, self)
