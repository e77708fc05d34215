"""`ag.no_grad_records()`: backward without the per-node gradient records, same .grad."""

import numpy as np

import autograd as ag
from autograd import Scalar, Tensor


def small_graph():
    x = Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    w = Tensor(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), requires_grad=True)
    h = (x @ w).tanh()
    h.retain_grad()
    y = (h * h).sum() + h.sum()
    return x, w, h, y


def test_gradients_are_the_same_with_and_without_records():
    x, w, h, y = small_graph()
    y.backward()
    x2, w2, h2, y2 = small_graph()
    with ag.no_grad_records():
        y2.backward()
    for a, b, name in ((x, x2, "x"), (w, w2, "w"), (h, h2, "h (retain_grad)")):
        np.testing.assert_array_equal(a.grad.data, b.grad.data, err_msg=f"{name}.grad differs")


def test_nodes_keep_no_records_inside_and_do_again_after():
    _, _, h, y = small_graph()
    with ag.no_grad_records():
        y.backward(retain_graph=True)
    assert h.grad_fn.grad_outputs is None and h.grad_fn.grad_inputs is None, \
        "a node kept its gradients although records were off"
    y.backward()
    assert h.grad_fn.grad_outputs is not None and h.grad_fn.grad_inputs is not None, \
        "records did not come back after the block"


def test_every_scalar_still_gets_its_grad():
    a = Scalar(0.3)
    b = a * a
    c = b.tanh()
    with ag.no_grad_records():
        c.backward()
    t = np.tanh(0.09)
    assert c.grad == 1.0
    assert abs(b.grad - (1 - t * t)) < 1e-12
    assert abs(a.grad - (1 - t * t) * 2 * 0.3) < 1e-12
    assert c.grad_fn.grad_outputs is None
