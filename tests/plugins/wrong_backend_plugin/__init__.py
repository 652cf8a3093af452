"""A backend (device type ``wrongdev``) whose own kernels return results of the wrong dtype or shape.

``neg`` computes in float64 whatever the input dtype (values stay right, so only a dtype check sees
it), ``sum`` ignores ``keepdim``, and the raw fast ``mul`` flattens its result."""
import numpy as np

from plugtensor.backend import ArrayModuleBackend, BackendSpec, hookimpl


class WrongBackend(ArrayModuleBackend):
    name = "wrong"
    device_type = "wrongdev"
    version = "0.1"
    host_memory = True
    xp = np

    def kernels(self):
        k = super().kernels()

        def neg(a, out=None):
            return np.negative(a.astype(np.float64)) if out is None else np.negative(a, out=out)

        def sum_(a, axes, keepdim, dtype=None):
            return np.asarray(np.sum(a, axis=axes, dtype=None if dtype is None else self.xp_dtype(dtype)))

        k.update(neg=neg, sum=sum_)
        return k

    def fast_kernels(self):
        fast = super().fast_kernels()

        def mul(a, b, out=None):
            return np.multiply(a, b).reshape(-1) if out is None else np.multiply(a, b, out=out)

        fast["mul"] = mul
        return fast


@hookimpl
def plugtensor_register_backends():
    return [BackendSpec("wrongdev", WrongBackend)]
