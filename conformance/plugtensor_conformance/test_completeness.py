"""The op table and the public namespace agree: every public op of ``plugtensor`` (and of
``plugtensor.nn.functional``) has a row, every row names something that exists, and ``NOT_OPS``
holds only real public names."""
from __future__ import annotations

import plugtensor as pt

from .optable import NOT_OPS, NOT_OPS_FUNCTIONAL, OPS

AREA = "op table"


def _covered() -> set[str]:
    names = set()
    for op in OPS:
        names.add(op.name)
        names.update(op.aliases)
        if op.inplace:
            names.add(op.name + "_")
    return names


def test_every_public_op_has_a_row() -> None:
    missing = sorted(set(pt.__all__) - NOT_OPS - _covered())
    assert not missing, f"public names of plugtensor with no op-table row (add one to optable.py, or to NOT_OPS " \
                        f"with the reason if it is not a tensor op): {missing}"


def test_every_nn_functional_op_has_a_row() -> None:
    public = set(getattr(pt.nn.functional, "__all__", ()))
    missing = sorted(n for n in public - NOT_OPS_FUNCTIONAL if "nn.functional." + n not in _covered())
    assert not missing, f"plugtensor.nn.functional names with no op-table row: {missing}"


def test_rows_name_existing_ops() -> None:
    absent = []
    for op in OPS:
        if op.name.startswith("Tensor."):
            if op.func is None and not hasattr(pt.Tensor, op.name.split(".", 1)[1]):
                absent.append(op.name)
            continue
        obj = pt
        for part in op.name.split("."):
            obj = getattr(obj, part, None)
        if obj is None:
            absent.append(op.name)
        absent += [f"{a} (alias of {op.name})" for a in op.aliases if not hasattr(pt, a)]
        if isinstance(op.method_name, str) and not hasattr(pt.Tensor, op.method_name) and op.method is not None:
            absent.append(f"Tensor.{op.method_name}")
        if op.inplace and not hasattr(pt.Tensor, (op.method_name or op.name) + "_"):
            absent.append(f"Tensor.{op.method_name or op.name}_")
    assert not absent, f"op-table rows whose op plugtensor lacks: {absent}"


def test_not_ops_are_public_names() -> None:
    stale = sorted(NOT_OPS - set(pt.__all__))
    assert not stale, f"NOT_OPS lists names plugtensor does not export: {stale}"


def test_row_names_are_unique() -> None:
    names = [op.name for op in OPS]
    assert len(names) == len(set(names)), "duplicate op-table rows"
