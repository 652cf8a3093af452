"""Kernel-result checks (core/plugtensor/backend/_checks.py): a kernel that returns an array of the
wrong shape or dtype is caught with a RuntimeError naming the kernel, who supplied it, what was
expected and what came back.

- Kernels from ``plugtensor_register_kernels`` plugins are checked always (checks on or off).
- A backend's own kernels (table and raw fast kernels) are checked only while checking is on:
  ``plugtensor.backend.set_kernel_checks(True)`` or ``PLUGTENSOR_CHECK_KERNELS=1``; the conformance
  suite turns it on for its run. Off, the built-in tables are the backend's own functions, untouched.

The fixture plugins are tests/plugins/bad_kernels_plugin (cpu kernel overrides) and
tests/plugins/wrong_backend_plugin (a backend, device type ``wrongdev``, with wrong own kernels).
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

import plugtensor as pt
from plugtensor import _plugins
from plugtensor.backend import hookimpl, kernel_checks, set_kernel_checks

PLUGIN_DIR = Path(__file__).parent / "plugins"
sys.path.insert(0, str(PLUGIN_DIR))
import bad_kernels_plugin  # noqa: E402
import wrong_backend_plugin  # noqa: E402

sys.path.remove(str(PLUGIN_DIR))


@pytest.fixture(params=[False, True], ids=["checks-off", "checks-on"])
def mode(request):
    old = set_kernel_checks(request.param)
    yield request.param
    set_kernel_checks(old)


@pytest.fixture
def bad_kernels(mode):
    pt.register_plugin(bad_kernels_plugin, name="bad_kernels")
    yield
    _plugins.unregister_plugin("bad_kernels")


def _raises(fn, kernel: str, *parts: str) -> str:
    with pytest.raises(RuntimeError) as info:
        fn()
    msg = str(info.value)
    assert f"kernel '{kernel}'" in msg, msg
    assert "plugin 'bad_kernels'" in msg, msg
    for p in parts:
        assert p in msg, msg
    return msg


# Each case: (kernel, the call, parts of the message: what came back and what was expected)
x23 = np.arange(6, dtype=np.float32).reshape(2, 3) / 7


def _t(a):
    return pt.tensor(a)


CASES = {
    "exp": (lambda: pt.exp(_t(x23)), ("returned shape [2, 1]", "expected shape [2, 3] and dtype float32")),
    "add": (lambda: _t(x23) + _t(x23), ("dtype float64", "expected shape [2, 3] and dtype float32")),
    "amax": (lambda: pt.amax(_t(x23), 1, keepdim=True), ("returned shape [2]", "expected shape [2, 1]")),
    "sort": (lambda: pt.sort(_t(x23), 1), ("result 1", "dtype int32", "dtype int64")),
    "astype": (lambda: _t(x23).to(pt.float64), ("dtype float32", "expected shape [2, 3] and dtype float64")),
    "nonzero": (lambda: pt.nonzero(_t(x23)), ("returned shape [5]", "expected shape [?, 2] and dtype int64")),
}


@pytest.mark.parametrize("kernel", sorted(CASES))
def test_plugin_kernel_with_wrong_result_is_caught_in_both_modes(bad_kernels, kernel):
    call, parts = CASES[kernel]
    _raises(call, kernel, *parts)


def test_wrong_matmul_is_caught_on_a_non_square_product(bad_kernels):
    a, b = np.ones((2, 3), np.float32), np.ones((3, 4), np.float32)
    _raises(lambda: _t(a) @ _t(b), "matmul", "returned shape [4, 2]", "expected shape [2, 4]")
    _raises(lambda: pt.mm(_t(a), _t(b)), "matmul")  # the 2-D fast path takes the plugin's kernel too


def test_error_describes_the_arguments(bad_kernels):
    msg = _raises(lambda: pt.amax(_t(x23), 1, keepdim=True), "amax")
    assert "for arguments (float32[2, 3], (1,), True)" in msg, msg


def test_checks_leave_kernel_errors_and_correct_results_alone(mode):
    # A plugin kernel that is right passes through unchanged; one that raises keeps its own error.
    class Good:
        @hookimpl
        def plugtensor_register_kernels(self, device_type, backend):
            def sqrt(x, out=None):
                if x.ndim == 3:
                    raise ValueError("good_plugin: no 3-d sqrt")
                return np.sqrt(x, out=out)
            return {"sqrt": sqrt, "tanh": lambda x, out=None: np.tanh(x, out=out)} if device_type == "cpu" else None

    pt.register_plugin(Good(), name="good_kernels")
    try:
        a = np.abs(np.random.default_rng(0).standard_normal((3, 4))).astype(np.float32)
        np.testing.assert_allclose(pt.sqrt(pt.tensor(a)).numpy(), torch.sqrt(torch.from_numpy(a)).numpy(), rtol=1e-6)
        np.testing.assert_allclose(pt.tensor(a).tanh().numpy(), torch.from_numpy(a).tanh().numpy(), rtol=1e-6)
        with pytest.raises(RuntimeError) as info:  # named as the plugin's kernel, its own error chained
            pt.sqrt(pt.ones(2, 2, 2))
        chain, e = [], info.value
        while e is not None:
            chain.append(e)
            e = e.__cause__
        assert any(isinstance(e, ValueError) and str(e) == "good_plugin: no 3-d sqrt" for e in chain), chain
        assert "kernel 'sqrt' from plugin 'good_kernels'" in str(info.value)
        assert "returned shape" not in str(info.value)
    finally:
        _plugins.unregister_plugin("good_kernels")


def test_built_in_kernels_are_unwrapped_while_checks_are_off():
    """The cost of checking falls on plugin kernels only: with checks off the cpu tables hold the
    backend's own functions (and raw NumPy ufuncs on the fast path), not wrappers."""
    old = set_kernel_checks(False)
    try:
        ctx = pt.ones(1)._ctx
        backend = ctx.backend
        own = backend.kernels()
        for name in ("add", "mul", "sum", "matmul", "exp", "copy_", "astype"):
            assert not hasattr(ctx.K[name], "_plugtensor_checked"), name
            k = ctx.K[name]
            assert k is own[name] or getattr(k, "__code__", None) is getattr(own[name], "__code__", False), name
        assert ctx.F["add"] is np.add and ctx.F["mul"] is np.multiply
        set_kernel_checks(True)
        assert hasattr(ctx.K["add"], "_plugtensor_checked") and hasattr(ctx.F["add"], "_plugtensor_checked")
        assert "backend 'numpy'" in ctx.K["add"]._plugtensor_checked
    finally:
        set_kernel_checks(old)
    assert ctx.F["add"] is np.add


@pytest.fixture
def wrongdev():
    pt.register_plugin(wrong_backend_plugin, name="wrong_backend")
    yield "wrongdev"
    _plugins.unregister_plugin("wrong_backend")


def test_backend_kernels_are_checked_only_in_checking_mode(wrongdev):
    x = np.array([[1.5, -2.0], [0.25, 3.0]], np.float32)
    old = set_kernel_checks(False)
    try:
        t = pt.tensor(x, device=wrongdev)
        # Unchecked, the wrong results go by: neg's float64 array under a float32 tensor, a sum
        # without its kept dim, a flattened product.
        assert (-t)._data.dtype == np.float64
        assert t.sum(1, keepdim=True)._data.shape == (2,)
        assert (t * t)._data.shape == (4,)
        set_kernel_checks(True)  # takes effect for tensors that already exist
        assert kernel_checks()
        for call, kernel, parts in (
                (lambda: -t, "neg", ("returned shape [2, 2] and dtype float64", "dtype float32")),
                (lambda: t.sum(1, keepdim=True), "sum", ("returned shape [2]", "expected shape [2, 1]")),
                (lambda: t * t, "mul", ("returned shape [4]", "expected shape [2, 2]"))):
            with pytest.raises(RuntimeError) as info:
                call()
            msg = str(info.value)
            assert f"kernel '{kernel}' from backend 'wrong' (plugin 'wrong_backend'" in msg, msg
            for p in parts:
                assert p in msg, msg
        # The right kernels of the same backend pass, with values as PyTorch's.
        np.testing.assert_array_equal((t + t).numpy(), (torch.from_numpy(x) * 2).numpy())
    finally:
        set_kernel_checks(old)


_ENV_SCRIPT = """
    import json, sys
    sys.path.insert(0, {plugins!r})
    import plugtensor as pt
    import wrong_backend_plugin
    from plugtensor.backend import kernel_checks
    pt.register_plugin(wrong_backend_plugin, name="wrong_backend")
    try:
        -pt.tensor([1.0, 2.0], device="wrongdev")
        err = None
    except RuntimeError as exc:
        err = str(exc)
    print(json.dumps({{"on": kernel_checks(), "error": err}}))
"""


@pytest.mark.parametrize("value,on", [("1", True), ("0", False)])
def test_environment_variable_turns_checks_on(value, on):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLUGTENSOR_")}
    env["PLUGTENSOR_CHECK_KERNELS"] = value
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(_ENV_SCRIPT.format(plugins=str(PLUGIN_DIR)))],
                       env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    import json
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["on"] is on
    if on:
        assert out["error"] is not None and "kernel 'neg' from backend 'wrong'" in out["error"]
    else:
        assert out["error"] is None


def test_conformance_suite_runs_with_checks_on():
    """The suite's run checks the backend under test: wrongdev's neg computes the right values in
    float64, which the value comparisons alone would accept; the kernel check fails it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLUGTENSOR_")}
    env["PYTHONPATH"] = os.pathsep.join([str(PLUGIN_DIR), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    r = subprocess.run([sys.executable, "-m", "pytest", "--pyargs", "plugtensor_conformance", "--device=wrongdev",
                        "--plugtensor-plugin=wrong_backend_plugin", "-p", "no:cacheprovider", "-q",
                        "-k", "test_forward and neg- and float32"],
                       env=env, capture_output=True, text=True, timeout=300, cwd=str(PLUGIN_DIR))
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    assert "kernel 'neg' from backend 'wrong'" in out and "dtype float64" in out, out
