"""The autograd engine, checked against PyTorch 2.13 (the oracle).

Most tests are small programs written once against a module ``m``: they run with ``m = torch`` and
``m = plugtensor`` and the outcomes must agree — the values (dtype, shape, numbers), the printed
strings (``torch`` read as ``plugtensor``) or the exception type and message. Behaviour tests with
explicit assertions run on both modules too, so each asserted expectation is PyTorch's own.
"""
from __future__ import annotations

import re
import threading
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import plugtensor as pt  # noqa: E402

MODULES = {"plugtensor": pt, "torch": torch}


# -- running one program in both libraries --------------------------------------------------------
def _norm_text(text: str) -> str:
    """Make a torch string comparable with plugtensor's: module name, addresses, torch-only hints."""
    text = text.replace("torch", "plugtensor")
    text = re.sub(r" at 0x[0-9a-f]+", " at 0x?", text)
    text = text.split(" Hint:")[0]
    # PyTorch names the producer of a saved tensor by its op ("Exp"), plugtensor by its node
    # ("ExpBackward0"); the rest of the version-counter message must agree.
    return re.sub(r", which is output (\d+) of \w+,", r", which is output \1 of <node>,", text)


def _value(v):
    """A library-independent picture of a program's result."""
    if isinstance(v, (pt.Tensor, torch.Tensor)):
        return ("tensor", str(v.dtype).split(".")[-1], v.detach().numpy().copy())
    if isinstance(v, (tuple, list)):
        return tuple(_value(e) for e in v)
    if isinstance(v, str):
        return _norm_text(v)
    return v


def _outcome(program, m):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. torch's create_graph=True reference-cycle warning
            return ("ok", _value(program(m)))
    except Exception as e:  # noqa: BLE001 -- the exception itself is what is compared
        return ("raise", type(e), _norm_text(str(e)))


def _assert_close(got, expected, path="result"):
    if isinstance(expected, tuple) and expected and expected[0] == "tensor":
        assert isinstance(got, tuple) and got[:1] == ("tensor",), f"{path}: {got!r} is not a tensor"
        assert got[1] == expected[1], f"{path}: dtype {got[1]} != {expected[1]}"
        assert got[2].shape == expected[2].shape, f"{path}: shape {got[2].shape} != {expected[2].shape}"
        np.testing.assert_allclose(got[2], expected[2], rtol=1e-5, atol=1e-6, err_msg=path)
    elif isinstance(expected, tuple):
        assert isinstance(got, tuple) and len(got) == len(expected), f"{path}: {got!r} != {expected!r}"
        for i, (g, e) in enumerate(zip(got, expected)):
            _assert_close(g, e, f"{path}[{i}]")
    else:
        assert got == expected, f"{path}: {got!r} != {expected!r}"


def assert_like_torch(program) -> None:
    """``program(m)`` gives the same result, or raises the same error, with plugtensor and torch."""
    expected = _outcome(program, torch)
    got = _outcome(program, pt)
    if expected[0] == "raise" or got[0] == "raise":
        assert got == expected, f"plugtensor: {got}\n     torch: {expected}"
    else:
        _assert_close(got[1], expected[1])


@pytest.fixture(params=sorted(MODULES))
def m(request):
    """Each behaviour test runs on plugtensor and on torch: the asserted behaviour is torch's."""
    return MODULES[request.param]


def leaf(m, values, dtype=None):
    return m.tensor(values, dtype=dtype or m.float32, requires_grad=True)


def structure(fn):
    """A node as (name, ((child, output_nr), ...)), recursively; constants appear as (None, 0)."""
    if fn is None:
        return None
    return (type(fn).__name__, tuple((structure(c), nr) for c, nr in fn.next_functions))


# -- graph structure ------------------------------------------------------------------------------
def _xw(m):
    return leaf(m, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), leaf(m, [0.5, -1.0, 2.0])


GRAPHS = {
    "mul_scalar": lambda m, x, w: x * 2,
    "add_two_leaves": lambda m, x, w: x + w,
    "mul_add": lambda m, x, w: x * 2 + w,
    "sum_of_product": lambda m, x, w: (x * w).sum(),
    "unary_chain": lambda m, x, w: x.exp().sin().tanh().mean(),
    "seed_program": lambda m, x, w: ((x + 2) * (x + 2) * 3).mean(),
    "mm_with_constant": lambda m, x, w: x @ m.ones(3, 2),
    "matmul_vector": lambda m, x, w: x @ w,
    "mm_method": lambda m, x, w: x.mm(w.unsqueeze(1)),
    "pow": lambda m, x, w: x ** 3,
    "div": lambda m, x, w: x / w,
    "neg": lambda m, x, w: -x,
    "index": lambda m, x, w: x[0],
    "slice": lambda m, x, w: x[:, 1:],
    "view": lambda m, x, w: x.view(6),
    "reshape_view": lambda m, x, w: x.reshape(3, 2),
    "t": lambda m, x, w: x.t(),
    "expand": lambda m, x, w: w.expand(2, 3),
    "unsqueeze": lambda m, x, w: w.unsqueeze(0),
    "cat": lambda m, x, w: m.cat([x, x]),
    "sum_dim": lambda m, x, w: x.sum(1),
    "mean_dim": lambda m, x, w: x.mean(0),
    "max": lambda m, x, w: x.max(),
    "norm": lambda m, x, w: x.norm(),
    "sigmoid_relu": lambda m, x, w: x.sigmoid().relu(),
    "sqrt_log_abs": lambda m, x, w: x.sqrt().log().abs(),
    "clone": lambda m, x, w: x.clone(),
    "to_float64": lambda m, x, w: x.double(),
    "diamond": lambda m, x, w: (x * w).exp() + (x * w).sin(),
}


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_node_names_and_next_functions(name):
    """grad_fn class names and the next_functions tree (AccumulateGrad leaves, (None, 0) constants)."""
    program = GRAPHS[name]
    assert_like_torch(lambda m: str(structure(program(m, *_xw(m)).grad_fn)))


def test_leaves_share_one_accumulate_grad(m):
    x, w = _xw(m)
    a, b = x * 2, x + w
    acc = a.grad_fn.next_functions[0][0]
    assert type(acc).__name__ == "AccumulateGrad"
    assert acc.variable is x and acc.next_functions == ()
    assert b.grad_fn.next_functions[0][0] is acc
    assert x.grad_fn is None and x.is_leaf and not a.is_leaf
    assert (x * 2).grad_fn.next_functions[1] == (None, 0)
    const = m.ones(3)
    assert (const * 2).grad_fn is None and (const * 2).is_leaf and not (const * 2).requires_grad


def test_grad_fn_printing():
    assert_like_torch(lambda m: (str(leaf(m, [1.0]) * 2), repr((leaf(m, [1.0]) + 2).grad_fn)))


# -- backward: errors on bad arguments ------------------------------------------------------------
BACKWARD_ERRORS = {
    "implicit_grad_of_non_scalar": lambda m: (leaf(m, [1.0, 2.0]) * 2).backward(),
    "implicit_grad_of_2d": lambda m: (leaf(m, [[1.0, 2.0]]) + 1).backward(),
    "gradient_shape_mismatch": lambda m: (leaf(m, [1.0, 2.0]) * 2).backward(m.ones(3)),
    "gradient_shape_transposed": lambda m: (leaf(m, [[1.0, 2.0]]) * 2).backward(m.ones(2, 1)),
    "gradient_not_a_tensor": lambda m: (leaf(m, [1.0, 2.0]) * 2).backward([1.0, 1.0]),
    "no_grad_no_grad_fn": lambda m: m.ones(2).sum().backward(),
    "empty_inputs": lambda m: (leaf(m, [1.0]) * 2).sum().backward(inputs=[]),
    "input_without_grad": lambda m: (leaf(m, [1.0]) * 2).sum().backward(inputs=[m.ones(1)]),
    "grad_outputs_shape": lambda m: m.autograd.grad(leaf(m, [1.0, 2.0]) * 2, leaf(m, [1.0]), m.ones(3)),
    "grad_of_non_scalar": lambda m: (lambda x: m.autograd.grad(x * 2, x))(leaf(m, [1.0, 2.0])),
    "grad_empty_inputs": lambda m: m.autograd.grad((leaf(m, [1.0]) * 2).sum(), []),
    "grad_input_without_grad": lambda m: m.autograd.grad((leaf(m, [1.0]) * 2).sum(), m.ones(1)),
}


@pytest.mark.parametrize("name", sorted(BACKWARD_ERRORS))
def test_backward_argument_errors(name):
    assert_like_torch(BACKWARD_ERRORS[name])


def test_non_scalar_needs_gradient_message():
    x = pt.ones(2, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (x * 2).backward()


def _given_gradient(m):
    x = leaf(m, [2.0, 1.0])
    y = x + 2
    y.backward(m.tensor([0.01, 0.1]))
    return x.grad


def test_given_gradient_is_propagated():
    assert_like_torch(_given_gradient)


def test_leaf_grad_does_not_alias_the_given_gradient(m):
    x = m.ones(2, requires_grad=True)
    g = m.ones(2)
    x.backward(g)
    g.add_(1)
    assert x.grad.tolist() == [1.0, 1.0]


# -- freeing the graph, retain_graph ---------------------------------------------------------------
def _second_backward(m):
    x = m.ones(2, 2, requires_grad=True)
    out = ((x + 2) * (x + 2) * 3).mean()
    out.backward()
    out.backward()


def _second_backward_retained(m):
    x = m.ones(2, 2, requires_grad=True)
    out = ((x + 2) * (x + 2) * 3).mean()
    out.backward(retain_graph=True)
    first = x.grad.clone()
    out.backward()
    return first, x.grad


def _second_grad(m):
    x = leaf(m, [1.0, 2.0])
    y = x.exp().sum()
    m.autograd.grad(y, x)
    return m.autograd.grad(y, x)


def _second_grad_retained(m):
    x = leaf(m, [1.0, 2.0])
    y = x.exp().sum()
    return m.autograd.grad(y, x, retain_graph=True), m.autograd.grad(y, x)


def _second_backward_without_saved_tensors(m):
    x = leaf(m, [1.0, 2.0])
    s = (x + 2).sum()  # add and sum save no tensors: nothing is freed
    s.backward()
    s.backward()
    return x.grad


@pytest.mark.parametrize("program", [_second_backward, _second_backward_retained, _second_grad,
                                     _second_grad_retained, _second_backward_without_saved_tensors],
                         ids=lambda p: p.__name__.strip("_"))
def test_backward_twice(program):
    assert_like_torch(program)


def test_second_backward_message():
    with pytest.raises(RuntimeError, match=r"Trying to backward through the graph a second time"):
        _second_backward(pt)


# -- accumulation into .grad --------------------------------------------------------------------
def _accumulate(m):
    x = leaf(m, [1.0, 2.0, 3.0])
    seen = []
    for _ in range(3):
        (x * x).sum().backward()
        seen.append(x.grad.clone())
    g = x.grad
    (x * 5).sum().backward()
    same_object = x.grad is g  # accumulation happens in place
    x.grad.zero_()
    (x ** 3).sum().backward()
    after_zero = x.grad.clone()
    x.grad = None
    (x * 7).sum().backward()
    return seen, same_object, after_zero, x.grad


def test_grad_accumulates_across_calls():
    assert_like_torch(_accumulate)


def test_grad_accumulates_across_outputs():
    def program(m):
        x = leaf(m, [1.0, 2.0])
        m.autograd.backward([x.exp().sum(), (x * x).sum()])
        return x.grad

    assert_like_torch(program)


def test_leaf_grads_never_alias_one_another_or_the_caller():
    # One gradient tensor reaches several leaves (AddBackward passes it to both inputs), and the
    # caller holds it: each .grad must still accumulate on its own, and the caller's tensor stay put.
    def program(m):
        a, b, c = leaf(m, [1.0, 2.0]), leaf(m, [3.0, 4.0]), leaf(m, [5.0, 6.0])
        gout = m.tensor([1.0, 10.0])
        for _ in range(2):
            (a + b).backward(gout)
            (c * 1).backward(gout)
        a.grad.mul_(100)
        return a.grad, b.grad, c.grad, gout

    assert_like_torch(program)


def test_leaf_grad_hook_keeps_what_it_saw():
    def program(m):
        x = leaf(m, [1.0, 2.0])
        seen = []
        x.register_hook(lambda g: seen.append(g))
        for _ in range(2):
            (x * 3).sum().backward()
        return seen[0], x.grad

    assert_like_torch(program)


def test_first_leaf_grad_is_taken_without_a_copy(monkeypatch):
    # A gradient only the engine holds becomes the leaf's .grad as is (PyTorch steals it too): an MLP
    # step copies no gradient. The values are checked against finite differences elsewhere.
    from plugtensor._tensor import Tensor
    copies = []
    clone = Tensor.clone
    monkeypatch.setattr(Tensor, "clone", lambda self, *a, **k: copies.append(self.shape) or clone(self, *a, **k))
    w1, b1 = pt.randn(8, 5, requires_grad=True), pt.randn(5, requires_grad=True)
    w2, b2 = pt.randn(5, 3, requires_grad=True), pt.randn(3, requires_grad=True)
    h = (pt.randn(4, 8) @ w1 + b1).relu()
    (h @ w2 + b2).log_softmax(1).gather(1, pt.tensor([[0], [2], [1], [0]])).mean().backward()
    from plugtensor.backend import REFCOUNTS_EXACT  # where counts are unreliable, every grad is copied
    assert copies == [] if REFCOUNTS_EXACT else len(copies) == 4
    assert all(p.grad is not None for p in (w1, b1, w2, b2))


def test_relu_gradient_at_nan_zero_and_negatives():
    def program(m):
        x = leaf(m, [float("nan"), -1.0, 0.0, 2.0, float("inf"), -0.0, -3.0])
        # inf and NaN gradients reaching dead units become 0 (PyTorch's where, not a product)
        x.relu().backward(m.tensor([1.0, 2.0, 3.0, 4.0, 5.0, float("inf"), float("nan")]))
        grads = [x.grad.clone()]
        x.grad = None
        # a gradient made inside backward (MulBackward's): relu's backward may reuse it in place
        ((x * 1).relu() * m.tensor([1.0, float("nan"), float("inf"), 4.0, 5.0, 6.0, 7.0])).sum().backward()
        return grads + [x.grad]

    assert_like_torch(program)


@pytest.mark.parametrize("seed", range(12))
def test_random_dags_match_torch(seed):
    # The engine runs nodes by creation order: random graphs that reuse intermediates many times,
    # built in a shuffled order, must give PyTorch's gradients.
    def program(m):
        rng = np.random.default_rng(seed)
        leaves = [leaf(m, rng.uniform(0.5, 1.5, 3).tolist()) for _ in range(3)]
        nodes = list(leaves)
        for _ in range(14):
            a, b = (nodes[i] for i in rng.integers(0, len(nodes), 2))
            op = rng.integers(0, 4)
            nodes.append(a * b if op == 0 else a + b if op == 1 else (a * 0.5).sin() + b if op == 2 else
                         a.tanh() - b * 0.25)
        loss = sum(n.sum() for n in nodes[-4:])
        loss.backward()
        return [t.grad for t in leaves]

    assert_like_torch(program)


def test_relu_backward_never_overwrites_a_gradient_someone_holds():
    # relu's backward may reuse its incoming gradient's memory only when nothing else holds it:
    # hooks, retain_grad, a caller's gradient and a gradient shared by two relus must all stay intact.
    def program(m):
        x = leaf(m, [[-1.0, 2.0, 3.0], [4.0, -5.0, 6.0]])
        w = leaf(m, [[1.0, -1.0], [0.5, 2.0], [-2.0, 1.0]])
        seen, after = [], []
        h = (x @ w).relu()
        h.register_hook(lambda g: seen.append(g))
        h.grad_fn.register_hook(lambda gi, go: after.append(go[0].clone()))
        k = (x @ w).relu()
        k.retain_grad()
        a, b = (x * 2).relu(), (x * 3).relu()
        gout = m.ones(2, 3)
        ((h * 3).sum() + (k * 5).sum() + (a + b).sum()).backward()
        (x * 1).relu().backward(gout)
        return x.grad, w.grad, seen[0], after[0], k.grad, gout

    assert_like_torch(program)


def test_masked_gradients_drop_inf_and_nan_like_torch():
    # Where an input does not reach the output (clamped, not the max), PyTorch's gradient is exactly
    # 0 even when the incoming gradient is inf or NaN; a product with a 0/1 mask would give NaN.
    inf, nan = float("inf"), float("nan")

    def program(m):
        out = []
        x = leaf(m, [-2.0, 0.5, 3.0])
        x.clamp(-1, 1).backward(m.tensor([inf, 1.0, nan]))
        out.append(x.grad)
        x, lo = leaf(m, [-2.0, 0.5, 3.0]), leaf(m, [-1.0, -1.0, -1.0])
        x.clamp(min=lo).backward(m.tensor([inf, nan, 1.0]))
        out += [x.grad, lo.grad]
        for values, g in (([1.0, 5.0, 3.0], inf), ([1.0, 5.0, 5.0], 2.0)):
            x = leaf(m, values)
            x.max().backward(m.tensor(g))
            out.append(x.grad)
        x, y = leaf(m, [1.0, 5.0, 3.0]), leaf(m, [2.0, 2.0, 3.0])
        m.maximum(x, y).backward(m.tensor([inf, inf, nan]))
        out += [x.grad, y.grad]
        x, y = leaf(m, [1.0, 5.0, 3.0]), leaf(m, [2.0, 2.0, 3.0])
        m.minimum(x, y).backward(m.tensor([nan, inf, 4.0]))
        return out + [x.grad, y.grad]

    assert_like_torch(program)


# -- non-leaf .grad, retain_grad --------------------------------------------------------------------
def test_reading_grad_of_non_leaf_warns(m):
    x = m.ones(2, requires_grad=True)
    y = x * 2
    y.sum().backward()
    with pytest.warns(UserWarning, match="is not a leaf Tensor is being accessed"):
        assert y.grad is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert x.grad is not None  # a leaf: no warning
        z = x * 3
        z.retain_grad()
        assert z.grad is None  # retained: no warning
        w = x * 4
        w.grad = m.ones(2)
        assert w.grad.tolist() == [1.0, 1.0]  # the warning is only for an unset .grad


def _retain_grad(m):
    x = leaf(m, [1.0, 2.0])
    y = x * 3
    z = y.exp()
    flags = (y.retains_grad, x.retains_grad)
    y.retain_grad()
    z.retain_grad()
    x.retain_grad()  # a leaf: no effect
    (z * y).sum().backward(retain_graph=True)
    first = (y.grad.clone(), z.grad.clone(), x.grad.clone())
    (z * y).sum().backward()
    return flags, (y.retains_grad, x.retains_grad), first, (y.grad, z.grad, x.grad)


def test_retain_grad():
    assert_like_torch(_retain_grad)


def test_retain_grad_requires_grad():
    assert_like_torch(lambda m: m.ones(2).retain_grad())


# -- hooks ------------------------------------------------------------------------------------------
def _hooks(m):
    x = leaf(m, [1.0, 2.0])
    seen = []
    hx = x.register_hook(lambda g: g * 10)  # on a leaf: changes what is accumulated
    y = x.exp()
    y.register_hook(lambda g: seen.append(g.clone()))  # returning None keeps the gradient
    hy = y.register_hook(lambda g: g + 1)
    y.sum().backward(retain_graph=True)
    first = x.grad.clone()
    hx.remove()
    hy.remove()
    x.grad = None
    y.sum().backward()
    return first, x.grad, seen


def _hooks_chain_and_retain(m):
    x = leaf(m, [1.0, 2.0])
    y = x * x
    y.retain_grad()
    y.register_hook(lambda g: g * 2)
    y.register_hook(lambda g: g + 3)  # runs second, sees the doubled gradient
    y.sum().backward()
    return y.grad, x.grad  # retain_grad stores the gradient after the hooks


@pytest.mark.parametrize("program", [_hooks, _hooks_chain_and_retain],
                         ids=lambda p: p.__name__.strip("_"))
def test_tensor_hooks(program):
    assert_like_torch(program)


def test_hook_handle_removes_on_exit():
    x = pt.tensor([3.0], requires_grad=True)
    with x.register_hook(lambda g: g * 0):
        (x * 2).sum().backward()
    assert x.grad.tolist() == [0.0]
    (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0]


def test_hook_requires_grad():
    assert_like_torch(lambda m: m.ones(2).register_hook(lambda g: g))


# -- detach and .data -------------------------------------------------------------------------------
def test_detach_and_data_share_storage(m):
    x = m.tensor([1.0, 2.0, 3.0], requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.is_leaf and d.grad_fn is None
    d[0] = 7.0
    assert x.tolist() == [7.0, 2.0, 3.0]
    data = x.data
    assert not data.requires_grad
    data[1] = 9.0
    assert x.tolist() == [7.0, 9.0, 3.0]
    y = x * 2
    assert y.detach().grad_fn is None and y.detach().tolist() == [14.0, 18.0, 6.0]


def test_version_counter_tracks_detach_but_not_data(m):
    x = m.ones(2, requires_grad=True)
    v = x._version
    x.detach().add_(1)
    assert x._version == v + 1
    x.data.add_(1)
    assert x._version == v + 1
    assert x.tolist() == [3.0, 3.0]


def _data_change_goes_unnoticed(m):
    x = leaf(m, [1.0, 2.0])
    y = x.exp()
    y.data.mul_(2)  # not tracked: backward uses the changed value silently, as in PyTorch
    y.sum().backward()
    return x.grad


def _detach_change_is_caught(m):
    x = leaf(m, [1.0, 2.0])
    y = x.exp()
    y.detach().mul_(2)
    y.sum().backward()


def _data_assignment(m):
    x = leaf(m, [1.0, 2.0])
    x.data = m.tensor([5.0, 6.0])
    (x * x).sum().backward()
    return x, x.requires_grad, x.grad


@pytest.mark.parametrize("program", [_data_change_goes_unnoticed, _detach_change_is_caught, _data_assignment],
                         ids=lambda p: p.__name__.strip("_"))
def test_detach_and_data_in_backward(program):
    assert_like_torch(program)


# -- requires_grad_ --------------------------------------------------------------------------------
REQUIRES_GRAD = {
    "method_on_int": lambda m: m.tensor([1, 2]).requires_grad_(),
    "attribute_on_int": lambda m: setattr(m.tensor([1, 2]), "requires_grad", True),
    "factory_int": lambda m: m.zeros(2, dtype=m.int64, requires_grad=True),
    "tensor_int": lambda m: m.tensor([1, 2], requires_grad=True),
    "variable_int": lambda m: m.autograd.Variable(m.tensor([1, 2]), requires_grad=True),
    "method_on_bool": lambda m: m.tensor([True]).requires_grad_(),
    "off_on_non_leaf": lambda m: (leaf(m, [1.0]) * 2).requires_grad_(False),
    "on_on_non_leaf": lambda m: (lambda y: (y.requires_grad_(True) is y, y.requires_grad))(leaf(m, [1.0]) * 2),
    "returns_self": lambda m: (lambda t: (t.requires_grad_() is t, t.requires_grad, t.is_leaf))(m.ones(2)),
    "float64_and_off": lambda m: m.ones(2, dtype=m.float64).requires_grad_().requires_grad_(False).requires_grad,
}


@pytest.mark.parametrize("name", sorted(REQUIRES_GRAD))
def test_requires_grad_(name):
    assert_like_torch(REQUIRES_GRAD[name])


# -- grad modes ----------------------------------------------------------------------------------
def test_no_grad_and_enable_grad_as_context_managers(m):
    x = m.ones(2, requires_grad=True)
    with m.no_grad():
        y = x * 2
        assert not m.is_grad_enabled()
        with m.enable_grad():
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad
    assert not y.requires_grad and y.grad_fn is None
    assert m.is_grad_enabled() and (x * 2).requires_grad


def test_grad_modes_as_decorators(m):
    x = m.ones(2, requires_grad=True)

    @m.no_grad()
    def called():
        return (x * 2).requires_grad

    @m.no_grad
    def bare():
        return (x * 2).requires_grad

    @m.enable_grad()
    def enabled():
        return (x * 2).requires_grad

    @m.set_grad_enabled(False)
    def disabled():
        return m.is_grad_enabled()

    assert called() is False and bare() is False and disabled() is False
    assert m.is_grad_enabled()
    with m.no_grad():
        assert enabled() is True
        assert not m.is_grad_enabled()


def test_set_grad_enabled_as_function_and_context(m):
    try:
        m.set_grad_enabled(False)
        assert not m.is_grad_enabled()
        with m.set_grad_enabled(True):
            assert m.is_grad_enabled()
        assert not m.is_grad_enabled()
    finally:
        m.set_grad_enabled(True)
    with m.set_grad_enabled(False):
        assert not m.is_grad_enabled()
    assert m.is_grad_enabled()


def test_grad_mode_restored_after_exception(m):
    with pytest.raises(ValueError):
        with m.no_grad():
            raise ValueError
    assert m.is_grad_enabled()


def test_grad_mode_is_thread_local(m):
    seen = {}

    def worker():
        seen["start"] = m.is_grad_enabled()
        m.set_grad_enabled(False)
        seen["after"] = m.is_grad_enabled()

    with m.no_grad():
        t = threading.Thread(target=worker)
        t.start()
        t.join()
        assert not m.is_grad_enabled()
    assert seen == {"start": True, "after": False}
    assert m.is_grad_enabled()


# -- autograd.grad ----------------------------------------------------------------------------------
def _grad_basic(m):
    x, w = leaf(m, [1.0, 2.0]), leaf(m, [3.0, -1.0])
    g = m.autograd.grad((x * w).sum(), [x, w])
    return g, x.grad is None, w.grad is None  # .grad is left untouched


def _grad_unused(m):
    x, z = leaf(m, [1.0, 2.0]), leaf(m, [3.0])
    return m.autograd.grad((x * 2).sum(), [x, z])


def _grad_allow_unused(m):
    x, z = leaf(m, [1.0, 2.0]), leaf(m, [3.0])
    return m.autograd.grad((x * 2).sum(), [x, z], allow_unused=True)


def _grad_materialize(m):
    x, z = leaf(m, [1.0, 2.0]), leaf(m, [3.0])
    return m.autograd.grad((x * 2).sum(), [x, z], materialize_grads=True)


def _grad_non_leaf_inputs(m):
    x = leaf(m, [1.0, 2.0])
    a = x * 3
    b = a.sin()
    c = (b * a).sum()
    return m.autograd.grad(c, [b, a, x])


def _grad_outputs(m):
    x = leaf(m, [1.0, 2.0, 3.0])
    y = x ** 2
    return m.autograd.grad(y, x, grad_outputs=m.tensor([1.0, 0.5, -1.0]))


def _grad_several_outputs(m):
    x = leaf(m, [1.0, 2.0])
    return m.autograd.grad([x.exp().sum(), (x * x).sum()], x)


@pytest.mark.parametrize("program", [_grad_basic, _grad_unused, _grad_allow_unused, _grad_materialize,
                                     _grad_non_leaf_inputs, _grad_outputs, _grad_several_outputs],
                         ids=lambda p: p.__name__.strip("_"))
def test_autograd_grad(program):
    assert_like_torch(program)


def test_autograd_grad_leaves_grad_untouched():
    x = pt.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (g,) = pt.autograd.grad((x * x).sum(), x)
    assert g.tolist() == [2.0, 4.0]
    assert x.grad.tolist() == [3.0, 3.0]


# -- create_graph: derivatives of derivatives -------------------------------------------------------
_X = np.array([-1.3, -0.2, 0.4, 1.1, 2.0])


def _nth_derivatives(m, f, x, n):
    """d^k/dx^k sum(f(x)) for k = 1..n, each differentiated again with create_graph=True."""
    out = f(x).sum()
    result = []
    for _ in range(n):
        (g,) = m.autograd.grad(out, x, create_graph=True)
        result.append(g)
        out = g.sum()
    return result


# f, its first and second derivatives (NumPy float64, by hand)
ANALYTIC = {
    "cube": (lambda x: x ** 3, lambda x: 3 * x ** 2, lambda x: 6 * x),
    "exp_sin": (lambda x: x.exp() * x.sin(),
                lambda x: np.exp(x) * (np.sin(x) + np.cos(x)),
                lambda x: 2 * np.exp(x) * np.cos(x)),
    "sin_squared": (lambda x: x.sin() * x.sin(), lambda x: np.sin(2 * x), lambda x: 2 * np.cos(2 * x)),
    "tanh": (lambda x: x.tanh(),
             lambda x: 1 - np.tanh(x) ** 2,
             lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2)),
    "tanh_exp_sin": (
        lambda x: x.sin().exp().tanh(),
        lambda x: (1 - np.tanh(np.exp(np.sin(x))) ** 2) * np.exp(np.sin(x)) * np.cos(x),
        lambda x: (lambda v, s, t: -2 * s * t * v ** 2 * np.cos(x) ** 2 + s * v * (np.cos(x) ** 2 - np.sin(x)))(
            np.exp(np.sin(x)), 1 - np.tanh(np.exp(np.sin(x))) ** 2, np.tanh(np.exp(np.sin(x))))),
}


@pytest.mark.parametrize("name", sorted(ANALYTIC))
def test_second_derivatives_match_analytic(name):
    f, d1, d2 = ANALYTIC[name]
    x = pt.tensor(_X, dtype=pt.float64, requires_grad=True)
    g1, g2 = _nth_derivatives(pt, f, x, 2)
    assert g1.dtype == pt.float64 and g1.requires_grad and g1.grad_fn is not None
    np.testing.assert_allclose(g1.detach().numpy(), d1(_X), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(g2.detach().numpy(), d2(_X), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(ANALYTIC))
def test_higher_derivatives_like_torch(name):
    f = ANALYTIC[name][0]
    assert_like_torch(lambda m: _nth_derivatives(m, f, m.tensor(_X, requires_grad=True), 3))


def test_third_derivative_of_cube_is_constant():
    x = pt.tensor(_X, dtype=pt.float64, requires_grad=True)
    g1, g2, g3 = _nth_derivatives(pt, lambda t: t ** 3, x, 3)
    np.testing.assert_allclose(g3.detach().numpy(), np.full_like(_X, 6.0))


def _mixed_partial(m):
    x, y = leaf(m, [1.0, 2.0]), leaf(m, [3.0, -1.0])
    (gx,) = m.autograd.grad((x * y ** 2).sum(), x, create_graph=True)  # y ** 2
    (gxy,) = m.autograd.grad(gx.sum(), y)  # 2 y
    return gx, gxy


def _backward_create_graph(m):
    x = leaf(m, [0.5, -1.0, 2.0])
    (x.exp() * x.sin()).sum().backward(create_graph=True)
    first = x.grad
    has_graph = first.requires_grad
    x.grad = None
    first.sum().backward()
    return first, has_graph, x.grad


@pytest.mark.parametrize("program", [_mixed_partial, _backward_create_graph],
                         ids=lambda p: p.__name__.strip("_"))
def test_create_graph(program):
    assert_like_torch(program)


def test_gradient_without_create_graph_has_no_history(m):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    (g,) = m.autograd.grad((x ** 3).sum(), x)
    assert not g.requires_grad and g.grad_fn is None
    (x ** 3).sum().backward()
    assert not x.grad.requires_grad


# -- autograd.Function ------------------------------------------------------------------------------
def _function_classes(m):
    class MulAdd(m.autograd.Function):
        """(a * b + k, argmax(a)); k is a plain number, the index is not differentiable."""

        @staticmethod
        def forward(ctx, a, b, k):
            ctx.save_for_backward(a, b)
            ctx.k = k
            ctx.record = ctx.needs_input_grad
            idx = a.argmax()
            ctx.mark_non_differentiable(idx)
            return a * b + k, idx

        @staticmethod
        def backward(ctx, grad, grad_idx):
            a, b = ctx.saved_tensors
            ga = grad * b if ctx.needs_input_grad[0] else None
            gb = grad * a if ctx.needs_input_grad[1] else None
            return ga, gb, None

    class Cube(m.autograd.Function):
        """x ** 3 with a backward written with tensor ops, so it differentiates again."""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x ** 2

    return MulAdd, Cube


def _function_values(m):
    MulAdd, _ = _function_classes(m)
    a, b = leaf(m, [1.0, 3.0, 2.0]), m.tensor([2.0, 5.0, -1.0])
    out, idx = MulAdd.apply(a, b, 10.0)
    info = (type(out.grad_fn).__name__, out.requires_grad, idx.requires_grad, idx.grad_fn is None,
            [nr for _, nr in out.grad_fn.next_functions], out.grad_fn.next_functions[1][0] is None)
    (out * out).sum().backward()
    return out, idx, info, a.grad


def _function_needs_input_grad(m):
    MulAdd, _ = _function_classes(m)
    seen = []
    for a_rg, b_rg in [(True, False), (False, True), (True, True)]:
        a = m.tensor([1.0, 2.0], requires_grad=a_rg)
        b = m.tensor([3.0, 4.0], requires_grad=b_rg)
        out, _ = MulAdd.apply(a, b, 1.0)
        out.sum().backward()
        seen.append((out.grad_fn.next_functions[0][0] is None, a.grad, b.grad))
    return seen


def _function_non_differentiable_output(m):
    MulAdd, _ = _function_classes(m)
    _, idx = MulAdd.apply(leaf(m, [1.0, 3.0]), m.tensor([2.0, 5.0]), 0.0)
    idx.sum().backward()


def _function_double_backward(m):
    _, Cube = _function_classes(m)
    x = leaf(m, [1.0, -2.0, 0.5])
    (g,) = m.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    (gg,) = m.autograd.grad(g.sum(), x)
    return g, gg


def _function_saved_tensors_freed(m):
    _, Cube = _function_classes(m)
    x = leaf(m, [2.0])
    y = Cube.apply(x)
    y.backward()
    y.backward()


def _function_saved_input_modified(m):
    _, Cube = _function_classes(m)
    x = leaf(m, [2.0])
    h = x * 1
    y = Cube.apply(h)
    h.add_(1)
    y.backward()


def _function_wrong_number_of_grads(m):
    class Bad(m.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, grad):
            return grad

    Bad.apply(leaf(m, [1.0]), leaf(m, [2.0])).backward()


def _function_grad_for_non_tensor(m):
    class Bad(m.autograd.Function):
        @staticmethod
        def forward(ctx, a, k):
            return a * k

        @staticmethod
        def backward(ctx, grad):
            return grad, grad

    Bad.apply(leaf(m, [1.0]), 2.0).backward()


def _function_unused_outputs(m):
    class Two(m.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2, a * 3

        @staticmethod
        def backward(ctx, g1, g2):
            ctx.got = (g1, g2)  # the unused output's gradient arrives as zeros
            return g1 * 2 + g2 * 3

    x = leaf(m, [1.0, 2.0])
    y1, y2 = Two.apply(x)
    y1.sum().backward()
    return x.grad, y1.grad_fn is y2.grad_fn, y1.grad_fn.next_functions[0][0].variable is x


def _function_under_no_grad(m):
    _, Cube = _function_classes(m)
    with m.no_grad():
        y = Cube.apply(leaf(m, [2.0]))
    return y, y.requires_grad, y.grad_fn is None


@pytest.mark.parametrize("program", [
    _function_values, _function_needs_input_grad, _function_non_differentiable_output,
    _function_double_backward, _function_saved_tensors_freed, _function_saved_input_modified,
    _function_wrong_number_of_grads, _function_grad_for_non_tensor, _function_unused_outputs,
    _function_under_no_grad], ids=lambda p: p.__name__.strip("_"))
def test_autograd_function(program):
    assert_like_torch(program)


def test_function_materialize_grads_off(m):
    class Two(m.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.set_materialize_grads(False)
            return a.clone(), a.clone()

        @staticmethod
        def backward(ctx, g1, g2):
            seen.append(g2)
            return g1

    seen = []
    x = m.ones(2, requires_grad=True)
    y1, _ = Two.apply(x)
    y1.sum().backward()
    assert seen == [None]  # not materialised as zeros
    assert x.grad.tolist() == [1.0, 1.0]


# -- legacy Variable ------------------------------------------------------------------------------
def test_variable_is_a_tensor(m):
    from_tensor = m.ones(2)
    v = m.autograd.Variable(from_tensor, requires_grad=True)
    assert type(v) is m.Tensor and isinstance(v, m.autograd.Variable)
    assert isinstance(m.zeros(1), m.autograd.Variable)
    assert v.requires_grad and v.is_leaf and not from_tensor.requires_grad
    from_tensor[0] = 5.0  # shares storage
    assert v.tolist() == [5.0, 1.0]
    assert not m.autograd.Variable(m.ones(2)).requires_grad
    y = v * 2
    assert m.autograd.Variable(y).grad_fn is None


def test_variable_of_non_tensor():
    assert_like_torch(lambda m: m.autograd.Variable([1.0, 2.0]))


def _variable_seed_program(m):
    x = m.autograd.Variable(m.Tensor([2]), requires_grad=True)
    y = m.autograd.Variable(m.Tensor([3]), requires_grad=True)
    z = 2 * x + 3 * y + 4
    z.backward()
    return x.grad.data, y.grad.data, str(z)


def test_variable_program():
    assert_like_torch(_variable_seed_program)


# -- in-place operations and the version counter ----------------------------------------------------
def _modify_saved_leaf(m):
    x = leaf(m, [1.0])
    c = x * x
    with m.no_grad():
        x.add_(1)
    c.sum().backward()


INPLACE_ERRORS = {
    "saved_output_modified": lambda m: (lambda x: (lambda y: (y.add_(1), y.sum().backward()))(x.exp()))(
        leaf(m, [1.0, 2.0, 3.0])),
    "saved_input_modified": lambda m: (lambda x: (lambda h: (lambda z: (h.mul_(2), z.sum().backward()))(h * h))(
        x * 1))(leaf(m, [1.0, 2.0])),
    "leaf_modified_under_no_grad": lambda m: _modify_saved_leaf(m),
    "self_multiply_then_modify": lambda m: (lambda y: (y.mul_(y), y.div_(2), y.sum().backward()))(
        leaf(m, [1.0, 2.0]) * 2),
    "leaf_in_place": lambda m: leaf(m, [1.0, 2.0]).add_(1),
    "leaf_setitem_by_index_tensor": lambda m: leaf(m, [1.0, 2.0]).__setitem__(m.tensor([0]), 5.0),
    "view_of_leaf_in_place": lambda m: leaf(m, [1.0, 2.0, 3.0])[:2].mul_(2),
}


@pytest.mark.parametrize("name", sorted(INPLACE_ERRORS))
def test_in_place_errors(name):
    assert_like_torch(INPLACE_ERRORS[name])
    assert pt.is_grad_enabled() and torch.is_grad_enabled()


def test_version_counter_message():
    x = pt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x.exp()
    y.add_(1)
    with pytest.raises(RuntimeError, match=r"one of the variables needed for gradient computation has been "
                                           r"modified by an inplace operation: \[plugtensor.FloatTensor \[3\]\].*"
                                           r"is at version 1; expected version 0 instead"):
        y.sum().backward()


def test_leaf_in_place_under_no_grad_is_allowed(m):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    with m.no_grad():
        x.mul_(3)  # what an optimizer step does
    assert x.is_leaf and x.requires_grad and x.tolist() == [3.0, 6.0]
    (x * x).sum().backward()
    assert x.grad.tolist() == [6.0, 12.0]


def _inplace_chain(m):
    x = leaf(m, [1.0, 2.0, 3.0])
    y = x * 2
    y.add_(1)
    y.mul_(3)
    y.sub_(x)
    y.div_(2)
    y.neg_()
    y.sum().backward()
    return y, type(y.grad_fn).__name__, x.grad


def _inplace_self_multiply(m):
    x = leaf(m, [1.0, 2.0, 3.0])
    y = x * 2
    y.add_(1)
    names = [type(y.grad_fn).__name__]
    y.mul_(y)
    names.append(type(y.grad_fn).__name__)
    y.sum().backward()
    return y, names, x.grad


def _inplace_with_saved_elsewhere(m):
    x = leaf(m, [1.0, 2.0, 3.0])
    y = x * 2
    z = y.sin()  # saves y
    w = y * 3    # saves nothing of y
    y.add_(1)    # fine for w; z's backward will notice
    (w + y).sum().backward(retain_graph=True)
    first = x.grad.clone()
    z.sum().backward()
    return first


def _inplace_unary(m):
    x = leaf(m, [0.5, 1.0, 2.0])
    y = x * 2
    y.exp_()
    z = x.sigmoid()
    z.mul_(x)
    (y + z).sum().backward()
    return y, z, x.grad


def _inplace_clamp(m):
    x = leaf(m, [1.0, 2.0, 3.0])
    y = x * 2
    y.clamp_(max=4.0)
    y.sum().backward()
    return x.grad


def _setitem_on_non_leaf(m):
    x = leaf(m, [1.0, 2.0, 3.0])
    y = x * 1
    y[0] = 5.0
    (y * y).sum().backward()
    return y, type(y.grad_fn).__name__, x.grad


def _version_numbers(m):
    x = leaf(m, [1.0])
    y = x * 1
    out = [y._version]
    y.add_(1)
    out.append(y._version)
    y.mul_(2)
    v = y.view(1)
    out.append(v._version)
    with m.no_grad():
        v.add_(1)
    out.append(y._version)
    return out


@pytest.mark.parametrize("program", [_inplace_chain, _inplace_self_multiply, _inplace_with_saved_elsewhere,
                                     _inplace_unary, _inplace_clamp, _setitem_on_non_leaf, _version_numbers],
                         ids=lambda p: p.__name__.strip("_"))
def test_in_place_on_non_leaves(program):
    assert_like_torch(program)


# -- graph shapes: diamonds, shared subexpressions, reuse -----------------------------------------
def _diamond(m):
    x = leaf(m, [1.0, 2.0])
    a = x * 3
    b, c = a.exp(), a.sin()
    (b * c + a).sum().backward()
    return x.grad


def _shared_subexpression(m):
    x = leaf(m, [1.0, -2.0])
    s = x * x
    (s + s * s + s.sum()).sum().backward()
    return x.grad


def _repeated_use(m):
    x = leaf(m, 2.0)
    y = x
    for _ in range(5):
        y = y * x
    y.backward()
    return x.grad  # d/dx x**6


def _two_leaves_deep(m):
    x, w = leaf(m, [[1.0, 2.0], [3.0, 4.0]]), leaf(m, [[0.5], [-1.0]])
    h = (x @ w).tanh()
    out = (h * x).sum() + (h.t() @ h).sum()
    out.backward()
    return x.grad, w.grad


def _seed_matrix_loop(m):
    s = m.tensor([[0.01, 0.02]], requires_grad=True)
    x = m.ones(2, 2, requires_grad=True)
    for _ in range(10):
        s = s.mm(x)
    m.mean(s).backward()
    return x.grad


def _broadcast_inputs(m):
    x, b = leaf(m, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), leaf(m, [[1.0], [2.0]])
    c = leaf(m, 2.0)
    ((x + b) * c).pow(2).sum().backward()
    return x.grad, b.grad, c.grad


@pytest.mark.parametrize("program", [_diamond, _shared_subexpression, _repeated_use, _two_leaves_deep,
                                     _seed_matrix_loop, _broadcast_inputs],
                         ids=lambda p: p.__name__.strip("_"))
def test_graph_shapes(program):
    assert_like_torch(program)


# -- gradient dtypes ------------------------------------------------------------------------------
@pytest.mark.parametrize("dtypes", [("float64", "float32"), ("float16", "float32"), ("float32", "float32"),
                                    ("float64", "float16")])
def test_gradient_dtype_follows_input(dtypes):
    def program(m):
        a = leaf(m, [1.0, 2.0], getattr(m, dtypes[0]))
        b = leaf(m, [3.0, 4.0], getattr(m, dtypes[1]))
        (a * b).sum().backward()
        (g,) = m.autograd.grad((a.double() * b).sum(), a)  # float64 on the way, a's dtype at the end
        return a.grad, b.grad, g

    assert_like_torch(program)


# -- backward(inputs=...) -------------------------------------------------------------------------
def _inputs_leaf(m):
    a, b = leaf(m, [1.0, 2.0]), leaf(m, [3.0, 4.0])
    (a * b).sum().backward(inputs=[a])
    return a.grad, b.grad


def _inputs_single_tensor(m):
    a, b = leaf(m, [1.0, 2.0]), leaf(m, [3.0, 4.0])
    (a * b).sum().backward(inputs=b)
    return a.grad, b.grad


def _inputs_non_leaf(m):
    x, b = leaf(m, [1.0, 2.0]), leaf(m, [3.0, 4.0])
    c = x * 2
    (c * b).sum().backward(inputs=[c])
    return c.grad, c.retains_grad, x.grad, b.grad


def _inputs_unused(m):
    x, z = leaf(m, [1.0, 2.0]), leaf(m, [5.0])
    (x * 2).sum().backward(inputs=[x, z])
    return x.grad, z.grad


@pytest.mark.parametrize("program", [_inputs_leaf, _inputs_single_tensor, _inputs_non_leaf, _inputs_unused],
                         ids=lambda p: p.__name__.strip("_"))
def test_backward_inputs(program):
    assert_like_torch(program)
