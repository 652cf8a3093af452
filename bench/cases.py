"""Benchmark cases.

Every case is one statement (text) timed identically in each framework; its
namespace holds ``M`` (the framework's module: plugtensor / numpy / torch) and
the framework's own copies of inputs created once from the same NumPy data.
Before timing, each framework's result is checked against a NumPy reference
so a wrong implementation is never timed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

SEED = 0
RTOL = 1e-4

# Targets: (baseline role, max ratio plugtensor/baseline)
VS_TORCH = ("torch", 1.00)
VS_NUMPY = ("numpy", 1.10)


@dataclass
class Case:
    name: str                       # unique id, matched by --only
    section: str                    # table section key
    unit: str                       # "us" or "ms"
    target: tuple                   # VS_TORCH or VS_NUMPY
    make_data: Callable[[], dict]   # -> NumPy arrays shared by all frameworks
    build: Callable                 # (fw, data) -> (stmt, ns)
    verify: Callable                # (fw, data, stmt, ns) -> None, raises on mismatch
    grad: bool = False              # inputs require grad (no NumPy column)
    flops: Optional[float] = None   # per call, for GFLOP/s
    notes: list = field(default_factory=list)


def assert_close(got, ref, what, rtol=RTOL, atol_scale=RTOL):
    """allclose with rtol, plus an atol relative to the reference's scale
    (elements near zero cannot meet a pure relative tolerance)."""
    got = np.asarray(got)
    ref = np.asarray(ref)
    if got.shape != ref.shape:
        raise AssertionError(f"{what}: shape {got.shape} != expected {ref.shape}")
    if got.dtype != ref.dtype:
        raise AssertionError(f"{what}: dtype {got.dtype} != expected {ref.dtype}")
    scale = float(np.max(np.abs(ref))) if ref.size else 0.0
    atol = atol_scale * max(scale, 1e-30)
    if not np.allclose(got, ref, rtol=rtol, atol=atol):
        err = np.max(np.abs(got.astype(np.float64) - ref.astype(np.float64)))
        raise AssertionError(f"{what}: max abs err {err:.3g} (scale {scale:.3g}, "
                             f"rtol {rtol}, atol {atol:.3g})")


# ---------------------------------------------------------------- simple ops

def _expr_case(name, section, unit, target, make_data, stmt, ref, inputs,
               grad=False, out=None, flops=None):
    """A case whose statement is an expression over ``inputs`` (+ ``M``).

    ``out``: name of an output buffer (created from zeros) for out= forms.
    ``ref``: data -> expected NumPy result.
    """

    def build(fw, data):
        ns = {"M": fw.M}
        for k in inputs:
            ns[k] = fw.tensor(data[k], requires_grad=grad)
        if out is not None:
            ns[out] = fw.tensor(np.zeros_like(data[inputs[0]]))
        return stmt, ns

    cache = {}

    def verify(fw, data, stmt_, ns):
        res = eval(stmt_, dict(ns))
        if out is not None:
            res = ns[out]
        if cache.get("id") != id(data):
            cache.update(id=id(data), ref=ref(data))
        assert_close(fw.to_numpy(res), cache["ref"], f"{fw.key} {name}")

    return Case(name, section, unit, target, make_data, build, verify,
                grad=grad, flops=flops)


def _small_data():
    rng = np.random.default_rng(SEED)
    return {"a": rng.standard_normal((3, 3)).astype(np.float32),
            "b": rng.standard_normal((3, 3)).astype(np.float32)}


SMALL_OPS = [
    # name,     stmt,       inputs,      reference
    ("add",     "a + b",    ("a", "b"),  lambda d: d["a"] + d["b"]),
    ("mul",     "a * b",    ("a", "b"),  lambda d: d["a"] * d["b"]),
    ("sum",     "a.sum()",  ("a",),      lambda d: d["a"].sum()),
    ("matmul",  "a @ b",    ("a", "b"),  lambda d: d["a"] @ d["b"]),
    ("a[1]",    "a[1]",     ("a",),      lambda d: d["a"][1]),
    ("a[:,1]",  "a[:, 1]",  ("a",),      lambda d: d["a"][:, 1]),
]

N_LARGE = 1 << 24


def _large_data():
    rng = np.random.default_rng(SEED)
    # uniform [0, 1): keeps exp() finite and sum() well conditioned
    return {"a": rng.random(N_LARGE, dtype=np.float32),
            "b": rng.random(N_LARGE, dtype=np.float32)}


LARGE_OPS = [
    ("add",      "a + b",               ("a", "b"), None, lambda d: d["a"] + d["b"]),
    ("exp",      "M.exp(a)",            ("a",),     None, lambda d: np.exp(d["a"])),
    ("sum",      "a.sum()",             ("a",),     None, lambda d: d["a"].sum()),
    ("add out=", "M.add(a, b, out=c)",  ("a", "b"), "c",  lambda d: d["a"] + d["b"]),
    ("exp out=", "M.exp(a, out=c)",     ("a",),     "c",  lambda d: np.exp(d["a"])),
]

MM_SIZES = (1024, 2048)


def _mm_data_of(n):
    def make():
        rng = np.random.default_rng(SEED)
        return {"a": rng.standard_normal((n, n), dtype=np.float32),
                "b": rng.standard_normal((n, n), dtype=np.float32)}
    return make


_MM_DATA = {n: _mm_data_of(n) for n in MM_SIZES}


# ---------------------------------------------------------------------- MLP

MLP_SIZES = (784, 512, 256, 10)
MLP_BATCH = 128
MLP_LR = 0.01


def _mlp_data():
    rng = np.random.default_rng(SEED)
    params = []
    for fan_in, fan_out in zip(MLP_SIZES[:-1], MLP_SIZES[1:]):
        bound = 1.0 / np.sqrt(fan_in)          # nn.Linear's default init range
        params.append(rng.uniform(-bound, bound, (fan_in, fan_out)).astype(np.float32))
        params.append(rng.uniform(-bound, bound, (fan_out,)).astype(np.float32))
    x = rng.standard_normal((MLP_BATCH, MLP_SIZES[0]), dtype=np.float32)
    y = rng.integers(0, MLP_SIZES[-1], MLP_BATCH, dtype=np.int64)
    return {"params": params, "x": x, "y": y}


def train_step(M, params, x, y, lr, grads=None):
    """One SGD step; identical code for plugtensor and torch (module ``M``).

    ``grads``: if a list, the gradients are appended to it (verification only).
    """
    w1, b1, w2, b2, w3, b3 = params
    h = (x @ w1 + b1).relu()
    h = (h @ w2 + b2).relu()
    logits = h @ w3 + b3
    loss = -logits.log_softmax(1).gather(1, y[:, None]).mean()
    loss.backward()
    with M.no_grad():
        for p in params:
            if grads is not None:
                grads.append(p.grad.clone())
            p.sub_(p.grad * lr)
            p.grad = None
    return loss


def np_train_step(params, x, y, lr, grads=None):
    """The same step written by hand in NumPy (the 'raw NumPy' reference)."""
    w1, b1, w2, b2, w3, b3 = params
    n = x.shape[0]
    rows = np.arange(n)
    # forward
    z1 = x @ w1 + b1
    h1 = np.maximum(z1, 0)
    z2 = h1 @ w2 + b2
    h2 = np.maximum(z2, 0)
    logits = h2 @ w3 + b3
    # log_softmax + NLL (mean)
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    s = e.sum(axis=1, keepdims=True)
    loss = -(z[rows, y] - np.log(s[:, 0])).mean()
    # backward
    d = e / s
    d[rows, y] -= 1
    d /= n
    gw3 = h2.T @ d
    gb3 = d.sum(axis=0)
    dh = d @ w3.T
    dh *= z2 > 0
    gw2 = h1.T @ dh
    gb2 = dh.sum(axis=0)
    dh = dh @ w2.T
    dh *= z1 > 0
    gw1 = x.T @ dh
    gb1 = dh.sum(axis=0)
    # SGD update
    g = (gw1, gb1, gw2, gb2, gw3, gb3)
    if grads is not None:
        grads.extend(gi.copy() for gi in g)
    for p, gi in zip(params, g):
        p -= gi * lr
    return loss


def _mlp_build(fw, data):
    if fw.role == "numpy":
        params = [fw.tensor(p) for p in data["params"]]
        x, y = fw.tensor(data["x"]), fw.tensor(data["y"])
        return "step(params, x, y, lr)", {"step": np_train_step, "params": params,
                                          "x": x, "y": y, "lr": MLP_LR}
    params = [fw.tensor(p, requires_grad=True) for p in data["params"]]
    x, y = fw.tensor(data["x"]), fw.tensor(data["y"])
    return "step(M, params, x, y, lr)", {"step": train_step, "M": fw.M, "params": params,
                                         "x": x, "y": y, "lr": MLP_LR}


def _mlp_reference(data):
    params = [p.copy() for p in data["params"]]
    grads = []
    loss = np_train_step(params, data["x"].copy(), data["y"].copy(), MLP_LR, grads)
    return loss, grads, params


def _mlp_verify(fw, data, stmt, ns):
    """Loss, all six gradients and the updated weights must match NumPy's.

    Runs on fresh copies, so the timed namespace is untouched."""
    ref_loss, ref_grads, ref_params = _mlp_reference(data)
    if fw.role == "numpy":
        return                      # it *is* the reference
    params = [fw.tensor(p, requires_grad=True) for p in data["params"]]
    x, y = fw.tensor(data["x"]), fw.tensor(data["y"])
    grads = []
    loss = train_step(fw.M, params, x, y, MLP_LR, grads)
    names = ("w1", "b1", "w2", "b2", "w3", "b3")
    assert_close(fw.to_numpy(loss), np.float32(ref_loss), f"{fw.key} mlp loss")
    if len(grads) != 6:
        raise AssertionError(f"{fw.key} mlp: got {len(grads)} grads")
    for nm, g, rg in zip(names, grads, ref_grads):
        assert_close(fw.to_numpy(g), rg, f"{fw.key} mlp grad {nm}")
    for nm, p, rp in zip(names, params, ref_params):
        if p.grad is not None:
            raise AssertionError(f"{fw.key} mlp: {nm}.grad not reset to None")
        assert_close(fw.to_numpy(p), rp, f"{fw.key} mlp updated {nm}")


# ------------------------------------------------------------------ registry

SECTIONS = {
    "small": "1. small ops, 3x3 float32 (us per call)",
    "large": f"2. large elementwise, {N_LARGE:,} float32 (ms per call)",
    "matmul": f"3. matmul n x n float32, n = {' and '.join(map(str, MM_SIZES))} (ms per call, GFLOP/s)",
    "mlp": (f"4. MLP train step {'-'.join(map(str, MLP_SIZES))}, batch {MLP_BATCH}, "
            f"SGD lr {MLP_LR} (ms per step)"),
}


def all_cases():
    cases = []
    for grad in (False, True):
        for name, stmt, inputs, ref in SMALL_OPS:
            cases.append(_expr_case(f"small/{name}{' +grad' if grad else ''}", "small",
                                    "us", VS_TORCH, _small_data, stmt, ref, inputs,
                                    grad=grad))
    for name, stmt, inputs, out, ref in LARGE_OPS:
        cases.append(_expr_case(f"large/{name}", "large", "ms", VS_NUMPY, _large_data,
                                stmt, ref, inputs, out=out))
    for n in MM_SIZES:
        cases.append(_expr_case(f"matmul/{n}", "matmul", "ms", VS_NUMPY, _MM_DATA[n],
                                "a @ b", lambda d: d["a"] @ d["b"], ("a", "b"),
                                flops=2.0 * n ** 3))
    cases.append(Case("mlp/step", "mlp", "ms", VS_NUMPY, _mlp_data, _mlp_build,
                      _mlp_verify))
    return cases
