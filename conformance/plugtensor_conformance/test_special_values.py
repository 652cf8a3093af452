"""Special values against PyTorch 2.13's own results, recorded in data/special_values.json (regenerate
with conformance/tools/gen_special_values.py): every elementwise op of the op table on NaN, +-inf,
+-0.0, subnormals, the smallest normal and the largest finite value (floats) and 0, +-1, the minimum
and the maximum (integers), each binary op on every pair of them, compared bit-carefully: NaN equals
NaN, a zero's sign must match, an integer must match exactly. Only the finite nonzero results of
rounded approximations (exp, sin, pow, true division, ...) get a tolerance.

And integer division by zero: ``div`` with a rounding mode, ``floor_divide``, ``//``, ``remainder``,
``%`` and ``fmod``, in every form (function, method, in-place, ``out=``, operator, tensor or number
divisor), raise RuntimeError naming the op and ZeroDivisionError, as PyTorch's CPU kernels do, and
leave their inputs unchanged."""
from __future__ import annotations

import builtins
import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

import plugtensor as pt

from ._harness import DEFAULT_TOL, FLOAT_DTYPES, INT_DTYPES, host, layout_tensor, pt_dtype, quiet
from .plugin import dtype_params

AREA = "special_values"
DATA = Path(__file__).resolve().parent / "data" / "special_values.json"


@lru_cache(maxsize=None)
def spec() -> dict:
    return json.loads(DATA.read_text())


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "case" in metafunc.fixturenames:
        names = set(dtype_params(metafunc.config))
        metafunc.parametrize(("case", "dtype"), [
            pytest.param(c, d, id=f"{c}-{d}") for c, entry in spec()["cases"].items() for d in entry["dtypes"]
            if d in names])
    elif "dtype" in metafunc.fixturenames:
        metafunc.parametrize("dtype", dtype_params(metafunc.config, INT_DTYPES))


def test_spec_is_pytorch_2_13() -> None:
    assert spec()["torch_version"].startswith("2.13"), "the special values must come from PyTorch 2.13"


def test_every_elementwise_op_has_special_values() -> None:
    """The op table's elementwise rows (those up to isclose, and the nn.functional aliases) all have
    special values: a new row there fails this until the data is regenerated."""
    from .optable import OPS
    names = [op.name for op in OPS]
    elementwise = names[:names.index("isclose") + 1] + ["nn.functional.relu", "nn.functional.sigmoid",
                                                        "nn.functional.tanh"]
    covered = {entry["op"] for entry in spec()["cases"].values()}
    assert not [n for n in elementwise if n not in covered], "elementwise ops without special values"


def _fn(name: str):
    obj = pt
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def _operands(form: str, dtype: str) -> list[np.ndarray]:
    """The value arrays of ``form`` (see the file's "forms"), as the generator lays them out."""
    values = spec()["values"]
    if form in ("unary", "number", "bound"):
        return [np.array(values["unary" if form == "unary" else "binary"][dtype], dtype=dtype)]
    v = np.array(values["binary"][dtype], dtype=dtype)
    n = v.size
    if form == "ternary":
        return [np.repeat(v, n * n), np.tile(np.repeat(v, n), n), np.tile(v, n * n)]
    a, b = np.repeat(v, n), np.tile(v, n)
    if form == "where":
        return [np.arange(n * n) % 3 != 1, a, b]
    return [a, b]


def _expected(entry: dict, dtype: str):
    """(expected values as a NumPy array, mask of the checked ones)."""
    vals = entry["values"]
    keep = np.array([v is not None for v in vals], dtype=bool)
    fill = 0 if dtype not in FLOAT_DTYPES else 0.0
    want = np.array([fill if v is None else v for v in vals], dtype=np.float64 if dtype in FLOAT_DTYPES else object)
    return (want if dtype in FLOAT_DTYPES else want.astype(dtype)), keep


def mismatches(got: np.ndarray, want: np.ndarray, keep: np.ndarray, dtype: str, approx: bool) -> np.ndarray:
    """Positions where ``got`` differs from ``want`` (of result dtype ``dtype``), bit-carefully."""
    if dtype not in FLOAT_DTYPES:
        return np.flatnonzero(keep & (got != want))
    g, w = got.astype(np.float64), want
    with quiet():
        bad = np.isnan(g) != np.isnan(w)
        exact = ~np.isfinite(w) | (w == 0) if approx else np.ones(w.shape, dtype=bool)
        finite = ~np.isnan(w)
        # exact: equal and of the same sign (which tells 0.0 from -0.0)
        wrong = (g != w) | (np.signbit(g) != np.signbit(w))
        if approx:
            rtol = DEFAULT_TOL[dtype][0]
            tiny = float(np.finfo(dtype).tiny)
            # A rounded result may be a subnormal where the other rounding flushed it to zero (PyTorch's
            # log1p of a subnormal is 0.0), but a zero must have the right sign.
            wrong &= ~((w == 0) & (g != 0) & (np.abs(g) < tiny))
            bad |= finite & ~exact & ~(np.abs(g - w) <= rtol * np.abs(w) + tiny)
        bad |= finite & exact & wrong
    return np.flatnonzero(keep & bad)


def _describe(name: str, args: list, bad: np.ndarray, got, want, limit: int = 8) -> str:
    lines = []
    for i in bad[:limit]:
        shown = ", ".join(repr(a if not isinstance(a, np.ndarray) else a[i].item()) for a in args)
        lines.append(f"  {name}({shown}) = {got[i].item()!r}, PyTorch gives {want[i].item()!r}")
    more = f"\n  ... and {len(bad) - limit} more" if len(bad) > limit else ""
    return "\n".join(lines) + more


def _check(name: str, entry: dict, run, args: list, dtype: str, approx: bool, keep=None) -> list[str]:
    """Problems of one call ``run()`` against the recorded ``entry`` (of which ``keep`` selects the
    values the call computes)."""
    if "error" in entry:
        try:
            r = run()
        except Exception as exc:  # noqa: BLE001 - the exception type is what is compared
            if not isinstance(exc, getattr(builtins, entry["error"], RuntimeError)):
                return [f"{name}: raised {type(exc).__name__}: {exc}, PyTorch raises {entry['error']}"]
            return []
        return [f"{name}: returned {r.dtype}, PyTorch raises {entry['error']}"]
    try:
        r = run()
    except Exception as exc:  # noqa: BLE001
        return [f"{name}: raised {type(exc).__name__}: {exc}"]
    if r.dtype != pt_dtype(entry["dtype"]):
        return [f"{name}: dtype {r.dtype}, PyTorch gives {entry['dtype']}"]
    want, checked = _expected(entry, entry["dtype"])
    if keep is not None:
        want, checked = want[keep], checked[keep]
    got = host(r).reshape(-1)
    if got.shape != want.shape:
        return [f"{name}: {got.size} values, PyTorch gives {want.size}"]
    bad = mismatches(got, want, checked, entry["dtype"], approx)
    if bad.size:
        return [f"{name}: {bad.size} of {int(checked.sum())} values differ:\n" + _describe(name, args, bad, got, want)]
    return []


def test_special_values(case: str, dtype: str, device: str, target) -> None:
    """The op on the special values of ``dtype``, on contiguous tensors and on strided views (a
    backend may run separate code for each)."""
    entry = spec()["cases"][case]
    per = entry["dtypes"][dtype]
    fn, form, kwargs, approx = _fn(entry["op"]), entry["form"], entry["kwargs"], entry["approx"]
    arrays, keep = _operands(form, dtype), None
    if "values" in per:  # only the recorded pairs: PyTorch refuses an integer divisor of zero
        keep = np.array([v is not None for v in per["values"]], dtype=bool)
        arrays = [a[keep] for a in arrays]
    problems = []
    for layout in ("contiguous", "sliced"):
        def run(nums=()):
            ts = [layout_tensor(a, layout, device) for a in arrays]
            if form in ("number", "bound"):
                if form == "bound":
                    return fn(ts[0], **{entry["kwname"]: nums[0]}, **kwargs)
                return fn(ts[0], nums[0], **kwargs)
            if "kwname" in entry:
                return fn(ts[0], **{entry["kwname"]: ts[1]}, **kwargs)
            return fn(*ts, **kwargs)

        if form in ("number", "bound"):
            for key, sub in per["numbers"].items():
                num = json.loads(key)
                if sub.get("dtype", dtype) not in target.dtypes:
                    continue  # a result dtype the device does not have (float64 of a float64 number)
                problems += _check(f"{case} {layout}, number {key}", sub, lambda: run((num,)), arrays + [num],
                                   dtype, approx)
        else:
            problems += _check(f"{case} {layout}", per, run, arrays, dtype, approx, keep)
    assert not problems, "\n".join(problems)


# -- integer division by zero ------------------------------------------------------------------------
def _int_zero_cases(d: str, dt) -> list:
    """(what, op named in the message, call) for every form of integer division by a zero divisor."""
    def x():
        return pt.tensor([7, 0, 5], dtype=dt, device=d)

    def z():
        return pt.tensor([2, 0, 1], dtype=dt, device=d)  # one zero among nonzero divisors
    zero_dim = lambda: pt.tensor(0, dtype=dt, device=d)  # noqa: E731
    return [
        ("floor_divide(x, z)", "floor_divide", lambda a, b: pt.floor_divide(a, b)),
        ("x // z", "floor_divide", lambda a, b: a // b),
        ("x.floor_divide(z)", "floor_divide", lambda a, b: a.floor_divide(b)),
        ("x.floor_divide_(z)", "floor_divide", lambda a, b: a.floor_divide_(b)),
        ("x //= z", "floor_divide", lambda a, b: a.__ifloordiv__(b)),
        ("floor_divide(x, z, out=)", "floor_divide", lambda a, b: pt.floor_divide(a, b, out=pt.empty_like(a))),
        ("x // 0", "floor_divide", lambda a, b: a // 0),
        ("7 // z", "floor_divide", lambda a, b: 7 // b),
        ("x // zero 0-dim", "floor_divide", lambda a, b: a // zero_dim()),
        ("div(x, z, rounding_mode='floor')", "div", lambda a, b: pt.div(a, b, rounding_mode="floor")),
        ("div(x, z, rounding_mode='trunc')", "div", lambda a, b: pt.div(a, b, rounding_mode="trunc")),
        ("x.div_(z, rounding_mode='trunc')", "div", lambda a, b: a.div_(b, rounding_mode="trunc")),
        ("div(x, 0, rounding_mode='trunc')", "div", lambda a, b: pt.div(a, 0, rounding_mode="trunc")),
        ("div(x, z, rounding_mode='floor', out=)", "div",
         lambda a, b: pt.div(a, b, rounding_mode="floor", out=pt.empty_like(a))),
        ("remainder(x, z)", "remainder", lambda a, b: pt.remainder(a, b)),
        ("x % z", "remainder", lambda a, b: a % b),
        ("x.remainder_(z)", "remainder", lambda a, b: a.remainder_(b)),
        ("x %= z", "remainder", lambda a, b: a.__imod__(b)),
        ("remainder(x, z, out=)", "remainder", lambda a, b: pt.remainder(a, b, out=pt.empty_like(a))),
        ("x % 0", "remainder", lambda a, b: a % 0),
        ("7 % z", "remainder", lambda a, b: 7 % b),
        ("fmod(x, z)", "fmod", lambda a, b: pt.fmod(a, b)),
        ("x.fmod_(z)", "fmod", lambda a, b: a.fmod_(b)),
        ("fmod(x, 0)", "fmod", lambda a, b: pt.fmod(a, 0)),
        ("fmod(x, z, out=)", "fmod", lambda a, b: pt.fmod(a, b, out=pt.empty_like(a))),
        ("x.fmod(zero 0-dim)", "fmod", lambda a, b: a.fmod(zero_dim())),
    ], x, z


def test_integer_division_by_zero(dtype: str, device: str) -> None:
    """Every form raises RuntimeError naming the op and ZeroDivisionError, before writing anything."""
    cases, x, z = _int_zero_cases(device, pt_dtype(dtype))
    problems = []
    for what, op, call in cases:
        a, b = x(), z()
        before_a, before_b = host(a), host(b)
        try:
            r = call(a, b)
        except RuntimeError as exc:
            msg = str(exc)
            if "ZeroDivisionError" not in msg or op not in msg:
                problems.append(f"{what}: message {msg!r} does not name {op} and ZeroDivisionError")
        except Exception as exc:  # noqa: BLE001 - the class is what is checked
            problems.append(f"{what}: raised {type(exc).__name__}: {exc}; PyTorch raises RuntimeError")
        else:
            problems.append(f"{what}: returned {host(r).tolist()}; PyTorch raises RuntimeError (ZeroDivisionError)")
        if not (np.array_equal(host(a), before_a) and np.array_equal(host(b), before_b)):
            problems.append(f"{what}: changed its inputs before raising")
    assert not problems, "\n".join(problems)


def test_integer_division_without_zero_divisors(dtype: str, device: str) -> None:
    """Divisors without a zero (and empty ones) do not raise: the check reads only the divisor."""
    dt = pt_dtype(dtype)
    x = pt.tensor([7, 0, 5], dtype=dt, device=device)
    y = pt.tensor([2, 3, 1], dtype=dt, device=device)
    assert host(x // y).tolist() == [3, 0, 5]
    assert host(x % y).tolist() == [1, 0, 0]
    assert host(pt.fmod(x, y)).tolist() == [1, 0, 0]
    assert host(pt.div(x, y, rounding_mode="trunc")).tolist() == [3, 0, 5]
    e = pt.tensor([], dtype=dt, device=device)
    assert host(e // e).size == 0 and host(e % e).size == 0
    # true division of integers is float division: 1 / 0 is inf, as in PyTorch
    assert host(x / pt.zeros(3, dtype=dt, device=device)).tolist()[0] == float("inf")
