"""The functions of a device type's module (``plugtensor.opencl``; ``plugtensor.cuda`` can take the
same): ``device_count``, ``is_available``, and ``memory_allocated``, ``memory_reserved``,
``empty_cache`` with ``torch.cuda``'s meanings plus the cache limit, answered by the backend serving
the device type (``Backend.memory_allocated`` etc.).

Nothing here imports a backend: the device is resolved through the plugin manager when a function
is called, so importing a device module costs nothing.
"""
from __future__ import annotations

from typing import Any, Callable

__all__ = ["device_module_functions"]


def device_module_functions(device_type: str) -> dict[str, Callable]:
    """The functions of ``plugtensor.<device_type>``, by name, for its ``globals().update``."""

    def device_count() -> int:
        """Number of devices of this type (0 when no installed backend serves it or finds any)."""
        from ._plugins import _backend_specs, get_backend
        if device_type not in _backend_specs():
            return 0
        try:
            return get_backend(device_type).device_count()
        except RuntimeError:
            return 0

    def is_available() -> bool:
        """Whether a backend serving this device type is installed and has a device."""
        return device_count() > 0

    def _resolve(device: Any, fname: str):
        from ._device import device as _device_cls
        from ._plugins import get_context
        if device is None:
            d = _device_cls(device_type)
        elif isinstance(device, int) and not isinstance(device, bool):
            d = _device_cls(device_type, device)
        elif isinstance(device, (str, _device_cls)):
            d = _device_cls(device)
        else:
            raise TypeError(f"{device_type}.{fname}(): device must be None, an int, a string or a device, "
                            f"got {type(device).__name__}")
        if d.type != device_type:
            raise ValueError(f"{device_type}.{fname}(): expected a device of type '{device_type}', but got: {d}")
        ctx = get_context(d)
        return ctx.backend, ctx.index

    def memory_allocated(device=None) -> int:
        """Bytes of device memory held by live tensors (their storages, each counted once however
        many views share it, in the allocator's size classes)."""
        backend, index = _resolve(device, "memory_allocated")
        return int(backend.memory_allocated(index))

    def memory_reserved(device=None) -> int:
        """Bytes the allocator holds: ``memory_allocated`` plus freed memory it keeps for reuse."""
        backend, index = _resolve(device, "memory_reserved")
        return int(backend.memory_reserved(index))

    def empty_cache(device=None) -> None:
        """Give the memory the allocator keeps for reuse back to the device (tensors keep theirs).
        Without ``device``, every device of the type that is in use."""
        if device is None:
            from ._plugins import get_backend
            backend = get_backend(device_type)
            for index in range(backend.device_count()):
                backend.empty_cache(index)
            return
        backend, index = _resolve(device, "empty_cache")
        backend.empty_cache(index)

    def cache_limit(device=None) -> int:
        """The most bytes of freed memory the allocator keeps for reuse."""
        backend, index = _resolve(device, "cache_limit")
        return int(backend.cache_limit(index))

    def set_cache_limit(nbytes: int, device=None) -> None:
        """Keep at most ``nbytes`` of freed memory for reuse (0: give every buffer back at once);
        memory kept beyond the new limit is given back now."""
        if isinstance(nbytes, bool) or not isinstance(nbytes, int):
            raise TypeError(f"{device_type}.set_cache_limit(): nbytes must be an int, got {type(nbytes).__name__}")
        if nbytes < 0:
            raise ValueError(f"{device_type}.set_cache_limit(): nbytes must not be negative, got {nbytes}")
        backend, index = _resolve(device, "set_cache_limit")
        backend.set_cache_limit(index, nbytes)

    funcs = {f.__name__: f for f in (device_count, is_available, memory_allocated, memory_reserved, empty_cache,
                                     cache_limit, set_cache_limit)}
    for f in funcs.values():
        f.__module__ = f"plugtensor.{device_type}"
        f.__qualname__ = f.__name__
    return funcs
