"""The plugin path end to end: examples/third_party_backend (``plugtensor-strict``, an ``ArrayAPIBackend``
over array-api-strict) is pip-installed into the venv, found through its entry point, and serves the
``strict`` device with PyTorch's semantics: values and dtypes against PyTorch 2.13, strides and
storage offsets as on ``cpu`` and in PyTorch, writes through views, autograd, the same random
numbers as ``cpu``, and the whole conformance suite.
"""
from __future__ import annotations

import importlib.metadata
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import plugtensor as pt

torch = pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "third_party_backend"
DEV = "strict"


def _child_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PLUGTENSOR_")}


@pytest.fixture(scope="session")
def installed() -> None:
    """``pip install -e examples/third_party_backend`` once; a no-op when it is already installed."""
    try:
        importlib.metadata.distribution("plugtensor-strict")
    except importlib.metadata.PackageNotFoundError:
        # Its dependencies (plugtensor, array-api-strict) come from the venv or the package index.
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-build-isolation",
                        "-e", str(EXAMPLE)], check=True, capture_output=True, timeout=300)


@pytest.fixture(scope="module")
def dev(installed) -> str:
    """The ``strict`` device in this process. Entry points are read once per process, so when the package
    was installed after plugtensor read them, register the plugin by hand (the entry point is tested in a
    child interpreter below)."""
    try:
        pt.zeros(1, device=DEV)
    except RuntimeError:
        sys.path.insert(0, str(EXAMPLE))
        import plugtensor_strict
        pt.register_plugin(plugtensor_strict, name="strict")
    return DEV


def S(a, dtype=None, requires_grad: bool = False):
    """A strict tensor holding ``a``."""
    return pt.tensor(np.asarray(a), dtype=dtype, device=DEV, requires_grad=requires_grad)


def check(p, t, rtol: float = 1e-6, strides: bool = True) -> None:
    """plugtensor tensor ``p`` equals torch tensor ``t``: dtype, shape, values (and strides, offset)."""
    assert str(p.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], (p.dtype, t.dtype)
    assert tuple(p.shape) == tuple(t.shape)
    np.testing.assert_allclose(p.cpu().numpy(), t.detach().numpy(), rtol=rtol, atol=1e-7)
    if strides:
        assert (p.stride(), p.storage_offset()) == (t.stride(), t.storage_offset())


# -- installation and discovery ---------------------------------------------------------------------------
def test_entry_point_serves_strict_lazily(installed) -> None:
    code = """
        import json, sys
        import plugtensor as pt
        x = pt.zeros(2)                       # reads the entry points; plugtensor_strict registers, lazily
        lazy = "array_api_strict" not in sys.modules
        y = pt.ones(2, device="strict") + 1   # first use of the device loads the backend
        rows = [r for r in pt.devices() if r["device"].startswith("strict")]
        print(json.dumps({"lazy": lazy, "rows": rows, "y": y.tolist(), "device": str(y.device)}))
    """
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=_child_env(), capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["lazy"], "array_api_strict must be imported on first use of the device, not before"
    [row] = out["rows"]
    assert (row["device"], row["backend"], row["status"]) == ("strict:0", "strict", "ok")
    assert row["dtypes"].split(",") == ["bool", "uint8", "int8", "int16", "int32", "int64", "float32", "float64"]
    assert out["y"] == [2.0, 2.0] and out["device"] == "strict:0"


def test_the_package_is_a_few_lines() -> None:
    src = (EXAMPLE / "plugtensor_strict" / "__init__.py").read_text().splitlines()
    code = [line for line in src if line.strip() and not line.lstrip().startswith(("#", '"""'))]
    assert len(code) <= 10, code


def test_readme_examples_run(dev) -> None:
    blocks = re.findall(r"```python\n(.*?)```", (EXAMPLE / "README.md").read_text(), re.S)
    assert len(blocks) == 2
    exec(blocks[1], {})  # the first block is the package's own code, checked by the tests around


def test_undeclared_dtype_is_a_type_error(dev) -> None:
    with pytest.raises(TypeError, match="float16"):
        pt.zeros(2, dtype=pt.float16, device=dev)
    with pytest.raises(TypeError, match="float16"):
        pt.ones(2, device=dev).half()


# -- creation, arithmetic, promotion -----------------------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda m, d: m.zeros(2, 3, device=d), lambda m, d: m.ones(4, dtype=m.int8, device=d),
    lambda m, d: m.full((2, 2), 7, dtype=m.uint8, device=d), lambda m, d: m.arange(1, 10, 3, device=d),
    lambda m, d: m.arange(0.0, 1.0, 0.25, dtype=m.float64, device=d), lambda m, d: m.linspace(-1, 1, 5, device=d),
    lambda m, d: m.eye(3, device=d), lambda m, d: m.tensor([[True, False]], device=d),
    lambda m, d: m.tensor(3.5, device=d), lambda m, d: m.empty(0, 3, device=d).fill_(1),
    lambda m, d: m.full((3,), 300, dtype=m.int16, device=d),
])
def test_creation(dev, make) -> None:
    check(make(pt, dev), make(torch, "cpu"))


BINARY = [("+", lambda a, b: a + b), ("-", lambda a, b: a - b), ("*", lambda a, b: a * b),
          ("/", lambda a, b: a / b), ("//", lambda a, b: a // b), ("%", lambda a, b: a % b),
          ("**", lambda a, b: a ** b), ("<", lambda a, b: a < b), ("fmod", lambda a, b: a.fmod(b)),
          ("maximum", lambda a, b: a.maximum(b if not isinstance(b, int) else a.new_tensor(b)))]


@pytest.mark.parametrize("op", BINARY, ids=[o[0] for o in BINARY])
@pytest.mark.parametrize("da, db", [("float32", "float32"), ("int32", "float64"), ("uint8", "int8"),
                                    ("int64", "int64"), ("float32", "scalar"), ("int16", "scalar")])
def test_binary_broadcasting_and_promotion(dev, op, da, db) -> None:
    rng = np.random.default_rng(0)
    a = rng.integers(1, 6, (3, 1, 4)).astype(da)
    b = 3 if db == "scalar" else (rng.integers(1, 4, (2, 1)) * (-1) ** np.arange(2)[:, None]).astype(db)
    fn = op[1]
    # a is seen through a permuted view (dense, not row-major) to exercise layout-keeping kernels
    a_t = np.ascontiguousarray(a.transpose(2, 0, 1))
    pa, ta = S(a_t).permute(1, 2, 0), torch.tensor(a_t).permute(1, 2, 0)
    pb, tb = (b, b) if db == "scalar" else (S(b), torch.tensor(b))
    if op[0] == "**" and da.startswith(("int", "uint")) and db.startswith("int"):
        pb, tb = (abs(pb), abs(tb)) if db == "scalar" else (pb.abs(), tb.abs())
    # strides: values only here; with operands of different layouts PyTorch's output layout is its own heuristic
    check(fn(pa, pb), fn(ta, tb), rtol=1e-5, strides=False)


def test_bool_arithmetic_and_elementwise_layout(dev) -> None:
    a = np.array([[True, False, True], [False, False, True]])
    check(S(a) + S(a.T).t(), torch.tensor(a) + torch.tensor(a.T).t())
    check(S(a) * S(a), torch.tensor(a) * torch.tensor(a))
    check(S(a).maximum(S(~a)), torch.tensor(a).maximum(torch.tensor(~a)))
    x = np.arange(12.0).reshape(3, 4)
    t, p = torch.tensor(x).t(), S(x).t()
    for f in (lambda v: v.exp(), lambda v: v * 2 + 1, lambda v: v.int(), lambda v: v.clone(), lambda v: v.sin() > 0):
        check(f(p), f(t))  # a transposed input gives a transposed result, as in PyTorch


# -- views: strides, offsets, aliasing ---------------------------------------------------------------------
VIEWS = [("t", lambda t: t.t()), ("slice", lambda t: t[1:, ::2]), ("select", lambda t: t[:, 2]),
         ("view", lambda t: t.view(2, 6)), ("unsqueeze", lambda t: t.unsqueeze(1)),
         ("t-unsqueeze", lambda t: t.t().unsqueeze(0)), ("expand", lambda t: t[:1].expand(3, 4)),
         ("narrow-t", lambda t: t.narrow(1, 1, 2).t()), ("diag-like", lambda t: t.view(-1)[::5]),
         ("none-ellipsis", lambda t: t[..., None, 1:3]), ("empty", lambda t: t[2:2, 1:])]


@pytest.mark.parametrize("view", VIEWS, ids=[v[0] for v in VIEWS])
def test_view_strides_offsets_and_write_through(dev, view) -> None:
    x = np.arange(12.0).reshape(3, 4)
    p, c, t = S(x), pt.tensor(x), torch.tensor(x)
    pv, cv, tv = view[1](p), view[1](c), view[1](t)
    check(pv, tv)
    assert (pv.stride(), pv.storage_offset(), pv.is_contiguous()) == \
        (cv.stride(), cv.storage_offset(), cv.is_contiguous())
    if view[0] != "expand":
        pv.mul_(-1)
        tv.mul_(-1)
        check(p, t)  # the write reached the base
    p.add_(100)
    t.add_(100)
    check(pv, tv)  # and the view sees writes to the base


def test_copy_and_setitem_through_strided_views(dev) -> None:
    x = np.arange(24.0).reshape(2, 3, 4)
    p, t = S(x), torch.tensor(x)
    for f in (lambda v: v.permute(2, 0, 1)[1:3].copy_(v.new_tensor([1.0, 2.0, 3.0])),
              lambda v: v[:, ::2, 1::2].fill_(-5),
              lambda v: v.__setitem__((slice(None), 1), v[:, 2] * 10),
              lambda v: v.transpose(0, 2)[::3].add_(v.transpose(0, 2)[1::3])):
        f(p)
        f(t)
        check(p, t)
    with pytest.raises(RuntimeError):
        pt.zeros(1, 3, device=dev).expand(2, 3).add_(1)  # several elements share one memory location


def _random_view(m, t, rng):
    """A chain of 1-4 random view ops (transpose, strided slice, unsqueeze, select, expand) applied to ``t``."""
    for _ in range(rng.integers(1, 5)):
        nd, op = t.dim(), rng.integers(5)
        if op == 0 and nd >= 2:
            t = t.transpose(*rng.choice(nd, 2, replace=False).tolist())
        elif op == 1 and nd and t.shape[d := int(rng.integers(nd))] > 0:
            a = int(rng.integers(t.shape[d]))
            t = t[(slice(None),) * d + (slice(a, int(rng.integers(a, t.shape[d] + 1)), int(rng.integers(1, 3))),)]
        elif op == 2:
            t = t.unsqueeze(int(rng.integers(nd + 1)))
        elif op == 3 and nd and t.shape[d := int(rng.integers(nd))] > 0:
            t = t.select(d, int(rng.integers(t.shape[d])))
        elif op == 4 and 1 in t.shape:
            t = t.expand(*[3 if i == list(t.shape).index(1) else -1 for i in range(nd)])
    return t


@pytest.mark.parametrize("seed", range(25))
def test_random_view_chains_read_and_write_like_pytorch(dev, seed) -> None:
    x = np.arange(60.0).reshape(3, 4, 5)
    p, t = S(x), torch.tensor(x)
    pv, tv = _random_view(pt, p, np.random.default_rng(seed)), _random_view(torch, t, np.random.default_rng(seed))
    check(pv, tv)
    check(pv * 2 - pv.sum(), tv * 2 - tv.sum(), strides=False)  # result layouts of non-dense inputs differ
    if all(s or n < 2 for s, n in zip(tv.stride(), tv.shape)):  # not expanded: write through it
        pv.mul_(-1)
        tv.mul_(-1)
        if pv.dim() and pv.shape[0]:
            pv[pt.tensor([-1, 0])] += 100  # a cpu index tensor for a strict tensor, as PyTorch allows
            tv[torch.tensor([-1, 0])] += 100
        check(p, t)


# -- indexing ----------------------------------------------------------------------------------------------
def _idx(m, v):
    return m.tensor(v) if m is torch else pt.tensor(v, device=DEV)


GETS = [("ints", lambda m, v: v[_idx(m, [1, 0, -1])]), ("second dim", lambda m, v: v[:, _idx(m, [[1, 0], [2, 2]])]),
        ("separated", lambda m, v: v[_idx(m, [1, 0]), :, _idx(m, [3, -1])]),
        ("mask", lambda m, v: v[v > 9]), ("mask and slice", lambda m, v: v[_idx(m, [True, False]), 1:]),
        ("permuted base", lambda m, v: v.permute(2, 1, 0)[_idx(m, [0, 3]), 1]),
        ("gather", lambda m, v: v[1].gather(1, _idx(m, [[0, 3], [2, 2], [1, 0]]))),
        ("index_select", lambda m, v: v.index_select(2, _idx(m, [3, 0, 0]))),
        ("take", lambda m, v: v.take(_idx(m, [-1, 5, 0]))), ("nonzero", lambda m, v: (v % 5 == 0).nonzero())]


@pytest.mark.parametrize("get", GETS, ids=[g[0] for g in GETS])
def test_indexing_read(dev, get) -> None:
    x = np.arange(24.0).reshape(2, 3, 4)
    check(get[1](pt, S(x)), get[1](torch, torch.tensor(x)))


PUTS = [("setitem ints", lambda m, v: v.__setitem__(_idx(m, [2, 0]), -1.0)),
        ("setitem mask", lambda m, v: v.__setitem__(v > 7, v[v > 7] * 2)),
        ("setitem on transposed view", lambda m, v: v.t().__setitem__((_idx(m, [3, 1]), 2), v.new_tensor([5.0, 6.0]))),
        ("index_put_ accumulate repeats", lambda m, v: v.index_put_((_idx(m, [1, 1, 0, 1]),), v.new_tensor(
            [1.0, 2, 3, 4])[:, None].expand(4, 4), accumulate=True)),
        ("scatter_add_ repeats", lambda m, v: v.scatter_add_(1, _idx(m, [[0, 0, 3], [1, 1, 1]]), v[:2, :3] + 1)),
        ("masked_fill_ view", lambda m, v: v[:, 1:].masked_fill_(v[:, 1:] < 5, 0.5))]


@pytest.mark.parametrize("put", PUTS, ids=[p[0] for p in PUTS])
def test_indexing_write(dev, put) -> None:
    x = np.arange(12.0).reshape(3, 4)
    p, t = S(x), torch.tensor(x)
    put[1](pt, p)
    put[1](torch, t)
    check(p, t)


# -- reductions and matmul ---------------------------------------------------------------------------------
RED = [("sum", lambda v: v.sum(1)), ("sum all", lambda v: v.sum()), ("mean", lambda v: v.mean((0, 2), keepdim=True)),
       ("prod", lambda v: v.prod(2)), ("amax", lambda v: v.amax(0)), ("max", lambda v: v.max(1)[1]),
       ("argmin", lambda v: v.argmin()), ("var", lambda v: v.var(2)), ("cumsum", lambda v: v.cumsum(1)),
       ("sort", lambda v: v.sort(2, descending=True)[0]), ("argsort", lambda v: v.argsort(0)),
       ("any", lambda v: (v > 3).any(2)), ("all", lambda v: (v > -3).all()), ("logsumexp", lambda v: v.logsumexp(1)),
       ("softmax", lambda v: v.softmax(-1)), ("norm", lambda v: v.norm())]


@pytest.mark.parametrize("red", RED, ids=[r[0] for r in RED])
def test_reductions_of_a_permuted_view(dev, red) -> None:
    x = np.random.default_rng(1).normal(size=(4, 3, 5)).round(2)
    p, t = S(x).permute(2, 0, 1), torch.tensor(x).permute(2, 0, 1)
    # sort keeps its input's layout in PyTorch; here (and on cpu) the result is contiguous
    check(red[1](p), red[1](t), rtol=1e-5, strides=red[0] not in ("sort", "argsort"))


@pytest.mark.parametrize("shapes, dtype", [(((3, 4), (4, 2)), "float32"), (((2, 1, 3, 4), (5, 4, 2)), "float64"),
                                           (((4,), (4, 3)), "float32"), (((3, 4), (4,)), "int64")])
def test_matmul(dev, shapes, dtype) -> None:
    rng = np.random.default_rng(2)
    a, b = (rng.integers(-3, 4, s).astype(dtype) for s in shapes)
    check(S(a) @ S(b), torch.tensor(a) @ torch.tensor(b), rtol=1e-5)
    check(S(a.T.copy()).mT @ S(b) if a.ndim == 2 else S(a) @ S(b), torch.tensor(a) @ torch.tensor(b), rtol=1e-5)


# -- autograd and training ---------------------------------------------------------------------------------
def test_gradients_match_pytorch(dev) -> None:
    rng = np.random.default_rng(3)
    x, w, b = rng.normal(size=(5, 3)), rng.normal(size=(3, 2)), rng.normal(size=(2,))
    ps = [S(v, requires_grad=True) for v in (x, w, b)]
    ts = [torch.tensor(v, requires_grad=True) for v in (x, w, b)]

    def f(m, x, w, b):
        y = (x @ w + b).tanh()
        return (y[:, 0] * y.t()[1]).sum() + y.softmax(1)[y > 0].sum() + x.t()[1:].pow(2).mean()

    f(pt, *ps).backward()
    f(torch, *ts).backward()
    for p, t in zip(ps, ts):
        check(p.grad, t.grad, rtol=1e-9)
        assert p.grad.device == pt.device("strict:0")


def test_training_loop_reduces_the_loss(dev) -> None:
    pt.manual_seed(0)
    x = pt.randn(64, 3, device=dev)
    y = x @ pt.tensor([[1.5], [-2.0], [0.5]], device=dev) + 0.3
    model = pt.nn.Linear(3, 1).to(dev)
    opt = pt.optim.SGD(model.parameters(), lr=0.1)
    losses = []
    for _ in range(60):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 1e-3 * losses[0]
    assert all(p.device == pt.device("strict:0") for p in model.parameters())
    np.testing.assert_allclose(model.weight.detach().cpu().numpy(), [[1.5, -2.0, 0.5]], atol=1e-2)


# -- transfers and random numbers --------------------------------------------------------------------------
@pytest.mark.parametrize("values, dtype", [([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, 3.4e38], "float32"),
                                           ([5e-324, -0.0, np.nan, 1.7976931348623157e308], "float64"),
                                           ([-(2 ** 63), 2 ** 63 - 1, 0], "int64"), ([0, 255], "uint8"),
                                           ([-128, 127], "int8"), ([True, False], "bool")])
def test_round_trip_to_cpu_is_exact(dev, values, dtype) -> None:
    a = np.array(values, dtype=dtype)
    back = pt.tensor(a).to(dev).to("cpu").numpy()
    assert back.dtype == a.dtype and back.tobytes() == a.tobytes()
    strided = pt.tensor(np.stack([a, a[::-1]]), device=dev).t()[::2]  # non-contiguous source
    assert strided.cpu().numpy().tobytes() == np.stack([a, a[::-1]]).T[::2].tobytes()


@pytest.mark.parametrize("draw", [lambda d: pt.rand(5, 7, device=d), lambda d: pt.rand(9, dtype=pt.float64, device=d),
                                  lambda d: pt.randint(-5, 1000, (33,), device=d),
                                  lambda d: pt.randint(0, 2 ** 40, (6,), device=d),
                                  lambda d: pt.empty(4, 4, device=d).uniform_(-2, 3)])
def test_manual_seed_gives_the_same_numbers_as_cpu(dev, draw) -> None:
    pt.manual_seed(1234)
    pt.rand(3)  # advance the stream, so the draw starts at an offset that is not a multiple of 4
    a = draw(dev)
    pt.manual_seed(1234)
    pt.rand(3)
    b = draw("cpu")
    assert a.cpu().numpy().tobytes() == b.numpy().tobytes()


def test_normals_match_cpu(dev) -> None:
    for dt in (pt.float32, pt.float64):
        pt.manual_seed(7)
        a = pt.randn(1000, dtype=dt, device=dev).cpu().numpy()
        pt.manual_seed(7)
        np.testing.assert_allclose(a, pt.randn(1000, dtype=dt).numpy(), rtol=1e-6, atol=1e-6)


# -- the conformance suite ---------------------------------------------------------------------------------
def test_conformance_suite_passes_on_strict(installed) -> None:
    pytest.importorskip("plugtensor_conformance")
    r = subprocess.run([sys.executable, "-m", "plugtensor_conformance", "--device", DEV, "--no-progress"],
                       env=_child_env(), capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
