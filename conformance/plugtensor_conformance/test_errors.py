"""Error behaviour on bad input: PyTorch's exception type and a message naming the problem, on the
device. Undeclared dtypes must raise TypeError (never a silent cast); mixing devices is a
RuntimeError naming both devices (checked against cpu when the device is not cpu). The error catalogue
(``errors_catalogue.py``, checked against PyTorch 2.13 by the core's tests) adds wrong usage of every
kind: each refused with PyTorch's exact exception class, a message naming the op or the problem, and
its inputs left untouched."""
from __future__ import annotations

import re

import pytest

import plugtensor as pt

from ._harness import ALL_DTYPES, cpu_available, pt_dtype
from .errors_catalogue import CASES, snapshot

AREA = "errors"


def test_undeclared_dtypes_raise_type_error(device: str, target) -> None:
    missing = [d for d in ALL_DTYPES if d not in target.dtypes]
    if not missing:
        pytest.skip("n/a: the device declares every standard dtype")
    t = pt.zeros(2, device=device)
    for name in missing:
        dt = pt_dtype(name)
        for what, make in [("zeros", lambda: pt.zeros(2, dtype=dt, device=device)),
                           ("tensor", lambda: pt.tensor([1, 0], dtype=dt, device=device)),
                           ("arange", lambda: pt.arange(3, dtype=dt, device=device)),
                           ("Tensor.to", lambda: t.to(dt))]:
            with pytest.raises(TypeError, match=name):
                make()
    if "float64" in missing:
        with pytest.raises(TypeError, match="float64"):
            pt.rand(3, dtype=pt.float64, device=device)


# (what, call taking the device, exception, message pattern)
BAD_INPUT = [
    ("add: shapes that do not broadcast", lambda d: pt.ones(2, 3, device=d) + pt.ones(4, device=d), RuntimeError,
     r"size|shape"),
    ("mm: inner sizes differ", lambda d: pt.ones(2, 3, device=d) @ pt.ones(2, 3, device=d), RuntimeError,
     r"shape|size"),
    ("cat: sizes differ", lambda d: pt.cat([pt.ones(2, 3, device=d), pt.ones(2, 4, device=d)]), RuntimeError,
     r"[Ss]izes"),
    ("index past the end", lambda d: pt.ones(3, device=d)[5], IndexError, r"out of bounds|out of range"),
    ("index past the end of dim 1", lambda d: pt.ones(3, 3, device=d)[:, 7], IndexError, r"out of bounds"),
    ("index_select index out of range", lambda d: pt.ones(3, device=d).index_select(
        0, pt.tensor([5], device=d)), IndexError, r"out of range"),
    ("gather index out of range", lambda d: pt.ones(2, 3, device=d).gather(1, pt.tensor([[5]], device=d)),
     RuntimeError, r"out of bounds"),
    ("dim out of range", lambda d: pt.ones(3, device=d).sum(5), IndexError, r"Dimension out of range"),
    ("view of a transposed tensor", lambda d: pt.ones(2, 3, device=d).t().view(6), RuntimeError, r"view"),
    ("reshape to a wrong size", lambda d: pt.ones(6, device=d).reshape(5), RuntimeError, r"invalid for input"),
    ("item of several elements", lambda d: pt.ones(3, device=d).item(), RuntimeError, r"3 elements"),
    ("requires_grad on integers", lambda d: pt.ones(3, dtype=pt.int64, device=d).requires_grad_(), RuntimeError,
     r"floating point"),
    ("bitwise_and on floats", lambda d: pt.ones(2, device=d).bitwise_and(pt.ones(2, device=d)), RuntimeError,
     r"Float"),
    ("mean of integers", lambda d: pt.ones(2, dtype=pt.int64, device=d).mean(), RuntimeError, r"dtype"),
    ("var of integers", lambda d: pt.ones(2, dtype=pt.int64, device=d).var(), RuntimeError, r"floating point"),
    ("subtracting bools", lambda d: pt.ones(2, dtype=pt.bool, device=d) - pt.ones(2, dtype=pt.bool, device=d),
     RuntimeError, r"bool"),
    ("negating bools", lambda d: -pt.ones(2, dtype=pt.bool, device=d), RuntimeError, r"bool"),
    ("integer to a negative power", lambda d: pt.ones(2, dtype=pt.int64, device=d) ** -1, RuntimeError,
     r"negative"),
    ("where with a float condition", lambda d: pt.where(pt.ones(2, device=d), pt.ones(2, device=d),
                                                        pt.zeros(2, device=d)), RuntimeError, r"bool"),
]


@pytest.mark.parametrize("case", BAD_INPUT, ids=[c[0] for c in BAD_INPUT])
def test_bad_input(case, device: str) -> None:
    what, call, exc, pattern = case
    with pytest.raises(exc, match=pattern):
        call(device)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_error_catalogue(case, device: str) -> None:
    """Every row of ``errors_catalogue.CASES`` on the device: exactly PyTorch's exception class (never a
    backend's or a Python-internal one), a message that names the op or what was wrong, and every input
    tensor left as it was."""
    inputs = case.make(pt, device)
    before = snapshot(inputs)
    with pytest.raises(Exception) as info:
        case.call(pt, *inputs)
    err = info.value
    assert type(err) is case.exc, f"{case.id}: raised {type(err).__name__}: {err} (PyTorch raises {case.exc.__name__})"
    assert re.search(case.match, str(err)), f"{case.id}: the message {str(err)!r} does not match {case.match!r}"
    assert snapshot(inputs) == before, f"{case.id}: an input tensor changed although the call was refused"


def test_mixed_devices(device: str, target) -> None:
    if target.type == "cpu" or not cpu_available():
        pytest.skip("n/a: needs a second device type (cpu) besides the device under test")
    a, b = pt.ones(2, device=device), pt.ones(2, device="cpu")
    dev = str(a.device)
    for what, call in [("add", lambda: a + b), ("mul (cpu first)", lambda: b * a), ("matmul", lambda: a @ b),
                       ("cat", lambda: pt.cat([a, b])), ("where", lambda: pt.where(a > 0, a, b)),
                       ("copy into out=", lambda: pt.add(a, a, out=pt.zeros(2)))]:
        with pytest.raises(RuntimeError) as info:
            call()
        msg = str(info.value)
        assert "cpu" in msg and dev.split(":")[0] in msg, f"{what}: the message must name both devices: {msg}"


def test_bad_device_strings(target) -> None:
    for bad in ("cuda:", "cuda:01", "cuda:-1", "", "CPU", "cpu:0:1"):
        with pytest.raises(RuntimeError, match="device"):
            pt.device(bad)
    with pytest.raises(RuntimeError) as info:
        pt.zeros(1, device="nosuchdevice")
    assert target.type in str(info.value), "an unknown device type must name the installed backends"
    n = target.backend.device_count()
    with pytest.raises(RuntimeError) as info:
        pt.zeros(1, device=f"{target.type}:{n}")
    assert str(n) in str(info.value) or target.type in str(info.value), "an index past the device count"
