"""Shape ops, views and aliasing, against PyTorch as the oracle.

Every op is written once as ``fn(lib, x)`` and run on both ``plugtensor`` and ``torch``, so the
two results can be compared value for value, and (for views) stride for stride.
"""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import plugtensor as pt  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


# ---------------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------------
def dtype_name(t) -> str:
    return str(t.dtype).split(".")[-1]


def ours(t: "torch.Tensor", requires_grad: bool = False) -> pt.Tensor:
    """A plugtensor copy of a torch tensor (same dtype, values and shape)."""
    r = pt.tensor(t.detach().numpy().copy(), dtype=getattr(pt, dtype_name(t)))
    return r.requires_grad_() if requires_grad else r


def pair(*shape, dtype=torch.float64, requires_grad: bool = False):
    """(plugtensor, torch) tensors with the same distinct values."""
    n = int(np.prod(shape)) if shape else 1
    t = (torch.arange(n, dtype=torch.float64).reshape(shape) * 0.5 - 1.25).to(dtype)
    return ours(t, requires_grad), t.clone().requires_grad_(requires_grad)


def assert_same(a: pt.Tensor, b: "torch.Tensor") -> None:
    """Same shape, dtype and values."""
    assert tuple(a.shape) == tuple(b.shape)
    assert dtype_name(a) == dtype_name(b)
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def assert_same_layout(a: pt.Tensor, b: "torch.Tensor") -> None:
    """Same stride, storage offset and contiguity (only meaningful for views)."""
    assert a.stride() == b.stride()
    assert a.storage_offset() == b.storage_offset()
    assert a.is_contiguous() == b.is_contiguous()


def grad_fn_name(t) -> str | None:
    return None if t.grad_fn is None else type(t.grad_fn).__name__


# ---------------------------------------------------------------------------------------------------
# views: values, aliasing (is it a view?), strides, storage offsets
# ---------------------------------------------------------------------------------------------------
VIEW_OPS = {
    "view_minus1": lambda x: x.view(-1, 4),
    "view_tuple": lambda x: x.view((4, 6)),
    "view_0dim_size1": lambda x: x[0, 0, :1].view(()),
    "view_as": lambda x: x.view_as(x.reshape(6, 4)),
    "reshape_view": lambda x: x.reshape(3, -1),
    "reshape_sliced_ok": lambda x: x[1].reshape(12),
    "flatten": lambda x: x.flatten(),
    "flatten_1": lambda x: x.flatten(1),
    "flatten_0_1": lambda x: x.flatten(0, 1),
    "flatten_same": lambda x: x.flatten(1, 1),
    "unflatten": lambda x: x.unflatten(2, (2, -1)),
    "squeeze_all": lambda x: x[:, :1, 1:2].squeeze(),
    "squeeze_dim": lambda x: x[:, :1].squeeze(1),
    "squeeze_dim_noop": lambda x: x.squeeze(0),
    "squeeze_tuple": lambda x: x[:1, :, 2:3].squeeze((0, 2)),
    "unsqueeze_0": lambda x: x.unsqueeze(0),
    "unsqueeze_1": lambda x: x.unsqueeze(1),
    "unsqueeze_last": lambda x: x.unsqueeze(-1),
    "unsqueeze_sliced": lambda x: x[:, ::2].unsqueeze(2),
    "permute": lambda x: x.permute(2, 0, 1),
    "permute_neg": lambda x: x.permute(-1, -3, -2),
    "transpose": lambda x: x.transpose(0, 2),
    "transpose_neg": lambda x: x.transpose(-1, 1),
    "swapaxes": lambda x: x.swapaxes(0, 1),
    "t": lambda x: x[0].t(),
    "t_1d": lambda x: x[0, 0].t(),
    "T": lambda x: x[1].T,
    "mT": lambda x: x.mT,
    "movedim": lambda x: x.movedim(0, 2),
    "movedim_multi": lambda x: x.movedim((0, 1), (2, 0)),
    "expand": lambda x: x[:, :1].expand(2, 3, 4),
    "expand_new_dims": lambda x: x[0].expand(5, 3, 4),
    "expand_minus1": lambda x: x[:, :1].expand(-1, 3, -1),
    "expand_as": lambda x: x[:1].expand_as(x),
    "expand_noop": lambda x: x.expand(2, 3, 4),
    "narrow": lambda x: x.narrow(2, 1, 2),
    "narrow_neg_start": lambda x: x.narrow(1, -2, 2),
    "select": lambda x: x.select(1, 2),
    "select_neg": lambda x: x.select(-1, -1),
    "contiguous_noop": lambda x: x.contiguous(),
    "getitem_int": lambda x: x[0],
    "getitem_col": lambda x: x[:, 1],
    "getitem_step": lambda x: x[::2],
    "getitem_mixed": lambda x: x[1, ::2, 1:3],
    "getitem_none": lambda x: x[:, None, 1:],
    "getitem_ellipsis": lambda x: x[..., 1],
    "getitem_empty_slice": lambda x: x[:, 2:2],
    "getitem_out_of_range_slice": lambda x: x[:, 1:100],
}


@pytest.mark.parametrize("name", list(VIEW_OPS))
def test_view_ops_match_torch(name):
    fn = VIEW_OPS[name]
    x, tx = pair(2, 3, 4)
    r, tr = fn(x), fn(tx)
    assert_same(r, tr)
    assert_same_layout(r, tr)
    # a view of a view records the root as its base, as torch does; self-returning ops stay self
    assert (r is x) == (tr is tx)
    if tr is not tx:
        assert (r._base is x) == (tr._base is tx)


@pytest.mark.parametrize("name", ["permute", "transpose", "getitem_col", "getitem_step", "narrow", "expand",
                                  "unsqueeze_sliced", "mT"])
def test_view_of_noncontiguous_view_layout(name):
    # the same ops applied to an already strided input (a transposed, offset view)
    fn = VIEW_OPS[name]
    x, tx = pair(4, 3, 2)
    x, tx = x.permute(2, 1, 0)[:, :, :], tx.permute(2, 1, 0)[:, :, :]
    r, tr = fn(x), fn(tx)
    assert_same(r, tr)
    assert_same_layout(r, tr)


SPLIT_OPS = {
    "split_int": lambda lib, x: lib.split(x, 2, 2),
    "split_int_uneven": lambda lib, x: x.split(3, dim=2),
    "split_sizes": lambda lib, x: x.split([1, 2], 1),
    "split_sizes_zero": lambda lib, x: x.split([0, 3], 1),
    "chunk": lambda lib, x: lib.chunk(x, 2, -1),
    "chunk_uneven": lambda lib, x: x.chunk(2, 1),
    "chunk_more_than_size": lambda lib, x: x.chunk(5, 0),
    "unbind": lambda lib, x: lib.unbind(x, 1),
    "unbind_default": lambda lib, x: x.unbind(),
}


@pytest.mark.parametrize("name", list(SPLIT_OPS))
def test_multi_output_views_match_torch(name):
    fn = SPLIT_OPS[name]
    x, tx = pair(2, 3, 4)
    rs, trs = fn(pt, x), fn(torch, tx)
    assert isinstance(rs, tuple) and len(rs) == len(trs)
    for r, tr in zip(rs, trs):
        assert_same(r, tr)
        assert_same_layout(r, tr)
        assert r._base is x


def test_view_on_noncontiguous_raises_like_torch():
    x, tx = pair(2, 3, 4)
    with pytest.raises(RuntimeError) as theirs:
        tx.transpose(0, 1).view(-1)
    with pytest.raises(RuntimeError) as mine:
        x.transpose(0, 1).view(-1)
    assert "view size is not compatible with input tensor's size and stride" in str(theirs.value)
    assert "view size is not compatible with input tensor's size and stride" in str(mine.value)
    assert "Use .reshape(...) instead." in str(mine.value)


def test_view_noncontiguous_allowed_when_dims_stay_contiguous():
    # merging only the contiguous trailing run of a transposed tensor is a legal view
    x, tx = pair(2, 3, 4)
    r, tr = x.permute(1, 0, 2).view(3, 2, 2, 2), tx.permute(1, 0, 2).view(3, 2, 2, 2)
    assert_same(r, tr)
    assert_same_layout(r, tr)


def test_reshape_copies_when_a_view_is_impossible():
    x, tx = pair(2, 3, 4)
    r, tr = x.transpose(0, 1).reshape(-1), tx.transpose(0, 1).reshape(-1)
    assert_same(r, tr)
    assert r._base is None and tr._base is None
    assert r.is_contiguous()
    r[0] = 100.0
    assert x[0, 0, 0].item() == tx[0, 0, 0].item()  # the copy does not alias


@pytest.mark.parametrize("shape, err", [
    ((5, -1), RuntimeError), ((-1, -1), RuntimeError), ((7,), RuntimeError), ((2, -2, 6), RuntimeError),
])
def test_view_and_reshape_bad_shapes(shape, err):
    x, tx = pair(2, 3, 4)
    for op in ("view", "reshape"):
        with pytest.raises(err):
            getattr(tx, op)(*shape)
        with pytest.raises(err) as mine:
            getattr(x, op)(*shape)
        assert str(mine.value)


def test_reshape_invalid_message_matches_torch():
    x, tx = pair(2, 3, 4)
    with pytest.raises(RuntimeError) as theirs:
        tx.view(5, -1)
    with pytest.raises(RuntimeError) as mine:
        x.view(5, -1)
    assert str(mine.value) == str(theirs.value)


def test_view_of_empty_and_0dim():
    e, te = pair(0, 3)
    assert_same(e.view(3, 0), te.view(3, 0))
    assert_same(e.view(-1), te.view(-1))
    with pytest.raises(RuntimeError) as theirs:
        te.view(3, 0, -1)
    with pytest.raises(RuntimeError) as mine:
        e.view(3, 0, -1)
    assert str(mine.value) == str(theirs.value)
    s, ts = pair()
    assert_same(s.view(1, 1), ts.view(1, 1))
    assert_same(s.reshape(-1), ts.reshape(-1))
    assert_same(s.flatten(), ts.flatten())


# ---------------------------------------------------------------------------------------------------
# errors of shape ops: same exception type as torch
# ---------------------------------------------------------------------------------------------------
ERROR_CASES = {
    "expand_shrink": lambda lib, x: x.expand(2, 2, 4),
    "expand_fewer_dims": lambda lib, x: x.expand(3, 4),
    "expand_minus1_new_dim": lambda lib, x: x.expand(-1, 2, 3, 4),
    "permute_wrong_len": lambda lib, x: x.permute(0, 1),
    "permute_dup": lambda lib, x: x.permute(0, 0, 1),
    "permute_out_of_range": lambda lib, x: x.permute(0, 1, 3),
    "transpose_out_of_range": lambda lib, x: x.transpose(0, 3),
    "squeeze_out_of_range": lambda lib, x: x.squeeze(3),
    "unsqueeze_out_of_range": lambda lib, x: x.unsqueeze(4),
    "t_3d": lambda lib, x: x.t(),
    "flatten_bad_order": lambda lib, x: x.flatten(2, 0),
    "unflatten_bad": lambda lib, x: x.unflatten(1, (2, 2)),
    "narrow_too_long": lambda lib, x: x.narrow(1, 2, 2),
    "select_out_of_range": lambda lib, x: x.select(1, 3),
    "split_sizes_bad_sum": lambda lib, x: x.split([1, 1], 1),
    "chunk_zero": lambda lib, x: x.chunk(0),
    "repeat_too_few": lambda lib, x: x.repeat(2, 2),
    "cat_empty_list": lambda lib, x: lib.cat([]),
    "cat_dim_mismatch": lambda lib, x: lib.cat([x, x[0]]),
    "cat_size_mismatch": lambda lib, x: lib.cat([x, x[:, :2]], 0),
    "cat_dim_out_of_range": lambda lib, x: lib.cat([x, x], 3),
    "cat_0dim": lambda lib, x: lib.cat([x[0, 0, 0], x[0, 0, 0]]),
    "cat_not_tensor": lambda lib, x: lib.cat([x, 1.0]),
    "stack_shape_mismatch": lambda lib, x: lib.stack([x, x[:1]]),
    "stack_empty": lambda lib, x: lib.stack([]),
    "stack_dim_out_of_range": lambda lib, x: lib.stack([x, x], 4),
    "movedim_int_and_tuple": lambda lib, x: x.movedim((0, 1), 2),
    "movedim_len_mismatch": lambda lib, x: x.movedim((0, 1), (2,)),
    "movedim_repeated": lambda lib, x: x.movedim((0, 0), (1, 2)),
}


@pytest.mark.parametrize("name", list(ERROR_CASES))
def test_shape_op_errors_match_torch_type(name):
    fn = ERROR_CASES[name]
    x, tx = pair(2, 3, 4)
    with pytest.raises(Exception) as theirs:
        fn(torch, tx)
    with pytest.raises(type(theirs.value)) as mine:
        fn(pt, x)
    assert str(mine.value)


def test_expand_error_message_names_sizes():
    x, tx = pair(2, 3, 4)
    with pytest.raises(RuntimeError) as theirs:
        tx.expand(2, 2, 4)
    with pytest.raises(RuntimeError) as mine:
        x.expand(2, 2, 4)
    assert str(mine.value) == str(theirs.value)


# ---------------------------------------------------------------------------------------------------
# copies: cat, stack, hstack/vstack, flip, repeat, tile, clone, contiguous
# ---------------------------------------------------------------------------------------------------
COPY_OPS = {
    "cat_0": lambda lib, x: lib.cat([x, x * 2], 0),
    "cat_neg": lambda lib, x: lib.cat((x, x[:, :, :1]), -1),
    "cat_one": lambda lib, x: lib.cat([x], 1),
    "cat_skip_empty_1d": lambda lib, x: lib.cat([x[0], lib.zeros(0, dtype=x.dtype), x[1]], 1),
    "cat_all_empty_1d": lambda lib, x: lib.cat([lib.zeros(0), lib.zeros(0)]),
    "cat_noncontig": lambda lib, x: lib.cat([x.transpose(0, 2), x.transpose(0, 2)[::2]], 0),
    "concat_alias": lambda lib, x: lib.concat([x, x], 2),
    "concatenate_alias": lambda lib, x: lib.concatenate([x, x], 0),
    "cat_promote_int_float": lambda lib, x: lib.cat([lib.arange(3), lib.ones(2)]),
    "cat_promote_f32_f64": lambda lib, x: lib.cat([x.float(), x]),
    "cat_promote_bool_int": lambda lib, x: lib.cat([lib.ones(2, dtype=lib.bool), lib.arange(2, dtype=lib.int16)]),
    "cat_promote_u8_i8": lambda lib, x: lib.cat([lib.ones(2, dtype=lib.uint8), lib.ones(2, dtype=lib.int8)]),
    "stack_0": lambda lib, x: lib.stack([x, x + 1]),
    "stack_last": lambda lib, x: lib.stack([x, x + 1, x], -1),
    "stack_mid": lambda lib, x: lib.stack((x[0], x[1]), 1),
    "stack_0dim": lambda lib, x: lib.stack([x[0, 0, 0], x[1, 2, 3]]),
    "stack_promote": lambda lib, x: lib.stack([lib.arange(3), lib.ones(3)]),
    "hstack_1d": lambda lib, x: lib.hstack([x[0, 0], x[1, 1]]),
    "hstack_2d": lambda lib, x: lib.hstack([x[0], x[1]]),
    "hstack_0d": lambda lib, x: lib.hstack([x[0, 0, 0], x[0, 0]]),
    "vstack_1d": lambda lib, x: lib.vstack([x[0, 0], x[1, 1]]),
    "vstack_2d": lambda lib, x: lib.vstack([x[0], x[1, :2]]),
    "vstack_0d": lambda lib, x: lib.vstack([x[0, 0, 0], x[1, 1, 1]]),
    "flip_one": lambda lib, x: lib.flip(x, [0]),
    "flip_many": lambda lib, x: x.flip((0, 2)),
    "flip_neg": lambda lib, x: x.flip(-1),
    "repeat": lambda lib, x: x.repeat(2, 1, 3),
    "repeat_more_dims": lambda lib, x: x[0].repeat(2, 1, 2),
    "repeat_ones": lambda lib, x: x.repeat(1, 1, 1),
    "repeat_zero": lambda lib, x: x.repeat(1, 0, 1),
    "tile": lambda lib, x: lib.tile(x, (2,)),
    "tile_more": lambda lib, x: x.tile((2, 1, 1, 2)),
    "clone": lambda lib, x: lib.clone(x),
    "clone_noncontig": lambda lib, x: x.transpose(0, 1).clone(),
    "contiguous_copy": lambda lib, x: x.transpose(0, 1).contiguous(),
}


@pytest.mark.parametrize("name", list(COPY_OPS))
def test_copy_ops_match_torch(name):
    fn = COPY_OPS[name]
    x, tx = pair(2, 3, 4)
    r, tr = fn(pt, x), fn(torch, tx)
    assert_same(r, tr)
    assert r._base is None
    assert r.is_contiguous() == tr.is_contiguous()
    if r.numel():
        r.zero_()  # a copy: writing into it leaves the input alone
        assert_same(x, tx)


LAYOUTS = {
    "transpose": lambda x: x.transpose(0, 1),
    "transpose_strided": lambda x: x.transpose(0, 1)[::2],
    "expand": lambda x: x.expand(2, 2, 3, 4),
    "expand_mid": lambda x: x[:, :1].expand(2, 5, 4),
    "permute_sliced": lambda x: x.permute(2, 0, 1)[1:],
    "permute_stepped": lambda x: x.permute(2, 0, 1)[:, :, ::2],
    "expand_permute": lambda x: x[:, None].expand(2, 3, 3, 4).permute(3, 1, 0, 2),
    "size1_permute": lambda x: x[0:1].permute(2, 0, 1),
}


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_clone_keeps_layout_and_contiguous_does_not(name):
    # clone() follows PyTorch's preserve_format; contiguous() always gives row-major strides
    x, tx = pair(2, 3, 4)
    src, tsrc = LAYOUTS[name](x), LAYOUTS[name](tx)
    c, tc = src.clone(), tsrc.clone()
    assert_same(c, tc)
    assert c.stride() == tc.stride() and c.is_contiguous() == tc.is_contiguous()
    k, tk = src.contiguous(), tsrc.contiguous()
    assert_same(k, tk)
    assert k.stride() == tk.stride()
    assert c._base is None and k._base is None


def test_clone_of_transpose_cannot_be_viewed_flat_like_torch():
    x, tx = pair(2, 3)
    with pytest.raises(RuntimeError):
        tx.t().clone().view(-1)
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        x.t().clone().view(-1)
    assert_same(x.t().contiguous().view(-1), tx.t().contiguous().view(-1))


def test_contiguous_returns_self_when_contiguous():
    x, _ = pair(2, 3)
    assert x.contiguous() is x
    c = x.t().contiguous()
    assert c is not x and c.is_contiguous() and c.stride() == (2, 1)


def test_cat_out():
    x, tx = pair(2, 3)
    out, tout = pt.empty(0, dtype=pt.float64), torch.empty(0, dtype=torch.float64)
    r = pt.cat([x, x], 1, out=out)
    torch.cat([tx, tx], 1, out=tout)
    assert r is out
    assert_same(out, tout)


# ---------------------------------------------------------------------------------------------------
# dtype and device conversion
# ---------------------------------------------------------------------------------------------------
CAST_METHODS = ["float", "double", "long", "int", "half", "bool", "short", "char", "byte"]


@pytest.mark.parametrize("method", CAST_METHODS)
@pytest.mark.parametrize("src", ["float64", "int64", "bool"])
def test_cast_methods(method, src):
    t = torch.tensor([[-1.5, 0.0, 2.25], [3.0, 1.0, 0.5]], dtype=torch.float64)
    if src != "float64":
        t = (t * 2).to(getattr(torch, src))
    x = ours(t)
    assert_same(getattr(x, method)(), getattr(t, method)())


@pytest.mark.parametrize("args", [
    ("float32",), ("int32",), ("bool",), ("float16",), ("cpu",), ("cpu", "float32"), ("same",),
])
def test_to(args):
    x, tx = pair(2, 3)

    def conv(lib, a):
        if a == "cpu":
            return "cpu"
        if a == "same":
            return lib.float64
        return getattr(lib, a)
    r = x.to(*[conv(pt, a) for a in args])
    tr = tx.to(*[conv(torch, a) for a in args])
    assert_same(r, tr)
    assert (r is x) == (tr is tx)


def test_to_keywords_other_tensor_and_copy():
    x, tx = pair(2, 3)
    i, ti = pt.zeros(1, dtype=pt.int16), torch.zeros(1, dtype=torch.int16)
    assert_same(x.to(i), tx.to(ti))
    assert_same(x.to(dtype=pt.float32, device="cpu"), tx.to(dtype=torch.float32, device="cpu"))
    assert x.to(pt.float64) is x
    c = x.to(pt.float64, copy=True)
    assert c is not x
    c[0, 0] = 99.0
    assert x[0, 0].item() == tx[0, 0].item()


def test_type_and_type_as():
    x, tx = pair(2, 3)
    assert x.type() == tx.type().replace("torch", "plugtensor")
    assert x.float().type() == "plugtensor.FloatTensor"
    assert_same(x.type(pt.int32), tx.type(torch.int32))
    assert_same(x.type("torch.LongTensor"), tx.type("torch.LongTensor"))
    assert_same(x.type_as(pt.zeros(1, dtype=pt.int8)), tx.type_as(torch.zeros(1, dtype=torch.int8)))
    assert x.type(pt.float64) is x


# ---------------------------------------------------------------------------------------------------
# aliasing: writes through views reach the base and back; the version counter is shared
# ---------------------------------------------------------------------------------------------------
WRITABLE_VIEWS = {
    "slice": lambda x: x[1:, ::2],
    "transpose": lambda x: x.transpose(0, 2),
    "view": lambda x: x.view(6, 4),
    "narrow": lambda x: x.narrow(1, 1, 2),
    "unbind_piece": lambda x: x.unbind(1)[1],
    "split_piece": lambda x: x.split(3, 2)[1],
    "chunk_piece": lambda x: x.chunk(2, 0)[1],
    "int_index": lambda x: x[0],
    "col_index": lambda x: x[:, 1],
    "step": lambda x: x[::2],
    "select": lambda x: x.select(2, -1),
    "permute": lambda x: x.permute(1, 2, 0),
    "squeeze_unsqueeze": lambda x: x[:, :1].squeeze(1).unsqueeze(0),
    "view_of_view": lambda x: x[1].t()[::2],
    "flatten": lambda x: x.flatten(),
    "reshape_view": lambda x: x.reshape(2, 12),
    "ellipsis": lambda x: x[..., 2],
    "none": lambda x: x[None, 1],
}


@pytest.mark.parametrize("name", list(WRITABLE_VIEWS))
def test_write_through_view_changes_base(name):
    fn = WRITABLE_VIEWS[name]
    x, tx = pair(2, 3, 4)
    v, tv = fn(x), fn(tx)
    v0, x0 = x._version, v._version
    assert v0 == x0
    v.mul_(-3.0)
    tv.mul_(-3.0)
    assert_same(x, tx)
    assert x._version == v._version > v0
    v[...] = 7.0
    tv[...] = 7.0
    assert_same(x, tx)
    assert x._version == v._version > v0 + 1


@pytest.mark.parametrize("name", list(WRITABLE_VIEWS))
def test_write_to_base_shows_in_view(name):
    fn = WRITABLE_VIEWS[name]
    x, tx = pair(2, 3, 4)
    v, tv = fn(x), fn(tx)
    x.add_(10.0)
    tx.add_(10.0)
    assert_same(v, tv)
    assert v._version == x._version
    x[0, 1] = -5.0
    tx[0, 1] = -5.0
    assert_same(v, tv)


def test_expand_then_read_sees_base_writes():
    x, tx = pair(3, 1)
    e, te = x.expand(3, 4), tx.expand(3, 4)
    x[1, 0] = 42.0
    tx[1, 0] = 42.0
    assert_same(e, te)
    assert e._version == x._version


def test_view_of_view_chain_aliases_root():
    x, _ = pair(4, 6)
    v = x.view(2, 2, 6)[1].transpose(0, 1)[::2]
    assert v._base is x
    v.zero_()
    expect = np.arange(24, dtype=np.float64).reshape(4, 6) * 0.5 - 1.25
    expect.reshape(2, 2, 6)[1].T[::2] = 0.0
    np.testing.assert_array_equal(x.numpy(), expect)


def test_setitem_through_view_and_version_bump():
    x, tx = pair(3, 4)
    row, trow = x[1], tx[1]
    v = x._version
    row[1:3] = pt.tensor([9.0, 8.0], dtype=pt.float64)
    trow[1:3] = torch.tensor([9.0, 8.0], dtype=torch.float64)
    assert_same(x, tx)
    assert x._version == row._version == v + 1


def test_clone_and_contiguous_copy_do_not_alias():
    x, tx = pair(2, 3)
    c = x.clone()
    c.add_(1.0)
    assert_same(x, tx)
    assert c._vc is not x._vc


def test_from_numpy_view_shares_memory():
    a = np.arange(6.0).reshape(2, 3)
    x = pt.from_numpy(a)
    x.t()[0] = -1.0
    assert (a[:, 0] == -1.0).all()


# ---------------------------------------------------------------------------------------------------
# gradients (float64) vs torch, and grad_fn names
# ---------------------------------------------------------------------------------------------------
GRAD_OPS = {
    "view": lambda lib, x: x.view(4, 6),
    "view_minus1": lambda lib, x: x.view(-1),
    "reshape_view": lambda lib, x: x.reshape(6, 4),
    "reshape_copy": lambda lib, x: x.transpose(0, 1).reshape(-1),
    "flatten": lambda lib, x: x.flatten(1),
    "unflatten": lambda lib, x: x.unflatten(2, (2, 2)),
    "squeeze": lambda lib, x: x[:, :1].squeeze(),
    "squeeze_dim": lambda lib, x: x[:, :1].squeeze(1),
    "squeeze_tuple": lambda lib, x: x[:1, :1].squeeze((0, 1)),
    "unsqueeze": lambda lib, x: x.unsqueeze(1),
    "permute": lambda lib, x: x.permute(2, 0, 1),
    "transpose": lambda lib, x: x.transpose(0, 2),
    "t": lambda lib, x: x[0].t(),
    "T": lambda lib, x: x[0].T,
    "mT": lambda lib, x: x.mT,
    "movedim": lambda lib, x: x.movedim(0, -1),
    "expand": lambda lib, x: x[:, :1].expand(5, 2, 3, 4),
    "expand_as": lambda lib, x: x[:1].expand_as(x),
    "cat": lambda lib, x: lib.cat([x, x * 2, x[:1]], 0),
    "cat_dim2": lambda lib, x: lib.cat([x[:, :, :1], x], 2),
    "stack": lambda lib, x: lib.stack([x, x * 3], 1),
    "hstack": lambda lib, x: lib.hstack([x[0], x[1]]),
    "vstack": lambda lib, x: lib.vstack([x[0], x[1]]),
    "narrow": lambda lib, x: x.narrow(2, 1, 2),
    "select": lambda lib, x: x.select(1, -1),
    "flip": lambda lib, x: x.flip(0, 2),
    "repeat": lambda lib, x: x.repeat(2, 1, 3),
    "repeat_more_dims": lambda lib, x: x.repeat(2, 1, 1, 2),
    "tile": lambda lib, x: x.tile((2,)),
    "clone": lambda lib, x: x.clone(),
    "contiguous": lambda lib, x: x.transpose(1, 2).contiguous(),
    "to_float32": lambda lib, x: x.to(lib.float32),
    "float": lambda lib, x: x.float(),
    "getitem_int": lambda lib, x: x[1],
    "getitem_slice": lambda lib, x: x[:, 1:],
    "getitem_step": lambda lib, x: x[..., ::2],
    "getitem_none": lambda lib, x: x[None],
    "getitem_mixed_basic": lambda lib, x: x[1, None, ::2, -1],
}


def _weights(shape, lib):
    # distinct weights so that a wrong gradient routing cannot cancel out
    n = int(np.prod(shape)) if len(shape) else 1
    w = np.cos(np.arange(n, dtype=np.float64)).reshape(shape)
    if lib is torch:
        return torch.from_numpy(w)
    return pt.tensor(w, dtype=pt.float64)


@pytest.mark.parametrize("name", list(GRAD_OPS))
def test_gradients_match_torch(name):
    fn = GRAD_OPS[name]
    x, tx = pair(2, 3, 4, requires_grad=True)
    r, tr = fn(pt, x), fn(torch, tx)
    assert_same(r, tr)
    assert grad_fn_name(r) == grad_fn_name(tr)
    (r.double() * _weights(tuple(r.shape), pt)).sum().backward()
    (tr.double() * _weights(tuple(tr.shape), torch)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-12)


SPLIT_GRAD_CASES = {
    "split_first_only": (lambda lib, x: x.split(2, 2), [0]),
    "split_last_only": (lambda lib, x: x.split(3, 2), [1]),
    "split_sizes_middle": (lambda lib, x: x.split([1, 1, 1], 1), [1]),
    "split_all": (lambda lib, x: lib.split(x, 1, 0), [0, 1]),
    "chunk_some": (lambda lib, x: x.chunk(3, 1), [0, 2]),
    "unbind_one": (lambda lib, x: x.unbind(2), [3]),
    "unbind_twice_same": (lambda lib, x: lib.unbind(x, 0), [1, 1]),
}


@pytest.mark.parametrize("name", list(SPLIT_GRAD_CASES))
def test_multi_output_gradients_match_torch(name):
    fn, used = SPLIT_GRAD_CASES[name]
    x, tx = pair(2, 3, 4, requires_grad=True)
    rs, trs = fn(pt, x), fn(torch, tx)
    assert grad_fn_name(rs[0]) == grad_fn_name(trs[0])
    loss = sum((rs[i] * _weights(tuple(rs[i].shape), pt)).sum() for i in used)
    tloss = sum((trs[i] * _weights(tuple(trs[i].shape), torch)).sum() for i in used)
    loss.backward()
    tloss.backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_expand_grad_is_summed_by_engine():
    x = pt.tensor([[1.0], [2.0]], dtype=pt.float64, requires_grad=True)
    y = x.expand(2, 5) * pt.arange(5, dtype=pt.float64)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[10.0], [10.0]])


def test_gradient_finite_differences_for_a_chain_of_views():
    # f(x) = sum(w * flip(cat(x.T, x.T[::-1 via flip]))) : check against central differences
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 4))
    w = rng.standard_normal((8, 3))

    def f(lib, x):
        y = lib.cat([x.t(), x.t().flip(0)], 0).flip(1).repeat(1, 1)
        return (y * (torch.from_numpy(w) if lib is torch else pt.tensor(w, dtype=pt.float64))).sum()

    x = pt.tensor(a, dtype=pt.float64, requires_grad=True)
    f(pt, x).backward()
    eps = 1e-6
    num = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        d = np.zeros_like(a)
        d[idx] = eps
        num[idx] = (f(pt, pt.tensor(a + d, dtype=pt.float64)).item()
                    - f(pt, pt.tensor(a - d, dtype=pt.float64)).item()) / (2 * eps)
    np.testing.assert_allclose(x.grad.numpy(), num, rtol=1e-6, atol=1e-8)


def test_grad_through_view_then_inplace_on_nonleaf():
    # y is a non-leaf; writing into y[0] records CopySlices and routes gradients to both x and w
    x, tx = pair(3, 4, requires_grad=True)
    w, tw = pair(4, requires_grad=True)
    y, ty = x * 1, tx * 1
    y[0] = w * 2
    ty[0] = tw * 2
    assert grad_fn_name(y) == grad_fn_name(ty) == "CopySlices"
    (y * _weights((3, 4), pt)).sum().backward()
    (ty * _weights((3, 4), torch)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy())


@pytest.mark.parametrize("name", ["stack", "cat"])
def test_grad_only_some_inputs_require_grad(name):
    x, tx = pair(2, 3, requires_grad=True)
    c, tc = pair(2, 3)
    lib_op = {"stack": lambda lib, a, b: lib.stack([b, a, b], 1),
              "cat": lambda lib, a, b: lib.cat([b, a], 0)}[name]
    r, tr = lib_op(pt, x, c), lib_op(torch, tx, tc)
    assert grad_fn_name(r) == grad_fn_name(tr)
    (r * _weights(tuple(r.shape), pt)).sum().backward()
    (tr * _weights(tuple(tr.shape), torch)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    assert c.grad is None


def test_cat_grad_with_mixed_dtypes():
    x, tx = pair(2, 3, requires_grad=True)
    f, tf = pair(1, 3, dtype=torch.float32, requires_grad=True)
    r, tr = pt.cat([x, f]), torch.cat([tx, tf])
    assert dtype_name(r) == dtype_name(tr) == "float64"
    (r * _weights((3, 3), pt)).sum().backward()
    (tr * _weights((3, 3), torch)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    assert dtype_name(f.grad) == "float32"
    np.testing.assert_allclose(f.grad.numpy(), tf.grad.numpy())


def test_double_backward_through_views():
    x, tx = pair(2, 3, requires_grad=True)
    for lib, a in ((pt, x), (torch, tx)):
        y = (a.t().reshape(-1) ** 3).sum()
        (g,) = (pt if lib is pt else torch).autograd.grad(y, a, create_graph=True)
        g.flip(0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())


def test_view_shares_version_counter_with_saved_tensor_check():
    # modifying the base of a view that a node saved is detected at backward, as in torch
    x, _ = pair(3, requires_grad=True)
    y = x * 1
    v = y[1:]
    z = (v * v).sum()
    y.mul_(2)  # bumps the counter v shares
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.backward()


# ---------------------------------------------------------------------------------------------------
# random chains of view ops: layout and write-through agree with torch
# ---------------------------------------------------------------------------------------------------
def _random_view_step(draw, shape):
    """One view op valid for ``shape``, as (description, fn) where fn works on plugtensor and torch."""
    nd = len(shape)
    kinds = ["unsqueeze"] + (["transpose", "slice", "select", "permute", "narrow", "flatten_view", "split_dim"]
                             if nd else [])
    if nd > 1:
        kinds.append("merge_dims")  # may be impossible as a view: then both libraries must refuse
    if 1 in shape:
        kinds += ["squeeze", "expand"]
    kind = draw(st.sampled_from(kinds))
    if kind == "unsqueeze":
        d = draw(st.integers(-nd - 1, nd))
        return kind, lambda t: t.unsqueeze(d)
    if kind == "squeeze":
        d = shape.index(1)
        return kind, lambda t: t.squeeze(d)
    d = draw(st.integers(0, nd - 1))
    if kind == "transpose":
        e = draw(st.integers(0, nd - 1))
        return kind, lambda t: t.transpose(d, e)
    if kind == "permute":
        perm = draw(st.permutations(range(nd)))
        return kind, lambda t: t.permute(*perm)
    if kind == "select":
        if shape[d] == 0:
            return "noop", lambda t: t
        i = draw(st.integers(-shape[d], shape[d] - 1))
        return kind, lambda t: t.select(d, i)
    if kind == "narrow":
        start = draw(st.integers(0, shape[d]))
        length = draw(st.integers(0, shape[d] - start))
        return kind, lambda t: t.narrow(d, start, length)
    if kind == "expand":
        sizes = [2 if s == 1 else -1 for s in shape]
        return kind, lambda t: t.expand(*sizes)
    if kind == "merge_dims":
        d = min(d, nd - 2)
        new = shape[:d] + (shape[d] * shape[d + 1],) + shape[d + 2:]
        return kind, lambda t: t.view(new)
    if kind == "split_dim":
        a = draw(st.sampled_from([k for k in (1, 2, 3, 5) if shape[d] % k == 0] or [1]))
        return kind, lambda t: t.unflatten(d, (a, -1)) if shape[d] else t.unflatten(d, (a, 0))
    if kind == "flatten_view":
        return kind, lambda t: t.unsqueeze(0).flatten(0, 1)  # always a legal view: merges a size-1 dim
    start = draw(st.integers(-shape[d] - 1, shape[d] + 1))
    step = draw(st.integers(1, 3))
    key = (slice(None),) * d + (slice(start, None, step),)
    return kind, lambda t: t[key]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_view_chains_match_torch(data):
    x, tx = pair(3, 4, 5)
    v, tv = x, tx
    expanded = False
    for _ in range(data.draw(st.integers(1, 6))):
        kind, fn = _random_view_step(data.draw, tuple(tv.shape))
        expanded |= kind == "expand"
        try:
            tv = fn(tv)
        except RuntimeError:
            with pytest.raises(RuntimeError, match="view size is not compatible"):
                fn(v)
            break
        v = fn(v)
        assert_same(v, tv)
        assert_same_layout(v, tv)
        assert v._base is x and tv._base is tx or (v is x and tv is tx)
    if expanded:
        # writing into an expanded view is refused (one element would be written twice); plugtensor also
        # refuses a view of it that no longer overlaps, which PyTorch allows, so only the refusal is checked
        if tv.numel() and any(s == 0 and n > 1 for s, n in zip(tv.stride(), tv.shape)):
            with pytest.raises(RuntimeError):
                tv.mul_(-2.0)
            with pytest.raises(RuntimeError, match="more than one element"):
                v.mul_(-2.0)
        return
    v.mul_(-2.0)
    tv.mul_(-2.0)
    assert_same(x, tx)
    assert v._version == x._version
