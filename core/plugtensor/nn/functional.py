"""``plugtensor.nn.functional``: layers and losses written once, from core ops."""
from __future__ import annotations

from .. import _dtype as D
from .._ops._common import tensor_args, type_word
from .._ops.indexing import _index_range
from .._tensor import Tensor

__all__ = ["linear", "relu", "sigmoid", "tanh", "softmax", "log_softmax", "mse_loss", "nll_loss", "cross_entropy",
           "l1_loss", "dropout"]


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``."""
    if input.__class__ is not Tensor or weight.__class__ is not Tensor:
        tensor_args("linear", input=input, weight=weight)
    out = input.matmul(weight.t())
    return out + bias if bias is not None else out


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    return input.relu_() if inplace else input.relu()


def sigmoid(input: Tensor) -> Tensor:
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    return input.tanh()


def softmax(input: Tensor, dim: int, dtype=None) -> Tensor:
    return input.softmax(dim, dtype)


def log_softmax(input: Tensor, dim: int, dtype=None) -> Tensor:
    return input.log_softmax(dim, dtype)


_REDUCTIONS = ("mean", "sum", "none")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{reduction} is not a valid value for reduction")


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    d = input - target
    return _reduce(d * d, reduction)


def l1_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    return _reduce((input - target).abs(), reduction)


def nll_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class indices ``target`` under log-probabilities ``input`` (N, C)."""
    if not isinstance(input, Tensor) or not isinstance(target, Tensor):
        bad, what = ("input", input) if not isinstance(input, Tensor) else ("target", target)
        raise TypeError(f"nll_loss(): argument '{bad}' must be Tensor, not {type(what).__name__}")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if target.dim() > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if input.dim() != 2 or target.dim() != 1:
        raise ValueError(f"nll_loss: expected input (N, C) and target (N,), got {list(input.shape)} and "
                         f"{list(target.shape)}")
    if input.shape[0] != target.shape[0]:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                         f"({target.shape[0]}).")
    dt = target.dtype
    if dt is not D.int64:
        if dt is not D.uint8:
            raise RuntimeError(f"expected target dtype to be Long or Byte, but got {type_word(dt)}")
        target = target.long()
    index = target.unsqueeze(1)
    try:
        picked = input.gather(1, index)
    except RuntimeError:
        # gather checked the index range and refused it: name the target, with PyTorch's IndexError
        if target.numel():
            lo, hi = _index_range(target)
            c = input.shape[1]
            if lo < 0 or hi >= c:
                raise IndexError(f"Target {hi if hi >= c else lo} is out of bounds.") from None
        raise
    return _reduce(-picked.squeeze(1), reduction)


def cross_entropy(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """``nll_loss(log_softmax(input, 1), target)``."""
    if isinstance(target, Tensor) and target.dim() > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    return nll_loss(input.log_softmax(1), target, reduction)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return input
    if p == 1:
        return input * 0  # everything dropped (and no 0/0)
    from .._ops.creation import rand_like
    keep = rand_like(input) >= p
    return input * keep / (1 - p)
