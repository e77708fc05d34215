"""`Function`: the one way an operation joins the graph.

An operation is a class with two static methods side by side::

    class Mul(Function):
        @staticmethod
        def forward(ctx, a, b):              # raw data: ndarrays (or floats)
            ctx.save_for_backward(a, b)
            return a * b
        @staticmethod
        def backward(ctx, grad_output):      # one gradient per forward input
            a, b = ctx.saved_tensors
            return grad_output * b, grad_output * a

`Mul.apply(x, y)` unwraps the values, runs `forward` and, when an input needs a
gradient and grad mode is on, records a `Node` so backward can call `backward`.
A `forward` that returns a tuple makes one output value per element, and its
`backward` then takes one gradient per output.
Gradients may come back in the broadcast shape: the driver sums them back to
each input's shape (one shared unbroadcast, not one per rule).
After backward the node keeps, for drawing, the gradients it got and sent
(`grad_outputs`, `grad_inputs`); an operation may keep one it sent as how to
make it again instead (`record_grads`).
"""

import numpy as np

from .graph import Node, state


class Function:
    """Base class of every operation, built-in or the user's own."""

    name = "function"        # drawn on the operation's node; set per subclass

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:
            cls.name = cls.__name__.lower()

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("a Function subclass must define forward(ctx, ...)")

    @staticmethod
    def backward(ctx, grad_output):
        raise NotImplementedError("a Function subclass must define backward(ctx, grad_output)")

    # record_grads(ctx, grads, *grad_outputs) -> what the node keeps as its record
    # `grad_inputs` of what backward returned (`grads`, one per input). None: `grads`
    # as they are. An operation can keep a gradient as a `graph.Rebuild` instead,
    # made again when someone reads the record: from copies of the small factors
    # of a product (MatMul: d/dW = h^T g), or from arrays its own forward made and
    # the gradient that reached it (Sigmoid: g y (1 - y)). `grad_outputs` come as the
    # node's record holds them: an array, or the Rebuild kept by the operation that
    # sent it; use them only as a Rebuild's arguments. It runs for gradients of at
    # least `record_min_bytes` (smaller ones cost less kept as they are).
    record_grads = None
    record_min_bytes = 4096

    @staticmethod
    def explain(args, kwargs):
        """A sentence on why `args` do not fit this operation (for error messages)."""
        return None

    @classmethod
    def apply(cls, *args, **kwargs):
        if not kwargs:                          # most calls: see apply1 and apply2
            if len(args) == 2:
                return apply2(cls, args[0], args[1])
            if len(args) == 1:
                return apply1(cls, args[0])
        record = False
        kind = None
        raw = []
        for a in args:
            vt = getattr(a, "_value_type", None)
            if vt is None:
                raw.append(a)
                continue
            if kind is None:
                kind = vt
            elif kind is not vt:
                raise _mix_error(cls, kind, vt)
            raw.append(a.data)
            if a.requires_grad:
                record = True
        if kind is None:
            kind = _default_kind()
        ctx = Node(cls)
        ctx.inputs = args
        try:
            out = cls.forward(ctx, *raw, **kwargs)
        except (ValueError, TypeError, IndexError) as exc:
            raise _explained(cls, args, kwargs, exc) from None
        return _result(cls, ctx, kind, args, out, record)


def _result(fn, ctx, kind, args, out, record):
    """The value(s) holding `out`, recorded as made by `ctx` if an input needs a gradient."""
    if type(out) is tuple:                      # several outputs (unbind, split)
        return _wrap_outputs(fn, ctx, kind, args, out, record)
    result = kind._from_op(out, ctx if record and state.grad_enabled else None)
    if state.anomaly:
        _check_forward(fn, ctx, args, result)
    return result


# The same steps as Function.apply for the two usual calls, one or two operands
# without keywords (every operator and most methods), written out: a small
# operation's cost is mostly this bookkeeping, and here it is about 15% less
# (apply2 also inlines `_result`: binary operators are the most frequent).

def apply1(fn, a):
    """`fn.apply(a)`."""
    kind = getattr(a, "_value_type", None)
    ctx = Node(fn)
    ctx.inputs = (a,)
    try:
        out = fn.forward(ctx, a if kind is None else a.data)
    except (ValueError, TypeError, IndexError) as exc:
        raise _explained(fn, (a,), {}, exc) from None
    if kind is None:
        return _result(fn, ctx, _default_kind(), ctx.inputs, out, False)
    return _result(fn, ctx, kind, ctx.inputs, out, a.requires_grad)


def apply2(fn, a, b):
    """`fn.apply(a, b)`."""
    ka = getattr(a, "_value_type", None)
    kb = getattr(b, "_value_type", None)
    if ka is not None:
        if kb is None:
            x, y, kind, record = a.data, b, ka, a.requires_grad
        elif kb is ka:
            x, y, kind, record = a.data, b.data, ka, a.requires_grad or b.requires_grad
        else:
            raise _mix_error(fn, ka, kb)
    elif kb is not None:
        x, y, kind, record = a, b.data, kb, b.requires_grad
    else:
        x, y, kind, record = a, b, _default_kind(), False
    ctx = Node(fn)
    ctx.inputs = args = (a, b)
    try:
        out = fn.forward(ctx, x, y)
    except (ValueError, TypeError, IndexError) as exc:
        raise _explained(fn, args, {}, exc) from None
    if type(out) is tuple:
        return _wrap_outputs(fn, ctx, kind, args, out, record)
    result = kind._from_op(out, ctx if record and state.grad_enabled else None)
    if state.anomaly:
        _check_forward(fn, ctx, args, result)
    return result


def _default_kind():
    from .tensor import Tensor
    return Tensor


def _mix_error(fn, kind, other):
    return TypeError(
        f"{fn.name}: cannot mix a {kind.__name__} and a {other.__name__} in one "
        f"operation; use Tensor for arrays and Scalar for single numbers")


def _wrap_outputs(cls, ctx, kind, args, outs, record):
    make = getattr(kind, "_outputs_of", None)     # (a Scalar holds one float)
    if make is None:
        raise TypeError(
            f"{cls.name}: forward returned {len(outs)} values, but an operation on Scalars "
            f"has one output (a float); make one Function per output")
    node = ctx if record and state.grad_enabled else None
    results = make(outs, node)
    if node is not None:
        ctx.n_outputs = len(results)
        ctx.output_meta = tuple([(r.data.shape, r.data.dtype) for r in results])
    if state.anomaly:
        for r in results:
            _check_forward(cls, ctx, args, r)
    return results


def _describe(a):
    shape = getattr(a, "shape", None)
    if shape is not None:
        return f"{type(a).__name__} of shape {tuple(shape)}"
    return f"{type(a).__name__} {a!r}"


def _explained(cls, args, kwargs, exc):
    why = cls.explain(args, kwargs) or str(exc)
    if why.startswith(f"{cls.name}: "):        # already names the op
        why = why[len(cls.name) + 2:]
    operands = ", ".join(_describe(a) for a in args)
    msg = f"{cls.name}: {why} (operands: {operands})"
    kind = TypeError if isinstance(exc, TypeError) else ValueError
    if isinstance(exc, IndexError):
        kind = IndexError
    return kind(msg)


def _check_forward(cls, ctx, args, result):
    data = np.asarray(result.data)
    if data.dtype.kind not in "fc":
        return
    if np.all(np.isfinite(data)):
        return
    bad = "a NaN" if np.any(np.isnan(data)) else "an infinite"
    which = [i for i, a in enumerate(args)
             if getattr(a, "_value_type", None) is not None
             and not np.all(np.isfinite(np.asarray(a.data)))]
    where = (f"input {which[0]} was already not finite" if which
             else "all its inputs were finite")
    raise RuntimeError(
        f"anomaly: forward of '{cls.name}' (scope '{ctx.scope}') produced {bad} value; {where}")
