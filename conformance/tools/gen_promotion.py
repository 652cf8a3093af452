"""Regenerate ``plugtensor_conformance/data/promotion.json`` from PyTorch, the specification.

Run once per PyTorch release (``python conformance/tools/gen_promotion.py``); the suite itself never
imports torch. The file records, for every pair of the nine standard dtypes, ``torch.promote_types``,
and for a few binary ops the dtype and values PyTorch returns for every combination of operand kinds:
a 1-d tensor (``t:DTYPE``), a 0-dim tensor (``z:DTYPE``) and Python scalars (``s:int``, ``s:float``,
``s:bool``). An op that raises records the exception type instead.
"""
from __future__ import annotations

import json
import pathlib

import torch

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
OPS = ["add", "sub", "mul", "div", "eq", "maximum", "bitwise_and", "where"]
OUT = pathlib.Path(__file__).resolve().parents[1] / "plugtensor_conformance" / "data" / "promotion.json"

# Operand values: small, exact in every dtype, nonzero (so division is defined).
_VEC = {"bool": [True, False], "default": [1, 2]}
_ZERO_DIM = {"bool": True, "default": 3}
SCALARS = {"s:int": 2, "s:float": 2.5, "s:bool": True}


def operand(kind: str):
    """The torch operand for ``kind`` and its JSON description."""
    if kind in SCALARS:
        return SCALARS[kind]
    form, name = kind.split(":")
    dt = getattr(torch, name)
    if form == "t":
        return torch.tensor(_VEC.get(name, _VEC["default"]), dtype=dt)
    return torch.tensor(_ZERO_DIM.get(name, _ZERO_DIM["default"]), dtype=dt)


def run(op: str, a, b):
    if op == "where":
        cond = torch.tensor([True, False])
        return torch.where(cond, a, b)
    if op == "maximum" and not isinstance(b, torch.Tensor):
        raise TypeError("maximum takes tensors only")
    return getattr(torch, op)(a, b)


def main() -> None:
    tensors = [f"{f}:{d}" for f in ("t", "z") for d in DTYPES]
    data = {
        "torch_version": torch.__version__.split("+")[0],
        "default_dtype": "float32",
        "dtypes": DTYPES,
        "operands": {"t": "1-d tensor [1, 2] ([True, False] for bool)", "z": "0-dim tensor 3 (True for bool)",
                     "scalars": SCALARS, "where": "torch.where(tensor([True, False]), left, right)"},
        "promote_types": {f"{a},{b}": str(torch.promote_types(getattr(torch, a), getattr(torch, b))).split(".")[1]
                          for a in DTYPES for b in DTYPES},
        "ops": {},
    }
    for op in OPS:
        cases = {}
        for left in tensors:
            for right in tensors + list(SCALARS):
                if op == "maximum" and right in SCALARS:
                    continue  # torch.maximum takes tensors only
                try:
                    r = run(op, operand(left), operand(right))
                except Exception as exc:  # noqa: BLE001 - the exception type is the recorded answer
                    cases[f"{left}|{right}"] = {"error": type(exc).__name__}
                    continue
                cases[f"{left}|{right}"] = {"dtype": str(r.dtype).split(".")[1], "shape": list(r.shape),
                                           "values": r.double().flatten().tolist()}
        data["ops"][op] = cases
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(_dump(data))
    print(f"wrote {OUT} ({sum(len(c) for c in data['ops'].values())} op cases)")


def _dump(data: dict) -> str:
    """JSON with one op case per line: small, and diffs between PyTorch releases stay readable."""
    head = {k: v for k, v in data.items() if k not in ("ops", "promote_types")}
    lines = ["{"] + [f"{json.dumps(k)}: {json.dumps(v, sort_keys=True)}," for k, v in sorted(head.items())]
    lines.append('"promote_types": {')
    lines.append(",\n".join(f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in data["promote_types"].items()))
    lines.append("},")
    lines.append('"ops": {')
    ops = []
    for op, cases in data["ops"].items():
        body = ",\n".join(f"    {json.dumps(k)}: {json.dumps(v, sort_keys=True)}" for k, v in cases.items())
        ops.append(f"  {json.dumps(op)}: {{\n{body}\n  }}")
    lines.append(",\n".join(ops))
    lines.append("}")
    lines.append("}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
