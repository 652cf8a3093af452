"""Checks for ops without tensor inputs (creation, random numbers) and for dropout: the ``custom``
bodies of their op-table rows. Each takes ``(device, dtype)`` and raises AssertionError on a mismatch.

Random ops are compared with the core's reference definition of the stream,
``plugtensor.backend.philox``: bits, uniforms and integers bit for bit, normals within tolerance.
"""
from __future__ import annotations

import numpy as np

import plugtensor as pt
from plugtensor.backend import philox

from ._harness import FLOAT_DTYPES, assert_close, cast_values, host, pt_dtype

__all__ = ["NotApplicable", "LEGACY", "check_tensor", "check_as_tensor", "check_asarray", "check_from_numpy",
           "factory_check", "check_full", "like_check", "check_arange", "check_linspace", "check_logspace",
           "check_eye", "check_legacy_tensor", "legacy_check", "random_check", "check_randint",
           "check_randint_like", "check_randperm", "check_normal", "check_dropout", "NORMAL_TOL"]

LEGACY = {"FloatTensor": "float32", "DoubleTensor": "float64", "HalfTensor": "float16", "ByteTensor": "uint8",
          "CharTensor": "int8", "ShortTensor": "int16", "IntTensor": "int32", "LongTensor": "int64",
          "BoolTensor": "bool"}
# Normals may be computed with a different libm (cos, log, sqrt) on a device: equal within these.
NORMAL_TOL = {"float16": (2e-3, 2e-3), "float32": (2e-6, 2e-6), "float64": (1e-12, 1e-12)}


class NotApplicable(Exception):
    """The check does not apply to this device (reported as '-', not as a failure)."""


def _check(t, dtype: str, device: str, shape=None, values=None, what: str = "result") -> None:
    assert isinstance(t, pt.Tensor), f"{what}: expected a Tensor, got {type(t).__name__}"
    assert t.dtype == pt_dtype(dtype), f"{what}: dtype {t.dtype}, expected plugtensor.{dtype}"
    assert t.device == pt.device(device), f"{what}: device {t.device}, expected {device}"
    if shape is not None:
        assert tuple(t.shape) == tuple(shape), f"{what}: shape {list(t.shape)}, expected {list(shape)}"
    if values is not None:
        assert_close(host(t), np.asarray(values), dtype, what=what)


def _data(dtype: str) -> np.ndarray:
    return cast_values(np.array([[1.0, -2.0, 3.0], [0.0, 5.0, -1.0]]), dtype)


def check_tensor(device: str, dtype: str) -> None:
    """``tensor`` from nested lists, NumPy arrays, scalars; dtype inference; requires_grad."""
    a = _data(dtype)
    _check(pt.tensor(a.tolist(), dtype=pt_dtype(dtype), device=device), dtype, device, a.shape, a, "from lists")
    _check(pt.tensor(a, device=device), dtype, device, a.shape, a, "from a NumPy array (dtype kept)")
    _check(pt.tensor(a[0, 1].item(), dtype=pt_dtype(dtype), device=device), dtype, device, (), a[0, 1], "scalar")
    _check(pt.tensor(a.T, device=device), dtype, device, a.T.shape, a.T, "from a non-contiguous array")
    inferred = {"int64": [1, 2], "float32": [1.5, 2.0], "bool": [True, False]}
    if dtype in inferred:
        _check(pt.tensor(inferred[dtype], device=device), dtype, device, (2,), np.array(inferred[dtype]),
               "inferred dtype")
    if dtype == "float32":
        _check(pt.tensor([], device=device), dtype, device, (0,), None, "empty list")
    if dtype in FLOAT_DTYPES:
        t = pt.tensor([1.0, 2.0], dtype=pt_dtype(dtype), device=device, requires_grad=True)
        assert t.requires_grad and t.is_leaf, "requires_grad=True must make a leaf that requires grad"


def check_as_tensor(device: str, dtype: str) -> None:
    a = _data(dtype)
    t = pt.as_tensor(a, device=device)
    _check(t, dtype, device, a.shape, a, "from a NumPy array")
    assert pt.as_tensor(t) is t, "as_tensor of a tensor (same dtype and device) must return it unchanged"
    _check(pt.as_tensor(a.tolist(), dtype=pt_dtype(dtype), device=device), dtype, device, a.shape, a, "from lists")


def check_asarray(device: str, dtype: str) -> None:
    a = _data(dtype)
    _check(pt.asarray(a, device=device), dtype, device, a.shape, a, "from a NumPy array")
    t = pt.tensor(a, device=device)
    c = pt.asarray(t, copy=True)
    _check(c, dtype, device, a.shape, a, "copy of a tensor")
    assert c is not t, "asarray(copy=True) must return a new tensor"


def check_from_numpy(device: str, dtype: str) -> None:
    """``from_numpy`` makes a cpu tensor sharing memory; moved to the device, values are exact."""
    try:
        t = pt.from_numpy(_data(dtype))
    except RuntimeError as exc:  # no cpu backend installed
        raise NotApplicable(f"from_numpy needs the cpu backend: {exc}") from None
    a = _data(dtype)
    _check(t, dtype, "cpu", a.shape, a, "from_numpy")
    _check(t.to(device), dtype, device, a.shape, a, "from_numpy(...).to(device)")


def factory_check(name: str):
    value = {"zeros": 0, "ones": 1, "empty": None}[name]

    def check(device: str, dtype: str) -> None:
        fn = getattr(pt, name)
        dt = pt_dtype(dtype)
        for args, shape in (((2, 3), (2, 3)), (((2, 3),), (2, 3)), (((),), ()), ((0, 4), (0, 4))):
            t = fn(*args, dtype=dt, device=device)
            vals = None if value is None else cast_values(np.full(shape, float(value)), dtype)
            _check(t, dtype, device, shape, vals, f"{name}{args}")
        if dtype == "float32":
            _check(fn(2, device=device), "float32", device, (2,), None, "default dtype")
            t = fn(2, device=device, requires_grad=True)
            assert t.requires_grad, "requires_grad=True ignored"
    return check


def check_full(device: str, dtype: str) -> None:
    v = {"bool": True}.get(dtype, 2 if dtype not in FLOAT_DTYPES else 2.5)
    t = pt.full((2, 3), v, dtype=pt_dtype(dtype), device=device)
    _check(t, dtype, device, (2, 3), cast_values(np.full((2, 3), float(v)), dtype), "full")
    inferred = {"int64": 3, "float32": 1.5, "bool": True}
    if dtype in inferred:
        _check(pt.full((2,), inferred[dtype], device=device), dtype, device, (2,), None, "inferred dtype")


def like_check(name: str):
    def check(device: str, dtype: str) -> None:
        x = pt.tensor(_data(dtype), device=device)[:, 1:]  # a non-contiguous input
        args = (2,) if name == "full_like" else ()
        fill = {"zeros_like": 0.0, "ones_like": 1.0, "full_like": 2.0}.get(name)
        t = getattr(pt, name)(x, *args)
        vals = None if fill is None else cast_values(np.full((2, 2), fill), dtype)
        _check(t, dtype, device, (2, 2), vals, name)
        to = "float32" if dtype != "float32" else "int64"
        _check(getattr(pt, name)(x, *args, dtype=pt_dtype(to)), to, device, (2, 2), None, f"{name}(dtype=...)")
    return check


def check_arange(device: str, dtype: str) -> None:
    dt = pt_dtype(dtype)
    cases = [((5,), np.arange(5)), ((1, 10, 3), np.arange(1, 10, 3)), ((0,), np.arange(0))]
    if dtype != "uint8":
        cases.append(((5, -1, -2), np.arange(5, -1, -2)))
    if dtype in FLOAT_DTYPES:
        cases.append(((0.0, 1.0, 0.25), np.arange(0.0, 1.0, 0.25)))
    for args, want in cases:
        _check(pt.arange(*args, dtype=dt, device=device), dtype, device, want.shape, want.astype(dtype),
               f"arange{args}")
    if dtype == "int64":
        _check(pt.arange(4, device=device), "int64", device, (4,), np.arange(4), "inferred int64")
    if dtype == "float32":
        _check(pt.arange(0, 1, 0.5, device=device), "float32", device, (2,), np.array([0, 0.5]), "inferred float")


def check_linspace(device: str, dtype: str) -> None:
    dt = pt_dtype(dtype)
    cases = [((0, 10, 6), np.linspace(0, 10, 6)), ((2, 2, 1), np.array([2.0])), ((0, 1, 0), np.zeros(0))]
    if dtype in FLOAT_DTYPES:
        cases += [((-1.0, 1.0, 5), np.linspace(-1, 1, 5)), ((0.0, 1.0, 7), np.linspace(0, 1, 7))]
    for args, want in cases:
        _check(pt.linspace(*args, dtype=dt, device=device), dtype, device, want.shape, cast_values(want, dtype),
               f"linspace{args}")


def check_logspace(device: str, dtype: str) -> None:
    dt = pt_dtype(dtype)
    for args, kw, want in (((0, 2, 3), {}, [1.0, 10.0, 100.0]), ((0, 3, 4), {"base": 2.0}, [1.0, 2.0, 4.0, 8.0])):
        _check(pt.logspace(*args, **kw, dtype=dt, device=device), dtype, device, (len(want),),
               cast_values(np.array(want), dtype), f"logspace{args}")


def check_eye(device: str, dtype: str) -> None:
    dt = pt_dtype(dtype)
    for args in ((3,), (2, 4), (0,)):
        want = np.eye(*args)
        _check(pt.eye(*args, dtype=dt, device=device), dtype, device, want.shape, cast_values(want, dtype),
               f"eye{args}")


def _cpu_only(device: str) -> None:
    if pt.device(device).type != "cpu":
        raise NotApplicable("legacy typed constructors make cpu tensors (as in PyTorch)")


def check_legacy_tensor(device: str, dtype: str) -> None:
    _cpu_only(device)
    _check(pt.Tensor(2, 3), "float32", "cpu", (2, 3), None, "Tensor(2, 3)")
    _check(pt.Tensor([1, 2]), "float32", "cpu", (2,), np.array([1.0, 2.0]), "Tensor([1, 2])")
    assert isinstance(pt.Tensor([1.0]), pt.Tensor)


def legacy_check(name: str):
    def check(device: str, dtype: str) -> None:
        _cpu_only(device)
        cls = getattr(pt, name)
        _check(cls(2, 3), dtype, "cpu", (2, 3), None, f"{name}(2, 3)")
        _check(cls([1, 0]), dtype, "cpu", (2,), cast_values(np.array([1.0, 0.0]), dtype), f"{name}([1, 0])")
        assert isinstance(cls([1]), cls), f"isinstance(t, {name}) must hold for a {dtype} tensor"
    return check


# -- random ------------------------------------------------------------------------------------------
def _expected_random(kind: str, dtype: str, seed: int, offset: int, n: int, **params) -> tuple[np.ndarray, int]:
    """The reference values of a draw and the number of 32-bit words it consumes."""
    npd = np.dtype(dtype)
    if kind == "randint":
        w = philox.words_per_value("randint", None, span=params["high"] - params["low"])
    else:
        w = philox.words_per_value(kind, npd)
    bits = philox.random_bits(np, seed, offset, n * w)
    if kind == "uniform":
        vals = philox.uniform(np, bits, npd)
    elif kind == "normal":
        vals = philox.normal(np, bits, npd)
    else:
        vals = philox.randint(np, bits, params["low"], params["high"], npd)
    return vals, n * w


def random_check(name: str):
    """rand/randn(_like): shape, dtype, device, and the reference values of two consecutive draws."""
    kind = "normal" if name.startswith("randn") else "uniform"
    tol = NORMAL_TOL if kind == "normal" else None

    def draw(shape, dtype, device):
        if name.endswith("_like"):
            return getattr(pt, name)(pt.zeros(*shape, dtype=pt_dtype(dtype), device=device))
        return getattr(pt, name)(*shape, dtype=pt_dtype(dtype), device=device)

    def check(device: str, dtype: str) -> None:
        seed, offset = 20240613, 0
        pt.manual_seed(seed)
        for shape in ((3, 5), (7,), (0,), (2, 1, 3)):
            t = draw(shape, dtype, device)
            n = int(np.prod(shape))
            want, used = _expected_random(kind, dtype, seed, offset, n)
            _check(t, dtype, device, shape, None, f"{name}{shape}")
            got = host(t).reshape(-1)
            if tol is None:
                assert np.array_equal(got, want), f"{name}{shape}: values differ from the reference stream " \
                                                  f"(seed {seed}, offset {offset}): got {got}, expected {want}"
            else:
                assert_close(got, want, dtype, tol[dtype], what=f"{name}{shape} vs the reference stream")
            offset += used
    return check


_RANDINT_RANGES = {"uint8": (0, 250), "int8": (-100, 100), "int16": (-1000, 1000), "int32": (-(2 ** 31), 2 ** 31 - 1),
                   "int64": (-(2 ** 40), 2 ** 40), "float16": (-5, 20), "float32": (-100, 100),
                   "float64": (0, 2 ** 33)}


def check_randint(device: str, dtype: str) -> None:
    seed, offset = 7, 0
    pt.manual_seed(seed)
    low, high = _RANDINT_RANGES[dtype]
    for args, shape in (((low, high, (4, 5)), (4, 5)), ((high, (6,)), (6,)) if low == 0 else ((3, (6,)), (6,))):
        lo, hi = (args[0], args[1]) if len(args) == 3 else (0, args[0])
        t = pt.randint(*args, dtype=pt_dtype(dtype), device=device)
        n = int(np.prod(shape))
        want, used = _expected_random("randint", dtype, seed, offset, n, low=lo, high=hi)
        _check(t, dtype, device, shape, None, f"randint{args}")
        got = host(t).reshape(-1)
        assert np.array_equal(got, want), f"randint{args}: values differ from the reference stream: got {got}, " \
                                          f"expected {want}"
        assert np.all((got >= lo) & (got < hi)), f"randint{args}: values out of range"
        offset += used
    if dtype == "int64":
        _check(pt.randint(5, (3,), device=device), "int64", device, (3,), None, "default dtype int64")


def check_randint_like(device: str, dtype: str) -> None:
    pt.manual_seed(11)
    x = pt.zeros(3, 4, dtype=pt_dtype(dtype), device=device)
    t = pt.randint_like(x, 10)
    want, _ = _expected_random("randint", dtype, 11, 0, 12, low=0, high=10)
    _check(t, dtype, device, (3, 4), want.reshape(3, 4), "randint_like(x, 10)")


def check_randperm(device: str, dtype: str) -> None:
    n = 40 if dtype not in ("int8", "uint8") else 20
    pt.manual_seed(3)
    a = pt.randperm(n, dtype=pt_dtype(dtype), device=device)
    _check(a, dtype, device, (n,), None, "randperm")
    assert sorted(host(a).tolist()) == list(range(n)), "randperm is not a permutation of 0..n-1"
    pt.manual_seed(3)
    assert np.array_equal(host(pt.randperm(n, dtype=pt_dtype(dtype), device=device)), host(a)), \
        "randperm is not reproducible with manual_seed"
    if pt.device(device).type != "cpu":
        try:
            pt.manual_seed(3)
            cpu = pt.randperm(n, dtype=pt_dtype(dtype))
        except RuntimeError:
            return  # no cpu backend to compare with
        assert np.array_equal(host(cpu), host(a)), "randperm differs from cpu for the same seed"


def check_normal(device: str, dtype: str) -> None:
    seed = 99
    pt.manual_seed(seed)
    t = pt.normal(2.0, 3.0, size=(4, 5), dtype=pt_dtype(dtype), device=device)
    z, used = _expected_random("normal", dtype, seed, 0, 20)
    want = (z.astype(np.float64) * 3.0 + 2.0).reshape(4, 5)
    _check(t, dtype, device, (4, 5), None, "normal(2, 3, size)")
    tol = {"float16": (1e-2, 1e-2)}.get(dtype, NORMAL_TOL[dtype])
    assert_close(host(t), want.astype(dtype), dtype, tol, what="normal(2, 3, size) vs the reference stream")
    mean = pt.full((3,), 1.0, dtype=pt_dtype(dtype), device=device)
    std = pt.full((3,), 0.5, dtype=pt_dtype(dtype), device=device)
    _check(pt.normal(mean, std), dtype, device, (3,), None, "normal(mean tensor, std tensor)")


def check_dropout(device: str, dtype: str) -> None:
    F = pt.nn.functional
    x = pt.full((40, 50), 3.0, dtype=pt_dtype(dtype), device=device, requires_grad=True)
    assert F.dropout(x, 0.0) is x or np.array_equal(host(F.dropout(x, 0.0)), host(x)), "p=0 must keep the input"
    assert np.array_equal(host(F.dropout(x, 0.5, training=False)), host(x)), "training=False must keep the input"
    pt.manual_seed(5)
    y = F.dropout(x, 0.5)
    _check(y, dtype, device, (40, 50), None, "dropout(p=0.5)")
    v = host(y)
    assert np.all((v == 0) | (v == 6.0)), "dropout(p=0.5) values must be 0 or input / (1 - p)"
    frac = float(np.mean(v == 0))
    assert 0.4 < frac < 0.6, f"dropout(p=0.5) zeroed {frac:.2%} of 2000 elements"
    y.sum().backward()
    assert np.array_equal(host(x.grad), np.where(v == 0, 0.0, 2.0).astype(dtype)), \
        "dropout gradient must be mask / (1 - p)"
    z = F.dropout(x.detach(), 1.0)
    assert np.all(host(z) == 0), "dropout(p=1) must zero everything"
