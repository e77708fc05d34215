"""Fixtures for the nn tests: `f64` runs a test with float64 as the default dtype
(parity with PyTorch is checked in float64) and a fixed seed."""

import numpy as np
import pytest

import autograd as ag


@pytest.fixture
def f64():
    previous = ag.get_default_dtype()
    ag.set_default_dtype(np.float64)
    ag.manual_seed(0)
    yield
    ag.set_default_dtype(previous)
