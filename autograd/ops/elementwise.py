"""Elementwise operations: forward and backward side by side.

All broadcast like numpy; a gradient in the broadcast shape is summed back to
each input's shape by the graph driver.
"""

import math
import operator

import numpy as np

from ..function import Function
from ..graph import Rebuild, operands_made_here
from . import broadcast_explain


def _made_from_output(make):
    """`record_grads` of an operation whose backward is `make(grad_output, output)`:
    its gradient kept as how to make it, from its output (which it saved)."""
    def record_grads(ctx, grads, grad_output):
        return (Rebuild(make, grad_output, ctx.saved_tensors[0]),)
    return staticmethod(record_grads)


def _tanh_grad(g, out):
    return g * (1 - out * out)


def _sigmoid_grad(g, out):
    return g * out * (1 - out)


def _relu_grad(g, out):
    return g * (out > 0)


class Add(Function):
    """out = a + b;  d/da = 1, d/db = 1"""
    name = "add"
    explain = staticmethod(broadcast_explain)

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output, grad_output


class Sub(Function):
    """out = a - b;  d/da = 1, d/db = -1"""
    name = "sub"
    explain = staticmethod(broadcast_explain)

    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, grad_output):
        need_b = ctx.needs_input_grad[1]
        return grad_output, (-grad_output if need_b else None)


class Mul(Function):
    """out = a * b;  d/da = b, d/db = a"""
    name = "mul"
    explain = staticmethod(broadcast_explain)

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad     # x * constant: one product, not two
        return (grad_output * b if need_a else None), (grad_output * a if need_b else None)

    @staticmethod
    def record_grads(ctx, grads, grad_output):
        if not operands_made_here(ctx):           # a weight may change in place later
            return grads
        a, b = ctx.saved_tensors
        ga, gb = grads
        return (None if ga is None else Rebuild(operator.mul, grad_output, b),
                None if gb is None else Rebuild(operator.mul, grad_output, a))


class Div(Function):
    """out = a / b;  d/da = 1/b, d/db = -a/b^2 = -out/b"""
    name = "div"
    explain = staticmethod(broadcast_explain)

    @staticmethod
    def forward(ctx, a, b):
        out = a / b
        ctx.save_for_backward(b, out)
        return out

    @staticmethod
    def backward(ctx, grad_output):
        b, out = ctx.saved_tensors
        ga = grad_output / b
        return ga, (-ga * out if ctx.needs_input_grad[1] else None)


class Pow(Function):
    """out = a ** b;  d/da = b a^(b-1), d/db = out ln a

    As PyTorch: d/da is 0 where b = 0 (a^0 is constant, even at a = 0, where
    b a^(b-1) would be 0 * inf), and d/db is 0 where a = 0 and b >= 0.
    """
    name = "pow"
    explain = staticmethod(broadcast_explain)

    @staticmethod
    def forward(ctx, a, b):
        out = a ** b
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad_output):
        a, b, out = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ga = gb = None
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if need_a:
                ga = np.where(b == 0, 0.0, grad_output * b * a ** (b - 1))
            if need_b:
                gb = np.where((a == 0) & (b >= 0), 0.0, grad_output * out * np.log(a))
        return ga, gb


class Neg(Function):
    """out = -a;  d/da = -1"""
    name = "neg"

    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, grad_output):
        return -grad_output


class Abs(Function):
    """out = |a|;  d/da = sign(a) (0 at 0, as PyTorch)"""
    name = "abs"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.abs(a)

    @staticmethod
    def backward(ctx, grad_output):
        (a,) = ctx.saved_tensors
        return grad_output * np.sign(a)


class Exp(Function):
    """out = e^a;  d/da = out"""
    name = "exp"

    @staticmethod
    def forward(ctx, a):
        out = np.exp(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_output):
        (out,) = ctx.saved_tensors
        return grad_output * out

    record_grads = _made_from_output(operator.mul)


class Log(Function):
    """out = ln a;  d/da = 1/a"""
    name = "log"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.log(a)

    @staticmethod
    def backward(ctx, grad_output):
        (a,) = ctx.saved_tensors
        return grad_output / a


class Log1p(Function):
    """out = ln(1 + a);  d/da = 1/(1 + a)"""
    name = "log1p"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.log1p(a)

    @staticmethod
    def backward(ctx, grad_output):
        (a,) = ctx.saved_tensors
        return grad_output / (1 + a)


class Sqrt(Function):
    """out = sqrt(a);  d/da = 1 / (2 out)"""
    name = "sqrt"

    @staticmethod
    def forward(ctx, a):
        out = np.sqrt(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_output):
        (out,) = ctx.saved_tensors
        return grad_output / (2 * out)


class Tanh(Function):
    """out = tanh a;  d/da = 1 - out^2"""
    name = "tanh"

    @staticmethod
    def forward(ctx, a):
        out = np.tanh(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_output):
        (out,) = ctx.saved_tensors
        return _tanh_grad(grad_output, out)

    record_grads = _made_from_output(_tanh_grad)


class Sigmoid(Function):
    """out = 1 / (1 + e^-a);  d/da = out (1 - out)"""
    name = "sigmoid"

    @staticmethod
    def forward(ctx, a):
        # e^-a overflows to inf for very negative a, and 1 / (1 + inf) is the right 0
        # (PyTorch's formula too); four ufuncs instead of the eight of a two-branch
        # form, all in the one array -a makes (an LSTM step: 5.3 against 6.0 µs)
        if type(a) is not np.ndarray:
            a = np.asarray(a)
        out = np.negative(a) if a.dtype.kind == "f" else -np.asarray(a, dtype=np.float64)
        if type(out) is not np.ndarray:              # (-a of a 0-d array: a numpy scalar)
            out = np.array(out)
        with np.errstate(over="ignore"):
            np.exp(out, out=out)
        out += 1
        np.reciprocal(out, out=out)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_output):
        (out,) = ctx.saved_tensors
        return _sigmoid_grad(grad_output, out)

    record_grads = _made_from_output(_sigmoid_grad)


class Relu(Function):
    """out = max(a, 0);  d/da = 1 where a > 0, else 0"""
    name = "relu"

    @staticmethod
    def forward(ctx, a):
        out = np.maximum(a, 0)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_output):
        (out,) = ctx.saved_tensors
        return _relu_grad(grad_output, out)

    record_grads = _made_from_output(_relu_grad)


_erf = np.frompyfunc(math.erf, 1, 1)


class Erf(Function):
    """out = erf a;  d/da = 2/sqrt(pi) e^(-a^2)"""
    name = "erf"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        a = np.asarray(a)
        # asarray: on a 0-d array the ufunc returns a bare float
        return np.asarray(_erf(a), dtype=a.dtype if a.dtype.kind == "f" else np.float64)

    @staticmethod
    def backward(ctx, grad_output):
        (a,) = ctx.saved_tensors
        return grad_output * (2 / math.sqrt(math.pi)) * np.exp(-a * a)


class Clip(Function):
    """out = min(max(a, low), high);  d/da = 1 where low <= a <= high (PyTorch's clamp)"""
    name = "clip"

    @staticmethod
    def forward(ctx, a, low=None, high=None):
        ctx.save_for_backward(a)
        ctx.bounds = (low, high)
        if low is None and high is None:
            raise ValueError("clip needs at least one of min and max")
        return np.clip(a, low, high)

    @staticmethod
    def backward(ctx, grad_output):
        (a,) = ctx.saved_tensors
        low, high = ctx.bounds
        inside = np.ones(a.shape, dtype=bool)
        if low is not None:
            inside &= a >= low
        if high is not None:
            inside &= a <= high
        return grad_output * inside


class Maximum(Function):
    """out = max(a, b) elementwise;  the gradient goes to the larger, split evenly on ties"""
    name = "maximum"
    explain = staticmethod(broadcast_explain)

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.maximum(a, b)

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        share = (a > b) + 0.5 * (a == b)
        return grad_output * share, grad_output * (1 - share)


class Minimum(Function):
    """out = min(a, b) elementwise;  the gradient goes to the smaller, split evenly on ties"""
    name = "minimum"
    explain = staticmethod(broadcast_explain)

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.minimum(a, b)

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        share = (a < b) + 0.5 * (a == b)
        return grad_output * share, grad_output * (1 - share)


class Where(Function):
    """out = a where cond else b;  d/da = cond, d/db = not cond"""
    name = "where"

    @staticmethod
    def explain(args, kwargs):
        return broadcast_explain(args, kwargs)

    @staticmethod
    def forward(ctx, cond, a, b):
        cond = np.asarray(cond, dtype=bool)
        ctx.save_for_backward(cond)
        return np.where(cond, a, b)

    @staticmethod
    def backward(ctx, grad_output):
        (cond,) = ctx.saved_tensors
        zero = np.zeros((), dtype=grad_output.dtype)
        return None, np.where(cond, grad_output, zero), np.where(cond, zero, grad_output)


class Cast(Function):
    """out = a in another dtype;  the driver casts the gradient back to a's dtype"""
    name = "cast"

    @staticmethod
    def forward(ctx, a, dtype):
        return np.asarray(a).astype(dtype)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output, None
