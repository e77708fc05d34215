# %% [markdown]
# # 1. Backprop by hand and by graph
#
# A network small enough to differentiate on paper: two inputs, two hidden ReLU
# units, one sigmoid output, binary cross-entropy loss. We work out every partial
# derivative by hand with the chain rule, then let the engine do the same sweep and
# check that both agree to the last digit. Finally we draw the graph and step
# through backward node by node.
#
# $$z_j = w_{j1} x_1 + w_{j2} x_2 + b_j,\qquad h_j = \mathrm{ReLU}(z_j),\qquad j = 1, 2$$
# $$z_{\text{out}} = w_1 h_1 + w_2 h_2 + b,\qquad \hat y = \sigma(z_{\text{out}})$$
# $$L = -\big(y \log \hat y + (1 - y)\log(1 - \hat y)\big)$$

# %%
import math

import autograd as ag
from autograd import Scalar
import viz

# %% [markdown]
# ## The numbers
#
# One training example and a fixed set of weights. They are chosen so that the
# first hidden unit is active ($z_1 > 0$) and the second is not ($z_2 < 0$): we will
# see what ReLU does to the gradient of a unit that is switched off.

# %%
x = [0.5, -1.0]            # x_1, x_2
y = 1.0                    # the target
W = [[0.8, -0.4],          # w_11, w_12   (weights into hidden unit 1)
     [0.3, 0.6]]           # w_21, w_22   (weights into hidden unit 2)
b_hidden = [0.1, 0.0]      # b_1, b_2
w_out = [1.2, -0.7]        # w_1, w_2
b_out = -0.2               # b

# %% [markdown]
# ## Forward and backward on paper
#
# The forward pass, with plain Python floats:

# %%
z = [W[j][0] * x[0] + W[j][1] * x[1] + b_hidden[j] for j in range(2)]
h = [max(zj, 0.0) for zj in z]
z_out = w_out[0] * h[0] + w_out[1] * h[1] + b_out
y_hat = 1.0 / (1.0 + math.exp(-z_out))
loss = -(y * math.log(y_hat) + (1 - y) * math.log(1 - y_hat))
print(f"z = {z}, h = {h}, z_out = {z_out:.4f}, y_hat = {y_hat:.4f}, L = {loss:.4f}")
assert z[0] > 0 > z[1], "the example should have one active and one inactive hidden unit"

# %% [markdown]
# Backward, one line per row of the gradient table. The first row is the famous
# simplification of sigmoid followed by cross-entropy:
#
# $$\frac{\partial L}{\partial z_{\text{out}}}
#   = \frac{\partial L}{\partial \hat y}\,\frac{\partial \hat y}{\partial z_{\text{out}}}
#   = \Big(-\frac{y}{\hat y} + \frac{1-y}{1-\hat y}\Big)\,\hat y(1-\hat y) = \hat y - y$$
#
# | quantity | formula |
# |---|---|
# | $\partial L/\partial z_{\text{out}}$ | $\hat y - y$ |
# | $\partial L/\partial w_j$ | $(\hat y - y)\, h_j$ |
# | $\partial L/\partial b$ | $\hat y - y$ |
# | $\partial L/\partial h_j$ | $(\hat y - y)\, w_j$ |
# | $\partial L/\partial z_j$ | $\partial L/\partial h_j \cdot \mathbb 1[z_j > 0]$ (ReLU lets the gradient through or blocks it) |
# | $\partial L/\partial w_{ji}$ | $\partial L/\partial z_j \cdot x_i$ |
# | $\partial L/\partial b_j$ | $\partial L/\partial z_j$ |

# %%
dL_dzout = y_hat - y
dL_dw = [dL_dzout * h[j] for j in range(2)]
dL_db = dL_dzout
dL_dh = [dL_dzout * w_out[j] for j in range(2)]
dL_dz = [dL_dh[j] * (1.0 if z[j] > 0 else 0.0) for j in range(2)]
dL_dW = [[dL_dz[j] * x[i] for i in range(2)] for j in range(2)]
dL_dbh = list(dL_dz)

print(f"dL/dz_out = {dL_dzout:.6f}")
for j in range(2):
    print(f"unit {j + 1}: dL/dw_{j + 1} = {dL_dw[j]:+.6f}  dL/dh_{j + 1} = {dL_dh[j]:+.6f}  "
          f"dL/dz_{j + 1} = {dL_dz[j]:+.6f}  dL/dw_{j + 1}i = {[round(g, 6) for g in dL_dW[j]]}")

# %% [markdown]
# ## The same network as a graph of `Scalar`s
#
# Each `Scalar` is one node holding one float. Building the loss records every
# operation; `backward()` then walks the graph from the loss to the inputs and fills
# `.grad` on every node it passes, intermediate ones included. (`retain_graph=True`
# keeps what each operation saved for backward, so that we can replay the steps
# later; a plain `backward()` frees it.)

# %%
xs = [Scalar(v, label=f"x{i + 1}") for i, v in enumerate(x)]
Ws = [[Scalar(W[j][i], label=f"w{j + 1}{i + 1}") for i in range(2)] for j in range(2)]
bs = [Scalar(b_hidden[j], label=f"b{j + 1}") for j in range(2)]
ws = [Scalar(w_out[j], label=f"w{j + 1}") for j in range(2)]
bo = Scalar(b_out, label="b")

zs, hs = [], []
for j in range(2):
    zj = Ws[j][0] * xs[0] + Ws[j][1] * xs[1] + bs[j]
    zj.label = f"z{j + 1}"
    hj = zj.relu()
    hj.label = f"h{j + 1}"
    zs.append(zj)
    hs.append(hj)
zo = ws[0] * hs[0] + ws[1] * hs[1] + bo
zo.label = "z_out"
yh = zo.sigmoid()
yh.label = "y_hat"
L = -(y * yh.log() + (1 - y) * (1 - yh).log())
L.label = "L"
L.backward(retain_graph=True)     # keep the saved values: we replay backward step by step below
print(L)

# %% [markdown]
# The engine's gradients and ours, side by side. They must agree to rounding error
# (both are exact formulas evaluated in double precision).

# %%
def close(a, b, tol=1e-12):
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))

rows = [("L", L.data, loss), ("dL/dz_out", zo.grad, dL_dzout), ("dL/db", bo.grad, dL_db)]
for j in range(2):
    rows += [(f"dL/dw_{j + 1}", ws[j].grad, dL_dw[j]), (f"dL/dh_{j + 1}", hs[j].grad, dL_dh[j]),
             (f"dL/dz_{j + 1}", zs[j].grad, dL_dz[j]), (f"dL/db_{j + 1}", bs[j].grad, dL_dbh[j])]
    rows += [(f"dL/dw_{j + 1}{i + 1}", Ws[j][i].grad, dL_dW[j][i]) for i in range(2)]
print(f"{'quantity':>10} {'engine':>12} {'by hand':>12}")
for name, engine, hand in rows:
    print(f"{name:>10} {engine:12.8f} {hand:12.8f}")
    assert close(engine, hand), f"{name}: the engine gives {engine}, the hand computation {hand}"

# %% [markdown]
# Two things to notice in the table:
#
# * $\partial L/\partial h_2 \neq 0$ but $\partial L/\partial z_2 = 0$: the loss
#   *would* change if $h_2$ changed, but ReLU is flat where $z_2 < 0$, so no gradient
#   reaches $w_{21}, w_{22}, b_2$. A unit that is off for every example never learns
#   (a "dead" ReLU).
# * $\partial L/\partial w_{ji} = \partial L/\partial z_j \cdot x_i$: the gradient of a
#   weight is the error signal at the unit it feeds times the input it multiplies.

# %%
assert hs[1].grad != 0.0, "the loss does depend on h_2"
assert zs[1].grad == 0.0 and Ws[1][0].grad == 0.0 and Ws[1][1].grad == 0.0, \
    "ReLU must block the gradient of the inactive unit"
assert close(zo.grad, yh.data - y), "dL/dz_out must be y_hat - y"

# %% [markdown]
# A third, independent opinion: central finite differences,
# $\frac{L(w + \varepsilon) - L(w - \varepsilon)}{2\varepsilon}$, one weight at a time.
# `ag.gradcheck` does this for every input of a function.

# %%
def loss_of(w11, w12, w21, w22, b1, b2, w1, w2, b):
    hidden = [(w11 * xs[0] + w12 * xs[1] + b1).relu(), (w21 * xs[0] + w22 * xs[1] + b2).relu()]
    p = (w1 * hidden[0] + w2 * hidden[1] + b).sigmoid()
    return -(y * p.log() + (1 - y) * (1 - p).log())

params = [Ws[0][0], Ws[0][1], Ws[1][0], Ws[1][1], bs[0], bs[1], ws[0], ws[1], bo]
assert ag.gradcheck(loss_of, params), "finite differences disagree with backprop"
print("gradcheck: backprop agrees with central differences for all 9 parameters")

# %% [markdown]
# The library packages the same network as `nn.scalar.MLP(2, [2, 1])`: one `Scalar`
# per weight, named `L1.w11 ... L2.b1` (layer, then neuron and input), ReLU in the
# hidden layer and, here, a sigmoid at the output. Loaded with our weights it gives
# the same gradients.

# %%
from nn.scalar import MLP

net = MLP(2, [2, 1], output_activation="sigmoid")
net.set_weights([(W, b_hidden), ([w_out], [b_out])])
p_net = net(x)
(-(y * p_net.log() + (1 - y) * (1 - p_net).log())).backward()
grads = dict((name, param.grad) for name, param in net.named_parameters())
expected = {"L1.w11": dL_dW[0][0], "L1.w12": dL_dW[0][1], "L1.b1": dL_dbh[0],
            "L1.w21": dL_dW[1][0], "L1.w22": dL_dW[1][1], "L1.b2": dL_dbh[1],
            "L2.w11": dL_dw[0], "L2.w12": dL_dw[1], "L2.b1": dL_db}
for name, hand in expected.items():
    assert close(grads[name], hand), f"nn.scalar.MLP: {name} has gradient {grads[name]}, by hand {hand}"
print("nn.scalar.MLP gives the same nine gradients")

# %% [markdown]
# ## The graph
#
# `viz.draw` shows one box per value (its label, data and gradient) and one node per
# operation. Read it right to left to follow backward: each edge carries the gradient
# that flowed along it.

# %%
viz.draw(L)

# %% [markdown]
# ## Backward, one node at a time
#
# Backward visits the nodes in reverse topological order: a node is processed only
# when every node that uses it has sent its gradient back. At each node the rule is
# the same,
#
# $$\text{downstream} = \text{upstream} \times \text{local},$$
#
# the gradient arriving at the node times the derivative of the node's operation
# with respect to each input. `viz.backprop_steps` lists these steps.

# %%
steps = viz.backprop_steps(L)
print("step  value   op       upstream | per input: local -> downstream")
for step in steps:
    if not step.inputs:            # a leaf: backward only adds the upstream gradient to .grad
        continue
    ins = ", ".join(f"{getattr(v, 'label', '') or '.'}: {loc:+.4f} -> {down:+.4f}"
                    for v, loc, down in zip(step.inputs, step.local, step.downstream)
                    if hasattr(v, "data"))
    print(f"{step.index:4d}  {step.node.label or '.':6}  {step.op:7} {step.upstream:+.4f} | {ins}")

# %%
assert steps[0].node is L and steps[0].upstream == 1.0, "backward starts at the loss with dL/dL = 1"
for step in steps:
    for v, loc, down in zip(step.inputs, step.local, step.downstream):
        if hasattr(v, "data"):
            assert close(down, step.upstream * loc), f"downstream != upstream x local at step {step.index}"
leaf_steps = {step.node.label: step.upstream for step in steps if not step.inputs}
assert close(leaf_steps["w11"], Ws[0][0].grad), "a leaf's step carries the gradient it ends up with"
order = [s.node for s in steps]
assert order.index(yh) < order.index(zo) < order.index(hs[0]) < order.index(zs[0]), \
    "backward must visit y_hat, z_out, h_1, z_1 in that order"

# %% [markdown]
# The same steps as an interactive stepper: press *next* (or the right arrow key) to
# follow the gradient from the loss back to the weights. The highlighted node is the
# one being processed, the highlighted edges are those its gradient flows along.

# %%
viz.animate(L)

# %% [markdown]
# ## Summary
#
# * Backprop is the chain rule applied node by node, from the loss backwards, and
#   each node needs only its own local derivative.
# * For sigmoid + binary cross-entropy the error at the output is simply $\hat y - y$.
# * ReLU passes the gradient through an active unit unchanged and blocks it at an
#   inactive one.
