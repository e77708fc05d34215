"""RNN, LSTM, GRU and their cells against PyTorch, after loading PyTorch's weights.

Every check runs in float64: outputs, final states and the gradients of a loss
of all of them (with respect to the input, the initial state and every
parameter) must equal PyTorch's to rtol 1e-7.
"""

import itertools

import numpy as np
import pytest

import autograd as ag
import nn

torch = pytest.importorskip("torch")

RTOL, ATOL = 1e-7, 1e-10
KINDS = ["rnn_tanh", "rnn_relu", "lstm", "gru"]


@pytest.fixture(autouse=True)
def float64(f64):
    """Every test here in float64 (conftest's f64), PyTorch seeded too."""
    torch.manual_seed(0)


def make_pair(kind, input_size, hidden_size, **options):
    """The same layer in PyTorch and here, ours holding PyTorch's weights."""
    if kind.startswith("rnn"):
        options["nonlinearity"] = kind[4:]
    torch_cls, ours_cls = {"rnn": (torch.nn.RNN, nn.RNN), "lstm": (torch.nn.LSTM, nn.LSTM),
                           "gru": (torch.nn.GRU, nn.GRU)}[kind[:4].rstrip("_")]
    theirs = torch_cls(input_size, hidden_size, **options).double()
    ours = ours_cls(input_size, hidden_size, **options)
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
    return theirs, ours


def make_cell_pair(kind, input_size, hidden_size, **options):
    if kind.startswith("rnn"):
        options["nonlinearity"] = kind[4:]
    torch_cls, ours_cls = {"rnn": (torch.nn.RNNCell, nn.RNNCell),
                           "lstm": (torch.nn.LSTMCell, nn.LSTMCell),
                           "gru": (torch.nn.GRUCell, nn.GRUCell)}[kind[:4].rstrip("_")]
    theirs = torch_cls(input_size, hidden_size, **options).double()
    ours = ours_cls(input_size, hidden_size, **options)
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
    return theirs, ours


def as_list(out):
    """(output, h_n) or (output, (h_n, c_n)) or h or (h, c), flattened."""
    if isinstance(out, (tuple, list)):
        return [t for part in out for t in as_list(part)]
    return [out]


def weighted_loss(values, weights):
    """sum_k sum(values_k * weights_k): every element of every result reaches the loss."""
    total = None
    for v, w in zip(values, weights):
        term = (v * (torch.from_numpy(w) if isinstance(v, torch.Tensor) else w)).sum()
        total = term if total is None else total + term
    return total


def assert_close(ours, theirs, what):
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else theirs
    ours = ours.data if isinstance(ours, ag.Tensor) else ours
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape}, PyTorch's {theirs.shape}"
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=ATOL, err_msg=what)


def run_both(theirs, ours, x, hx=None, lengths=None, batch_first=False):
    """Forward and backward in both libraries; compare results and every gradient."""
    rng = np.random.default_rng(1)
    x_t = torch.tensor(x, requires_grad=True)
    x_o = ag.Tensor(x.copy(), requires_grad=True)
    hx_t = hx_o = None
    if hx is not None:
        hx_t = tuple(torch.tensor(h, requires_grad=True) for h in hx)
        hx_o = tuple(ag.Tensor(h.copy(), requires_grad=True) for h in hx)
    state_t = hx_t if hx_t is None or len(hx_t) == 2 else hx_t[0]
    state_o = hx_o if hx_o is None or len(hx_o) == 2 else hx_o[0]

    if lengths is None:
        out_t = theirs(x_t, state_t)
    else:
        packed = torch.nn.utils.rnn.pack_padded_sequence(
            x_t, torch.tensor(lengths), batch_first=batch_first, enforce_sorted=False)
        packed_out, h_t = theirs(packed, state_t)
        padded, _ = torch.nn.utils.rnn.pad_packed_sequence(
            packed_out, batch_first=batch_first, total_length=x.shape[1 if batch_first else 0])
        out_t = (padded, h_t)
    out_o = ours(x_o, state_o, lengths=lengths) if lengths is not None else ours(x_o, state_o)

    results_t, results_o = as_list(out_t), as_list(out_o)
    assert len(results_t) == len(results_o)
    for k, (a, b) in enumerate(zip(results_o, results_t)):
        assert_close(a, b, f"result {k}")

    weights = [rng.standard_normal(tuple(r.shape)) for r in results_t]
    weighted_loss(results_t, weights).backward()
    weighted_loss(results_o, weights).backward()
    assert_close(x_o.grad, x_t.grad, "gradient of the input")
    if hx is not None:
        for k, (a, b) in enumerate(zip(hx_o, hx_t)):
            assert_close(a.grad, b.grad, f"gradient of initial state {k}")
    params_t = dict(theirs.named_parameters())
    params_o = dict(ours.named_parameters())
    assert set(params_o) == set(params_t)
    for name, p in params_t.items():
        assert_close(params_o[name].grad, p.grad, f"gradient of {name}")


@pytest.mark.parametrize("kind,num_layers,bidirectional,batch_first,padded",
                         list(itertools.product(KINDS, [1, 2], [False, True], [False, True],
                                                [False, True])))
def test_layer_matches_pytorch(kind, num_layers, bidirectional, batch_first, padded):
    """padded: a padded batch with lengths (and an initial state) against PyTorch's
    pack_padded_sequence(enforce_sorted=False) + pad_packed_sequence."""
    theirs, ours = make_pair(kind, 4, 3, num_layers=num_layers, bidirectional=bidirectional,
                             batch_first=batch_first)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 6, 4) if batch_first else (6, 4, 4))
    if not padded:
        run_both(theirs, ours, x)
        return
    lengths = [3, 6, 1, 4]            # unsorted, and none but one reaches the end
    hx = tuple(rng.standard_normal((num_layers * (1 + bidirectional), 4, 3))
               for _ in range(2 if kind == "lstm" else 1))
    run_both(theirs, ours, x, hx=hx, lengths=lengths, batch_first=batch_first)


@pytest.mark.parametrize("kind", KINDS)
def test_layer_with_initial_state_matches_pytorch(kind):
    theirs, ours = make_pair(kind, 4, 3, num_layers=2, bidirectional=True)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 2, 4))
    hx = tuple(rng.standard_normal((4, 2, 3)) for _ in range(2 if kind == "lstm" else 1))
    run_both(theirs, ours, x, hx=hx)


@pytest.mark.parametrize("kind", KINDS)
def test_layer_without_bias_matches_pytorch(kind):
    theirs, ours = make_pair(kind, 4, 3, num_layers=2, bias=False)
    assert not any("bias" in name for name, _ in ours.named_parameters())
    run_both(theirs, ours, np.random.default_rng(0).standard_normal((5, 2, 4)))


@pytest.mark.parametrize("kind,bidirectional", list(itertools.product(KINDS, [False, True])))
def test_unbatched_input_matches_pytorch(kind, bidirectional):
    theirs, ours = make_pair(kind, 4, 3, num_layers=2, bidirectional=bidirectional)
    rng = np.random.default_rng(0)
    hx = tuple(rng.standard_normal((2 * (1 + bidirectional), 3))
               for _ in range(2 if kind == "lstm" else 1))
    run_both(theirs, ours, rng.standard_normal((5, 4)), hx=hx)


@pytest.mark.parametrize("kind,batched,with_state,bias",
                         list(itertools.product(KINDS, [True, False], [True, False], [True, False])))
def test_cell_matches_pytorch(kind, batched, with_state, bias):
    theirs, ours = make_cell_pair(kind, 4, 3, bias=bias)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4) if batched else (4,))
    hx = None
    if with_state:
        hx = tuple(rng.standard_normal((2, 3) if batched else (3,))
                   for _ in range(2 if kind == "lstm" else 1))
    run_both(theirs, ours, x, hx=hx)


@pytest.mark.parametrize("kind,cell", list(itertools.product(KINDS, [False, True])))
def test_our_state_dict_loads_into_pytorch(kind, cell):
    """Export: PyTorch takes our parameters unchanged and computes the same outputs."""
    ag.manual_seed(3)
    kwargs = {"nonlinearity": kind[4:]} if kind.startswith("rnn") else {}
    family = kind[:4].rstrip("_")
    if cell:
        ours = {"rnn": nn.RNNCell, "lstm": nn.LSTMCell, "gru": nn.GRUCell}[family](4, 3, **kwargs)
        theirs = {"rnn": torch.nn.RNNCell, "lstm": torch.nn.LSTMCell,
                  "gru": torch.nn.GRUCell}[family](4, 3, **kwargs).double()
        x = np.random.default_rng(0).standard_normal((2, 4))
    else:
        layer = {"num_layers": 2, "bidirectional": True, **kwargs}
        ours = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[family](4, 3, **layer)
        theirs = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM,
                  "gru": torch.nn.GRU}[family](4, 3, **layer).double()
        x = np.random.default_rng(0).standard_normal((5, 2, 4))
    theirs.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in ours.state_dict().items()},
                           strict=True)
    for a, b in zip(as_list(ours(ag.Tensor(x))), as_list(theirs(torch.from_numpy(x)))):
        assert_close(a, b, "output with our weights")


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_parameter_names_and_shapes_are_pytorchs(kind):
    cls = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[kind]
    torch_cls = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind]
    ours = cls(5, 3, num_layers=3, bidirectional=True)
    theirs = torch_cls(5, 3, num_layers=3, bidirectional=True)
    assert [(k, v.shape) for k, v in ours.state_dict().items()] == \
           [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]


@pytest.mark.parametrize("kind", KINDS)
def test_long_batched_layer_matches_pytorch(kind):
    """12 steps of 3 rows: the forward multiplies by row-major copies of W_hh^T."""
    theirs, ours = make_pair(kind, 4, 3, num_layers=2, bidirectional=True)
    run_both(theirs, ours, np.random.default_rng(1).standard_normal((12, 3, 4)))
