"""Type promotion against PyTorch 2.13's own results, recorded in data/promotion.json (regenerate
with conformance/tools/gen_promotion.py): ``promote_types`` for every dtype pair, and the dtype and
values of add, sub, mul, div, eq, maximum, bitwise_and and where for every combination of 1-d tensor,
0-dim tensor and Python scalar operands, computed on the device."""
from __future__ import annotations

import builtins
import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

import plugtensor as pt

from ._harness import ALL_DTYPES, DEFAULT_TOL, assert_close, host, pt_dtype
from .plugin import dtype_params

AREA = "dtype promotion"
DATA = Path(__file__).resolve().parent / "data" / "promotion.json"


@lru_cache(maxsize=None)
def spec() -> dict:
    return json.loads(DATA.read_text())


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "dtype" in metafunc.fixturenames:
        metafunc.parametrize("dtype", dtype_params(metafunc.config))
    if "opname" in metafunc.fixturenames:
        metafunc.parametrize("opname", list(spec()["ops"]))


def test_spec_is_pytorch_2_13() -> None:
    assert spec()["torch_version"].startswith("2.13"), "the promotion data must come from PyTorch 2.13"


@pytest.mark.parametrize("a", ALL_DTYPES)
def test_promote_types(a: str) -> None:
    for b in ALL_DTYPES:
        want = spec()["promote_types"][f"{a},{b}"]
        got = pt.promote_types(pt_dtype(a), pt_dtype(b))
        assert got == pt_dtype(want), f"promote_types({a}, {b}) = {got}, PyTorch gives {want}"


def _operand(kind: str, device: str):
    scalars = spec()["operands"]["scalars"]
    if kind in scalars:
        return scalars[kind]
    form, name = kind.split(":")
    if form == "t":
        return pt.tensor([True, False] if name == "bool" else [1, 2], dtype=pt_dtype(name), device=device)
    return pt.tensor(True if name == "bool" else 3, dtype=pt_dtype(name), device=device)


def _run(opname: str, a, b, device: str):
    if opname == "where":
        return pt.where(pt.tensor([True, False], device=device), a, b)
    return getattr(pt, opname)(a, b)


def test_binary_promotion(opname: str, dtype: str, target, device: str) -> None:
    """Every case whose left operand has ``dtype`` (and whose other dtypes the device declares)."""
    problems = []
    for case, want in spec()["ops"][opname].items():
        left, right = case.split("|")
        if left.split(":")[1] != dtype:
            continue
        needed = {left.split(":")[1], want.get("dtype", dtype)}
        if ":" in right and not right.startswith("s:"):
            needed.add(right.split(":")[1])
        if not needed <= set(target.dtypes):
            continue  # an undeclared dtype is involved: tested in test_errors.py instead
        a, b = _operand(left, device), _operand(right, device)
        try:
            r = _run(opname, a, b, device)
        except Exception as exc:  # noqa: BLE001 - the exception type is what is compared
            if "error" not in want:
                problems.append(f"{opname}({left}, {right}): raised {type(exc).__name__}: {exc}")
            elif not isinstance(exc, getattr(builtins, want["error"], RuntimeError)):
                problems.append(f"{opname}({left}, {right}): raised {type(exc).__name__}, PyTorch raises "
                                f"{want['error']}")
            continue
        if "error" in want:
            problems.append(f"{opname}({left}, {right}): returned {r.dtype}, PyTorch raises {want['error']}")
            continue
        if r.dtype != pt_dtype(want["dtype"]):
            problems.append(f"{opname}({left}, {right}): dtype {r.dtype}, PyTorch gives {want['dtype']}")
            continue
        if list(r.shape) != want["shape"]:
            problems.append(f"{opname}({left}, {right}): shape {list(r.shape)}, PyTorch gives {want['shape']}")
            continue
        try:
            got = host(r).astype(np.float64).reshape(-1)
            assert_close(got, np.array(want["values"]), "float64" if want["dtype"] not in DEFAULT_TOL else
                         want["dtype"], DEFAULT_TOL.get(want["dtype"]))
        except AssertionError as exc:
            problems.append(f"{opname}({left}, {right}): values {got.tolist()}, PyTorch gives {want['values']} "
                            f"({str(exc).splitlines()[0]})")
    assert not problems, "\n".join(problems)


def test_result_type_and_can_cast(device: str, target) -> None:
    """result_type ranks dim > 0-dim > Python scalar, as PyTorch does; can_cast forbids kind downgrades."""
    ints = pt.tensor([1, 2], device=device)
    assert pt.result_type(ints, 2.5) == pt.float32
    assert pt.result_type(ints, pt.tensor(2.5, device=device)) == pt.float32
    if "float16" in target.dtypes:  # a device may not declare float16
        assert pt.result_type(pt.tensor([1.0], dtype=pt.float16, device=device), pt.tensor(2.0, device=device)) == \
            pt.float16
    assert pt.result_type(pt.tensor(True, device=device), 3) == pt.int64
    assert pt.can_cast(pt.int64, pt.float16) and not pt.can_cast(pt.float32, pt.int64)
    assert not pt.can_cast(pt.int8, pt.bool) and pt.can_cast(pt.bool, pt.uint8)
