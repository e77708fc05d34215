"""The graph core shared by `Tensor` and `Scalar`.

Every recorded operation is a `Node` (the `ctx` its `Function` sees). A value
(`Tensor` or `Scalar`) points at the node that made it through `.grad_fn`; a
node points at its inputs. Backward orders the values reachable from the root
without recursion, then walks them from the root down, asking each node's
`Function.backward` for the gradients of its inputs:

    downstream gradient = upstream gradient x local derivative

The two value types differ only in the data they hold. What the driver needs
from a value is this small protocol:

    .grad_fn            the Node that made it, or None for a leaf
    ._output_nr         which of its node's outputs it is (0 for most)
    .requires_grad      whether gradients flow into it
    ._retains_grad      whether backward stores its gradient in `.grad`
    ._conform_grad(g, node, i)   check a gradient (shape, dtype) and fix it up
    ._accumulate_grad(g)         add one sweep's gradient into `.grad`

Global state (grad mode, the current name scope, anomaly detection) lives in
`state`, read once per operation.
"""

from contextlib import contextmanager

import numpy as np


class _State:
    __slots__ = ("grad_enabled", "scope", "anomaly")

    def __init__(self):
        self.grad_enabled = True
        self.scope = ""
        self.anomaly = False


state = _State()


class Node:
    """One recorded operation: the `ctx` handed to `forward` and `backward`.

    `inputs` are the operation's arguments as given (values and constants),
    `saved` what `save_for_backward` kept. After a backward sweep (without
    `retain_graph`) `saved` is dropped and the node is marked freed.
    `grad_outputs` and `grad_inputs` keep the gradients of the last sweep, for
    drawing: what arrived at each output and what was sent to each input.
    A node usually has one output; one with several (`unbind`, `split`) gets
    all of their gradients at once, `backward(ctx, *grad_outputs)`.
    """

    __slots__ = ("fn", "inputs", "saved", "scope", "freed", "n_outputs", "output_meta",
                 "grad_outputs", "grad_inputs", "__dict__", "__weakref__")

    def __init__(self, fn):
        self.fn = fn
        self.inputs = ()
        self.saved = ()
        self.scope = state.scope
        self.freed = False
        self.n_outputs = 1
        self.output_meta = None
        self.grad_outputs = None
        self.grad_inputs = None

    # -- the PyTorch ctx protocol -------------------------------------------
    def save_for_backward(self, *values):
        self.saved = values

    @property
    def saved_tensors(self):
        if self.freed:
            raise freed_error(self)
        return self.saved

    @property
    def needs_input_grad(self):
        return tuple(getattr(a, "requires_grad", False) for a in self.inputs)

    # -- what the visualiser reads ------------------------------------------
    @property
    def name(self):
        return self.fn.name

    def __repr__(self):
        return f"<{self.fn.__name__}Backward>"


def freed_error(node):
    return RuntimeError(
        f"{node.name}: trying to backward through the graph a second time "
        "(its saved values were freed by the first backward); "
        "call .backward(retain_graph=True) the first time")


def release(node):
    node.saved = None
    node.freed = True
    d = getattr(node, "__dict__", None)
    if d:
        d.clear()


def _next_vertices(vertex):
    """What a vertex of the backward order depends on.

    Vertices are values and, between a multi-output node's outputs and its
    inputs, the node itself (so it runs once, after all its outputs).
    """
    if type(vertex) is Node:
        return vertex.inputs
    node = vertex.grad_fn
    if node is None:
        return ()
    if node.freed:              # raise now, before the sweep has written any gradient
        raise freed_error(node)
    return node.inputs if node.n_outputs == 1 else (node,)


def topological_order(root):
    """Vertices that lead to `root` and need a gradient, inputs before their users.

    Iterative depth-first search with an explicit stack, so a chain of a
    million operations needs no recursion.
    """
    order = []
    seen = set()
    stack = [(root, False)]
    while stack:
        vertex, expanded = stack.pop()
        if expanded:
            order.append(vertex)
            continue
        # marked when expanded, not when pushed: a vertex pushed by one user but
        # reached first through another must still be placed after all its inputs
        if id(vertex) in seen:
            continue
        seen.add(id(vertex))
        stack.append((vertex, True))
        for nxt in _next_vertices(vertex):
            if id(nxt) not in seen and (type(nxt) is Node or getattr(nxt, "requires_grad", False)):
                stack.append((nxt, False))
    return order


def backward(root, grad, retain_graph=False):
    """Send `grad` (d root / d root, already conformed) back through the graph."""
    order = topological_order(root)
    pending = {id(root): grad}     # id(value) -> gradient summed so far
    owned = set()                  # ids whose pending gradient is an array we made
    gathered = {}                  # id(multi-output node) -> gradient per output
    anomaly = state.anomaly
    for vertex in reversed(order):
        if type(vertex) is Node:
            node = vertex
            grad_outputs = _fill_missing(node, gathered.pop(id(node)))
        else:
            g = pending.pop(id(vertex), None)
            if g is None:
                continue
            node = vertex.grad_fn
            if node is None:                       # a leaf: keep what it got
                vertex._accumulate_grad(g)
                continue
            if vertex._retains_grad:
                vertex._accumulate_grad(g)
            if node.n_outputs != 1:                # wait for the node's other outputs
                gathered.setdefault(id(node), [None] * node.n_outputs)[vertex._output_nr] = g
                continue
            grad_outputs = (g,)
        if node.freed:
            node.saved_tensors                     # raises the clear error
        grads = node.fn.backward(node, *grad_outputs)
        if type(grads) is not tuple:
            grads = (grads,)
        inputs = node.inputs
        if len(grads) != len(inputs):
            raise RuntimeError(
                f"{node.name}: backward returned {len(grads)} gradients but the "
                f"operation has {len(inputs)} inputs (one per forward input, None allowed)")
        if anomaly:
            _check_backward(node, grad_outputs, grads)
        node.grad_outputs = grad_outputs
        node.grad_inputs = grads
        for i, (inp, gi) in enumerate(zip(inputs, grads)):
            if gi is None or not getattr(inp, "requires_grad", False):
                continue
            gi = inp._conform_grad(gi, node, i)
            key = id(inp)
            prev = pending.get(key)
            if prev is None:
                pending[key] = gi
            elif key in owned:
                prev += gi                         # our own array: add in place
            else:
                pending[key] = prev + gi
                if type(prev) is np.ndarray:
                    owned.add(key)
        if not retain_graph:
            release(node)


def _fill_missing(node, grads):
    """Outputs of a multi-output node that got no gradient get zeros."""
    return tuple(np.zeros(shape, dtype) if g is None else g
                 for g, (shape, dtype) in zip(grads, node.output_meta))


def _check_backward(node, grad_outputs, grads):
    for i, gi in enumerate(grads):
        if gi is not None and not np.all(np.isfinite(gi)):
            bad = "a NaN" if np.any(np.isnan(gi)) else "an infinite"
            upstream_ok = all(np.all(np.isfinite(g)) for g in grad_outputs)
            raise RuntimeError(
                f"anomaly: backward of '{node.name}' (scope '{node.scope}') produced {bad} "
                f"gradient for input {i}"
                + ("" if upstream_ok else " (the gradient arriving at it was already not finite)"))


# -- modes -------------------------------------------------------------------

class _GradMode:
    """Context manager (and decorator) that sets whether operations are recorded."""

    def __new__(cls, fn=None):
        if fn is not None:             # used bare as a decorator, `@no_grad`, as PyTorch allows
            return cls()(fn)
        return super().__new__(cls)

    def __init__(self, enabled):
        self.enabled = enabled
        self.prev = []

    def __enter__(self):
        self.prev.append(state.grad_enabled)
        state.grad_enabled = self.enabled
        return self

    def __exit__(self, *exc):
        state.grad_enabled = self.prev.pop()
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)():
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_GradMode):
    """`with no_grad():` records nothing; results do not require grad."""

    def __init__(self):
        super().__init__(False)


class enable_grad(_GradMode):
    """`with enable_grad():` records again inside a `no_grad` block."""

    def __init__(self):
        super().__init__(True)


def is_grad_enabled():
    return state.grad_enabled


@contextmanager
def name_scope(name):
    """Record `name` (joined to the enclosing scopes with '/') on every value made inside."""
    name = str(name)
    if not name or "/" in name:
        raise ValueError(f"name_scope: a scope name must be non-empty and contain no '/', got {name!r}")
    prev = state.scope
    state.scope = f"{prev}/{name}" if prev else name
    try:
        yield state.scope
    finally:
        state.scope = prev


def current_scope():
    return state.scope


@contextmanager
def detect_anomaly():
    """Raise at the first operation whose output or gradient is NaN or infinite."""
    prev = state.anomaly
    state.anomaly = True
    try:
        yield
    finally:
        state.anomaly = prev
