"""Matrix products of plugtensor-opencl: the ``matmul`` kernel (mm, bmm, mv, dot).

``matmul(a, b)`` has NumPy's semantics for the forms the core sends -- 1-D . 1-D (a 0-d result),
2-D @ 1-D, 1-D @ 2-D, 2-D @ 2-D and 3-D @ 3-D with equal (or size-1) batch -- over any strides and
offsets, and returns a new contiguous array. Every operand is seen as a strided 3-D array
(batch, rows, cols), so transposed views (``b.t()`` in the backward of ``mm``), steps, offsets and
expanded (stride-0) dimensions are read through their strides by the kernels themselves; no
contiguous copy is made first. Three kernels, each generated per (dtype, variant) and compiled
once:

- ``direct``: one work-item per output element, a strided dot product over k. Used for small
  products, matrix-vector products and dots (all memory-bound); when there are few outputs and a
  long k (a big dot), k is split into parts summed by a second kernel so every core works.
- ``packed`` (large products on CPU devices, e.g. PoCL): two gather kernels copy each operand once
  into panels -- A as [batch][row tile][k][6], B as [batch][col tile][k][2 vectors] -- reading any
  strides and zero-padding the edge tiles; then each work-item of the compute kernel keeps a 6 x
  (2 vectors) block of C in registers (6x16 for float32) and streams its two panels with aligned
  vector loads. Packing is O(n^2) of an O(n^3) product and makes the hot loop guard-free.
- ``local`` (large products on devices with dedicated local memory, i.e. GPUs): the classic tiled
  kernel -- a work-group stages 64x16 / 16x64 tiles of A and B (any strides, guarded edges) in
  local memory and each work-item accumulates a 4x4 block.

Why register blocking instead of local-memory tiling on PoCL (1024^2 float32, the 2-core dev VM):
the packed path reaches 90-130 GFLOP/s (NumPy/OpenBLAS: 160-195); a local-memory tiled kernel with
the same register block reached 4-8 GFLOP/s, and ~20 after defeating PoCL's implicit loop barriers. PoCL runs the
work-items of a group as a loop between barriers, so accumulators that live across the k-tile
barrier go to memory, and re-staging every tile for every work-group costs more than packing
each operand once. Local memory on a CPU is ordinary cached memory; the packed panels already
sit in L1/L2. Two more PoCL facts shape the code: ``vload``/``vstore`` and vector ``fma`` are
out-of-line calls there (they spill every register), so loads are vector-pointer reads and
products are ``c += a * b`` (contracted to FMA by the compiler).

Float sums of products are accumulated in blocks (see ``_BLOCK``): each work-item's sums run over
at most 64 k (16 iterations of the direct kernel's four sums, 64 steps of the packed kernel, four
16-k tiles of the local one) before they are added to a total -- double in the direct kernel where the
device has fp64, Kahan-compensated otherwise -- so the error grows with the block, not with K
(4x100000 @ 100000x2 of 0.1: 1.4e-4 off with one float sum per output, 5e-7 in blocks; OpenBLAS 7e-5).

Integers are computed in unsigned types (wrapping, as NumPy's integer matmul does, without C's
signed-overflow undefined behaviour) and truncated to their width. float16 goes through the direct kernel
with float accumulation. Nothing here waits for the device.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import pyopencl as cl

from ._core import CTYPE, CLArray, Runtime, Storage, contiguous_strides
from ._reduce import KAHAN_C

__all__ = ["kernels", "matmul"]

# Register block of the packed kernel: _TM rows x (_NV vectors of the dtype's natural width).
_TM, _NV = 6, 2
# Tiles of the local-memory kernel: a work-group of _LW x _LW items computes a _LT x _LT block of
# C, each item _LT/_LW x _LT/_LW outputs, staging _LK-deep slices of A and B in local memory.
_LT, _LW, _LK = 64, 16, 16
# Products of at most _MAX_DIRECT multiply-adds use the direct kernel: three launches (two packs
# and the compute) cost more than they save there.
_MAX_DIRECT = 16 ** 3
# Split k when there are fewer outputs than this and k is at least _SPLIT_K (a big dot product).
_SPLIT_OUTPUTS, _SPLIT_K, _PARTS = 64, 4096, 64

# Scalar type the direct and local kernels accumulate in. Integers wrap in an unsigned type at
# least as wide as int (a narrower one would be promoted to signed int, where products overflow).
_ACC = {"uint8": "uint", "int8": "uint", "int16": "uint", "int32": "uint", "int64": "ulong",
        "float16": "float", "float32": "float", "float64": "double"}
# Element type the pack kernels move (the bits of the dtype). The packed compute kernel also works
# in it for integers: OpenCL vector arithmetic is not promoted, so uchar16 sums wrap mod 256.
_BITS = {1: "uchar", 2: "ushort", 4: "uint", 8: "ulong"}
# Float accumulation is blocked: a per-thread sum of at most _BLOCK iterations of products (4 k each
# in the direct kernel, 1 k in the packed one, a 16-k tile in the local one) is folded into a total
# that is double (float products where the device has fp64, direct kernel) or Kahan-compensated, so
# the error grows with the block, not with K.
_BLOCK = 16
_TILE_BLOCK = 64    # k per block of the packed kernel (its fold: 3 ops on each of 12 vectors; 32 cost ~10%)
_FLOAT_VEC = {"float32": "float", "float64": "double"}


class _Dev:
    """Compiled kernels of one Runtime, keyed by (kernel, dtype, variant)."""

    __slots__ = ("rt", "kernels", "gpu_local")

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.kernels: dict[tuple, cl.Kernel] = {}
        d = rt.device
        # Dedicated on-chip local memory (GPUs): tiles staged there are worth it. PoCL on a CPU
        # reports GLOBAL (local memory is ordinary cached memory).
        self.gpu_local = bool(d.type & cl.device_type.GPU) and d.local_mem_type == cl.device_local_mem_type.LOCAL

    def kernel(self, key: tuple, build: Callable[[], tuple[str, str, list]]) -> cl.Kernel:
        k = self.kernels.get(key)
        if k is None:
            source, name, arg_types = build()
            k = self.rt.kernel(source, name)
            k.set_scalar_arg_dtypes(arg_types)
            self.kernels[key] = k
        return k


_DEVS: dict[int, _Dev] = {}


def _dev(rt: Runtime) -> _Dev:
    d = _DEVS.get(id(rt))
    if d is None or d.rt is not rt:
        d = _DEVS[id(rt)] = _Dev(rt)
    return d


def _longs(n: int) -> list:
    return [np.int64] * n


# --------------------------------------------------------------------------------------------------
# Kernel sources.
# --------------------------------------------------------------------------------------------------
def _fold_c(acc: str, wide: str) -> tuple[str, str, str]:
    """C of the accumulator a float block sum is folded into: (declaration, fold of ``x``, result). A
    double accumulator takes float blocks as they are; an accumulator of the block's own type is
    Kahan-compensated; integers (which wrap, exactly) add plainly."""
    if acc not in ("float", "double"):
        return f"{wide} tot = 0;", "tot += (x);", "tot"
    if wide != acc:
        return f"{wide} tot = 0;", f"tot += ({wide})(x);", "tot"
    return f"{acc} tot = 0, cmp = 0;", f"KSUM({acc}, tot, cmp, (x));", "(tot - cmp)"


def _direct_source(ctype: str, acc: str, wide: str, out: str) -> tuple[str, str, list]:
    """out[o*P + p] = sum over k in part p of A[b, i, k] * B[b, k, j], o = (b, i, j) flattened."""
    decl, fold, result = _fold_c(acc, wide)
    src = f"""{KAHAN_C}
#define FOLD(x) {{ {fold} }}
__kernel void mm_direct(__global const {ctype}* A, long a_off, long a_sb, long a_sm, long a_sk,
                        __global const {ctype}* B, long b_off, long b_sb, long b_sk, long b_sn,
                        __global {out}* C, long M, long N, long K, long P, long KP, long total) {{
    const long gid = get_global_id(0);
    if (gid >= total) return;
    const long p = gid % P, o = gid / P, j = o % N, r = o / N, i = r % M, b = r / M;
    const long k0 = p * KP, k1 = min(K, k0 + KP);
    __global const {ctype}* pa = A + a_off + b * a_sb + i * a_sm;
    __global const {ctype}* pb = B + b_off + b * b_sb + j * b_sn;
    {decl}
    long k = k0;
    while (k + 4 <= k1) {{
        // Four independent sums: one sum would wait on the add latency at every k. Each adds at most
        // {_BLOCK} products before the block is folded into the (wide or compensated) total.
        {acc} s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        const long kend = k + min((k1 - k) / 4, {_BLOCK}L) * 4;
        for (; k < kend; k += 4) {{
            s0 += ({acc})pa[k * a_sk] * ({acc})pb[k * b_sk];
            s1 += ({acc})pa[(k + 1) * a_sk] * ({acc})pb[(k + 1) * b_sk];
            s2 += ({acc})pa[(k + 2) * a_sk] * ({acc})pb[(k + 2) * b_sk];
            s3 += ({acc})pa[(k + 3) * a_sk] * ({acc})pb[(k + 3) * b_sk];
        }}
        FOLD((s0 + s1) + (s2 + s3));
    }}
    for (; k < k1; ++k) FOLD(({acc})pa[k * a_sk] * ({acc})pb[k * b_sk]);
    C[gid] = ({out}){result};
}}"""
    return src, "mm_direct", [None] + _longs(4) + [None] + _longs(4) + [None] + _longs(6)


def _sum_parts_source(ctype: str, wide: str) -> tuple[str, str, list]:
    decl, fold, result = _fold_c(wide, wide)
    src = f"""{KAHAN_C}
__kernel void mm_sum_parts(__global const {wide}* part, __global {ctype}* C, long P, long n) {{
    const long o = get_global_id(0);
    if (o >= n) return;
    {decl}
    for (long p = 0; p < P; ++p) {{ const {wide} x = part[o * P + p]; {fold} }}
    C[o] = ({ctype}){result};
}}"""
    return src, "mm_sum_parts", [None, None, np.int64, np.int64]


def _pack_source(bits: str, tile: int, unit_stride: bool) -> tuple[str, str, list]:
    """dst[b][t][k][0..tile) = src[b, t*tile + r, k] (0 past the edge): one panel row per item.

    The same kernel packs A (rows of A) and B (columns of B, passed with rows/cols swapped)."""
    st = "1" if unit_stride else "s_r"   # a literal 1 lets the compiler fuse the loads
    rows = "\n        ".join(f"d[{r}] = p[{r} * {st}];" for r in range(tile))
    edge = "\n        ".join(f"d[{r}] = {r} < n ? p[{r} * {st}] : 0;" for r in range(tile))
    src = f"""
__kernel void mm_pack(__global const {bits}* S, long s_off, long s_b, long s_r, long s_k,
                      __global {bits}* D, long R, long K, long T) {{
    const long k = get_global_id(0), t = get_global_id(1), b = get_global_id(2);
    if (k >= K) return;
    __global const {bits}* p = S + s_off + b * s_b + t * {tile} * {st} + k * s_k;
    __global {bits}* d = D + ((b * T + t) * K + k) * {tile};
    const long n = R - t * {tile};
    if (n >= {tile}) {{
        {rows}
    }} else {{
        {edge}
    }}
}}"""
    return src, "mm_pack", [None] + _longs(4) + [None] + _longs(3)


def _tile_source(bits: str, vw: int) -> tuple[str, str, list]:
    """The register-blocked compute kernel over packed panels (see the module docstring).

    ``bits`` is the type the arithmetic is done in: float, double, or an unsigned integer."""
    V = f"{bits}{vw}"
    tn = vw * _NV
    acc = [f"c{r}_{v}" for r in range(_TM) for v in range(_NV)]
    decl = " ".join(f"{V} {c} = ({V})(0);" for c in acc)
    loads = " ".join(f"const {V} b{v} = pb[{v}];" for v in range(_NV))
    fmas = "\n        ".join(
        f"{{ const {V} a = ({V})(pa[{r}]); " + " ".join(f"c{r}_{v} += a * b{v};" for v in range(_NV)) + " }"
        for r in range(_TM))
    comps = [f"s{e:x}" for e in range(vw)]
    full = "\n        ".join(
        f"if ({r} < rows) {{ __global {bits}* o = pc + {r} * N; "
        + " ".join(f"o[{v * vw + e}] = c{r}_{v}.{comps[e]};" for v in range(_NV) for e in range(vw)) + " }"
        for r in range(_TM))
    edge = "\n        ".join(
        f"if ({r} < rows) {{ __global {bits}* o = pc + {r} * N; "
        + " ".join(f"if ({v * vw + e} < cols) o[{v * vw + e}] = c{r}_{v}.{comps[e]};"
                   for v in range(_NV) for e in range(vw)) + " }"
        for r in range(_TM))
    plain = f"""for (long k = 0; k < K; ++k) {{
        {loads}
        {fmas}
        pa += {_TM}; pb += {_NV};
    }}"""
    if bits in ("float", "double"):
        # Blocks of _TILE_BLOCK k, each added to a total t; the rounding error of that addition starts
        # the next block's sum (Kahan's compensation, kept in the accumulator: no more live registers).
        # The fold is not guarded against inf (that costs ~7% here): a total that ends NaN, which an
        # inf or NaN product or an overflow makes, is recomputed by the plain loop, so non-finite
        # results are what uncompensated sums give.
        mask = f"{'int' if bits == 'float' else 'long'}{vw}"
        tdecl = " ".join(f"{V} t{c[1:]} = ({V})(0);" for c in acc)
        fold = "\n            ".join(f"{{ const {V} s = t{c[1:]} + {c}; {c} -= s - t{c[1:]}; t{c[1:]} = s; }}"
                                      for c in acc)
        nan = " | ".join(f"(t{c[1:]} != t{c[1:]})" for c in acc)
        loop = f"""__global const {bits}* const pa0 = pa;
    __global const {V}* const pb0 = pb;
    for (long k0 = 0; k0 < K; k0 += {_TILE_BLOCK}) {{
        const long k1 = min(K, k0 + {_TILE_BLOCK}L);
        for (long k = k0; k < k1; ++k) {{
            {loads}
            {fmas}
            pa += {_TM}; pb += {_NV};
        }}
        {fold}
    }}
    if (any(({mask})({nan}))) {{
        pa = pa0; pb = pb0;
        {" ".join(f"{c} = ({V})(0);" for c in acc)}
        {plain}
    }} else {{
        {" ".join(f"{c} = t{c[1:]};" for c in acc)}
    }}"""
    else:
        tdecl, loop = "", plain
    src = f"""{KAHAN_C}
__kernel void mm_tile(__global const {bits}* Ap, __global const {bits}* Bp, __global {bits}* C,
                      long M, long N, long K, long MT, long NT) {{
    const long jt = get_global_id(0), it = get_global_id(1), b = get_global_id(2);
    if (it >= MT) return;
    __global const {bits}* pa = Ap + (b * MT + it) * K * {_TM};
    __global const {V}* pb = (__global const {V}*)(Bp + (b * NT + jt) * K * {tn});
    {decl}
    {tdecl}
    {loop}
    const long rows = M - it * {_TM}, cols = N - jt * {tn};
    __global {bits}* pc = C + (b * M + it * {_TM}) * N + jt * {tn};
    if (cols >= {tn}) {{
        {full}
    }} else {{
        {edge}
    }}
}}"""
    return src, "mm_tile", [None, None, None] + _longs(5)


def _local_source(ctype: str, acc: str) -> tuple[str, str, list]:
    """Tiled kernel with local memory (for GPUs): see the module docstring."""
    w = _LT // _LW                                  # outputs per item along each side
    per = _LT * _LK // (_LW * _LW)                  # tile elements each item stages
    if acc in ("float", "double"):  # every _BLOCK // 4 tiles, fold c into Kahan-compensated totals
        tdecl, tinit = f", t[{w}][{w}], e[{w}][{w}]", " t[r][q] = e[r][q] = 0;"
        fold = f"""
        if ((k0 / {_LK}) % {_BLOCK // 4} == {_BLOCK // 4 - 1} || k0 + {_LK} >= K)
            for (int r = 0; r < {w}; ++r) for (int q = 0; q < {w}; ++q) {{
                KSUM({acc}, t[r][q], e[r][q], c[r][q]); c[r][q] = 0;
            }}"""
        result = "(t[r][q] - e[r][q])"
    else:
        tdecl = tinit = fold = ""
        result = "c[r][q]"
    src = f"""{KAHAN_C}
__kernel __attribute__((reqd_work_group_size({_LW}, {_LW}, 1)))
void mm_local(__global const {ctype}* A, long a_off, long a_sb, long a_sm, long a_sk,
              __global const {ctype}* B, long b_off, long b_sb, long b_sk, long b_sn,
              __global {ctype}* C, long M, long N, long K) {{
    __local {acc} ta[{_LK}][{_LT}];
    __local {acc} tb[{_LK}][{_LT}];
    const int tx = get_local_id(0), ty = get_local_id(1), lid = ty * {_LW} + tx;
    const long j0 = get_group_id(0) * {_LT}, i0 = get_group_id(1) * {_LT}, b = get_global_id(2);
    __global const {ctype}* pa = A + a_off + b * a_sb;
    __global const {ctype}* pb = B + b_off + b * b_sb;
    {acc} c[{w}][{w}]{tdecl};
    for (int r = 0; r < {w}; ++r) for (int q = 0; q < {w}; ++q) {{ c[r][q] = 0;{tinit} }}
    for (long k0 = 0; k0 < K; k0 += {_LK}) {{
        for (int e = 0; e < {per}; ++e) {{
            const int f = e * {_LW * _LW} + lid, kk = f % {_LK}, m = f / {_LK};
            const long i = i0 + m, k = k0 + kk;
            ta[kk][m] = (i < M && k < K) ? ({acc})pa[i * a_sm + k * a_sk] : 0;
        }}
        for (int e = 0; e < {per}; ++e) {{
            const int f = e * {_LW * _LW} + lid, n = f % {_LT}, kk = f / {_LT};
            const long j = j0 + n, k = k0 + kk;
            tb[kk][n] = (j < N && k < K) ? ({acc})pb[k * b_sk + j * b_sn] : 0;
        }}
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int kk = 0; kk < {_LK}; ++kk) {{
            {acc} av[{w}], bv[{w}];
            for (int r = 0; r < {w}; ++r) av[r] = ta[kk][ty + r * {_LW}];
            for (int q = 0; q < {w}; ++q) bv[q] = tb[kk][tx + q * {_LW}];
            for (int r = 0; r < {w}; ++r) for (int q = 0; q < {w}; ++q) c[r][q] += av[r] * bv[q];
        }}
        barrier(CLK_LOCAL_MEM_FENCE);{fold}
    }}
    for (int r = 0; r < {w}; ++r) {{
        const long i = i0 + ty + r * {_LW};
        if (i >= M) continue;
        for (int q = 0; q < {w}; ++q) {{
            const long j = j0 + tx + q * {_LW};
            if (j < N) C[(b * M + i) * N + j] = ({ctype}){result};
        }}
    }}
}}"""
    return src, "mm_local", [None] + _longs(4) + [None] + _longs(4) + [None] + _longs(3)


# --------------------------------------------------------------------------------------------------
# The kernel the core calls.
# --------------------------------------------------------------------------------------------------
def _as3d(x: CLArray, nd: int, vector_as: str) -> tuple[int, int, int, int, int, int]:
    """(batch, rows, cols, batch stride, row stride, col stride) of the ``nd``-D ``x`` seen as 3-D.

    A 1-D ``x`` is one row (``vector_as='row'``, the left operand) or one column (the right)."""
    if nd == 2:
        (r, c), (sr, sc) = x.shape, x.strides
        return 1, r, c, 0, sr, sc
    if nd == 1:
        (n,), (s,) = x.shape, x.strides
        return (1, 1, n, 0, 0, s) if vector_as == "row" else (1, n, 1, 0, s, 0)
    if nd == 3:
        (bt, r, c), (sb, sr, sc) = x.shape, x.strides
        return bt, r, c, sb, sr, sc
    raise ValueError(f"matmul: expected 1-D, 2-D or 3-D operands, got {nd}-D")


def matmul(a: CLArray, b: CLArray, path: str | None = None) -> CLArray:
    """NumPy's ``matmul`` of ``a`` and ``b`` (1-3 dims, same dtype) as a new contiguous array.

    ``path`` forces a kernel (``'direct'``, ``'packed'`` or ``'local'``; tests use it); by default
    it is chosen by size and device."""
    dtype = a.dtype
    if dtype is not b.dtype:
        raise TypeError(f"matmul: operands have different dtypes {dtype.name} and {b.dtype.name}")
    if dtype.name not in _ACC:
        raise TypeError(f"matmul: not implemented for dtype {dtype.name}")
    na, nb = len(a.shape), len(b.shape)
    ba, M, K, a_sb, a_sm, a_sk = _as3d(a, na, "row")
    bb, K2, N, b_sb, b_sk, b_sn = _as3d(b, nb, "col")
    if K != K2:
        raise ValueError(f"matmul: inner dimensions differ ({a.shape} and {b.shape})")
    bt = ba
    if ba != bb:
        if ba != 1 and bb != 1:
            raise ValueError(f"matmul: batch sizes differ ({a.shape} and {b.shape})")
        bt = max(ba, bb)
        if ba == 1:
            a_sb = 0
        else:
            b_sb = 0
    if na == 2 and nb == 2:
        shape: tuple = (M, N)
    elif na == 1:
        shape = () if nb == 1 else (N,) if nb == 2 else (bt, N)
    elif nb == 1:
        shape = (M,) if na == 2 else (bt, M)
    else:
        shape = (bt, M, N)
    rt, total = a.rt, bt * M * N
    out = CLArray(Storage(rt, total * dtype.itemsize), shape, contiguous_strides(shape), 0, dtype)
    if total == 0:
        return out
    if K == 0:
        cl.enqueue_fill_buffer(rt.queue, out.buffer, np.zeros(1, np.uint8), 0, total * dtype.itemsize)
        return out
    dev = _DEVS.get(id(rt))
    if dev is None or dev.rt is not rt:
        dev = _dev(rt)
    A, B = (a.buffer, a.offset, a_sb, a_sm, a_sk), (b.buffer, b.offset, b_sb, b_sk, b_sn)
    if path is None:
        # Tiny products are launch-bound, vector products memory-bound: one launch of the direct
        # kernel beats packing there (measured: 16^3 and below, or a side of 1).
        if total * K <= _MAX_DIRECT or M == 1 or N == 1:
            path = "direct"
        else:
            path = "local" if dev.gpu_local else "packed"
    if path == "packed" and dtype.name == "float16":
        path = "direct"             # the packed kernel has no half arithmetic (float accumulation)
    if path == "direct":
        _direct(dev, A, B, out, bt, M, N, K)
    elif path == "packed":
        _packed(dev, A, B, out, bt, M, N, K)
    else:
        _local(dev, A, B, out, bt, M, N, K)
    return out


def _direct(dev: _Dev, A: tuple, B: tuple, out: CLArray, bt: int, M: int, N: int, K: int) -> None:
    rt, name = dev.rt, out.dtype.name
    ctype, acc = CTYPE[name], _ACC[name]
    wide = "double" if acc == "float" and rt.fp64 else acc
    total = bt * M * N
    parts = _PARTS if total < _SPLIT_OUTPUTS and K >= _SPLIT_K else 1
    kp = -(-K // parts)
    n = total * parts
    gs = (-(-n // 64) * 64,)
    if parts == 1:
        k = dev.kernel(("direct", name), lambda: _direct_source(ctype, acc, wide, ctype))
        rt.enqueue(k, gs, None, (*A, *B, out.buffer, M, N, K, 1, kp, n))
        return
    part = Storage(rt, n * (8 if wide in ("ulong", "double") else 4))
    k = dev.kernel(("direct-part", name), lambda: _direct_source(ctype, acc, wide, wide))
    rt.enqueue(k, gs, None, (*A, *B, part.buffer, M, N, K, parts, kp, n))
    s = dev.kernel(("sum-parts", name), lambda: _sum_parts_source(ctype, wide))
    rt.enqueue(s, (-(-total // 64) * 64,), None, (part.buffer, out.buffer, parts, total))


def _packed(dev: _Dev, A: tuple, B: tuple, out: CLArray, bt: int, M: int, N: int, K: int) -> None:
    rt, size = dev.rt, out.dtype.itemsize
    bits = _BITS[size]
    vw = min(16, 32 // size)
    tn = vw * _NV
    mt, nt = -(-M // _TM), -(-N // tn)
    ap = Storage(rt, bt * mt * K * _TM * size)
    bp = Storage(rt, bt * nt * K * tn * size)
    a_buf, a_off, a_sb, a_sm, a_sk = A
    b_buf, b_off, b_sb, b_sk, b_sn = B
    # Pack A's rows (stride a_sm between the rows of a tile) and B's columns (stride b_sn).
    ka = dev.kernel(("pack", bits, _TM, a_sm == 1), lambda: _pack_source(bits, _TM, a_sm == 1))
    rt.enqueue(ka, (K, mt, bt), None, (a_buf, a_off, a_sb, a_sm, a_sk, ap.buffer, M, K, mt))
    kb = dev.kernel(("pack", bits, tn, b_sn == 1), lambda: _pack_source(bits, tn, b_sn == 1))
    rt.enqueue(kb, (K, nt, bt), None, (b_buf, b_off, b_sb, b_sn, b_sk, bp.buffer, N, K, nt))
    arith = _FLOAT_VEC.get(out.dtype.name, bits)
    kt = dev.kernel(("tile", arith, vw), lambda: _tile_source(arith, vw))
    # Groups of 8 row tiles share one B panel (kept in cache while they run on one core).
    group = 8
    rt.enqueue(kt, (nt, -(-mt // group) * group, bt), (1, group, 1),
               (ap.buffer, bp.buffer, out.buffer, M, N, K, mt, nt))


def _local(dev: _Dev, A: tuple, B: tuple, out: CLArray, bt: int, M: int, N: int, K: int) -> None:
    name = out.dtype.name
    k = dev.kernel(("local", name), lambda: _local_source(CTYPE[name], _ACC[name]))
    gs = (-(-N // _LT) * _LW, -(-M // _LT) * _LW, bt)
    dev.rt.enqueue(k, gs, (_LW, _LW, 1), (*A, *B, out.buffer, M, N, K))


def kernels() -> dict[str, Callable]:
    return {"matmul": matmul}
