"""The OpenCL runtime of plugtensor-opencl: devices, buffers, arrays and compiled kernels.

- :class:`Runtime`: one OpenCL device with its context, in-order queue, buffer pool and kernel cache.
- :class:`CLArray`: a strided view (shape, element strides, element offset) of a :class:`Storage`
  (a pooled ``cl.Buffer``). Views share the Storage, so writes through a view reach the base.
- :meth:`Runtime.kernel` compiles OpenCL C once per source text; pyopencl keeps compiled binaries
  in its on-disk cache, so a second run of the program does not recompile.

Nothing here waits for the device except explicit reads (:meth:`Runtime.read`) and ``finish``.
"""
from __future__ import annotations

import os
import re
import threading
from collections import OrderedDict
from typing import Sequence

import numpy as np
import pyopencl as cl

from plugtensor.backend import dtypes as D

__all__ = ["Runtime", "CLArray", "Storage", "CTYPE", "NP", "UINT32", "devices", "contiguous_strides", "numel"]

# OpenCL C type of each plugtensor dtype (bool is stored as one byte, 0 or 1).
CTYPE = {"bool": "uchar", "uint8": "uchar", "int8": "char", "int16": "short", "int32": "int", "int64": "long",
         "float16": "half", "float32": "float", "float64": "double", "uint32": "uint"}
NP = {name: np.dtype("uint8" if name == "bool" else name) for name in CTYPE}


class _Uint32:
    """The element type of random-bit arrays: not a plugtensor dtype, only ever read back to host."""

    name, itemsize, is_floating_point = "uint32", 4, False


UINT32 = _Uint32()


def numel(shape: Sequence[int]) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def contiguous_strides(shape: Sequence[int]) -> tuple[int, ...]:
    out, acc = [], 1
    for s in reversed(shape):
        out.append(acc)
        acc *= max(s, 1)
    return tuple(reversed(out))


def devices() -> list[tuple[cl.Platform, cl.Device]]:
    """Every OpenCL device of every platform, in a stable order (platform name, then device name)."""
    found = []
    for p in sorted(cl.get_platforms(), key=lambda p: (p.name, p.vendor)):
        try:
            devs = p.get_devices()
        except cl.Error:
            continue
        for d in sorted(devs, key=lambda d: (d.name, d.global_mem_size)):
            found.append((p, d))
    return found


class Storage:
    """A device buffer of ``nbytes``; returned to its runtime's pool when no array uses it."""

    __slots__ = ("buffer", "nbytes", "rt")

    def __init__(self, rt: "Runtime", nbytes: int) -> None:
        self.rt, self.nbytes = rt, nbytes
        self.buffer = rt._take(nbytes)

    def __del__(self) -> None:
        # __del__ rather than weakref.finalize: 2 µs cheaper per allocation, on every op's result.
        # The in-order queue runs any kernel still using the buffer before a later one reusing it.
        try:
            self.rt._give(self.buffer, self.nbytes)
        except Exception:  # noqa: BLE001 - interpreter shutdown: the pool may already be gone
            pass


class CLArray:
    """A strided view of a Storage: what plugtensor's core sees as the array of an ``opencl`` tensor."""

    __slots__ = ("storage", "shape", "strides", "offset", "dtype", "rt")

    def __init__(self, storage: Storage, shape: tuple, strides: tuple, offset: int, dtype: D.dtype) -> None:
        self.storage, self.shape, self.strides, self.offset, self.dtype = storage, shape, strides, offset, dtype
        self.rt = storage.rt

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return numel(self.shape)

    @property
    def itemsize(self) -> int:
        return self.dtype.itemsize

    @property
    def buffer(self) -> cl.Buffer:
        return self.storage.buffer

    def is_contiguous(self) -> bool:
        if 0 in self.shape:  # as in PyTorch, an empty array is contiguous whatever its strides
            return True
        expected = 1
        for size, st in zip(reversed(self.shape), reversed(self.strides)):
            if size != 1 and st != expected:
                return False
            expected *= size
        return True

    def __repr__(self) -> str:
        return f"CLArray(shape={self.shape}, strides={self.strides}, offset={self.offset}, dtype={self.dtype.name})"


class Runtime:
    """One OpenCL device: context, queue, dtypes, buffer pool and compiled programs.

    Thread safety: a ``cl.Kernel`` holds its arguments, so setting them and enqueueing it must be
    one step when several threads share the kernel (every launch goes through :meth:`enqueue` or
    :meth:`launch`, under ``self.lock``); programs compile under their own lock; the pool has its
    own lock. OpenCL's other calls (enqueueing copies, waiting) are thread-safe by the spec.
    """

    def __init__(self, platform: cl.Platform, device: cl.Device, index: int) -> None:
        self.platform, self.device, self.index = platform, device, index
        self.cache_limit = cache_limit_from_env(device)  # first: a malformed setting opens nothing
        self.context = cl.Context([device])
        self.queue = cl.CommandQueue(self.context)
        ext = device.extensions.split()
        self.fp64 = "cl_khr_fp64" in ext or device.double_fp_config != 0
        self.fp16 = "cl_khr_fp16" in ext
        names = ["bool", "uint8", "int8", "int16", "int32", "int64", "float32"]
        if self.fp16:
            names.insert(6, "float16")
        if self.fp64:
            names.append("float64")
        self.dtypes = tuple(getattr(D, n) for n in names)
        self.max_group = device.max_work_group_size
        self.compute_units = device.max_compute_units
        self.lock = threading.Lock()  # kernel argument setting + enqueue
        self._build_lock = threading.Lock()
        self._typed: set = set()  # kernels whose scalar argument types were declared (by launch)
        self._programs: dict[str, cl.Program] = {}
        # The pool: size class -> free buffers (newest last), every free buffer in release order
        # (oldest first: evicted first when the cached bytes pass the limit), byte counts.
        # An RLock: a Storage collected by the garbage collector while this thread holds the lock
        # gives its buffer back re-entrantly (the structures are consistent at every allocation).
        self._pool: dict[int, list[cl.Buffer]] = {}
        self._lru: OrderedDict[int, tuple[int, cl.Buffer]] = OrderedDict()
        self._pool_lock = threading.RLock()
        self.allocated = 0  # bytes (size classes) of the buffers of live storages
        self.cached = 0  # bytes (size classes) of the free buffers kept in the pool

    # -- buffers ------------------------------------------------------------------------------------
    @staticmethod
    def _bucket(nbytes: int) -> int:
        # Round up to a power of two (>= 64 bytes) so freed buffers fit later requests of similar size.
        return max(64, 1 << (max(nbytes, 1) - 1).bit_length())

    def _take(self, nbytes: int) -> cl.Buffer:
        size = self._bucket(nbytes)
        with self._pool_lock:
            self.allocated += size
            free = self._pool.get(size)
            if free:
                buffer = free.pop()
                del self._lru[id(buffer)]
                self.cached -= size
                return buffer
        try:
            try:
                return cl.Buffer(self.context, cl.mem_flags.READ_WRITE, size)
            except cl.MemoryError:
                # Out of device memory: give the cached buffers back and try once more (as torch.cuda).
                self.empty_cache()
                return cl.Buffer(self.context, cl.mem_flags.READ_WRITE, size)
        except BaseException as exc:
            with self._pool_lock:
                self.allocated -= size
            if isinstance(exc, cl.MemoryError):
                # PyTorch's OutOfMemoryError is a RuntimeError; pyopencl's error does not leak.
                raise RuntimeError(f"opencl:{self.index} out of memory: tried to allocate {size} bytes "
                                   f"({size / 2**20:.2f} MiB) with {self.allocated} bytes held by tensors: "
                                   f"{exc}") from exc
            raise

    def _give(self, buffer: cl.Buffer, nbytes: int) -> None:
        size = self._bucket(nbytes)
        with self._pool_lock:
            self.allocated -= size
            if size > self.cache_limit:
                evicted = [buffer]
            else:
                free = self._pool.get(size)
                if free is None:
                    free = self._pool[size] = []
                free.append(buffer)
                self._lru[id(buffer)] = (size, buffer)
                self.cached += size
                evicted = self._evict() if self.cached > self.cache_limit else None
        if evicted:
            for b in evicted:
                b.release()

    def _evict(self) -> list:
        """Take the oldest free buffers out of the pool until it holds at most ``cache_limit`` bytes
        (the caller holds the pool lock, and releases them after letting it go)."""
        out = []
        while self.cached > self.cache_limit and self._lru:
            _, (size, buffer) = self._lru.popitem(last=False)
            self._pool[size].remove(buffer)
            self.cached -= size
            out.append(buffer)
        return out

    def empty_cache(self) -> None:
        """Release every free buffer of the pool to the OpenCL runtime."""
        with self._pool_lock:
            evicted = [b for _, b in self._lru.values()]
            self._pool.clear()
            self._lru.clear()
            self.cached = 0
        for b in evicted:
            b.release()

    def set_cache_limit(self, nbytes: int) -> None:
        """Keep at most ``nbytes`` of free buffers (0: release every buffer when its storage dies)."""
        with self._pool_lock:
            self.cache_limit = nbytes
            evicted = self._evict()
        for b in evicted:
            b.release()

    def empty(self, shape: Sequence[int], dtype: D.dtype) -> CLArray:
        shape = tuple(int(s) for s in shape)
        n = 1
        for s in shape:
            n *= s
        return CLArray(Storage(self, n * dtype.itemsize), shape, contiguous_strides(shape), 0, dtype)

    # -- host transfers (the only places that wait) ---------------------------------------------------
    def write(self, host: np.ndarray, dtype: D.dtype) -> CLArray:
        host = np.ascontiguousarray(host, dtype=NP[dtype.name]).reshape(np.shape(host))  # keeps 0-d 0-d
        a = self.empty(host.shape, dtype)
        if host.size:
            cl.enqueue_copy(self.queue, a.buffer, host, is_blocking=True)
        return a

    def read(self, a: CLArray) -> np.ndarray:
        """The values of a contiguous array as a new NumPy array (waits for the device)."""
        out = np.empty(a.shape, dtype=NP[a.dtype.name])
        if out.size:
            cl.enqueue_copy(self.queue, out, a.buffer, src_offset=a.offset * a.itemsize, is_blocking=True)
        return out.astype(bool) if a.dtype.name == "bool" else out

    def finish(self) -> None:
        self.queue.finish()

    # -- kernels ------------------------------------------------------------------------------------
    def kernel(self, source: str, name: str) -> cl.Kernel:
        """A new kernel object for ``name`` of ``source`` (OpenCL C), compiled once per source text.

        Each call gives a kernel object of its own (callers cache it), so that a thread declaring
        its argument types never touches a kernel another thread is launching."""
        prog = self._programs.get(source)
        if prog is None:
            with self._build_lock:
                prog = self._programs.get(source)
                if prog is None:
                    prog = cl.Program(self.context, self.preamble() + source).build(options=["-cl-std=CL1.2"])
                    self._programs[source] = prog
        return cl.Kernel(prog, name)

    def preamble(self) -> str:
        lines = []
        if self.fp64:
            lines.append("#pragma OPENCL EXTENSION cl_khr_fp64 : enable")
        if self.fp16:
            lines.append("#pragma OPENCL EXTENSION cl_khr_fp16 : enable")
        return "\n".join(lines) + "\n"

    def enqueue(self, kernel: cl.Kernel, global_size: tuple, local_size, args) -> None:
        """Set ``args`` on ``kernel`` and enqueue it (no wait), as one step: the kernel object keeps
        its arguments, so another thread setting them in between would launch ours with its own."""
        with self.lock:
            kernel.set_args(*args)
            cl.enqueue_nd_range_kernel(self.queue, kernel, global_size, local_size)

    def launch(self, kernel: cl.Kernel, global_size: Sequence[int], local_size, *args) -> None:
        """Enqueue ``kernel`` (no wait). Scalars must be NumPy scalars of the C type: their types are
        declared to pyopencl once per kernel, after which setting arguments is cheap (~1 µs in all,
        against ~10 µs per NumPy scalar through ``set_arg``)."""
        with self.lock:
            if kernel not in self._typed:
                kernel.set_scalar_arg_dtypes([a.dtype if isinstance(a, np.generic) else None for a in args])
                self._typed.add(kernel)
            kernel.set_args(*args)
            cl.enqueue_nd_range_kernel(self.queue, kernel, tuple(global_size), local_size)


_UNITS = {"": 1, "k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10, "m": 1 << 20, "mb": 1 << 20, "mib": 1 << 20,
          "g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30}
CACHE_LIMIT_ENV = "PLUGTENSOR_OPENCL_CACHE_LIMIT"
DEFAULT_CACHE_LIMIT = 256 << 20


def parse_bytes(text: str) -> int:
    """``"268435456"``, ``"256M"``, ``"1.5GiB"`` -> bytes (binary units); RuntimeError otherwise (as
    PyTorch's allocator reports a bad ``PYTORCH_CUDA_ALLOC_CONF``)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d*)?)\s*([a-zA-Z]*)\s*", text)
    if m is None or m.group(2).lower() not in _UNITS:
        raise RuntimeError(f"{CACHE_LIMIT_ENV}={text!r}: expected a number of bytes, optionally with a unit "
                         f"K, M or G (binary: 256M = 256 * 2**20 bytes)")
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


def cache_limit_from_env(device: cl.Device) -> int:
    """The pool's limit: ``$PLUGTENSOR_OPENCL_CACHE_LIMIT`` if set, else 256 MiB or an eighth of
    the device's memory, whichever is less."""
    text = os.environ.get(CACHE_LIMIT_ENV)
    if text is not None and text.strip():
        return parse_bytes(text)
    return min(DEFAULT_CACHE_LIMIT, int(device.global_mem_size) // 8)


# -- code-generation helpers shared by the kernel modules --------------------------------------------
# Kernels index strided inputs as: element = off + i0*st0 + ... + i{r-1}*st{r-1}, with the
# multi-index (i0..i{r-1}) unravelled from a flat id over the output shape (sh0..sh{r-1}).
# Shapes, strides and offsets are passed as `long` kernel arguments, so one compiled kernel serves
# every shape of a given rank.

def shape_params(rank: int, prefix: str = "sh") -> str:
    """``long sh0, long sh1, ...`` (with a trailing comma when rank > 0)."""
    return "".join(f"long {prefix}{k}, " for k in range(rank))


def strided_params(name: str, rank: int) -> str:
    """``long {name}_off, long {name}_st0, ...`` (with a trailing comma)."""
    return f"long {name}_off, " + "".join(f"long {name}_st{k}, " for k in range(rank))


def unravel(rank: int, flat: str = "gid", prefix: str = "sh", idx: str = "i") -> str:
    """C statements declaring ``long i0..i{rank-1}``: the multi-index of ``flat`` in shape sh0..."""
    if rank == 0:
        return ""
    lines = [f"long _r = {flat};"]
    for k in range(rank - 1, 0, -1):
        lines.append(f"long {idx}{k} = _r % {prefix}{k}; _r /= {prefix}{k};")
    lines.append(f"long {idx}0 = _r;")
    return "\n    ".join(lines)


def strided_offset(name: str, rank: int, idx: str = "i") -> str:
    """The C expression of the element offset of ``name`` at the multi-index i0..."""
    return f"{name}_off" + "".join(f" + {idx}{k}*{name}_st{k}" for k in range(rank))


def strided_args(a: CLArray, shape: Sequence[int] | None = None) -> list:
    """Kernel arguments for ``strided_params``: offset and strides of ``a`` broadcast to ``shape``
    (size-1 and missing leading dims get stride 0)."""
    shape = a.shape if shape is None else tuple(shape)
    lead = len(shape) - len(a.shape)
    st = [0] * lead + [0 if (s == 1 and n != 1) else t for s, t, n in zip(a.shape, a.strides, shape[lead:])]
    return [np.int64(a.offset)] + [np.int64(x) for x in st]


def shape_args(shape: Sequence[int]) -> list:
    return [np.int64(s) for s in shape]


def scalar_arg(value, dtype) -> np.generic:
    """A Python number as the NumPy scalar of ``dtype``'s C type (bool -> uchar 0/1)."""
    return NP[dtype.name].type(value)


def global_size(n: int, group: int = 64) -> int:
    """``n`` rounded up to a multiple of ``group`` (kernels guard with ``if (gid >= n) return;``)."""
    return max(group, -(-n // group) * group)
