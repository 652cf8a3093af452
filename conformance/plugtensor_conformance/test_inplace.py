"""In-place ops and ``out=``: results land in the given tensor (same object, same storage), with
PyTorch's casting rules, broadcasting limits, resizing and version-counter bumps."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import plugtensor as pt

from ._harness import FLOAT_DTYPES, INT_DTYPES, assert_close, cast_values, host, pt_dtype
from .plugin import dtype_params

AREA = "in-place & out="
NUMERIC = FLOAT_DTYPES + INT_DTYPES


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "dtype" in metafunc.fixturenames:
        only = NUMERIC if metafunc.function.__name__ != "test_fill_copy_zero" else None
        metafunc.parametrize("dtype", dtype_params(metafunc.config, only))


def _t(values, dtype: str, device: str) -> pt.Tensor:
    return pt.tensor(cast_values(np.asarray(values, dtype=np.float64), dtype), device=device)


def test_inplace_returns_self_and_bumps_version(dtype: str, device: str) -> None:
    x = _t([[1, 2, 3], [4, 5, 6]], dtype, device)
    storage = x.view(-1)
    v0 = x._version
    r = x.add_(_t([1, 1, 2], dtype, device))  # broadcasting the other operand is fine
    assert r is x, "add_ must return self"
    assert x._version > v0, "an in-place op must bump the version counter"
    want = cast_values(np.array([[2, 3, 5], [5, 6, 8]], dtype=np.float64), dtype)
    assert_close(host(storage), want.reshape(-1), dtype, what="a view of the storage after add_")
    y = x
    y += 1
    assert y is x, "`+=` must modify the tensor in place"
    y *= 2
    assert y is x, "`*=` must modify the tensor in place"
    assert_close(host(x), ((want + 1) * 2).astype(dtype), dtype, what="after += 1 and *= 2")


def test_inplace_cannot_broadcast_self(dtype: str, device: str) -> None:
    with pytest.raises(RuntimeError, match="shape"):
        _t([1, 2, 3], dtype, device).add_(_t([[1, 2, 3], [4, 5, 6]], dtype, device))


def test_inplace_casting_rules(dtype: str, device: str, target) -> None:
    """The result is cast into self's dtype when PyTorch allows it (same kind or up), else RuntimeError."""
    x = _t([1, 2, 3], dtype, device)
    if dtype in INT_DTYPES:
        with pytest.raises(RuntimeError, match="can't be cast"):
            x.add_(1.5)
        with pytest.raises(RuntimeError, match="can't be cast"):
            x.mul_(pt.tensor([1.5, 1.5, 1.5], device=device))
        wide = "int64"
    else:
        x.add_(1.5)
        assert_close(host(x), cast_values(np.array([2.5, 3.5, 4.5]), dtype), dtype, what="float add_ 1.5")
        wide = "float64" if "float64" in target.dtypes else "float32"
    y = _t([1, 2, 3], dtype, device)
    y.add_(_t([2, 2, 2], wide, device))  # a wider operand: computed wide, stored back in self's dtype
    assert y.dtype == pt_dtype(dtype), "in-place ops keep self's dtype"
    assert_close(host(y), cast_values(np.array([3, 4, 5]), dtype), dtype, what=f"{dtype}.add_({wide} tensor)")


def test_out_reuses_tensor(dtype: str, device: str) -> None:
    a, b = _t([[1, 2], [3, 4]], dtype, device), _t([[5, 6], [7, 8]], dtype, device)
    out = pt.zeros(2, 2, dtype=pt_dtype(dtype), device=device)
    alias = out.view(-1)
    r = pt.add(a, b, out=out)
    assert r is out, "add(out=...) must return the out tensor"
    assert_close(host(alias), cast_values(np.array([6, 8, 10, 12]), dtype), dtype,
                 what="out= must write into the out tensor's own storage")
    r = pt.mul(a, b, out=a)  # out may alias an input
    assert r is a
    assert_close(host(a), cast_values(np.array([[5, 12], [21, 32]]), dtype), dtype, what="mul(a, b, out=a)")


def test_out_resizes_with_warning(dtype: str, device: str) -> None:
    a = _t([1, 2, 3], dtype, device)
    out = pt.zeros(2, 3, dtype=pt_dtype(dtype), device=device)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pt.add(a, a, out=out)
    assert tuple(out.shape) == (3,), f"out= of the wrong shape must be resized to the result, got {list(out.shape)}"
    assert any(issubclass(w.category, UserWarning) and "resized" in str(w.message) for w in caught), \
        "resizing a non-empty out= tensor must warn (UserWarning mentioning 'resized')"
    assert_close(host(out), cast_values(np.array([2, 4, 6]), dtype), dtype)
    empty = pt.empty(0, dtype=pt_dtype(dtype), device=device)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an empty out= is resized silently
        pt.add(a, a, out=empty)
    assert tuple(empty.shape) == (3,)


def test_out_dtype_rules(dtype: str, device: str) -> None:
    a = _t([1, 2, 3], dtype, device)
    if dtype in INT_DTYPES:
        out = pt.zeros(3, dtype=pt.float32, device=device)
        pt.add(a, a, out=out)  # integer result into a float out= tensor: allowed
        assert_close(host(out), np.array([2.0, 4.0, 6.0], dtype=np.float32), "float32")
    else:
        with pytest.raises(RuntimeError, match="can't be cast"):
            pt.add(a, a, out=pt.zeros(3, dtype=pt.int64, device=device))


def test_out_refuses_autograd(device: str) -> None:
    x = pt.ones(3, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="out="):
        pt.add(x, 1, out=pt.zeros(3, device=device))


def test_fill_copy_zero(dtype: str, device: str) -> None:
    x = _t([[1, 2, 3], [4, 5, 6]], dtype, device)
    col = x[:, 1]
    assert col.fill_(True if dtype == "bool" else 7) is col
    want = cast_values(np.array([[1, 7, 3], [4, 7, 6]], dtype=np.float64), dtype) if dtype != "bool" else \
        np.array([[True, True, True], [True, True, True]])
    assert_close(host(x), want, dtype, what="fill_ on a column view")
    src = cast_values(np.array([0.0, 1.0, 0.0]), dtype)
    assert x.copy_(pt.tensor(src, device=device)) is x  # broadcasts the source over rows
    assert_close(host(x), np.stack([src, src]), dtype, what="copy_ with broadcasting")
    x.copy_(pt.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]], device=device))  # casts from float32
    assert_close(host(x), cast_values(np.array([[1.0, 0, 1], [0, 1, 0]]), dtype), dtype, what="copy_ with a cast")
    assert x.zero_() is x
    assert_close(host(x), np.zeros((2, 3), dtype=dtype), dtype, what="zero_")


def test_inplace_methods_on_views(dtype: str, device: str) -> None:
    """clamp_, masked_fill_, index_put_ and setitem on a transposed view write through to the base."""
    a = cast_values(np.arange(12.0).reshape(3, 4), dtype)
    x = pt.tensor(a, device=device)
    x.t().clamp_(min=2, max=9)
    want = np.clip(a, 2, 9)
    assert_close(host(x), want, dtype, what="t().clamp_")
    mask = np.zeros((4, 3), dtype=bool)
    mask[1, 2] = mask[3, 0] = True
    x.t().masked_fill_(pt.tensor(mask, device=device), 1)
    want.T[mask] = 1
    assert_close(host(x), want, dtype, what="t().masked_fill_")
    x.t()[pt.tensor([0, 2], device=device)] = 0
    want.T[[0, 2]] = 0
    assert_close(host(x), want, dtype, what="t()[index tensor] = 0")


def test_big_temporaries_and_the_operands_kept(dtype: str, device: str) -> None:
    # The core writes `a @ b + c`-style results into a big left operand that is a temporary, where
    # the backend's sole_owner allows it: values must be right and nothing anyone holds may change.
    n = 160  # 25,600 elements: above the core's threshold for reusing a temporary
    base = cast_values(np.arange(n * n, dtype=np.float64).reshape(n, n) % 7, dtype)
    row = cast_values(np.arange(n, dtype=np.float64) % 5, dtype)
    x, r = pt.tensor(base, device=device), pt.tensor(row, device=device)
    view = x[1:]
    got = (x * 1) + r            # a temporary + r
    kept = x + r                 # x is named: it must not change
    assert_close(host(got), base + row, dtype, what="temporary + row")
    assert_close(host(kept), base + row, dtype, what="named + row")
    assert_close(host(x), base, dtype, what="the named left operand afterwards")
    assert_close(host(view), base[1:], dtype, what="a view of the named operand afterwards")
    assert_close(host((x[1:] * 1) - r), base[1:] - row, dtype, what="temporary view - row")
