"""The shared base for NumPy-like array modules (NumPy, CuPy, array-api-strict, ...).

A backend over such a module is a subclass that names the module and its devices; every primitive
comes from here. Only what differs between modules (how to find a storage pointer, how to move to
and from host memory) is a method to override.
"""
from __future__ import annotations

import sys
from typing import Any, Callable

import numpy as np

from .. import _dtype as D
from . import _philox
from ._base import REFCOUNTS_EXACT as _REFCOUNTS_EXACT, Backend, _view_strides

__all__ = ["ArrayModuleBackend"]

# (kernel name, attribute of the array module): one row per elementwise kernel.
_UNARY = (
    ("neg", "negative"), ("abs", "abs"), ("exp", "exp"), ("expm1", "expm1"), ("log", "log"), ("log1p", "log1p"),
    ("log2", "log2"), ("log10", "log10"), ("sqrt", "sqrt"), ("sin", "sin"), ("cos", "cos"), ("tan", "tan"),
    ("asin", "arcsin"), ("acos", "arccos"), ("atan", "arctan"), ("sinh", "sinh"), ("cosh", "cosh"),
    ("tanh", "tanh"), ("sign", "sign"), ("floor", "floor"), ("ceil", "ceil"), ("round", "rint"),
    ("trunc", "trunc"), ("reciprocal", "reciprocal"), ("square", "square"), ("logical_not", "logical_not"),
    ("bitwise_not", "invert"), ("isnan", "isnan"), ("isinf", "isinf"), ("isfinite", "isfinite"),
)
_BINARY = (
    ("add", "add"), ("sub", "subtract"), ("mul", "multiply"), ("div", "true_divide"),
    ("floor_divide", "floor_divide"), ("remainder", "remainder"), ("fmod", "fmod"), ("pow", "power"),
    ("maximum", "maximum"), ("minimum", "minimum"), ("atan2", "arctan2"), ("eq", "equal"), ("ne", "not_equal"),
    ("lt", "less"), ("le", "less_equal"), ("gt", "greater"), ("ge", "greater_equal"),
    ("logical_and", "logical_and"), ("logical_or", "logical_or"), ("logical_xor", "logical_xor"),
    ("bitwise_and", "bitwise_and"), ("bitwise_or", "bitwise_or"), ("bitwise_xor", "bitwise_xor"),
    ("bitwise_left_shift", "left_shift"), ("bitwise_right_shift", "right_shift"),
)
_NUMPY_REDUCE_UFUNC = {"sum": np.add, "prod": np.multiply, "amax": np.maximum, "amin": np.minimum,
                       "any": np.logical_or, "all": np.logical_and}
_dot, _F16 = np.ndarray.dot, np.dtype(np.float16)
_INT_OF_WIDTH = {2: np.int16, 4: np.int32, 8: np.int64}  # float bits as integers (relu's mask)


def _mm(a, b):
    """2-D x 2-D product. For small matrices ndarray.dot (the same BLAS routines, equal results) skips
    np.matmul's gufunc dispatch: 0.4 µs against 1.0 µs on 3x3. From about 64x64x64 up matmul is as fast
    or faster (up to 10% on some transposed operands, e.g. 784x128 @ 128x512), and NumPy's float16 dot
    is slower at every size."""
    if a.size * b.shape[1] <= 262144 and a.dtype is not _F16:  # m * k * n <= 64^3
        return _dot(a, b)
    return np.matmul(a, b)


_REDUCE = (("sum", "sum"), ("prod", "prod"), ("amax", "max"), ("amin", "min"), ("any", "any"), ("all", "all"))


class ArrayModuleBackend(Backend):
    """A backend whose arrays are those of the NumPy-like module ``xp`` (set in the subclass)."""

    xp: Any = np

    def __init__(self) -> None:
        xp = self.xp
        self._to_xp = {d: xp.dtype(d.name) for d in D.dtypes() if _has_dtype(xp, d.name)}
        self._from_xp = {v: k for k, v in self._to_xp.items()}
        self._kernel_table: dict[str, Callable] = {}

    # -- devices ----------------------------------------------------------------------------------
    def device_count(self) -> int:
        return 1

    def device_dtypes(self, index: int) -> tuple[D.dtype, ...]:
        return tuple(self._to_xp)

    # -- arrays -----------------------------------------------------------------------------------
    def xp_dtype(self, dtype: D.dtype):
        try:
            return self._to_xp[dtype]
        except KeyError:
            raise TypeError(f"{self.device_type}: dtype {dtype} is not supported by backend '{self.name}'") from None

    def dtype(self, a) -> D.dtype:
        return self._from_xp[a.dtype]

    def shape(self, a) -> tuple[int, ...]:
        return tuple(a.shape)

    def strides(self, a) -> tuple[int, ...]:
        item = a.itemsize
        return tuple(s // item for s in a.strides)

    def _root(self, a):
        root = a
        while True:
            b = root.base
            if not isinstance(b, type(a)):
                b = getattr(b, "base", None)  # NumPy's as_strided hides its source behind a DummyArray
                if not isinstance(b, type(a)):
                    return root
            root = b

    def _pointer(self, a) -> int:
        return a.__array_interface__["data"][0]

    def storage_offset(self, a) -> int:
        return (self._pointer(a) - self._pointer(self._root(a))) // a.itemsize

    def empty(self, shape, dtype, index):
        return self.xp.empty(shape, dtype=self.xp_dtype(dtype))

    def full(self, shape, value, dtype, index):
        if value.__class__ in (int, bool) and value == 0:  # zeros: np.full costs 0.9 µs, np.zeros 0.2
            return self.xp.zeros(shape, dtype=self.xp_dtype(dtype))
        if self.xp is np and dtype.is_floating_point and value.__class__ in (int, float, bool):
            a = np.empty(shape, dtype=self.xp_dtype(dtype))  # np.full is Python code; fill is one C call
            a.fill(value)
            return a
        return self.xp.full(shape, value, dtype=self.xp_dtype(dtype))

    def from_host(self, host, dtype, index, share=False):
        return self.xp.asarray(host) if share else self.xp.array(host, copy=True)

    def to_host(self, a):
        return np.asarray(a)

    def arange(self, start, step, n, dtype, index):
        xd = self.xp_dtype(dtype)
        if dtype.is_floating_point:
            # start + i*step computed in float64 then cast, as PyTorch does for float ranges
            return (start + self.xp.arange(n, dtype=self.xp.float64) * step).astype(xd)
        return self.xp.arange(start, start + n * step, step, dtype=xd)[:n]

    def random_bits(self, seed, offset, n, index):
        return _philox.random_bits(self.xp, seed, offset, n)

    def random(self, kind, shape, dtype, seed, offset, index, **params):
        n = 1
        for s in shape:
            n *= s
        xd = self.xp_dtype(dtype)
        span = params["high"] - params["low"] if kind == "randint" else None
        w = _philox.words_per_value(kind, np.dtype(dtype.name) if kind != "randint" else None, span=span)
        bits = _philox.random_bits(self.xp, seed, offset, n * w)
        if kind == "uniform":
            r = _philox.uniform(self.xp, bits, xd)
        elif kind == "normal":
            r = _philox.normal(self.xp, bits, xd)
        else:
            r = _philox.randint(self.xp, bits, params["low"], params["high"], xd)
        return r.reshape(shape), n * w

    # -- views ------------------------------------------------------------------------------------
    def as_strided(self, a, shape, strides, storage_offset):
        item = a.itemsize
        return self._strided(self._root(a), tuple(shape), tuple(s * item for s in strides), storage_offset * item)

    def _strided(self, root, shape: tuple, byte_strides: tuple, byte_offset: int):
        """A view of the storage ``root`` (an array that owns its memory) with byte strides and offset."""
        if self.xp is np:
            try:
                # checked against the storage's bounds, and ~7x faster than as_strided
                return np.ndarray(shape, root.dtype, root, byte_offset, byte_strides)
            except (TypeError, ValueError):
                pass  # a storage that exports no buffer: the unchecked way below
        item = root.itemsize
        n = root.size
        if byte_offset >= n * item and 0 in shape:
            # An empty view may start at the very end of the storage (PyTorch keeps that offset), but an empty
            # slice resets its pointer; one element past the end is never read by an empty view.
            n = byte_offset // item + 1
        flat = self.xp.lib.stride_tricks.as_strided(root, shape=(n,), strides=(item,))
        return self.xp.lib.stride_tricks.as_strided(flat[byte_offset // item:], shape=shape, strides=byte_strides)

    def _restride(self, a, shape: tuple, byte_strides: tuple):
        """``a``'s memory from its first element seen with new strides; read-only when ``a`` is."""
        if self.xp is np and (a.flags.c_contiguous or a.flags.f_contiguous):
            return np.ndarray(shape, a.dtype, a, 0, byte_strides)  # a exports its buffer: no pointer arithmetic
        root = self._root(a)
        r = self._strided(root, shape, byte_strides, self._pointer(a) - self._pointer(root))
        flags = getattr(a, "flags", None)
        if flags is not None and not flags.writeable and r.size:
            r.flags.writeable = False
        return r

    def reshape_view(self, a, shape):
        if a.size and (1 not in shape or (a.flags.c_contiguous and a.ndim and a.strides[-1] == a.itemsize)):
            # NumPy's strides are PyTorch's here (a size-1 dim of a contiguous array gets the contiguous one)
            try:
                return self.xp.reshape(a, shape, copy=False)
            except ValueError:
                return None
        # NumPy's strides for size-1 dims and for empty arrays differ from PyTorch's: compute PyTorch's.
        strides = _view_strides(a.shape, self.strides(a), shape)
        if strides is None:
            return None
        return self._restride(a, tuple(shape), tuple(s * a.itemsize for s in strides))

    def permute(self, a, axes):
        # The method skips np.transpose's Python-level dispatch (1 µs -> 0.2 µs)
        return a.transpose(axes) if self.xp is np else self.xp.transpose(a, axes)

    def expand(self, a, shape):
        if 0 in shape:  # nothing to protect: an empty expanded view stays writable, as in PyTorch
            return super().expand(a, shape)
        if self.xp is np and a.flags.c_contiguous:
            # A read-only strided view over a's own buffer: 0.6 µs against np.broadcast_to's 2.4.
            lead = len(shape) - a.ndim
            strides = (0,) * lead if not a.ndim else (0,) * lead + tuple(
                0 if s == 1 and n != 1 else t for s, t, n in zip(a.shape, a.strides, shape[lead:]))
            r = np.ndarray(shape, a.dtype, a, 0, strides)
            r.flags.writeable = False
            return r
        return self.xp.broadcast_to(a, shape)

    def basic_index(self, a, key):
        if None not in key:  # ints and slices (x[1], x[:, 1]): NumPy's view has PyTorch's strides
            # The trailing Ellipsis makes NumPy return a 0-d view, not a scalar copy, for x[i] of 1-D x.
            r = a[key + (Ellipsis,)]
            if r.size == 0:
                # NumPy resets the offset (and strides) of an empty result; PyTorch's are those of the slicing
                return super().basic_index(a, key)
            return r
        if a.flags.c_contiguous and a.size and 1 not in a.shape:
            # Only new dims and full slices (x[:, None]): a reshape of a contiguous array gives the new
            # dims PyTorch's strides (size * stride of the next dim) without the general path below.
            # (A size-1 dim may carry any stride, which the reshape would not keep: general path.)
            shape, dim = [], 0
            for k in key:
                if k is None:
                    shape.append(1)
                elif k.__class__ is slice and k.start is None and k.stop is None and k.step is None:
                    shape.append(a.shape[dim])
                    dim += 1
                else:
                    break
            else:
                return a.reshape(tuple(shape) + a.shape[dim:])
        r = a[key + (Ellipsis,)]
        if r.size == 0:
            return super().basic_index(a, key)
        # NumPy gives a new (None) dim stride 0; PyTorch gives it size * stride of the next input dim.
        strides = _none_strides(a, key, r.strides)
        if self.xp is np and (a.flags.c_contiguous or a.flags.f_contiguous):
            return np.ndarray(r.shape, a.dtype, a, _key_offset(a, key), strides)
        return self._restride(r, r.shape, strides)

    # -- kernels ----------------------------------------------------------------------------------
    def kernels(self) -> dict[str, Callable]:
        xp = self.xp
        k: dict[str, Callable] = {}
        for name, attr in _UNARY + _BINARY:
            fn = getattr(xp, attr, None)
            if fn is not None:
                k[name] = self._elementwise(fn)
        for name, attr in _REDUCE:
            k[name] = self._reduction(name, getattr(xp, attr))
        arr = self._as_array
        to_xp = self.xp_dtype

        def argmax(a, axis, keepdim):
            return arr(xp.argmax(a, axis=axis, keepdims=keepdim).astype(xp.int64, copy=False))

        def argmin(a, axis, keepdim):
            return arr(xp.argmin(a, axis=axis, keepdims=keepdim).astype(xp.int64, copy=False))

        def cumsum(a, axis, dtype):
            return xp.cumsum(a, axis=axis, dtype=to_xp(dtype))

        def cumprod(a, axis, dtype):
            return xp.cumprod(a, axis=axis, dtype=to_xp(dtype))

        def where(cond, a, b):
            return arr(xp.where(cond, a, b))

        def astype(a, dtype):
            return a.astype(to_xp(dtype))

        def copy_(dst, src):
            xp.copyto(dst, src, casting="unsafe")
            return dst

        def along(index, axis, shape):
            """The fancy key that reads ``a[i][index[i][j]]`` (axis 1) from an array of ``shape``:
            aranges on the other axes, broadcasting a size-1 axis of ``index`` or of the array as
            take_along_axis does (but without its Python-level checks: 2.4 µs against 4.1 on 128x10)."""
            nd = index.ndim
            axis %= nd
            if nd == 2:  # the common case (a batch of rows), without the generator
                i, s = index.shape[1 - axis], shape[1 - axis]
                rows = xp.arange(s if i == 1 or s == 1 else i)
                return (index, rows.reshape(1, -1)) if axis == 0 else (rows.reshape(-1, 1), index)
            return tuple(index if j == axis else
                         xp.arange(s if i == 1 or s == 1 else i).reshape((1,) * j + (-1,) + (1,) * (nd - j - 1))
                         for j, (i, s) in enumerate(zip(index.shape, shape)))

        def relu_backward(g, y):
            # where(y <= 0, 0, g) exactly: g's bits as integers times a 0/1 mask, so an inf or NaN
            # gradient of a dead unit becomes 0 as in PyTorch (g * mask would give NaN there). y is
            # relu's result (>= 0 or NaN): "y != 0" keeps a NaN y's gradient, as PyTorch does.
            it = _INT_OF_WIDTH[g.itemsize]
            return xp.multiply(g.view(it), xp.not_equal(y, 0), out=xp.empty(g.shape, dtype=it)).view(g.dtype)

        def relu_backward_(g, y):  # the same, in place into g (NumPy's own "grad *= mask", as fast)
            gi = g.view(_INT_OF_WIDTH[g.itemsize])
            xp.multiply(gi, xp.not_equal(y, 0), out=gi)
            return g

        def scatter_add(dst, axis, index, src):
            if index.shape[axis] == 1:  # one position per row along axis: no duplicates, no need of add.at
                if xp is np and dst.ndim == 2 and dst.flags.c_contiguous:
                    # Flat positions into the rows (or columns): one 1-d fancy update, 2.6 µs against
                    # 4.2 for the two-array key on 128x10 (a classifier's gather backward).
                    n, c = index.size, dst.shape[1]
                    pos = np.arange(0, n * c, c) if axis == 1 else np.arange(n)
                    pos += index.reshape(-1) if axis == 1 else index.reshape(-1) * c
                    dst.reshape(-1)[pos] += src.reshape(-1)
                    return dst
                dst[along(index, axis, index.shape)] += src
            else:
                xp.add.at(dst, along(index, axis, index.shape), src)
            return dst

        def index_put(a, key, values, accumulate):
            if accumulate:
                xp.add.at(a, key, values)
            else:
                a[key] = values
            return a

        def sort(a, axis, descending, stable):
            if descending:
                # Stable descending for every dtype (negating overflows for int minima and moves NaN):
                # sort the reversed array ascending, reverse that order, map positions back.
                n = a.shape[axis]
                idx = (n - 1) - xp.flip(xp.argsort(xp.flip(a, axis=axis), axis=axis, kind="stable"), axis=axis)
            else:
                idx = xp.argsort(a, axis=axis, kind="stable")
            return xp.take_along_axis(a, idx, axis=axis), idx.astype(xp.int64, copy=False)

        k.update(
            argmax=argmax, argmin=argmin, cumsum=cumsum, cumprod=cumprod, where=where, astype=astype, copy_=copy_,
            matmul=xp.matmul, concatenate=lambda arrays, axis: xp.concatenate(arrays, axis=axis),
            # NumPy rejects 0-d input; PyTorch's gather of a 0-d tensor (index 0) is its value.
            take_along_axis=lambda a, index, axis: a[along(index, axis, a.shape)] if a.ndim else a.copy(),
            scatter_add=scatter_add, index=lambda a, key: arr(a[key]), index_put=index_put,
            relu_backward=relu_backward, relu_backward_=relu_backward_,
            nonzero=lambda a: xp.argwhere(a).astype(xp.int64, copy=False),
            flip=lambda a, axes: xp.flip(a, axis=axes).copy(), sort=sort,
            contiguous=xp.ascontiguousarray, clone=lambda a: a.copy(),
        )
        if xp is np:
            k.update(softmax=_np_softmax, log_softmax=_np_log_softmax, relu=_np_relu,
                     log_softmax_backward=_np_log_softmax_backward, **_NP_PYTORCH)
        return k

    def fast_kernels(self) -> dict[str, Callable]:
        if self.xp is not np:
            return {}
        # Bare ufuncs: a Python wrapper adds ~0.2 µs per call on small arrays.
        fast = {name: getattr(np, attr) for name, attr in _UNARY + _BINARY}
        fast.update(mm=_mm, remainder=_np_remainder, pow=_np_power)
        return fast

    @property
    def array_type(self):
        return self.xp.ndarray

    def as_array(self, r):
        return self.xp.asarray(r)

    def sole_owner(self, a) -> bool:
        # References: the caller's (a tensor's slot), this parameter and getrefcount's argument; a
        # view of a, or another tensor over it, adds one. A view itself (base set) shares memory.
        return _REFCOUNTS_EXACT and self.xp is np and sys.getrefcount(a) <= 3 and a.base is None

    def _as_array(self, r):
        return r if isinstance(r, self.xp.ndarray) else self.xp.asarray(r)

    def _elementwise(self, fn: Callable) -> Callable:
        if self.xp is np:
            # NumPy returns scalars for 0-d results unless out=... asks for an array.
            def kernel(*args, out=...):
                return fn(*args, out=out)
            kernel.__name__ = getattr(fn, "__name__", "kernel")
            return kernel
        return fn

    def _reduction(self, name: str, fn: Callable) -> Callable:
        arr, to_xp = self._as_array, self.xp_dtype
        if self.xp is np:
            # ufunc.reduce skips np.sum's Python-level dispatch (2 µs -> 1 µs on a 3x3 array) and
            # out=... keeps 0-d results as arrays.
            ufunc = _NUMPY_REDUCE_UFUNC[name]

            def reduce_np(a, axes, keepdim, dtype=None):
                if axes is not None:  # (None: everything, the common x.sum(), needs no layout choice)
                    if ufunc is np.add and dtype is None:
                        r = _np_sum_by_product(a, axes, keepdim)
                        if r is not None:
                            return r
                    if len(axes) == 1 and _short_rows(a, axes[0]):
                        return _reduce_short_rows(ufunc, a, keepdim, None if dtype is None else to_xp(dtype))
                if dtype is None:
                    return ufunc.reduce(a, axis=axes, keepdims=keepdim, out=...)
                return ufunc.reduce(a, axis=axes, keepdims=keepdim, dtype=to_xp(dtype), out=...)
            return reduce_np

        def reduce(a, axes, keepdim, dtype=None):
            if dtype is None:
                return arr(fn(a, axis=axes, keepdims=keepdim))
            return arr(fn(a, axis=axes, keepdims=keepdim, dtype=to_xp(dtype)))
        return reduce


# NumPy reduces short contiguous rows one row at a time (4096x10: max 179 µs, sum 80 µs); reducing
# a transposed copy along axis 0 runs vectorised across rows instead (22 µs and 24 µs). Measured
# crossover: rows of up to 16 elements, from about a thousand elements in all.
_SHORT_ROW, _SHORT_ROW_MIN_SIZE = 16, 1024


def _short_rows(a, axis: int) -> bool:
    """Whether reducing ``a`` along ``axis`` is a reduction of many short contiguous rows."""
    return axis == a.ndim - 1 and a.ndim > 1 and a.shape[-1] <= _SHORT_ROW and a.size >= _SHORT_ROW_MIN_SIZE \
        and a.flags.c_contiguous


def _reduce_short_rows(ufunc, a, keepdim: bool, dtype):
    n = a.shape[-1]
    r = ufunc.reduce(a.reshape(-1, n).T.copy(), axis=0, dtype=dtype)
    return r.reshape(a.shape[:-1] + ((1,) if keepdim else ()))


_ONES: dict = {}  # float dtype -> a read-only vector of ones, grown on demand (sums as BLAS products)
_SUM_BY_PRODUCT_MIN, _SUM_BY_PRODUCT_MAX = 256, 1 << 20  # the cached ones: at most 4 MB (float32), 8 MB (float64)


def _ones(n: int, dtype):
    o = _ONES.get(dtype)
    if o is None or o.size < n:
        o = np.ones(max(n, 1024, 0 if o is None else 2 * o.size), dtype)
        o.flags.writeable = False
        _ONES[dtype] = o
    return o[:n]


def _np_sum_by_product(a, axes, keepdim: bool):
    """The sum of a contiguous float array over its leading axes, or along many short rows, as a
    matrix-vector product with ones (BLAS); None where ``np.add.reduce`` is the better choice.

    Over leading axes NumPy adds one row after another: the product is 2.5-3x faster (128x512 over
    axis 0: 8.8 -> 3.0 µs) and its blocked accumulation is more accurate. Over rows of up to 16
    elements it replaces the transposed copy (128x10: 2.6 -> 0.6 µs). Sums along long rows, and of
    everything, stay with NumPy's pairwise summation, which is the more accurate there."""
    if a.dtype not in _BLAS_FLOATS or a.size < _SUM_BY_PRODUCT_MIN or not a.flags.c_contiguous:
        return None
    shape, k = a.shape, len(axes)
    if k >= len(shape):
        return None
    if axes == _LEADING_AXES[k]:
        m = 1
        for n in shape[:k]:
            m *= n
        if m > _SUM_BY_PRODUCT_MAX:
            return None
        o = _ones(m, a.dtype)
        r = (o.reshape(1, m) if keepdim else o).dot(a.reshape(m, -1))
        target = ((1,) * k if keepdim else ()) + shape[k:]
    elif k == 1 and axes[0] == len(shape) - 1 and shape[-1] <= _SHORT_ROW:
        n = shape[-1]
        o = _ones(n, a.dtype)
        r = a.reshape(-1, n).dot(o.reshape(n, 1) if keepdim else o)
        target = shape[:-1] + ((1,) if keepdim else ())
    else:
        return None
    # Shaped by the product itself in the 2-D cases: a reshaped view would not be the sole owner of
    # its memory, and the engine would copy a gradient it could otherwise keep.
    return r if r.shape == target else r.reshape(target)


_BLAS_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_LEADING_AXES = tuple(tuple(range(k)) for k in range(33))


def _np_reduce_keep(ufunc, a, axis: int):
    """``ufunc.reduce`` along ``axis`` keeping the dim, short rows through the transposed copy."""
    if ufunc is np.add:
        r = _np_sum_by_product(a, (axis,), True)
        if r is not None:
            return r
    if _short_rows(a, axis):
        return _reduce_short_rows(ufunc, a, True, None)
    return ufunc.reduce(a, axis=axis, keepdims=True)


def _np_log_softmax(a, axis: int):
    """``a - max - log(sum(exp(a - max)))`` along ``axis``: the core's composite in fewer NumPy calls
    and one temporary fewer."""
    if a.size == 0:
        return a.copy()
    if a.ndim == 2 and axis == 1 and a.shape[1] <= _SHORT_ROW and a.size >= _SHORT_ROW_MIN_SIZE:
        # Many short rows (a classifier's logits): work on the transposed copy, where both reductions
        # run vectorised across rows, and write the result back in row-major order.
        shifted = a.T.copy()
        np.subtract(shifted, np.maximum.reduce(shifted, axis=0), out=shifted)
        lse = np.log(np.add.reduce(np.exp(shifted), axis=0))
        return np.subtract(shifted.T, lse[:, None], out=np.empty(a.shape, a.dtype))
    shifted = np.subtract(a, _np_reduce_keep(np.maximum, a, axis))
    lse = np.log(_np_reduce_keep(np.add, np.exp(shifted), axis))
    return np.subtract(shifted, lse, out=shifted)


def _np_log_softmax_backward(g, y, axis: int):
    """``g - exp(y) * sum(g)`` along ``axis`` (y: log_softmax's result) with one temporary."""
    r = np.exp(y)
    np.multiply(r, _np_reduce_keep(np.add, g, axis), out=r)
    return np.subtract(g, r, out=r)


_ZEROS_LEN = 1 << 20
_ZEROS: dict = {}  # float dtype -> a read-only vector of _ZEROS_LEN zeros (relu's second operand)


def _np_relu(a, out=...):
    # np.maximum against the number 0 runs NumPy's unvectorised loop; against an array of zeros its
    # SIMD loop, 2.5-3x faster (128x512 float32: 25 µs -> 9 µs). Pages of the zero vector are
    # mapped lazily, so only what the largest relu read is resident. On a tie NumPy's float32 and
    # float64 loops return the second operand, its float16 loop the first: a is put where relu(-0.0)
    # comes out -0.0, as in PyTorch.
    n = a.size
    if n < 2048 or a.dtype not in (np.float32, np.float64):
        if a.dtype.kind == "f" and a.dtype is not _F16:
            return np.maximum(0, a, out=out)
        return np.maximum(a, 0, out=out)  # out=...: an array even for 0-d input
    z = _ZEROS.get(a.dtype)
    if z is None:
        z = _ZEROS[a.dtype] = np.zeros(_ZEROS_LEN, a.dtype)
        z.flags.writeable = False
    if n <= _ZEROS_LEN:
        return np.maximum(z[:n].reshape(a.shape), a, out=out)
    if out is ...:
        out = np.empty(a.shape, a.dtype)
    if not (a.flags.c_contiguous and out.flags.c_contiguous):
        return np.maximum(0, a, out=out)
    fa, fo = a.reshape(-1), out.reshape(-1)
    for i in range(0, n, _ZEROS_LEN):  # a large array: in slices of the zero vector's length
        j = min(n, i + _ZEROS_LEN)
        np.maximum(z[:j - i], fa[i:j], out=fo[i:j])
    return out


# -- NumPy kernels where NumPy's answer on special values is not PyTorch's ------------------------------
def _np_sign(x, out=...):
    """sign of NaN is 0 in PyTorch (NumPy: NaN)."""
    if x.dtype.kind != "f":
        return np.sign(x, out=out)
    if out is ... and x.size >= 4096:
        # (x > 0) - (x < 0): NaN gives 0, and these SIMD loops beat NumPy's sign loop (128x512 float32:
        # 19 µs against 28)
        return np.subtract(np.greater(x, 0).view(np.int8), np.less(x, 0).view(np.int8)).astype(x.dtype)
    r = np.sign(x, out=out)
    nan = np.isnan(r)
    if np.count_nonzero(nan):
        np.copyto(r, 0, where=nan)
    return r


def _np_remainder(a, b, out=...):
    """A zero remainder keeps the sign of ``a`` (C's fmod, as PyTorch); NumPy gives it b's sign."""
    r = np.remainder(a, b, out=...)
    if r.dtype.kind == "f" and np.count_nonzero(r) != r.size:
        np.copysign(r, a, out=r, where=r == 0)
    if out is ...:
        return r
    np.copyto(out, r)  # (out may be a itself: an in-place remainder_)
    return out


_power = np.power


def _np_power(a, b, out=...):
    try:
        return _power(a, b, out=out)
    except ValueError:  # NumPy refuses integers to negative integer powers; PyTorch answers them
        pass
    b = np.asarray(b)
    neg = b < 0
    r = np.power(a, np.where(neg, 0, b), out=...)
    # a ** -n is 1 for a == 1, +-1 for a == -1 (by n's parity), 0 otherwise (truncated towards zero)
    odd = np.bitwise_and(b, 1).astype(bool)
    one = np.asarray(a) == 1
    minus = np.asarray(a) == -1 if r.dtype.kind == "i" else np.zeros(r.shape, bool)
    small = np.where(one | (minus & ~odd), 1, np.where(minus & odd, -1, 0)).astype(r.dtype)
    r = np.where(neg, small, r)
    if out is ...:
        return r
    np.copyto(out, r)
    return out


def _tie_second(ufunc):
    """maximum/minimum returning the second operand where the two are equal (-0.0 and 0.0), as
    NumPy's float32/float64 loops and the OpenCL kernels do: its float16 loop returns the first.
    The core's relu and clamp rely on it to keep the tensor's zero, as PyTorch does."""
    def kernel(a, b, out=...):
        if getattr(a, "dtype", None) is _F16 or getattr(b, "dtype", None) is _F16:
            return ufunc(b, a, out=out)
        return ufunc(a, b, out=out)
    kernel.__name__ = ufunc.__name__
    return kernel


_NP_PYTORCH = {"sign": _np_sign, "remainder": _np_remainder, "pow": _np_power,
               "maximum": _tie_second(np.maximum), "minimum": _tie_second(np.minimum)}


def _np_softmax(a, axis: int):
    if a.size == 0:
        return a.copy()
    e = np.exp(np.subtract(a, _np_reduce_keep(np.maximum, a, axis)))
    return np.divide(e, _np_reduce_keep(np.add, e, axis), out=e)


def _none_strides(a, key, out_strides) -> tuple:
    """``out_strides`` (bytes) with each dim added by a None in ``key`` given PyTorch's stride."""
    out = list(out_strides)
    pos = dim = 0
    for k in key:
        if k is None:
            out[pos] = a.shape[dim] * a.strides[dim] if dim < a.ndim else a.itemsize
            pos += 1
        elif isinstance(k, int):
            dim += 1
        else:
            pos += 1
            dim += 1
    return tuple(out)


def _key_offset(a, key) -> int:
    """Byte offset from ``a``'s first element to that of ``a[key]`` (a basic key of a non-empty result)."""
    off = dim = 0
    for k in key:
        if k is None:
            continue
        if isinstance(k, int):
            off += k * a.strides[dim]
        else:
            off += k.indices(a.shape[dim])[0] * a.strides[dim]
        dim += 1
    return off


def _has_dtype(xp, name: str) -> bool:
    try:
        xp.dtype(name)
        return True
    except (TypeError, AttributeError):
        return False


