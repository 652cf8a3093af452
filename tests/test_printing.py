"""Compare plugtensor._printing.format_tensor against PyTorch's repr (torch is the oracle)."""

from __future__ import annotations

import importlib.util
import math
import pathlib
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_PATH = pathlib.Path(__file__).parents[1] / "core" / "plugtensor" / "_printing.py"
_spec = importlib.util.spec_from_file_location("plugtensor_printing_under_test", _PATH)
printing = importlib.util.module_from_spec(_spec)
sys.modules["plugtensor_printing_under_test"] = printing
_spec.loader.exec_module(printing)
format_tensor = printing.format_tensor
set_printoptions = printing.set_printoptions
get_printoptions = printing.get_printoptions

DTYPES = {
    "bool": torch.bool, "uint8": torch.uint8, "int8": torch.int8, "int16": torch.int16,
    "int32": torch.int32, "int64": torch.int64, "float16": torch.float16,
    "float32": torch.float32, "float64": torch.float64,
}


@pytest.fixture(autouse=True)
def _restore_options():
    yield
    torch.set_printoptions(profile="default")
    set_printoptions(profile="default")
    torch.set_default_dtype(torch.float32)


def ours(t: "torch.Tensor", **kw) -> str:
    """format_tensor called the way the Tensor class will call it."""
    return format_tensor(
        t.detach().numpy(),
        dtype_name=str(t.dtype).removeprefix("torch."),
        is_floating=t.dtype.is_floating_point,
        default_float_dtype_name=str(torch.get_default_dtype()).removeprefix("torch."),
        requires_grad=t.requires_grad,
        grad_fn_name=type(t.grad_fn).__name__ if t.grad_fn is not None else None,
        **kw,
    )


def check(t: "torch.Tensor") -> None:
    assert ours(t) == repr(t).replace("torch", "plugtensor")


def both_options(**kw) -> None:
    torch.set_printoptions(**kw)
    set_printoptions(**kw)


nan, inf = math.nan, math.inf
CASES = [
    torch.tensor(3.5), torch.tensor(3.0), torch.tensor(0.0), torch.tensor(-0.0),
    torch.tensor(nan), torch.tensor(-inf), torch.tensor(1e-5), torch.tensor(1e10),
    torch.tensor(7), torch.tensor(7, dtype=torch.int32), torch.tensor(True),
    torch.tensor([1.0, 2.0]), torch.tensor([1e-5, 1e5]), torch.tensor([1.5, nan, inf, -inf]),
    torch.tensor([1.0, nan, inf, -inf]), torch.tensor([0.0, -0.0]), torch.tensor([-0.0, 1.5]),
    torch.tensor([nan, nan]), torch.tensor([0.0, 0.0]), torch.tensor([1e8, 1.0]),
    torch.tensor([1e9, 1.0]), torch.tensor([1e-4, 1.0]), torch.tensor([1.1e-4, 0.1]),
    torch.tensor([True, False]), torch.tensor([2**63 - 1, -(2**63)]),
    torch.tensor([255, 0], dtype=torch.uint8), torch.tensor([-128, 5], dtype=torch.int8),
    torch.tensor([1.0, 65504.0, -0.5], dtype=torch.float16),
    torch.tensor([6e-8, 1.0], dtype=torch.float16),
    torch.tensor([1e300, 1e-300], dtype=torch.float64), torch.tensor([5e-324, 1.0], dtype=torch.float64),
    torch.tensor([], dtype=torch.int64), torch.tensor([]), torch.zeros(0, 3), torch.zeros(2, 0, 1),
    torch.zeros(0, 3, dtype=torch.int64), torch.zeros(0, dtype=torch.bool),
    torch.zeros(0, dtype=torch.float64), torch.zeros(0, 4, dtype=torch.float16),
    torch.arange(2000.0), torch.arange(1001), torch.arange(1000), torch.arange(100.0).reshape(4, 25),
    torch.arange(24).reshape(2, 3, 4), torch.arange(120.0).reshape(2, 3, 4, 5) / 7,
    torch.arange(3000.0).reshape(30, 100), torch.arange(5000).reshape(10, 10, 50),
    torch.linspace(-1, 1, 50), torch.linspace(-1e6, 1e6, 33, dtype=torch.float64),
    torch.full((3, 30), 123456789, dtype=torch.int64), torch.ones(1, 1, 1, 1),
]


@pytest.mark.parametrize("t", CASES, ids=range(len(CASES)))
def test_cases(t):
    check(t)


def test_autograd_suffixes():
    x = torch.linspace(-2, 2, 5).requires_grad_()
    check(x)
    check(x + 1)
    check((x * 3).sum())
    long_x = torch.linspace(-2, 2, 40, dtype=torch.float64).requires_grad_()
    check(long_x)
    check(long_x * 2)
    check(torch.zeros(0, 3, requires_grad=True))
    check(torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0], dtype=torch.float16) * x.sum())
    # Last line just long enough that the suffix wraps.
    for n in range(5, 14):
        check(torch.arange(float(n), dtype=torch.float64).requires_grad_() * 1.5)


def test_default_dtype_float64():
    torch.set_default_dtype(torch.float64)
    for t in (torch.tensor([1.5, 2.0]), torch.tensor([1.5], dtype=torch.float32), torch.zeros(0),
              torch.zeros(0, dtype=torch.float32), torch.tensor(2.0, dtype=torch.float32)):
        check(t)


def test_device_suffix():
    t = torch.tensor([1.0, 2.0])
    assert ours(t, device="opencl:0") == "tensor([1., 2.], device='opencl:0')"
    assert (ours(torch.zeros(0, 2, dtype=torch.int32), device="opencl:0")
            == "tensor([], device='opencl:0', size=(0, 2), dtype=plugtensor.int32)")
    r = ours(torch.tensor([1.0, 2.0], dtype=torch.float16).requires_grad_(), device="opencl:0")
    assert r == "tensor([1., 2.], device='opencl:0', dtype=plugtensor.float16, requires_grad=True)"
    wide = ours(torch.arange(9.0) + 0.5, device="opencl:1")
    assert wide == ("tensor([0.5000, 1.5000, 2.5000, 3.5000, 4.5000, 5.5000, 6.5000, 7.5000, 8.5000],\n"
                    "       device='opencl:1')")


@pytest.mark.parametrize("opts", [
    dict(precision=2), dict(precision=0), dict(precision=8), dict(sci_mode=True), dict(sci_mode=False),
    dict(threshold=5), dict(threshold=5, edgeitems=1), dict(threshold=5, edgeitems=0),
    dict(linewidth=30), dict(linewidth=200), dict(profile="short"), dict(profile="full"),
    dict(profile="short", precision=6), dict(threshold=0),
])
def test_printoptions(opts):
    both_options(**opts)
    assert get_printoptions() == torch._tensor_str.get_printoptions()
    for t in (torch.linspace(-3, 3, 7), torch.tensor([1e-5, 1e5]), torch.tensor([1.0, 2.0, nan]),
              torch.arange(2000.0), torch.arange(1200).reshape(3, 400), torch.randn(4, 5, 6),
              torch.tensor(2.25), torch.tensor([0.0, -0.0]), torch.arange(10, dtype=torch.int16),
              torch.tensor([True, False, True] * 5), torch.randn(3, 3, dtype=torch.float16)):
        check(t)


def test_sci_mode_reset_and_unknown_profile():
    both_options(sci_mode=True)
    both_options(precision=3)
    assert get_printoptions() == torch._tensor_str.get_printoptions()
    both_options(profile="no-such-profile")
    assert get_printoptions() == torch._tensor_str.get_printoptions()


# ---- property tests -------------------------------------------------------------------

shapes = st.one_of(
    st.lists(st.integers(0, 6), max_size=4).map(tuple),
    st.sampled_from([(1001,), (2500,), (3, 400), (40, 30), (2, 3, 200), (11, 10, 10)]),
)
KINDS = ["normal", "huge", "tiny", "intfloat", "special", "zeros", "logwide", "bigint", "round"]


def make_values(shape: tuple, dtype: str, kind: str, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    if dtype == "bool":
        return np.asarray(rng.random(n) < 0.5).reshape(shape)
    if dtype in ("uint8", "int8", "int16", "int32", "int64"):
        info = np.iinfo(dtype)
        hi = info.max if kind in ("huge", "bigint") else min(info.max, 1000)
        lo = info.min if kind in ("huge", "bigint") else max(info.min, -1000)
        return rng.integers(lo, hi, n, endpoint=True, dtype=dtype).reshape(shape)
    x = {
        "normal": lambda: rng.standard_normal(n),
        "huge": lambda: rng.standard_normal(n) * 1e12,
        "tiny": lambda: rng.standard_normal(n) * 1e-6,
        "intfloat": lambda: rng.integers(-5000, 5000, n).astype(float),
        "special": lambda: rng.choice([0.0, -0.0, nan, inf, -inf, 1.0, -2.5, 3.0], n),
        "zeros": lambda: rng.choice([0.0, -0.0], n),
        "logwide": lambda: rng.choice([-1, 1], n) * 10.0 ** rng.uniform(-12, 12, n),
        "bigint": lambda: rng.integers(-(10**9), 10**9, n).astype(float) * 10,
        "round": lambda: np.round(rng.standard_normal(n) * 100, 1),
    }[kind]()
    with np.errstate(over="ignore"):
        return x.astype(dtype).reshape(shape)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(shapes, st.sampled_from(sorted(DTYPES)), st.sampled_from(KINDS), st.integers(0, 2**32 - 1),
       st.sampled_from(["none", "leaf", "fn"]))
def test_property_default_options(shape, dtype, kind, seed, grad):
    t = torch.from_numpy(make_values(shape, dtype, kind, seed))
    if grad != "none" and t.dtype.is_floating_point:
        t = t.clone().requires_grad_() if grad == "leaf" else t * torch.ones((), requires_grad=True)
    check(t)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(shapes, st.sampled_from(sorted(DTYPES)), st.sampled_from(KINDS), st.integers(0, 2**32 - 1),
       st.integers(0, 8), st.sampled_from([0, 3, 50, 1000]), st.integers(0, 4), st.integers(10, 160),
       st.sampled_from([None, True, False]))
def test_property_random_options(shape, dtype, kind, seed, precision, threshold, edgeitems, linewidth,
                                 sci_mode):
    both_options(precision=precision, threshold=threshold, edgeitems=edgeitems, linewidth=linewidth,
                 sci_mode=sci_mode)
    check(torch.from_numpy(make_values(shape, dtype, kind, seed)))
