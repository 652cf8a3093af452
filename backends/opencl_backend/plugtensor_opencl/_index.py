"""Indexing kernels of plugtensor-opencl: ``index``, ``index_put``, ``take_along_axis``,
``scatter_add``, ``nonzero`` and ``concatenate``, with the NumPy backend's semantics.

One generated kernel serves the first four. Every output element ``i`` (a multi-index over the
result shape) reads or writes the element of ``a`` at::

    a_off + sum_k i_k * a_st_k  +  sum_j wrap(x_j[i]) * x_j_ast

where ``a_st_k`` is the stride a slice (or a non-gathered dim) contributes, 0 for dims made by None
or by the advanced-index block, and each index array ``x_j`` (broadcast over the result shape, stride
0 outside the advanced block) picks a position along one dim of ``a`` (``x_j_ast`` is that dim's
stride; negative positions wrap by the dim's size ``x_j_n``). ``take_along_axis`` and
``scatter_add`` are the same kernel with one index array along ``axis``.

Where the kernels wait for the device: only where a result's size depends on the data, as in
PyTorch (which synchronises there too): ``nonzero`` and every boolean mask in an ``index`` /
``index_put`` key read back one count (the number of True values) before allocating. Nothing
else reads from the device. Index values are not bounds-checked on the device (that would need a
read back too): the core checks them (``min``/``max``) before calling these kernels.

Accumulation (``index_put(accumulate=True)``, ``scatter_add``) uses atomics so that duplicate
indices add up: ``atomic_add`` for 32-bit ints, ``atom_add`` for 64-bit ints, a compare-and-swap
loop on the bit pattern for float32 / float64, and a compare-and-swap on the aligned 32-bit word
that holds the element for 8- and 16-bit ints (buffers are pooled in power-of-two sizes >= 64
bytes, so that word lies inside the buffer). bool accumulates as logical or (NumPy's ``add`` on
bool). A device without ``cl_khr_int64_base_atomics`` (and float16, which has no atomic form)
falls back to one work item that adds the updates in order. The order in which duplicates are
added is not fixed, so float sums may differ from NumPy's in the last bits; without
``accumulate``, which of several writes to the same element wins is unspecified (as in PyTorch).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from plugtensor.backend import dtypes as D

from ._core import CLArray, CTYPE, Runtime, global_size, numel, scalar_arg, strided_offset, unravel

__all__ = ["kernels", "index", "index_put", "take_along_axis", "scatter_add", "nonzero", "concatenate"]

# (runtime, kernel key) -> compiled kernel; saves regenerating the source text on every call
_KERNELS: dict[tuple, object] = {}


def _kernel(rt: Runtime, key: tuple, make) -> object:
    k = _KERNELS.get((rt, key))
    if k is None:
        source, name = make()
        k = _KERNELS[(rt, key)] = rt.kernel(source, name)
    return k


def _i64(*values) -> list:
    return [np.int64(v) for v in values]


def _launch(rt: Runtime, k, n: int, args: list, serial: bool = False) -> None:
    rt.launch(k, (1,) if serial else (global_size(n),), None, *args)


# -- the gather / scatter kernel ------------------------------------------------------------------------

def _atomic_mode(rt: Runtime, dtype) -> str:
    """How an accumulating write of ``dtype`` is made on this device."""
    name = dtype.name
    if name == "bool":
        return "or"
    if name in ("int64", "float64"):
        return "atomic" if "cl_khr_int64_base_atomics" in rt.device.extensions else "serial"
    if name == "float16":
        return "serial"
    return "atomic"


def _atomic_add(ctype: str, little: bool) -> str:
    """OpenCL C of ``void _add(volatile __global T* p, T v)``: an atomic ``*p += v``."""
    head = f"inline void _add(volatile __global {ctype}* p, {ctype} v) {{\n"
    if ctype in ("int", "uint"):
        body = "    atomic_add(p, v);\n"
    elif ctype in ("long", "ulong"):
        body = "    atom_add(p, v);\n"
    elif ctype == "float":
        body = ("    volatile __global uint* w = (volatile __global uint*)p;\n"
                "    uint old, upd;\n"
                "    do { old = *w; upd = as_uint(as_float(old) + v); } while (atomic_cmpxchg(w, old, upd) != old);\n")
    elif ctype == "double":
        body = ("    volatile __global ulong* w = (volatile __global ulong*)p;\n"
                "    ulong old, upd;\n"
                "    do { old = *w; upd = as_ulong(as_double(old) + v); } while (atom_cmpxchg(w, old, upd) != old);\n")
    else:  # 8- or 16-bit: compare-and-swap the aligned 32-bit word holding the element
        bits = 8 if ctype in ("char", "uchar") else 16
        unsigned = "uchar" if bits == 8 else "ushort"
        where = "(a & 3)" if little else f"(4 - {bits // 8} - (a & 3))"
        body = (f"    ulong a = (ulong)p;\n"
                f"    volatile __global uint* w = (volatile __global uint*)(a & ~(ulong)3);\n"
                f"    uint sh = (uint){where} * 8u, mask = (uint)0x{(1 << bits) - 1:X}u << sh, old, upd;\n"
                f"    do {{\n"
                f"        old = *w;\n"
                f"        {unsigned} cur = ({unsigned})((old & mask) >> sh);\n"
                f"        {unsigned} sum = ({unsigned})(({ctype})cur + v);\n"
                f"        upd = (old & ~mask) | ((uint)sum << sh);\n"
                f"    }} while (atomic_cmpxchg(w, old, upd) != old);\n")
    return head + body + "}\n"


def _convert(expr: str, src, dst) -> str:
    if src is dst:
        return expr
    if dst.name == "bool":
        return f"(uchar)(({expr}) != 0)"
    return f"({CTYPE[dst.name]})({expr})"


def _index_source(mode: str, dtype, rank: int, index_dtypes: tuple, value, accumulate: str | None,
                  little: bool) -> tuple[str, str]:
    """Source of the gather (``mode='get'``) or scatter (``'put'``) kernel.

    ``value`` is None (get), ``"scalar"`` or the dtype of the values array; ``accumulate`` is None or
    an :func:`_atomic_mode`."""
    T = CTYPE[dtype.name]
    params = []
    if mode == "get":
        params.append(f"__global {T}* out")
        params.append(f"__global const {T}* a")
    else:
        params.append(f"__global {T}* a")
        if value == "scalar":
            params.append(f"{T} v")
        else:
            params.append(f"__global const {CTYPE[value.name]}* v")
    params += [f"__global const {CTYPE[d.name]}* x{j}" for j, d in enumerate(index_dtypes)]
    params.append("long n")
    params += [f"long sh{k}" for k in range(rank)]
    params += ["long a_off"] + [f"long a_st{k}" for k in range(rank)]
    if mode == "put" and value != "scalar":
        params += ["long v_off"] + [f"long v_st{k}" for k in range(rank)]
    for j in range(len(index_dtypes)):
        params += [f"long x{j}_off"] + [f"long x{j}_st{k}" for k in range(rank)] + [f"long x{j}_n", f"long x{j}_ast"]
    lines = [unravel(rank), f"long p = {strided_offset('a', rank)};"]
    for j in range(len(index_dtypes)):
        lines.append(f"long j{j} = (long)x{j}[{strided_offset(f'x{j}', rank)}];")
        lines.append(f"if (j{j} < 0) j{j} += x{j}_n;")
        lines.append(f"p += j{j} * x{j}_ast;")
    if mode == "get":
        lines.append("out[gid] = a[p];")
    else:
        val = "v" if value == "scalar" else _convert(f"v[{strided_offset('v', rank)}]", value, dtype)
        lines.append(f"{T} val = {val};")
        if accumulate == "atomic":
            lines.append("_add(a + p, val);")
        elif accumulate == "or":
            lines.append("if (val) a[p] = 1;")
        elif accumulate == "serial":
            lines.append(f"a[p] = ({T})(a[p] + val);")
        else:
            lines.append("a[p] = val;")
    body = "\n        ".join(x for x in lines if x)
    if accumulate == "serial":  # one work item makes every update, in order
        loop = f"    for (long gid = 0; gid < n; gid++) {{\n        {body}\n    }}\n"
    else:
        loop = f"    long gid = get_global_id(0);\n    if (gid >= n) return;\n    {{\n        {body}\n    }}\n"
    name = f"index_{mode}"
    pre = ""
    if accumulate == "atomic":
        if T in ("long", "double"):
            pre = "#pragma OPENCL EXTENSION cl_khr_int64_base_atomics : enable\n"
        pre += _atomic_add(T, little)
    src = f"{pre}__kernel void {name}({', '.join(params)}) {{\n{loop}}}\n"
    return src, name


class _Plan:
    """Where each element of an indexing result lives in ``a``.

    ``shape``: the result shape; ``a_strides``/``a_off``: the direct part of the address (per result
    dim); ``arrays``: (index array, offset, strides per result dim, dim size, dim stride) per index
    array."""

    __slots__ = ("shape", "a_off", "a_strides", "arrays")

    def __init__(self, shape, a_off, a_strides, arrays) -> None:
        self.shape, self.a_off, self.a_strides, self.arrays = tuple(shape), a_off, list(a_strides), arrays

    @property
    def size(self) -> int:
        return numel(self.shape)

    def tail_args(self) -> list:
        args = []
        for x, off, st, n, ast in self.arrays:
            args += _i64(off, *st, n, ast)
        return args


def _broadcast_strides(x: CLArray, shape: Sequence[int], drop: int = 0) -> list[int]:
    """The strides of ``x`` without its first ``drop`` dims, broadcast (right-aligned) to ``shape``."""
    xs, xt = x.shape[drop:], x.strides[drop:]
    lead = len(shape) - len(xs)
    return [0] * lead + [0 if s == 1 and n != 1 else t for s, t, n in zip(xs, xt, shape[lead:])]


def _gather(a: CLArray, plan: _Plan) -> CLArray:
    rt, dt = a.rt, a.dtype
    out = rt.empty(plan.shape, dt)
    n = out.size
    if n == 0:
        return out
    r = len(plan.shape)
    idt = tuple(x.dtype for x, *_ in plan.arrays)
    k = _kernel(rt, ("get", dt.name, r, tuple(d.name for d in idt)),
                lambda: _index_source("get", dt, r, idt, None, None, rt.device.endian_little))
    args = [out.buffer, a.buffer] + [x.buffer for x, *_ in plan.arrays] + _i64(n, *plan.shape, plan.a_off,
                                                                              *plan.a_strides) + plan.tail_args()
    _launch(rt, k, n, args)
    return out


def _scatter(a: CLArray, plan: _Plan, values, accumulate: bool) -> None:
    """Write (or add, with ``accumulate``) ``values`` (a CLArray broadcastable to ``plan.shape``, or a
    Python scalar) at the elements of ``a`` that ``plan`` addresses."""
    rt, dt = a.rt, a.dtype
    n = plan.size
    r = len(plan.shape)
    if isinstance(values, CLArray):
        drop = 0
        while values.ndim - drop > r and values.shape[drop] == 1:  # NumPy drops leading unit dims of values
            drop += 1
        vshape = values.shape[drop:]
        if len(vshape) > r or any(v != 1 and v != s for v, s in zip(vshape[::-1], plan.shape[::-1])):
            raise ValueError(f"shape mismatch: value array of shape {tuple(values.shape)} could not be broadcast to "
                             f"indexing result of shape {plan.shape}")
        if n == 0:
            return
        if values.storage is a.storage:  # the writes could overwrite values not read yet: read a copy
            values = _copy(values)
        vst = _broadcast_strides(values, plan.shape, drop)
        vkind, vargs, vbuf = values.dtype, _i64(values.offset, *vst), values.buffer
    else:
        if n == 0:
            return
        vkind, vargs, vbuf = "scalar", [], _scalar_value(values, dt)
    mode = _atomic_mode(rt, dt) if accumulate else None
    idt = tuple(x.dtype for x, *_ in plan.arrays)
    vname = vkind if vkind == "scalar" else vkind.name
    k = _kernel(rt, ("put", dt.name, r, tuple(d.name for d in idt), vname, mode),
                lambda: _index_source("put", dt, r, idt, vkind, mode, rt.device.endian_little))
    args = [a.buffer, vbuf] + [x.buffer for x, *_ in plan.arrays] + _i64(n, *plan.shape, plan.a_off,
                                                                         *plan.a_strides) + vargs + plan.tail_args()
    _launch(rt, k, n, args, serial=mode == "serial")


def _scalar_value(value, dtype) -> np.generic:
    if dtype.name == "bool":
        return np.uint8(1 if value else 0)
    if dtype.is_floating_point:
        return scalar_arg(float(value), dtype)
    if isinstance(value, float):
        return scalar_arg(int(value), dtype)  # NumPy truncates a float stored into an int array
    return scalar_arg(value, dtype)


def _copy(a: CLArray) -> CLArray:
    """A contiguous copy of ``a`` (any strides)."""
    return _gather(a, _Plan(a.shape, a.offset, a.strides, []))


# -- keys -------------------------------------------------------------------------------------------------

def _plan_key(a: CLArray, key) -> _Plan:
    """The :class:`_Plan` of ``a[key]`` by NumPy's rules (key: ints, slices, None, Ellipsis, integer
    and bool CLArrays). Bool masks become index arrays here (one count read back each)."""
    if not isinstance(key, tuple):
        key = (key,)
    consumed = 0
    for k in key:
        if isinstance(k, CLArray):
            consumed += k.ndim if k.dtype is D.bool else 1
        elif k is not None and k is not Ellipsis and not isinstance(k, (bool, np.bool_)):
            consumed += 1
    if consumed > a.ndim:
        raise IndexError(f"too many indices for array: array is {a.ndim}-dimensional, but {consumed} were indexed")
    items = list(key)
    if any(k is Ellipsis for k in items):
        i = next(i for i, k in enumerate(items) if k is Ellipsis)
        items[i:i + 1] = [slice(None)] * (a.ndim - consumed)
        items = [k for k in items if k is not Ellipsis]
    else:
        items += [slice(None)] * (a.ndim - consumed)
    has_adv = any(isinstance(k, (CLArray, bool, np.bool_)) for k in items)
    off = a.offset
    basic_before: list[tuple[int, int]] = []  # (size, stride) of result dims before the advanced block
    basic_after: list[tuple[int, int]] = []
    adv = []  # (index array, dim size, dim stride); the shapes go to adv_shapes (0-d masks only there)
    adv_shapes = []
    adv_pos = []
    d = 0
    for pos, k in enumerate(items):
        dims = basic_after if adv_pos else basic_before
        if k is None:
            dims.append((1, 0))
        elif isinstance(k, (bool, np.bool_)):  # a Python bool is a 0-d mask whose count is known
            adv_shapes.append((int(k),))
            adv_pos.append(pos)
        elif isinstance(k, slice):
            n = a.shape[d]
            start, stop, step = k.indices(n)
            length = len(range(start, stop, step))
            if length:
                off += start * a.strides[d]
            dims.append((length, step * a.strides[d]))
            d += 1
        elif isinstance(k, CLArray):
            if k.dtype is D.bool:
                for j in range(k.ndim):
                    if k.shape[j] != a.shape[d + j]:
                        raise IndexError(f"boolean index did not match indexed array along axis {d + j}; size of "
                                         f"axis is {a.shape[d + j]} but size of corresponding boolean axis is "
                                         f"{k.shape[j]}")
                rows = nonzero(k)
                cnt = rows.shape[0]
                for j in range(k.ndim):
                    col = CLArray(rows.storage, (cnt,), (k.ndim,), rows.offset + j, D.int64)
                    adv.append((col, a.shape[d + j], a.strides[d + j]))
                adv_shapes.append((cnt,))  # a 0-d mask adds a dim of size 1 (True) or 0 (False)
                d += k.ndim
            else:
                if k.dtype.is_floating_point or k.dtype.name == "uint32":
                    raise IndexError("arrays used as indices must be of integer (or boolean) type")
                adv.append((k, a.shape[d], a.strides[d]))
                adv_shapes.append(tuple(k.shape))
                d += 1
            adv_pos.append(pos)
        else:
            n = a.shape[d]
            i = int(k)
            if not -n <= i < n:
                raise IndexError(f"index {i} is out of bounds for axis {d} with size {n}")
            off += (i + n if i < 0 else i) * a.strides[d]
            if has_adv:  # with index arrays, an int is a 0-d advanced index (it moves the block)
                adv_pos.append(pos)
            d += 1
    if not has_adv:
        dims = basic_before + basic_after
        return _Plan([s for s, _ in dims], off, [t for _, t in dims], [])
    try:
        block = tuple(np.broadcast_shapes(*adv_shapes)) if adv_shapes else ()
    except ValueError:
        raise IndexError("shape mismatch: indexing arrays could not be broadcast together with shapes "
                         + " ".join(str(s) for s in adv_shapes)) from None
    if adv_pos != list(range(adv_pos[0], adv_pos[0] + len(adv_pos))):
        basic_before, basic_after = [], basic_before + basic_after  # separated: the block goes first
    shape = [s for s, _ in basic_before] + list(block) + [s for s, _ in basic_after]
    a_strides = [t for _, t in basic_before] + [0] * len(block) + [t for _, t in basic_after]
    lead, trail = [0] * len(basic_before), [0] * len(basic_after)
    arrays = []
    for x, n, ast in adv:
        arrays.append((x, x.offset, lead + _broadcast_strides(x, block) + trail, n, ast))
    return _Plan(shape, off, a_strides, arrays)


def index(a: CLArray, key) -> CLArray:
    """``a[key]`` as a new contiguous array (NumPy's basic and advanced indexing)."""
    return _gather(a, _plan_key(a, key))


def index_put(a: CLArray, key, values, accumulate: bool) -> CLArray:
    """``a[key] = values`` (or ``+=`` with every duplicate index counted, with ``accumulate``), in place."""
    key = key if isinstance(key, tuple) else (key,)
    # an index array in a's own storage must be read before any write: index with a copy
    key = tuple(_copy(k) if isinstance(k, CLArray) and k.storage is a.storage else k for k in key)
    _scatter(a, _plan_key(a, key), values, accumulate)
    return a


# -- gather / scatter along an axis ---------------------------------------------------------------------

def _axis_plan(a: CLArray, index: CLArray, axis: int, shape: Sequence[int]) -> _Plan:
    r = a.ndim
    if r == 0:  # a 0-d array indexes like a 1-element 1-D one
        return _Plan((), a.offset, [], [(index, index.offset, [], 1, 0)])
    st = _broadcast_strides(a, shape)
    st[axis] = 0
    return _Plan(shape, a.offset, st, [(index, index.offset, _broadcast_strides(index, shape), a.shape[axis],
                                        a.strides[axis])])


def _axis(axis: int, ndim: int) -> int:
    if ndim == 0 and axis in (0, -1):
        return 0
    if not -ndim <= axis < ndim:
        raise np.exceptions.AxisError(axis, ndim)
    return axis + ndim if axis < 0 else axis


def take_along_axis(a: CLArray, index: CLArray, axis: int) -> CLArray:
    """``np.take_along_axis(a, index, axis)``: index has a's ndim; the other dims broadcast."""
    if index.ndim != a.ndim:
        raise ValueError("`indices` and `arr` must have the same number of dimensions")
    axis = _axis(axis, a.ndim)
    try:
        shape = [index.shape[k] if k == axis else np.broadcast_shapes((a.shape[k],), (index.shape[k],))[0]
                 for k in range(a.ndim)]
    except ValueError:
        raise ValueError(f"shape mismatch: objects cannot be broadcast to a single shape ({a.shape} and "
                         f"{index.shape} along the dims other than {axis})") from None
    return _gather(a, _axis_plan(a, index, axis, shape))


def scatter_add(dst: CLArray, axis: int, index: CLArray, src) -> CLArray:
    """``dst[..., index[i], ...] += src[i]`` along ``axis`` for every position i of ``index``, in place
    (duplicates accumulate); ``src`` broadcasts to ``index``'s shape."""
    axis = _axis(axis, dst.ndim)
    if index.ndim != dst.ndim:
        raise ValueError("index must have the same number of dimensions as dst")
    if any(index.shape[k] > dst.shape[k] for k in range(dst.ndim) if k != axis):
        raise IndexError(f"index of shape {index.shape} is larger than dst {dst.shape} outside axis {axis}")
    if index.storage is dst.storage:  # read every index before the first write
        index = _copy(index)
    plan = _axis_plan(dst, index, axis, index.shape)
    if dst.ndim:
        plan.a_strides = [0 if k == axis else dst.strides[k] for k in range(dst.ndim)]
    _scatter(dst, plan, src, True)
    return dst


# -- nonzero ------------------------------------------------------------------------------------------------

def _advance(rank: int) -> str:
    """C statements stepping the multi-index i0.. (and the element offset p) to the next row-major element."""
    if rank == 0:
        return ""
    parts = [f"i{rank - 1}++; p += a_st{rank - 1};"]
    for k in range(rank - 1, 0, -1):  # carry into the next outer dim
        parts.append(f"if (i{k} == sh{k}) {{ i{k} = 0; p -= sh{k} * a_st{k}; i{k - 1}++; p += a_st{k - 1};")
    return " ".join(parts) + " }" * (rank - 1)


def _nonzero_source(dtype, rank: int) -> str:
    """``nonzero_count`` (nonzeros per chunk) and ``nonzero_write`` (their positions, from each
    chunk's prefix sum): both walk chunk ``g`` of the elements of ``a`` in row-major order."""
    T = CTYPE[dtype.name]
    params = ("long n, long chunk, " + "".join(f"long sh{k}, " for k in range(rank)) + "long a_off"
              + "".join(f", long a_st{k}" for k in range(rank)))
    store = " ".join(f"row[{k}] = i{k};" for k in range(rank))

    def walk(name: str, extra: str, init: str, hit: str, done: str) -> str:
        return f"""
__kernel void {name}(__global const {T}* a, __global long* counts, {extra}{params}) {{
    long g = get_global_id(0);
    long start = g * chunk;
    if (start >= n) return;
    long end = min(start + chunk, n);
    {unravel(rank, 'start')}
    long p = {strided_offset('a', rank)};
    long pos = {init};
    for (long e = start; e < end; e++) {{
        if (a[p] != 0) {{ {hit} pos++; }}
        {_advance(rank)}
    }}
    {done}
}}
"""
    src = (walk("nonzero_count", "", "0", "", "counts[g] = pos;")
           + walk("nonzero_write", "__global long* out, ", "counts[g]",
                  f"__global long* row = out + pos * {rank}; {store}", ""))
    return src


_SCAN = """
__kernel void nonzero_scan(__global long* counts, long groups) {
    long s = 0;
    for (long g = 0; g < groups; g++) { long c = counts[g]; counts[g] = s; s += c; }
    counts[groups] = s;
}
"""


def nonzero(a: CLArray) -> CLArray:
    """The (n, ndim) int64 positions of the nonzero elements of ``a`` in row-major order.

    Each of ``groups`` work items counts the nonzeros of one chunk of elements, one work item turns
    the counts into exclusive prefix sums (and the total), then each chunk writes its positions from
    its prefix sum. The total is read back once (the result's size depends on the data)."""
    rt = a.rt
    n = a.size
    if n == 0:
        return rt.empty((0, a.ndim), D.int64)
    shape, strides = (a.shape, a.strides) if a.ndim else ((1,), (0,))
    rank = len(shape)
    chunk = max(256, -(-n // 8192))
    groups = -(-n // chunk)
    counts = rt.empty((groups + 1,), D.int64)
    source = lambda: _nonzero_source(a.dtype, rank)  # noqa: E731 - built only on the first call
    count = _kernel(rt, ("nonzero_count", a.dtype.name, rank), lambda: (source(), "nonzero_count"))
    scan = _kernel(rt, ("nonzero_scan",), lambda: (_SCAN, "nonzero_scan"))
    tail = _i64(n, chunk, *shape, a.offset, *strides)
    _launch(rt, count, groups, [a.buffer, counts.buffer] + tail)
    _launch(rt, scan, 1, [counts.buffer, np.int64(groups)], serial=True)
    total = int(rt.read(CLArray(counts.storage, (1,), (1,), groups, D.int64))[0])  # the one wait
    out = rt.empty((total, a.ndim), D.int64)
    if total and a.ndim:
        write = _kernel(rt, ("nonzero_write", a.dtype.name, rank), lambda: (source(), "nonzero_write"))
        _launch(rt, write, groups, [a.buffer, counts.buffer, out.buffer] + tail)
    return out


# -- concatenate ------------------------------------------------------------------------------------------

def concatenate(arrays: Sequence[CLArray], axis: int) -> CLArray:
    """The arrays (same shape except along ``axis``, any strides) joined along ``axis``: a new array.
    Mixed dtypes are promoted by PyTorch's rules and converted while copying."""
    arrays = list(arrays)
    first = arrays[0]
    if first.ndim == 0:
        raise ValueError("zero-dimensional arrays cannot be concatenated")
    axis = _axis(axis, first.ndim)
    dt = first.dtype
    for x in arrays[1:]:
        dt = D.promote_types(dt, x.dtype)
        if x.ndim != first.ndim or any(x.shape[k] != first.shape[k] for k in range(first.ndim) if k != axis):
            raise ValueError(f"all the input array dimensions except for the concatenation axis must match exactly: "
                             f"{first.shape} and {x.shape} along axis {axis}")
    shape = list(first.shape)
    shape[axis] = sum(x.shape[axis] for x in arrays)
    out = first.rt.empty(shape, dt)
    start = 0
    for x in arrays:
        if x.size:
            _scatter(out, _Plan(x.shape, start * out.strides[axis], out.strides, []), x, False)
        start += x.shape[axis]
    return out


def kernels() -> dict:
    return {"index": index, "index_put": index_put, "take_along_axis": take_along_axis, "scatter_add": scatter_add,
            "nonzero": nonzero, "concatenate": concatenate}
