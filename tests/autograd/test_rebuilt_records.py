"""Records kept as how to make them (`Function.record_grads`, `graph.Rebuild`).

h @ W sends W a gradient h^T g much larger than h; the node's record keeps a
copy of h instead and makes h^T g again when `grad_inputs` is read. An
elementwise or shape operation keeps what it sends as a recipe from arrays its
forward made and the record of what reached it, itself perhaps a recipe. Whoever
reads a record must see exactly what the sweep passed on: these tests compare
with a run whose records keep every array as made (record_grads switched off),
bit for bit and layout for layout.
"""

import numpy as np
import pytest

import autograd as ag
import nn
from autograd import Tensor
from autograd.graph import Node, OutputNode, Rebuild, topological_order
from autograd.ops.elementwise import Exp, Mul, Relu, Sigmoid, Tanh
from autograd.ops.linalg import Addmm, MatMul
from autograd.ops.shape import Reshape, Split, Unbind


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


# -- recipes: what an elementwise or shape operation sends, kept as how to make it ---------

RECIPES = (Tanh, Sigmoid, Relu, Exp, Mul, Reshape, Split, Unbind)


def mixed_graph(seed):
    """Every kind of recipe, gradients of 4 KiB and more: fan-out (h feeds two
    branches), add passing its gradient on, a product with a number, with a leaf
    and of two fresh arrays, split, unbind, stack, reshape."""
    rng = np.random.default_rng(seed)
    x = Tensor(rng.standard_normal((32, 64)).astype(np.float32), requires_grad=True)
    w = nn.Parameter((rng.standard_normal((64, 64)) * 0.1).astype(np.float32))
    leaf = nn.Parameter(rng.standard_normal((32, 32)).astype(np.float32))
    h = (x @ w).tanh()
    a, b = h.chunk(2, dim=1)
    g = a.sigmoid() * b.relu() + a.exp() * 0.5
    s = ag.stack(g.unbind(0), dim=0).reshape(32, 32)
    loss = (s * s.tanh()).sum() + (h.reshape(64, 32) * 2.0).sum() + (g * leaf).sum()
    loss.backward()
    return loss


def raw_outputs(node):
    return (node.output._gout,) if isinstance(node, OutputNode) else node._gout


@pytest.mark.parametrize("outputs_first", [True, False])
def test_recipe_records_are_bit_for_bit_the_sweeps_arrays(monkeypatch, outputs_first):
    with monkeypatch.context() as m:
        for op in RECIPES:
            m.setattr(op, "record_grads", None)
        eager = graph_nodes(mixed_graph(0))
        want = [(n.grad_outputs, n.grad_inputs) for n in eager]
    nodes = graph_nodes(mixed_graph(0))
    assert [n.name for n in nodes] == [n.name for n in eager]
    kinds = {n.name for n in nodes if any(type(r) is Rebuild for r in raw_record(n) or ())}
    assert {"tanh", "sigmoid", "relu", "exp", "mul", "split", "unbind", "reshape"} <= kinds, kinds
    received = sum(type(r) is Rebuild for n in nodes for r in raw_outputs(n) or ())
    assert received >= 4, "receivers should record their senders' recipes"
    for k, node in enumerate(nodes):
        # read in either order: a record made while reading another gives the same arrays
        got_out, got_in = ((node.grad_outputs, node.grad_inputs) if outputs_first
                           else reversed((node.grad_inputs, node.grad_outputs)))
        for what, got, ref in (("grad_outputs", got_out, want[k][0]),
                               ("grad_inputs", got_in, want[k][1])):
            for i, (a, b) in enumerate(zip(got, ref)):
                if b is None:
                    assert a is None, f"node {k} ({node.name}) {what}[{i}]"
                else:
                    assert_same_array(a, b, f"node {k} ({node.name}) {what}[{i}]")


def kept_gradient_bytes(root):
    """Bytes of the distinct arrays the records hold, Rebuilds left unmade, without the
    arrays the graph's values hold anyway (an output a recipe is made from, a .grad)."""
    values = {id(_base(a)) for v in topological_order(root)
              for a in (getattr(v, "data", None), getattr(getattr(v, "grad", None), "data", None))
              if a is not None}
    seen = {}
    stack = []
    for node in graph_nodes(root):
        stack += list(raw_outputs(node) or ()) + list(raw_record(node) or ())
    while stack:
        g = stack.pop()
        if type(g) is Rebuild:
            stack.extend(g.args)
        elif isinstance(g, np.ndarray) and id(_base(g)) not in values:
            seen[id(_base(g))] = _base(g).nbytes
    return sum(seen.values())


def _base(a):
    while a.base is not None:
        a = a.base
    return a


def big_lstm_step():
    """W3's LSTM (batch 32, 64 -> 128), 8 steps: gates of 64 KiB a step."""
    ag.manual_seed(4)
    lstm = nn.LSTM(64, 128)
    x = Tensor(np.random.default_rng(4).standard_normal((8, 32, 64)).astype(np.float32))
    out, _ = lstm(x)
    loss = out.tanh().sum()
    loss.backward()
    return loss


def test_an_lstm_keeps_a_fraction_of_its_gradients_as_arrays(monkeypatch):
    with monkeypatch.context() as m:
        for op in RECIPES:
            m.setattr(op, "record_grads", None)
        eager = kept_gradient_bytes(big_lstm_step())
    kept = kept_gradient_bytes(big_lstm_step())
    # per step: the gradients of h (sent by W_hh's product, summed with the output's)
    # and of c (two senders) stay arrays; the gates, their activations, the products
    # and the split go as recipes
    assert kept <= eager / 4, (kept, eager)


def test_a_long_chain_of_recipes_is_made_without_recursion():
    x = Tensor(np.full((32, 32), 0.5, np.float32), requires_grad=True)
    y = x
    for _ in range(3000):                       # deeper than Python's recursion limit
        y = y.tanh()
    y.sum().backward()
    first = graph_nodes(y)[0]
    assert first.inputs[0] is x and type(raw_record(first)[0]) is Rebuild
    assert_same_array(first.grad_inputs[0], x.grad.data, "the oldest tanh's grad_inputs[0]")


def test_a_product_with_a_weight_or_a_view_keeps_arrays_that_an_optimizer_step_leaves_alone():
    rng = np.random.default_rng(9)
    x = Tensor(rng.standard_normal((32, 32)).astype(np.float32), requires_grad=True)
    w = nn.Parameter(rng.standard_normal((32, 32)).astype(np.float32))
    h = x.tanh()
    by_weight, by_view = h * w, h * h.T
    ((by_weight * 3.0).sum() + (by_view * 2.0).sum()).backward()
    for y in (by_weight, by_view):
        assert not any(type(r) is Rebuild for r in raw_record(y.grad_fn))
    before = [g.copy() for g in by_weight.grad_fn.grad_inputs]
    with ag.no_grad():
        w.data -= 0.5 * w.grad.data            # an optimizer's step, in place
        h.data[...] = 0.0                      # and an edit of the activation
    for got, want in zip(by_weight.grad_fn.grad_inputs, before):
        assert_same_array(got, want, "a weight's product after the step")


def test_a_failed_sweep_leaves_no_recipe_waiting_on_a_node():
    x = Tensor(np.full((32, 32), 0.5, np.float32), requires_grad=True)
    h = x.tanh()                                # older than the sqrt: still waiting...
    right = (x * 0.0).sqrt()                    # ...when d sqrt at 0, infinite, raises
    left = h.sigmoid()                          # newer: has sent h its gradient as a recipe
    loss = left.sum() + right.sum()
    with pytest.raises(RuntimeError, match="anomaly"), np.errstate(divide="ignore"):
        with ag.detect_anomaly():
            loss.backward()
    for v in topological_order(loss):
        assert getattr(v, "_precord", None) is None and getattr(v, "_pending", None) is None
