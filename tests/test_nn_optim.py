"""nn and optim against PyTorch's modules and optimizers, from identical weights."""
from __future__ import annotations

import numpy as np
import pytest

import plugtensor as pt

torch = pytest.importorskip("torch")


def _pair(shape, seed=0, requires_grad=False):
    a = np.random.default_rng(seed).standard_normal(shape)
    return (pt.tensor(a, requires_grad=requires_grad), torch.tensor(a, requires_grad=requires_grad))


def _copy_linear(p_lin, t_lin):
    with torch.no_grad():
        t_lin.weight.copy_(torch.from_numpy(p_lin.weight.detach().numpy().astype(np.float64)))
        t_lin.bias.copy_(torch.from_numpy(p_lin.bias.detach().numpy().astype(np.float64)))


def test_linear_registers_parameters_and_matches_torch():
    lin = pt.nn.Linear(4, 3, dtype=pt.float64)
    names = [n for n, _ in lin.named_parameters()]
    assert names == ["weight", "bias"]
    assert lin.weight.shape == (3, 4) and lin.weight.requires_grad and lin.weight.is_leaf
    bound = 1 / np.sqrt(4)
    assert float(lin.weight.abs().max()) <= bound and float(lin.bias.abs().max()) <= bound
    tl = torch.nn.Linear(4, 3, dtype=torch.float64)
    _copy_linear(lin, tl)
    x, tx = _pair((5, 4))
    np.testing.assert_allclose(lin(x).detach().numpy(), tl(tx).detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("loss", ["cross_entropy", "mse_loss", "nll_loss", "l1_loss"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_losses_and_their_gradients_match_torch(loss, reduction):
    x, tx = _pair((6, 5), seed=1, requires_grad=True)
    if loss in ("cross_entropy", "nll_loss"):
        y = np.random.default_rng(2).integers(0, 5, 6)
        target, ttarget = pt.tensor(y), torch.tensor(y)
        xin, txin = (x.log_softmax(1), tx.log_softmax(1)) if loss == "nll_loss" else (x, tx)
    else:
        target, ttarget = _pair((6, 5), seed=3)
        xin, txin = x, tx
    out = getattr(pt.nn.functional, loss)(xin, target, reduction=reduction)
    tout = getattr(torch.nn.functional, loss)(txin, ttarget, reduction=reduction)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    out.sum().backward()
    tout.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_sequential_and_module_api():
    model = pt.nn.Sequential(pt.nn.Linear(3, 4), pt.nn.ReLU(), pt.nn.Linear(4, 2))
    assert len(list(model.parameters())) == 4
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert "Linear(in_features=3, out_features=4, bias=True)" in repr(model)
    out = model(pt.ones(5, 3))
    assert out.shape == (5, 2) and out.grad_fn is not None
    state = model.state_dict()
    other = pt.nn.Sequential(pt.nn.Linear(3, 4), pt.nn.ReLU(), pt.nn.Linear(4, 2))
    other.load_state_dict(state)
    assert pt.equal(other(pt.ones(5, 3)), out.detach())


@pytest.mark.parametrize("opt,kw", [("SGD", dict(lr=0.1)), ("SGD", dict(lr=0.1, momentum=0.9)),
                                    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
                                    ("Adam", dict(lr=0.01)), ("Adam", dict(lr=0.01, weight_decay=0.1))])
def test_optimizers_follow_torch_for_several_steps(opt, kw):
    w, tw = _pair((3, 2), seed=4, requires_grad=True)
    x, tx = _pair((8, 3), seed=5)
    o = getattr(pt.optim, opt)([w], **kw)
    to = getattr(torch.optim, opt)([tw], **kw)
    for _ in range(5):
        for p_, opt_, xx in ((w, o, x), (tw, to, tx)):
            opt_.zero_grad()
            ((xx @ p_).tanh() ** 2).sum().backward()
            opt_.step()
    np.testing.assert_allclose(w.detach().numpy(), tw.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_a_small_model_learns():
    pt.manual_seed(0)
    x = pt.randn(64, 2)
    y = (x[:, 0] * x[:, 1] > 0).long()
    model = pt.nn.Sequential(pt.nn.Linear(2, 16), pt.nn.Tanh(), pt.nn.Linear(16, 2))
    opt = pt.optim.Adam(model.parameters(), lr=0.05)
    losses = []
    for _ in range(150):
        opt.zero_grad()
        loss = pt.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    accuracy = (model(x).argmax(1) == y).float().mean().item()
    assert accuracy > 0.9
