"""timeit-style timing with frameworks interleaved per repeat.

A *batch* runs one statement ``number`` times in a tight compiled loop (the
variables it uses are function locals, as cheap to reach as in timeit), then
calls the framework's ``sync()`` once, and reports seconds per call.  For each
case every framework is auto-ranged to its own ``number`` (so that a batch
takes at least ``min_time``), then the repeats are interleaved: each repeat runs
one batch of each framework, cycling through all their orders, so slow drifts of the
machine (KVM steal, turbo) hit all columns alike.  The figure reported is the
minimum over repeats (the median is kept in the JSON too).
"""

from __future__ import annotations

import gc
import itertools
import statistics
import time

_TEMPLATE = """
def _inner(_n, _clock, _sync, {args}):
    _it = _repeat(None, _n)
    _t0 = _clock()
    for _ in _it:
        {stmt}
    _sync()
    return _clock() - _t0
"""


class Runner:
    """One timed statement bound to one framework's namespace."""

    def __init__(self, stmt: str, ns: dict, sync):
        names = sorted(ns)
        src = _TEMPLATE.format(args=", ".join(names) or "_unused=None", stmt=stmt)
        g = {"_repeat": itertools.repeat}
        exec(compile(src, f"<bench: {stmt}>", "exec"), g)
        self._inner = g["_inner"]
        self._args = [ns[k] for k in names]
        self._sync = sync
        self.stmt = stmt
        self.number = 1

    def batch(self, number: int) -> float:
        return self._inner(number, time.perf_counter, self._sync, *self._args)

    def autorange(self, min_time: float, max_number: int = 10**7) -> int:
        """Pick ``number`` (1, 2, 5, 10, 20, 50, ...) so a batch takes >= min_time."""
        for i in itertools.count():
            for m in (1, 2, 5):
                n = m * 10**i
                t = self.batch(n)
                if t >= min_time or n >= max_number:
                    # scale up to just above min_time, like a finer autorange
                    if t > 0 and t < min_time:
                        n = min(max_number, int(n * min_time / t) + 1)
                    self.number = n
                    return n
        raise AssertionError("unreachable")


def time_interleaved(runners: dict, repeats: int, min_time: float,
                     collect_gc: bool = True, disable_gc: bool = False,
                     settle: float = 0.0, warmup: int = 0) -> dict:
    """runners: key -> Runner.  Returns key -> dict(min, median, times, number).

    ``settle``: seconds of sleep before each timed batch, so that worker threads the previous
    batch left spinning (PyTorch's OpenMP pool, OpenBLAS's) have gone idle and do not take the
    CPU from the batch being timed.
    ``warmup``: untimed calls after that pause, right before the timed batch, so the batch does not
    pay for waking thread pools the pause put to sleep or for caches the GC pass evicted."""
    for r in runners.values():
        r.batch(1)                      # warm-up (first call allocations, caches)
        r.autorange(min_time)
    keys = list(runners)
    times = {k: [] for k in keys}
    # cycle through all orders (6 for 3 frameworks) so that no framework always
    # runs first, last, or right after the same other one
    orders = itertools.cycle(itertools.permutations(keys))
    for _ in range(repeats):
        for k in next(orders):
            r = runners[k]
            if collect_gc:
                gc.collect()
            if settle:
                time.sleep(settle)
            if warmup:
                r.batch(warmup)
            if disable_gc:
                gc.disable()
            try:
                t = r.batch(r.number)
            finally:
                if disable_gc:
                    gc.enable()
            times[k].append(t / r.number)
    return {k: {"min": min(v), "median": statistics.median(v), "times": v,
                "number": runners[k].number} for k, v in times.items()}
