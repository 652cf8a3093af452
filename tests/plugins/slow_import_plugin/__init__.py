"""A plugin whose import takes about 1.3 s (a heavy import at module level)."""
import time

from plugtensor.backend import hookimpl

time.sleep(1.3)


@hookimpl
def plugtensor_register_kernels(device_type, backend):
    return None
