# %% [markdown]
# # 7. Vanishing and exploding gradients through time
#
# In a recurrent network the gradient reaching an early hidden state has been
# multiplied by one Jacobian per later step. For $h_t = \tanh(W_x x_t + W_h h_{t-1})$,
#
# $$\frac{\partial L}{\partial h_{t-1}} = J_t^\top \frac{\partial L}{\partial h_t},\qquad
#   J_t = \frac{\partial h_t}{\partial h_{t-1}} = \operatorname{diag}(1 - h_t^2)\, W_h,$$
#
# so $\partial L/\partial h_t = J_{t+1}^\top \cdots J_T^\top\, \partial L/\partial h_T$, a
# product of $T - t$ matrices. If their norms are below 1 the product shrinks
# geometrically (vanishing gradients: early inputs stop influencing learning); above
# 1 it grows geometrically (exploding gradients: one huge step ruins the weights).
# We measure it, then look at the two standard remedies on the training side:
# clipping and truncation.

# %%
import numpy as np

import autograd as ag
from autograd import Tensor
import nn
import viz

ag.set_default_dtype(np.float64)

# %% [markdown]
# ## The exact case: a linear RNN
#
# Without the $\tanh$, $J_t = W_h$. Take $W_h = s\,Q$ with $Q$ orthogonal (a rotation:
# it keeps lengths). Each step back then multiplies the gradient's norm by exactly
# $s$: after 20 steps, $0.5^{20} \approx 10^{-6}$ or $2^{20} \approx 10^{6}$.

# %%
rng = np.random.default_rng(0)
Q, _ = np.linalg.qr(rng.normal(size=(8, 8)))
for s in (0.5, 1.0, 2.0):
    W_h = Tensor(s * Q)
    h = Tensor(rng.normal(size=8), requires_grad=True)
    states = [h]
    for t in range(20):
        states.append(W_h @ states[-1])
        states[-1].retain_grad()
    (states[-1] * Tensor(rng.normal(size=8))).sum().backward()
    norms = np.array([np.linalg.norm(v.grad.data) for v in states])
    ratios = norms[:-1] / norms[1:]
    print(f"s = {s}: ||dL/dh_0|| / ||dL/dh_20|| = {norms[0] / norms[-1]:.3g}")
    assert np.allclose(ratios, s), "each step back must scale the gradient norm by exactly s"

# %% [markdown]
# ## A tanh RNN
#
# An `nn.RNNCell` with $W_h = s\,Q$, unrolled by hand over 40 steps so that we can call
# `retain_grad()` on every hidden state and read $\lVert\partial L/\partial h_t\rVert$
# afterwards. The loss looks at the last state only.

# %%
T, H = 40, 16


def gradient_norms(scale, seed=0):
    """||dL/dh_t|| for t = 1..T, for a tanh RNN with recurrent weights scale * orthogonal."""
    ag.manual_seed(seed)
    cell = nn.RNNCell(4, H, bias=False)
    nn.init.orthogonal_(cell.weight_hh)
    with ag.no_grad():
        cell.weight_hh.data *= scale
    data = np.random.default_rng(seed)
    x = Tensor(0.1 * data.normal(size=(T, 8, 4)))
    h = Tensor(np.zeros((8, H)))
    states = []
    for x_t in x.unbind(0):
        h = cell(x_t, h)
        h.retain_grad()
        states.append(h)
    loss = (h * Tensor(data.normal(size=h.shape))).sum()
    loss.backward()
    return np.array([np.linalg.norm(v.grad.data) for v in states]), cell


series = {f"scale {s}": gradient_norms(s)[0] for s in (0.5, 1.0, 2.0)}
for label, norms in series.items():
    print(f"{label}: ||dL/dh_1|| = {norms[0]:.2e}, ||dL/dh_T|| = {norms[-1]:.2e}")
viz.plot_bptt(series)

# %% [markdown]
# Read the plot from right ($t = T$, where the loss is) to left: at scale 0.5 the
# gradient is gone after a few steps, at scale 1 it survives the 40 steps, at scale 2
# it grows by orders of magnitude. The tanh keeps the exploding case from growing as
# fast as $2^{T-t}$ because its derivative $1 - h_t^2$ shrinks where the states
# saturate, but it is still far too large.

# %%
vanish, steady, explode = series.values()
assert vanish[0] < 1e-6 * vanish[-1], "scale 0.5: the gradient must vanish going back in time"
assert 0.1 < steady[0] / steady[-1] < 10, "scale 1: the gradient should roughly keep its size"
assert explode[0] > 100 * explode[-1], "scale 2: the gradient must explode going back in time"

# %% [markdown]
# ## Remedy for explosion: clipping the gradient norm
#
# `nn.utils.clip_grad_norm_(parameters, max_norm)` computes the norm of all the
# gradients together, $\lVert g\rVert = \sqrt{\sum_p \lVert g_p \rVert^2}$, and if it
# exceeds `max_norm` rescales every gradient by `max_norm / ||g||`. The direction is
# kept; only the step length is capped. It returns the norm before clipping.

# %%
_, cell = gradient_norms(2.0)
before = np.concatenate([p.grad.data.ravel() for p in cell.parameters()])
total = nn.utils.clip_grad_norm_(cell.parameters(), max_norm=1.0)
after = np.concatenate([p.grad.data.ravel() for p in cell.parameters()])
cosine = before @ after / (np.linalg.norm(before) * np.linalg.norm(after))
print(f"norm before {total:.3g}, after {np.linalg.norm(after):.6f}, cosine {cosine:.6f}")
assert np.isclose(total, np.linalg.norm(before)), "clip_grad_norm_ returns the norm before clipping"
assert np.isclose(np.linalg.norm(after), 1.0), "after clipping the total norm is max_norm"
assert np.isclose(cosine, 1.0), "clipping keeps the direction of the gradient"

# %% [markdown]
# Clipping does nothing for *vanishing* gradients: there is nothing to scale up
# safely. The cure for those is in the architecture (LSTM and GRU, notebook 8).
#
# ## Truncated BPTT, and what it gives up
#
# On a long sequence, backprop through every step is expensive (the whole unrolled
# graph is kept in memory) and, as we saw, the far-away part of the gradient is
# mostly vanished or exploded anyway. Truncated BPTT cuts the sequence into chunks:
# the hidden state flows across a cut, but is *detached* there, so backward stops at
# the start of the chunk. (`nn.truncated_bptt` runs this loop for training; here we
# write it out to look at the gradients.)

# %%
def unrolled(cell, x, cut=None):
    """States h_1..h_T; with `cut`, the state is detached after every `cut` steps."""
    h = Tensor(np.zeros((x.shape[1], H)))
    states = []
    for t, x_t in enumerate(x.unbind(0), start=1):
        h = cell(x_t, h)
        h.retain_grad()
        states.append(h)
        if cut and t % cut == 0:
            h = nn.detach_state(h)
    return states


ag.manual_seed(3)
cell = nn.RNNCell(4, H, bias=False)
nn.init.orthogonal_(cell.weight_hh)         # scale 1: the far past still matters
x = Tensor(0.1 * np.random.default_rng(3).normal(size=(T, 8, 4)))
projection = Tensor(np.random.default_rng(4).normal(size=(8, H)))

full = unrolled(cell, x)
(full[-1] * projection).sum().backward()
full_norms = np.array([np.linalg.norm(v.grad.data) for v in full])
full_grad = cell.weight_hh.grad.data.copy()

cell.zero_grad()
truncated = unrolled(cell, x, cut=10)
(truncated[-1] * projection).sum().backward()
trunc_norms = np.array([0.0 if v.grad is None else np.linalg.norm(v.grad.data) for v in truncated])
trunc_grad = cell.weight_hh.grad.data.copy()

viz.plot_bptt({"full BPTT": full_norms, "truncated, chunks of 10": np.where(trunc_norms > 0, trunc_norms, np.nan)})

# %% [markdown]
# The forward pass is identical: the states have the same values. Inside the last
# chunk the gradients are identical too. Before the cut there is *no* gradient at all
# from this loss: whatever $h_{30}$ depends on (inputs $x_1..x_{30}$, and the weights'
# use in those steps) gets no credit, and the gradient of $W_h$ is only the last
# chunk's share of the full one.

# %%
assert all(np.allclose(a.data, b.data) for a, b in zip(full, truncated)), "truncation must not change the forward pass"
assert np.allclose(trunc_norms[30:], full_norms[30:]), "inside the last chunk the gradients agree"
assert np.all(trunc_norms[:30] == 0), "no gradient crosses the cut: states before it get none"
assert np.all(full_norms[:30] > 0), "full BPTT does reach them"
relative = np.linalg.norm(trunc_grad - full_grad) / np.linalg.norm(full_grad)
print(f"relative difference of dL/dW_h, truncated vs full: {relative:.2%}")
assert relative > 0.1, "the weight gradient loses the contribution of the steps before the cut"

# %% [markdown]
# The truncated gradient is exactly the gradient of a fresh run of the last chunk
# started from the (detached) state at the cut, which is how `nn.truncated_bptt`
# computes it, one chunk at a time:

# %%
cell.zero_grad()
h = nn.detach_state(full[29])
for x_t in x.unbind(0)[30:]:
    h = cell(x_t, h)
(h * projection).sum().backward()
assert np.allclose(cell.weight_hh.grad.data, trunc_grad), "truncated BPTT = BPTT of the last chunk alone"

# %% [markdown]
# ## Summary
#
# * The gradient through time is a product of Jacobians $\operatorname{diag}(1 - h_t^2) W_h$:
#   it vanishes or explodes geometrically with the distance $T - t$.
# * Clipping the norm caps the step without changing its direction; it fixes explosion,
#   not vanishing.
# * Truncated BPTT trades the long-range part of the gradient (set to zero beyond the
#   chunk) for bounded memory and time.
