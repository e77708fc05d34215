"""nn.generation: greedy, beam search and sampling on toy models whose answers are known."""

import itertools

import numpy as np
import pytest

import autograd as ag
import nn
from nn.generation import beam_search, greedy, make_step, model_step, sample


def table_model(table):
    """step() of a model whose next-token probabilities depend on the last token only."""
    def step(token, state):
        history = (state or ()) + (token,)
        return np.log(np.asarray(table[token], dtype=np.float64)), history
    return step


def history_model(vocab, seed):
    """step() of a model whose logits depend on the whole history (fixed pseudo-random)."""
    def step(token, state):
        history = (state or ()) + (token,)
        code = sum((t + 1) * 31 ** i for i, t in enumerate(history))
        return np.random.default_rng([seed, code]).normal(0, 2, vocab), history
    return step


def log_probs_of(step, start, continuation):
    """log p of each token of `continuation` after `start`, by feeding the model by hand."""
    state, out = None, []
    for tok in start:
        logits, state = step(tok, state)
    for tok in continuation:
        z = np.asarray(logits, dtype=np.float64)
        out.append(z[tok] - np.log(np.sum(np.exp(z))))
        logits, state = step(tok, state)
    return out


YES, OK, EOS, BOS = 0, 1, 2, 3
# After BOS "yes" is likelier than "ok", but "ok" is almost always followed by "ok"
# while "yes" scatters: greedy says "yes yes" (0.6 * 0.4 = 0.24), "ok ok" is 0.4 * 0.9 = 0.36.
YES_OK = {BOS: [0.58, 0.4, 0.01, 0.01], YES: [0.4, 0.3, 0.29, 0.01],
          OK: [0.05, 0.9, 0.04, 0.01], EOS: [0.25] * 4}


def test_greedy_takes_the_locally_best_token():
    assert greedy(table_model(YES_OK), [BOS], 2) == [BOS, YES, YES]


def test_beam_search_finds_the_more_probable_sequence_greedy_misses():
    best, score = beam_search(table_model(YES_OK), [BOS], 2, beam_width=2, length_norm=False)[0]
    assert best == [BOS, OK, OK]
    assert score == pytest.approx(np.log(0.4) + np.log(0.9))


def test_beam_width_one_is_greedy():
    step = history_model(5, seed=3)
    for start in ([0], [1, 2]):
        (ids, _), = beam_search(step, start, 6, beam_width=1)
        assert ids == greedy(step, start, 6)


def all_continuations(vocab, max_len, eos):
    """Every sequence of 1..max_len tokens in which eos can only come last."""
    for n in range(1, max_len + 1):
        for seq in itertools.product(range(vocab), repeat=n):
            if eos not in seq[:-1] and (n == max_len or seq[-1] == eos):
                yield list(seq)


@pytest.mark.parametrize("length_norm", [True, False])
def test_beam_search_as_wide_as_all_sequences_is_exact(length_norm):
    vocab, max_len, eos = 3, 4, 2
    step = history_model(vocab, seed=11)
    start = [0, 1]
    expected = []
    for seq in all_continuations(vocab, max_len, eos):
        total = sum(log_probs_of(step, start, seq))
        expected.append((start + seq, total / len(seq) if length_norm else total))
    expected.sort(key=lambda r: -r[1])
    got = beam_search(step, start, max_len, beam_width=vocab ** max_len, eos=eos,
                      length_norm=length_norm)
    assert len(got) == len(expected)
    assert [ids for ids, _ in got] == [ids for ids, _ in expected]
    np.testing.assert_allclose([s for _, s in got], [s for _, s in expected], rtol=1e-12)


def test_length_normalisation_stops_favouring_short_endings():
    A, E, S = 0, 1, 2
    table = {S: [0.5, 0.5, 1e-9], A: [0.9, 0.1, 1e-9], E: [0.5, 0.5, 1e-9]}
    raw = beam_search(table_model(table), [S], 3, beam_width=3, eos=E, length_norm=False)
    normed = beam_search(table_model(table), [S], 3, beam_width=3, eos=E, length_norm=True)
    assert raw[0][0] == [S, E]                     # log 0.5 beats log 0.5 + 2 log 0.9
    assert normed[0][0] == [S, A, A, A]            # per token, the long one is likelier
    assert normed[0][1] == pytest.approx((np.log(0.5) + 2 * np.log(0.9)) / 3)


def test_beam_search_returns_at_most_beam_width_results_best_first():
    got = beam_search(history_model(6, seed=5), [0], 5, beam_width=4, eos=5)
    assert len(got) == 4
    scores = [s for _, s in got]
    assert scores == sorted(scores, reverse=True)
    assert len({tuple(ids) for ids, _ in got}) == 4


def test_finished_sequences_end_with_eos_and_keep_their_score():
    step = history_model(4, seed=2)
    got = beam_search(step, [1], 6, beam_width=5, eos=3, length_norm=False)
    for ids, score in got:
        generated = ids[1:]
        assert 3 not in generated[:-1]
        assert generated[-1] == 3 or len(generated) == 6
        assert score == pytest.approx(sum(log_probs_of(step, [1], generated)))


def test_generation_stops_at_eos_and_counts_max_len_after_start():
    step = table_model({0: [0.1, 0.8, 0.1], 1: [0.1, 0.1, 0.8], 2: [1 / 3] * 3})
    assert greedy(step, [0], 10, eos=2) == [0, 1, 2]
    assert greedy(step, [0], 10) == [0] + [1, 2, 0] * 3 + [1]   # uniform after 2: lowest id
    assert greedy(step, [0, 0], 0) == [0, 0]
    assert sample(step, [0], 10, temperature=1e-3, eos=2, seed=0) == [0, 1, 2]
    assert beam_search(step, [0], 0) == [([0], 0.0)]


# -- sampling -------------------------------------------------------------------------

def fixed_model(logits):
    return lambda token, state: (np.asarray(logits, dtype=np.float64), None)


LOGITS = [2.0, 1.0, 0.5, 0.0, -1.0]
CHI2_CRITICAL_P001 = {1: 10.83, 2: 13.82, 3: 16.27, 4: 18.47}   # chi-square, p = 0.001


def chi_square(tokens, probs):
    counts = np.bincount(tokens, minlength=len(probs))
    support = probs > 0
    assert counts[~support].sum() == 0, f"drew tokens of probability 0: {counts}"
    expected = probs[support] * len(tokens)
    return float(np.sum((counts[support] - expected) ** 2 / expected)), int(support.sum()) - 1


@pytest.mark.parametrize("temperature,top_k", [(1.0, None), (0.5, None), (2.0, None), (1.0, 2),
                                               (1.5, 3)])
def test_sampling_follows_the_tempered_top_k_distribution(temperature, top_k):
    n = 4000
    drawn = sample(fixed_model(LOGITS), [0], n, temperature=temperature, top_k=top_k, seed=123)[1:]
    z = np.array(LOGITS) / temperature
    if top_k is not None:
        z[np.argsort(-z)[top_k:]] = -np.inf
    probs = np.exp(z - z.max())
    probs /= probs.sum()
    stat, df = chi_square(np.array(drawn), probs)
    assert stat < CHI2_CRITICAL_P001[df], f"chi-square {stat:.1f} with {df} degrees of freedom"


def test_sampling_with_a_seed_is_repeatable():
    step = history_model(7, seed=1)
    a = sample(step, [0], 30, seed=42)
    assert a == sample(step, [0], 30, seed=42)
    assert a != sample(step, [0], 30, seed=43)


def test_sampling_without_a_seed_follows_manual_seed():
    step = history_model(7, seed=1)
    ag.manual_seed(9)
    a = sample(step, [0], 30)
    ag.manual_seed(9)
    assert a == sample(step, [0], 30)


def test_low_temperature_sampling_is_greedy_and_top_k_one_too():
    step = history_model(6, seed=4)
    assert sample(step, [2], 12, temperature=1e-4, seed=0) == greedy(step, [2], 12)
    assert sample(step, [2], 12, top_k=1, seed=0) == greedy(step, [2], 12)


# -- with real models -----------------------------------------------------------------------

def test_make_step_gives_the_logits_of_the_whole_sequence_run_at_once():
    ag.manual_seed(0)
    vocab = 5
    lstm, head = nn.LSTM(vocab, 8, num_layers=2), nn.Linear(8, vocab)
    step = make_step(lstm, head)
    tokens = [3, 1, 4, 1]
    state = None
    for tok in tokens:
        logits, state = step(tok, state)
    out, _ = lstm(nn.text.one_hot(np.array(tokens)[:, None], vocab))
    np.testing.assert_allclose(logits.data, head(out[-1, 0]).data, rtol=1e-5)


def test_make_step_with_an_embedding_and_with_a_cell():
    ag.manual_seed(1)
    emb, cell, head = nn.Embedding(6, 4), nn.GRUCell(4, 5), nn.Linear(5, 6)
    step = make_step(cell, head, embedding=emb)
    logits, h = step(2, None)
    expected_h = cell(emb(ag.Tensor(np.array([2]))))
    np.testing.assert_allclose(h.data, expected_h.data)
    np.testing.assert_allclose(logits.data, head(expected_h).data.reshape(-1))
    ids = greedy(step, [2], 5)
    assert len(ids) == 6 and all(0 <= i < 6 for i in ids)


class CharModel(nn.Module):
    def __init__(self, vocab):
        super().__init__()
        self.embed = nn.Embedding(vocab, 4)
        self.rnn = nn.GRU(4, 6)
        self.head = nn.Linear(6, vocab)

    def forward(self, ids, state=None):
        out, state = self.rnn(self.embed(ids), state)
        return self.head(out), state


def test_model_step_drives_a_sequence_model_without_recording_a_graph():
    ag.manual_seed(2)
    model = CharModel(7)
    seen = []
    inner = model_step(model)

    def step(token, state):
        seen.append(ag.is_grad_enabled())
        logits, state = inner(token, state)
        assert logits.grad_fn is None
        return logits, state

    ids = beam_search(step, [1, 2], 4, beam_width=2)[0][0]
    sample(step, [1], 3, seed=0)
    assert len(ids) == 6 and seen and not any(seen)
    logits, _ = model(ag.Tensor(np.array([[1], [2]])))
    first = greedy(model_step(model), [1, 2], 1)[-1]
    assert first == int(np.argmax(logits.data[-1, 0]))


# -- bad input --------------------------------------------------------------------------------

STEP = fixed_model(LOGITS)


@pytest.mark.parametrize("call,error,words", [
    (lambda: greedy(STEP, [], 3), ValueError, ["greedy", "start", "empty"]),
    (lambda: sample(STEP, 3, 3), TypeError, ["sample", "start"]),
    (lambda: beam_search(STEP, [0], 3, beam_width=0), ValueError, ["beam_search", "beam_width", "0"]),
    (lambda: sample(STEP, [0], 3, temperature=0), ValueError, ["sample", "temperature", "0"]),
    (lambda: sample(STEP, [0], 3, temperature=-1.0), ValueError, ["temperature"]),
    (lambda: sample(STEP, [0], 3, top_k=0), ValueError, ["top_k"]),
    (lambda: greedy(STEP, [0], -1), ValueError, ["max_len"]),
    (lambda: greedy(lambda t, s: (np.zeros((1, 5)), s), [0], 3), ValueError,
     ["greedy", "shape (vocab,)", "(1, 5)"]),
    (lambda: beam_search(lambda t, s: (np.zeros(3 + t), s), [0], 3), ValueError,
     ["beam_search", "(4,)", "(3,)"]),
    (lambda: greedy(lambda t, s: np.zeros(5), [0], 3), TypeError, ["greedy", "(logits, state)"]),
    (lambda: greedy(STEP, [0], 3, eos=9), ValueError, ["greedy", "eos", "9", "5"]),
    (lambda: greedy(STEP, [0, 7], 3), ValueError, ["greedy", "[7]"]),
    (lambda: sample(lambda t, s: (np.full(5, np.nan), s), [0], 3), ValueError, ["sample", "NaN"]),
])
def test_bad_input_gets_a_clear_error(call, error, words):
    with pytest.raises(error) as info:
        call()
    for word in words:
        assert word in str(info.value), f"{word!r} missing from: {info.value}"
