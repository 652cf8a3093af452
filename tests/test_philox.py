"""Tests for the reference random stream (core/plugtensor/backend/_philox.py)."""
from __future__ import annotations

import importlib.util
import math
import pathlib
import time
from statistics import NormalDist
from types import ModuleType

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st


def _load() -> ModuleType:
    path = pathlib.Path(__file__).parents[1] / "core/plugtensor/backend/_philox.py"
    spec = importlib.util.spec_from_file_location("_plugtensor_philox", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


P = _load()
N = 1_000_000

# Random123 tests/kat_vectors: counter (4 words), key (2 words), expected output (4 words).
KAT = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
]


@pytest.mark.parametrize("ctr,key,want", KAT)
def test_known_answers(ctr: tuple, key: tuple, want: tuple) -> None:
    out = P.philox4x32_10(np, np.array([ctr, ctr], dtype=np.uint32), key)
    assert out.dtype == np.uint32 and out.shape == (2, 4)
    assert out.tolist() == [list(want)] * 2


def test_constants() -> None:
    assert (P.PHILOX_M0, P.PHILOX_M1) == (0xD2511F53, 0xCD9E8D57)
    assert (P.PHILOX_W0, P.PHILOX_W1) == (0x9E3779B9, 0xBB67AE85)


def test_stream_definition_and_counter_carry() -> None:
    seed = 0x0123456789ABCDEF
    key = (seed & 0xFFFFFFFF, seed >> 32)
    start = 4 * (2**32 - 2) + 3  # crosses the low/high counter-word boundary
    blocks = [2**32 - 2, 2**32 - 1, 2**32, 2**32 + 1]
    ctr = np.array([[b & 0xFFFFFFFF, b >> 32, 0, 0] for b in blocks], dtype=np.uint32)
    want = P.philox4x32_10(np, ctr, key).reshape(-1)[3:3 + 10]
    np.testing.assert_array_equal(P.random_bits(np, seed, start, 10), want)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 300), st.integers(0, 200), st.integers(-(2**70), 2**70))
def test_offset_equals_slice(offset: int, n: int, seed: int) -> None:
    full = P.random_bits(np, seed, 0, 600)
    got = P.random_bits(np, seed, offset, n)
    assert got.dtype == np.uint32 and got.shape == (n,)
    np.testing.assert_array_equal(got, full[offset:offset + n])


def test_offset_slice_across_chunks() -> None:
    full = P.random_bits(np, 7, 0, 4 * P._CHUNK * 3)
    off = 4 * P._CHUNK - 5
    np.testing.assert_array_equal(P.random_bits(np, 7, off, 4 * P._CHUNK + 11),
                                  full[off:off + 4 * P._CHUNK + 11])


def test_determinism_and_seeds() -> None:
    a = P.random_bits(np, 42, 10, 1000)
    np.testing.assert_array_equal(a, P.random_bits(np, 42, 10, 1000))
    assert (a != P.random_bits(np, 43, 10, 1000)).mean() > 0.99
    np.testing.assert_array_equal(P.random_bits(np, -1, 0, 64), P.random_bits(np, 2**64 - 1, 0, 64))
    np.testing.assert_array_equal(P.random_bits(np, 5 + 2**64, 0, 64), P.random_bits(np, 5, 0, 64))
    assert P.random_bits(np, 1, 3, 0).shape == (0,)


def test_words_per_value() -> None:
    assert P.words_per_value("uniform", np.float32) == 1
    assert P.words_per_value("uniform", np.float16) == 1
    assert P.words_per_value("uniform", np.float64) == 2
    assert P.words_per_value("normal", np.float32) == 2
    assert P.words_per_value("normal", np.float64) == 4
    assert P.words_per_value("randint", np.int64, span=2**32) == 1
    assert P.words_per_value("randint", np.int64, span=2**32 + 1) == 2
    with pytest.raises(TypeError):
        P.words_per_value("randint", np.int64)


def test_uniform_exact_formulas() -> None:
    bits = P.random_bits(np, 3, 0, 64)
    b = [int(x) for x in bits]
    assert P.uniform(np, bits, np.float32).tolist() == [(x >> 8) * 2.0**-24 for x in b]
    assert P.uniform(np, bits, np.float16).tolist() == [(x >> 21) * 2.0**-11 for x in b]
    want64 = [((b[2 * i] >> 5) * 2**26 + (b[2 * i + 1] >> 6)) * 2.0**-53 for i in range(32)]
    assert P.uniform(np, bits, np.float64).tolist() == want64
    edge = np.array([0, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF], dtype=np.uint32)
    assert P.uniform(np, edge, np.float32).max() == 1 - 2.0**-24
    assert P.uniform(np, edge, np.float16).max() == 1 - 2.0**-11
    assert P.uniform(np, edge, np.float64).max() == 1 - 2.0**-53


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_uniform_moments(dtype: type) -> None:
    w = P.words_per_value("uniform", dtype)
    u = P.uniform(np, P.random_bits(np, 11, 0, w * N), dtype)
    assert u.dtype == dtype and u.shape == (N,)
    assert u.min() >= 0 and u.max() < 1
    u = u.astype(np.float64)
    assert abs(u.mean() - 0.5) < 5 * math.sqrt(1 / 12 / N)
    assert abs(u.var() - 1 / 12) < 5 * math.sqrt((1 / 80 - 1 / 144) / N)


def test_normal_formula_and_layout() -> None:
    bits = P.random_bits(np, 9, 0, 40)
    b = [int(x) for x in bits]
    z = P.normal(np, bits, np.float32)
    assert z.shape == (20,)
    for i in range(20):
        u1 = 1 - (b[2 * i] >> 8) * 2.0**-24
        u2 = (b[2 * i + 1] >> 8) * 2.0**-24
        want = math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2)
        assert z[i] == pytest.approx(want, rel=1e-5, abs=1e-5)
    z64 = P.normal(np, bits, np.float64)
    assert z64.shape == (10,)
    np.testing.assert_array_equal(z64[3:5], P.normal(np, bits[12:20], np.float64))
    worst = np.array([0xFFFFFFFF, 0, 0xFFFFFFFF, 0xFFFFFFFF, 0, 0], dtype=np.uint32)
    assert np.isfinite(P.normal(np, worst, np.float32)).all()
    assert np.isfinite(P.normal(np, worst[:4], np.float64)).all()


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_normal_distribution(dtype: type) -> None:
    w = P.words_per_value("normal", dtype)
    z = P.normal(np, P.random_bits(np, 2024, 5, w * N), dtype)
    assert z.dtype == dtype and z.shape == (N,) and np.isfinite(z).all()
    z = np.sort(z.astype(np.float64))
    assert abs(z.mean()) < 5 / math.sqrt(N)
    assert abs(z.std() - 1) < 5 * math.sqrt(0.5 / N)
    grid = np.linspace(-4, 4, 161)
    ecdf = np.searchsorted(z, grid, side="right") / N
    cdf = np.array([NormalDist().cdf(x) for x in grid])
    tol = 1.95 / math.sqrt(N) + (2e-3 if dtype == np.float16 else 0)  # KS 0.1% level
    assert np.abs(ecdf - cdf).max() < tol


def test_randint_small_ranges() -> None:
    bits = P.random_bits(np, 1, 0, 70_000)
    r = P.randint(np, bits, 0, 7, np.int64)
    assert r.dtype == np.int64 and r.min() == 0 and r.max() == 6
    counts = np.bincount(r, minlength=7)
    chi2 = ((counts - 10_000) ** 2 / 10_000).sum()
    assert chi2 < 30  # df = 6; 99.99% point is about 27.9
    s = P.randint(np, bits, -5, 5, np.int32)
    assert s.dtype == np.int32 and set(s.tolist()) == set(range(-5, 5))
    assert P.randint(np, bits[:100], 3, 4, np.int64).tolist() == [3] * 100
    b = [int(x) for x in bits[:50]]
    assert P.randint(np, bits[:50], -1000, 12345, np.int64).tolist() == \
        [-1000 + x % 13345 for x in b]
    full32 = P.randint(np, bits[:50], -(2**31), 2**31, np.int32)
    assert full32.tolist() == [x - 2**31 for x in b]


def test_randint_large_ranges() -> None:
    lo, hi = -(2**40), 2**40
    bits = P.random_bits(np, 77, 1, 2 * N)
    r = P.randint(np, bits, lo, hi, np.int64)
    assert r.dtype == np.int64 and r.shape == (N,)
    assert r.min() >= lo and r.max() < hi
    assert r.min() < lo + 2**30 and r.max() > hi - 2**30
    span = hi - lo
    assert abs(r.astype(np.float64).mean() + 0.5) < 5 * span / math.sqrt(12 * N)
    b = [int(x) for x in bits[:40]]
    want = [lo + ((b[2 * i] << 32) | b[2 * i + 1]) % span for i in range(20)]
    assert r[:20].tolist() == want
    full = P.randint(np, bits[:40], -(2**63), 2**63, np.int64)
    assert full.tolist() == [((b[2 * i] << 32) | b[2 * i + 1]) - 2**63 for i in range(20)]
    with pytest.raises(ValueError):
        P.randint(np, bits, 5, 5, np.int64)


def test_speed_16m_float32() -> None:
    n = 1 << 24
    best = math.inf
    for _ in range(3):
        t = time.perf_counter()
        u = P.uniform(np, P.random_bits(np, 0, 0, n), np.float32)
        best = min(best, time.perf_counter() - t)
    assert u.shape == (n,)
    print(f"16M float32 uniforms: {best:.3f} s")
    assert best < 1.0
