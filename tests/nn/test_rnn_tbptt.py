"""Truncated BPTT: the state crosses chunk boundaries, the gradient does not."""

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
from autograd.graph import topological_order
from nn import optim
from nn.generation import greedy, model_step
from nn.tbptt import detach_state, tbptt_chunks, truncated_bptt
from nn.text import Vocab, batchify


@pytest.fixture(autouse=True)
def float64(f64):
    """Every test here in float64 from seed 0 (conftest's f64)."""


def sum_loss(output, target):
    return (output * target).sum()


def test_detach_state_cuts_every_tensor_and_keeps_the_structure():
    x = ag.randn(2, 3, requires_grad=True)
    h, c = x * 2, x * 3
    state = {"lstm": (h, c), "rest": [x + 1, None, 4]}
    cut = detach_state(state)
    assert set(cut) == {"lstm", "rest"} and isinstance(cut["lstm"], tuple)
    for old, new in [(h, cut["lstm"][0]), (c, cut["lstm"][1]), (state["rest"][0], cut["rest"][0])]:
        assert new.grad_fn is None and not new.requires_grad
        np.testing.assert_array_equal(new.data, old.data)
    assert cut["rest"][1:] == [None, 4]
    assert detach_state(None) is None


def test_chunks_cover_the_sequence_in_order():
    x, y = np.arange(10 * 2).reshape(10, 2), np.arange(10)
    chunks = tbptt_chunks(x, y, 4)
    assert [c[0].shape for c in chunks] == [(4, 2), (4, 2), (2, 2)]
    np.testing.assert_array_equal(np.concatenate([c[0] for c in chunks]), x)
    np.testing.assert_array_equal(np.concatenate([c[1] for c in chunks]), y)
    along_1 = tbptt_chunks(x.T, x.T, 3, dim=1)
    assert [c[0].shape for c in along_1] == [(2, 3), (2, 3), (2, 3), (2, 1)]


def test_no_gradient_crosses_a_chunk_boundary():
    lstm = nn.LSTM(3, 4)
    x = ag.randn(8, 2, 3, requires_grad=True)
    first, second = x.split(4, 0)
    out1, state = lstm(first)
    out2, _ = lstm(second, detach_state(state))
    loss2 = out2.sum()
    assert all(v is not state[0] and v is not out1 for v in topological_order(loss2)), \
        "the second chunk's graph reaches back into the first"
    loss2.backward()
    assert np.all(x.grad.data[:4] == 0), "the loss of chunk 2 sent gradient into chunk 1"
    assert np.all(x.grad.data[4:] != 0)


def test_without_the_cut_the_gradient_does_cross():
    """The control for the test above: the same computation, state not detached."""
    lstm = nn.LSTM(3, 4)
    x = ag.randn(8, 2, 3, requires_grad=True)
    first, second = x.split(4, 0)
    _, state = lstm(first)
    out2, _ = lstm(second, state)
    out2.sum().backward()
    assert np.all(x.grad.data[:4] != 0)


def test_truncated_bptt_gradients_are_the_sum_of_independent_chunk_gradients():
    """Each chunk's gradient computed alone, from the previous state as a constant, add up to
    what truncated_bptt accumulates; its losses are those of one uncut forward pass."""
    gru = nn.GRU(3, 4, num_layers=2)
    x = np.random.default_rng(0).standard_normal((10, 2, 3))
    w = np.random.default_rng(1).standard_normal((10, 2, 4))
    losses, final = truncated_bptt(gru, sum_loss, x, w, chunk_len=4)
    grads = {n: p.grad.data.copy() for n, p in gru.named_parameters()}

    gru.zero_grad()
    expected = {n: np.zeros_like(g) for n, g in grads.items()}
    state = None
    for start in (0, 4, 8):
        out, new_state = gru(ag.Tensor(x[start:start + 4]),
                             None if state is None else ag.Tensor(state))
        loss = sum_loss(out, w[start:start + 4])
        loss.backward()
        for n, p in gru.named_parameters():
            expected[n] += p.grad.data
        gru.zero_grad()
        state = new_state.data
    for n in grads:
        np.testing.assert_allclose(grads[n], expected[n], rtol=1e-10, err_msg=n)

    with ag.no_grad():
        full, h_n = gru(ag.Tensor(x))
    whole = [float(np.sum(full.data[s:s + 4] * w[s:s + 4])) for s in (0, 4, 8)]
    np.testing.assert_allclose(losses, whole, rtol=1e-10)
    np.testing.assert_allclose(final.data, h_n.data, rtol=1e-10)
    assert final.grad_fn is None


def test_one_chunk_as_long_as_the_sequence_is_full_bptt():
    lstm = nn.LSTM(3, 4)
    x = np.random.default_rng(0).standard_normal((6, 2, 3))
    w = np.random.default_rng(1).standard_normal((6, 2, 4))
    truncated_bptt(lstm, sum_loss, x, w, chunk_len=6)
    grads = [p.grad.data.copy() for p in lstm.parameters()]
    lstm.zero_grad()
    sum_loss(lstm(ag.Tensor(x))[0], w).backward()
    for g, p in zip(grads, lstm.parameters()):
        np.testing.assert_allclose(g, p.grad.data, rtol=1e-12)


class CharModel(nn.Module):
    def __init__(self, vocab, hidden):
        super().__init__()
        self.embed = nn.Embedding(vocab, 8)
        self.lstm = nn.LSTM(8, hidden)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, ids, state=None):
        out, state = self.lstm(self.embed(ids), state)
        return self.head(out), state


def test_truncated_bptt_trains_a_character_model():
    text = "the quick brown fox jumps over the lazy dog. " * 40
    vocab = Vocab.build(text)
    streams = batchify(vocab.encode(text), 8)             # (225, 8)
    model = CharModel(len(vocab), 32)
    opt = optim.Adam(model.parameters(), lr=0.02)

    def loss_fn(logits, targets):
        return F.cross_entropy(logits.reshape(-1, len(vocab)), ag.Tensor(targets.reshape(-1)))

    history = []
    for epoch in range(5):
        losses, _ = truncated_bptt(model, loss_fn, streams[:-1], streams[1:], 20, opt)
        history.append(np.mean(losses))
    assert history[0] > 2.0                               # about log(28) at first
    assert history[-1] < 0.3, f"mean loss per epoch: {np.round(history, 3)}"
    assert all(a > b for a, b in zip(history, history[1:])), f"loss rose: {np.round(history, 3)}"
    ids = greedy(model_step(model), vocab.encode("the quick"), 21)
    assert vocab.decode(ids) == "the quick brown fox jumps over"


def test_progress_bar_does_not_change_the_result():
    gru = nn.GRU(3, 4)
    x = np.random.default_rng(0).standard_normal((6, 2, 3))
    w = np.ones((6, 2, 4))
    quiet, _ = truncated_bptt(gru, sum_loss, x, w, 2)
    shown, _ = truncated_bptt(gru, sum_loss, x, w, 2, progress=True)
    assert quiet == shown


@pytest.mark.parametrize("call,error,words", [
    (lambda: tbptt_chunks(np.zeros((5, 2)), np.zeros((5, 2)), 0), ValueError, ["chunk_len", "0"]),
    (lambda: tbptt_chunks(np.zeros((5, 2)), np.zeros((4, 2)), 2), ValueError, ["(5, 2)", "(4, 2)"]),
    (lambda: truncated_bptt(nn.GRU(3, 4), lambda o, y: o, np.zeros((4, 1, 3)), np.zeros(4), 2),
     ValueError, ["one-element", "(2, 1, 4)"]),
])
def test_bad_input_gets_a_clear_error(call, error, words):
    with pytest.raises(error) as info:
        call()
    for word in words:
        assert word in str(info.value), f"{word!r} missing from: {info.value}"
