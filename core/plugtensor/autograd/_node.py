"""Graph nodes of the define-by-run tape.

Every differentiable op records one :class:`Node` whose class is named as PyTorch names it
(``AddBackward0``), holding its input edges (``next_functions``), the tensors its backward needs
(checked against their version counters) and a backward function written with Tensor ops.
"""
from __future__ import annotations

import itertools
from typing import Any, Callable

__all__ = ["Node", "AccumulateGrad", "node_class", "RemovableHandle", "next_sequence_nr"]

_FREED_MSG = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they "
    "have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward.")


#: Creation order of nodes: a node is always created after the nodes of its inputs, so the engine
#: runs pending nodes from the largest number down (PyTorch's Node.sequence_nr plays the same part).
next_sequence_nr = itertools.count(1).__next__


class RemovableHandle:
    """Returned by ``register_hook``; ``remove()`` unregisters the hook."""

    __slots__ = ("_hooks", "_key")
    _next_key = 0

    def __init__(self, hooks: dict) -> None:
        RemovableHandle._next_key += 1
        self._hooks, self._key = hooks, RemovableHandle._next_key

    def remove(self) -> None:
        self._hooks.pop(self._key, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


class Node:
    """A recorded op. ``fn(node, *grad_outputs) -> tuple`` returns one gradient (or None) per input."""

    # Rarely set fields live in __dict__ with class-level defaults, so recording a node (on every
    # differentiable op) sets only the fields every node has.
    __slots__ = ("next_functions", "_fn", "_saved", "_versions", "_meta", "ctx", "_seq", "__dict__", "__weakref__")
    _pre_hooks = None  # {output_nr: {key: hook}} -- tensor hooks of this node's outputs
    _hooks = None      # {key: hook(grad_inputs, grad_outputs)}
    _retain = None     # {output_nr: weakref to a non-leaf tensor that retains its grad}
    _special = False   # True once any of the three above is set: the engine checks one flag per node
    #: Optional method ``(node, grad) -> grad_inputs`` that may overwrite ``grad``: the engine calls it instead
    #: of the backward function when nothing but the engine holds the incoming gradient (relu's mask).
    _grad_in_place = None
    _nout = 1

    def __init__(self, fn: Callable, next_functions: tuple, meta: tuple, saved: tuple = (), ctx: Any = None,
                 nout: int = 1) -> None:
        self.next_functions = next_functions
        self._fn = fn
        self._meta = meta  # per input: (shape, dtype) used by the engine to reduce/cast gradients
        self._saved = saved
        n = len(saved)  # unrolled: a comprehension costs a frame on every recorded op
        self._versions = () if n == 0 else (saved[0]._vc[0],) if n == 1 else \
            (saved[0]._vc[0], saved[1]._vc[0]) if n == 2 else tuple([t._vc[0] for t in saved])
        self.ctx = ctx
        self._seq = next_sequence_nr()
        if nout != 1:
            self._nout = nout

    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {id(self):#x}>"

    def needs_input_grad(self, i: int) -> bool:
        return self.next_functions[i][0] is not None

    @property
    def saved_tensors(self) -> tuple:
        """The tensors saved for backward, after checking none was modified in place since."""
        saved = self._saved
        if not saved:
            if saved is None:  # released by a backward without retain_graph
                raise RuntimeError(_FREED_MSG)
            return saved  # nothing saved (and no _versions set)
        for t, v in zip(saved, self._versions):
            if t._vc[0] != v:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an inplace "
                    f"operation: [{t.type()} {list(t.shape)}]"
                    + (f", which is output {t._out_nr} of {t._grad_fn.name()}," if t._grad_fn is not None else "")
                    + f" is at version {t._vc[0]}; expected version {v} instead.")
        return saved

    def release(self) -> None:
        """Free saved tensors (after a backward without ``retain_graph``)."""
        if self._saved:
            self._saved = None

    def register_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(grad_inputs, grad_outputs)`` runs after this node's backward."""
        if self._hooks is None:
            self._hooks = {}
            self._special = True
        h = RemovableHandle(self._hooks)
        self._hooks[h._key] = hook
        return h

    def register_prehook(self, hook: Callable) -> RemovableHandle:
        """``hook(grad_outputs)`` runs before this node's backward; may return replacements."""
        return self._add_tensor_hook(-1, hook)

    def _add_tensor_hook(self, output_nr: int, hook: Callable) -> RemovableHandle:
        if self._pre_hooks is None:
            self._pre_hooks = {}
            self._special = True
        hooks = self._pre_hooks.setdefault(output_nr, {})
        h = RemovableHandle(hooks)
        hooks[h._key] = hook
        return h


class AccumulateGrad(Node):
    """The sink of a leaf tensor: adds incoming gradients into ``variable.grad``."""

    __slots__ = ("variable",)

    def __init__(self, variable) -> None:
        super().__init__(None, (), ())
        self.variable = variable


_NODE_CLASSES: dict[str, type] = {}


def node_class(name: str) -> type:
    """The Node subclass called ``name`` (so ``type(y.grad_fn).__name__ == 'AddBackward0'``)."""
    cls = _NODE_CLASSES.get(name)
    if cls is None:
        cls = _NODE_CLASSES[name] = type(name, (Node,), {"__slots__": ()})
    return cls
