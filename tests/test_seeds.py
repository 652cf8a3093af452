"""The programs of the five seed notes (shared/seeds/*.txt), run with plugtensor and with PyTorch 2.13.

Each program is a note's cell written once against a module ``m``, with ``print`` replaced by
``show`` so its transcript can be compared. Every test runs with plugtensor and with torch and
asserts the values the notes show; for programs that do not depend on random numbers the
transcripts must also be identical (``torch`` read as ``plugtensor``). Random values cannot
match (each library has its own generator), so those programs assert relations that hold for
any draw. Finally the walkthrough script is run end to end.
"""
from __future__ import annotations

import pathlib
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import plugtensor as pt  # noqa: E402

MODULES = {"plugtensor": pt, "torch": torch}
ROOT = pathlib.Path(__file__).resolve().parents[1]


class Transcript(list):
    """Collects what a program prints: ``show(a, b)`` records ``str(a) + ' ' + str(b)``."""

    def __call__(self, *args) -> None:
        self.append(" ".join(str(a) for a in args))


@pytest.fixture(params=sorted(MODULES))
def m(request):
    """Every seed test runs on plugtensor and on torch: the asserted values are torch's too."""
    return MODULES[request.param]


def transcripts_agree(program) -> list[str]:
    """Run ``program(m, show)`` in both libraries; the printed lines must be the same."""
    lines = {}
    for name, mod in MODULES.items():
        show = Transcript()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            program(mod, show)
        lines[name] = list(show)
    assert lines["plugtensor"] == [line.replace("torch", "plugtensor") for line in lines["torch"]]
    return lines["plugtensor"]


def values(t) -> list:
    return t.detach().tolist()


# -- note 0: data types, creation, arithmetic, first gradients ------------------------------------
def note0_dtypes(m, show):
    for dt in (m.float32, m.float64, m.float16, m.uint8, m.int8, m.int16, m.int32, m.int64):
        show(dt, m.empty(0, dtype=dt).type(), m.empty(0, dtype=dt).element_size())


def test_note0_dtype_table():
    lines = transcripts_agree(note0_dtypes)
    assert lines[0] == "plugtensor.float32 plugtensor.FloatTensor 4"
    assert lines[3] == "plugtensor.uint8 plugtensor.ByteTensor 1"
    assert lines[7] == "plugtensor.int64 plugtensor.LongTensor 8"


def test_note0_creation(m):
    x = m.Tensor(5, 3)
    assert x.size() == (5, 3) and x.dtype == m.float32
    x = m.rand(5, 3)
    assert x.shape == (5, 3) and ((x >= 0) & (x < 1)).all()
    assert m.randn(4, 4).shape == (4, 4)
    x = m.Tensor([1, 2])
    assert x.dtype == m.float32 and x.tolist() == [1.0, 2.0]
    a = np.ones(5)
    b = m.from_numpy(a)
    a[0] = 7  # from_numpy shares memory
    assert b.dtype == m.float64 and b.tolist() == [7.0, 1.0, 1.0, 1.0, 1.0]
    assert tuple(x.size()) == (2,)


def test_note0_arithmetic(m):
    x = m.rand(5, 3)
    y = m.rand(5, 3)
    expected = x.numpy() + y.numpy()
    np.testing.assert_allclose((x + y).numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(m.add(x, y).numpy(), expected, rtol=1e-6)
    result = m.rand(5, 3)
    assert m.add(x, y, out=result) is result
    np.testing.assert_allclose(result.numpy(), expected, rtol=1e-6)
    y.add_(x)
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(x.mean().item(), x.numpy().astype(np.float64).mean(), rtol=1e-5)
    np.testing.assert_allclose(x.norm().item(), np.linalg.norm(x.numpy().astype(np.float64)), rtol=1e-5)


def note0_linear_gradients(m, show):
    x = m.autograd.Variable(m.Tensor([2]), requires_grad=True)
    y = m.autograd.Variable(m.Tensor([3]), requires_grad=True)
    z = 2 * x + 3 * y + 4
    z.backward()
    show(x.grad.data)
    show(y.grad.data)


def test_note0_linear_gradients():
    assert transcripts_agree(note0_linear_gradients) == ["tensor([2.])", "tensor([3.])"]


def note0_mean_of_squares(m, show):
    x = m.autograd.Variable(m.ones(2, 2), requires_grad=True)
    y = x + 2
    z = y * y * 3
    out = z.mean()
    out.backward()
    show(x.grad)


def test_note0_mean_of_squares():
    assert transcripts_agree(note0_mean_of_squares) == ["tensor([[4.5000, 4.5000],\n        [4.5000, 4.5000]])"]


def note0_given_gradient(m, show):
    x = m.autograd.Variable(m.Tensor([2, 1]), requires_grad=True)
    y = x + 2
    gradients = m.FloatTensor([0.01, 0.1])
    y.backward(gradients)
    show(x.grad.data)


def test_note0_given_gradient():
    assert transcripts_agree(note0_given_gradient) == ["tensor([0.0100, 0.1000])"]


def test_note0_given_gradient_values(m):
    x = m.tensor([2.0, 1.0], requires_grad=True)
    (x + 2).backward(m.FloatTensor([0.01, 0.1]))
    np.testing.assert_allclose(values(x.grad), [0.01, 0.1], rtol=1e-6)


# -- note 1: Variable, grad_fn, the doubling loop -------------------------------------------------
def note1_variable(m, show):
    x = m.autograd.Variable(m.ones(2, 2), requires_grad=True)
    show(x)
    y = x * 2
    show(y)
    show(type(y.grad_fn).__name__)
    z = y * y * 3
    show(z)
    out = z.mean()
    show(out)
    out.backward()
    show(x.grad)


def test_note1_variable_mean():
    assert transcripts_agree(note1_variable) == [
        "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)",
        "tensor([[2., 2.],\n        [2., 2.]], grad_fn=<MulBackward0>)",
        "MulBackward0",
        "tensor([[12., 12.],\n        [12., 12.]], grad_fn=<MulBackward0>)",
        "tensor(12., grad_fn=<MeanBackward0>)",
        "tensor([[6., 6.],\n        [6., 6.]])",
    ]


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_note1_doubling_loop(m, seed):
    m.manual_seed(seed)
    x = m.randn(3)
    x = m.autograd.Variable(x, requires_grad=True)
    y = x * 2
    doublings = 1
    while y.data.norm() < 1000:
        y = y * 2
        doublings += 1
    assert y.data.norm() >= 1000 > (y.data / 2).norm()
    np.testing.assert_allclose(values(y), (x.detach().numpy() * 2.0 ** doublings), rtol=1e-6)
    gradients = m.FloatTensor([0.1, 1.0, 0.0001])
    y.backward(gradients)
    # the notes' 102.4 / 1024 / 0.1024 is this with 10 doublings
    np.testing.assert_allclose(values(x.grad), [0.1 * 2 ** doublings, 2.0 ** doublings, 0.0001 * 2 ** doublings],
                               rtol=1e-6)


# -- note 2: the tutorial -------------------------------------------------------------------------
def note2_tensors(m, show):
    x = m.empty(5, 3)
    show(x.size())
    x = m.zeros(5, 3, dtype=m.long)
    show(x)
    x = m.tensor([5.5, 3])
    show(x)
    show(x.size())


def test_note2_tensors():
    assert transcripts_agree(note2_tensors) == [
        "plugtensor.Size([5, 3])",
        "tensor([[0, 0, 0],\n        [0, 0, 0],\n        [0, 0, 0],\n        [0, 0, 0],\n        [0, 0, 0]])",
        "tensor([5.5000, 3.0000])",
        "plugtensor.Size([2])",
    ]


def test_note2_rand(m):
    x = m.rand(5, 3)
    assert x.shape == (5, 3) and x.dtype == m.float32 and ((x >= 0) & (x < 1)).all()


def test_note2_operations(m):
    x = m.rand(5, 3)
    y = m.rand(5, 3)
    expected = x.numpy() + y.numpy()
    z = m.empty(5, 3)
    m.add(x, y, out=z)
    np.testing.assert_allclose(z.numpy(), expected, rtol=1e-6)
    y_before = y
    assert y.add_(x) is y_before  # in place, returns itself
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-6)


def note2_views(m, show):
    x = m.randn(4, 4)
    y = x.view(16)
    z = x.view(-1, 8)
    show(x.size(), y.size(), z.size())


def test_note2_views(m):
    assert transcripts_agree(note2_views) == ["plugtensor.Size([4, 4]) plugtensor.Size([16]) plugtensor.Size([2, 8])"]
    x = m.randn(1)
    value = x.item()
    assert isinstance(value, float) and value == float(x.numpy()[0])
    assert str(x) == f"tensor([{value:.4f}])"


def note2_numpy_bridge(m, show):
    a = m.ones(2, 2)
    show(a)
    b = a.numpy()
    show(repr(b))
    a = np.ones(5)
    b = m.from_numpy(a)
    np.add(a, 1, out=a)
    show(a)
    show(b)


def test_note2_numpy_bridge(m):
    assert transcripts_agree(note2_numpy_bridge) == [
        "tensor([[1., 1.],\n        [1., 1.]])",
        "array([[1., 1.],\n       [1., 1.]], dtype=float32)",
        "[2. 2. 2. 2. 2.]",
        "tensor([2., 2., 2., 2., 2.], dtype=plugtensor.float64)",
    ]
    a = m.ones(2, 2)
    b = a.numpy()
    b[0, 0] = 5.0  # a and b share memory
    assert a.tolist() == [[5.0, 1.0], [1.0, 1.0]]


def test_note2_cuda_cell(m):
    x = m.tensor([-0.1311])
    available = m.cuda.is_available()
    assert isinstance(available, bool)
    if available:
        device = m.device("cuda")
        y = m.ones_like(x, device=device)
        x = x.to(device)
        z = x + y
        assert z.device.type == "cuda"
        back = z.to("cpu", m.double)
        assert back.dtype == m.float64 and back.device.type == "cpu"
        np.testing.assert_allclose(values(back), [0.8689], rtol=1e-6)


def note2_autograd(m, show):
    x = m.ones(2, 2, requires_grad=True)
    show(x)
    y = x + 2
    show(y)
    z = y * y * 3
    out = z.mean()
    show(z, out)
    out.backward()
    try:
        out.backward()
    except RuntimeError as e:
        show(type(e).__name__, str(e).split(" (")[0])
    show(x.grad)


def test_note2_autograd():
    assert transcripts_agree(note2_autograd) == [
        "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)",
        "tensor([[3., 3.],\n        [3., 3.]], grad_fn=<AddBackward0>)",
        "tensor([[27., 27.],\n        [27., 27.]], grad_fn=<MulBackward0>) tensor(27., grad_fn=<MeanBackward0>)",
        "RuntimeError Trying to backward through the graph a second time",
        "tensor([[4.5000, 4.5000],\n        [4.5000, 4.5000]])",
    ]


def test_note2_second_backward_message(m):
    x = m.ones(2, 2, requires_grad=True)
    out = ((x + 2) * (x + 2) * 3).mean()
    out.backward()
    with pytest.raises(RuntimeError, match=r"Trying to backward through the graph a second time .*"
                                           r"Specify retain_graph=True"):
        out.backward()


# -- note 3: attributes, devices, y = w * x + b -------------------------------------------------
def note3_linear(m, show):
    x = m.tensor(3.)
    w = m.tensor(4., requires_grad=True)
    b = m.tensor(5., requires_grad=True)
    y = w * x + b
    show(y)
    y.backward()
    show('dy/dx:', x.grad)
    show('dy/dw:', w.grad)
    show('dy/db:', b.grad)
    show(w.shape, w.size(), w.ndim, w.dtype, w.type(), w.is_cuda, w.grad, w.requires_grad)


def test_note3_linear():
    assert transcripts_agree(note3_linear) == [
        "tensor(17., grad_fn=<AddBackward0>)",
        "dy/dx: None",
        "dy/dw: tensor(3.)",
        "dy/db: tensor(1.)",
        "plugtensor.Size([]) plugtensor.Size([]) 0 plugtensor.float32 plugtensor.FloatTensor False tensor(3.) True",
    ]


def test_note3_devices(m):
    cpu = m.device("cpu")
    x = m.rand(10).to(cpu)
    assert x.device == cpu and not x.is_cuda
    assert str(m.device("cuda:0")) == "cuda:0"  # naming a device needs no such device


# -- note 4: tensors, indexing, NumPy, a dynamic graph ------------------------------------------
def test_note4_tensors_and_indexing(m):
    x = m.rand(5, 3)
    y = m.ones(5, 3)
    z = m.zeros(2, 5, 3)
    assert str(z[0]) == "tensor([[0., 0., 0.],\n" + ",\n".join(["        [0., 0., 0.]"] * 4) + "])"
    assert str(z).startswith("tensor([[[0., 0., 0.],") and "\n\n        [[0., 0., 0.]," in str(z)
    assert x[1, 2].shape == () and x[1, 2].item() == x.numpy()[1, 2]
    assert values(x[:, 2]) == x.numpy()[:, 2].tolist()
    np.testing.assert_allclose((x + y).numpy(), x.numpy() + 1, rtol=1e-6)
    q = x.mm(y.t())
    assert q.shape == (5, 5)
    # every column of x @ ones.T holds the row sums of x
    np.testing.assert_allclose(q.numpy(), np.repeat(x.numpy().sum(1, keepdims=True), 5, axis=1), rtol=1e-5)


def test_note4_numpy(m):
    x_tensor = m.randn(2, 3)
    y_numpy = np.random.default_rng(0).standard_normal((2, 3))
    x_numpy = x_tensor.numpy()
    assert x_numpy.dtype == np.float32 and x_numpy.shape == (2, 3)
    y_tensor = m.from_numpy(y_numpy)
    assert y_tensor.dtype == m.float64
    np.testing.assert_array_equal(y_tensor.numpy(), y_numpy)
    assert str(m.cuda.is_available()) in ("True", "False")


def note4_dynamic_graph(m, show):
    x = m.autograd.Variable(m.ones(2, 2), requires_grad=True)
    show(x)
    y = x + 2
    show(y)
    show(y.data)
    show(type(y.grad_fn).__name__)
    z = y * y
    show(type(z.grad_fn).__name__)
    t = m.mean(z)
    show(t)
    t.backward()
    show(z.grad)
    show(y.grad)
    show(x.grad)


def test_note4_dynamic_graph():
    assert transcripts_agree(note4_dynamic_graph) == [
        "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)",
        "tensor([[3., 3.],\n        [3., 3.]], grad_fn=<AddBackward0>)",
        "tensor([[3., 3.],\n        [3., 3.]])",
        "AddBackward0",
        "MulBackward0",
        "tensor(9., grad_fn=<MeanBackward0>)",
        "None",
        "None",
        "tensor([[1.5000, 1.5000],\n        [1.5000, 1.5000]])",
    ]


def test_note4_non_leaf_grad_warns(m):
    x = m.autograd.Variable(m.ones(2, 2), requires_grad=True)
    y = x + 2
    z = y * y
    m.mean(z).backward()
    with pytest.warns(UserWarning, match="not a leaf Tensor"):
        assert z.grad is None
    with pytest.warns(UserWarning, match="not a leaf Tensor"):
        assert y.grad is None


def note4_matrix_loop(m, show):
    s = m.autograd.Variable(m.FloatTensor([[0.01, 0.02]]), requires_grad=True)
    x = m.autograd.Variable(m.ones(2, 2), requires_grad=True)
    for i in range(10):
        s = s.mm(x)
    z = m.mean(s)
    z.backward()
    show(x.grad)
    show(s.grad)


def test_note4_matrix_loop():
    assert transcripts_agree(note4_matrix_loop) == [
        "tensor([[37.1200, 37.1200],\n        [39.6800, 39.6800]])",
        "None",
    ]


def test_note4_matrix_loop_values(m):
    s = m.tensor([[0.01, 0.02]], requires_grad=True)
    x = m.ones(2, 2, requires_grad=True)
    for _ in range(10):
        s = s.mm(x)
    m.mean(s).backward()
    np.testing.assert_allclose(values(x.grad), [[37.12, 37.12], [39.68, 39.68]], rtol=1e-5)


# -- the walkthrough script ---------------------------------------------------------------------
def test_walkthrough_runs_end_to_end():
    script = ROOT / "examples" / "seeds_walkthrough.py"
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    elapsed = time.perf_counter() - start
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for expected in [
        "tensor([2.])\ntensor([3.])",
        "tensor([[4.5000, 4.5000],\n        [4.5000, 4.5000]])",
        "tensor([0.0100, 0.1000])",
        "tensor([[6., 6.],\n        [6., 6.]])",
        "RuntimeError: Trying to backward through the graph a second time",
        "tensor(17., grad_fn=<AddBackward0>)\ndy/dx: None\ndy/dw: tensor(3.)\ndy/db: tensor(1.)",
        "tensor(9., grad_fn=<MeanBackward0>)",
        "tensor([[1.5000, 1.5000],\n        [1.5000, 1.5000]])",
        "tensor([[37.1200, 37.1200],\n        [39.6800, 39.6800]])",
    ]:
        assert expected in out
    assert "not a leaf Tensor" in proc.stderr  # the notes show the warning for z.grad / s.grad too
    assert elapsed < 5, f"the walkthrough took {elapsed:.1f} s"
