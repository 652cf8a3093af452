"""Regenerate ``plugtensor_conformance/data/special_values.json`` from PyTorch, the specification.

Run once per PyTorch release (``python conformance/tools/gen_special_values.py``); the suite itself
never imports torch, and ``tests/test_special_values_data.py`` fails while the committed file differs
from what this script writes. The file records, for every elementwise op of the conformance op table
(and a few variants: ``div``'s rounding modes, Python-number operands, number and tensor bounds of
``clamp``, ``isclose`` with ``equal_nan``), the dtype and values PyTorch 2.13's CPU kernels return on
special values: NaN, +-inf, +-0.0, the smallest subnormal, the smallest normal, the largest finite
value and large values for floats; 0, +-1, the minimum and maximum for integers. Unary ops see every
value of their dtype, binary ops every pair (``a`` repeats each value, ``b`` cycles through them).

Pairs PyTorch refuses or does not define are recorded as ``null`` and not checked: an integer
divisor of zero (PyTorch raises ``ZeroDivisionError``, which ``test_special_values.py`` checks on its
own) and ``div(INT_MIN, -1, rounding_mode='trunc')`` (PyTorch's CPU kernel traps). Each value is also
computed alone (a one-element tensor: PyTorch's scalar loop instead of its vectorised one); a value
on which the two disagree (beyond a few ulp for the rounded functions in ``APPROX``) is listed under
``"torch_inconsistent"`` and recorded as ``null`` (the sign of ``maximum(0.0, -0.0)``: PyTorch gives
either zero), except for fmod and remainder, which record the scalar loop's exact C ``fmod`` where
the vectorised ``a - trunc(a / b) * b`` overflows to NaN.
"""
from __future__ import annotations

import json
import math
import pathlib
import sys

import numpy as np
import torch

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUT = ROOT / "plugtensor_conformance" / "data" / "special_values.json"
sys.path.insert(0, str(ROOT))
from plugtensor_conformance.optable import OPS_BY_NAME  # noqa: E402 - the dtypes each op accepts

NAN, INF = float("nan"), float("inf")
FLOATS = ("float16", "float32", "float64")
INTS = ("uint8", "int8", "int16", "int32", "int64")
LARGE = {"float16": 1e4, "float32": 1e30, "float64": 1e300}


def float_values(dtype: str, binary: bool) -> list[float]:
    fi = np.finfo(dtype)
    sub, tiny, big = float(fi.smallest_subnormal), float(fi.tiny), float(fi.max)
    if binary:
        return [NAN, INF, -INF, 0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, sub, -tiny, big, -big]
    return [NAN, INF, -INF, 0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, 2.5, -2.5, 3.0, -0.25, sub, -sub, tiny, -tiny,
            LARGE[dtype], -LARGE[dtype], big, -big]


def int_values(dtype: str, binary: bool) -> list[int]:
    info = np.iinfo(dtype)
    lo, hi = int(info.min), int(info.max)
    if dtype == "uint8":
        return [0, 1, 2, 3, 7, 127, 128, 254, 255] if binary else [0, 1, 2, 3, 7, 100, 127, 128, 254, 255]
    vals = [0, 1, -1, 2, -3, 7, lo, lo + 1, hi]
    return vals if binary else vals + [hi - 1, 100, -100]


def values(dtype: str, binary: bool) -> list:
    if dtype == "bool":
        return [False, True]
    return float_values(dtype, binary) if dtype in FLOATS else int_values(dtype, binary)


def number_operands(dtype: str) -> list:
    """The Python numbers a binary op takes as its right operand."""
    nums: list = [NAN, INF, -INF, 0.0, -0.0, 2.5]
    if dtype in INTS:
        nums += [0, 2, -1] if dtype != "uint8" else [0, 2]
    return nums


def clamp_bounds(dtype: str) -> list:
    if dtype in FLOATS:
        return [NAN, INF, -INF, 0.0, -0.0, 1.5]
    info = np.iinfo(dtype)
    return [0, 1, int(info.min), int(info.max)] + ([-1] if dtype != "uint8" else [])


UNARY = ["neg", "abs", "exp", "expm1", "log", "log1p", "log2", "log10", "sqrt", "rsqrt", "sin", "cos", "tan",
         "asin", "acos", "atan", "sinh", "cosh", "tanh", "sigmoid", "relu", "sign", "floor", "ceil", "round", "trunc",
         "reciprocal", "square", "bitwise_not", "logical_not", "isnan", "isinf", "isfinite",
         "nn.functional.relu", "nn.functional.sigmoid", "nn.functional.tanh"]
BINARY = ["add", "sub", "mul", "div", "floor_divide", "remainder", "fmod", "pow", "atan2", "maximum", "minimum",
          "eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor", "bitwise_and", "bitwise_or",
          "bitwise_xor", "bitwise_left_shift", "bitwise_right_shift"]
INT_DIVISION = {"floor_divide", "remainder", "fmod", "div[trunc]", "div[floor]"}
NUMBER_OPS = ["add", "sub", "mul", "div", "floor_divide", "remainder", "fmod", "pow", "eq", "lt", "ge"]


def cases() -> list[dict]:
    """Every case: name, op (public name), form, keyword arguments, the op-table row giving its dtypes."""
    out = [dict(name=n, op=n, form="unary") for n in UNARY]
    out += [dict(name=n, op=n, form="binary") for n in BINARY]
    out += [dict(name=f"div[{m}]", op="div", form="binary", kwargs={"rounding_mode": m}, row="div")
            for m in ("trunc", "floor")]
    out += [dict(name=f"{n}[number]", op=n, form="number", row=n) for n in NUMBER_OPS]
    out += [dict(name="where", op="where", form="where"),
            dict(name="clamp[min]", op="clamp", form="binary", kwname="min", row="clamp"),
            dict(name="clamp[max]", op="clamp", form="binary", kwname="max", row="clamp"),
            dict(name="clamp[min,max]", op="clamp", form="ternary", row="clamp"),
            dict(name="clamp[number min]", op="clamp", form="bound", kwname="min", row="clamp"),
            dict(name="clamp[number max]", op="clamp", form="bound", kwname="max", row="clamp"),
            dict(name="clamp_min", op="clamp_min", form="binary"),
            dict(name="clamp_max", op="clamp_max", form="binary"),
            dict(name="isclose", op="isclose", form="binary"),
            dict(name="isclose[equal_nan]", op="isclose", form="binary", kwargs={"equal_nan": True}, row="isclose")]
    return out


def operands(case: dict, dtype: str):
    """(inputs: a list of value lists or numbers per argument, keyword name of argument 1 or None)."""
    form = case["form"]
    if form == "unary":
        return [values(dtype, False)]
    v = values(dtype, True)
    n = len(v)
    a = [x for x in v for _ in range(n)]
    b = v * n
    if form == "binary":
        return [a, b]
    if form == "ternary":  # clamp(x, min, max): every (min, max) pair over every x
        return [[x for x in v for _ in range(n * n)], [y for y in v for _ in range(n)] * n, v * n * n]
    if form == "where":  # where(cond, a, b): a and b over every pair, cond alternating
        return [[i % 3 != 1 for i in range(n * n)], a, b]
    if form == "number":
        return [v] + [number_operands(dtype)]
    if form == "bound":
        return [v] + [clamp_bounds(dtype)]
    raise KeyError(form)


def torch_fn(name: str):
    obj = torch
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def call(case: dict, dtype: str, args: list, fn=None):
    """Run the case on torch tensors of ``dtype`` (the where condition: bool)."""
    fn = fn or torch_fn(case["op"])
    kw = dict(case.get("kwargs", {}))
    tdt = getattr(torch, dtype)
    ts = [torch.tensor(x, dtype=torch.bool if case["form"] == "where" and i == 0 else tdt) for i, x in enumerate(args)]
    if case["form"] == "binary" and "kwname" in case:
        return fn(ts[0], **{case["kwname"]: ts[1]}, **kw)
    return fn(*ts, **kw)


def skipped(case: dict, dtype: str, args: list) -> list[bool]:
    """Elements not recorded: integer division by zero, and the trunc division PyTorch traps on."""
    if dtype not in INTS or case["name"] not in INT_DIVISION:
        return [False] * len(args[0])
    lo = int(np.iinfo(dtype).min)
    return [b == 0 or (case["name"] == "div[trunc]" and a == lo and b == -1) for a, b in zip(args[0], args[1])]


def encode(t: torch.Tensor) -> list:
    if t.dtype.is_floating_point:
        return [float(x) for x in t.double().flatten().tolist()]
    return [bool(x) if t.dtype == torch.bool else int(x) for x in t.flatten().tolist()]


# Ops whose float results are rounded approximations (libm, SLEEF, OpenCL's builtins differ by a few
# ulp): their finite nonzero values are compared within a tolerance. Every other value, and every
# value of the other ops, is compared exactly (NaN equal to NaN, the sign of zero included).
APPROX = {"exp", "expm1", "log", "log1p", "log2", "log10", "sqrt", "rsqrt", "sin", "cos", "tan", "asin", "acos",
          "atan", "sinh", "cosh", "tanh", "sigmoid", "reciprocal", "nn.functional.sigmoid", "nn.functional.tanh",
          "div", "div[number]", "pow", "pow[number]", "atan2"}
# How far PyTorch's own vector and scalar loops may be apart on an approximate value.
_LOOP_RTOL = {"float16": 1e-3, "float32": 1e-5, "float64": 1e-12}


def same(x, y, rtol: float | None = None) -> bool:
    """Bit-careful equality: NaN equals NaN, 0.0 differs from -0.0; within ``rtol`` when given
    for finite nonzero values."""
    if isinstance(x, float):
        if math.isnan(x) or math.isnan(y):
            return math.isnan(x) and math.isnan(y)
        if rtol is not None and x != 0 and y != 0 and math.isfinite(x) and math.isfinite(y):
            return abs(x - y) <= rtol * abs(x)
        return x == y and math.copysign(1.0, x) == math.copysign(1.0, y)
    return x == y


def checked(case: dict, dtype: str, got: list, run_alone, where: list, notes: list) -> list:
    """``got`` with each value PyTorch's scalar loop (the op on that element alone) disagrees with
    replaced: by the scalar loop's value for fmod and remainder (the vector loop's ``a - trunc(a / b) * b``
    overflows to NaN where C's fmod is exact), else by None (PyTorch defines no single answer)."""
    out = []
    for i, v in enumerate(got):
        alone = run_alone(i)
        rdt = "float16" if dtype == "float16" else "float64" if dtype == "float64" else "float32"
        if not same(alone, v, _LOOP_RTOL[rdt] if case["name"] in APPROX else None):
            notes.append(f"{case['name']} {dtype} {where[i]}: vectorised {v}, alone {alone}")
            v = alone if case["op"] in ("fmod", "remainder") else None
        out.append(v)
    return out


def record(case: dict, dtype: str, notes: list) -> dict:
    args = operands(case, dtype)
    if case["form"] in ("number", "bound"):
        return record_numbers(case, dtype, args, notes)
    skip = skipped(case, dtype, args)
    keep = [[x for x, s in zip(arg, skip) if not s] for arg in args]
    try:
        r = call(case, dtype, keep)
    except Exception as exc:  # noqa: BLE001 - the exception type is the recorded answer
        return {"error": type(exc).__name__}
    got = checked(case, dtype, encode(r), lambda i: encode(call(case, dtype, [[arg[i]] for arg in keep]))[0],
                  [[arg[i] for arg in keep] for i in range(len(keep[0]))], notes)
    it = iter(got)
    return {"dtype": str(r.dtype).split(".")[1], "values": [None if s else next(it) for s in skip]}


def record_numbers(case: dict, dtype: str, args: list, notes: list) -> dict:
    """One entry per Python number: the op of the tensor ``args[0]`` with that number."""
    fn, tdt, out = torch_fn(case["op"]), getattr(torch, dtype), {}

    def run(x, num):
        if case["form"] == "bound":
            return fn(x, **{case["kwname"]: num})
        return fn(x, num, **case.get("kwargs", {}))

    x = torch.tensor(args[0], dtype=tdt)
    for num in args[1]:
        key = json.dumps(num)  # NaN, Infinity, -0.0, 2, 2.5: int and float numbers stay apart
        if dtype in INTS and isinstance(num, int) and num == 0 and case["op"] in ("floor_divide", "remainder", "fmod"):
            continue  # integer division by zero: test_special_values.py checks the error itself
        try:
            r = run(x, num)
        except Exception as exc:  # noqa: BLE001
            out[key] = {"error": type(exc).__name__}
            continue
        got = checked(case, dtype, encode(r), lambda i: encode(run(x[i:i + 1], num))[0],
                      [[a, num] for a in args[0]], notes)
        out[key] = {"dtype": str(r.dtype).split(".")[1], "values": got}
    return {"numbers": out}


def build() -> str:
    notes: list[str] = []
    data: dict = {
        "torch_version": torch.__version__.split("+")[0],
        "forms": {
            "unary": "op(a)",
            "binary": "op(a, b) (clamp[min]: clamp(a, min=b); clamp[max]: clamp(a, max=b))",
            "ternary": "clamp(a, b, c)",
            "where": "where(a, b, c), a a bool tensor",
            "number": "op(a, number) for each Python number under 'numbers' (its JSON text is the key)",
            "bound": "clamp(a, min=number) or clamp(a, max=number) for each number",
        },
        "values": {"unary": {d: values(d, False) for d in ("bool",) + INTS + FLOATS},
                   "binary": {d: values(d, True) for d in ("bool",) + INTS + FLOATS}},
        "cases": {},
    }
    for case in cases():
        row = OPS_BY_NAME[case.get("row", case["op"])]
        entry = {"op": case["op"], "form": case["form"], "kwargs": case.get("kwargs", {}),
                 "approx": case["name"] in APPROX, "dtypes": {}}
        if "kwname" in case:
            entry["kwname"] = case["kwname"]
        for dtype in ("bool",) + INTS + FLOATS:
            if dtype not in row.dtypes:
                continue
            if case["form"] in ("number", "bound") and dtype == "bool":
                continue
            entry["dtypes"][dtype] = record(case, dtype, notes)
        data["cases"][case["name"]] = entry
    data["torch_inconsistent"] = notes
    return _dump(data)


def _dump(data: dict) -> str:
    """JSON with one (case, dtype) per line: diffs between PyTorch releases stay readable."""
    def block(rows: list[str], indent: str) -> str:
        return "\n" + ",\n".join(indent + r for r in rows) + "\n" + indent[:-2]

    compact = {"separators": (",", ":")}
    values = [f"{json.dumps(kind)}: {{{block([f'{json.dumps(d)}: {json.dumps(v)}' for d, v in per.items()], '    ')}}}"
              for kind, per in data["values"].items()]
    cases = []
    for name, entry in data["cases"].items():
        head = json.dumps({k: v for k, v in entry.items() if k != "dtypes"}, sort_keys=True)[:-1]
        rows = [f"{json.dumps(d)}: {json.dumps(v, **compact)}" for d, v in entry["dtypes"].items()]
        cases.append(f'{json.dumps(name)}: {head}, "dtypes": {{{block(rows, "    ")}}}}}')
    parts = [f'"torch_version": {json.dumps(data["torch_version"])}',
             f'"forms": {json.dumps(data["forms"], sort_keys=True)}',
             f'"torch_inconsistent": [{block([json.dumps(n) for n in data["torch_inconsistent"]], "  ")}]',
             f'"values": {{{block(values, "  ")}}}', f'"cases": {{{block(cases, "  ")}}}']
    return "{\n" + ",\n".join(parts) + "\n}\n"


def main() -> None:
    text = build()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text)
    data = json.loads(text)
    print(f"wrote {OUT} ({len(data['cases'])} cases, {len(text) // 1024} KiB, "
          f"{len(data['torch_inconsistent'])} values where PyTorch's vector and scalar loops disagree)")


if __name__ == "__main__":
    main()
