"""Random numbers: the backend's random-bits primitive equals the reference Philox4x32-10 stream
(``plugtensor.backend.philox``) bit for bit; draws are reproducible with ``manual_seed`` and the
generator state; shapes, dtypes and ranges are right; the distributions have sane moments; and the
same seed gives the same numbers on the device as on cpu."""
from __future__ import annotations

import numpy as np
import pytest

import plugtensor as pt
from plugtensor.backend import philox

from ._harness import FLOAT_DTYPES, assert_close, host, pt_dtype
from .plugin import dtype_params

AREA = "random numbers"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "dtype" in metafunc.fixturenames:
        metafunc.parametrize("dtype", dtype_params(metafunc.config, FLOAT_DTYPES))


@pytest.mark.parametrize("seed, offset, n", [(0, 0, 1), (1234, 0, 1000), (1234, 3, 17), (2 ** 63 + 5, 1, 9),
                                             (-7, 4 * 2 ** 32 - 2, 12), (42, 2 ** 40 + 1, 33), (5, 0, 0)])
def test_random_bits_bit_for_bit(seed: int, offset: int, n: int, target) -> None:
    b = target.backend
    got = np.asarray(b.to_host(b.random_bits(seed, offset, n, target.index)))
    want = philox.random_bits(np, seed, offset, n)
    assert got.dtype == np.uint32, f"random_bits must return uint32 words, got {got.dtype}"
    assert got.shape == (n,), f"random_bits returned shape {got.shape}, expected ({n},)"
    bad = np.flatnonzero(got != want)
    assert bad.size == 0, f"random_bits(seed={seed}, offset={offset}, n={n}) differs from the reference at " \
                          f"{bad.size} words, first at {bad[0] if bad.size else -1}"


def test_reproducible_with_manual_seed(dtype: str, device: str) -> None:
    dt = pt_dtype(dtype)
    pt.manual_seed(17)
    a, b = pt.rand(50, dtype=dt, device=device), pt.randn(7, 3, dtype=dt, device=device)
    pt.manual_seed(17)
    a2, b2 = pt.rand(50, dtype=dt, device=device), pt.randn(7, 3, dtype=dt, device=device)
    assert np.array_equal(host(a), host(a2)) and np.array_equal(host(b), host(b2)), "same seed, different numbers"
    assert not np.array_equal(host(a), host(pt.rand(50, dtype=dt, device=device))), "the stream must advance"
    pt.manual_seed(18)
    assert not np.array_equal(host(a), host(pt.rand(50, dtype=dt, device=device))), "another seed, same numbers"


def test_rng_state(device: str) -> None:
    pt.manual_seed(3)
    pt.rand(5, device=device)
    try:
        state = pt.get_rng_state()
    except RuntimeError:
        pytest.skip("n/a: the RNG state is a cpu tensor and no cpu backend is installed")
    x = host(pt.rand(8, device=device))
    pt.set_rng_state(state)
    assert np.array_equal(host(pt.rand(8, device=device)), x), "set_rng_state must restore the stream"


def test_generators(device: str) -> None:
    g = pt.Generator().manual_seed(3)
    pt.manual_seed(3)
    assert np.array_equal(host(pt.rand(4, generator=g, device=device)), host(pt.rand(4, device=device))), \
        "a Generator seeded like the default one gives the same numbers"
    assert pt.initial_seed() == 3


def test_ranges_and_moments(dtype: str, device: str) -> None:
    dt = pt_dtype(dtype)
    n = 20000
    pt.manual_seed(123)
    u = host(pt.rand(n, dtype=dt, device=device)).astype(np.float64)
    assert u.min() >= 0.0 and u.max() < 1.0, f"rand outside [0, 1): [{u.min()}, {u.max()}]"
    assert abs(u.mean() - 0.5) < 5 * np.sqrt(1 / 12 / n) + 1e-3, f"rand mean {u.mean()}"
    assert abs(u.var() - 1 / 12) < 0.005, f"rand variance {u.var()}"
    z = host(pt.randn(n, dtype=dt, device=device)).astype(np.float64)
    assert np.all(np.isfinite(z)), "randn produced non-finite values"
    assert abs(z.mean()) < 5 / np.sqrt(n) + 1e-3, f"randn mean {z.mean()}"
    assert abs(z.var() - 1) < 0.05, f"randn variance {z.var()}"
    r = host(pt.randint(-3, 4, (n,), device=device))
    assert r.min() == -3 and r.max() == 3, f"randint(-3, 4) range [{r.min()}, {r.max()}]"
    counts = np.bincount(r + 3, minlength=7) / n
    assert np.all(np.abs(counts - 1 / 7) < 0.02), f"randint(-3, 4) frequencies {counts}"


def test_inplace_random(dtype: str, device: str) -> None:
    dt = pt_dtype(dtype)
    x = pt.empty(1000, dtype=dt, device=device)
    pt.manual_seed(9)
    assert x.uniform_(-2, 3) is x
    v = host(x).astype(np.float64)
    assert v.min() >= -2 and v.max() <= 3 and v.max() - v.min() > 4, f"uniform_(-2, 3) range [{v.min()}, {v.max()}]"
    want = philox.uniform(np, philox.random_bits(np, 9, 0, 1000 * philox.words_per_value("uniform", dtype)), dtype)
    assert_close(v, want.astype(np.float64) * 5 - 2, dtype, what="uniform_(-2, 3) vs the reference stream")
    x.normal_(10, 0.5)
    assert abs(host(x).astype(np.float64).mean() - 10) < 0.2, "normal_(10, 0.5) mean"
    x.random_(0, 5)
    assert set(np.unique(host(x)).tolist()) <= {0, 1, 2, 3, 4}, "random_(0, 5) values"


def test_same_numbers_as_cpu(dtype: str, device: str, target) -> None:
    if target.type == "cpu":
        pytest.skip("n/a: the device is cpu")
    try:
        pt.zeros(1, device="cpu")
    except RuntimeError:
        pytest.skip("n/a: no cpu backend installed to compare with")
    dt = pt_dtype(dtype)
    draws = {}
    for dev in (device, "cpu"):
        pt.manual_seed(77)
        draws[dev] = [host(pt.rand(33, dtype=dt, device=dev)), host(pt.randint(0, 1000, (20,), device=dev)),
                      host(pt.randn(17, dtype=dt, device=dev))]
    assert np.array_equal(draws[device][0], draws["cpu"][0]), "rand differs from cpu for the same seed"
    assert np.array_equal(draws[device][1], draws["cpu"][1]), "randint differs from cpu for the same seed"
    assert_close(draws[device][2], draws["cpu"][2], dtype, {"float16": (2e-3, 2e-3), "float32": (2e-6, 2e-6),
                                                           "float64": (1e-12, 1e-12)}[dtype],
                 what="randn vs cpu for the same seed")
