# %% [markdown]
# # 3. Non-linear data and activation functions
#
# Logistic regression draws a straight line. Data like the two interleaving "moons"
# below need a curved boundary, and a network gets curves only from the
# non-linear activation functions between its layers. This notebook trains an MLP
# on the moons, looks at the usual activations and their derivatives, shows
# numerically that a network *without* activations is just logistic regression, and
# shows why a deep stack of sigmoids is hard to train.

# %%
import numpy as np
from IPython.display import display

import autograd as ag
from autograd import Tensor
import nn
import nn.functional as F
from nn import optim
from nn.data import make_moons
import viz

ag.set_default_dtype(np.float64)

# %% [markdown]
# ## Two moons
#
# 200 points, two classes, some noise. No straight line separates them.

# %%
X_np, y_np = make_moons(200, noise=0.15, seed=0)
X, y = Tensor(X_np), Tensor(y_np.astype(np.float64))


def train(model, steps=300, lr=0.02):
    """Full-batch Adam on binary cross-entropy; returns the loss history."""
    optimizer = optim.Adam(model.parameters(), lr=lr)
    history = []
    for _ in range(steps):
        loss = F.binary_cross_entropy_with_logits(model(X)[:, 0], y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        history.append(loss.item())
    return history


def accuracy(model):
    with ag.no_grad():
        return float(np.mean((model(X).data[:, 0] > 0) == (y_np == 1)))


ag.manual_seed(0)
logistic = nn.Linear(2, 1)
mlp = nn.MLP(2, [16, 16], 1, activation="relu")
histories = {"logistic regression": train(logistic), "MLP 2-16-16-1, ReLU": train(mlp)}
print(f"logistic regression accuracy {accuracy(logistic):.1%},  MLP accuracy {accuracy(mlp):.1%}")
assert accuracy(logistic) < 0.9, "a straight line cannot separate the moons"
assert accuracy(mlp) > 0.97, "an MLP with ReLUs should separate the moons"

# %%
viz.plot_loss(histories)

# %%
viz.plot_decision_boundary(mlp, X_np, y_np)

# %% [markdown]
# ## Activation functions and their derivatives
#
# During backprop each activation multiplies the gradient by its derivative, so the
# derivative matters as much as the function:
#
# | name | $f(x)$ | $f'(x)$ |
# |---|---|---|
# | sigmoid | $\sigma(x) = 1/(1+e^{-x})$ | $\sigma(x)(1-\sigma(x)) \le 1/4$ |
# | tanh | $\tanh x$ | $1 - \tanh^2 x \le 1$ |
# | relu | $\max(0, x)$ | $1$ if $x > 0$, else $0$ |
# | hardtanh | $\min(1, \max(-1, x))$ | $1$ on $(-1, 1)$, else $0$ |
# | gelu | $x\,\Phi(x)$ ($\Phi$: the normal CDF) | $\Phi(x) + x\,\varphi(x)$ |
# | softplus | $\log(1 + e^x)$ | $\sigma(x)$ |
# | elu | $x$ if $x > 0$, else $e^x - 1$ | $1$ if $x > 0$, else $e^x$ |
# | leaky_relu | $x$ if $x > 0$, else $0.01x$ | $1$ or $0.01$ |
# | prelu | $x$ if $x > 0$, else $a x$ ($a$ learned, here $0.25$) | $1$ or $a$ |
#
# Sigmoid and tanh *saturate*: for large $|x|$ their derivative is nearly 0. ReLU and
# its relatives pass the gradient unchanged for $x > 0$.

# %%
names = ["sigmoid", "tanh", "relu", "hardtanh", "gelu", "softplus", "elu", "leaky_relu", "prelu"]
for name in names:
    display(viz.plot_activation(name))     # a loop shows nothing by itself: display each figure

# %% [markdown]
# The derivatives the engine computes (by backprop through each function) agree
# with the closed forms of the table. The grid avoids the kinks at $0$ and $\pm 1$.

# %%
from math import erf, pi, sqrt

a_prelu = Tensor([0.25])
functions = {
    "sigmoid": F.sigmoid, "tanh": F.tanh, "relu": F.relu, "hardtanh": F.hardtanh, "gelu": F.gelu,
    "softplus": F.softplus, "elu": F.elu, "leaky_relu": F.leaky_relu,
    "prelu": lambda x: F.prelu(x, a_prelu),
}
s = lambda x: 1 / (1 + np.exp(-x))
Phi = np.vectorize(lambda x: 0.5 * (1 + erf(x / sqrt(2))))
closed_form = {
    "sigmoid": lambda x: s(x) * (1 - s(x)),
    "tanh": lambda x: 1 - np.tanh(x) ** 2,
    "relu": lambda x: (x > 0) * 1.0,
    "hardtanh": lambda x: (np.abs(x) < 1) * 1.0,
    "gelu": lambda x: Phi(x) + x * np.exp(-x ** 2 / 2) / sqrt(2 * pi),
    "softplus": s,
    "elu": lambda x: np.where(x > 0, 1.0, np.exp(x)),
    "leaky_relu": lambda x: np.where(x > 0, 1.0, 0.01),
    "prelu": lambda x: np.where(x > 0, 1.0, 0.25),
}
grid = np.linspace(-4.05, 4.05, 28)        # no point lands on 0 or +-1
for name in names:
    x = Tensor(grid, requires_grad=True)
    functions[name](x).sum().backward()
    assert np.allclose(x.grad.data, closed_form[name](grid), atol=1e-10), f"{name}: derivative differs"
print("all nine derivatives match their closed forms")
assert np.isclose(closed_form["sigmoid"](0.0), 0.25), "the sigmoid's largest slope is 1/4"

# %% [markdown]
# ## Without a non-linearity the network collapses
#
# Take the same MLP shape, 2-16-16-1, with *no* activation between the layers. Then
#
# $$W_3\big(W_2(W_1 x + b_1) + b_2\big) + b_3 = \underbrace{W_3 W_2 W_1}_{W} x
#   + \underbrace{W_3(W_2 b_1 + b_2) + b_3}_{b},$$
#
# one linear map: the network *is* logistic regression with $337$ parameters
# instead of $3$. Its predictions equal those of the single layer $(W, b)$, and
# trained on the moons it does no better than logistic regression.

# %%
ag.manual_seed(0)
linear_stack = nn.MLP(2, [16, 16], 1, activation=None)
history_linear = train(linear_stack)
(W1, b1), (W2, b2), (W3, b3) = [(layer.weight.data, layer.bias.data)
                                for layer in linear_stack if isinstance(layer, nn.Linear)]
W = W3 @ W2 @ W1
b = W3 @ (W2 @ b1 + b2) + b3
with ag.no_grad():
    stacked = linear_stack(X).data
print("the three weight matrices multiply to W =", np.round(W, 4), " b =", np.round(b, 4))
assert np.allclose(stacked, X_np @ W.T + b), "a stack of linear layers is one linear map"
assert sum(p.data.size for p in linear_stack.parameters()) == 337, "2-16-16-1 has 337 parameters"
acc_stack, acc_logistic = accuracy(linear_stack), accuracy(logistic)
print(f"linear stack accuracy {acc_stack:.1%}, logistic regression {acc_logistic:.1%}")
assert abs(acc_stack - acc_logistic) <= 0.02, "without activations the MLP is no better than logistic regression"

# %%
viz.plot_decision_boundary(linear_stack, X_np, y_np)

# %% [markdown]
# ## Vanishing gradients in a deep sigmoid network
#
# Backprop multiplies the gradient, layer after layer, by $W^\top$ and by the
# activation's derivative. The sigmoid's derivative is at most $1/4$, so in a deep
# stack of sigmoids the gradient shrinks geometrically on its way to the first
# layers, which then barely learn. We take ten hidden layers of 16 units, compute one
# gradient, and plot each layer's gradient norm (`viz.plot_grad_flow`). For
# comparison: the same network with ReLUs and He initialisation
# (`nn.init.kaiming_normal_`, which scales the weights so that the signal keeps its
# size through ReLUs).

# %%
def deep(activation):
    model = nn.MLP(2, [16] * 10, 1, activation=activation)
    if activation == "relu":
        for name, p in model.named_parameters():
            if name.endswith("weight"):
                nn.init.kaiming_normal_(p, nonlinearity="relu")
            else:
                nn.init.zeros_(p)
    F.binary_cross_entropy_with_logits(model(X)[:, 0], y).backward()
    return model


def weight_grad_norms(model):
    return np.array([np.linalg.norm(p.grad.data) for name, p in model.named_parameters()
                     if name.endswith("weight")])


ag.manual_seed(0)
deep_sigmoid, deep_relu = deep("sigmoid"), deep("relu")
norms_sigmoid, norms_relu = weight_grad_norms(deep_sigmoid), weight_grad_norms(deep_relu)
print("sigmoid, ||dL/dW|| from first to last layer:", " ".join(f"{v:.0e}" for v in norms_sigmoid))
print("ReLU+He, ||dL/dW|| from first to last layer:", " ".join(f"{v:.0e}" for v in norms_relu))

# %%
viz.plot_grad_flow(deep_sigmoid)

# %%
viz.plot_grad_flow(deep_relu)

# %%
assert norms_sigmoid[0] < 1e-6 * norms_sigmoid[-1], "the first sigmoid layer's gradient must have vanished"
assert np.all(np.diff(np.log(norms_sigmoid)) > 0), "with sigmoids the gradient shrinks at every layer going back"
assert norms_relu[0] > 0.1 * norms_relu[-1], "with ReLU and He initialisation it keeps its size"

# %% [markdown]
# ## Summary
#
# * Activations are what make a network non-linear; without them any depth collapses
#   to one linear map.
# * Backprop multiplies by each activation's derivative: the sigmoid's is at most
#   $1/4$, so deep sigmoid stacks lose their gradient. ReLU-like activations (with a
#   suitable initialisation) keep it.
