"""Generating token sequences from a language model: greedy, beam search, sampling.

Every function here drives a model through one small interface,

    step(token_id, state) -> (logits, state)

`logits` (a Tensor or ndarray of shape (vocab,)) scores the next token after
`token_id`; `state` is whatever the model carries between tokens, `None` before
the first one. The `start` ids (at least one) are fed first; then each new
token is chosen from the last logits and fed back. `step` must not change a
state it was given (beam search feeds one state to several tokens).
`make_step` and `model_step` build `step` from a trained recurrent model.

`max_len` is the number of tokens generated after `start` at most; generation
stops early when `eos` is produced. The returned id lists hold `start`, the
generated tokens and `eos` when it was reached. Nothing is recorded for
backward (everything runs under `ag.no_grad`).

    greedy        the most probable next token, every time
    beam_search   keeps the `beam_width` most probable partial sequences; scores
                  log p(generated tokens | start), divided by their number when
                  `length_norm` (so short endings are not favoured)
    sample        draws from softmax(logits / temperature), among the `top_k`
                  best tokens if given; `seed` makes the draws repeatable
"""

import numbers

import numpy as np

import autograd as ag
from autograd import Tensor

from ._checks import check_int
from .text import one_hot

__all__ = ["greedy", "beam_search", "sample", "sampling_probabilities", "make_step", "model_step"]


# -- checks and the model's scores --------------------------------------------

def _check_start(start, fn):
    if isinstance(start, (Tensor, np.ndarray)):
        start = np.asarray(getattr(start, "data", start)).reshape(-1).tolist()
    if isinstance(start, numbers.Integral) or not hasattr(start, "__iter__"):
        raise TypeError(f"{fn}: start must be a list of token ids, got {type(start).__name__}")
    start = list(start)
    if not start:
        raise ValueError(f"{fn}: start must hold at least one token id (the model needs "
                         f"something to condition on), got an empty list")
    for tok in start:
        if isinstance(tok, bool) or not isinstance(tok, numbers.Integral) or tok < 0:
            raise ValueError(f"{fn}: start must hold non-negative int token ids, got {tok!r}")
    return [int(t) for t in start]


class _Model:
    """Calls `step`, checks its logits (shape (vocab,), vocab fixed, no NaN) and eos."""

    def __init__(self, step, fn, eos):
        if not callable(step):
            raise TypeError(f"{fn}: step must be callable as step(token_id, state) -> "
                            f"(logits, state), got {type(step).__name__}")
        if eos is not None and (isinstance(eos, bool) or not isinstance(eos, numbers.Integral)):
            raise TypeError(f"{fn}: eos must be an int token id or None, got {eos!r}")
        self.step, self.fn, self.eos, self.vocab = step, fn, eos, None

    def __call__(self, token, state):
        result = self.step(token, state)
        if not isinstance(result, tuple) or len(result) != 2:
            raise TypeError(f"{self.fn}: step must return a pair (logits, state), "
                            f"got {type(result).__name__}")
        logits, state = result
        z = np.asarray(logits.data if isinstance(logits, Tensor) else logits, dtype=np.float64)
        if z.ndim != 1 or z.size == 0:
            raise ValueError(f"{self.fn}: step must return logits of shape (vocab,), got shape "
                             f"{z.shape} (for a batch of one, take [0]; for a sequence, the last step)")
        if self.vocab is None:
            self.vocab = z.size
            if self.eos is not None and not 0 <= self.eos < self.vocab:
                raise ValueError(f"{self.fn}: eos {self.eos} is not a token id of this "
                                 f"vocabulary of {self.vocab}")
        elif z.size != self.vocab:
            raise ValueError(f"{self.fn}: step returned logits of shape {z.shape}, but earlier "
                             f"ones had shape ({self.vocab},)")
        if np.isnan(z).any():
            raise ValueError(f"{self.fn}: step returned NaN logits after token {token}")
        return z, state

    def prime(self, start):
        """Feed the start tokens; the logits after the last one and the state."""
        state = None
        for tok in start:
            logits, state = self(tok, state)
        bad = [t for t in start if t >= self.vocab]
        if bad:
            raise ValueError(f"{self.fn}: start tokens {bad} are not ids of this vocabulary "
                             f"of {self.vocab}")
        return logits, state


def _log_softmax(logits):
    """log p = z - logsumexp(z), stable for large logits (a -inf logit gets log p = -inf)."""
    z = np.asarray(logits, dtype=np.float64)
    m = np.max(z)
    return z - (m + np.log(np.sum(np.exp(z - m))))


# -- the three strategies ---------------------------------------------------------

def greedy(step, start, max_len, eos=None):
    """Always the most probable next token (the lowest id among equals)."""
    start = _check_start(start, "greedy")
    max_len = check_int(max_len, "max_len", "greedy", 0)
    return _generate(_Model(step, "greedy", eos), start, max_len, lambda z: int(np.argmax(z)))


def _generate(model, start, max_len, choose):
    """Feed `start`, then up to max_len tokens picked by choose(logits), stopping at eos."""
    out = list(start)
    with ag.no_grad():
        logits, state = model.prime(start)
        for i in range(max_len):
            tok = choose(logits)
            out.append(tok)
            if tok == model.eos or i == max_len - 1:     # the last token needs no logits
                break
            logits, state = model(tok, state)
    return out


def beam_search(step, start, max_len, beam_width=3, eos=None, length_norm=True):
    """The `beam_width` best continuations found, best first, as (ids, score) pairs.

    Each step extends every live sequence by its best tokens and keeps the
    `beam_width` most probable extensions (equal lengths: raw log-probabilities
    compare fairly). An extension ending in `eos` among the top `beam_width`
    is finished and set aside; the live beam is refilled from the next best.
    At the end finished and live sequences are ranked together by score:
    sum of log p of the generated tokens (eos included), divided by their
    number when `length_norm`. With beam_width >= vocab ** max_len nothing is
    pruned, so the result is the exact ranking of all continuations.
    """
    start = _check_start(start, "beam_search")
    max_len = check_int(max_len, "max_len", "beam_search", 0)
    beam_width = check_int(beam_width, "beam_width", "beam_search")
    model = _Model(step, "beam_search", eos)
    with ag.no_grad():
        logits, state = model.prime(start)
        live = [(0.0, [], logits, state)]          # (sum of log p, generated, logits, state)
        finished = []                              # (sum of log p, generated)
        for i in range(max_len):
            # each beam offers its best tokens, one more when one of them may be eos
            per_beam = min(model.vocab, beam_width + (eos is not None))
            candidates = []
            for b, (total, _, z, _) in enumerate(live):
                logp = _log_softmax(z)
                for tok in np.argsort(-logp, kind="stable")[:per_beam]:
                    candidates.append((total + logp[tok], b, int(tok)))
            candidates.sort(key=lambda c: -c[0])   # stable: ties keep beam and token order
            survivors = []                         # (sum of log p, generated, parent's state)
            for rank, (total, b, tok) in enumerate(candidates):
                if len(survivors) == beam_width:
                    break
                generated = live[b][1] + [tok]
                if tok != eos:
                    survivors.append((total, generated, live[b][3]))
                elif rank < beam_width:
                    finished.append((total, generated))
            if i == max_len - 1:                   # the last tokens need no logits
                live = [(total, generated, None, None) for total, generated, _ in survivors]
                break
            live = [(total, generated) + model(generated[-1], s) for total, generated, s in survivors]
            if not live:
                break
    ranked = []
    for total, generated in finished + [beam[:2] for beam in live]:
        score = total / len(generated) if length_norm and generated else total
        ranked.append((start + generated, float(score)))
    ranked.sort(key=lambda r: -r[1])               # stable: finished first among equals
    return ranked[:beam_width]


def sample(step, start, max_len, temperature=1.0, top_k=None, eos=None, seed=None):
    """Draw each next token from softmax(logits / temperature), restricted to the top_k best.

    temperature < 1 sharpens the distribution, > 1 flattens it. `seed` gives a
    private generator (same seed, same tokens); without it the draws come from
    `ag.generator()` (repeatable after `ag.manual_seed`).
    """
    start = _check_start(start, "sample")
    max_len = check_int(max_len, "max_len", "sample", 0)
    if isinstance(temperature, bool) or not isinstance(temperature, numbers.Real) or not temperature > 0:
        raise ValueError(f"sample: temperature must be a number > 0, got {temperature!r}")
    if top_k is not None:
        top_k = check_int(top_k, "top_k", "sample")
    rng = np.random.default_rng(seed) if seed is not None else ag.generator()
    return _generate(_Model(step, "sample", eos), start, max_len,
                     lambda z: _draw(z, temperature, top_k, rng))


def sampling_probabilities(logits, temperature=1.0, top_k=None):
    """The distribution `sample` draws from: softmax(logits / T) over the top_k best, 0 elsewhere."""
    z = np.asarray(logits, dtype=np.float64) / temperature
    if top_k is not None and top_k < z.size:
        keep = np.argsort(-z, kind="stable")[:top_k]
        masked = np.full_like(z, -np.inf)
        masked[keep] = z[keep]
        z = masked
    return np.exp(_log_softmax(z))


def _draw(logits, temperature, top_k, rng):
    p = sampling_probabilities(logits, temperature, top_k)
    cdf = np.cumsum(p)
    # inverse transform: the first token whose cumulative probability exceeds u
    return int(min(np.searchsorted(cdf, rng.random() * cdf[-1], side="right"), len(p) - 1))


# -- models as steps -----------------------------------------------------------------

def make_step(rnn, head, embedding=None, vocab_size=None):
    """`step(token_id, state)` for the model  token -> embedding or one-hot -> rnn -> head.

    rnn: a recurrent layer (nn.RNN/LSTM/GRU, batch_first or not) or cell
    (nn.RNNCell/LSTMCell/GRUCell); its state is the step's state.
    head: maps the top layer's output of shape (1, hidden) (a cell's h for cells)
    to logits (nn.Linear(hidden, vocab), or any callable).
    embedding: maps an int64 id array of shape (1,) to (1, input_size)
    (nn.Embedding); without it the token is one-hot coded, with vocab_size
    classes (rnn.input_size unless given).
    """
    from .rnn import _CellBase   # the cells take (input,) and return the state itself

    is_cell = isinstance(rnn, _CellBase)
    classes = vocab_size if vocab_size is not None else getattr(rnn, "input_size", None)
    if embedding is None and classes is None:
        raise ValueError("make_step: without an embedding, give vocab_size (the one-hot width)")

    def step(token_id, state):
        ids = np.array([token_id], dtype=np.int64)
        x = embedding(Tensor(ids)) if embedding is not None else one_hot(ids, classes)
        if is_cell:
            state = rnn(x, state)
            out = state[0] if isinstance(state, tuple) else state
        else:
            out, state = rnn(x, state)            # unbatched: x (1, input) -> out (1, hidden)
        logits = head(out)
        return logits.reshape(-1), state

    return step


def model_step(model):
    """`step(token_id, state)` for a sequence model  model(ids, state) -> (logits, state).

    The model takes ids of shape (1, 1) (one step, batch of one) and returns
    logits of shape (1, 1, vocab) (or any shape holding vocab numbers).
    """
    def step(token_id, state):
        logits, state = model(Tensor(np.array([[token_id]], dtype=np.int64)), state)
        return logits.reshape(-1), state

    return step
