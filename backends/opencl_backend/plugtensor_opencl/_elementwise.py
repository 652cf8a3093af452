"""Kernels of plugtensor-opencl (being written)."""
from __future__ import annotations


def kernels() -> dict:
    return {}
