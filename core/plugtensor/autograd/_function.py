"""``autograd.Function``: user-defined ops with their own forward and backward."""
from __future__ import annotations

from typing import Any

from ._engine import check_gradient
from ._node import node_class

__all__ = ["Function", "FunctionCtx"]


class FunctionCtx:
    """The ``ctx`` passed to ``forward`` and ``backward``: save tensors, mark outputs."""

    def __init__(self) -> None:
        self.saved_for_later: tuple = ()
        self.needs_input_grad: tuple = ()
        self.non_differentiable: set = set()
        self.materialize_grads = True
        self._node = None

    def save_for_backward(self, *tensors) -> None:
        self.saved_for_later = tensors

    @property
    def saved_tensors(self) -> tuple:
        if self._node is None:
            return self.saved_for_later
        return self._node.saved_tensors

    def mark_non_differentiable(self, *tensors) -> None:
        self.non_differentiable.update(id(t) for t in tensors)

    def mark_dirty(self, *tensors) -> None:
        pass

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = value


class _FunctionMeta(type):
    def __init__(cls, name, bases, ns) -> None:
        super().__init__(name, bases, ns)
        cls._node_cls = node_class(name + "Backward")


class Function(metaclass=_FunctionMeta):
    """Subclass with static ``forward(ctx, *args)`` and ``backward(ctx, *grads)``; call ``apply``.

    >>> import plugtensor as pt
    >>> class Square(pt.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x * x
    ...     @staticmethod
    ...     def backward(ctx, g):
    ...         (x,) = ctx.saved_tensors
    ...         return 2 * x * g
    >>> x = pt.tensor(3.0, requires_grad=True)
    >>> Square.apply(x).backward(); x.grad
    tensor(6.)
    """

    @staticmethod
    def forward(ctx, *args, **kwargs) -> Any:
        raise NotImplementedError("forward")

    @staticmethod
    def backward(ctx, *grad_outputs) -> Any:
        raise NotImplementedError("backward")

    @classmethod
    def apply(cls, *args, **kwargs):
        from .._tensor import Tensor, _record
        from . import grad_mode
        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._rg for a in args)
        with grad_mode.no_grad():
            out = cls.forward(ctx, *args, **kwargs)
        is_tuple = isinstance(out, tuple)
        outs = out if is_tuple else (out,)
        if not (grad_mode.is_grad_enabled() and any(ctx.needs_input_grad)):
            return out
        # An output that is an input gets a fresh Tensor object, so giving it this node as its
        # history does not rewrite the input's.
        input_ids = {id(a) for a in args if isinstance(a, Tensor)}
        outs = tuple(o.detach() if isinstance(o, Tensor) and id(o) in input_ids else o for o in outs)
        non_diff = ctx.non_differentiable
        diff = [isinstance(o, Tensor) and id(o) not in non_diff and o._dtype.is_floating_point for o in outs]
        if not any(diff):
            return out
        tensor_args = [a for a in args if isinstance(a, Tensor)]
        is_tensor_arg = [isinstance(a, Tensor) for a in args]

        # Only what zeros need, not the outputs themselves (they hold this node: no cycle).
        out_meta = [(o.shape, o._dtype, o.device) if isinstance(o, Tensor) else None for o in outs]

        def backward(node, *grads):
            # One gradient per forward output, as PyTorch passes them: missing ones (outputs not
            # used, non-differentiable or non-tensor outputs) are zeros unless materialize is off.
            if ctx.materialize_grads:
                from .._ops.creation import zeros
                grads = tuple(zeros(m[0], dtype=m[1], device=m[2]) if g is None and m is not None else g
                              for g, m in zip(grads, out_meta))
            r = cls.backward(ctx, *grads)
            r = r if isinstance(r, tuple) else (r,)
            if len(r) != len(args):
                raise RuntimeError(f"function {cls.__name__}Backward returned an incorrect number of gradients "
                                   f"(expected {len(args)}, got {len(r)})")
            for i, (g, t, a) in enumerate(zip(r, is_tensor_arg, args)):
                if not t and g is not None:
                    raise RuntimeError(f"function {cls.__name__}Backward returned a gradient different than None "
                                       f"at position {i + 1}, but the corresponding forward input was not a "
                                       f"Variable")
                if t and g is not None:
                    check_gradient(g, a, f"Function {cls.__name__}Backward returned an invalid gradient at index {i}")
            # The node's edges are the tensor arguments only.
            return tuple(g for g, t in zip(r, is_tensor_arg) if t)

        first = outs[diff.index(True)]
        _record(cls._node_cls, backward, tensor_args, first, tuple(ctx.saved_for_later))
        node = first._grad_fn
        node._nout = len(outs)
        for i, (o, d) in enumerate(zip(outs, diff)):
            if d:
                o._grad_fn, o._rg, o._out_nr = node, True, i
        ctx._node = node
        return outs if is_tuple else outs[0]
