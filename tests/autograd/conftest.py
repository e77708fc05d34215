"""Fixtures of the autograd tests: every test starts from the engine's defaults."""

import numpy as np
import pytest

import autograd as ag
from autograd.graph import state


def _reset():
    ag.set_default_dtype(np.float32)
    state.grad_enabled, state.scope, state.anomaly = True, "", False


@pytest.fixture(autouse=True)
def engine_defaults():
    """Default dtype float32, grad mode on, no scope, no anomaly mode; restored afterwards."""
    _reset()
    yield
    _reset()


def pytest_terminal_summary(terminalreporter):
    from op_specs import OPS
    checked = sum(spec.gradcheck for spec in OPS)
    with_torch = sum(spec.torch is not None for spec in OPS)
    terminalreporter.write_line(
        f"autograd op table: {len(OPS)} rows, {checked} gradchecked in float64, "
        f"{with_torch} compared with PyTorch (values and gradients), "
        f"{len(OPS)} compared with numpy")
