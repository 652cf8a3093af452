"""Tensor creation: from data, factories, random numbers (the core's Philox stream), legacy constructors."""
from __future__ import annotations

import math

import numpy as np

from .. import _dtype as D
from .._device import device as _device_cls
from .._plugins import get_context
from ._common import (Tensor, _make, broadcasts_to, exporter, fit_int_scalar, kernel_failure, overlap_error,
                      overlaps_itself, type_word, unsupported_dtype, write_through)

_ALL: dict[str, object] = {}
_default_device = ["cpu"]


_export = exporter(_ALL, bind_methods=False)


def _ctx(device):
    return get_context(_default_device[0] if device is None else device)


def _finish(t: Tensor, requires_grad: bool) -> Tensor:
    if requires_grad:
        t._set_requires_grad(True, "Only Tensors of floating point and complex dtype can require gradients")
    return t


def _check_dtype(ctx, dt: D.dtype) -> D.dtype:
    if not isinstance(dt, D.dtype):
        raise TypeError(f"dtype must be a plugtensor.dtype, not {type(dt).__name__}")
    if dt not in ctx.dtypes:
        raise unsupported_dtype(ctx, dt)
    return dt


def _size(args, kwargs_size, op: str) -> tuple[int, ...]:
    if kwargs_size is not None:
        args = (kwargs_size,)
    elif not args:  # zeros() is not zeros(()): PyTorch wants the size
        raise TypeError(f"{op}() missing 1 required positional arguments: \"size\"")
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    out = []
    for a in args:
        if isinstance(a, Tensor) and a.numel() == 1 and not a.is_floating_point():
            a = a.item()
        if not isinstance(a, (int, np.integer)) or isinstance(a, bool):
            raise TypeError(f"{op}(): argument 'size' must be tuple of ints, but found element of type "
                            f"{type(a).__name__} at pos {len(out)}")
        if a < 0:
            raise negative_size(op, a, list(args))
        if a > _INT64_MAX:
            raise TypeError(f"{op}(): argument 'size' failed to unpack the object at pos {len(out) + 1} with error "
                            f"\"Overflow when unpacking long long\"")
        out.append(int(a))
    return tuple(out)


def negative_size(op: str, n: int, sizes: list) -> RuntimeError:
    """PyTorch's error for a tensor asked for with a negative dimension (``zeros`` words it its own way)."""
    if op == "zeros":
        return RuntimeError(f"zeros: Dimension size must be non-negative. Got {n} in size {sizes}.")
    return RuntimeError(f"{op}: Trying to create tensor with negative dimension {n}: {sizes}")


# ---------------------------------------------------------------------------------------------------
# Sizes no device can hold: refused before anything is allocated or generated.
# ---------------------------------------------------------------------------------------------------
_STORAGE_MAX = (1 << 63) - 1  # PyTorch's bound on a storage's bytes
_prod = math.prod
_alloc_limits: dict = {}  # DeviceContext -> the most bytes one of its tensors may take


def check_alloc(ctx, shape, dt: D.dtype, op: str) -> None:
    """Raise PyTorch's RuntimeError, naming the sizes and the bytes, for a tensor of ``shape`` and ``dt``
    that ``ctx``'s device can never hold: more than 2**63 - 1 bytes ("Storage size calculation
    overflowed"), or more than the backend's ``max_alloc_bytes`` ("not enough memory"). A multiply
    and a compare on the common path, so every allocation path calls it."""
    nbytes = math.prod(shape) * dt.itemsize
    limit = _alloc_limits.get(ctx)
    if limit is None:
        limit = _alloc_limits[ctx] = min(int(ctx.backend.max_alloc_bytes(ctx.index)), _STORAGE_MAX)
    if nbytes > limit or (not nbytes and shape and _empty_overflows(shape, dt)):
        raise _cannot_allocate(ctx, shape, dt, nbytes, limit, op)


def _empty_overflows(shape, dt: D.dtype) -> bool:
    # An empty tensor still has strides: the product of its other sizes must fit. NumPy refuses such
    # shapes; PyTorch 2.13 makes them (empty(2**40, 0, 2**40)): a declared difference (docs/decisions.md).
    return math.prod(s for s in shape if s) * dt.itemsize > _STORAGE_MAX


def _cannot_allocate(ctx, shape, dt: D.dtype, nbytes: int, limit: int, op: str) -> RuntimeError:
    sizes = list(shape)
    if nbytes > _STORAGE_MAX or not nbytes:
        n = math.prod(s for s in shape if s)
        return RuntimeError(f"{op}: Storage size calculation overflowed with sizes={sizes}: {n} elements of "
                            f"{dt.name} take {n * dt.itemsize} bytes, more than a tensor can have (2**63 - 1)")
    return RuntimeError(f"{op}: not enough memory: you tried to allocate {nbytes} bytes (sizes={sizes}, "
                        f"dtype {dt.name}) on {ctx.device}, which can hold at most {limit} bytes in one tensor")


def out_of_memory(ctx, shape, dt: D.dtype, op: str, exc: MemoryError) -> RuntimeError:
    """PyTorch's RuntimeError for a backend's MemoryError (less memory free than the device has)."""
    nbytes = math.prod(shape) * dt.itemsize
    return RuntimeError(f"{op}: not enough memory: you tried to allocate {nbytes} bytes (sizes={list(shape)}, "
                        f"dtype {dt.name}) on {ctx.device}: {exc}")


def _pt_dtype_of_numpy(dt: np.dtype, op: str) -> D.dtype:
    # Looked up by name in the registry each time, so dtypes registered by plugins convert too.
    r = D._REGISTRY.get(dt.name) if dt.kind in "biuf" else None
    if r is None:
        names = ", ".join(d.name for d in reversed(D.dtypes()))
        raise TypeError(f"{op}(): can't convert np.ndarray of type numpy.{dt}. The only supported types are: "
                        f"{names}.")
    return r


_INT64_MAX = (1 << 63) - 1


def _host_data(data, dtype):
    """(NumPy array, dtype) for arbitrary tensor data, inferring the dtype as PyTorch does."""
    if isinstance(data, Tensor):
        arr = data.detach()._host()
        return arr, dtype or data._dtype
    if isinstance(data, np.ndarray):
        return data, dtype or _pt_dtype_of_numpy(data.dtype, "tensor")
    if isinstance(data, np.generic):
        arr = np.asarray(data)
        return arr, dtype or _pt_dtype_of_numpy(arr.dtype, "tensor")
    if isinstance(data, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    try:
        arr = np.array(data)
    except (ValueError, TypeError, OverflowError):
        _explain_bad_data(data)  # raises PyTorch's error for the first bad element it finds
        raise
    k = arr.dtype.kind
    if k == "O":
        if _has_tensors(data):
            return _host_data(_tensors_to_scalars(data), dtype)
        _explain_bad_data(data)
        raise ValueError("tensor(): could not convert the data to a tensor")
    if k in "US":
        _explain_bad_data(data)
        raise ValueError(f"too many dimensions '{'str' if k == 'U' else 'bytes'}'")
    if k == "u" and arr.dtype.itemsize == 8 and arr.size and int(arr.max()) > _INT64_MAX:
        raise ValueError("Overflow when unpacking long long")  # a Python int past int64: NumPy made uint64
    if k == "c":
        raise TypeError("plugtensor does not support complex numbers yet")
    if dtype is None:
        dtype = D.bool if k == "b" else D.int64 if k in "iu" else D.get_default_dtype()
    elif dtype.kind == D.INT and k in "iuf" and arr.size:
        _check_fits(arr, dtype)
    return arr, dtype


def _check_fits(arr: np.ndarray, dt: D.dtype) -> None:
    """PyTorch's overflow check for Python numbers given an integer dtype (NumPy arrays wrap instead)."""
    info = D.iinfo(dt)
    # Like PyTorch, an unsigned dtype takes negative Python ints down to -max (they wrap), not floats.
    lo = info.min if dt.is_signed else (-info.max if arr.dtype.kind in "iu" else 0)
    bad = not np.isfinite(arr).all() if arr.dtype.kind == "f" else False
    if bad or arr.min() < lo or arr.max() > info.max:
        raise RuntimeError(f"value cannot be converted to type {dt.name} without overflow")


def _is_seq(x) -> bool:
    return isinstance(x, (list, tuple, range, np.ndarray)) or (isinstance(x, Tensor) and x.dim() > 0)


def _explain_bad_data(data) -> None:
    """Raise PyTorch's error for nested data NumPy could not turn into a numeric array.

    The shape comes from the first element at each depth (as PyTorch infers it); every other
    element is then checked against it."""
    shape, x = [], data
    while _is_seq(x):
        shape.append(len(x))
        if not len(x):
            break
        x = x[0]
        if isinstance(x, (str, bytes)):
            raise ValueError(f"too many dimensions '{type(x).__name__}'")

    def walk(x, dim: int) -> None:
        if dim == len(shape):
            if _is_seq(x):
                raise TypeError(f"expected a number at dim {dim}, got a sequence ({type(x).__name__})")
            if isinstance(x, (str, bytes)):
                raise TypeError(f"new(): invalid data type '{type(x).__name__}'")
            if isinstance(x, int) and not -_INT64_MAX - 1 <= x <= _INT64_MAX:
                raise ValueError("Overflow when unpacking long long")
            if not isinstance(x, (int, float, np.generic, Tensor)):
                raise RuntimeError(f"Could not infer dtype of {type(x).__name__}")
            return
        if not _is_seq(x):
            raise TypeError(f"not a sequence: expected a sequence at dim {dim}, got {type(x).__name__}")
        if len(x) != shape[dim]:
            raise ValueError(f"expected sequence of length {shape[dim]} at dim {dim} (got {len(x)})")
        for item in x:
            walk(item, dim + 1)

    walk(data, 0)


def _has_tensors(data) -> bool:
    if isinstance(data, Tensor):
        return True
    if isinstance(data, (list, tuple)):
        return any(_has_tensors(x) for x in data)
    return False


def _tensors_to_scalars(data):
    if isinstance(data, Tensor):
        return data.tolist()
    if isinstance(data, (list, tuple)):
        return [_tensors_to_scalars(x) for x in data]
    return data


def tensor(data, *, dtype=None, device=None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (numbers, nested sequences, NumPy arrays, tensors).

    >>> import plugtensor as pt
    >>> pt.tensor([[1, 2], [3, 4]])
    tensor([[1, 2],
            [3, 4]])
    """
    arr, dt = _host_data(data, dtype)
    ctx = _ctx(device if device is not None or not isinstance(data, Tensor) else data.device)
    _check_dtype(ctx, dt)
    arr = np.asarray(arr, dtype=np.dtype(dt.name))
    t = _make(ctx.backend.from_host(np.array(arr, copy=True), dt, ctx.index), dt, ctx)
    return _finish(t, requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like :func:`tensor`, but shares memory with a NumPy array (or returns a tensor) when it can."""
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype) if (device or dtype) else data
    if isinstance(data, np.ndarray) and (device is None or _device_cls(device).type == "cpu"):
        dt = _pt_dtype_of_numpy(data.dtype, "as_tensor")
        if dtype is None or dtype is dt:
            return from_numpy(data)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A ``cpu`` tensor sharing memory with ``ndarray``: a write to one is seen by the other."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    if any(s < 0 for s in ndarray.strides):
        raise ValueError("At least one stride in the given numpy array is negative, and tensors with negative strides "
                         "are not currently supported. (You can probably work around this by making a copy of your "
                         "array  with array.copy().) ")
    dt = _pt_dtype_of_numpy(ndarray.dtype, "from_numpy")
    if not ndarray.dtype.isnative:
        raise ValueError("given numpy array has byte order different from the native byte order. Conversion "
                         "between byte orders is currently not supported.")
    ctx = get_context("cpu")
    return _make(ctx.backend.from_host(ndarray, dt, ctx.index, share=True), dt, ctx)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad: bool = False) -> Tensor:
    t = tensor(obj, dtype=dtype, device=device) if copy else as_tensor(obj, dtype=dtype, device=device)
    return _finish(t, requires_grad)


def _factory(name: str, fill):
    def fn(*size, out=None, dtype=None, layout=None, device=None, requires_grad: bool = False,
           pin_memory: bool = False, memory_format=None, **kw) -> Tensor:
        shape = _size(size, kw.pop("size", None), name)
        if kw:
            raise TypeError(f"{name}() got an unexpected keyword argument '{next(iter(kw))}'")
        ctx = _ctx(device)
        dt = _check_dtype(ctx, dtype or D.get_default_dtype())
        limit = _alloc_limits.get(ctx)  # check_alloc, inlined for the common case (saves a call)
        nbytes = _prod(shape) * dt.itemsize
        if limit is None or nbytes > limit or not nbytes:
            check_alloc(ctx, shape, dt, name)
        try:
            data = ctx.backend.empty(shape, dt, ctx.index) if fill is None else \
                ctx.backend.full(shape, fill, dt, ctx.index)
        except MemoryError as exc:
            raise out_of_memory(ctx, shape, dt, name, exc) from exc
        t = _finish(_make(data, dt, ctx), requires_grad)
        if out is not None:
            from ._common import write_out
            return write_out(out, t, name)
        return t
    fn.__name__ = name
    fn.__doc__ = f"A tensor of the given shape {'filled with ' + str(fill) if fill is not None else 'uninitialised'}."
    return fn


empty = _export(_factory("empty", None))
zeros = _export(_factory("zeros", 0))
ones = _export(_factory("ones", 1))


@_export
def full(size, fill_value, *, dtype=None, device=None, requires_grad: bool = False, out=None, layout=None,
         pin_memory: bool = False) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value`` (its dtype inferred from the value)."""
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not {type(size).__name__}")
    shape = _size((size,), None, "full")
    ctx = _ctx(device)
    dt = _check_dtype(ctx, dtype or D.scalar_dtype(fill_value))
    fill_value = check_value(fill_value, dt, "full")
    check_alloc(ctx, shape, dt, "full")
    try:
        data = ctx.backend.full(shape, fill_value, dt, ctx.index)
    except MemoryError as exc:
        raise out_of_memory(ctx, shape, dt, "full", exc) from exc
    return _finish(_make(data, dt, ctx), requires_grad)


_FLOAT_MAX: dict = {}


def check_value(value, dt: D.dtype, op: str):
    """A Python number converted for ``dt`` as PyTorch converts a Scalar argument (``full``, ``fill_``,
    ``masked_fill``): one that does not fit raises PyTorch's RuntimeError, an int past the 64-bit range
    its OverflowError. Integer dtypes get an int (wrapped into range: PyTorch takes -255..255 for
    uint8, -1 becoming 255; floats truncated toward zero), bool dtypes the truth of the value."""
    c = value.__class__
    if c is not int and c is not float:
        if c is bool or dt.kind == D.BOOL:
            return bool(value)
        if not isinstance(value, (int, float, np.integer, np.floating)):
            raise TypeError(f"{op}(): argument 'value' must be Number, not {type(value).__name__}")
        value = int(value) if isinstance(value, (int, np.integer)) else float(value)
        c = value.__class__
    if c is int and not -(1 << 63) <= value < (1 << 64):
        raise OverflowError(f"{op}: int too big to convert ({value} does not fit in 64 bits)")
    kind = dt.kind
    if kind == D.FLOAT:
        big = _FLOAT_MAX.get(dt)
        if big is None:
            big = _FLOAT_MAX[dt] = D.finfo(dt).max
        if -big <= value <= big or value != value or (c is float and value - value != 0.0):
            return float(value)  # in range, NaN or an infinity
    elif kind == D.INT:
        hi = (1 << (dt.bits - 1)) - 1 if dt.is_signed else (1 << dt.bits) - 1
        lo = -hi - 1 if dt.is_signed else (-hi if c is int else 0)
        if lo <= value <= hi:
            return fit_int_scalar(int(value), dt) if c is int else int(value)
    else:
        return bool(value)
    raise RuntimeError(f"{op}: value cannot be converted to type {dt.name} without overflow")


def _like(name: str, maker):
    def fn(input: Tensor, *args, dtype=None, device=None, requires_grad: bool = False, layout=None,
           memory_format=None, pin_memory: bool = False, **kw) -> Tensor:
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
        return maker(input, args, dtype or input._dtype, input.device if device is None else device,
                     requires_grad, **kw)
    fn.__name__ = name
    return fn


empty_like = _export(_like("empty_like", lambda t, a, dt, dev, rg: empty(t.shape, dtype=dt, device=dev,
                                                                           requires_grad=rg)))
zeros_like = _export(_like("zeros_like", lambda t, a, dt, dev, rg: zeros(t.shape, dtype=dt, device=dev,
                                                                           requires_grad=rg)))
ones_like = _export(_like("ones_like", lambda t, a, dt, dev, rg: ones(t.shape, dtype=dt, device=dev,
                                                                        requires_grad=rg)))
full_like = _export(_like("full_like", lambda t, a, dt, dev, rg: full(t.shape, a[0], dtype=dt, device=dev,
                                                                        requires_grad=rg)))
rand_like = _export(_like("rand_like", lambda t, a, dt, dev, rg: rand(t.shape, dtype=dt, device=dev,
                                                                        requires_grad=rg)))
randn_like = _export(_like("randn_like", lambda t, a, dt, dev, rg: randn(t.shape, dtype=dt, device=dev,
                                                                          requires_grad=rg)))


@_export
def randint_like(input: Tensor, low=0, high=None, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    if high is None:
        low, high = 0, low
    return randint(low, high, input.shape, dtype=dtype or input._dtype,
                   device=input.device if device is None else device, requires_grad=requires_grad)


@_export
def arange(start, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad: bool = False) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive) in steps of ``step``."""
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    start, end, step = vals
    if not all(math.isfinite(v) for v in vals):
        raise RuntimeError(f"arange(): unsupported range: {start} -> {end} (step {step})")
    if step == 0:
        raise RuntimeError("arange(): step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("arange(): upper bound and lower bound inconsistent with step sign")
    if any(isinstance(v, float) for v in vals):
        dt = dtype or D.get_default_dtype()
    else:
        dt = dtype or D.int64
    if dt is D.bool:
        raise NotImplementedError("\"arange_cpu\" not implemented for 'Bool'")
    n = max(0, math.ceil((end - start) / step))
    if n > _INT64_MAX:
        raise RuntimeError(f"arange(): invalid size, possible overflow? ({n} elements from {start} to {end} in "
                           f"steps of {step})")
    if dt.kind == D.INT and not all(-_INT64_MAX - 1 <= v <= _INT64_MAX for v in vals):
        raise RuntimeError("arange(): value cannot be converted to type int64 without overflow")
    ctx = _ctx(device)
    _check_dtype(ctx, dt)
    check_alloc(ctx, (n,), dt, "arange")
    try:
        data = _arange_data(ctx, start, step, n, dt)
    except MemoryError as exc:
        raise out_of_memory(ctx, (n,), dt, "arange", exc) from exc
    t = _finish(_make(data, dt, ctx), requires_grad)
    if out is not None:
        from ._common import write_out
        return write_out(out, t, "arange")
    return t


def _arange_data(ctx, start, step, n: int, dt: D.dtype):
    if dt.kind == D.INT and dt is not D.int64 and n:
        info = D.iinfo(dt)
        last = start + (n - 1) * step
        if not (info.min <= min(start, last) and max(start, last) <= info.max):
            # Values outside the dtype wrap around as in PyTorch (arange(-3, 0, dtype=uint8) is 253..255).
            wide = ctx.backend.arange(start, step, n, D.int64, ctx.index)
            return ctx.K["astype"](wide, dt)
    return ctx.backend.arange(start, step, n, dt, ctx.index)


@_export
def linspace(start, end, steps: int, *, out=None, dtype=None, layout=None, device=None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    start, end = (v.item() if isinstance(v, Tensor) else v for v in (start, end))
    if steps < 0:
        raise RuntimeError("linspace(): number of steps must be non-negative")
    dt = dtype or D.get_default_dtype()
    if dt is D.bool:
        raise NotImplementedError("\"linspace_cpu\" not implemented for 'Bool'")
    for v in (start, end):
        check_value(v, dt, "linspace")
    ctx = _ctx(device)
    check_alloc(ctx, (steps,), dt, "linspace")  # before the values are made on the host
    step = (end - start) / (steps - 1) if steps > 1 else 0.0
    i = np.arange(steps, dtype=np.float64)
    half = steps // 2
    # Fill from both ends, as PyTorch does, so the first value is ``start`` and the last ``end``.
    vals = np.where(i < half, start + i * step, end - (steps - 1 - i) * step) if steps > 1 else i * 0.0 + start
    # Cast on the host: float64 -> an integer dtype truncates toward zero, as PyTorch does.
    return tensor(vals, dtype=dt, device=device, requires_grad=requires_grad)


@_export
def logspace(start, end, steps: int, base: float = 10.0, *, dtype=None, device=None,
             requires_grad: bool = False) -> Tensor:
    ctx = _ctx(device)
    work = D.float64 if D.float64 in ctx.dtypes else D.get_default_dtype()
    vals = base ** linspace(start, end, steps, dtype=work, device=ctx.device)
    return _finish(vals.to(dtype or D.get_default_dtype()), requires_grad)


@_export
def eye(n: int, m: int | None = None, *, out=None, dtype=None, layout=None, device=None,
        requires_grad: bool = False) -> Tensor:
    """A 2-D tensor with ones on the diagonal."""
    for name, v in (("n", n), ("m", m)):
        if v is not None and (not isinstance(v, (int, np.integer)) or isinstance(v, bool)):
            raise TypeError(f"eye(): argument '{name}' must be int, not {type(v).__name__}")
    if n < 0 or (m is not None and m < 0):
        raise RuntimeError(f"n must be greater or equal to 0, got {n if n < 0 else m}")
    dt = dtype or D.get_default_dtype()
    check_alloc(_ctx(device), (n, n if m is None else m), dt, "eye")
    return tensor(np.eye(n, m if m is not None else n), dtype=dt, device=device, requires_grad=requires_grad)


# ---------------------------------------------------------------------------------------------------
# Random numbers: one process-wide Philox stream (seed, offset), identical on every backend.
# ---------------------------------------------------------------------------------------------------
DEFAULT_SEED = 67280421310721  # PyTorch's default seed


class Generator:
    """The state of a Philox4x32-10 stream: a seed and the number of 32-bit words consumed."""

    def __init__(self, device="cpu") -> None:
        self.device = _device_cls(device)
        self._seed = DEFAULT_SEED
        self._offset = 0

    def manual_seed(self, seed: int) -> "Generator":
        seed = int(seed)
        if not -(1 << 63) <= seed < (1 << 64):
            raise RuntimeError(f"Overflow when unpacking long: seed {seed} is out of range")
        self._seed, self._offset = seed % (1 << 64), 0
        return self

    def seed(self) -> int:
        import secrets
        self.manual_seed(secrets.randbits(63))
        return self._seed

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> Tensor:
        return tensor([self._seed & 0xFFFFFFFF, self._seed >> 32, self._offset & 0xFFFFFFFF, self._offset >> 32],
                      dtype=D.int64)

    def set_state(self, state: Tensor) -> None:
        a, b, c, d = (int(v) for v in state.tolist())
        self._seed, self._offset = a | (b << 32), c | (d << 32)

    def _draw(self, ctx, kind: str, shape, dt, op: str = "random", **params):
        try:
            data, used = ctx.backend.random(kind, shape, dt, self._seed, self._offset, ctx.index, **params)
        except MemoryError as exc:
            raise out_of_memory(ctx, shape, dt, op, exc) from exc
        self._offset += used
        return _make(data, dt, ctx)


default_generator = Generator()


@_export
def manual_seed(seed: int) -> Generator:
    """Seed the random stream: the same seed gives the same numbers on every backend."""
    return default_generator.manual_seed(seed)


@_export
def seed() -> int:
    return default_generator.seed()


@_export
def initial_seed() -> int:
    return default_generator.initial_seed()


@_export
def get_rng_state() -> Tensor:
    return default_generator.get_state()


@_export
def set_rng_state(new_state: Tensor) -> None:
    default_generator.set_state(new_state)


def _random_factory(name: str, kind: str):
    def fn(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad: bool = False,
           pin_memory: bool = False, **kw) -> Tensor:
        shape = _size(size, kw.pop("size", None), name)
        ctx = _ctx(device)
        dt = _check_dtype(ctx, dtype or D.get_default_dtype())
        if not dt.is_floating_point:
            raise _not_floating(name, kind, dt)
        check_alloc(ctx, shape, dt, name)
        t = _finish((generator or default_generator)._draw(ctx, kind, shape, dt, op=name), requires_grad)
        if out is not None:
            from ._common import write_out
            return write_out(out, t, name)
        return t
    fn.__name__ = name
    fn.__doc__ = ("Uniform samples in [0, 1)." if kind == "uniform" else "Standard normal samples.") + \
        " Reproducible across backends with ``manual_seed``."
    return fn


def _not_floating(op: str, kind: str, dt: D.dtype) -> NotImplementedError:
    kernel = "check_uniform_bounds" if kind == "uniform" else "normal_kernel_cpu"
    return NotImplementedError(f"{op}(): \"{kernel}\" not implemented for '{type_word(dt)}'")


rand = _export(_random_factory("rand", "uniform"))
randn = _export(_random_factory("randn", "normal"))


@_export
def randint(*args, size=None, generator=None, dtype=None, device=None, requires_grad: bool = False, **kw) -> Tensor:
    """Uniform integers in ``[low, high)``: ``randint(high, size)`` or ``randint(low, high, size)``."""
    args = list(args)
    if size is None and args and isinstance(args[-1], (tuple, list)):
        size = args.pop()
    if "low" in kw:
        args.insert(0, kw.pop("low"))
    if "high" in kw:
        args.append(kw.pop("high"))
    if len(args) == 1:
        low, high = 0, args[0]
    elif len(args) == 2:
        low, high = args
    else:
        raise TypeError("randint() received an invalid combination of arguments: expected (high, size) or "
                        "(low, high, size)")
    if size is None:
        raise TypeError("randint() missing required argument 'size'")
    low, high = int(low), int(high)
    shape = _size((size,), None, "randint")  # as in PyTorch, a bad size is reported before a bad range
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    ctx = _ctx(device)
    dt = _check_dtype(ctx, dtype or D.int64)
    _check_random_bounds(low, high, dt)
    check_alloc(ctx, shape, dt, "randint")
    return _finish((generator or default_generator)._draw(ctx, "randint", shape, dt, op="randint", low=low,
                                                           high=high), requires_grad)


def _check_random_bounds(low: int, high: int, dt: D.dtype, op: str = "randint") -> None:
    """PyTorch's check that ``[low, high)`` fits an integer or bool dtype (floats take any range)."""
    if dt.kind == D.FLOAT:
        return
    lo, hi = (0, 1) if dt is D.bool else (D.iinfo(dt).min, D.iinfo(dt).max)
    if low < lo:
        raise RuntimeError(f"{op}(): from is out of bounds for {dt.name}")
    if high - 1 > hi:
        raise RuntimeError(f"{op}(): to - 1 is out of bounds for {dt.name}")


@_export
def randperm(n: int, *, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A random permutation of ``0..n-1`` (argsort of uniform draws)."""
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise TypeError(f"randperm(): argument 'n' must be int, not {type(n).__name__}")
    if n < 0:
        raise RuntimeError(f"randperm: Trying to create tensor with negative dimension {n}: [{n}] (n must be "
                           f"non-negative)")
    dt = dtype or D.int64
    if dt is D.bool:
        raise NotImplementedError("\"randperm\" not implemented for 'Bool'")
    if dt.kind == D.INT and n:
        check_value(n - 1, dt, "randperm")  # the largest value must fit, as in PyTorch
    check_alloc(_ctx(device), (n,), D.int64, "randperm")
    # int64 keys: every device has int64, and ties (which would bias the order) need 2**-62 luck
    keys = randint(0, 1 << 62, (n,), generator=generator, device=device)
    return keys.argsort().to(dt)


@_export
def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None) -> Tensor:
    if isinstance(std, Tensor):
        if std.numel() and not bool((std >= 0).all()):  # NaN fails too; one read of a bool, as PyTorch does
            raise RuntimeError("normal expects all elements of std >= 0.0")
    else:
        _check_std(std, "normal")
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        # Shape, dtype and device follow the tensor argument(s), as in PyTorch.
        ref = mean if isinstance(mean, Tensor) else std
        shape = tuple(np.broadcast_shapes(*(t.shape for t in (mean, std) if isinstance(t, Tensor))))
        z = randn(shape, generator=generator, dtype=dtype or ref._dtype, device=device or ref.device)
        return z * std + mean
    return randn(size, generator=generator, dtype=dtype, device=device) * std + mean


def _check_std(std, op: str) -> None:
    if not std >= 0:  # NaN too
        raise RuntimeError(f"{op} expects std >= 0.0, but found std {std:g}")


def _check_uniform(lo, hi, dt: D.dtype) -> None:
    """PyTorch's checks of ``uniform_(from, to)``: both finite in ``dt``, from <= to, to - from finite."""
    big = D.finfo(dt).max
    for name, v in (("from", lo), ("to", hi)):
        if not -big <= v <= big:
            raise RuntimeError(f"uniform_: {name} is out of bounds for {dt.name}")
    if lo > hi:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={lo:g} > to={hi:g}")
    if hi - lo > big:
        raise RuntimeError(f"uniform_ expects to-from <= std::numeric_limits<{dt.name}>::max(), but found "
                           f"to={hi:g} and from={lo:g} which result in to-from to exceed the limit")


def _random_range(a, b, dt: D.dtype) -> tuple[int, int]:
    """``random_``'s ``[from, to)``: (0, a), (a, b), or without arguments PyTorch's default range."""
    for v in (a, b):
        if v is not None and (not isinstance(v, (int, np.integer)) or isinstance(v, bool)):
            raise TypeError(f"random_() received an invalid combination of arguments - got ({type(v).__name__}), "
                            f"but expected (int from, int to) or (int to)")
    if a is None:  # every value the dtype holds exactly (floats: up to 2**mantissa, as PyTorch)
        digits = {D.float16: 11, D.float32: 24, D.float64: 53}.get(dt)
        hi = 2 if dt is D.bool else (1 << digits) + 1 if digits else D.iinfo(dt).max + 1
        return 0, hi
    lo, hi = (0, int(a)) if b is None else (int(a), int(b))
    if lo >= hi:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={lo} >= to={hi}")
    _check_random_bounds(lo, hi, dt, "random_")
    return lo, hi


def _inplace_random(kind: str):
    def fn(self: Tensor, a=None, b=None, *, generator=None) -> Tensor:
        from ._common import check_inplace
        check_inplace(self, kind)
        gen = generator or default_generator
        dt = self._dtype
        if kind == "uniform_":
            lo, hi = (0.0 if a is None else a), (1.0 if b is None else b)
            if not dt.is_floating_point:
                raise _not_floating(kind, "uniform", dt)
            _check_uniform(lo, hi, dt)
        elif kind == "normal_":
            m, s = (0.0 if a is None else a), (1.0 if b is None else b)
            if not dt.is_floating_point:
                raise _not_floating(kind, "normal", dt)
            _check_std(s, "normal")
        else:
            lo, hi = _random_range(a, b, dt)
        if overlaps_itself(self._ctx, self._data):  # before drawing: the generator does not advance
            raise overlap_error(kind)
        with _no_grad():
            if kind == "uniform_":
                r = gen._draw(self._ctx, "uniform", self.shape, dt, op=kind) * (hi - lo) + lo
            elif kind == "normal_":
                r = gen._draw(self._ctx, "normal", self.shape, dt, op=kind) * s + m
            else:
                r = gen._draw(self._ctx, "randint", self.shape, dt, op=kind, low=lo, high=hi)
            try:
                self._ctx.K["copy_"](self._data, r._data)
            except Exception as exc:  # noqa: BLE001 - a read-only view of an expanded tensor, say
                write_through(self._ctx, self._data, r._data, kind, exc)
            self._vc[0] += 1
        return self
    fn.__name__ = kind
    return fn


def _no_grad():
    from ..autograd.grad_mode import no_grad
    return no_grad()


Tensor.uniform_ = _inplace_random("uniform_")
Tensor.normal_ = _inplace_random("normal_")
Tensor.random_ = _inplace_random("random_")


# ---------------------------------------------------------------------------------------------------
# Methods that create tensors like self, and the legacy typed constructors.
# ---------------------------------------------------------------------------------------------------
def _new(maker):
    def m(self: Tensor, *size, dtype=None, device=None, requires_grad: bool = False, **kw) -> Tensor:
        if "size" in kw:
            if size:
                raise TypeError("new_*(): 'size' given both as positional and keyword argument")
            size = (kw.pop("size"),)
        return maker(self, size, dtype or self._dtype, self.device if device is None else device, requires_grad, kw)
    return m


_new_zeros, _new_ones, _new_empty = _factory("new_zeros", 0), _factory("new_ones", 1), _factory("new_empty", None)
Tensor.new_zeros = _new(lambda s, size, dt, dev, rg, kw: _new_zeros(*size, dtype=dt, device=dev, requires_grad=rg))
Tensor.new_ones = _new(lambda s, size, dt, dev, rg, kw: _new_ones(*size, dtype=dt, device=dev, requires_grad=rg))
Tensor.new_empty = _new(lambda s, size, dt, dev, rg, kw: _new_empty(*size, dtype=dt, device=dev, requires_grad=rg))
Tensor.new_full = lambda self, size, fill_value, *, dtype=None, device=None, requires_grad=False: full(
    size, fill_value, dtype=dtype or self._dtype, device=self.device if device is None else device,
    requires_grad=requires_grad)
Tensor.new_tensor = lambda self, data, *, dtype=None, device=None, requires_grad=False: tensor(
    data, dtype=dtype or self._dtype, device=self.device if device is None else device, requires_grad=requires_grad)


def _zero_(self: Tensor) -> Tensor:
    return _fill(self, 0, "zero_")


def _fill_(self: Tensor, value) -> Tensor:
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value._data.ndim} dimensions.")
        value = value.to(self._dtype).item()  # a tensor value is cast (wrapping), as in PyTorch
    else:
        value = check_value(value, self._dtype, "fill_")
    return _fill(self, value, "fill_")


def _fill(self: Tensor, value, name: str) -> Tensor:
    from ._common import check_inplace
    check_inplace(self, name)
    if self._rg and self._grad_fn is not None and _grad_enabled():
        from .elementwise import _apply_inplace
        return _apply_inplace(self, lambda t: t * 0 + value, (), name)
    try:
        self._ctx.K["copy_"](self._data, value)
    except Exception as exc:  # noqa: BLE001 - e.g. NumPy's read-only expanded view, which PyTorch fills
        write_through(self._ctx, self._data, value, name, exc, fill=True)
    self._vc[0] += 1
    return self


def _grad_enabled() -> bool:
    from ..autograd.grad_mode import is_grad_enabled
    return is_grad_enabled()


def _copy_(self: Tensor, src, non_blocking: bool = False) -> Tensor:
    """Copy ``src``'s values into self (broadcasting, casting and moving devices as needed)."""
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'src' (position 1) must be Tensor, not {type(src).__name__}")
    if src._ctx is not self._ctx:
        src = src.to(self.device)
    elif src._vc is self._vc and src is not self:  # views of one storage (they share a version counter)
        src = _unaliased(self, src)
    from .elementwise import _apply_inplace
    return _apply_inplace(self, lambda t, s: (s.to(t._dtype) if s._dtype is not t._dtype else s) + t * 0
                          if t._rg or s._rg else _plain_copy(t, s), (src,), "copy_")


def _unaliased(dst: Tensor, src: Tensor) -> Tensor:
    """PyTorch's rule for ``dst.copy_(src)`` where both view one storage: the very same elements are
    fine; two dense layouts that partly overlap raise its RuntimeError; other overlapping layouts
    (which PyTorch does not check, its result then depending on the order of the copy) read from a
    snapshot of ``src``, as memmove does."""
    b = dst._ctx.backend
    ranges = []
    for t in (dst, src):
        shape, strides = t._data.shape, b.strides(t._data)
        if 0 in shape:
            return src
        start = b.storage_offset(t._data)
        ranges.append((start, start + sum((n - 1) * st for n, st in zip(shape, strides)) + 1, strides,
                       _dense(shape, strides)))
    (d0, d1, dst_st, dst_dense), (s0, s1, src_st, src_dense) = ranges
    if d1 <= s0 or s1 <= d0:
        return src
    if not (dst_dense and src_dense):
        return src.clone()
    if (d0, d1, dst_st) == (s0, s1, src_st):
        return src
    raise RuntimeError("copy_: unsupported operation: some elements of the input tensor and the written-to tensor "
                       "refer to a single memory location. Please clone() the tensor before performing the "
                       "operation.")


def _dense(shape, strides) -> bool:
    """PyTorch's is_non_overlapping_and_dense: some order of the dims is C-contiguous."""
    expected = 1
    for st, n in sorted((st, n) for n, st in zip(shape, strides) if n != 1):
        if st != expected:
            return False
        expected *= n
    return True


def _plain_copy(t: Tensor, s: Tensor) -> Tensor:
    out = _make(t._ctx.K["clone"](t._data), t._dtype, t._ctx)
    try:
        t._ctx.K["copy_"](out._data, s._data)
    except Exception as exc:  # noqa: BLE001 - a shape problem is PyTorch's error, anything else the kernel's
        if not broadcasts_to(s.shape, t.shape):
            raise RuntimeError(f"The size of tensor a ({list(t.shape)}) must match the size of tensor b "
                               f"({list(s.shape)})") from exc
        raise kernel_failure(t._ctx, "copy_", exc) from exc
    return out


Tensor.zero_ = _zero_
Tensor.fill_ = _fill_
Tensor.copy_ = _copy_

_LEGACY = {"FloatTensor": D.float32, "DoubleTensor": D.float64, "HalfTensor": D.float16, "ByteTensor": D.uint8,
           "CharTensor": D.int8, "ShortTensor": D.int16, "IntTensor": D.int32, "LongTensor": D.int64,
           "BoolTensor": D.bool}


def _legacy_new(dtype: D.dtype | None, args, device) -> Tensor:
    """``Tensor(2, 3)`` (uninitialised), ``Tensor([1, 2])`` (data), ``Tensor()`` (empty), ``Tensor(t)`` (alias).

    ``dtype`` is None for ``plugtensor.Tensor`` (the default dtype, but ``Tensor(t)`` keeps ``t``'s)."""
    if len(args) == 1 and isinstance(args[0], Tensor):
        t = args[0]
        if dtype is not None and t._dtype is not dtype:
            raise TypeError(f"new(): expected a tensor of dtype {dtype} (got {t._dtype}); use .to({dtype}) to "
                            f"convert it")
        return t.view(t.shape)  # PyTorch returns an alias sharing memory (and autograd history)
    dtype = dtype or D.get_default_dtype()
    if not args:
        return empty(0, dtype=dtype, device=device)
    if all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in args):
        return empty(*args, dtype=dtype, device=device)
    if len(args) == 1:
        return tensor(args[0], dtype=dtype, device=device)
    raise TypeError(f"new(): invalid arguments {args!r}: expected sizes (ints) or one sequence of data")


class _LegacyMeta(type):
    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor) and obj._dtype is cls._legacy_dtype and obj._ctx.type == "cpu"

    def __call__(cls, *args, device=None):
        return _legacy_new(cls._legacy_dtype, args, device)


for _name, _dt in _LEGACY.items():
    _ALL[_name] = _LegacyMeta(_name, (), {"_legacy_dtype": _dt, "__doc__": f"Legacy constructor of {_dt} tensors."})


def _legacy_type_from_name(name: str) -> D.dtype:
    short = name.rsplit(".", 1)[-1]
    if short not in _LEGACY:
        raise ValueError(f"invalid type: '{name}'")
    return _LEGACY[short]


def _rebuild(arr, dtype_name: str, device: str, requires_grad: bool) -> Tensor:
    return tensor(arr, dtype=getattr(D, dtype_name), device=device, requires_grad=requires_grad)


@_export
def set_default_device(device) -> None:
    """The device of new tensors made by factories without ``device=`` (``cpu`` unless changed)."""
    _default_device[0] = "cpu" if device is None else str(_device_cls(device))


@_export
def get_default_device() -> _device_cls:
    return _device_cls(_default_device[0])


for _fn in (tensor, as_tensor, from_numpy, asarray):
    _export(_fn)
