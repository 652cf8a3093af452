"""Section 5 of the benchmark: the OpenCL backend's own targets (issue 4).

The main table times the opencl device with the same statements as every other column; its
ratios are shown, but the CPU targets (pt/np <= 1.10, pt/torch <= 1.00) do not apply to it.
This section judges it by the targets of the OpenCL backend instead:

- elementwise throughput (16M float32 add / exp, allocating and ``out=``) in GB/s, against the
  memory bandwidth measured in the same run (NumPy ``add(out=)`` on 16M float32 arrays, on one
  thread and on one thread per CPU; the faster counts): >= 50%;
- matmul GFLOP/s at 1024 and 2048 against NumPy's: 1024^2 at >= 25%;
- the launch latency of a 3x3 add against ``pyopencl.array``'s ``a + b`` for the same op on the
  same queue and device, both timed as a batch of ops followed by one ``queue.finish()``: lower;
- the MLP training step on opencl (reported, no target).

Figures come from the main table's rows where they exist (same timer, same interleaving); the
bandwidth and the pyopencl.array comparison are timed here with the same ``timer`` module.
"""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from cases import N_LARGE
from timer import Runner, time_interleaved

BANDWIDTH_MIN = 0.50       # elementwise GB/s / measured bandwidth
MATMUL_MIN = 0.25          # opencl GFLOP/s / NumPy GFLOP/s, at 1024^2
LATENCY_MAX = 1.00         # plugtensor 3x3 add / pyopencl.array 3x3 add

# Bytes an elementwise case moves per call (float32 inputs read + output written).
ELEMENTWISE = [("large/add out=", 3), ("large/exp out=", 2), ("large/add", 3), ("large/exp", 2)]
MATMUL = [("matmul/1024", MATMUL_MIN), ("matmul/2048", None)]


def is_opencl(fw) -> bool:
    return fw.device.split(":")[0] == "opencl"


def measure_bandwidth(args) -> dict:
    """Memory bandwidth (bytes/s) from NumPy ``add(a, b, out=c)`` on 16M float32 arrays:
    3 x 64 MiB moved per call, on one thread and split over one thread per CPU."""
    rng = np.random.default_rng(0)
    a, b = rng.random(N_LARGE, dtype=np.float32), rng.random(N_LARGE, dtype=np.float32)
    c = np.empty_like(a)
    threads = max(1, os.cpu_count() or 1)
    pool = ThreadPoolExecutor(threads)
    bounds = np.linspace(0, N_LARGE, threads + 1).astype(int)
    parts = [(a[i:j], b[i:j], c[i:j]) for i, j in zip(bounds[:-1], bounds[1:])]

    def add_parallel():
        # NumPy releases the GIL in large ufunc loops, so the slices run concurrently.
        list(pool.map(lambda p: np.add(p[0], p[1], out=p[2]), parts))

    runners = {"1 thread": Runner("np.add(a, b, out=c)", {"np": np, "a": a, "b": b, "c": c}, _noop),
               f"{threads} threads": Runner("f()", {"f": add_parallel}, _noop)}
    timings = time_interleaved(runners, args.repeats, args.min_time, disable_gc=args.disable_gc)
    pool.shutdown()
    return {k: 3 * 4 * N_LARGE / t["min"] for k, t in timings.items()}


def _noop():
    pass


def measure_latency(fw, args) -> dict:
    """Seconds per 3x3 float32 ``a + b``: plugtensor on ``fw``'s device, and pyopencl.array on
    the same context and queue; each batch ends with one wait for the device."""
    import pyopencl.array as cla

    ctx = fw.device_context()
    rt = ctx.backend.runtime(ctx.index)          # the plugtensor-opencl Runtime of the device
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((3, 3), dtype=np.float32), rng.standard_normal((3, 3), dtype=np.float32)
    pa, pb = cla.to_device(rt.queue, x), cla.to_device(rt.queue, y)
    if not np.allclose((pa + pb).get(), x + y):
        raise AssertionError("pyopencl.array a + b: wrong result")
    ta, tb = fw.tensor(x), fw.tensor(y)
    if not np.allclose(fw.to_numpy(ta + tb), x + y):
        raise AssertionError(f"{fw.key} a + b: wrong result")
    runners = {"plugtensor": Runner("a + b", {"a": ta, "b": tb}, fw.sync),
               "pyopencl.array": Runner("a + b", {"a": pa, "b": pb}, rt.queue.finish)}
    timings = time_interleaved(runners, args.repeats, args.min_time, disable_gc=args.disable_gc)
    return {k: t["min"] for k, t in timings.items()}


def _status(ok) -> str:
    return "PASS" if ok else "MISS"


LATENCY_ID = "opencl/latency"     # --only matches it (or nothing) to time the 3x3 latency


def run_section(pts, results, npfw, thfw, args) -> list:
    """Print section 5 for every opencl device among ``pts``; return its rows (for JSON and the
    summary). A figure that cannot be had (an op the backend lacks) is an ERR row; one whose case
    was left out by ``--only`` is skipped."""
    devs = [fw for fw in pts if is_opencl(fw)]
    by_case = {r["case"]: r for r in results}
    want_latency = not args.only or re.search(args.only, LATENCY_ID)
    if not devs or not (want_latency or set(by_case) & {c for c, _ in ELEMENTWISE + MATMUL + [("mlp/step", 0)]}):
        return []
    rows = []
    print()
    print("== 5. OpenCL targets (the CPU targets above do not apply to opencl rows)")
    bw = {}
    if set(by_case) & {c for c, _ in ELEMENTWISE}:
        try:
            bw = measure_bandwidth(args)
        except Exception as e:  # noqa: BLE001
            print(f"  !! bandwidth measurement failed: {type(e).__name__}: {e}")
    best_bw = max(bw.values()) if bw else None
    if bw:
        print("  memory bandwidth measured now (NumPy add out=, 16M float32): "
              + ", ".join(f"{k} {v / 1e9:.1f} GB/s" for k, v in bw.items())
              + f"  -> {best_bw / 1e9:.1f} GB/s")
    for fw in devs:
        ctx = fw.device_context()
        name = ctx.backend.device_name(ctx.index) if ctx is not None else "?"
        print(f"  {fw.device} ({name})")

        def add(metric, value, text, ratio, target, status):
            rows.append({"device": fw.device, "metric": metric, "value": value, "ratio": ratio,
                         "target": target, "status": status})
            print(f"    {metric:<16} {text:<62} {target:<12} {status}")

        def missing(case, what):
            res = by_case[case]
            return res["errors"].get(fw.key) or res["errors"].get("timing") or f"no {what} timing"

        for case, nbytes in ELEMENTWISE:
            if case not in by_case:
                continue
            res = by_case[case]
            t = res.get("frameworks", {}).get(fw.key, {}).get("min_s")
            tgt = f">= {BANDWIDTH_MIN:.0%} bw"
            if t is None or best_bw is None:
                add(case, None, "ERR: " + (missing(case, "opencl") if t is None else "no bandwidth measured"),
                    None, tgt, "ERR")
                continue
            gbs = nbytes * 4 * N_LARGE / t
            ratio = gbs / best_bw
            add(case, gbs, f"{gbs / 1e9:.1f} GB/s = {ratio:.0%} of measured bandwidth", ratio, tgt,
                _status(ratio >= BANDWIDTH_MIN))
        for case, minimum in MATMUL:
            if case not in by_case:
                continue
            fws = by_case[case]["frameworks"]
            g, g_np = fws.get(fw.key, {}).get("gflops"), fws.get(npfw.key, {}).get("gflops")
            tgt = f">= {minimum:.0%} np" if minimum else "(reported)"
            if g is None or g_np is None:
                add(case, None, "ERR: " + missing(case, "opencl" if g is None else "numpy"), None, tgt, "ERR")
                continue
            ratio = g / g_np
            add(case, g, f"{g:.1f} GFLOP/s = {ratio:.0%} of NumPy's {g_np:.1f} GFLOP/s", ratio, tgt,
                _status(ratio >= minimum) if minimum else "info")
        tgt = f"< {LATENCY_MAX:.2f}x cla"
        try:
            lat = measure_latency(fw, args) if want_latency else None
        except Exception as e:  # noqa: BLE001
            add("3x3 add", None, f"ERR: {type(e).__name__}: {e}", None, tgt, "ERR")
        else:
            if lat is not None:
                ratio = lat["plugtensor"] / lat["pyopencl.array"]
                add("3x3 add", lat["plugtensor"],
                    f"{lat['plugtensor'] * 1e6:.1f} us/op vs pyopencl.array "
                    f"{lat['pyopencl.array'] * 1e6:.1f} us/op ({ratio:.2f}x)", ratio, tgt,
                    _status(ratio < LATENCY_MAX))
        if "mlp/step" not in by_case:
            continue
        fws = by_case["mlp/step"]["frameworks"]
        t = fws.get(fw.key, {}).get("min_s")
        if t is None:
            add("mlp/step", None, "ERR: " + missing("mlp/step", "opencl"), None, "(reported)", "ERR")
        else:
            others = ", ".join(f"{k.split(':')[0]} {fws[k]['min_s'] * 1e3:.2f} ms"
                               for k in (npfw.key, thfw.key) if k in fws)
            add("mlp/step", t, f"{t * 1e3:.2f} ms/step ({others})", None, "(reported)", "info")
    return rows
