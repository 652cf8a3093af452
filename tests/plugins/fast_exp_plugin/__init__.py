"""A plugin that replaces the ``cpu`` backend's ``exp`` kernel and counts how often it runs."""
import numpy as np

from plugtensor.backend import hookimpl

calls = []


def exp(x, out=None):
    calls.append(x.shape)
    return np.exp(x, out=out)


@hookimpl
def plugtensor_register_kernels(device_type, backend):
    return {"exp": exp} if device_type == "cpu" else None
