"""The op table itself is checked against PyTorch 2.13, the specification: for every row, dtype and
sample, torch must accept exactly the dtypes the row declares, return the dtypes the row's rule says,
and agree with the row's NumPy reference. This keeps the arbiter honest; the suite itself never
imports torch."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from plugtensor_conformance._harness import (ALL_DTYPES, assert_close, cast_values, expected_as,  # noqa: E402
                                             quiet, to_ref)
from plugtensor_conformance._opinfo import Arg, OpInfo, rng_for  # noqa: E402
from plugtensor_conformance.optable import OPS  # noqa: E402

TABLE = [op for op in OPS if op.custom is None]


def _torch_fn(op: OpInfo):
    if op.func is not None:
        return op.func
    if op.name.startswith("Tensor."):
        m = op.name.split(".", 1)[1]
        return lambda self, *a, **k: getattr(self, m)(*a, **k)
    obj = torch
    for part in op.name.split("."):
        obj = getattr(obj, part)
    return obj


def _layout(v: np.ndarray, layout: str):
    """The torch twin of ``_harness.layout_tensor`` (so view samples are valid for every layout)."""
    if layout == "transposed" and v.ndim >= 2:
        rev = tuple(range(v.ndim - 1, -1, -1))
        return torch.from_numpy(np.ascontiguousarray(v.transpose(rev))).permute(*rev)
    if layout == "sliced" and v.ndim >= 1:
        big = np.zeros(v.shape[:-1] + (2 * v.shape[-1] + 1,), dtype=v.dtype)
        big[..., 1::2] = v
        return torch.from_numpy(big)[..., 1::2]
    return torch.from_numpy(np.array(v, copy=True))


def _build(sample, dtype):
    memo, refs = {}, {}

    def conv(a):
        if isinstance(a, Arg):
            if id(a) not in memo:
                dt = a.final_dtype(dtype)
                v = cast_values(a.values(dt), dt)
                memo[id(a)], refs[id(a)] = _layout(v, a.layout), to_ref(v)
            return memo[id(a)]
        if isinstance(a, (list, tuple)):
            return type(a)(conv(x) for x in a)
        return a

    def ref(a):
        if isinstance(a, Arg):
            return refs[id(a)]
        if isinstance(a, (list, tuple)):
            return type(a)(ref(x) for x in a)
        return a

    args = conv(sample.args)
    kwargs = {k: conv(v) for k, v in sample.kwargs.items()}
    return args, kwargs, ref(sample.args), {k: ref(v) for k, v in sample.kwargs.items()}


def _outs(r):
    return list(r) if isinstance(r, (tuple, list)) else [r]


@pytest.mark.parametrize("op", TABLE, ids=lambda op: op.name)
def test_row_matches_torch(op: OpInfo) -> None:
    fn = _torch_fn(op)
    problems = []
    for dtype in ALL_DTYPES:
        accepted = []
        samples = [s for s in op.samples(rng_for(op.name)) if s.only is None or dtype in s.only]
        for s in samples:
            args, kwargs, rargs, rkwargs = _build(s, dtype)
            try:
                got = fn(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - whether torch raises is the question
                if dtype in op.dtypes:
                    problems.append(f"{dtype} [{s.desc}]: torch raises {type(exc).__name__}: {str(exc)[:120]}")
                continue
            accepted.append(s.desc)
            if dtype not in op.dtypes:
                continue
            with quiet():
                ref = op.ref(*rargs, **rkwargs)
            rule = (s.result or op.result)(dtype)
            gots, refs = _outs(got), _outs(ref)
            if len(gots) != len(refs):
                problems.append(f"{dtype} [{s.desc}]: torch gives {len(gots)} outputs, the reference {len(refs)}")
                continue
            dts = [rule] * len(refs) if isinstance(rule, str) else list(rule)[:len(refs)]
            for g, r, dt in zip(gots, refs, dts):
                if isinstance(r, bool):
                    if g != r:
                        problems.append(f"{dtype} [{s.desc}]: torch {g}, reference {r}")
                    continue
                tdt = str(g.dtype).split(".")[1]
                if tdt != dt:
                    problems.append(f"{dtype} [{s.desc}]: torch dtype {tdt}, rule says {dt}")
                    continue
                try:
                    assert_close(g.detach().numpy(), expected_as(r, dt), dt, op.tol.get(dt))
                except AssertionError as exc:
                    problems.append(f"{dtype} [{s.desc}]: reference disagrees with torch: {str(exc)[:300]}")
        # An excluded dtype is wrong only when torch takes every sample (a Python scalar may promote a
        # bool tensor into a supported dtype, which does not make bool supported).
        if dtype not in op.dtypes and dtype not in op.skip and len(accepted) == len(samples):
            problems.append(f"{dtype}: torch accepts every sample, the row excludes the dtype")
    assert not problems, f"{op.name}:\n" + "\n".join(problems)


GRAD_ROWS = [op for op in TABLE if op.grad]


@pytest.mark.parametrize("op", GRAD_ROWS, ids=lambda op: op.name)
def test_grad_samples_match_torch(op: OpInfo) -> None:
    """Gradient samples avoid non-differentiable points: PyTorch's float64 gradient equals central
    differences of the row's NumPy reference."""
    fn = _torch_fn(op)
    problems = []
    for i, s in enumerate(x for x in op.samples(rng_for(op.name)) if x.grad):
        args, kwargs, rargs, rkwargs = _build(s, "float64")
        leaves = [t for t in _flat(args) + _flat(list(kwargs.values()))
                  if isinstance(t, torch.Tensor) and t.dtype == torch.float64]
        arrays = [a for a in _flat(rargs) + _flat(list(rkwargs.values()))
                  if isinstance(a, np.ndarray) and a.dtype == np.float64]
        for t in leaves:
            t.requires_grad_(True)
        try:
            outs = _outs(fn(*args, **kwargs))
            vs = [np.random.default_rng(i).standard_normal(tuple(o.shape)) if o.dtype.is_floating_point else None
                  for o in outs]
            loss = sum((o * torch.from_numpy(v)).sum() for o, v in zip(outs, vs) if v is not None)
            grads = torch.autograd.grad(loss, leaves, allow_unused=True)
        except Exception as exc:  # noqa: BLE001
            problems.append(f"[{s.desc}]: torch backward raises {type(exc).__name__}: {str(exc)[:150]}")
            continue

        def ref_loss():
            with quiet():
                r = _outs(op.ref(*rargs, **rkwargs))
            return sum(float(np.sum(np.asarray(x, dtype=np.float64) * v)) for x, v in zip(r, vs) if v is not None)

        for t, a, g in zip(leaves, arrays, grads):
            fd = np.zeros(a.shape)
            for k in np.ndindex(*a.shape):
                x0, h = a[k], 1e-6 * max(1.0, abs(a[k]))
                a[k] = x0 + h
                up = ref_loss()
                a[k] = x0 - h
                down = ref_loss()
                a[k] = x0
                fd[k] = (up - down) / (2 * h)
            got = np.zeros(a.shape) if g is None else g.numpy()
            try:
                assert_close(got, fd, "float64", (1e-5, 1e-6))
            except AssertionError as exc:
                problems.append(f"[{s.desc}]: torch gradient != differences of the reference: {str(exc)[:300]}")
    assert not problems, f"{op.name}:\n" + "\n".join(problems)


def _flat(x) -> list:
    if isinstance(x, (list, tuple)):
        return [y for z in x for y in _flat(z)]
    return [x]
