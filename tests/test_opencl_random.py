"""Random numbers on the OpenCL device: Philox4x32-10 generated on the device must equal the reference
definition in :mod:`plugtensor.backend.philox` (NumPy) bit for bit for bits, uniforms and integers,
and within float rounding for normals; the public ``rand``/``randn``/``randint`` after
``manual_seed`` must give cpu's numbers.
"""
from __future__ import annotations

import numpy as np
import pytest

from _opencl import CL, CPU, DEV, RT  # noqa: E402 - skips this module without an OpenCL device
import plugtensor as pt  # noqa: E402
from plugtensor.backend import dtypes as D  # noqa: E402
from plugtensor.backend import philox  # noqa: E402

from plugtensor_opencl import _random  # noqa: E402
from plugtensor_opencl._core import UINT32  # noqa: E402

FLOATS = [d for d in RT.dtypes if d.is_floating_point]


def host(a) -> np.ndarray:
    return RT.read(a)


# ---------------------------------------------------------------------------------------------------
# raw bits
# ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed,offset,n", [
    (0, 0, 16), (1, 0, 1), (42, 1, 7), (42, 2, 9), (42, 3, 33), (123456789, 5, 1000),
    (2**32 + 7, 0, 12), (2**63 + 12345, 6, 31),  # keys with a high word
    (2**64 - 1, 4 * 2**32 - 2, 11),  # the counter's low word wraps into the high one
    (-5 % 2**64, 2**40 + 3, 10),  # a negative seed, as torch wraps it; a far offset
    (7, 0, 0), (7, 13, 0),
])
def test_random_bits_equal_reference(seed, offset, n):
    got = _random.random_bits(RT, seed, offset, n)
    assert got.dtype is UINT32 and got.shape == (n,)
    want = philox.random_bits(np, seed, offset, n)
    np.testing.assert_array_equal(host(got), want)


def test_random_bits_through_the_backend():
    got = CL.backend.random_bits(99, 3, 50, CL.index)
    np.testing.assert_array_equal(CL.backend.to_host(got), philox.random_bits(np, 99, 3, 50))


def test_random_bits_of_a_long_stream():
    n = 100_003  # many work-items, and a tail that is not a multiple of 4
    np.testing.assert_array_equal(host(_random.random_bits(RT, 2024, 1, n)), philox.random_bits(np, 2024, 1, n))


def test_random_bits_rejects_negative_offset():
    with pytest.raises(ValueError):
        _random.random_bits(RT, 0, -1, 4)


# ---------------------------------------------------------------------------------------------------
# transforms, against the NumPy backend's (the reference transforms over the reference bits)
# ---------------------------------------------------------------------------------------------------
def both(kind, shape, dtype, seed, offset, **params):
    a, wa = CL.backend.random(kind, shape, dtype, seed, offset, CL.index, **params)
    b, wb = CPU.backend.random(kind, shape, dtype, seed, offset, CPU.index, **params)
    assert wa == wb
    got = CL.backend.to_host(a)
    assert got.shape == b.shape and got.dtype == b.dtype
    return got, b


@pytest.mark.parametrize("offset", [0, 1, 2, 3, 6])
@pytest.mark.parametrize("dtype", FLOATS, ids=lambda d: d.name)
def test_uniform_bit_for_bit(dtype, offset):
    got, want = both("uniform", (5, 7), dtype, 31337, offset)
    np.testing.assert_array_equal(got, want)
    assert got.min() >= 0 and got.max() < 1


@pytest.mark.parametrize("offset", [0, 1, 3, 5])
@pytest.mark.parametrize("dtype", FLOATS, ids=lambda d: d.name)
def test_normal_within_rounding(dtype, offset):
    got, want = both("normal", (9, 5), dtype, 2**33 + 1, offset)
    eps = np.finfo(want.dtype).eps
    np.testing.assert_allclose(got, want, rtol=8 * eps, atol=8 * eps)


@pytest.mark.parametrize("low,high", [(0, 10), (-5, 7), (0, 2**32), (-2**40, 2**62), (-2**63, 2**63),
                                      (-2**63, 2**63 - 1), (3, 4), (0, 2**31 + 5)])
@pytest.mark.parametrize("offset", [0, 3])
def test_randint_bit_for_bit(low, high, offset):
    got, want = both("randint", (4, 6), D.int64, 77, offset, low=low, high=high)
    np.testing.assert_array_equal(got, want)
    assert ((got >= low) & (got < high)).all()


@pytest.mark.parametrize("dtype", [d for d in RT.dtypes if d.name != "int64"], ids=lambda d: d.name)
def test_randint_into_other_dtypes(dtype):
    low, high = (0, 2) if dtype is D.bool else (-3, 100) if dtype.is_signed else (0, 256)
    got, want = both("randint", (33,), dtype, 5, 1, low=low, high=high)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("shape", [(), (0,), (1,), (3, 0, 2), (2, 3, 1, 5)], ids=str)
def test_shapes_and_words_used(shape):
    for kind, dtype, params in [("uniform", D.float32, {}), ("normal", D.float32, {}),
                                ("randint", D.int64, {"low": 0, "high": 2**40})]:
        got, want = both(kind, shape, dtype, 8, 2, **params)
        assert got.shape == shape
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_unsupported_kind_and_dtype():
    with pytest.raises(TypeError):
        _random.random(RT, "uniform", (3,), D.int32, 0, 0)
    with pytest.raises(ValueError):
        _random.random(RT, "cauchy", (3,), D.float32, 0, 0)
    with pytest.raises(ValueError):
        _random.random(RT, "randint", (3,), D.int64, 0, 0, low=5, high=5)


def test_large_uniform_matches_and_is_uniform():
    n = 1 << 18
    got, want = both("uniform", (n,), D.float32, 1, 1)
    np.testing.assert_array_equal(got, want)
    assert abs(got.mean() - 0.5) < 0.005 and abs(got.var() - 1 / 12) < 0.002


# ---------------------------------------------------------------------------------------------------
# the public ops
# ---------------------------------------------------------------------------------------------------
def draws(device: str) -> list[np.ndarray]:
    pt.manual_seed(2**40 + 17)
    out = [pt.rand(3, 5, device=device), pt.randn(7, device=device), pt.randint(-4, 9, (2, 3), device=device),
           pt.rand(2, 2, dtype=pt.float64, device=device) if pt.float64 in CL.dtypes else pt.rand(1, device=device),
           pt.randn(4, 3, dtype=pt.float64, device=device) if pt.float64 in CL.dtypes else pt.randn(1, device=device),
           pt.randint(0, 2**35, (5,), device=device), pt.rand(1, device=device)]
    return [t.cpu().numpy() for t in out]


def test_manual_seed_gives_cpus_numbers():
    cpu, cl = draws("cpu"), draws(DEV)
    for got, want in zip(cl, cpu):
        assert got.dtype == want.dtype and got.shape == want.shape
        if want.dtype.kind == "f":
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
        else:
            np.testing.assert_array_equal(got, want)
    # uniform and integer draws are bit for bit
    for i in (0, 2, 3, 5, 6):
        np.testing.assert_array_equal(cl[i], cpu[i])


def test_in_place_and_like_draws_match_cpu():
    results = []
    for device in ("cpu", DEV):
        pt.manual_seed(0)
        x = pt.empty(4, 4, device=device).uniform_(-2, 3)
        y = pt.rand_like(x)
        z = pt.empty(3, 5, device=device)[:, ::2].normal_()  # into a strided view
        assert x.device.type == device
        results.append([t.cpu().numpy() for t in (x, y, z)])
    for got, want in zip(results[1], results[0]):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
