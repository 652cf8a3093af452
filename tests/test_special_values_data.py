"""The conformance suite's special values (plugtensor_conformance/data/special_values.json) are PyTorch
2.13's: regenerating them with torch gives the committed file, byte for byte, and the file covers every
elementwise op of the op table with the values the area claims (NaN, +-inf, +-0.0, subnormals, dtype
limits)."""
from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parents[1]
GEN = ROOT / "conformance" / "tools" / "gen_special_values.py"
DATA = ROOT / "conformance" / "plugtensor_conformance" / "data" / "special_values.json"


@pytest.fixture(scope="module")
def gen():
    spec = importlib.util.spec_from_file_location("gen_special_values", GEN)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_committed_file_is_what_torch_gives(gen) -> None:
    assert torch.__version__.startswith("2.13"), "the special values are PyTorch 2.13's"
    fresh = gen.build()
    assert fresh == DATA.read_text(), ("data/special_values.json is stale: run "
                                       "`python conformance/tools/gen_special_values.py`")


def test_values_cover_the_special_values() -> None:
    data = json.loads(DATA.read_text())
    for dtype in ("float16", "float32", "float64"):
        v = data["values"]["unary"][dtype]
        fi = np.finfo(dtype)
        assert any(math.isnan(x) for x in v) and math.inf in v and -math.inf in v
        assert any(x == 0 and math.copysign(1, x) < 0 for x in v) and any(x == 0 and math.copysign(1, x) > 0 for x in v)
        assert float(fi.smallest_subnormal) in v and float(fi.tiny) in v and float(fi.max) in v
    for dtype in ("uint8", "int8", "int16", "int32", "int64"):
        info = np.iinfo(dtype)
        assert {0, 1, int(info.min), int(info.max)} <= set(data["values"]["binary"][dtype])


def test_spot_values_are_pytorchs() -> None:
    """A few of the recorded answers, restated from PyTorch here (independently of the generator)."""
    data = json.loads(DATA.read_text())

    def answer(case: str, dtype: str, *args):
        entry = data["cases"][case]["dtypes"][dtype]
        vals = data["values"]["unary" if len(args) == 1 else "binary"][dtype]
        if len(args) == 1:
            i = [j for j, x in enumerate(vals) if _same(x, args[0])][0]
        else:
            n = len(vals)
            i = [j for j, x in enumerate(vals) if _same(x, args[0])][0] * n + \
                [j for j, x in enumerate(vals) if _same(x, args[1])][0]
        return entry["values"][i]

    f32 = torch.float32
    for case, args in [("sign", (math.nan,)), ("abs", (-0.0,)), ("round", (-0.5,)), ("ceil", (-0.25,)),
                       ("relu", (-0.0,)), ("rsqrt", (-0.0,)), ("sigmoid", (-math.inf,)), ("tanh", (-0.0,))]:
        want = getattr(torch, case)(torch.tensor(args, dtype=f32)).item()
        assert _same(answer(case, "float32", *args), want), case
    for case, args in [("remainder", (-0.0, 0.5)), ("remainder", (0.0, -1.0)), ("fmod", (-2.5, 3.0)),
                       ("floor_divide", (-1.0, math.inf)), ("atan2", (-0.0, -1.0)), ("pow", (-0.0, -1.0)),
                       ("maximum", (math.nan, 1.0))]:
        want = getattr(torch, case)(*(torch.tensor([a], dtype=f32) for a in args)).item()
        assert _same(answer(case, "float32", *args), want), (case, args)
    lo = -(1 << 31)
    assert answer("abs", "int32", lo) == lo and answer("neg", "int32", lo) == lo
    assert answer("floor_divide", "int32", lo, -1) == lo and answer("remainder", "int32", 7, 0) is None


def _same(x, y) -> bool:
    if isinstance(x, float) and math.isnan(x):
        return isinstance(y, float) and math.isnan(y)
    return x == y and (not isinstance(x, float) or math.copysign(1, x) == math.copysign(1, y))
