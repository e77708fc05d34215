# %% [markdown]
# # 9. Deep and bidirectional RNNs
#
# Two ways to make a recurrent network bigger:
#
# * **deep (stacked)**: layer $k$ reads the sequence of hidden states of layer $k-1$,
#   $h^{(k)}_t = f\big(W^{(k)}_x h^{(k-1)}_t + W^{(k)}_h h^{(k)}_{t-1}\big)$;
# * **bidirectional**: a second RNN reads the sequence from the end to the start, and
#   the output at position $t$ joins both states, $[\overrightarrow{h}_t ; \overleftarrow{h}_t]$,
#   so it summarises the past *and* the future of position $t$.
#
# We look at the shapes the library returns, then at a task that a forward-only RNN
# cannot solve however long it trains.

# %%
import numpy as np

import autograd as ag
from autograd import Tensor
import nn
import nn.functional as F
from nn import optim
import viz

ag.manual_seed(0)

# %% [markdown]
# ## Shapes
#
# With sequence length $T$, batch $B$, `num_layers` $=2$ and `bidirectional=True`,
# `nn.RNN` returns (PyTorch's layout):
#
# * `output`: $(T, B, 2H)$, the last layer's states, forward and backward side by side;
# * `h_n`: $(\text{num\_layers} \cdot 2, B, H)$, the final state of every layer and
#   direction: `h_n[2k]` forward, `h_n[2k+1]` backward.
#
# The forward direction's final state is its state at $t = T$, the *last* row of
# `output`; the backward direction's final state is its state at $t = 1$, the *first*
# row, because that is where it finishes.

# %%
T, B, H = 5, 3, 4
rnn = nn.RNN(input_size=2, hidden_size=H, num_layers=2, bidirectional=True)
output, h_n = rnn(ag.randn(T, B, 2))
print("output", output.shape, " h_n", h_n.shape)
assert output.shape == (T, B, 2 * H) and h_n.shape == (4, B, H), "PyTorch's shapes"
assert np.allclose(h_n.data[2], output.data[-1, :, :H]), "forward: final state = last output"
assert np.allclose(h_n.data[3], output.data[0, :, H:]), "backward: final state = first output"
for name, p in rnn.named_parameters():
    print(f"{name:22} {p.shape}")

# %% [markdown]
# The second layer's input weights take $2H$ features: the first layer's two
# directions, concatenated.

# %%
assert rnn.weight_ih_l1.shape == (H, 2 * H) and rnn.weight_ih_l1_reverse.shape == (H, 2 * H), \
    "layer 2 reads both directions of layer 1"

# %% [markdown]
# A one-layer bidirectional RNN over three steps, drawn by time step: the forward
# chain runs $t = 0 \to 2$, the backward chain $t = 2 \to 0$, and each position's
# output joins one state of each.

# %%
small = nn.RNN(input_size=1, hidden_size=2, bidirectional=True)
out_small, _ = small(Tensor(np.array([[[1.0]], [[0.0]], [[1.0]]], dtype=np.float32)))
loss_small = out_small.sum()
loss_small.backward()
viz.draw(loss_small, group_by="time")

# %% [markdown]
# ## A task that needs the future
#
# Read a sequence of random bits and label **each position with the next bit**:
# $y_t = x_{t+1}$ (and $y_T = 0$). At position $t$, a forward RNN has seen
# $x_1, \dots, x_t$ only; $x_{t+1}$ is a fair coin it has not seen, so it can do no
# better than 50% (except at the last position, where the label is always 0). The
# backward direction has just read $x_{t+1}$ when it reaches position $t$.

# %%
def next_bit_data(n, T, rng):
    x = rng.integers(0, 2, size=(T, n)).astype(np.float32)
    y = np.concatenate([x[1:], np.zeros((1, n), np.float32)])
    return Tensor(x[..., None]), Tensor(y)


class Tagger(nn.Module):
    """An RNN and a linear read-out at every position: one logit per position."""

    def __init__(self, bidirectional, hidden_size=16):
        super().__init__()
        self.rnn = nn.RNN(1, hidden_size, bidirectional=bidirectional)
        self.out = nn.Linear(hidden_size * (2 if bidirectional else 1), 1)

    def forward(self, x):                          # x: (T, B, 1) -> logits (T, B)
        states, _ = self.rnn(x)
        return self.out(states)[..., 0]


def train(model, steps=150, T=10, seed=0):
    rng = np.random.default_rng(seed)
    optimizer = optim.Adam(model.parameters(), lr=0.02)
    history = []
    for _ in range(steps):
        x, y = next_bit_data(32, T, rng)
        loss = F.binary_cross_entropy_with_logits(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        history.append(loss.item())
    return history


def accuracy(model, T=10):
    x, y = next_bit_data(500, T, np.random.default_rng(123))
    with ag.no_grad():
        predicted = model(x).data > 0
    per_position = (predicted == (y.data > 0.5)).mean(axis=1)
    return per_position.mean(), per_position


ag.manual_seed(0)
forward_only, both_ways = Tagger(bidirectional=False), Tagger(bidirectional=True)
histories = {"unidirectional": train(forward_only), "bidirectional": train(both_ways)}
acc_uni, per_uni = accuracy(forward_only)
acc_bi, per_bi = accuracy(both_ways)
print(f"unidirectional accuracy {acc_uni:.1%}   per position {np.round(per_uni, 2)}")
print(f"bidirectional  accuracy {acc_bi:.1%}   per position {np.round(per_bi, 2)}")

# %%
viz.plot_loss(histories)

# %% [markdown]
# The forward-only model is at chance everywhere except the last position (always 0,
# which it learns); the bidirectional one is right nearly everywhere.

# %%
assert np.all(per_uni[:-1] < 0.6), "a forward RNN cannot predict a bit it has not read"
assert per_uni[-1] > 0.95, "the last label is always 0, which even the forward RNN learns"
assert acc_bi > 0.95, f"the bidirectional RNN sees the next bit and should label it, got {acc_bi:.1%}"

# %% [markdown]
# ## Summary
#
# * Stacking feeds one layer's states to the next as its inputs; `h_n` holds the final
#   state of every layer and direction.
# * A bidirectional layer runs a second RNN from the end; its final state is at the
#   *first* position.
# * Use a bidirectional RNN when the whole sequence is available before any output is
#   needed (tagging, encoding), never for generating a sequence one step at a time.
