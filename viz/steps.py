"""Backprop, one step at a time: what backward does at each value, in its order.

At each value the engine takes the gradient that has arrived (the *upstream*
gradient, summed over every consumer), asks the value's operation for the
gradients of its inputs and sends them on:

    downstream gradient = upstream gradient x local derivative

`backprop_steps(root)` gives one `Step` per value in the order backward visits
them (`autograd.graph.topological_order`, reversed: the driver's own order).
Leaves that receive a gradient are steps too (the last thing backward does to
them is add that gradient into `.grad`); a multi-output operation (`unbind`,
`split`) is one step, taken once all its outputs have their gradients.

The numbers come from a replay of that loop that calls each node's own
`fn.backward` on the values it saved: the real backward is not run again and
no `.grad` (nor any gradient recorded on a node for drawing) changes. So the
graph must still hold its saved values: call `backprop_steps` (or `animate`)
before `backward()`, or after `backward(retain_graph=True)`. On a graph freed
by a plain `backward()` it raises a RuntimeError saying so.
"""

import numpy as np

from autograd import Scalar
from autograd.graph import Node, topological_order
from autograd.ops import elementwise as _elementwise

from .dot import GraphWalk, is_value

# Every input element of these feeds exactly one output element, so
# backward(ones) is the partial derivative of that element.
_STRUCTURAL = {"sum", "mean", "var", "max", "min", "reshape", "permute", "getitem", "cat",
               "stack", "split", "unbind", "chunk"}


def op_kind(fn):
    """'elementwise', 'structural' or 'other' for an operation's Function class."""
    if getattr(fn, "elementwise", False) or fn.__module__ == _elementwise.__name__:
        return "elementwise"
    if fn.__module__.startswith("autograd.ops") and fn.name in _STRUCTURAL:
        return "structural"
    if fn.__module__ == "autograd.scalar":
        return "elementwise"
    return "other"


class Step:
    """One step of backward.

    node        the value processed (a tuple of values for a multi-output op)
    op          its operation's name; None for a leaf
    scope       the scope the value (or op) was made in
    upstream    the gradient arriving at it, all consumers summed (float for
                a Scalar, ndarray for a Tensor; a tuple per output for a
                multi-output op)
    inputs      the operation's inputs as given (values and constants); () for a leaf
    local       per input, its local derivative as the operation defines it:
                  Scalars: d out / d input = backward(ctx, 1.0);
                  elementwise Tensor ops: the elementwise derivative, in the
                    broadcast shape (backward with an upstream of ones);
                  reductions and shape ops (sum, mean, var, max, min, reshape,
                    permute, getitem, cat, stack, split, unbind): for each input
                    element, the derivative of the one output element it feeds;
                  others (matmul: a full Jacobian) and constants: None.
    downstream  per input, the gradient sent to it (in its shape; None for
                constants and inputs that need no gradient). For elementwise
                ops downstream = upstream * local (summed back over broadcast
                axes); for reductions, upstream broadcast back times local.
    kind        'leaf', 'elementwise', 'structural' or 'other'
    grad_fn     the Node, or None for a leaf
    """

    __slots__ = ("index", "node", "op", "scope", "upstream", "inputs", "local", "downstream",
                 "kind", "grad_fn")

    def __init__(self, index, node, op, scope, upstream, inputs, local, downstream, kind, grad_fn):
        self.index = index
        self.node = node
        self.op = op
        self.scope = scope
        self.upstream = upstream
        self.inputs = inputs
        self.local = local
        self.downstream = downstream
        self.kind = kind
        self.grad_fn = grad_fn

    @property
    def name(self):
        """The value's label, or its op's name."""
        first = self.node[0] if isinstance(self.node, tuple) else self.node
        return first.label or (self.op or "leaf")

    def __repr__(self):
        where = f" in {self.scope}" if self.scope else ""
        return (f"Step({self.index}: {self.name!r}, op={self.op!r}{where}, "
                f"{len(self.inputs)} inputs)")


def _ones_like_outputs(node, outputs):
    if node.n_outputs == 1:
        out = outputs[0]
        return (1.0,) if isinstance(out, Scalar) else (np.ones_like(out.data),)
    return tuple(np.ones(shape, dtype) for shape, dtype in node.output_meta)


def _as_tuple(grads):
    return grads if type(grads) is tuple else (grads,)


def _conformed(node, grads):
    """The gradients as the driver hands them on: in each input's shape; None where none goes."""
    out = []
    for i, (inp, g) in enumerate(zip(node.inputs, grads)):
        if g is None or not getattr(inp, "requires_grad", False):
            out.append(None)
        else:
            out.append(inp._conform_grad(g, node, i))
    return tuple(out)


def _local(node, outputs, kind):
    """backward with an upstream of ones, for the ops whose result is a local derivative."""
    if kind == "other":
        return tuple(None for _ in node.inputs)
    grads = node.fn.backward(node, *_ones_like_outputs(node, outputs))
    return tuple(None if (g is None or not is_value(a)) else
                 (float(g) if isinstance(a, Scalar) else np.asarray(g))
                 for a, g in zip(node.inputs, _as_tuple(grads)))


def _root_grad(root, grad):
    if isinstance(root, Scalar):
        return 1.0 if grad is None else float(grad)
    if grad is None:
        if root.data.size != 1:
            raise RuntimeError(
                f"backprop_steps: grad can be omitted only for a root with one element; this one "
                f"has shape {root.data.shape}, so pass grad= of that shape")
        return np.ones_like(root.data)
    g = np.asarray(getattr(grad, "data", grad), dtype=root.data.dtype)
    if g.shape != root.data.shape:
        raise ValueError(f"backprop_steps: grad has shape {g.shape} but the root has shape "
                         f"{root.data.shape}")
    return g


def backprop_steps(root, grad=None):
    """The steps of backward from `root` (a Tensor or Scalar), in the order it takes them.

    `grad`: the gradient to start from, as for `root.backward(grad)` (omit it for
    a one-element root). Nothing is changed: no `.grad`, no recorded gradient.
    See the module docstring for leaves, multi-output ops and freed graphs.
    """
    if not is_value(root):
        raise TypeError(f"backprop_steps: root must be a Tensor or a Scalar, "
                        f"got {type(root).__name__}")
    if not root.requires_grad:
        raise RuntimeError("backprop_steps: the root does not require grad, so backward would "
                           "do nothing (no input of its computation had requires_grad=True)")
    if any(node.freed for node in GraphWalk(root).nodes):
        raise RuntimeError(
            "backprop_steps: this graph was freed by a backward() without retain_graph=True, so "
            "its steps cannot be replayed; call viz.backprop_steps(root) (or viz.animate) before "
            "backward, or run backward(retain_graph=True)")
    return _walk(root, topological_order(root), _root_grad(root, grad))


def _walk(root, order, grad):
    """The driver's loop (graph.backward) with its effects replaced by records."""
    steps = []
    pending = {id(root): grad}
    gathered = {}           # id(multi-output node) -> ([grad per output], [value per output])
    for vertex in reversed(order):
        if type(vertex) is Node:
            node = vertex
            grads, values = gathered.pop(id(node))
            upstream = tuple(np.zeros(shape, dtype) if g is None else g
                             for g, (shape, dtype) in zip(grads, node.output_meta))
            value = outputs = tuple(values)
        else:
            g = pending.pop(id(vertex), None)
            if g is None:
                continue
            node = vertex.grad_fn
            if node is None:
                steps.append(Step(len(steps), vertex, None, vertex.scope, g, (), (), (), "leaf",
                                  None))
                continue
            if node.n_outputs != 1:
                grads, values = gathered.setdefault(
                    id(node), ([None] * node.n_outputs, [None] * node.n_outputs))
                grads[vertex._output_nr] = g
                values[vertex._output_nr] = vertex
                continue
            value, upstream, outputs = vertex, g, (vertex,)
        sent = node.fn.backward(node, *(upstream if type(upstream) is tuple else (upstream,)))
        downstream = _conformed(node, _as_tuple(sent))
        kind = op_kind(node.fn)
        steps.append(Step(len(steps), value, node.fn.name, node.scope, upstream, node.inputs,
                          _local(node, outputs, kind), downstream, kind, node))
        for inp, gi in zip(node.inputs, downstream):
            if gi is not None:
                prev = pending.get(id(inp))
                pending[id(inp)] = gi if prev is None else prev + gi
    return steps
