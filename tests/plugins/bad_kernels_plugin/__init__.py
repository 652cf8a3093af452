"""A kernel plugin for ``cpu`` whose kernels return the wrong shape or dtype (see KERNELS)."""
import numpy as np

from plugtensor.backend import hookimpl


def _exp(x, out=None):  # drops the last dim's elements but one: wrong shape
    return np.exp(x)[..., :1].copy()


def _add(a, b, out=None):  # computes in float64: wrong dtype for float32
    return np.add(np.asarray(a, dtype=np.float64), b)


def _amax(a, axes, keepdim):  # keepdim ignored: wrong shape
    return np.asarray(np.max(a, axis=axes))


def _matmul(a, b):  # the transposed product: wrong shape for non-square results
    return np.matmul(a, b).T.copy()


def _sort(a, axis, descending, stable):  # int32 indices instead of int64
    i = np.argsort(a, axis=axis, kind="stable")
    return np.take_along_axis(a, i, axis=axis), i.astype(np.int32)


def _astype(a, dtype):  # ignores the dtype asked for
    return a.copy()


def _nonzero(a):  # 1-D flat positions instead of one row of coordinates per element
    return np.flatnonzero(a).astype(np.int64)


KERNELS = {"exp": _exp, "add": _add, "amax": _amax, "matmul": _matmul, "sort": _sort, "astype": _astype,
           "nonzero": _nonzero}


@hookimpl
def plugtensor_register_kernels(device_type, backend):
    return dict(KERNELS) if device_type == "cpu" else None
