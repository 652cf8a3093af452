"""A complete backend over any Array API namespace, including those without strided views.

The Array API standard (array-api-strict, JAX, ...) has no strides, no views that alias memory and
no scatter, but plugtensor needs PyTorch's views: ``t[1:, ::2]``, ``t.t()`` and ``t.view(...)``
share ``t``'s memory, writes through a view reach its base, and ``stride()``/``storage_offset()``
report PyTorch's values. :class:`ArrayAPIBackend` builds them on top of the namespace:

* Storage: every array is a :class:`StridedArray`: a ``box`` (a mutable holder, shared by an array
  and all its views, whose ``.data`` is the storage: the elements in row-major order, as a flat
  1-D namespace array), a ``shape``, ``strides`` (in elements) and an ``offset``. A view
  (``as_strided``, and the view primitives ``Backend`` derives from it) is new metadata over the
  same box: no copy.
* Reads: kernels turn their inputs into ordinary namespace arrays. A dense view (contiguous, or a
  permutation of contiguous) is a slice of the storage, reshaped and permuted; an expanded view is
  its compact source broadcast; anything else is gathered with ``xp.take`` at its storage
  positions. Results are new contiguous arrays; elementwise kernels keep the layout of dense inputs
  that share one (as NumPy and PyTorch do), computing straight on their storage. A new result's box
  keeps the array in the shape it was computed in (reading it back as such costs nothing) and
  flattens it on its first strided access.
* Writes: ``copy_``, ``out=``, in-place ops, ``index_put`` and ``scatter_add`` build a new storage
  array with standard functions only (``concat`` for a dense region; ``argsort``, ``searchsorted``
  and ``where`` to scatter anywhere else) and store it in ``box.data``, so every view of the box
  sees the write. Namespace arrays are never mutated in place, which makes sharing them between
  boxes (a clone of a whole storage is the same array) safe.

Only the public namespace (Array API 2024.12) is used, so a backend for any Array API library is a
subclass that names ``xp`` (the module, or its import name to import it on first use of the
device), ``name`` and ``device_type``; one whose arrays live in device memory also overrides
``from_host``/``to_host``.
"""
from __future__ import annotations

import importlib
import math
import re
import warnings
from typing import Any, Callable

import numpy as np

from .. import _dtype as D
from . import _philox
from ._arraymodule import ArrayModuleBackend
from ._base import BINARY_KERNELS, UNARY_KERNELS, Backend

__all__ = ["ArrayAPIBackend", "StridedArray"]

# plugtensor kernel name -> Array API function, where the names differ
_API_NAMES = {"neg": "negative", "bitwise_not": "bitwise_invert", "sub": "subtract", "mul": "multiply",
              "div": "divide", "eq": "equal", "ne": "not_equal", "lt": "less", "le": "less_equal",
              "gt": "greater", "ge": "greater_equal"}
# The only elementwise functions the standard defines for bool arrays; the others compute bools as int8.
_BOOL_OK = {"eq", "ne", "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and", "bitwise_or",
            "bitwise_xor", "bitwise_not"}
_LOGICAL = {"logical_and", "logical_or", "logical_xor", "logical_not"}


class _Box:
    """The storage shared by an array and its views: ``data`` holds its ``size`` values in row-major
    order, kept in the shape a kernel computed them in until a strided access flattens it to 1-D."""

    __slots__ = ("data", "size")

    def __init__(self, data: Any) -> None:
        self.data, self.size = data, math.prod(data.shape)


class StridedArray:
    """A view with ``shape``, element ``strides`` and ``offset`` of the storage in ``box``."""

    __slots__ = ("box", "shape", "strides", "offset", "ndim")

    def __init__(self, box: _Box, shape, strides, offset: int) -> None:
        self.box, self.shape, self.strides, self.offset = box, tuple(shape), tuple(strides), offset
        self.ndim = len(self.shape)

    @property
    def dtype(self):
        return self.box.data.dtype

    def __repr__(self) -> str:
        return f"StridedArray(shape={self.shape}, strides={self.strides}, offset={self.offset}, dtype={self.dtype})"


def _numel(shape) -> int:
    return math.prod(shape)


def _contiguous_strides(shape) -> tuple[int, ...]:
    out, acc = [], 1
    for s in reversed(shape):
        out.append(acc)
        acc *= max(s, 1)  # PyTorch's strides around an empty dim
    return tuple(reversed(out))


def _dense_order(shape, strides) -> list[int] | None:
    """The dims of size > 1 from outermost to innermost when the view covers one block of storage
    with no gaps or overlaps (a permutation of a contiguous array), else None."""
    dims = sorted((d for d in range(len(shape)) if shape[d] > 1), key=lambda d: -strides[d])
    expected = 1
    for d in reversed(dims):
        if strides[d] != expected:
            return None
        expected *= shape[d]
    return dims


def _writable(a: StridedArray) -> StridedArray:
    if any(t == 0 and s > 1 for s, t in zip(a.shape, a.strides)):
        raise ValueError("cannot write into an expanded view: several of its elements share one memory location")
    return a


def _is_row_major(a: StridedArray) -> bool:
    order = _dense_order(a.shape, a.strides)
    return order is not None and order == sorted(order)


class ArrayAPIBackend(ArrayModuleBackend):
    """A backend whose arrays are :class:`StridedArray` views of storage held by the Array API
    namespace ``xp`` (set in the subclass: the module or its import name)."""

    xp: Any = None
    host_memory = False
    array_type = StridedArray

    def __init__(self) -> None:
        if isinstance(self.xp, str):
            self.xp = importlib.import_module(self.xp)  # heavy imports happen on first use of the device
        xp = self.xp
        names = xp.__array_namespace_info__().dtypes()
        self._to_xp = {d: names[d.name] for d in D.dtypes() if d.name in names}
        self._from_xp = {v: k for k, v in self._to_xp.items()}
        self._kernel_table: dict[str, Callable] = {}
        # PyTorch computes inf/nan silently; NumPy-based namespaces warn from their own frames.
        warnings.filterwarnings("ignore", category=RuntimeWarning, module=re.escape(xp.__name__) + r"(\.|$)")

    def device_name(self, index: int) -> str:
        return f"{self.xp.__name__} {getattr(self.xp, '__version__', '')} (Array API " \
               f"{getattr(self.xp, '__array_api_version__', '?')})"

    # -- arrays -----------------------------------------------------------------------------------
    def shape(self, a) -> tuple[int, ...]:
        return a.shape

    def strides(self, a) -> tuple[int, ...]:
        return a.strides

    def storage_offset(self, a) -> int:
        return a.offset

    def as_array(self, r):
        return r

    def _new(self, x) -> StridedArray:
        """A contiguous StridedArray with its own box holding the namespace array ``x``."""
        shape = tuple(x.shape)
        return StridedArray(_Box(x), shape, _contiguous_strides(shape), 0)

    def empty(self, shape, dtype, index):
        return self._new(self.xp.empty(tuple(shape), dtype=self.xp_dtype(dtype)))

    def full(self, shape, value, dtype, index):
        xd = self.xp_dtype(dtype)
        return self._new(self.xp.full(tuple(shape), self._number(value, xd), dtype=xd))

    def from_host(self, host, dtype, index, share=False):
        return self._new(self.xp.from_dlpack(np.asarray(host), copy=True))  # DLPack: the standard interchange

    def to_host(self, a):
        return np.array(np.from_dlpack(self._read(a)), copy=True)

    def arange(self, start, step, n, dtype, index):
        xp, xd = self.xp, self.xp_dtype(dtype)
        if dtype.is_floating_point:
            # start + i*step computed in float64 then cast, as PyTorch does for float ranges
            return self._new(xp.astype(start + xp.arange(n, dtype=xp.float64) * step, xd))
        return self._new(xp.arange(start, start + n * step, step, dtype=xd)[:n])

    def _number(self, v, xd):
        """The Python number ``v`` converted for namespace dtype ``xd`` (integers wrap, as in PyTorch)."""
        xp = self.xp
        if xd == xp.bool:
            return bool(v)
        if xp.isdtype(xd, "integral"):
            info = xp.iinfo(xd)
            return (int(v) - info.min) % (info.max - info.min + 1) + info.min
        return float(v)

    def _scalar(self, v, xd):
        """The Python number ``v`` as a 0-d array of namespace dtype ``xd``."""
        return self.xp.asarray(self._number(v, xd), dtype=xd)

    # -- views: metadata over the same box; Backend derives the view primitives from as_strided ----
    def as_strided(self, a, shape, strides, storage_offset):
        return StridedArray(a.box, shape, strides, storage_offset)

    reshape_view = Backend.reshape_view
    permute = Backend.permute
    expand = Backend.expand
    basic_index = Backend.basic_index

    # -- reading and writing storage --------------------------------------------------------------
    def _flat(self, box: _Box):
        """The storage as a 1-D namespace array."""
        if box.data.ndim != 1:
            box.data = self.xp.reshape(box.data, (-1,))
        return box.data

    def _region(self, a):
        """The storage block of a dense view, in storage order (1-D)."""
        data, n = self._flat(a.box), _numel(a.shape)
        return data if a.offset == 0 and n == a.box.size else data[a.offset:a.offset + n]

    def _read(self, a):
        """The values of ``a`` as a row-major namespace array of its shape."""
        xp, shape, strides = self.xp, a.shape, a.strides
        n = _numel(shape)
        if n == 0:
            return xp.empty(shape, dtype=a.dtype)
        order = _dense_order(shape, strides)
        if order is not None:
            if order == sorted(order):  # row-major
                data = a.box.data
                if a.offset == 0 and n == a.box.size and tuple(data.shape) == shape:
                    return data  # the common case: a kernel's result, read as it was computed
                return xp.reshape(self._region(a), shape)
            perm = order + [d for d in range(a.ndim) if shape[d] == 1]
            x = xp.reshape(self._region(a), tuple(shape[d] for d in perm))
            return xp.permute_dims(x, tuple(perm.index(d) for d in range(a.ndim)))
        if any(t == 0 and s > 1 for s, t in zip(shape, strides)):  # expanded: read the source once
            compact = [1 if t == 0 else s for s, t in zip(shape, strides)]
            return xp.broadcast_to(self._read(StridedArray(a.box, compact, strides, a.offset)), shape)
        return xp.reshape(xp.take(self._flat(a.box), xp.reshape(self._key_positions(a, ()), (-1,))), shape)

    def _axis(self, v, at: int, ndim: int):
        """``v`` (any shape) reshaped to span dims ``at, at+1, ...`` of an ``ndim``-dim result."""
        return self.xp.reshape(v, (1,) * at + tuple(v.shape) + (1,) * (ndim - at - v.ndim))

    def _write(self, dst: StridedArray, values) -> None:
        """Store ``values`` (broadcast to ``dst``'s shape, cast to its dtype) into the elements ``dst`` views."""
        xp, box = self.xp, _writable(dst).box
        if values.dtype != box.data.dtype:
            values = xp.astype(values, box.data.dtype)
        values = xp.broadcast_to(values, dst.shape)  # ValueError when the shapes do not broadcast
        n = _numel(dst.shape)
        if n == 0:
            return
        order = _dense_order(dst.shape, dst.strides)
        if order is None:
            self._scatter(box, xp.reshape(self._key_positions(dst, ()), (-1,)), xp.reshape(values, (-1,)))
            return
        if order != sorted(order):  # permuted: storage order is the dims from the largest stride down
            values = xp.permute_dims(values, tuple(order + [d for d in range(dst.ndim) if dst.shape[d] == 1]))
        flat, off = xp.reshape(values, (-1,)), dst.offset
        if off == 0 and n == box.size:
            box.data = flat
        else:
            data = self._flat(box)
            box.data = xp.concat([data[:off], flat, data[off + n:]])

    def _scatter(self, box: _Box, pos, vals) -> None:
        """``storage[pos] = vals`` (1-D arrays) by sorting; of repeated positions the last write wins."""
        xp = self.xp
        if pos.shape[0] == 0:
            return
        order = xp.argsort(pos, stable=True)
        ps, vs = xp.take(pos, order), xp.take(vals, order)
        everywhere = xp.arange(box.size, dtype=ps.dtype)
        j = xp.clip(xp.searchsorted(ps, everywhere, side="right") - 1, 0, None)  # last write at or before
        box.data = xp.where(xp.take(ps, j) == everywhere, xp.take(vs, j), self._flat(box))

    def _accumulate(self, box: _Box, pos, vals) -> None:
        """``storage[pos] += vals`` (1-D arrays), summing the values of repeated positions."""
        xp = self.xp
        m = pos.shape[0]
        if m == 0:
            return
        add = xp.logical_or if vals.dtype == xp.bool else xp.add
        order = xp.argsort(pos, stable=True)
        ps, vs = xp.take(pos, order), xp.take(vals, order)
        shift = 1
        while shift < m:  # segmented inclusive scan: the last of each run of equal positions gets its sum
            same = ps[shift:] == ps[:-shift]
            vs = xp.concat([vs[:shift], xp.where(same, add(vs[shift:], vs[:-shift]), vs[shift:])])
            shift *= 2
        self._scatter(box, ps, add(xp.take(self._flat(box), ps), vs))

    def _key_positions(self, a: StridedArray, key: tuple):
        """Storage positions (int64) of the elements of ``a[key]``, for a NumPy-style key of index arrays,
        bool masks and full slices (``key=()``: of every element of ``a``)."""
        xp = self.xp
        entries, dim = [], 0  # ("s", dim) for a slice, ("a", [(dim, int array), ...]) for an index or mask
        for k in key:
            if isinstance(k, slice):
                entries.append(("s", dim))
                dim += 1
                continue
            x = self._read(k)
            if x.dtype == xp.bool:
                if x.ndim == 0:  # x[True] adds a dim of length 1, x[False] one of length 0
                    idx = [(None, xp.zeros((1 if bool(x) else 0,), dtype=xp.int64))]
                else:
                    idx = list(zip(range(dim, dim + x.ndim), xp.nonzero(x)))
                dim += x.ndim
            else:
                x = xp.astype(x, xp.int64)
                idx = [(dim, xp.where(x < 0, x + a.shape[dim], x))]
                dim += 1
            entries.append(("a", idx))
        entries += [("s", d) for d in range(dim, a.ndim)]
        adv = [i for i, e in enumerate(entries) if e[0] == "a"]
        pairs = [p for i in adv for p in entries[i][1]]
        try:
            arrays = xp.broadcast_arrays(*[x for _, x in pairs]) if pairs else []
        except ValueError:
            raise IndexError("shape mismatch: indexing tensors could not be broadcast together with shapes " +
                             ", ".join(str(list(x.shape)) for _, x in pairs)) from None
        bshape = tuple(arrays[0].shape) if arrays else ()
        # NumPy's rule: adjacent index arrays put their dims where they stand, separated ones put them first
        at = adv[0] if adv and adv[-1] - adv[0] + 1 == len(adv) else 0
        slices = [e[1] for e in entries if e[0] == "s"]
        out_dims = slices[:at] + [None] * len(bshape) + slices[at:]
        out_shape = tuple(a.shape[d] for d in slices[:at]) + bshape + tuple(a.shape[d] for d in slices[at:])
        pos = xp.asarray(a.offset, dtype=xp.int64)
        for q, d in enumerate(out_dims):
            if d is not None:
                pos = pos + self._axis(xp.arange(a.shape[d], dtype=xp.int64) * a.strides[d], q, len(out_shape))
        for (d, _), x in zip(pairs, arrays):
            pos = pos + self._axis(x * (a.strides[d] if d is not None else 0), at, len(out_shape))
        return xp.broadcast_to(pos, out_shape)

    def _along_positions(self, a: StridedArray, index: StridedArray, axis: int):
        """Storage positions of the elements ``a[..., index[i, j, ...], ...]`` (index along ``axis``, the
        position in ``index`` elsewhere), as gather reads them and scatter_add writes them."""
        xp = self.xp
        pos = a.offset + xp.astype(self._read(index), xp.int64) * a.strides[axis]
        for d in range(a.ndim):
            if d != axis:
                pos = pos + self._axis(xp.arange(index.shape[d], dtype=xp.int64) * a.strides[d], d, a.ndim)
        return pos

    # -- random numbers: plugtensor.backend.philox, computed with the namespace's uint32/uint64 ops --
    def _bits(self, seed: int, offset: int, n: int):
        xp, mask = self.xp, 0xFFFFFFFF
        if n == 0:
            return xp.zeros((0,), dtype=xp.uint32)
        s = seed % (1 << 64)
        k0, k1 = s & mask, s >> 32
        first = offset // 4
        m = (offset + n - 1) // 4 - first + 1
        b = xp.arange(m, dtype=xp.uint64) + first % (1 << 64)
        x0, x1 = b & mask, b >> 32
        x2 = x3 = xp.zeros((m,), dtype=xp.uint64)
        for r in range(10):
            if r:
                k0, k1 = (k0 + _philox.PHILOX_W0) & mask, (k1 + _philox.PHILOX_W1) & mask
            p0, p1 = x0 * _philox.PHILOX_M0, x2 * _philox.PHILOX_M1
            x0, x1, x2, x3 = (p1 >> 32) ^ x1 ^ k0, p1 & mask, (p0 >> 32) ^ x3 ^ k1, p0 & mask
        words = xp.reshape(xp.astype(xp.stack([x0, x1, x2, x3], axis=1), xp.uint32), (-1,))
        skip = offset - 4 * first
        return words[skip:skip + n]

    def _unit(self, bits, wide: bool):
        """Uniforms in [0, 1): float32 from one word each, float64 from two."""
        xp = self.xp
        if not wide:
            return xp.astype(bits >> 8, xp.float32) * 2.0**-24
        w = xp.reshape(xp.astype(bits, xp.uint64), (-1, 2))
        return xp.astype(((w[:, 0] >> 5) << 26) | (w[:, 1] >> 6), xp.float64) * 2.0**-53

    def random_bits(self, seed, offset, n, index):
        return self._new(self._bits(seed, offset, n))

    def random(self, kind, shape, dtype, seed, offset, index, **params):
        xp, wide = self.xp, dtype is D.float64
        span = params["high"] - params["low"] if kind == "randint" else None
        w = _philox.words_per_value(kind, np.dtype(dtype.name) if kind != "randint" else None, span=span)
        n = _numel(shape)
        bits = self._bits(seed, offset, n * w)
        if kind == "uniform":
            r = self._unit(bits, wide)
        elif kind == "normal":  # Box-Muller, cosine branch
            pairs = xp.reshape(bits, (-1, w))
            u1 = 1.0 - self._unit(xp.reshape(pairs[:, :w // 2], (-1,)), wide)
            u2 = self._unit(xp.reshape(pairs[:, w // 2:], (-1,)), wide)
            r = xp.sqrt(-2.0 * xp.log(u1)) * xp.cos(2.0 * math.pi * u2)
        else:
            low, high = params["low"], params["high"]
            if span < 1 or low < -(1 << 63) or high > 1 << 63:
                raise ValueError("randint needs low < high within the int64 range")
            r = xp.astype(bits, xp.uint64)
            if w == 2:
                r = (r[::2] << 32) | r[1::2]
            if span < 1 << 64:
                r = r % span
            r = xp.astype(r + low % (1 << 64), xp.int64)  # two's-complement add: the exact int64 result
        return self._new(xp.reshape(xp.astype(r, self.xp_dtype(dtype)), tuple(shape))), n * w

    # -- kernels ----------------------------------------------------------------------------------
    def _map(self, fn: Callable, args) -> StridedArray:
        """``fn`` over the values of ``args`` (StridedArrays or Python numbers) as a new array. Dense
        inputs sharing one layout are computed on their storage and the result keeps that layout."""
        arrays = [x for x in args if isinstance(x, StridedArray)]
        shaped = [x for x in arrays if x.ndim]
        keep = None
        if shaped and _numel(shaped[0].shape) and not _is_row_major(shaped[0]) \
                and _dense_order(shaped[0].shape, shaped[0].strides) is not None \
                and all(x.shape == shaped[0].shape and x.strides == shaped[0].strides for x in shaped):
            keep = shaped[0]
        like = arrays[-1].dtype
        r = fn(*[self._scalar(x, like) if not isinstance(x, StridedArray) else
                 self._region(x) if keep is not None and x.ndim else self._read(x) for x in args])
        return self._new(r) if keep is None else StridedArray(_Box(r), keep.shape, keep.strides, 0)

    def _elementwise(self, fn: Callable) -> Callable:
        def kernel(*args, out=None):
            r = self._map(fn, args)
            if out is None:
                return r
            self._write(out, self._read(r))
            return out
        kernel.__name__ = getattr(fn, "__name__", "kernel")
        return kernel

    def _bool_as_int8(self, fn: Callable) -> Callable:
        xp = self.xp

        def f(*xs):
            if xs[0].dtype != xp.bool:
                return fn(*xs)
            r = fn(*[xp.astype(x, xp.int8) for x in xs])
            return r if r.dtype == xp.bool else r != 0
        return f

    def _fmod(self, a, b):
        xp = self.xp
        if xp.isdtype(a.dtype, "real floating"):
            return xp.copysign(xp.remainder(xp.abs(a), xp.abs(b)), a)  # exact: both operands positive
        r = xp.remainder(a, b)  # has the sign of b; fmod's has the sign of a
        return xp.where((r != 0) & ((a < 0) != (b < 0)), r - b, r)

    # PyTorch's answers where the standard leaves a value open (or NumPy-based namespaces differ):
    def _sign(self, x):
        xp = self.xp
        r = xp.sign(x)
        return xp.where(xp.isnan(x), xp.zeros_like(r), r) if xp.isdtype(x.dtype, "real floating") else r

    def _remainder(self, a, b):
        xp = self.xp
        r = xp.remainder(a, b)
        if xp.isdtype(r.dtype, "real floating"):  # a zero keeps a's sign (C's fmod), not b's
            return xp.where(r == 0, xp.copysign(r, a), r)
        return r

    def _pow(self, a, b):
        xp = self.xp
        if not xp.isdtype(a.dtype, "integral") or not xp.isdtype(b.dtype, "signed integer"):
            return xp.pow(a, b)
        neg = b < 0  # integers to negative powers: 1 for 1, +-1 for -1 (by parity), else 0 (truncated)
        r = xp.pow(a, xp.where(neg, xp.zeros_like(b), b))
        one, zero = xp.ones_like(r), xp.zeros_like(r)
        small = xp.where(a == 1, one, zero)
        if xp.isdtype(a.dtype, "signed integer"):
            small = xp.where(a == -1, xp.where((b % 2) == 0, one, -one), small)
        return xp.where(neg, small, r)

    def _shift(self, fn: Callable, left: bool) -> Callable:
        xp = self.xp

        def shift(a, b):
            # Amounts outside [0, bits): 0 to the left; to the right 0, or -1 for a negative a (PyTorch)
            ok = (b >= 0) & (b < xp.iinfo(a.dtype).bits)
            r = fn(a, xp.where(ok, b, xp.zeros_like(b)))
            fill = xp.zeros_like(r) if left else xp.where(a < 0, -xp.ones_like(r), xp.zeros_like(r)) \
                if xp.isdtype(a.dtype, "signed integer") else xp.zeros_like(r)
            return xp.where(ok, r, fill)
        return shift

    def kernels(self) -> dict[str, Callable]:
        xp, to_xp, new, read = self.xp, self.xp_dtype, self._new, self._read
        k: dict[str, Callable] = {}
        own = {"fmod": self._fmod, "sign": self._sign, "remainder": self._remainder, "pow": self._pow,
               "bitwise_left_shift": self._shift(xp.bitwise_left_shift, True),
               "bitwise_right_shift": self._shift(xp.bitwise_right_shift, False)}
        for name in UNARY_KERNELS + BINARY_KERNELS:
            fn = own[name] if name in own else getattr(xp, _API_NAMES.get(name, name), None)
            if fn is None:
                continue  # erf: the core's composite
            if name in _LOGICAL:
                fn = (lambda f: lambda *xs: f(*[x if x.dtype == xp.bool else x != 0 for x in xs]))(fn)
            elif name not in _BOOL_OK:
                fn = self._bool_as_int8(fn)
            k[name] = self._elementwise(fn)

        def reduction(name: str) -> Callable:
            fn = getattr(xp, {"amax": "max", "amin": "min"}.get(name, name))

            def reduce(a, axes, keepdim, dtype=None):
                x, f = read(a), fn
                if dtype is not None and name in ("sum", "prod"):
                    x = xp.astype(x, to_xp(dtype))
                elif x.dtype == xp.bool and name in ("sum", "prod"):
                    x = xp.astype(x, xp.int64)
                elif x.dtype == xp.bool and name in ("amax", "amin"):
                    f = xp.any if name == "amax" else xp.all
                return new(f(x, axis=None if axes is None else tuple(axes), keepdims=keepdim))
            return reduce

        for name in ("sum", "prod", "amax", "amin", "any", "all"):
            k[name] = reduction(name)

        def arg(fn: Callable) -> Callable:
            def argext(a, axis, keepdim):
                x = read(a)
                x = xp.astype(x, xp.uint8) if x.dtype == xp.bool else x
                return new(xp.astype(fn(x, axis=axis, keepdims=keepdim), xp.int64))
            return argext

        def cumulative(fn: Callable) -> Callable:
            def cum(a, axis, dtype):
                x = read(a)
                if dtype is not None or x.dtype == xp.bool:
                    x = xp.astype(x, to_xp(dtype) if dtype is not None else xp.int64)
                return new(xp.reshape(fn(xp.reshape(x, (1,)), axis=0), ()) if x.ndim == 0 else fn(x, axis=axis))
            return cum

        def sort(a, axis, descending, stable):
            x = read(a)
            key = xp.astype(x, xp.uint8) if x.dtype == xp.bool else x
            if descending:  # stable descending, as the NumPy backend: sort the reversed array, map back
                n = x.shape[axis]
                idx = (n - 1) - xp.flip(xp.argsort(xp.flip(key, axis=axis), axis=axis, stable=True), axis=axis)
            else:
                idx = xp.argsort(key, axis=axis, stable=True)
            return new(xp.take_along_axis(x, idx, axis=axis)), new(xp.astype(idx, xp.int64))

        def where(cond, a, b):
            return self._map(lambda c, x, y: xp.where(c if c.dtype == xp.bool else c != 0, x, y), (cond, a, b))

        def copy_(dst, src):
            self._write(dst, read(src) if isinstance(src, StridedArray) else self._scalar(src, dst.dtype))
            return dst

        def take(a, pos):
            return new(xp.reshape(xp.take(self._flat(a.box), xp.reshape(pos, (-1,))), pos.shape))

        def index_put(a, key, values, accumulate):
            pos = self._key_positions(_writable(a), key)
            v = read(values) if isinstance(values, StridedArray) else self._scalar(values, a.dtype)
            v = xp.broadcast_to(xp.astype(v, a.dtype) if v.dtype != a.dtype else v, pos.shape)
            (self._accumulate if accumulate else self._scatter)(a.box, xp.reshape(pos, (-1,)), xp.reshape(v, (-1,)))
            return a

        def scatter_add(dst, axis, index, src):
            pos = self._along_positions(_writable(dst), index, axis)
            v = read(src)
            self._accumulate(dst.box, xp.reshape(pos, (-1,)), xp.reshape(xp.astype(v, dst.dtype), (-1,)))
            return dst

        def nonzero(a):
            x = read(a)
            if x.ndim == 0:
                return new(xp.zeros((1 if bool(x != 0) else 0, 0), dtype=xp.int64))
            r = new(xp.astype(xp.stack(xp.nonzero(x), axis=0), xp.int64))  # (ndim, n), seen transposed as in PyTorch
            return self.as_strided(r, (r.shape[1], r.shape[0]), (1, r.shape[1]), 0)

        k.update(
            argmax=arg(xp.argmax), argmin=arg(xp.argmin),
            cumsum=cumulative(xp.cumulative_sum), cumprod=cumulative(xp.cumulative_prod),
            where=where, astype=lambda a, dtype: self._map(lambda x: xp.astype(x, to_xp(dtype)), (a,)),
            copy_=copy_, matmul=lambda a, b: new(xp.matmul(read(a), read(b))),
            concatenate=lambda arrays, axis: new(xp.concat([read(x) for x in arrays], axis=axis)),
            take_along_axis=lambda a, index, axis: take(a, self._along_positions(a, index, axis)),
            scatter_add=scatter_add, index=lambda a, key: take(a, self._key_positions(a, key)),
            index_put=index_put, nonzero=nonzero, sort=sort,
            flip=lambda a, axes: new(xp.flip(read(a), axis=tuple(axes))),
            contiguous=lambda a: a if _is_row_major(a) or not _numel(a.shape) else new(read(a)),
            clone=lambda a: new(read(a)),
        )
        return k
