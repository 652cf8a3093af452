"""Printing: a tensor on the device prints exactly as the same values on cpu, with PyTorch's
``device='...'`` suffix placed and wrapped as PyTorch places it. A few reprs are pinned to PyTorch
2.13's own output (module name ``plugtensor``), so the check means something on cpu too."""
from __future__ import annotations

import re

import numpy as np
import pytest

import plugtensor as pt

from ._harness import cast_values
from .plugin import dtype_params

AREA = "printing"
_SUFFIX = re.compile(r",(?:\n *| )(?=(?:size|dtype|requires_grad|grad_fn)=)")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "dtype" in metafunc.fixturenames:
        metafunc.parametrize("dtype", dtype_params(metafunc.config))


def with_device(cpu_repr: str, device: str, linewidth: int = 80) -> str:
    """``cpu_repr`` with ``device='...'`` as the first suffix, wrapped by PyTorch's ``_add_suffixes`` rule
    (which counts the dtype suffix as ``dtype=torch.<name>``)."""
    if pt.device(device).type == "cpu":
        return cpu_repr
    assert cpu_repr.endswith(")")
    parts = _SUFFIX.split(cpu_repr[:-1])
    head, suffixes = parts[0], [f"device='{pt.device(device)}'"] + parts[1:]
    out, last = [head], len(head) - head.rfind("\n") + 1
    indent = len("tensor(")
    for s in suffixes:
        # laid out as PyTorch lays out "torch.<dtype>": plugtensor's repr is PyTorch's with the module renamed
        width = len(s.replace("=plugtensor.", "=torch."))
        if last + width + 2 > linewidth:
            out.append(",\n" + " " * indent + s)
            last = indent + width
        else:
            out.append(", " + s)
            last += width + 2
    return "".join(out) + ")"


def _on(device: str, values, dtype=None, requires_grad: bool = False) -> pt.Tensor:
    return pt.tensor(values, dtype=dtype, device=device, requires_grad=requires_grad)


# (make the tensor on a device, PyTorch 2.13's repr of the same tensor on cpu)
PINNED = [
    (lambda d: _on(d, [1.0, 2.0]), "tensor([1., 2.])"),
    (lambda d: _on(d, [1, 2]), "tensor([1, 2])"),
    (lambda d: _on(d, [1, 2], pt.int32), "tensor([1, 2], dtype=plugtensor.int32)"),
    (lambda d: _on(d, [True, False]), "tensor([ True, False])"),
    (lambda d: _on(d, [1.5, 2.0], pt.float64), "tensor([1.5000, 2.0000], dtype=plugtensor.float64)"),
    (lambda d: _on(d, 3.0), "tensor(3.)"),
    (lambda d: pt.empty(0, 3, device=d), "tensor([], size=(0, 3))"),
    (lambda d: pt.empty(0, dtype=pt.int64, device=d), "tensor([], dtype=plugtensor.int64)"),
    (lambda d: _on(d, [1.0, 2.0], requires_grad=True), "tensor([1., 2.], requires_grad=True)"),
    (lambda d: _on(d, [1.0, 2.0], requires_grad=True) + 1, "tensor([2., 3.], grad_fn=<AddBackward0>)"),
    (lambda d: _on(d, [[1.0, 2.0], [3.0, 4.0]]), "tensor([[1., 2.],\n        [3., 4.]])"),
    (lambda d: _on(d, [0.1, 1e-5, 1234.5]), "tensor([1.0000e-01, 1.0000e-05, 1.2345e+03])"),
    (lambda d: _on(d, [1.0, 2.0], pt.float16), "tensor([1., 2.], dtype=plugtensor.float16)"),
    (lambda d: pt.arange(2000.0, device=d),
     "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n        1.9990e+03])"),
    (lambda d: _on(d, [float("nan"), float("inf"), -1.0]), "tensor([nan, inf, -1.])"),
    (lambda d: _on(d, [[1, 254], [30, 4]], pt.uint8), "tensor([[  1, 254],\n        [ 30,   4]], dtype=plugtensor.uint8)"),
]


@pytest.mark.parametrize("case", range(len(PINNED)))
def test_pinned_reprs(case: int, device: str, target) -> None:
    make, cpu_repr = PINNED[case]
    try:
        t = make(device)
    except TypeError:
        pytest.skip("n/a: the device lacks this dtype")
    assert repr(t) == with_device(cpu_repr, device), f"repr on {device}:\n{t!r}\nexpected:\n" \
                                                     f"{with_device(cpu_repr, device)}"
    assert str(t) == repr(t), "str() and repr() of a tensor are the same"


def _values(dtype: str) -> list[np.ndarray]:
    rng = np.random.default_rng(3)
    return [cast_values(v, dtype) for v in (rng.uniform(-5, 5, (3, 4)), rng.uniform(-1e4, 1e4, (5,)),
                                            rng.uniform(-3, 3, (2, 3, 2)), np.array(2.5), np.zeros((0, 2)),
                                            rng.uniform(0, 9, (40, 40)))]


def test_same_as_cpu(dtype: str, device: str) -> None:
    """The same values print the same on the device as on cpu (contiguous and transposed)."""
    try:
        pt.zeros(1, device="cpu")
    except RuntimeError:
        pytest.skip("n/a: no cpu backend installed to compare with")
    for v in _values(dtype):
        t = pt.tensor(v, device=device)
        c = pt.tensor(v, device="cpu")
        assert repr(t) == with_device(repr(c), device), f"{dtype} {list(v.shape)}:\n{t!r}\nexpected:\n" \
                                                        f"{with_device(repr(c), device)}"
        if v.ndim == 2:
            assert repr(t.t()) == with_device(repr(c.t()), device), "a transposed view prints differently"
    if dtype in ("float16", "float32", "float64"):
        g = pt.tensor(_values(dtype)[1], device=device, requires_grad=True) * 2
        gc = pt.tensor(_values(dtype)[1], device="cpu", requires_grad=True) * 2
        assert repr(g) == with_device(repr(gc), device), "grad_fn suffix"
