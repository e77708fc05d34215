"""Optimizers and schedulers against PyTorch: from the same start, on the same
loss, 20 steps of every optimizer with every option follow PyTorch's trajectory
(rtol 1e-6, float64)."""

import numpy as np
import pytest

import autograd as ag
import nn
from autograd import Tensor
from nn import optim

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.usefixtures("f64")

R = np.random.default_rng(0)
W0, B0 = R.standard_normal((3, 4)), R.standard_normal(3)
X, Y = R.standard_normal((6, 4)), R.standard_normal((6, 3))


def loss_ours(w, b):
    h = (Tensor(X) @ w.T + b).tanh()
    return ((h - Tensor(Y)) ** 2).mean() + (w * w * w).sum() * 0.01


def loss_torch(w, b):
    h = torch.tanh(torch.tensor(X) @ w.T + b)
    return ((h - torch.tensor(Y)) ** 2).mean() + (w * w * w).sum() * 0.01


def trajectories(ours_cls, theirs_cls, kwargs, steps=20, groups=False):
    w, b = nn.Parameter(W0), nn.Parameter(B0)
    wt, bt = (torch.tensor(W0, requires_grad=True), torch.tensor(B0, requires_grad=True))
    if groups:
        params = [{"params": [w]}, {"params": [b], "lr": kwargs["lr"] * 3}]
        params_t = [{"params": [wt]}, {"params": [bt], "lr": kwargs["lr"] * 3}]
    else:
        params, params_t = [w, b], [wt, bt]
    opt, opt_t = ours_cls(params, **kwargs), theirs_cls(params_t, **kwargs)
    for step in range(steps):
        opt.zero_grad()
        opt_t.zero_grad()
        loss_ours(w, b).backward()
        loss_torch(wt, bt).backward()
        opt.step()
        opt_t.step()
        for ours, theirs, name in ((w, wt, "weight"), (b, bt, "bias")):
            np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-6, atol=1e-12,
                                       err_msg=f"{name} after step {step + 1}")
    return opt, (w, b)


CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.5)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.1, weight_decay=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.8, weight_decay=0.05, nesterov=True)),
    ("SGD", dict(lr=0.1, momentum=0.5, maximize=True)),
    ("Adagrad", dict()),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, initial_accumulator_value=0.3, eps=1e-6)),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, alpha=0.9)),
    ("RMSprop", dict(lr=0.01, weight_decay=0.1, eps=1e-4)),
    ("Adam", dict()),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.99))),
    ("Adam", dict(lr=0.05, amsgrad=True)),
    ("Adam", dict(lr=0.05, weight_decay=0.1)),
    ("Adam", dict(lr=0.05, weight_decay=0.1, amsgrad=True, eps=1e-6)),
    ("AdamW", dict(lr=0.05)),
    ("AdamW", dict(lr=0.05, weight_decay=0.1, amsgrad=True)),
]


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_twenty_steps_follow_torch(name, kwargs):
    trajectories(getattr(optim, name), getattr(torch.optim, name), kwargs)


@pytest.mark.parametrize("name,kwargs", [("SGD", dict(lr=0.1, momentum=0.9)),
                                         ("Adam", dict(lr=0.05)), ("RMSprop", dict(lr=0.01))])
def test_param_groups_with_their_own_lr_follow_torch(name, kwargs):
    trajectories(getattr(optim, name), getattr(torch.optim, name), kwargs, groups=True)


def test_defaults_are_torch_defaults():
    p = [nn.Parameter(np.zeros(2))]
    pt = [torch.zeros(2, requires_grad=True)]
    for name in ("Adagrad", "RMSprop", "Adam", "AdamW"):
        ours = getattr(optim, name)(p).defaults
        theirs = getattr(torch.optim, name)(pt).defaults
        for k, v in ours.items():
            assert theirs[k] == v, f"{name} default {k}: {v} vs torch {theirs[k]}"


@pytest.mark.parametrize("name,kwargs", [("SGD", dict(lr=0.1, momentum=0.9)),
                                         ("Adam", dict(lr=0.05, amsgrad=True)),
                                         ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
                                         ("Adagrad", dict(lr=0.1))])
def test_state_dict_resumes_the_same_trajectory(name, kwargs):
    """Save after 10 steps, load into a fresh optimizer over copied parameters, and
    the next 10 steps are the same as those of the original."""
    opt, (w, b) = trajectories(getattr(optim, name), getattr(torch.optim, name), kwargs, steps=10)
    saved = opt.state_dict()
    w2, b2 = nn.Parameter(w.data), nn.Parameter(b.data)
    opt2 = getattr(optim, name)([w2, b2], **kwargs)
    opt2.load_state_dict(saved)
    for _ in range(10):
        for o, (pw, pb) in ((opt, (w, b)), (opt2, (w2, b2))):
            o.zero_grad()
            loss_ours(pw, pb).backward()
            o.step()
    np.testing.assert_array_equal(w.data, w2.data)
    np.testing.assert_array_equal(b.data, b2.data)
    assert [g["params"] for g in saved["param_groups"]] == [[0, 1]]
    assert set(saved["state"]) == {0, 1}


@pytest.mark.parametrize("sched,kwargs", [("StepLR", dict(step_size=3, gamma=0.5)),
                                          ("ExponentialLR", dict(gamma=0.9))])
def test_schedulers_follow_torch(sched, kwargs):
    p = [nn.Parameter(np.zeros(2))]
    pt = [torch.zeros(2, requires_grad=True)]
    opt, opt_t = optim.SGD(p, lr=0.1), torch.optim.SGD(pt, lr=0.1)
    s, st = getattr(optim, sched)(opt, **kwargs), getattr(torch.optim.lr_scheduler, sched)(opt_t, **kwargs)
    for epoch in range(10):
        assert s.get_last_lr() == pytest.approx(st.get_last_lr(), rel=1e-12), f"epoch {epoch}"
        assert opt.param_groups[0]["lr"] == pytest.approx(opt_t.param_groups[0]["lr"], rel=1e-12)
        opt_t.step()
        opt.step()
        s.step()
        st.step()


def test_clip_grad_norm_matches_torch():
    grads = [R.standard_normal((3, 4)), R.standard_normal(5)]
    for norm_type, max_norm in ((2.0, 0.5), (1.0, 100.0), (float("inf"), 0.3), (3.0, 1.0)):
        ps = [nn.Parameter(np.zeros_like(g)) for g in grads]
        pts = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
        for p, pt, g in zip(ps, pts, grads):
            p.grad = Tensor(g.copy())
            pt.grad = torch.tensor(g.copy())
        total = nn.utils.clip_grad_norm_(ps, max_norm, norm_type)
        total_t = torch.nn.utils.clip_grad_norm_(pts, max_norm, norm_type)
        assert isinstance(total, float)
        assert total == pytest.approx(float(total_t), rel=1e-12)
        for p, pt in zip(ps, pts):
            np.testing.assert_allclose(p.grad.data, pt.grad.numpy(), rtol=1e-12)
