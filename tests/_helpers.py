"""Shared helpers for the per-op tests: conversions to NumPy / torch, a finite-difference gradient
checker, and input factories for the dtypes and layouts the op tests sweep over.

The references are independent of plugtensor: NumPy in float64, central finite differences, and
PyTorch (the oracle for dtypes, node names and exception types).
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

import plugtensor as pt

FLOAT_DTYPES = ("float32", "float64", "float16")
INT_DTYPES = ("int32", "int64", "uint8", "int8")
ALL_DTYPES = FLOAT_DTYPES + INT_DTYPES + ("bool",)

# Forward tolerances (rtol, atol) against a float64 reference, by the dtype of the result.
TOL = {"float64": (1e-10, 1e-12), "float32": (2e-5, 1e-6), "float16": (2e-2, 2e-3)}


def to_np(t) -> np.ndarray:
    """A copy of a plugtensor tensor's values as a NumPy array (same dtype)."""
    return np.array(t.detach().numpy(), copy=True)


def pt_tensor(a: np.ndarray, dtype: str | None = None, requires_grad: bool = False):
    """A plugtensor tensor holding a copy of ``a`` (cast to ``dtype``)."""
    a = np.asarray(a)
    if dtype is not None:
        a = a.astype(dtype)
    t = pt.from_numpy(np.array(a, copy=True))
    if requires_grad:
        t.requires_grad_(True)
    return t


def torch_tensor(a: np.ndarray, dtype: str | None = None, requires_grad: bool = False):
    """A torch tensor holding a copy of ``a`` (cast to ``dtype``)."""
    import torch
    a = np.asarray(a)
    if dtype is not None:
        a = a.astype(dtype)
    t = torch.from_numpy(np.array(a, copy=True))
    if requires_grad:
        t.requires_grad_(True)
    return t


def dtype_name(d) -> str:
    """``'float32'`` for both ``plugtensor.float32`` and ``torch.float32``."""
    return str(d).rsplit(".", 1)[-1]


def sample(shape: Sequence[int], dtype: str, lo: float = -3.0, hi: float = 3.0, seed: int = 0,
           quantum: float | None = None) -> np.ndarray:
    """Values in ``[lo, hi]`` of ``dtype`` (NumPy). Integers are rounded and clipped to the dtype's range;
    ``quantum`` snaps floats to multiples of it (exact in every float dtype, so results don't depend on rounding)."""
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return np.asarray(rng.random(shape) < 0.5)
    x = rng.uniform(lo, hi, size=shape)
    if np.dtype(dtype).kind in "iu":
        info = np.iinfo(dtype)
        x = np.clip(np.round(x), max(info.min, np.floor(lo)), min(info.max, np.ceil(hi)))
    elif quantum is not None:
        x = np.round(x / quantum) * quantum
    return np.asarray(x).astype(dtype)


def layout(a: np.ndarray, kind: str, dtype: str | None = None, requires_grad: bool = False):
    """A plugtensor tensor equal to ``a`` in one of the layouts the tests sweep over:
    'contiguous', 'transposed' (a permuted view) or 'sliced' (a strided slice of a bigger tensor)."""
    a = np.asarray(a)
    if kind == "contiguous" or a.ndim == 0:
        t = pt_tensor(a, dtype)
    elif kind == "transposed":
        t = pt_tensor(np.ascontiguousarray(np.moveaxis(a, -1, 0)), dtype).movedim(0, -1)
    elif kind == "sliced":
        big = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), dtype=a.dtype)
        big[..., ::2] = a
        t = pt_tensor(big, dtype)[..., ::2]
    else:
        raise ValueError(kind)
    if kind != "contiguous" and a.size > 1 and a.shape[-1] > 1 and (kind == "sliced" or a.ndim >= 2):
        assert not t.is_contiguous(), "layout() should have made a non-contiguous view"
    if requires_grad:
        t.requires_grad_(True)
    return t


def assert_close(actual, expected, dtype: str | None = None, rtol: float | None = None,
                 atol: float | None = None, msg: str = "") -> None:
    """``actual`` (a tensor) equals the float64 reference ``expected`` within the tolerance of ``dtype``.
    Integer and bool results must match exactly."""
    got = to_np(actual) if not isinstance(actual, np.ndarray) else actual
    expected = np.asarray(expected)
    assert got.shape == expected.shape, f"{msg}: shape {got.shape} != {expected.shape}"
    dtype = dtype or got.dtype.name
    if dtype in TOL:
        r, a = TOL[dtype]
        np.testing.assert_allclose(got.astype(np.float64), expected.astype(np.float64), rtol=rtol or r,
                                   atol=atol or a, equal_nan=True, err_msg=msg)
    else:
        np.testing.assert_array_equal(got, expected, err_msg=msg)


def same_exception(pt_call: Callable, torch_call: Callable):
    """Run both; if torch raises, plugtensor must raise the same exception type. Returns (pt_result,
    torch_result), or None when both raised."""
    try:
        t_res = torch_call()
    except Exception as exc:  # noqa: BLE001 - the oracle decides which type is right
        t_exc = exc
    else:
        return pt_call(), t_res
    try:
        pt_call()
    except Exception as exc:  # noqa: BLE001
        assert type(exc) is type(t_exc) or isinstance(exc, type(t_exc)), (
            f"torch raised {type(t_exc).__name__}({t_exc}) but plugtensor raised {type(exc).__name__}({exc})")
        return None
    raise AssertionError(f"torch raised {type(t_exc).__name__}({t_exc}) but plugtensor did not raise")


def gradcheck(fn: Callable, inputs: Sequence, eps: float = 1e-6, atol: float = 1e-6, rtol: float = 1e-4,
              seed: int = 0) -> None:
    """Compare autograd's gradient of ``fn(*inputs)`` with central finite differences.

    ``inputs`` are float64 plugtensor tensors (those with ``requires_grad`` are checked) or other
    values passed through. The output is contracted with a fixed random cotangent, so every
    output element contributes; the numeric side perturbs one input element at a time.
    """
    inputs = list(inputs)
    out = fn(*inputs)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    rng = np.random.default_rng(seed)
    cots = [rng.standard_normal(o.shape) for o in outs]
    wrt = [i for i, t in enumerate(inputs) if isinstance(t, pt.Tensor) and t.requires_grad]
    assert wrt, "gradcheck needs at least one input with requires_grad"
    for i in wrt:
        assert inputs[i].dtype == pt.float64, "gradcheck runs in float64"

    def scalar_value(vals: list) -> float:
        with pt.no_grad():
            res = fn(*vals)
        res = res if isinstance(res, (tuple, list)) else (res,)
        return float(sum(np.sum(to_np(r).astype(np.float64) * c) for r, c in zip(res, cots)))

    loss = None
    for o, c in zip(outs, cots):
        term = (o * pt_tensor(c)).sum()
        loss = term if loss is None else loss + term
    analytic = pt.autograd.grad(loss, [inputs[i] for i in wrt], allow_unused=True)
    for k, i in enumerate(wrt):
        base = to_np(inputs[i]).astype(np.float64)
        numeric = np.zeros_like(base)
        for idx in np.ndindex(base.shape):
            vals = list(inputs)
            for sign in (1, -1):
                pert = base.copy()
                pert[idx] += sign * eps
                vals[i] = pt_tensor(pert)
                numeric[idx] += sign * scalar_value(vals)
        numeric /= 2 * eps
        got = np.zeros_like(base) if analytic[k] is None else to_np(analytic[k])
        assert got.shape == base.shape, f"input {i}: gradient shape {got.shape} != input shape {base.shape}"
        np.testing.assert_allclose(got, numeric, rtol=rtol, atol=atol,
                                   err_msg=f"gradient of input {i} differs from finite differences")


def torch_grads(fn_pt: Callable, fn_torch: Callable, arrays: Sequence[np.ndarray]) -> tuple[list, list]:
    """Gradients of ``sum(fn(*x))`` with respect to every array, from plugtensor and from torch (float64)."""
    xs = [pt_tensor(a, "float64", requires_grad=True) for a in arrays]
    ts = [torch_tensor(a, "float64", requires_grad=True) for a in arrays]
    fn_pt(*xs).sum().backward()
    fn_torch(*ts).sum().backward()
    return ([None if x.grad is None else to_np(x.grad) for x in xs],
            [None if t.grad is None else t.grad.numpy() for t in ts])


def grad_fn_name(t) -> str | None:
    """The class name of ``t.grad_fn`` (``'AddBackward0'``), or None for a leaf."""
    return None if t.grad_fn is None else type(t.grad_fn).__name__
