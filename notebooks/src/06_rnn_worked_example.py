# %% [markdown]
# # 6. A recurrent network, worked by hand
#
# A recurrent network reads a sequence one element at a time and carries a hidden
# state $h_t$ from step to step:
#
# $$h_t = \tanh(W_x x_t + W_h h_{t-1}),\qquad h_0 = 0.$$
#
# The same weights $W_x, W_h$ are used at every step. Unrolled over time, the
# network is an ordinary (deep) computation graph, and backpropagation through that
# graph is *backpropagation through time* (BPTT). We compute the lecture's example
# by hand, let the engine do it, draw the unrolled graph grouped by time step, and
# finish with a tiny RNN whose hidden state has a meaning we can state exactly.

# %%
import numpy as np

import autograd as ag
from autograd import Tensor
import nn
import viz

ag.set_default_dtype(np.float64)

# %% [markdown]
# ## The lecture's numbers
#
# $$W_x = \begin{pmatrix} 0.5 & -0.3 \\ 0.8 & 0.2 \end{pmatrix},\quad
#   W_h = \begin{pmatrix} 0.4 & 0.1 \\ 0.1 & 0.5 \end{pmatrix},\quad
#   x_1 = \begin{pmatrix}1\\0\end{pmatrix},\; x_2 = \begin{pmatrix}0\\1\end{pmatrix},\;
#   x_3 = \begin{pmatrix}1\\1\end{pmatrix}.$$
#
# First with numpy, one line per step:

# %%
W_x_np = np.array([[0.5, -0.3], [0.8, 0.2]])
W_h_np = np.array([[0.4, 0.1], [0.1, 0.5]])
xs_np = [np.array([1.0, 0.0]), np.array([0.0, 1.0]), np.array([1.0, 1.0])]

h_np = [np.zeros(2)]
for x_t in xs_np:
    h_np.append(np.tanh(W_x_np @ x_t + W_h_np @ h_np[-1]))
for t in (1, 2, 3):
    print(f"h_{t} = {np.round(h_np[t], 4)}   (exactly {h_np[t]})")

# %% [markdown]
# Step 1 has no history ($h_0 = 0$), so $h_1 = \tanh(W_x x_1) = \tanh(0.5, 0.8)$,
# the first column of $W_x$ squashed. The slide writes $h_1 \approx (0.46, 0.66)$:
# that is $(0.4621, 0.6640)$ rounded to two decimals. The following states mix the
# new input with the previous state: $h_2 = \tanh\big((-0.3, 0.2) + W_h h_1\big)
# \approx (-0.0487, 0.5214)$ and $h_3 = \tanh\big((0.2, 1.0) + W_h h_2\big) \approx
# (0.2285, 0.8499)$; carry the exact values, not the rounded ones, from step to
# step or the errors accumulate.

# %%
assert np.allclose(h_np[1], np.tanh([0.5, 0.8])), "h_1 = tanh(W_x x_1) because h_0 = 0"
assert np.array_equal(np.round(h_np[1], 2), [0.46, 0.66]), "the slide's h_1 is rounded to 2 decimals"
assert np.allclose(h_np[2], [-0.0487, 0.5214], atol=5e-5), "h_2 as stated in the text"
assert np.allclose(h_np[3], [0.2285, 0.8499], atol=5e-5), "h_3 as stated in the text"

# %% [markdown]
# ## The unrolled graph
#
# Now with the engine. Each step is built inside `ag.name_scope('t=<step>')`, so
# every value and operation remembers its time step, and `viz.draw(...,
# group_by='time')` draws one box per step. The loss looks at the last state only:
# $L = \tfrac12 \lVert h_3 - y \rVert^2$ with target $y = (0, 1)$.

# %%
W_x = Tensor(W_x_np, requires_grad=True, label="W_x")
W_h = Tensor(W_h_np, requires_grad=True, label="W_h")
target = Tensor([0.0, 1.0], label="y")

hs = [Tensor(np.zeros(2), label="h_0")]
for t, x_t in enumerate(xs_np, start=1):
    with ag.name_scope(f"t={t}"):
        h = (W_x @ Tensor(x_t, label=f"x_{t}") + W_h @ hs[-1]).tanh()
        h.label = f"h_{t}"
        h.retain_grad()             # keep dL/dh_t, to compare with the hand computation
    hs.append(h)
L = 0.5 * ((hs[-1] - target) ** 2).sum()
L.label = "L"
L.backward(retain_graph=True)       # keep the graph: we step through backward again below

assert all(np.allclose(hs[t].data, h_np[t]) for t in (1, 2, 3)), "the engine must give the same states"
print("L =", L.item())

# %%
viz.draw(L, group_by="time")

# %% [markdown]
# ## BPTT by hand
#
# Write $a_t = W_x x_t + W_h h_{t-1}$ (so $h_t = \tanh a_t$) and
# $\delta_t = \partial L/\partial a_t$. Going backwards in time:
#
# $$\frac{\partial L}{\partial h_3} = h_3 - y,\qquad
#   \delta_t = \frac{\partial L}{\partial h_t} \odot (1 - h_t^2),\qquad
#   \frac{\partial L}{\partial h_{t-1}} = W_h^\top \delta_t .$$
#
# Because the weights are shared, their gradients are sums over the steps:
#
# $$\frac{\partial L}{\partial W_h} = \sum_{t=1}^{3} \delta_t\, h_{t-1}^\top,\qquad
#   \frac{\partial L}{\partial W_x} = \sum_{t=1}^{3} \delta_t\, x_t^\top .$$

# %%
dL_dh = {3: h_np[3] - target.data}
delta = {}
for t in (3, 2, 1):
    delta[t] = dL_dh[t] * (1.0 - h_np[t] ** 2)
    dL_dh[t - 1] = W_h_np.T @ delta[t]
dW_h = sum(np.outer(delta[t], h_np[t - 1]) for t in (1, 2, 3))
dW_x = sum(np.outer(delta[t], xs_np[t - 1]) for t in (1, 2, 3))

for t in (3, 2, 1):
    print(f"dL/dh_{t}: by hand {np.round(dL_dh[t], 5)}   engine {np.round(hs[t].grad.data, 5)}")
    assert np.allclose(hs[t].grad.data, dL_dh[t]), f"dL/dh_{t} differs from the hand computation"
assert np.allclose(W_h.grad.data, dW_h), "dL/dW_h must be the sum over time of delta_t h_{t-1}^T"
assert np.allclose(W_x.grad.data, dW_x), "dL/dW_x must be the sum over time of delta_t x_t^T"
print("dL/dW_h =\n", np.round(W_h.grad.data, 5))

# %% [markdown]
# At $t = 1$ the term $\delta_1 h_0^\top$ is zero: the first step contributes nothing
# to $\partial L/\partial W_h$ because there was no previous state to weigh.

# %% [markdown]
# ## BPTT, node by node
#
# The steps of backward in the order the engine takes them: from the loss (made
# outside any time step, scope `-`), through step 3, then step 2, then step 1. The
# shared weights $W_x$ and $W_h$ (also made outside the steps) come last: a value is
# processed only when every use of it has sent its gradient back, and their
# gradient is the sum over the three steps.

# %%
steps = viz.backprop_steps(L)
scopes = []
for step in steps:
    upstream = np.round(np.asarray(step.upstream, dtype=float), 4)
    print(f"{step.index:2d}  {step.scope or '-':6}  {step.name:8}  upstream {upstream}")
    if step.scope and (not scopes or scopes[-1] != step.scope):
        scopes.append(step.scope)
assert scopes == ["t=3", "t=2", "t=1"], f"BPTT must go back in time step by step, got {scopes}"
last_use = {s.name: s.index for s in steps}
assert last_use["W_h"] > last_use["h_1"] and last_use["W_x"] > last_use["h_1"], \
    "the shared weights are processed after every step that uses them"

# %%
viz.animate(L)

# %% [markdown]
# ## The library's `nn.RNN` does the same
#
# `nn.RNN` holds $W_x$ as `weight_ih_l0` and $W_h$ as `weight_hh_l0` (PyTorch's names
# and layout). Loaded with the lecture's matrices and no bias, it returns the same
# states, and the same gradients.

# %%
rnn = nn.RNN(input_size=2, hidden_size=2, bias=False)
rnn.load_state_dict({"weight_ih_l0": W_x_np, "weight_hh_l0": W_h_np})
output, h_n = rnn(Tensor(np.stack(xs_np)[:, None, :]))      # (T, batch=1, features)
assert np.allclose(output.data[:, 0], np.stack(h_np[1:])), "nn.RNN must give h_1, h_2, h_3"
loss_lib = 0.5 * ((h_n[0, 0] - target) ** 2).sum()
loss_lib.backward()
assert np.allclose(rnn.weight_hh_l0.grad.data, dW_h), "nn.RNN must give the same dL/dW_h"
print("nn.RNN reproduces the states and the gradients")

# %% [markdown]
# ## What can a hidden state remember? A running difference
#
# Take two inputs per step, a linear (identity) activation and the weights
# $w_{xh} = (1, -1)$, $w_{hh} = 1$:
#
# $$h_t = x_t^{(1)} - x_t^{(2)} + h_{t-1} = \sum_{s=1}^{t} \big(x_s^{(1)} - x_s^{(2)}\big).$$
#
# The hidden state is the running sum of the differences. With one-hot inputs
# ($(1,0)$ for an event *a*, $(0,1)$ for an event *b*) it counts #a − #b so far, the
# counter a parser needs to check balanced brackets.

# %%
w_xh = Tensor([1.0, -1.0], requires_grad=True, label="w_xh")
w_hh = Tensor(1.0, requires_grad=True, label="w_hh")


def linear_rnn(X, w_xh, w_hh):
    """X: (T, batch, 2) -> hidden states (T, batch), identity activation."""
    h = Tensor(np.zeros(X.shape[1]))
    states = []
    for t, x_t in enumerate(X.unbind(0), start=1):
        with ag.name_scope(f"t={t}"):
            h = x_t @ w_xh + w_hh * h
        states.append(h)
    return ag.stack(states)


rng = np.random.default_rng(0)
X = rng.normal(size=(12, 5, 2))
H = linear_rnn(Tensor(X), w_xh, w_hh)
running = np.cumsum(X[..., 0] - X[..., 1], axis=0)
assert np.allclose(H.data, running), "h_t must be the running sum of x^(1) - x^(2)"

events = np.array([[1, 0], [1, 0], [0, 1], [1, 0], [0, 1], [0, 1]], dtype=float)[:, None, :]
counts = linear_rnn(Tensor(events), w_xh, w_hh).data[:, 0]
print("events:", "".join("ab"[int(e[0, 1])] for e in events), " h_t:", counts)
assert np.array_equal(counts, [1, 2, 1, 2, 1, 0]), "h_t counts #a - #b"

# %% [markdown]
# Its gradients do not fade: $\partial h_T/\partial x_t = (1, -1)$ for every $t$, however
# far back, because each step multiplies the gradient by $w_{hh} = 1$ and the identity
# activation has derivative 1. With $|w_{hh}| < 1$ or a saturating $\tanh$ the factor
# would shrink at every step; notebook 7 is about exactly that.

# %%
x_seq = Tensor(X[:, :1, :], requires_grad=True)
linear_rnn(x_seq, w_xh, w_hh)[-1].sum().backward()
assert np.allclose(x_seq.grad.data[:, 0], [1.0, -1.0]), "dh_T/dx_t must be (1, -1) at every step"

# %% [markdown]
# Gradient descent finds these weights from examples. Starting from random weights
# and minimising the squared error between $h_t$ and the running difference, the
# three numbers converge to $(1, -1)$ and $1$.

# %%
ag.manual_seed(1)
w_xh = Tensor(0.5 * ag.randn(2).data, requires_grad=True)
w_hh = Tensor(0.5, requires_grad=True)
X_train = rng.normal(size=(8, 32, 2))
targets = Tensor(np.cumsum(X_train[..., 0] - X_train[..., 1], axis=0))
history = []
for step in range(300):
    loss = ((linear_rnn(Tensor(X_train), w_xh, w_hh) - targets) ** 2).mean()
    w_xh.grad = w_hh.grad = None
    loss.backward()
    with ag.no_grad():
        w_xh.data -= 0.01 * w_xh.grad.data
        w_hh.data -= 0.01 * w_hh.grad.data
    history.append(loss.item())
print(f"loss {history[0]:.3f} -> {history[-1]:.2e};  w_xh = {np.round(w_xh.data, 4)}, w_hh = {w_hh.item():.4f}")
assert np.allclose(w_xh.data, [1.0, -1.0], atol=1e-2) and abs(w_hh.item() - 1.0) < 1e-2, \
    "training must recover w_xh = (1, -1), w_hh = 1"

# %%
viz.plot_loss(history)

# %% [markdown]
# ## Summary
#
# * An RNN applies the same cell at every step; unrolled, it is a deep graph with
#   shared weights.
# * BPTT is backprop on that graph: $\partial L/\partial h_{t-1} = W_h^\top \big(\partial L/\partial h_t \odot (1 - h_t^2)\big)$,
#   and the weights' gradients are sums over time.
# * A hidden state can hold an exact summary of the past, here the running difference.
