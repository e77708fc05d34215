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

    @staticmethod
    def explain(args, kwargs):
        """A sentence on why `args` do not fit this operation (for error messages)."""
        return None

    @classmethod
    def apply(cls, *args, **kwargs):
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
                raise TypeError(
                    f"{cls.name}: cannot mix a {kind.__name__} and a {vt.__name__} in one "
                    f"operation; use Tensor for arrays and Scalar for single numbers")
            raw.append(a.data)
            if a.requires_grad:
                record = True
        if kind is None:
            from .tensor import Tensor
            kind = Tensor
        ctx = Node(cls)
        try:
            out = cls.forward(ctx, *raw, **kwargs)
        except (ValueError, TypeError, IndexError) as exc:
            raise _explained(cls, args, kwargs, exc) from None
        if type(out) is tuple:                  # several outputs (unbind, split)
            return _wrap_outputs(cls, ctx, kind, args, out, record)
        result = kind._from_op(out)
        if record and state.grad_enabled:
            ctx.inputs = args
            result.grad_fn = ctx
            result.requires_grad = True
        if state.anomaly:
            _check_forward(cls, ctx, args, result)
        return result


def _wrap_outputs(cls, ctx, kind, args, outs, record):
    from .scalar import Scalar
    if kind is Scalar:
        raise TypeError(
            f"{cls.name}: forward returned {len(outs)} values, but an operation on Scalars "
            f"has one output (a float); make one Function per output")
    results = tuple(kind._from_op(o) for o in outs)
    if record and state.grad_enabled:
        ctx.inputs = args
        ctx.n_outputs = len(results)
        ctx.output_meta = tuple((np.shape(o), np.asarray(o).dtype) for o in outs)
        for i, r in enumerate(results):
            r.grad_fn = ctx
            r._output_nr = i
            r.requires_grad = True
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
