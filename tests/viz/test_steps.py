"""viz.backprop_steps: the steps agree with the engine's own backward and change nothing."""

import numpy as np
import pytest

import autograd as ag
import viz
from autograd import Scalar, Tensor
from autograd.graph import Node, topological_order
from autograd.ops import sum_to
from viz import examples


def first(step):
    return step.node[0] if isinstance(step.node, tuple) else step.node


def test_scalar_steps_follow_the_engines_order_and_reach_every_grad():
    loss, mlp = examples.lecture_mlp(backward=False)
    steps = viz.backprop_steps(loss)
    order = [v for v in reversed(topological_order(loss)) if type(v) is not Node]
    assert [id(s.node) for s in steps] == [id(v) for v in order]
    loss.backward()
    for s in steps:   # a Scalar keeps its gradient, intermediate ones included
        assert s.upstream == pytest.approx(s.node.grad, abs=1e-15), s


def test_scalar_local_is_backward_of_one_and_downstream_is_upstream_times_local():
    x, w = Scalar(3.0, label="x"), Scalar(-2.0, label="w")
    y = (x * w).tanh()
    steps = viz.backprop_steps(y)
    tanh_step, mul_step = steps[0], steps[1]
    assert tanh_step.op == "tanh" and tanh_step.local[0] == pytest.approx(1 - np.tanh(-6.0) ** 2)
    assert mul_step.op == "mul" and mul_step.local == (-2.0, 3.0)
    for s in steps:
        for loc, d in zip(s.local, s.downstream):
            assert d == pytest.approx(s.upstream * loc)
    assert [s.kind for s in steps] == ["elementwise", "elementwise", "leaf", "leaf"]


def test_tensor_steps_sum_to_every_leafs_grad_in_an_lstm():
    loss, lstm, _ = examples.unrolled_lstm(seq_len=3, num_layers=2, backward=False)
    steps = viz.backprop_steps(loss)
    loss.backward()
    leaves = {id(s.node): s for s in steps if s.kind == "leaf"}
    for name, p in lstm.named_parameters():
        assert np.allclose(leaves[id(p)].upstream, p.grad.data, rtol=1e-5, atol=1e-7), name


def test_what_reaches_a_value_is_the_sum_of_what_its_consumers_sent():
    loss, hs = examples.lecture_rnn(backward=False)
    steps = viz.backprop_steps(loss)
    sent = {}
    for s in steps:
        for a, d in zip(s.inputs, s.downstream):
            if d is not None:
                sent[id(a)] = sent.get(id(a), 0) + d
    for s in steps[1:]:
        assert np.allclose(s.upstream, sent[id(first(s))]), s
    loss.backward()
    for h in hs[1:]:   # h_t kept its gradient (retain_grad)
        step = next(s for s in steps if s.node is h)
        assert np.allclose(step.upstream, h.grad.data), h.label


def test_elementwise_downstream_is_upstream_times_local_even_when_broadcasting():
    a = Tensor(np.array([[1.0, -2.0, 0.5], [0.3, 0.2, -0.1]]), requires_grad=True)
    b = Tensor(np.array([0.5, 2.0, -1.0]), requires_grad=True)
    y = ((a * b).sigmoid() / (b + 3.0)).sum()
    steps = viz.backprop_steps(y)
    checked = 0
    for s in steps:
        if s.kind != "elementwise":
            continue
        for inp, loc, d in zip(s.inputs, s.local, s.downstream):
            if d is None:
                continue
            full = np.broadcast_shapes(np.shape(s.upstream), np.shape(loc))
            product = np.broadcast_to(s.upstream, full) * loc
            assert np.allclose(sum_to(product, inp.shape), d), (s, inp.shape)
            checked += 1
    assert checked >= 5


def test_local_of_a_reduction_is_each_elements_own_derivative():
    x = Tensor(np.array([[1.0, 4.0], [3.0, 2.0]]), requires_grad=True)
    steps = viz.backprop_steps(x.max(axis=1).sum() + x.mean())
    max_step = next(s for s in steps if s.op == "max")
    assert max_step.kind == "structural"
    assert np.array_equal(max_step.local[0], [[0.0, 1.0], [1.0, 0.0]])
    mean_step = next(s for s in steps if s.op == "mean")
    assert np.allclose(mean_step.local[0], np.full((2, 2), 0.25))


def test_local_of_matmul_is_none():
    W = Tensor(np.eye(2), requires_grad=True)
    step = viz.backprop_steps((W @ Tensor([1.0, 2.0])).sum())[1]
    assert step.op == "matmul" and step.local == (None, None) and step.kind == "other"
    assert np.allclose(step.downstream[0], [[1.0, 2.0], [1.0, 2.0]])


def test_a_multi_output_op_is_one_step_after_all_its_outputs():
    x = Tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    parts = x.unbind(0)
    y = (parts[0] * 2 + parts[2] * 3).sum()
    steps = viz.backprop_steps(y)
    unbind = [s for s in steps if s.op == "unbind"]
    assert len(unbind) == 1 and len(unbind[0].node) == 3
    # the unused output's gradient is zeros, as the driver fills it
    assert [np.asarray(g).tolist() for g in unbind[0].upstream] == [[2.0, 2.0], [0.0, 0.0], [3.0, 3.0]]
    assert steps[-1].node is x and np.allclose(steps[-1].upstream, [[2, 2], [0, 0], [3, 3]])


def test_backprop_steps_changes_no_gradient_and_no_record():
    loss, mlp = examples.lecture_mlp(retain_graph=True)
    grads = [p.grad for p in mlp.parameters()]
    record = loss.grad_fn.grad_inputs
    viz.backprop_steps(loss)
    assert [p.grad for p in mlp.parameters()] == grads
    assert loss.grad_fn.grad_inputs is record
    tensor_loss, hs = examples.lecture_rnn(retain_graph=True)
    before = [h.grad.data.copy() for h in hs[1:]]
    viz.backprop_steps(tensor_loss)
    assert all(np.array_equal(h.grad.data, b) for h, b in zip(hs[1:], before))


def test_a_freed_graph_is_a_clear_runtime_error_that_suggests_retain_graph():
    loss, mlp = examples.lecture_mlp()            # a plain backward frees the saved values
    grads = [p.grad for p in mlp.parameters()]
    with pytest.raises(RuntimeError, match=r"backprop_steps: this graph was freed .*"
                                           r"retain_graph=True"):
        viz.backprop_steps(loss)
    assert [p.grad for p in mlp.parameters()] == grads, "the failed call changed nothing"


def test_steps_before_and_after_a_retained_backward_agree():
    loss, _ = examples.lecture_rnn(backward=False)
    before = viz.backprop_steps(loss)
    loss.backward(retain_graph=True)
    after = viz.backprop_steps(loss)
    assert [s.op for s in before] == [s.op for s in after]
    for a, b in zip(before, after):
        assert np.allclose(a.upstream, b.upstream)


def test_steps_with_an_explicit_gradient():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x * x
    steps = viz.backprop_steps(y, grad=np.array([1.0, -1.0]))
    assert np.allclose(steps[-1].upstream, [2.0, -4.0])


def test_bad_inputs():
    with pytest.raises(TypeError, match="backprop_steps: root must be a Tensor or a Scalar"):
        viz.backprop_steps(1.0)
    with pytest.raises(RuntimeError, match="does not require grad"):
        viz.backprop_steps(Tensor([1.0]) * 2)
    with pytest.raises(RuntimeError, match="one element"):
        viz.backprop_steps(Tensor([1.0, 2.0], requires_grad=True) * 2)
    with pytest.raises(ValueError, match="shape"):
        viz.backprop_steps(Tensor([1.0, 2.0], requires_grad=True) * 2, grad=np.ones(3))


def test_new_ops_on_a_graph_freed_by_another_backward_are_a_clear_runtime_error():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    shared = x * 3
    shared.sum().backward()              # frees the `mul` node
    y = (shared * shared).sum()          # new ops on top of the freed graph
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        viz.backprop_steps(y)
