"""Tensor formatting that matches PyTorch 2.13's ``repr(tensor)`` character for character.

The only difference from PyTorch is the module name (``plugtensor.float64`` instead of
``torch.float64``).  The module works on a host NumPy array, so it depends only on the
standard library and NumPy; the Tensor class copies its values to host and calls
:func:`format_tensor`.

What the caller passes to :func:`format_tensor`:

* ``values`` -- the tensor's values as a NumPy array of the tensor's dtype (float16 as
  ``np.float16``, bool as ``np.bool_``), with the tensor's shape (0-dim allowed).
* ``dtype_name`` -- e.g. ``"float32"``; ``is_floating`` -- whether the dtype is floating.
* ``default_float_dtype_name`` -- the current default float dtype (``"float32"`` unless the
  user changed it).  The function decides itself whether to show ``dtype=``: for non-empty
  tensors it is hidden for the default float dtype, int64 and bool; for empty tensors it is
  hidden only for the default float dtype.
* ``device`` -- ``None`` for the default (cpu) device, else e.g. ``"opencl:0"``.
* ``grad_fn_name`` -- the class name of the node (``"AddBackward0"``) or ``None``; when it is
  ``None`` and ``requires_grad`` is true, ``requires_grad=True`` is shown.
* ``prefix`` -- ``"tensor("`` normally; continuation lines are indented by its length.

Print options are module-global, as in PyTorch (:func:`set_printoptions`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

__all__ = ["PrintOptions", "set_printoptions", "get_printoptions", "format_tensor"]


@dataclass
class PrintOptions:
    """Global print options; same fields and defaults as PyTorch's."""

    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PRINT_OPTS = PrintOptions()

_PROFILES: dict[str, dict[str, Any]] = {
    "default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
    "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
    "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80),
}


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Set global print options, like ``torch.set_printoptions``.

    A profile is applied first and explicit arguments override it.  As in PyTorch, an
    unknown profile name is ignored and ``sci_mode`` is always assigned (so omitting it
    resets it to ``None``, i.e. automatic).
    """
    if profile is not None:
        for name, value in _PROFILES.get(profile, {}).items():
            setattr(PRINT_OPTS, name, value)
    for name, value in (
        ("precision", precision),
        ("threshold", threshold),
        ("edgeitems", edgeitems),
        ("linewidth", linewidth),
    ):
        if value is not None:
            setattr(PRINT_OPTS, name, value)
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """Return the current print options as a dict."""
    return asdict(PRINT_OPTS)


class _Formatter:
    """Chooses one number style and column width for all elements of a tensor."""

    def __init__(self, values: np.ndarray, is_floating: bool) -> None:
        self.floating = is_floating
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        flat = values.reshape(-1)
        if not is_floating:
            for v in flat.tolist():
                self.max_width = max(self.max_width, len(str(v)))
            return
        flat = flat.astype(np.float64)  # exact for float16/32, as PyTorch's upcast is
        # Zeros and non-finite values take no part in choosing the style or the width.
        nz = flat[np.isfinite(flat) & (flat != 0)]
        if nz.size:  # with nothing to go on, even a forced sci_mode is not applied
            self._choose_float_style(nz)

    def _choose_float_style(self, nz: np.ndarray) -> None:
        p = PRINT_OPTS.precision
        absvals = np.abs(nz)
        lo, hi = float(absvals.min()), float(absvals.max())
        self.int_mode = bool(np.all(nz == np.ceil(nz)))
        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        else:
            self.sci_mode = PRINT_OPTS.sci_mode
        vals = nz.tolist()
        if self.sci_mode:
            widths = (len(f"{v:.{p}e}") for v in vals)
        elif self.int_mode:
            # Integer-valued floats print as "3." -- one extra char for the dot.
            widths = (len(f"{v:.0f}") + 1 for v in vals)
        else:
            widths = (len(f"{v:.{p}f}") for v in vals)
        self.max_width = max(self.max_width, max(widths))

    def width(self) -> int:
        return self.max_width

    def format(self, value: Any) -> str:
        """Format one Python scalar, right-aligned to the common width."""
        p = PRINT_OPTS.precision
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:{self.max_width}.{p}e}"
        elif self.int_mode:
            text = f"{value:.0f}"
            if math.isfinite(value):
                text += "."
        else:
            text = f"{value:.{p}f}"
        return text.rjust(self.max_width)


def _summarized(values: np.ndarray) -> np.ndarray:
    """Keep only the elements that a summarised print shows (for choosing the format)."""
    e = PRINT_OPTS.edgeitems
    if values.ndim == 0:
        return values
    if values.ndim == 1:
        # NB: with e == 0, values[-0:] is the whole array -- PyTorch behaves the same way.
        if values.shape[0] > 2 * e:
            return np.concatenate((values[:e], values[-e:]))
        return values
    if not e:
        return values[tuple(slice(0, 0) for _ in values.shape)]
    rows = range(values.shape[0])
    if values.shape[0] > 2 * e:
        rows = [*range(e), *range(values.shape[0] - e, values.shape[0])]
    return np.stack([_summarized(values[i]) for i in rows])


def _vector_str(values: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    e = PRINT_OPTS.edgeitems
    per_line = max(1, int(math.floor((PRINT_OPTS.linewidth - indent) / (fmt.width() + 2))))
    if summarize and not e:
        items = ["..."]
    elif summarize and values.shape[0] > 2 * e:
        items = [fmt.format(v) for v in values[:e].tolist()] + [" ..."]
        items += [fmt.format(v) for v in values[-e:].tolist()]
    else:
        items = [fmt.format(v) for v in values.tolist()]
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(values: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if values.ndim == 0:
        return fmt.format(values.item())
    if values.ndim == 1:
        return _vector_str(values, indent, summarize, fmt)
    n, e = values.shape[0], PRINT_OPTS.edgeitems
    if summarize and n > 2 * e:
        parts = [_nested_str(values[i], indent + 1, summarize, fmt) for i in range(e)]
        parts.append("...")
        parts += [_nested_str(values[i], indent + 1, summarize, fmt) for i in range(n - e, n)]
    else:
        parts = [_nested_str(values[i], indent + 1, summarize, fmt) for i in range(n)]
    # Blocks of rank k are separated by k-1 newlines (blank lines between 3-D+ blocks).
    return "[" + ("," + "\n" * (values.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def _add_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    """Append ``, key=value`` suffixes, moving one to a new line when it does not fit."""
    # PyTorch's estimate of the last line's length is 2 more than the real one; match it.
    last_len = len(text) - text.rfind("\n") + 1
    out = [text]
    for suffix in suffixes:
        # Lay out as PyTorch would with "torch." in the dtype, so that the result is
        # exactly PyTorch's repr with the module renamed (lines may run 5 chars longer).
        width = len(suffix.replace("=plugtensor.", "=torch."))
        if last_len + width + 2 > PRINT_OPTS.linewidth:
            out.append(",\n" + " " * indent + suffix)
            last_len = indent + width
        else:
            out.append(", " + suffix)
            last_len += width + 2
    out.append(")")
    return "".join(out)


def format_tensor(
    values: np.ndarray,
    *,
    dtype_name: str,
    is_floating: bool,
    default_float_dtype_name: str = "float32",
    device: str | None = None,
    requires_grad: bool = False,
    grad_fn_name: str | None = None,
    prefix: str = "tensor(",
) -> str:
    """Return the PyTorch-style repr of a tensor whose values are ``values``."""
    values = np.asarray(values)
    indent = len(prefix)
    suffixes: list[str] = []
    if device is not None:
        suffixes.append(f"device='{device}'")
    dtype_suffix = f"dtype=plugtensor.{dtype_name}"
    if values.size == 0:
        if values.ndim != 1:
            suffixes.append("size=" + str(tuple(int(d) for d in values.shape)))
        # An empty tensor has no elements to hint at int64/bool, so only the default
        # float dtype goes unmentioned.
        if dtype_name != default_float_dtype_name:
            suffixes.append(dtype_suffix)
        body = "[]"
    else:
        if not PRINT_OPTS.edgeitems:  # PyTorch then always gives the shape
            suffixes.append("size=" + str(tuple(int(d) for d in values.shape)))
        if dtype_name not in (default_float_dtype_name, "int64", "bool"):
            suffixes.append(dtype_suffix)
        summarize = values.size > PRINT_OPTS.threshold
        fmt = _Formatter(_summarized(values) if summarize else values, is_floating)
        body = _nested_str(values, indent, summarize, fmt)
    if grad_fn_name is not None:
        suffixes.append(f"grad_fn=<{grad_fn_name}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)
