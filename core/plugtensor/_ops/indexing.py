"""Indexing: ``t[key]`` (views for basic keys, copies for advanced ones), ``t[key] = v``, gather and
friends, with PyTorch's bounds errors."""
from __future__ import annotations

import numpy as np

from .. import _dtype as D
from .._tensor import _record, _view_of
from ..autograd._node import node_class
from ._common import (Tensor, _gm, _make, broadcasts_to, cast, check_inplace, exporter, fit_int_scalar, no_record,
                      scalar, scatter_back, tensor_args, type_word, wrap_dim, write_through)
from .creation import check_value

_ALL: dict[str, object] = {}


_export = exporter(_ALL, bind_methods=True)


def _to_index_tensor(k, like: Tensor) -> Tensor:
    from .creation import tensor
    t = tensor(k, device=like._ctx.device)
    if t._dtype.kind == D.FLOAT:
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    return t


def _normalize(key, t: Tensor):
    """Expand ``key`` to a tuple over all dims: (items, basic?) where items are int/slice/None/Tensor."""
    if not isinstance(key, tuple):
        key = (key,)
    items = []
    for k in key:
        if isinstance(k, Tensor):
            if k._dtype.kind == D.FLOAT:
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            if k._ctx is not t._ctx:  # as in PyTorch, cpu indices may index a tensor on any device
                if k.device.type != "cpu":
                    raise RuntimeError(f"indices should be either on cpu or on the same device as the indexed "
                                       f"tensor ({t.device})")
                k = k.to(t.device)
            items.append(k)
        elif isinstance(k, (list, np.ndarray)):
            items.append(_to_index_tensor(k, t))
        elif isinstance(k, bool):
            items.append(_to_index_tensor(k, t))
        elif isinstance(k, (int, np.integer)):
            items.append(int(k))
        elif k is None or k is Ellipsis or isinstance(k, slice):
            items.append(k)
        elif isinstance(k, str):
            raise TypeError(f"invalid index of type str ({k!r}): only integers, slices (`:`), ellipsis (`...`), None "
                            f"and long or byte Variables are valid indices")
        else:
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
                             "valid indices (got " + type(k).__name__ + ")")
    consumed = sum(1 if not isinstance(k, Tensor) else max(k._data.ndim, 1) if k._dtype is D.bool else 1
                   for k in items if k is not None and k is not Ellipsis)
    nd = t._data.ndim
    # identity tests: `in`/count/index would compare tensor items with == (an elementwise op)
    ellipses = [i for i, k in enumerate(items) if k is Ellipsis]
    if consumed > nd:
        raise IndexError(f"too many indices for tensor of dimension {nd}")
    if ellipses:
        # PyTorch expands the first ellipsis over the dims left over and lets any further one match nothing
        for i in reversed(ellipses[1:]):
            del items[i]
        i = ellipses[0]
        items[i:i + 1] = [slice(None)] * (nd - consumed)
    basic = True
    dim = 0
    out = []
    shape = t._data.shape
    _check_broadcast_indices(items)
    for k in items:
        if k is None:
            out.append(None)
            continue
        if isinstance(k, Tensor):
            basic = False
            if k._dtype is D.bool:
                for j in range(max(k._data.ndim, 1)):
                    if k._data.ndim and k._data.shape[j] != shape[dim + j]:
                        raise IndexError(f"The shape of the mask {list(k.shape)} at index {j} does not match the "
                                         f"shape of the indexed tensor {list(shape)} at index {dim + j}")
                dim += k._data.ndim
            else:
                n = shape[dim]
                if k.numel():
                    lo, hi = int(k.min().item()), int(k.max().item())
                    if hi >= n or lo < -n:
                        bad = hi if hi >= n else lo
                        raise IndexError(f"index {bad} is out of bounds for dimension {dim} with size {n}")
                dim += 1
            out.append(k)
            continue
        if isinstance(k, int):
            n = shape[dim]
            if not -n <= k < n:
                raise IndexError(f"index {k} is out of bounds for dimension {dim} with size {n}")
            out.append(k + n if k < 0 else k)
        else:
            if k.step is not None and k.step <= 0:
                raise ValueError("step must be greater than zero")
            out.append(slice(*k.indices(shape[dim])) if k != slice(None) else k)
        dim += 1
    return tuple(out), basic


def _check_broadcast_indices(items) -> None:
    """PyTorch's IndexError for integer index tensors whose shapes do not broadcast together (bool
    masks take part with their count of True values, known to the kernel only)."""
    shapes = [k._data.shape for k in items if isinstance(k, Tensor)]
    if len(shapes) < 2 or any(k._dtype is D.bool for k in items if isinstance(k, Tensor)):
        return
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        raise IndexError(f"shape mismatch: indexing tensors could not be broadcast together with shapes "
                         f"{', '.join(str(list(sh)) for sh in shapes)}") from None


def _put_error(ctx, target, akey, value, op: str, exc: BaseException) -> Exception:
    """The error for an index_put kernel that refused its arguments: PyTorch's shape mismatch when the
    value does not broadcast to the indexing result, else a kernel failure naming the op (never the
    backend's own exception)."""
    from ._common import kernel_failure
    vshape = tuple(getattr(value, "shape", ()))
    try:
        rshape = tuple(ctx.backend.shape(ctx.K["index"](target, _arrays(akey))))
        np.broadcast_shapes(vshape, rshape)
    except ValueError:
        return RuntimeError(f"shape mismatch: value tensor of shape {list(vshape)} cannot be broadcast to indexing "
                            f"result of shape {list(rshape)}")
    except Exception:  # noqa: BLE001 - the index itself is what the kernel refused
        pass
    else:
        if len(vshape) > len(rshape) and any(n != 1 for n in vshape[:len(vshape) - len(rshape)]):
            return RuntimeError(f"shape mismatch: value tensor of shape {list(vshape)} cannot be broadcast to "
                                f"indexing result of shape {list(rshape)}")
    return kernel_failure(ctx, op, exc)


def _node_name(key, shape) -> str:
    """PyTorch's node for a basic key: that of the last op applied that is not a no-op (a full slice is one)."""
    name, dim = "AliasBackward0", 0
    for k in key:
        if k is None:
            name = "UnsqueezeBackward0"
            continue
        if isinstance(k, int):
            name = "SelectBackward0"
        elif k.indices(shape[dim]) != (0, shape[dim], 1):
            name = "SliceBackward0"
        dim += 1
    return name


def _arrays(key):
    return tuple(k._data if isinstance(k, Tensor) else k for k in key)


_INDEX = node_class("IndexBackward0")
_SELECT = node_class("SelectBackward0")
_SLICE = node_class("SliceBackward0")
_ALIAS = node_class("AliasBackward0")
_UNSQUEEZE = node_class("UnsqueezeBackward0")


def getitem(self: Tensor, key) -> Tensor:
    """``self[key]``: a view for ints, slices, None and ``...``; a copy when tensors or lists index."""
    if key.__class__ is int and self._data.ndim:  # fast path: x[i]
        n = self._data.shape[0]
        if not -n <= key < n:
            raise IndexError(f"index {key} is out of bounds for dimension 0 with size {n}")
        out = _view_of(self, self._ctx.backend.basic_index(self._data, (key if key >= 0 else key + n,)))
        if _gm.enabled and self._rg:
            _record(_SELECT, _basic_backward, (self,), out, (), (self._data.shape, (key,)))
        return out
    if key.__class__ is tuple:  # fast path: ints, slices and None only
        shape = self._data.shape
        nk = []
        rec = _gm.enabled and self._rg
        node = _ALIAS  # PyTorch names the node after the last select or non-full slice (as _node_name)
        d = -1  # the dim the next int or slice applies to (None inserts a dim, consuming none)
        for k in key:
            c = k.__class__
            if k is None:
                nk.append(None)
                node = _UNSQUEEZE
                continue
            d += 1
            if d >= len(shape):
                break  # too many indices: the general path raises PyTorch's IndexError
            if c is int:
                n = shape[d]
                if not -n <= k < n:
                    raise IndexError(f"index {k} is out of bounds for dimension {d} with size {n}")
                nk.append(k + n if k < 0 else k)
                node = _SELECT
            elif c is slice:
                if k.step is not None and k.step <= 0:
                    raise ValueError("step must be greater than zero")
                nk.append(k)
                if rec and k.indices(shape[d]) != (0, shape[d], 1):
                    node = _SLICE
            else:
                break
        else:
            nkey = tuple(nk)
            out = _view_of(self, self._ctx.backend.basic_index(self._data, nkey))
            if rec:
                _record(node, _basic_backward, (self,), out, (), (shape, nkey))
            return out
    if self._data.ndim == 0 and key is not None and key is not Ellipsis and not isinstance(key, (Tensor, tuple)):
        raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in "
                         "C++ to convert a 0-dim tensor to a number")
    nkey, basic = _normalize(key, self)
    if basic:
        out = _view_of(self, self._ctx.backend.basic_index(self._data, nkey))
        if _gm.enabled and self._rg:
            # a bare slice (x[a:b]) always records a slice in PyTorch, even when it covers the whole dim
            name = "SliceBackward0" if key.__class__ is slice else _node_name(nkey, self._data.shape)
            _record(node_class(name), _basic_backward, (self,), out, (), (self._data.shape, nkey))
        return out
    split = _split_advanced(nkey)
    if split is not None:
        return getitem(getitem(self, split[0]), split[1])
    out = _make(self._ctx.K["index"](self._data, _arrays(nkey)), self._dtype, self._ctx)
    if not out.is_contiguous():  # NumPy may return a transposed buffer; PyTorch's result is row-major
        out._data = self._ctx.K["contiguous"](out._data)
    if _gm.enabled and self._rg:
        _record(_INDEX, _index_backward, (self,), out, (), (self._data.shape, nkey))
    return out


def _split_advanced(nkey: tuple):
    """(basic key, advanced key) for a key mixing index tensors with ints, slices or None, else None.

    PyTorch applies the ints, slices and Nones first (a view) and then indexes that view with the
    tensors, so an int never counts as an advanced index (``x[1, :, idx]`` keeps ``idx``'s dim last,
    where NumPy would move it first)."""
    if all(isinstance(k, Tensor) or (isinstance(k, slice) and k == slice(None)) for k in nkey):
        return None
    bkey, akey = [], []
    for k in nkey:
        if isinstance(k, Tensor):
            bkey += [slice(None)] * (k._data.ndim if k._dtype is D.bool else 1)
            akey.append(k)
        elif isinstance(k, int):
            bkey.append(k)
        else:  # a slice or None: the dim stays in the view
            bkey.append(k)
            akey.append(slice(None))
    return tuple(bkey), tuple(akey)


def _basic_backward(node, g):
    shape, key = node.ctx
    z = g.new_zeros(shape)
    z[key] = g
    return (z,)


def _index_backward(node, g):
    shape, key = node.ctx
    return (g.new_zeros(shape).index_put(key, g, accumulate=True),)


_COPY_SLICES = node_class("CopySlices")
_INDEX_PUT = node_class("IndexPutBackward0")


def setitem(self: Tensor, key, value) -> None:
    """``self[key] = value``: writes through to the storage (and to the base of a view)."""
    nkey, basic = _normalize(key, self)
    recording = _gm.enabled and (self._rg or getattr(value, "_rg", False))
    if recording:
        check_inplace(self, "__setitem__")
        edges_from = self.detach()
        edges_from._grad_fn, edges_from._rg, edges_from._out_nr, edges_from._acc = (
            self._grad_fn, self._rg, self._out_nr, self._acc)
    ctx = self._ctx
    if isinstance(value, Tensor):
        if value._ctx is not ctx:
            from ._common import same_ctx
            same_ctx(self, value, "__setitem__")
        v = cast(value, self._dtype)
    else:
        v = _store_scalar(scalar(value, "__setitem__", "value"), self._dtype)
    split = None if basic else _split_advanced(nkey)
    target, akey = (self._data, nkey) if split is None else (ctx.backend.basic_index(self._data, split[0]), split[1])
    try:
        if basic:
            ctx.K["copy_"](ctx.backend.basic_index(self._data, nkey), v)
        else:
            ctx.K["index_put"](target, _arrays(akey), v, False)
    except Exception as exc:  # noqa: BLE001 - translated, never leaked
        if basic:
            dest = ctx.backend.basic_index(self._data, nkey)
            shape = tuple(ctx.backend.shape(dest))
            vshape = tuple(getattr(value, "shape", ()))
            if not broadcasts_to(vshape, shape):
                raise RuntimeError(f"shape mismatch: value tensor of shape {list(vshape)} cannot be broadcast to "
                                   f"indexing result of shape {list(shape)}") from exc
            write_through(ctx, dest, v, "__setitem__", exc)  # e.g. a row of an expanded tensor
        else:
            raise _put_error(ctx, target, akey, value, "__setitem__", exc) from exc
    self._vc[0] += 1
    if recording:
        res = _make(self._data, self._dtype, ctx)
        # PyTorch writes through a basic view first when the key has one: then CopySlices wraps the write
        _record(_COPY_SLICES if basic or split else _INDEX_PUT, _setitem_backward, (edges_from, value), res, (),
                (nkey, isinstance(value, Tensor)))
        self._grad_fn, self._rg, self._out_nr = res._grad_fn, True, 0


def _setitem_backward(node, g):
    key, value_is_tensor = node.ctx
    g_self = None
    if node.needs_input_grad(0):
        g_self = g.clone()
        g_self[key] = 0
    g_value = g[key] if value_is_tensor and node.needs_input_grad(1) else None
    return (g_self, g_value)


Tensor.__getitem__ = getitem
Tensor.__setitem__ = setitem


def _store_scalar(v, dt: D.dtype):
    """A Python number as stored into an integer tensor: PyTorch wraps uint8 values in [-255, 255]
    and refuses anything else outside the dtype's range."""
    if dt.kind != D.INT or v.__class__ is not int:
        return v
    lo, hi = (-255, 255) if dt is D.uint8 else (-(1 << (dt.bits - 1)), (1 << (dt.bits - 1)) - 1)
    if not lo <= v <= hi:
        raise RuntimeError(f"value cannot be converted to type {dt.name}_t without overflow")
    return fit_int_scalar(v, dt)


def index_put(input: Tensor, indices, values, accumulate: bool = False) -> Tensor:
    """A copy of ``input`` with ``values`` written (or added, with ``accumulate``) at ``indices``."""
    nkey, basic = _normalize(_indices_arg(indices, "index_put"), input)
    if values.__class__ is Tensor and values._dtype is not input._dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{type_word(input._dtype)} for the destination and {type_word(values._dtype)} for the "
                           f"source.")
    res = input.clone()
    with no_record():
        v = cast(values, input._dtype) if isinstance(values, Tensor) else \
            _store_scalar(scalar(values, "index_put", "values"), input._dtype)
        try:
            res._ctx.K["index_put"](res._data, _arrays(nkey), v, accumulate)
        except Exception as exc:  # noqa: BLE001 - translated, never leaked
            raise _put_error(res._ctx, res._data, nkey, values, "index_put", exc) from exc
    if _gm.enabled and (input._rg or getattr(values, "_rg", False)):
        res._grad_fn = None
        _record(_INDEX_PUT, _index_put_backward, (input, values), res, (), (nkey, accumulate))
    return res


def _index_put_backward(node, g):
    key, accumulate = node.ctx
    g_self = g
    if not accumulate and node.needs_input_grad(0):
        g_self = g.clone()
        g_self[key] = 0
    return (g_self, g[key] if node.needs_input_grad(1) else None)


def index_put_(self: Tensor, indices, values, accumulate: bool = False) -> Tensor:
    from .elementwise import _apply_inplace
    return _apply_inplace(self, index_put, (_indices_arg(indices, "index_put_"), values), "index_put_",
                          accumulate=accumulate)


def _indices_arg(indices, op: str) -> tuple:
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"{op}(): argument 'indices' (position 1) must be tuple of Tensors, not "
                        f"{type(indices).__name__}")
    return tuple(indices)


_GATHER = node_class("GatherBackward0")
_SCATTER_ADD = node_class("ScatterAddBackward0")
_INDEX_SELECT = node_class("IndexSelectBackward0")
_MASKED_FILL = node_class("MaskedFillBackward0")


def _index_range(index: Tensor) -> tuple[int, int]:
    """The smallest and largest entry of a non-empty integer tensor, from the raw kernels (no tensors
    made, nothing recorded)."""
    ctx, a = index._ctx, index._data
    return (int(ctx.backend.to_host(ctx.K["amin"](a, None, False))),
            int(ctx.backend.to_host(ctx.K["amax"](a, None, False))))


def _check_index(index: Tensor, size: int, dim: int, op: str) -> None:
    if index._dtype is not D.int64:
        raise RuntimeError(f"{op}(): Expected dtype int64 for index")
    if index.numel():
        lo, hi = _index_range(index)
        if lo < 0 or hi >= size:  # unlike t[idx], gather and scatter do not wrap negative indices
            raise RuntimeError(f"index {hi if hi >= size else lo} is out of bounds for dimension {dim} with size "
                               f"{size}")


def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    """``out[i][j] = input[index[i][j]][j]`` for ``dim=0`` (``torch.gather``)."""
    if index.__class__ is not Tensor:
        tensor_args("gather", index=index)
    nd = input._data.ndim
    d = wrap_dim(dim, nd, "gather")
    if index._data.ndim != nd:
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    ishape, sshape = index._data.shape, input._data.shape
    trim = False  # the index is smaller than the input in some other dim: gather from that corner
    for j in range(nd):
        if j != d and ishape[j] != sshape[j]:
            if ishape[j] > sshape[j]:
                raise RuntimeError(f"Size does not match at dimension {j} expected index {list(index.shape)} to be "
                                   f"no larger than self {list(input.shape)} apart from dimension {d}")
            trim = True
    _check_index(index, sshape[d] if nd else 1, d, "gather")
    src = input._data
    if trim:
        src = input._ctx.backend.basic_index(src, tuple(slice(0, index._data.shape[j]) if j != d else slice(None)
                                                        for j in range(nd)))
    res = _make(input._ctx.K["take_along_axis"](src, index._data, d), input._dtype, input._ctx)
    if _gm.enabled and input._rg:
        _record(_GATHER, _gather_backward, (input,), res, (index,), (d, input._data.shape))
    return res


def _gather_backward(node, g):
    (index,) = node.saved_tensors
    d, shape = node.ctx
    return (scatter_back(g, shape, d, index),)


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """A copy of ``input`` with ``src`` added at ``index`` along ``dim`` (``torch.scatter_add``)."""
    d = wrap_dim(dim, input._data.ndim, "scatter_add")
    _check_scatter_shapes(input, d, index, src)
    _check_index(index, input._data.shape[d] if input._data.ndim else 1, d, "scatter_add")
    res = _make(input._ctx.K["clone"](input._data), input._dtype, input._ctx)
    s = src._data
    if index._data.shape != s.shape:
        s = src._ctx.backend.basic_index(s, tuple(slice(0, n) for n in index._data.shape))
    res._ctx.K["scatter_add"](res._data, d, index._data, cast(_make(s, src._dtype, src._ctx), input._dtype))
    if _gm.enabled and (input._rg or src._rg):
        _record(_SCATTER_ADD, _scatter_add_backward, (input, src), res, (index,), d)
    return res


def _check_scatter_shapes(input: Tensor, d: int, index: Tensor, src) -> None:
    """PyTorch's scatter checks: tensors of one rank, ``index`` no larger than ``src`` anywhere and no
    larger than ``input`` outside ``d``, ``src`` of ``input``'s dtype."""
    if not isinstance(index, Tensor) or not isinstance(src, Tensor):
        bad, what = ("index", index) if not isinstance(index, Tensor) else ("src", src)
        raise TypeError(f"scatter_add(): argument '{bad}' must be Tensor, not {type(what).__name__}")
    ish, ssh, sh = index._data.shape, src._data.shape, input._data.shape
    if index._data.ndim != input._data.ndim or src._data.ndim != input._data.ndim:
        if index.numel():
            raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    elif any(ish[j] > ssh[j] or (j != d and ish[j] > sh[j]) for j in range(len(ish))):
        raise RuntimeError(f"Expected index {list(ish)} to be no larger than self {list(sh)} apart from dimension "
                           f"{d} and to be no larger size than src {list(ssh)}")
    if src._dtype is not input._dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")


def _scatter_add_backward(node, g):
    (index,) = node.saved_tensors
    return (g, g.gather(node.ctx, index) if node.needs_input_grad(1) else None)


def scatter_add_(self: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    from .elementwise import _apply_inplace
    return _apply_inplace(self, scatter_add, (dim, index, src), "scatter_add_")


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """The entries of ``input`` along ``dim`` at the positions in the 1-D ``index``."""
    if index.__class__ is not Tensor:
        tensor_args("index_select", index=index)
    d = wrap_dim(dim, input._data.ndim, "index_select")
    if index._data.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if index._dtype not in (D.int64, D.int32):
        raise RuntimeError("index_select(): Expected dtype int32/int64 for index")
    n = input._data.shape[d] if input._data.ndim else 1
    if index.numel():
        lo, hi = _index_range(index)
        if lo < 0 or hi >= n:
            raise IndexError(f"index out of range in self")
    idx = index._ctx.backend.reshape_view(index._data, (1,)) if index._data.ndim == 0 else index._data
    key = (slice(None),) * d + (idx,)
    res = _make(input._ctx.K["index"](input._data, key), input._dtype, input._ctx)
    if _gm.enabled and input._rg:
        _record(_INDEX_SELECT, _index_select_backward, (input,), res, (index,), (d, input._data.shape))
    return res


def _index_select_backward(node, g):
    (index,) = node.saved_tensors
    d, shape = node.ctx
    key = (slice(None),) * d + (index.reshape(-1),)
    return (g.new_zeros(shape).index_put(key, g, accumulate=True),)


def nonzero(input: Tensor, *, as_tuple: bool = False):
    """Indices of nonzero elements: an (n, ndim) int64 tensor, or one tensor per dim with ``as_tuple``."""
    if as_tuple and input._data.ndim == 0:
        return nonzero(input.reshape(1), as_tuple=True)  # PyTorch treats a 0-dim input as 1-D here
    idx = _make(input._ctx.K["nonzero"](input._data), D.int64, input._ctx)
    if as_tuple:
        return tuple(idx[:, j] for j in range(input._data.ndim))
    return idx


def argwhere(input: Tensor) -> Tensor:
    return nonzero(input)


_C_TYPE_NAMES = {"float64": "double", "float32": "float", "float16": "c10::Half", "int64": "long int",
                  "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char"}


def masked_fill(input: Tensor, mask: Tensor, value) -> Tensor:
    """``value`` where ``mask`` is True, else ``input`` (the two broadcast together, as in PyTorch)."""
    if not isinstance(mask, Tensor):
        raise TypeError(f"masked_fill(): argument 'mask' must be Tensor, not {type(mask).__name__}")
    if mask._dtype is not D.bool:
        raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{_C_TYPE_NAMES.get(mask._dtype.name, mask._dtype.name)}")
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value._data.ndim} dimension(s).")
        v = cast(value, input._dtype)
    else:
        # PyTorch's overflow check (int8 with 300 raises); uint8 with -1 is 255, as in PyTorch
        v = check_value(scalar(value, "masked_fill", "value"), input._dtype, "masked_fill")
        v = input._ctx.backend.full((), v, input._dtype, input._ctx.index)
    try:
        r = input._ctx.K["where"](mask._data, v, input._data)
    except ValueError as exc:
        from .elementwise import _broadcast_message
        raise RuntimeError(_broadcast_message(mask, input)) from exc
    res = _make(r, input._dtype, input._ctx)
    if _gm.enabled and (input._rg or getattr(value, "_rg", False)):
        _record(_MASKED_FILL, _masked_fill_backward, (input, value), res, (mask,))
    return res


def _masked_fill_backward(node, g):
    (mask,) = node.saved_tensors
    return (g.masked_fill(mask, 0) if node.needs_input_grad(0) else None,
            g.masked_fill(~mask, 0).sum() if node.needs_input_grad(1) else None)


def masked_fill_(self: Tensor, mask: Tensor, value) -> Tensor:
    from .elementwise import _apply_inplace
    return _apply_inplace(self, masked_fill, (mask, value), "masked_fill_")


_MASKED_SELECT = node_class("MaskedSelectBackward0")
_TAKE = node_class("TakeBackward0")


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The 1-D tensor of elements of ``input`` where ``mask`` is True (the two broadcast together)."""
    if not isinstance(mask, Tensor):
        raise TypeError(f"masked_select(): argument 'mask' must be Tensor, not {type(mask).__name__}")
    if mask._dtype is not D.bool:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    a, m = input, mask
    if m._data.shape != a._data.shape:
        try:
            shape = tuple(np.broadcast_shapes(a._data.shape, m._data.shape))
        except ValueError as exc:
            from .elementwise import _broadcast_message
            raise RuntimeError(_broadcast_message(mask, input)) from exc
        with no_record():
            a, m = a.expand(shape), m.expand(shape)
    res = _make(input._ctx.K["index"](a._data, (m._data,)), input._dtype, input._ctx)
    if _gm.enabled and input._rg:
        _record(_MASKED_SELECT, _masked_select_backward, (input,), res, (m,), a._data.shape)
    return res


def _masked_select_backward(node, g):
    (mask,) = node.saved_tensors
    # scattered into the broadcast shape; the engine sums it back to the input's shape
    return (g.new_zeros(node.ctx).index_put((mask,), g),)


def take(input: Tensor, index: Tensor) -> Tensor:
    """The elements of ``input`` seen as 1-D at ``index`` (negative indices count from the end)."""
    if not isinstance(index, Tensor):
        raise TypeError(f"take(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index._dtype is not D.int64:
        raise RuntimeError(f"take(): Expected a long tensor for index, but got {type_word(index._dtype)}")
    n = input.numel()
    if index.numel():
        lo, hi = _index_range(index)
        if lo < -n or hi >= n:
            raise IndexError(f"out of range: tried to access index {hi if hi >= n else lo} on a tensor of {n} "
                             f"elements.")
    with no_record():
        flat = input.reshape(-1)
    res = _make(input._ctx.K["index"](flat._data, (index._data,)), input._dtype, input._ctx)
    if _gm.enabled and input._rg:
        _record(_TAKE, _take_backward, (input,), res, (index,), input._data.shape)
    return res


def _take_backward(node, g):
    (index,) = node.saved_tensors
    shape = node.ctx
    n = 1
    for s in shape:
        n *= s
    flat = g.new_zeros((n,)).index_put((index.reshape(-1),), g.reshape(-1), accumulate=True)
    return (flat.reshape(shape),)


for _fn in (index_put, index_put_, gather, scatter_add, scatter_add_, index_select, nonzero, argwhere, masked_fill,
            masked_fill_, masked_select, take):
    _export(_fn)
for _name in ("index_put_", "scatter_add_", "masked_fill_"):
    del _ALL[_name]
