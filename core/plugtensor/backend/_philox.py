"""Reference definition of plugtensor's random stream (Philox4x32-10) and its transforms.

Every backend must reproduce these definitions: bits, uniforms and integers bit for bit,
normals within float tolerance. All functions take an array module ``xp`` (numpy, cupy, ...)
and use only elementwise uint32/uint64 array operations, so they run unchanged on any of them.

Philox4x32-10 (Salmon et al., SC'11; matches the Random123 known-answer vectors)
    Counter ``(x0, x1, x2, x3)`` and key ``(k0, k1)`` are uint32.  One round::

        p0 = x0 * M0 (64-bit product)    p1 = x2 * M1
        (x0, x1, x2, x3) <- (hi(p1) ^ x1 ^ k0,  lo(p1),  hi(p0) ^ x3 ^ k1,  lo(p0))

    with M0 = 0xD2511F53, M1 = 0xCD9E8D57, hi/lo the upper/lower 32 bits.  Ten rounds; between
    consecutive rounds (9 times) the key is bumped: k0 += 0x9E3779B9, k1 += 0xBB67AE85 (mod 2**32).

The stream for ``seed``
    s = seed mod 2**64 (negative seeds wrap, as in torch); key = (s & 0xFFFFFFFF, s >> 32).
    Word j (j = 0, 1, 2, ...) of the stream is word ``j % 4`` of
    ``philox4x32_10(counter=(b & 0xFFFFFFFF, b >> 32, 0, 0), key)`` with ``b = j // 4`` (mod 2**64).
    ``random_bits(seed, offset, n)`` returns words offset .. offset+n-1 (any offset >= 0).

Transforms; value i of a draw reads words ``w[W*i : W*(i+1)]`` with W = ``words_per_value``
    uniform float32:  (w0 >> 8) * 2**-24, in [0, 1 - 2**-24]; exact.                W = 1
    uniform float16:  (w0 >> 21) * 2**-11, in [0, 1 - 2**-11]; exact in float16 (11
                      significant bits, as torch does for half), so never rounds to 1. W = 1
    uniform float64:  ((w0 >> 5) * 2**26 + (w1 >> 6)) * 2**-53, in [0, 1 - 2**-53].  W = 2
    normal (Box-Muller, cosine branch only, so each value owns its words):
        u1 = 1 - U(first half), u2 = U(second half), where U is the uniform above at float32
        precision for float16/float32 (W = 2) and float64 precision for float64 (W = 4);
        u1 is in (0, 1] so log never sees 0.  z = sqrt(-2 * ln(u1)) * cos(2 * pi * u2),
        computed in float32 (float16: then rounded) or float64.
    randint in [low, high), span = high - low with 1 <= span <= 2**64 (int64 range):
        span <= 2**32: r = w0 mod span                                            W = 1
        span >  2**32: r = (w0 * 2**32 + w1) mod 2**64 mod span                      W = 2
        value = low + r (exact integer; then cast to dtype).  Modulo bias: a value's
        probability is off by at most span / 2**32 (resp. span / 2**64) relative; zero when
        span is a power of two.
"""
from __future__ import annotations

from typing import Any

import numpy  # used for dtype constants only

PHILOX_M0 = 0xD2511F53
PHILOX_M1 = 0xCD9E8D57
PHILOX_W0 = 0x9E3779B9
PHILOX_W1 = 0xBB67AE85
_MASK = 0xFFFFFFFF
_ROUNDS = 10
_CHUNK = 1 << 15  # counters per block on CPU: keeps the working set in cache


def _rounds(xp: Any, x0: Any, x1: Any, x2: Any, x3: Any, k0: int, k1: int) -> Any:
    """Apply the 10 rounds to uint64 lanes holding 32-bit values; return uint32 (n, 4)."""
    for r in range(_ROUNDS):
        if r:
            k0, k1 = (k0 + PHILOX_W0) & _MASK, (k1 + PHILOX_W1) & _MASK
        p0 = x0 * PHILOX_M0
        p1 = x2 * PHILOX_M1
        x0 = p1 >> 32
        x0 ^= x1
        x0 ^= k0
        x2 = p0 >> 32
        x2 ^= x3
        x2 ^= k1
        p1 &= _MASK
        p0 &= _MASK
        x1, x3 = p1, p0
    return xp.stack([x0, x1, x2, x3], axis=1).astype(xp.uint32)


def philox4x32_10(xp: Any, counters: Any, key: tuple[int, int]) -> Any:
    """Philox4x32-10 of a uint32 ``(n, 4)`` counter array under ``key``; returns uint32 (n, 4)."""
    c = counters.astype(xp.uint64)
    return _rounds(xp, c[:, 0], c[:, 1], c[:, 2], c[:, 3], key[0] & _MASK, key[1] & _MASK)


def random_bits(xp: Any, seed: int, offset: int, n: int) -> Any:
    """Words ``offset .. offset+n-1`` of the stream for ``seed`` as a uint32 ``(n,)`` array."""
    if offset < 0 or n < 0:
        raise ValueError("offset and n must be non-negative")
    s = seed % (1 << 64)
    k0, k1 = s & _MASK, s >> 32
    if n == 0:
        return xp.zeros((0,), dtype=xp.uint32)
    first, last = offset // 4, (offset + n - 1) // 4
    nblocks = last - first + 1
    chunk = _CHUNK if getattr(xp, "__name__", "") == "numpy" else nblocks
    parts = []
    for start in range(0, nblocks, chunk):
        m = min(chunk, nblocks - start)
        b = xp.arange(m, dtype=xp.uint64)
        b += (first + start) % (1 << 64)  # wraps mod 2**64 like the counter
        zero = xp.zeros((m,), dtype=xp.uint64)
        parts.append(_rounds(xp, b & _MASK, b >> 32, zero, zero, k0, k1).reshape(-1))
    words = parts[0] if len(parts) == 1 else xp.concat(parts) if hasattr(xp, "concat") \
        else xp.concatenate(parts)
    skip = offset - 4 * first
    return words[skip:skip + n]


def words_per_value(kind: str, np_dtype: Any, span: int | None = None) -> int:
    """32-bit words one value of ``kind`` ('bits', 'uniform', 'normal', 'randint') consumes.

    For 'randint' the count depends on the range, so ``span = high - low`` is required.
    """
    wide = numpy.dtype(np_dtype) == numpy.float64
    if kind == "bits":
        return 1
    if kind == "uniform":
        return 2 if wide else 1
    if kind == "normal":
        return 4 if wide else 2
    if kind == "randint":
        if span is None:
            raise TypeError("words_per_value('randint', ...) needs span=high-low")
        return 1 if span <= 1 << 32 else 2
    raise ValueError(f"unknown kind {kind!r}")


def _unit(xp: Any, bits: Any, wide: bool) -> Any:
    """Uniform [0, 1): float32 from 1 word each, or float64 from 2 words each (see docstring)."""
    if not wide:
        return (bits >> 8).astype(xp.float32) * numpy.float32(2.0**-24)
    w = bits.reshape(-1, 2).astype(xp.uint64)
    k = (w[:, 0] >> 5) << 26
    k |= w[:, 1] >> 6
    return k.astype(xp.float64) * (2.0**-53)


def uniform(xp: Any, bits: Any, dtype: Any) -> Any:
    """Uniform floats in [0, 1) of numpy ``dtype`` (float16/32/64) from uint32 ``bits``."""
    dt = numpy.dtype(dtype)
    if dt == numpy.float16:
        return ((bits >> 21).astype(xp.float32) * numpy.float32(2.0**-11)).astype(dt)
    if dt not in (numpy.float32, numpy.float64):
        raise TypeError(f"uniform: unsupported dtype {dt}")
    return _unit(xp, bits, dt == numpy.float64)


def normal(xp: Any, bits: Any, dtype: Any) -> Any:
    """Standard normals (Box-Muller, cosine branch) of numpy ``dtype``; see module docstring."""
    dt = numpy.dtype(dtype)
    if dt not in (numpy.float16, numpy.float32, numpy.float64):
        raise TypeError(f"normal: unsupported dtype {dt}")
    wide = dt == numpy.float64
    half = 2 if wide else 1
    pairs = bits.reshape(-1, 2 * half)
    one = 1.0 if wide else numpy.float32(1.0)
    u1 = one - _unit(xp, pairs[:, :half].reshape(-1), wide)
    u2 = _unit(xp, pairs[:, half:].reshape(-1), wide)
    two_pi = 2.0 * numpy.pi if wide else numpy.float32(2.0 * numpy.pi)
    m2 = -2.0 if wide else numpy.float32(-2.0)
    z = xp.sqrt(m2 * xp.log(u1)) * xp.cos(two_pi * u2)
    return z.astype(dt)


def randint(xp: Any, bits: Any, low: int, high: int, dtype: Any) -> Any:
    """Integers uniform in [low, high) (modulo bias, see docstring) as numpy ``dtype``."""
    span = high - low
    if span < 1 or low < -(1 << 63) or high > 1 << 63:
        raise ValueError("randint needs low < high within the int64 range")
    if words_per_value("randint", dtype, span) == 1:
        r = bits.astype(xp.uint64)
    else:
        w = bits.reshape(-1, 2).astype(xp.uint64)
        r = w[:, 0] << 32
        r |= w[:, 1]
    if span < 1 << 64:
        r = r % span
    r += low % (1 << 64)  # two's-complement add: wraps to the exact int64 result
    return r.astype(xp.int64).astype(numpy.dtype(dtype))
