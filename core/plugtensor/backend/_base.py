"""The backend contract: one base class that declares a device type's capabilities and primitives.

A backend sees arrays (its own type), never Tensors. Required primitives raise
``NotImplementedError(name)``; optional ones have working defaults written from the required ones,
so a new backend starts small and overrides defaults only where it wants speed.
"""
from __future__ import annotations

import sys
from typing import Any, Callable, Sequence

from .. import _dtype as D

__all__ = ["Backend", "API_VERSION", "KERNEL_NAMES", "UNARY_KERNELS", "BINARY_KERNELS", "REDUCTION_KERNELS",
           "REFCOUNTS_EXACT"]

#: Bumped whenever a required primitive is added or a signature changes.
API_VERSION = 1

#: Whether ``sys.getrefcount`` sees every reference that ownership checks rely on: CPython up to
#: 3.13. Later interpreters may keep borrowed references on their evaluation stack, which the count
#: would miss, so reference-counting ``sole_owner`` overrides answer False there (the safe answer:
#: copy, never reuse).
REFCOUNTS_EXACT = sys.implementation.name == "cpython" and sys.version_info < (3, 14)

# Elementwise kernels a backend provides in its kernel table (``kernels()``). Each takes backend
# arrays (or Python scalars for binary ops) of one dtype, computes in that dtype, and accepts
# ``out=`` for in-place results. Comparison/logical kernels return bool arrays.
UNARY_KERNELS = (
    "neg", "abs", "exp", "expm1", "log", "log1p", "log2", "log10", "sqrt", "sin", "cos", "tan",
    "asin", "acos", "atan", "sinh", "cosh", "tanh", "sign", "floor", "ceil", "round", "trunc",
    "reciprocal", "square", "logical_not", "bitwise_not", "isnan", "isinf", "isfinite", "erf",
)
BINARY_KERNELS = (
    "add", "sub", "mul", "div", "floor_divide", "remainder", "fmod", "pow", "maximum", "minimum",
    "atan2", "eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor",
    "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift", "bitwise_right_shift",
)
# Reductions take (array, axes: tuple[int, ...] or None for all axes, keepdim: bool[, dtype]);
# argmax/argmin take a single axis.
REDUCTION_KERNELS = ("sum", "prod", "amax", "amin", "any", "all")
OTHER_KERNELS = (
    "where", "matmul", "argmax", "argmin", "cumsum", "cumprod", "astype", "copy_", "concatenate",
    "take_along_axis", "scatter_add", "index", "index_put", "nonzero", "flip", "sort", "contiguous", "clone",
)
KERNEL_NAMES = UNARY_KERNELS + BINARY_KERNELS + REDUCTION_KERNELS + OTHER_KERNELS


class Backend:
    """Base class of every backend. Subclass it, set the class attributes, implement the primitives.

    Class attributes:
      ``name``          short plugin name shown by ``plugtensor.devices()``
      ``device_type``   the device string type it serves (``"cpu"``, ``"opencl"``)
      ``version``       the backend package version
      ``api_version``   the :data:`API_VERSION` it was written against
      ``host_memory``   True when arrays live in host memory that ``to_host`` can return without a copy
    """

    name: str = "?"
    device_type: str = "?"
    version: str = "0"
    api_version: int = API_VERSION
    host_memory: bool = False

    # -- devices --------------------------------------------------------------------------------
    def device_count(self) -> int:
        raise NotImplementedError("device_count")

    def device_name(self, index: int) -> str:
        return f"{self.device_type}:{index}"

    def device_dtypes(self, index: int) -> tuple[D.dtype, ...]:
        """The dtypes this device supports; asking for any other is a TypeError."""
        raise NotImplementedError("device_dtypes")

    def dtype_note(self, dtype: D.dtype, index: int) -> str:
        """Why ``dtype`` is missing on this device (shown in the TypeError), e.g. a missing extension."""
        return ""

    def device_properties(self, index: int) -> dict[str, Any]:
        """Extra facts shown by ``plugtensor.devices()`` (memory, platform, ...)."""
        return {}

    def synchronize(self, index: int) -> None:
        """Wait for all queued work on the device."""

    # -- memory: what a caching allocator holds (``plugtensor.opencl.memory_allocated`` etc.) -----
    # The defaults describe a backend without a cache, whose arrays the host allocator owns.
    def memory_allocated(self, index: int) -> int:
        """Bytes of device memory held by live arrays (0 where the backend does not track them)."""
        return 0

    def memory_reserved(self, index: int) -> int:
        """Bytes held by the backend's allocator: ``memory_allocated`` plus freed memory it keeps."""
        return self.memory_allocated(index)

    def empty_cache(self, index: int) -> None:
        """Give memory that the allocator keeps but no array uses back to the device."""

    def cache_limit(self, index: int) -> int:
        """Most bytes of freed memory the allocator keeps for reuse."""
        return 0

    def set_cache_limit(self, index: int, nbytes: int) -> None:
        raise NotImplementedError(f"backend '{self.name}' keeps no cache of device memory")

    def max_alloc_bytes(self, index: int) -> int:
        """The most bytes one array of this device can ever take. The core refuses a tensor that
        needs more at once (PyTorch's RuntimeError), before anything is allocated or generated.
        The default is the host's physical memory plus swap (what the OS could ever give one
        allocation); a device that holds more or less overrides it (OpenCL: max_mem_alloc_size)."""
        return host_memory_bytes()

    # -- arrays: metadata, allocation, host transfer ---------------------------------------------
    def shape(self, a) -> tuple[int, ...]:
        return tuple(a.shape)

    def strides(self, a) -> tuple[int, ...]:
        """Strides in elements (not bytes)."""
        raise NotImplementedError("strides")

    def storage_offset(self, a) -> int:
        """Offset of the first element from the start of the array's storage, in elements."""
        raise NotImplementedError("storage_offset")

    def dtype(self, a) -> D.dtype:
        raise NotImplementedError("dtype")

    def empty(self, shape: tuple[int, ...], dtype: D.dtype, index: int):
        raise NotImplementedError("empty")

    def full(self, shape: tuple[int, ...], value, dtype: D.dtype, index: int):
        raise NotImplementedError("full")

    def from_host(self, host, dtype: D.dtype, index: int, share: bool = False):
        """A device array holding the NumPy array ``host`` (already of ``dtype``).

        ``share=True`` asks for memory sharing (``from_numpy``); backends that cannot share copy."""
        raise NotImplementedError("from_host")

    def to_host(self, a):
        """A NumPy array with the values of ``a`` (may share memory when ``host_memory``)."""
        raise NotImplementedError("to_host")

    def device_index(self, a) -> int:
        return 0

    def arange(self, start, step, n: int, dtype: D.dtype, index: int):
        raise NotImplementedError("arange")

    def random_bits(self, seed: int, offset: int, n: int, index: int):
        """Words ``offset .. offset+n-1`` of the Philox4x32-10 stream of ``seed`` (uint32 array).

        See :mod:`plugtensor.backend._philox` for the definition every backend must match."""
        raise NotImplementedError("random_bits")

    def random(self, kind: str, shape, dtype: D.dtype, seed: int, offset: int, index: int, **params):
        """Random values of ``kind`` ('uniform', 'normal', 'randint') from the Philox stream."""
        raise NotImplementedError("random")

    # -- views --------------------------------------------------------------------------------------
    def as_strided(self, a, shape: Sequence[int], strides: Sequence[int], storage_offset: int):
        """A view of ``a``'s storage with the given shape, element strides and storage offset."""
        raise NotImplementedError("as_strided")

    def reshape_view(self, a, shape: tuple[int, ...]):
        """A view of ``a`` with ``shape``, or None when the strides do not allow one."""
        strides = _view_strides(self.shape(a), self.strides(a), shape)
        if strides is None:
            return None
        return self.as_strided(a, shape, strides, self.storage_offset(a))

    def permute(self, a, axes: Sequence[int]):
        sh, st = self.shape(a), self.strides(a)
        return self.as_strided(a, [sh[i] for i in axes], [st[i] for i in axes], self.storage_offset(a))

    def expand(self, a, shape: tuple[int, ...]):
        sh, st = self.shape(a), self.strides(a)
        lead = len(shape) - len(sh)
        new_st = [0] * lead + [0 if (s == 1 and n != 1) else t for s, t, n in zip(sh, st, shape[lead:])]
        return self.as_strided(a, shape, new_st, self.storage_offset(a))

    def basic_index(self, a, key: tuple):
        """View for a key of ints, slices (already bounded: start, stop, step >= 1), None and no Ellipsis."""
        sh, st = self.shape(a), self.strides(a)
        off = self.storage_offset(a)
        shape, strides, dim = [], [], 0
        for k in key:
            if k is None:
                shape.append(1)
                strides.append(sh[dim] * st[dim] if dim < len(sh) else 1)  # PyTorch's unsqueeze stride
            elif isinstance(k, int):
                off += k * st[dim]
                dim += 1
            else:
                start, stop, step = k.indices(sh[dim])
                n = max(0, (stop - start + step - 1) // step)
                off += start * st[dim]  # also when empty: PyTorch keeps the offset of ``start``
                shape.append(n)
                strides.append(st[dim] * step)
                dim += 1
        shape += sh[dim:]
        strides += st[dim:]
        return self.as_strided(a, shape, strides, off)

    # -- compute: the kernel table --------------------------------------------------------------------
    #: The class of this backend's arrays, when the fast kernels below may return something else.
    array_type: type | None = None

    def fast_kernels(self) -> dict[str, Callable]:
        """Optional raw versions of elementwise kernels for the hottest paths. They may return a
        non-array scalar for 0-d inputs; the core then calls :meth:`as_array` on the result.

        ``"mm"`` may also be given: ``matmul`` of two 2-D arrays only (NumPy's ``ndarray.dot``).
        A fast kernel is used only while no plugin has replaced the table kernel it stands for."""
        return {}

    def as_array(self, r):
        return r

    def sole_owner(self, a) -> bool:
        """True when nothing but the caller's reference holds ``a`` or its memory (no other array,
        view or tensor), so the core may keep ``a`` where it would otherwise copy it: a leaf's first
        ``.grad`` takes the gradient array the backward pass produced. The default never claims it;
        an override that counts references must answer False unless :data:`REFCOUNTS_EXACT`."""
        return False

    def kernels(self) -> dict[str, Callable]:
        """name -> callable for every kernel in :data:`KERNEL_NAMES` this backend provides.

        Core composites (softmax, var, ...) may also be overridden here by name."""
        raise NotImplementedError("kernels")


_HOST_MEMORY: list[int] = []


def host_memory_bytes() -> int:
    """Physical memory plus swap of this machine in bytes (2**63 - 1 where the OS does not say)."""
    if not _HOST_MEMORY:
        import os
        try:
            total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (AttributeError, ValueError, OSError):
            total = (1 << 63) - 1
        try:
            with open("/proc/meminfo") as f:
                swap = next((int(line.split()[1]) * 1024 for line in f if line.startswith("SwapTotal:")), 0)
        except OSError:
            swap = 0
        _HOST_MEMORY.append(min(total + swap, (1 << 63) - 1))
    return _HOST_MEMORY[0]


def _view_strides(old_shape, old_strides, new_shape) -> list[int] | None:
    """Strides for viewing (old_shape, old_strides) as new_shape without a copy, or None.

    Works chunk by chunk: a run of old dims that are contiguous with each other can be regrouped
    freely; a new dim may not span two such runs (PyTorch's computeStride)."""
    numel = 1
    for s in old_shape:
        numel *= s
    if numel == 0 and tuple(old_shape) == tuple(new_shape):
        return list(old_strides)  # PyTorch keeps the strides of an empty tensor viewed as its own shape
    if numel == 0 or not old_shape:
        # Any view of an empty or 0-dim tensor is fine; use contiguous strides.
        out, acc = [], 1
        for s in reversed(new_shape):
            out.append(acc)
            acc *= max(s, 1)
        return out[::-1]
    new_strides = [0] * len(new_shape)
    view_d = len(new_shape) - 1
    chunk_base_stride = old_strides[-1]
    tensor_numel = 1
    view_numel = 1
    for tensor_d in range(len(old_shape) - 1, -1, -1):
        tensor_numel *= old_shape[tensor_d]
        if tensor_d == 0 or (old_shape[tensor_d - 1] != 1 and
                             old_strides[tensor_d - 1] != tensor_numel * chunk_base_stride):
            while view_d >= 0 and (view_numel < tensor_numel or new_shape[view_d] == 1):
                new_strides[view_d] = view_numel * chunk_base_stride
                view_numel *= new_shape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if tensor_d > 0:
                chunk_base_stride = old_strides[tensor_d - 1]
                tensor_numel = 1
                view_numel = 1
    if view_d != -1:
        return None
    return new_strides
