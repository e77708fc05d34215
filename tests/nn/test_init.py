"""nn.init: in place, seeded, with the bounds and spreads of PyTorch's formulas
(computed here by hand from fan-in and fan-out)."""

import math

import numpy as np
import pytest

import autograd as ag
import nn
from nn import init

pytestmark = pytest.mark.usefixtures("f64")


def param(*shape):
    return nn.Parameter(np.zeros(shape))


def test_fills_in_place_and_returns_the_tensor():
    p = param(3, 4)
    arr = p.data
    assert init.uniform_(p) is p
    assert p.data is arr, "the array keeps its identity (views and optimizers still see it)"
    assert p.grad_fn is None


def test_draws_are_repeatable_with_manual_seed():
    ag.manual_seed(7)
    a = init.kaiming_normal_(param(5, 5)).data.copy()
    ag.manual_seed(7)
    b = init.kaiming_normal_(param(5, 5)).data.copy()
    np.testing.assert_array_equal(a, b)


def test_uniform_normal_constant():
    p = init.uniform_(param(200, 50), -2.0, 3.0)
    assert p.data.min() >= -2.0 and p.data.max() < 3.0
    assert p.data.mean() == pytest.approx(0.5, abs=0.05)
    p = init.normal_(param(200, 50), mean=1.0, std=0.5)
    assert p.data.mean() == pytest.approx(1.0, abs=0.02) and p.data.std() == pytest.approx(0.5, rel=0.03)
    assert np.all(init.constant_(param(2, 2), 0.3).data == 0.3)
    assert np.all(init.ones_(param(2)).data == 1) and np.all(init.zeros_(param(2)).data == 0)
    np.testing.assert_array_equal(init.eye_(param(2, 3)).data, np.eye(2, 3))


def test_fan_in_and_fan_out():
    assert init._calculate_fan_in_and_fan_out(param(7, 3)) == (3, 7)
    assert init._calculate_fan_in_and_fan_out(param(4, 3, 2, 5)) == (30, 40)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(param(5))


@pytest.mark.parametrize("fn,bound", [
    (lambda p: init.xavier_uniform_(p), math.sqrt(6 / (300 + 200))),
    (lambda p: init.xavier_uniform_(p, gain=2.0), 2 * math.sqrt(6 / (300 + 200))),
    (lambda p: init.kaiming_uniform_(p), math.sqrt(3) * math.sqrt(2 / (1 + 0.0)) / math.sqrt(200)),
    (lambda p: init.kaiming_uniform_(p, a=math.sqrt(5)), 1 / math.sqrt(200)),
    (lambda p: init.kaiming_uniform_(p, mode="fan_out", nonlinearity="relu"),
     math.sqrt(3) * math.sqrt(2) / math.sqrt(300)),
])
def test_uniform_schemes_reach_but_never_pass_their_bound(fn, bound):
    p = fn(param(300, 200))
    assert np.abs(p.data).max() <= bound
    assert np.abs(p.data).max() > 0.99 * bound


@pytest.mark.parametrize("fn,std", [
    (lambda p: init.xavier_normal_(p), math.sqrt(2 / (300 + 200))),
    (lambda p: init.kaiming_normal_(p, nonlinearity="relu"), math.sqrt(2) / math.sqrt(200)),
    (lambda p: init.kaiming_normal_(p, a=0.2, mode="fan_out"),
     math.sqrt(2 / (1 + 0.04)) / math.sqrt(300)),
])
def test_normal_schemes_have_their_std(fn, std):
    p = fn(param(300, 200))
    assert p.data.std() == pytest.approx(std, rel=0.02)
    assert abs(p.data.mean()) < 0.01 * std * 10


@pytest.mark.parametrize("shape", [(4, 6), (6, 4), (3, 2, 2)])
def test_orthogonal_rows_or_columns_are_orthonormal(shape):
    p = init.orthogonal_(param(*shape), gain=2.0)
    q = p.data.reshape(shape[0], -1) / 2.0
    small = min(q.shape)
    gram = q @ q.T if q.shape[0] == small else q.T @ q
    np.testing.assert_allclose(gram, np.eye(small), atol=1e-12)


def test_calculate_gain_values():
    assert init.calculate_gain("linear") == 1 and init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01 ** 2)))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")


def test_bad_targets_and_modes():
    with pytest.raises(TypeError, match="float tensor"):
        init.uniform_(nn.Parameter(np.zeros(2)).detach().to(np.int64))
    with pytest.raises(TypeError, match="Tensor"):
        init.normal_([1.0, 2.0])
    with pytest.raises(ValueError, match="'fan_in' or 'fan_out'"):
        init.kaiming_uniform_(param(2, 2), mode="fan_avg")
    with pytest.raises(ValueError, match="2 or more dimensions"):
        init.orthogonal_(param(3))


def test_default_layer_initialisation():
    """Linear: U(-1/sqrt(in), 1/sqrt(in)) for weight and bias; Embedding: N(0, 1)."""
    lin = nn.Linear(16, 400)
    bound = 1 / 4
    for p in (lin.weight, lin.bias):
        assert np.abs(p.data).max() <= bound and np.abs(p.data).max() > 0.97 * bound
    assert lin.weight.data.std() == pytest.approx(bound / math.sqrt(3), rel=0.05)
    emb = nn.Embedding(300, 40)
    assert emb.weight.data.mean() == pytest.approx(0.0, abs=0.02)
    assert emb.weight.data.std() == pytest.approx(1.0, rel=0.03)
    assert nn.Linear(2, 3).weight.dtype == np.float64     # the default dtype (float64 here)
