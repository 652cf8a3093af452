"""Every program from the five seed notes on PyTorch basics (shared/seeds/*.txt), run with plugtensor.

Run: .venv/bin/python examples/seeds_walkthrough.py

Each section repeats one cell of a note with ``import plugtensor as pt`` in place of ``import torch``
and prints what the note prints. Random values differ from the notes (plugtensor has its own
counter-based generator; the notes ran unseeded), but every value that does not depend on chance
— the gradients above all — is the one the notes show. Python 2 ``print x`` became ``print(x)``.
"""
from __future__ import annotations

import numpy as np

import plugtensor as pt
from plugtensor.autograd import Variable


def heading(title: str) -> None:
    print(f"\n=== {title} ===")


def note0_basics() -> None:
    """Note 0: data types, creating tensors, arithmetic, first gradients."""
    heading("0.1 Data types and their sizes")
    for dt in (pt.float32, pt.float64, pt.float16, pt.uint8, pt.int8, pt.int16, pt.int32, pt.int64):
        print(f"{str(dt):18} {pt.empty(0, dtype=dt).type():26} {dt.itemsize} bytes")

    heading("0.2 Creating tensors")
    x = pt.Tensor(5, 3)  # uninitialised: only its size is meaningful
    print(x.size())
    x = pt.rand(5, 3)
    print(x)
    x = pt.randn(4, 4)
    print(x)
    x = pt.Tensor([1, 2])
    print(x)
    a = np.ones(5)
    b = pt.from_numpy(a)
    print(b)
    print(x.size())

    heading("0.3 Arithmetic")
    x = pt.rand(5, 3)
    y = pt.rand(5, 3)
    z = x + y
    z = pt.add(x, y)
    result = pt.rand(5, 3)
    pt.add(x, y, out=result)
    print("add(x, y, out=result):", result, sep="\n")
    y.add_(x)  # in place: y itself changes
    print("y after y.add_(x):", y, sep="\n")
    print("mean:", x.mean())
    print("norm:", x.norm())

    heading("0.4 Gradients of z = 2x + 3y + 4")
    x = Variable(pt.Tensor([2]), requires_grad=True)
    y = Variable(pt.Tensor([3]), requires_grad=True)
    z = 2 * x + 3 * y + 4
    z.backward()
    print(x.grad.data)
    print(y.grad.data)

    heading("0.5 y = x + 2, z = y * y * 3, out = mean(z)")
    x = Variable(pt.ones(2, 2), requires_grad=True)
    y = x + 2
    z = y * y * 3
    out = z.mean()
    out.backward()
    print(x.grad)

    heading("0.6 Passing a gradient to backward()")
    x = Variable(pt.Tensor([2, 1]), requires_grad=True)
    y = x + 2
    gradients = pt.FloatTensor([0.01, 0.1])
    y.backward(gradients)
    print(x.grad.data)


def note1_variable() -> None:
    """Note 1: autograd.Variable, grad_fn, backward of a mean, a gradient through a loop."""
    heading("1.1 A Variable is a tensor")
    x = Variable(pt.ones(2, 2), requires_grad=True)
    print(x)
    y = x * 2
    print(y)
    print(y.grad_fn.name())

    heading("1.2 out = mean(3 * y * y) with y = 2x")
    z = y * y * 3
    print(z)
    out = z.mean()
    print(out)
    out.backward()  # the same as out.backward(pt.tensor(1.0))
    print(x.grad)   # out = mean of 12 x^2 over 4 elements: d(out)/dx = 24 x / 4 = 6 at x = 1

    heading("1.3 Doubling until the norm reaches 1000")
    x = pt.randn(3)
    x = Variable(x, requires_grad=True)
    y = x * 2
    while y.data.norm() < 1000:
        y = y * 2
    print(y)
    gradients = pt.FloatTensor([0.1, 1.0, 0.0001])
    y.backward(gradients)
    print(x.grad)  # 2**k * gradients, k = how many times x was doubled


def note2_tutorial() -> None:
    """Note 2: the 60-minute blitz — tensors, operations, views, NumPy, CUDA, autograd."""
    heading("2.1 Tensors")
    x = pt.empty(5, 3)  # uninitialised memory: print its size, not its arbitrary contents
    print(x.size())
    x = pt.rand(5, 3)
    print(x)
    x = pt.zeros(5, 3, dtype=pt.long)
    print(x)
    x = pt.tensor([5.5, 3])
    print(x)
    print(x.size())

    heading("2.2 Operations")
    x = pt.rand(5, 3)
    y = pt.rand(5, 3)
    z = x + y
    z = pt.add(x, y)
    z = pt.empty(5, 3)
    pt.add(x, y, out=z)
    print(y.add_(x))

    heading("2.3 Changing the shape with view()")
    x = pt.randn(4, 4)
    y = x.view(16)
    z = x.view(-1, 8)
    print(x.size(), y.size(), z.size())
    x = pt.randn(1)
    print(x)
    print(x.item())

    heading("2.4 NumPy bridge (shared memory)")
    a = pt.ones(2, 2)
    print(a)
    b = a.numpy()
    print(repr(b))
    a = np.ones(5)
    b = pt.from_numpy(a)
    np.add(a, 1, out=a)
    print(a)
    print(b)

    heading("2.5 CUDA tensors")
    print("cuda available:", pt.cuda.is_available())
    if pt.cuda.is_available():
        device = pt.device("cuda")
        y = pt.ones_like(x, device=device)
        x = x.to(device)
        z = x + y
        print(z)
        print(z.to("cpu", pt.double))

    heading("2.6 Autograd: tracking")
    x = pt.ones(2, 2, requires_grad=True)
    print(x)
    y = x + 2
    print(y)
    z = y * y * 3
    out = z.mean()
    print(z, out)

    heading("2.7 Autograd: backward, and backward a second time")
    out.backward()
    try:
        out.backward()  # the graph's saved tensors were freed by the first call
    except RuntimeError as e:
        print("RuntimeError:", e)
    print(x.grad)


def note3_details() -> None:
    """Note 3: tensor attributes, devices, and dy/dw, dy/db of y = w * x + b."""
    heading("3.1 Devices")
    cpu = pt.device("cpu")
    x = pt.rand(10).to(cpu)
    print(x.device, x.is_cuda)
    if pt.cuda.is_available():
        gpu = pt.device("cuda:0")
        x = x.to(gpu)
        print(x.device)

    heading("3.2 Gradients of y = w * x + b")
    x = pt.tensor(3.)
    w = pt.tensor(4., requires_grad=True)
    b = pt.tensor(5., requires_grad=True)
    y = w * x + b
    print(y)
    y.backward()
    print('dy/dx:', x.grad)
    print('dy/dw:', w.grad)
    print('dy/db:', b.grad)

    heading("3.3 Tensor attributes")
    print(w.shape, w.size(), w.ndim, w.dtype, w.type(), w.is_cuda, w.grad, w.requires_grad)


def note4_dynamic_graph() -> None:
    """Note 4: defining and indexing tensors, NumPy, and a dynamic graph with mean((x + 2)^2)."""
    heading("4.1 Defining tensors")
    x = pt.rand(5, 3)
    print(x)
    y = pt.ones(5, 3)
    print(y)
    z = pt.zeros(2, 5, 3)
    print(z)

    heading("4.2 Indexing")
    print(z[0])
    print(x[1, 2])
    print(x[:, 2])

    heading("4.3 Arithmetic and matrix product")
    z = x + y
    print(z)
    q = x.mm(y.t())  # every column holds the row sums of x
    print(q)

    heading("4.4 Tensors and NumPy arrays")
    x_tensor = pt.randn(2, 3)
    y_numpy = np.random.default_rng(0).standard_normal((2, 3))
    x_numpy = x_tensor.numpy()
    print(repr(x_numpy))
    y_tensor = pt.from_numpy(y_numpy)
    print(y_tensor)

    heading("4.5 GPU")
    print(pt.cuda.is_available())

    heading("4.6 A dynamic graph: t = mean((x + 2)^2)")
    x = Variable(pt.ones(2, 2), requires_grad=True)
    print(x)
    y = x + 2
    print(y)
    print(y.data)
    print(y.grad_fn.name())
    z = y * y
    print(z.grad_fn.name())
    t = pt.mean(z)
    print(t)

    heading("4.7 Only leaves get .grad")
    t.backward()
    print(z.grad)  # None, with PyTorch's UserWarning about a non-leaf .grad
    print(y.grad)
    print(x.grad)

    heading("4.8 s = s.mm(x) ten times")
    s = Variable(pt.FloatTensor([[0.01, 0.02]]), requires_grad=True)
    x = Variable(pt.ones(2, 2), requires_grad=True)
    for _ in range(10):
        s = s.mm(x)
    z = pt.mean(s)
    z.backward()
    print(x.grad)
    print(s.grad)


def main() -> None:
    pt.manual_seed(0)
    note0_basics()
    note1_variable()
    note2_tutorial()
    note3_details()
    note4_dynamic_graph()


if __name__ == "__main__":
    main()
