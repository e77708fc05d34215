# %% [markdown]
# # 10. A character-level language model
#
# A language model gives the probability of the next token given the ones before,
# $p(x_{t+1} \mid x_1, \dots, x_t)$, and so the probability of a whole text,
# $p(x_1, \dots, x_T) = \prod_t p(x_{t+1} \mid x_{\le t})$. Here the tokens are
# characters and the model is an LSTM: embedding, LSTM, a linear layer to one logit
# per character. We train it with mini-batches and truncated BPTT, measure it with
# perplexity, and generate text three ways: greedy, beam search and sampling.
#
# **The corpus** is *The Zen of Python* (PEP 20), which ships with every Python in
# the standard library's `this` module: 856 characters, no download. Importing `this`
# prints the poem, so we capture that print; the module keeps the text ROT13-encoded
# in `this.s`, which `codecs` decodes. It is tiny: the model will mostly memorise it,
# which is fine for seeing how the pieces work (a model that generalises needs
# megabytes of text and much longer training).

# %%
import codecs
import contextlib
import io
import itertools

import numpy as np

import autograd as ag
from autograd import Tensor
import nn
import nn.functional as F
from nn import optim
from nn.generation import beam_search, greedy, model_step, sample
from nn.text import Vocab, batchify
import viz

with contextlib.redirect_stdout(io.StringIO()):     # `import this` prints the poem
    import this
text = codecs.decode(this.s, "rot13")
vocab = Vocab.build(text)
ids = vocab.encode(text)
V = len(vocab)
print(f"{len(text)} characters, a vocabulary of {V}")
print(text[:180])
assert vocab.decode(ids) == text, "encoding and decoding must give the text back"

# %% [markdown]
# ## The model
#
# `forward(ids, state)` takes ids of shape $(T, B)$ (time first, as `nn.LSTM`) and the
# state carried from the previous chunk, and returns logits $(T, B, V)$ and the new
# state.

# %%
class CharLM(nn.Module):
    def __init__(self, vocab_size, embedding_dim=16, hidden_size=64):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_size)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, ids, state=None):
        ids = ids if isinstance(ids, Tensor) else Tensor(np.asarray(ids))
        states, state = self.lstm(self.embedding(ids), state)
        return self.head(states), state


def cross_entropy(logits, targets):
    """Mean negative log-likelihood of the next characters."""
    return F.cross_entropy(logits.reshape(-1, V), Tensor(np.asarray(targets).reshape(-1)))


ag.manual_seed(0)
model = CharLM(V)
print(model)

# %% [markdown]
# A forward and backward pass over four characters, drawn with each time step of
# the LSTM collapsed into one box (`collapse='time'`):

# %%
tiny_logits, _ = model(ids[:4, None])
tiny_loss = cross_entropy(tiny_logits, ids[1:5, None])
tiny_loss.backward()
model.zero_grad()
viz.draw(tiny_loss, collapse="time")

# %% [markdown]
# ## Perplexity
#
# The loss is the mean negative log-likelihood per character,
# $\mathcal L = -\frac1N\sum_t \log p(x_{t+1}\mid x_{\le t})$. Its exponential is the
# **perplexity**, $\mathrm{PP} = e^{\mathcal L}$: the number of equally likely
# characters the model is, on average, hesitating between. A model that knows nothing
# gives every character probability $1/V$, so $\mathrm{PP} = V$; a model that is
# certain and right gives $\mathrm{PP} = 1$.

# %%
def perplexity(model):
    """Perplexity of the model on the whole text, read as one stream."""
    with ag.no_grad():
        logits, _ = model(ids[:-1, None])
        return float(np.exp(cross_entropy(logits, ids[1:, None]).item()))


pp_start = perplexity(model)
print(f"perplexity before training: {pp_start:.1f} (vocabulary: {V})")
assert 0.8 * V < pp_start < 1.25 * V, "an untrained model is close to uniform: perplexity about V"

# %% [markdown]
# ## Training: mini-batches and truncated BPTT
#
# `batchify` cuts the text into 16 contiguous streams, side by side as the columns of
# a $(T, 16)$ array; each training step reads the next 25 characters of all 16 streams.
# Because chunk $k+1$ of a column continues chunk $k$, the LSTM's final state after a
# chunk is the right state to start the next one from: it is carried over, but
# detached (truncated BPTT, notebook 7). `nn.truncated_bptt` runs one pass over the
# streams this way, one optimizer step per chunk.

# %%
streams = batchify(ids, 16)
print("streams:", streams.shape, "  first column starts:", repr(vocab.decode(streams[:30, 0])))
optimizer = optim.Adam(model.parameters(), lr=0.02)
history = []
for epoch in range(60):
    losses, _ = nn.truncated_bptt(model, cross_entropy, streams[:-1], streams[1:], 25, optimizer)
    history.extend(losses)
pp_end = perplexity(model)
print(f"loss {history[0]:.3f} -> {history[-1]:.3f}, perplexity {pp_start:.1f} -> {pp_end:.2f}")
assert pp_end < 3.0, "after training the model should be nearly sure of each next character"

# %% [markdown]
# The last training losses are lower than $\log$ of that perplexity. Training always
# read the text as the same 16 streams, each starting from a zero state at its own
# offset; read in that layout, the perplexity is lower still. Part of what the model
# learnt is specific to those 16 contexts: a first taste of overfitting.

# %%
with ag.no_grad():
    stream_logits, _ = model(streams[:-1])
    pp_streams = float(np.exp(cross_entropy(stream_logits, streams[1:]).item()))
print(f"perplexity in the training layout: {pp_streams:.2f}, as one stream: {pp_end:.2f}")
assert pp_streams < pp_end, "the model does best on text laid out exactly as it was trained"

# %%
viz.plot_loss(history, xlabel="chunk (25 steps x 16 streams)")

# %% [markdown]
# ## Generating text
#
# Generation feeds the model its own output: pick a next character from
# $p(\cdot\mid\text{text so far})$, append it, repeat. `nn.generation` drives any model
# through one function, `step(token_id, state) -> (logits, state)`; `model_step`
# builds it for a model like ours.
#
# **Greedy search** takes the most probable character every time.

# %%
step = model_step(model)
prompt = list(vocab.encode("Beautiful is "))
greedy_text = vocab.decode(greedy(step, prompt, 60))
print(repr(greedy_text))
assert greedy_text.startswith("Beautiful is better than"), "the model should have learnt the first line's pattern"

# %% [markdown]
# **Beam search** keeps the `beam_width` most probable partial texts at every step,
# not just one. Here a text ends at the end of the line (`eos` is the newline). Scores
# are log-probabilities of the generated characters; with `length_norm=True` they are
# divided by the number of characters, so that a sequence is not preferred just for
# being short (every extra token multiplies the probability by a number below 1). We
# check the reported scores against the model independently.

# %%
def log_prob(step, start, generated):
    """Sum of log p of `generated` after `start`, computed token by token."""
    logits, state = None, None
    for token in start:
        logits, state = step(token, state)
    total = 0.0
    for token in generated:
        z = np.asarray(getattr(logits, "data", logits), dtype=np.float64)
        total += z[token] - (z.max() + np.log(np.exp(z - z.max()).sum()))
        logits, state = step(token, state)
    return total


newline = int(vocab.encode("\n")[0])
for norm in (False, True):
    beams = beam_search(step, prompt, 40, beam_width=3, eos=newline, length_norm=norm)
    print(f"length_norm={norm}:")
    for seq, score in beams:
        generated = seq[len(prompt):]
        expected = log_prob(step, prompt, generated) / (len(generated) if norm else 1)
        assert np.isclose(score, expected, atol=1e-6), "a beam's score is the log-probability of its characters"
        print(f"  {score:8.4f}  {vocab.decode(seq)!r}")

# %% [markdown]
# **Sampling** draws the next character at random from
# $\mathrm{softmax}(z / \tau)$. The *temperature* $\tau$ reshapes the distribution: below
# 1 it sharpens it towards greedy, above 1 it flattens it towards uniform, trading
# faithfulness for variety.

# %%
samples = {}
for tau in (0.5, 1.0, 1.5):
    generated = sample(step, prompt, 120, temperature=tau, seed=0)
    samples[tau] = generated[len(prompt):]
    print(f"temperature {tau}: {vocab.decode(generated)!r}\n")

per_char = {tau: log_prob(step, prompt, gen) / len(gen) for tau, gen in samples.items()}
print("mean log p per sampled character:", {tau: round(float(v), 3) for tau, v in per_char.items()})
assert per_char[0.5] > per_char[1.0] > per_char[1.5], \
    "the hotter the sampling, the less probable (under the model) the text it produces"

z = np.asarray(step(prompt[0], None)[0].data, dtype=np.float64)
entropy = {}
for tau in (0.5, 1.0, 1.5):
    p = np.exp(z / tau - (z / tau).max())
    p /= p.sum()
    entropy[tau] = -(p * np.log(p + 1e-300)).sum()
assert entropy[0.5] < entropy[1.0] < entropy[1.5], "temperature raises the entropy of the next-character distribution"

# %% [markdown]
# ## Why greedy is not enough: "yes yes" or "ok ok"?
#
# A toy model over the words `<s>`, `yes`, `ok`, `</s>` with fixed probabilities (a
# table, no training), as in the lecture. After `<s>`, `yes` is the most likely
# word (0.5 against 0.4 for `ok`), but what follows `yes` is uncertain while `ok` is
# almost always followed by another `ok`:

# %%
WORDS = ["<s>", "yes", "ok", "</s>"]
BOS, YES, OK, EOS = range(4)
TABLE = {                                    # history -> p(next word)
    (BOS,): {YES: 0.5, OK: 0.4, EOS: 0.1},
    (BOS, YES): {YES: 0.4, EOS: 0.35, OK: 0.25},
    (BOS, OK): {OK: 0.8, YES: 0.1, EOS: 0.1},
    (BOS, OK, OK): {OK: 0.8, YES: 0.1, EOS: 0.1},
    (BOS, OK, OK, OK): {OK: 0.8, YES: 0.1, EOS: 0.1},
    (BOS, OK, OK, OK, OK): {EOS: 0.8, OK: 0.1, YES: 0.1},
}
OTHERWISE = {EOS: 0.6, YES: 0.2, OK: 0.2}


def toy_step(token, state):
    """The state is the history; the logits are log-probabilities from the table."""
    history = (state or ()) + (token,)
    probs = TABLE.get(history, OTHERWISE)
    return np.log([probs.get(w, 1e-12) for w in range(len(WORDS))]), history


def words(ids):
    return " ".join(WORDS[i] for i in ids)


def probability(generated):
    return float(np.exp(log_prob(toy_step, [BOS], generated)))


two_words = {seq: probability(seq) for seq in itertools.product([YES, OK, EOS], repeat=2)}
for seq, p in sorted(two_words.items(), key=lambda kv: -kv[1])[:4]:
    print(f"p({words(seq)}) = {p:.3f}")

# %%
greedy_two = greedy(toy_step, [BOS], 2)
beam_two = beam_search(toy_step, [BOS], 2, beam_width=2, length_norm=False)[0][0]
best_two = max(two_words, key=two_words.get)
print("greedy:     ", words(greedy_two), f" p = {probability(greedy_two[1:]):.3f}")
print("beam (k=2): ", words(beam_two), f" p = {probability(beam_two[1:]):.3f}")
assert greedy_two == [BOS, YES, YES], "greedy commits to 'yes' and then takes the best word after it"
assert tuple(beam_two[1:]) == best_two == (OK, OK), "beam search finds the most probable pair, 'ok ok'"
assert two_words[(OK, OK)] > two_words[(YES, YES)], "'ok ok' (0.4 x 0.8) beats 'yes yes' (0.5 x 0.4)"

# %% [markdown]
# Greedy's first choice was locally best and globally wrong: $0.5 \times 0.4 = 0.20$
# for `yes yes` against $0.4 \times 0.8 = 0.32$ for `ok ok`. Keeping two hypotheses
# was enough to recover.
#
# **Length normalisation.** Now let sequences end with `</s>` (at most 5 words). The
# short `yes </s>` has probability $0.5 \times 0.35 = 0.175$; the long
# `ok ok ok ok </s>` has $0.4 \times 0.8^4 \approx 0.164$, slightly less in total, but
# its words are far more probable *on average*. Ranked by total log-probability,
# beam search prefers the short answer; divided by the length, the long one. We check
# both against an exhaustive search over every sequence.

# %%
def exhaustive(max_len, length_norm):
    """Every continuation of <s> (ending at </s> or at max_len words), best first."""
    ranked = []
    for n in range(1, max_len + 1):
        for seq in itertools.product([YES, OK, EOS], repeat=n):
            if EOS in seq[:-1] or (n < max_len and seq[-1] != EOS):
                continue                     # ended early, or not ended before max_len
            score = log_prob(toy_step, [BOS], seq)
            ranked.append((score / n if length_norm else score, seq))
    return sorted(ranked, reverse=True)


for norm in (False, True):
    found = beam_search(toy_step, [BOS], 5, beam_width=3, eos=EOS, length_norm=norm)[0]
    best_score, best_seq = exhaustive(5, norm)[0]
    print(f"length_norm={norm}: beam search -> {words(found[0])} ({found[1]:.3f}); "
          f"exhaustive -> {words((BOS,) + best_seq)} ({best_score:.3f})")
    assert tuple(found[0][1:]) == best_seq and np.isclose(found[1], best_score), "beam search must find the best"
assert exhaustive(5, False)[0][1] == (YES, EOS) and exhaustive(5, True)[0][1] == (OK, OK, OK, OK, EOS), \
    "without normalisation the short answer wins, with it the long one"
print("greedy with </s>:", words(greedy(toy_step, [BOS], 5, eos=EOS)))

# %% [markdown]
# ## Summary
#
# * A character LM is trained on the next-character cross-entropy; truncated BPTT
#   with a carried state lets it read a long text in short chunks.
# * Perplexity $e^{\mathcal L}$ goes from about the vocabulary size to near 1 as the
#   model becomes sure (here: by memorising a tiny corpus).
# * Greedy search can miss the most probable sequence; beam search keeps several
#   hypotheses; length normalisation stops it from favouring short outputs;
#   sampling with a temperature trades probability for variety.
