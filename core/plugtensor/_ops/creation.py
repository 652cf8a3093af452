"""Tensor creation: from data, factories, random numbers (the core's Philox stream), legacy constructors."""
from __future__ import annotations

import math

import numpy as np

from .. import _dtype as D
from .._device import device as _device_cls
from .._plugins import get_context
from ._common import Tensor, _make

_ALL: dict[str, object] = {}
_default_device = ["cpu"]


def _export(fn, *names):
    for n in names or (fn.__name__,):
        _ALL[n] = fn
    return fn


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
        raise TypeError(f"device {ctx.device} (backend '{ctx.backend.name}') does not support dtype {dt}; supported: "
                        f"{', '.join(sorted(d.name for d in ctx.dtypes))}")
    return dt


def _size(args, kwargs_size, op: str) -> tuple[int, ...]:
    if kwargs_size is not None:
        args = (kwargs_size,)
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
            raise RuntimeError(f"Trying to create tensor with negative dimension {a}: {list(args)}")
        out.append(int(a))
    return tuple(out)


_NP_TO_PT = {np.dtype(d.name): d for d in D.dtypes()}


def _pt_dtype_of_numpy(dt: np.dtype, op: str) -> D.dtype:
    r = _NP_TO_PT.get(dt)
    if r is None:
        raise TypeError(f"can't convert np.ndarray of type numpy.{dt}. The only supported types are: float64, "
                        f"float32, float16, int64, int32, int16, int8, uint8, and bool.")
    return r


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
    except ValueError as exc:
        raise ValueError(f"expected sequence of equal lengths at each dimension: {exc}") from None
    except OverflowError:
        raise RuntimeError("Overflow when unpacking long") from None
    if arr.dtype == object:
        if _has_tensors(data):
            arr = np.array(_tensors_to_scalars(data))
        else:
            raise ValueError("expected sequence of equal lengths at each dimension (or numbers), got ragged or "
                             "non-numeric data")
    if arr.dtype.kind in "US":
        raise TypeError(f"new(): invalid data type '{type(arr.flat[0].item()).__name__}'")
    if dtype is None:
        k = arr.dtype.kind
        if k == "b":
            dtype = D.bool
        elif k in "iu":
            dtype = D.int64
        elif k == "f":
            dtype = D.get_default_dtype()
        elif k == "c":
            raise TypeError("plugtensor does not support complex numbers yet")
        else:
            raise TypeError(f"new(): invalid data type '{arr.dtype}'")
    return arr, dtype


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
        data = ctx.backend.empty(shape, dt, ctx.index) if fill is None else ctx.backend.full(shape, fill, dt, ctx.index)
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
    shape = _size((size,), None, "full")
    ctx = _ctx(device)
    dt = _check_dtype(ctx, dtype or D.scalar_dtype(fill_value))
    return _finish(_make(ctx.backend.full(shape, fill_value, dt, ctx.index), dt, ctx), requires_grad)


def _like(name: str, maker):
    def fn(input: Tensor, *args, dtype=None, device=None, requires_grad: bool = False, layout=None,
           memory_format=None, pin_memory: bool = False, **kw) -> Tensor:
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
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if any(isinstance(v, float) for v in vals):
        dt = dtype or D.get_default_dtype()
    else:
        dt = dtype or D.int64
    n = max(0, math.ceil((end - start) / step))
    ctx = _ctx(device)
    _check_dtype(ctx, dt)
    t = _finish(_make(ctx.backend.arange(start, step, n, dt, ctx.index), dt, ctx), requires_grad)
    if out is not None:
        from ._common import write_out
        return write_out(out, t, "arange")
    return t


@_export
def linspace(start, end, steps: int, *, out=None, dtype=None, layout=None, device=None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    if steps < 0:
        raise RuntimeError("linspace(): number of steps must be non-negative")
    dt = dtype or D.get_default_dtype()
    step = (end - start) / (steps - 1) if steps > 1 else 0.0
    i = np.arange(steps, dtype=np.float64)
    half = steps // 2
    # Fill from both ends, as PyTorch does, so the last value is exactly ``end``.
    vals = np.where(i < half, start + i * step, end - (steps - 1 - i) * step)
    return tensor(vals, dtype=dt, device=device, requires_grad=requires_grad)


@_export
def logspace(start, end, steps: int, base: float = 10.0, *, dtype=None, device=None,
             requires_grad: bool = False) -> Tensor:
    vals = base ** linspace(start, end, steps, dtype=D.float64).numpy()
    return tensor(vals, dtype=dtype or D.get_default_dtype(), device=device, requires_grad=requires_grad)


@_export
def eye(n: int, m: int | None = None, *, out=None, dtype=None, layout=None, device=None,
        requires_grad: bool = False) -> Tensor:
    """A 2-D tensor with ones on the diagonal."""
    if n < 0 or (m is not None and m < 0):
        raise RuntimeError(f"n must be greater or equal to 0, got {n if n < 0 else m}")
    dt = dtype or D.get_default_dtype()
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

    def _draw(self, ctx, kind: str, shape, dt, **params):
        data, used = ctx.backend.random(kind, shape, dt, self._seed, self._offset, ctx.index, **params)
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
            raise RuntimeError(f"\"{'check_uniform_bounds' if kind == 'uniform' else 'normal_kernel_cpu'}\" not "
                               f"implemented for '{dt.name}'")
        t = _finish((generator or default_generator)._draw(ctx, kind, shape, dt), requires_grad)
        if out is not None:
            from ._common import write_out
            return write_out(out, t, name)
        return t
    fn.__name__ = name
    fn.__doc__ = ("Uniform samples in [0, 1)." if kind == "uniform" else "Standard normal samples.") + \
        " Reproducible across backends with ``manual_seed``."
    return fn


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
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    shape = _size((size,), None, "randint")
    ctx = _ctx(device)
    dt = _check_dtype(ctx, dtype or D.int64)
    return _finish((generator or default_generator)._draw(ctx, "randint", shape, dt, low=low, high=high),
                   requires_grad)


@_export
def randperm(n: int, *, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A random permutation of ``0..n-1`` (argsort of uniform draws)."""
    keys = rand(n, generator=generator, dtype=D.float64, device=device)
    return keys.argsort().to(dtype or D.int64)


@_export
def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None) -> Tensor:
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        shape = (mean if isinstance(mean, Tensor) else std).shape
        return randn(shape, generator=generator, dtype=dtype, device=device) * std + mean
    return randn(size, generator=generator, dtype=dtype, device=device) * std + mean


def _inplace_random(kind: str):
    def fn(self: Tensor, a=None, b=None, *, generator=None) -> Tensor:
        gen = generator or default_generator
        with _no_grad():
            if kind == "uniform_":
                lo, hi = (0.0 if a is None else a), (1.0 if b is None else b)
                r = gen._draw(self._ctx, "uniform", self.shape, self._dtype) * (hi - lo) + lo
            elif kind == "normal_":
                m, s = (0.0 if a is None else a), (1.0 if b is None else b)
                r = gen._draw(self._ctx, "normal", self.shape, self._dtype) * s + m
            else:
                lo, hi = (0, a) if b is None else (a, b)
                r = gen._draw(self._ctx, "randint", self.shape, self._dtype, low=lo, high=hi)
            self._ctx.K["copy_"](self._data, r._data)
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
        return maker(self, size, dtype or self._dtype, self.device if device is None else device, requires_grad, kw)
    return m


Tensor.new_zeros = _new(lambda s, size, dt, dev, rg, kw: zeros(*size, dtype=dt, device=dev, requires_grad=rg))
Tensor.new_ones = _new(lambda s, size, dt, dev, rg, kw: ones(*size, dtype=dt, device=dev, requires_grad=rg))
Tensor.new_empty = _new(lambda s, size, dt, dev, rg, kw: empty(*size, dtype=dt, device=dev, requires_grad=rg))
Tensor.new_full = lambda self, size, fill_value, *, dtype=None, device=None, requires_grad=False: full(
    size, fill_value, dtype=dtype or self._dtype, device=self.device if device is None else device,
    requires_grad=requires_grad)
Tensor.new_tensor = lambda self, data, *, dtype=None, device=None, requires_grad=False: tensor(
    data, dtype=dtype or self._dtype, device=self.device if device is None else device, requires_grad=requires_grad)


def _zero_(self: Tensor) -> Tensor:
    return _fill(self, 0, "zero_")


def _fill_(self: Tensor, value) -> Tensor:
    if isinstance(value, Tensor):
        value = value.item()
    return _fill(self, value, "fill_")


def _fill(self: Tensor, value, name: str) -> Tensor:
    from ._common import check_inplace
    check_inplace(self, name)
    if self._rg and self._grad_fn is not None and _grad_enabled():
        from .elementwise import _apply_inplace
        return _apply_inplace(self, lambda t: t * 0 + value, (), name)
    self._ctx.K["copy_"](self._data, value)
    self._vc[0] += 1
    return self


def _grad_enabled() -> bool:
    from ..autograd.grad_mode import is_grad_enabled
    return is_grad_enabled()


def _copy_(self: Tensor, src, non_blocking: bool = False) -> Tensor:
    """Copy ``src``'s values into self (broadcasting, casting and moving devices as needed)."""
    if not isinstance(src, Tensor):
        src = tensor(src)
    if src._ctx is not self._ctx:
        src = src.to(self.device)
    from .elementwise import _apply_inplace
    return _apply_inplace(self, lambda t, s: (s.to(t._dtype) if s._dtype is not t._dtype else s) + t * 0
                          if t._rg or s._rg else _plain_copy(t, s), (src,), "copy_")


def _plain_copy(t: Tensor, s: Tensor) -> Tensor:
    out = _make(t._ctx.K["clone"](t._data), t._dtype, t._ctx)
    try:
        t._ctx.K["copy_"](out._data, s._data)
    except ValueError as exc:
        raise RuntimeError(f"The size of tensor a ({list(t.shape)}) must match the size of tensor b "
                           f"({list(s.shape)})") from exc
    return out


Tensor.zero_ = _zero_
Tensor.fill_ = _fill_
Tensor.copy_ = _copy_

_LEGACY = {"FloatTensor": D.float32, "DoubleTensor": D.float64, "HalfTensor": D.float16, "ByteTensor": D.uint8,
           "CharTensor": D.int8, "ShortTensor": D.int16, "IntTensor": D.int32, "LongTensor": D.int64,
           "BoolTensor": D.bool}


def _legacy_new(dtype: D.dtype, args, device) -> Tensor:
    """``Tensor(2, 3)`` (uninitialised), ``Tensor([1, 2])`` (data), ``Tensor()`` (empty)."""
    if not args:
        return empty(0, dtype=dtype, device=device)
    if all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in args):
        return empty(*args, dtype=dtype, device=device)
    if len(args) == 1:
        data = args[0]
        if isinstance(data, Tensor):
            return data if data._dtype is dtype else data.to(dtype)
        return tensor(data, dtype=dtype, device=device)
    raise TypeError(f"new(): invalid arguments {args!r}")


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
