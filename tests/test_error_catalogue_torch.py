"""The conformance suite's error catalogue checked against PyTorch 2.13, the specification: every row,
run with ``m = torch`` on cpu, must raise exactly the exception class the row says plugtensor must
raise, and leave its inputs as they were (so the suite's "inputs unchanged" check asks no more than
PyTorch does). The suite itself (``plugtensor_conformance/test_errors.py``) never imports torch; this
is where its expected classes come from."""
from __future__ import annotations

import warnings

import pytest

torch = pytest.importorskip("torch")

from plugtensor_conformance.errors_catalogue import CASES, snapshot  # noqa: E402


def test_catalogue_is_large_and_ids_unique() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) >= 150
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_torch_raises_the_catalogued_class(case) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. mse_loss's broadcasting warning before its error
        inputs = case.make(torch, "cpu")
        before = snapshot(inputs)
        with pytest.raises(Exception) as info:
            case.call(torch, *inputs)
    assert type(info.value) is case.exc, (f"{case.id}: torch raises {type(info.value).__name__}: {info.value}, "
                                          f"the catalogue says {case.exc.__name__}")
    if case.torch_writes:
        assert snapshot(inputs) != before, f"{case.id}: torch no longer writes before raising: drop torch_writes"
    else:
        assert snapshot(inputs) == before, f"{case.id}: torch changed an input"
