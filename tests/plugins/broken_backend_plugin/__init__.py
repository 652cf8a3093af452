"""A plugin whose backends fail when their device is first used (import succeeds)."""
from plugtensor.backend import API_VERSION, ArrayModuleBackend, BackendSpec, hookimpl


def _load_broken():
    # Heavy imports belong in load(); here that import fails, as a missing driver would.
    raise OSError("cannot open shared object file libbrokendriver.so")


class FutureBackend(ArrayModuleBackend):
    name = "future"
    device_type = "future"
    api_version = API_VERSION + 98


@hookimpl
def plugtensor_register_backends():
    return [BackendSpec("broken", _load_broken, name="brokenbackend"), BackendSpec("future", FutureBackend)]
