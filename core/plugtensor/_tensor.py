"""The Tensor: a backend array plus dtype, device context and autograd state.

Ops live in ``plugtensor._ops``; each module there defines functions and binds them as methods.
This file holds what every op needs: construction (``_make``), recording (``_record``), and the
Tensor's own attributes, conversions and autograd entry points.
"""
from __future__ import annotations

import warnings
import weakref

import numpy as np

from . import _dtype as D
from . import _printing
from ._device import Size, device
from ._plugins import get_context
from . import autograd as _autograd
from .autograd import _engine, grad_mode
from .autograd._node import AccumulateGrad, RemovableHandle, next_sequence_nr
from .backend._base import host_memory_bytes

_NO_EDGE = (None, 0)

__all__ = ["Tensor"]

_gm = grad_mode._state
_new = object.__new__

_LEGACY_NAMES = {
    D.float32: "FloatTensor", D.float64: "DoubleTensor", D.float16: "HalfTensor", D.uint8: "ByteTensor",
    D.int8: "CharTensor", D.int16: "ShortTensor", D.int32: "IntTensor", D.int64: "LongTensor",
    D.bool: "BoolTensor",
}


def _make(data, dtype: D.dtype, ctx) -> "Tensor":
    """Wrap a backend array as a fresh Tensor (no autograd history). The hot path of every op."""
    t = _new(Tensor)
    t._data = data
    t._dtype = dtype
    t._ctx = ctx
    t._rg = False
    t._grad_fn = None
    t._grad = None
    t._vc = [0]
    t._base = None
    t._out_nr = 0
    t._acc = None  # a leaf's gradient edge, (its AccumulateGrad node, 0), made when first used
    t._extra = None
    return t


def _view_of(base: "Tensor", data) -> "Tensor":
    """A Tensor aliasing ``base``'s storage: shares its version counter, remembers its base."""
    t = _new(Tensor)  # _make, inlined (views are the hot path of indexing)
    t._data = data
    t._dtype = base._dtype
    t._ctx = base._ctx
    t._rg = False
    t._grad_fn = None
    t._grad = None
    t._vc = base._vc
    t._base = base if base._base is None else base._base
    t._out_nr = 0
    t._acc = None
    t._extra = None
    return t


def _needs_grad(*tensors) -> bool:
    if not _gm.enabled:
        return False
    for t in tensors:
        if t.__class__ is Tensor and t._rg:
            return True
    return False


def _edge(t) -> tuple:
    """(edge, meta) of one op input: where its gradient goes, and the shape/dtype it must have.

    The edge is ``autograd._engine.gradient_edge(t)``, inlined here because this runs for every input
    of every recorded op; keep the two in step."""
    if t.__class__ is Tensor and t._rg:
        fn = t._grad_fn
        if fn is not None:
            return (fn, t._out_nr), (t._data.shape, t._dtype)
        acc = t._acc
        if acc is None:
            acc = t._acc = (AccumulateGrad(t), 0)
        return acc, (t._data.shape, t._dtype)
    return _NO_EDGE, None


def _record(cls, fn, inputs, out: "Tensor", saved=(), ctx=None) -> "Tensor":
    """Attach a node of class ``cls`` (backward ``fn``) to ``out`` with edges to ``inputs``."""
    n = len(inputs)
    if n == 1:  # unrolled for the common arities: this runs on every recorded op
        t = inputs[0]
        if t._rg:  # _edge, inlined: a single input is a Tensor that requires grad (else no record)
            fn0 = t._grad_fn
            if fn0 is not None:
                edges = ((fn0, t._out_nr),)
            else:
                acc = t._acc
                if acc is None:
                    acc = t._acc = (AccumulateGrad(t), 0)
                edges = (acc,)
            meta = ((t._data.shape, t._dtype),)
        else:
            edges, meta = (_NO_EDGE,), (None,)
    elif n == 2:
        e0, m0 = _edge(inputs[0])
        e1, m1 = _edge(inputs[1])
        edges, meta = (e0, e1), (m0, m1)
    else:
        pairs = [_edge(t) for t in inputs]
        edges, meta = tuple([p[0] for p in pairs]), tuple([p[1] for p in pairs])
    # Node.__init__, inlined (one Python frame less on every recorded op); keep the two in step.
    node = _new(cls)
    node.next_functions = edges
    node._fn = fn
    node._meta = meta
    node._saved = saved
    if saved:  # _versions is read only when something was saved
        k = len(saved)
        node._versions = (saved[0]._vc[0],) if k == 1 else \
            (saved[0]._vc[0], saved[1]._vc[0]) if k == 2 else tuple([t._vc[0] for t in saved])
    node.ctx = ctx
    node._seq = next_sequence_nr()
    out._grad_fn = node
    out._rg = True
    return out


def _record_multi(cls, fn, inputs, outs, saved=(), ctx=None) -> None:
    """Like :func:`_record` for an op with several differentiable outputs (split, unbind)."""
    _record(cls, fn, inputs, outs[0], saved, ctx)
    node = outs[0]._grad_fn
    node._nout = len(outs)
    for i, o in enumerate(outs):
        o._grad_fn, o._rg, o._out_nr = node, True, i


class Tensor:
    """A multi-dimensional array on a device, with PyTorch's API and autograd.

    ``Tensor(5, 3)`` makes an uninitialised float tensor of that shape; ``Tensor([1, 2])`` copies
    data into a float tensor (legacy constructor). Prefer :func:`plugtensor.tensor`.
    """

    __slots__ = ("_data", "_dtype", "_ctx", "_rg", "_grad_fn", "_grad", "_vc", "_base", "_out_nr", "_acc",
                 "_extra", "__weakref__")
    __array_priority__ = 1000  # numpy scalars on the left defer to our reflected operators

    def __new__(cls, *args, device=None, dtype=None):
        from ._ops.creation import _legacy_new
        return _legacy_new(dtype, args, device)

    # -- attributes -------------------------------------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None):
        """The shape as ``plugtensor.Size``, or the length of dimension ``dim``."""
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim, "size")]

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        n = 1
        for s in self._data.shape:
            n *= s
        return n

    nelement = numel

    @property
    def dtype(self) -> D.dtype:
        return self._dtype

    @property
    def device(self) -> device:
        return self._ctx.device

    @property
    def is_cuda(self) -> bool:
        return self._ctx.type == "cuda"

    @property
    def is_cpu(self) -> bool:
        return self._ctx.type == "cpu"

    @property
    def itemsize(self) -> int:
        return self._dtype.itemsize

    def element_size(self) -> int:
        return self._dtype.itemsize

    @property
    def nbytes(self) -> int:
        return self.numel() * self._dtype.itemsize

    def is_floating_point(self) -> bool:
        return self._dtype.is_floating_point

    def is_complex(self) -> bool:
        return False

    def is_signed(self) -> bool:
        return self._dtype.is_signed

    def stride(self, dim: int | None = None):
        st = self._ctx.backend.strides(self._data)
        if dim is None:
            return st
        return st[_wrap_dim(dim, self._data.ndim, "stride")]

    def storage_offset(self) -> int:
        return self._ctx.backend.storage_offset(self._data)

    def is_contiguous(self, memory_format=None) -> bool:
        if 0 in self._data.shape:
            return True  # as in PyTorch: an empty tensor is contiguous whatever its strides
        expected = 1
        for size, st in zip(reversed(self._data.shape), reversed(self.stride())):
            if size != 1 and st != expected:
                return False
            expected *= size
        return True

    def data_ptr(self) -> int:
        b = self._ctx.backend
        return b._pointer(self._data) if hasattr(b, "_pointer") else id(self._data)

    @property
    def _version(self) -> int:
        return self._vc[0]

    def type(self, dtype=None, non_blocking: bool = False):
        """Without an argument, the legacy type name (``'plugtensor.FloatTensor'``); with one, a cast."""
        if dtype is None:
            name = _LEGACY_NAMES.get(self._dtype, self._dtype.name)
            t = self._ctx.type
            return f"plugtensor.{name}" if t == "cpu" else f"plugtensor.{t}.{name}"
        if isinstance(dtype, str):
            from ._ops.creation import _legacy_type_from_name
            dtype = _legacy_type_from_name(dtype)
        elif isinstance(dtype, type) and hasattr(dtype, "_legacy_dtype"):
            dtype = dtype._legacy_dtype
        if not isinstance(dtype, D.dtype):
            raise TypeError(f"type(): dtype must be a type, str, or dtype object, not {type(dtype).__name__}")
        return self.to(dtype)

    # -- autograd attributes ------------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self._set_requires_grad(value, "only Tensors of floating point and complex dtype can require gradients")

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Set whether autograd records ops on this leaf tensor; returns self."""
        # PyTorch words the error differently for the method and the attribute; keep both.
        self._set_requires_grad(requires_grad, "only Tensors of floating point dtype can require gradients")
        return self

    def _set_requires_grad(self, requires_grad: bool, dtype_error: str) -> None:
        if self._grad_fn is not None:
            if not requires_grad:
                raise RuntimeError("you can only change requires_grad flags of leaf variables. If you want to use "
                                   "a computed variable in a subgraph that doesn't require differentiation use "
                                   "var_no_grad = var.detach().")
            return
        if requires_grad and not self._dtype.is_floating_point:
            raise RuntimeError(dtype_error)
        self._rg = bool(requires_grad)

    @property
    def grad_fn(self):
        return self._grad_fn

    @property
    def is_leaf(self) -> bool:
        return self._grad_fn is None

    @property
    def grad(self):
        # PyTorch warns only while a non-leaf's .grad is still unset (backward(inputs=...) can set it).
        if self._grad is None and self._grad_fn is not None and not self.retains_grad:
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute "
                "won't be populated during autograd.backward(). If you indeed want the .grad field to be populated "
                "for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf "
                "Tensor by mistake, make sure you access the leaf Tensor instead.", UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type "
                                f"{type(value).__name__}")
            if value._ctx is not self._ctx:
                raise RuntimeError(f"assigned grad has data located on {value.device}, but the tensor is on "
                                   f"{self.device}")
            if value._data.shape != self._data.shape:
                raise RuntimeError("assigned grad has data of a different size")
            if value._dtype is not self._dtype:
                raise RuntimeError("assigned grad has data of a different type")
        self._grad = value

    @property
    def retains_grad(self) -> bool:
        fn = self._grad_fn
        return fn is not None and bool(fn._retain) and self._out_nr in fn._retain

    def retain_grad(self) -> None:
        """Populate ``.grad`` of this non-leaf tensor during backward."""
        if not self._rg:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        fn = self._grad_fn
        if fn is None:
            return
        if fn._retain is None:
            fn._retain = {}
            fn._special = True
        fn._retain[self._out_nr] = weakref.ref(self)

    def register_hook(self, hook) -> RemovableHandle:
        """``hook(grad)`` runs when this tensor's gradient is computed; it may return a replacement."""
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        node, nr = _engine.gradient_edge(self)
        return node._add_tensor_hook(nr, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph: bool = False, inputs=None) -> None:
        """Compute the gradient of this tensor w.r.t. graph leaves, accumulating into their ``.grad``."""
        _autograd.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def detach(self) -> "Tensor":
        """A tensor sharing storage (and version counter) with this one, outside the graph."""
        t = _make(self._data, self._dtype, self._ctx)
        t._vc = self._vc
        t._base = self._base
        return t

    def detach_(self) -> "Tensor":
        if self._base is not None and self._base._rg:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self._grad_fn = None
        self._rg = False
        return self

    @property
    def data(self) -> "Tensor":
        t = _make(self._data, self._dtype, self._ctx)
        t._base = self._base
        return t

    @data.setter
    def data(self, value: "Tensor") -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, got {type(value).__name__}")
        self._data, self._dtype, self._ctx = value._data, value._dtype, value._ctx

    @property
    def output_nr(self) -> int:
        return self._out_nr

    # -- conversions ------------------------------------------------------------------------------
    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The values as a NumPy array; on ``cpu`` it shares memory with the tensor."""
        if self._rg and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                               "instead.")
        b = self._ctx.backend
        if not b.host_memory and not force:
            raise TypeError(f"can't convert {self.device} device type tensor to numpy. Use Tensor.cpu() to copy "
                            f"the tensor to host memory first.")
        return b.to_host(self._data)

    def _host(self) -> np.ndarray:
        b = self._ctx.backend
        if not b.host_memory:  # (item() on cpu pays for no call)
            self._check_host_copy("tolist")
        return b.to_host(self._data)

    def _check_host_copy(self, op: str) -> None:
        """PyTorch's out-of-memory RuntimeError, before reading a device tensor (whose memory is not the
        host's: callers check ``backend.host_memory``) back, when its host copy
        could never fit (a huge expanded view), instead of the device library's own exception."""
        nbytes = self.numel() * self._dtype.itemsize
        if nbytes > host_memory_bytes():
            raise RuntimeError(f"{op}: not enough memory: you tried to allocate {nbytes} bytes in host memory "
                               f"(sizes={list(self._data.shape)}, dtype {self._dtype.name}) to copy a tensor from "
                               f"{self._ctx.device}, more than this machine has ({host_memory_bytes()} bytes)")

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.numel() != 1:
            raise RuntimeError(f"a Tensor with {self.numel()} elements cannot be converted to Scalar")
        return self._host().reshape(()).item()

    def tolist(self):
        return self._host().tolist()

    def __array__(self, dtype=None, copy=None):
        a = self.detach()._host()
        if dtype is not None:
            a = a.astype(dtype, copy=False)
        return a.copy() if copy else a

    def __float__(self) -> float:
        if self.numel() != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return float(self.item())

    def __int__(self) -> int:
        if self.numel() != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return int(self.item())

    def __index__(self) -> int:
        if self._dtype.is_floating_point or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self) -> bool:
        if self.numel() != 1:
            raise RuntimeError(f"Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.item())

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __hash__(self) -> int:
        return id(self)

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __contains__(self, element) -> bool:
        return bool((self == element).any().item())

    def __reduce_ex__(self, protocol):
        from ._ops.creation import _rebuild
        return (_rebuild, (self.detach()._host().copy(), self._dtype.name, str(self.device), self._rg))

    def __deepcopy__(self, memo):
        if self._grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                               "protocol at the moment.")
        t = self.detach().clone()
        t._rg = self._rg
        if self._grad is not None:
            t._grad = self._grad.clone()
        memo[id(self)] = t
        return t

    # -- printing ---------------------------------------------------------------------------------
    def __repr__(self, *, tensor_contents=None) -> str:
        fn = self._grad_fn
        dev = self._ctx.device
        return _printing.format_tensor(
            self._host(), dtype_name=self._dtype.name, is_floating=self._dtype.is_floating_point,
            default_float_dtype_name=D.get_default_dtype().name,
            device=None if dev.type == "cpu" else str(dev),
            requires_grad=self._rg, grad_fn_name=None if fn is None else type(fn).__name__)

    __str__ = __repr__


def _wrap_dim(dim: int, ndim: int, op: str = "") -> int:
    """Normalise a possibly negative dim, with PyTorch's IndexError when out of range (and its
    TypeError, naming the op, for a dim that is not an integer)."""
    n = ndim if ndim > 0 else 1
    if dim.__class__ is not int:
        dim = _int_arg(dim, op, "dim")
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim + n if dim < 0 else dim



def _int_arg(v, op: str, name: str) -> int:
    """An int argument (a dim, an index) given as something other than an int: NumPy integers and
    one-element integer tensors are accepted (PyTorch's ``__index__`` rule); bools, floats, strings and
    the rest are PyTorch's TypeError naming the op and the argument."""
    if not isinstance(v, (bool, float, str, bytes)) and hasattr(v, "__index__"):
        try:
            return v.__index__()
        except TypeError:
            pass
    raise TypeError(f"{op + '(): ' if op else ''}argument '{name}' must be int, not {type(v).__name__}")
