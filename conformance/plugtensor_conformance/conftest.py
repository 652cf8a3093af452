"""Fixtures of the conformance tests (kept here, not in the pytest11 plugin, so that they exist only
for this package's tests)."""
from __future__ import annotations

import pytest

import plugtensor as pt

from .plugin import target_from_config


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest):
    """The device under test (see ``_target.Target``)."""
    t = target_from_config(request.config)
    if t is None:
        pytest.skip("pass --device=TYPE[:INDEX] to run the plugtensor conformance suite")
    return t


@pytest.fixture(scope="session")
def device(target) -> str:
    """The device string under test, e.g. ``"cpu"`` or ``"opencl:0"``."""
    return target.device


@pytest.fixture(autouse=True)
def _clean_state():
    """Every test starts from PyTorch's defaults: float32 default dtype, grad mode on, cpu default device."""
    yield
    if pt.get_default_dtype() is not pt.float32:
        pt.set_default_dtype(pt.float32)
    if not pt.is_grad_enabled():
        pt.set_grad_enabled(True)

