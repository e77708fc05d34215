"""Layers, activations and losses against PyTorch, in float64: the same values, and
the same gradients for a random upstream gradient (rtol 1e-10)."""

import math

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
from autograd import Tensor

torch = pytest.importorskip("torch")
tF = torch.nn.functional

pytestmark = pytest.mark.usefixtures("f64")
RTOL, ATOL = 1e-10, 1e-12


def compare(ours, theirs, *arrays, grad_of=None, rtol=RTOL, atol=ATOL, seed=0):
    """Run ours(*Tensors) and theirs(*torch tensors) on the same arrays, compare the
    outputs, then backpropagate the same random gradient and compare input grads.
    `grad_of` lists which arrays get gradients (default: all float ones)."""
    if grad_of is None:
        grad_of = [i for i, a in enumerate(arrays) if np.asarray(a).dtype.kind == "f"]
    ts = [Tensor(np.array(a), requires_grad=i in grad_of) for i, a in enumerate(arrays)]
    tt = [torch.tensor(np.array(a), requires_grad=i in grad_of) for i, a in enumerate(arrays)]
    y, yt = ours(*ts), theirs(*tt)
    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=rtol, atol=atol,
                               err_msg="forward values differ")
    g = np.random.default_rng(seed).standard_normal(y.shape)
    y.backward(g)
    yt.backward(torch.tensor(g))
    for i in grad_of:
        np.testing.assert_allclose(ts[i].grad.data, tt[i].grad.numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"gradient of input {i} differs")
    return ts, tt


# inputs with the awkward points: 0, the hardtanh edges, softplus's threshold, big values
KINKS = np.array([-30.0, -20.0, -1.0, -0.5, 0.0, 1e-3, 0.5, 1.0, 2.0, 20.0, 25.0])


def sample(shape=(4, 5), seed=1):
    x = np.random.default_rng(seed).standard_normal(shape) * 2
    return np.concatenate([x.ravel(), KINKS]).reshape(-1, 1) * np.ones((1, 3))


ACTIVATIONS = [
    ("relu", F.relu, tF.relu),
    ("relu6", F.relu6, tF.relu6),
    ("sigmoid", F.sigmoid, torch.sigmoid),
    ("tanh", F.tanh, torch.tanh),
    ("hardtanh", F.hardtanh, tF.hardtanh),
    ("hardtanh(-2,0.5)", lambda x: F.hardtanh(x, -2.0, 0.5), lambda x: tF.hardtanh(x, -2.0, 0.5)),
    ("gelu", F.gelu, tF.gelu),
    ("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), lambda x: tF.gelu(x, approximate="tanh")),
    ("silu", F.silu, tF.silu),
    ("softplus", F.softplus, tF.softplus),
    ("softplus(2,5)", lambda x: F.softplus(x, 2.0, 5.0), lambda x: tF.softplus(x, 2.0, 5.0)),
    ("elu", F.elu, tF.elu),
    ("elu(0.7)", lambda x: F.elu(x, 0.7), lambda x: tF.elu(x, 0.7)),
    ("leaky_relu", F.leaky_relu, tF.leaky_relu),
    ("leaky_relu(0.2)", lambda x: F.leaky_relu(x, 0.2), lambda x: tF.leaky_relu(x, 0.2)),
    ("softmax0", lambda x: F.softmax(x, 0), lambda x: tF.softmax(x, 0)),
    ("softmax1", lambda x: F.softmax(x, 1), lambda x: tF.softmax(x, 1)),
    ("log_softmax0", lambda x: F.log_softmax(x, 0), lambda x: tF.log_softmax(x, 0)),
    ("log_softmax-1", lambda x: F.log_softmax(x, -1), lambda x: tF.log_softmax(x, -1)),
]


@pytest.mark.parametrize("name,ours,theirs", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation_functions_match_torch(name, ours, theirs):
    compare(ours, theirs, sample())


MODULES = [
    (nn.ReLU(), torch.nn.ReLU()), (nn.Sigmoid(), torch.nn.Sigmoid()), (nn.Tanh(), torch.nn.Tanh()),
    (nn.Hardtanh(-0.5, 2.0), torch.nn.Hardtanh(-0.5, 2.0)), (nn.GELU(), torch.nn.GELU()),
    (nn.GELU("tanh"), torch.nn.GELU("tanh")), (nn.Softplus(0.5, 10), torch.nn.Softplus(0.5, 10)),
    (nn.ELU(2.0), torch.nn.ELU(2.0)), (nn.LeakyReLU(0.1), torch.nn.LeakyReLU(0.1)),
    (nn.Softmax(dim=1), torch.nn.Softmax(dim=1)), (nn.LogSoftmax(dim=1), torch.nn.LogSoftmax(dim=1)),
    (nn.Identity(), torch.nn.Identity()), (nn.SiLU(), torch.nn.SiLU()), (nn.ReLU6(), torch.nn.ReLU6()),
]


@pytest.mark.parametrize("ours,theirs", MODULES, ids=[type(m[0]).__name__ for m in MODULES])
def test_activation_modules_match_torch_and_print_alike(ours, theirs):
    compare(ours, theirs, sample())
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("num_parameters", [1, 3])
def test_prelu_matches_torch_including_the_slope_gradient(num_parameters):
    ours, theirs = nn.PReLU(num_parameters), torch.nn.PReLU(num_parameters).double()
    x = sample()[:12].reshape(4, 3, 3)
    xt = torch.tensor(x, requires_grad=True)
    y, yt = ours(Tensor(x)), theirs(xt)
    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=RTOL)
    g = np.random.default_rng(0).standard_normal(y.shape)
    y.backward(g)
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(ours.weight.grad.data, theirs.weight.grad.numpy(), rtol=RTOL)
    assert [n for n, _ in ours.named_parameters()] == list(theirs.state_dict())


def test_linear_matches_torch():
    ours = nn.Linear(5, 3)
    theirs = torch.nn.Linear(5, 3).double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((2, 4, 5))
    xt = torch.tensor(x, requires_grad=True)
    xo = Tensor(x, requires_grad=True)
    y, yt = ours(xo), theirs(xt)
    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=RTOL)
    g = np.random.default_rng(1).standard_normal(y.shape)
    y.backward(g)
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(xo.grad.data, xt.grad.numpy(), rtol=RTOL)
    np.testing.assert_allclose(ours.weight.grad.data, theirs.weight.grad.numpy(), rtol=RTOL)
    np.testing.assert_allclose(ours.bias.grad.data, theirs.bias.grad.numpy(), rtol=RTOL)
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("padding_idx", [None, 2])
def test_embedding_matches_torch(padding_idx):
    theirs = torch.nn.Embedding(6, 4, padding_idx=padding_idx).double()
    ours = nn.Embedding(6, 4, padding_idx=padding_idx)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    idx = np.array([[0, 2, 5], [2, 2, 1]])
    y, yt = ours(idx), theirs(torch.tensor(idx))
    np.testing.assert_array_equal(y.data, yt.detach().numpy())
    g = np.random.default_rng(0).standard_normal(y.shape)
    y.backward(g)
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(ours.weight.grad.data, theirs.weight.grad.numpy(), rtol=RTOL)
    assert repr(ours) == repr(theirs)


def test_embedding_default_init_has_a_zero_padding_row():
    e = nn.Embedding(5, 3, padding_idx=-1)
    assert e.padding_idx == 4 and np.all(e.weight.data[4] == 0)


# -- losses --------------------------------------------------------------------------------------

REDUCTIONS = ["mean", "sum", "none"]


def rng(seed=0):
    return np.random.default_rng(seed)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_and_l1_match_torch(reduction):
    x, y = rng().standard_normal((4, 3)), rng(1).standard_normal((4, 3))
    compare(lambda a, b: F.mse_loss(a, b, reduction=reduction),
            lambda a, b: tF.mse_loss(a, b, reduction=reduction), x, y)
    compare(lambda a, b: nn.L1Loss(reduction=reduction)(a, b),
            lambda a, b: torch.nn.L1Loss(reduction=reduction)(a, b), x, y, grad_of=[0])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_bce_matches_torch(reduction, weighted):
    p = np.concatenate([rng().uniform(0.01, 0.99, 10), [0.0, 1.0, 1e-50, 0.5]])
    y = np.concatenate([rng(1).uniform(0, 1, 10), [0.0, 1.0, 1.0, 0.0]])
    w = rng(2).uniform(0.5, 2.0, p.shape) if weighted else None
    wt = None if w is None else torch.tensor(w)
    w10, wt10 = (None, None) if w is None else (w[:10], wt[:10])
    compare(lambda a, b: nn.BCELoss(w10, reduction)(a, b),
            lambda a, b: torch.nn.BCELoss(wt10, reduction=reduction)(a, b), p[:10], y[:10])
    # p = 0 or 1 exactly: PyTorch clamps the logs at -100, so the loss is finite
    # (values only: there PyTorch's gradient is its own clamped formula, not a derivative)
    ours = F.binary_cross_entropy(p, y, w, reduction=reduction)
    theirs = tF.binary_cross_entropy(torch.tensor(p), torch.tensor(y), wt, reduction=reduction)
    assert np.all(np.isfinite(ours.data))
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=RTOL)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", ["plain", "weight", "pos_weight", "both"])
def test_bce_with_logits_matches_torch(reduction, options):
    x = np.concatenate([rng().standard_normal((5, 3)) * 3, [[0.0, 40.0, -40.0]]])
    y = np.concatenate([rng(1).uniform(0, 1, (5, 3)), [[1.0, 0.0, 1.0]]])
    w = rng(2).uniform(0.5, 2, (6, 3)) if options in ("weight", "both") else None
    pw = np.array([0.5, 2.0, 3.0]) if options in ("pos_weight", "both") else None
    t = lambda a: None if a is None else torch.tensor(a)
    compare(lambda a, b: nn.BCEWithLogitsLoss(w, reduction, pos_weight=pw)(a, b),
            lambda a, b: torch.nn.BCEWithLogitsLoss(t(w), reduction=reduction, pos_weight=t(pw))(a, b),
            x, y)


CE_CASES = {
    "2d": ((6, 4), (6,)),
    "4d": ((3, 4, 2, 5), (3, 2, 5)),
    "unbatched": ((4,), ()),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", list(CE_CASES))
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore", [False, True])
def test_cross_entropy_and_nll_match_torch(reduction, case, weighted, ignore):
    xshape, tshape = CE_CASES[case]
    x = rng().standard_normal(xshape) * 2
    t = rng(1).integers(0, 4, tshape)
    ignore_index = -100
    if ignore:
        ignore_index = 1 if case != "unbatched" else int(t)   # unbatched: its one target ignored
    w = np.array([0.5, 1.0, 2.0, 3.0]) if weighted else None
    wt = None if w is None else torch.tensor(w)
    kw = dict(ignore_index=ignore_index, reduction=reduction)
    if case == "unbatched" and ignore and reduction == "mean":
        y = F.cross_entropy(Tensor(x), t, w, **kw)
        yt = tF.cross_entropy(torch.tensor(x), torch.tensor(t), wt, **kw)
        assert np.isnan(y.item()) and torch.isnan(yt), "everything ignored: NaN, as PyTorch"
        return
    compare(lambda a, b: nn.CrossEntropyLoss(w, **kw)(a, b),
            lambda a, b: torch.nn.CrossEntropyLoss(wt, **kw)(a, b), x, t)
    cdim = 0 if x.ndim == 1 else 1
    logp = tF.log_softmax(torch.tensor(x), cdim).numpy()
    compare(lambda a, b: F.nll_loss(a, b, w, **kw), lambda a, b: tF.nll_loss(a, b, wt, **kw), logp, t)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_with_class_probabilities_matches_torch(reduction, weighted):
    x = rng().standard_normal((5, 4, 3))
    p = rng(1).uniform(0, 1, (5, 4, 3))
    p /= p.sum(axis=1, keepdims=True)
    w = np.array([0.5, 1.0, 2.0, 3.0]) if weighted else None
    wt = None if w is None else torch.tensor(w)
    compare(lambda a, b: F.cross_entropy(a, b, w, reduction=reduction),
            lambda a, b: tF.cross_entropy(a, b, wt, reduction=reduction), x, p)


def test_loss_reprs_and_buffers_match_torch():
    w = np.array([1.0, 2.0])
    assert repr(nn.CrossEntropyLoss()) == repr(torch.nn.CrossEntropyLoss())
    assert list(nn.CrossEntropyLoss(w).state_dict()) == \
        list(torch.nn.CrossEntropyLoss(torch.tensor(w)).state_dict())
    assert list(nn.BCEWithLogitsLoss(w, pos_weight=w).state_dict()) == \
        list(torch.nn.BCEWithLogitsLoss(torch.tensor(w), pos_weight=torch.tensor(w)).state_dict())


# -- initialisation and names ---------------------------------------------------------------------

def test_mlp_state_dict_names_and_shapes_match_torch_sequential():
    ours = nn.MLP(3, [8, 5], 2, activation="tanh")
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 5),
                                 torch.nn.Tanh(), torch.nn.Linear(5, 2)).double()
    sd, sdt = ours.state_dict(), theirs.state_dict()
    assert list(sd) == list(sdt)
    assert all(sd[k].shape == tuple(sdt[k].shape) for k in sd)
    ours.load_state_dict({k: v.numpy() for k, v in sdt.items()})
    x = rng().standard_normal((4, 3))
    np.testing.assert_allclose(ours(x).data, theirs(torch.tensor(x)).detach().numpy(), rtol=RTOL)


def test_linear_default_init_bounds_match_torch():
    """PyTorch: weight and bias ~ U(-1/sqrt(in), 1/sqrt(in)); compare the largest
    magnitudes over many draws with torch's own layers."""
    n_in = 9
    ours = np.concatenate([np.abs(nn.Linear(n_in, 50).weight.data).ravel() for _ in range(20)])
    theirs = np.concatenate([torch.nn.Linear(n_in, 50).weight.detach().abs().numpy().ravel()
                             for _ in range(20)])
    bound = 1 / math.sqrt(n_in)
    assert ours.max() <= bound and theirs.max() <= bound
    assert ours.max() > 0.99 * bound and theirs.max() > 0.99 * bound
    biases = np.concatenate([np.abs(nn.Linear(n_in, 50).bias.data) for _ in range(20)])
    assert bound * 0.99 < biases.max() <= bound
    # the same distribution: uniform, so the mean |w| is bound / 2 for both
    assert abs(ours.mean() - theirs.mean()) < 0.03 * bound


@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 2, 2), (7, 1)])
@pytest.mark.parametrize("nonlinearity,param", [("relu", None), ("leaky_relu", 0.2), ("tanh", None),
                                                 ("sigmoid", None), ("selu", None)])
def test_fans_and_gains_match_torch(shape, nonlinearity, param):
    t = nn.Parameter(np.zeros(shape))
    assert nn.init._calculate_fan_in_and_fan_out(t) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.zeros(shape))
    assert nn.init.calculate_gain(nonlinearity, param) == \
        pytest.approx(torch.nn.init.calculate_gain(nonlinearity, param))
