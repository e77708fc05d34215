"""Reductions take shortcuts on their usual inputs; these tests pin the results of
the shortcuts to numpy's own and cover the cases that leave them."""

import numpy as np
import pytest

import autograd as ag


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, axis", [((128,), None), ((7, 13), 1), ((7, 13), 0),
                                         ((3, 4, 5), (0, 2)), ((), None)])
def test_mean_gives_numpys_mean_to_the_last_bit(dtype, shape, axis):
    a = (np.random.default_rng(0).standard_normal(shape) * 1e3).astype(dtype)
    got = ag.Tensor(a).mean(axis=axis).data
    expected = np.mean(a, axis=axis)
    assert got.dtype == expected.dtype and got.shape == np.shape(expected)
    assert np.array_equal(got, expected), "mean must round exactly as np.mean does"


def test_mean_of_integers_is_float64_as_numpys():
    got = ag.Tensor(np.array([1, 2, 4])).mean()
    assert got.dtype == np.float64 and got.item() == pytest.approx(7 / 3)


def test_a_reduced_gradient_arriving_transposed_is_spread_back_right():
    # y.T makes the gradient reaching sum's backward a non-contiguous view
    rng = np.random.default_rng(1)
    x = ag.Tensor(rng.standard_normal((3, 4, 5)), requires_grad=True)
    w = rng.standard_normal((4, 3))
    (x.sum(axis=2).T * w).sum().backward()
    expected = np.broadcast_to(w.T[:, :, None], (3, 4, 5))
    np.testing.assert_array_equal(x.grad.data, expected)


def test_the_gradient_of_a_mean_becomes_a_writeable_grad_of_its_own():
    x = ag.Tensor(np.zeros((4, 3), np.float32), requires_grad=True)
    x.mean().backward()
    np.testing.assert_array_equal(x.grad.data, np.full((4, 3), 1 / 12, np.float32))
    assert x.grad.data.flags.writeable and x.grad.data.flags.owndata, \
        "the stride-0 view backward makes must be copied into .grad"
    x.grad.data[0, 0] = 5.0
    assert x.grad.data[1, 1] == np.float32(1 / 12), "one entry of .grad must not alias the others"


def test_logsumexp_over_rows_keeps_nan_and_infinite_rows_as_the_max_formula_does():
    a = np.array([[1.0, 2.0, 3.0],
                  [np.nan, 0.0, 1.0],
                  [-np.inf, -np.inf, -np.inf],
                  [np.inf, 0.0, 1.0],
                  [-1e4, 1e4, 0.0]])
    with np.errstate(invalid="ignore"):
        got = ag.Tensor(a).logsumexp(dim=1).data
        m = a.max(axis=1, keepdims=True)
        expected = (m + np.log(np.exp(a - m).sum(axis=1, keepdims=True)))[:, 0]
    np.testing.assert_array_equal(got, expected)
