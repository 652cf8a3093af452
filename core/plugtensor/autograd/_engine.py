"""The backward engine: runs recorded nodes in dependency order and routes gradients.

Broadcast reduction and dtype casting of gradients happen once, here (``_fit``), so no op's
backward has to undo broadcasting itself.
"""
from __future__ import annotations

import sys
from heapq import heappop, heappush
from typing import Sequence

from .. import _dtype as D
from .. import _tensor  # a cycle (_tensor imports this module): used at call time only
from . import grad_mode
from ._node import AccumulateGrad, Node

__all__ = ["run_backward", "gradient_edge", "check_gradient"]


def gradient_edge(t) -> tuple:
    """(node, output_nr) that gradients for tensor ``t`` flow into, or (None, 0)."""
    fn = t._grad_fn
    if fn is not None:
        return (fn, t._out_nr)
    if t._rg:
        acc = t._acc  # a leaf keeps its edge (its AccumulateGrad node, 0): made once, shared by every use
        if acc is None:
            acc = t._acc = (AccumulateGrad(t), 0)
        return acc
    return (None, 0)


def _fit(g, shape, dtype):
    """Reduce a broadcast gradient to ``shape`` and cast it to ``dtype``."""
    gshape = g._data.shape
    if gshape != shape:
        lead = len(gshape) - len(shape)
        if lead > 0 and gshape[lead:] == shape:  # only leading dims were broadcast (a bias): one sum
            dims = LEADING_DIMS[lead] if lead < len(LEADING_DIMS) else tuple(range(lead))
            if g._rg or g._dtype.kind != D.FLOAT:
                g = g.sum(dims)
            else:  # the sum op's argument checks and recording are not needed here: its kernel
                g = _tensor._make(g._ctx.K["sum"](g._data, dims, False), g._dtype, g._ctx)
        else:
            inner = tuple(i + lead for i, s in enumerate(shape) if s == 1 and gshape[i + lead] != 1)
            dims = tuple(range(lead)) + inner
            if dims:
                g = g.sum(dims, keepdim=True)
            if lead:
                g = g.reshape(shape)
    if g._dtype is not dtype:
        g = g.to(dtype)
    return g


def _expandable(shape, to) -> bool:
    """Whether ``shape`` broadcasts to ``to`` (a gradient of shape ``to`` can be summed down to it)."""
    lead = len(to) - len(shape)
    return lead >= 0 and all(s == t or s == 1 for s, t in zip(shape, to[lead:]))


def check_gradient(g, like, what: str) -> None:
    """PyTorch's checks of a gradient that user code (a Function's backward) gives for tensor ``like``:
    a Tensor on ``like``'s device whose shape can be summed down to ``like``'s."""
    if not isinstance(g, _tensor.Tensor):
        raise TypeError(f"{what} - expected a Tensor or None, got {type(g).__name__}")
    if g._ctx is not like._ctx and g._ctx.device != like._ctx.device:
        raise RuntimeError(f"{what} - expected device {like._ctx.device} but got {g._ctx.device}")
    if g._data.shape != like._data.shape and not _expandable(like._data.shape, g._data.shape):
        raise RuntimeError(f"{what} - got {list(g._data.shape)} but expected shape compatible with "
                           f"{list(like._data.shape)}")


def _check_hook_result(hook, new, old) -> None:
    """A tensor hook may replace a gradient only by one of the same size, dtype and device (PyTorch)."""
    name = getattr(hook, "__name__", type(hook).__name__)
    if not isinstance(new, _tensor.Tensor):
        raise TypeError(f"hook '{name}' returned {type(new).__name__}; expected a Tensor or None")
    if new._data.shape != old._data.shape:
        raise RuntimeError(f"hook '{name}' has changed the size of value (was {list(old._data.shape)}, got "
                           f"{list(new._data.shape)})")
    if new._dtype is not old._dtype or (new._ctx is not old._ctx and new._ctx.device != old._ctx.device):
        raise RuntimeError(f"hook '{name}' has changed the type of value (was {old._dtype} on {old._ctx.device}, "
                           f"got {new._dtype} on {new._ctx.device})")


#: (), (0,), (0, 1), ...: the leading dims of a reduction, made once (the core's reductions use it too)
LEADING_DIMS = tuple(tuple(range(n)) for n in range(65))


def _needed(roots: Sequence[Node], targets: set) -> set:
    """Nodes whose backward must run so that gradients reach some target node.

    A node runs only when one of its children reaches a target: a target itself whose children
    lead nowhere useful is captured but not run (``autograd.grad(y, y_intermediate)``).
    """
    reaches: dict[Node, bool] = {}
    stack = [(r, False) for r in roots]
    while stack:
        node, done = stack.pop()
        if done:
            reaches[node] = node in targets or any(c is not None and reaches.get(c, False)
                                                    for c, _ in node.next_functions)
            continue
        if node in reaches:
            continue
        reaches[node] = False
        stack.append((node, True))
        for c, _ in node.next_functions:
            if c is not None and c not in reaches:
                stack.append((c, False))
    return {n for n in reaches if any(c is not None and reaches[c] for c, _ in n.next_functions)}


def run_backward(outputs: Sequence, grad_outputs: Sequence, retain_graph: bool, create_graph: bool,
                 inputs: Sequence | None = None, allow_unused: bool = False, accumulate: bool = True):
    """Backpropagate ``grad_outputs`` from ``outputs``.

    With ``accumulate`` (``Tensor.backward``) gradients are added into leaf ``.grad`` (only of
    ``inputs`` if given). Without it (``autograd.grad``) the gradients of ``inputs`` are returned.
    """
    state = grad_mode._state  # set_grad_enabled(create_graph), without a context-manager object
    prev, state.enabled = state.enabled, bool(create_graph)
    try:
        return _run(outputs, grad_outputs, retain_graph, create_graph, inputs, allow_unused, accumulate)
    finally:
        state.enabled = prev


def _run(outputs, grad_outputs, retain_graph, create_graph, inputs, allow_unused, accumulate):
    # Order: every node is created after the nodes of its inputs, so its sequence number is larger;
    # running the pending node with the largest number first means every gradient flowing into a
    # node has arrived before it runs. No dependency count (no walk of the graph) is needed, and a
    # node that receives no gradient is never scheduled. Leaves (AccumulateGrad) run last.
    buffers: dict[Node, list] = {}
    heap: list = []  # (-sequence number, node)
    leaves: list = []  # AccumulateGrad nodes, in the order their first gradient arrived
    for i, (t, g) in enumerate(zip(outputs, grad_outputs)):
        node, nr = gradient_edge(t)
        if node is None:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * node._nout
            if type(node) is AccumulateGrad:
                leaves.append(node)
            else:
                heappush(heap, (-node._seq, node))
        if type(node) is AccumulateGrad:
            g = g.detach().clone()  # a leaf's .grad must not alias the caller's gradient tensor
        buf[nr] = g if buf[nr] is None else buf[nr] + g
    g = None

    capture: dict[tuple, int] = {}
    if inputs is not None:
        for j, t in enumerate(inputs):
            node, nr = gradient_edge(t)
            if node is None:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
            capture[(node, nr)] = j
    results = [None] * (len(inputs) if inputs is not None else 0)
    needed = _needed([n for _, n in heap] + leaves, {n for n, _ in capture}) if inputs is not None else None

    pop_buffer, buffer_of = buffers.pop, buffers.get
    while heap:
        node = heappop(heap)[1]
        grads = pop_buffer(node)
        if node._special or capture:  # tensor hooks, retain_grad, autograd.grad's inputs
            grads = _arrived(node, grads, create_graph, capture, results)
        if needed is not None and node not in needed:
            continue
        if node._grad_in_place is not None and not create_graph and not node._special and not capture:
            g = grads[0]  # references: the buffer list, g and getrefcount's argument
            if g is not None and sys.getrefcount(g) <= 3 and g._base is None and \
                    g._ctx.backend.sole_owner(g._data):
                in_grads = node._grad_in_place(g)  # a method: the node is bound
            else:
                in_grads = node._fn(node, *grads)
        else:
            in_grads = node._fn(node, *grads)
        if node._special and node._hooks:
            for hook in list(node._hooks.values()):
                new = hook(tuple(in_grads), tuple(grads))
                if new is not None:
                    in_grads = tuple(new)
        if not retain_graph and node._saved:
            node._saved = None  # Node.release, inlined
        for (child, nr), g, meta in zip(node.next_functions, in_grads, node._meta):
            if child is None or g is None:
                continue
            if g._data.shape != meta[0] or g._dtype is not meta[1]:
                g = _fit(g, meta[0], meta[1])
            buf = buffer_of(child)
            if buf is None:  # the first gradient for child: schedule it
                if child._nout == 1:
                    buffers[child] = [g]
                else:
                    buf = buffers[child] = [None] * child._nout
                    buf[nr] = g
                if child.__class__ is AccumulateGrad:
                    leaves.append(child)
                else:
                    heappush(heap, (-child._seq, child))
            else:
                buf[nr] = g if buf[nr] is None else buf[nr] + g
        g = buf = in_grads = None  # hold no gradient past its node: _accumulate counts who else holds one
    for leaf in leaves:
        grads = pop_buffer(leaf)
        if leaf._special or capture:
            grads = _arrived(leaf, grads, create_graph, capture, results)
        if accumulate and (inputs is None or (leaf, 0) in capture):
            _accumulate(leaf.variable, grads, create_graph)
    if accumulate:
        return None
    for j, r in enumerate(results):
        if r is None and not allow_unused:
            raise RuntimeError(f"The differentiated Tensor at index {j} appears to not have been used in the graph. "
                               "Set allow_unused=True if this is the desired behavior.")
    return tuple(results)


def _arrived(node, grads: list, create_graph: bool, capture: dict, results: list) -> list:
    """A node's gradients are complete: run its tensor hooks, fill retained .grad, capture inputs."""
    if node._pre_hooks:
        for nr, hooks in node._pre_hooks.items():
            for hook in list(hooks.values()):
                if nr == -1:
                    new = hook(tuple(grads))
                    if new is not None:
                        grads = list(new)
                elif grads[nr] is not None:
                    new = hook(grads[nr])
                    if new is not None:
                        _check_hook_result(hook, new, grads[nr])
                        grads[nr] = new
    if node._retain:
        for nr, ref in node._retain.items():
            t = ref()
            if t is not None and grads[nr] is not None:
                g = grads[nr] if create_graph else grads[nr].detach()
                t._grad = g.clone() if t._grad is None else t._grad + g
    if capture:
        for nr in range(node._nout):
            j = capture.get((node, nr))
            if j is not None:
                results[j] = grads[nr]
    return grads


def _accumulate(var, grads: list, create_graph: bool) -> None:
    """Add ``grads[0]`` into ``var.grad``, taking it out of the list.

    A leaf's first gradient is kept as its ``.grad`` when nothing else holds it or its memory
    (PyTorch "steals" it the same way); otherwise it is copied, because later accumulation writes
    into ``.grad`` in place and must not change a tensor the caller, a hook or another leaf holds."""
    g = grads[0]
    grads[0] = None
    if var._grad is None:
        # References to g: this frame's and getrefcount's argument. A view (base set) shares memory.
        owned = sys.getrefcount(g) <= 2 and g._base is None and g._ctx.backend.sole_owner(g._data)
        if create_graph:
            var._grad = g if owned else g.clone()  # recorded: .grad stays differentiable
        else:
            var._grad = g if owned and g._grad_fn is None and not g._rg else g.detach().clone()
    elif create_graph or var._grad.requires_grad:
        var._grad = var._grad + g
    else:
        with grad_mode.no_grad():
            var._grad.add_(g.detach())
