"""Faults stay where they happen: a kernel that raises gives an error naming the op and the backend
(never a relabelled shape error, never a leaked backend exception, never a value recomputed from a
half-written target), and gradients that user code hands to autograd (``backward(gradient)``,
tensor hooks, ``Function.backward``) are checked as PyTorch 2.13 checks them."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import plugtensor as pt
from plugtensor import _plugins, hookimpl


class _Kernels:
    """A plugin replacing some ``cpu`` kernels (name -> callable) for the duration of a test."""

    def __init__(self, table) -> None:
        self.table = table

    @hookimpl
    def plugtensor_register_kernels(self, device_type, backend):
        return self.table if device_type == "cpu" else None


@pytest.fixture
def kernels():
    names = []

    def install(**table):
        name = f"faulty_{len(names)}"
        pt.register_plugin(_Kernels(table), name=name)
        names.append(name)

    yield install
    for name in names:
        _plugins.unregister_plugin(name)


def _boom(*args, out=None, **kwargs):
    raise ValueError("boom: the kernel failed")


def _names_the_kernel_failure(exc: BaseException, op: str) -> None:
    msg = str(exc)
    assert op in msg and "boom" in msg, msg
    assert "broadcast" not in msg and "size of tensor" not in msg, msg  # not relabelled as a shape problem


def test_binary_kernel_failure_is_not_relabelled_as_broadcasting(kernels):
    a, b = pt.ones(3), pt.ones(3)
    kernels(add=_boom, mul=_boom)
    for call, op in [(lambda: a + b, "add"), (lambda: a * 2.0, "mul"), (lambda: pt.add(a, b, out=pt.empty(3)), "add")]:
        with pytest.raises(RuntimeError) as info:
            call()
        _names_the_kernel_failure(info.value, op)
    np.testing.assert_array_equal(a.numpy(), [1.0, 1.0, 1.0])


def test_binary_shapes_that_do_not_broadcast_still_say_so(kernels):
    kernels(add=_boom)
    with pytest.raises(RuntimeError, match="must match the size of tensor b"):
        pt.ones(3) + pt.ones(4)


def test_inplace_kernel_that_fails_half_way_is_not_recomputed_from_its_target(kernels):
    # Writes into out= and then fails; without out= it would compute correctly. The fast in-place
    # path used to catch the error and recompute from the half-written target: a silent 100.
    def add(a, b, out=None):
        if out is None:
            return np.add(a, b)
        out[...] = 99.0
        raise ValueError("boom: failed after writing")

    x, y = pt.zeros(4), pt.zeros(4)
    kernels(add=add)
    for call in (lambda: x.add_(1.0), lambda: pt.add(y, 1.0, out=x)):
        with pytest.raises(RuntimeError) as info:
            call()
        _names_the_kernel_failure(info.value, "add")
        assert "faulty_0" in str(info.value)  # the plugin that supplied the kernel
        # A plugin's kernel is guarded: what it wrote before failing is undone.
        np.testing.assert_array_equal(x.numpy(), [0.0, 0.0, 0.0, 0.0])


def test_plugin_kernel_that_corrupts_its_destination_is_undone(kernels):
    def copy_(dst, src):
        dst[...] = -1.0
        raise ValueError("boom: copy failed after writing")

    def scatter_add(dst, axis, index, src):
        dst[...] = -1.0
        raise ValueError("boom: scatter failed after writing")

    x = pt.arange(3.0)
    kernels(copy_=copy_, scatter_add=scatter_add)
    with pytest.raises(RuntimeError) as info:
        x.copy_(pt.ones(3))
    _names_the_kernel_failure(info.value, "copy_")
    with pytest.raises(RuntimeError) as info:
        x.scatter_add_(0, pt.tensor([0, 1]), pt.ones(2))
    assert "boom" in str(info.value)
    np.testing.assert_array_equal(x.numpy(), [0.0, 1.0, 2.0])


def test_plugin_kernel_may_raise_pytorchs_classes_itself(kernels):
    def add(a, b, out=None):
        raise RuntimeError("plugin add refuses")

    def exp(a, out=None):
        raise IndexError("plugin exp: index out of range")

    x = pt.ones(3)
    kernels(add=add, exp=exp)
    for call, cls, op in [(lambda: x + x, RuntimeError, "add"), (lambda: x.add_(1.0), RuntimeError, "add"),
                          (lambda: pt.exp(x), IndexError, "exp"), (lambda: x.exp_(), IndexError, "exp")]:
        with pytest.raises(Exception) as info:
            call()
        assert type(info.value) is cls, repr(info.value)  # kept, not relabelled
        msg = str(info.value)
        assert f"kernel '{op}' from plugin 'faulty_0'" in msg and "backend 'numpy'" not in msg, msg
    np.testing.assert_array_equal(x.numpy(), [1.0, 1.0, 1.0])


def test_backend_kernel_failure_names_the_backend(monkeypatch):
    ctx = pt.ones(1)._ctx

    def exp(x, out=None):
        raise TypeError("boom: the backend's own kernel failed")

    monkeypatch.setitem(ctx.K, "exp", exp)
    with pytest.raises(RuntimeError) as info:
        pt.exp(pt.ones(2))
    _names_the_kernel_failure(info.value, "exp")
    assert "backend 'numpy'" in str(info.value) and "cpu" in str(info.value)
    assert isinstance(info.value.__cause__, TypeError)  # the backend's error is chained, not lost


def test_inplace_kernel_failure_before_writing_leaves_the_target_unchanged(kernels):
    x, y = pt.arange(4.0), pt.ones(4)
    v = x._version
    kernels(add=_boom, exp=_boom)
    for call, op in [(lambda: x.add_(y), "add"), (lambda: x.add_(2.0), "add"), (lambda: x.exp_(), "exp"),
                     (lambda: pt.exp(x, out=x), "exp")]:
        with pytest.raises(RuntimeError) as info:
            call()
        _names_the_kernel_failure(info.value, op)
        np.testing.assert_array_equal(x.numpy(), [0.0, 1.0, 2.0, 3.0])
        np.testing.assert_array_equal(y.numpy(), [1.0, 1.0, 1.0, 1.0])
    assert x._version == v


def test_unary_kernel_exception_does_not_leak(kernels):
    def exp(x, out=None):
        raise TypeError("boom: an internal TypeError")

    kernels(exp=exp)
    with pytest.raises(RuntimeError) as info:
        pt.exp(pt.ones(2))
    _names_the_kernel_failure(info.value, "exp")
    assert "kernel 'exp' from plugin 'faulty_0'" in str(info.value)
    assert isinstance(info.value.__cause__.__cause__, TypeError)  # the plugin's error is chained, not lost


def test_where_and_copy_kernel_failures_are_not_shape_errors(kernels):
    c, a, b = pt.tensor([True, False]), pt.ones(2), pt.zeros(2)
    kernels(where=_boom, copy_=_boom)
    with pytest.raises(RuntimeError) as info:
        pt.where(c, a, b)
    _names_the_kernel_failure(info.value, "where")
    with pytest.raises(RuntimeError) as info:
        b.copy_(a)
    _names_the_kernel_failure(info.value, "copy_")
    np.testing.assert_array_equal(b.numpy(), [0.0, 0.0])


def test_overlapping_inplace_targets_keep_pytorchs_error():
    for call in (lambda m, y: y.add_(1.0), lambda m, y: y.exp_(), lambda m, y: m.exp(y.clone(), out=y)):
        for m in (pt, torch):
            with pytest.raises(RuntimeError, match="single memory location"):
                call(m, m.zeros(1, 3).expand(3, 3))


# -- gradients from user code ----------------------------------------------------------------------
def _same_class(pt_call, torch_call):
    """Both raise the same exception class (PyTorch's is the reference); returns plugtensor's error."""
    with pytest.raises(Exception) as want:
        torch_call()
    with pytest.raises(want.type) as got:
        pt_call()
    return got.value


@pytest.fixture
def other_device():
    rows = [r["device"] for r in pt.devices() if r["device"].startswith("opencl") and r["status"] == "ok"]
    if not rows:
        pytest.skip("n/a: needs a second device type (opencl) to hand a gradient from another device")
    return rows[0]


def test_backward_gradient_on_another_device_raises_and_leaves_grad_clean(other_device):
    x = pt.ones(3, requires_grad=True)
    tx = torch.ones(3, requires_grad=True)
    err = _same_class(lambda: (x * 2).backward(pt.ones(3, device=other_device)),
                      lambda: (tx * 2).backward(torch.ones(3, device="meta")))
    assert "invalid gradient at index 0" in str(err) and "expected device cpu" in str(err)
    assert x.grad is None
    with pytest.raises(RuntimeError, match="expected device cpu"):
        pt.autograd.grad(x * 2, x, pt.ones(3, device=other_device))


def test_backward_gradient_shape_and_dtype_as_pytorch():
    x, tx = pt.ones(3, requires_grad=True), torch.ones(3, requires_grad=True)
    for shape in [(2,), (1, 3), (1,), ()]:
        err = _same_class(lambda: (x * 2).backward(pt.ones(shape)), lambda: (tx * 2).backward(torch.ones(shape)))
        assert "Mismatch in shape" in str(err)
    assert x.grad is None
    # Another dtype is cast to the output's, as PyTorch does.
    (x * 2).backward(pt.ones(3, dtype=pt.float64))
    (tx * 2).backward(torch.ones(3, dtype=torch.float64))
    assert x.grad.dtype is pt.float32 and tx.grad.dtype is torch.float32
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


_HOOK_CHANGES = {"size": lambda m, g, dev: m.ones(2), "dtype": lambda m, g, dev: g.double(),
                 "device": lambda m, g, dev: m.ones(3, device=dev if m is pt else "meta")}


@pytest.mark.parametrize("what", list(_HOOK_CHANGES))
def test_tensor_hooks_may_not_change_size_dtype_or_device(what, request):
    dev = request.getfixturevalue("other_device") if what == "device" else None
    change = _HOOK_CHANGES[what]
    x, tx = pt.ones(3, requires_grad=True), torch.ones(3, requires_grad=True)

    def run(m, t):
        y = t * 2
        y.register_hook(lambda g: change(m, g, dev))
        y.sum().backward()

    err = _same_class(lambda: run(pt, x), lambda: run(torch, tx))
    assert "hook" in str(err) and "has changed the" in str(err)
    assert x.grad is None


def _function(m, make_grad):
    class Twice(m.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            return t * 2

        @staticmethod
        def backward(ctx, g):
            return make_grad(m, g)

    return Twice


@pytest.mark.parametrize("what", ["shape", "device"])
def test_function_backward_gradient_is_checked(what, request):
    dev = request.getfixturevalue("other_device") if what == "device" else None
    make = {"shape": lambda m, g: m.ones(2),
            "device": lambda m, g: m.ones(3, device=dev if m is pt else "meta")}[what]
    x, tx = pt.ones(3, requires_grad=True), torch.ones(3, requires_grad=True)
    err = _same_class(lambda: _function(pt, make).apply(x).sum().backward(),
                      lambda: _function(torch, make).apply(tx).sum().backward())
    assert "TwiceBackward returned an invalid gradient at index 0" in str(err)
    assert x.grad is None


def test_function_backward_broadcastable_gradient_is_summed_as_pytorch():
    make = lambda m, g: m.ones(2, 3)  # noqa: E731 - broadcastable to the input's [3]: summed down
    x, tx = pt.ones(3, requires_grad=True), torch.ones(3, requires_grad=True)
    _function(pt, make).apply(x).sum().backward()
    _function(torch, make).apply(tx).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


# -- writes into expanded tensors ------------------------------------------------------------------
_EXPANDED_WRITES = {
    "setitem a row": lambda m, z, d: z.__setitem__(0, 5.0),
    "setitem a row from a tensor": lambda m, z, d: z.__setitem__(0, m.arange(3.0, device=d)),
    "setitem a column (overlapping)": lambda m, z, d: z.__setitem__((slice(None), 0), 7.0),
    "setitem a column from a tensor": lambda m, z, d: z.__setitem__((slice(None), 0), m.arange(3.0, device=d)),
    "fill_": lambda m, z, d: z.fill_(2.0),
    "zero_ of a row": lambda m, z, d: z[1].zero_(),
    "uniform_ (overlapping)": lambda m, z, d: z.uniform_(),
    "normal_ of a row": lambda m, z, d: z[0].normal_(),
    "random_ (overlapping)": lambda m, z, d: z.random_(0, 5),
}


def _devices():
    return [r["device"] for r in pt.devices() if r["status"] == "ok"]


@pytest.mark.parametrize("what", list(_EXPANDED_WRITES))
def test_writes_into_expanded_tensors_as_pytorch(what):
    write = _EXPANDED_WRITES[what]
    base = torch.full((1, 3), 9.0)
    try:
        write(torch, base.expand(3, 3), "cpu")
        want = None
    except RuntimeError as e:
        want = e
        assert "single memory location" in str(e)
    for dev in _devices():
        b = pt.full((1, 3), 9.0, device=dev)
        z = b.expand(3, 3)
        v = z._version
        if want is not None:
            with pytest.raises(RuntimeError, match="single memory location"):
                write(pt, z, dev)
            assert b.tolist() == [[9.0, 9.0, 9.0]], dev  # nothing written
            assert z._version == v
        else:
            write(pt, z, dev)
            if "_" in what.split()[0] and what.split()[0] in ("uniform_", "normal_", "random_"):
                assert b.tolist() != [[9.0, 9.0, 9.0]], dev  # random values were written through
            else:
                assert b.tolist() == base.tolist(), (dev, b.tolist(), base.tolist())


def test_huge_expanded_views_fail_cleanly_on_every_backend():
    for dev in _devices():
        z = pt.zeros(1, device=dev)
        try:
            v = z.expand(2**62)  # PyTorch makes the view; a backend over NumPy cannot (a declared difference)
        except RuntimeError as e:
            assert "expand" in str(e) and "4611686018427387904" in str(e), (dev, e)
            continue
        assert v.shape == (2**62,) and v[-1].item() == 0.0
        if not v._ctx.backend.host_memory:
            # Reading it back would need more host memory than there is: PyTorch's error, not the library's.
            for call in (v.tolist, v.cpu, lambda: v.to("cpu")):
                with pytest.raises(RuntimeError, match="not enough memory"):
                    call()
