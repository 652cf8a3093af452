"""plugtensor-numpy: the ``cpu`` device of plugtensor, computed by NumPy.

Registered through the ``plugtensor.backends`` entry point; the backend itself is the shared
:class:`~plugtensor.backend.ArrayModuleBackend` over ``numpy``.
"""
from __future__ import annotations

import warnings

import numpy as np

from plugtensor.backend import ArrayModuleBackend, BackendSpec, hookimpl

__all__ = ["NumpyBackend"]
__version__ = "0.1.0"


class NumpyBackend(ArrayModuleBackend):
    """The ``cpu`` device: arrays are ``numpy.ndarray``; ``Tensor.numpy()`` shares their memory."""

    name = "numpy"
    device_type = "cpu"
    version = __version__
    host_memory = True
    xp = np

    def __init__(self) -> None:
        super().__init__()
        # PyTorch computes inf/nan silently; NumPy warns. Silence only warnings raised by
        # plugtensor's own frames, leaving the user's NumPy settings untouched.
        warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"plugtensor(_numpy)?(\.|$)")

    def device_name(self, index: int) -> str:
        return f"NumPy {np.__version__} (host CPU)"

    def device_properties(self, index: int) -> dict:
        return {"numpy": np.__version__}

    def from_host(self, host, dtype, index, share=False):
        return host if share else np.array(host, copy=True)


@hookimpl
def plugtensor_register_backends():
    return [BackendSpec("cpu", NumpyBackend, name="numpy")]
