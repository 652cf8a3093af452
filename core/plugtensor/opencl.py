"""``plugtensor.opencl``: the OpenCL devices, and their memory with ``torch.cuda``'s names and meanings:
``memory_allocated``, ``memory_reserved``, ``empty_cache``, plus ``cache_limit`` and
``set_cache_limit`` for the buffer pool (see docs/backends/opencl.md).

Importing this module imports no backend: pyopencl is loaded when a device is first used.
"""
from __future__ import annotations

from ._device_module import device_module_functions

__all__ = ["device_count", "is_available", "memory_allocated", "memory_reserved", "empty_cache", "cache_limit",
           "set_cache_limit"]

globals().update(device_module_functions("opencl"))
