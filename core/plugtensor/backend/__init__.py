"""The backend-facing API of plugtensor: everything a backend package may import.

Backends see arrays, never Tensors or autograd. This surface is versioned by :data:`API_VERSION`.

- :class:`Backend`: the base class declaring a device type's capabilities and primitives
- :class:`ArrayModuleBackend`: a complete backend over any NumPy-like array module
- :class:`ArrayAPIBackend`: a complete backend over any Array API namespace, strided views included
- :data:`hookimpl`, :class:`BackendSpec`: to register a backend through the ``plugtensor.backends`` entry point
- :mod:`plugtensor.backend.dtypes`: the dtype registry
- :func:`set_kernel_checks`, :func:`kernel_checks`: check every kernel result's shape and dtype (``_checks.py``);
  :class:`KernelError`: what a wrong result, or a failing plugin kernel, raises
"""
from .. import _dtype as dtypes
from ..hookspecs import BackendSpec, SlowPluginImportWarning, hookimpl
from . import _philox as philox
from ._arrayapi import ArrayAPIBackend, StridedArray
from ._arraymodule import ArrayModuleBackend
from ._checks import KernelError, kernel_checks, set_kernel_checks
from ._base import (API_VERSION, BINARY_KERNELS, KERNEL_NAMES, REDUCTION_KERNELS, REFCOUNTS_EXACT, UNARY_KERNELS,
                    Backend)

__all__ = ["API_VERSION", "Backend", "ArrayModuleBackend", "ArrayAPIBackend", "StridedArray", "BackendSpec", "hookimpl",
           "dtypes", "philox", "KERNEL_NAMES", "UNARY_KERNELS", "BINARY_KERNELS", "REDUCTION_KERNELS",
           "REFCOUNTS_EXACT", "set_kernel_checks", "kernel_checks", "KernelError", "SlowPluginImportWarning"]
