"""Recurrent cells and layers without PyTorch: numpy references written from the
equations, finite-difference gradients, padded batches, name scopes, the shape
of the unrolled graph, and the errors for bad input."""

import numpy as np
import pytest

import autograd as ag
import nn
from autograd.graph import topological_order
from autograd.ops.linalg import row_major
from nn import rnn as rnn_module


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# -- numpy references, one step, from the equations -----------------------------

def np_rnn_cell(x, h, p, nonlinearity="tanh"):
    pre = x @ p["weight_ih"].T + p["bias_ih"] + h @ p["weight_hh"].T + p["bias_hh"]
    return np.tanh(pre) if nonlinearity == "tanh" else np.maximum(pre, 0.0)


def np_lstm_cell(x, h, c, p):
    H = h.shape[-1]
    gates = x @ p["weight_ih"].T + p["bias_ih"] + h @ p["weight_hh"].T + p["bias_hh"]
    i, f = sigmoid(gates[:, :H]), sigmoid(gates[:, H:2 * H])
    g, o = np.tanh(gates[:, 2 * H:3 * H]), sigmoid(gates[:, 3 * H:])
    c = f * c + i * g
    return o * np.tanh(c), c


def np_gru_cell(x, h, p, reset_after=True):
    H = h.shape[-1]
    W_ir, W_iz, W_in = np.split(p["weight_ih"], 3)
    W_hr, W_hz, W_hn = np.split(p["weight_hh"], 3)
    b_ir, b_iz, b_in = np.split(p["bias_ih"], 3)
    b_hr, b_hz, b_hn = np.split(p["bias_hh"], 3)
    r = sigmoid(x @ W_ir.T + b_ir + h @ W_hr.T + b_hr)
    z = sigmoid(x @ W_iz.T + b_iz + h @ W_hz.T + b_hz)
    if reset_after:
        n = np.tanh(x @ W_in.T + b_in + r * (h @ W_hn.T + b_hn))
    else:
        n = np.tanh(x @ W_in.T + b_in + (r * h) @ W_hn.T + b_hn)
    assert n.shape[-1] == H
    return (1 - z) * n + z * h


def layer_params(module, k, suffix=""):
    names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    return {n: getattr(module, f"{n}_l{k}{suffix}").data for n in names}


def np_run(step, xs, state, reverse=False):
    """Run a numpy step function over xs (T, B, I); outputs (T, B, H) and final state."""
    T = len(xs)
    outs = [None] * T
    for t in (range(T - 1, -1, -1) if reverse else range(T)):
        state = step(xs[t], state)
        outs[t] = state[0]
    return np.stack(outs), state


def results(out):
    """(output, h_n) / (output, (h_n, c_n)) / h / (h, c) as one flat list."""
    if isinstance(out, (tuple, list)):
        return [t for part in out for t in results(part)]
    return [out]


# -- cells and layers against numpy ---------------------------------------------------

@pytest.mark.parametrize("make,reference", [
    (lambda: nn.RNNCell(3, 4), lambda x, h, p: np_rnn_cell(x, h, p)),
    (lambda: nn.RNNCell(3, 4, nonlinearity="relu"), lambda x, h, p: np_rnn_cell(x, h, p, "relu")),
    (lambda: nn.GRUCell(3, 4), lambda x, h, p: np_gru_cell(x, h, p)),
    (lambda: nn.GRUCell(3, 4, reset_after=False), lambda x, h, p: np_gru_cell(x, h, p, False))],
    ids=["rnn_tanh", "rnn_relu", "gru", "gru_reset_before"])
def test_cell_matches_numpy(f64, make, reference):
    cell = make()
    rng = np.random.default_rng(1)
    x, h = rng.standard_normal((2, 3)), rng.standard_normal((2, 4))
    p = {n: q.data for n, q in cell.named_parameters()}
    np.testing.assert_allclose(cell(ag.Tensor(x), ag.Tensor(h)).data, reference(x, h, p), rtol=1e-12)


def test_lstm_cell_matches_numpy(f64):
    cell = nn.LSTMCell(3, 4)
    rng = np.random.default_rng(1)
    x, h, c = rng.standard_normal((2, 3)), rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    p = {n: q.data for n, q in cell.named_parameters()}
    h1, c1 = cell(ag.Tensor(x), (ag.Tensor(h), ag.Tensor(c)))
    h_ref, c_ref = np_lstm_cell(x, h, c, p)
    np.testing.assert_allclose(h1.data, h_ref, rtol=1e-12)
    np.testing.assert_allclose(c1.data, c_ref, rtol=1e-12)


def test_gru_reset_after_false_is_a_different_function_of_the_same_parameters(f64):
    a = nn.GRU(3, 4)
    b = nn.GRU(3, 4, reset_after=False)
    assert [(k, v.shape) for k, v in a.state_dict().items()] == \
           [(k, v.shape) for k, v in b.state_dict().items()]
    b.load_state_dict(a.state_dict())
    x = ag.randn(5, 2, 3)
    assert not np.allclose(a(x)[0].data, b(x)[0].data)


@pytest.mark.parametrize("reset_after", [True, False])
def test_bidirectional_gru_layer_matches_numpy(f64, reset_after):
    gru = nn.GRU(3, 4, bidirectional=True, reset_after=reset_after)
    rng = np.random.default_rng(2)
    xs = rng.standard_normal((6, 2, 3))
    h0 = rng.standard_normal((2, 2, 4))
    out, h_n = gru(ag.Tensor(xs), ag.Tensor(h0))
    for d, suffix in enumerate(["", "_reverse"]):
        p = layer_params(gru, 0, suffix)
        ref, (h_ref,) = np_run(lambda x, s: (np_gru_cell(x, s[0], p, reset_after),), xs, (h0[d],),
                               reverse=d == 1)
        np.testing.assert_allclose(out.data[..., 4 * d:4 * d + 4], ref, rtol=1e-12)
        np.testing.assert_allclose(h_n.data[d], h_ref, rtol=1e-12)


def test_two_layer_lstm_matches_numpy(f64):
    lstm = nn.LSTM(3, 4, num_layers=2)
    xs = np.random.default_rng(3).standard_normal((5, 2, 3))
    out, (h_n, c_n) = lstm(ag.Tensor(xs))
    layer_input = xs
    for k in range(2):
        p = layer_params(lstm, k)
        zeros = np.zeros((2, 4))
        layer_input, (h_ref, c_ref) = np_run(lambda x, s: np_lstm_cell(x, *s, p), layer_input,
                                             (zeros, zeros))
        np.testing.assert_allclose(h_n.data[k], h_ref, rtol=1e-12)
        np.testing.assert_allclose(c_n.data[k], c_ref, rtol=1e-12)
    np.testing.assert_allclose(out.data, layer_input, rtol=1e-12)


# -- shapes ------------------------------------------------------------------------------

@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU])
@pytest.mark.parametrize("num_layers,bidirectional", [(1, False), (3, True)])
def test_layer_shapes_are_pytorchs(cls, num_layers, bidirectional):
    layer = cls(5, 4, num_layers=num_layers, bidirectional=bidirectional, batch_first=True)
    D = 2 if bidirectional else 1
    out, state = layer(ag.randn(2, 7, 5))
    assert out.shape == (2, 7, D * 4)
    for s in results(state):
        assert s.shape == (num_layers * D, 2, 4)
    out, state = layer(ag.randn(7, 5))                      # unbatched
    assert out.shape == (7, D * 4)
    for s in results(state):
        assert s.shape == (num_layers * D, 4)


def test_unbatched_input_is_a_batch_of_one(f64):
    lstm = nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    x = ag.randn(5, 3)
    out, (h, c) = lstm(x)
    out_b, (h_b, c_b) = lstm(x.unsqueeze(1))
    np.testing.assert_allclose(out.data, out_b.data[:, 0])
    np.testing.assert_allclose(h.data, h_b.data[:, 0])
    np.testing.assert_allclose(c.data, c_b.data[:, 0])


def test_batch_first_transposes_input_and_output_only(f64):
    a = nn.GRU(3, 4, num_layers=2, bidirectional=True)
    b = nn.GRU(3, 4, num_layers=2, bidirectional=True, batch_first=True)
    b.load_state_dict(a.state_dict())
    x = np.random.default_rng(0).standard_normal((6, 2, 3))
    out_a, h_a = a(ag.Tensor(x))
    out_b, h_b = b(ag.Tensor(x.transpose(1, 0, 2)))
    np.testing.assert_allclose(out_b.data, out_a.data.transpose(1, 0, 2))
    np.testing.assert_allclose(h_b.data, h_a.data)        # h_n is never batch first


def test_default_dtype_float32_throughout():
    lstm = nn.LSTM(3, 4)
    out, (h, c) = lstm(ag.randn(4, 2, 3))
    assert out.dtype == h.dtype == c.dtype == np.float32
    out.sum().backward()
    assert all(p.grad.dtype == np.float32 for p in lstm.parameters())


# -- initialisation ------------------------------------------------------------------------

@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU, nn.RNNCell, nn.LSTMCell, nn.GRUCell])
def test_initialisation_is_uniform_in_pytorchs_range_and_seeded(cls):
    ag.manual_seed(7)
    a = cls(6, 16)
    ag.manual_seed(7)
    b = cls(6, 16)
    bound = 1 / np.sqrt(16)
    for (name, p), q in zip(a.named_parameters(), b.parameters()):
        assert np.all(np.abs(p.data) <= bound), f"{name} leaves [-{bound}, {bound}]"
        assert p.data.std() > bound / 3, f"{name} is not spread over its range"
        np.testing.assert_array_equal(p.data, q.data, err_msg=f"{name} differs for one seed")


# -- gradients by finite differences ------------------------------------------------------

def gradcheck_module(module, inputs):
    """ag.gradcheck of module(*inputs) w.r.t. the inputs that require grad and every parameter.

    gradcheck perturbs copies of what it is given, so each call puts those
    copies in place of the module's parameters (instance attributes shadow the
    registered ones) and takes them away again.
    """
    names = [n for n, _ in module.named_parameters()]
    params = [ag.Tensor(p.data.astype(np.float64), requires_grad=True, label=n)
              for n, p in module.named_parameters()]

    def fn(*args):
        for n, t in zip(names, args[len(inputs):]):
            object.__setattr__(module, n, t)
        try:
            return ag.cat([r.reshape(-1) for r in results(module(*args[:len(inputs)]))])
        finally:
            for n in names:
                del module.__dict__[n]

    assert ag.gradcheck(fn, list(inputs) + params)
    fn(*inputs, *params).sum().backward()         # the copies really stood in for the parameters
    assert all(p.grad is not None and np.any(p.grad.data != 0) for p in params)


@pytest.mark.parametrize("cell", [
    lambda: nn.RNNCell(3, 2), lambda: nn.RNNCell(3, 2, nonlinearity="relu"),
    lambda: nn.LSTMCell(3, 2), lambda: nn.GRUCell(3, 2), lambda: nn.GRUCell(3, 2, reset_after=False)],
    ids=["rnn_tanh", "rnn_relu", "lstm", "gru", "gru_reset_before"])
def test_cell_gradients_match_finite_differences(f64, cell):
    cell = cell()
    x = ag.randn(2, 3, requires_grad=True)
    h = ag.randn(2, 2, requires_grad=True)
    state = (h, ag.randn(2, 2, requires_grad=True)) if isinstance(cell, nn.LSTMCell) else h
    if isinstance(cell, nn.LSTMCell):
        gradcheck_module(cell, [x, state])   # gradcheck copies only top-level tensors
        c = state[1]
        assert ag.gradcheck(lambda c_: cell(x, (h, c_))[1], [c])
    else:
        gradcheck_module(cell, [x, state])


@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU])
def test_two_layer_bidirectional_gradients_match_finite_differences(f64, cls):
    layer = cls(2, 2, num_layers=2, bidirectional=True)
    x = ag.randn(3, 2, 2, requires_grad=True)
    gradcheck_module(layer, [x])


def test_gradients_with_lengths_match_finite_differences(f64):
    lstm = nn.LSTM(2, 2, bidirectional=True)
    x = ag.randn(4, 3, 2, requires_grad=True)
    assert ag.gradcheck(lambda x_: ag.cat([r.reshape(-1) for r in
                                           results(lstm(x_, lengths=[2, 4, 1]))]), [x])


# -- padded batches ---------------------------------------------------------------------------

@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU])
def test_lengths_give_each_sequence_what_it_gets_alone(f64, cls):
    layer = cls(3, 4, num_layers=2, bidirectional=True)
    lengths = [2, 5, 3]
    x = ag.randn(5, 3, 3, requires_grad=True)
    out, state = layer(x, lengths=lengths)
    out.sum().backward()
    for b, n in enumerate(lengths):
        alone_out, alone_state = layer(ag.Tensor(x.data[:n, b:b + 1]))
        np.testing.assert_allclose(out.data[:n, b], alone_out.data[:, 0], rtol=1e-12,
                                   err_msg=f"outputs of sequence {b} (length {n})")
        assert np.all(out.data[n:, b] == 0), f"outputs past the end of sequence {b} are not zero"
        for s, s_alone in zip(results(state), results(alone_state)):
            np.testing.assert_allclose(s.data[:, b], s_alone.data[:, 0], rtol=1e-12,
                                       err_msg=f"final state of sequence {b} (length {n})")
        assert np.all(x.grad.data[n:, b] == 0), f"padding of sequence {b} received a gradient"
        assert np.all(x.grad.data[:n, b] != 0)


def test_full_lengths_change_nothing(f64):
    gru = nn.GRU(3, 4, bidirectional=True)
    x = ag.randn(4, 2, 3)
    for a, b in zip(results(gru(x)), results(gru(x, lengths=[4, 4]))):
        np.testing.assert_array_equal(a.data, b.data)


# -- the unrolled graph -------------------------------------------------------------------------

def ops_in_graph(root):
    """Names of the operations that produced `root` (each node once)."""
    nodes = {}
    for v in topological_order(root):
        node = v if isinstance(v, ag.Node) else v.grad_fn
        if node is not None:
            nodes[id(node)] = node
    return [n.name for n in nodes.values()]


@pytest.mark.parametrize("cls,per_step", [(nn.RNN, 1), (nn.LSTM, 1), (nn.GRU, 1),
                                          (lambda i, h: nn.GRU(i, h, reset_after=False), 2)])
def test_one_matrix_product_per_step_and_one_for_all_inputs(cls, per_step):
    T = 6
    out, _ = cls(3, 4)(ag.randn(T, 2, 3))
    names = ops_in_graph(out.sum())
    products = names.count("matmul") + names.count("addmm")
    assert products == 1 + per_step * T, \
        "expected one product for the inputs of all steps and one per step for the state"
    assert names.count("addmm") >= 1, "the inputs' product should take the biases with it"
    assert names.count("unbind") == 1, "the projected inputs should be sliced by one unbind"
    assert "getitem" not in names


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 4, num_layers=2, bidirectional=True)

    def forward(self, x):
        return self.lstm(x)[0]


def test_name_scopes_group_the_graph_by_layer_direction_and_step():
    out = Tagger()(ag.randn(3, 2, 3))
    scopes = {v.grad_fn.scope for v in topological_order(out.sum())
              if not isinstance(v, ag.Node) and v.grad_fn is not None}
    expected = {f"lstm/l{k}{d}/t={t}" for k in range(2) for d in ("", "_reverse") for t in range(3)}
    assert expected <= scopes, f"missing scopes: {sorted(expected - scopes)}"
    assert "lstm/l0" in scopes, "the input projection belongs to its layer, before any step"
    assert all(s.startswith("lstm") for s in scopes if s)


def test_cells_record_no_layer_scopes():
    cell = nn.LSTMCell(3, 4)
    h, c = cell(ag.randn(2, 3))
    assert h.grad_fn.scope == ""


# -- dropout between layers, train and eval ---------------------------------------------------

def test_dropout_acts_between_layers_in_training_only(f64):
    with_dropout = nn.LSTM(3, 8, num_layers=2, dropout=0.5)
    plain = nn.LSTM(3, 8, num_layers=2)
    plain.load_state_dict(with_dropout.state_dict())
    x = ag.randn(5, 2, 3)
    first, second = with_dropout(x)[0].data, with_dropout(x)[0].data
    assert not np.allclose(first, second), "training mode should drop different units each call"
    assert not np.allclose(first, plain(x)[0].data)
    with_dropout.eval()
    np.testing.assert_array_equal(with_dropout(x)[0].data, plain(x)[0].data)


def test_dropout_never_touches_a_single_layer(f64):
    a = nn.GRU(3, 4, dropout=0.5)
    b = nn.GRU(3, 4)
    b.load_state_dict(a.state_dict())
    x = ag.randn(5, 2, 3)
    np.testing.assert_array_equal(a(x)[0].data, b(x)[0].data)


def test_repr_shows_the_options_like_pytorch():
    assert repr(nn.LSTM(10, 20, num_layers=2, bidirectional=True)) == \
        "LSTM(10, 20, num_layers=2, bidirectional=True)"
    assert repr(nn.RNN(3, 4, nonlinearity="relu", batch_first=True)) == \
        "RNN(3, 4, batch_first=True, nonlinearity='relu')"
    assert repr(nn.GRUCell(3, 4, bias=False)) == "GRUCell(3, 4, bias=False)"


# -- bad input -------------------------------------------------------------------------------

@pytest.mark.parametrize("call,error,words", [
    (lambda: nn.LSTM(3, 4)(ag.randn(5, 2, 3, 1)), ValueError, ["LSTM", "3 dimensions", "(5, 2, 3, 1)"]),
    (lambda: nn.LSTM(3, 4)(ag.randn(5, 2, 7)), ValueError, ["LSTM", "7 features", "input_size=3"]),
    (lambda: nn.GRU(3, 4, batch_first=True)(ag.randn(5)), ValueError, ["GRU", "(batch, seq_len"]),
    (lambda: nn.RNN(3, 4)(ag.randn(5, 2, 3), ag.randn(1, 3, 4)), ValueError,
     ["RNN", "h_0", "(1, 2, 4)", "(1, 3, 4)"]),
    (lambda: nn.LSTM(3, 4, num_layers=2)(ag.randn(5, 2, 3), (ag.randn(2, 2, 4), ag.randn(1, 2, 4))),
     ValueError, ["LSTM", "c_0", "(2, 2, 4)"]),
    (lambda: nn.LSTM(3, 4)(ag.randn(5, 2, 3), ag.randn(1, 2, 4)), TypeError, ["LSTM", "(h, c)"]),
    (lambda: nn.GRU(3, 4)(ag.randn(5, 2, 3), lengths=[5, 6]), ValueError, ["GRU", "between 1 and", "5"]),
    (lambda: nn.GRU(3, 4)(ag.randn(5, 2, 3), lengths=[0, 3]), ValueError, ["GRU", "between 1"]),
    (lambda: nn.GRU(3, 4)(ag.randn(5, 2, 3), lengths=[-1, 3]), ValueError, ["GRU", "between 1"]),
    (lambda: nn.GRU(3, 4)(ag.randn(5, 2, 3), lengths=[3]), ValueError, ["GRU", "one entry per", "2"]),
    (lambda: nn.GRU(3, 4)(ag.randn(5, 2, 3), lengths=[2.5, 3]), TypeError, ["GRU", "ints"]),
    (lambda: nn.RNN(3, 4)(np.zeros((5, 2, 3), dtype=np.int64)), TypeError, ["RNN", "floats"]),
    (lambda: nn.LSTMCell(3, 4)(ag.randn(2, 5)), ValueError, ["LSTMCell", "(batch, 3)", "(2, 5)"]),
    (lambda: nn.GRUCell(3, 4)(ag.randn(2, 3), ag.randn(3, 4)), ValueError, ["GRUCell", "(2, 4)"]),
    (lambda: nn.RNNCell(3, 4)(ag.randn(3), ag.randn(2, 4)), ValueError, ["RNNCell", "(4,)"]),
    (lambda: nn.RNN(3, 4, nonlinearity="sigmoid"), ValueError, ["RNN", "'tanh' or 'relu'"]),
    (lambda: nn.LSTM(3, 0), ValueError, ["LSTM", "hidden_size"]),
    (lambda: nn.GRU(3, 4, num_layers=0), ValueError, ["GRU", "num_layers"]),
    (lambda: nn.LSTM(3, 4, dropout=1.5), ValueError, ["LSTM", "dropout"]),
])
def test_bad_input_gets_a_clear_error(call, error, words):
    with pytest.raises(error) as info:
        call()
    for word in words:
        assert word in str(info.value), f"{word!r} missing from: {info.value}"


def test_a_bad_call_changes_nothing():
    lstm = nn.LSTM(3, 4)
    before = lstm.state_dict()
    with pytest.raises(ValueError):
        lstm(ag.randn(5, 2, 3), lengths=[9, 9])
    for k, v in lstm.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


# -- W_hh^T laid out row-major for a layer's forward -----------------------------------------

LAYERS = [nn.RNN, nn.LSTM, nn.GRU, lambda i, h, **kw: nn.GRU(i, h, reset_after=False, **kw)]


def run_layer(layer, x):
    """The layer's results and the gradients of a weighted sum of them, with the
    graph's operation names."""
    rng = np.random.default_rng(7)
    got = results(layer(x))
    loss = sum((r * rng.standard_normal(r.shape)).sum() for r in got)
    layer.zero_grad()
    loss.backward()
    return ([r.data for r in got], {k: p.grad.data for k, p in layer.named_parameters()},
            ops_in_graph(loss))


@pytest.mark.parametrize("make", LAYERS)
@pytest.mark.parametrize("bias", [True, False])
def test_row_major_weights_change_no_value_and_no_node(f64, monkeypatch, make, bias):
    """A layer of many steps multiplies by a row-major copy of W_hh^T in its forward;
    the results, the gradients and the graph are those of the plain view's."""
    layer = make(3, 4, bias=bias, num_layers=2, bidirectional=True)
    x = ag.randn(12, 3, 3)
    copies = []

    def spy(b, rows, products):
        made = row_major(b, rows, products)
        copies.append(made)
        return made
    monkeypatch.setattr(rnn_module, "row_major", spy)
    fast = run_layer(layer, x)
    assert copies and all(c is not None and c.flags.c_contiguous for c in copies), \
        "12 steps of 3 rows should multiply by row-major copies"
    monkeypatch.setattr(rnn_module, "row_major", lambda b, rows, products: None)
    plain = run_layer(layer, x)
    for a, b in zip(fast[0], plain[0]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    assert fast[1].keys() == plain[1].keys()
    for k in fast[1]:
        np.testing.assert_allclose(fast[1][k], plain[1][k], rtol=1e-12, atol=1e-14, err_msg=k)
    assert fast[2] == plain[2]


def test_row_major_copies_only_where_they_pay():
    w = np.arange(512 * 128, dtype=np.float32).reshape(512, 128)
    copy = row_major(w.T, 32, 50)
    assert copy.flags.c_contiguous and not np.shares_memory(copy, w)
    np.testing.assert_array_equal(copy, w.T)
    assert row_major(w.T, 32, 7) is None, "a few steps do not repay the copy"
    assert row_major(w.T, 1, 50) is None, "one row is a vector product: nothing to gain"
    assert row_major(np.ascontiguousarray(w.T), 32, 50) is None, "already row-major"
    big = np.zeros((1024, 512), np.float32)               # 2 MiB
    assert row_major(big.T, 32, 50) is None, "a large copy costs more than it saves"
