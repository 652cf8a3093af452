"""A plugin that replaces the ``cpu`` backend (``tryfirst=True``) with one that fails to load."""
from plugtensor.backend import BackendSpec, hookimpl


def _load_fast_cpu():
    raise ImportError("bad_cpu_plugin needs libfastcpu.so, which is not installed")


@hookimpl(tryfirst=True)
def plugtensor_register_backends():
    return [BackendSpec("cpu", _load_fast_cpu, name="fastcpu")]
