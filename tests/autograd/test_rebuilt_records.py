"""Records of matrix-product gradients kept as how to make them (`Function.record_grads`).

h @ W sends W a gradient h^T g much larger than h; the node's record keeps a
copy of h instead and makes h^T g again when `grad_inputs` is read. Whoever
reads a record must see exactly what the sweep summed: these tests compare
with a run whose records keep every array as made (`MatMul.record_grads`
switched off), bit for bit and layout for layout.
"""

import numpy as np
import pytest

import autograd as ag
import nn
from autograd import Tensor
from autograd.graph import Node, OutputNode, Rebuild, topological_order
from autograd.ops.linalg import Addmm, MatMul


def raw_record(node):
    """`grad_inputs` as the sweep stored it (a Rebuild not yet made)."""
    return node.output._gin if isinstance(node, OutputNode) else node._gin


def assert_same_array(got, want, what):
    assert type(got) is type(want), f"{what}: {type(got).__name__} vs {type(want).__name__}"
    if want is None:
        return
    assert got.dtype == want.dtype and got.shape == want.shape, \
        f"{what}: {got.dtype}{got.shape} vs {want.dtype}{want.shape}"
    assert got.strides == want.strides, f"{what}: layout {got.strides} vs {want.strides}"
    assert got.tobytes() == want.tobytes(), f"{what}: values differ"


def make_pair(shape_a, shape_b, transpose_b, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape_a).astype(np.float32)
    b = rng.standard_normal(shape_b[::-1] if transpose_b else shape_b).astype(np.float32)
    out_shape = np.matmul(a, b.T if transpose_b else b).shape
    c = rng.standard_normal(out_shape).astype(np.float32)
    return a, b, c


def matmul_graph(arrays, transpose_b, apply):
    a_data, b_data, c = arrays
    a = Tensor(a_data.copy(), requires_grad=True)
    w = Tensor(b_data.copy(), requires_grad=True)
    out = apply(a, w.T if transpose_b else w)
    (out * c).sum().backward()
    return out.grad_fn


AT_OPERATOR = pytest.param(lambda a, b: a @ b, OutputNode, id="a@b")
APPLY = pytest.param(lambda a, b: MatMul.apply(a, b), Node, id="MatMul.apply")

# (shape of a, shape of b, b a transposed view, which gradients are rebuilt (a, b))
SHAPES = [
    ((2, 8), (8, 16), False, (False, True)),
    ((2, 8), (8, 16), True, (False, True)),          # x @ W.T: W^T's gradient in W^T's layout
    ((16, 8), (8, 2), False, (True, False)),         # the small factor is b
    ((8,), (8,), False, (False, False)),             # dot product: nothing small enough
    ((8,), (8, 16), False, (False, True)),
    ((16, 8), (8,), False, (True, False)),
    ((3, 2, 8), (3, 8, 16), False, (False, True)),
    ((3, 2, 8), (8, 32), True, (False, True)),       # a Linear on a sequence
    ((3, 16, 8), (8,), False, (True, False)),
    ((8,), (3, 8, 16), False, (False, True)),
    ((3, 2, 8), (1, 8, 16), False, (False, True)),   # broadcast batch: conformed by the driver
    ((2, 8), (8, 4), False, (False, False)),         # a copy half the product: not worth it
]


@pytest.mark.parametrize("apply,node_type", [AT_OPERATOR, APPLY])
@pytest.mark.parametrize("shape_a,shape_b,transpose_b,rebuilt", SHAPES)
def test_record_is_bit_for_bit_the_array_the_sweep_made(monkeypatch, apply, node_type,
                                                        shape_a, shape_b, transpose_b, rebuilt):
    arrays = make_pair(shape_a, shape_b, transpose_b, seed=len(shape_a) * 10 + len(shape_b))
    with monkeypatch.context() as m:
        m.setattr(MatMul, "record_grads", None)
        want = matmul_graph(arrays, transpose_b, apply).grad_inputs
    node = matmul_graph(arrays, transpose_b, apply)
    assert type(node) is node_type
    kept = raw_record(node)
    assert tuple(type(g) is Rebuild for g in kept) == rebuilt, \
        f"rebuilt {[type(g).__name__ for g in kept]}, expected {rebuilt}"
    got = node.grad_inputs
    for i in range(2):
        assert_same_array(got[i], want[i], f"grad_inputs[{i}] of {shape_a} @ {shape_b}")


@pytest.mark.parametrize("shape_a,shape_b,transpose_b,rebuilt",
                         [s for s in SHAPES if len(s[0]) == len(s[1]) == 2])
def test_addmm_keeps_its_product_records_as_matmul_does(monkeypatch, shape_a, shape_b,
                                                        transpose_b, rebuilt):
    arrays = make_pair(shape_a, shape_b, transpose_b, seed=5)
    bias = np.random.default_rng(5).standard_normal(arrays[2].shape[-1]).astype(np.float32)

    def apply(a, b):
        return ag.addmm(Tensor(bias.copy(), requires_grad=True), a, b)

    with monkeypatch.context() as m:
        m.setattr(Addmm, "record_grads", None)
        want = matmul_graph(arrays, transpose_b, apply).grad_inputs
    node = matmul_graph(arrays, transpose_b, apply)
    assert tuple(type(g) is Rebuild for g in raw_record(node)) == (False,) + rebuilt
    got = node.grad_inputs
    for i, what in enumerate(("input", "mat1", "mat2")):
        assert_same_array(got[i], want[i], f"grad_inputs[{i}] ({what}) of addmm {shape_a} @ {shape_b}")


def test_a_record_read_twice_is_the_same_object():
    node = matmul_graph(make_pair((2, 8), (8, 16), True, 0), True, lambda a, b: a @ b)
    assert type(raw_record(node)[1]) is Rebuild
    first = node.grad_inputs
    assert node.grad_inputs is first and node.grad_inputs[1] is first[1]
    assert not any(type(g) is Rebuild for g in raw_record(node)), "the record was not kept built"


def two_layer_graph(data):
    """h (2, 8) @ W1^T with W1 (16, 8): the record keeps a copy of h (an activation);
    seq (6, 5, 8) @ W2^T with W2 (4, 8): it keeps a copy of W2^T (a parameter)."""
    x, w1, seq_in, w2, c1, c2 = (d.copy() for d in data)
    x = Tensor(x, requires_grad=True)
    seq_in = Tensor(seq_in, requires_grad=True)
    w1, w2 = nn.Parameter(w1), nn.Parameter(w2)
    h, seq = x.tanh(), seq_in.tanh()
    out1, out2 = h @ w1.T, seq @ w2.T
    loss = (out1 * c1).sum() + (out2 * c2).sum()
    return loss, h, seq, (w1, w2), (out1.grad_fn, out2.grad_fn)


def two_layer_data():
    rng = np.random.default_rng(7)
    shapes = [(2, 8), (16, 8), (6, 5, 8), (4, 8), (2, 16), (6, 5, 4)]
    return [rng.standard_normal(s).astype(np.float32) for s in shapes]


def test_record_survives_an_optimizer_step_and_an_edit_of_the_activation(monkeypatch):
    data = two_layer_data()
    with monkeypatch.context() as m:
        m.setattr(MatMul, "record_grads", None)
        loss, _, _, _, nodes = two_layer_graph(data)
        loss.backward()
        want = [n.grad_inputs for n in nodes]
    loss, h, seq, params, nodes = two_layer_graph(data)
    loss.backward()
    assert type(raw_record(nodes[0])[1]) is Rebuild and type(raw_record(nodes[1])[0]) is Rebuild
    nn.optim.SGD(params, lr=0.5).step()            # W1, W2 change in place
    h.data *= 3.0                                   # so do the activations
    seq.data[...] = 0.0
    for node, grads, name in zip(nodes, want, ("h @ W1^T", "seq @ W2^T")):
        for i in range(2):
            assert_same_array(node.grad_inputs[i], grads[i], f"{name} grad_inputs[{i}]")


def test_records_after_retain_graph_are_of_the_last_sweep(monkeypatch):
    """A second backward through the same graph, after h's data was changed in place
    (the saved h with it): the record shows the second sweep's gradient, and one
    read after the first sweep keeps the first's."""
    data = two_layer_data()

    def two_sweeps():
        loss, h, _, _, nodes = two_layer_graph(data)
        loss.backward(retain_graph=True)
        first = nodes[0].grad_inputs[1]
        h.data *= 2.0
        loss.backward()
        return first, nodes[0].grad_inputs[1]

    with monkeypatch.context() as m:
        m.setattr(MatMul, "record_grads", None)
        want_first, want_second = two_sweeps()
    first, second = two_sweeps()
    assert_same_array(first, want_first, "record read after the first sweep")
    assert_same_array(second, want_second, "record of the second sweep")
    assert not np.array_equal(second, first), "the two sweeps should differ (h was doubled)"


def test_anomaly_mode_and_no_grad_records_see_the_same():
    data = two_layer_data()
    loss, _, _, _, nodes = two_layer_graph(data)
    with ag.no_grad_records():
        loss.backward(retain_graph=True)
    assert all(raw_record(n) is None and n.grad_inputs is None for n in nodes)
    with ag.detect_anomaly():
        loss.backward()
    plain, _, _, _, plain_nodes = two_layer_graph(data)
    plain.backward()
    for node, ref in zip(nodes, plain_nodes):
        for i in range(2):
            assert_same_array(node.grad_inputs[i], ref.grad_inputs[i], f"anomaly grad_inputs[{i}]")


# -- an LSTM: every record the same, far fewer bytes kept --------------------------

T, BATCH, N_IN, HIDDEN = 6, 4, 8, 32


def lstm_step():
    ag.manual_seed(3)
    lstm, head = nn.LSTM(N_IN, HIDDEN), nn.Linear(HIDDEN, 3)
    rng = np.random.default_rng(3)
    x = Tensor(rng.standard_normal((T, BATCH, N_IN)).astype(np.float32))
    out, _ = lstm(x)
    loss = (head(out) ** 2).mean()
    loss.backward()
    return loss


def graph_nodes(root):
    nodes = []
    for vertex in topological_order(root):
        node = vertex if type(vertex) is Node else vertex.grad_fn
        if node is not None and node not in nodes:
            nodes.append(node)
    return nodes


def record_bytes(root):
    """Bytes of the distinct arrays the graph's records keep (a view counts its base once)."""
    seen = {}

    def add(a):
        if isinstance(a, np.ndarray):
            while a.base is not None:
                a = a.base
            seen[id(a)] = a.nbytes
    for node in graph_nodes(root):
        for g in list(node.grad_outputs or ()) + list(raw_record(node) or ()):
            for part in (g.args if type(g) is Rebuild else (g,)):
                add(part)
    return sum(seen.values())


def test_an_lstm_step_keeps_the_same_records_in_far_fewer_bytes(monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(MatMul, "record_grads", None)
        m.setattr(Addmm, "record_grads", None)
        eager = lstm_step()
        eager_bytes = record_bytes(eager)
    lazy = lstm_step()
    lazy_bytes = record_bytes(lazy)
    # each step's h @ W_hh^T sent W_hh^T a (32, 128) gradient (16 KiB); its record
    # is now a copy of h (4, 32): 512 B
    saved = (T - 1) * (HIDDEN * 4 * HIDDEN - BATCH * HIDDEN) * 4
    assert lazy_bytes <= eager_bytes - saved, (eager_bytes, lazy_bytes, saved)
    eager_nodes, lazy_nodes = graph_nodes(eager), graph_nodes(lazy)
    assert [n.name for n in lazy_nodes] == [n.name for n in eager_nodes]
    rebuilt = 0
    for k, (got, want) in enumerate(zip(lazy_nodes, eager_nodes)):
        rebuilt += any(type(g) is Rebuild for g in raw_record(got))
        for i, (a, b) in enumerate(zip(got.grad_inputs, want.grad_inputs)):
            if isinstance(b, np.ndarray):
                assert_same_array(a, b, f"node {k} ({want.name}) grad_inputs[{i}]")
            else:
                assert a is None and b is None
    assert rebuilt >= T - 1
