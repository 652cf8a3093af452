"""The autograd engine on the device: accumulation, retain_graph, create_graph, hooks, retain_grad,
the version counter, grad modes, autograd.grad and autograd.Function, for every float dtype."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import plugtensor as pt

from ._harness import FLOAT_DTYPES, assert_close, host, pt_dtype
from .plugin import dtype_params

AREA = "autograd"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "dtype" in metafunc.fixturenames:
        metafunc.parametrize("dtype", dtype_params(metafunc.config, FLOAT_DTYPES))


def leaf(values, dtype: str, device: str) -> pt.Tensor:
    return pt.tensor(values, dtype=pt_dtype(dtype), device=device, requires_grad=True)


def close(t, want, dtype: str, what: str) -> None:
    assert t is not None, f"{what}: gradient is None"
    assert t.dtype == pt_dtype(dtype), f"{what}: dtype {t.dtype}, expected {dtype}"
    assert_close(host(t), np.asarray(want, dtype=np.float64).astype(dtype), dtype, what=what)


def test_accumulates_into_leaves(dtype: str, device: str) -> None:
    x = leaf([1.0, 2.0, 3.0], dtype, device)
    (x * 2).sum().backward()
    (x * x).sum().backward()
    close(x.grad, [2 + 2, 2 + 4, 2 + 6], dtype, "grad accumulated over two backward calls")
    assert x.grad.device == x.device
    x.grad = None
    (x * 3).sum().backward()
    close(x.grad, [3, 3, 3], dtype, "grad after resetting .grad to None")


def test_leaf_grads_stay_separate(dtype: str, device: str) -> None:
    # One gradient tensor reaches two leaves and the caller keeps it; a backend that claims sole
    # ownership of an array (Backend.sole_owner) wrongly would let the leaves' .grad alias it.
    a, b = leaf([1.0, 2.0], dtype, device), leaf([3.0, 4.0], dtype, device)
    gout = pt.tensor([1.0, 10.0], dtype=pt_dtype(dtype), device=device)
    for _ in range(2):
        (a + b).backward(gout)
    a.grad.mul_(3)
    close(a.grad, [6.0, 60.0], dtype, "a.grad")
    close(b.grad, [2.0, 20.0], dtype, "b.grad")
    close(gout, [1.0, 10.0], dtype, "the caller's gradient")


def test_diamond_and_broadcast(dtype: str, device: str) -> None:
    """Several paths to one leaf add up; a broadcast operand gets its gradient summed to its shape."""
    x = leaf([[1.0], [2.0]], dtype, device)         # (2, 1)
    y = leaf([1.0, 2.0, 3.0], dtype, device)        # (3,)
    z = x * y + x                                   # (2, 3)
    z.sum().backward()
    close(x.grad, [[9.0], [9.0]], dtype, "x: sum over the broadcast dim of (y + 1)")
    close(y.grad, [3.0, 3.0, 3.0], dtype, "y: sum over the broadcast dim of x")


def test_retain_graph(dtype: str, device: str) -> None:
    x = leaf([1.0, 2.0], dtype, device)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    close(x.grad, 2 * np.exp([1.0, 2.0]) * (1 + np.array([1.0, 2.0])), dtype, "two backward calls, retain_graph")
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_create_graph(dtype: str, device: str) -> None:
    x = leaf([1.0, 2.0], dtype, device)
    (g,) = pt.autograd.grad((x ** 3).sum(), x, create_graph=True)
    close(g, 3 * np.array([1.0, 4.0]), dtype, "first derivative")
    assert g.requires_grad, "create_graph=True must give a gradient that requires grad"
    g.sum().backward()
    close(x.grad, 6 * np.array([1.0, 2.0]), dtype, "second derivative through create_graph")


def test_hooks_and_retain_grad(dtype: str, device: str) -> None:
    x = leaf([1.0, 2.0], dtype, device)
    seen = []
    h = x.register_hook(lambda g: g * 10)
    y = x * 3
    y.retain_grad()
    y.register_hook(lambda g: seen.append(host(g)))
    y.sum().backward()
    close(x.grad, [30.0, 30.0], dtype, "a hook on a leaf replaces its gradient")
    close(y.grad, [1.0, 1.0], dtype, "retain_grad on a non-leaf")
    assert len(seen) == 1 and np.allclose(seen[0], 1.0), "a hook on a non-leaf sees its gradient"
    h.remove()
    x.grad = None
    (x * 3).sum().backward()
    close(x.grad, [3.0, 3.0], dtype, "after removing the hook")


def test_version_counter_detects_inplace(dtype: str, device: str) -> None:
    x = leaf([1.0, 2.0], dtype, device)
    y = x.exp()          # ExpBackward0 saves its result
    y.add_(1)            # ... which is then modified in place
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_inplace_on_leaf_refused(dtype: str, device: str) -> None:
    x = leaf([1.0, 2.0], dtype, device)
    with pytest.raises(RuntimeError, match="leaf"):
        x.add_(1)
    with pt.no_grad():
        x.add_(1)        # allowed without grad mode
    close(x.detach(), [2.0, 3.0], dtype, "in-place on a leaf under no_grad")


def test_inplace_in_graph(dtype: str, device: str) -> None:
    """An in-place op on a non-leaf is recorded: the gradient goes through it."""
    x = leaf([1.0, 2.0], dtype, device)
    y = x * 2
    y.mul_(x)            # y = 2 x^2
    y.sum().backward()
    close(x.grad, [4.0, 8.0], dtype, "gradient through an in-place mul_")


def test_grad_modes(dtype: str, device: str) -> None:
    x = leaf([1.0, 2.0], dtype, device)
    with pt.no_grad():
        assert not pt.is_grad_enabled()
        y = x * 2
        with pt.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.grad_fn is None, "no_grad results do not require grad"
    assert z.requires_grad, "enable_grad inside no_grad records again"
    with pt.set_grad_enabled(False):
        assert not (x + 1).requires_grad
    assert pt.is_grad_enabled()
    with pt.inference_mode():
        assert not (x + 1).requires_grad
    d = x.detach()
    assert not d.requires_grad and d.is_leaf
    d.zero_()
    close(x.detach(), [0.0, 0.0], dtype, "detach() shares storage")


def test_autograd_grad_and_errors(dtype: str, device: str) -> None:
    x, w = leaf([1.0, 2.0], dtype, device), leaf([3.0, 4.0], dtype, device)
    u = leaf([5.0], dtype, device)
    gx, gu = pt.autograd.grad((x * w).sum(), [x, u], allow_unused=True)
    close(gx, [3.0, 4.0], dtype, "autograd.grad")
    assert gu is None, "an unused input gets None with allow_unused=True"
    assert x.grad is None, "autograd.grad must not touch .grad"
    y = x * w
    with pytest.raises(RuntimeError, match="scalar"):
        y.backward()
    y.backward(pt.tensor([1.0, -1.0], dtype=pt_dtype(dtype), device=device))
    close(x.grad, [3.0, -4.0], dtype, "backward(gradient)")
    with pytest.raises(RuntimeError):
        pt.tensor([1, 2], device=device).requires_grad_()
    nl = x * 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert nl.grad is None
    assert any(issubclass(c.category, UserWarning) for c in caught), "reading .grad of a non-leaf warns"


def test_grad_fn_names(dtype: str, device: str) -> None:
    x = leaf([1.0, 2.0], dtype, device)
    names = {"AddBackward0": x + 1, "MulBackward0": x * x, "SumBackward0": x.sum(), "ExpBackward0": x.exp(),
             "DivBackward0": x / x, "NegBackward0": -x, "MeanBackward0": x.mean(), "TBackward0": x.view(1, 2).t(),
             "ViewBackward0": x.view(2, 1)}
    for want, t in names.items():
        assert type(t.grad_fn).__name__ == want, f"grad_fn {type(t.grad_fn).__name__}, PyTorch names it {want}"
    assert x.is_leaf and not (x + 1).is_leaf


class _Cube(pt.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 3 * x * x * g


def test_function(dtype: str, device: str) -> None:
    x = leaf([1.0, 2.0], dtype, device)
    y = _Cube.apply(x)
    close(y.detach(), [1.0, 8.0], dtype, "Function forward")
    assert y.device == x.device
    y.sum().backward()
    close(x.grad, [3.0, 12.0], dtype, "Function backward with save_for_backward")
