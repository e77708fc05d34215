"""nn.functional and the layers without PyTorch: gradients against finite
differences, numerical stability for huge logits, dropout, and every bad input
giving a clear error before anything changes."""

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
from autograd import Tensor

pytestmark = pytest.mark.usefixtures("f64")


def x_away_from_kinks(shape=(3, 4), seed=0):
    x = np.random.default_rng(seed).standard_normal(shape) * 2
    return np.where(np.abs(x) < 0.05, 0.3, x)       # finite differences straddle no kink


@pytest.mark.parametrize("fn", [
    F.relu, F.sigmoid, F.tanh, F.hardtanh, F.gelu, lambda x: F.gelu(x, approximate="tanh"),
    F.softplus, lambda x: F.softplus(x, beta=3.0, threshold=2.0), F.elu, F.leaky_relu, F.silu,
    lambda x: F.softmax(x, 0), lambda x: F.log_softmax(x, 1),
    lambda x: F.prelu(x, Tensor(np.array([0.1, 0.2, 0.3]))),
], ids=["relu", "sigmoid", "tanh", "hardtanh", "gelu", "gelu_tanh", "softplus", "softplus_b3",
        "elu", "leaky_relu", "silu", "softmax", "log_softmax", "prelu"])
def test_activation_gradients_match_finite_differences(fn):
    x = Tensor(x_away_from_kinks((4, 3)), requires_grad=True)
    assert ag.gradcheck(fn, [x])


def test_loss_gradients_match_finite_differences():
    rng = np.random.default_rng(0)
    logits = Tensor(rng.standard_normal((5, 3)), requires_grad=True)
    targets = rng.integers(0, 3, 5)
    probs = Tensor(rng.uniform(0.1, 0.9, (5, 3)), requires_grad=True)
    soft = rng.uniform(0, 1, (5, 3))
    assert ag.gradcheck(lambda z: F.cross_entropy(z, targets), [logits])
    assert ag.gradcheck(lambda z: F.cross_entropy(z, soft / soft.sum(1, keepdims=True)), [logits])
    assert ag.gradcheck(lambda z: F.binary_cross_entropy_with_logits(z, soft, pos_weight=2.0),
                        [logits])
    assert ag.gradcheck(lambda p: F.binary_cross_entropy(p, soft), [probs])
    assert ag.gradcheck(lambda z: F.mse_loss(z, soft), [logits])


def test_bce_with_logits_gradient_at_zero_is_sigmoid_minus_target():
    """At logit 0 the formula max(x,0) - xy + log(1 + e^-|x|) has kinks; the gradient
    must still be sigmoid(0) - y = 0.5 - y."""
    x = Tensor(np.zeros(3), requires_grad=True)
    y = np.array([0.0, 0.3, 1.0])
    F.binary_cross_entropy_with_logits(x, y, reduction="sum").backward()
    np.testing.assert_allclose(x.grad.data, 0.5 - y, rtol=1e-12)


# -- stability ----------------------------------------------------------------------------------

BIG = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4 + 1], [5e3, 1e4, 1e4]])


def stable_log_softmax(z):
    m = z.max(axis=1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))


def test_log_softmax_and_softmax_are_finite_for_huge_logits():
    x = Tensor(BIG, requires_grad=True)
    y = F.log_softmax(x, dim=1)
    np.testing.assert_allclose(y.data, stable_log_softmax(BIG), rtol=1e-12)
    y.sum().backward()
    assert np.all(np.isfinite(x.grad.data))
    s = F.softmax(Tensor(BIG), dim=1)
    np.testing.assert_allclose(s.data.sum(axis=1), 1.0)
    assert np.all(np.isfinite(s.data))


def test_cross_entropy_is_finite_for_huge_logits_with_the_right_gradient():
    x = Tensor(BIG, requires_grad=True)
    t = np.array([1, 2, 0])
    loss = F.cross_entropy(x, t, reduction="sum")
    expected = -stable_log_softmax(BIG)[np.arange(3), t].sum()
    assert np.isfinite(loss.item())
    assert loss.item() == pytest.approx(expected, rel=1e-12)
    loss.backward()
    softmax = np.exp(stable_log_softmax(BIG))
    np.testing.assert_allclose(x.grad.data, softmax - np.eye(3)[t], atol=1e-12)


def test_cross_entropy_of_large_float32_logits_loses_no_digits_to_cancellation():
    # lse(x) - x[y] would cancel two numbers near 1e4 (float32 spacing 1e-3) to a loss of
    # 5e-5; the loss must be as exact as the float32 spacing near the loss's own size allows
    logits = np.array([[1e4, 1e4 - 10, 1e4 - 12], [-3e4, -3e4 + 11, -3e4 - 2]], np.float32)
    t = np.array([0, 1])
    x = Tensor(logits, requires_grad=True)
    loss = F.cross_entropy(x, t, reduction="none")
    logp = stable_log_softmax(logits.astype(np.float64))
    np.testing.assert_allclose(loss.data, -logp[np.arange(2), t], rtol=0, atol=2e-7)
    loss.sum().backward()
    np.testing.assert_allclose(x.grad.data, np.exp(logp) - np.eye(3)[t], rtol=0, atol=2e-7)


def test_bce_with_logits_is_finite_for_huge_logits():
    x = Tensor(np.array([1e4, -1e4, 1e4, -1e4]), requires_grad=True)
    y = np.array([1.0, 0.0, 0.0, 1.0])
    loss = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    np.testing.assert_allclose(loss.data, [0.0, 0.0, 1e4, 1e4], rtol=1e-12, atol=1e-12)
    loss.sum().backward()
    np.testing.assert_allclose(x.grad.data, [0.0, 0.0, 1.0, -1.0], atol=1e-12)


@pytest.mark.parametrize("fn", [F.softplus, F.elu, F.gelu, F.sigmoid, F.silu,
                                lambda x: F.softplus(x, beta=0.01)])
def test_activations_have_finite_gradients_for_huge_inputs(fn):
    x = Tensor(np.array([-1e4, -800.0, 800.0, 1e4]), requires_grad=True)
    with ag.detect_anomaly():
        y = fn(x)
        y.sum().backward()
    assert np.all(np.isfinite(y.data)) and np.all(np.isfinite(x.grad.data))


# -- dropout ---------------------------------------------------------------------------------------

def test_dropout_is_identity_in_eval_and_scaled_mask_in_training():
    d = nn.Dropout(0.25)
    x = Tensor(np.ones((200, 50)))
    y = d(x)
    kept = y.data != 0
    np.testing.assert_allclose(y.data[kept], 1 / 0.75)
    assert 0.70 < kept.mean() < 0.80, "about 1 - p of the elements are kept"
    assert d.eval()(x) is x
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)


def test_dropout_draws_from_the_seeded_generator():
    x = Tensor(np.ones(100))
    ag.manual_seed(3)
    a = F.dropout(x, 0.5).data
    ag.manual_seed(3)
    b = F.dropout(x, 0.5).data
    np.testing.assert_array_equal(a, b)
    assert np.all(F.dropout(x, 1.0).data == 0)


def test_dropout_gradient_is_the_mask():
    x = Tensor(np.ones(50), requires_grad=True)
    y = F.dropout(x, 0.5)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, y.data)


# -- other layers ------------------------------------------------------------------------------------

def test_one_hot():
    np.testing.assert_array_equal(F.one_hot(np.array([2, 0])).data, [[0, 0, 1], [1, 0, 0]])
    assert F.one_hot(np.array([[1]]), 4).shape == (1, 1, 4)
    assert F.one_hot(np.array([1]), 4).dtype == np.int64
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        F.one_hot(np.array([3]), 3)


def test_mlp_accepts_any_activation_spelling():
    for act in ["relu", "Tanh", "gelu", "leaky_relu", nn.ELU, nn.LeakyReLU(0.2), ag.tanh, None]:
        m = nn.MLP(3, [4, 4], 2, activation=act)
        assert m(ag.randn(5, 3)).shape == (5, 2)
    m = nn.MLP(3, [4, 4], 2, activation=nn.PReLU())
    assert m[1] is not m[3] and m[1].weight is not m[3].weight, "each layer gets its own copy"
    with pytest.raises(ValueError, match="unknown activation 'swoosh'"):
        nn.MLP(3, [4], 2, activation="swoosh")


# -- errors: clear, and before anything changes ---------------------------------------------------------

def test_linear_names_itself_expected_and_got():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(5, 2))
    with pytest.raises(ValueError) as err:
        model(ag.randn(2, 3))
    msg = str(err.value)
    assert "Linear(in_features=5, out_features=2)" in msg and "at '2'" in msg
    assert "5 features" in msg and "(2, 4)" in msg


def test_embedding_checks_indices():
    e = nn.Embedding(4, 2)
    with pytest.raises(ValueError, match="index 4 is out of range for 4 embeddings"):
        e(np.array([0, 4]))
    with pytest.raises(ValueError, match="index -1"):
        e(np.array([-1]))
    with pytest.raises(TypeError, match="integers"):
        e(np.array([0.0, 1.0]))


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_reduces_in_its_one_node_as_mean_and_sum_would(reduction, dtype):
    """With every row counted once, F.cross_entropy is one node that reduces the rows'
    losses itself: the same loss and gradient, bit for bit, as the rows' losses
    reduced by their own node."""
    from autograd.ops.reduce import CrossEntropy
    rng = np.random.default_rng(5)
    data = (rng.standard_normal((37, 11)) * 4).astype(dtype)
    target = rng.integers(0, 11, 37)
    x = Tensor(data.copy(), requires_grad=True)
    loss = F.cross_entropy(x, target, reduction=reduction)
    loss.backward()
    assert loss.grad_fn.name == "cross_entropy" and loss.grad_fn.inputs[0] is x
    y = Tensor(data.copy(), requires_grad=True)
    rows = CrossEntropy.apply(y, target)
    want = rows.mean() if reduction == "mean" else rows.sum()
    want.backward()
    assert loss.data.dtype == want.data.dtype == dtype
    np.testing.assert_array_equal(loss.data, want.data)
    np.testing.assert_array_equal(x.grad.data, y.grad.data)


def test_cross_entropy_target_errors():
    x = Tensor(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="target 4 is out of range for 4 classes"):
        F.cross_entropy(x, np.array([0, 4, 1]))
    with pytest.raises(ValueError, match="target -2"):
        F.cross_entropy(x, np.array([0, -2, 1]))
    with pytest.raises(ValueError, match=r"float targets are class probabilities and must have the "
                                         r"input's shape \(3, 4\), got \(3,\)"):
        nn.CrossEntropyLoss()(x, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r"targets must have shape \(3,\)"):
        F.cross_entropy(x, np.array([[0, 1, 2]]))
    with pytest.raises(ValueError, match=r"weight must have shape \(4,\)"):
        F.cross_entropy(x, np.array([0, 1, 2]), weight=np.ones(3))
    with pytest.raises(TypeError, match="integer class indices"):
        F.nll_loss(x, np.array([0.0, 1.0, 2.0]))


def test_cross_entropy_target_check_for_every_integer_dtype_and_ignore_index():
    x = Tensor(np.random.default_rng(1).standard_normal((4, 3)), requires_grad=True)
    logp = stable_log_softmax(x.data)
    expected = -logp[np.arange(4), [0, 2, 0, 2]].mean()
    for dtype in (np.int8, np.int32, np.int64, np.uint8, np.uint64):
        t = np.array([0, 2, 0, 2], dtype=dtype)
        assert F.cross_entropy(x, t).item() == pytest.approx(expected, rel=1e-12), dtype
        # ignore_index a class that no target is: the same loss; one that some are: left out
        assert F.cross_entropy(x, t, ignore_index=1).item() == pytest.approx(expected, rel=1e-12)
        assert F.cross_entropy(x, t, ignore_index=0).item() == pytest.approx(
            -logp[[1, 3], [2, 2]].mean(), rel=1e-12)
    for bad in (np.array([0, -1, 1, 2], np.int8), np.array([0, 3, 1, 2], np.uint8),
                np.array([0, np.iinfo(np.int64).min, 1, 2])):
        with pytest.raises(ValueError, match="out of range for 3 classes"):
            F.cross_entropy(x, bad)


def test_ignore_index_may_be_out_of_range():
    x = Tensor(np.random.default_rng(0).standard_normal((3, 4)), requires_grad=True)
    loss = F.cross_entropy(x, np.array([0, -100, 2]))
    expected = -(stable_log_softmax(x.data)[[0, 2], [0, 2]]).mean()
    assert loss.item() == pytest.approx(expected, rel=1e-12)
    loss.backward()
    assert np.all(x.grad.data[1] == 0), "an ignored sample sends no gradient"


def test_bce_rejects_values_outside_0_1():
    with pytest.raises(ValueError, match=r"probability in \[0, 1\].*from -0.5 to 1.5"):
        nn.BCELoss()(Tensor([-0.5, 0.5, 1.5]), Tensor([0.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match="NaN included: True"):
        F.binary_cross_entropy(Tensor([np.nan, 0.5]), Tensor([0.0, 1.0]))


def test_losses_reject_bad_reduction_and_mismatched_shapes():
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        nn.MSELoss(reduction="avg")
    with pytest.raises(ValueError, match="reduction"):
        F.cross_entropy(Tensor(np.zeros((2, 2))), np.array([0, 1]), reduction="max")
    with pytest.raises(ValueError, match=r"target shape \(4,\) differs from input shape \(4, 1\)"):
        F.mse_loss(Tensor(np.zeros((4, 1))), np.zeros(4))
    with pytest.raises(ValueError, match="target shape"):
        F.binary_cross_entropy_with_logits(Tensor(np.zeros((4, 1))), np.zeros(4))


def test_functional_refuses_scalars_and_strings():
    with pytest.raises(TypeError, match="nn.scalar"):
        F.relu(ag.Scalar(1.0))
    with pytest.raises(TypeError, match="expected a Tensor"):
        F.relu("x")


def test_layer_constructors_check_sizes():
    with pytest.raises(ValueError, match="in_features must be at least 1"):
        nn.Linear(0, 3)
    with pytest.raises(TypeError, match="out_features must be an int"):
        nn.Linear(2, 3.5)
    with pytest.raises(ValueError, match="min_val"):
        nn.Hardtanh(1.0, -1.0)
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU("erf")
    with pytest.raises(ValueError, match="padding_idx"):
        nn.Embedding(3, 2, padding_idx=3)


def _sizes_of_the_wrong_type():
    from nn import optim, scalar
    from nn.data import DataLoader, make_moons
    from nn.generation import beam_search, greedy, sample
    from nn.tbptt import tbptt_chunks
    from nn.text import batchify, bptt_batches, one_hot
    step = lambda t, s: (np.zeros(3), s)                        # noqa: E731
    opt = optim.SGD([nn.Parameter(np.zeros(2))], lr=0.1)
    return [
        ("hidden_size", lambda: nn.LSTM(3, 4.0)),
        ("num_layers", lambda: nn.GRU(3, 4, num_layers=True)),
        ("input_size", lambda: nn.RNNCell(2.5, 4)),
        ("num_parameters", lambda: nn.PReLU(2.0)),
        ("max_len", lambda: greedy(step, [0], 3.0)),
        ("beam_width", lambda: beam_search(step, [0], 3, beam_width=2.0)),
        ("top_k", lambda: sample(step, [0], 3, top_k=True)),
        ("chunk_len", lambda: tbptt_chunks(np.zeros((4, 1)), np.zeros((4, 1)), 2.0)),
        ("num_classes", lambda: one_hot(np.array([0]), 3.0)),
        ("batch_size", lambda: batchify(np.arange(6), 2.0)),
        ("chunk_len", lambda: bptt_batches(np.arange(6)[:, None], 2.5)),
        ("batch_size", lambda: DataLoader(np.zeros(4), batch_size=2.0)),
        ("n_samples", lambda: make_moons(10.0)),
        ("step_size", lambda: optim.StepLR(opt, step_size=2.0)),
        ("nin", lambda: scalar.Neuron(2.0)),
        ("nout", lambda: scalar.Layer(2, True)),
    ]


@pytest.mark.parametrize("name,call", _sizes_of_the_wrong_type(),
                         ids=[f"{n}-{i}" for i, (n, _) in enumerate(_sizes_of_the_wrong_type())])
def test_a_size_or_count_that_is_not_an_int_is_a_type_error_naming_it(name, call):
    with pytest.raises(TypeError, match=name):
        call()


def test_float32_models_stay_float32():
    ag.set_default_dtype(np.float32)            # the f64 fixture restores the default after
    model = nn.MLP(2, [8], 3)
    x = np.random.default_rng(0).standard_normal((5, 2)).astype(np.float32)
    logits = model(x)
    assert logits.dtype == np.float32
    losses = [F.cross_entropy(logits, np.array([0, 1, 2, 0, 1])),
              F.binary_cross_entropy_with_logits(logits, np.zeros((5, 3))),      # float64 targets
              F.mse_loss(logits, np.ones((5, 3)))]
    assert all(loss.dtype == np.float32 for loss in losses), [loss.dtype for loss in losses]
    sum(losses[1:], losses[0]).backward()
    opt = nn.optim.Adam(model.parameters(), lr=0.1, weight_decay=0.01)
    opt.step()
    assert all(p.dtype == np.float32 and p.grad.dtype == np.float32 for p in model.parameters())


def test_loss_weights_given_as_lists_keep_a_float32_loss_float32():
    ag.set_default_dtype(np.float32)            # the f64 fixture restores the default after
    logits = Tensor(np.array([[0.3, -1.2], [2.0, 0.1]], np.float32), requires_grad=True)
    targets = np.array([[0.0, 1.0], [1.0, 0.0]], np.float32)
    losses = {"BCELoss(weight)": nn.BCELoss(weight=[1.0, 2.0])(logits.sigmoid(), targets),
              "BCEWithLogitsLoss(weight)": nn.BCEWithLogitsLoss(weight=[1.0, 2.0])(logits, targets),
              "BCEWithLogitsLoss(pos_weight)": nn.BCEWithLogitsLoss(pos_weight=[3.0, 0.5])(logits, targets),
              "CrossEntropyLoss(weight)": nn.CrossEntropyLoss(weight=[1.0, 2.0])(logits, np.array([1, 0]))}
    dtypes = {name: loss.dtype for name, loss in losses.items()}
    assert all(d == np.float32 for d in dtypes.values()), f"float64 weights promoted the loss: {dtypes}"
    sum(losses.values(), Tensor(np.float32(0))).backward()
    assert logits.grad.dtype == np.float32, f"gradient dtype {logits.grad.dtype}"
