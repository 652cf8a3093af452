"""Threads: several Python threads using the device at once -- each on its own tensors, and all
reading shared ones -- get the numbers the same calls give one after another, and nothing crashes.

Every job runs first serially (its results are the expectation, and are checked against NumPy
float64), then on ``THREADS`` threads at once, ``ROUNDS`` times each, with the interpreter switching
threads every microsecond (``sys.setswitchinterval(1e-6)``, restored afterwards) so that a kernel's
argument setting, its launch and host reads interleave as badly as they can. Results must be equal
bit for bit: the same device runs the same kernels on the same values. Scatter jobs add
integer-valued floats, whose sums are exact in any order.
"""
from __future__ import annotations

import sys
import threading
from typing import Callable

import numpy as np
import pytest

import plugtensor as pt

from ._harness import assert_close, host

AREA = "threads"

THREADS = 4
ROUNDS = 8
JOIN_TIMEOUT = 120.0  # seconds: a thread still running after this is reported as hung


def _data(i: int, *shape: int, low: float = -2.0, high: float = 2.0) -> np.ndarray:
    """Thread ``i``'s own input values (float32, deterministic)."""
    return np.random.default_rng(1000 + i).uniform(low, high, shape).astype(np.float32)


def _shared(device: str) -> dict:
    """Tensors every thread reads (never writes)."""
    rng = np.random.default_rng(7)
    w = rng.uniform(-1, 1, (16, 16)).astype(np.float32)
    v = rng.uniform(-1, 1, (50,)).astype(np.float32)
    return {"w": pt.tensor(w, device=device), "v": pt.tensor(v, device=device), "w_np": w, "v_np": v}


# -- the jobs: (device, thread index, shared tensors) -> results (NumPy arrays and Python numbers) --------

def _elementwise(dev: str, i: int, sh: dict) -> list:
    x_np = _data(i, 32, 50)
    x = pt.tensor(x_np, device=dev)
    a = (x * 2 + 1).abs().sqrt() - x.exp() / (1 + x * x)
    b = pt.where(x > 0, x + sh["v"], -x * sh["v"])
    c = (x.tanh() * x.sigmoid()).neg()
    x64 = x_np.astype(np.float64)
    return [host(a), host(b), host(c), (x * 2 + 1).sum().item()], \
        [np.sqrt(np.abs(x64 * 2 + 1)) - np.exp(x64) / (1 + x64 * x64),
         np.where(x64 > 0, x64 + sh["v_np"], -x64 * sh["v_np"]),
         -(np.tanh(x64) / (1 + np.exp(-x64))), float((x64 * 2 + 1).sum())]


def _reductions(dev: str, i: int, sh: dict) -> list:
    x_np = _data(i, 24, 70)
    x = pt.tensor(x_np, device=dev)
    mx = x.max(1)
    srt = x.sort(1)
    x64 = x_np.astype(np.float64)
    big_np = _data(i, 3, 40000)  # long enough rows for a backend to split them over work-items
    big, b64 = pt.tensor(big_np, device=dev), big_np.astype(np.float64)
    got = [big.sum().item(), host(big.sum(1)), x.sum().item(), host(x.sum(0)), host(x.mean(1)), host(mx.values),
           host(mx.indices), host(x.argmin(0)), host(x.cumsum(1)), host(srt.values), host(srt.indices),
           host((x[:, :6] * 0.5).prod(1)), host((x > 0).any(1)), x.var().item()]
    want = [float(b64.sum()), b64.sum(1), float(x64.sum()), x64.sum(0), x64.mean(1), x64.max(1), np.argmax(x64, 1),
            np.argmin(x64, 0), np.cumsum(x64, 1), np.sort(x64, 1), np.argsort(x64, 1, kind="stable"),
            np.prod(x64[:, :6] * 0.5, 1), (x64 > 0).any(1), float(x64.var(ddof=1))]
    return got, want


def _matmul(dev: str, i: int, sh: dict) -> list:
    a_np = _data(i, 24, 16)
    a = pt.tensor(a_np, device=dev)
    w, w_np = sh["w"], sh["w_np"].astype(np.float64)
    b = pt.tensor(_data(i + 50, 3, 16, 5), device=dev)
    a64, b64 = a_np.astype(np.float64), _data(i + 50, 3, 16, 5).astype(np.float64)
    c_np, d_np = _data(i, 70, 40), _data(i + 60, 40, 33)  # big enough for a blocked kernel
    c, d = pt.tensor(c_np, device=dev), pt.tensor(d_np, device=dev)
    return [host(a @ w), host(a.t() @ a), host(w @ a[0]), host(a[:3].reshape(3, 1, 16) @ b), host(a @ w.t()),
            host(c @ d)], \
        [a64 @ w_np, a64.T @ a64, w_np @ a64[0], a64[:3].reshape(3, 1, 16) @ b64, a64 @ w_np.T,
         c_np.astype(np.float64) @ d_np.astype(np.float64)]


def _indexing(dev: str, i: int, sh: dict) -> list:
    x_np = np.round(_data(i, 12, 10, low=-9, high=9))  # integer values: sums are exact in any order
    x = pt.tensor(x_np, device=dev)
    idx_np = (np.arange(7) * (i + 3)) % 12
    idx = pt.tensor(idx_np, device=dev)
    y = x.clone()
    y[idx[:4] % 5, 2] = -1.0  # no duplicate positions: the written values are defined
    z = pt.zeros(5, 10, device=dev)
    z.index_put_((idx % 5,), x[idx], accumulate=True)
    s = pt.zeros(5, 10, device=dev).scatter_add(0, (idx % 5).reshape(7, 1).expand(7, 10), x[idx])
    cols = np.tile((np.arange(3) * 4 + i) % 10, (7, 1))
    g = x.gather(1, pt.tensor(cols, device=dev))
    mask = x > 3
    got = [host(x[idx]), host(x[mask]), host(x[2:9:3, ::2]), host(y), host(z), host(s), host(g),
           host(mask.nonzero()), host(pt.cat([x[:2], x[-3:]], 0))]
    y_np = x_np.copy()
    y_np[idx_np[:4] % 5, 2] = -1.0
    z_np = np.zeros((5, 10))
    np.add.at(z_np, idx_np % 5, x_np[idx_np])
    want = [x_np[idx_np], x_np[x_np > 3], x_np[2:9:3, ::2], y_np, z_np, z_np, np.take_along_axis(x_np[:7], cols, 1),
            np.argwhere(x_np > 3), np.concatenate([x_np[:2], x_np[-3:]], 0)]
    return got, want


def _random(dev: str, i: int, sh: dict) -> list:
    g = pt.Generator().manual_seed(100 + i)
    u = pt.rand(300, generator=g, device=dev)
    n = pt.randn(7, 30, generator=g, device=dev)
    r = pt.randint(-5, 5, (40,), generator=g, device=dev)
    e = pt.empty(64, device=dev).uniform_(-3, -1, generator=g)
    got = [host(u), host(n), host(r), host(e)]
    uh, nh, rh, eh = got
    # Moments and ranges only: the stream itself is checked bit for bit by the random-numbers area.
    ok = (0 <= uh.min() and uh.max() < 1 and 0.3 < uh.mean() < 0.7 and abs(nh.mean()) < 0.5 and
          0.5 < nh.std() < 1.5 and rh.min() >= -5 and rh.max() <= 4 and -3 <= eh.min() and eh.max() <= -1)
    return got, [uh, nh, rh, eh] if ok else [None] * 4


def _autograd(dev: str, i: int, sh: dict) -> list:
    x_np = _data(i, 8, 16, low=-1, high=1)
    x = pt.tensor(x_np, device=dev, requires_grad=True)
    h = (x @ sh["w"]).tanh()
    loss = (h * h).sum() + (x * sh["v"][:16]).sum()
    loss.backward()
    # d/dx sum(tanh(xW)^2) = (2 tanh(xW) (1 - tanh(xW)^2)) W^T; d/dx sum(x * v) = v
    x64, w64 = x_np.astype(np.float64), sh["w_np"].astype(np.float64)
    t = np.tanh(x64 @ w64)
    return [loss.item(), host(x.grad)], \
        [float((t * t).sum() + (x64 * sh["v_np"][:16]).sum()), (2 * t * (1 - t * t)) @ w64.T + sh["v_np"][:16]]


JOBS: dict[str, Callable] = {"elementwise": _elementwise, "reductions": _reductions, "matmul": _matmul,
                             "indexing": _indexing, "random": _random, "autograd": _autograd}


def _same(got, want) -> bool:
    if isinstance(want, np.ndarray):
        return isinstance(got, np.ndarray) and got.shape == want.shape and got.dtype == want.dtype and \
            np.array_equal(got, want, equal_nan=want.dtype.kind == "f")
    return got == want or (got != got and want != want)


def _difference(got, want) -> str:
    if not isinstance(want, np.ndarray):
        return f"got {got!r}, expected {want!r}"
    if not isinstance(got, np.ndarray) or got.shape != want.shape or got.dtype != want.dtype:
        return f"got {type(got).__name__} {getattr(got, 'dtype', '')} {list(np.shape(got))}, expected " \
               f"{want.dtype} {list(want.shape)}"
    bad = np.argwhere(got != want)
    i = tuple(bad[0])
    return f"{len(bad)} of {want.size} values differ, first at {list(i)}: got {got[i]!r}, expected {want[i]!r}"


def _run(device: str, names: list[str]) -> None:
    sh = _shared(device)
    expected = {}
    for i in range(THREADS):
        for name in names:
            got, ref = JOBS[name](device, i, sh)
            for k, (g, r) in enumerate(zip(got, ref)):
                assert r is not None, f"{name} (thread {i}), serially: random numbers out of range or without spread"
                if r is not g:
                    tol = (1e-4, 1e-5) if name in ("reductions", "autograd") else (2e-5, 2e-6)
                    assert_close(g, r, "float32" if np.asarray(g).dtype.kind == "f" else "int64", tol,
                                 what=f"{name} result {k} (thread {i}), serially, vs NumPy float64")
            expected[i, name] = got
    errors: list[str] = []
    start = threading.Barrier(THREADS)

    def worker(i: int) -> None:
        try:
            start.wait()
            for rnd in range(ROUNDS):
                for name in (names if (i + rnd) % 2 else names[::-1]):
                    got, _ = JOBS[name](device, i, sh)
                    for k, (g, w) in enumerate(zip(got, expected[i, name])):
                        if not _same(g, w):
                            errors.append(f"{name} result {k} (thread {i}, round {rnd}) differs from the serial "
                                          f"run: {_difference(g, w)}")
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(f"thread {i} raised {type(exc).__name__}: {exc}")

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(JOIN_TIMEOUT)
    finally:
        sys.setswitchinterval(old)
    hung = [t.name for t in threads if t.is_alive()]
    assert not hung, f"{len(hung)} of {THREADS} threads still running after {JOIN_TIMEOUT:g} s (deadlock?)"
    assert not errors, f"{len(errors)} wrong results or errors under {THREADS} threads; first ones:\n" + \
        "\n".join(errors[:5])


@pytest.mark.parametrize("job", sorted(JOBS))
def test_threads_one_kind(job: str, device: str) -> None:
    """Every thread runs the same kind of op on its own tensors (and on the shared ones)."""
    _run(device, [job])


def test_threads_mixed(device: str) -> None:
    """Every thread runs every kind of op, threads in different orders."""
    _run(device, sorted(JOBS))
