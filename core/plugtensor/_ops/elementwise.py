"""Elementwise ops: one row per op (name, kernel, dtype rule, gradient), then the drivers.

Gradients are written with Tensor ops, so double backward and every backend come for free;
broadcast reduction of gradients happens once, in the engine.
"""
from __future__ import annotations

import math
import sys

import numpy as np

from .. import _dtype as D
from .._tensor import _record
from ..autograd._node import node_class
from ._common import (Tensor, _gm, _make, cast, check_inplace, exporter, fit_int_scalar, kernel_failure, no_record,
                      pair_dtype, same_ctx, scalar, scalar_dtype, type_word, write_failure, write_out)

FLOAT, INT, BOOL = D.FLOAT, D.INT, D.BOOL
_ALL: dict[str, object] = {}  # public name -> function, exported by plugtensor/__init__


_export = exporter(_ALL, bind_methods=False)


# ---------------------------------------------------------------------------------------------------
# Unary ops. dtype rule: "float" promotes integer inputs to the default float dtype; "same" keeps it.
# grad(g, x, y) -> dL/dx, using the saved input x and/or result y.
# ---------------------------------------------------------------------------------------------------
def _sigmoid_fwd(K, x):
    return K["reciprocal"](K["add"](K["exp"](K["neg"](x)), 1))


def _relu_grad(g, x, y):
    """PyTorch's threshold_backward: zero where y <= 0, so a NaN passes the gradient through. A
    backend may give it as one kernel, ``relu_backward(g, y)``, used outside create_graph."""
    if not _gm.enabled and g._ctx is y._ctx and g._dtype is y._dtype:
        kern = g._ctx.K.get("relu_backward")
        if kern is not None:
            return _make(kern(g._data, y._data), g._dtype, g._ctx)
    # y is relu's result (>= 0 or NaN): y != 0 is "not y <= 0", NaN included. where, not a product:
    # an inf or NaN gradient of a dead unit must become 0.
    return where(y != 0, g, 0.0)


def _relu_grad_in_place(node, g):
    """relu's backward writing into ``g``, which the engine says nothing else holds (NumPy's
    ``grad *= mask``: no new buffer, the hot gradient reused); else the ordinary backward."""
    (y,) = node.saved_tensors
    kern = g._ctx.K.get("relu_backward_")
    if kern is None or g._ctx is not y._ctx or g._dtype is not y._dtype:
        return node._fn(node, g)
    kern(g._data, y._data)
    g._vc[0] += 1
    return (g,)


def _relu_fwd(K, x):
    # The tensor second: maximum(a, b) gives b where a == b, so relu(-0.0) is -0.0 as in PyTorch.
    return K["maximum"](0, x)


def _rsqrt_fwd(K, x):
    return K["reciprocal"](K["sqrt"](x))


def _neg_grad(g):
    if _gm.enabled:  # create_graph: a recorded op
        return -g
    return _make(g._ctx.K["neg"](g._data), g._dtype, g._ctx)  # (a loss's "-": no op dispatch)


def _zero_grad(g, x, y):
    return g * 0


_UNARY = [
    # name,       node,                dtype,   saves, grad, composite forward
    ("neg",        "NegBackward0",        "same",  "",  lambda g, x, y: _neg_grad(g), None),
    ("abs",        "AbsBackward0",        "same",  "x", lambda g, x, y: g * x.sign(), None),
    ("exp",        "ExpBackward0",        "float", "y", lambda g, x, y: g * y, None),
    ("expm1",      "Expm1Backward0",      "float", "y", lambda g, x, y: g * (y + 1), None),
    ("log",        "LogBackward0",        "float", "x", lambda g, x, y: g / x, None),
    ("log1p",      "Log1PBackward0",      "float", "x", lambda g, x, y: g / (x + 1), None),
    ("log2",       "Log2Backward0",       "float", "x", lambda g, x, y: g / (x * math.log(2.0)), None),
    ("log10",      "Log10Backward0",      "float", "x", lambda g, x, y: g / (x * math.log(10.0)), None),
    ("sqrt",       "SqrtBackward0",       "float", "y", lambda g, x, y: g / (2 * y), None),
    ("rsqrt",      "RsqrtBackward0",      "float", "y", lambda g, x, y: -0.5 * g * y * y * y, _rsqrt_fwd),
    ("sin",        "SinBackward0",        "float", "x", lambda g, x, y: g * x.cos(), None),
    ("cos",        "CosBackward0",        "float", "x", lambda g, x, y: -g * x.sin(), None),
    ("tan",        "TanBackward0",        "float", "y", lambda g, x, y: g * (1 + y * y), None),
    ("asin",       "AsinBackward0",       "float", "x", lambda g, x, y: g * (1 - x * x).rsqrt(), None),
    ("acos",       "AcosBackward0",       "float", "x", lambda g, x, y: -g * (1 - x * x).rsqrt(), None),
    ("atan",       "AtanBackward0",       "float", "x", lambda g, x, y: g / (1 + x * x), None),
    ("sinh",       "SinhBackward0",       "float", "x", lambda g, x, y: g * x.cosh(), None),
    ("cosh",       "CoshBackward0",       "float", "x", lambda g, x, y: g * x.sinh(), None),
    ("tanh",       "TanhBackward0",       "float", "y", lambda g, x, y: g * (1 - y * y), None),
    ("sigmoid",    "SigmoidBackward0",    "float", "y", lambda g, x, y: g * y * (1 - y), _sigmoid_fwd),
    ("relu",       "ReluBackward0",       "same",  "y", _relu_grad, _relu_fwd),
    ("sign",       "SignBackward0",       "same",  "",  _zero_grad, None),
    ("floor",      "FloorBackward0",      "same",  "",  _zero_grad, None),
    ("ceil",       "CeilBackward0",       "same",  "",  _zero_grad, None),
    ("round",      "RoundBackward0",      "same",  "",  _zero_grad, None),
    ("trunc",      "TruncBackward0",      "same",  "",  _zero_grad, None),
    ("reciprocal", "ReciprocalBackward0", "float", "y", lambda g, x, y: -g * y * y, None),
    ("square",     "PowBackward0",        "same",  "x", lambda g, x, y: g * 2 * x, None),
]
_INT_IDENTITY = {"floor", "ceil", "round", "trunc"}  # on integers these return the input's values
_NEG_BOOL_MSG = ("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, "
                 "use the `~` or `logical_not()` operator instead.")
# What the "same"-dtype ops do with bool input, as in PyTorch: an exception (type, message), "copy"
# (the values are their own result) or a dtype to compute in.
_BOOL_UNARY = {
    "neg": (RuntimeError, _NEG_BOOL_MSG), "abs": (NotImplementedError, "\"abs_cpu\" not implemented for 'Bool'"),
    "relu": (RuntimeError, "Boolean inputs not supported for relu"), "sign": "copy", "square": D.int64,
    **{n: (NotImplementedError, f"\"{n}\" not implemented for 'Bool'") for n in _INT_IDENTITY},
}


def _make_unary(name, node_name, rule, saves, grad, composite):
    cls = node_class(node_name)

    def backward(node, g):
        saved = node.saved_tensors
        x = saved[0] if "x" in saves else None
        y = saved[-1] if "y" in saves else None
        return (grad(g, x, y),)

    def compute(t: Tensor):
        ctx = t._ctx
        dt = t._dtype
        x = t._data
        if dt.kind != FLOAT:
            if rule == "float":
                dt = D._default_dtype[0]
                x = cast(t, dt)
            elif dt is D.bool:
                how = _BOOL_UNARY[name]
                if how == "copy":
                    return ctx.K["astype"](x, dt), dt
                if how.__class__ is tuple:
                    raise how[0](f"{name}(): {how[1]}")
                dt, x = how, cast(t, how)
            elif name in _INT_IDENTITY:
                return ctx.K["astype"](x, dt), dt
        kern = ctx.K.get(name)
        try:
            return (kern(x) if kern is not None else composite(ctx.K, x)), dt
        except Exception as exc:  # noqa: BLE001 - a backend's exception never leaks as is
            raise kernel_failure(ctx, name, exc) from exc

    def op(input: Tensor, *, out=None) -> Tensor:
        if input.__class__ is not Tensor:
            raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
        if out is not None and out.__class__ is Tensor and out._ctx is input._ctx and out._dtype is input._dtype \
                and input._dtype.kind == FLOAT and out._data.shape == input._data.shape \
                and not (_gm.enabled and (input._rg or out._rg)):
            kern = input._ctx.K.get(name)
            if kern is not None:  # straight into out=, no temporary (16M-element exp: 2.7x faster)
                try:
                    kern(input._data, out=out._data)
                except Exception as exc:  # noqa: BLE001
                    raise write_failure(input._ctx, name, out._data, exc) from exc
                out._vc[0] += 1
                return out
        r, dt = compute(input)
        res = _make(r, dt, input._ctx)
        if _gm.enabled and input._rg:
            saved = (input,) if saves == "x" else (res,) if saves == "y" else ()
            _record(cls, backward, (input,), res, saved)
        if out is not None:
            return write_out(out, res, name)
        return res

    def op_(self: Tensor) -> Tensor:
        return _apply_inplace(self, op, (), name + "_")

    op.__name__, op_.__name__ = name, name + "_"
    op.__doc__ = f"Elementwise ``{name}`` of ``input`` (PyTorch's ``torch.{name}``)."
    return op, op_


def _apply_inplace(self: Tensor, op, args, name: str, **kwargs) -> Tensor:
    """Run ``op`` out of place and write the result into ``self``, rebasing its autograd history."""
    check_inplace(self, name)
    if _gm.enabled and (self._rg or any(a.__class__ is Tensor and a._rg for a in args)):
        old = self.detach().clone()  # the op's backward must see the values from before the write
        old._grad_fn, old._rg, old._out_nr, old._acc = self._grad_fn, self._rg, self._out_nr, self._acc
        res = op(old, *args, **kwargs)
        _store_inplace(self, res, name)
        self._grad_fn, self._rg, self._out_nr = res._grad_fn, True, 0
        return self
    res = op(self, *args, **kwargs)
    _store_inplace(self, res, name)
    return self


def _store_inplace(self: Tensor, res: Tensor, name: str) -> None:
    if not D.can_cast(res._dtype, self._dtype):
        raise RuntimeError(f"result type {type_word(res._dtype)} can't be cast to the desired output type "
                           f"{type_word(self._dtype)}")
    if res._data.shape != self._data.shape:
        raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the broadcast shape "
                           f"{list(res._data.shape)}")
    try:
        self._ctx.K["copy_"](self._data, res._data)
    except Exception as exc:  # noqa: BLE001
        raise write_failure(self._ctx, name, self._data, exc) from exc
    self._vc[0] += 1


for _row in _UNARY:
    _f, _f_ = _make_unary(*_row)
    _export(_f)
    setattr(Tensor, _row[0], _f)
    setattr(Tensor, _row[0] + "_", _f_)
    _ALL[_row[0] + "_"] = _f_

node_class("ReluBackward0")._grad_in_place = _relu_grad_in_place

_export(Tensor.neg, "negative")
_export(Tensor.abs, "absolute")
_export(Tensor.round, "round")
Tensor.negative = Tensor.neg
Tensor.absolute = Tensor.abs
Tensor.arcsin, Tensor.arccos, Tensor.arctan = Tensor.asin, Tensor.acos, Tensor.atan
_ALL.update(arcsin=Tensor.asin, arccos=Tensor.acos, arctan=Tensor.atan)
Tensor.__neg__ = Tensor.neg
Tensor.__abs__ = Tensor.abs


# ---------------------------------------------------------------------------------------------------
# Binary ops.
# ---------------------------------------------------------------------------------------------------
# NumPy's own temporary elision, for `x @ w + b`: from this many elements, a binary op whose left
# operand is a temporary that nothing else holds (and whose node would not save it) writes its
# result into that operand's memory instead of a fresh buffer.
_ELIDE_MIN = 16384


def _temporary(t: Tensor, xb) -> bool:
    """Whether ``t`` (the left operand of an operator) is a temporary whose memory may take the result."""
    # References to t: the caller's evaluation stack, impl's parameter, ours and getrefcount's.
    if sys.getrefcount(t) > 4 or t._base is not None or (t._rg and t._grad_fn is None):
        return False  # held elsewhere, a view, or a leaf that requires grad (its values must stay)
    shape = t._data.shape
    if xb.__class__ not in (int, float, bool) and xb.shape != shape and _result_shape(t._data, xb) != shape:
        return False  # the result is larger than t: broadcasting the other way
    return t._ctx.backend.sole_owner(t._data)


def _operands(a, b, op: str):
    """(array or scalar a, array or scalar b, compute dtype, ctx) with tensors cast to the compute dtype."""
    if a.__class__ is Tensor:
        ctx = a._ctx
        if b.__class__ is Tensor:
            if b._ctx is not ctx:
                same_ctx(a, b, op)
            dt = pair_dtype(a, b)
            xb = b._data if b._dtype is dt else cast(b, dt)
        else:
            b = scalar(b, op)
            dt = scalar_dtype(a._dtype, b)
            xb = fit_int_scalar(b, dt) if dt.kind == INT else b
        xa = a._data if a._dtype is dt else cast(a, dt)
        return xa, xb, dt, ctx
    if b.__class__ is not Tensor:
        if isinstance(a, Tensor) or isinstance(b, Tensor):
            raise TypeError(f"{op}(): Tensor subclasses are not supported")
        raise TypeError(f"{op}(): expected at least one Tensor argument, got {type(a).__name__} and "
                        f"{type(b).__name__}")
    xb, xa, dt, ctx = _operands(b, a, op)
    return xa, xb, dt, ctx


def _saved_for(*items):
    return tuple(t for t in items if t.__class__ is Tensor)


# PyTorch takes a Python number only in some positions: 2 = both operands must be tensors,
# 1 = only ``other`` may be a number.
_TENSOR_ARGS = {"maximum": 2, "minimum": 2, "atan2": 2, "logical_and": 2, "logical_or": 2, "logical_xor": 2,
                "eq": 1, "ne": 1, "lt": 1, "le": 1, "gt": 1, "ge": 1, "fmod": 1}
_NO_BOOL = {"floor_divide", "remainder", "fmod", "pow", "bitwise_left_shift", "bitwise_right_shift"}
_INT_DIVISION = {"floor_divide", "remainder", "fmod"}
_SUB_BOOL_MSG = ("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a "
                 "mask, use the `~` or `logical_not()` operator instead.")


def _check_tensor_args(name: str, input, other, n: int) -> None:
    if input.__class__ is not Tensor:
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if n == 2 and other.__class__ is not Tensor:
        raise TypeError(f"{name}(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")


def _is_bool(x) -> bool:
    return x.__class__ is bool or (x.__class__ is Tensor and x._dtype is D.bool)


def _check_int_divisor(xb, ctx, name: str) -> None:
    """PyTorch's CPU error for integer division by zero, on every backend (kernels would return 0,
    or trap): on a device, one reduction and a one-element read back (docs/decisions.md)."""
    if xb.__class__ in (int, bool):
        zero = xb == 0
    else:
        zero = not bool(ctx.backend.to_host(ctx.K["all"](xb, tuple(range(xb.ndim)), False)))
    if zero:
        raise RuntimeError(f"{name}(): ZeroDivisionError (integer division by zero)")


def _binary_checks(name: str):
    """The dtype checks of one op (None for the ops that have none), run after promotion."""
    if name == "sub":
        def check(a, b, dt, xb, ctx):
            if a.__class__ is bool or b.__class__ is bool or (a.__class__ is Tensor and a._dtype is D.bool) \
                    or (b.__class__ is Tensor and b._dtype is D.bool):  # _is_bool, inlined (every x - y)
                raise RuntimeError(f"sub(): {_SUB_BOOL_MSG}")
        return check
    if name in _NO_BOOL:
        def check(a, b, dt, xb, ctx):
            if dt is D.bool and (name != "pow" or b.__class__ is Tensor):  # pow(bool, True) is allowed
                raise NotImplementedError(f"{name}(): \"{name}_cpu\" not implemented for 'Bool'")
            if name in _INT_DIVISION and dt.kind == INT:
                _check_int_divisor(xb, ctx, name)
        return check
    return None


def _no_derivative(name: str):
    def grads(g, a, b, r, n):
        raise RuntimeError(f"the derivative for '{name}' is not implemented.")
    return grads


def _make_binary(name, node_name, grads, result="promoted"):
    """grads(g, a, b, out, node) -> (ga, gb); ``result``: 'promoted', 'float' (true division),
    'bool' (comparisons, logical), 'int' (bitwise: bool or integer only). ``node_name`` may be a pair
    (tensor-tensor name, tensor-number name) where PyTorch names the two forms differently."""
    if isinstance(node_name, tuple):
        cls, cls_scalar = node_class(node_name[0]), node_class(node_name[1])
    else:
        cls = cls_scalar = node_class(node_name) if node_name else None
    kname = name
    saves_inputs = name not in ("add", "sub", "floor_divide")  # their gradients need no operand values
    saves_result = name in ("div", "pow")
    tensor_args = _TENSOR_ARGS.get(name, 0)
    checks = _binary_checks(name)

    def op(input, other, *, out=None) -> Tensor:
        if tensor_args:
            _check_tensor_args(name, input, other, tensor_args)
        return impl(input, other, out=out)

    float_result, int_result = result == "float", result == "int"
    bool_result = D.bool if result == "bool" else None

    def impl(input, other, *, out=None) -> Tensor:
        # The hot path: two tensors of one device and dtype need no promotion or casting.
        if input.__class__ is Tensor and other.__class__ is Tensor and input._ctx is other._ctx \
                and input._dtype is other._dtype:
            xa, xb, dt, ctx = input._data, other._data, input._dtype, input._ctx
        elif input.__class__ is Tensor and other.__class__ in (float, int) and input._dtype.kind == FLOAT:
            xa, xb, dt, ctx = input._data, other, input._dtype, input._ctx  # x * 0.5: the dtype stays x's
        else:
            xa, xb, dt, ctx = _operands(input, other, name)
        if float_result:
            if dt.kind != FLOAT:
                dt = D._default_dtype[0]
                xa = xa if xa.__class__ in (int, float, bool) else ctx.K["astype"](xa, dt)
                xb = xb if xb.__class__ in (int, float, bool) else ctx.K["astype"](xb, dt)
        elif int_result and dt.kind == FLOAT:
            raise NotImplementedError(f"{name}(): \"{name}_cpu\" not implemented for '{type_word(dt)}'")
        if checks is not None:
            checks(input, other, dt, xb, ctx)
        if out is not None:
            return _binary_out(input, other, out, xa, xb, dt, ctx)
        r = None
        if ctx.elide and not bool_result and input.__class__ is Tensor and xa is input._data \
                and getattr(xa, "size", 0) >= _ELIDE_MIN and (not saves_inputs or not _gm.enabled):
            xa = None  # drop this frame's reference: _temporary counts who else holds the array
            if _temporary(input, xb):
                r = ctx.F[kname](input._data, xb, out=input._data)
            else:
                xa = input._data
        if r is None:
            try:
                r = ctx.F[kname](xa, xb)
            except Exception as exc:  # noqa: BLE001
                raise _binary_failure(ctx, name, input, other, xa, xb, exc) from exc
        if r.__class__ is not ctx.AT and ctx.AT is not None:
            r = ctx.backend.as_array(r)
        res = _make(r, bool_result or dt, ctx)
        if cls is not None and _gm.enabled and (getattr(input, "_rg", False) or getattr(other, "_rg", False)):
            node_cls = cls if other.__class__ is Tensor else cls_scalar
            if not saves_inputs:
                _record(node_cls, backward, (input, other), res)
            else:
                if other.__class__ is Tensor and input.__class__ is Tensor:  # the common case, no calls
                    saved, sctx = (input, other), _NO_SCALARS
                else:
                    saved, sctx = _saved_for(input, other), _scalar_ctx(input, other)
                _record(node_cls, backward, (input, other), res, saved + (res,) if saves_result else saved, sctx)
        return res

    def _binary_out(input, other, out, xa, xb, dt, ctx) -> Tensor:
        if out.__class__ is Tensor and out._dtype is dt and not bool_result \
                and out._ctx is ctx and not (_gm.enabled and (out._rg or _any_rg(input, other))) \
                and out._data.shape == _result_shape(xa, xb):
            # Write straight into out= only when it already has the result's shape: a kernel would
            # also broadcast into a bigger (or empty) out, where PyTorch resizes it instead.
            try:
                ctx.K[kname](xa, xb, out=out._data)
            except Exception as exc:  # noqa: BLE001 - never recompute from a target the kernel may have written
                raise write_failure(ctx, name, out._data, exc,
                                    _binary_failure(ctx, name, input, other, xa, xb, exc)) from exc
            out._vc[0] += 1
            return out
        return write_out(out, impl(input, other), name)

    def backward(node, g):
        if not saves_inputs:  # add, sub, floor_divide: the engine drops a gradient for an input without one
            return grads(g, None, None, None, node)
        saved = node.saved_tensors
        ctx = node.ctx
        a = ctx[0] if ctx[0] is not None else saved[0]
        b = ctx[1] if ctx[1] is not None else saved[1 if ctx[0] is None else 0]
        res = saved[-1] if saves_result else None
        ga, gb = grads(g, a, b, res, node)
        return (ga if node.needs_input_grad(0) else None, gb if node.needs_input_grad(1) else None)

    def op_(self: Tensor, other) -> Tensor:
        if _fast_inplace(self, other, kname, checks, bool_result is not None or float_result or int_result):
            return self
        return _apply_inplace(self, op, (other,), name + "_")

    if not tensor_args:
        op = impl
    op.__name__, op_.__name__ = name, name + "_"
    op.__doc__ = f"Elementwise ``{name}`` with broadcasting and PyTorch's type promotion."
    _UNCHECKED[name] = impl
    return op, op_


_UNCHECKED: dict = {}  # name -> the op without its argument-type checks (clamp passes numbers to maximum)


def _fast_inplace(self: Tensor, other, kname: str, checks, special: bool) -> bool:
    """``self.<op>_(other)`` computed straight into self's memory when nothing is recorded and the
    result already has self's dtype and shape (an optimizer's update: no temporary, one pass).
    Returns False to leave every other case to :func:`_apply_inplace`."""
    if special:
        return False
    if _gm.enabled and (self._rg or getattr(other, "_rg", False) or (self._base is not None and self._base._rg)):
        return False
    ctx = self._ctx
    if other.__class__ is Tensor:
        if other._ctx is not ctx or other._dtype is not self._dtype:
            return False
        xb = other._data
        if xb.shape != self._data.shape and _result_shape(self._data, xb) != self._data.shape:
            return False
    elif other.__class__ in (int, float, bool) and scalar_dtype(self._dtype, other) is self._dtype:
        xb = fit_int_scalar(other, self._dtype) if self._dtype.kind == INT else other
    else:
        return False
    if checks is not None and (other.__class__ is not Tensor or self._dtype.kind != FLOAT):
        checks(self, other, self._dtype, xb, ctx)  # (two float tensors of one dtype pass every check)
    try:
        ctx.F[kname](self._data, xb, out=self._data)  # with out=, even a raw kernel returns the array
    except Exception as exc:  # noqa: BLE001 - never recompute from a target the kernel may have written
        raise write_failure(ctx, kname + "_", self._data, exc,
                            _binary_failure(ctx, kname + "_", self, other, self._data, xb, exc)) from exc
    self._vc[0] += 1
    return True


def _result_shape(xa, xb):
    """The broadcast shape of two operands (arrays or Python numbers), or None if they don't broadcast."""
    sa, sb = getattr(xa, "shape", ()), getattr(xb, "shape", ())
    if sa == sb or not sb:
        return sa
    if not sa:
        return sb
    n = len(sa) if len(sa) > len(sb) else len(sb)
    sa, sb = (1,) * (n - len(sa)) + sa, (1,) * (n - len(sb)) + sb
    out = []
    for x, y in zip(sa, sb):
        if x != y and x != 1 and y != 1:
            return None
        out.append(y if x == 1 else x)
    return tuple(out)


def _any_rg(a, b) -> bool:
    return getattr(a, "_rg", False) or getattr(b, "_rg", False)


_NO_SCALARS = (None, None)


def _scalar_ctx(a, b):
    """ctx for a binary node: the scalar operands (None where the operand is a saved tensor)."""
    return (None if a.__class__ is Tensor else a, None if b.__class__ is Tensor else b)


def _binary_failure(ctx, op: str, a, b, xa, xb, exc: BaseException) -> RuntimeError:
    """A binary kernel raised: PyTorch's broadcast error when the shapes don't broadcast, else the
    kernel's failure, naming the op and the backend (never relabelled as a shape problem)."""
    if _result_shape(xa, xb) is None:
        return RuntimeError(_broadcast_message(a, b))
    return kernel_failure(ctx, op, exc)


def _broadcast_message(a, b) -> str:
    sa = list(a.shape) if isinstance(a, Tensor) else []
    sb = list(b.shape) if isinstance(b, Tensor) else []
    for i in range(1, min(len(sa), len(sb)) + 1):
        if sa[-i] != sb[-i] and sa[-i] != 1 and sb[-i] != 1:
            return (f"The size of tensor a ({sa[-i]}) must match the size of tensor b ({sb[-i]}) at non-singleton "
                    f"dimension {max(len(sa), len(sb)) - i}")
    return f"shapes {sa} and {sb} cannot be broadcast together"


def _pow_grads(g, a, b, res, node):
    ga = gb = None
    if node.needs_input_grad(0):
        if b.__class__ is Tensor:  # d/da a**0 is 0, also at a == 0 where b * a**(b-1) is 0 * inf
            ga = (g * b * a ** (b - 1)).masked_fill(b == 0, 0.0)
        else:
            ga = g * b * a ** (b - 1) if b != 0 else g * 0
    if node.needs_input_grad(1):
        la = a.log() if a.__class__ is Tensor else math.log(a) if a > 0 else float("nan")
        gb = g * res * la
        if a.__class__ is Tensor:
            gb = gb.masked_fill((a == 0) & (b >= 0), 0.0)
    return ga, gb


def _ties(a, b):
    return (a == b) * 0.5


def _share(g, w):
    """``g * w`` where the weight ``w`` is nonzero and exactly 0 elsewhere: an inf or NaN gradient
    gives 0 where the input does not count (PyTorch masks these gradients; a product gives NaN)."""
    return (g * w).where(w != 0, 0.0)


_BINARY = [
    # name, node name, grads(g, a, b, res, node) -> (ga, gb), result rule
    ("add", "AddBackward0", lambda g, a, b, r, n: (g, g), "promoted"),
    ("sub", "SubBackward0", lambda g, a, b, r, n: (g, -g if n.needs_input_grad(1) else None), "promoted"),
    ("mul", "MulBackward0", lambda g, a, b, r, n: (g * b if n.needs_input_grad(0) else None,
                                                   g * a if n.needs_input_grad(1) else None), "promoted"),
    ("div", "DivBackward0", lambda g, a, b, r, n: (g / b if n.needs_input_grad(0) else None,
                                                   -g * r / b if n.needs_input_grad(1) else None), "float"),
    ("pow", "PowBackward1", _pow_grads, "promoted"),
    ("maximum", "MaximumBackward0", lambda g, a, b, r, n: (_share(g, (a > b) + _ties(a, b)),
                                                           _share(g, (a < b) + _ties(a, b))), "promoted"),
    ("minimum", "MinimumBackward0", lambda g, a, b, r, n: (_share(g, (a < b) + _ties(a, b)),
                                                           _share(g, (a > b) + _ties(a, b))), "promoted"),
    ("atan2", "Atan2Backward0", lambda g, a, b, r, n: (g * b / (a * a + b * b), -g * a / (a * a + b * b)), "float"),
    ("remainder", ("RemainderBackward1", "RemainderBackward0"), lambda g, a, b, r, n: (g, -g * (a / b).floor()),
     "promoted"),
    ("fmod", ("FmodBackward1", "FmodBackward0"), lambda g, a, b, r, n: (g, -g * (a / b).trunc()), "promoted"),
    ("floor_divide", "NotImplemented", _no_derivative("floor_divide"), "promoted"),
    ("eq", None, None, "bool"), ("ne", None, None, "bool"), ("lt", None, None, "bool"),
    ("le", None, None, "bool"), ("gt", None, None, "bool"), ("ge", None, None, "bool"),
    ("logical_and", None, None, "bool"), ("logical_or", None, None, "bool"), ("logical_xor", None, None, "bool"),
    ("bitwise_and", None, None, "int"), ("bitwise_or", None, None, "int"), ("bitwise_xor", None, None, "int"),
    ("bitwise_left_shift", None, None, "int"), ("bitwise_right_shift", None, None, "int"),
]
for _row in _BINARY:
    _f, _f_ = _make_binary(*_row)
    _export(_f)
    setattr(Tensor, _row[0], _f)
    setattr(Tensor, _row[0] + "_", _f_)

_add, _sub, _mul, _div = Tensor.add, Tensor.sub, Tensor.mul, Tensor.div
_pow = Tensor.pow
_POW_SCALAR = node_class("PowBackward0")
_POW_BASE = node_class("PowBackward2")


def _scaled(input, other, alpha, op: str):
    """``alpha * other`` in the dtype ``input op other`` has (alpha never changes the result dtype)."""
    if input.__class__ is not Tensor:
        raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if other.__class__ is Tensor:
        dt = pair_dtype(input, other)
    else:
        other = scalar(other, op)
        dt = scalar_dtype(input._dtype, other)
    alpha = scalar(alpha, op, "alpha")
    if alpha.__class__ is bool and dt is not D.bool:
        raise RuntimeError(f"{op}(): Boolean alpha only supported for Boolean results.")
    if alpha.__class__ is float and dt.kind != FLOAT:
        raise RuntimeError(f"{op}(): For integral input tensors, argument alpha must not be a floating point number.")
    if dt is D.bool:
        alpha = bool(alpha)
    if other.__class__ is not Tensor:
        return (bool(other) and alpha) if dt is D.bool else other * alpha
    if other._dtype is not dt and other._data.ndim:  # keep a dimensioned operand's dtype category
        other = other.to(dt)
    return _mul(other, alpha)


def add(input, other, *, alpha=1, out=None) -> Tensor:
    """``input + alpha * other`` with broadcasting (``torch.add``)."""
    if alpha.__class__ is not int or alpha != 1:
        other = _scaled(input, other, alpha, "add")
    return _add(input, other, out=out)


def sub(input, other, *, alpha=1, out=None) -> Tensor:
    """``input - alpha * other`` with broadcasting (``torch.sub``)."""
    if alpha.__class__ is not int or alpha != 1:
        if _is_bool(input) or _is_bool(other):
            raise RuntimeError(f"sub(): {_SUB_BOOL_MSG}")
        other = _scaled(input, other, alpha, "sub")
    return _sub(input, other, out=out)


_DIV_ROUNDED = node_class("DivBackward2")


def div(input, other, *, rounding_mode=None, out=None) -> Tensor:
    """True division, or rounded with ``rounding_mode`` 'trunc' / 'floor' (``torch.div``)."""
    if rounding_mode is None:
        return _div(input, other, out=out)
    if rounding_mode == "floor":
        with no_record():
            r = Tensor.floor_divide(input, other)
    elif rounding_mode == "trunc":
        r = _trunc_divide(input, other)
    else:
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                           f"'{rounding_mode}'")
    if _gm.enabled and _any_rg(input, other):
        _record(_DIV_ROUNDED, _rounded_div_backward, (input, other), r)
    return write_out(out, r, "div") if out is not None else r


def _trunc_divide(a, b) -> Tensor:
    xa, xb, dt, ctx = _operands(a, b, "div")
    K = ctx.K
    try:
        if dt.kind == FLOAT:
            return _make(K["trunc"](K["div"](xa, xb)), dt, ctx)
        if dt is D.bool:
            raise NotImplementedError("div(): \"div_trunc_cpu\" not implemented for 'Bool'")
        _check_int_divisor(xb, ctx, "div")
        # Integer division exactly (no float round trip): floor, plus one where floor and trunc
        # differ (an inexact quotient of operands with opposite signs).
        q = K["floor_divide"](xa, xb)
        inexact = K["ne"](K["remainder"](xa, xb), 0)
        fix = K["logical_and"](inexact, K["ne"](K["lt"](xa, 0), K["lt"](xb, 0)))
        return _make(K["add"](q, K["astype"](fix, dt)), dt, ctx)
    except (ValueError, TypeError, ArithmeticError) as exc:
        raise _binary_failure(ctx, "div", a, b, xa, xb, exc) from exc


def _rounded_div_backward(node, g):
    # A rounded quotient is piecewise constant: PyTorch defines its gradient as zero.
    return (g * 0 if node.needs_input_grad(0) else None, g * 0 if node.needs_input_grad(1) else None)


def pow(input, exponent, *, out=None) -> Tensor:  # noqa: A001 - PyTorch's name
    """``input ** exponent`` (``torch.pow``); either side may be a Python number."""
    if input.__class__ is Tensor and exponent.__class__ is not Tensor:
        e = scalar(exponent, "pow")
        if input._dtype.kind != FLOAT and isinstance(e, int) and e < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        if input._dtype is D.bool and e.__class__ is bool:  # x ** True is x, x ** False is True
            res = _make(input._ctx.K["logical_or"](input._data, not e), D.bool, input._ctx)
        else:
            with no_record():
                res = _pow(input, e)
        if _gm.enabled and input._rg:
            _record(_POW_SCALAR, _pow_scalar_backward, (input,), res, (input,), e)
        return write_out(out, res, "pow") if out is not None else res
    if input.__class__ is not Tensor:
        with no_record():
            res = _pow(input, exponent)
        if _gm.enabled and exponent._rg:
            _record(_POW_BASE, _pow_base_backward, (None, exponent), res, (res,), scalar(input, "pow"))
        return write_out(out, res, "pow") if out is not None else res
    return _pow(input, exponent, out=out)


def _pow_scalar_backward(node, g):
    (x,) = node.saved_tensors
    e = node.ctx
    return (g * e * x ** (e - 1) if e != 0 else g * 0,)


def _pow_base_backward(node, g):
    (res,) = node.saved_tensors
    base = node.ctx
    if base == 0:  # PyTorch: zero gradient where the exponent is >= 0 (there 0 ** x is 0 or 1)
        return (None, (g * res * float("-inf")).masked_fill(res <= 1, 0.0))
    return (None, g * res * (math.log(base) if base > 0 else float("nan")))


for _fn in (add, sub, div, pow):
    _export(_fn)
    setattr(Tensor, _fn.__name__, _fn)
_SUB_CHECKS = _binary_checks("sub")
Tensor.add_ = lambda self, other, *, alpha=1: self if alpha == 1 and _fast_inplace(self, other, "add", None, False) \
    else _apply_inplace(self, add, (other,), "add_", alpha=alpha)
Tensor.sub_ = lambda self, other, *, alpha=1: self if alpha == 1 and \
    _fast_inplace(self, other, "sub", _SUB_CHECKS, False) else _apply_inplace(self, sub, (other,), "sub_", alpha=alpha)
Tensor.div_ = lambda self, other, *, rounding_mode=None: _apply_inplace(self, div, (other,), "div_",
                                                                          rounding_mode=rounding_mode)
Tensor.pow_ = lambda self, exponent: _apply_inplace(self, pow, (exponent,), "pow_")
_ALL.update(subtract=sub, multiply=Tensor.mul, divide=div, true_divide=Tensor.div, greater=Tensor.gt,
            greater_equal=Tensor.ge, less=Tensor.lt, less_equal=Tensor.le, not_equal=Tensor.ne, float_power=None)
del _ALL["float_power"]
Tensor.subtract, Tensor.multiply, Tensor.divide, Tensor.true_divide = sub, Tensor.mul, div, Tensor.div
Tensor.greater, Tensor.greater_equal, Tensor.less, Tensor.less_equal = Tensor.gt, Tensor.ge, Tensor.lt, Tensor.le
Tensor.not_equal = Tensor.ne
Tensor.mul_.__doc__ = "In-place ``mul``."


def _rev(fn):
    return lambda self, other: fn(other, self)


def _retag(res: Tensor, cls) -> Tensor:
    """Rename the node just recorded for ``res`` where PyTorch names the expression differently."""
    if res._grad_fn is not None:
        res._grad_fn.__class__ = cls
    return res


_RSUB = node_class("RsubBackward1")


def _rsub(self: Tensor, other) -> Tensor:
    """``other - self`` for a number ``other`` (PyTorch records RsubBackward1)."""
    return _retag(_sub(other, self), _RSUB)


def _rtruediv(self: Tensor, other) -> Tensor:
    """``other / self`` for a number ``other``, computed as PyTorch does: ``self.reciprocal() * other``."""
    return _mul(self.reciprocal(), scalar(other, "div"))


# Operators: plain functions keep the hot path to one call.
Tensor.__add__ = Tensor.__radd__ = _add
Tensor.__sub__ = _sub
Tensor.__rsub__ = _rsub
Tensor.__mul__ = Tensor.__rmul__ = _mul
Tensor.__truediv__ = _div
Tensor.__rtruediv__ = _rtruediv
Tensor.__floordiv__ = Tensor.floor_divide
Tensor.__rfloordiv__ = _rev(Tensor.floor_divide)
Tensor.__mod__ = Tensor.remainder
Tensor.__rmod__ = _rev(Tensor.remainder)
Tensor.__pow__ = pow
Tensor.__rpow__ = _rev(pow)
Tensor.__iadd__ = Tensor.add_
Tensor.__isub__ = Tensor.sub_
Tensor.__imul__ = Tensor.mul_
Tensor.__itruediv__ = Tensor.div_
Tensor.__ipow__ = Tensor.pow_
Tensor.__ifloordiv__ = Tensor.floor_divide_
Tensor.__imod__ = Tensor.remainder_
def _comparison_operator(fn):
    """``t == obj`` for an obj that is neither a tensor nor a number is Python's identity comparison
    (False for ==), as in PyTorch, not a TypeError."""
    def operator(self, other):
        if other.__class__ is Tensor or isinstance(other, (int, float, bool, np.generic)):
            return fn(self, other)
        return NotImplemented
    operator.__name__ = fn.__name__
    return operator


Tensor.__eq__ = _comparison_operator(Tensor.eq)
Tensor.__ne__ = _comparison_operator(Tensor.ne)
Tensor.__lt__ = Tensor.lt
Tensor.__le__ = Tensor.le
Tensor.__gt__ = Tensor.gt
Tensor.__ge__ = Tensor.ge
Tensor.__and__ = Tensor.__rand__ = Tensor.bitwise_and
Tensor.__or__ = Tensor.__ror__ = Tensor.bitwise_or
Tensor.__xor__ = Tensor.__rxor__ = Tensor.bitwise_xor
Tensor.__iand__ = Tensor.bitwise_and_
Tensor.__ior__ = Tensor.bitwise_or_
Tensor.__ixor__ = Tensor.bitwise_xor_
Tensor.__lshift__ = Tensor.bitwise_left_shift
Tensor.__rshift__ = Tensor.bitwise_right_shift
Tensor.__rlshift__ = _rev(Tensor.bitwise_left_shift)
Tensor.__rrshift__ = _rev(Tensor.bitwise_right_shift)
Tensor.__ilshift__ = Tensor.bitwise_left_shift_
Tensor.__irshift__ = Tensor.bitwise_right_shift_
Tensor.__hash__ = object.__hash__


def bitwise_not(input: Tensor) -> Tensor:
    """``~input``: bitwise NOT for integers, logical NOT for bool."""
    if input._dtype.kind == FLOAT:
        raise NotImplementedError(f"bitwise_not(): \"bitwise_not_cpu\" not implemented for "
                                  f"'{type_word(input._dtype)}'")
    return _make(input._ctx.K["bitwise_not"](input._data), input._dtype, input._ctx)


def _invert(self: Tensor) -> Tensor:
    if self._dtype.kind == FLOAT:  # the operator raises TypeError, the function NotImplementedError
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
    return bitwise_not(self)


def logical_not(input: Tensor) -> Tensor:
    return _make(input._ctx.K["logical_not"](input._data), D.bool, input._ctx)


def _predicate(kname):
    def fn(input: Tensor) -> Tensor:
        if input._dtype.kind != FLOAT:  # integers are always finite, never nan or inf
            return _make(_const_bool(input, kname == "isfinite"), D.bool, input._ctx)
        return _make(input._ctx.K[kname](input._data), D.bool, input._ctx)
    fn.__name__ = kname
    return fn


def _const_bool(t: Tensor, value: bool):
    return t._ctx.backend.full(t._data.shape, value, D.bool, t._ctx.index)


for _fn in (bitwise_not, logical_not, _predicate("isnan"), _predicate("isinf"), _predicate("isfinite")):
    _export(_fn)
    setattr(Tensor, _fn.__name__, _fn)
Tensor.__invert__ = _invert
Tensor.bitwise_not_ = lambda self: _apply_inplace(self, bitwise_not, (), "bitwise_not_")
Tensor.logical_not_ = lambda self: _apply_inplace(self, logical_not, (), "logical_not_")


# ---------------------------------------------------------------------------------------------------
# where, clamp, and friends.
# ---------------------------------------------------------------------------------------------------
_WHERE = node_class("WhereBackward0")


def where(condition: Tensor, input=None, other=None, *, out=None):
    """Elements of ``input`` where ``condition`` holds, else of ``other`` (``torch.where``).

    With only ``condition``, the indices of its nonzero elements, one tensor per dimension."""
    if not isinstance(condition, Tensor):
        raise TypeError(f"where(): argument 'condition' must be Tensor, not {type(condition).__name__}")
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)
    if condition._dtype is not D.bool:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                           f"{type_word(condition._dtype)}")
    if input.__class__ is not Tensor and other.__class__ is not Tensor:
        input, other = scalar(input, "where", "input"), scalar(other, "where")
        dt = D.result_type_of((), (), (input, other))
        input = _make(condition._ctx.backend.full((), input, dt, condition._ctx.index), dt, condition._ctx)
    xa, xb, dt, ctx = _operands(input, other, "where")
    if xa.__class__ in (int, float, bool):
        xa = ctx.backend.full((), xa, dt, ctx.index)
    if xb.__class__ in (int, float, bool):
        xb = ctx.backend.full((), xb, dt, ctx.index)
    if condition._ctx is not ctx:
        same_ctx(condition, input if input.__class__ is Tensor else other, "where")
    try:
        r = ctx.K["where"](condition._data, xa, xb)
    except Exception as exc:  # noqa: BLE001
        try:
            np.broadcast_shapes(tuple(condition._data.shape), tuple(xa.shape), tuple(xb.shape))
            broadcasts = True
        except ValueError:
            broadcasts = False
        if not broadcasts:
            raise RuntimeError(f"where(): shapes of condition {list(condition.shape)}, input and other cannot be "
                               f"broadcast together") from exc
        raise kernel_failure(ctx, "where", exc) from exc
    res = _make(r, dt, ctx)
    if _gm.enabled and _any_rg(input, other):
        _record(_WHERE, _where_backward, (None, input, other), res, (condition,))
    return write_out(out, res, "where") if out is not None else res


def _where_backward(node, g):
    (cond,) = node.saved_tensors
    zero = g * 0
    return (None, where(cond, g, zero) if node.needs_input_grad(1) else None,
            where(cond, zero, g) if node.needs_input_grad(2) else None)


_CLAMP1 = node_class("ClampBackward1")
_CLAMP0 = node_class("ClampBackward0")


def clamp(input: Tensor, min=None, max=None, *, out=None) -> Tensor:  # noqa: A002 - PyTorch's names
    """Limit values to ``[min, max]`` (either bound may be None, a number, or a tensor)."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if min.__class__ is Tensor or max.__class__ is Tensor:
        with no_record():
            r = input
            if min is not None:
                r = _UNCHECKED["maximum"](r, min)
            if max is not None:
                r = _UNCHECKED["minimum"](r, max)
        if _gm.enabled and (input._rg or _any_rg(min, max)):
            _record(_CLAMP0, _clamp_t_backward, (input, min, max), r,
                    _saved_for(input, min, max), _scalar_ctx3(min, max))
        return write_out(out, r, "clamp") if out is not None else r
    ctx = input._ctx
    dt = input._dtype
    for bound in (min, max):
        if bound is not None:
            dt = scalar_dtype(dt, scalar(bound, "clamp", "min"))
    x = cast(input, dt)
    if min is not None:
        x = ctx.K["maximum"](_clamp_bound(min, dt), x)  # x second: x where it equals the bound (-0.0)
    if max is not None:
        x = ctx.K["minimum"](_clamp_bound(max, dt), x)
    res = _make(x, dt, ctx)
    if _gm.enabled and input._rg:
        _record(_CLAMP1, _clamp_backward, (input,), res, (input,), (min, max))
    return write_out(out, res, "clamp") if out is not None else res


def _clamp_bound(v, dt: D.dtype):
    """A number bound in the compute dtype: PyTorch rejects bool results and integer overflow (a
    negative bound wraps into an unsigned dtype)."""
    if dt is D.bool:
        raise NotImplementedError("clamp(): \"clamp_scalar_cpu\" not implemented for 'Bool'")
    if dt.kind == INT and v.__class__ is int:
        info = D.iinfo(dt)
        if not (-info.max if not dt.is_signed else info.min) <= v <= info.max:
            raise RuntimeError(f"clamp(): value {v} cannot be converted to type {dt.name} without overflow")
        return fit_int_scalar(v, dt)
    return v


def _scalar_ctx3(mn, mx):
    return (mn.__class__ is Tensor, mx.__class__ is Tensor)


def _clamp_backward(node, g):
    (x,) = node.saved_tensors
    mn, mx = node.ctx
    mask = None
    if mn is not None:
        mask = x >= mn
    if mx is not None:
        m2 = x <= mx
        mask = m2 if mask is None else mask & m2
    return (g.where(mask, 0.0),)  # where, not g * mask: an inf/NaN gradient outside the range gives 0


def _clamp_t_backward(node, g):
    saved = list(node.saved_tensors)
    x = saved.pop(0)
    has_min, has_max = node.ctx
    mn = saved.pop(0) if has_min else None
    mx = saved.pop(0) if has_max else None
    lo_ok = x >= mn if mn is not None else None
    hi_ok = x <= mx if mx is not None else None
    keep = lo_ok if hi_ok is None else hi_ok if lo_ok is None else lo_ok & hi_ok
    gx = g.where(keep, 0.0)  # where, not products: inf/NaN gradients give 0 where they do not flow
    gmin = g.where(~lo_ok, 0.0) if mn is not None else None
    gmax = g.where(~hi_ok, 0.0) if mx is not None else None
    if mn is not None and mx is not None:
        # PyTorch's convention when the bounds cross (min > max): the result is max, so max gets it all.
        gmin = g.where((x < mn) & (mn < mx), 0.0)
        gmax = g.where((x > mx) | (mx < mn), 0.0)
    return (gx, gmin, gmax)


_CLAMP_MIN = (node_class("ClampMinBackward0"), node_class("ClampMinBackward1"))
_CLAMP_MAX = (node_class("ClampMaxBackward0"), node_class("ClampMaxBackward1"))


def clamp_min(input: Tensor, min) -> Tensor:  # noqa: A002
    """``clamp(input, min=min)``."""
    return _retag(clamp(input, min=min), _CLAMP_MIN[min.__class__ is Tensor])


def clamp_max(input: Tensor, max) -> Tensor:  # noqa: A002
    """``clamp(input, max=max)``."""
    return _retag(clamp(input, max=max), _CLAMP_MAX[max.__class__ is Tensor])


for _fn in (where, clamp, clamp_min, clamp_max):
    _export(_fn)
    setattr(Tensor, _fn.__name__, _fn)
_export(clamp, "clip")
Tensor.clip = clamp
Tensor.clamp_ = lambda self, min=None, max=None: _apply_inplace(self, clamp, (), "clamp_", min=min, max=max)
Tensor.clip_ = Tensor.clamp_
Tensor.where = lambda self, condition, other: where(condition, self, other)
