"""``plugtensor.nn``: a small Module system (Parameter, Linear, activations, losses, Sequential)."""
from __future__ import annotations

import math
from collections import OrderedDict
from typing import Iterator

from .._tensor import Tensor
from . import functional
from . import init

__all__ = ["Parameter", "Module", "Linear", "ReLU", "Sigmoid", "Tanh", "Sequential", "MSELoss", "CrossEntropyLoss",
           "NLLLoss", "functional", "init", "Identity", "Softmax", "LogSoftmax", "Dropout"]


def Parameter(data: Tensor, requires_grad: bool = True) -> Tensor:  # noqa: N802 - PyTorch's name
    """A leaf tensor registered as a module parameter (sharing ``data``'s storage)."""
    p = data.detach()
    p.requires_grad_(requires_grad)
    p._extra = {"is_parameter": True}
    return p


class Module:
    """Base class of layers: attributes that are parameters or modules are registered automatically."""

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    def __setattr__(self, name: str, value) -> None:
        if isinstance(value, Tensor) and value._extra and value._extra.get("is_parameter"):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"Module [{type(self).__name__}] is missing the required \"forward\" function")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        for n, p in self._parameters.items():
            yield prefix + n, p
        for mn, m in self._modules.items():
            yield from m.named_parameters(prefix + mn + ".")

    def parameters(self) -> Iterator[Tensor]:
        for _, p in self.named_parameters():
            yield p

    def children(self) -> Iterator["Module"]:
        return iter(self._modules.values())

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.parameters():
            p.grad = None

    def train(self, mode: bool = True) -> "Module":
        object.__setattr__(self, "training", mode)
        for m in self._modules.values():
            m.train(mode)
        return self

    def eval(self) -> "Module":
        return self.train(False)

    def to(self, *args, **kwargs) -> "Module":
        for m in [self, *self._all_modules()]:
            for n, p in list(m._parameters.items()):
                moved = Parameter(p.detach().to(*args, **kwargs), p.requires_grad)
                setattr(m, n, moved)
        return self

    def _all_modules(self):
        for m in self._modules.values():
            yield m
            yield from m._all_modules()

    def state_dict(self) -> dict:
        return OrderedDict((n, p.detach()) for n, p in self.named_parameters())

    def load_state_dict(self, state: dict) -> None:
        own = dict(self.named_parameters())
        missing = set(own) - set(state)
        if missing:
            raise RuntimeError(f"Error(s) in loading state_dict: Missing key(s): {sorted(missing)}")
        from ..autograd.grad_mode import no_grad
        with no_grad():
            for n, p in own.items():
                p.copy_(state[n])

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__}({self.extra_repr()}"]
        if self._modules:
            for n, m in self._modules.items():
                lines.append(f"  ({n}): " + repr(m).replace("\n", "\n  "))
            return "\n".join(lines) + "\n)"
        return lines[0] + ")"


class Linear(Module):
    """``y = x @ W.T + b`` with PyTorch's default initialisation (uniform in ±1/sqrt(in_features))."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        from .._ops.creation import empty
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(empty(out_features, in_features, device=device, dtype=dtype))
        self.bias = Parameter(empty(out_features, device=device, dtype=dtype)) if bias else None
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(in_features) if in_features > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        return functional.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


def _activation(name: str, fn):
    cls = type(name, (Module,), {"forward": lambda self, x: fn(x), "__init__": lambda self, *a, **k: Module.__init__(self)})
    return cls


ReLU = _activation("ReLU", functional.relu)
Sigmoid = _activation("Sigmoid", functional.sigmoid)
Tanh = _activation("Tanh", functional.tanh)
Identity = _activation("Identity", lambda x: x)


class Softmax(Module):
    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        return x.softmax(self.dim)


class LogSoftmax(Softmax):
    def forward(self, x: Tensor) -> Tensor:
        return x.log_softmax(self.dim)


class Dropout(Module):
    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        self.p = p

    def forward(self, x: Tensor) -> Tensor:
        return functional.dropout(x, self.p, self.training)


class Sequential(Module):
    """Modules applied in order."""

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for i, m in enumerate(modules):
            setattr(self, str(i), m)

    def forward(self, x):
        for m in self._modules.values():
            x = m(x)
        return x

    def __getitem__(self, i: int) -> Module:
        return list(self._modules.values())[i]

    def __len__(self) -> int:
        return len(self._modules)


def _loss(name: str, fn):
    def __init__(self, reduction: str = "mean") -> None:
        Module.__init__(self)
        self.reduction = reduction
    return type(name, (Module,), {"__init__": __init__,
                                  "forward": lambda self, input, target: fn(input, target, self.reduction)})


MSELoss = _loss("MSELoss", functional.mse_loss)
CrossEntropyLoss = _loss("CrossEntropyLoss", functional.cross_entropy)
NLLLoss = _loss("NLLLoss", functional.nll_loss)
