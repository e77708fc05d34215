# %% [markdown]
# # 4. Gradient descent and its family
#
# Training is minimising a loss $L(\theta)$ by walking downhill:
#
# $$\theta \leftarrow \theta - \eta\, \nabla_\theta L(\theta).$$
#
# Three questions decide how well that works: *how much data* each gradient is
# computed from (batch, stochastic, mini-batch), *how the step is formed* from the
# gradients (momentum, Nesterov, Adagrad, RMSprop, Adam) and *how large* it is (the
# learning rate $\eta$). We look at each on problems small enough to plot.

# %%
import matplotlib.pyplot as plt
import numpy as np

import autograd as ag
from autograd import Tensor
from nn import optim
import viz

ag.set_default_dtype(np.float64)

# %% [markdown]
# ## Batch, stochastic and mini-batch
#
# Fit a line $\hat y = w x + b$ to 64 noisy points by mean squared error. The loss
# over the whole data set is a sum over examples, so its gradient is an average of
# per-example gradients, and a random subset gives a cheaper, noisier estimate:
#
# * **batch GD**: the full average, one step per pass over the data (epoch);
# * **stochastic GD (SGD)**: one example per step, 64 steps per epoch;
# * **mini-batch GD**: 8 examples per step, 8 steps per epoch; the usual compromise
#   (vectorised work per step, several steps per epoch).

# %%
rng = np.random.default_rng(0)
x_np = rng.uniform(-1, 1, size=64)
y_np = 2.0 * x_np - 1.0 + 0.3 * rng.normal(size=64)
A = np.stack([x_np, np.ones_like(x_np)], axis=1)
best = np.linalg.lstsq(A, y_np, rcond=None)[0]     # the exact least-squares (w, b)


def full_loss(theta):
    return float(np.mean((A @ theta - y_np) ** 2))


def run(batch_size, epochs=15, lr=0.1, seed=0):
    """Gradient descent on the line fit; returns the (w, b) after every step."""
    order_rng = np.random.default_rng(seed)
    theta = Tensor([-1.0, 1.5], requires_grad=True)
    path = [theta.data.copy()]
    for epoch in range(epochs):
        order = order_rng.permutation(len(x_np))
        for start in range(0, len(x_np), batch_size):
            idx = order[start:start + batch_size]
            loss = ((Tensor(A[idx]) @ theta - Tensor(y_np[idx])) ** 2).mean()
            theta.grad = None
            loss.backward()
            with ag.no_grad():
                theta.data -= lr * theta.grad.data
            path.append(theta.data.copy())
    return np.array(path)


paths = {"batch (64)": run(64), "mini-batch (8)": run(8), "stochastic (1)": run(1)}
for name, path in paths.items():
    print(f"{name:15} {len(path) - 1:4d} steps, final (w, b) = {np.round(path[-1], 3)}, "
          f"loss {full_loss(path[-1]):.4f}   (least squares: {np.round(best, 3)}, {full_loss(best):.4f})")

# %% [markdown]
# The same 15 epochs: batch GD took 15 careful steps and is still on its way; SGD took
# 960 noisy ones and arrived, then keeps jittering around the optimum because each
# step follows one example. Mini-batches sit in between.

# %%
fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 4.2))
W, B = np.meshgrid(np.linspace(-1.5, 3.0, 150), np.linspace(-2.0, 2.0, 150))
surface = np.mean((W[..., None] * x_np + B[..., None] - y_np) ** 2, axis=-1)
ax0.contour(W, B, surface, levels=np.geomspace(surface.min() + 1e-3, surface.max(), 15), cmap="Greys")
for name, path in paths.items():
    ax0.plot(path[:, 0], path[:, 1], ".-", ms=2, lw=0.8, label=name)
    per_epoch = len(path[1:]) // 15
    ax1.plot(np.arange(16), [full_loss(p) for p in path[::per_epoch]], marker="o", ms=3, label=name)
ax0.plot(*best, "k*", ms=12, label="least squares")
ax0.set(xlabel="w", ylabel="b", title="paths in parameter space")
ax0.legend(fontsize=8)
ax1.set(xlabel="epoch", ylabel="loss on all data", yscale="log", title="loss per epoch")
ax1.legend(fontsize=8)
plt.show()

# %%
final = {name: full_loss(path[-1]) for name, path in paths.items()}
assert final["stochastic (1)"] < final["batch (64)"] and final["mini-batch (8)"] < final["batch (64)"], \
    "per epoch, the noisier methods get further because they take more steps"
assert np.allclose(paths["mini-batch (8)"][-1], best, atol=0.1), "mini-batch GD should reach the least-squares fit"
went_up = {name: np.mean(np.diff([full_loss(p) for p in path]) > 0) for name, path in paths.items()}
print("fraction of steps that increased the full loss:", {k: round(float(v), 2) for k, v in went_up.items()})
assert went_up["batch (64)"] == 0, "the full gradient always points downhill (small enough lr)"
assert went_up["stochastic (1)"] > 0.2, "a one-example step often increases the loss on all data"

# %% [markdown]
# ## Forming the step: the optimizer family
#
# Take the loss surface $f(x, y) = 0.05\,x^2 + 2\,y^2$: a long, narrow valley, 40 times
# steeper across than along. Each optimizer keeps a little state per parameter; with
# $g_t = \nabla f(\theta_t)$ (PyTorch's update rules, as in `nn.optim`):
#
# | optimizer | update |
# |---|---|
# | SGD | $\theta \leftarrow \theta - \eta g$ |
# | momentum | $v \leftarrow \mu v + g$, $\theta \leftarrow \theta - \eta v$ (a heavy ball: steps build up along a consistent direction, cancel across an oscillating one) |
# | Nesterov | $v \leftarrow \mu v + g$, $\theta \leftarrow \theta - \eta (g + \mu v)$ (looks one step ahead) |
# | Adagrad | $G \leftarrow G + g^2$, $\theta \leftarrow \theta - \eta\, g / (\sqrt{G} + \epsilon)$ (per-coordinate steps, shrinking over time) |
# | RMSprop | $s \leftarrow \alpha s + (1-\alpha) g^2$, $\theta \leftarrow \theta - \eta\, g / (\sqrt{s} + \epsilon)$ (a moving average instead of a sum) |
# | Adam | $m \leftarrow \beta_1 m + (1-\beta_1) g$, $s \leftarrow \beta_2 s + (1-\beta_2) g^2$, $\theta \leftarrow \theta - \eta\, \hat m / (\sqrt{\hat s} + \epsilon)$ (momentum + RMSprop, bias-corrected) |
#
# Each gets a learning rate that suits it and 60 steps from the same start.

# %%
def f(p):
    return 0.05 * p[0] ** 2 + 2.0 * p[1] ** 2


start = [-8.0, 1.5]
optimizers = {
    "SGD": lambda p: optim.SGD(p, lr=0.4),
    "momentum": lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
    "Nesterov": lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
    "Adagrad": lambda p: optim.Adagrad(p, lr=1.0),
    "RMSprop": lambda p: optim.RMSprop(p, lr=0.1),
    "Adam": lambda p: optim.Adam(p, lr=0.5),
}


def trajectory(make_optimizer, steps=60):
    p = Tensor(start, requires_grad=True)
    optimizer = make_optimizer([p])
    path, losses = [p.data.copy()], []
    for _ in range(steps):
        loss = f(p)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        path.append(p.data.copy())
        losses.append(loss.item())
    return np.array(path), losses


results = {name: trajectory(make) for name, make in optimizers.items()}
for name, (path, losses) in results.items():
    print(f"{name:9} f after 60 steps: {f(path[-1]):.2e}   at {np.round(path[-1], 3)}")

# %%
fig, ax = plt.subplots(figsize=(9, 4.5))
X0, X1 = np.meshgrid(np.linspace(-9, 3, 200), np.linspace(-2.2, 2.2, 200))
ax.contour(X0, X1, f((X0, X1)), levels=np.geomspace(0.01, 20, 14), cmap="Greys")
for name, (path, _) in results.items():
    ax.plot(path[:, 0], path[:, 1], ".-", ms=3, lw=1, label=name)
ax.plot(0, 0, "k*", ms=12)
ax.set(xlabel="$x$", ylabel="$y$", title="60 steps on $0.05x^2 + 2y^2$")
ax.legend(fontsize=8)
plt.show()

# %%
viz.plot_loss({name: losses for name, (_, losses) in results.items()})

# %% [markdown]
# What the picture shows, asserted:
#
# * plain SGD zig-zags across the valley (its step overshoots the steep direction:
#   $y$ changes sign at every step) while creeping along it;
# * momentum and Nesterov build up speed along the valley and end much lower;
# * the adaptive methods divide each coordinate's step by the size of its recent
#   gradients, so both coordinates move at a similar pace (on this axis-aligned valley
#   that is exactly the right correction).

# %%
sgd_path = results["SGD"][0]
assert np.all(np.sign(sgd_path[1:8, 1]) != np.sign(sgd_path[:7, 1])), "SGD must zig-zag in y"
for name in ("momentum", "Nesterov", "Adagrad", "RMSprop", "Adam"):
    assert f(results[name][0][-1]) < f(sgd_path[-1]), f"{name} should end lower than plain SGD"
for name, (path, _) in results.items():
    assert f(path[-1]) < 0.01 * f(np.array(start)), f"{name} should reduce f a hundredfold"

# %% [markdown]
# ## The learning rate: too small, good, divergent
#
# Near a minimum a loss looks like a quadratic, and there plain GD multiplies the
# distance along each curvature direction $\lambda$ by $(1 - \eta\lambda)$ at every
# step. It converges only if $|1 - \eta\lambda| < 1$ for every direction, that is
#
# $$\eta < \frac{2}{\lambda_{\max}}.$$
#
# Here $\lambda_{\max} = 4$ (the second derivative of $2y^2$), so the limit is $\eta = 0.5$.

# %%
rates = {"too small (0.01)": 0.01, "good (0.4)": 0.4, "divergent (0.52)": 0.52}
lr_runs = {name: trajectory(lambda p, lr=lr: optim.SGD(p, lr=lr)) for name, lr in rates.items()}
lr_losses = {name: losses for name, (_, losses) in lr_runs.items()}
for name, losses in lr_losses.items():
    print(f"{name:18} f: {losses[0]:.3g} -> {losses[-1]:.3g}")
viz.plot_loss(lr_losses)

# %%
small, good, divergent = (lr_losses[name] for name in rates)
small_path = lr_runs["too small (0.01)"][0]
assert abs(small_path[-1, 0]) > 0.9 * abs(start[0]), "a tiny learning rate barely moves along the valley"
assert small[-1] > 100 * good[-1], "after 60 steps the tiny learning rate is far behind"
assert good[-1] < 0.01 * good[0], "a good learning rate converges"
assert divergent[-1] > 10 * divergent[0], "above 2 / lambda_max the iterates blow up"

# %% [markdown]
# ## Summary
#
# * Smaller batches: cheaper, noisier steps, more of them per epoch.
# * Momentum remembers past gradients; adaptive methods rescale each coordinate.
# * The learning rate must stay below $2/\lambda_{\max}$; just below it, the steep
#   direction oscillates, far below it, the flat direction crawls.
