"""Device strings (``"cpu"``, ``"opencl:0"``) and ``plugtensor.Size``."""
from __future__ import annotations

import re

__all__ = ["device", "Size"]

_DEVICE_RE = re.compile(r"^([a-z_]+)(?::(0|[1-9][0-9]*))?$")


class device:
    """Where a tensor lives: a device type served by one backend, and an optional index.

    >>> import plugtensor as pt
    >>> pt.device("opencl:1")
    device(type='opencl', index=1)
    """

    __slots__ = ("type", "index", "_str")

    def __init__(self, type, index: int | None = None):  # noqa: A002 - PyTorch's argument name
        if isinstance(type, device):
            if index is not None:
                raise RuntimeError("device(): an index cannot be given together with a device object")
            t, i = type.type, type.index
        elif isinstance(type, int) and not isinstance(type, bool) and index is None:
            # torch.device(0) means the first accelerator; plugtensor has no default accelerator.
            raise RuntimeError(f"Invalid device string: '{type}' (write a device type, e.g. 'cpu' or 'opencl:{type}')")
        elif isinstance(type, str):
            m = _DEVICE_RE.match(type)
            if m is None:
                raise RuntimeError(
                    f"Invalid device string: '{type}' (expected TYPE or TYPE:INDEX, e.g. 'cpu', 'opencl:0')")
            t, i = m.group(1), m.group(2)
            i = None if i is None else int(i)
            if index is not None:
                if i is not None:
                    raise RuntimeError(f"type (string) must not include an index because index was passed "
                                       f"explicitly: {type}")
                if not isinstance(index, int) or isinstance(index, bool) or index < 0:
                    raise RuntimeError(f"Device index must not be negative, got {index}")
                i = index
        else:
            raise TypeError(f"device(): expected a string or device, got {type.__class__.__name__}")
        object.__setattr__(self, "type", t)
        object.__setattr__(self, "index", i)
        object.__setattr__(self, "_str", t if i is None else f"{t}:{i}")

    def __setattr__(self, key, value):
        raise AttributeError("plugtensor.device is immutable")

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self._str

    def __eq__(self, other) -> bool:
        if isinstance(other, device):
            return self.type == other.type and self.index == other.index
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self._str,))


class Size(tuple):
    """The shape of a tensor: a tuple of ints that prints as ``plugtensor.Size([2, 3])``.

    >>> import plugtensor as pt
    >>> pt.Size([2, 3]) + (4,)
    plugtensor.Size([2, 3, 4])
    """

    __slots__ = ()

    # No __new__: a Python-level constructor would triple the cost of every ``Tensor.shape``, so
    # unlike torch.Size the items are not checked to be ints.

    def __repr__(self) -> str:
        return f"plugtensor.Size({list(self)})"

    __str__ = __repr__

    def numel(self) -> int:
        """The number of elements of a tensor of this shape (1 for ``Size([])``)."""
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, item):
        r = tuple.__getitem__(self, item)
        return Size(r) if isinstance(item, slice) else r

    def __add__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple.__add__(self, other))

    def __radd__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple.__add__(other, self))

    def __mul__(self, n):
        r = tuple.__mul__(self, n)
        return r if r is NotImplemented else Size(r)

    __rmul__ = __mul__

    def __reduce__(self):
        return (Size, (tuple(self),))

