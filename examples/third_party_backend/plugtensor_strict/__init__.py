"""plugtensor-strict: the ``strict`` device of plugtensor, computed by array-api-strict."""
from plugtensor.backend import ArrayAPIBackend, BackendSpec, hookimpl


class StrictBackend(ArrayAPIBackend):
    name = device_type = "strict"
    version = "0.1.0"
    xp = "array_api_strict"  # imported on first use of the device


@hookimpl
def plugtensor_register_backends():
    return [BackendSpec("strict", StrictBackend, name="strict")]
