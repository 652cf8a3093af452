"""The device and transfers: declared dtypes work, tensors carry the right device, and moving data to
and from the host or the cpu device keeps dtype and values exactly (bit for bit, nan and inf included)."""
from __future__ import annotations

import numpy as np
import pytest

import plugtensor as pt

from ._harness import FLOAT_DTYPES, INT_DTYPES, assert_close, cast_values, cpu_available, host, pt_dtype
from .plugin import dtype_params

AREA = "devices & transfers"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "dtype" in metafunc.fixturenames:
        metafunc.parametrize("dtype", dtype_params(metafunc.config))


def extreme_values(dtype: str) -> np.ndarray:
    """Values that expose lossy transfers: range limits, signed zero, subnormals, nan and inf."""
    if dtype == "bool":
        return np.array([True, False, True])
    if dtype in INT_DTYPES:
        info = np.iinfo(dtype)
        return np.array([info.min, info.max, 0, 1, -1 if info.min else 2, info.max - 1], dtype=dtype)
    info = np.finfo(dtype)
    return np.array([info.max, info.min, info.tiny, info.smallest_subnormal, -0.0, 0.0, np.inf, -np.inf, np.nan,
                     1 / 3], dtype=dtype)


def _bits(a: np.ndarray) -> np.ndarray:
    """Compare floats by their bit patterns (so -0.0 != 0.0 and nan payloads count)."""
    return a.view(f"u{a.itemsize}") if a.dtype.kind == "f" else a


def test_declared_dtype_roundtrip(dtype: str, device: str) -> None:
    """host -> device -> host is exact for the dtype's extreme values, contiguous or not."""
    v = extreme_values(dtype)
    t = pt.tensor(v, device=device)
    assert t.dtype == pt_dtype(dtype), f"tensor from a {dtype} array has dtype {t.dtype}"
    assert np.array_equal(_bits(host(t)), _bits(v)), f"host -> {device} -> host changed {dtype} values"
    assert np.array_equal(_bits(host(t[::2])), _bits(v[::2])), "strided view read back wrongly"
    m = np.stack([v, v[::-1]])
    tm = pt.tensor(m, device=device)
    assert np.array_equal(_bits(host(tm.t())), _bits(m.T.copy())), "transposed view read back wrongly"
    assert t.tolist() == v.tolist() or dtype in FLOAT_DTYPES, "tolist() values differ"
    assert t[1].item() == v[1].item(), "item() value differs"


def test_device_of_tensors(device: str, target) -> None:
    t = pt.zeros(2, device=device)
    d = t.device
    assert isinstance(d, pt.device) and d.type == target.type, f"tensor.device {d!r} for device {device!r}"
    if target.type == "cpu":
        assert d.index is None and str(d) == "cpu", f"cpu tensors report device('cpu'), got {d!r}"
    else:
        assert d.index == target.index, f"tensor.device {d!r} must carry the index {target.index}"
    assert pt.zeros(2, device=d).device == d, "a device object is accepted wherever a string is"
    assert (t + 1).device == d and t.sum().device == d and t[0].device == d, "results stay on the device"
    assert t.is_cpu == (target.type == "cpu") and t.is_cuda == (target.type == "cuda")


def test_to_same_device_and_dtype_is_identity(dtype: str, device: str) -> None:
    t = pt.tensor(extreme_values(dtype), device=device)
    assert t.to(device) is t, "to(own device) must return the tensor itself"
    assert t.to(t.dtype) is t, "to(own dtype) must return the tensor itself"
    c = t.to(device, copy=True)
    assert c is not t and np.array_equal(_bits(host(c)), _bits(host(t))), "to(copy=True) must copy exactly"


def test_to_and_from_cpu(dtype: str, device: str) -> None:
    if not cpu_available():
        pytest.skip("n/a: no cpu backend installed to transfer to")
    v = extreme_values(dtype)
    t = pt.tensor(v, device=device)
    c = t.to("cpu")
    assert c.device == pt.device("cpu") and c.dtype == t.dtype, f"to('cpu') gave {c.device}, {c.dtype}"
    assert np.array_equal(_bits(c.numpy()), _bits(v)), f"{device} -> cpu changed {dtype} values"
    assert np.array_equal(_bits(host(t.cpu())), _bits(v)), "cpu() changed values"
    back = pt.tensor(v).to(device)
    assert back.device == t.device and back.dtype == t.dtype
    assert np.array_equal(_bits(host(back)), _bits(v)), f"cpu -> {device} changed {dtype} values"
    nc = pt.tensor(np.stack([v, v])).t().to(device)  # a non-contiguous source
    assert np.array_equal(_bits(host(nc)), _bits(np.stack([v, v]).T.copy())), "non-contiguous cpu source"
    assert np.array_equal(_bits(host(pt.tensor(t, device="cpu"))), _bits(v)), "tensor(device tensor, device='cpu')"


@pytest.mark.parametrize("to", ["bool", "int64", "float32"])
def test_to_dtype_casts(dtype: str, to: str, device: str, target) -> None:
    """Casting on the device: exact for values every dtype represents."""
    if to not in target.dtypes:
        pytest.skip(f"n/a: {to} not declared")
    v = cast_values(np.array([0.0, 1.0, 2.0, 3.0, 0.0, 5.0]), dtype)
    t = pt.tensor(v, device=device).to(pt_dtype(to))
    assert t.dtype == pt_dtype(to) and t.device == pt.zeros(1, device=device).device
    assert_close(host(t), v.astype(to), to, what=f"{dtype} -> {to}")


def test_numpy_conversion(device: str, target) -> None:
    t = pt.tensor([1.0, 2.0], device=device)
    if target.backend.host_memory:
        a = t.numpy()
        a[0] = 5.0
        assert host(t)[0] == 5.0, "numpy() on a host-memory device must share memory"
    else:
        with pytest.raises(TypeError):
            t.numpy()
    assert np.array_equal(np.asarray(t), [host(t)[0], 2.0])
    with pytest.raises(RuntimeError):
        pt.tensor([1.0], device=device, requires_grad=True).numpy()


def test_gradient_flows_across_devices(device: str, target) -> None:
    if target.type == "cpu" or not cpu_available():
        pytest.skip("n/a: needs a second device type (cpu) besides the device under test")
    x = pt.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    (x.to("cpu") * pt.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad is not None and x.grad.device == x.device, "the gradient must come back to the device"
    assert_close(host(x.grad), np.array([1.0, 2.0, 3.0], dtype=np.float32), "float32")


def test_devices_lists_the_device(device: str, target) -> None:
    rows = pt.devices()
    names = {r["device"] for r in rows}
    want = target.type if target.type == "cpu" else f"{target.type}:{target.index}"
    assert want in names, f"plugtensor.devices() does not list {want}: {names}"
    row = next(r for r in rows if r["device"] == want)
    assert row["status"] == "ok", f"devices() reports {want} as {row['status']}"
    assert set(row["dtypes"].split(",")) >= set(target.dtypes), "devices() must list the declared dtypes"
