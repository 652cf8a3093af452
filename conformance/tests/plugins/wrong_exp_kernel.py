"""A kernel plugin that breaks ``exp`` on cpu (off by 1%): the conformance suite must catch it."""
from __future__ import annotations

import numpy as np

from plugtensor.backend import hookimpl


@hookimpl
def plugtensor_register_kernels(device_type, backend):
    if device_type != "cpu":
        return None
    return {"exp": lambda x, out=None: np.multiply(np.exp(x), 1.01, out=out)}
