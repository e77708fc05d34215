"""`Scalar`: one Python float per graph node, for hand-worked teaching graphs.

It shares the graph core (`graph.py`), the `Function` protocol and the
visualiser with `Tensor`; only the data differ. Its operations, below, compute
on floats with `math` and follow IEEE rules where Python would raise
(1/0 is inf, log 0 is -inf), as numpy does for tensors.
"""

import math
import numbers

from .function import Function, _check_forward
from .graph import BinaryNode, Node, state

_INF = math.inf


def _number(x, op):
    """An operand as a float, or a Scalar as is; anything else is a TypeError."""
    if type(x) is Scalar or type(x) is float:
        return x
    if isinstance(x, Scalar):
        return x
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return float(x)
    if getattr(x, "_value_type", None) is not None:
        return x                    # a Tensor: Function.apply names the mix
    raise TypeError(f"{op}: a Scalar combines with numbers and Scalars, "
                    f"not with {type(x).__name__}")


def _apply1(fn, a):
    """`fn.apply(a)` for a Scalar `a`: Function.apply's steps, for one float.

    Scalar graphs are built one multiply and one add at a time, so the general
    apply (any arguments, keywords, several outputs) is most of their cost;
    this is the same node, made with what a float operation needs.
    """
    ctx = Node(fn)
    ctx.inputs = (a,)
    return _output(ctx, fn.forward(ctx, a.data), a.requires_grad)


def _apply2(fn, a, b):
    """`fn.apply(a, b)` for two Scalars, or a Scalar and a float in either order (see
    `_apply1`). Other numbers (int, numpy's) become floats first; any other pair
    takes the general path, which explains what is wrong."""
    if type(a) is Scalar:
        x = a.data
        if type(b) is Scalar:
            y = b.data
            record = a.requires_grad or b.requires_grad
        elif type(b) is float:
            y = b
            record = a.requires_grad
        else:
            return _apply2_numbers(fn, a, b)
    elif type(a) is float and type(b) is Scalar:
        x, y = a, b.data
        record = b.requires_grad
    else:
        return _apply2_numbers(fn, a, b)
    ctx = BinaryNode(fn)
    ctx.first = a
    ctx.second = b
    return _output(ctx, fn.forward(ctx, x, y), record)


def _apply2_numbers(fn, a, b):
    a, b = _number(a, fn.name), _number(b, fn.name)
    if type(a) in _FAST and type(b) in _FAST:
        return _apply2(fn, a, b)
    return fn.apply(a, b)


def _output(ctx, out, record):
    """The Scalar holding `out`, recorded as the output of `ctx` if an input needs a gradient."""
    result = _new(Scalar)
    result.data = out
    result.grad = 0.0
    result.label = ""
    result.scope = ctx.scope
    if record and state.grad_enabled:
        result.grad_fn = ctx
        result.requires_grad = True
    else:
        result.grad_fn = None
        result.requires_grad = False
    if state.anomaly:
        _check_forward(ctx.fn, ctx, ctx.inputs, result)
    return result


_new = object.__new__


def _div(a, b):
    try:
        return a / b
    except ZeroDivisionError:
        if a == 0 or a != a:
            return math.nan
        return math.copysign(_INF, a) * math.copysign(1.0, b)


def _pow(a, b):
    try:
        out = a ** b
    except ZeroDivisionError:
        return _INF
    except OverflowError:
        return _INF
    return math.nan if isinstance(out, complex) else out


def _exp(a):
    try:
        return math.exp(a)
    except OverflowError:
        return _INF


def _log(a):
    if a > 0:
        return math.log(a)
    return -_INF if a == 0 else math.nan


class Add(Function):
    """out = a + b;  d/da = 1, d/db = 1"""
    name = "add"

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output, grad_output


class Sub(Function):
    """out = a - b;  d/da = 1, d/db = -1"""
    name = "sub"

    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output, -grad_output


class Mul(Function):
    """out = a * b;  d/da = b, d/db = a"""
    name = "mul"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        return grad_output * b, grad_output * a


class Div(Function):
    """out = a / b;  d/da = 1/b, d/db = -a/b^2"""
    name = "div"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _div(a, b)

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        ga = _div(grad_output, b)
        return ga, -ga * _div(a, b)


class Pow(Function):
    """out = a ** b;  d/da = b a^(b-1), d/db = out ln a

    As for tensors: d/da is 0 where b = 0, d/db is 0 where a = 0 and b >= 0.
    """
    name = "pow"

    @staticmethod
    def forward(ctx, a, b):
        out = _pow(a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad_output):
        a, b, out = ctx.saved_tensors
        ga = 0.0 if b == 0 else grad_output * b * _pow(a, b - 1)
        gb = None
        if isinstance(ctx.inputs[1], Scalar):
            gb = 0.0 if a == 0 and b >= 0 else grad_output * out * _log(a)
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


class Exp(Function):
    """out = e^a;  d/da = out"""
    name = "exp"

    @staticmethod
    def forward(ctx, a):
        out = _exp(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_output):
        (out,) = ctx.saved_tensors
        return grad_output * out


class Log(Function):
    """out = ln a;  d/da = 1/a"""
    name = "log"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _log(a)

    @staticmethod
    def backward(ctx, grad_output):
        (a,) = ctx.saved_tensors
        return _div(grad_output, a)


class Tanh(Function):
    """out = tanh a;  d/da = 1 - out^2"""
    name = "tanh"

    @staticmethod
    def forward(ctx, a):
        out = math.tanh(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_output):
        (out,) = ctx.saved_tensors
        return grad_output * (1.0 - out * out)


class Sigmoid(Function):
    """out = 1 / (1 + e^-a);  d/da = out (1 - out)"""
    name = "sigmoid"

    @staticmethod
    def forward(ctx, a):
        if a >= 0:
            out = 1.0 / (1.0 + math.exp(-a))
        else:
            e = _exp(a)
            out = e / (1.0 + e)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_output):
        (out,) = ctx.saved_tensors
        return grad_output * out * (1.0 - out)


class Relu(Function):
    """out = max(a, 0);  d/da = 1 where a > 0, else 0"""
    name = "relu"

    @staticmethod
    def forward(ctx, a):
        out = a if a > 0 else 0.0
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_output):
        (out,) = ctx.saved_tensors
        return grad_output if out > 0 else 0.0


class Scalar:
    """A single float in the graph. Every Scalar gets its `.grad` filled by backward."""

    __slots__ = ("data", "grad", "requires_grad", "grad_fn", "label", "scope", "__weakref__")
    _retains_grad = True
    _output_nr = 0

    def __init__(self, data, label=""):
        if isinstance(data, Scalar):
            data = data.data
        if not isinstance(data, numbers.Real) or isinstance(data, bool):
            raise TypeError(f"Scalar: data must be a real number, got {type(data).__name__}")
        self.data = float(data)
        self.grad = 0.0
        self.requires_grad = True
        self.grad_fn = None
        self.label = label
        self.scope = state.scope

    @staticmethod
    def _from_op(out, node=None):
        """A new Scalar holding `out`; made by `node` (and so requiring grad) if given."""
        s = _new(Scalar)
        s.data = out
        s.grad = 0.0
        s.requires_grad = node is not None
        s.grad_fn = node
        s.label = ""
        s.scope = state.scope
        return s

    # -- the graph protocol (see graph.py) -----------------------------------
    def _conform_grad(self, g, node, i):
        return float(g)

    def _accumulate_grad(self, g, private=False):
        self.grad += g

    @property
    def is_leaf(self):
        return self.grad_fn is None

    shape = ()

    def backward(self, grad=1.0, retain_graph=False):
        """Backpropagate from this Scalar; every Scalar on the way gets its `.grad`."""
        from .graph import backward
        backward(self, float(grad), retain_graph)

    def zero_grad(self):
        self.grad = 0.0

    def item(self):
        return self.data

    def __float__(self):
        return self.data

    def __repr__(self):
        name = f"{self.label}: " if self.label else ""
        return f"Scalar({name}data={self.data:.6g}, grad={self.grad:.6g})"

    # -- arithmetic -----------------------------------------------------------
    def __add__(self, other):
        return _apply2(Add, self, other)

    def __radd__(self, other):
        return _apply2(Add, other, self)

    def __sub__(self, other):
        return _apply2(Sub, self, other)

    def __rsub__(self, other):
        return _apply2(Sub, other, self)

    def __mul__(self, other):
        return _apply2(Mul, self, other)

    def __rmul__(self, other):
        return _apply2(Mul, other, self)

    def __truediv__(self, other):
        return _apply2(Div, self, other)

    def __rtruediv__(self, other):
        return _apply2(Div, other, self)

    def __pow__(self, other):
        return _apply2(Pow, self, other)

    def __rpow__(self, other):
        return _apply2(Pow, other, self)

    def __neg__(self):
        return _apply1(Neg, self)

    def exp(self):
        return _apply1(Exp, self)

    def log(self):
        return _apply1(Log, self)

    def tanh(self):
        return _apply1(Tanh, self)

    def sigmoid(self):
        return _apply1(Sigmoid, self)

    def relu(self):
        return _apply1(Relu, self)


Scalar._value_type = Scalar
_FAST = (Scalar, float)
