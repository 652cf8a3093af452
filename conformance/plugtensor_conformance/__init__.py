"""plugtensor-conformance: the one arbiter of whether a plugtensor backend is correct.

Run it on a device::

    python -m plugtensor_conformance --device cpu --report out.json
    pytest --pyargs plugtensor_conformance --device=cpu

The op table (:mod:`plugtensor_conformance.optable`) drives the per-op tests; the other test modules
check views, in-place ops, dtype promotion, special values, device transfers, printing, autograd, random numbers,
error behaviour, training and threads. See docs/conformance.md.
"""
from __future__ import annotations

__version__ = "0.1.0"

from ._xfail import XfailList, find_xfail_file, load_xfail  # noqa: E402 - the expected-failures file API

__all__ = ["run", "load_xfail", "find_xfail_file", "XfailList", "__version__"]


def run(device: str, *, report: str | None = None, keyword: str | None = None, quick: bool = False,
        plugins: tuple[str, ...] = (), xfail: str | None = None, stream=None, progress: bool = True) -> int:
    """Run the suite on ``device`` (in this process), print the table to ``stream`` (stdout), write
    the JSON ``report``; return the exit code: 0 when everything passed or failed as expected.

    ``keyword`` is a pytest ``-k`` expression, ``plugins`` module names to register as plugtensor
    plugins first, ``xfail`` an expected-failures file replacing the backend's own."""
    from ._runner import run_suite
    return run_suite(device, report=report, keyword=keyword, quick=quick, plugins=plugins, xfail=xfail,
                     stream=stream, progress=progress)
