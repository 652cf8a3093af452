"""``plugtensor.optim``: SGD (with momentum) and Adam, updating parameters in place."""
from __future__ import annotations

import math

from .._tensor import Tensor
from ..autograd.grad_mode import no_grad

__all__ = ["Optimizer", "SGD", "Adam"]


class Optimizer:
    def __init__(self, params, defaults: dict) -> None:
        params = list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        if isinstance(params[0], dict):
            self.param_groups = [{**defaults, **g, "params": list(g["params"])} for g in params]
        else:
            self.param_groups = [{**defaults, "params": params}]
        self.state: dict = {}

    def zero_grad(self, set_to_none: bool = True) -> None:
        for g in self.param_groups:
            for p in g["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad.zero_()


class SGD(Optimizer):
    """Stochastic gradient descent: ``p -= lr * (grad + weight_decay * p)``, with optional momentum."""

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0, weight_decay: float = 0.0,
                 nesterov: bool = False) -> None:
        if lr < 0:
            raise ValueError(f"Invalid learning rate: {lr}")
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=nesterov))

    @no_grad()
    def step(self) -> None:
        for g in self.param_groups:
            for p in g["params"]:
                if p.grad is None:
                    continue
                d = p.grad
                if g["weight_decay"]:
                    d = d + g["weight_decay"] * p
                if g["momentum"]:
                    buf = self.state.get(id(p))
                    if buf is None:
                        buf = self.state[id(p)] = d.clone()
                    else:
                        buf.mul_(g["momentum"]).add_(d)
                    d = d + g["momentum"] * buf if g["nesterov"] else buf
                p.sub_(d, alpha=g["lr"])


class Adam(Optimizer):
    """Adam (Kingma & Ba) with bias correction."""

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @no_grad()
    def step(self) -> None:
        for g in self.param_groups:
            b1, b2 = g["betas"]
            for p in g["params"]:
                if p.grad is None:
                    continue
                d = p.grad if not g["weight_decay"] else p.grad + g["weight_decay"] * p
                st = self.state.setdefault(id(p), {"step": 0, "m": p.new_zeros(p.shape), "v": p.new_zeros(p.shape)})
                st["step"] += 1
                st["m"].mul_(b1).add_(d, alpha=1 - b1)
                st["v"].mul_(b2).add_(d * d, alpha=1 - b2)
                mhat = st["m"] / (1 - b1 ** st["step"])
                vhat = st["v"] / (1 - b2 ** st["step"])
                p.sub_(g["lr"] * mhat / (vhat.sqrt() + g["eps"]))
