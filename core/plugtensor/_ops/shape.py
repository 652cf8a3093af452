"""Shape and layout ops: views that alias their base, and the copies (cat, stack, repeat, to)."""
from __future__ import annotations

from .. import _dtype as D
from .._device import device as _device_cls
from .._plugins import get_context
from .._tensor import _int_arg, _record, _record_multi, _view_of
from ..autograd._node import node_class
from ._common import Tensor, _gm, _make, cast, dims_arg, exporter, no_record, unsupported_dtype, wrap_dim
from .creation import check_alloc, negative_size

_ALL: dict[str, object] = {}


_export = exporter(_ALL, bind_methods=True)


def _shape_args(args, op: str) -> tuple[int, ...]:
    """Accept ``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])``."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    out = []
    for a in args:
        if isinstance(a, Tensor):
            a = a.item()
        if not isinstance(a, int) or isinstance(a, bool):
            raise TypeError(f"{op}(): argument 'size' must be tuple of ints, but found element of type "
                            f"{type(a).__name__}")
        out.append(int(a))
    return tuple(out)


def _infer_size(shape: tuple[int, ...], numel: int, op: str) -> tuple[int, ...]:
    """Resolve one -1 in ``shape`` against ``numel``, with PyTorch's errors."""
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    for i, s in enumerate(shape):
        if s < -1:
            raise RuntimeError(f"{op}: invalid shape dimension {s} at index {i} of shape {list(shape)}")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if neg:
        if known == 0 and numel == 0:
            raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {list(shape)} because the "
                               f"unspecified dimension size -1 can be any value and is ambiguous")
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = shape[:neg[0]] + (numel // known,) + shape[neg[0] + 1:]
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def _view_node(name: str, grad):
    cls = node_class(name)

    def backward(node, g):
        return (grad(g, node.ctx),)
    return cls, backward


_VIEW = _view_node("ViewBackward0", lambda g, shape: g.reshape(shape))
_UNSAFE_VIEW = _view_node("UnsafeViewBackward0", lambda g, shape: g.reshape(shape))
_SQUEEZE0 = _view_node("SqueezeBackward0", lambda g, shape: g.reshape(shape))
_SQUEEZE1 = _view_node("SqueezeBackward1", lambda g, shape: g.reshape(shape))
_SQUEEZE2 = _view_node("SqueezeBackward2", lambda g, shape: g.reshape(shape))
_UNSQUEEZE = _view_node("UnsqueezeBackward0", lambda g, dim: g.squeeze(dim))
_PERMUTE = _view_node("PermuteBackward0", lambda g, inv: g.permute(inv))
_TRANSPOSE = _view_node("TransposeBackward0", lambda g, dims: g.transpose(*dims))
_T = _view_node("TBackward0", lambda g, _: g.t())
_EXPAND = _view_node("ExpandBackward0", lambda g, _: g)  # the engine sums the broadcast dims
_CLONE = _view_node("CloneBackward0", lambda g, _: g)
_ALIAS = _view_node("AliasBackward0", lambda g, _: g)
_FLIP = _view_node("FlipBackward0", lambda g, dims: g.flip(dims))


def _view_result(t: Tensor, data, node, ctx) -> Tensor:
    out = _view_of(t, data)
    if _gm.enabled and t._rg:
        _record(node[0], node[1], (t,), out, (), ctx)
    return out


def view(self: Tensor, *shape) -> Tensor:
    """A view with a new shape (one dim may be -1); raises when the strides do not allow a view."""
    if len(shape) == 1 and isinstance(shape[0], D.dtype):
        if shape[0] is self._dtype:
            return _view_result(self, self._data, _ALIAS, None)
        raise RuntimeError("view(dtype): reinterpreting a tensor as another dtype is not supported by plugtensor")
    shape = _infer_size(_shape_args(shape, "view"), self.numel(), "view")
    data = self._ctx.backend.reshape_view(self._data, shape)
    if data is None:
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at least one dimension "
                           "spans across two contiguous subspaces). Use .reshape(...) instead.")
    return _view_result(self, data, _VIEW, self._data.shape)


def reshape(input: Tensor, *shape) -> Tensor:
    """Like ``view`` when possible, else a contiguous copy with the new shape."""
    shape = _infer_size(_shape_args(shape, "reshape"), input.numel(), "reshape")
    data = input._ctx.backend.reshape_view(input._data, shape)
    if data is not None:
        return _view_result(input, data, _VIEW, input._data.shape)
    c = input._ctx.K["contiguous"](input._data)
    res = _make(input._ctx.backend.reshape_view(c, shape), input._dtype, input._ctx)
    if _gm.enabled and input._rg:
        _record(_UNSAFE_VIEW[0], _UNSAFE_VIEW[1], (input,), res, (), input._data.shape)
    return res


def view_as(self: Tensor, other: Tensor) -> Tensor:
    return view(self, other._data.shape)


def reshape_as(self: Tensor, other: Tensor) -> Tensor:
    return reshape(self, other._data.shape)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims ``start_dim..end_dim`` into one (a view when possible)."""
    nd = input._data.ndim
    if nd == 0:
        wrap_dim(start_dim, 0, "flatten"), wrap_dim(end_dim, 0, "flatten")
        return reshape(input, (1,))
    s, e = wrap_dim(start_dim, nd, "flatten"), wrap_dim(end_dim, nd, "flatten")
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    sh = input._data.shape
    n = 1
    for d in sh[s:e + 1]:
        n *= d
    return reshape(input, sh[:s] + (n,) + sh[e + 1:])


def unflatten(input: Tensor, dim: int, sizes) -> Tensor:
    d = wrap_dim(dim, input._data.ndim, "unflatten")
    sh = input._data.shape
    sizes = tuple(sizes)
    known = 1
    for k in sizes:
        known *= k
    if -1 not in sizes and known != sh[d]:
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {d} "
                           f"({sh[d]}) in the input tensor")
    sizes = _infer_size(sizes, sh[d], "unflatten")
    return view(input, sh[:d] + sizes + sh[d + 1:])


def squeeze(input: Tensor, dim=None) -> Tensor:
    """Remove size-1 dims (all, one, or a tuple of them)."""
    sh = input._data.shape
    if dim is None:
        node, dims = _SQUEEZE0, [i for i, s in enumerate(sh) if s == 1]
    else:
        node = _SQUEEZE2 if isinstance(dim, (tuple, list)) else _SQUEEZE1
        dims = [d for d in dims_arg(dim, len(sh), "squeeze") if len(sh) and sh[d] == 1]
    # index 0 of each squeezed dim: the other dims keep their strides exactly (a reshape would recompute
    # the strides of the remaining size-1 dims, which PyTorch does not)
    key = tuple(0 if i in dims else slice(None) for i in range(len(sh)))
    return _view_result(input, input._ctx.backend.basic_index(input._data, key), node, sh)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Insert a size-1 dim at ``dim``."""
    nd = input._data.ndim
    d = wrap_dim(dim, nd + 1, "unsqueeze")
    sh = input._data.shape
    return _view_result(input, input._ctx.backend.basic_index(input._data, (slice(None),) * d + (None,)),
                        _UNSQUEEZE, d)


def permute(input: Tensor, *dims) -> Tensor:
    """A view with the dims reordered."""
    dims = _shape_args(dims, "permute")
    nd = input._data.ndim
    if len(dims) != nd:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
                           f"length of the desired ordering of dimensions i.e. input.dim() = {nd} is not equal to "
                           f"len(dims) = {len(dims)}")
    dims = tuple(wrap_dim(d, nd, "permute") for d in dims)
    if len(set(dims)) != nd:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    inv = [0] * nd
    for i, d in enumerate(dims):
        inv[d] = i
    return _view_result(input, input._ctx.backend.permute(input._data, dims), _PERMUTE, tuple(inv))


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """A view with ``dim0`` and ``dim1`` swapped."""
    nd = input._data.ndim
    if nd == 0:
        wrap_dim(dim0, 0, "transpose"), wrap_dim(dim1, 0, "transpose")
        return _view_result(input, input._data, _TRANSPOSE, (0, 0))
    a, b = wrap_dim(dim0, nd, "transpose"), wrap_dim(dim1, nd, "transpose")
    axes = list(range(nd))
    axes[a], axes[b] = b, a
    return _view_result(input, input._ctx.backend.permute(input._data, axes), _TRANSPOSE, (a, b))


def t(input: Tensor) -> Tensor:
    """Transpose of a tensor of at most 2 dims."""
    nd = input._data.ndim
    if nd > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {nd}D")
    if nd < 2:
        return _view_result(input, input._data, _T, None)
    return _view_result(input, input._ctx.backend.permute(input._data, (1, 0)), _T, None)


def movedim(input: Tensor, source, destination) -> Tensor:
    """A view with the dims ``source`` moved to positions ``destination`` (ints or sequences)."""
    if isinstance(source, (list, tuple)) != isinstance(destination, (list, tuple)):
        raise TypeError(f"movedim() received an invalid combination of arguments: source and destination must "
                        f"both be ints or both be tuples of ints, got {type(source).__name__} and "
                        f"{type(destination).__name__}")
    nd = input._data.ndim
    src = [wrap_dim(d, nd, "movedim") for d in (source if isinstance(source, (list, tuple)) else [source])]
    dst = [wrap_dim(d, nd, "movedim") for d in (destination if isinstance(destination, (list, tuple))
                                                else [destination])]
    for name, ds in (("source", src), ("destination", dst)):
        if len(set(ds)) != len(ds):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({ds})")
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({src} dims) should contain the "
                           f"same number of dims as destination ({dst} dims)")
    order = [d for d in range(nd) if d not in src]
    for s, d in sorted(zip(dst, src)):
        order.insert(s, d)
    return permute(input, order)


def expand(input: Tensor, *sizes) -> Tensor:
    """A broadcast view with ``sizes`` (-1 keeps a dim); writing into it is refused."""
    sizes = _shape_args(sizes, "expand")
    sh = input._data.shape
    if len(sizes) < len(sh):
        raise RuntimeError(f"expand(torch.FloatTensor{{{list(sh)}}}, size={list(sizes)}): the number of sizes "
                           f"provided ({len(sizes)}) must be greater or equal to the number of dimensions in the "
                           f"tensor ({len(sh)})")
    lead = len(sizes) - len(sh)
    target = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"expand: The expanded size of the tensor ({s}) isn't allowed in a leading, "
                                   f"non-existing dimension {i}")
            target.append(s)
            continue
        cur = sh[i - lead]
        if s == -1:
            s = cur
        elif s < 0:
            raise RuntimeError(f"expand: The expanded size of the tensor ({s}) isn't allowed: a size is -1 (keep "
                               f"the dimension) or non-negative, at dimension {i}.  Target sizes: {list(sizes)}.  "
                               f"Tensor sizes: {list(sh)}")
        if cur != s and cur != 1:
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing size ({cur}) at "
                               f"non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: "
                               f"{list(sh)}")
        target.append(s)
    target = tuple(target)
    if target == sh:
        return _view_result(input, input._data, _EXPAND, None)
    try:
        data = input._ctx.backend.expand(input._data, target)
    except (ValueError, MemoryError, OverflowError) as exc:  # NumPy: "array is too big" (PyTorch has a view)
        raise RuntimeError(f"expand: the '{input._ctx.backend.name}' backend cannot make a view of sizes "
                           f"{list(target)} ({type(exc).__name__}: {exc})") from exc
    return _view_result(input, data, _EXPAND, None)


def expand_to(input: Tensor, shape: tuple) -> Tensor:
    """``input.expand(shape)`` for a shape known to be valid (a reduced gradient going back to its
    input's shape): no argument parsing or checks."""
    if input._data.shape == shape:
        return input
    return _view_result(input, input._ctx.backend.expand(input._data, shape), _EXPAND, None)


def expand_as(input: Tensor, other: Tensor) -> Tensor:
    return expand(input, other._data.shape)


def broadcast_to(input: Tensor, size) -> Tensor:
    return expand(input, tuple(size))


def clone(input: Tensor, *, memory_format=None) -> Tensor:
    """A copy with its own storage that keeps the input's memory layout (PyTorch's preserve_format)."""
    ctx = input._ctx
    if input.is_contiguous():
        data = ctx.K["clone"](input._data)
    else:
        b = ctx.backend
        shape = input._data.shape
        check_alloc(ctx, shape, input._dtype, "clone")  # an expanded view may be larger than any device
        perm = _dense_perm(shape, b.strides(input._data))  # innermost dim first
        buf = b.empty(tuple(shape[d] for d in reversed(perm)), input._dtype, ctx.index)
        inv = [0] * len(perm)
        for i, d in enumerate(reversed(perm)):
            inv[d] = i
        data = ctx.K["copy_"](b.permute(buf, inv), input._data)
    res = _make(data, input._dtype, ctx)
    if _gm.enabled and input._rg:
        _record(_CLONE[0], _CLONE[1], (input,), res)
    return res


def _dense_perm(shape, strides) -> list[int]:
    """The dims ordered from innermost to outermost as PyTorch lays out a copy that keeps the layout.

    A stable insertion sort by stride (ties: the smaller size goes inner); dims of stride 0 stay where a
    contiguous tensor has them (PyTorch's infer_dense_strides, shared with TensorIterator)."""
    perm = list(range(len(shape) - 1, -1, -1))

    def should_swap(d0: int, d1: int) -> int:
        s0, s1 = strides[d0], strides[d1]
        if s0 == 0 or s1 == 0:
            return 0
        if s0 != s1:
            return -1 if s0 < s1 else 1
        return 1 if shape[d0] > shape[d1] else 0

    for i in range(1, len(perm)):
        d1 = i
        for d0 in range(i - 1, -1, -1):
            c = should_swap(perm[d0], perm[d1])
            if c > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif c < 0:
                break
    return perm


def contiguous(input: Tensor, memory_format=None) -> Tensor:
    """Self when already contiguous, else a C-contiguous copy."""
    if input.is_contiguous():
        return input
    check_alloc(input._ctx, input._data.shape, input._dtype, "contiguous")
    res = _make(input._ctx.K["contiguous"](input._data), input._dtype, input._ctx)
    if _gm.enabled and input._rg:
        _record(_CLONE[0], _CLONE[1], (input,), res)
    return res


def flip(input: Tensor, *dims) -> Tensor:
    """A copy with the order of elements along ``dims`` reversed (``flip(x, (0, 1))`` or ``x.flip(0, 1)``)."""
    dims = dims[0] if len(dims) == 1 else dims
    dims = dims_arg(tuple(dims) if isinstance(dims, (list, tuple)) else dims, input._data.ndim, "flip")
    res = _make(input._ctx.K["flip"](input._data, dims), input._dtype, input._ctx)
    if _gm.enabled and input._rg:
        _record(_FLIP[0], _FLIP[1], (input,), res, (), dims)
    return res


_CAT = node_class("CatBackward0")
_STACK = node_class("StackBackward0")
_REPEAT = node_class("RepeatBackward0")


def cat(tensors, dim: int = 0, *, out=None) -> Tensor:
    """Concatenate tensors along an existing dim (1-D empty tensors are skipped, as in PyTorch)."""
    if isinstance(tensors, Tensor):
        raise TypeError("cat(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor")
    tensors = list(tensors)
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    for i, x in enumerate(tensors):
        if not isinstance(x, Tensor):
            raise TypeError(f"cat(): argument 'tensors' (position 1) must be tuple of Tensors, not "
                            f"{type(x).__name__}")
    parts = [x for x in tensors if not (x._data.ndim == 1 and x._data.shape[0] == 0)] or tensors[:1]
    ref = parts[0]
    nd = ref._data.ndim
    if nd == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    d = wrap_dim(dim, nd, "cat")
    ctx = ref._ctx
    dt = ref._dtype
    for x in parts[1:]:
        if x._ctx is not ctx:
            from ._common import same_ctx
            same_ctx(ref, x, "cat")
        dt = D.promote_types(dt, x._dtype)
    for i, x in enumerate(parts):
        if x._data.ndim != nd:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {nd} and {x._data.ndim}")
        for j in range(nd):
            if j != d and x._data.shape[j] != ref._data.shape[j]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. Expected size "
                                   f"{ref._data.shape[j]} but got size {x._data.shape[j]} for tensor number {i} in "
                                   f"the list.")
    data = ctx.K["concatenate"]([cast(x, dt) for x in parts], d)
    res = _make(data, dt, ctx)
    if not res.is_contiguous():  # NumPy follows the inputs' layout; PyTorch's cat result is contiguous
        res._data = ctx.K["contiguous"](data)
    if _gm.enabled and any(x._rg for x in parts):
        _record(_CAT, _cat_backward, parts, res, (), (d, [x._data.shape[d] for x in parts]))
    if out is not None:
        from ._common import write_out
        return write_out(out, res, "cat")
    return res


def _cat_backward(node, g):
    d, sizes = node.ctx
    grads, start = [], 0
    for i, n in enumerate(sizes):
        grads.append(g.narrow(d, start, n) if node.needs_input_grad(i) else None)
        start += n
    return tuple(grads)


def stack(tensors, dim: int = 0, *, out=None) -> Tensor:
    """Join same-shaped tensors along a new dim."""
    if isinstance(tensors, Tensor):
        raise TypeError("stack(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor")
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = tensors[0]._data.shape
    for i, x in enumerate(tensors):
        if x._data.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 and "
                               f"{list(x._data.shape)} at entry {i}")
    d = wrap_dim(dim, len(shape) + 1, "stack")
    with no_record():
        res = cat([unsqueeze(x, d) for x in tensors], d)
    if _gm.enabled and any(x._rg for x in tensors):
        _record(_STACK, _stack_backward, tensors, res, (), d)
    if out is not None:
        from ._common import write_out
        return write_out(out, res, "stack")
    return res


def _stack_backward(node, g):
    return tuple(g.select(node.ctx, i) if node.needs_input_grad(i) else None for i in range(len(node.next_functions)))


def hstack(tensors) -> Tensor:
    tensors = [atleast_1d(x) for x in tensors]
    return cat(tensors, 0 if tensors[0]._data.ndim == 1 else 1)


def vstack(tensors) -> Tensor:
    return cat([x.reshape(1, -1) if x._data.ndim < 2 else x for x in tensors], 0)


def atleast_1d(x: Tensor) -> Tensor:
    return x.reshape(1) if x._data.ndim == 0 else x


_SPLIT = node_class("SplitBackward0")
_SPLIT_SIZES = node_class("SplitWithSizesBackward0")
_UNBIND = node_class("UnbindBackward0")


def _multi_views(input: Tensor, pieces: list, cls, ctx) -> tuple:
    outs = [_view_of(input, p) for p in pieces]
    if _gm.enabled and input._rg:
        _record_multi(cls, _pieces_backward, (input,), outs, (), ctx)
    return tuple(outs)


def _pieces_backward(node, *grads):
    kind, d, sizes, shape = node.ctx[:4]
    full = []
    for g, n in zip(grads, sizes):
        if g is None:  # an unused output: its part of the input gets a zero gradient
            sh = list(shape)
            sh[d] = n
            g = _zeros(node, sh)
        elif kind == "unbind":
            g = g.unsqueeze(d)
        full.append(g)
    return (cat(full, d),)


def _zeros(node, shape):
    from .creation import zeros
    ref = node.ctx[4] if len(node.ctx) > 4 else None
    return zeros(shape, dtype=ref[0], device=ref[1]) if ref else zeros(shape)


def split(tensor: Tensor, split_size_or_sections, dim: int = 0) -> tuple:
    """Split into chunks of ``split_size`` (the last may be smaller) or of the given sizes (views)."""
    d = wrap_dim(dim, tensor._data.ndim, "split")
    n = tensor._data.shape[d]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0 and n:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
        sizes = [min(step, n - s) for s in range(0, n, step)] if step else [0]
        cls = _SPLIT
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at "
                               f"dimension {d}), but got split_sizes={sizes}")
        cls = _SPLIT_SIZES
    pieces, start = [], 0
    b = tensor._ctx.backend
    for s in sizes:
        pieces.append(b.basic_index(tensor._data, (slice(None),) * d + (slice(start, start + s),)))
        start += s
    return _multi_views(tensor, pieces, cls, ("split", d, sizes, tensor._data.shape,
                                              (tensor._dtype, tensor._ctx.device)))


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    """Split into ``chunks`` pieces of (almost) equal size."""
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    d = wrap_dim(dim, input._data.ndim, "chunk")
    n = input._data.shape[d]
    step = max(1, -(-n // chunks))
    return split(input, step, d)


def unbind(input: Tensor, dim: int = 0) -> tuple:
    """The slices along ``dim``, as views without that dim."""
    d = wrap_dim(dim, input._data.ndim, "unbind")
    n = input._data.shape[d]
    b = input._ctx.backend
    pieces = [b.basic_index(input._data, (slice(None),) * d + (i,)) for i in range(n)]
    return _multi_views(input, pieces, _UNBIND, ("unbind", d, [1] * n, input._data.shape,
                                                 (input._dtype, input._ctx.device)))


def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """The view of ``length`` elements along ``dim`` from ``start``."""
    d = wrap_dim(dim, input._data.ndim, "narrow")
    n = input._data.shape[d]
    if start.__class__ is not int or length.__class__ is not int:
        start, length = _int_arg(start, "narrow", "start"), _int_arg(length, "narrow", "length")
    if not -n <= start <= n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got {start})")
    if start < 0:
        start += n
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if not 0 <= start <= n or start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return input[(slice(None),) * d + (slice(start, start + length),)]


def select(input: Tensor, dim: int, index: int) -> Tensor:
    d = wrap_dim(dim, input._data.ndim, "select")
    if index.__class__ is not int:
        index = _int_arg(index, "select", "index")
    if not input._data.ndim:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    n = input._data.shape[d]
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(input._data.shape)} at "
                         f"dimension {d}")
    return input[(slice(None),) * d + (index,)]



def repeat(input: Tensor, *sizes) -> Tensor:
    """Tile the tensor ``sizes[i]`` times along each dim (a copy)."""
    sizes = _shape_args(sizes, "repeat")
    sh = input._data.shape
    if len(sizes) < len(sh):
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of "
                           "tensor")
    lead = len(sizes) - len(sh)
    src = (1,) * lead + sh
    out = [r * s for r, s in zip(sizes, src)]
    for n in out:
        if n < 0:
            raise negative_size("repeat", n, out)
    sizes = tuple(max(r, 0) for r in sizes)  # a negative count of an empty dim gives an empty dim
    check_alloc(input._ctx, out, input._dtype, "repeat")
    # Broadcast a (1, s0, 1, s1, ...) view to (r0, s0, r1, s1, ...) and merge pairs: one copy.
    inter, target = [], []
    for r, s in zip(sizes, src):
        inter += [1, s]
        target += [r, s]
    with no_record():
        x = reshape(input, tuple(inter))
        res = reshape(expand(x, tuple(target)), tuple(r * s for r, s in zip(sizes, src)))
    if res._base is not None:  # every repeat count was 1: reshape returned a view, but repeat copies
        res = _make(input._ctx.K["clone"](res._data), input._dtype, input._ctx)
    if _gm.enabled and input._rg:
        _record(_REPEAT, _repeat_backward, (input,), res, (), (sizes, src, sh))
    return res


def _repeat_backward(node, g):
    sizes, src, sh = node.ctx
    inter = []
    for r, s in zip(sizes, src):
        inter += [r, s]
    g = g.reshape(inter).sum(tuple(range(0, len(inter), 2)))
    return (g.reshape(sh),)


def tile(input: Tensor, dims) -> Tensor:
    dims = tuple(dims)
    return repeat(input, (1,) * (input._data.ndim - len(dims)) + dims)


# ---------------------------------------------------------------------------------------------------
# dtype and device conversion
# ---------------------------------------------------------------------------------------------------
_TO_COPY = node_class("ToCopyBackward0")


def _parse_to(args, kwargs):
    dev = kwargs.pop("device", None)
    dt = kwargs.pop("dtype", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got an unexpected keyword argument '{next(iter(kwargs))}'")
    if dt is not None and not isinstance(dt, D.dtype):
        raise TypeError(f"to(): argument 'dtype' must be plugtensor.dtype, not {type(dt).__name__}")
    for a in args:
        if isinstance(a, D.dtype):
            dt = a
        elif isinstance(a, Tensor):
            dev, dt = a._ctx.device, a._dtype
        elif isinstance(a, (str, _device_cls)):
            dev = a
        elif isinstance(a, bool):
            pass  # non_blocking / copy positional flags
        elif isinstance(a, int):
            raise RuntimeError("to(): an integer device index is ambiguous in plugtensor; pass a device string")
        elif a is not None:
            raise TypeError(f"to() received an invalid combination of arguments: got {type(a).__name__}")
    return dev, dt, copy


def to(self: Tensor, *args, **kwargs) -> Tensor:
    """Convert dtype and/or move to a device: ``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)``."""
    dev, dt, copy = _parse_to(args, dict(kwargs))
    ctx = self._ctx if dev is None else get_context(dev)
    dt = self._dtype if dt is None else dt
    if ctx is self._ctx and dt is self._dtype and not copy:
        return self
    if dt not in ctx.dtypes:
        raise unsupported_dtype(ctx, dt)
    if ctx is self._ctx:
        data = ctx.K["astype"](self._data, dt)
    else:
        data = _transfer(self, ctx, dt)
    res = _make(data, dt, ctx)
    if _gm.enabled and self._rg and dt.is_floating_point:
        _record(_TO_COPY, _to_backward, (self,), res, (), (self._dtype, self._ctx.device))
    return res


def _to_backward(node, g):
    dt, dev = node.ctx
    return (g.to(dev, dt),)


def _transfer(t: Tensor, ctx, dt):
    """Copy ``t`` to another device: host memory in between (DLPack would avoid it where supported)."""
    if not t._ctx.backend.host_memory:
        t._check_host_copy("to")
    check_alloc(ctx, t._data.shape, dt, "to")
    host = t._ctx.backend.to_host(t._data)
    if t._dtype is not dt:
        import numpy as np
        host = host.astype(np.dtype(dt.name))
    return ctx.backend.from_host(host, dt, ctx.index)


def _cast_method(dt):
    def m(self: Tensor, memory_format=None) -> Tensor:
        return to(self, dt)
    return m


for _name, _dt in (("float", D.float32), ("double", D.float64), ("half", D.float16), ("int", D.int32),
                   ("long", D.int64), ("short", D.int16), ("char", D.int8), ("byte", D.uint8), ("bool", D.bool)):
    _m = _cast_method(_dt)
    _m.__name__ = _name
    setattr(Tensor, _name, _m)


def cpu(self: Tensor) -> Tensor:
    return to(self, "cpu")


def cuda(self: Tensor, device=None, non_blocking: bool = False) -> Tensor:
    if isinstance(device, int):
        device = f"cuda:{device}"
    return to(self, device or "cuda")


def type_as(self: Tensor, other: Tensor) -> Tensor:
    return to(self, other._dtype)


for _fn in (view, reshape, view_as, reshape_as, flatten, unflatten, squeeze, unsqueeze, permute, transpose, t, movedim,
            expand, expand_as, broadcast_to, clone, contiguous, flip, cat, stack, hstack, vstack, split, chunk, unbind,
            narrow, select, repeat, tile, to, cpu, cuda, type_as, atleast_1d):
    _export(_fn)
_ALL.update(concat=cat, concatenate=cat, swapaxes=transpose, swapdims=transpose, moveaxis=movedim)
Tensor.swapaxes = Tensor.swapdims = transpose
Tensor.moveaxis = movedim
for _name in ("cat", "stack", "hstack", "vstack"):
    delattr(Tensor, _name)
Tensor.T = property(lambda self: permute(self, tuple(range(self._data.ndim - 1, -1, -1))))
Tensor.mT = property(lambda self: transpose(self, -2, -1))


def _inplace_view(fn):
    def m(self: Tensor, *args) -> Tensor:
        if _gm.enabled and self._rg:
            raise RuntimeError(f"{fn.__name__}_(): in-place shape changes of a tensor that requires grad are not "
                               f"supported by plugtensor; use {fn.__name__}() instead")
        self._data = fn(self, *args)._data
        return self
    m.__name__ = fn.__name__ + "_"
    return m


for _fn in (t, transpose, squeeze, unsqueeze):
    setattr(Tensor, _fn.__name__ + "_", _inplace_view(_fn))
for _name in ("view", "view_as", "reshape_as", "expand", "expand_as", "contiguous", "repeat", "to", "cpu", "cuda",
              "type_as"):
    del _ALL[_name]  # methods only, as in PyTorch
