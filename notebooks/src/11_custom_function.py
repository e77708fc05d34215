# %% [markdown]
# # 11. Your own operation
#
# Every operation in the engine, from `+` to `matmul`, is a small class with two
# static methods side by side: `forward` computes the value and saves what the
# derivative will need, `backward` turns the gradient of the output into a gradient
# for each input. Writing your own operation is writing those two methods. This is
# the pattern of PyTorch's `torch.autograd.Function`.
#
# We write the sigmoid,
#
# $$\sigma(x) = \frac{1}{1 + e^{-x}},\qquad \sigma'(x) = \sigma(x)\,\big(1 - \sigma(x)\big),$$
#
# check it with finite differences, and see what the check says when the backward
# is wrong.

# %%
import numpy as np

import autograd as ag
from autograd import Function, Tensor
import viz

ag.set_default_dtype(np.float64)   # finite differences need double precision

# %% [markdown]
# ## Forward and backward
#
# `forward(ctx, x)` receives raw numpy arrays. The derivative of the sigmoid is
# cheapest in terms of its output $y$, so we save $y$, not $x$. `backward(ctx,
# grad_output)` receives $\partial L/\partial y$ (same shape as $y$) and returns
# $\partial L/\partial x = \partial L/\partial y \cdot y(1-y)$: upstream times local.

# %%
class SigmoidActivation(Function):
    """y = 1 / (1 + exp(-x));  dy/dx = y (1 - y)"""

    @staticmethod
    def forward(ctx, x):
        y = 1.0 / (1.0 + np.exp(-x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output * y * (1.0 - y)


x = Tensor(np.linspace(-4.0, 4.0, 9), requires_grad=True, label="x")
y = SigmoidActivation.apply(x)
y.label = "y"
y.sum().backward()
print("y     =", np.round(y.data, 4))
print("dy/dx =", np.round(x.grad.data, 4))

# %% [markdown]
# It agrees with the built-in sigmoid, value and gradient:

# %%
x_builtin = Tensor(x.data.copy(), requires_grad=True)
ag.sigmoid(x_builtin).sum().backward()
assert np.allclose(y.data, ag.sigmoid(Tensor(x.data)).data), "forward differs from the built-in sigmoid"
assert np.allclose(x.grad.data, x_builtin.grad.data), "gradient differs from the built-in sigmoid"
assert np.isclose(x.grad.data[4], 0.25), "sigma'(0) must be 1/4"

# %% [markdown]
# The new operation is a node like any other: it shows up in the graph under its
# class name, and the gradient flows through it.

# %%
w = Tensor([0.5, -1.5], requires_grad=True, label="w")
inp = Tensor([2.0, 1.0], label="x")
out = SigmoidActivation.apply(w * inp).sum()
out.label = "out"
out.backward()
viz.draw(out)

# %% [markdown]
# ## Checking it: `ag.gradcheck`
#
# A wrong backward does not crash; it silently trains the network in a wrong
# direction. So every new operation gets checked against central finite differences,
#
# $$\frac{\partial f}{\partial x_i} \approx \frac{f(x + \varepsilon e_i) - f(x - \varepsilon e_i)}{2\varepsilon},$$
#
# which need no derivative at all. For a function with many outputs, `gradcheck`
# compares a random weighted sum of them, which involves every output element.

# %%
x_check = Tensor(np.random.default_rng(0).normal(size=(3, 4)), requires_grad=True)
assert ag.gradcheck(SigmoidActivation.apply, (x_check,)), "the correct sigmoid must pass"
print("SigmoidActivation passes gradcheck")

# %% [markdown]
# ## What a wrong backward looks like
#
# Two classic slips: using the derivative of something else ($y(1+y)$ instead of
# $y(1-y)$), and forgetting to multiply by the upstream gradient (returning only the
# local derivative). `gradcheck` catches both and says which input and element
# disagree, with both values.

# %%
class WrongDerivative(SigmoidActivation):
    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output * y * (1.0 + y)          # sign slip


class ForgotUpstream(SigmoidActivation):
    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return y * (1.0 - y)                        # the chain rule's "upstream x" is missing


messages = {}
for op in (WrongDerivative, ForgotUpstream):
    try:
        ag.gradcheck(op.apply, (x_check,))
    except ag.GradcheckError as err:
        messages[op.__name__] = str(err)
        print(f"{op.__name__}:\n  {err}\n")
assert set(messages) == {"WrongDerivative", "ForgotUpstream"}, "gradcheck must reject both wrong backwards"
assert all("analytic" in m and "numeric" in m for m in messages.values()), \
    "the message should show both gradients"

# %% [markdown]
# The second slip is sneaky: when the sigmoid is the last operation and the loss is
# a plain sum, the upstream gradient is all ones and the wrong backward gives the
# right answer. Only a check with a *non-trivial* upstream gradient (here, a random
# projection of the output) exposes it:

# %%
x_sum = Tensor(x_check.data.copy(), requires_grad=True)
ForgotUpstream.apply(x_sum).sum().backward()
x_ref = Tensor(x_check.data.copy(), requires_grad=True)
SigmoidActivation.apply(x_ref).sum().backward()
assert np.allclose(x_sum.grad.data, x_ref.grad.data), \
    "with an all-ones upstream gradient the slip is invisible"
print("with loss = sum(y) the wrong backward agrees with the right one; gradcheck does not")

# %% [markdown]
# ## Two inputs, two gradients
#
# `backward` returns one gradient per input of `forward`. Here an operation
# $f(a, b) = a \cdot \sigma(b)$, a gate, checked on both inputs at once.
# `ctx.needs_input_grad` tells which inputs need a gradient (return `None` for the
# others to save work).

# %%
class Gate(Function):
    """out = a * sigmoid(b);  d/da = sigmoid(b),  d/db = a sigmoid(b) (1 - sigmoid(b))"""

    @staticmethod
    def forward(ctx, a, b):
        s = 1.0 / (1.0 + np.exp(-b))
        ctx.save_for_backward(a, s)
        return a * s

    @staticmethod
    def backward(ctx, grad_output):
        a, s = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        grad_a = grad_output * s if need_a else None
        grad_b = grad_output * a * s * (1.0 - s) if need_b else None
        return grad_a, grad_b


rng = np.random.default_rng(1)
a = Tensor(rng.normal(size=(2, 3)), requires_grad=True)
b = Tensor(rng.normal(size=(2, 3)), requires_grad=True)
assert ag.gradcheck(Gate.apply, (a, b)), "Gate must pass gradcheck on both inputs"
print("Gate passes gradcheck on both inputs")

# %% [markdown]
# ## Summary
#
# * An operation is `forward` (value, and what to save) plus `backward` (upstream
#   gradient times local derivative, one result per input).
# * Check every backward against finite differences, with a random upstream gradient.
# * The built-in operations of this engine are written exactly this way.
