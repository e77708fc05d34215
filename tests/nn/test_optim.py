"""Optimizers, schedulers and clipping without PyTorch: gradient descent reaches the
optimum of logistic regression (found independently by Newton's method), gradients
are never written in place, and bad arguments give clear errors."""

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
from autograd import Tensor
from nn import optim

pytestmark = pytest.mark.usefixtures("f64")


def logistic_data(n=80, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    p = 1 / (1 + np.exp(-(X @ np.array([1.5, -2.0, 0.5]) + 0.3)))
    y = (rng.uniform(size=n) < p).astype(np.float64)      # noisy labels: a finite optimum
    return X, y


def newton_optimum(X, y, iterations=50):
    """Minimise the mean logistic loss with Newton's method, in numpy alone."""
    A = np.hstack([X, np.ones((len(X), 1))])
    theta = np.zeros(A.shape[1])
    for _ in range(iterations):
        s = 1 / (1 + np.exp(-A @ theta))
        grad = A.T @ (s - y) / len(y)
        hess = (A * (s * (1 - s))[:, None]).T @ A / len(y)
        theta -= np.linalg.solve(hess, grad)
    z = A @ theta
    loss = np.mean(np.logaddexp(0, z) - y * z)
    return theta, loss


def test_gradient_descent_reaches_the_logistic_regression_optimum():
    X, y = logistic_data()
    theta, best = newton_optimum(X, y)
    model = nn.Linear(3, 1)
    opt = optim.SGD(model.parameters(), lr=2.0)
    for step in range(3000):
        loss = F.binary_cross_entropy_with_logits(model(X).reshape(-1), y)
        if loss.item() - best < 1e-8:
            break
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() - best < 1e-6, f"loss {loss.item()} vs optimum {best} after {step} steps"
    assert loss.item() >= best - 1e-12, "nothing can beat the optimum"
    np.testing.assert_allclose(model.weight.data.ravel(), theta[:3], atol=1e-3)
    np.testing.assert_allclose(model.bias.data, theta[3:], atol=1e-3)


@pytest.mark.parametrize("make", [lambda p: optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.1),
                                  lambda p: optim.Adam(p, lr=0.1, amsgrad=True),
                                  lambda p: optim.RMSprop(p, centered=True, momentum=0.5),
                                  lambda p: optim.Adagrad(p, lr=0.1),
                                  lambda p: optim.AdamW(p)])
def test_step_never_writes_into_gradients(make):
    """Two parameters whose .grad share one array: the array must survive a step,
    and each parameter must move as if it had its own copy."""
    shared = np.array([1.0, -2.0, 3.0])
    a, b = nn.Parameter(np.zeros(3)), nn.Parameter(np.zeros(3))
    c = nn.Parameter(np.zeros(3))
    a.grad = Tensor(shared)
    b.grad = Tensor(shared)
    c.grad = Tensor(shared.copy())
    opt = make([a, b, c])
    opt.step()
    opt.step()
    np.testing.assert_array_equal(shared, [1.0, -2.0, 3.0])
    np.testing.assert_array_equal(a.data, c.data)
    np.testing.assert_array_equal(b.data, c.data)


def test_sgd_step_by_hand():
    p = nn.Parameter(np.array([1.0, 2.0]))
    opt = optim.SGD([p], lr=0.5, momentum=0.9)
    for g, expected in (([1.0, 1.0], [0.5, 1.5]),          # b = g
                        ([2.0, 0.0], [-0.95, 1.05])):     # b = 0.9 b + g = (2.9, 0.9)
        p.grad = Tensor(np.array(g))
        opt.step()
        np.testing.assert_allclose(p.data, expected, rtol=1e-12)


def test_adam_first_step_is_lr_times_sign():
    """After bias correction, Adam's first step is lr * g / (|g| + eps) ~ lr * sign(g)."""
    p = nn.Parameter(np.array([0.0, 0.0, 0.0]))
    p.grad = Tensor(np.array([3.0, -0.01, 1e3]))
    optim.Adam([p], lr=0.1).step()
    np.testing.assert_allclose(p.data, [-0.1, 0.1, -0.1], rtol=1e-6)


def test_zero_grad_and_skipping_parameters_without_gradients():
    a, b = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(2))
    opt = optim.SGD([a, b], lr=1.0)
    a.grad = Tensor(np.ones(2))
    opt.step()
    np.testing.assert_array_equal(a.data, [0.0, 0.0])
    np.testing.assert_array_equal(b.data, [1.0, 1.0])
    opt.zero_grad()
    assert a.grad is None and b.grad is None


def test_step_with_closure_returns_the_loss():
    p = nn.Parameter(np.array([3.0]))
    opt = optim.SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    assert opt.step(closure).item() == 9.0
    np.testing.assert_allclose(p.data, [1.5])


@pytest.mark.parametrize("make,match,kind", [
    (lambda p: optim.SGD([], lr=0.1), "empty parameter list", ValueError),
    (lambda p: optim.SGD(p, lr=-0.1), "invalid learning rate lr -0.1", ValueError),
    (lambda p: optim.Adam(p, lr=-1), "invalid learning rate", ValueError),
    (lambda p: optim.SGD(p, lr=0.1, nesterov=True), "Nesterov momentum requires", ValueError),
    (lambda p: optim.SGD(p, lr=0.1, momentum=-1), "invalid momentum", ValueError),
    (lambda p: optim.Adam(p, betas=(1.0, 0.9)), "beta1", ValueError),
    (lambda p: optim.RMSprop(p, alpha=-0.5), "alpha", ValueError),
    (lambda p: optim.Adagrad(p, lr_decay=-1), "lr_decay", ValueError),
    (lambda p: optim.SGD(p, lr="fast"), "must be a number", TypeError),
    (lambda p: optim.SGD(p[0], lr=0.1), "single Tensor", TypeError),
    (lambda p: optim.SGD([np.zeros(2)], lr=0.1), "can only optimize Tensors", TypeError),
    (lambda p: optim.SGD([p[0] * 2], lr=0.1), "non-leaf", ValueError),
    (lambda p: optim.SGD([p[0], p[0]], lr=0.1), "twice", ValueError),
    (lambda p: optim.SGD([{"params": p}, {"params": p}], lr=0.1), "more than one group", ValueError),
])
def test_bad_optimizer_arguments(make, match, kind):
    with pytest.raises(kind, match=match):
        make([nn.Parameter(np.zeros(2))])


def test_load_state_dict_mismatch_raises_and_keeps_the_state():
    a = nn.Parameter(np.zeros(2))
    opt = optim.Adam([a], lr=0.1)
    a.grad = Tensor(np.ones(2))
    opt.step()
    before = opt.state_dict()
    other = optim.Adam([nn.Parameter(np.zeros(3))], lr=0.5)
    other.param_groups[0]["params"][0].grad = Tensor(np.ones(3))
    other.step()
    with pytest.raises(ValueError, match=r"state 'exp_avg' of parameter 0 has shape \(3,\)"):
        opt.load_state_dict(other.state_dict())
    with pytest.raises(ValueError, match="2 parameter groups"):
        opt.load_state_dict({"state": {}, "param_groups": [before["param_groups"][0]] * 2})
    after = opt.state_dict()
    assert after["param_groups"] == before["param_groups"]
    np.testing.assert_array_equal(after["state"][0]["exp_avg"], before["state"][0]["exp_avg"])


def test_state_dict_is_a_copy():
    a = nn.Parameter(np.zeros(2))
    opt = optim.SGD([a], lr=0.1, momentum=0.9)
    a.grad = Tensor(np.ones(2))
    opt.step()
    sd = opt.state_dict()
    sd["state"][0]["momentum_buffer"][:] = 99
    sd["param_groups"][0]["lr"] = 5.0
    assert opt.param_groups[0]["lr"] == 0.1
    assert not np.any(opt.state[a]["momentum_buffer"] == 99)


def test_step_lr_and_exponential_lr_by_hand():
    opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=1.0)
    s = optim.StepLR(opt, step_size=2, gamma=0.5)
    lrs = []
    for _ in range(6):
        lrs.append(opt.param_groups[0]["lr"])
        s.step()
    assert lrs == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    opt = optim.Adam([nn.Parameter(np.zeros(1))], lr=0.1)
    e = optim.ExponentialLR(opt, gamma=0.5)
    e.step()
    e.step()
    assert e.get_last_lr() == [pytest.approx(0.025)]
    with pytest.raises(ValueError, match="step_size"):
        optim.StepLR(opt, step_size=0)


# -- clipping --------------------------------------------------------------------------------

def test_clip_grad_norm_returns_the_norm_before_clipping_and_scales_jointly():
    a, b = nn.Parameter(np.zeros(2)), nn.Parameter(np.zeros(1))
    a.grad, b.grad = Tensor(np.array([3.0, 0.0])), Tensor(np.array([4.0]))
    total = nn.utils.clip_grad_norm_([a, b], max_norm=1.0)
    assert total == pytest.approx(5.0)
    scale = 1.0 / (5.0 + 1e-6)
    np.testing.assert_allclose(a.grad.data, [3 * scale, 0.0])
    np.testing.assert_allclose(b.grad.data, [4 * scale])
    assert nn.utils.clip_grad_norm_([a, b], max_norm=10.0) == pytest.approx(1.0, rel=1e-5)
    np.testing.assert_allclose(b.grad.data, [4 * scale], err_msg="below max_norm: unchanged")


def test_clipping_never_writes_into_shared_gradients():
    shared = np.array([30.0, -40.0])
    a, b = nn.Parameter(np.zeros(2)), nn.Parameter(np.zeros(2))
    a.grad, b.grad = Tensor(shared), Tensor(shared)
    nn.utils.clip_grad_norm_([a, b], 1.0)
    np.testing.assert_array_equal(shared, [30.0, -40.0])
    np.testing.assert_allclose(a.grad.data, b.grad.data)
    np.testing.assert_allclose(np.sqrt(2) * np.linalg.norm(a.grad.data), 1.0, rtol=1e-5)
    nn.utils.clip_grad_value_([a, b], 0.1)
    np.testing.assert_array_equal(shared, [30.0, -40.0])
    assert np.all(np.abs(a.grad.data) <= 0.1)


def test_clipping_arguments():
    p = nn.Parameter(np.zeros(2))
    assert nn.utils.clip_grad_norm_(p, 1.0) == 0.0, "no gradients: norm 0"
    with pytest.raises(ValueError, match="max_norm"):
        nn.utils.clip_grad_norm_([p], -1.0)
    with pytest.raises(ValueError, match="clip_value"):
        nn.utils.clip_grad_value_([p], -1.0)
    with pytest.raises(TypeError, match="not a Tensor"):
        nn.utils.clip_grad_norm_([np.zeros(2)], 1.0)
    p.grad = Tensor(np.array([np.inf, 1.0]))
    with pytest.raises(RuntimeError, match="error_if_nonfinite"):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
