"""The error catalogue: wrong usage that PyTorch 2.13 refuses, and the exception class it raises.

Each row is written against a module ``m`` and a device string ``d``, so that the same row runs on
plugtensor (``m = plugtensor``, ``d`` the device under test; ``test_errors.py``) and on PyTorch
(``m = torch``, ``d = "cpu"``; ``tests/test_error_catalogue_torch.py`` checks that PyTorch raises the
same class, which is how the classes here were established). This module never imports torch.

A row is ``Case(id, make, call, exc, match)``: ``make(m, d)`` builds the inputs (a tuple; tensors may sit
in it directly or inside a list), ``call(m, *inputs)`` does the wrong thing, ``exc`` is PyTorch's
exception class and ``match`` a regular expression that plugtensor's message must contain (searched,
case-sensitive): it names the op or what was wrong. The suite also checks that every input tensor is
left exactly as it was (values, shape, strides, dtype, version counter, ``requires_grad``, ``grad``);
``torch_writes`` marks the rows where PyTorch itself has written part of the result when it raises.
"""
from __future__ import annotations

import math
from typing import Any, Callable, NamedTuple

__all__ = ["Case", "CASES", "snapshot", "tensors_in"]


class Case(NamedTuple):
    id: str
    make: Callable[[Any, str], tuple]
    call: Callable[..., Any]
    exc: type
    match: str
    torch_writes: bool = False  # PyTorch itself writes part of the result before raising (plugtensor must not)


def tensors_in(inputs) -> list:
    """The tensors among a row's inputs (directly, or inside a list or tuple)."""
    out = []
    for x in inputs:
        if isinstance(x, (list, tuple)):
            out += tensors_in(x)
        elif hasattr(x, "_version") and hasattr(x, "requires_grad"):
            out.append(x)
    return out


def snapshot(inputs) -> list:
    """Everything about the input tensors that a refused call must leave as it was: shape, strides,
    dtype, version counter, requires_grad, the values' bytes and a leaf's ``.grad`` (works for plugtensor
    and torch tensors alike; values come back through NumPy's array protocol)."""
    import numpy as np

    def values(t):
        if t is None:
            return None
        a = np.asarray(t.detach())
        return str(a.dtype), a.shape, a.tobytes()

    return [(tuple(t.shape), tuple(t.stride()), str(t.dtype).rsplit(".", 1)[-1], t._version, t.requires_grad,
             values(t), values(t.grad) if t.is_leaf else None) for t in tensors_in(inputs)]


def fl(m, d, *shape, rg: bool = False, dtype=None):
    """A float32 tensor 0, 1, 2, ... of ``shape`` on ``d`` (a leaf; ``rg`` makes it require grad)."""
    n = math.prod(shape)
    t = m.arange(n, dtype=dtype or m.float32, device=d).reshape(shape).clone()  # not a view of the arange
    return t.requires_grad_() if rg else t


def it(m, d, *shape, dtype=None):
    """An int64 (or ``dtype``) tensor 0, 1, 2, ... of ``shape`` on ``d``."""
    return m.arange(math.prod(shape), dtype=dtype or m.int64, device=d).reshape(shape).clone()


def bl(m, d, *shape):
    """A bool tensor of ``shape``: True, False, True, ..."""
    return it(m, d, *shape) % 2 == 0


def one(*shape):
    """make(): one float32 tensor of ``shape``."""
    return lambda m, d: (fl(m, d, *shape),)


def two(sa, sb):
    """make(): two float32 tensors of shapes ``sa`` and ``sb``."""
    return lambda m, d: (fl(m, d, *sa), fl(m, d, *sb))


def ints(*shape):
    return lambda m, d: (it(m, d, *shape),)


def leaf(*shape):
    """make(): one float32 leaf of ``shape`` that requires grad."""
    return lambda m, d: (fl(m, d, *shape, rg=True),)


def none(m, d):
    return ()


def dev(m, d):
    """make() for creation rows: passes the device string on as the only input."""
    return (d,)


def _graph(m, d):
    """A leaf ``x`` (2, 3) and ``y = (x * x).sum()``."""
    x = fl(m, d, 2, 3, rg=True)
    return x, (x * x).sum()


def _used_graph(m, d):
    """A graph already run through backward (its saved tensors freed)."""
    x, y = _graph(m, d)
    y.backward()
    return x, y


def _modified_saved(m, d):
    """``z = sigmoid(x).sum()`` after sigmoid's saved output was changed in place."""
    x = fl(m, d, 3, rg=True)
    y = x.sigmoid()
    z = y.sum()
    y.mul_(2)
    return x, z


def _two_leaves(m, d):
    x, w = fl(m, d, 3, rg=True), fl(m, d, 3, rg=True)
    return x, w, (x * 2).sum()


def _nonleaf(m, d):
    x = fl(m, d, 3, rg=True)
    return x, x * 2


def _view_of_leaf(m, d):
    x = fl(m, d, 2, 3, rg=True)
    return x, x[0]


def _scores(m, d):
    """Class scores (2, 3) and a valid int64 target (2,)."""
    return fl(m, d, 2, 3), m.tensor([0, 2], device=d)


def _target(*values, dtype=None):
    """make(): class scores (2, 3) and a target with ``values``."""
    def make(m, d):
        return fl(m, d, 2, 3), m.tensor(list(values), dtype=dtype, device=d)
    return make


def _with(*values, dtype=None):
    """make(): a float32 (3,) tensor and a tensor of ``values`` (``dtype`` from the module)."""
    def make(m, d):
        return fl(m, d, 3), m.tensor(list(values), dtype=getattr(m, dtype) if dtype else None, device=d)
    return make


F = lambda m: m.nn.functional  # noqa: E731
BIG = 2 ** 62
CASES: list[Case] = [
    # -- shapes that do not broadcast ----------------------------------------------------------------
    Case("add: shapes do not broadcast", two((2, 3), (4,)), lambda m, a, b: a + b, RuntimeError,
         r"size of tensor a \(3\) must match the size of tensor b \(4\)"),
    Case("sub: shapes do not broadcast", two((2, 3), (2,)), lambda m, a, b: a - b, RuntimeError, r"size of tensor"),
    Case("mul: shapes do not broadcast", two((3,), (2,)), lambda m, a, b: m.mul(a, b), RuntimeError,
         r"size of tensor"),
    Case("div: shapes do not broadcast", two((2, 3), (3, 2)), lambda m, a, b: a / b, RuntimeError, r"size of tensor"),
    Case("pow: shapes do not broadcast", two((3,), (2,)), lambda m, a, b: a ** b, RuntimeError, r"size of tensor"),
    Case("maximum: shapes do not broadcast", two((3,), (2,)), lambda m, a, b: m.maximum(a, b), RuntimeError,
         r"size of tensor"),
    Case("atan2: shapes do not broadcast", two((3,), (2,)), lambda m, a, b: m.atan2(a, b), RuntimeError,
         r"size of tensor"),
    Case("eq: shapes do not broadcast", two((3,), (2,)), lambda m, a, b: a == b, RuntimeError, r"size of tensor"),
    Case("lt: shapes do not broadcast", two((3,), (2,)), lambda m, a, b: a < b, RuntimeError, r"size of tensor"),
    Case("fmod: shapes do not broadcast", two((3,), (2,)), lambda m, a, b: m.fmod(a, b), RuntimeError,
         r"size of tensor"),
    Case("remainder: shapes do not broadcast", two((3,), (2,)), lambda m, a, b: a % b, RuntimeError,
         r"size of tensor"),
    Case("bitwise_and: shapes do not broadcast", lambda m, d: (it(m, d, 3), it(m, d, 2)),
         lambda m, a, b: a & b, RuntimeError, r"size of tensor"),
    Case("logical_or: shapes do not broadcast", lambda m, d: (bl(m, d, 3), bl(m, d, 2)),
         lambda m, a, b: m.logical_or(a, b), RuntimeError, r"size of tensor"),
    Case("where: shapes do not broadcast", lambda m, d: (bl(m, d, 3), fl(m, d, 3), fl(m, d, 2)),
         lambda m, c, a, b: m.where(c, a, b), RuntimeError, r"size of tensor|cannot be broadcast"),
    Case("masked_fill: mask shape does not broadcast", lambda m, d: (fl(m, d, 3), bl(m, d, 2)),
         lambda m, a, k: a.masked_fill(k, 0.0), RuntimeError, r"size of tensor|shape"),
    Case("isclose: shapes do not broadcast", two((3,), (2,)), lambda m, a, b: m.isclose(a, b), RuntimeError,
         r"size of tensor"),
    Case("add_: result shape larger than self", two((3,), (2, 3)), lambda m, a, b: a.add_(b), RuntimeError,
         r"output with shape \[3\] doesn't match the broadcast shape \[2, 3\]"),
    Case("mul_: result shape larger than self", two((1, 3), (2, 3)), lambda m, a, b: a.mul_(b), RuntimeError,
         r"doesn't match the broadcast shape"),
    Case("copy_: source does not broadcast", two((2, 3), (4,)), lambda m, a, b: a.copy_(b), RuntimeError,
         r"copy_|size|shape|broadcast"),
    Case("broadcast_to: incompatible shape", one(3), lambda m, a: m.broadcast_to(a, (2, 4)), RuntimeError,
         r"expand|size"),
    Case("expand_as: incompatible shape", two((3,), (2, 4)), lambda m, a, b: a.expand_as(b), RuntimeError,
         r"expand|size"),
    Case("mse_loss: shapes do not broadcast", two((3,), (2,)), lambda m, a, b: F(m).mse_loss(a, b), RuntimeError,
         r"size of tensor"),
    Case("l1_loss: shapes do not broadcast", two((3,), (2,)), lambda m, a, b: F(m).l1_loss(a, b), RuntimeError,
         r"size of tensor"),

    # -- matrix products ---------------------------------------------------------------------------------
    Case("mm: inner sizes differ", two((2, 3), (2, 3)), lambda m, a, b: m.mm(a, b), RuntimeError,
         r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 2x3\)"),
    Case("mm: a 1-D argument", two((3,), (3, 2)), lambda m, a, b: m.mm(a, b), RuntimeError, r"matrix|2D|2-D"),
    Case("matmul: inner sizes differ", two((2, 3), (4,)), lambda m, a, b: a @ b, RuntimeError,
         r"shape|size|cannot be multiplied"),
    Case("matmul: a 0-d argument", two((), (3,)), lambda m, a, b: m.matmul(a, b), RuntimeError, r"1D|1-D|matmul"),
    Case("matmul: batch dims do not broadcast", two((2, 2, 3), (3, 3, 2)), lambda m, a, b: a @ b, RuntimeError,
         r"size of tensor|batch|shape"),
    Case("matmul: float @ int", lambda m, d: (fl(m, d, 2, 2), it(m, d, 2, 2)), lambda m, a, b: a @ b,
         RuntimeError, r"dtype|Float|Long"),
    Case("mm: float and int", lambda m, d: (fl(m, d, 2, 2), it(m, d, 2, 2)), lambda m, a, b: m.mm(a, b),
         RuntimeError, r"dtype|Float|Long"),
    Case("bmm: 2-D arguments", two((2, 3), (3, 2)), lambda m, a, b: m.bmm(a, b), RuntimeError, r"3D|3-D|bmm"),
    Case("bmm: batch sizes differ", two((2, 2, 3), (3, 3, 2)), lambda m, a, b: m.bmm(a, b), RuntimeError,
         r"batch|size|shape"),
    Case("bmm: inner sizes differ", two((2, 2, 3), (2, 2, 2)), lambda m, a, b: m.bmm(a, b), RuntimeError,
         r"shape|size|multiplied"),
    Case("dot: sizes differ", two((3,), (4,)), lambda m, a, b: m.dot(a, b), RuntimeError,
         r"inconsistent tensor size|size"),
    Case("dot: 2-D argument", two((2, 2), (2, 2)), lambda m, a, b: m.dot(a, b), RuntimeError, r"1D|1-D"),
    Case("dot: float and int", lambda m, d: (fl(m, d, 3), it(m, d, 3)), lambda m, a, b: m.dot(a, b),
         RuntimeError, r"dtype|Float|Long"),
    Case("mv: sizes differ", two((2, 3), (2,)), lambda m, a, b: m.mv(a, b), RuntimeError, r"size|shape|multiplied"),
    Case("mv: a matrix as the vector", two((2, 3), (3, 1)), lambda m, a, b: m.mv(a, b), RuntimeError,
         r"vector|1D|1-D"),
    Case("outer: a 2-D argument", two((2, 2), (3,)), lambda m, a, b: m.outer(a, b), RuntimeError, r"outer|1-D|1D"),
    Case("linear: weight shape does not fit", two((2, 3), (4, 2)), lambda m, a, w: F(m).linear(a, w),
         RuntimeError, r"shapes cannot be multiplied|size|shape"),
    Case("linear: bias shape does not fit", lambda m, d: (fl(m, d, 2, 3), fl(m, d, 4, 3), fl(m, d, 3)),
         lambda m, a, w, b: F(m).linear(a, w, b), RuntimeError, r"size of tensor"),

    # -- dims out of range --------------------------------------------------------------------------------
    Case("sum: dim out of range", one(3), lambda m, a: a.sum(5), IndexError,
         r"Dimension out of range \(expected to be in range of \[-1, 0\], but got 5\)"),
    Case("mean: dim out of range", one(2, 3), lambda m, a: a.mean(-3), IndexError, r"Dimension out of range"),
    Case("prod: dim out of range", one(2, 3), lambda m, a: a.prod(2), IndexError, r"Dimension out of range"),
    Case("amax: dim out of range", one(2, 3), lambda m, a: a.amax(2), IndexError, r"Dimension out of range"),
    Case("max: dim out of range", one(2, 3), lambda m, a: a.max(2), IndexError, r"Dimension out of range"),
    Case("argmax: dim out of range", one(2, 3), lambda m, a: a.argmax(2), IndexError, r"Dimension out of range"),
    Case("var: dim out of range", one(2, 3), lambda m, a: a.var(2), IndexError, r"Dimension out of range"),
    Case("std: dim out of range", one(2, 3), lambda m, a: a.std(2), IndexError, r"Dimension out of range"),
    Case("norm: dim out of range", one(2, 3), lambda m, a: a.norm(dim=2), IndexError, r"Dimension out of range"),
    Case("logsumexp: dim out of range", one(2, 3), lambda m, a: a.logsumexp(2), IndexError,
         r"Dimension out of range"),
    Case("all: dim out of range", lambda m, d: (bl(m, d, 2, 3),), lambda m, a: a.all(2), IndexError,
         r"Dimension out of range"),
    Case("cumsum: dim out of range", one(2, 3), lambda m, a: a.cumsum(2), IndexError, r"Dimension out of range"),
    Case("softmax: dim out of range", one(2, 3), lambda m, a: a.softmax(2), IndexError, r"Dimension out of range"),
    Case("log_softmax: dim out of range", one(2, 3), lambda m, a: F(m).log_softmax(a, 3), IndexError,
         r"Dimension out of range"),
    Case("sort: dim out of range", one(2, 3), lambda m, a: a.sort(2), IndexError, r"Dimension out of range"),
    Case("topk: dim out of range", one(2, 3), lambda m, a: a.topk(1, 2), IndexError, r"Dimension out of range"),
    Case("cat: dim out of range", two((2, 3), (2, 3)), lambda m, a, b: m.cat([a, b], 2), IndexError,
         r"Dimension out of range"),
    Case("stack: dim out of range", two((2, 3), (2, 3)), lambda m, a, b: m.stack([a, b], 4), IndexError,
         r"Dimension out of range"),
    Case("transpose: dim out of range", one(2, 3), lambda m, a: a.transpose(0, 2), IndexError,
         r"Dimension out of range"),
    Case("squeeze: dim out of range", one(2, 1), lambda m, a: a.squeeze(2), IndexError, r"Dimension out of range"),
    Case("unsqueeze: dim out of range", one(3), lambda m, a: a.unsqueeze(2), IndexError,
         r"Dimension out of range \(expected to be in range of \[-2, 1\]"),
    Case("flip: dim out of range", one(3), lambda m, a: a.flip(1), IndexError, r"Dimension out of range"),
    Case("movedim: dim out of range", one(2, 3), lambda m, a: a.movedim(0, 2), IndexError,
         r"Dimension out of range"),
    Case("select: dim out of range", one(2, 3), lambda m, a: a.select(2, 0), IndexError, r"Dimension out of range"),
    Case("narrow: dim out of range", one(2, 3), lambda m, a: a.narrow(2, 0, 1), IndexError,
         r"Dimension out of range"),
    Case("unbind: dim out of range", one(2, 3), lambda m, a: a.unbind(2), IndexError, r"Dimension out of range"),
    Case("split: dim out of range", one(2, 3), lambda m, a: a.split(1, 2), IndexError, r"Dimension out of range"),
    Case("chunk: dim out of range", one(2, 3), lambda m, a: a.chunk(2, 2), IndexError, r"Dimension out of range"),
    Case("gather: dim out of range", lambda m, d: (fl(m, d, 2, 3), it(m, d, 2, 1) * 0),
         lambda m, a, i: a.gather(2, i), IndexError, r"Dimension out of range"),
    Case("index_select: dim out of range", lambda m, d: (fl(m, d, 2, 3), it(m, d, 1)),
         lambda m, a, i: a.index_select(2, i), IndexError, r"Dimension out of range"),
    Case("size: dim out of range", one(2, 3), lambda m, a: a.size(2), IndexError, r"Dimension out of range"),
    Case("stride: dim out of range", one(2, 3), lambda m, a: a.stride(-3), IndexError, r"Dimension out of range"),
    Case("flatten: dim out of range", one(2, 3), lambda m, a: a.flatten(0, 2), IndexError,
         r"Dimension out of range"),
    Case("swapaxes: dim out of range", one(2, 3), lambda m, a: a.swapaxes(0, 5), IndexError,
         r"Dimension out of range"),
    Case("sum: a dim given twice", one(2, 3), lambda m, a: a.sum((0, 0)), RuntimeError,
         r"dim 0 appears multiple times in the list of dims"),
    Case("permute: too few dims", one(2, 3), lambda m, a: a.permute(0), RuntimeError,
         r"permute|number of dims"),
    Case("permute: a dim repeated", one(2, 3), lambda m, a: a.permute(0, 0), RuntimeError,
         r"permute|repeated|appears"),
    Case("movedim: a dim repeated", one(2, 3), lambda m, a: a.movedim((0, 0), (0, 1)), RuntimeError,
         r"movedim|repeated"),
    Case("flatten: start_dim after end_dim", one(2, 3, 4), lambda m, a: a.flatten(2, 1), RuntimeError,
         r"start_dim cannot come after end_dim"),
    Case("t: a 3-D tensor", one(2, 3, 4), lambda m, a: a.t(), RuntimeError, r"t\(\) expects a tensor with <= 2"),
    Case("t_: a 3-D tensor", one(2, 3, 4), lambda m, a: a.t_(), RuntimeError, r"t_?\(\) expects a tensor with <= 2"),

    # -- dtypes ---------------------------------------------------------------------------------------------
    Case("bitwise_and: float tensors", two((2,), (2,)), lambda m, a, b: a.bitwise_and(b), NotImplementedError,
         r"bitwise_and.*not implemented for 'Float'"),
    Case("bitwise_not: a float tensor", one(2), lambda m, a: ~a, TypeError, r"only implemented on integer and Boolean"),
    Case("bitwise_left_shift: float tensors", two((2,), (2,)), lambda m, a, b: a << b, NotImplementedError,
         r"bitwise_left_shift.*not implemented for 'Float'"),
    Case("sub: bool tensors", lambda m, d: (bl(m, d, 2), bl(m, d, 2)), lambda m, a, b: a - b, RuntimeError,
         r"bool"),
    Case("neg: a bool tensor", lambda m, d: (bl(m, d, 2),), lambda m, a: -a, RuntimeError, r"bool"),
    Case("pow: integer to a negative power", ints(2), lambda m, a: a ** -1, RuntimeError, r"negative"),
    Case("where: float condition", lambda m, d: (fl(m, d, 2), fl(m, d, 2)), lambda m, a, b: m.where(a, a, b),
         RuntimeError, r"where.*bool|bool"),
    Case("mean: integer tensor", ints(2), lambda m, a: a.mean(), RuntimeError, r"mean.*dtype|dtype"),
    Case("mean: bool tensor", lambda m, d: (bl(m, d, 2),), lambda m, a: a.mean(), RuntimeError,
         r"mean.*dtype|dtype"),
    Case("var: integer tensor", ints(2), lambda m, a: a.var(), RuntimeError, r"floating point"),
    Case("std: integer tensor", ints(2), lambda m, a: a.std(), RuntimeError, r"floating point"),
    Case("norm: integer tensor", ints(2), lambda m, a: a.norm(), RuntimeError, r"norm.*floating point"),
    Case("softmax: integer tensor", ints(2), lambda m, a: a.softmax(0), NotImplementedError, r"softmax.*not implemented for 'Long'"),
    Case("log_softmax: integer tensor", ints(2), lambda m, a: F(m).log_softmax(a, 0), NotImplementedError,
         r"log_softmax.*not implemented for 'Long'"),
    Case("masked_fill: float mask", two((3,), (3,)), lambda m, a, k: a.masked_fill(k, 0.0), RuntimeError,
         r"masked_fill.*bool"),
    Case("masked_fill_: int mask", lambda m, d: (fl(m, d, 3), it(m, d, 3)), lambda m, a, k: a.masked_fill_(k, 0.0),
         RuntimeError, r"masked_fill.*bool"),
    Case("masked_select: float mask", two((3,), (3,)), lambda m, a, k: a.masked_select(k), RuntimeError,
         r"masked_select: expected BoolTensor for mask"),
    Case("index_select: float index", two((3,), (1,)), lambda m, a, i: a.index_select(0, i), RuntimeError,
         r"index_select\(\): Expected dtype int32.*int64 for index"),
    Case("gather: float index", lambda m, d: (fl(m, d, 2, 3), fl(m, d, 2, 1)), lambda m, a, i: a.gather(1, i),
         RuntimeError, r"gather.*int64|gather.*index"),
    Case("scatter_add: float index", lambda m, d: (fl(m, d, 2, 3), fl(m, d, 2, 1), fl(m, d, 2, 1)),
         lambda m, a, i, s: a.scatter_add(1, i, s), RuntimeError, r"scatter_add.*int64|scatter.*index"),
    Case("scatter_add: src dtype differs", lambda m, d: (fl(m, d, 2, 3), it(m, d, 2, 1) * 0, it(m, d, 2, 1)),
         lambda m, a, i, s: a.scatter_add(1, i, s), RuntimeError, r"scatter(_add)?\(\): Expected self.dtype to be equal to src.dtype"),
    Case("take: float index", two((3,), (1,)), lambda m, a, i: a.take(i), RuntimeError, r"take\(\): Expected a long tensor for index"),
    Case("add_: float result into an int tensor", ints(2), lambda m, a: a.add_(1.5), RuntimeError,
         r"result type Float can't be cast to the desired output type Long"),
    Case("div_: true division into an int tensor", ints(2), lambda m, a: a.div_(2), RuntimeError,
         r"result type Float can't be cast"),
    Case("sqrt_: float result into an int tensor", ints(2), lambda m, a: a.sqrt_(), RuntimeError,
         r"result type Float can't be cast"),
    Case("mul_: float tensor into a bool tensor", lambda m, d: (bl(m, d, 2), fl(m, d, 2)),
         lambda m, a, b: a.mul_(b), RuntimeError, r"result type Float can't be cast to the desired output type Bool"),
    Case("sigmoid_: an int tensor", ints(2), lambda m, a: a.sigmoid_(), RuntimeError,
         r"result type Float can't be cast"),
    Case("requires_grad_: an int tensor", ints(3), lambda m, a: a.requires_grad_(), RuntimeError,
         r"floating point"),
    Case("requires_grad = True: a bool tensor", lambda m, d: (bl(m, d, 3),),
         lambda m, a: setattr(a, "requires_grad", True), RuntimeError, r"floating point"),
    Case("tensor: requires_grad of integers", dev, lambda m, d: m.tensor([1, 2], requires_grad=True, device=d),
         RuntimeError, r"floating point"),
    Case("zeros: requires_grad of integers", dev,
         lambda m, d: m.zeros(2, dtype=m.int64, requires_grad=True, device=d), RuntimeError, r"floating point"),
    Case("cross_entropy: int scores", lambda m, d: (it(m, d, 2, 3), m.tensor([0, 1], device=d)),
         lambda m, a, t: F(m).cross_entropy(a, t), NotImplementedError,
         r"log_softmax.*not implemented for 'Long'"),
    Case("nll_loss: float target", _target(0.0, 1.0), lambda m, a, t: F(m).nll_loss(a, t), RuntimeError,
         r"expected target dtype to be Long or Byte, but got Float"),
    Case("cross_entropy: int32 target", _target(0, 1), lambda m, a, t: F(m).cross_entropy(a, t.int()),
         RuntimeError, r"expected target dtype to be Long or Byte, but got Int"),

    # -- losses and activations --------------------------------------------------------------------------
    Case("cross_entropy: target out of range", _target(0, 5), lambda m, a, t: F(m).cross_entropy(a, t), IndexError,
         r"Target 5 is out of bounds"),
    Case("cross_entropy: negative target", _target(-2, 1), lambda m, a, t: F(m).cross_entropy(a, t), IndexError,
         r"Target -2 is out of bounds"),
    Case("nll_loss: target out of range", _target(3, 0), lambda m, a, t: F(m).nll_loss(a, t), IndexError,
         r"Target 3 is out of bounds"),
    Case("nll_loss: batch sizes differ", _target(0, 1, 2), lambda m, a, t: F(m).nll_loss(a, t), ValueError,
         r"Expected input batch_size \(2\) to match target batch_size \(3\)"),
    Case("nll_loss: a 2-D target", lambda m, d: (fl(m, d, 2, 3), it(m, d, 2, 1) * 0),
         lambda m, a, t: F(m).nll_loss(a, t), RuntimeError, r"0D or 1D target tensor expected"),
    Case("cross_entropy: unknown reduction", _scores, lambda m, a, t: F(m).cross_entropy(a, t, reduction="avg"),
         ValueError, r"avg is not a valid value for reduction"),
    Case("mse_loss: unknown reduction", two((3,), (3,)), lambda m, a, b: F(m).mse_loss(a, b, reduction="avg"),
         ValueError, r"avg is not a valid value for reduction"),
    Case("l1_loss: unknown reduction", two((3,), (3,)), lambda m, a, b: F(m).l1_loss(a, b, reduction="x"),
         ValueError, r"x is not a valid value for reduction"),
    Case("nll_loss: unknown reduction", _scores, lambda m, a, t: F(m).nll_loss(a, t, reduction="avg"),
         ValueError, r"avg is not a valid value for reduction"),
    Case("dropout: p above 1", one(3), lambda m, a: F(m).dropout(a, 1.5), ValueError,
         r"dropout probability has to be between 0 and 1, but got 1.5"),
    Case("dropout: negative p", one(3), lambda m, a: F(m).dropout(a, -0.1), ValueError,
         r"dropout probability has to be between 0 and 1"),
    Case("softmax: dim out of range (functional)", one(3), lambda m, a: F(m).softmax(a, 1), IndexError,
         r"Dimension out of range"),
    Case("relu(inplace=True): a leaf that requires grad", leaf(3), lambda m, a: F(m).relu(a, inplace=True),
         RuntimeError, r"leaf Variable that requires grad"),
    Case("Linear: input features differ", lambda m, d: (fl(m, d, 2, 3),),
         lambda m, a: m.nn.Linear(4, 2).to(a.device)(a), RuntimeError, r"shapes cannot be multiplied|size|shape"),

    # -- autograd misuse ------------------------------------------------------------------------------------
    Case("backward: non-scalar output without gradient", lambda m, d: (fl(m, d, 3, rg=True),),
         lambda m, x: (x * 2).backward(), RuntimeError, r"grad can be implicitly created only for scalar outputs"),
    Case("backward: output does not require grad", one(3), lambda m, x: x.sum().backward(), RuntimeError,
         r"does not require grad"),
    Case("backward: twice without retain_graph", _used_graph, lambda m, x, y: y.backward(), RuntimeError,
         r"backward through the graph a second time"),
    Case("backward: a saved tensor was modified in place", _modified_saved, lambda m, x, z: z.backward(),
         RuntimeError, r"modified by an inplace operation"),
    Case("autograd.grad: output does not require grad", one(3),
         lambda m, x: m.autograd.grad(x.sum(), [x]), RuntimeError, r"does not require grad"),
    Case("autograd.grad: an input not used in the graph", _two_leaves,
         lambda m, x, w, y: m.autograd.grad(y, [w]), RuntimeError, r"not have been used in the graph"),
    Case("autograd.grad: non-scalar output without grad_outputs", _nonleaf,
         lambda m, x, y: m.autograd.grad(y, [x]), RuntimeError, r"only for scalar outputs"),
    Case("autograd.grad: twice without retain_graph", _graph,
         lambda m, x, y: (m.autograd.grad(y, [x]), m.autograd.grad(y, [x])), RuntimeError,
         r"backward through the graph a second time"),
    Case("requires_grad_(False) on a non-leaf", _nonleaf, lambda m, x, y: y.requires_grad_(False), RuntimeError,
         r"only change requires_grad flags of leaf variables"),
    Case("retain_grad: a tensor that requires no grad", one(3), lambda m, x: x.retain_grad(), RuntimeError,
         r"retain_grad"),
    Case("register_hook: a tensor that requires no grad", one(3), lambda m, x: x.register_hook(lambda g: g),
         RuntimeError, r"hook"),
    Case("numpy: a tensor that requires grad", leaf(3), lambda m, x: x.numpy(), RuntimeError,
         r"Can't call numpy\(\) on Tensor that requires grad"),
    Case("grad =: wrong shape", leaf(3), lambda m, x: setattr(x, "grad", m.ones(2, device=x.device)),
         RuntimeError, r"assigned grad has data of a different size"),
    Case("grad =: wrong dtype", lambda m, d: (fl(m, d, 3, rg=True), it(m, d, 3)),
         lambda m, x, g: setattr(x, "grad", g), RuntimeError, r"assigned grad has data of a different type"),
    Case("grad =: not a tensor", leaf(3), lambda m, x: setattr(x, "grad", [1.0, 2.0, 3.0]), TypeError,
         r"assigned grad expected to be a Tensor or None"),
    Case("detach_: a view of a tensor that requires grad", _view_of_leaf, lambda m, x, v: v.detach_(),
         RuntimeError, r"Can't detach views in-place"),
    Case("deepcopy: a non-leaf", _nonleaf, lambda m, x, y: __import__("copy").deepcopy(y), RuntimeError,
         r"graph leaves"),

    # -- in-place on leaves that require grad -----------------------------------------------------------
    Case("add_: a leaf that requires grad", leaf(3), lambda m, x: x.add_(1), RuntimeError,
         r"a leaf Variable that requires grad is being used in an in-place operation"),
    Case("mul_: a leaf that requires grad", leaf(3), lambda m, x: x.mul_(x), RuntimeError,
         r"leaf Variable that requires grad"),
    Case("zero_: a leaf that requires grad", leaf(3), lambda m, x: x.zero_(), RuntimeError,
         r"leaf Variable that requires grad"),
    Case("fill_: a leaf that requires grad", leaf(3), lambda m, x: x.fill_(2.0), RuntimeError,
         r"leaf Variable that requires grad"),
    Case("copy_: into a leaf that requires grad", lambda m, d: (fl(m, d, 3, rg=True), fl(m, d, 3)),
         lambda m, x, y: x.copy_(y), RuntimeError, r"leaf Variable that requires grad"),
    Case("clamp_: a leaf that requires grad", leaf(3), lambda m, x: x.clamp_(0, 1), RuntimeError,
         r"leaf Variable that requires grad"),
    Case("sigmoid_: a leaf that requires grad", leaf(3), lambda m, x: x.sigmoid_(), RuntimeError,
         r"leaf Variable that requires grad"),
    Case("masked_fill_: a leaf that requires grad", lambda m, d: (fl(m, d, 3, rg=True), bl(m, d, 3)),
         lambda m, x, k: x.masked_fill_(k, 0.0), RuntimeError, r"leaf Variable that requires grad"),
    Case("index_put_: a leaf that requires grad", lambda m, d: (fl(m, d, 3, rg=True), it(m, d, 1)),
         lambda m, x, i: x.index_put_((i,), m.zeros(1, device=x.device)), RuntimeError,
         r"leaf Variable that requires grad"),
    Case("scatter_add_: a leaf that requires grad",
         lambda m, d: (fl(m, d, 2, 3, rg=True), it(m, d, 2, 1) * 0, fl(m, d, 2, 1)),
         lambda m, x, i, s: x.scatter_add_(1, i, s), RuntimeError, r"leaf Variable that requires grad"),
    Case("setitem: a leaf that requires grad", leaf(3), lambda m, x: x.__setitem__(0, 1.0), RuntimeError,
         r"leaf Variable that requires grad"),
    Case("uniform_: a leaf that requires grad", leaf(3), lambda m, x: x.uniform_(), RuntimeError,
         r"leaf Variable that requires grad"),
    Case("normal_: a leaf that requires grad", leaf(3), lambda m, x: x.normal_(), RuntimeError,
         r"leaf Variable that requires grad"),
    Case("add_: a view of a leaf that requires grad", _view_of_leaf, lambda m, x, v: v.add_(1), RuntimeError,
         r"view of a leaf Variable that requires grad"),
    Case("fill_: a view of a leaf that requires grad", _view_of_leaf, lambda m, x, v: v.fill_(0.0), RuntimeError,
         r"view of a leaf Variable"),

    # -- out= -----------------------------------------------------------------------------------------------
    Case("add(out=): out requires grad", lambda m, d: (fl(m, d, 3), fl(m, d, 3, rg=True)),
         lambda m, a, o: m.add(a, a, out=o), RuntimeError, r"out=.*automatic differentiation"),
    Case("add(out=): an input requires grad", lambda m, d: (fl(m, d, 3, rg=True), fl(m, d, 3)),
         lambda m, a, o: m.add(a, a, out=o), RuntimeError, r"out=.*automatic differentiation"),
    Case("add(out=): float result into an int out", lambda m, d: (fl(m, d, 3), it(m, d, 3)),
         lambda m, a, o: m.add(a, a, out=o), RuntimeError, r"result type Float can't be cast"),
    Case("sin(out=): float result into an int out", lambda m, d: (fl(m, d, 3), it(m, d, 3)),
         lambda m, a, o: m.sin(a, out=o), RuntimeError, r"result type Float can't be cast"),
    Case("add(out=): out is not a tensor", one(3), lambda m, a: m.add(a, a, out=[0, 0, 0]), TypeError,
         r"out"),

    # -- argument types ---------------------------------------------------------------------------------------
    Case("sum: dim is a string", one(3), lambda m, a: a.sum(dim="a"), TypeError, r"sum\(\).*dim"),
    Case("sum: dim is a float", one(3), lambda m, a: a.sum(dim=0.5), TypeError, r"sum\(\).*dim"),
    Case("sum: a string in the dims", one(2, 3), lambda m, a: a.sum(dim=[0, "a"]), TypeError, r"sum\(\).*dim"),
    Case("mean: dim is a string", one(3), lambda m, a: a.mean("a"), TypeError, r"mean\(\).*dim"),
    Case("amax: dim is a float", one(3), lambda m, a: a.amax(0.5), TypeError, r"amax\(\).*dim"),
    Case("max: dim is a string", one(3), lambda m, a: a.max("a"), TypeError, r"max\(\).*dim"),
    Case("argmax: dim is a string", one(3), lambda m, a: a.argmax("a"), TypeError, r"argmax\(\).*dim"),
    Case("softmax: dim is a string", one(3), lambda m, a: a.softmax("a"), TypeError, r"softmax\(\).*dim"),
    Case("softmax: dim is a bool", one(2, 3), lambda m, a: a.softmax(True), TypeError, r"softmax\(\).*dim.*bool"),
    Case("select: dim is a bool", one(2, 3), lambda m, a: a.select(True, 0), TypeError, r"select\(\).*dim.*bool"),
    Case("cumsum: dim is a float", one(3), lambda m, a: a.cumsum(0.5), TypeError, r"cumsum\(\).*dim"),
    Case("transpose: dim is a string", one(2, 3), lambda m, a: a.transpose("a", 0), TypeError,
         r"transpose\(\)"),
    Case("unsqueeze: dim is a float", one(3), lambda m, a: a.unsqueeze(0.5), TypeError, r"unsqueeze\(\)"),
    Case("reshape: a string in the shape", one(6), lambda m, a: a.reshape("a", 2), TypeError, r"reshape\(\)"),
    Case("view: a float in the shape", one(6), lambda m, a: a.view(2.0, 3), TypeError, r"view\(\)"),
    Case("add: a string operand", one(3), lambda m, a: m.add(a, "a"), TypeError, r"add\(\)"),
    Case("+: a string operand", one(3), lambda m, a: a + "a", TypeError, r"add\(\).*str"),
    Case("mul: a None operand", one(3), lambda m, a: m.mul(a, None), TypeError, r"mul\(\)"),
    Case("cat: a tensor instead of a sequence", one(3), lambda m, a: m.cat(a), TypeError, r"cat\(\)"),
    Case("cat: an empty list", none, lambda m: m.cat([]), ValueError, r"non-empty"),
    Case("stack: an empty list", none, lambda m: m.stack([]), RuntimeError, r"non-empty"),
    Case("cat: sizes differ", two((2, 3), (2, 4)), lambda m, a, b: m.cat([a, b]), RuntimeError,
         r"Sizes of tensors must match except in dimension 0"),
    Case("cat: a 0-d tensor", two((), ()), lambda m, a, b: m.cat([a, b]), RuntimeError, r"zero-dimensional"),
    Case("stack: shapes differ", two((2, 3), (3, 2)), lambda m, a, b: m.stack([a, b]), RuntimeError,
         r"stack expects each tensor to be equal size"),
    Case("cat: a non-tensor item", one(3), lambda m, a: m.cat([a, [1.0]]), TypeError, r"cat\(\)"),
    Case("clamp: neither min nor max", one(3), lambda m, a: a.clamp(), RuntimeError,
         r"At least one of 'min' or 'max' must not be None"),
    Case("float(): several elements", one(2), lambda m, a: float(a), ValueError,
         r"only one element tensors can be converted to Python scalars"),
    Case("int(): several elements", one(2), lambda m, a: int(a), ValueError, r"only one element tensors"),
    Case("item: several elements", one(3), lambda m, a: a.item(), RuntimeError,
         r"a Tensor with 3 elements cannot be converted to Scalar"),
    Case("item: no elements", one(0), lambda m, a: a.item(), RuntimeError, r"0 elements"),
    Case("bool(): several elements", one(2), lambda m, a: bool(a), RuntimeError,
         r"Boolean value of Tensor with more than one value is ambiguous"),
    Case("index(): a float tensor", one(1), lambda m, a: [1, 2][a], TypeError, r"index"),
    Case("len(): a 0-d tensor", one(), lambda m, a: len(a), TypeError, r"len\(\) of a 0-d tensor"),
    Case("iter(): a 0-d tensor", one(), lambda m, a: iter(a), TypeError, r"iteration over a 0-d tensor"),
    Case("chunk: zero chunks", one(3), lambda m, a: a.chunk(0), RuntimeError, r"chunk expects `chunks` to be"),
    Case("split: sizes do not sum to the length", one(3), lambda m, a: a.split([1, 1]), RuntimeError,
         r"split_with_sizes expects split_sizes to sum exactly to 3"),
    Case("topk: k larger than the size", one(3), lambda m, a: a.topk(4), RuntimeError, r"selected index k out of range"),
    Case("repeat: fewer repeats than dims", one(2, 3), lambda m, a: a.repeat(2), RuntimeError,
         r"Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor"),
    Case("unflatten: sizes do not multiply to the dim", one(2, 6), lambda m, a: a.unflatten(1, (4, 2)),
         RuntimeError, r"unflatten: Provided sizes \[4, 2\] don't multiply up to the size of dim 1 \(6\)"),
    Case("to: an unknown device string", one(3), lambda m, a: a.to("nosuchdevice"), RuntimeError,
         r"nosuchdevice"),
    Case("to: a device list", one(3), lambda m, a: a.to(device=["cpu"]), TypeError, r"device.*list"),
    Case("to: a dtype string", one(3), lambda m, a: a.to(dtype="float64"), TypeError, r"to\(\).*dtype.*str"),
    Case("type: an unknown type name", one(3), lambda m, a: a.type("plugtensor.NoSuchTensor"), ValueError,
         r"NoSuchTensor|invalid type"),

    Case("mm: a list operand", one(2, 2), lambda m, a: m.mm(a, [[1.0, 0.0], [0.0, 1.0]]), TypeError,
         r"mm\(\): argument 'mat2'.* must be Tensor, not list"),
    Case("bmm: a list operand", one(1, 2, 2), lambda m, a: m.bmm([[[1.0]]], a), TypeError, r"bmm\(\).*Tensor"),
    Case("dot: a list operand", one(2), lambda m, a: m.dot(a, [1.0, 2.0]), TypeError, r"dot\(\).*Tensor"),
    Case("mv: a list operand", one(2, 2), lambda m, a: m.mv(a, [1.0, 2.0]), TypeError, r"mv\(\).*Tensor"),
    Case("linear: a list weight", one(2, 3), lambda m, a: F(m).linear(a, [[1.0, 2.0, 3.0]]), TypeError,
         r"linear\(\): argument 'weight'.* must be Tensor, not list"),
    Case("softmax: dtype is a string", one(3), lambda m, a: a.softmax(0, dtype="float64"), TypeError,
         r"softmax\(\): argument 'dtype' must be .*dtype, not str"),
    Case("norm: an unknown order", one(3), lambda m, a: a.norm(p="x"), RuntimeError, r"norm.*Order x not supported"),
    Case("where: a bool condition", two((2,), (2,)), lambda m, a, b: m.where(True, a, b), TypeError,
         r"where\(\).*condition"),
    Case("stack: a tensor instead of a sequence", one(3), lambda m, a: m.stack(a), TypeError,
         r"stack\(\): argument 'tensors'.* must be tuple of Tensors, not Tensor"),
    Case("narrow: start out of range", one(3), lambda m, a: a.narrow(0, 5, 0), IndexError,
         r"start out of range \(expected to be in range of \[-3, 3\], but got 5\)"),
    Case("narrow: a float start", one(3), lambda m, a: a.narrow(0, 0.5, 1), TypeError,
         r"narrow\(\): argument 'start'.* must be int, not float"),
    Case("select: a float index", one(3), lambda m, a: a.select(0, 0.5), TypeError,
         r"select\(\): argument 'index'.* must be int, not float"),
    Case("select: a 0-d tensor", one(), lambda m, a: a.select(0, 0), IndexError,
         r"select\(\) cannot be applied to a 0-dim tensor"),
    Case("flatten: a 0-d tensor, dim out of range", one(), lambda m, a: a.flatten(0, 1), IndexError,
         r"Dimension out of range"),
    Case("transpose: a 0-d tensor, dim out of range", one(), lambda m, a: a.transpose(0, 1), IndexError,
         r"Dimension out of range"),
    Case("type: an int", one(3), lambda m, a: a.type(5), TypeError, r"type\(\)|dtype must be"),
    Case("autograd.grad: a number as input", leaf(3), lambda m, x: m.autograd.grad(x.sum(), [1.0]), RuntimeError,
         r"inputs have to be Tensors"),
    Case("cross_entropy: a 2-D target for 1-D scores", lambda m, d: (fl(m, d, 3), it(m, d, 1, 1)),
         lambda m, a, t: F(m).cross_entropy(a, t), RuntimeError, r"0D or 1D target tensor expected"),

    # -- indexing ---------------------------------------------------------------------------------------------
    Case("index_select: a list index", one(3), lambda m, a: a.index_select(0, [0]), TypeError,
         r"index_select\(\): argument 'index'.* must be Tensor, not list"),
    Case("gather: a list index", one(3), lambda m, a: a.gather(0, [0]), TypeError,
         r"gather\(\): argument 'index'.* must be Tensor, not list"),
    Case("take: a list index", one(3), lambda m, a: a.take([0]), TypeError,
         r"take\(\): argument 'index'.* must be Tensor, not list"),
    Case("masked_select: a list mask", one(3), lambda m, a: a.masked_select([True, False, True]), TypeError,
         r"masked_select\(\): argument 'mask'.* must be Tensor, not list"),
    Case("index_put_: values of another dtype", _with(0),
         lambda m, a, i: a.index_put_((i,), m.ones(1, dtype=m.int64, device=a.device)), RuntimeError,
         r"Index put requires the source and destination dtypes match, got Float for the destination and Long"),
    Case("index: past the end", one(3), lambda m, a: a[5], IndexError,
         r"index 5 is out of bounds for dimension 0 with size 3"),
    Case("index: negative past the start", one(3), lambda m, a: a[-4], IndexError, r"out of bounds"),
    Case("index: past the end of dim 1", one(3, 3), lambda m, a: a[:, 7], IndexError,
         r"index 7 is out of bounds for dimension 1 with size 3"),
    Case("index: too many indices", one(3), lambda m, a: a[0, 0], IndexError, r"too many indices"),
    Case("index: a float", one(3), lambda m, a: a[1.5], IndexError, r"only integers, slices"),
    Case("index: a string", one(3), lambda m, a: a["a"], TypeError, r"invalid index of type str"),
    Case("index: a zero slice step", one(3), lambda m, a: a[::0], ValueError, r"step"),
    Case("index: a negative slice step", one(3), lambda m, a: a[::-1], ValueError,
         r"step must be greater than zero"),
    Case("index: an index tensor out of range", _with(0, 5), lambda m, a, i: a[i], IndexError,
         r"index 5 is out of bounds for dimension 0 with size 3"),
    Case("index: a negative index tensor out of range", _with(-4), lambda m, a, i: a[i], IndexError,
         r"index -4 is out of bounds"),
    Case("index: a float index tensor", _with(0.0, 1.0), lambda m, a, i: a[i], IndexError,
         r"tensors used as indices must be long, int, byte or bool tensors"),
    Case("index: a bool mask of the wrong shape", lambda m, d: (fl(m, d, 3), bl(m, d, 2)), lambda m, a, k: a[k],
         IndexError, r"shape of the mask \[2\] at index 0 does not match the shape of the indexed tensor \[3\]"),
    Case("index: index tensors that do not broadcast",
         lambda m, d: (fl(m, d, 3, 3), it(m, d, 2) * 0, it(m, d, 3) * 0),
         lambda m, a, i, j: a[i, j], IndexError, r"shape mismatch: indexing tensors could not be broadcast"),
    Case("setitem: value shape does not fit", one(2, 3), lambda m, a: a.__setitem__(0, m.ones(4, device=a.device)),
         RuntimeError, r"shape mismatch|size|shape"),
    Case("setitem: value shape does not fit (index tensor)", _with(0, 1),
         lambda m, a, i: a.__setitem__(i, m.ones(3, device=a.device)), RuntimeError,
         r"shape mismatch: value tensor of shape \[3\] cannot be broadcast to indexing result of shape \[2\]"),
    Case("setitem: index past the end", one(3), lambda m, a: a.__setitem__(3, 1.0), IndexError,
         r"index 3 is out of bounds"),
    Case("setitem: index tensor out of range", _with(7), lambda m, a, i: a.__setitem__(i, 1.0), IndexError,
         r"index 7 is out of bounds"),
    Case("setitem: a string value", one(3), lambda m, a: a.__setitem__(0, "x"), TypeError, r"__setitem__\(\).*str"),
    Case("index_put_: value shape does not fit", _with(0, 1),
         lambda m, a, i: a.index_put_((i,), m.ones(3, device=a.device)), RuntimeError,
         r"shape mismatch: value tensor of shape \[3\] cannot be broadcast to indexing result of shape \[2\]"),
    Case("index_put_: index out of range", _with(0, 3),
         lambda m, a, i: a.index_put_((i,), m.ones(2, device=a.device)), IndexError,
         r"index 3 is out of bounds for dimension 0 with size 3", torch_writes=True),
    Case("index_put_: a float index", _with(0.0),
         lambda m, a, i: a.index_put_((i,), m.ones(1, device=a.device)), IndexError,
         r"tensors used as indices must be long, int, byte or bool tensors"),
    Case("index_put_: indices not a tuple", _with(0),
         lambda m, a, i: a.index_put_(i, m.ones(1, device=a.device)), TypeError, r"index_put_\(\).*indices"),
    Case("index_put_: accumulate with a wrong value shape", _with(0, 1),
         lambda m, a, i: a.index_put_((i,), m.ones(3, device=a.device), accumulate=True), RuntimeError,
         r"shape mismatch"),
    Case("index_select: index out of range", _with(5), lambda m, a, i: a.index_select(0, i), IndexError,
         r"index_select\(\).*out of range|out of range"),
    Case("index_select: a 2-D index", lambda m, d: (fl(m, d, 3), it(m, d, 1, 1)),
         lambda m, a, i: a.index_select(0, i), IndexError, r"Index is supposed to be a vector"),
    Case("gather: index out of range", lambda m, d: (fl(m, d, 2, 3), m.tensor([[5]], device=d)),
         lambda m, a, i: a.gather(1, i), RuntimeError, r"index 5 is out of bounds for dimension 1 with size 3"),
    Case("gather: index has fewer dims", lambda m, d: (fl(m, d, 2, 3), it(m, d, 2) * 0),
         lambda m, a, i: a.gather(1, i), RuntimeError,
         r"Index tensor must have the same number of dimensions as input tensor"),
    Case("scatter_add: index out of range", lambda m, d: (fl(m, d, 2, 3), m.tensor([[4]], device=d), fl(m, d, 1, 1)),
         lambda m, a, i, s: a.scatter_add(1, i, s), RuntimeError, r"index 4 is out of bounds"),
    Case("scatter_add: index larger than src", lambda m, d: (fl(m, d, 2, 3), it(m, d, 2, 2) * 0, fl(m, d, 1, 1)),
         lambda m, a, i, s: a.scatter_add(1, i, s), RuntimeError, r"scatter_add.*index|Expected index"),
    Case("take: index out of range", _with(3), lambda m, a, i: a.take(i), IndexError, r"out of range"),
    Case("masked_select: mask does not broadcast", lambda m, d: (fl(m, d, 3), bl(m, d, 2)),
         lambda m, a, k: a.masked_select(k), RuntimeError, r"size of tensor"),
    Case("select: index out of range", one(2, 3), lambda m, a: a.select(1, 3), IndexError,
         r"index 3 (is )?out of (range|bounds).*dimension 1"),
    Case("narrow: start + length past the end", one(3), lambda m, a: a.narrow(0, 2, 2), RuntimeError,
         r"start \(2\) \+ length \(2\) exceeds dimension size \(3\)"),
    Case("narrow: negative length", one(3), lambda m, a: a.narrow(0, 0, -1), RuntimeError,
         r"narrow\(\): length must be non-negative"),

    # -- reductions ------------------------------------------------------------------------------------------
    Case("max: an empty tensor", one(0), lambda m, a: a.max(), RuntimeError,
         r"max\(\): Expected reduction dim to be specified for input.numel\(\) == 0"),
    Case("min: an empty tensor", one(0), lambda m, a: a.min(), RuntimeError, r"min\(\).*numel\(\) == 0"),
    Case("argmax: an empty tensor", one(0), lambda m, a: a.argmax(), IndexError, r"argmax\(\).*numel"),
    Case("amax: an empty tensor", one(0), lambda m, a: a.amax(), RuntimeError, r"amax\(\).*numel"),
    Case("max(dim): an empty dim", one(0, 3), lambda m, a: a.max(0), IndexError,
         r"max\(\): Expected reduction dim 0 to have non-zero size"),
    Case("argmin(dim): an empty dim", one(0, 3), lambda m, a: a.argmin(0), IndexError,
         r"argmin\(\): Expected reduction dim 0 to have non-zero size"),

    # -- views -------------------------------------------------------------------------------------------------
    Case("view: a transposed tensor", one(2, 3), lambda m, a: a.t().view(6), RuntimeError,
         r"view size is not compatible with input tensor's size and stride"),
    Case("view: wrong number of elements", one(6), lambda m, a: a.view(5), RuntimeError,
         r"shape '\[5\]' is invalid for input of size 6"),
    Case("view: two -1s", one(6), lambda m, a: a.view(-1, -1), RuntimeError, r"only one dimension can be inferred"),
    Case("reshape: wrong number of elements", one(6), lambda m, a: a.reshape(4), RuntimeError,
         r"invalid for input of size 6"),
    Case("reshape: two -1s", one(6), lambda m, a: a.reshape(-1, 2, -1), RuntimeError,
         r"only one dimension can be inferred"),
    Case("view_as: wrong number of elements", two((6,), (2, 2)), lambda m, a, b: a.view_as(b), RuntimeError,
         r"invalid for input of size 6"),
    Case("reshape_as: wrong number of elements", two((6,), (4,)), lambda m, a, b: a.reshape_as(b), RuntimeError,
         r"invalid for input of size 6"),
    Case("expand: fewer sizes than dims", one(2, 3), lambda m, a: a.expand(3), RuntimeError,
         r"the number of sizes provided \(1\) must be greater or equal to the number of dimensions in the tensor \(2\)"),
    Case("expand: a non-singleton dim changes", one(3), lambda m, a: a.expand(2, 4), RuntimeError,
         r"The expanded size of the tensor \(4\) must match the existing size \(3\) at non-singleton dimension 1"),
    Case("squeeze_: dim out of range", one(2, 1), lambda m, a: a.squeeze_(3), IndexError, r"Dimension out of range"),
    Case("unsqueeze_: dim out of range", one(2), lambda m, a: a.unsqueeze_(3), IndexError,
         r"Dimension out of range"),
    Case("transpose_: dim out of range", one(2, 3), lambda m, a: a.transpose_(0, 2), IndexError,
         r"Dimension out of range"),
    Case("squeeze: a dim string", one(2, 1), lambda m, a: a.squeeze("a"), TypeError, r"squeeze\(\)"),

    # -- creation arguments -------------------------------------------------------------------------------------
    Case("ones: device is a list", none, lambda m: m.ones(3, device=["cpu"]), TypeError,
         r"device.*list"),
    Case("zeros: device is a float", none, lambda m: m.zeros(3, device=1.5), TypeError,
         r"device.*float"),
    Case("tensor: device is a list", none, lambda m: m.tensor([1.0], device=["cpu"]), TypeError,
         r"device.*list"),
    Case("device: a malformed string", none, lambda m: m.device("cpu:"), RuntimeError, r"cpu:"),
    Case("device: a list", none, lambda m: m.device(["cpu"]), TypeError, r"device"),
    Case("zeros: device string unknown", none, lambda m: m.zeros(1, device="nosuchdevice"), RuntimeError,
         r"nosuchdevice"),
    Case("zeros: dtype is a string", dev, lambda m, d: m.zeros(2, dtype="float32", device=d), TypeError,
         r"dtype"),
    Case("ones: a string size", dev, lambda m, d: m.ones("a", device=d), TypeError, r"ones\(\)"),
    Case("ones: a float size", dev, lambda m, d: m.ones(2.5, device=d), TypeError, r"ones\(\)"),
    Case("zeros: a float in the size tuple", dev, lambda m, d: m.zeros((2, 3.5), device=d), TypeError,
         r"zeros\(\)"),
    Case("full: a string fill value", dev, lambda m, d: m.full((2,), "a", device=d), TypeError, r"full\(\)|number, got str"),
    Case("tensor: ragged nested lists", dev, lambda m, d: m.tensor([[1, 2], [3]], device=d), ValueError,
         r"expected sequence of length 2 at dim 1 \(got 1\)"),
    Case("tensor: strings", dev, lambda m, d: m.tensor(["a"], device=d), ValueError, r"str"),
    Case("tensor: a None element", dev, lambda m, d: m.tensor([1.0, None], device=d), RuntimeError,
         r"Could not infer dtype of NoneType"),
    Case("arange: zero step", dev, lambda m, d: m.arange(0, 10, 0, device=d), RuntimeError,
         r"step must be nonzero"),
    Case("arange: step of the wrong sign", dev, lambda m, d: m.arange(10, 0, 1, device=d), RuntimeError,
         r"upper bound and lower bound inconsistent with step sign"),
    Case("linspace: negative steps", dev, lambda m, d: m.linspace(0, 1, -1, device=d), RuntimeError,
         r"number of steps must be non-negative"),
    Case("eye: negative n", dev, lambda m, d: m.eye(-1, device=d), RuntimeError, r"n must be greater or equal to 0"),
    Case("eye: negative m", dev, lambda m, d: m.eye(2, -1, device=d), RuntimeError,
         r"must be greater or equal to 0, got -1"),
    Case("randint: low not below high", dev, lambda m, d: m.randint(5, 2, (3,), device=d), RuntimeError,
         r"random_ expects 'from' to be less than 'to'"),
    Case("zeros: no size at all", dev, lambda m, d: m.zeros(device=d), TypeError, r"zeros\(\).*size"),
    Case("rand: no size at all", dev, lambda m, d: m.rand(device=d), TypeError, r"rand\(\).*"),
    Case("new_ones: no size at all", one(2), lambda m, a: a.new_ones(), TypeError, r"new_ones\(\).*size"),
    Case("randperm: negative n", dev, lambda m, d: m.randperm(-1, device=d), RuntimeError, r"n must be non-negative"),
    Case("zeros_like: not a tensor", none, lambda m: m.zeros_like([1.0]), TypeError, r"zeros_like\(\)"),
    Case("empty_like: not a tensor", none, lambda m: m.empty_like([1.0]), TypeError, r"empty_like\(\)"),
    Case("fill_: a string value", one(3), lambda m, a: a.fill_("a"), TypeError, r"fill_\(\)"),
    Case("copy_: a list source", one(3), lambda m, a: a.copy_([1.0, 2.0, 3.0]), TypeError,
         r"copy_\(\).*Tensor, not list"),
    Case("equal: a list", one(3), lambda m, a: m.equal(a, [0.0, 1.0, 2.0]), TypeError, r"equal\(\).*Tensor"),
    Case("from_numpy: a list", none, lambda m: m.from_numpy([1.0]), TypeError, r"expected np.ndarray"),

    # -- sizes and random arguments (fixed with the allocation checks) -----------------------------------------
    Case("zeros: a negative size", dev, lambda m, d: m.zeros(-1, device=d), RuntimeError,
         r"non-negative|negative dimension -1"),
    Case("ones: a negative size among others", dev, lambda m, d: m.ones(2, -3, device=d), RuntimeError,
         r"non-negative.*-3|negative dimension -3"),
    Case("empty: a negative size", dev, lambda m, d: m.empty(-2, device=d), RuntimeError, r"non-negative.*-2|negative dimension -2"),
    Case("view: a negative size", one(6), lambda m, a: a.view(-2), RuntimeError, r"invalid shape dimension -2"),
    Case("expand: a negative size", one(1, 3), lambda m, a: a.expand(-2, 3), RuntimeError,
         r"expand|invalid|negative"),
    Case("rand: a huge size (2**62)", dev, lambda m, d: m.rand(BIG, device=d), RuntimeError, r"bytes|memory"),
    Case("randn: a huge size (2**62)", dev, lambda m, d: m.randn(BIG, device=d), RuntimeError, r"bytes|memory"),
    Case("randint: a huge size (2**62)", dev, lambda m, d: m.randint(0, 5, (BIG,), device=d), RuntimeError,
         r"bytes|memory"),
    Case("empty: a huge size (2**62)", dev, lambda m, d: m.empty(BIG, device=d), RuntimeError, r"bytes|memory"),
    Case("zeros: a huge size (2**62)", dev, lambda m, d: m.zeros(BIG, device=d), RuntimeError, r"bytes|memory"),
    Case("full: a huge size (2**62)", dev, lambda m, d: m.full((BIG,), 1.0, device=d), RuntimeError, r"bytes|memory"),
    Case("full: a value that does not fit int32", dev,
         lambda m, d: m.full((2,), 2 ** 40, dtype=m.int32, device=d), RuntimeError, r"overflow|int32"),
    Case("full: a value that does not fit int8", dev,
         lambda m, d: m.full((2,), 300, dtype=m.int8, device=d), RuntimeError, r"overflow|int8"),
    Case("copy_: source and target overlap", one(4), lambda m, a: a[:3].copy_(a[1:]), RuntimeError,
         r"single memory location"),
    Case("uniform_: from above to", one(3), lambda m, a: a.uniform_(1.0, 0.0), RuntimeError,
         r"uniform_.*from.*to|from <= to"),
    Case("normal: negative std", dev, lambda m, d: m.normal(0.0, -1.0, (3,), device=d), RuntimeError,
         r"normal.*std >= 0.0|std"),
    Case("normal_: negative std", one(3), lambda m, a: a.normal_(0.0, -1.0), RuntimeError, r"normal.*std"),
    Case("normal_: an integer tensor", ints(3), lambda m, a: a.normal_(), NotImplementedError,
         r"normal.*Long|normal_"),
    Case("uniform_: an integer tensor", ints(3), lambda m, a: a.uniform_(), NotImplementedError,
         r"uniform.*Long|uniform_"),
    Case("random_: from not below to", ints(3), lambda m, a: a.random_(5, 2), RuntimeError,
         r"random_ expects 'from' to be less than 'to'"),
]
