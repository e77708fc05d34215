"""`Scalar`: one Python float per graph node, for hand-worked teaching graphs.

It shares the graph core (`graph.py`), the `Function` protocol and the
visualiser with `Tensor`; only the data differ. Its operations, below, compute
on floats with `math` and follow IEEE rules where Python would raise
(1/0 is inf, log 0 is -inf), as numpy does for tensors.

One object per operation. A Scalar made by one of the operations below is
also that operation's node, and the `ctx` its forward and backward get: it
keeps the Function, the operands, the floats backward needs (`ctx.a`,
`ctx.b`, `ctx.out`, set by forward as PyTorch keeps non-tensors on its ctx),
its place in the order of operations and the gradients of the last backward.
A graph of Scalars grows one multiply and one add at a time, and Python's
cyclic garbage collector walks every object of it again and again while it
grows, so one object instead of a value, a node and a tuple of saved values
is most of what such a graph costs. `grad_fn` shows the node as every node
looks (a `ScalarNode`, made on first access and kept).

A user's own Function applied to Scalars goes through `Function.apply` and
gets a regular `Node` as ctx, as on tensors; backward walks both kinds.
"""

import math
import numbers

from .function import Function, _check_forward
from .graph import (OutputNode, _sequence, state, value_grad_fn, value_inputs,
                    value_is_leaf)
from .graph import backward as _backward

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


# -- how an operation on Scalars joins the graph ---------------------------------
# `fn.apply(a, b)`'s steps, written out for floats: the output is made first,
# forward computes its data with the output as ctx, and the output becomes the
# node. Scalar's operator methods are made here, one body for all of them.

def _operator(fn, symbol, reflected=False):
    """The method behind `self <symbol> other` (with `reflected`, `other <symbol> self`).

    A Scalar or a float is the usual other operand; other numbers (int,
    numpy's) become floats first; anything else takes the general path,
    `fn.apply`, which explains what is wrong (or makes a regular Node, for a
    subclass of Scalar). (`fn` and `reflected` are default arguments because
    they cost less per call than a closure's cells.)
    """
    def method(self, other, fn=fn, reflected=reflected):
        t = type(other)
        if t is Scalar:
            y = other.data
            record = self.requires_grad or other.requires_grad
        elif t is float:
            y = other
            record = self.requires_grad
        else:
            other = _number(other, fn.name)
            if type(other) is float:
                return method(self, other)
            # a Tensor (refused there) or an instance of a subclass of Scalar
            return fn.apply(other, self) if reflected else fn.apply(self, other)
        out = _new(Scalar)
        if reflected:
            out.data = fn.forward(out, y, self.data)
            return _recorded(out, fn, other, self, record)
        out.data = fn.forward(out, self.data, y)
        return _recorded(out, fn, self, other, record)

    method.__doc__ = f"other {symbol} self" if reflected else f"self {symbol} other"
    return method


def _function(fn):
    """The method behind `self.<fn.name>()` (see `_operator`)."""
    def method(self, fn=fn):
        out = _new(Scalar)
        out.data = fn.forward(out, self.data)
        return _recorded(out, fn, self, None, self.requires_grad)

    method.__doc__ = fn.__doc__
    return method


def _recorded(out, fn, first, second, record):
    """`out`, whose forward has run, made the node of `fn` on its operands (`second`
    None: one operand) when one of them needs a gradient and grad mode is on;
    else a constant, which refers to no operand."""
    out.grad = 0.0
    out.label = ""
    out.scope = state.scope
    out.saved_tensors = ()
    out._pending = None
    if record and state.grad_enabled:
        out.requires_grad = True
        out._fn = fn
        out._first = first
        out._second = second
        out._seq = next(_sequence)
    else:
        out.requires_grad = False
        out._fn = out._node = out._seq = None
    if state.anomaly:
        _check_forward(fn, out, (first,) if second is None else (first, second), out)
    return out


_new = object.__new__


# -- the operations: forward and backward on floats --------------------------------

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
        ctx.a, ctx.b = a, b
        return a * b

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * ctx.b, grad_output * ctx.a


class Div(Function):
    """out = a / b;  d/da = 1/b, d/db = -a/b^2"""
    name = "div"

    @staticmethod
    def forward(ctx, a, b):
        ctx.a, ctx.b = a, b
        return _div(a, b)

    @staticmethod
    def backward(ctx, grad_output):
        ga = _div(grad_output, ctx.b)
        return ga, -ga * _div(ctx.a, ctx.b)


class Pow(Function):
    """out = a ** b;  d/da = b a^(b-1), d/db = out ln a

    As for tensors: d/da is 0 where b = 0, d/db is 0 where a = 0 and b >= 0.
    """
    name = "pow"

    @staticmethod
    def forward(ctx, a, b):
        ctx.a, ctx.b = a, b
        ctx.out = out = _pow(a, b)
        return out

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.a, ctx.b
        ga = 0.0 if b == 0 else grad_output * b * _pow(a, b - 1)
        gb = None
        if ctx.needs_input_grad[1]:
            gb = 0.0 if a == 0 and b >= 0 else grad_output * ctx.out * _log(a)
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
        ctx.out = out = _exp(a)
        return out

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * ctx.out


class Log(Function):
    """out = ln a;  d/da = 1/a"""
    name = "log"

    @staticmethod
    def forward(ctx, a):
        ctx.a = a
        return _log(a)

    @staticmethod
    def backward(ctx, grad_output):
        return _div(grad_output, ctx.a)


class Tanh(Function):
    """out = tanh a;  d/da = 1 - out^2"""
    name = "tanh"

    @staticmethod
    def forward(ctx, a):
        ctx.out = out = math.tanh(a)
        return out

    @staticmethod
    def backward(ctx, grad_output):
        out = ctx.out
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
        ctx.out = out
        return out

    @staticmethod
    def backward(ctx, grad_output):
        out = ctx.out
        return grad_output * out * (1.0 - out)


class Relu(Function):
    """out = max(a, 0);  d/da = 1 where a > 0, else 0"""
    name = "relu"

    @staticmethod
    def forward(ctx, a):
        ctx.out = out = a if a > 0 else 0.0
        return out

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output if ctx.out > 0 else 0.0


class Scalar:
    """A single float in the graph. Every Scalar gets its `.grad` filled by backward.

    A Scalar made by one of the operations above is also its node and its ctx
    (see the module docstring); the node's fields are private slots, which
    `grad_fn` shows.
    """

    __slots__ = ("data", "grad", "requires_grad", "label", "scope",
                 "a", "b", "out",   # ctx: the floats the operation's backward needs
                 "saved_tensors",   # ctx: () (the floats are in a, b, out); None once freed
                 "_fn",             # the operation's Function; None for a leaf, or one
                                    # made by Function.apply (its Node is in _node)
                 "_first", "_second",   # the operands as given; _second None: one operand
                 "_seq",            # the order of operations (Node.seq); None for a leaf
                 "_pending",        # during a backward sweep: its gradient summed so far
                 "_gout", "_gin",   # the last sweep's gradients (grad_outputs[0], grad_inputs)
                 "_node",           # grad_fn, once asked for (a ScalarNode), or a Node
                 "__weakref__")
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
        self.label = label
        self.scope = state.scope
        self.saved_tensors = ()
        self._fn = self._node = self._seq = self._pending = None

    @staticmethod
    def _from_op(out, node=None):
        """A new Scalar holding `out`; made by `node` (and so requiring grad) if given.

        `Function.apply` makes its Scalars so (a user's Function on Scalars):
        `node` is then a regular Node, the ctx its forward saw. A number of
        another type (a numpy float, an int) becomes a float, as `.data` is.
        """
        s = _new(Scalar)
        s.data = float(out) if type(out) is not float and isinstance(out, numbers.Real) else out
        s.grad = 0.0
        s.label = ""
        s.scope = state.scope
        s.saved_tensors = ()
        s._fn = s._pending = None
        s._node = node
        if node is None:
            s.requires_grad = False
            s._seq = None
        else:
            s.requires_grad = True
            s._seq = node.seq
        return s

    # -- the node --------------------------------------------------------------
    grad_fn = property(value_grad_fn)
    is_leaf = property(value_is_leaf)
    _inputs = property(value_inputs)      # the operands as given
    _one_operand = None       # `_second` for an operation of one operand

    @property
    def needs_input_grad(self):
        """ctx: per operand, whether it wants a gradient."""
        return tuple([getattr(x, "requires_grad", False) for x in self._inputs])

    # -- the graph protocol (see graph.py) -----------------------------------
    def _conform_grad(self, g, node, i):
        return float(g)

    def _accumulate_grad(self, g, private=False):
        self.grad += g

    shape = ()

    def backward(self, grad=1.0, retain_graph=False):
        """Backpropagate from this Scalar; every Scalar on the way gets its `.grad`."""
        _backward(self, float(grad), retain_graph)

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
    __add__ = _operator(Add, "+")
    __radd__ = _operator(Add, "+", reflected=True)
    __sub__ = _operator(Sub, "-")
    __rsub__ = _operator(Sub, "-", reflected=True)
    __mul__ = _operator(Mul, "*")
    __rmul__ = _operator(Mul, "*", reflected=True)
    __truediv__ = _operator(Div, "/")
    __rtruediv__ = _operator(Div, "/", reflected=True)
    __pow__ = _operator(Pow, "**")
    __rpow__ = _operator(Pow, "**", reflected=True)
    __neg__ = _function(Neg)
    exp = _function(Exp)
    log = _function(Log)
    tanh = _function(Tanh)
    sigmoid = _function(Sigmoid)
    relu = _function(Relu)


Scalar._value_type = Scalar


class ScalarNode(OutputNode):
    """`grad_fn` of a Scalar made by a built-in operation: its node, read through it
    (graph.OutputNode), with the floats its forward kept for its backward (viz
    replays it)."""

    __slots__ = ()

    a = property(lambda self: self.output.a)
    b = property(lambda self: self.output.b)
    out = property(lambda self: self.output.out)


Scalar._node_view = ScalarNode     # grad_fn of a Scalar made by a built-in operation
