"""A second device type for testing the conformance suite itself: ``fakedev`` (two devices), NumPy
underneath, but with no float64 and arrays that do not share host memory — like an OpenCL device
without ``cl_khr_fp64``. Register with ``--plugin fakedev_backend`` (this folder on sys.path)."""
from __future__ import annotations

import numpy as np

from plugtensor.backend import ArrayModuleBackend, BackendSpec, dtypes, hookimpl


class FakeDevBackend(ArrayModuleBackend):
    name = "fakedev"
    device_type = "fakedev"
    version = "0.0.1"
    host_memory = False
    xp = np

    def device_count(self) -> int:
        return 2

    def device_dtypes(self, index: int):
        return tuple(d for d in super().device_dtypes(index) if d is not dtypes.float64)

    def from_host(self, host, dtype, index, share=False):
        return np.array(host, copy=True)  # device memory: never shared

    def to_host(self, a):
        return np.array(a, copy=True)


@hookimpl
def plugtensor_register_backends():
    return [BackendSpec("fakedev", FakeDevBackend, name="fakedev")]
