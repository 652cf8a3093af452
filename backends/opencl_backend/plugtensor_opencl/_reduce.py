"""Reductions, arg-reductions, scans and sort of plugtensor-opencl.

Every kernel here has the signature and the semantics of the NumPy backend's
(``plugtensor.backend._arraymodule``) and never waits for the device.

How a reduction runs (``sum``, ``prod``, ``amax``, ``amin``, ``any``, ``all``):

- The input is seen, through its strides and without a copy, as (kept dims..., reduced dims...).
  Size-1 dims are dropped and neighbouring dims that walk memory as one are merged, so a reduction of
  a contiguous array over trailing dims has one kept and one reduced dim whatever its rank. The
  reduced dims are ordered by decreasing stride (stride-0 broadcast dims first), so the innermost loop
  walks memory forward.
- One work-item per (output element, chunk): it reduces its chunk with nested loops. When the innermost
  reduced dim has stride 1 and the op is a float sum/prod/max/min, the inner loop keeps four vector
  accumulators (4 x float8 or 4 x double4): floating-point adds may not be reassociated by the compiler,
  so without them the loop is bound by the add latency (measured on PoCL: 16M float32 sum 4.8 GB/s scalar,
  20-40 GB/s with the vectors; a work-group tree over interleaved loads was 1-2 GB/s there).
- When the innermost kept dim has stride 1 and the innermost reduced dim does not (a reduction across
  rows, ``x.sum(0)``), a work-item instead computes up to 512 neighbouring outputs on a CPU, streaming a
  row segment at a time (16M float32 ``sum(0)``: 1 GB/s with one output per work-item, 4 vector lanes
  2 GB/s, row segments 5-10 GB/s), and one on a GPU, where neighbouring work-items then read
  neighbouring elements.
- When there are fewer outputs than the device has parallelism, the outermost reduced dim is split into
  G chunks (pass 1 writes the partials in the accumulation dtype) and a second, small reduction of the
  partials gives the result (pass 2), so a full reduction of a large array uses every compute unit.

Compiling costs ~0.15 s per kernel plus ~0.1 s per work-group size on PoCL, so variety is kept down:
one kernel per (op, dtypes, kept-rank bucket, reduced-rank bucket) -- ranks are padded with size-1 dims
to 2, 4 (kept) and 1, 3 (reduced) -- the vector loop is chosen at run time, and work-groups have one
of two sizes (1 for a handful of work-items, 16 otherwise; 64 on GPUs). Scalar arguments are all
``long`` and set through pyopencl's typed ``set_args`` (0.1 us an argument; ``set_arg`` with a NumPy
scalar costs ~7 us each here).

Accumulation: in the result dtype (``dtype=`` when given; ints and bools sum and multiply in int64 when
not, wrapping on overflow), except that float32 sums accumulate in double where the device has fp64 and
float16 in float. Float sums are as accurate as NumPy's pairwise summation or better: the float32 vector
lanes add at most ``_BLOCK`` (8) elements each before they are converted and added to double vectors;
float64 lanes (and float32 ones on a device without fp64) are folded every ``_BLOCK`` iterations into
Kahan-compensated vectors; a strided sum whose accumulator is not wider than its input is
Kahan-compensated element by element, one across rows adds naive sums of ``_BLOCK`` rows to compensated
totals; a float64 (or float-accumulated) scan adds a naive running sum of
at most ``_BLOCK`` elements to a compensated total. Compensation keeps inf and NaN where a plain sum
gives them (its error term is reset where the total turns infinite). Measured: ten million float32 0.1s
sum to within 5e-8 of the float64 sum (NumPy: 1.1e-7; the float32 lanes alone: 1.7e-4), at the same
speed within noise. Products (``prod``, ``cumprod``) are not compensated (a product's rounding error
does not depend on the order; NumPy multiplies naively too).
amax/amin propagate NaN (as NumPy's maximum.reduce); argmax/argmin count NaN as the extreme and return
the first occurrence. Empty reductions give the identity (0, 1, False, True).

argmax/argmin use the same (output, chunk) split and two passes; a contiguous row is scanned with 4
vector lanes (~2.5 GB/s on PoCL), a strided one element by element (across rows, ``argmax(0)`` of a
large matrix, ~1 GB/s: not yet given the row-segment treatment of the reductions).

Scans (``cumsum``, ``cumprod``): when there are few rows, each row along the axis is split into chunks;
pass 1 is the reduction kernel above (one total per chunk), then each work-item scans its chunk starting
from the combination of the totals before it.

``sort``: a stable merge sort, one launch per doubling of the merged block width (ceil(log2 n)
launches, O(n log n) work per row): in each pass a work-item writes a run of 64 merged elements,
finding where its run starts in the two blocks by binary search along the merge path (elements of the
left block go before equal ones of the right block, which keeps it stable, descending included). NaN
sorts last ascending and first descending, as in PyTorch. (1M float64: ~0.2 s on 2 PoCL cores.)
"""
from __future__ import annotations

from functools import partial
from typing import Callable

import numpy as np
import pyopencl as cl

from plugtensor.backend import dtypes as D

from ._core import CTYPE, CLArray, Runtime, unravel

__all__ = ["kernels"]

_REDUCTIONS = ("sum", "prod", "amax", "amin", "any", "all")
_VEC_OPS = ("sum", "prod", "amax", "amin")  # ops with a vectorised inner loop (float inputs only)
_VEC = {"float": ("float8", 8), "double": ("double4", 4)}  # 256 bits: PoCL without AVX-512 miscompiles wider
_LANES = 4  # vector accumulators per work-item: enough independent adds to hide the add latency
_BLOCK = 8  # vector iterations of a sum between folds of its lanes into the wide accumulators
_MIN_CHUNK = 16384  # elements: below this a reduction is not split over work-items
_FLOAT_C = ("half", "float", "double")
_MIN = {"uchar": "0", "char": "(-128)", "short": "(-32768)", "int": "(-2147483647 - 1)",
        "long": "(-9223372036854775807L - 1)", "float": "(-INFINITY)", "double": "(-INFINITY)"}
_MAX = {"uchar": "255", "char": "127", "short": "32767", "int": "2147483647", "long": "9223372036854775807L",
        "float": "INFINITY", "double": "INFINITY"}
_BITS = {1: "uchar", 2: "ushort", 4: "uint", 8: "ulong"}  # sort copies elements as raw bits of their size
_MERGE_RUN = 64  # merged elements written by one work-item of a sort pass


# -- helpers ----------------------------------------------------------------------------------------

def _prod(xs) -> int:
    n = 1
    for x in xs:
        n *= x
    return n


def _merge(dims: list) -> list:
    """Merge neighbouring (size, stride) pairs whose elements lie in memory as one dim would."""
    out: list = []
    for size, st in dims:
        if out and out[-1][1] == size * st:
            out[-1] = (out[-1][0] * size, st)
        else:
            out.append((size, st))
    return out


def _plan(shape, strides, axes) -> tuple[list, list]:
    """(kept, reduced) lists of (size, stride), simplified; ``reduced`` is never empty."""
    kept = _merge([(shape[d], strides[d]) for d in range(len(shape)) if d not in axes and shape[d] != 1])
    red = [(shape[d], strides[d]) for d in axes if shape[d] != 1]
    if any(s == 0 for s, _ in red):
        return kept, [(0, 0)]
    red.sort(key=lambda t: (t[1] != 0, -t[1]))  # broadcast dims outermost, then walk memory forward
    return kept, _merge(red) or [(1, 0)]


def _pad_kept(kept: list, fill: tuple = (1, 0)) -> list:
    """Pad to rank 2 or 4 (or more) with leading size-1 dims: fewer kernels to compile, for one more
    division per work-item."""
    r = len(kept)
    return [fill] * ((2 if r <= 2 else 4 if r <= 4 else r) - r) + kept


def _pad_red(red: list) -> list:
    """Pad to rank 1 or 3 (or more) with size-1 dims after the outermost (the split one)."""
    r = len(red)
    return red[:1] + [(1, 0)] * ((1 if r == 1 else 3 if r <= 3 else r) - r) + red[1:]


_INFO: dict = {}


def _info(rt: Runtime) -> tuple[int, int, int, int]:
    """(work-items worth keeping busy, work-group size for many items, the item count from which that
    size is used, outputs per work-item of a reduction across rows)."""
    info = _INFO.get(rt)
    if info is None:
        if rt.device.type & cl.device_type.CPU:
            # PoCL runs a work-group as a loop on one thread: 16-item groups cost ~6x less overhead
            # than 1-item groups when there are many, and 1-item groups spread a few items over the
            # cores. Across rows, a work-item streams 512 neighbouring columns of each row.
            info = (8 * rt.compute_units, 16, 64 * rt.compute_units, 512)
        else:  # a GPU: neighbouring work-items read neighbouring columns (coalesced)
            info = (256 * rt.compute_units, 64, 0, 1)
        _INFO[rt] = info
    return info


def _launch(rt: Runtime, kernel: cl.Kernel, items: int, *args) -> None:
    """Enqueue ``kernel`` over ``items`` work-items (rounded up to the work-group size; kernels check)."""
    _, big, threshold, _ = _info(rt)
    local = big if items >= threshold else 1
    rt.enqueue(kernel, (-(-items // local) * local,), (local,), args)


def _splits(rt: Runtime, m: int, n: int, step: int = 1, weight: int = 1) -> tuple[int, int]:
    """(G, chunk): into how many chunks of ``chunk`` (a multiple of ``step``) the outermost reduced dim
    (size ``n``, ``weight`` elements per index) of each of ``m`` work-items is split."""
    target = _info(rt)[0]
    if m >= target or n * weight < 2 * _MIN_CHUNK:
        return 1, max(n, 1)
    g = min(-(-target // m), n * weight // _MIN_CHUNK, n)
    chunk = -(-n // g)
    chunk = -(-chunk // step) * step
    return -(-n // chunk), chunk


_CACHE: dict = {}


def _kernel(rt: Runtime, key: tuple, build: Callable[[], str], name: str, buffers: int) -> cl.Kernel:
    """The compiled kernel for ``key`` (source generated only the first time); its first ``buffers``
    arguments are buffers, the others ``long``."""
    k = _CACHE.get((rt, key))
    if k is None:
        k = rt.kernel(build(), name)
        k.set_scalar_arg_dtypes([None] * buffers + [np.int64] * (k.num_args - buffers))
        _CACHE[(rt, key)] = k
    return k


# -- sum / prod / amax / amin / any / all -------------------------------------------------------------

def _acc_name(op: str, in_dt, out_dt, rt: Runtime) -> str:
    """The dtype partial results are kept in."""
    if op in ("any", "all"):
        return "bool"
    name = in_dt.name if op in ("amax", "amin") else out_dt.name
    if name == "float16":
        return "float32"
    if op == "sum" and name == "float32" and rt.fp64:
        return "float64"
    return name


def _comp(op: str, in_c: str, acc_c: str) -> bool:
    """Whether a sum is compensated (Kahan): a float sum whose accumulator is not wider than its input
    (float64; float32 where the device lacks fp64; float16 in float)."""
    return op == "sum" and acc_c in ("float", "double") and not (acc_c == "double" and in_c in ("half", "float"))


# Kahan's compensated step (also used by the matmul kernels): ``c`` keeps the rounding error of ``s``
# (the sum is s - c). Where ``s`` turns infinite the error term is reset (inf - inf would make it NaN
# and the sum NaN with it). Comparisons rather than isinf/select: those are out-of-line calls on PoCL,
# which spill the vector registers and keep the compiler from vectorising a loop. ``M`` is the integer
# vector type of the float vector type ``T``.
KAHAN_C = """#define KSUM(T, s, c, x) { T _y = (x) - (c); T _t = (s) + _y; \\
    (c) = (_t == (T)INFINITY || _t == (T)(-INFINITY)) ? (T)0 : (_t - (s)) - _y; (s) = _t; }
#define VKSUM(T, M, s, c, x) { T _y = (x) - (c); T _t = (s) + _y; \\
    (c) = as_##T(as_##M((_t - (s)) - _y) & ~((_t == (T)INFINITY) | (_t == (T)(-INFINITY)))); (s) = _t; }
"""


def _ops_c(op: str, acc_c: str, comp: bool = False) -> str:
    """C macros of ``op``: IDENT, COMB (scalars), VCOMB (vectors), LOAD (an element as ACC), and ADD /
    RESULT: the accumulation step and final value of an accumulator (s, compensation c)."""
    if op in ("sum", "prod"):
        ident, comb = ("0", "((a) + (b))") if op == "sum" else ("1", "((a) * (b))")
        vcomb = comb
    elif op in ("amax", "amin"):
        cmp = ">" if op == "amax" else "<"
        ident = (_MIN if op == "amax" else _MAX)[acc_c]
        comb = vcomb = f"(((a) {cmp} (b)) ? (a) : (b))"
        if acc_c in _FLOAT_C:  # NaN wins, from either side
            comb = f"(((a) {cmp} (b) || isnan(a)) ? (a) : (b))"
            vcomb = f"select((b), (a), ((a) {cmp} (b)) | isnan(a))"
    else:
        ident = "0" if op == "any" else "1"
        comb = vcomb = "((a) | (b))" if op == "any" else "((a) & (b))"
    load = "((ACC)((x) != 0))" if op in ("any", "all") else "((ACC)(x))"
    add, result = ("KSUM(ACC, s, c, x)", "((s) - (c))") if comp else ("(s) = COMB((s), (x))", "(s)")
    return (f"#define IDENT ((ACC){ident})\n#define COMB(a, b) {comb}\n#define VCOMB(a, b) {vcomb}\n"
            f"#define LOAD(x) {load}\n{KAHAN_C}#define ADD(s, c, x) {add}\n#define RESULT(s, c) {result}\n")


def _reduced_loops(rr: int, split: bool) -> tuple[str, str, str, str]:
    """C loops over reduced dims 0..rr-2 from ``p0`` (dim 0 over [lo, hi) when ``split``): (opening,
    closing, first and end index of the innermost dim, whose first element is at ``p{rr-1}``)."""
    lines = []
    for k in range(rr - 1):
        lo, hi = ("lo", "hi") if k == 0 and split else ("0", f"rs{k}")
        lines.append(f"for (long j{k} = {lo}; j{k} < {hi}; j{k}++) {{ long p{k + 1} = p{k} + j{k}*rst{k};")
    inner = ("lo", "hi") if rr == 1 and split else ("0", f"rs{rr - 1}")
    return "\n    ".join(lines), "}" * (rr - 1), inner[0], inner[1]


def _vec_ok(op: str, in_c: str, acc_c: str) -> bool:
    """Whether the contiguous inner loop gets vector accumulators of the input type."""
    return op in _VEC_OPS and in_c in _VEC and (acc_c == in_c or (in_c, acc_c) == ("float", "double"))


def _wide_c(op: str, in_c: str, acc_c: str) -> tuple[str, str, str]:
    """C of the wide accumulators the vector lanes of a sum are folded into after every block of
    ``_BLOCK`` iterations: (declarations, fold of the vector ``v0``, final fold into ``acc``/``cmp``).
    float32 lanes go into double vectors when the accumulator is double; otherwise the lanes are added
    to Kahan-compensated vectors of their own type. Other ops fold their lanes into ``acc`` directly."""
    vt, w = _VEC[in_c]
    v0 = "v0 = VCOMB(VCOMB(v0, v1), VCOMB(v2, v3));"
    if op != "sum":
        return "", f"{v0} IN lanes[{w}]; vstore{w}(v0, 0, lanes); for (int l = 0; l < {w}; l++) acc = COMB(acc, (ACC)lanes[l]);", ""
    if acc_c != in_c:  # float8 lanes, each converted to double
        return ("double4 w0 = 0, w1 = 0;",
                " ".join(f"w0 += convert_double4(v{i}.lo); w1 += convert_double4(v{i}.hi);" for i in range(_LANES)),
                "w0 += w1; acc += (w0.s0 + w0.s1) + (w0.s2 + w0.s3);")
    mask = {"float8": "int8", "double4": "long4"}[vt]
    return (f"{vt} ws = 0, wc = 0;", f"{v0} VKSUM({vt}, {mask}, ws, wc, v0);",
            f"IN ls[{w}], lc[{w}]; vstore{w}(ws, 0, ls); vstore{w}(wc, 0, lc);\n    "
            f"for (int l = 0; l < {w}; l++) {{ ADD(acc, cmp, ls[l]); ADD(acc, cmp, -lc[l]); }}")


def _reduce_source(op: str, in_c: str, acc_c: str, out_c: str, rk: int, rr: int) -> str:
    """One work-item per (output, chunk of the outermost reduced dim): nested loops over the reduced dims."""
    kp = "".join(f"long ks{k}, long kst{k}, " for k in range(rk))
    rp = ", ".join(f"long rs{k}, long rst{k}" for k in range(rr))
    base = "x_off" + "".join(f" + k{k}*kst{k}" for k in range(rk))
    opening, closing, lo, hi = _reduced_loops(rr, True)
    last = rr - 1
    scalar = f"for (long j = {lo}; j < {hi}; j++) ADD(acc, cmp, LOAD(q[j*rst{last}]));"
    wide_decl = wide_end = ""
    if _vec_ok(op, in_c, acc_c):
        vt, w = _VEC[in_c]
        step = w * _LANES
        wide_decl, fold, wide_end = _wide_c(op, in_c, acc_c)
        # a sum folds its lanes every _BLOCK iterations: each lane adds at most _BLOCK elements naively
        block = f"min((hi_ - j) / {step}, {_BLOCK}L)" if op == "sum" else f"(hi_ - j) / {step}"
        decl = ", ".join(f"v{i} = ({vt})(({in_c})IDENT)" for i in range(_LANES))
        body = " ".join(f"v{i} = VCOMB(v{i}, vload{w}({i}, q + j));" for i in range(_LANES))
        inner = f"""if (rst{last} == 1 && {hi} - {lo} >= {step}) {{
        long j = {lo};
        const long hi_ = {hi};
        while (j + {step} <= hi_) {{
            {vt} {decl};
            const long bend = j + {block} * {step};
            for (; j < bend; j += {step}) {{ {body} }}
            {fold}
        }}
        for (; j < hi_; j++) ADD(acc, cmp, LOAD(q[j]));
    }} else {{
        {scalar}
    }}"""
    else:
        inner = scalar
    return f"""typedef {in_c} IN; typedef {acc_c} ACC; typedef {out_c} OUT;
{_ops_c(op, acc_c, _comp(op, in_c, acc_c))}
__kernel void reduce(__global OUT* out, __global const IN* x, long x_off, long items, long G, long chunk,
                     {kp}{rp}) {{
    long gid = get_global_id(0);
    if (gid >= items) return;
    long m = gid / G, g = gid - m * G;
    {unravel(rk, "m", "ks", "k")}
    long lo = g * chunk, hi = min(lo + chunk, rs0);
    ACC acc = IDENT, cmp = 0;
    {wide_decl}
    long p0 = {base};
    {opening}
    __global const IN* q = x + p{last};
    {inner}
    {closing}
    {wide_end}
    out[gid] = (OUT)RESULT(acc, cmp);
}}
"""


def _columns_source(op: str, in_c: str, acc_c: str, out_c: str, rk: int, rr: int, sw: int) -> str:
    """One work-item per (``sw`` neighbouring outputs along the last kept dim, which has stride 1; chunk of
    the outermost reduced dim), accumulating a row segment at a time (the compiler vectorises the
    segment loop: elementwise, no reassociation). Output layout (G, M)."""
    kp = "".join(f"long ks{k}, long kst{k}, " for k in range(rk))
    rp = ", ".join(f"long rs{k}, long rst{k}" for k in range(rr))
    base = "x_off" + "".join(f" + k{k}*kst{k}" for k in range(rk - 1))
    opening, closing, lo, hi = _reduced_loops(rr, True)
    last, s = rr - 1, f"ks{rk - 1}"
    if _comp(op, in_c, acc_c):
        # naive sums of _BLOCK rows, added to Kahan-compensated totals (per element, compensation keeps
        # the compiler from vectorising the row loop: float64 sum(0) ran 1.4x slower)
        decl = f"ACC acc[{sw}], tot[{sw}], cmp[{sw}];"
        init = "acc[e] = tot[e] = cmp[e] = 0;"
        step = f"""for (long e = 0; e < w; e++) acc[e] += LOAD(q[e]);
        if (--left == 0) {{
            for (long e = 0; e < w; e++) {{ KSUM(ACC, tot[e], cmp[e], acc[e]); acc[e] = 0; }}
            left = {_BLOCK};
        }}"""
        result = "{ KSUM(ACC, tot[e], cmp[e], acc[e]); out[o + e] = (OUT)(tot[e] - cmp[e]); }"
    else:
        decl, init = f"ACC acc[{sw}];", "acc[e] = IDENT;"
        step = "for (long e = 0; e < w; e++) acc[e] = COMB(acc[e], LOAD(q[e]));"
        result = "out[o + e] = (OUT)acc[e];"
    return f"""typedef {in_c} IN; typedef {acc_c} ACC; typedef {out_c} OUT;
{_ops_c(op, acc_c)}
__kernel void columns(__global OUT* out, __global const IN* x, long x_off, long items, long G, long chunk,
                      long C, long Mo, {kp}{rp}) {{
    long gid = get_global_id(0);
    if (gid >= items) return;
    long t = gid / C, c = gid - t * C, g = t / Mo, m = t - g * Mo;
    {unravel(rk - 1, "m", "ks", "k")}
    long lo = g * chunk, hi = min(lo + chunk, rs0);
    long p0 = {base} + c * {sw}, o = (g * Mo + m) * {s} + c * {sw}, w = min({sw}L, {s} - c * {sw});
    {decl}
    int left = {_BLOCK};
    for (long e = 0; e < {sw}; e++) {{ {init} }}
    {opening}
    for (long j = {lo}; j < {hi}; j++) {{
        __global const IN* q = x + p{last} + j*rst{last};
        {step}
    }}
    {closing}
    for (long e = 0; e < w; e++) {result}
}}
"""


def _pass(op: str, x: CLArray, kept: list, red: list, out: CLArray, g: int, chunk: int, columns: bool) -> None:
    """Launch one reduction kernel: ``out`` (contiguous) gets one value per (output, chunk), laid out as
    (M, G) by the row kernel and as (G, M) by the column kernel."""
    rt = x.rt
    in_c, out_c = CTYPE[x.dtype.name], CTYPE[out.dtype.name]
    acc_c = CTYPE[_acc_name(op, x.dtype, out.dtype, rt)]
    m = _prod(s for s, _ in kept)
    kept, red = _pad_kept(kept), _pad_red(red)
    rk, rr = len(kept), len(red)
    if columns:
        s, sw = kept[-1][0], _info(rt)[3]
        k = _kernel(rt, ("columns", op, in_c, acc_c, out_c, rk, rr, sw),
                    lambda: _columns_source(op, in_c, acc_c, out_c, rk, rr, sw), "columns", 2)
        cols = -(-s // sw)
        items = (m // s) * cols * g
        args = [out.buffer, x.buffer, x.offset, items, g, chunk, cols, m // s]
    else:
        k = _kernel(rt, ("reduce", op, in_c, acc_c, out_c, rk, rr),
                    lambda: _reduce_source(op, in_c, acc_c, out_c, rk, rr), "reduce", 2)
        items = m * g
        args = [out.buffer, x.buffer, x.offset, items, g, chunk]
    for size, st in kept + red:
        args += [size, st]
    _launch(rt, k, items, *args)


def _result_dtype(op: str, a: CLArray, dtype):
    if op in ("any", "all"):
        return D.bool
    if dtype is not None:
        return dtype
    if op in ("sum", "prod") and not a.dtype.is_floating_point:
        return D.int64  # NumPy gives int64 too (uint64 for uint8, which plugtensor lacks)
    return a.dtype


def _reduce(op: str, a: CLArray, axes, keepdim: bool, dtype=None) -> CLArray:
    """``op`` over ``axes`` (a tuple of dims, or None for all) as NumPy's ``ufunc.reduce``."""
    rt, nd = a.rt, a.ndim
    axes = tuple(range(nd)) if axes is None else tuple(sorted({ax % nd for ax in axes})) if nd else ()
    if keepdim:
        shape = tuple(1 if d in axes else s for d, s in enumerate(a.shape))
    else:
        shape = tuple(s for d, s in enumerate(a.shape) if d not in axes)
    out = rt.empty(shape, _result_dtype(op, a, dtype))
    if out.size:
        kept, red = _plan(a.shape, a.strides, axes)
        _run(op, a, kept, red, out)
    return out


def _run(op: str, x: CLArray, kept: list, red: list, out: CLArray) -> None:
    """Reduce ``x`` seen as (kept, red) into the contiguous ``out``: one pass, or two when split."""
    rt = x.rt
    m = _prod(s for s, _ in kept)
    in_c = CTYPE[x.dtype.name]
    columns = bool(kept) and kept[-1][1] == 1 and red[-1][1] != 1 and kept[-1][0] > 1
    if columns:
        s, sw = kept[-1][0], _info(rt)[3]
        g, chunk = _splits(rt, m // s * -(-s // sw), red[0][0], 1, min(s, sw))
    else:
        # split at a multiple of the vector block, so only the last chunk has a scalar tail
        step = _VEC[in_c][1] * _LANES if len(red) == 1 and in_c in _VEC else 1
        g, chunk = _splits(rt, m, red[0][0], step)
    if g == 1:
        _pass(op, x, kept, red, out, 1, chunk, columns)
        return
    part = rt.empty((g, m) if columns else (m, g), getattr(D, _acc_name(op, x.dtype, out.dtype, rt)))
    _pass(op, x, kept, red, part, g, chunk, columns)
    # the partials are reduced by the same op (max of maxima, any of anys, ...)
    if columns:
        _run(op, part, [(m, 1)], [(g, m)], out)
    else:
        _run(op, part, [(m, g)] if m > 1 else [], [(g, 1)], out)


# -- argmax / argmin --------------------------------------------------------------------------------

_MASK = {"float": "int", "double": "long", "uchar": "char", "char": "char", "short": "short", "int": "int",
         "long": "long"}


def _arg_source(val_c: str, rk: int) -> str:
    """Best (value, index) per (output, chunk); ``mx`` picks max or min, ``pairs`` reads indices from
    ``xi`` (pass 2 over partials), ``vals`` also writes the best values (pass 1 of a split). A contiguous
    row is scanned with 4 lanes, each keeping its first best (``v`` strictly better replaces it)."""
    acc_c = "float" if val_c == "half" else val_c
    fl = val_c in _FLOAT_C
    if fl:  # NaN is the extreme; the first one wins
        better = ("(isnan(a) ? (!isnan(b) || ia < ib) : "
                  "(!isnan(b) && ((mx ? (a) > (b) : (a) < (b)) || ((a) == (b) && ia < ib))))")
    else:
        better = "((mx ? (a) > (b) : (a) < (b)) || ((a) == (b) && ia < ib))"
    kp = "".join(f"long ks{k}, long kst{k}, " for k in range(rk))
    base = "x_off" + "".join(f" + k{k}*kst{k}" for k in range(rk))
    if val_c in _MASK:
        vt, mt = f"{val_c}4", f"{_MASK[val_c]}4"
        nan = " | (isnan(v) & ~isnan(bv))" if fl else ""
        lanes = f"""if (!pairs && st == 1 && hi - lo >= 8) {{
        __global const IN* q = x + p;
        const long4 iota = (long4)(0, 1, 2, 3);
        {vt} bv = vload4(0, q + lo);
        long4 bl = iota + lo;
        for (j = lo + 4; j + 4 <= hi; j += 4) {{
            {vt} v = vload4(0, q + j);
            {mt} b = (mx ? (v > bv) : (v < bv)){nan};
            bv = select(bv, v, b);
            bl = select(bl, iota + j, convert_long4(b));
        }}
        IN lv[4]; long li[4];
        vstore4(bv, 0, lv); vstore4(bl, 0, li);
        best = lv[0]; bi = li[0];
        for (int l = 1; l < 4; l++) if (BETTER((ACC)lv[l], li[l], best, bi)) {{ best = lv[l]; bi = li[l]; }}
    }} else """
    else:
        lanes = ""
    return f"""typedef {val_c} IN; typedef {acc_c} ACC;
#define BETTER(a, ia, b, ib) {better}
__kernel void arg(__global long* oi, __global ACC* ov, __global const IN* x, __global const long* xi,
                  long x_off, long items, long G, long chunk, {kp}long n, long st, long mx, long pairs,
                  long vals) {{
    long gid = get_global_id(0);
    if (gid >= items) return;
    long m = gid / G, g = gid - m * G;
    {unravel(rk, "m", "ks", "k")}
    long p = {base};
    long lo = g * chunk, hi = min(lo + chunk, n), j = lo + 1, bi;
    if (lo >= hi) return;  // nothing to choose from (the core refuses empty arg-reductions)
    ACC best;
    {lanes}{{
        best = (ACC)x[p + lo*st];
        bi = pairs ? xi[p + lo*st] : lo;
    }}
    for (; j < hi; j++) {{
        ACC v = (ACC)x[p + j*st];
        long ij = pairs ? xi[p + j*st] : j;
        if (BETTER(v, ij, best, bi)) {{ best = v; bi = ij; }}
    }}
    oi[gid] = bi;
    if (vals) ov[gid] = best;
}}
"""


def _arg_pass(kind: str, x: CLArray, xi, kept: list, n: int, st: int, oi: CLArray, ov, g: int, chunk: int) -> None:
    rt = x.rt
    val_c = CTYPE[x.dtype.name]
    kept = _pad_kept(kept)
    rk = len(kept)
    k = _kernel(rt, ("arg", val_c, rk), lambda: _arg_source(val_c, rk), "arg", 4)
    items = _prod(s for s, _ in kept) * g
    args = [oi.buffer, (oi if ov is None else ov).buffer, x.buffer, (oi if xi is None else xi).buffer,
            x.offset, items, g, chunk]
    for s, s_st in kept:
        args += [s, s_st]
    _launch(rt, k, items, *args, n, st, int(kind == "argmax"), int(xi is not None), int(ov is not None))


def _arg(kind: str, a: CLArray, axis, keepdim: bool) -> CLArray:
    """Index (int64) of the first max (min) along ``axis``; None: of the flattened array."""
    rt = a.rt
    if axis is None:
        if a.ndim > 1 and not a.is_contiguous():
            raise NotImplementedError(f"{kind}: axis=None needs a contiguous input (the core flattens it first)")
        shape = (1,) * a.ndim if keepdim else ()
        a = CLArray(a.storage, (a.size,), (1,), a.offset, a.dtype)
        axis = 0
    else:
        axis %= a.ndim
        shape = tuple(1 if d == axis else s for d, s in enumerate(a.shape)) if keepdim else \
            a.shape[:axis] + a.shape[axis + 1:]
    out = rt.empty(shape, D.int64)
    if out.size == 0:
        return out
    kept = _merge([(s, st) for d, (s, st) in enumerate(zip(a.shape, a.strides)) if d != axis and s != 1])
    n, st = a.shape[axis], a.strides[axis]
    m = _prod(s for s, _ in kept)
    g, chunk = _splits(rt, m, n, 4)
    if g == 1:
        _arg_pass(kind, a, None, kept, n, st, out, None, 1, chunk)
        return out
    vals = rt.empty((m, g), a.dtype if a.dtype.name != "float16" else D.float32)
    idx = rt.empty((m, g), D.int64)
    _arg_pass(kind, a, None, kept, n, st, idx, vals, g, chunk)
    _arg_pass(kind, vals, idx, [(m, g)] if m > 1 else [], g, 1, out, None, 1, g)
    return out


# -- cumsum / cumprod -------------------------------------------------------------------------------

def _scan_source(op: str, in_c: str, acc_c: str, out_c: str, rk: int) -> str:
    kp = "".join(f"long ks{k}, long kst{k}, long kot{k}, " for k in range(rk))
    xb = "x_off" + "".join(f" + k{k}*kst{k}" for k in range(rk))
    ob = "0" + "".join(f" + k{k}*kot{k}" for k in range(rk))
    comp = _comp(op, in_c, acc_c)
    if comp:  # a naive running sum of up to _BLOCK elements on top of a compensated total of the blocks
        loop = f"""ACC base = RESULT(acc, cmp), run = 0;
    int left = {_BLOCK};
    for (long j = g * chunk; j < hi; j++) {{
        run += LOAD(x[p + j*st]);
        out[q + j*ost] = (OUT)(base + run);
        if (--left == 0) {{ ADD(acc, cmp, run); base = RESULT(acc, cmp); run = 0; left = {_BLOCK}; }}
    }}"""
    else:
        loop = """for (long j = g * chunk; j < hi; j++) {
        ADD(acc, cmp, LOAD(x[p + j*st]));
        out[q + j*ost] = (OUT)RESULT(acc, cmp);
    }"""
    return f"""typedef {in_c} IN; typedef {acc_c} ACC; typedef {out_c} OUT;
{_ops_c(op, acc_c, comp)}
__kernel void scan(__global OUT* out, __global const IN* x, __global const ACC* part, long x_off, long items,
                   long G, long chunk, {kp}long n, long st, long ost) {{
    long gid = get_global_id(0);
    if (gid >= items) return;
    long m = gid / G, g = gid - m * G;
    {unravel(rk, "m", "ks", "k")}
    long p = {xb}, q = {ob};
    ACC acc = IDENT, cmp = 0;
    for (long c = 0; c < g; c++) ADD(acc, cmp, part[m * G + c]);  // the chunks before this one
    long hi = min((g + 1) * chunk, n);
    {loop}
}}
"""


def _scan(op: str, a: CLArray, axis: int, dtype) -> CLArray:
    """Running sum / product along ``axis`` in ``dtype`` (as NumPy's cumsum(a, axis, dtype))."""
    rt = a.rt
    red_op = "sum" if op == "cumsum" else "prod"
    out = rt.empty(a.shape, dtype)
    if out.size == 0:
        return out
    ost = out.strides
    if a.ndim == 0:
        a, ost, axis = CLArray(a.storage, (1,), (1,), a.offset, a.dtype), (1,), 0
    axis %= a.ndim
    kept: list = []  # the other dims as (size, input stride, output stride), merged where both allow
    for d, (s, st, ot) in enumerate(zip(a.shape, a.strides, ost)):
        if d == axis or s == 1:
            continue
        if kept and kept[-1][1] == s * st and kept[-1][2] == s * ot:
            kept[-1] = (kept[-1][0] * s, st, ot)
        else:
            kept.append((s, st, ot))
    n, st = a.shape[axis], a.strides[axis]
    m = _prod(s for s, _, _ in kept)
    acc_dt = getattr(D, _acc_name(red_op, a.dtype, dtype, rt))
    g, chunk = _splits(rt, m, n)
    part = out  # not read when there is one chunk per row
    if g > 1:  # pass 1: the total of every chunk, (M, G)
        part = rt.empty((m, g), acc_dt)
        _pass(red_op, a, [(s, t) for s, t, _ in kept], [(n, st)], part, g, chunk, False)
    kept = _pad_kept(kept, (1, 0, 0))
    in_c, acc_c, out_c, rk = CTYPE[a.dtype.name], CTYPE[acc_dt.name], CTYPE[dtype.name], len(kept)
    k = _kernel(rt, ("scan", red_op, in_c, acc_c, out_c, rk),
                lambda: _scan_source(red_op, in_c, acc_c, out_c, rk), "scan", 3)
    args = [out.buffer, a.buffer, part.buffer, a.offset, m * g, g, chunk]
    for s, s_st, ot in kept:
        args += [s, s_st, ot]
    _launch(rt, k, m * g, *args, n, st, ost[axis])
    return out


# -- sort -------------------------------------------------------------------------------------------

def _init_source(bits_c: str, rank: int) -> str:
    params = "".join(f"long sh{k}, long st{k}, " for k in range(rank))
    off = "x_off" + "".join(f" + i{k}*st{k}" for k in range(rank))
    return f"""typedef {bits_c} T;
__kernel void init(__global T* v, __global long* ix, __global const T* x, long x_off, long items, long inner,
                   {params}long n) {{
    // the (strided) input in the output layout, with each element's position along the axis
    long gid = get_global_id(0);
    if (gid >= items) return;
    {unravel(rank, "gid", "sh", "i")}
    v[gid] = x[{off}];
    ix[gid] = (gid / inner) % n;
}}
"""


def _merge_source(val_c: str) -> str:
    if val_c in _FLOAT_C:  # NaN is the largest value
        lt = "((a) < (b) || (isnan(b) && !isnan(a)))"
    else:
        lt = "((a) < (b))"
    return f"""typedef {val_c} V;
#define LT(a, b) {lt}
#define BEFORE(a, b) (desc ? LT(b, a) : LT(a, b))
__kernel void merge(__global V* dv, __global long* di, __global const V* sv, __global const long* si,
                    long items, long n, long inner, long w, long K, long desc) {{
    // Merge neighbouring sorted blocks A, B of w elements along the axis; this work-item writes K merged
    // elements from position d of the pair. Where it starts in A and B is found by binary search on the
    // diagonal d (merge path); an element of B goes first only when it sorts strictly before the
    // element of A (so equal elements keep their order: stable).
    long gid = get_global_id(0);
    if (gid >= items) return;
    long segs = (n + K - 1) / K, r = gid / segs, s = gid - r * segs;
    long base = (r / inner) * n * inner + r % inner;
    long start = s * K, pair = start - start % (2 * w), d = start - pair;
    long na = min(w, n - pair), nb = max(0L, min(w, n - pair - w));
    __global const V* a = sv + base + pair * inner;
    __global const V* b = a + w * inner;
    long lo = max(0L, d - nb), hi = min(d, na);
    while (lo < hi) {{  // the number of A elements among the first d merged ones
        long mid = (lo + hi) / 2;
        if (BEFORE(b[(d - 1 - mid) * inner], a[mid * inner])) hi = mid; else lo = mid + 1;
    }}
    long i = lo, j = d - lo, end = min(K, na + nb - d);
    __global V* ov = dv + base + (pair + d) * inner;
    __global long* oi = di + base + (pair + d) * inner;
    __global const long* ai = si + base + pair * inner;
    __global const long* bi = ai + w * inner;
    for (long t = 0; t < end; t++) {{
        if (j >= nb || (i < na && !BEFORE(b[j * inner], a[i * inner]))) {{
            ov[t * inner] = a[i * inner]; oi[t * inner] = ai[i * inner]; i++;
        }} else {{
            ov[t * inner] = b[j * inner]; oi[t * inner] = bi[j * inner]; j++;
        }}
    }}
}}
"""


def _sort(a: CLArray, axis: int, descending: bool, stable: bool = True) -> tuple[CLArray, CLArray]:
    """(values, int64 indices) sorted along ``axis``; always stable."""
    rt = a.rt
    shape = a.shape
    if a.ndim == 0:
        a, axis = CLArray(a.storage, (1,), (1,), a.offset, a.dtype), 0
    axis %= a.ndim
    vals = [rt.empty(shape, a.dtype), rt.empty(shape, a.dtype)]
    idx = [rt.empty(shape, D.int64), rt.empty(shape, D.int64)]
    items = a.size
    if items == 0:
        return vals[0], idx[0]
    n, inner = a.shape[axis], _prod(a.shape[axis + 1:])
    dims = _pad_kept(list(zip(a.shape, a.strides)))
    bits_c, rank, val_c = _BITS[a.itemsize], len(dims), CTYPE[a.dtype.name]
    init = _kernel(rt, ("sort-init", bits_c, rank), lambda: _init_source(bits_c, rank), "init", 3)
    args = [vals[0].buffer, idx[0].buffer, a.buffer, a.offset, items, inner]
    for s, st in dims:
        args += [s, st]
    _launch(rt, init, items, *args, n)
    merge = _kernel(rt, ("sort-merge", val_c), lambda: _merge_source(val_c), "merge", 4)
    w, cur, rows = 1, 0, items // n
    while w < n:
        k = min(2 * w, _MERGE_RUN)  # both powers of two: a work-item's run stays within one pair of blocks
        wis = rows * -(-n // k)
        _launch(rt, merge, wis, vals[1 - cur].buffer, idx[1 - cur].buffer, vals[cur].buffer, idx[cur].buffer,
                wis, n, inner, w, k, int(bool(descending)))
        cur, w = 1 - cur, w * 2
    return vals[cur], idx[cur]


def kernels() -> dict:
    """The reduction, arg-reduction, scan and sort kernels of the OpenCL backend (NumPy backend signatures)."""
    table: dict = {op: partial(_reduce, op) for op in _REDUCTIONS}
    table.update(argmax=partial(_arg, "argmax"), argmin=partial(_arg, "argmin"),
                 cumsum=partial(_scan, "cumsum"), cumprod=partial(_scan, "cumprod"), sort=_sort)
    return table
