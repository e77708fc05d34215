# %% [markdown]
# # 5. Softmax and cross-entropy for K classes
#
# With $K$ classes the network outputs one score (logit) per class, softmax turns
# the scores into probabilities, and cross-entropy scores the probability given to
# the right class. The gradient of the pair is again "prediction minus target".
#
# In the lecture's notation, $Z \in \mathbb R^{d\times N}$ holds the $N$ inputs (or
# last hidden layers) as columns, $\beta_k \in \mathbb R^{1\times d}$ is the weight row
# of class $k$, and
#
# $$a_{kn} = \beta_k z_n,\qquad
#   \hat Y_{kn} = \frac{e^{a_{kn}}}{\sum_{j=1}^K e^{a_{jn}}},\qquad
#   L = -\sum_{n=1}^N \sum_{k=1}^K Y_{kn} \log \hat Y_{kn},$$
#
# where $Y$ is one-hot: $Y_{kn} = 1$ when example $n$ belongs to class $k$.

# %%
import matplotlib.pyplot as plt
import numpy as np

import autograd as ag
from autograd import Tensor
import nn
import nn.functional as F
from nn import optim
import viz

ag.set_default_dtype(np.float64)
ag.manual_seed(0)

# %% [markdown]
# ## Softmax, computed safely
#
# $e^{a}$ overflows for $a \gtrsim 710$. Softmax does not change when the same
# constant is subtracted from every score of a column, so we subtract the column's
# maximum first; the largest exponent is then $e^0 = 1$.

# %%
def softmax(A, axis=0):
    shifted = A - A.max(axis=axis, keepdims=True).detach()   # a constant: no gradient needed
    e = shifted.exp()
    return e / e.sum(axis=axis, keepdims=True)

big = Tensor([[1000.0, 2.0], [1001.0, 1.0], [999.0, 0.0]])
probs = softmax(big)
print(np.round(probs.data, 4))
assert np.all(np.isfinite(probs.data)), "the shifted softmax must not overflow"
assert np.allclose(probs.data.sum(axis=0), 1.0), "each column of probabilities must sum to 1"
assert np.allclose(probs.data[:, 0], softmax(big - 1000.0).data[:, 0]), "softmax ignores a shift"

# %% [markdown]
# With two classes softmax is the sigmoid of the score difference,
# $\frac{e^{a_1}}{e^{a_1} + e^{a_2}} = \sigma(a_1 - a_2)$, so this notebook generalises
# notebook 2.

# %%
a = np.linspace(-5, 5, 11)
two = softmax(Tensor(np.stack([a, np.zeros_like(a)])))
assert np.allclose(two.data[0], 1 / (1 + np.exp(-a))), "softmax of (a, 0) must be sigmoid(a)"

# %% [markdown]
# ## The gradient
#
# For one example, $\partial \hat Y_{k}/\partial a_j = \hat Y_k(\delta_{kj} - \hat Y_j)$,
# and with $\sum_k Y_k = 1$ the chain rule gives
#
# $$\frac{\partial L}{\partial a_{jn}} = -\sum_k Y_{kn}(\delta_{kj} - \hat Y_{jn}) = \hat Y_{jn} - Y_{jn}.$$
#
# Since $a_{kn} = \beta_k z_n$, summing over the examples,
#
# $$\frac{\partial L}{\partial \beta_k} = \sum_n (\hat Y_{kn} - Y_{kn})\, z_n^\top = (\hat Y_k - Y_k)\, Z^\top,$$
#
# with $\hat Y_k, Y_k$ the $k$-th rows ($1 \times N$). Let us check it.

# %%
rng = np.random.default_rng(0)
K, d, N = 3, 4, 6
Z = rng.normal(size=(d, N))
labels = rng.integers(0, K, size=N)
Y = np.eye(K)[:, labels]                       # one-hot, K x N
B = Tensor(rng.normal(size=(K, d)), requires_grad=True, label="B")

Y_hat = softmax(B @ Tensor(Z))
L = -(Tensor(Y) * Y_hat.log()).sum()
L.backward()

Y_hat_np = Y_hat.data
for k in range(K):
    formula = (Y_hat_np[k] - Y[k]) @ Z.T       # (1 x N) (N x d)
    print(f"dL/dbeta_{k}: autograd {np.round(B.grad.data[k], 5)}   formula {np.round(formula, 5)}")
    assert np.allclose(B.grad.data[k], formula, rtol=1e-10, atol=1e-12), \
        f"dL/dbeta_{k} must equal (Y_hat_{k} - Y_{k}) Z^T"

# %% [markdown]
# Each column of $\hat Y - Y$ sums to zero (probabilities and one-hot targets both sum
# to one): raising the right class's score lowers every other probability.

# %%
assert np.allclose((Y_hat_np - Y).sum(axis=0), 0.0), "each column of Y_hat - Y must sum to 0"

# %% [markdown]
# The library puts examples in rows (PyTorch's layout: logits of shape $(N, K)$ and
# integer labels) and fuses log-softmax with the negative log-likelihood in
# `F.cross_entropy`. Same loss, same gradient:

# %%
B2 = Tensor(B.data.copy(), requires_grad=True)
L_lib = F.cross_entropy((B2 @ Tensor(Z)).T, Tensor(labels), reduction="sum")
L_lib.backward()
assert np.isclose(L_lib.item(), L.item()), "F.cross_entropy must give the same loss"
assert np.allclose(B2.grad.data, B.grad.data), "F.cross_entropy must give the same gradient"

# %% [markdown]
# One example, three classes, drawn: the scores, the shift by the maximum, the
# exponentials, their sum, the probabilities and the loss.

# %%
a_one = Tensor([2.0, 1.0, -1.0], requires_grad=True, label="a")
loss_one = -softmax(a_one)[0].log()
loss_one.label = "L"
loss_one.backward()
assert np.allclose(a_one.grad.data, softmax(Tensor(a_one.data)).data - np.array([1, 0, 0])), \
    "dL/da must be y_hat - y"
viz.draw(loss_one)

# %% [markdown]
# ## A small classifier
#
# Three Gaussian clouds in the plane, one per class, and a linear softmax classifier
# (`nn.Linear(2, 3)`: logits $= x W^\top + b$) trained with `F.cross_entropy` and SGD.

# %%
centres = np.array([[0.0, 2.0], [-2.0, -1.0], [2.0, -1.0]])
X_np = np.concatenate([rng.normal(c, 0.7, size=(60, 2)) for c in centres])
y_np = np.repeat(np.arange(3), 60)
X_t, y_t = Tensor(X_np), Tensor(y_np)

model = nn.Linear(2, 3)
optimizer = optim.SGD(model.parameters(), lr=0.5)
history = []
for epoch in range(100):
    loss = F.cross_entropy(model(X_t), y_t)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    history.append(loss.item())

with ag.no_grad():
    predicted = model(X_t).data.argmax(axis=1)
accuracy = np.mean(predicted == y_np)
print(f"loss {history[0]:.3f} -> {history[-1]:.3f}, accuracy {accuracy:.1%}")
assert history[-1] < 0.3 * history[0], "training should cut the loss well below its start"
assert accuracy > 0.9, f"three well separated clouds should be classified, got {accuracy:.1%}"

# %%
viz.plot_loss(history)

# %% [markdown]
# The decision regions: each point of the plane gets the class with the largest
# score. The borders between regions are straight lines, where two scores are equal.

# %%
g0, g1 = np.meshgrid(np.linspace(-4, 4, 200), np.linspace(-4, 4.5, 200))
with ag.no_grad():
    regions = model(Tensor(np.stack([g0.ravel(), g1.ravel()], axis=1))).data.argmax(axis=1)
fig, ax = plt.subplots(figsize=(5, 4.5))
ax.contourf(g0, g1, regions.reshape(g0.shape), levels=[-0.5, 0.5, 1.5, 2.5], alpha=0.25,
            colors=["tab:blue", "tab:orange", "tab:green"])
for k, colour in enumerate(["tab:blue", "tab:orange", "tab:green"]):
    ax.scatter(*X_np[y_np == k].T, s=12, color=colour, label=f"class {k}")
ax.set(title="linear softmax classifier", xlabel="$x_1$", ylabel="$x_2$")
ax.legend(loc="upper right")
plt.show()

# %% [markdown]
# ## Summary
#
# * Softmax turns $K$ scores into probabilities; subtract the maximum before `exp`.
# * Softmax + cross-entropy has the gradient $\hat Y - Y$ at the scores, hence
#   $\partial L/\partial \beta_k = (\hat Y_k - Y_k) Z^\top$.
# * With $K = 2$ it is logistic regression again.
