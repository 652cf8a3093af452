"""The dtype registry and PyTorch's type-promotion rules.

A :class:`dtype` is a small immutable descriptor; backends map it to their own array dtypes.
Plugins may register more dtypes through the ``plugtensor_register_dtypes`` hook.
"""
from __future__ import annotations

import threading
from typing import Iterable

__all__ = [
    "dtype", "bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64",
    "half", "float", "double", "short", "int", "long", "promote_types", "result_type", "can_cast",
    "get_default_dtype", "set_default_dtype", "finfo", "iinfo", "register_dtype", "dtypes",
]

_builtin_bool, _builtin_int, _builtin_float = bool, int, float

# Kinds order the categories PyTorch promotes across: bool < integral < floating.
BOOL, INT, FLOAT = 0, 1, 2


class dtype:
    """A tensor element type, e.g. ``plugtensor.float32``."""

    __slots__ = ("name", "itemsize", "is_floating_point", "is_signed", "is_complex", "kind", "bits")

    def __init__(self, name: str, itemsize: _builtin_int, kind: _builtin_int, is_signed: _builtin_bool):
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "itemsize", itemsize)
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "is_floating_point", kind == FLOAT)
        object.__setattr__(self, "is_signed", is_signed)
        object.__setattr__(self, "is_complex", False)
        object.__setattr__(self, "bits", itemsize * 8)

    def __setattr__(self, key, value):
        raise AttributeError("plugtensor.dtype is immutable")

    def __repr__(self) -> str:
        return f"plugtensor.{self.name}"

    def to_real(self) -> "dtype":
        return self

    def __reduce__(self):
        return (_lookup, (self.name,))


_REGISTRY: dict[str, dtype] = {}


def _lookup(name: str) -> dtype:
    return _REGISTRY[name]


def register_dtype(name: str, itemsize: _builtin_int, kind: str, is_signed: _builtin_bool = True) -> dtype:
    """Register a dtype (idempotent for identical definitions). ``kind`` is 'bool', 'int' or 'float'."""
    k = {"bool": BOOL, "int": INT, "float": FLOAT}[kind]
    existing = _REGISTRY.get(name)
    if existing is not None:
        if (existing.itemsize, existing.kind, existing.is_signed) != (itemsize, k, is_signed):
            raise ValueError(f"dtype {name!r} is already registered with a different definition")
        return existing
    d = dtype(name, itemsize, k, is_signed)
    _REGISTRY[name] = d
    _PROMOTE_CACHE.clear()
    return d


def dtypes() -> tuple[dtype, ...]:
    """Every registered dtype, in registration order."""
    return tuple(_REGISTRY.values())


_PROMOTE_CACHE: dict[tuple[dtype, dtype], dtype] = {}

bool = register_dtype("bool", 1, "bool", False)  # noqa: A001 - PyTorch's public name
uint8 = register_dtype("uint8", 1, "int", False)
int8 = register_dtype("int8", 1, "int")
int16 = register_dtype("int16", 2, "int")
int32 = register_dtype("int32", 4, "int")
int64 = register_dtype("int64", 8, "int")
float16 = register_dtype("float16", 2, "float")
float32 = register_dtype("float32", 4, "float")
float64 = register_dtype("float64", 8, "float")
half, float, double = float16, float32, float64  # noqa: A001
short, int, long = int16, int32, int64  # noqa: A001

_SIGNED_BY_SIZE = {1: int8, 2: int16, 4: int32, 8: int64}


def _promote_uncached(a: dtype, b: dtype) -> dtype:
    if a is b:
        return a
    if a.kind != b.kind:
        return a if a.kind > b.kind else b
    if a.kind == FLOAT:
        return a if a.itemsize >= b.itemsize else b
    # Integers: same signedness -> wider; unsigned with signed -> a signed type wide enough for both.
    if a.is_signed == b.is_signed:
        return a if a.itemsize >= b.itemsize else b
    u, s = (a, b) if not a.is_signed else (b, a)
    if s.itemsize > u.itemsize:
        return s
    wider = _SIGNED_BY_SIZE.get(u.itemsize * 2)
    if wider is None:
        raise TypeError(f"promote_types: no signed integer type holds both {a} and {b}")
    return wider


def promote_types(type1: dtype, type2: dtype) -> dtype:
    """The smallest dtype both ``type1`` and ``type2`` can be cast to, as in ``torch.promote_types``.

    >>> import plugtensor as pt
    >>> pt.promote_types(pt.uint8, pt.int8)
    plugtensor.int16
    """
    key = (type1, type2)
    r = _PROMOTE_CACHE.get(key)
    if r is None:
        if not isinstance(type1, dtype) or not isinstance(type2, dtype):
            raise TypeError(f"promote_types(): expected two plugtensor.dtype, got {type1!r} and {type2!r}")
        r = _PROMOTE_CACHE[key] = _promote_uncached(type1, type2)
    return r


_state = threading.local()
_default_dtype = [float32]  # process-wide, like torch.set_default_dtype


def get_default_dtype() -> dtype:
    """The dtype of new floating-point tensors (float32 unless changed)."""
    return _default_dtype[0]


def set_default_dtype(d: dtype) -> None:
    """Set the dtype of new floating-point tensors; only floating dtypes are allowed."""
    if not isinstance(d, dtype) or not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d!r}")
    _default_dtype[0] = d


def scalar_dtype(value) -> dtype:
    """The dtype PyTorch gives a Python scalar on its own (``tensor(2.5)``)."""
    if isinstance(value, _builtin_bool):
        return bool
    if isinstance(value, _builtin_int):
        return int64
    if isinstance(value, _builtin_float):
        return _default_dtype[0]
    raise TypeError(f"expected a Python number, got {type(value).__name__}")


def _combine(higher: dtype | None, lower: dtype | None) -> dtype | None:
    # PyTorch's rule: a lower-priority category (0-dim tensors, then Python scalars) only raises the
    # result when it is of a higher kind (an int tensor meeting a float scalar becomes floating).
    if higher is None:
        return lower
    if lower is None or higher.kind == FLOAT:
        return higher
    if higher is bool or lower.kind > higher.kind:
        return promote_types(higher, lower)
    return higher


def result_type_of(dim_types: Iterable[dtype], zero_dim_types: Iterable[dtype], scalars: Iterable) -> dtype:
    """Promote operands by PyTorch's three priority categories: dim>0 tensors, 0-dim tensors, scalars."""
    dim = zero = wrapped = None
    for d in dim_types:
        dim = d if dim is None else promote_types(dim, d)
    for d in zero_dim_types:
        zero = d if zero is None else promote_types(zero, d)
    for s in scalars:
        d = scalar_dtype(s)
        wrapped = d if wrapped is None else promote_types(wrapped, d)
    r = _combine(dim, _combine(zero, wrapped))
    if r is None:
        raise TypeError("result_type(): no operands")
    return r


def result_type(tensor1, tensor2) -> dtype:
    """The dtype of an arithmetic op on the two operands (tensors or Python numbers)."""
    dims, zeros, scalars = [], [], []
    for t in (tensor1, tensor2):
        d = getattr(t, "dtype", None)
        if isinstance(d, dtype):
            (zeros if t.dim() == 0 else dims).append(d)
        else:
            scalars.append(t)
    return result_type_of(dims, zeros, scalars)


def can_cast(from_: dtype, to: dtype) -> _builtin_bool:
    """Whether PyTorch allows casting ``from_`` to ``to`` in type promotion (no kind downgrade)."""
    if from_.kind == FLOAT and to.kind != FLOAT:
        return False
    if from_.kind != BOOL and to is bool:
        return False
    return True


class finfo:
    """Machine limits of a floating dtype (``bits``, ``eps``, ``max``, ``min``, ``tiny``, ``resolution``)."""

    def __init__(self, type: dtype | None = None):  # noqa: A002 - PyTorch's argument name
        import numpy as np

        type = get_default_dtype() if type is None else type
        if not isinstance(type, dtype) or not type.is_floating_point:
            raise TypeError(f"finfo(): plugtensor.finfo requires a floating point input type, got {type}")
        info = np.finfo(type.name)
        self.dtype = type.name
        self.bits = type.bits
        self.eps = _builtin_float(info.eps)
        self.max = _builtin_float(info.max)
        self.min = _builtin_float(info.min)
        self.tiny = self.smallest_normal = _builtin_float(info.tiny)
        self.resolution = 10.0 ** -info.precision  # as a Python float, like torch (NumPy's is in the dtype)

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.tiny:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """Limits of an integer dtype (``bits``, ``min``, ``max``)."""

    def __init__(self, type: dtype):  # noqa: A002
        if not isinstance(type, dtype) or type.kind != INT:
            raise TypeError(f"iinfo(): plugtensor.iinfo requires an integer input type, got {type}")
        self.dtype = type.name
        self.bits = type.bits
        if type.is_signed:
            self.min, self.max = -(1 << (type.bits - 1)), (1 << (type.bits - 1)) - 1
        else:
            self.min, self.max = 0, (1 << type.bits) - 1

    def __repr__(self) -> str:
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"
