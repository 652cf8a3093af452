"""Shared set-up of the OpenCL backend's tests: importing this module skips the importing test module
when pyopencl or an OpenCL device is missing, and gives the device contexts and host<->device helpers.

Views are made the same way on both sides: a NumPy view of a contiguous base, and the CLArray with
the same element strides and offset over the base written to the device.
"""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pyopencl")

import plugtensor as pt  # noqa: E402
from plugtensor.backend import dtypes as D  # noqa: E402

if not any(str(r.get("device", "")).startswith("opencl") and r.get("status") == "ok" for r in pt.devices()):
    pytest.skip("no OpenCL device", allow_module_level=True)

from plugtensor_opencl._core import CLArray  # noqa: E402

DEV = "opencl"
CL = pt.tensor([0], device=DEV)._ctx
CPU = pt.tensor([0])._ctx
RT = pt.tensor([0], device=DEV)._data.rt

__all__ = ["CLArray", "CL", "CPU", "DEV", "RT", "dev"]


def dev(x: np.ndarray, base: np.ndarray | None = None) -> CLArray:
    """``x`` on the device; when ``x`` is a view of the contiguous ``base``, the same view of ``base``."""
    if base is None:
        return RT.write(x, getattr(D, "bool" if x.dtype == bool else x.dtype.name))
    b = dev(base)
    item = x.itemsize
    return CLArray(b.storage, x.shape, tuple(s // item for s in x.strides),
                   (x.__array_interface__["data"][0] - base.__array_interface__["data"][0]) // item, b.dtype)
