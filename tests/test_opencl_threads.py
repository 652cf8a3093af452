"""The OpenCL backend from several threads at once: the issue's loop gives PyTorch's number every
time, threads that start together on a fresh process (so that they compile kernels, type their
arguments and fill every cache at the same moment) get what one thread gets, and the buffer pool's
byte counts come back to where they were. The per-op stress test every backend runs is the
conformance suite's "threads" area (plugtensor_conformance/test_threads.py).
"""
from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest
import torch

from _opencl import DEV  # noqa: F401 - skips this module without an OpenCL device

import plugtensor as pt


@pytest.fixture
def switch_often():
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


def _in_threads(n: int, fn) -> list:
    errors: list = []
    start = threading.Barrier(n)

    def run(i: int) -> None:
        try:
            start.wait()
            fn(i)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(f"thread {i}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return errors


def test_issue_loop_gives_torchs_sum(switch_often) -> None:
    values = np.linspace(-3, 3, 1000, dtype=np.float32)
    want = (torch.tensor(values) * 2 + 1).sum().item()
    a = pt.tensor(values, device=DEV)
    wrong: list = []

    def loop(i: int) -> None:
        for _ in range(300):
            v = (a * 2 + 1).sum().item()
            if abs(v - want) > 1e-3:
                wrong.append(v)

    errors = _in_threads(4, loop)
    assert not errors, errors[:3]
    assert not wrong, f"{len(wrong)} of 1200 sums wrong under 4 threads, e.g. {wrong[:3]} (torch: {want})"


def test_pool_counts_come_back_under_threads(switch_often) -> None:
    gc.collect()
    before = pt.opencl.memory_allocated()
    shared = pt.ones(64, 64, device=DEV)

    def churn(i: int) -> None:
        for k in range(200):
            x = pt.full((k % 7 + 1, 50), float(i), device=DEV)
            y = (x @ shared[:50, :8]).relu() + shared[0, :8]
            assert y.shape == (k % 7 + 1, 8)
            del x, y

    errors = _in_threads(6, churn)
    assert not errors, errors[:3]
    del shared
    gc.collect()
    assert pt.opencl.memory_allocated() == before, "allocated bytes must return to where they were"
    assert pt.opencl.memory_reserved() - pt.opencl.memory_allocated() <= pt.opencl.cache_limit()


_COLD = """
import sys, threading
import numpy as np
import plugtensor as pt
sys.setswitchinterval(1e-6)

def job(i):
    x = pt.tensor(np.arange(60, dtype=np.float32).reshape(6, 10) * 0.25 - i, device="opencl")
    w = pt.tensor(np.linspace(-1, 1, 40, dtype=np.float32).reshape(10, 4), device="opencl", requires_grad=True)
    y = (x @ w).sigmoid() * x[:, :4].abs() + x.max(1, keepdim=True).values
    loss = y.cumsum(1).mean() + x.sort(1).values[:, -1].sum() + x[x > 1].sum() + x.argmax().double()
    loss.backward()
    g = pt.Generator().manual_seed(i)
    r = pt.rand(100, generator=g, device="opencl").std() + pt.randint(0, 9, (9,), generator=g, device="opencl").sum()
    return [loss.item(), w.grad.tolist(), r.item(), pt.cat([x, x], 1)[::2, 3:7].exp().tolist()]

results, errors = {}, []
start = threading.Barrier(4)
def run(i):
    try:
        start.wait()
        results[i] = job(i)
    except BaseException as exc:
        errors.append(repr(exc))
threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
[t.start() for t in threads]
[t.join() for t in threads]
assert not errors, errors
for i in range(4):
    assert job(i) == results[i], f"thread {i}: the concurrent first run differs from the serial one"
print("ok")
"""


def test_threads_starting_together_on_a_fresh_process() -> None:
    """Kernels compiled, typed and cached by four threads at once, then the same jobs serially."""
    env = {k: v for k, v in os.environ.items() if k != "PLUGTENSOR_OPENCL_CACHE_LIMIT"}
    for attempt in range(3):
        r = subprocess.run([sys.executable, "-c", textwrap.dedent(_COLD)], capture_output=True, text=True,
                           timeout=600, env=env)
        assert r.returncode == 0 and r.stdout.strip() == "ok", \
            f"run {attempt}: exit {r.returncode}\n{r.stdout[-2000:]}\n{r.stderr[-4000:]}"
