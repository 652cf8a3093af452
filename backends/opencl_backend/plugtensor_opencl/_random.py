"""Random numbers of plugtensor-opencl: Philox4x32-10 generated on the device.

The stream is the one :mod:`plugtensor.backend._philox` defines (same key from the seed, counter =
word index // 4, same transforms), so bits, uniforms and integers equal the NumPy reference bit for
bit and normals agree to float rounding. Nothing goes through the host.

Work-item g produces the 32 consecutive stream words ``offset + 32g .. offset + 32g + 31``: 8 Philox
blocks computed at once in ``uint8`` vectors (one more, scalar, when ``offset`` is not a multiple of
4), then the ``32 / W`` values that read them (W = words per value: 1, 2 or 4), 8 at a time in
vectors for the float transforms. ``offset % 4`` is compiled in, so every word is a named register.
"""
from __future__ import annotations

import math

import numpy as np

from plugtensor.backend import dtypes as D
from plugtensor.backend import philox as P

from ._core import CTYPE, UINT32, CLArray, Runtime, Storage, contiguous_strides
from ._elementwise import _calc, _conv, _dev, _get_kernel, _helpers

__all__ = ["random_bits", "random"]

_MASK = 0xFFFFFFFF
_LANES = 8  # Philox blocks per work-item, computed as the lanes of uint8 vectors
_WORDS = 4 * _LANES  # stream words per work-item


def _philox_source(vec: str) -> str:
    """Philox4x32-10 of counter (lo, hi, 0, 0) under (k0, k1), on ``uint`` or ``uint8`` lanes."""
    t = "uint" + vec
    return f"""
inline void _philox{vec}({t} x0, {t} x1, uint k0, uint k1, {t}* w0, {t}* w1, {t}* w2, {t}* w3) {{
    {t} x2 = 0, x3 = 0;
    for (int r = 0; r < 10; ++r) {{
        if (r) {{ k0 += {P.PHILOX_W0:#x}u; k1 += {P.PHILOX_W1:#x}u; }}
        {t} hi0 = mul_hi(x0, ({t}){P.PHILOX_M0:#x}u), lo0 = x0 * ({t}){P.PHILOX_M0:#x}u;
        {t} hi1 = mul_hi(x2, ({t}){P.PHILOX_M1:#x}u), lo1 = x2 * ({t}){P.PHILOX_M1:#x}u;
        x0 = hi1 ^ x1 ^ ({t})k0; x1 = lo1; x2 = hi0 ^ x3 ^ ({t})k1; x3 = lo0;
    }}
    *w0 = x0; *w1 = x1; *w2 = x2; *w3 = x3;
}}
"""


# float32(2 * pi) written exactly, so the device multiplies by the same constant as the reference.
_TWO_PI_F = repr(float(np.float32(2 * np.pi))) + "f"
_TWO_PI_D = repr(2 * math.pi)


def _value(kind: str, dtype, words: list[str], vec: str = "") -> tuple[str, object]:
    """(C expression of one value -- or of ``vec`` values, on vectors of at most 256 bits -- from its
    words, and its dtype)."""
    f, d, ul = ("convert_float" + vec, "convert_double" + vec, "convert_ulong" + vec) if vec else \
        ("(float)", "(double)", "(ulong)")
    if kind == "bits":
        return words[0], UINT32
    if kind == "uniform":
        if dtype is D.float16:
            return f"({f}({words[0]} >> 21) * 0x1p-11f)", D.float32
        if dtype is D.float32:
            return f"({f}({words[0]} >> 8) * 0x1p-24f)", D.float32
        return f"({d}(({ul}({words[0]} >> 5) << 26) | {ul}({words[1]} >> 6)) * 0x1p-53)", D.float64
    if kind == "normal":
        if dtype is D.float64:
            u1 = f"(1.0 - {_value('uniform', D.float64, words[:2], vec)[0]})"
            u2 = _value("uniform", D.float64, words[2:], vec)[0]
            return f"(sqrt(-2.0 * log({u1})) * cos({_TWO_PI_D} * {u2}))", D.float64
        u1 = f"(1.0f - {_value('uniform', D.float32, words[:1], vec)[0]})"
        u2 = _value("uniform", D.float32, words[1:], vec)[0]
        return f"(sqrt(-2.0f * log({u1})) * cos({_TWO_PI_F} * {u2}))", D.float32
    # randint: r = word(s) mod span (span == 0 stands for 2**64), then low + r in two's complement
    if len(words) == 1:
        r = f"((ulong){words[0]} % span)"
    else:
        both = f"((((ulong){words[0]}) << 32) | (ulong){words[1]})"
        r = f"(span ? {both} % span : {both})"
    return f"(long)((ulong)low + {r})", D.int64


def _source(dev, kind: str, dtype, out_dtype, w: int, skip: int) -> str:
    """The kernel of one (kind, dtype, words per value, offset % 4)."""
    v = _WORDS // w  # values per work-item
    lines = [_helpers(dev.fp64), _philox_source(""), _philox_source("8"),
             f"__kernel void k(__global {CTYPE[out_dtype.name]}* o, long n, ulong base, uint k0, uint k1, "
             f"ulong span, long low) {{",
             "    long g = get_global_id(0);",
             f"    long i = g * {v};",
             "    if (i >= n) return;",
             # counters b + 0..7 as (lo, hi) uint8 lanes; no 64-bit vectors (512-bit ones break PoCL's ABI)
             f"    ulong b = base + (ulong)g * {_LANES};",
             "    uint8 lo = (uint8)((uint)b) + (uint8)(0, 1, 2, 3, 4, 5, 6, 7);",
             "    uint8 hi = (uint8)((uint)(b >> 32)) - as_uint8(lo < (uint8)((uint)b));",
             "    uint8 x0, x1, x2, x3;",
             "    _philox8(lo, hi, k0, k1, &x0, &x1, &x2, &x3);"]
    if skip:
        lines += [f"    ulong c = base + (ulong)g * {_LANES} + {_LANES};", "    uint y0, y1, y2, y3;",
                  "    _philox((uint)c, (uint)(c >> 32), k0, k1, &y0, &y1, &y2, &y3);"]

    def word(k: int) -> str:  # word k of this work-item's 32
        block, lane = divmod(skip + k, 4)
        return f"x{lane}.s{block}" if block < _LANES else f"y{lane}"

    vector = kind in ("bits", "uniform", "normal") and out_dtype is not D.float16 and dtype is not D.float16
    m = 32 // out_dtype.itemsize if vector else 8  # values per vector: 256 bits (float8, double4)
    for grp in range(0, v, m):
        if vector:
            words = [f"(uint{m})({', '.join(word((grp + j) * w + q) for j in range(m))})" for q in range(w)]
            expr, _ = _value(kind, dtype, words, str(m))
            lines += [f"    {{ {CTYPE[out_dtype.name]}{m} r = {expr};",
                      f"      if (i + {grp + m} <= n) vstore{m}(r, 0, o + i + {grp}); else {{"]
            lines += [f"        if (i + {grp + j} < n) o[i + {grp + j}] = r.s{j};" for j in range(m)]
            lines.append("    } }")
        else:
            for j in range(grp, grp + m):
                expr, edt = _value(kind, dtype, [word(j * w + q) for q in range(w)])
                store = expr if edt is UINT32 else _conv(expr, _calc(edt), out_dtype)
                lines.append(f"    if (i + {j} < n) o[i + {j}] = {store};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _launch(rt: Runtime, kind: str, dtype, out_dtype, shape: tuple, seed: int, offset: int, w: int,
            extra: tuple = ()) -> CLArray:
    n = 1
    for s in shape:
        n *= s
    out = CLArray(Storage(rt, n * out_dtype.itemsize), shape, contiguous_strides(shape), 0, out_dtype)
    if n == 0:
        return out
    dev = _dev(rt)
    skip = offset % 4
    key = ("philox", kind, dtype, out_dtype, w, skip)
    k = _get_kernel(dev, key, lambda: (_source(dev, kind, dtype, out_dtype, w, skip),
                                       [None, np.int64, np.uint64, np.uint32, np.uint32, np.uint64, np.int64]))
    s = seed % (1 << 64)
    span, low = extra if extra else (0, 0)
    groups = -(-n // (_WORDS // w))
    rt.enqueue(k, (groups if dev.cpu else -(-groups // 64) * 64,), None,
               (out.storage.buffer, n, (offset // 4) % (1 << 64), s & _MASK, s >> 32, span, low))
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
