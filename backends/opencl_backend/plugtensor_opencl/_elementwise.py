"""Elementwise kernels of plugtensor-opencl: unary/binary ops, where, casts, copies, fill, arange.

Every kernel is OpenCL C generated per signature -- (op, operand dtypes, which operands are Python
scalars, output dtype, layout) -- and compiled once; the compiled ``cl.Kernel`` (with its scalar
argument types set) is cached in a dict keyed by that signature, so the hot path builds no source
text. Two layouts:

- ``flat``: the output and every array operand are contiguous with the output's shape (after
  merging dimensions): ``o[k] = f(a[k], b[k])``, no index arithmetic;
- ``strided`` of rank r: any strides, offsets and broadcasting (stride 0). Each work-item takes a
  chunk of consecutive output elements, unravels the first index once and then steps an odometer,
  so no division happens per element.

Semantics are NumPy's ufuncs (the reference backend) with PyTorch's special values: Python's sign
rule for ``remainder`` (a zero remainder keeps the dividend's sign), C's for ``fmod``, flooring
``floor_divide``, half-to-even ``round``, ``sign(nan)`` 0, NumPy's shifts and x86 float->int
conversion (out-of-range values become INT_MIN / LONG_MIN, then are truncated). Integer division by
zero gives 0 instead of trapping (the core raises PyTorch's error before calling the kernel).
float16 is computed in float32 and rounded, as NumPy does.
Nothing here waits for the device.
"""
from __future__ import annotations

import warnings
from typing import Any, Callable, Sequence

import numpy as np
import pyopencl as cl

from plugtensor.backend import BINARY_KERNELS, UNARY_KERNELS
from plugtensor.backend import dtypes as D

from ._core import CTYPE, CLArray, Runtime, Storage

__all__ = ["kernels", "fill", "contiguous", "clone", "arange", "astype", "copy_", "where", "flip", "elementwise"]

_UTYPE = {"uint8": "uchar", "int8": "uchar", "int16": "ushort", "int32": "uint", "int64": "ulong"}
# Struct-packable NumPy type of each kernel scalar parameter (half scalars travel as float).
_ARG_NP = {"bool": np.uint8, "uint8": np.uint8, "int8": np.int8, "int16": np.int16, "int32": np.int32,
           "int64": np.int64, "float16": np.float32, "float32": np.float32, "float64": np.float64}
_INT_RANGE = {"uint8": (0, 255), "int8": (-128, 127), "int16": (-(1 << 15), (1 << 15) - 1),
              "int32": (-(1 << 31), (1 << 31) - 1), "int64": (-(1 << 63), (1 << 63) - 1)}
_FLT_MAX = {"float16": 65504.0, "float32": 3.4028234663852886e38}


# --------------------------------------------------------------------------------------------------
# Per-device state: the kernel cache and the launch geometry.
# --------------------------------------------------------------------------------------------------
class _Dev:
    """Kernel cache and launch plan of one Runtime."""

    __slots__ = ("rt", "kernels", "cpu", "queue", "fp64")

    def __init__(self, rt: Runtime) -> None:
        self.rt, self.queue, self.fp64 = rt, rt.queue, rt.fp64
        self.kernels: dict[tuple, cl.Kernel] = {}
        self.cpu = bool(rt.device.type & cl.device_type.CPU)


_DEVS: dict[int, _Dev] = {}
# A CPU work-item handles _CHUNK consecutive elements: one work-item per element is 2-4x slower on
# PoCL (per-item overhead), while a chunked loop streams at memory bandwidth.
_CHUNK = 4096


def _dev(rt: Runtime) -> _Dev:
    d = _DEVS.get(id(rt))
    if d is None or d.rt is not rt:
        d = _DEVS[id(rt)] = _Dev(rt)
    return d


def _plan(dev: _Dev, n: int) -> tuple[tuple, Any, int]:
    """(global size, local size, elements per work-item) for ``n`` elements."""
    if dev.cpu:
        if n <= _CHUNK:
            return (1,), (1,), n
        return (-(-n // _CHUNK),), (1,), _CHUNK
    return (max(256, -(-n // 256) * 256),), None, 1


def _get_kernel(dev: _Dev, key: tuple, build: Callable[[], tuple[str, list]]) -> cl.Kernel:
    k = dev.kernels.get(key)
    if k is None:
        source, arg_types = build()
        k = dev.rt.kernel(source, "k")
        k.set_scalar_arg_dtypes(arg_types)
        dev.kernels[key] = k
    return k


# --------------------------------------------------------------------------------------------------
# Small helpers: shapes, scalars, dtypes.
# --------------------------------------------------------------------------------------------------
_SHAPE_INFO: dict[tuple, tuple[tuple, int]] = {}


def _shape_info(shape: tuple) -> tuple[tuple, int]:
    """(contiguous strides, number of elements) of ``shape`` (cached: shapes repeat)."""
    r = _SHAPE_INFO.get(shape)
    if r is None:
        st, acc = [], 1
        for s in reversed(shape):
            st.append(acc)
            acc *= max(s, 1)
        n = 1
        for s in shape:
            n *= s
        r = (tuple(reversed(st)), n)
        if len(_SHAPE_INFO) < 4096:
            _SHAPE_INFO[shape] = r
    return r


def _new(rt: Runtime, shape: tuple, dtype) -> CLArray:
    st, n = _shape_info(shape)
    return CLArray(Storage(rt, n * dtype.itemsize), shape, st, 0, dtype)


def _broadcast_shape(a: tuple, b: tuple) -> tuple:
    if len(a) < len(b):
        a, b = b, a
    b = (1,) * (len(a) - len(b)) + b
    out = []
    for x, y in zip(a, b):
        if x == y or y == 1:
            out.append(x)
        elif x == 1:
            out.append(y)
        else:
            raise ValueError(f"operands could not be broadcast together with shapes {a} {b}")
    return tuple(out)


def _bstrides(a: CLArray, shape: tuple) -> list:
    """``a``'s strides broadcast to ``shape`` (0 along broadcast and missing leading dims)."""
    lead = len(shape) - len(a.shape)
    return [0] * lead + [0 if (s == 1 and n != 1) else t for s, t, n in zip(a.shape, a.strides, shape[lead:])]


def _coalesce(shape: tuple, strides: list[list]) -> tuple[list, list[list]]:
    """Drop size-1 dims and merge neighbours that every operand walks as one (fewer index steps)."""
    sh: list = []
    sts: list[list] = [[] for _ in strides]
    for d, size in enumerate(shape):
        if size == 1:
            continue
        if sh and all(o[-1] == st[d] * size for o, st in zip(sts, strides)):
            sh[-1] *= size
            for o, st in zip(sts, strides):
                o[-1] = st[d]
        else:
            sh.append(size)
            for o, st in zip(sts, strides):
                o.append(st[d])
    return sh, sts


def _extent(a: CLArray) -> tuple[int, int]:
    lo = hi = a.offset
    for s, t in zip(a.shape, a.strides):
        if t > 0:
            hi += (s - 1) * t
        else:
            lo += (s - 1) * t
    return lo, hi


def _overlap(a: CLArray, b: CLArray) -> bool:
    """True when ``a`` and ``b`` share memory in a way an elementwise kernel cannot read and write at
    once (identical layouts are fine: each element is read before it is written)."""
    if a.storage is not b.storage:
        return False
    if a.offset == b.offset and a.strides == b.strides and a.shape == b.shape:
        return False
    lo1, hi1 = _extent(a)
    lo2, hi2 = _extent(b)
    return lo1 <= hi2 and lo2 <= hi1


def _scalar_dtype(x, other: D.dtype) -> D.dtype:
    """The dtype a Python scalar takes next to an array of ``other`` (NumPy's weak-scalar rule)."""
    if isinstance(x, bool) or other.kind == D.FLOAT:
        return other
    if isinstance(x, int):
        return other if other.kind == D.INT else D.int64
    return D.float64  # the caller falls back to float32 on a device without fp64


def _float_of(dt: D.dtype, rt: Runtime) -> D.dtype:
    """The float dtype NumPy computes integer inputs of float-only ufuncs in (that the device has)."""
    if dt.kind == D.FLOAT:
        return dt
    if dt.itemsize <= 1 and rt.fp16:
        return D.float16
    if dt.itemsize <= 2 or not rt.fp64:
        return D.float32
    return D.float64


def _sval(x, dt: D.dtype):
    """The Python scalar ``x`` as a value of ``dt``'s C type (ints wrap, floats convert like astype)."""
    name = dt.name
    if name == "bool":
        return 1 if x else 0
    if dt.kind == D.INT:
        if x.__class__ is float:
            x = _float_to_int(x, name)
        lo, hi = _INT_RANGE[name]
        x = int(x)
        return x if lo <= x <= hi else (x - lo) % (hi - lo + 1) + lo
    x = float(x)
    lim = _FLT_MAX.get(name)
    if lim is not None and abs(x) > lim and x == x:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            x = float(np.float32(x) if name == "float32" else np.float16(x))
    return x


def _float_to_int(x: float, name: str) -> int:
    """x86 float->int conversion as NumPy's astype does it (out of range or NaN: INT_MIN/LONG_MIN)."""
    if name == "int64":
        return int(x) if -2.0**63 <= x < 2.0**63 else -(1 << 63)
    return int(x) if -2.0**31 - 1 < x < 2.0**31 else -(1 << 31)


# --------------------------------------------------------------------------------------------------
# Code generation: conversions and op expressions.
# --------------------------------------------------------------------------------------------------
def _ctype(dt) -> str:
    return CTYPE[dt.name]


def _calc(dt: D.dtype) -> D.dtype:
    """The dtype an operand is computed in: float16 computes in float32 (as NumPy does)."""
    return D.float32 if dt is D.float16 else dt


def _conv(x: str, src, dst) -> str:
    """C expression converting ``x`` of dtype ``src`` to ``dst`` with NumPy's astype semantics."""
    if src is dst:
        return x
    if dst is D.bool:
        return f"(uchar)(({x}) != 0)"
    if src.kind == D.FLOAT and dst.kind == D.INT:
        wide = "d" if src is D.float64 else "f"
        if dst is D.int64:
            return f"_f2l{wide}({x})"
        return f"({_ctype(dst)})_f2i{wide}({x})"
    return f"({_ctype(dst)})({x})"


def _helpers(fp64: bool) -> str:
    """Conversion helpers every elementwise source starts with."""
    h = ["#pragma OPENCL FP_CONTRACT OFF",
         # float -> int as on x86 (cvttss2si): NaN and out-of-range values give the minimum.
         "inline long _f2lf(float v) { return (v >= -9223372036854775808.0f && v < 9223372036854775808.0f) "
         "? (long)v : LONG_MIN; }",
         "inline int _f2if(float v) { return (v >= -2147483648.0f && v < 2147483648.0f) ? (int)v : INT_MIN; }"]
    if fp64:
        h += ["inline long _f2ld(double v) { return (v >= -9223372036854775808.0 && v < 9223372036854775808.0) "
              "? (long)v : LONG_MIN; }",
              "inline int _f2id(double v) { return (v > -2147483649.0 && v < 2147483648.0) ? (int)v : INT_MIN; }"]
    return "\n".join(h) + "\n"


_FLOAT_UNARY = {"exp": "exp", "expm1": "expm1", "log": "log", "log1p": "log1p", "log2": "log2", "log10": "log10",
                "sqrt": "sqrt", "sin": "sin", "cos": "cos", "tan": "tan", "asin": "asin", "acos": "acos",
                "atan": "atan", "sinh": "sinh", "cosh": "cosh", "tanh": "tanh", "erf": "erf"}
_ROUNDING = {"floor": "floor", "ceil": "ceil", "trunc": "trunc", "round": "rint"}
_PREDICATES = {"isnan", "isinf", "isfinite"}
_BOOL_OUT_UNARY = _PREDICATES | {"logical_not"}
_COMPARE = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
_LOGICAL = {"logical_and", "logical_or", "logical_xor"}
_BOOL_OUT_BINARY = set(_COMPARE) | _LOGICAL
_BITWISE = {"bitwise_and": "&", "bitwise_or": "|", "bitwise_xor": "^"}
_FLOAT_BINARY = {"div", "atan2"}
# Ops whose float expression is also valid OpenCL C on vectors (float8 / double4): the flat kernel
# runs them 32 bytes at a time, which lets PoCL use its vectorised math (exp: 0.8 -> 13 GB/s).
_VECTOR_OPS = set(_FLOAT_UNARY) | set(_ROUNDING) | {"neg", "abs", "square", "reciprocal", "copy", "add", "sub",
                                                    "mul", "div", "atan2", "pow", "fmod", "maximum", "minimum"}


def _unsupported(op: str, dt) -> TypeError:
    return TypeError(f"opencl kernel '{op}' does not support dtype {dt.name}")


def _unary_expr(op: str, dt: D.dtype, x: str, fp64: bool = True) -> tuple[str, str]:
    """(C expression of ``op`` on ``x`` of compute dtype ``dt``, helper definitions)."""
    t, kind = _ctype(dt), dt.kind
    if op in _FLOAT_UNARY:
        return f"{_FLOAT_UNARY[op]}({x})", ""
    if op in _ROUNDING:
        return (f"{_ROUNDING[op]}({x})" if kind == D.FLOAT else x), ""
    if op == "neg":
        if kind == D.FLOAT:
            return f"(-{x})", ""
        if kind == D.BOOL:
            raise TypeError("opencl kernel 'neg' does not support dtype bool (use logical_not)")
        return f"({t})(-({_UTYPE[dt.name]})({x}))", ""
    if op == "abs":
        if kind == D.FLOAT:
            return f"fabs({x})", ""
        return (f"({t})abs({x})" if dt.is_signed else x), ""
    if op == "sign":
        if kind == D.FLOAT:  # PyTorch: sign(-0.0) is 0.0 and sign(nan) is 0 (NumPy: nan)
            return f"(({x}) > 0 ? ({t})1 : ({x}) < 0 ? ({t})-1 : ({t})0)", ""
        if dt.is_signed:
            return f"({t})((({x}) > 0) - (({x}) < 0))", ""
        return f"({t})(({x}) > 0)", ""
    if op == "reciprocal":
        if kind == D.FLOAT:
            return f"(({t})1 / ({x}))", ""
        # NumPy computes 1.0 / x in double and converts back (1 / 0 -> inf -> INT_MIN).
        wide = D.float64 if fp64 else D.float32
        return _conv(f"(({_ctype(wide)})1 / ({_ctype(wide)})({x}))", wide, dt), ""
    if op == "square":
        if kind == D.FLOAT:
            return f"(({x}) * ({x}))", ""
        if kind == D.BOOL:
            return x, ""
        u = _UTYPE[dt.name]
        return f"({t})(({u})({x}) * ({u})({x}))", ""
    if op == "logical_not":
        return f"(uchar)(({x}) == 0)", ""
    if op == "bitwise_not":
        if kind == D.FLOAT:
            raise _unsupported(op, dt)
        return (f"(uchar)(({x}) ^ 1)" if kind == D.BOOL else f"({t})(~({x}))"), ""
    if op in _PREDICATES:
        if kind != D.FLOAT:
            return ("(uchar)1" if op == "isfinite" else "(uchar)0"), ""
        return f"(uchar){op}({x})", ""
    if op == "copy":
        return x, ""
    raise KeyError(op)


def _int_helpers(dt: D.dtype) -> str:
    """Integer floor division, remainders, power and shifts of ``dt`` (NumPy's semantics, no traps)."""
    t, u, bits = _ctype(dt), _UTYPE[dt.name], dt.bits
    if dt.is_signed:  # x86 traps on x / 0 and on MIN / -1: both are answered without dividing
        return f"""
inline {t} _fdiv_{t}({t} a, {t} b) {{
    if (b == 0) return 0;
    if (b == -1) return ({t})(-({u})a);
    {t} q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q -= 1;
    return q;
}}
inline {t} _rem_{t}({t} a, {t} b) {{
    if (b == 0 || b == -1) return 0;
    {t} r = a % b;
    if (r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
}}
inline {t} _fmod_{t}({t} a, {t} b) {{ return (b == 0 || b == -1) ? 0 : a % b; }}
inline {t} _pow_{t}({t} a, {t} b) {{
    if (b < 0) return a == 1 ? 1 : a == -1 ? ((b & 1) ? -1 : 1) : 0;
    {u} r = 1, x = ({u})a;
    ulong e = (ulong)b;
    while (e) {{ if (e & 1) r = ({u})(r * x); x = ({u})(x * x); e >>= 1; }}
    return ({t})r;
}}
inline {t} _shl_{t}({t} a, {t} b) {{ return (ulong)(long)b < {bits} ? ({t})(({u})a << b) : 0; }}
inline {t} _shr_{t}({t} a, {t} b) {{ return (ulong)(long)b < {bits} ? ({t})(a >> b) : (a < 0 ? -1 : 0); }}
"""
    return f"""
inline {t} _fdiv_{t}({t} a, {t} b) {{ return b == 0 ? 0 : a / b; }}
inline {t} _rem_{t}({t} a, {t} b) {{ return b == 0 ? 0 : a % b; }}
inline {t} _fmod_{t}({t} a, {t} b) {{ return b == 0 ? 0 : a % b; }}
inline {t} _pow_{t}({t} a, {t} b) {{
    {u} r = 1, x = a;
    ulong e = (ulong)b;
    while (e) {{ if (e & 1) r = ({u})(r * x); x = ({u})(x * x); e >>= 1; }}
    return r;
}}
inline {t} _shl_{t}({t} a, {t} b) {{ return b < {bits} ? ({t})(a << b) : 0; }}
inline {t} _shr_{t}({t} a, {t} b) {{ return b < {bits} ? ({t})(a >> b) : 0; }}
"""


def _float_helpers(dt: D.dtype) -> str:
    """NumPy's npy_divmod for floats: floor division and Python-style remainder."""
    t = _ctype(dt)
    return f"""
inline {t} _fdiv_{t}({t} a, {t} b) {{
    if (b == 0) return a / b;
    {t} mod = fmod(a, b);
    {t} div = (a - mod) / b;
    if (mod != 0) {{ if ((b < 0) != (mod < 0)) div -= ({t})1; }}
    if (div != 0) {{ {t} fl = floor(div); if (div - fl > ({t})0.5) fl += ({t})1; return fl; }}
    return copysign(({t})0, a / b);
}}
inline {t} _rem_{t}({t} a, {t} b) {{
    {t} mod = fmod(a, b);
    if (mod != 0 && (b < 0) != (mod < 0)) mod += b;
    return mod;  /* a zero keeps fmod's sign, a's (PyTorch; NumPy gives it b's) */
}}
"""


def _binary_expr(op: str, dt: D.dtype, a: str, b: str) -> tuple[str, str]:
    """(C expression of ``op`` on ``a``, ``b`` of compute dtype ``dt``, helper definitions)."""
    t, kind = _ctype(dt), dt.kind
    if op in _COMPARE:
        return f"(uchar)(({a}) {_COMPARE[op]} ({b}))", ""
    if op in _LOGICAL:
        c = {"logical_and": "&&", "logical_or": "||", "logical_xor": "!="}[op]
        return f"(uchar)((({a}) != 0) {c} (({b}) != 0))", ""
    if op in ("add", "sub", "mul"):
        c = {"add": "+", "sub": "-", "mul": "*"}[op]
        if kind == D.FLOAT:
            return f"(({a}) {c} ({b}))", ""
        if kind == D.BOOL:  # NumPy: add is or, mul is and, sub is an error
            if op == "sub":
                raise TypeError("opencl kernel 'sub' does not support dtype bool (use logical_xor)")
            return f"(uchar)(({a}) {'|' if op == 'add' else '&'} ({b}))", ""
        u = _UTYPE[dt.name]  # wrap like two's complement; signed overflow is undefined in C
        return f"({t})(({u})({a}) {c} ({u})({b}))", ""
    if op in ("maximum", "minimum"):
        if kind == D.BOOL:
            return f"(uchar)(({a}) {'|' if op == 'maximum' else '&'} ({b}))", ""
        c = ">" if op == "maximum" else "<"
        if kind == D.FLOAT:  # NaN propagates, as in NumPy
            return f"((({a}) {c} ({b}) || isnan({a})) ? ({a}) : ({b}))", ""
        return f"((({a}) {c}= ({b})) ? ({a}) : ({b}))", ""
    if op in _BITWISE:
        if kind == D.FLOAT:
            raise _unsupported(op, dt)
        return f"({t})(({a}) {_BITWISE[op]} ({b}))", ""
    if op == "div":
        return f"(({a}) / ({b}))", ""
    if op == "atan2":
        return f"atan2({a}, {b})", ""
    if op == "fmod":
        if kind == D.FLOAT:
            return f"fmod({a}, {b})", ""
        if kind == D.BOOL:
            raise _unsupported(op, dt)
        return f"_fmod_{t}({a}, {b})", _int_helpers(dt)
    if op in ("floor_divide", "remainder"):
        if kind == D.BOOL:
            raise _unsupported(op, dt)
        f = "_fdiv_" if op == "floor_divide" else "_rem_"
        return f"{f}{t}({a}, {b})", (_float_helpers(dt) if kind == D.FLOAT else _int_helpers(dt))
    if op == "pow":
        if kind == D.FLOAT:
            return f"pow({a}, {b})", ""
        if kind == D.BOOL:
            return f"(uchar)(({a}) | !({b}))", ""
        return f"_pow_{t}({a}, {b})", _int_helpers(dt)
    if op in ("bitwise_left_shift", "bitwise_right_shift"):
        if kind != D.INT:
            raise _unsupported(op, dt)
        f = "_shl_" if op == "bitwise_left_shift" else "_shr_"
        return f"{f}{t}({a}, {b})", _int_helpers(dt)
    raise KeyError(op)


# --------------------------------------------------------------------------------------------------
# The generic elementwise launcher.
# --------------------------------------------------------------------------------------------------
def _expr_for(op: str, calc: tuple, args: list[str], fp64: bool) -> tuple[str, str]:
    """(expression, helpers) of ``op`` on operand expressions ``args`` of dtypes ``calc``."""
    if len(args) == 1:
        return _unary_expr(op, calc[0], args[0], fp64)
    if op == "where":
        return f"(({args[0]}) != 0 ? ({args[1]}) : ({args[2]}))", ""
    return _binary_expr(op, calc[0], args[0], args[1])


def _source(dev: _Dev, op: str, kinds: tuple, conv_to: tuple, rdt, odt, rank: int) -> tuple[str, list]:
    """OpenCL C of one kernel and its scalar argument types.

    ``kinds[j]`` is the storage dtype of array operand j, or ``None`` for a Python scalar passed as
    a kernel argument of ``conv_to[j]``'s C type; operand j is converted to ``conv_to[j]`` (float16
    computes as float32), ``op`` gives a value of ``rdt``, stored converted to ``odt``. ``rank`` 0 is
    the flat layout."""
    calc = tuple(_calc(c) for c in conv_to)
    params = [f"__global {_ctype(odt)}* o", "long o_off"] + [f"long o_st{d}" for d in range(rank)]
    types: list = [None, np.int64] + [np.int64] * rank
    loads, pointers = [], ["po"]
    for j, (kind, cv) in enumerate(zip(kinds, calc)):
        if kind is None:
            params.append(f"{_ctype(cv)} s{j}")
            types.append(_ARG_NP[cv.name])
            loads.append(f"s{j}")
        else:
            params += [f"__global const {_ctype(kind)}* a{j}", f"long a{j}_off"] + [f"long a{j}_st{d}"
                                                                                   for d in range(rank)]
            types += [None, np.int64] + [np.int64] * rank
            src = _calc(kind)
            load = f"a{j}[k]" if rank == 0 else f"a{j}[p{j}]"
            if src is not kind:  # float16 storage: load as float
                load = f"(float){load}"
            loads.append(_conv(load, src, cv))
            pointers.append(f"p{j}")
    params += ["long n", "long ch"] + [f"long sh{d}" for d in range(rank)]
    types += [np.int64, np.int64] + [np.int64] * rank
    expr, helpers = _expr_for(op, calc, loads, dev.fp64)
    store = _conv(expr, _calc(rdt), odt)
    lines = [_helpers(dev.fp64) + helpers, f"__kernel void k({', '.join(params)}) {{",
             "    long s = (long)get_global_id(0) * ch;", "    long e = min(s + ch, n);"]
    if rank == 0:
        lines.append("    o += o_off;")
        lines += [f"    a{j} += a{j}_off;" for j, kind in enumerate(kinds) if kind is not None]
        lines.append("    long k = s;")
        if (op in _VECTOR_OPS and odt is rdt and rdt in (D.float32, D.float64)
                and all(c is rdt for c in conv_to) and all(kd is None or kd is rdt for kd in kinds)):
            w = 32 // rdt.itemsize
            vt = f"{_ctype(rdt)}{w}"
            vloads = [f"({vt})(s{j})" if kd is None else f"vload{w}(0, a{j} + k)" for j, kd in enumerate(kinds)]
            vexpr = _expr_for(op, calc, vloads, dev.fp64)[0]
            lines.append(f"    for (; k + {w} <= e; k += {w}) vstore{w}({vexpr}, 0, o + k);")
        lines.append(f"    for (; k < e; ++k) o[k] = {store};")
    else:
        lines.append("    if (s >= e) return;")
        lines.append("    long _r = s;")
        for d in range(rank - 1, 0, -1):
            lines.append(f"    long i{d} = _r % sh{d}; _r /= sh{d};")
        lines.append("    long i0 = _r;")
        names = ["o"] + [f"a{j}" for j, kind in enumerate(kinds) if kind is not None]
        for p, nm in zip(pointers, names):
            lines.append(f"    long {p} = {nm}_off" + "".join(f" + i{d}*{nm}_st{d}" for d in range(rank)) + ";")
        lines.append("    for (long k = s; k < e; ++k) {")
        lines.append(f"        o[po] = {store};")
        lines.append("        " + _odometer(rank - 1, list(zip(pointers, names))))
        lines.append("    }")
    lines.append("}")
    return "\n".join(lines) + "\n", types


def _odometer(d: int, ptrs: list) -> str:
    """C statements advancing the multi-index (and every pointer) by one element, from dim ``d``."""
    inc = " ".join(f"{p} += {nm}_st{d};" for p, nm in ptrs)
    if d == 0:
        return inc
    back = " ".join(f"{p} -= (sh{d} - 1) * {nm}_st{d};" for p, nm in ptrs)
    return f"if (++i{d} < sh{d}) {{ {inc} }} else {{ i{d} = 0; {back} {_odometer(d - 1, ptrs)} }}"


def elementwise(op: str, operands: Sequence, conv_to: tuple, rdt, out: CLArray | None = None,
                odt=None) -> CLArray:
    """Run ``op`` over ``operands`` (CLArrays broadcast together, or Python scalars).

    Operand j is converted to ``conv_to[j]`` first; the op's value has dtype ``rdt`` and is stored
    into ``out`` (any strides; its shape is the iteration shape, inputs must broadcast to it) or a
    new contiguous array of ``odt`` (default ``rdt``)."""
    arrays = [x for x in operands if x.__class__ is CLArray]
    rt = arrays[0].rt if arrays else out.rt
    shape = arrays[0].shape if arrays else ()
    for x in arrays[1:]:
        if x.shape != shape:
            shape = _broadcast_shape(shape, x.shape)
    if out is not None:
        for size, st in zip(out.shape, out.strides):
            if st == 0 and size > 1:
                raise ValueError(f"{op}: the output has elements that share memory (an expanded view)")
        if out.shape != shape:
            if _broadcast_shape(shape, out.shape) != out.shape:
                raise ValueError(f"non-broadcastable output operand with shape {out.shape} doesn't match the "
                                 f"broadcast shape {shape}")
            shape = out.shape
        res = out
        if arrays and any(_overlap(x, out) for x in arrays):
            operands = [clone(x) if x.__class__ is CLArray and _overlap(x, out) else x for x in operands]
            arrays = [x for x in operands if x.__class__ is CLArray]
    else:
        res = _new(rt, shape, odt or rdt)
    cs, n = _shape_info(shape)
    if n == 0:
        return res
    dev = _dev(rt)
    kinds = tuple(x.dtype if x.__class__ is CLArray else None for x in operands)
    if res.strides == cs and all(x.strides == cs and x.shape == shape for x in arrays):
        rank, sh = 0, None
    else:
        sh, sts = _coalesce(shape, [list(res.strides)] + [_bstrides(x, shape) for x in arrays])
        if all(len(st) <= 1 and (not st or st[0] == 1) for st in sts):
            rank = 0
        else:
            rank = len(sh)
    key = (op, kinds, conv_to, rdt, res.dtype, rank)
    k = dev.kernels.get(key)
    if k is None:
        k = _get_kernel(dev, key, lambda: _source(dev, op, kinds, conv_to, rdt, res.dtype, rank))
    args: list = [res.storage.buffer, res.offset]
    if rank:
        args += sts[0]
        i = 1
        for x, cv in zip(operands, conv_to):
            if x.__class__ is CLArray:
                args += [x.storage.buffer, x.offset]
                args += sts[i]
                i += 1
            else:
                args.append(_sval(x, cv))
    else:
        for x, cv in zip(operands, conv_to):
            if x.__class__ is CLArray:
                args += [x.storage.buffer, x.offset]
            else:
                args.append(_sval(x, cv))
    gs, ls, ch = _plan(dev, n)
    args += [n, ch]
    if rank:
        args += sh
    dev.rt.enqueue(k, gs, ls, args)
    return res


# --------------------------------------------------------------------------------------------------
# The kernels.
# --------------------------------------------------------------------------------------------------
_ONE = (1,)


def _fast_launch(f: tuple, shape: tuple, info: tuple, operands: tuple) -> CLArray:
    """Launch the cached flat kernel ``f`` on contiguous same-shape operands into a new array."""
    rt, k, dev, odt, cdt = f
    cs, n = info
    res = CLArray(Storage(rt, n * odt.itemsize), shape, cs, 0, odt)
    args = [res.storage.buffer, 0]
    for x in operands:
        if x.__class__ is CLArray:
            args += (x.storage.buffer, x.offset)
        else:
            args.append(_sval(x, cdt))
    if n <= _CHUNK and dev.cpu:
        gs, ls, ch = _ONE, _ONE, n
    else:
        gs, ls, ch = _plan(dev, n)
    args += (n, ch)
    rt.enqueue(k, gs, ls, args)
    return res


def _remember(fast: dict, key, rt: Runtime, op: str, operands: tuple, conv_to: tuple, rdt) -> None:
    """Cache the flat kernel of this signature (once compiled) for :func:`_fast_launch`."""
    kinds = tuple(x.dtype if x.__class__ is CLArray else None for x in operands)
    dev = _dev(rt)
    k = dev.kernels.get((op, kinds, conv_to, rdt, rdt, 0))
    if k is not None:
        fast[key] = (rt, k, dev, rdt, conv_to[-1])


def _unary(op: str) -> Callable:
    float_only = op in _FLOAT_UNARY
    bool_out = op in _BOOL_OUT_UNARY
    fast: dict = {}  # input dtype -> cached flat kernel

    def kernel(x, out=None):
        if x.__class__ is not CLArray:
            raise TypeError(f"opencl kernel '{op}' expects an OpenCL array, got {type(x).__name__}")
        if out is None:
            f = fast.get(x.dtype)
            if f is not None and f[0] is x.rt:
                info = _SHAPE_INFO.get(x.shape)
                if info is not None and info[1] and x.strides == info[0]:
                    return _fast_launch(f, x.shape, info, (x,))
        dt = x.dtype
        if float_only and dt.kind != D.FLOAT:
            dt = _float_of(dt, x.rt)
        rdt = D.bool if bool_out else dt
        r = elementwise(op, (x,), (dt,), rdt, out)
        if out is None and x.dtype not in fast:
            _remember(fast, x.dtype, x.rt, op, (x,), (dt,), rdt)
        return r
    kernel.__name__ = op
    kernel.__doc__ = f"Elementwise ``{op}`` (NumPy's semantics), into ``out`` when given."
    return kernel


def _binary_dtype(op: str, a, b) -> D.dtype:
    """The dtype both operands are computed in."""
    if a.__class__ is CLArray:
        if b.__class__ is CLArray:
            return a.dtype if a.dtype is b.dtype else D.promote_types(a.dtype, b.dtype)
        return _scalar_dtype(b, a.dtype)
    if b.__class__ is CLArray:
        return _scalar_dtype(a, b.dtype)
    raise TypeError(f"opencl kernel '{op}' needs at least one OpenCL array operand")


def _binary(op: str) -> Callable:
    float_only = op in _FLOAT_BINARY
    bool_out = op in _BOOL_OUT_BINARY
    fast: dict = {}  # (dtype or scalar class of a, of b) -> cached flat kernel

    def kernel(a, b, out=None):
        if out is None:
            # The hot path: contiguous operands of one shape (or an array and a scalar).
            if a.__class__ is CLArray:
                x = a
                if b.__class__ is CLArray:
                    f = fast.get((a.dtype, b.dtype)) if a.shape == b.shape else None
                    same = b.strides == a.strides
                else:
                    f, same = fast.get((a.dtype, b.__class__)), True
            else:
                x, same = b, True
                f = fast.get((a.__class__, b.dtype)) if b.__class__ is CLArray else None
            if f is not None and same and f[0] is x.rt:
                info = _SHAPE_INFO.get(x.shape)
                if info is not None and info[1] and x.strides == info[0]:
                    return _fast_launch(f, x.shape, info, (a, b))
        if isinstance(a, np.generic):
            a = a.item()
        if isinstance(b, np.generic):
            b = b.item()
        if a.__class__ is CLArray and b.__class__ is CLArray and a.dtype is b.dtype:
            dt = a.dtype
        else:
            dt = _binary_dtype(op, a, b)
        if (float_only and dt.kind != D.FLOAT) or dt is D.float64:
            rt = a.rt if a.__class__ is CLArray else b.rt
            dt = D.float64 if rt.fp64 else D.float32
        rdt = D.bool if bool_out else dt
        r = elementwise(op, (a, b), (dt, dt), rdt, out)
        if out is None:
            key = (a.dtype if a.__class__ is CLArray else a.__class__,
                   b.dtype if b.__class__ is CLArray else b.__class__)
            if key not in fast:
                _remember(fast, key, r.rt, op, (a, b), (dt, dt), rdt)
        return r
    kernel.__name__ = op
    kernel.__doc__ = f"Elementwise ``{op}`` with broadcasting (NumPy's semantics), into ``out`` when given."
    return kernel


def where(cond, a, b) -> CLArray:
    """``a`` where ``cond`` is nonzero, else ``b``, broadcast together (a new array)."""
    if cond.__class__ is not CLArray:
        raise TypeError("opencl kernel 'where' expects an OpenCL array condition")
    if a.__class__ is CLArray or b.__class__ is CLArray:
        dt = _binary_dtype("where", a, b)
        dt = dt if dt in cond.rt.dtypes else D.float32
    else:
        dt = D.result_type_of((), (), (a, b))  # two numbers: PyTorch's rule for scalars
        dt = dt if dt in cond.rt.dtypes else D.float32
    return elementwise("where", (cond, a, b), (cond.dtype, dt, dt), dt)


_ASTYPE_FAST: dict = {}  # (source dtype, target dtype) -> cached flat kernel


def astype(a: CLArray, dtype) -> CLArray:
    """A new contiguous copy of ``a`` converted to ``dtype`` (NumPy's astype: float->int truncates,
    out-of-range floats give the integer minimum, bool is "nonzero")."""
    key = (a.dtype, dtype)
    f = _ASTYPE_FAST.get(key)
    if f is not None and f[0] is a.rt:  # the core casts often: skip the general path when it can
        info = _SHAPE_INFO.get(a.shape)
        if info is not None and info[1] and a.strides == info[0]:
            return _fast_launch(f, a.shape, info, (a,))
    r = elementwise("copy", (a,), (dtype,), dtype)
    if key not in _ASTYPE_FAST:
        _remember(_ASTYPE_FAST, key, a.rt, "copy", (a,), (dtype,), dtype)
    return r


def copy_(dst: CLArray, src) -> CLArray:
    """Write ``src`` (an array broadcast to ``dst``'s shape, or a Python scalar) into ``dst``, converted
    to ``dst``'s dtype; returns ``dst``. ValueError when ``dst`` has elements sharing memory."""
    if isinstance(src, np.generic):
        src = src.item()
    return elementwise("copy", (src,), (dst.dtype,), dst.dtype, dst)


def fill(a: CLArray, value) -> CLArray:
    """Write the Python number ``value`` (converted to ``a``'s dtype) into every element of ``a``."""
    if isinstance(value, np.generic):
        value = value.item()
    return elementwise("copy", (value,), (a.dtype,), a.dtype, a)


def contiguous(a: CLArray) -> CLArray:
    """``a`` itself when it is contiguous (an offset is fine), else a new contiguous copy."""
    if a.is_contiguous():
        return a
    return elementwise("copy", (a,), (a.dtype,), a.dtype)


def clone(a: CLArray) -> CLArray:
    """A new contiguous copy of ``a``."""
    return elementwise("copy", (a,), (a.dtype,), a.dtype)


def flip(a: CLArray, axes) -> CLArray:
    """A new array: ``a`` reversed along ``axes`` (an int, a sequence of ints, or None for all)."""
    nd = len(a.shape)
    if axes is None:
        axes = range(nd)
    elif isinstance(axes, int):
        axes = (axes,)
    off, strides, seen = a.offset, list(a.strides), set()
    for ax in axes:
        if not -nd <= ax < nd:
            raise ValueError(f"flip: axis {ax} is out of bounds for an array of dimension {nd}")
        seen.add(ax % nd)
    for ax in seen:
        if a.shape[ax] > 0:
            off += (a.shape[ax] - 1) * strides[ax]
        strides[ax] = -strides[ax]
    view = CLArray(a.storage, a.shape, tuple(strides), off, a.dtype)
    return elementwise("copy", (view,), (a.dtype,), a.dtype)


def arange(rt: Runtime, start, step, n: int, dtype) -> CLArray:
    """``start + i * step`` for i < n as a new array of ``dtype``: computed in double (float when the
    device lacks fp64) for float dtypes, in 64-bit integers for integer ones (then cast)."""
    out = _new(rt, (n,), dtype)
    if n == 0:
        return out
    dev = _dev(rt)
    if dtype.kind == D.FLOAT or dtype is D.bool:
        wide = D.float64 if dev.fp64 else D.float32
        mode, cdt = "f", wide
    elif isinstance(start, (int, np.integer)) and isinstance(step, (int, np.integer)):
        mode, cdt = "i", D.int64
        start, step = _sval(int(start), D.int64), _sval(int(step), D.int64)
    else:
        # NumPy's integer arange with float bounds: first value and delta are taken after conversion.
        mode, cdt = "i", D.int64
        first = _float_to_int(float(start), "int64")
        step = _sval(_float_to_int(float(start + step), "int64") - first, D.int64)
        start = first
    key = ("arange", mode, cdt, dtype)
    k = dev.kernels.get(key)
    if k is None:
        def build():
            t = _ctype(cdt)
            if mode == "f":
                val = f"(start + ({t})k * step)"
            else:
                val = "(long)((ulong)start + (ulong)k * (ulong)step)"
            store = _conv(val, _calc(cdt), dtype)
            src = (_helpers(dev.fp64) + f"__kernel void k(__global {_ctype(dtype)}* o, {t} start, {t} step, long n, "
                   f"long ch) {{\n    long s = (long)get_global_id(0) * ch; long e = min(s + ch, n);\n"
                   f"    for (long k = s; k < e; ++k) o[k] = {store};\n}}\n")
            return src, [None, _ARG_NP[cdt.name], _ARG_NP[cdt.name], np.int64, np.int64]
        k = _get_kernel(dev, key, build)
    gs, ls, ch = _plan(dev, n)
    if mode == "f":
        start, step = float(start), float(step)
    dev.rt.enqueue(k, gs, ls, (out.storage.buffer, start, step, n, ch))
    return out


def kernels() -> dict[str, Callable]:
    """The elementwise part of the kernel table."""
    table: dict[str, Callable] = {}
    for name in UNARY_KERNELS:
        table[name] = _unary(name)
    for name in BINARY_KERNELS:
        table[name] = _binary(name)
    table.update(where=where, astype=astype, copy_=copy_, contiguous=contiguous, clone=clone, flip=flip)
    return table
