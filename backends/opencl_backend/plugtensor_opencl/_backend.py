"""The Backend: devices, array metadata, views, transfers, and the kernel table from the kernel modules."""
from __future__ import annotations

import sys
import threading
from typing import Any, Callable

import numpy as np

from plugtensor.backend import REFCOUNTS_EXACT, Backend
from plugtensor.backend import dtypes as D

from . import __version__
from ._core import CLArray, Runtime, devices

__all__ = ["OpenCLBackend"]


class OpenCLBackend(Backend):
    """Every OpenCL device of every platform, numbered in a stable order."""

    name = "opencl"
    device_type = "opencl"
    version = __version__
    host_memory = False

    def __init__(self) -> None:
        try:
            found = devices()
        except Exception as exc:  # noqa: BLE001 - no ICD loader or platform: report, don't crash
            found, self.unavailable_reason = [], f"no OpenCL platform: {exc}"
        else:
            self.unavailable_reason = "no OpenCL device found (install an OpenCL runtime, e.g. " \
                                      "`pip install pocl-binary-distribution`)"
        self._found = found
        self._runtimes: dict[int, Runtime] = {}
        self._lock = threading.Lock()

    def runtime(self, index: int) -> Runtime:
        rt = self._runtimes.get(index)
        if rt is None:
            with self._lock:  # one Runtime (context, queue, pool) per device, whichever thread comes first
                rt = self._runtimes.get(index)
                if rt is None:
                    p, d = self._found[index]
                    rt = self._runtimes[index] = Runtime(p, d, index)
        return rt

    # -- devices ----------------------------------------------------------------------------------
    def device_count(self) -> int:
        return len(self._found)

    def device_name(self, index: int) -> str:
        return self._found[index][1].name.strip()

    def device_dtypes(self, index: int) -> tuple:
        return self.runtime(index).dtypes

    def device_properties(self, index: int) -> dict[str, Any]:
        p, d = self._found[index]
        return {"platform": p.name.strip(), "memory": f"{d.global_mem_size / 2**30:.1f} GiB",
                "compute_units": d.max_compute_units}

    def max_alloc_bytes(self, index: int) -> int:
        # One buffer holds at most max_mem_alloc_size bytes, and the pool rounds sizes up to powers of two.
        return 1 << (self._found[index][1].max_mem_alloc_size.bit_length() - 1)

    def synchronize(self, index: int) -> None:
        self.runtime(index).finish()

    # -- memory (the buffer pool) -------------------------------------------------------------------
    def memory_allocated(self, index: int) -> int:
        return self.runtime(index).allocated

    def memory_reserved(self, index: int) -> int:
        rt = self.runtime(index)
        with rt._pool_lock:
            return rt.allocated + rt.cached

    def empty_cache(self, index: int) -> None:
        rt = self._runtimes.get(index)  # a device not used yet has nothing cached: leave it unopened
        if rt is not None:
            rt.empty_cache()

    def cache_limit(self, index: int) -> int:
        return self.runtime(index).cache_limit

    def set_cache_limit(self, index: int, nbytes: int) -> None:
        self.runtime(index).set_cache_limit(nbytes)

    def device_index(self, a: CLArray) -> int:
        return a.rt.index

    # -- arrays -----------------------------------------------------------------------------------
    def strides(self, a: CLArray) -> tuple:
        return a.strides

    def storage_offset(self, a: CLArray) -> int:
        return a.offset

    def dtype(self, a: CLArray):
        return a.dtype

    def empty(self, shape, dtype, index):
        return self._check(dtype, index).empty(shape, dtype)

    def full(self, shape, value, dtype, index):
        from ._elementwise import fill
        a = self.empty(shape, dtype, index)
        fill(a, value)
        return a

    def from_host(self, host, dtype, index, share=False):
        return self._check(dtype, index).write(host, dtype)

    def to_host(self, a: CLArray) -> np.ndarray:
        if not a.is_contiguous():
            from ._elementwise import contiguous
            a = contiguous(a)
        return a.rt.read(a)

    def arange(self, start, step, n, dtype, index):
        from ._elementwise import arange
        return arange(self._check(dtype, index), start, step, n, dtype)

    def random_bits(self, seed, offset, n, index):
        from ._random import random_bits
        return random_bits(self.runtime(index), seed, offset, n)

    def random(self, kind, shape, dtype, seed, offset, index, **params):
        from ._random import random
        return random(self._check(dtype, index), kind, tuple(shape), dtype, seed, offset, **params)

    def dtype_note(self, dtype, index: int) -> str:
        ext = {"float64": "cl_khr_fp64", "float16": "cl_khr_fp16"}.get(dtype.name)
        return f"{self.device_name(index)} lacks {ext}" if ext else ""

    def _check(self, dtype, index) -> Runtime:
        rt = self.runtime(index)
        if dtype not in rt.dtypes:
            note = self.dtype_note(dtype, index)
            raise TypeError(f"opencl:{index} ({self.device_name(index)}) does not support dtype {dtype}"
                            + (f" ({note})" if note else ""))
        return rt

    # -- views ------------------------------------------------------------------------------------
    def as_strided(self, a: CLArray, shape, strides, storage_offset) -> CLArray:
        return CLArray(a.storage, tuple(int(s) for s in shape), tuple(int(s) for s in strides), int(storage_offset),
                       a.dtype)

    def sole_owner(self, a: CLArray) -> bool:
        # References to a: the caller's, this parameter, getrefcount's argument. Every view of the
        # same memory is another CLArray holding its Storage (one reference here: a.storage).
        return REFCOUNTS_EXACT and sys.getrefcount(a) <= 3 and sys.getrefcount(a.storage) <= 2

    # -- kernels ----------------------------------------------------------------------------------
    def kernels(self) -> dict[str, Callable]:
        from . import _elementwise, _index, _matmul, _reduce
        table: dict[str, Callable] = {}
        for module in (_elementwise, _reduce, _matmul, _index):
            table.update(module.kernels())
        return table


