"""plugtensor-opencl: the ``opencl`` / ``opencl:N`` devices of plugtensor, with kernels written for
OpenCL (through PyOpenCL) and run on any OpenCL runtime (PoCL on a CPU, or a GPU driver).

The entry point registers a lazy :class:`BackendSpec`: pyopencl is imported only when an ``opencl``
device is first used, never at ``import plugtensor``.
"""
from __future__ import annotations

from plugtensor.backend import BackendSpec, hookimpl

__all__ = ["load"]
__version__ = "0.1.0"


def load():
    """Build the backend (imports pyopencl and enumerates devices)."""
    from ._backend import OpenCLBackend
    return OpenCLBackend()


@hookimpl
def plugtensor_register_backends():
    return [BackendSpec("opencl", load, name="opencl")]
