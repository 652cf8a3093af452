#!/usr/bin/env python
"""plugtensor benchmark: plugtensor (per device) vs raw NumPy vs PyTorch.

    python bench/run.py [--quick] [--only REGEX] [--json FILE]
                        [--devices cpu,opencl] [--pt-module plugtensor]

See bench/README.md for what is measured and how to read the ratios.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import re
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import cases as C                                  # noqa: E402
from frameworks import make_frameworks             # noqa: E402
from timer import Runner, time_interleaved         # noqa: E402
import opencl_targets                              # noqa: E402

SLOW_BLAS_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
UNIT_SCALE = {"us": 1e6, "ms": 1e3}


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="smoke test: 3 repeats of >=5 ms batches (default: 18 x >=20 ms)")
    ap.add_argument("--only", metavar="REGEX",
                    help="run only cases whose id matches (re.search), e.g. 'small', "
                         "'grad', 'large/add', 'mlp'; see --list")
    ap.add_argument("--list", action="store_true", help="list case ids and exit")
    ap.add_argument("--json", metavar="FILE", help="write all figures to FILE")
    ap.add_argument("--devices", default=None,
                    help="comma-separated plugtensor devices (default: every available "
                         "device type, e.g. cpu,opencl); unavailable ones are skipped")
    ap.add_argument("--pt-module", default="plugtensor", metavar="NAME",
                    help="module imported as 'pt' (default plugtensor; 'torch' to "
                         "check the harness itself)")
    ap.add_argument("--repeats", type=int, help="timed repeats per framework")
    ap.add_argument("--min-time", type=float, metavar="S",
                    help="minimum seconds per timed batch")
    ap.add_argument("--settle", type=float, default=0.05, metavar="S",
                    help="seconds of sleep before each timed batch (default 0.05), so that "
                         "threads another framework left spinning have gone idle; 0 to turn off")
    ap.add_argument("--warmup", type=int, default=1, metavar="N",
                    help="untimed calls after the pause, before each timed batch (default 1), so "
                         "the batch does not pay for waking the thread pools the pause idled")
    ap.add_argument("--disable-gc", action="store_true",
                    help="disable the cyclic GC inside timed batches (timeit's "
                         "default; off here so GC cost counts)")
    args = ap.parse_args(argv)
    if args.repeats is None:
        args.repeats = 3 if args.quick else 18
    if args.min_time is None:
        args.min_time = 0.005 if args.quick else 0.02
    if args.devices is not None:
        args.devices = [d.strip() for d in args.devices.split(",") if d.strip()]
    return args


# ------------------------------------------------------------------ environment

def environment(pts, npfw, thfw):
    import torch
    info = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "numpy": np.__version__,
        "torch": torch.__version__,
        "pt_module": pts[0].name,
        "pt_version": pts[0].version,
        "pt_devices": [fw.device for fw in pts],
        "torch_threads": torch.get_num_threads(),
        "torch_interop_threads": torch.get_num_interop_threads(),
        "env": {k: os.environ[k] for k in
                SLOW_BLAS_VARS + ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
                if k in os.environ},
    }
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        info["numpy_blas"] = f"{blas.get('name')} {blas.get('version')}"
    except Exception:  # noqa: BLE001
        info["numpy_blas"] = "?"
    try:
        from threadpoolctl import threadpool_info
        info["threadpools"] = [{"api": p.get("internal_api"), "lib": p.get("prefix"),
                                "threads": p.get("num_threads")}
                               for p in threadpool_info()]
    except ImportError:
        info["threadpools"] = None
    return info


def print_header(info, args, notes):
    print("plugtensor benchmark" + (f"  (pt = {info['pt_module']} as a stand-in)"
                                    if info["pt_module"] != "plugtensor" else ""))
    print(f"  python {info['python']}, {info['platform']}, {info['cpu_count']} cpus")
    print(f"  pt: {info['pt_module']} {info['pt_version']}  devices: "
          f"{','.join(info['pt_devices'])}")
    print(f"  numpy {info['numpy']} (BLAS {info['numpy_blas']}); "
          f"torch {info['torch']} (threads {info['torch_threads']}, "
          f"interop {info['torch_interop_threads']})")
    if info["threadpools"] is not None:
        pools = ", ".join(f"{p['lib']}/{p['api']}={p['threads']}" for p in info["threadpools"])
        print(f"  native thread pools: {pools or 'none'}")
    else:
        print("  native thread pools: (threadpoolctl not installed; not shown)")
    for k, v in info["env"].items():
        print(f"  env {k}={v}")
    for k in SLOW_BLAS_VARS:
        if k in os.environ:
            print(f"  WARNING: {k} is set; it slows BLAS by 30-40% on this machine "
                  f"(run with: env -u {' -u '.join(SLOW_BLAS_VARS)} ...)")
    for n in notes:
        print(f"  {n}")
    print(f"  timing: min over {args.repeats} interleaved repeats; each repeat is one "
          f"batch of N calls auto-ranged to >= {args.min_time * 1e3:.0f} ms; GC "
          f"{'disabled' if args.disable_gc else 'enabled'} in batches; {args.settle * 1e3:.0f} ms "
          f"pause and {args.warmup} untimed call(s) before each batch")
    print("  targets: small ops pt/torch <= 1.00; large, matmul, mlp pt/np <= 1.10")
    print("  np/np: NumPy's statement timed twice in the same repeats (a control): how far apart "
          "identical code reads in this run")


# ------------------------------------------------------------------ table

COLS = [("case", 14, "<"), ("dev", 6, "<"), ("plugtensor", 11, ">"), ("numpy", 10, ">"),
        ("torch", 10, ">"), ("pt/np", 7, ">"), ("pt/torch", 8, ">"), ("np/np", 6, ">"),
        ("target", 12, ">"), ("", 5, "<")]


def fmt_row(vals):
    return " ".join(f"{str(v):{a}{w}}" for v, (_, w, a) in zip(vals, COLS)).rstrip()


def fmt_num(v):
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    if v >= 1000:
        return f"{v:.0f}"
    if v >= 100:
        return f"{v:.1f}"
    if v >= 10:
        return f"{v:.2f}"
    return f"{v:.3f}"


def fmt_ratio(r):
    return "-" if r is None else f"{r:.2f}"


# ------------------------------------------------------------------ running

def run_case(case, data, pts, npfw, thfw, args):
    """Build, verify and time one case in all frameworks.  Returns a result dict."""
    fws = list(pts) + ([] if case.grad else [npfw]) + [thfw]
    runners, errors = {}, {}
    for fw in fws:
        try:
            stmt, ns = case.build(fw, data)
            case.verify(fw, data, stmt, ns)
            runners[fw.key] = Runner(stmt, ns, fw.sync)
        except Exception as e:  # noqa: BLE001 - a failing framework must not stop the run
            errors[fw.key] = f"{type(e).__name__}: {e}"
    # The control: NumPy's statement timed again, on its own copies, in the same interleaved
    # repeats. Its ratio to the NumPy column is what the harness reads for identical code in this
    # run, so a pt/np figure can be read against it.
    control = npfw.key + " (control)"
    if case.target[0] == "numpy" and npfw.key in runners:
        try:
            stmt, ns = case.build(npfw, data)
            runners[control] = Runner(stmt, ns, npfw.sync)
        except Exception as e:  # noqa: BLE001
            errors[control] = f"{type(e).__name__}: {e}"
    try:
        timings = time_interleaved(runners, args.repeats, args.min_time,
                                   disable_gc=args.disable_gc, settle=args.settle,
                                   warmup=args.warmup) if runners else {}
    except Exception as e:  # noqa: BLE001
        errors["timing"] = f"{type(e).__name__}: {e}"
        timings = {}
    del runners
    res = {"case": case.name, "section": case.section, "unit": case.unit,
           "grad": case.grad,
           "target": {"vs": case.target[0], "max_ratio": case.target[1]},
           "frameworks": {}, "rows": [], "errors": errors}
    ctl = timings.pop(control, None)
    if ctl is not None and npfw.key in timings:
        res["control"] = {"min_s": ctl["min"], "median_s": ctl["median"], "times_s": ctl["times"],
                          "ratio_vs_numpy": ctl["min"] / timings[npfw.key]["min"]}
    for key, t in timings.items():
        d = {"min_s": t["min"], "median_s": t["median"], "times_s": t["times"],
             "number": t["number"]}
        if case.flops:
            d["gflops"] = case.flops / t["min"] / 1e9
        res["frameworks"][key] = d
    base = {"numpy": timings.get(npfw.key, {}).get("min"),
            "torch": timings.get(thfw.key, {}).get("min")}
    for fw in pts:
        t = timings.get(fw.key, {}).get("min")
        r_np = t / base["numpy"] if t and base["numpy"] else None
        r_th = t / base["torch"] if t and base["torch"] else None
        ratio = r_np if case.target[0] == "numpy" else r_th
        if t is None:
            status = "ERR"
        elif opencl_targets.is_opencl(fw):
            status = "info"             # judged by its own targets, in section 5
        elif getattr(fw, "device", "cpu") not in ("cpu", None):
            status = "info"             # e.g. the third-party example backend: the targets are cpu's
        elif ratio is None:
            status = "n/a"
        else:
            status = "PASS" if ratio <= case.target[1] else "MISS"
        res["rows"].append({"pt": fw.key, "device": fw.device, "ratio_vs_numpy": r_np,
                            "ratio_vs_torch": r_th, "status": status})
    return res


def print_result(res, pts, npfw, thfw):
    scale = UNIT_SCALE[res["unit"]]
    fwt = res["frameworks"]

    def cell(key, placeholder="ERR"):
        if key not in fwt:
            return "-" if key not in res["errors"] else placeholder
        return fmt_num(fwt[key]["min_s"] * scale)

    label = res["case"].split("/", 1)[1]
    for fw, row in zip(pts, res["rows"]):
        tgt = f"{res['target']['vs']}<={res['target']['max_ratio']:.2f}"
        if row["status"] == "info":
            tgt = "see 5." if opencl_targets.is_opencl(fw) else "info"
        np_cell = "-" if res["grad"] else cell(npfw.key)
        print(fmt_row([label, fw.device, cell(fw.key), np_cell, cell(thfw.key),
                       fmt_ratio(row["ratio_vs_numpy"]), fmt_ratio(row["ratio_vs_torch"]),
                       fmt_ratio(res.get("control", {}).get("ratio_vs_numpy")), tgt, row["status"]]))
    if any("gflops" in v for v in fwt.values()):
        parts = [f"{k.split(':')[0] if k.startswith(('numpy', 'torch')) else k} "
                 f"{v['gflops']:.1f}" for k, v in fwt.items() if "gflops" in v]
        print(fmt_row(["", "", "GFLOP/s: " + ", ".join(parts)]))
    for k, msg in res["errors"].items():
        print(f"{'':15}!! {k}: {msg}")
    sys.stdout.flush()


def main(argv=None):
    args = parse_args(argv)
    cases = C.all_cases()
    if args.list:
        for c in cases:
            print(c.name)
        return 0
    if args.only:
        rx = re.compile(args.only)
        cases = [c for c in cases if rx.search(c.name)]
        if not cases:
            print(f"no case matches --only {args.only!r}; see --list", file=sys.stderr)
            return 2

    notes = []
    try:
        pts, npfw, thfw = make_frameworks(args.pt_module, args.devices, notes)
    except Exception as e:  # noqa: BLE001
        for n in notes:
            print(n, file=sys.stderr)
        print(f"error: cannot set up pt module {args.pt_module!r}: {type(e).__name__}: {e}\n"
              f"(check the harness itself with --pt-module torch)", file=sys.stderr)
        return 2
    info = environment(pts, npfw, thfw)
    print_header(info, args, notes)
    gc.collect()
    gc.freeze()       # keep per-batch gc.collect() cheap: imports are long-lived

    t_start = time.perf_counter()
    results, section, data_key, data = [], None, None, None
    for case in cases:
        if case.section != section:
            section = case.section
            print()
            print(f"== {C.SECTIONS[section]}")
            print(fmt_row([c[0] for c in COLS]))
            print("-" * len(fmt_row(["x" * c[1] for c in COLS])))
        if case.make_data is not data_key:
            data = None                                 # free the previous arrays first
            data_key, data = case.make_data, case.make_data()
        res = run_case(case, data, pts, npfw, thfw, args)
        results.append(res)
        print_result(res, pts, npfw, thfw)
    data = None
    device_targets = opencl_targets.run_section(pts, results, npfw, thfw, args)
    elapsed = time.perf_counter() - t_start

    statuses = [r["status"] for res in results for r in res["rows"]]
    statuses += [r["status"] for r in device_targets]
    counts = {s: statuses.count(s) for s in ("PASS", "MISS", "ERR", "n/a")}
    print()
    print(f"summary: {counts['PASS']} PASS, {counts['MISS']} MISS, {counts['ERR']} ERR"
          + (f", {counts['n/a']} n/a" if counts["n/a"] else "")
          + f"   ({len(results)} cases, {elapsed:.0f} s)")
    failed = [k for res in results for k in res["errors"]]
    failed += [r["metric"] for r in device_targets if r["status"] == "ERR"]
    if failed:
        print("errors (wrong results or unsupported ops) are listed under their rows (!!)")

    if args.json:
        out = {"meta": info,
               "config": {"quick": args.quick, "repeats": args.repeats,
                          "min_time_s": args.min_time, "statistic": "min",
                          "gc_disabled": args.disable_gc, "settle_s": args.settle,
                          "warmup_calls": args.warmup, "only": args.only,
                          "rtol": C.RTOL},
               "results": results, "device_targets": device_targets, "summary": counts,
               "elapsed_s": elapsed}
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)
        print(f"wrote {args.json}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
