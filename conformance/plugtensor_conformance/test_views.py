"""Views and aliasing: a view shares its base's storage (writes either way are seen by the other),
strides and storage offsets follow PyTorch's rules, and ops that must copy do copy."""
from __future__ import annotations

import numpy as np
import pytest

import plugtensor as pt

from ._harness import assert_close, cast_values, host, pt_dtype
from .plugin import dtype_params

AREA = "views & aliasing"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "dtype" in metafunc.fixturenames:
        metafunc.parametrize("dtype", dtype_params(metafunc.config))


# name, view of a (3, 4) tensor, the same view of a NumPy array
VIEWS = [
    ("int index", lambda t: t[1], lambda a: a[1]),
    ("slices with step", lambda t: t[:, 1::2], lambda a: a[:, 1::2]),
    ("ellipsis and None", lambda t: t[..., None, 2], lambda a: a[..., None, 2]),
    ("view(-1)", lambda t: t.view(-1), lambda a: a.reshape(-1)),
    ("view(2, 6)", lambda t: t.view(2, 6), lambda a: a.reshape(2, 6)),
    ("reshape of contiguous", lambda t: t.reshape(4, 3), lambda a: a.reshape(4, 3)),
    ("flatten", lambda t: t.flatten(), lambda a: a.reshape(-1)),
    ("t()", lambda t: t.t(), lambda a: a.T),
    ("T", lambda t: t.T, lambda a: a.T),
    ("transpose", lambda t: t.transpose(0, 1), lambda a: a.T),
    ("permute", lambda t: t.permute(1, 0), lambda a: a.T),
    ("movedim", lambda t: t.movedim(0, 1), lambda a: a.T),
    ("unsqueeze", lambda t: t.unsqueeze(1), lambda a: a[:, None]),
    ("squeeze", lambda t: t.unsqueeze(0).squeeze(0), lambda a: a),
    ("narrow", lambda t: t.narrow(1, 1, 2), lambda a: a[:, 1:3]),
    ("select", lambda t: t.select(1, 3), lambda a: a[:, 3]),
    ("unbind", lambda t: t.unbind(1)[2], lambda a: a[:, 2]),
    ("split", lambda t: t.split(2, dim=1)[1], lambda a: a[:, 2:4]),
    ("chunk", lambda t: t.chunk(3, dim=0)[2], lambda a: a[2:3]),
    ("unflatten", lambda t: t.unflatten(1, (2, 2)), lambda a: a.reshape(3, 2, 2)),
    ("detach", lambda t: t.detach(), lambda a: a),
    ("view of a view", lambda t: t[1:].t()[::2], lambda a: a[1:].T[::2]),
    ("expand_as source", lambda t: t[0], lambda a: a[0]),
]


def _base(dtype: str, device: str):
    a = cast_values(np.arange(12, dtype=np.float64).reshape(3, 4) % 7, dtype)
    return a, pt.tensor(a, device=device)


def _fill_value(dtype: str):
    return True if dtype == "bool" else 5


@pytest.mark.parametrize("view", VIEWS, ids=[v[0] for v in VIEWS])
def test_write_through_view(view, dtype: str, device: str) -> None:
    """A write into the view reaches the base, and a write into the base is seen by the view."""
    name, fn, np_fn = view
    a, t = _base(dtype, device)
    v = fn(t)
    v.fill_(_fill_value(dtype))
    want = a.copy()
    np_fn(want)[...] = _fill_value(dtype)
    assert_close(host(t), want, dtype, what=f"{name}: base after writing into the view")
    t.zero_()
    assert_close(host(v), np.zeros_like(np_fn(want)), dtype, what=f"{name}: view after zeroing the base")


@pytest.mark.parametrize("view", VIEWS[:12], ids=[v[0] for v in VIEWS[:12]])
def test_inplace_op_through_view(view, dtype: str, device: str) -> None:
    """An in-place op on a (possibly non-contiguous) view updates exactly the viewed elements of the base."""
    if dtype == "bool":
        pytest.skip("n/a: no in-place arithmetic on bool")
    name, fn, np_fn = view
    a, t = _base(dtype, device)
    fn(t).add_(1)
    want = a.copy()
    np_fn(want)[...] += 1
    assert_close(host(t), want, dtype, what=f"{name}: base after view.add_(1)")
    a, t = _base(dtype, device)
    v = fn(t)
    v[...] = 0
    want = a.copy()
    np_fn(want)[...] = 0
    assert_close(host(t), want, dtype, what=f"{name}: base after view[...] = 0")


def test_version_counter_and_base_shared(dtype: str, device: str) -> None:
    _, t = _base(dtype, device)
    v = t[1:, ::2]
    assert v._base is t, "a view's _base must be the tensor it views"
    assert v[0]._base is t, "a view of a view has the root tensor as _base"
    v0 = t._version
    v.fill_(_fill_value(dtype))
    assert t._version == v._version > v0, "views share the version counter of their base"
    assert t.detach()._version == t._version, "detach() shares the version counter"


def test_views_share_dtype_and_device(dtype: str, device: str) -> None:
    _, t = _base(dtype, device)
    for name, fn, _ in VIEWS:
        v = fn(t)
        assert v.dtype == t.dtype and v.device == t.device, f"{name}: dtype/device changed"


# Strides and offsets: PyTorch's values for a contiguous (3, 4) tensor.
STRIDES = [
    ("contiguous", lambda t: t, (3, 4), (4, 1), 0, True),
    ("t()", lambda t: t.t(), (4, 3), (1, 4), 0, False),
    ("rows 1:, every other column", lambda t: t[1:, ::2], (2, 2), (4, 2), 4, False),
    ("select(1, 2)", lambda t: t.select(1, 2), (3,), (4,), 2, False),
    ("narrow(1, 1, 2)", lambda t: t.narrow(1, 1, 2), (3, 2), (4, 1), 1, False),
    ("unsqueeze(1)", lambda t: t.unsqueeze(1), (3, 1, 4), (4, 4, 1), 0, True),
    ("unsqueeze(2)", lambda t: t.unsqueeze(2), (3, 4, 1), (4, 1, 1), 0, True),
    ("t().unsqueeze(0)", lambda t: t.t().unsqueeze(0), (1, 4, 3), (4, 1, 4), 0, False),
    ("t().unsqueeze(1)", lambda t: t.t().unsqueeze(1), (4, 1, 3), (1, 12, 4), 0, False),
    ("[:, 1:].unsqueeze(1)", lambda t: t[:, 1:].unsqueeze(1), (3, 1, 3), (4, 3, 1), 1, False),
    ("expand(2, 3, 4)", lambda t: t.expand(2, 3, 4), (2, 3, 4), (0, 4, 1), 0, False),
    ("view(2, 6)", lambda t: t.view(2, 6), (2, 6), (6, 1), 0, True),
    ("t().contiguous()", lambda t: t.t().contiguous(), (4, 3), (3, 1), 0, True),
    ("[2]", lambda t: t[2], (4,), (1,), 8, True),
    ("[..., None]", lambda t: t[..., None], (3, 4, 1), (4, 1, 1), 0, True),
]


@pytest.mark.parametrize("case", STRIDES, ids=[s[0] for s in STRIDES])
def test_strides_and_offset(case, device: str) -> None:
    name, fn, shape, strides, offset, contiguous = case
    t = fn(pt.arange(12, dtype=pt.float32, device=device).view(3, 4))
    assert tuple(t.shape) == shape, f"{name}: shape {list(t.shape)}, expected {list(shape)}"
    assert tuple(t.stride()) == strides, f"{name}: stride() {t.stride()}, expected {strides}"
    assert t.storage_offset() == offset, f"{name}: storage_offset() {t.storage_offset()}, expected {offset}"
    assert t.is_contiguous() == contiguous, f"{name}: is_contiguous() should be {contiguous}"
    if name != "t().contiguous()":  # the others are views: their values are the storage read through the strides
        want = np.lib.stride_tricks.as_strided(np.arange(12.0)[offset:], shape, [8 * s for s in strides])
        assert_close(host(t), want, "float32", what=f"{name}: values read through the strides")


def test_copies_are_not_views(dtype: str, device: str) -> None:
    """Ops that must copy (clone, contiguous of a non-contiguous tensor, reshape that cannot view,
    advanced indexing) do not alias their input."""
    a, t = _base(dtype, device)
    copies = {"clone": t.clone(), "t().contiguous()": t.t().contiguous(), "t().reshape(-1)": t.t().reshape(-1),
              "index with a list": t[[0, 2]], "index with a mask": t[pt.tensor(a != 0, device=device)],
              "repeat": t.repeat(1, 1), "to(copy=True)": t.to(t.dtype, copy=True)}
    before = {name: host(c) for name, c in copies.items()}
    t.fill_(_fill_value(dtype))
    t.view(-1)[0] = 0
    for name, c in copies.items():
        assert np.array_equal(host(c), before[name]), f"{name}: changed when the source was written: it must be a copy"
    c = t.contiguous()
    assert c is t, "contiguous() of a contiguous tensor must return the tensor itself"


def test_view_errors(device: str) -> None:
    t = pt.arange(6, dtype=pt.float32, device=device).view(2, 3)
    with pytest.raises(RuntimeError, match="view"):
        t.t().view(6)
    with pytest.raises(RuntimeError):
        t.view(4)
    with pytest.raises(RuntimeError):
        pt.zeros(1, 3, device=device).expand(2, 3).add_(1)  # written elements alias one memory location


def test_write_through_setitem_on_view(dtype: str, device: str) -> None:
    a, t = _base(dtype, device)
    v = t.t()
    v[1:3, 0] = pt.tensor(cast_values(np.array([1.0, 0.0]), dtype), device=device)
    want = a.copy()
    want.T[1:3, 0] = cast_values(np.array([1.0, 0.0]), dtype)
    assert_close(host(t), want, dtype, what="base after setitem on a transposed view")


def test_from_dtype_views(dtype: str, device: str) -> None:
    """A view keeps the dtype's exact values (no cast through float on the way)."""
    x = pt.tensor(cast_values(np.array([[0.0, 1.0], [2.0, 3.0]]), dtype), dtype=pt_dtype(dtype), device=device)
    assert_close(host(x.t()), cast_values(np.array([[0.0, 2.0], [1.0, 3.0]]), dtype), dtype)
