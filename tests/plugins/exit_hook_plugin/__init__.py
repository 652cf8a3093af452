"""A plugin whose kernel hook calls ``sys.exit()`` and whose dtype hook raises a bare BaseException."""
import sys

from plugtensor.backend import hookimpl


class PluginAbort(BaseException):
    """Not an Exception: ``except Exception`` does not catch it."""


@hookimpl
def plugtensor_register_dtypes(register):
    raise PluginAbort("exit_hook_plugin gives up registering dtypes")


@hookimpl
def plugtensor_register_kernels(device_type, backend):
    sys.exit(f"exit_hook_plugin cannot build kernels for {device_type}")
