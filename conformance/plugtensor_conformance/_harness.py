"""What every conformance test needs: device tensors from NumPy data, results back to NumPy,
comparisons against a float64 reference, and finite-difference gradients.

Only public plugtensor API is used here, so a backend is judged by what users see. Results come
back to the host through NumPy's array protocol (``numpy.asarray(tensor)``), which works for every
backend, even when no ``cpu`` backend is installed.
"""
from __future__ import annotations

import contextlib
import warnings
from typing import Any, Iterator, Sequence

import numpy as np

import plugtensor as pt

__all__ = ["ALL_DTYPES", "FLOAT_DTYPES", "INT_DTYPES", "DEFAULT_TOL", "pt_dtype", "is_float", "host", "cast_values",
           "to_ref", "expected_as", "assert_close", "can_cast", "fd_dtype", "quiet", "layout_tensor"]

ALL_DTYPES = ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64")
FLOAT_DTYPES = ("float16", "float32", "float64")
INT_DTYPES = ("uint8", "int8", "int16", "int32", "int64")

# Forward tolerances (rtol, atol) by result dtype, against a float64 reference rounded to that dtype.
# atol is scaled by max(1, max |reference|), so sums and products of large terms are judged relative to
# the size of the terms. float16 allows 4 ulp: a backend may compute half natively instead of in
# float32 as PyTorch's CPU kernels do (reductions get more in the op table).
DEFAULT_TOL = {"float64": (1e-7, 1e-9), "float32": (2e-5, 2e-6), "float16": (4e-3, 1e-3)}


def cpu_available() -> bool:
    """Whether a ``cpu`` backend is installed (the other device of mixed-device and transfer tests)."""
    try:
        pt.zeros(1, device="cpu")
        return True
    except RuntimeError:
        return False


def pt_dtype(name: str) -> pt.dtype:
    """``plugtensor.<name>``."""
    return getattr(pt, name)


def is_float(name: str) -> bool:
    return name in FLOAT_DTYPES


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence NumPy's floating-point warnings (overflow to inf is part of what is tested)."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def host(t: Any) -> Any:
    """A NumPy copy of a tensor's values (tuples/lists recursively); Python values pass through."""
    if isinstance(t, pt.Tensor):
        return np.array(np.asarray(t.detach()), copy=True)
    if isinstance(t, (tuple, list)):
        return type(t)(host(x) for x in t) if not hasattr(t, "_fields") else tuple(host(x) for x in t)
    return t


def cast_values(v: np.ndarray, dtype: str) -> np.ndarray:
    """``v`` (float64 sample values) as NumPy ``dtype``: integers rounded and clipped into range."""
    v = np.asarray(v)
    if dtype == "bool":
        return np.round(v) != 0 if v.dtype != np.bool_ else v
    if dtype in INT_DTYPES:
        if v.dtype.kind in "iub":
            return v.astype(dtype)
        if dtype == "uint8":
            v = np.abs(v)  # keeps nonzero values nonzero (safe divisors) instead of clipping them to 0
        info = np.iinfo(dtype)
        hi = min(info.max, 2 ** 62)  # float64 cannot hold int64's max: stay clear of it
        v = np.nan_to_num(v, nan=0.0, posinf=hi, neginf=info.min)
        return np.clip(np.round(v), info.min, hi).astype(dtype)
    with quiet():
        return v.astype(dtype)


def to_ref(a: np.ndarray) -> np.ndarray:
    """The array a float64 reference computes with: floats as float64, integers as int64, bools as bool."""
    a = np.asarray(a)
    if a.dtype.kind == "f":
        return a.astype(np.float64)
    if a.dtype.kind in "iu":
        return a.astype(np.int64)
    return a


def expected_as(ref: Any, dtype: str) -> np.ndarray:
    """The reference result rounded to ``dtype`` as PyTorch stores it: floats round (and overflow to
    inf), integers wrap modulo 2**bits, bools are ``!= 0``."""
    ref = np.asarray(ref)
    with quiet():
        if dtype == "bool":
            return ref.astype(bool)
        if dtype in INT_DTYPES:
            if ref.dtype.kind == "f":
                if not np.all(np.isfinite(ref)):
                    raise AssertionError(f"reference produced non-finite values for integer dtype {dtype}")
                ref = np.round(ref).astype(np.int64)
            return ref.astype(np.int64).astype(dtype)
        return ref.astype(dtype)


def can_cast(frm: str, to: str) -> bool:
    """``torch.can_cast``: no float -> integer/bool and no integer -> bool."""
    if frm in FLOAT_DTYPES and to not in FLOAT_DTYPES:
        return False
    if frm != "bool" and to == "bool":
        return False
    return True


def assert_close(got: np.ndarray, want: np.ndarray, dtype: str, tol: tuple[float, float] | None = None,
                 what: str = "result") -> None:
    """Values equal within ``tol`` (floats; nan matches nan, inf must match exactly) or exactly (others)."""
    got, want = np.asarray(got), np.asarray(want)
    if got.shape != want.shape:
        raise AssertionError(f"{what}: shape {list(got.shape)}, expected {list(want.shape)}")
    if dtype not in FLOAT_DTYPES:
        if not np.array_equal(got, want):
            bad = np.argwhere(got != want)
            i = tuple(bad[0]) if bad.size else ()
            raise AssertionError(f"{what}: {len(bad)} of {got.size} values differ; first at {list(i)}: "
                                 f"got {got[i] if got.ndim else got!r}, expected {want[i] if want.ndim else want!r}\n"
                                 f"got:\n{got}\nexpected:\n{want}")
        return
    rtol, atol = tol or DEFAULT_TOL[dtype]
    g, w = got.astype(np.float64), want.astype(np.float64)
    finite = np.isfinite(w)
    scale = max(1.0, float(np.max(np.abs(w[finite])))) if finite.any() else 1.0
    with quiet():
        ok = np.where(finite, np.abs(g - w) <= atol * scale + rtol * np.abs(w), (g == w) | (np.isnan(g) & np.isnan(w)))
    if not np.all(ok):
        bad = np.argwhere(~ok)
        i = tuple(bad[0]) if ok.ndim else ()
        raise AssertionError(f"{what}: {len(bad)} of {got.size} values outside rtol={rtol:g}, atol={atol:g} "
                             f"(x{scale:.3g}); first at {list(i)}: got {g[i]!r}, expected {w[i]!r}\n"
                             f"got:\n{got}\nexpected:\n{want}")


def layout_tensor(values: np.ndarray, layout: str, device: str, requires_grad: bool = False) -> pt.Tensor:
    """A device tensor equal to ``values`` (already of its final NumPy dtype) in one memory layout:

    - ``contiguous``: a plain tensor
    - ``transposed``: a permuted view of a tensor holding the values in reversed axis order
    - ``sliced``: a strided, offset view (every other element of the last dim of a larger tensor)
    - ``expanded``: a broadcast view (stride 0) when the values are constant along dim 0, else contiguous
    The tensor is a leaf when ``requires_grad`` (the view is detached from its base first).
    """
    v = np.asarray(values)
    if layout == "transposed" and v.ndim >= 2:
        rev = tuple(range(v.ndim - 1, -1, -1))
        t = pt.tensor(np.ascontiguousarray(v.transpose(rev)), device=device).permute(*rev)
    elif layout == "sliced" and v.ndim >= 1:
        big = np.zeros(v.shape[:-1] + (2 * v.shape[-1] + 1,), dtype=v.dtype)
        big[..., 1::2] = v
        t = pt.tensor(big, device=device)[..., 1::2]
    elif layout == "expanded" and v.ndim >= 1 and v.shape[0] > 1 and np.all(v == v[:1]):
        t = pt.tensor(np.ascontiguousarray(v[:1]), device=device).expand(*v.shape)
    else:
        t = pt.tensor(v, device=device)
    if requires_grad:
        t = t.detach().requires_grad_(True)
    return t


def fd_dtype(dtypes: Sequence[str]) -> str:
    """The dtype finite differences run in on a device: float64 where it has it, else float32."""
    return "float64" if "float64" in dtypes else "float32"
