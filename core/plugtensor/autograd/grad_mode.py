"""Thread-local switches for gradient recording: ``no_grad``, ``enable_grad``, ``set_grad_enabled``."""
from __future__ import annotations

import functools
import threading

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode"]


class _GradState(threading.local):
    enabled = True  # class default: every new thread starts with recording on, as in PyTorch


_state = _GradState()


def is_grad_enabled() -> bool:
    """Whether operations on tensors that require grad are being recorded in this thread."""
    return _state.enabled


class _GradModeBase:
    """A context manager that is also a decorator (``@no_grad()`` and ``@no_grad``)."""

    _mode: bool

    def __enter__(self) -> None:
        self._prev = _state.enabled
        _state.enabled = self._mode

    def __exit__(self, *exc) -> None:
        _state.enabled = self._prev

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return func(*args, **kwargs)
        return wrapper

    def __new__(cls, func=None):
        self = super().__new__(cls)
        if callable(func):  # used as a bare decorator: @no_grad
            return self(func)
        return self  # no __init__: object's takes the argument, one Python call less per `with`


class no_grad(_GradModeBase):
    """Disable gradient recording in this thread: results of ops have ``requires_grad=False``.

    >>> import plugtensor as pt
    >>> x = pt.ones(2, requires_grad=True)
    >>> with pt.no_grad():
    ...     (x * 2).requires_grad
    False
    """

    _mode = False


class enable_grad(_GradModeBase):
    """Re-enable gradient recording inside a ``no_grad`` block."""

    _mode = True


class inference_mode(no_grad):
    """Accepted for PyTorch compatibility; behaves like ``no_grad``."""

    def __new__(cls, mode=True):
        self = _GradModeBase.__new__(cls)
        if callable(mode):
            return self(mode)
        self._mode = not mode
        return self

    def __init__(self, mode=True) -> None:
        pass


class set_grad_enabled:
    """Set recording on or off; works as a function, a context manager, or a decorator."""

    def __init__(self, mode: bool) -> None:
        self._prev = _state.enabled
        self._mode = bool(mode)
        _state.enabled = self._mode

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc) -> None:
        _state.enabled = self._prev

    def __call__(self, func):
        _state.enabled = self._prev
        mode = self._mode

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return func(*args, **kwargs)
        return wrapper
