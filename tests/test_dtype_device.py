"""Dtypes (attributes, limits, default dtype, promotion, casting) and devices (parsing, identity,
resolution errors, mixed-device ops) and ``plugtensor.Size``, checked against PyTorch."""
from __future__ import annotations

import itertools
import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import plugtensor as pt  # noqa: E402
from plugtensor.backend import ArrayModuleBackend, BackendSpec, hookimpl  # noqa: E402

DTYPES = [pt.bool, pt.uint8, pt.int8, pt.int16, pt.int32, pt.int64, pt.float16, pt.float32, pt.float64]
FLOATS = [pt.float16, pt.float32, pt.float64]
INTS = [pt.uint8, pt.int8, pt.int16, pt.int32, pt.int64]


def tdt(d: pt.dtype) -> torch.dtype:
    """The torch dtype of the same name."""
    return getattr(torch, d.name)


def same(d: pt.dtype, t: torch.dtype) -> bool:
    return repr(d) == repr(t).replace("torch.", "plugtensor.")


@pytest.fixture
def restore_default_dtype():
    yield
    pt.set_default_dtype(pt.float32)
    torch.set_default_dtype(torch.float32)


# ---------------------------------------------------------------------------------------------------
# dtype objects
# ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("d", DTYPES, ids=str)
def test_dtype_attributes_match_torch(d):
    t = tdt(d)
    assert (d.itemsize, d.is_floating_point, d.is_signed, d.is_complex) == \
        (t.itemsize, t.is_floating_point, t.is_signed, t.is_complex)
    assert repr(d) == str(d) == f"plugtensor.{d.name}"
    assert pickle.loads(pickle.dumps(d)) is d
    with pytest.raises(AttributeError):
        d.itemsize = 3


@pytest.mark.parametrize("alias,name", [("half", "float16"), ("float", "float32"), ("double", "float64"),
                                        ("short", "int16"), ("int", "int32"), ("long", "int64")])
def test_dtype_aliases(alias, name):
    assert getattr(pt, alias) is getattr(pt, name)
    assert getattr(torch, alias) is getattr(torch, name)  # the same aliases as PyTorch


@pytest.mark.parametrize("d", FLOATS, ids=str)
def test_finfo_matches_torch(d):
    mine, ref = pt.finfo(d), torch.finfo(tdt(d))
    for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(mine, attr) == getattr(ref, attr), attr


@pytest.mark.parametrize("d", INTS, ids=str)
def test_iinfo_matches_torch(d):
    mine, ref = pt.iinfo(d), torch.iinfo(tdt(d))
    assert (mine.bits, mine.min, mine.max, mine.dtype) == (ref.bits, ref.min, ref.max, ref.dtype)


def test_finfo_default_and_info_type_errors():
    assert pt.finfo().dtype == "float32"
    for bad in (lambda: pt.finfo(pt.int32), lambda: pt.iinfo(pt.float32), lambda: pt.iinfo(pt.bool)):
        with pytest.raises(TypeError):
            bad()
    for bad in (lambda: torch.finfo(torch.int32), lambda: torch.iinfo(torch.float32),
                lambda: torch.iinfo(torch.bool)):
        with pytest.raises(TypeError):
            bad()


# ---------------------------------------------------------------------------------------------------
# default dtype
# ---------------------------------------------------------------------------------------------------
def _default_dtype_effects(m):
    return [m.tensor(1.5).dtype, m.tensor([1, 2]).dtype, m.tensor(True).dtype, m.arange(0.5, 3).dtype,
            m.arange(3).dtype, (m.tensor([1, 2]) + 2.5).dtype, (m.tensor([1, 2]) / 2).dtype, m.zeros(2).dtype,
            m.ones(1).dtype, m.rand(2).dtype, m.full((1,), 2.0).dtype, m.linspace(0, 1, 3).dtype,
            (m.tensor([1.0], dtype=m.float32) * 2.5).dtype, m.eye(2).dtype, m.Tensor(2).dtype]


@pytest.mark.parametrize("d", [pt.float64, pt.float16, pt.float32], ids=str)
def test_set_default_dtype_effects_match_torch(d, restore_default_dtype):
    pt.set_default_dtype(d)
    torch.set_default_dtype(tdt(d))
    assert pt.get_default_dtype() is d
    mine, ref = _default_dtype_effects(pt), _default_dtype_effects(torch)
    assert [repr(x) for x in mine] == [repr(x).replace("torch.", "plugtensor.") for x in ref]


@pytest.mark.parametrize("bad", [pt.int32, pt.bool, "float64", None])
def test_set_default_dtype_rejects_non_floating(bad):
    with pytest.raises(TypeError, match="floating"):
        pt.set_default_dtype(bad)
    assert pt.get_default_dtype() is pt.float32


# ---------------------------------------------------------------------------------------------------
# promotion and casting
# ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("a", DTYPES, ids=str)
def test_promote_types_all_pairs_match_torch(a):
    for b in DTYPES:
        r = pt.promote_types(a, b)
        assert same(r, torch.promote_types(tdt(a), tdt(b))), (a, b, r)
        assert r is pt.promote_types(b, a)


def test_promote_types_rejects_non_dtypes():
    with pytest.raises(TypeError):
        pt.promote_types(pt.float32, 1)


@pytest.mark.parametrize("a", DTYPES, ids=str)
def test_can_cast_all_pairs_match_torch(a):
    for b in DTYPES:
        assert pt.can_cast(a, b) == torch.can_cast(tdt(a), tdt(b)), (a, b)


# Operands of every promotion category: dimensioned tensors, 0-dim tensors and Python scalars.
def _operands(m):
    ops = []
    for d in DTYPES:
        md = getattr(m, d.name)
        ops += [(f"{d.name}[2]", m.ones(2, dtype=md)), (f"{d.name}[]", m.ones((), dtype=md))]
    return ops + [("True", True), ("3", 3), ("2.5", 2.5)]


OPERANDS = _operands(pt)
TORCH_OPERANDS = _operands(torch)


@pytest.mark.parametrize("i", range(len(OPERANDS)), ids=[name for name, _ in OPERANDS])
def test_result_type_and_arithmetic_dtype_grid_match_torch(i):
    name, a = OPERANDS[i]
    ta = TORCH_OPERANDS[i][1]
    for (bname, b), (_, tb) in zip(OPERANDS, TORCH_OPERANDS):
        assert same(pt.result_type(a, b), torch.result_type(ta, tb)), (name, bname)
        if isinstance(a, pt.Tensor) or isinstance(b, pt.Tensor):
            assert same((a * b).dtype, (ta * tb).dtype), (name, "*", bname)


# ---------------------------------------------------------------------------------------------------
# device objects
# ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("s", ["cpu", "cuda", "cuda:0", "cuda:1", "opencl:12", "cpu:0", "cpu:1"])
def test_device_parsing_matches_torch(s):
    d, t = pt.device(s), torch.device(s)
    assert (d.type, d.index, str(d)) == (t.type, t.index, str(t))
    assert repr(d) == repr(t)


def test_device_forms_and_identity():
    assert pt.device("cuda", 1) == pt.device("cuda:1") == pt.device(pt.device("cuda:1"))
    assert repr(pt.device("my_backend:3")) == "device(type='my_backend', index=3)"  # plugin device types
    pairs = [("cpu", "cpu:0"), ("cuda", "cuda:0"), ("cuda:0", "cuda:1"), ("cuda:1", "cuda:1"), ("cpu", "cpu")]
    for a, b in pairs:
        assert (pt.device(a) == pt.device(b)) == (torch.device(a) == torch.device(b)), (a, b)
        assert (hash(pt.device(a)) == hash(pt.device(b))) == (torch.device(a) == torch.device(b))
    assert (pt.device("cpu") == "cpu") == (torch.device("cpu") == "cpu")
    assert len({pt.device("cpu"), pt.device("cpu"), pt.device("cpu:0")}) == 2
    assert pickle.loads(pickle.dumps(pt.device("cuda:3"))) == pt.device("cuda:3")
    with pytest.raises(AttributeError):
        pt.device("cpu").index = 1


@pytest.mark.parametrize("s", ["", "cuda:", "cuda:01", "cuda:-1", "CPU", "cuda:1:2", " cpu", "cuda:0 ", "cuda:x",
                               "cu da"])
def test_invalid_device_strings_raise_runtime_error(s):
    with pytest.raises(RuntimeError):
        torch.device(s)
    with pytest.raises(RuntimeError) as exc:
        pt.device(s)
    assert f"'{s}'" in str(exc.value)


def test_device_constructor_argument_errors():
    for bad in (lambda m: m.device("cpu", -1), lambda m: m.device("cuda:1", 2), lambda m: m.device(0)):
        with pytest.raises(RuntimeError):
            bad(torch)
        with pytest.raises(RuntimeError):
            bad(pt)
    with pytest.raises(TypeError):
        torch.device(1.5)
    with pytest.raises(TypeError):
        pt.device(1.5)


# ---------------------------------------------------------------------------------------------------
# Size
# ---------------------------------------------------------------------------------------------------
def test_size_repr_and_ops_match_torch():
    s, t = pt.Size([2, 3]), torch.Size([2, 3])
    exprs = [lambda x: x, lambda x: x[1:], lambda x: x + (4,), lambda x: (1,) + x, lambda x: x * 2,
             lambda x: 2 * x, lambda x: x[::-1], lambda x: type(x)([])]
    for f in exprs:
        r, rt = f(s), f(t)
        assert isinstance(r, pt.Size) and repr(r) == repr(rt).replace("torch.", "plugtensor.")
        assert str(r) == repr(r)
    assert (s[-1], s.numel(), pt.Size([]).numel(), s.count(2), s.index(3)) == \
        (t[-1], t.numel(), torch.Size([]).numel(), t.count(2), t.index(3))
    assert s == (2, 3) and hash(s) == hash((2, 3)) and s != [2, 3]
    assert pickle.loads(pickle.dumps(s)) == s and isinstance(pickle.loads(pickle.dumps(s)), pt.Size)
    with pytest.raises(TypeError):
        s + [4]
    assert pt.zeros(2, 3).shape == pt.zeros(2, 3).size() == s
    assert isinstance(pt.zeros(2, 3).shape, pt.Size)


# ---------------------------------------------------------------------------------------------------
# resolving devices to backends
# ---------------------------------------------------------------------------------------------------
def test_cuda_is_not_available_here():
    assert pt.cuda.is_available() is False
    assert pt.cuda.device_count() == 0
    with pytest.raises(RuntimeError, match="pip install plugtensor-cupy"):
        pt.zeros(1, device="cuda")


def test_unknown_device_type_names_installed_backends():
    with pytest.raises(RuntimeError) as exc:
        pt.zeros(2, device="foo")
    msg = str(exc.value)
    assert "'foo'" in msg and "Installed backends: 'cpu' (plugin numpy)" in msg


def test_cpu_index_past_device_count_raises():
    # torch accepts (and ignores) any index on cpu; plugtensor checks every device index against
    # the backend's device count (DESIGN.md §3), and the cpu backend has one device, cpu:0.
    assert pt.zeros(1, device="cpu:0").device == pt.device("cpu")
    assert str(torch.zeros(1, device="cpu:0").device) == "cpu"
    with pytest.raises(RuntimeError, match=r"'cpu:1'.*1 device"):
        pt.zeros(1, device="cpu:1")


class _TwinBackend(ArrayModuleBackend):
    """A second NumPy-backed device type with two devices and no float64 (like an fp32-only GPU)."""

    name = "twin"
    device_type = "twin"
    version = "0.0.1"

    def device_count(self) -> int:
        return 2

    def device_dtypes(self, index: int):
        return (pt.bool, pt.int64, pt.float32)


class _TwinPlugin:
    @hookimpl
    def plugtensor_register_backends(self):
        return [BackendSpec("twin", _TwinBackend)]


@pytest.fixture(scope="module")
def twin():
    pt.register_plugin(_TwinPlugin(), name="twin_test_plugin")
    yield
    from plugtensor import _plugins
    _plugins.unregister_plugin("twin_test_plugin")


def test_mixed_device_ops_raise_runtime_error(twin):
    a, b = pt.ones(2), pt.ones(2, device="twin:1")
    assert b.device == pt.device("twin:1") and str(b.device) == "twin:1"
    for op in (lambda: a + b, lambda: b * a, lambda: pt.add(a, b), lambda: a @ b):
        with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device") as exc:
            op()
        assert "cpu" in str(exc.value) and "twin:1" in str(exc.value)
    with pytest.raises(RuntimeError, match="same device"):
        pt.ones(2, device="twin:0") + b
    np.testing.assert_array_equal((a + b.to("cpu")).numpy(), [2.0, 2.0])
    assert (b + 1).device == b.device  # a Python scalar never moves a tensor


def test_device_index_past_count_and_unsupported_dtype(twin):
    assert pt.zeros(1, device="twin").device == pt.device("twin:0")
    with pytest.raises(RuntimeError, match=r"'twin:2'.*2 device"):
        pt.zeros(1, device="twin:2")
    with pytest.raises(TypeError, match="float64"):
        pt.zeros(1, dtype=pt.float64, device="twin")
    with pytest.raises(TypeError, match="float64"):
        pt.ones(1, dtype=pt.float64).to("twin")
    assert any(r["device"] == "twin:1" and r["dtypes"] == "bool,int64,float32" for r in pt.devices())


@pytest.mark.parametrize("make", [lambda d: pt.linspace(0, 1, 5, device=d),
                                  lambda d: pt.arange(0.0, 2.0, 0.5, device=d), lambda d: pt.eye(3, device=d),
                                  lambda d: pt.tensor([1.5, 2.0], device=d), lambda d: pt.rand(4, device=d),
                                  lambda d: pt.full((2,), 3.0, device=d),
                                  lambda d: pt.zeros_like(pt.ones(2, device=d))])
def test_factories_on_a_device_without_float64(twin, make):
    # Values are prepared on the host, so no float64 array is ever made on the float32-only device.
    pt.manual_seed(3)
    t = make("twin")
    pt.manual_seed(3)
    ref = make("cpu")
    assert t.device == pt.device("twin:0") and t.dtype is ref.dtype is pt.float32
    np.testing.assert_array_equal(t.to("cpu").numpy(), ref.numpy())
