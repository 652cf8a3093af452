"""Per-op tests of plugtensor's matrix products (mm, matmul / @, bmm, dot, mv, outer) on the cpu device.

Values are checked against NumPy in float64, result dtypes, node names and exception types against
PyTorch, and gradients against central finite differences (including broadcast batch dimensions,
whose gradients the engine must reduce).
"""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hypothesis import given, settings, strategies as st  # noqa: E402

import plugtensor as pt  # noqa: E402
from _helpers import (ALL_DTYPES, assert_close, dtype_name, grad_fn_name, gradcheck, layout, pt_tensor,  # noqa: E402
                      sample, same_exception, to_np, torch_grads, torch_tensor)

# op -> (shape of a, shape of b, NumPy reference)
PRODUCTS = {
    "mm": ((3, 4), (4, 5), np.matmul), "bmm": ((2, 3, 4), (2, 4, 5), np.matmul), "dot": ((4,), (4,), np.dot),
    "mv": ((3, 4), (4,), np.matmul), "outer": ((3,), (4,), np.outer), "matmul": ((2, 3, 4), (4, 5), np.matmul),
}
MATMUL_SHAPES = [
    ((4,), (4,)), ((3, 4), (4,)), ((4,), (4, 5)), ((3, 4), (4, 5)), ((2, 3, 4), (2, 4, 5)), ((2, 3, 4), (4, 5)),
    ((3, 4), (2, 4, 5)), ((4,), (2, 4, 5)), ((2, 3, 4), (4,)), ((2, 1, 3, 4), (5, 4, 2)), ((1, 3, 4), (6, 4, 2)),
    ((0, 4), (4, 5)), ((3, 0), (0, 5)), ((2, 0, 3, 4), (4, 5)), ((0,), (0,)), ((3, 4), (4, 0)),
]


def _values(a: np.ndarray, b: np.ndarray, ref, dt: str):
    """The float64 reference, cast to integer dtypes where the result is integral."""
    r = np.asarray(ref(a.astype(np.float64), b.astype(np.float64)))
    return r if dt.startswith("float") else r.astype(np.int64).astype(dt)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("name", PRODUCTS)
def test_products_values_and_dtype(name: str, dtype: str) -> None:
    sa, sb, ref = PRODUCTS[name]
    a, b = sample(sa, dtype, -3, 3, seed=1), sample(sb, dtype, -3, 3, seed=2)
    res = same_exception(lambda: getattr(pt, name)(pt_tensor(a), pt_tensor(b)),
                         lambda: getattr(torch, name)(torch_tensor(a), torch_tensor(b)))
    if res is None:
        return
    got, want = res
    dt = dtype_name(got.dtype)
    assert dt == dtype_name(want.dtype)
    assert tuple(got.shape) == tuple(want.shape)
    if dt == "float16":  # sums of several products: compare within half's resolution of the magnitudes
        assert_close(got, _values(a, b, ref, dt), dt, atol=0.05)
    elif dt in ("uint8", "int8", "bool"):
        assert_close(got, want.numpy())  # wrapping / saturating narrow accumulations: torch decides
    else:
        assert_close(got, _values(a, b, ref, dt), dt)
    assert_close(getattr(pt_tensor(a), name)(pt_tensor(b)), want.numpy().astype(np.float64)
                 if want.is_floating_point() else want.numpy(), dt if dt.startswith("float") else None,
                 atol=0.05 if dt == "float16" else None)


@pytest.mark.parametrize("da,db", [("float32", "float64"), ("int64", "float32"), ("int32", "int64"),
                                   ("float16", "float32")])
@pytest.mark.parametrize("name", PRODUCTS)
def test_products_mixed_dtypes(name: str, da: str, db: str) -> None:
    sa, sb, ref = PRODUCTS[name]
    a, b = sample(sa, da, -3, 3, seed=3), sample(sb, db, -3, 3, seed=4)
    res = same_exception(lambda: getattr(pt, name)(pt_tensor(a), pt_tensor(b)),
                         lambda: getattr(torch, name)(torch_tensor(a), torch_tensor(b)))
    if res is not None:  # only outer (a broadcast multiply) promotes
        got, want = res
        assert dtype_name(got.dtype) == dtype_name(want.dtype)
        assert_close(got, _values(a, b, ref, dtype_name(got.dtype)), dtype_name(got.dtype))


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES, ids=str)
def test_matmul_shapes(sa: tuple, sb: tuple) -> None:
    a, b = sample(sa, "float64", seed=5), sample(sb, "float64", seed=6)
    got = pt.matmul(pt_tensor(a), pt_tensor(b))
    assert tuple(got.shape) == tuple(torch.matmul(torch_tensor(a), torch_tensor(b)).shape)
    assert_close(got, np.matmul(a, b))
    assert_close(pt_tensor(a) @ pt_tensor(b), np.matmul(a, b))
    o = pt.empty(0, dtype=pt.float64)
    assert pt.matmul(pt_tensor(a), pt_tensor(b), out=o) is o
    assert_close(o, np.matmul(a, b))


@pytest.mark.parametrize("kind", ["transposed", "sliced"])
@pytest.mark.parametrize("name", PRODUCTS)
def test_products_non_contiguous(name: str, kind: str) -> None:
    sa, sb, ref = PRODUCTS[name]
    a, b = sample(sa, "float32", seed=7), sample(sb, "float32", seed=8)
    got = getattr(pt, name)(layout(a, kind), layout(b, kind))
    assert_close(got, _values(a, b, ref, "float32"), "float32")
    if len(sa) == 2:  # a transposed view made by .t() itself
        x = pt_tensor(np.ascontiguousarray(a.T)).t()
        assert_close(getattr(pt, name)(x, pt_tensor(b)), _values(a, b, ref, "float32"), "float32")


@pytest.mark.parametrize("sa,sb", [s for s in MATMUL_SHAPES if 0 not in s[0] + s[1]] + [((2, 1, 1, 3), (3, 3, 2))],
                         ids=str)
def test_matmul_gradient(sa: tuple, sb: tuple) -> None:
    # Broadcast batch dims (e.g. (2, 1, 3, 4) @ (5, 4, 2)) leave the engine to reduce the gradient.
    a, b = sample(sa, "float64", seed=9), sample(sb, "float64", seed=10)
    gradcheck(lambda x, y: x @ y, [pt_tensor(a, requires_grad=True), pt_tensor(b, requires_grad=True)])


@pytest.mark.parametrize("name", PRODUCTS)
def test_products_gradient(name: str) -> None:
    sa, sb, _ = PRODUCTS[name]
    a, b = sample(sa, "float64", seed=11), sample(sb, "float64", seed=12)
    gradcheck(getattr(pt, name), [pt_tensor(a, requires_grad=True), pt_tensor(b, requires_grad=True)])
    gradcheck(lambda x: getattr(pt, name)(x, pt_tensor(b)), [pt_tensor(a, requires_grad=True)])
    got, want = torch_grads(getattr(pt, name), getattr(torch, name), [a, b])
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12)


def test_gradient_through_non_contiguous_and_double_backward() -> None:
    a, b = sample((4, 3), "float64", seed=13), sample((4, 5), "float64", seed=14)
    gradcheck(lambda x, y: x.t() @ y[:, ::2], [pt_tensor(a, requires_grad=True), pt_tensor(b, requires_grad=True)])
    x = pt_tensor(a[:3], requires_grad=True)
    (g,) = pt.autograd.grad((x @ x).sum(), [x], create_graph=True)
    (gg,) = pt.autograd.grad(g.sum(), [x])
    t = torch_tensor(a[:3], requires_grad=True)
    (tg,) = torch.autograd.grad((t @ t).sum(), [t], create_graph=True)
    (tgg,) = torch.autograd.grad(tg.sum(), [t])
    np.testing.assert_allclose(to_np(gg), tgg.numpy(), rtol=1e-12)


EXPRS = {
    "mm": lambda a, b, v: a @ b, "mv": lambda a, b, v: a @ v, "dot": lambda a, b, v: v @ v,
    "vector @ matrix": lambda a, b, v: v @ b.t(), "bmm": lambda a, b, v: a.unsqueeze(0).bmm(b.unsqueeze(0)),
    "batched @": lambda a, b, v: a.expand(2, 3, 3) @ b.expand(2, 3, 3),
    "outer": lambda a, b, v: pt_or_torch(a).outer(v, v), "batched @ matrix": lambda a, b, v: a.expand(2, 3, 3) @ b,
    "batched @ vector": lambda a, b, v: a.expand(2, 3, 3) @ v,
    "mm method": lambda a, b, v: a.mm(b), "mv method": lambda a, b, v: a.mv(v), "dot method": lambda a, b, v: v.dot(v),
}


def pt_or_torch(x):
    return pt if isinstance(x, pt.Tensor) else torch


@pytest.mark.parametrize("expr", EXPRS)
def test_grad_fn_names(expr: str) -> None:
    a, b, v = sample((3, 3), "float32", seed=15), sample((3, 3), "float32", seed=16), sample((3,), "float32", seed=17)
    y = EXPRS[expr](pt_tensor(a, requires_grad=True), pt_tensor(b, requires_grad=True),
                    pt_tensor(v, requires_grad=True))
    t = EXPRS[expr](torch_tensor(a, requires_grad=True), torch_tensor(b, requires_grad=True),
                    torch_tensor(v, requires_grad=True))
    assert grad_fn_name(y) == grad_fn_name(t)


ERRORS = {
    "mm inner": lambda m: m.mm(m.ones(2, 3), m.ones(2, 3)), "mm rank": lambda m: m.mm(m.ones(3), m.ones(3, 2)),
    "mm rank 2": lambda m: m.mm(m.ones(2, 3), m.ones(3)),
    "mm dtype": lambda m: m.mm(m.ones(2, 3), m.ones(3, 2).double()),
    "bmm batch": lambda m: m.bmm(m.ones(2, 3, 4), m.ones(3, 4, 5)),
    "bmm inner": lambda m: m.bmm(m.ones(2, 3, 4), m.ones(2, 3, 5)),
    "bmm rank": lambda m: m.bmm(m.ones(3, 4), m.ones(4, 5)), "dot size": lambda m: m.dot(m.ones(3), m.ones(4)),
    "dot rank": lambda m: m.dot(m.ones(3, 1), m.ones(3)), "dot dtype": lambda m: m.dot(m.ones(3), m.ones(3).long()),
    "mv size": lambda m: m.mv(m.ones(2, 3), m.ones(4)), "mv rank": lambda m: m.mv(m.ones(2, 3), m.ones(3, 1)),
    "matmul 0-dim": lambda m: m.matmul(m.ones(()), m.ones(3)), "matmul inner": lambda m: m.ones(2, 3) @ m.ones(4, 5),
    "matmul batch": lambda m: m.ones(2, 3, 4) @ m.ones(3, 4, 5), "matmul vector": lambda m: m.ones(3) @ m.ones(4),
    "matmul nd vector": lambda m: m.ones(2, 3, 4) @ m.ones(3),
    "matmul dtype": lambda m: m.ones(2, 3) @ m.ones(3, 2).long(),
    "matmul number": lambda m: m.matmul(m.ones(3), 2), "outer rank": lambda m: m.outer(m.ones(2, 2), m.ones(2)),
    "mm bool": lambda m: m.mm(m.ones(2, 2).bool(), m.ones(2, 2).bool()),
}


@pytest.mark.parametrize("case", ERRORS)
def test_errors_match_torch(case: str) -> None:
    same_exception(lambda: ERRORS[case](pt), lambda: ERRORS[case](torch))


def test_error_messages_name_the_problem() -> None:
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 2x3\)"):
        pt.mm(pt.ones(2, 3), pt.ones(2, 3))


def test_out_argument() -> None:
    a, b = sample((3, 4), "float32", seed=18), sample((4, 2), "float32", seed=19)
    for name, x, y in (("mm", a, b), ("mv", a, b[:, 0]), ("dot", a[0], b[:, 0]), ("bmm", a[None], b[None])):
        o = pt.empty(0)
        assert getattr(pt, name)(pt_tensor(x), pt_tensor(y), out=o) is o
        assert_close(o, np.matmul(x.astype(np.float64), y), "float32")
    same_exception(lambda: pt.mm(pt.ones(2, 2), pt.ones(2, 2), out=pt.empty(2, 2, dtype=pt.int64)),
                   lambda: torch.mm(torch.ones(2, 2), torch.ones(2, 2), out=torch.empty(2, 2, dtype=torch.int64)))


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 3), st.integers(0, 4), st.integers(1, 4), st.integers(1, 4), st.sampled_from([0, 1, 2]))
def test_matmul_hypothesis(batch: int, n: int, k: int, m: int, rank_b: int) -> None:
    a = sample((batch, n, k), "float64", seed=n * 7 + k)
    b = sample(((k,), (k, m), (batch, k, m))[rank_b], "float64", seed=m)
    assert_close(pt_tensor(a) @ pt_tensor(b), np.matmul(a, b))
