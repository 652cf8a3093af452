"""``plugtensor.cuda``: whether a CUDA backend with a GPU is installed (the seed programs ask)."""
from __future__ import annotations

__all__ = ["is_available", "device_count"]


def device_count() -> int:
    """Number of CUDA devices served by an installed backend (0 when none is installed or usable)."""
    from ._plugins import _backend_specs, get_backend
    if "cuda" not in _backend_specs():
        return 0
    try:
        return get_backend("cuda").device_count()
    except RuntimeError:
        return 0


def is_available() -> bool:
    return device_count() > 0
