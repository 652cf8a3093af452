"""Random numbers of plugtensor-opencl: Philox4x32-10 generated on the device.

The stream is the one :mod:`plugtensor.backend._philox` defines (same key from the seed, counter =
word index // 4, same transforms), so bits, uniforms and integers equal the NumPy reference bit for
bit and normals agree to float rounding. Each work-item produces the 4 consecutive stream words
``offset + 4g .. offset + 4g + 3`` (one Philox block, or two when ``offset`` is not a multiple of 4)
and the ``4 / W`` values that read them (W = words per value: 1, 2 or 4), so no block is computed
more than twice and nothing goes through the host.
"""
from __future__ import annotations

import math

import numpy as np
import pyopencl as cl

from plugtensor.backend import dtypes as D
from plugtensor.backend import philox as P

from ._core import CTYPE, UINT32, CLArray, Runtime, Storage, contiguous_strides
from ._elementwise import _calc, _conv, _dev, _get_kernel, _helpers

__all__ = ["random_bits", "random"]

_MASK = 0xFFFFFFFF
_PHILOX = f"""
inline void _philox(ulong b, uint k0, uint k1, uint* w) {{
    uint x0 = (uint)b, x1 = (uint)(b >> 32), x2 = 0, x3 = 0;
    for (int r = 0; r < 10; ++r) {{
        if (r) {{ k0 += {P.PHILOX_W0:#x}u; k1 += {P.PHILOX_W1:#x}u; }}
        uint hi0 = mul_hi(x0, {P.PHILOX_M0:#x}u), lo0 = x0 * {P.PHILOX_M0:#x}u;
        uint hi1 = mul_hi(x2, {P.PHILOX_M1:#x}u), lo1 = x2 * {P.PHILOX_M1:#x}u;
        x0 = hi1 ^ x1 ^ k0; x1 = lo1; x2 = hi0 ^ x3 ^ k1; x3 = lo0;
    }}
    w[0] = x0; w[1] = x1; w[2] = x2; w[3] = x3;
}}
"""
# float32(2 * pi) written exactly, so the device multiplies by the same constant as the reference.
_TWO_PI_F = repr(float(np.float32(2 * np.pi))) + "f"


def _value(kind: str, dtype, words: list[str]) -> tuple[str, object]:
    """(C expression of one value from its words, dtype of that expression)."""
    if kind == "bits":
        return words[0], UINT32
    if kind == "uniform":
        if dtype is D.float16:
            return f"((float)({words[0]} >> 21) * 0x1p-11f)", D.float32
        if dtype is D.float32:
            return f"((float)({words[0]} >> 8) * 0x1p-24f)", D.float32
        return f"((double)(((ulong)({words[0]} >> 5) << 26) | (ulong)({words[1]} >> 6)) * 0x1p-53)", D.float64
    if kind == "normal":
        if dtype is D.float64:
            u1 = f"(1.0 - {_value('uniform', D.float64, words[:2])[0]})"
            u2 = _value("uniform", D.float64, words[2:])[0]
            return f"(sqrt(-2.0 * log({u1})) * cos({repr(2 * math.pi)} * {u2}))", D.float64
        u1 = f"(1.0f - {_value('uniform', D.float32, words[:1])[0]})"
        u2 = _value("uniform", D.float32, words[1:])[0]
        return f"(sqrt(-2.0f * log({u1})) * cos({_TWO_PI_F} * {u2}))", D.float32
    # randint: r = word(s) mod span (span == 0 stands for 2**64), then low + r in two's complement
    if len(words) == 1:
        r = f"((ulong){words[0]} % span)"
    else:
        r = f"(span ? ((((ulong){words[0]}) << 32) | (ulong){words[1]}) % span : ((((ulong){words[0]}) << 32) | " \
            f"(ulong){words[1]}))"
    return f"(long)((ulong)low + {r})", D.int64


def _launch(rt: Runtime, kind: str, dtype, out_dtype, shape: tuple, seed: int, offset: int, w: int,
            extra: tuple = ()) -> CLArray:
    n = 1
    for s in shape:
        n *= s
    out = CLArray(Storage(rt, n * out_dtype.itemsize), shape, contiguous_strides(shape), 0, out_dtype)
    if n == 0:
        return out
    dev = _dev(rt)
    v = 4 // w  # values per work-item
    key = ("philox", kind, dtype, out_dtype, w)

    def build():
        lines = [_helpers(dev.fp64), _PHILOX,
                 f"__kernel void k(__global {CTYPE[out_dtype.name]}* o, long n, ulong base, uint s, uint k0, "
                 f"uint k1, ulong span, long low) {{",
                 "    long g = get_global_id(0);",
                 f"    long i = g * {v};",
                 "    if (i >= n) return;",
                 "    uint w[8];",
                 "    _philox(base + (ulong)g, k0, k1, w);",
                 "    if (s) _philox(base + (ulong)g + 1, k0, k1, w + 4);"]
        for j in range(v):
            words = [f"w[s + {j * w + q}]" for q in range(w)]
            expr, edt = _value(kind, dtype, words)
            store = expr if edt is UINT32 else _conv(expr, _calc(edt), out_dtype)
            guard = "" if j == 0 else f"if (i + {j} < n) "
            lines.append(f"    {guard}o[i + {j}] = {store};")
        lines.append("}")
        return "\n".join(lines) + "\n", [None, np.int64, np.uint64, np.uint32, np.uint32, np.uint32, np.uint64,
                                         np.int64]

    k = _get_kernel(dev, key, build)
    s = seed % (1 << 64)
    span, low = extra if extra else (0, 0)
    groups = -(-n // v)
    k.set_args(out.storage.buffer, n, (offset // 4) % (1 << 64), offset % 4, s & _MASK, s >> 32, span, low)
    gs = groups if dev.cpu else -(-groups // 64) * 64
    cl.enqueue_nd_range_kernel(dev.queue, k, (gs,), None)
    return out


def random_bits(rt: Runtime, seed: int, offset: int, n: int) -> CLArray:
    """Words ``offset .. offset+n-1`` of the Philox4x32-10 stream of ``seed`` as a flat uint32 array."""
    if offset < 0 or n < 0:
        raise ValueError("random_bits: offset and n must be non-negative")
    return _launch(rt, "bits", UINT32, UINT32, (n,), seed, offset, 1)


def random(rt: Runtime, kind: str, shape, dtype, seed: int, offset: int, **params) -> tuple[CLArray, int]:
    """Values of ``kind`` ('uniform', 'normal', 'randint' with ``low``/``high``) of ``shape`` and
    ``dtype`` from the stream at word ``offset``; returns (array, words used)."""
    shape = tuple(int(s) for s in shape)
    n = 1
    for s in shape:
        n *= s
    if offset < 0:
        raise ValueError("random: offset must be non-negative")
    if kind in ("uniform", "normal"):
        if dtype.kind != D.FLOAT:
            raise TypeError(f"{kind}: unsupported dtype {dtype.name}")
        w = P.words_per_value(kind, np.dtype(dtype.name))
        return _launch(rt, kind, dtype, dtype, shape, seed, offset, w), n * w
    if kind == "randint":
        low, high = int(params["low"]), int(params["high"])
        span = high - low
        if span < 1 or low < -(1 << 63) or high > 1 << 63:
            raise ValueError("randint needs low < high within the int64 range")
        w = P.words_per_value("randint", None, span=span)
        return _launch(rt, kind, D.int64, dtype, shape, seed, offset, w, (span % (1 << 64), low)), n * w
    raise ValueError(f"random: unknown kind {kind!r}")
