"""A plugin whose kernel-registration hook raises."""
from plugtensor.backend import hookimpl


@hookimpl
def plugtensor_register_kernels(device_type, backend):
    raise ValueError(f"broken_hook_plugin cannot build kernels for {device_type}")
