# %% [markdown]
# # 8. LSTM and GRU
#
# Gated cells were invented so that information, and gradient, can survive many
# time steps. The **LSTM** keeps a separate *cell state* $c_t$ and updates it with
# gates, numbers in $(0, 1)$ computed from the input and the previous hidden state
# (PyTorch's gate order $i, f, g, o$):
#
# $$\begin{aligned}
# i_t &= \sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi}) && \text{input gate: how much to write}\\
# f_t &= \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf}) && \text{forget gate: how much to keep}\\
# g_t &= \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg}) && \text{candidate: what to write}\\
# o_t &= \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho}) && \text{output gate: how much to show}\\
# c_t &= f_t \odot c_{t-1} + i_t \odot g_t, \qquad h_t = o_t \odot \tanh(c_t).
# \end{aligned}$$
#
# The **GRU** merges cell and hidden state and uses two gates, reset $r$ and update
# $z$ (order $r, z, n$):
#
# $$\begin{aligned}
# r_t &= \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}), \qquad
# z_t = \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz})\\
# n_t &= \tanh\big(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn})\big), \qquad
# h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}.
# \end{aligned}$$

# %%
import numpy as np

import autograd as ag
from autograd import Tensor
import nn
import nn.functional as F
from nn import optim
import viz

# %% [markdown]
# ## The additive path
#
# In a vanilla RNN the state is rewritten at every step, $h_t = \tanh(W_h h_{t-1} + \dots)$,
# and the gradient is multiplied by $\operatorname{diag}(1-h_t^2) W_h$ (notebook 7). In
# the LSTM, the cell state is *added to*: along the direct path
# $c_{t-1} \to c_t$ the local derivative is just the forget gate,
#
# $$\frac{\partial c_t}{\partial c_{t-1}}\Big|_{\text{direct}} = \operatorname{diag}(f_t),$$
#
# no weight matrix and no squashing. With $f_t \approx 1$ the gradient flows back
# unchanged. We check the formula on one step of an `nn.LSTMCell`, holding $h_{t-1}$
# fixed so that only the direct path is present.

# %%
ag.set_default_dtype(np.float64)
ag.manual_seed(0)
cell = nn.LSTMCell(3, 4)
x = ag.randn(2, 3)
h_prev = ag.randn(2, 4)
c_prev = Tensor(ag.randn(2, 4).data, requires_grad=True)
h_new, c_new = cell(x, (h_prev, c_prev))
v = ag.randn(2, 4)
(c_new * v).sum().backward()

gates = x.data @ cell.weight_ih.data.T + cell.bias_ih.data + h_prev.data @ cell.weight_hh.data.T + cell.bias_hh.data
f = 1 / (1 + np.exp(-gates[:, 4:8]))                 # rows 4..7 of the stacked weights: f
assert np.allclose(c_prev.grad.data, f * v.data), "d c_t / d c_{t-1} must be the forget gate"
print("dL/dc_{t-1} = f_t * dL/dc_t  (f_t =", np.round(f[0], 3), "...)")
ag.set_default_dtype(np.float32)

# %% [markdown]
# ## Parity: a task that needs a reliable memory
#
# Read a random sequence of bits and output, at every position, the parity of the
# bits so far (1 if an odd number of ones has been seen). The network has to keep
# one bit of state and flip it at every 1, exactly, for the whole sequence: a single
# error makes every later answer wrong.
#
# Three models with the same hidden size (16), the same optimizer (Adam, learning
# rate 0.01), the same 300 mini-batches of 64 sequences of length 30, a linear
# read-out at every position. Only the recurrent cell differs.

# %%
T, HIDDEN = 30, 16


def parity_batch(n, length, rng):
    bits = rng.integers(0, 2, size=(length, n))
    return Tensor(bits[..., None].astype(np.float32)), Tensor((np.cumsum(bits, 0) % 2).astype(np.float32))


class Tagger(nn.Module):
    def __init__(self, kind):
        super().__init__()
        self.rnn = getattr(nn, kind)(1, HIDDEN)
        self.out = nn.Linear(HIDDEN, 1)

    def forward(self, x):
        states, _ = self.rnn(x)
        return self.out(states)[..., 0]


class Run:
    """A model, its optimizer and its data stream, trained a number of steps at a time."""

    def __init__(self, kind, length=T, seed=0):
        ag.manual_seed(seed)
        self.rng = np.random.default_rng(seed)
        self.model, self.length = Tagger(kind), length
        self.optimizer = optim.Adam(self.model.parameters(), lr=0.01)
        self.history = []

    def train(self, steps):
        for _ in range(steps):
            x, y = parity_batch(64, self.length, self.rng)
            loss = F.binary_cross_entropy_with_logits(self.model(x), y)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            self.history.append(loss.item())
        return self

    def accuracy(self):
        """Accuracy at each position, on 1000 fresh sequences."""
        x, y = parity_batch(1000, self.length, np.random.default_rng(99))
        with ag.no_grad():
            predicted = self.model(x).data > 0
        return (predicted == (y.data > 0.5)).mean(axis=1)


runs, accuracies = {}, {}
for kind in ("RNN", "LSTM", "GRU"):
    runs[kind] = Run(kind).train(300)
    accuracies[kind] = runs[kind].accuracy()
    print(f"{kind:4}  accuracy {accuracies[kind].mean():.1%}   at positions 1, 5, 10, 30: "
          f"{np.round(accuracies[kind][[0, 4, 9, 29]], 2)}")

# %% [markdown]
# After 300 steps LSTM and GRU are right everywhere; the vanilla RNN is right at the
# first position (the parity of one bit is the bit) and at chance everywhere else.

# %%
assert accuracies["LSTM"].mean() > 0.99 and accuracies["GRU"].mean() > 0.99, "gated cells learn parity"
assert accuracies["RNN"].mean() < 0.7, "the vanilla RNN should fail at length 30 with this budget"
assert accuracies["RNN"][-1] < 0.6, "at the last position the vanilla RNN is at chance"

# %% [markdown]
# Is the vanilla RNN unable to represent parity, or slow to find it? Train it on:
# all models first sit on a plateau at loss $\log 2 pprox 0.693$ (a coin flip at
# every position), and the vanilla RNN stays there much longer. The gap is one of
# *trainability*: the gated cells, with their additive paths, find the solution
# several times sooner.

# %%
runs["RNN"].train(700)
histories = {kind: run.history for kind, run in runs.items()}
viz.plot_loss(histories)


# %%
def leaves_plateau(history, level=0.3, window=10):
    """The first step at which the loss, averaged over `window` steps, is below `level`."""
    smooth = np.convolve(history, np.ones(window) / window, mode="valid")
    below = np.nonzero(smooth < level)[0]
    return int(below[0]) + window if below.size else None


escape = {kind: leaves_plateau(history) for kind, history in histories.items()}
print("step at which the loss leaves the plateau:", escape)
assert escape["RNN"] is not None and runs["RNN"].accuracy().mean() > 0.99, \
    "given enough steps the vanilla RNN learns parity too"
assert escape["RNN"] > 2 * max(escape["LSTM"], escape["GRU"]), "the gated cells get there far sooner"

# %% [markdown]
# The length matters too: on sequences of 10 bits, with everything else the same,
# the vanilla RNN learns the task within the 300 steps.

# %%
short = Run("RNN", length=10).train(300)
print(f"vanilla RNN trained and tested on length 10: accuracy {short.accuracy().mean():.1%}")
assert short.accuracy().mean() > 0.95, "on short sequences the vanilla RNN learns parity in 300 steps"

# %% [markdown]
# ## Looking inside: the LSTM's gates
#
# We replay one sequence through the trained LSTM step by step, with its own
# weights, and record the gates. (The replay must reproduce the layer's outputs; that
# is checked.) Then `viz.plot_gates` shows each gate as a heat map: time across,
# hidden units down.

# %%
def lstm_gates(lstm, bits):
    """Replay a one-layer nn.LSTM on one sequence of bits; gate activations, shape (T, hidden) each."""
    W_ih, W_hh = lstm.weight_ih_l0.data, lstm.weight_hh_l0.data
    b = lstm.bias_ih_l0.data + lstm.bias_hh_l0.data
    H = lstm.hidden_size
    h, c = np.zeros(H), np.zeros(H)
    record = {"input i": [], "forget f": [], "candidate g": [], "output o": [], "cell c": [], "h": []}
    sig = lambda z: 1 / (1 + np.exp(-z))
    for bit in bits:
        z = W_ih @ np.array([bit], dtype=float) + W_hh @ h + b
        i, f, g, o = sig(z[:H]), sig(z[H:2 * H]), np.tanh(z[2 * H:3 * H]), sig(z[3 * H:])
        c = f * c + i * g
        h = o * np.tanh(c)
        for name, value in zip(record, (i, f, g, o, c, h)):
            record[name].append(value)
    return {name: np.array(values) for name, values in record.items()}


bits = np.random.default_rng(7).integers(0, 2, size=T)
replay = lstm_gates(runs["LSTM"].model.rnn, bits)
with ag.no_grad():
    states, _ = runs["LSTM"].model.rnn(Tensor(bits[:, None, None].astype(np.float32)))
assert np.allclose(replay["h"], states.data[:, 0], atol=1e-5), "the replay must reproduce nn.LSTM's outputs"
print("bits:  ", "".join(map(str, bits)))
print("parity:", "".join(map(str, np.cumsum(bits) % 2)))
viz.plot_gates({name: value for name, value in replay.items() if name != "h"})

# %% [markdown]
# ## The GRU's two formulations
#
# Where the reset gate acts differs between the original GRU (Cho et al., 2014) and
# the one PyTorch (and this library) uses by default:
#
# $$\text{reset\_after=True (default):}\quad n_t = \tanh\big(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn})\big)$$
# $$\text{reset\_after=False (original):}\quad n_t = \tanh\big(W_{in} x_t + b_{in} + W_{hn} (r_t \odot h_{t-1}) + b_{hn}\big)$$
#
# Resetting *after* the matrix product lets one product $h_{t-1} W_{hh}^\top$ serve
# all three gates at once (faster); resetting *before* it is the original
# definition. Same parameters, different functions: we check both against the
# formulas in numpy.

# %%
ag.manual_seed(1)
gru_after = nn.GRU(2, 3)
gru_before = nn.GRU(2, 3, reset_after=False)
gru_before.load_state_dict(gru_after.state_dict())
xs = ag.randn(4, 1, 2)


def gru_reference(gru, xs, reset_after):
    W_ih, W_hh = gru.weight_ih_l0.data, gru.weight_hh_l0.data
    b_ih, b_hh = gru.bias_ih_l0.data, gru.bias_hh_l0.data
    H = gru.hidden_size
    sig = lambda z: 1 / (1 + np.exp(-z))
    h, out = np.zeros(H), []
    for x_t in xs.data[:, 0]:
        gi = W_ih @ x_t + b_ih
        r = sig(gi[:H] + W_hh[:H] @ h + b_hh[:H])
        z = sig(gi[H:2 * H] + W_hh[H:2 * H] @ h + b_hh[H:2 * H])
        if reset_after:
            n = np.tanh(gi[2 * H:] + r * (W_hh[2 * H:] @ h + b_hh[2 * H:]))
        else:
            n = np.tanh(gi[2 * H:] + W_hh[2 * H:] @ (r * h) + b_hh[2 * H:])
        h = (1 - z) * n + z * h
        out.append(h)
    return np.array(out)


with ag.no_grad():
    out_after, _ = gru_after(xs)
    out_before, _ = gru_before(xs)
assert np.allclose(out_after.data[:, 0], gru_reference(gru_after, xs, True), atol=1e-6), "reset_after=True formula"
assert np.allclose(out_before.data[:, 0], gru_reference(gru_before, xs, False), atol=1e-6), "reset_after=False formula"
gap = np.abs(out_after.data - out_before.data).max()
print(f"same weights, largest difference between the two formulations: {gap:.3f}")
assert gap > 1e-3, "the two formulations are different functions"

# %% [markdown]
# ## Summary
#
# * The LSTM's cell state is updated additively; its direct gradient path is
#   multiplied only by the forget gate.
# * On parity over 30 steps, LSTM and GRU learn an exact memory in a budget where a
#   vanilla RNN of the same size is still guessing; it gets there only much later,
#   and on 10 steps it manages in the same budget.
# * The GRU exists in two variants that differ in where the reset gate acts.
