"""Comparisons returning Python values (``equal``, ``allclose``) and small helpers."""
from __future__ import annotations

import types

from . import _dtype as D
from ._ops.reduction import _RT
from ._tensor import Tensor

__all__ = ["equal", "allclose", "isclose", "is_tensor", "is_floating_point", "numel", "return_types"]

return_types = types.SimpleNamespace(**_RT)


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def is_floating_point(input: Tensor) -> bool:
    return input._dtype.is_floating_point


def numel(input: Tensor) -> int:
    return input.numel()


def equal(input: Tensor, other: Tensor) -> bool:
    """True when both tensors have the same shape and the same values."""
    for name, t in (("input", input), ("other", other)):
        if not isinstance(t, Tensor):
            raise TypeError(f"equal(): argument '{name}' must be Tensor, not {type(t).__name__}")
    if input.shape != other.shape:
        return False
    return bool((input == other).all().item())


def isclose(input: Tensor, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:
    """Elementwise ``|input - other| <= atol + rtol * |other|`` (infinities equal to themselves)."""
    if isinstance(other, Tensor) and input._dtype is not other._dtype:
        raise RuntimeError(f"{input._dtype} did not match {other._dtype}")
    # Integers compare in the widest float the device has (float64 where it exists).
    wide = D.float64 if D.float64 in input._ctx.dtypes else D.get_default_dtype()
    a = input if input._dtype.is_floating_point else input.to(wide)
    b = other if not isinstance(other, Tensor) or other._dtype.is_floating_point else other.to(wide)
    err = (a - b).abs()  # infinities are close only to themselves: an infinite error is never within tolerance
    close = (a == b) | (err.isfinite() & (err <= atol + rtol * (b.abs() if isinstance(b, Tensor) else abs(b))))
    if equal_nan:
        close = close | (a.isnan() & (b.isnan() if isinstance(b, Tensor) else (b != b)))
    return close


def allclose(input: Tensor, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    """True when every element is :func:`isclose`."""
    return bool(isclose(input, other, rtol, atol, equal_nan).all().item())


for _f in (equal, isclose, allclose):
    setattr(Tensor, _f.__name__, _f)
Tensor.is_floating_point = is_floating_point
