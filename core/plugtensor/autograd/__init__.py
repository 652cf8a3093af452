"""Automatic differentiation: ``backward``, ``grad``, ``Function``, ``Variable`` and grad modes."""
from __future__ import annotations

from typing import Sequence

from .. import _tensor as _T  # a cycle (_tensor imports this package): its names are read at call time
from . import _engine
from ._function import Function, FunctionCtx
from ._node import Node
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled

__all__ = ["backward", "grad", "Function", "FunctionCtx", "Variable", "Node", "no_grad", "enable_grad",
           "set_grad_enabled", "is_grad_enabled", "inference_mode"]


def _as_list(x) -> list:
    if x is None:
        return []
    return [x] if isinstance(x, _T.Tensor) else list(x)


def _grads_for(outputs: list, grad_outputs: list) -> list:
    Tensor, _make = _T.Tensor, _T._make
    grads = []
    for i, out in enumerate(outputs):
        g = grad_outputs[i] if i < len(grad_outputs) else None
        if g is not None and not isinstance(g, Tensor):
            raise TypeError(f"gradients can be either Tensors or None, but got {type(g).__name__}")
        if not out._rg:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        if g is None:
            if out.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if not out._dtype.is_floating_point:
                raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but got "
                                   f"{out._dtype}")
            ctx = out._ctx  # the implicit 1 of a scalar loss, made directly (no factory argument parsing)
            g = _make(ctx.backend.full(out._data.shape, 1, out._dtype, ctx.index), out._dtype, ctx)
        else:
            if g._ctx is not out._ctx and g._ctx.device != out._ctx.device:
                raise RuntimeError(f"invalid gradient at index {i} - expected device {out._ctx.device} but got "
                                   f"{g._ctx.device}")
            if g._data.shape != out._data.shape:
                from .._device import Size
                raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {Size(g._data.shape)} and "
                                   f"output[{i}] has a shape of {Size(out._data.shape)}.")
        grads.append(g)
    return grads


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph: bool = False, inputs=None) -> None:
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of the graph's leaves."""
    outputs = _as_list(tensors)
    grads = _grads_for(outputs, _as_list(grad_tensors))
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is not None:
        inputs = _as_list(inputs)
        if not inputs:
            raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
        for t in inputs:
            # As in PyTorch, a non-leaf input gets its .grad through retain_grad (hence the wording
            # of the error for an input that does not require grad).
            t.retain_grad()
    _engine.run_backward(outputs, grads, retain_graph, create_graph, inputs=inputs, accumulate=True)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph: bool = False,
         allow_unused: bool = False, materialize_grads: bool = False) -> tuple:
    """The gradients of ``outputs`` w.r.t. ``inputs``, returned (leaves' ``.grad`` is left alone).

    >>> import plugtensor as pt
    >>> x = pt.tensor(3.0, requires_grad=True)
    >>> pt.autograd.grad(x ** 2, x)
    (tensor(6.),)
    """
    outs = _as_list(outputs)
    ins = _as_list(inputs)
    if not ins:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    from .._tensor import Tensor
    for i in ins:
        if not isinstance(i, Tensor):
            raise RuntimeError(f"grad(): all inputs have to be Tensors, but got {type(i).__name__}")
    grads = _grads_for(outs, _as_list(grad_outputs))
    if retain_graph is None:
        retain_graph = create_graph
    res = _engine.run_backward(outs, grads, retain_graph, create_graph, inputs=ins,
                               allow_unused=allow_unused or materialize_grads, accumulate=False)
    if materialize_grads:
        from .._ops.creation import zeros_like
        res = tuple(zeros_like(i) if r is None else r for r, i in zip(res, ins))
    return res


class _VariableMeta(type):
    def __instancecheck__(cls, obj) -> bool:
        from .._tensor import Tensor
        return isinstance(obj, Tensor)

    def __call__(cls, data, requires_grad: bool = False, volatile: bool = False):
        from .._tensor import Tensor
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        t = data.detach()
        if requires_grad:
            t._set_requires_grad(True, "Only Tensors of floating point and complex dtype can require gradients")
        return t


class Variable(metaclass=_VariableMeta):
    """Legacy wrapper: ``Variable(t, requires_grad=True)`` returns a Tensor sharing ``t``'s storage, as in
    PyTorch, where Variables and Tensors merged; ``isinstance(t, Variable)`` holds for every tensor."""
