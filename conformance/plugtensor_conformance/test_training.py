"""A small model trains on the device: an MLP's loss falls under SGD with momentum (regression) and
Adam (classification), with parameters, gradients and optimizer state staying on the device."""
from __future__ import annotations

import numpy as np
import pytest

import plugtensor as pt

from ._harness import host, pt_dtype
from .plugin import dtype_params

AREA = "training"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "dtype" in metafunc.fixturenames:
        metafunc.parametrize("dtype", dtype_params(metafunc.config, ("float32", "float64")))


def _mlp(n_in: int, n_hidden: int, n_out: int, dtype: str, device: str):
    pt.manual_seed(0)
    nn = pt.nn
    return nn.Sequential(nn.Linear(n_in, n_hidden, device=device, dtype=pt_dtype(dtype)), nn.Tanh(),
                         nn.Linear(n_hidden, n_out, device=device, dtype=pt_dtype(dtype)))


def _train(model, loss_fn, x, y, opt, steps: int) -> list[float]:
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        losses.append(float(loss.item()))
    return losses


def _check_on_device(model, device: str) -> None:
    want = pt.zeros(1, device=device).device
    for p in model.parameters():
        assert p.device == want, f"a parameter moved to {p.device}"
        assert p.grad is not None and p.grad.device == want, "gradients must live on the device"


def test_regression_sgd(dtype: str, device: str) -> None:
    rng = np.random.default_rng(0)
    xs = rng.uniform(-1, 1, (64, 3))
    ys = np.sin(xs @ np.array([[1.0], [-2.0], [0.5]]))
    x = pt.tensor(xs.astype(dtype), device=device)
    y = pt.tensor(ys.astype(dtype), device=device)
    model = _mlp(3, 16, 1, dtype, device)
    losses = _train(model, pt.nn.MSELoss(), x, y, pt.optim.SGD(model.parameters(), lr=0.1, momentum=0.9), 80)
    assert all(np.isfinite(losses)), f"non-finite loss: {losses}"
    assert losses[-1] < 0.2 * losses[0], f"MSE fell only from {losses[0]:.4f} to {losses[-1]:.4f} in 80 steps"
    _check_on_device(model, device)


def test_classification_adam(dtype: str, device: str) -> None:
    rng = np.random.default_rng(1)
    xs = rng.normal(size=(90, 2)) + np.repeat(np.array([[2.0, 0.0], [-2.0, 0.0], [0.0, 2.5]]), 30, axis=0)
    x = pt.tensor(xs.astype(dtype), device=device)
    y = pt.tensor(np.repeat(np.arange(3), 30), device=device)
    model = _mlp(2, 12, 3, dtype, device)
    losses = _train(model, pt.nn.CrossEntropyLoss(), x, y, pt.optim.Adam(model.parameters(), lr=0.05), 60)
    assert losses[-1] < 0.5 * losses[0], f"cross-entropy fell only from {losses[0]:.4f} to {losses[-1]:.4f}"
    accuracy = float(np.mean(host(model(x).argmax(1)) == np.repeat(np.arange(3), 30)))
    assert accuracy > 0.85, f"training accuracy {accuracy:.2f} on three separable blobs"
    _check_on_device(model, device)
