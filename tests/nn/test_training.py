"""Training end to end: mini-batches, the two-moons data, and an MLP that learns it."""

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
from autograd import Tensor
from nn import optim
from nn.data import DataLoader, batches, make_moons

pytestmark = pytest.mark.usefixtures("f64")


def test_make_moons_shapes_labels_and_geometry():
    X, y = make_moons(101, noise=0.0, seed=0)
    assert X.shape == (101, 2) and y.shape == (101,) and y.dtype == np.int64
    assert (y == 0).sum() == 50 and (y == 1).sum() == 51
    outer, inner = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(*outer.T), 1.0)                       # unit circle
    np.testing.assert_allclose(np.hypot(inner[:, 0] - 1, inner[:, 1] - 0.5), 1.0)
    a, _ = make_moons(50, noise=0.2, seed=3)
    b, _ = make_moons(50, noise=0.2, seed=3)
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="noise"):
        make_moons(10, noise=-1)


@pytest.mark.parametrize("batch_size,sizes", [(32, [32, 32, 32, 4]), (100, [100]), (1, [1] * 100),
                                              (150, [100])])
def test_batches_cover_every_sample_once_and_keep_the_last_partial_batch(batch_size, sizes):
    X = np.arange(200.0).reshape(100, 2)
    y = np.arange(100)
    got = list(batches(X, y, batch_size=batch_size, seed=0))
    assert [len(b[1]) for b in got] == sizes
    seen = np.concatenate([b[1] for b in got])
    assert sorted(seen) == list(range(100))
    for xb, yb in got:
        np.testing.assert_array_equal(xb, X[yb], err_msg="X and y rows must stay paired")


def test_batches_shuffle_is_seeded_and_optional():
    X = np.arange(10)
    a = np.concatenate(list(batches(X, batch_size=3, seed=1)))
    b = np.concatenate(list(batches(X, batch_size=3, seed=1)))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, X)
    in_order = np.concatenate(list(batches(X, batch_size=3, shuffle=False)))
    np.testing.assert_array_equal(in_order, X)
    assert [len(b) for b in batches(X, batch_size=3, shuffle=False, drop_last=True)] == [3, 3, 3]


def test_data_loader_reshuffles_each_epoch_and_returns_tensors_for_tensors():
    X = Tensor(np.arange(20.0).reshape(10, 2))
    loader = DataLoader(X, np.arange(10), batch_size=4, shuffle=True, seed=0)
    assert len(loader) == 3
    first = [yb.tolist() for _, yb in loader]
    second = [yb.tolist() for _, yb in loader]
    assert first != second
    xb, _ = next(iter(loader))
    assert isinstance(xb, Tensor) and not xb.requires_grad


def test_batch_arguments_are_checked():
    with pytest.raises(ValueError, match=r"same number of samples.*\[3, 4\]"):
        list(batches(np.zeros((3, 2)), np.zeros(4)))
    with pytest.raises(ValueError, match="batch_size"):
        list(batches(np.zeros(3), batch_size=0))
    with pytest.raises(TypeError, match="array or a Tensor"):
        DataLoader("abc")


def test_mlp_learns_two_moons():
    ag.manual_seed(0)
    X, y = make_moons(200, noise=0.1, seed=0)
    model = nn.MLP(2, [16, 16], 2)
    opt = optim.Adam(model.parameters(), lr=0.02)
    for epoch in range(60):
        for xb, yb in batches(X, y, batch_size=32, seed=epoch):
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
    with ag.no_grad():
        accuracy = (model(X).data.argmax(axis=1) == y).mean()
    assert accuracy >= 0.95, f"accuracy {accuracy:.3f} after training"


def test_tiny_mlp_with_sigmoid_output_learns_two_moons_by_full_batch_descent():
    ag.manual_seed(1)
    X, y = make_moons(100, noise=0.05, seed=1)
    model = nn.MLP(2, [16], 1, activation="tanh")
    opt = optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    loss_fn = nn.BCEWithLogitsLoss()
    for _ in range(300):
        loss = loss_fn(model(X).reshape(-1), y.astype(np.float64))
        opt.zero_grad()
        loss.backward()
        opt.step()
    accuracy = ((model(X).data.ravel() > 0) == y).mean()
    assert accuracy >= 0.95, f"accuracy {accuracy:.3f}"
