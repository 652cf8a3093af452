"""plugtensor: a PyTorch-style tensor and autograd library whose compute lives in plugins.

>>> import plugtensor as pt
>>> x = pt.ones(2, 2, requires_grad=True)
>>> y = (x + 2) * (x + 2) * 3
>>> y.mean().backward()
>>> x.grad
tensor([[4.5000, 4.5000],
        [4.5000, 4.5000]])
"""
from __future__ import annotations

__version__ = "0.1.0"

from . import _dtype
from ._device import Size, device
from ._dtype import (bool, can_cast, double, dtype, finfo, float, float16, float32, float64, get_default_dtype, half,
                     iinfo, int, int8, int16, int32, int64, long, promote_types, result_type, set_default_dtype, short,
                     uint8)
from ._plugins import devices, load_failures, register_plugin
from ._printing import get_printoptions, set_printoptions
from ._tensor import Tensor
from . import _ops
from ._ops import PUBLIC as _PUBLIC
from ._ops.creation import Generator, default_generator
from . import autograd
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .hookspecs import hookimpl
from . import cuda, nn, opencl, optim
from ._extras import allclose, equal, is_floating_point, is_tensor, isclose, numel, return_types

globals().update(_PUBLIC)

__all__ = sorted({
    "Tensor", "Size", "device", "dtype", "bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32",
    "float64", "half", "float", "double", "short", "int", "long", "finfo", "iinfo", "promote_types", "result_type",
    "can_cast", "get_default_dtype", "set_default_dtype", "devices", "load_failures", "register_plugin",
    "set_printoptions", "get_printoptions", "autograd", "no_grad", "enable_grad", "set_grad_enabled",
    "is_grad_enabled", "inference_mode", "hookimpl", "cuda", "nn", "optim", "allclose", "equal", "isclose",
    "is_tensor", "is_floating_point", "numel", "Generator", "default_generator", "return_types",
    *_PUBLIC,
})
