"""The pytest plugin (entry point ``pytest11``): the ``--device`` option and expected failures.

It only touches tests of this package: installing it changes nothing for other pytest runs except
that ``--device`` (alias ``--plugtensor-device``) is accepted. Without ``--device`` the conformance
tests, if collected at all, are skipped with a note saying how to run them::

    pytest --pyargs plugtensor_conformance --device=cpu
"""
from __future__ import annotations

from pathlib import Path

import pytest

__all__ = ["PACKAGE_DIR", "target_from_config", "dtype_params", "test_id", "cell_of", "in_suite"]

PACKAGE_DIR = Path(__file__).resolve().parent
_NO_DEVICE = "pass --device=TYPE[:INDEX] to run the plugtensor conformance suite"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("plugtensor-conformance", "plugtensor conformance suite")
    try:
        group.addoption("--device", "--plugtensor-device", dest="plugtensor_device", default=None,
                        metavar="DEVICE", help="device the plugtensor conformance suite tests (e.g. cpu, opencl:0)")
    except ValueError:  # another plugin owns --device: keep the long name only
        group.addoption("--plugtensor-device", dest="plugtensor_device", default=None, metavar="DEVICE",
                        help="device the plugtensor conformance suite tests (e.g. cpu, opencl:0)")
    group.addoption("--plugtensor-plugin", dest="plugtensor_plugins", action="append", default=[], metavar="MODULE",
                    help="import MODULE and register it as a plugtensor plugin first (a backend under development)")
    group.addoption("--plugtensor-xfail", dest="plugtensor_xfail", default=None, metavar="FILE",
                    help="expected-failures file to use instead of the backend's own")
    group.addoption("--plugtensor-quick", dest="plugtensor_quick", action="store_true", default=False,
                    help="a quick subset: dtypes bool/int64/float32 only, first-order gradients on float32 only")


def target_from_config(config: pytest.Config):
    """The device under test (a ``Target``), or None when ``--device`` was not given."""
    device = config.getoption("plugtensor_device", None)
    if not device:
        return None
    # Every kernel result of the backend under test is checked for shape and dtype during the run.
    from plugtensor.backend import set_kernel_checks
    set_kernel_checks(True)
    from ._target import resolve_target
    return resolve_target(device, tuple(config.getoption("plugtensor_plugins", [])),
                          config.getoption("plugtensor_xfail", None), config.getoption("plugtensor_quick", False))


def dtype_params(config: pytest.Config, only=None) -> list[str]:
    """The dtype columns to parametrize over: the device's tested dtypes, optionally only those in
    ``only`` (all nine without a device, so that the skipped tests still show)."""
    from ._harness import ALL_DTYPES
    t = target_from_config(config)
    names = ALL_DTYPES if t is None else t.tested_dtypes
    return [d for d in names if only is None or d in only]


def in_suite(item: pytest.Item) -> bool:
    try:
        return Path(str(item.path)).resolve().is_relative_to(PACKAGE_DIR)
    except (OSError, ValueError):
        return False


def test_id(item: pytest.Item) -> str:
    """``FILE::TEST[PARAMS]`` relative to the package: what expected-failure patterns match."""
    rel = Path(str(item.path)).resolve().relative_to(PACKAGE_DIR).as_posix()
    return f"{rel}::{item.nodeid.split('::', 1)[1]}" if "::" in item.nodeid else rel


def cell_of(item: pytest.Item) -> tuple[str, str]:
    """The (row, column) of the report table a test belongs to: (op name or feature area, dtype or 'any')."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    op = params.get("op")
    row = op.name if hasattr(op, "name") else getattr(getattr(item, "module", None), "AREA", Path(str(item.path)).stem)
    col = params.get("dtype")
    return row, col if isinstance(col, str) else "any"


def _empty_parametrization(item: pytest.Item) -> bool:
    """A test whose parameter list came out empty (e.g. no second derivatives in --quick mode)."""
    return any(str(m.kwargs.get("reason", "")).startswith("got empty parameter set") for m in item.iter_markers("skip"))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list) -> None:
    ours = [it for it in items if in_suite(it)]
    if not ours:
        return
    empty = [it for it in ours if _empty_parametrization(it)]
    if empty:  # nothing to run there: deselect rather than report a skip
        config.hook.pytest_deselected(items=empty)
        items[:] = [it for it in items if it not in empty]
        ours = [it for it in ours if it not in empty]
    target = target_from_config(config)
    for item in ours:
        # Overflow to inf and nan are behaviour under test: NumPy-based backends warn about them.
        item.add_marker(pytest.mark.filterwarnings("ignore::RuntimeWarning"))
        tid = test_id(item)
        row, col = cell_of(item)
        info = {"id": tid, "row": row, "column": col, "xfail": None}
        if target is None:
            item.add_marker(pytest.mark.skip(reason=_NO_DEVICE))
        else:
            hit = target.xfail.match(tid)
            if hit is not None:
                info["xfail"] = {"pattern": hit[0], "reason": hit[1]}
                item.add_marker(pytest.mark.xfail(reason=hit[1], strict=True))
        item.user_properties.append(("plugtensor_conformance", info))
