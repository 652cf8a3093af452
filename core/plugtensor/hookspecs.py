"""pluggy hook specifications of plugtensor (entry-point group ``plugtensor.backends``).

A plugin module (or object) implements any of these with the ``plugtensor.hookimpl`` marker.
Hooks run at load time only; per-op dispatch never calls a hook.
"""
from __future__ import annotations

import pluggy

__all__ = ["hookspec", "hookimpl", "BackendSpec", "SlowPluginImportWarning", "plugtensor_register_dtypes",
           "plugtensor_register_backends", "plugtensor_register_kernels"]

hookspec = pluggy.HookspecMarker("plugtensor")
hookimpl = pluggy.HookimplMarker("plugtensor")


class SlowPluginImportWarning(UserWarning):
    """A plugin's entry point took more than a second to import (issued once per plugin and process).

    Keep heavy imports in ``BackendSpec.load``: the import of every installed plugin is paid by every
    program that uses plugtensor, on first use."""


class BackendSpec:
    """What a plugin offers for one device type; ``load()`` builds the Backend on first use.

    Keep heavy imports (pyopencl, cupy) inside ``load`` so ``import plugtensor`` stays cheap.
    """

    __slots__ = ("device_type", "load", "name", "distribution", "plugin")

    def __init__(self, device_type: str, load, name: str | None = None, distribution: str | None = None) -> None:
        self.device_type, self.load, self.name, self.distribution = device_type, load, name, distribution
        self.plugin: str | None = None  # the registering plugin's name, filled in by the plugin manager

    def __repr__(self) -> str:
        return f"BackendSpec({self.device_type!r}, name={self.name!r})"


@hookspec
def plugtensor_register_dtypes(register) -> None:
    """Register extra dtypes: call ``register(name, itemsize, kind, is_signed)`` for each."""


@hookspec
def plugtensor_register_backends() -> list[BackendSpec]:
    """Return BackendSpecs for the device types this plugin serves. For one device type the
    specs are tried in hook call order and the first whose ``load()`` succeeds serves it (use
    ``tryfirst=True`` to replace an installed backend; if yours fails to load, the next one serves)."""


@hookspec
def plugtensor_register_kernels(device_type: str, backend) -> dict | None:
    """Return {kernel name: callable} to add to or replace in ``device_type``'s kernel table.
    Called once when that device type's backend is loaded."""
