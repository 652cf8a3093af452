"""Kernel-result checks: what shape and dtype each primitive must return, and a wrapper that checks it.

Every primitive of :data:`~plugtensor.backend.KERNEL_NAMES` (and the fused kernels the core looks up
by name: ``mm``, ``relu``, ``softmax``, ...) has a rule here giving the result's shape and dtype from
the arguments. The plugin manager wraps a kernel with :func:`checked`:

- always for kernels a ``plugtensor_register_kernels`` plugin supplies (only those calls pay for it);
- for every kernel of every backend while checking is on: ``PLUGTENSOR_CHECK_KERNELS=1`` in the
  environment, or :func:`set_kernel_checks` (the conformance suite turns it on for its run).

A result of the wrong shape or dtype raises :class:`KernelError` (a ``RuntimeError``) naming the kernel,
who supplied it, what was expected and what came back. A plugin's kernel is also :func:`guarded`: the
array it writes is restored if it raises, and its exception comes out as a KernelError naming it.
"""
from __future__ import annotations

import os
from typing import Any, Callable

import numpy as np

from .. import _dtype as D
from ._base import BINARY_KERNELS, UNARY_KERNELS

__all__ = ["set_kernel_checks", "kernel_checks", "checked", "guarded", "KernelError", "SPECS"]

_enabled = os.environ.get("PLUGTENSOR_CHECK_KERNELS", "0").strip().lower() not in ("", "0", "false", "no", "off")

_PY_SCALARS = (int, float, bool)
_BOOL_UNARY = frozenset(("logical_not", "isnan", "isinf", "isfinite"))
_BOOL_BINARY = frozenset(("eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor"))


def kernel_checks() -> bool:
    """Whether every kernel's result is checked (see :func:`set_kernel_checks`)."""
    return _enabled


def set_kernel_checks(on: bool = True) -> bool:
    """Check the shape and dtype of every kernel result on every backend (``on=True``), or only of
    kernels that plugins supply (``on=False``, the default unless ``PLUGTENSOR_CHECK_KERNELS=1``).

    Takes effect at once, also for tensors that already exist. Returns the previous setting."""
    global _enabled
    on, old = bool(on), _enabled
    if on != old:
        from .. import _plugins
        _enabled = on
        _plugins._reload_kernel_tables()
    return old


# -- the rules: (shape_of, dtype_of, args, kwargs) -> (shape, dtype) or a list of them ---------------
# A shape may hold None for a size that depends on the data (nonzero's count); a whole shape or
# dtype of None is not checked.
def _shape(sh, x) -> tuple:
    return () if x.__class__ in _PY_SCALARS else tuple(sh(x))


def _dt(dt, x):
    return None if x.__class__ in _PY_SCALARS else dt(x)


def _arg(args, kwargs, i: int, name: str, default=None):
    return args[i] if len(args) > i else kwargs.get(name, default)


def _same(sh, dt, args, kwargs):
    return _shape(sh, args[0]), _dt(dt, args[0])


def _unary_bool(sh, dt, args, kwargs):
    return _shape(sh, args[0]), D.bool


def _broadcast(sa: tuple, sb: tuple) -> tuple:
    return sa if sa == sb or not sb else sb if not sa else np.broadcast_shapes(sa, sb)


def _binary(sh, dt, args, kwargs):
    a, b = args[0], args[1]
    shape = _broadcast(_shape(sh, a), _shape(sh, b))
    da, db = _dt(dt, a), _dt(dt, b)
    return shape, (db if da is None else da if db is None or db is da else None)


def _binary_bool(sh, dt, args, kwargs):
    return _binary(sh, dt, args, kwargs)[0], D.bool


def _reduced(shape: tuple, axes, keepdim: bool) -> tuple:
    n = len(shape)
    axes = range(n) if axes is None else {a % n for a in ((axes,) if axes.__class__ is int else axes)} if n else ()
    return tuple(1 if i in axes else s for i, s in enumerate(shape) if keepdim or i not in axes)


def _reduction(sh, dt, args, kwargs):
    x = args[0]
    out_dt = _arg(args, kwargs, 3, "dtype")
    return _reduced(_shape(sh, x), _arg(args, kwargs, 1, "axes"), _arg(args, kwargs, 2, "keepdim", False)), \
        out_dt if out_dt is not None else _dt(dt, x)


def _logical_reduction(sh, dt, args, kwargs):
    return _reduction(sh, dt, args, kwargs)[0], D.bool


def _arg_reduction(sh, dt, args, kwargs):
    return _reduced(_shape(sh, args[0]), _arg(args, kwargs, 1, "axis"), _arg(args, kwargs, 2, "keepdim", False)), \
        D.int64


def _cumulative(sh, dt, args, kwargs):
    out_dt = _arg(args, kwargs, 2, "dtype")
    return _shape(sh, args[0]), out_dt if out_dt is not None else _dt(dt, args[0])


def _where(sh, dt, args, kwargs):
    c, a, b = args[:3]
    shape, out_dt = _binary(sh, dt, (a, b), {})
    return _broadcast(_shape(sh, c), shape), out_dt


def _matmul(sh, dt, args, kwargs):
    a, b = _shape(sh, args[0]), _shape(sh, args[1])
    da, db = _dt(dt, args[0]), _dt(dt, args[1])
    out_dt = da if da is db else None
    if not a or not b:
        return None, out_dt
    A, B = ((1,) + a if len(a) == 1 else a), (b + (1,) if len(b) == 1 else b)
    shape = np.broadcast_shapes(A[:-2], B[:-2]) + (A[-2], B[-1])
    if len(a) == 1:
        shape = shape[:-2] + shape[-1:]
    if len(b) == 1:
        shape = shape[:-1]
    return shape, out_dt


def _astype(sh, dt, args, kwargs):
    return _shape(sh, args[0]), _arg(args, kwargs, 1, "dtype")


def _concatenate(sh, dt, args, kwargs):
    arrays, axis = list(args[0]), _arg(args, kwargs, 1, "axis", 0)
    shapes = [_shape(sh, x) for x in arrays]
    first = shapes[0]
    axis %= len(first)
    return first[:axis] + (sum(s[axis] for s in shapes),) + first[axis + 1:], _dt(dt, arrays[0])


def _take_along_axis(sh, dt, args, kwargs):
    a, index, axis = args[0], args[1], _arg(args, kwargs, 2, "axis")
    sa, si = _shape(sh, a), _shape(sh, index)
    if not sa:
        return (), _dt(dt, a)
    axis %= len(si)
    return tuple(i if j == axis or i != 1 else s for j, (i, s) in enumerate(zip(si, sa))), _dt(dt, a)


def _first_array(sh, dt, args, kwargs):
    """In-place kernels (copy_, scatter_add, index_put): the array written into comes back."""
    return _shape(sh, args[0]), _dt(dt, args[0])


_APART = object()


def _index(sh, dt, args, kwargs):
    """NumPy's indexing rules for a key of ints, slices, None, Ellipsis and integer arrays (a bool
    mask makes the size data-dependent: only the dtype is checked then)."""
    a, key = args[0], args[1]
    key = key if key.__class__ is tuple else (key,)
    shape = _shape(sh, a)
    arrays = [k for k in key if k is not None and k is not Ellipsis and k.__class__ not in (int, slice)]
    if any(_dt(dt, k) is D.bool for k in arrays):
        return None, _dt(dt, a)
    used = sum(1 for k in key if k is not None and k is not Ellipsis)
    ell = [j for j, k in enumerate(key) if k is Ellipsis]
    if ell:  # (NumPy: advanced indices on either side of an Ellipsis are apart, even an empty one)
        i = ell[0]
        key = key[:i] + (_APART,) + (slice(None),) * (len(shape) - used) + key[i + 1:]
    else:
        key = key + (slice(None),) * (len(shape) - used)
    advanced = [j for j, k in enumerate(key) if k is not None and k is not _APART and k.__class__ is not slice] \
        if arrays else []
    out, dim, placed = [], 0, False
    adjacent = not advanced or advanced == list(range(advanced[0], advanced[-1] + 1))
    bshape = np.broadcast_shapes(*[_shape(sh, key[j]) for j in advanced]) if advanced else ()
    for j, k in enumerate(key):
        if k is _APART:
            continue
        if k is None:
            out.append(1)
            continue
        if j in advanced:
            if adjacent and not placed:
                out.extend(bshape)
                placed = True
        elif k.__class__ is slice:
            out.append(len(range(*k.indices(shape[dim]))))
        dim += 1
    if advanced and not adjacent:
        out = list(bshape) + out
    return tuple(out), _dt(dt, a)


def _nonzero(sh, dt, args, kwargs):
    return (None, len(_shape(sh, args[0]))), D.int64


def _sort(sh, dt, args, kwargs):
    shape = _shape(sh, args[0])
    return [(shape, _dt(dt, args[0])), (shape, D.int64)]


def _relu_backward(sh, dt, args, kwargs):
    return _shape(sh, args[0]), _dt(dt, args[0])


SPECS: dict[str, Callable] = {}
SPECS.update({n: _unary_bool if n in _BOOL_UNARY else _same for n in UNARY_KERNELS})
SPECS.update({n: _binary_bool if n in _BOOL_BINARY else _binary for n in BINARY_KERNELS})
SPECS.update(
    sum=_reduction, prod=_reduction, amax=_reduction, amin=_reduction, any=_logical_reduction,
    all=_logical_reduction, argmax=_arg_reduction, argmin=_arg_reduction, cumsum=_cumulative,
    cumprod=_cumulative, where=_where, matmul=_matmul, mm=_matmul, astype=_astype, copy_=_first_array,
    concatenate=_concatenate, take_along_axis=_take_along_axis, scatter_add=_first_array, index=_index,
    index_put=_first_array, nonzero=_nonzero, flip=_same, sort=_sort, contiguous=_same, clone=_same,
    # fused kernels the core uses when a backend has them
    relu=_same, softmax=_same, log_softmax=_same, relu_backward=_relu_backward, relu_backward_=_relu_backward,
    log_softmax_backward=_relu_backward,
)


_QUICK = {_same: True, _binary: True, _unary_bool: False, _binary_bool: False}  # True: the input's dtype
_ELEMENTWISE = frozenset(UNARY_KERNELS + BINARY_KERNELS)


# -- the wrapper ----------------------------------------------------------------------------------
def _describe(sh, dt, x) -> str:
    if x.__class__ in _PY_SCALARS or x is None or x.__class__ in (slice, str) or x is Ellipsis:
        return repr(x)
    if x.__class__ in (tuple, list):
        inner = ", ".join(_describe(sh, dt, v) for v in x)
        return (f"({inner},)" if len(x) == 1 else f"({inner})") if x.__class__ is tuple else f"[{inner}]"
    if isinstance(x, D.dtype):
        return x.name
    try:
        return f"{dt(x).name}{list(sh(x))}"
    except Exception:  # noqa: BLE001 - only a description
        return type(x).__name__


def _shape_text(shape) -> str:
    return "[" + ", ".join("?" if s is None else str(s) for s in shape) + "]"


def _mismatch(sh, dt, as_array, r, want) -> str | None:
    """What is wrong with result ``r`` against ``want`` ((shape, dtype)), or None when it fits."""
    shape, dtype = want
    if r is None:
        return "returned None"
    try:
        a = as_array(r)
        got_shape, got_dtype = tuple(sh(a)), dt(a)
    except Exception as exc:  # noqa: BLE001 - something that is not one of the backend's arrays
        return f"returned {type(r).__name__}, which the backend cannot read as an array ({type(exc).__name__}: {exc})"
    bad_shape = shape is not None and got_shape != shape and (
        len(got_shape) != len(shape) or any(w is not None and w != g for w, g in zip(shape, got_shape)))
    bad_dtype = dtype is not None and got_dtype is not dtype
    if not (bad_shape or bad_dtype):
        return None
    return (f"returned shape {_shape_text(got_shape)} and dtype {got_dtype.name}, expected shape "
            f"{'(any)' if shape is None else _shape_text(shape)} and dtype {'(any)' if dtype is None else dtype.name}")


class KernelError(RuntimeError):
    """A kernel returned a result of the wrong shape or dtype, or a plugin's kernel raised: the message
    names the kernel and who supplied it. The core passes it on as it is (prefixed with the op)."""


#: Kernels that write into their first argument (besides ``out=``, which every elementwise kernel takes).
WRITES_FIRST = frozenset(("copy_", "index_put", "scatter_add"))
#: Exception classes a plugin's kernel may raise on purpose (PyTorch's own): they pass through unchanged.
_DELIBERATE = (RuntimeError, IndexError, NotImplementedError)


def guarded(name: str, fn: Callable, source: str, clone: Callable, copy: Callable) -> Callable:
    """A plugin's kernel ``fn`` made fault-safe: the array it writes (``out=``, or the first argument of
    :data:`WRITES_FIRST` kernels) is saved first (``clone``) and restored (``copy``) if it raises, and its
    own exceptions come out as :class:`KernelError` naming the kernel and the plugin (PyTorch's error
    classes pass through). Only calls that write pay for the copy."""
    writes_first = name in WRITES_FIRST

    def kernel(*args, **kwargs):
        target = kwargs.get("out")
        if target is None and writes_first and args:
            target = args[0]
        saved = None if target is None else clone(target)
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - the plugin's failure must not corrupt its arguments
            if saved is not None:
                copy(target, saved)
            if type(exc) in _DELIBERATE:
                exc.plugtensor_kernel = f"kernel '{name}' from {source}"  # the op's error names it
                raise
            raise KernelError(f"kernel '{name}' from {source} raised {type(exc).__name__}: {exc}") from exc

    kernel.__name__ = getattr(fn, "__name__", name)
    kernel.__wrapped__ = fn
    return kernel


def checked(name: str, fn: Callable, source: str, backend: Any) -> Callable:
    """``fn`` wrapped so that a result of the wrong shape or dtype raises :class:`KernelError` (``fn``
    itself when ``name`` has no rule). ``source`` names who supplied the kernel, e.g. "plugin 'fast_exp'"."""
    spec = SPECS.get(name)
    if spec is None or getattr(fn, "_plugtensor_checked", None) is not None:
        return fn
    sh, dt, as_array = backend.shape, backend.dtype, backend.as_array
    # Elementwise kernels (the usual overrides) first try a quick test of the common case: a result
    # of the input's class and shape, operands of one shape; anything else takes the full rule.
    quick = _QUICK.get(spec) if name in _ELEMENTWISE else None
    scalars, boolean = _PY_SCALARS, D.bool

    def kernel(*args, **kwargs):
        r = fn(*args, **kwargs)
        if quick is not None:
            a = args[0]
            if r.__class__ is a.__class__ and r.shape == a.shape and (
                    len(args) == 1 or args[1].__class__ in scalars or args[1].shape == a.shape) \
                    and dt(r) is (dt(a) if quick else boolean):
                return r
        try:
            want = spec(sh, dt, args, kwargs)
        except Exception:  # noqa: BLE001 - arguments the rule cannot read: the kernel alone decides
            return r
        if want.__class__ is list:
            if r.__class__ not in (tuple, list) or len(r) != len(want):
                problems = [f"returned {type(r).__name__}, expected a tuple of {len(want)} arrays"]
            else:
                problems = [f"result {i}: {p}" for i, (x, w) in enumerate(zip(r, want))
                            if (p := _mismatch(sh, dt, as_array, x, w)) is not None]
        else:
            p = _mismatch(sh, dt, as_array, r, want)
            problems = [] if p is None else [p]
        if problems:
            args_text = ", ".join([_describe(sh, dt, x) for x in args] +
                                  [f"{k}={_describe(sh, dt, v)}" for k, v in kwargs.items()])
            raise KernelError(f"kernel '{name}' from {source} {'; '.join(problems)} for arguments ({args_text})")
        return r

    kernel.__name__ = getattr(fn, "__name__", name)
    kernel.__wrapped__ = fn
    kernel._plugtensor_checked = source
    return kernel
