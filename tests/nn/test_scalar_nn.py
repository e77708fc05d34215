"""nn.scalar: networks of Scalars, one node per weight. Labels for drawings, the
lecture's worked example by hand, and agreement with the Tensor MLP."""

import math

import numpy as np
import pytest

import autograd as ag
import nn
from autograd import Scalar, Tensor
from nn import scalar

pytestmark = pytest.mark.usefixtures("f64")


def test_labels_of_the_two_two_one_network():
    net = scalar.MLP(2, [2, 1], activation="tanh")
    assert [p.label for p in net.parameters()] == [
        "L1.w11", "L1.w12", "L1.b1", "L1.w21", "L1.w22", "L1.b2", "L2.w11", "L2.w12", "L2.b1"]
    assert all(isinstance(p, Scalar) for p in net.parameters())
    out = net([1.0, 2.0])
    assert isinstance(out, Scalar) and out.label == "L2.z1"
    assert out.grad_fn.scope == "L2"


def test_labels_of_a_lone_neuron_and_layer():
    n = scalar.Neuron(3, activation="sigmoid")
    assert [p.label for p in n.parameters()] == ["w1", "w2", "w3", "b"]
    assert n([0.0, 0.0, 0.0]).label == "a"
    layer = scalar.Layer(12, 1)
    assert layer.parameters()[11].label == "w1,12", "indices past 9 get a comma"


def test_worked_example_by_hand():
    """x = (1, 2); hidden tanh neurons with weights set by hand; linear output.
    Forward and every weight's gradient computed by hand with the chain rule."""
    net = scalar.MLP(2, [2, 1], activation="tanh")
    net.set_weights([([[0.5, -1.0], [0.25, 0.75]], [0.1, -0.2]), ([[1.5, -2.0]], [0.3])])
    x = [1.0, 2.0]
    y = net(x)
    z1, z2 = 0.5 * 1 - 1.0 * 2 + 0.1, 0.25 * 1 + 0.75 * 2 - 0.2
    h1, h2 = math.tanh(z1), math.tanh(z2)
    assert y.data == pytest.approx(1.5 * h1 - 2.0 * h2 + 0.3, rel=1e-12)
    y.backward()
    g = {p.label: p.grad for p in net.parameters()}
    assert g["L2.w11"] == pytest.approx(h1) and g["L2.w12"] == pytest.approx(h2)
    assert g["L2.b1"] == pytest.approx(1.0)
    d1, d2 = 1.5 * (1 - h1 ** 2), -2.0 * (1 - h2 ** 2)        # dy/dz1, dy/dz2
    assert g["L1.w11"] == pytest.approx(d1 * 1) and g["L1.w12"] == pytest.approx(d1 * 2)
    assert g["L1.w21"] == pytest.approx(d2 * 1) and g["L1.w22"] == pytest.approx(d2 * 2)
    assert g["L1.b1"] == pytest.approx(d1) and g["L1.b2"] == pytest.approx(d2)


def test_weights_are_settable_one_by_one():
    n = scalar.Neuron(2, activation="linear")
    n.w[0].data, n.w[1].data, n.b.data = 2.0, -3.0, 0.5
    assert n([1.0, 1.0]).data == pytest.approx(-0.5)


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_scalar_and_tensor_mlps_agree_on_outputs_and_gradients(activation):
    ag.manual_seed(0)
    tensor_net = nn.MLP(3, [4, 3], 2, activation=activation)
    scalar_net = scalar.MLP(3, [4, 3, 2], activation=activation)
    linears = [m for m in tensor_net if isinstance(m, nn.Linear)]
    scalar_net.set_weights([(m.weight, m.bias) for m in linears])
    X = np.random.default_rng(1).standard_normal((5, 3))

    out = tensor_net(Tensor(X))
    out.sum().backward()
    total = Scalar(0.0)
    for row, expected in zip(X, out.data):
        got = scalar_net(list(row))
        np.testing.assert_allclose([v.data for v in got], expected, rtol=1e-12)
        total = total + got[0] + got[1]
    total.backward()
    for layer, linear in zip(scalar_net.layers, linears):
        w_grad = [[w.grad for w in n.w] for n in layer.neurons]
        b_grad = [n.b.grad for n in layer.neurons]
        np.testing.assert_allclose(w_grad, linear.weight.grad.data, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(b_grad, linear.bias.grad.data, rtol=1e-10, atol=1e-14)


def test_default_init_is_pytorch_like_and_seeded():
    ag.manual_seed(5)
    a = [p.data for p in scalar.MLP(4, [8, 1]).parameters()]
    ag.manual_seed(5)
    b = [p.data for p in scalar.MLP(4, [8, 1]).parameters()]
    assert a == b
    assert max(abs(v) for v in a[:40]) <= 1 / math.sqrt(4)


def test_zero_grad_and_errors():
    net = scalar.MLP(2, [3, 1])
    net([1.0, -1.0]).backward()
    net.zero_grad()
    assert all(p.grad == 0.0 for p in net.parameters())
    with pytest.raises(ValueError, match="expected 2 inputs, got 3"):
        net([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="input 1 must be a number or a Scalar"):
        net(["a", 1.0])
    with pytest.raises(ValueError, match="activation must be one of"):
        scalar.Neuron(2, activation="gelu")
    before = [p.data for p in net.parameters()]
    with pytest.raises(ValueError, match=r"needs weight \(1, 3\)"):
        net.set_weights([(np.zeros((3, 2)), np.zeros(3)), (np.zeros((1, 2)), np.zeros(1))])
    assert [p.data for p in net.parameters()] == before, "a failed set_weights changes nothing"
