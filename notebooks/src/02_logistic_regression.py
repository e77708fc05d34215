# %% [markdown]
# # 2. Logistic regression is a one-neuron network
#
# One neuron with a sigmoid output, trained with binary cross-entropy, *is*
# logistic regression. This notebook derives the loss from the likelihood, derives
# its gradient, checks the formula against the engine, and trains the model.
#
# For an input $x \in \mathbb R^d$ (with a constant 1 appended for the intercept),
# the model says
#
# $$P(y = 1 \mid x) = \sigma(x^\top \beta) = \frac{1}{1 + e^{-x^\top\beta}}.$$

# %%
import numpy as np

import autograd as ag
from autograd import Tensor
import nn
import nn.functional as F
import viz

ag.set_default_dtype(np.float64)
ag.manual_seed(0)

# %% [markdown]
# ## Data
#
# Two overlapping Gaussian clouds in the plane, 100 points each; class 1 is centred
# at $(1, 1)$, class 0 at $(-1, -1)$. They overlap, so no line separates them
# perfectly, and the maximum-likelihood $\beta$ is finite.

# %%
rng = np.random.default_rng(0)
n = 100
X_raw = np.concatenate([rng.normal(-1.0, 1.0, size=(n, 2)), rng.normal(1.0, 1.0, size=(n, 2))])
y_np = np.concatenate([np.zeros(n), np.ones(n)])
X_np = np.hstack([X_raw, np.ones((2 * n, 1))])     # the column of ones carries the intercept
print(X_np.shape, y_np.shape)

# %% [markdown]
# ## From the likelihood to the loss
#
# With $p_n = \sigma(x_n^\top \beta)$, the probability of the observed labels is
#
# $$\mathcal L(\beta) = \prod_{n=1}^N p_n^{\,y_n} (1 - p_n)^{1 - y_n}.$$
#
# Maximising it is minimising the mean negative log-likelihood, which is the binary
# cross-entropy:
#
# $$L(\beta) = -\frac1N \sum_{n} \big( y_n \log p_n + (1 - y_n) \log(1 - p_n) \big).$$
#
# Using $\sigma'(z) = \sigma(z)(1-\sigma(z))$, each term's derivative collapses to
# $-(y_n - p_n)\,x_n$, and in matrix form
#
# $$\nabla_\beta L = -\frac1N X^\top \big(y - \sigma(X\beta)\big).$$

# %%
X = Tensor(X_np)
y = Tensor(y_np)
beta = Tensor([0.3, -0.2, 0.1], requires_grad=True, label="beta")

p = (X @ beta).sigmoid()
L = -(y * p.log() + (1 - y) * (1 - p).log()).mean()
L.backward()

p_np = 1.0 / (1.0 + np.exp(-X_np @ beta.data))
grad_formula = -(X_np.T @ (y_np - p_np)) / len(y_np)
print("autograd:", beta.grad.data)
print("formula: ", grad_formula)
assert np.allclose(beta.grad.data, grad_formula, rtol=1e-10, atol=1e-12), \
    "the engine's gradient must equal -(1/N) X^T (y - sigma(X beta))"

likelihood = np.prod(p_np ** y_np * (1 - p_np) ** (1 - y_np))
assert np.isclose(L.item(), -np.log(likelihood) / len(y_np)), "BCE must be the mean negative log-likelihood"

# %% [markdown]
# The library's `F.binary_cross_entropy_with_logits` computes the same loss from the
# logit $z = X\beta$ directly (without forming $\log \sigma(z)$, so it stays finite
# for large $|z|$):

# %%
L_lib = F.binary_cross_entropy_with_logits(X @ Tensor(beta.data), y)
assert np.isclose(L_lib.item(), L.item()), "the library loss must equal the hand-written BCE"

# %% [markdown]
# On four points the whole computation fits on one drawing: matrix product, sigmoid,
# the two log terms and the mean.

# %%
beta_small = Tensor(beta.data.copy(), requires_grad=True, label="beta")
p_small = (Tensor(X_np[[0, 1, n, n + 1]], label="X") @ beta_small).sigmoid()
y_small = Tensor(y_np[[0, 1, n, n + 1]], label="y")
L_small = -(y_small * p_small.log() + (1 - y_small) * (1 - p_small).log()).mean()
L_small.label = "L"
L_small.backward()
viz.draw(L_small)

# %% [markdown]
# ## Training by gradient descent
#
# $\beta \leftarrow \beta - \eta\, \nabla_\beta L$, with the gradient from `backward()`.

# %%
beta = Tensor(np.zeros(3), requires_grad=True)
lr = 0.5
history = []
for step in range(300):
    p = (X @ beta).sigmoid()
    L = -(y * p.log() + (1 - y) * (1 - p).log()).mean()
    beta.grad = None
    L.backward()
    with ag.no_grad():
        beta.data -= lr * beta.grad.data
    history.append(L.item())

accuracy = np.mean(((X_np @ beta.data) > 0) == (y_np == 1))
print(f"beta = {beta.data}, loss {history[0]:.4f} -> {history[-1]:.4f}, accuracy {accuracy:.2%}")
assert history[-1] < 0.5 * history[0], "training should at least halve the loss"
assert np.linalg.norm(beta.grad.data) < 1e-3, "after training the gradient should be close to zero"
assert accuracy > 0.85, f"the two clouds are mostly separable, got accuracy {accuracy:.2%}"

# %%
viz.plot_loss(history)

# %% [markdown]
# At the optimum the gradient is zero: $X^\top(y - \hat p) = 0$. For the intercept
# column (all ones) that reads $\sum_n \hat p_n = \sum_n y_n$: the fitted
# probabilities add up to the number of positive examples.

# %%
p_final = 1.0 / (1.0 + np.exp(-X_np @ beta.data))
print(f"sum of fitted probabilities {p_final.sum():.3f}, number of positives {y_np.sum():.0f}")
assert abs(p_final.sum() - y_np.sum()) < 0.1, "at the optimum the probabilities add up to the positives"

# %% [markdown]
# ## The same model as a one-neuron network
#
# `nn.Linear(2, 1)` followed by a sigmoid is exactly this model: its weight is
# $(\beta_1, \beta_2)$ and its bias is $\beta_3$. Loading the fitted $\beta$ gives the
# same probabilities, and the decision boundary is the line $x^\top\beta = 0$, where
# $P(y = 1 \mid x) = 1/2$.

# %%
neuron = nn.Linear(2, 1)
neuron.load_state_dict({"weight": beta.data[None, :2].copy(), "bias": beta.data[2:].copy()})
with ag.no_grad():
    p_neuron = neuron(Tensor(X_raw)).sigmoid().data[:, 0]
assert np.allclose(p_neuron, p_final), "the one-neuron network must reproduce logistic regression"

viz.plot_decision_boundary(neuron, X_raw, y_np)

# %% [markdown]
# ## Summary
#
# * Binary cross-entropy is the negative log-likelihood of a Bernoulli model.
# * Its gradient is $-\frac1N X^\top(y - \sigma(X\beta))$: the error times the input.
# * A single sigmoid neuron trained with BCE is logistic regression, and its decision
#   boundary is a straight line. Notebook 3 shows why we need more than that.
