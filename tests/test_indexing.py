"""Indexing (``t[key]``, ``t[key] = v``) and the gather/scatter family, against PyTorch and NumPy.

Keys are written once as ``key(lib)`` so that index tensors are built by each library; the same
key then indexes a plugtensor tensor, a torch tensor and (where NumPy agrees) a float64 ndarray.
"""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import plugtensor as pt  # noqa: E402

SHAPE = (3, 4, 5)


# ---------------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------------
def dtype_name(t) -> str:
    return str(t.dtype).split(".")[-1]


def ours(t: "torch.Tensor", requires_grad: bool = False) -> pt.Tensor:
    r = pt.tensor(t.detach().numpy().copy(), dtype=getattr(pt, dtype_name(t)))
    return r.requires_grad_() if requires_grad else r


def base_values(shape=SHAPE) -> np.ndarray:
    n = int(np.prod(shape))
    return np.sin(np.arange(n, dtype=np.float64)).reshape(shape) * 3.0


def triple(shape=SHAPE, requires_grad: bool = False):
    """(plugtensor, torch, numpy) holding the same float64 values."""
    a = base_values(shape)
    return (pt.tensor(a, dtype=pt.float64, requires_grad=requires_grad),
            torch.tensor(a, dtype=torch.float64, requires_grad=requires_grad), a.copy())


def idx(lib, values, dtype="int64"):
    """An index array of ``values`` built by ``lib`` (plugtensor, torch or numpy)."""
    if lib is np:
        return np.array(values, dtype=dtype)
    return lib.tensor(values, dtype=getattr(lib, dtype))


def assert_same(a: pt.Tensor, b) -> None:
    """Same shape, dtype (when b is a torch tensor) and values."""
    b_np = b.detach().numpy() if isinstance(b, torch.Tensor) else np.asarray(b)
    assert tuple(a.shape) == b_np.shape
    if isinstance(b, torch.Tensor):
        assert dtype_name(a) == dtype_name(b)
    np.testing.assert_array_equal(a.detach().numpy(), b_np)


def grad_fn_name(t) -> str | None:
    return None if t.grad_fn is None else type(t.grad_fn).__name__


def weights(shape, lib):
    w = np.cos(np.arange(int(np.prod(shape)) if shape else 1, dtype=np.float64)).reshape(shape) + 0.5
    return torch.from_numpy(w) if lib is torch else pt.tensor(w, dtype=pt.float64)


# ---------------------------------------------------------------------------------------------------
# reading: basic keys give views, advanced keys give copies
# ---------------------------------------------------------------------------------------------------
BASIC_KEYS = {
    "int": lambda lib: 1,
    "neg_int": lambda lib: -1,
    "int_tuple": lambda lib: (2, -3),
    "all_ints": lambda lib: (2, 3, 4),
    "slice": lambda lib: slice(1, 3),
    "slice_step": lambda lib: (slice(None), slice(None, None, 2)),
    "slice_step_start": lambda lib: (slice(None), slice(1, None, 3), slice(4, 0, 1)),
    "slice_neg_bounds": lambda lib: (slice(-2, None), slice(-100, -1)),
    "slice_past_end": lambda lib: slice(2, 100),
    "empty_slice": lambda lib: (slice(None), slice(3, 1)),
    "none": lambda lib: None,
    "none_middle": lambda lib: (slice(None), None, 1),
    "none_end": lambda lib: (Ellipsis, None),
    "two_nones": lambda lib: (None, 0, None),
    "ellipsis": lambda lib: Ellipsis,
    "ellipsis_int": lambda lib: (Ellipsis, 2),
    "int_ellipsis_int": lambda lib: (1, Ellipsis, 0),
    "ellipsis_slice": lambda lib: (0, Ellipsis, slice(1, None, 2)),
    "numpy_int": lambda lib: np.int64(2),
    "mixed": lambda lib: (slice(None, None, 2), -1, slice(1, 4)),
    "two_ellipses": lambda lib: (Ellipsis, Ellipsis),
    "ellipsis_int_ellipsis": lambda lib: (Ellipsis, 0, Ellipsis),
}

ADVANCED_KEYS = {
    "list": lambda lib: [0, 2],
    "list_neg": lambda lib: [-1, 0, -3],
    "list_repeat": lambda lib: [1, 1, 0],
    "tensor_1d": lambda lib: idx(lib, [2, 0]),
    "tensor_int32": lambda lib: idx(lib, [2, 0], "int32"),
    "tensor_2d": lambda lib: idx(lib, [[0, 1], [2, 2]]),
    "tensor_0d": lambda lib: idx(lib, 1),
    "two_tensors": lambda lib: (idx(lib, [0, 2, 1]), idx(lib, [3, 0, 1])),
    "broadcast_tensors": lambda lib: (idx(lib, [[0], [2]]), idx(lib, [1, 3, 0])),
    "slice_then_tensor": lambda lib: (slice(None), idx(lib, [3, 1])),
    "tensor_slice_tensor": lambda lib: (idx(lib, [0, 2]), slice(1, 3), idx(lib, [4, 0])),
    "int_and_tensor": lambda lib: (1, slice(None), idx(lib, [0, 4, 4])),
    "none_and_tensor": lambda lib: (None, idx(lib, [1, 2])),
    "ellipsis_tensor": lambda lib: (Ellipsis, idx(lib, [0, -1])),
    "empty_index": lambda lib: idx(lib, np.zeros(0, dtype=np.int64)),
    "mask_full": lambda lib: idx(lib, base_values() > 0.5, "bool"),
    "mask_first_dim": lambda lib: idx(lib, [True, False, True], "bool"),
    "mask_two_dims": lambda lib: idx(lib, base_values()[:, :, 0] < 0, "bool"),
    "mask_after_slice": lambda lib: (slice(None), idx(lib, [False, True, True, False], "bool")),
    "mask_all_false": lambda lib: idx(lib, [False, False, False], "bool"),
    "python_true": lambda lib: True,
    "python_false": lambda lib: False,
    "int_then_true": lambda lib: (0, True),
    "int_between_tensors": lambda lib: (idx(lib, [0, 2]), 1, idx(lib, [4, 3])),
    "slice_between_tensors": lambda lib: (idx(lib, [0, 2]), slice(None), idx(lib, [4, 3])),
    "tensor_int_slice": lambda lib: (idx(lib, [[2], [0]]), -1, slice(1, None, 2)),
}

# NumPy counts an int as an advanced index and PyTorch does not; these keys differ between the two.
# NumPy also refuses a second ellipsis, which PyTorch lets match nothing.
TORCH_ONLY = {"int_and_tensor", "int_between_tensors", "tensor_int_slice", "int_then_true", "two_ellipses",
              "ellipsis_int_ellipsis"}


@pytest.mark.parametrize("name", list(BASIC_KEYS))
def test_basic_indexing_is_a_view_matching_torch(name):
    x, tx, a = triple()
    key = BASIC_KEYS[name]
    r, tr = x[key(pt)], tx[key(torch)]
    assert_same(r, tr)
    if name not in TORCH_ONLY:
        assert_same(r, a[key(np)])
    assert r._base is x
    assert r.stride() == tr.stride()
    assert r.storage_offset() == tr.storage_offset()
    assert r.is_contiguous() == tr.is_contiguous()


@pytest.mark.parametrize("name", list(ADVANCED_KEYS))
def test_advanced_indexing_is_a_copy_matching_torch_and_numpy(name):
    x, tx, a = triple()
    key = ADVANCED_KEYS[name]
    r, tr = x[key(pt)], tx[key(torch)]
    assert_same(r, tr)
    if name not in TORCH_ONLY:
        assert_same(r, a[key(np)])
    assert r._base is None
    assert r.is_contiguous() == tr.is_contiguous()
    if r.numel():
        r.view(-1)[0] = 1e9
        np.testing.assert_array_equal(x.numpy(), a)


def test_indexing_0dim_tensor():
    s, ts = pt.tensor(2.5), torch.tensor(2.5)
    for key in (Ellipsis, None, (), (None, Ellipsis)):
        assert_same(s[key], ts[key])
    with pytest.raises(IndexError) as theirs:
        ts[0]
    with pytest.raises(IndexError) as mine:
        s[0]
    assert str(mine.value) == str(theirs.value)


@pytest.mark.parametrize("key, exc_match", [
    (lambda lib: 3, "index 3 is out of bounds for dimension 0 with size 3"),
    (lambda lib: -4, "index -4 is out of bounds for dimension 0 with size 3"),
    (lambda lib: (0, 4), "index 4 is out of bounds for dimension 1 with size 4"),
    (lambda lib: (0, slice(None), -6), "index -6 is out of bounds for dimension 2 with size 5"),
    (lambda lib: (0, 0, 0, 0), "too many indices for tensor of dimension 3"),
    (lambda lib: (Ellipsis, 0, 0, 0, 0), "too many indices for tensor of dimension 3"),
    (lambda lib: idx(lib, [0, 3]), "index 3 is out of bounds"),
    (lambda lib: idx(lib, [-4]), "index -4 is out of bounds"),
    (lambda lib: (slice(None), [1, 4]), "index 4 is out of bounds"),
    (lambda lib: (idx(lib, [0, 1]), idx(lib, [0, 1, 2])), "shape mismatch"),
    (lambda lib: idx(lib, [True, False], "bool"), "The shape of the mask"),
    (lambda lib: idx(lib, [0.0, 1.0], "float32"), "tensors used as indices must be long, int, byte or bool"),
    (lambda lib: 1.5, "only integers, slices"),
])
def test_bad_keys_raise_index_error_like_torch(key, exc_match):
    x, tx, _ = triple()
    with pytest.raises(IndexError):
        tx[key(torch)]
    with pytest.raises(IndexError, match=exc_match):
        x[key(pt)]


@pytest.mark.filterwarnings("ignore:Using a non-tuple sequence")
def test_str_key_raises_type_error():
    x, tx, _ = triple()
    with pytest.raises(TypeError):
        tx["a"]
    with pytest.raises(TypeError, match="str"):
        x["a"]


def test_negative_step_raises_value_error():
    x, tx, _ = triple()
    with pytest.raises(ValueError) as theirs:
        tx[::-1]
    with pytest.raises(ValueError) as mine:
        x[::-1]
    assert str(mine.value) == str(theirs.value)
    with pytest.raises(ValueError):
        x[:, ::0]


# ---------------------------------------------------------------------------------------------------
# gather, index_select, nonzero, masked_fill, masked_select, take, scatter_add, index_put
# ---------------------------------------------------------------------------------------------------
FUNC_OPS = {
    "gather_0": lambda lib, x: lib.gather(x, 0, idx(lib, [[[0, 2, 1, 0, 2]], [[1, 1, 1, 1, 1]]])),
    "gather_last": lambda lib, x: x.gather(-1, idx(lib, np.arange(24).reshape(3, 4, 2) % 5)),
    "gather_smaller_index": lambda lib, x: x.gather(1, idx(lib, [[[3, 0], [1, 1]]])),
    "gather_empty": lambda lib, x: x.gather(1, idx(lib, np.zeros((3, 0, 5), dtype=np.int64))),
    "index_select_0": lambda lib, x: lib.index_select(x, 0, idx(lib, [2, 0, 2])),
    "index_select_1": lambda lib, x: x.index_select(1, idx(lib, [3])),
    "index_select_int32": lambda lib, x: x.index_select(-1, idx(lib, [4, 0], "int32")),
    "index_select_0dim_index": lambda lib, x: x.index_select(2, idx(lib, 1)),
    "nonzero": lambda lib, x: lib.nonzero(x > 1.0),
    "nonzero_1d": lambda lib, x: (x[0, 0] > 0).nonzero(),
    "nonzero_none": lambda lib, x: (x > 100).nonzero(),
    "nonzero_float_input": lambda lib, x: lib.nonzero(x.round()),
    "nonzero_0dim": lambda lib, x: lib.nonzero(x[0, 0, 1]),
    "argwhere": lambda lib, x: lib.argwhere(x < -2.0),
    "masked_fill_scalar": lambda lib, x: x.masked_fill(x > 0, -7.5),
    "masked_fill_int_scalar": lambda lib, x: lib.masked_fill(x, x < 0, 3),
    "masked_fill_0dim_tensor": lambda lib, x: x.masked_fill(x > 1, lib.tensor(9.0, dtype=lib.float64)),
    "masked_fill_broadcast_mask": lambda lib, x: x.masked_fill(idx(lib, [True, False, True, False, False], "bool"),
                                                                0.0),
    "masked_fill_int_input": lambda lib, x: (x * 10).long().masked_fill(x > 0, 2.7),
    "masked_fill_mask_broadcasts_input": lambda lib, x: x[0].masked_fill(idx(lib, np.eye(4, 5) > 0, "bool")[None]
                                                                         .expand(2, 4, 5), 1.0),
    "masked_select": lambda lib, x: lib.masked_select(x, x > 0),
    "masked_select_broadcast": lambda lib, x: x.masked_select(idx(lib, [[True], [False], [True], [True]], "bool")),
    "take": lambda lib, x: lib.take(x, idx(lib, [[0, 59], [-1, 7]])),
    "take_noncontig": lambda lib, x: x.transpose(0, 2).take(idx(lib, [1, 2, 3, 20])),
    "scatter_add": lambda lib, x: lib.scatter_add(x, 0, idx(lib, [[[2, 0, 1, 1, 2]]]), x[:1] * 10),
    "scatter_add_repeated": lambda lib, x: x.scatter_add(2, idx(lib, np.zeros((3, 4, 3), dtype=np.int64)),
                                                         x[:, :, :3]),
    "scatter_add_small_index": lambda lib, x: x.scatter_add(1, idx(lib, [[[3, 0]]]), x),
    "index_put": lambda lib, x: x.index_put((idx(lib, [0, 2]),), lib.tensor(5.0, dtype=lib.float64)),
    "index_put_pairs": lambda lib, x: x.index_put((idx(lib, [0, 2]), idx(lib, [1, 3])),
                                                  lib.ones(5, dtype=lib.float64)),
    "index_put_accumulate": lambda lib, x: lib.index_put(x, (idx(lib, [1, 1, 0]),), x[:3] * 2, accumulate=True),
    "index_put_mask": lambda lib, x: x.index_put((x > 0,), lib.tensor(0.0, dtype=lib.float64)),
}


@pytest.mark.parametrize("name", list(FUNC_OPS))
def test_indexing_functions_match_torch(name):
    fn = FUNC_OPS[name]
    x, tx, _ = triple()
    r, tr = fn(pt, x), fn(torch, tx)
    assert_same(r, tr)
    np.testing.assert_array_equal(x.numpy(), tx.numpy())  # out-of-place: the input is untouched


def test_nonzero_as_tuple_matches_numpy():
    x, tx, a = triple()
    for m, tm, am in ((x > 1, tx > 1, a > 1), (x[0, 0] > 0, tx[0, 0] > 0, a[0, 0] > 0)):
        r, tr = m.nonzero(as_tuple=True), tm.nonzero(as_tuple=True)
        assert isinstance(r, tuple) and len(r) == len(tr)
        for p, q, n in zip(r, tr, np.nonzero(am)):
            assert_same(p, q)
            assert_same(p, n)
    r, tr = pt.nonzero(x[0, 0, 1] > -10, as_tuple=True), torch.nonzero(tx[0, 0, 1] > -10, as_tuple=True)
    assert len(r) == len(tr)
    for p, q in zip(r, tr):
        assert_same(p, q)


def test_gather_and_take_vs_numpy_reference():
    x, _, a = triple()
    index = np.array([[[1, 0, 2, 2, 0]] * 4] * 2)
    np.testing.assert_array_equal(x.gather(0, pt.tensor(index)).numpy(), np.take_along_axis(a[:, :4], index, 0)[:2])
    flat = np.array([5, 0, 59, 33])
    np.testing.assert_array_equal(x.take(pt.tensor(flat)).numpy(), a.reshape(-1)[flat])
    expect = a.copy()
    np.add.at(expect, (np.array([0, 0, 2]),), a[:3])
    np.testing.assert_array_equal(x.index_put((pt.tensor([0, 0, 2]),), x[:3], accumulate=True).numpy(), expect)


FUNC_ERRORS = {
    "gather_out_of_range": lambda lib, x: x.gather(0, idx(lib, [[[3]]])),
    "gather_neg": lambda lib, x: x.gather(0, idx(lib, [[[-1]]])),
    "gather_ndim": lambda lib, x: x.gather(0, idx(lib, [0])),
    "gather_too_big": lambda lib, x: x.gather(0, idx(lib, np.zeros((3, 5, 5), dtype=np.int64))),
    "gather_dim": lambda lib, x: x.gather(3, idx(lib, [[[0]]])),
    "index_select_out_of_range": lambda lib, x: x.index_select(0, idx(lib, [3])),
    "index_select_neg": lambda lib, x: x.index_select(0, idx(lib, [-1])),
    "index_select_2d": lambda lib, x: x.index_select(0, idx(lib, [[0]])),
    "index_select_float": lambda lib, x: x.index_select(0, idx(lib, [0.0], "float32")),
    "take_out_of_range": lambda lib, x: x.take(idx(lib, [60])),
    "take_neg_out_of_range": lambda lib, x: x.take(idx(lib, [-61])),
    "masked_fill_float_mask": lambda lib, x: x.masked_fill(x, 0.0),
    "masked_fill_vector_value": lambda lib, x: x.masked_fill(x > 0, lib.ones(2)),
    "masked_fill_bad_mask_shape": lambda lib, x: x.masked_fill(idx(lib, [True, False], "bool"), 0.0),
    "masked_fill__mask_bigger": lambda lib, x: x.masked_fill_(idx(lib, np.ones((2, 3, 4, 5), bool), "bool"), 0.0),
    "masked_select_float_mask": lambda lib, x: x.masked_select(x),
    "masked_select_bad_shape": lambda lib, x: x.masked_select(idx(lib, [True, False], "bool")),
    "take_int32_index": lambda lib, x: x.take(idx(lib, [0], "int32")),
    "scatter_add_out_of_range": lambda lib, x: x.scatter_add(0, idx(lib, [[[3]]]), x),
    "index_put_out_of_range": lambda lib, x: x.index_put((idx(lib, [5]),), lib.tensor(1.0, dtype=lib.float64)),
}


@pytest.mark.parametrize("name", list(FUNC_ERRORS))
def test_indexing_function_errors_match_torch_type(name):
    fn = FUNC_ERRORS[name]
    x, tx, _ = triple()
    with pytest.raises(Exception) as theirs:
        fn(torch, tx)
    with pytest.raises(type(theirs.value)) as mine:
        fn(pt, x)
    assert str(mine.value)


@pytest.mark.parametrize("name", ["gather_out_of_range", "gather_neg", "index_select_out_of_range",
                                  "take_out_of_range", "take_neg_out_of_range", "take_int32_index",
                                  "masked_fill_vector_value", "masked_fill_float_mask", "masked_fill_bad_mask_shape",
                                  "masked_fill__mask_bigger", "masked_select_float_mask", "masked_select_bad_shape",
                                  "scatter_add_out_of_range"])
def test_indexing_function_error_messages_match_torch(name):
    fn = FUNC_ERRORS[name]
    x, tx, _ = triple()
    with pytest.raises(Exception) as theirs:
        fn(torch, tx)
    with pytest.raises(type(theirs.value)) as mine:
        fn(pt, x)
    assert str(mine.value) == str(theirs.value)


# ---------------------------------------------------------------------------------------------------
# writing: __setitem__ and the in-place forms
# ---------------------------------------------------------------------------------------------------
SETITEMS = {
    "int_scalar": (lambda lib: 1, lambda lib: 4.5),
    "neg_int_int_value": (lambda lib: (-1, 2), lambda lib: 7),
    "slice_scalar": (lambda lib: (slice(None), slice(1, 3)), lambda lib: -2.0),
    "step_scalar": (lambda lib: (Ellipsis, slice(None, None, 2)), lambda lib: 0.25),
    "bool_value": (lambda lib: (0, 0), lambda lib: True),
    "tensor_same_shape": (lambda lib: 0, lambda lib: lib.ones(4, 5, dtype=lib.float64) * 3),
    "tensor_broadcast_row": (lambda lib: (slice(None), 1), lambda lib: lib.arange(5, dtype=lib.float64)),
    "tensor_broadcast_col": (lambda lib: 2, lambda lib: lib.arange(4, dtype=lib.float64)[:, None]),
    "tensor_0dim": (lambda lib: (Ellipsis, 1), lambda lib: lib.tensor(-1.5, dtype=lib.float64)),
    "tensor_other_dtype": (lambda lib: 1, lambda lib: lib.arange(5, dtype=lib.int32)),
    "tensor_noncontig": (lambda lib: 0, lambda lib: lib.arange(20, dtype=lib.float64).reshape(5, 4).t()),
    "none_key": (lambda lib: (None, 1), lambda lib: 2.0),
    "ellipsis_all": (lambda lib: Ellipsis, lambda lib: 1.0),
    "index_list": (lambda lib: [0, 2], lambda lib: 6.0),
    "index_tensor_values": (lambda lib: idx(lib, [2, 0]), lambda lib: lib.zeros(2, 4, 5, dtype=lib.float64)),
    "index_pairs": (lambda lib: (idx(lib, [0, 1, 2]), idx(lib, [3, 2, 1])), lambda lib: lib.arange(5.0,
                                                                                              dtype=lib.float64)),
    "index_slice_mix": (lambda lib: (slice(None), idx(lib, [0, 3])), lambda lib: lib.ones(3, 2, 1,
                                                                                          dtype=lib.float64)),
    "mask_scalar": (lambda lib: idx(lib, base_values() > 0, "bool"), lambda lib: 0.0),
    "mask_partial": (lambda lib: idx(lib, [False, True, True], "bool"), lambda lib: -3.0),
    "mask_values": (lambda lib: idx(lib, base_values() > 2, "bool"),
                    lambda lib: lib.arange(int((base_values() > 2).sum()), dtype=lib.float64)),
    "int_and_tensor": (lambda lib: (1, slice(None), idx(lib, [0, 4])), lambda lib: lib.ones(4, 2, dtype=lib.float64)),
    "int_between_tensors": (lambda lib: (idx(lib, [0, 2]), 1, idx(lib, [4, 3])), lambda lib: lib.tensor(
        [5.0, 6.0], dtype=lib.float64)),
}


@pytest.mark.parametrize("name", list(SETITEMS))
def test_setitem_matches_torch(name):
    key, value = SETITEMS[name]
    x, tx, _ = triple()
    v0 = x._version
    x[key(pt)] = value(pt)
    tx[key(torch)] = value(torch)
    assert_same(x, tx)
    assert x._version > v0


@pytest.mark.parametrize("view", [
    lambda t: t[1], lambda t: t[:, 1:3], lambda t: t.transpose(0, 2), lambda t: t[::2, :, ::2],
    lambda t: t.view(12, 5), lambda t: t.unbind(2)[4],
])
@pytest.mark.parametrize("name", ["int_scalar", "slice_scalar", "index_list", "tensor_0dim", "ellipsis_all"])
def test_setitem_through_a_view_writes_the_base(view, name):
    key, value = SETITEMS[name]
    x, tx, _ = triple()
    v, tv = view(x), view(tx)
    if name == "index_list" and v.shape[0] < 3:
        key = lambda lib: [0, 1]  # noqa: E731 - keep in range for short views
    v[key(pt)] = value(pt)
    tv[key(torch)] = value(torch)
    assert_same(x, tx)
    assert x._version == v._version > 0


def test_setitem_mask_through_view():
    x, tx, _ = triple()
    v, tv = x[:, 1], tx[:, 1]
    v[v > 0] = 100.0
    tv[tv > 0] = 100.0
    assert_same(x, tx)


@pytest.mark.parametrize("key, value", [
    (lambda lib: 3, lambda lib: 1.0),
    (lambda lib: (0, 4), lambda lib: 1.0),
    (lambda lib: (0, 0, 0, 0), lambda lib: 1.0),
    (lambda lib: idx(lib, [3]), lambda lib: 1.0),
])
def test_setitem_bad_key_raises_index_error(key, value):
    x, tx, _ = triple()
    with pytest.raises(IndexError):
        tx[key(torch)] = value(torch)
    with pytest.raises(IndexError, match="out of bounds|too many indices"):
        x[key(pt)] = value(pt)


@pytest.mark.parametrize("key, value", [
    (lambda lib: 0, lambda lib: lib.ones(3, dtype=lib.float64)),
    (lambda lib: (slice(None), idx(lib, [0, 1])), lambda lib: lib.ones(3, dtype=lib.float64)),
])
def test_setitem_shape_mismatch_is_runtime_error(key, value):
    x, tx, _ = triple()
    with pytest.raises(RuntimeError):
        tx[key(torch)] = value(torch)
    with pytest.raises(RuntimeError):
        x[key(pt)] = value(pt)


@pytest.mark.parametrize("op", [
    lambda lib, x: x.masked_fill_(x > 0, 1.5),
    lambda lib, x: x.index_put_((idx(lib, [0, 0]),), lib.tensor(2.0, dtype=lib.float64), accumulate=True),
    lambda lib, x: x.scatter_add_(1, idx(lib, [[[1, 1, 0]]]), lib.ones(1, 1, 3, dtype=lib.float64)),
])
def test_inplace_indexing_ops_write_through_views(op):
    x, tx, _ = triple()
    v, tv = x[1:], tx[1:]
    r, tr = op(pt, v), op(torch, tv)
    assert r is v
    assert_same(x, tx)
    assert x._version == v._version > 0


# ---------------------------------------------------------------------------------------------------
# gradients (float64) vs torch, and grad_fn names
# ---------------------------------------------------------------------------------------------------
GRAD_OPS = {
    "int": lambda lib, x: x[1],
    "neg_int_tuple": lambda lib, x: x[-1, 2],
    "slice": lambda lib, x: x[1:, ::2],
    "none": lambda lib, x: x[None, :, 1],
    "ellipsis": lambda lib, x: x[..., 3],
    "list": lambda lib, x: x[[2, 0]],
    "repeated_indices": lambda lib, x: x[idx(lib, [1, 1, 0, 1])],
    "two_tensors_repeated": lambda lib, x: x[idx(lib, [0, 0, 2]), :, idx(lib, [1, 1, 1])],
    "int_and_tensor": lambda lib, x: x[1, :, idx(lib, [0, 4, 4])],
    "full_slice": lambda lib, x: x[:],
    "python_true": lambda lib, x: x[True],
    "slice_tensor": lambda lib, x: x[:, idx(lib, [3, 3, 0])],
    "mask": lambda lib, x: x[x > 0],
    "mask_partial": lambda lib, x: x[idx(lib, [True, False, True], "bool")],
    "gather": lambda lib, x: x.gather(2, idx(lib, np.arange(24).reshape(3, 4, 2) % 3)),
    "gather_repeated": lambda lib, x: x.gather(0, idx(lib, np.zeros((2, 4, 5), dtype=np.int64))),
    "index_select": lambda lib, x: x.index_select(1, idx(lib, [3, 0, 3])),
    "masked_fill": lambda lib, x: x.masked_fill(x > 0, 2.0),
    "masked_select": lambda lib, x: x.masked_select(x < 0.5),
    "take": lambda lib, x: x.take(idx(lib, [0, 5, 5, 59])),
    "scatter_add": lambda lib, x: x.scatter_add(1, idx(lib, [[[0, 0, 3, 2, 0]]]), x[:1, :1] * 2),
    "index_put": lambda lib, x: x.index_put((idx(lib, [2, 0]),), x[0] * 3),
    "index_put_accumulate": lambda lib, x: x.index_put((idx(lib, [2, 2]),), x[:2] * 3, accumulate=True),
}


@pytest.mark.parametrize("name", list(GRAD_OPS))
def test_gradients_match_torch(name):
    fn = GRAD_OPS[name]
    x, tx, _ = triple(requires_grad=True)
    r, tr = fn(pt, x), fn(torch, tx)
    assert_same(r, tr)
    assert grad_fn_name(r) == grad_fn_name(tr)
    (r * weights(tuple(r.shape), pt)).sum().backward()
    (tr * weights(tuple(tr.shape), torch)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_masked_fill_grad_to_0dim_value():
    x, tx, _ = triple(requires_grad=True)
    v, tv = pt.tensor(1.5, dtype=pt.float64, requires_grad=True), torch.tensor(1.5, dtype=torch.float64,
                                                                                requires_grad=True)
    r, tr = x.masked_fill(x > 0, v * 2), tx.masked_fill(tx > 0, tv * 2)
    (r * weights(SHAPE, pt)).sum().backward()
    (tr * weights(SHAPE, torch)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    np.testing.assert_allclose(v.grad.numpy(), tv.grad.numpy())


def test_repeated_index_gradient_accumulates_vs_finite_differences():
    a = base_values((4, 3))
    index = [0, 2, 2, 2, 3]
    w = np.cos(np.arange(15.0)).reshape(5, 3)
    x = pt.tensor(a, dtype=pt.float64, requires_grad=True)
    (x[index] ** 2 * pt.tensor(w, dtype=pt.float64)).sum().backward()
    f = lambda b: float(((b[index] ** 2) * w).sum())  # noqa: E731
    eps = 1e-6
    num = np.zeros_like(a)
    for i in np.ndindex(a.shape):
        d = np.zeros_like(a)
        d[i] = eps
        num[i] = (f(a + d) - f(a - d)) / (2 * eps)
    np.testing.assert_allclose(x.grad.numpy(), num, rtol=1e-6, atol=1e-8)


SETITEM_GRADS = {
    "int": lambda lib, y, w: y.__setitem__(0, w * 2),
    "slice": lambda lib, y, w: y.__setitem__((slice(None), 1), w[:3] + 1),
    "scalar": lambda lib, y, w: y.__setitem__((Ellipsis, 1), 0.0),
    "broadcast": lambda lib, y, w: y.__setitem__((slice(1, 3), slice(None)), w * 5),
    "int_and_tensor": lambda lib, y, w: y.__setitem__((1, idx(lib, [3, 0])), w[:2]),
    "index_tensor": lambda lib, y, w: y.__setitem__(idx(lib, [2, 0]), w[None, :] * 3),
    "mask": lambda lib, y, w: y.__setitem__(y > 1, w[0] * 2),
    "twice": lambda lib, y, w: (y.__setitem__(0, w), y.__setitem__((slice(None), 0), w[1] * w[2])),
}


@pytest.mark.parametrize("name", list(SETITEM_GRADS))
def test_setitem_on_nonleaf_gradients_match_torch(name):
    # y = x * 1; y[key] = f(w): gradients flow to x outside the written region and to w through it
    fn = SETITEM_GRADS[name]
    x, tx, _ = triple((3, 4), requires_grad=True)
    wa = np.linspace(-1.0, 2.0, 4)
    w, tw = pt.tensor(wa, dtype=pt.float64, requires_grad=True), torch.tensor(wa, requires_grad=True)
    y, ty = x * 1, tx * 1
    fn(pt, y, w)
    fn(torch, ty, tw)
    assert_same(y, ty)
    assert grad_fn_name(y) == grad_fn_name(ty)
    (y * weights((3, 4), pt)).sum().backward()
    (ty * weights((3, 4), torch)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)
    if tw.grad is None:
        assert w.grad is None
    else:
        np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-12)


def test_setitem_on_leaf_requiring_grad_raises():
    x, tx, _ = triple(requires_grad=True)
    with pytest.raises(RuntimeError) as theirs:
        tx[0] = 1.0
    with pytest.raises(RuntimeError) as mine:
        x[0] = 1.0
    assert "leaf Variable that requires grad" in str(theirs.value)
    assert "leaf Variable that requires grad" in str(mine.value)


def test_setitem_into_plain_tensor_with_grad_value_records():
    x, tx, _ = triple((3, 4))
    w, tw = pt.ones(4, dtype=pt.float64, requires_grad=True), torch.ones(4, dtype=torch.float64, requires_grad=True)
    x[1] = w * 2
    tx[1] = tw * 2
    assert x.requires_grad and grad_fn_name(x) == grad_fn_name(tx)
    (x * weights((3, 4), pt)).sum().backward()
    (tx * weights((3, 4), torch)).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy())


def test_double_backward_through_gather_and_index():
    x, tx, _ = triple((3, 4), requires_grad=True)
    for lib, a in ((pt, x), (torch, tx)):
        y = (a[[0, 0, 2]].gather(1, idx(lib, [[1], [1], [3]])) ** 3).sum()
        (g,) = lib.autograd.grad(y, a, create_graph=True)
        (g * weights((3, 4), lib)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())


@pytest.mark.parametrize("axis,ishape", [(1, (5, 1)), (1, (3, 1)), (1, (1, 1)), (0, (1, 4)), (0, (1, 2))])
def test_scatter_add_one_position_per_row_matches_torch(axis, ishape):
    # One index per row (or column) along the axis: the NumPy backend adds through flat positions.
    # Values into a non-zero destination, an index smaller than it, and the gather gradient of a
    # classifier's loss (-log_softmax(x).gather(1, y[:, None]).mean()) against torch.
    rng = np.random.default_rng(len(ishape) + ishape[0] + 7 * axis)
    dst = rng.standard_normal((5, 4))
    index = rng.integers(0, dst.shape[axis], ishape)
    src = rng.standard_normal(ishape)
    got = pt.tensor(dst).scatter_add(axis, pt.tensor(index), pt.tensor(src))
    want = torch.tensor(dst).scatter_add(axis, torch.tensor(index), torch.tensor(src))
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    grads = []
    for lib in (pt, torch):
        x = lib.tensor(dst, requires_grad=True)
        (-x.log_softmax(axis).gather(axis, lib.tensor(index)).mean()).backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12, atol=1e-15)
