"""Helpers shared by the op modules: operand coercion, dtype promotion, ``out=`` and in-place writes."""
from __future__ import annotations

import numpy as np

from .. import _dtype as D
from ..backend._checks import KernelError
from .._tensor import Tensor, _gm, _make, _wrap_dim

__all__ = ["Tensor", "_make", "_gm", "scalar", "pair_dtype", "scalar_dtype", "cast", "write_out", "check_inplace",
           "same_ctx", "wrap_dim", "dims_arg", "fit_int_scalar"]

wrap_dim = _wrap_dim
_SCALARS = (int, float, bool)
_scalar_cache: dict = {}
_INT_RANGE = {d: (-(1 << (d.bits - 1)), (1 << (d.bits - 1)) - 1) if d.is_signed else (0, (1 << d.bits) - 1)
              for d in (D.uint8, D.int8, D.int16, D.int32, D.int64)}


def scalar(x, op: str, arg: str = "other"):
    """A Python number from ``x`` (NumPy scalars allowed), else PyTorch's TypeError."""
    if x.__class__ in _SCALARS:
        return x
    if isinstance(x, np.generic) and x.dtype.kind in "biuf":
        return x.item()
    if isinstance(x, _SCALARS):
        return x
    raise TypeError(f"{op}(): argument '{arg}' must be Tensor or Number, not {type(x).__name__}")


def scalar_dtype(dt: D.dtype, s) -> D.dtype:
    """Result dtype of a tensor of ``dt`` with the Python scalar ``s`` (cached)."""
    key = (dt, s.__class__, D._default_dtype[0])
    r = _scalar_cache.get(key)
    if r is None:
        r = _scalar_cache[key] = D.result_type_of((dt,), (), (s,))
    return r


def pair_dtype(a: Tensor, b: Tensor) -> D.dtype:
    """Result dtype of two tensors by PyTorch's rules (0-dim tensors rank below dimensioned ones)."""
    da, db = a._dtype, b._dtype
    if da is db:
        return da
    az, bz = a._data.ndim == 0, b._data.ndim == 0
    if az == bz:
        return D.promote_types(da, db)
    if az:
        return D.result_type_of((db,), (da,), ())
    return D.result_type_of((da,), (db,), ())


def fit_int_scalar(s, dt: D.dtype):
    """Wrap an out-of-range int scalar into ``dt`` as PyTorch's integer arithmetic does."""
    lo_hi = _INT_RANGE.get(dt)
    if lo_hi is None or s.__class__ is not int:
        return s
    lo, hi = lo_hi
    if lo <= s <= hi:
        return s
    span = hi - lo + 1
    return (s - lo) % span + lo


def cast(t: Tensor, dt: D.dtype):
    """``t``'s array in dtype ``dt`` (no copy when it already is)."""
    if t._dtype is dt:
        return t._data
    ctx = t._ctx
    if dt not in ctx.dtypes:
        raise unsupported_dtype(ctx, dt)
    return ctx.K["astype"](t._data, dt)


def unsupported_dtype(ctx, dt: D.dtype) -> TypeError:
    """PyTorch-style TypeError for a dtype the device does not declare, with the backend's reason."""
    note = ctx.backend.dtype_note(dt, ctx.index)
    return TypeError(f"device {ctx.device} (backend '{ctx.backend.name}') does not support dtype {dt}"
                     + (f" ({note})" if note else "")
                     + f"; supported: {', '.join(sorted(d.name for d in ctx.dtypes))}")


def same_ctx(a: Tensor, b: Tensor, op: str):
    """The shared device context of two tensors, else PyTorch's mixed-device RuntimeError."""
    if a._ctx is b._ctx:
        return a._ctx
    if a._ctx.device == b._ctx.device:
        return a._ctx
    raise RuntimeError(f"Expected all tensors to be on the same device, but found at least two devices, "
                       f"{a._ctx.device} and {b._ctx.device}! (when checking argument for {op})")


def tensor_args(op: str, **args) -> None:
    """PyTorch's TypeError for the first of ``args`` (in the op's argument order) that is not a Tensor."""
    for name, value in args.items():
        if not isinstance(value, Tensor):
            raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(value).__name__}")


def kernel_failure(ctx, op: str, exc: BaseException) -> RuntimeError:
    """The error for a kernel that raised on arguments the core had already validated: it names the op,
    the backend and the device, and chains the backend's own exception (never leaked as is). A kernel
    check's error (it names the kernel and the plugin that supplied it) keeps its class and words."""
    if isinstance(exc, KernelError):
        return KernelError(f"{op}(): {exc}")
    supplier = getattr(exc, "plugtensor_kernel", None)
    if supplier is not None:  # PyTorch's own class, raised on purpose by a plugin's kernel: kept
        return type(exc)(f"{op}(): {exc} (raised by {supplier})")
    return RuntimeError(f"{op}(): the kernel of backend '{ctx.backend.name}' failed on {ctx.device} "
                        f"({type(exc).__name__}: {exc})")


def overlaps_itself(ctx, a) -> bool:
    """Whether two elements of the array ``a`` share one memory location (a stride-0 dim of size > 1,
    as after ``expand``): writing into it in place is PyTorch's "unsupported operation"."""
    return any(st == 0 and n > 1 for n, st in zip(ctx.backend.shape(a), ctx.backend.strides(a)))


def writable_alias(ctx, a, collapse: bool = False):
    """The memory of ``a`` through a view the backend makes from its storage: writable even where ``a``
    is not (NumPy's expanded views are read-only; PyTorch writes through them). With ``collapse``, a
    stride-0 dim becomes size 1, so each memory location appears once (for writing one value)."""
    b = ctx.backend
    shape, strides = b.shape(a), b.strides(a)
    if collapse:
        shape = tuple(1 if st == 0 else n for n, st in zip(shape, strides))
    return b.as_strided(a, shape, strides, b.storage_offset(a))


def write_through(ctx, dest, src, op: str, exc: BaseException, fill: bool = False) -> None:
    """``copy_(dest, src)`` failed with ``exc``: retry through a writable alias of ``dest`` (the write
    PyTorch makes through a non-overlapping view of an expanded tensor, and, for ``fill`` of one value
    (``fill_``, ``zero_``), into an overlapping one), else raise PyTorch's overlap error or the kernel's
    failure. Writing a copy again is safe: ``src`` is not ``dest``."""
    if overlaps_itself(ctx, dest) and not fill:
        raise overlap_error(op) from exc
    try:
        alias = writable_alias(ctx, dest, collapse=fill)
        ctx.K["copy_"](alias, src)
    except Exception:  # noqa: BLE001 - the first failure is the one to report
        raise kernel_failure(ctx, op, exc) from exc


def write_failure(ctx, op: str, dest, exc: BaseException, otherwise: Exception | None = None) -> Exception:
    """The error for a kernel that failed writing into ``dest``: PyTorch's overlap error when ``dest``
    overlaps itself, else ``otherwise`` (default: the kernel's failure, naming op and backend)."""
    if overlaps_itself(ctx, dest):
        return overlap_error(op)
    return otherwise if otherwise is not None else kernel_failure(ctx, op, exc)


def broadcasts_to(shape, target) -> bool:
    """Whether an operand of ``shape`` broadcasts to exactly ``target`` (as a copy's source must)."""
    try:
        return np.broadcast_shapes(tuple(shape), tuple(target)) == tuple(target)
    except ValueError:
        return False


def overlap_error(op: str) -> RuntimeError:
    return RuntimeError(f"{op}: unsupported operation: more than one element of the written-to tensor refers to a "
                        f"single memory location. Please clone() the tensor before performing the operation.")


def check_inplace(t: Tensor, op: str) -> None:
    """PyTorch's errors for in-place ops that autograd cannot record."""
    if _gm.enabled:
        if t._rg and t._grad_fn is None:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
        base = t._base
        if base is not None and base._rg and base._grad_fn is None:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")
        if base is not None and (base._rg or base._grad_fn is not None):
            raise RuntimeError(
                f"{op}: in-place modification of a view of a tensor that requires grad is not supported by "
                f"plugtensor; apply the op out of place (e.g. `y = x.{op.rstrip('_')}(...)`) or modify the base "
                f"tensor under plugtensor.no_grad()")


def write_out(out: Tensor, res: Tensor, op: str) -> Tensor:
    """Store ``res`` into the ``out=`` tensor (resizing it when it is empty), PyTorch-style."""
    if not isinstance(out, Tensor):
        raise TypeError(f"{op}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if _gm.enabled and (out._rg or res._rg):
        raise RuntimeError(f"{op}(): functions with out=... arguments don't support automatic differentiation, "
                           f"but one of the arguments requires grad.")
    if not D.can_cast(res._dtype, out._dtype):
        raise RuntimeError(f"result type {_type_word(res._dtype)} can't be cast to the desired output type "
                           f"{_type_word(out._dtype)}")
    same_ctx(out, res, op)
    if out._data.shape != res._data.shape:
        if out.numel() != 0 and out._base is None:
            import warnings
            warnings.warn(f"An output with one or more elements was resized since it had shape "
                          f"{list(out._data.shape)}, which does not match the required output shape "
                          f"{list(res._data.shape)}.", UserWarning, stacklevel=3)
        if out._base is not None:
            raise RuntimeError(f"{op}(): the out= tensor is a view of shape {list(out._data.shape)} and cannot be "
                               f"resized to {list(res._data.shape)}")
        out._data = cast(res, out._dtype) if res._dtype is not out._dtype else res._data
    else:
        out._ctx.K["copy_"](out._data, res._data)
    out._vc[0] += 1
    return out


def scatter_back(g: Tensor, shape, dim: int, index: Tensor) -> Tensor:
    """Zeros of ``shape`` with ``g`` added at ``index`` along ``dim``: the gradient of gather-like ops
    (gather, max/min along a dim, sort). Their forward validated ``index``, so outside
    ``create_graph`` this calls the kernel directly, without scatter_add's checks and recording."""
    ctx = g._ctx
    z = _make(ctx.backend.full(tuple(shape), 0, g._dtype, ctx.index), g._dtype, ctx)
    if _gm.enabled and g._rg:
        return z.scatter_add(dim, index, g)
    ctx.K["scatter_add"](z._data, dim, index._data, g._data)
    return z


def _type_word(dt: D.dtype) -> str:
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
            "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}.get(dt.name, dt.name)


type_word = _type_word


def dims_arg(dim, ndim: int, op: str) -> tuple[int, ...]:
    """Normalise a dim argument (None = all dims, an int, or a sequence) to a sorted tuple."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (list, tuple)):
        dims = tuple(sorted({_wrap_dim(d, ndim, op) for d in dim}))
        if len(dims) != len(dim):
            seen = [_wrap_dim(d, ndim, op) for d in dim]
            twice = next(d for i, d in enumerate(seen) if d in seen[:i])
            raise RuntimeError(f"{op}(): dim {twice} appears multiple times in the list of dims")
        if ndim == 0:  # a 0-dim tensor accepts dim 0 / -1 but has no axis to reduce
            return ()
        return dims if dims else tuple(range(ndim))
    d = _wrap_dim(dim, ndim, op)
    return (d,) if ndim else ()


class no_record:
    """``with no_record():`` ops inside record no autograd history (a lighter ``no_grad`` for op internals)."""

    __slots__ = ("_prev",)

    def __enter__(self) -> None:
        self._prev = _gm.enabled
        _gm.enabled = False

    def __exit__(self, *exc) -> None:
        _gm.enabled = self._prev


def exporter(table: dict, bind_methods: bool):
    """``export(fn, *names)``: list ``fn`` in a module's public ``table`` (and bind it as a Tensor method)."""
    def export(fn, *names):
        for n in names or (fn.__name__,):
            table[n] = fn
        if bind_methods:
            setattr(Tensor, fn.__name__, fn)
        return fn
    return export
