"""The graph core shared by `Tensor` and `Scalar`.

Every recorded operation is a node (the `ctx` its `Function` sees): a `Node`,
or, for most built-in operations, the value it made (see below). A value
(`Tensor` or `Scalar`) shows the node that made it as `.grad_fn`; a node
points at its inputs. Backward walks from the root down, without
recursion, taking the nodes newest first (a node's inputs are always older
than it), and asks each node's `Function.backward` for the gradients of its
inputs:

    downstream gradient = upstream gradient x local derivative

The two value types differ only in the data they hold. What the driver needs
from a value is this small protocol:

    .grad_fn            the Node that made it, or None for a leaf
    ._output_nr         which of its node's outputs it is (0 for most)
    .requires_grad      whether gradients flow into it
    ._retains_grad      whether backward stores its gradient in `.grad`
    ._conform_grad(g, node, i)   check a gradient (shape, dtype) and fix it up
    ._accumulate_grad(g, private)   add one sweep's gradient into `.grad` (`private`:
                                    no other .grad shares g's memory, no copy needed)

A value made by a built-in operation through its own class (Scalar's and
Tensor's operators and methods of one or two operands) is its own node: one
object per operation instead of a value, a node and a tuple of its inputs,
which is most of what a small operation costs in time and in memory
(scalar.py, tensor.py). Such a value keeps the node's fields itself: `_fn`
(the Function; None for a leaf, or for a value whose node is a regular Node,
kept in `_node`), the operands as given in `_first` and `_second` (one
operand: `_second` is `_UNARY` for a Tensor, None for a Scalar), `_seq`,
`saved_tensors`, `_pending` (where its gradient waits during a sweep; a
Node's has the same name) and the last sweep's gradients `_gout` and `_gin`.
It is the ctx its operation's forward and backward get. `.grad_fn` still
gives a Node (an `OutputNode`, a view of the value made on first access and
kept), so everything that reads a graph reads it as above. `Function.apply`
makes a regular `Node`, for what needs one: a user's own Function (its
forward may set any attribute on ctx), a call with keywords, an operation
with several outputs. A Tensor backward meets both kinds in one loop
(`_drain`); Scalar graphs have their own (`_backward_floats`).

Global state (grad mode, the current name scope, anomaly detection) lives in
`state`, read once per operation.
"""

import gc
import heapq
import itertools
import operator
from contextlib import contextmanager

import numpy as np


class _State:
    __slots__ = ("grad_enabled", "scope", "anomaly", "records")

    def __init__(self):
        self.grad_enabled = True
        self.scope = ""
        self.anomaly = False
        self.records = True         # backward keeps grad_outputs / grad_inputs on nodes


state = _State()


class Node:
    """One recorded operation: the `ctx` handed to `forward` and `backward`.

    `inputs` are the operation's arguments as given (values and constants),
    `saved_tensors` what `save_for_backward` kept. After a backward sweep
    (without `retain_graph`) they are dropped (set to None): the node is freed.
    `grad_outputs` and `grad_inputs` keep the gradients of the last sweep, for
    drawing: what arrived at each output and what was sent to each input. The
    latter is kept in `_gin`, where a gradient may wait as a `Rebuild` (see
    `Function.record_grads`); reading `grad_inputs` makes it, once.
    A node usually has one output; one with several (`unbind`, `split`) gets
    all of their gradients at once, `backward(ctx, *grad_outputs)`.
    `seq` numbers the nodes in the order they were made: every input of a node
    was made before it, so backward can take the nodes by decreasing `seq`.
    Other attributes that a `forward` sets on its ctx stay with the node, as in
    PyTorch; what backward needs goes through `save_for_backward`.
    """

    # `_seq` and `_pending` have the names a Tensor that is its own node gives them,
    # so that backward reads both kinds of node alike
    __slots__ = ("fn", "inputs", "saved_tensors", "scope", "_seq", "n_outputs",
                 "_gout", "_gin", "_pending", "_precord", "__dict__", "__weakref__")
    output_meta = None          # a node with several outputs: ((shape, dtype) per output)

    def __init__(self, fn):
        # `inputs` is set by whoever makes the node (`Function.apply`), before forward
        self.fn = fn
        self.saved_tensors = ()
        self.scope = state.scope
        self._seq = next(_sequence)
        self.n_outputs = 1
        self._gout = None       # grad_outputs as the sweep recorded them
        self._gin = None        # grad_inputs as the sweep recorded them
        self._pending = None    # during a backward sweep: the gradient summed so far
        self._precord = None    # and its sender's Rebuild of it, if any (see `_drain`)

    @property
    def seq(self):
        """The order in which the nodes were made (an input's node is older)."""
        return self._seq

    @property
    def pending(self):
        """During a backward sweep, the gradient summed so far (a list: one per output)."""
        return self._pending

    @property
    def grad_outputs(self):
        """The gradient that reached each output in the last sweep (None before any)."""
        grads = self._gout
        if grads is not None and any(type(g) is Rebuild for g in grads):
            grads = self._gout = _made(grads)
        return grads

    @grad_outputs.setter
    def grad_outputs(self, grads):
        self._gout = grads

    @property
    def grad_inputs(self):
        """The gradient sent to each input in the last sweep (None before any)."""
        return _built_record(self)

    @grad_inputs.setter
    def grad_inputs(self, grads):
        self._gin = grads

    # -- the PyTorch ctx protocol -------------------------------------------
    def save_for_backward(self, *values):
        self.saved_tensors = values

    @property
    def freed(self):
        """Whether a backward (without retain_graph) has dropped the saved values."""
        return self.saved_tensors is None

    @property
    def needs_input_grad(self):
        inputs = self.inputs
        if len(inputs) == 2:    # most operations: no generator to start
            a, b = inputs
            return getattr(a, "requires_grad", False), getattr(b, "requires_grad", False)
        return tuple([getattr(a, "requires_grad", False) for a in inputs])

    # -- what the visualiser reads ------------------------------------------
    @property
    def name(self):
        return self.fn.name

    def __repr__(self):
        return f"<{self.fn.__name__}Backward>"


_sequence = itertools.count()


def freed_error(node):
    return RuntimeError(
        f"{node.name}: trying to backward through the graph a second time "
        "(its saved values were freed by the first backward); "
        "call .backward(retain_graph=True) the first time")


class _Unary:
    """The `_second` of a Tensor made by an operation of one operand (None can be
    an operand: `x[None]`)."""

    __slots__ = ()

    def __repr__(self):
        return "<no second operand>"


_UNARY = _Unary()


class OutputNode(Node):
    """`grad_fn` of a value that is its own node: that node, read through the value.

    The value keeps its node's fields itself (see the module docstring); this
    shows them as every Node does, for the visualiser and for anyone reading
    the graph, and is a ctx for the operation's backward as the value is.
    Made on first access and kept by the value, so `v.grad_fn is v.grad_fn`;
    it keeps its value alive.
    """

    __slots__ = ("output",)
    n_outputs = 1

    def __init__(self, output):
        self.output = output

    fn = property(lambda self: self.output._fn)
    inputs = property(lambda self: self.output._inputs)
    scope = property(lambda self: self.output.scope)
    seq = property(lambda self: self.output._seq)
    pending = property(lambda self: self.output._pending)

    @property
    def saved_tensors(self):
        return self.output.saved_tensors

    @saved_tensors.setter
    def saved_tensors(self, values):
        self.output.saved_tensors = values

    @property
    def grad_outputs(self):
        g = getattr(self.output, "_gout", None)
        if type(g) is Rebuild:
            g = self.output._gout = g()
        return None if g is None else (g,)

    @property
    def grad_inputs(self):
        grads = getattr(self.output, "_gin", None)
        if grads is None:
            return None
        if type(grads) is not tuple:                          # one operand: kept as is
            self.output._gin = (grads,)
        return _built_record(self.output)


class Rebuild:
    """A gradient in a node's record, kept as how to make it again: `make(*args)`.

    Keeping every gradient of a sweep as the array it was holds them all until
    the graph is dropped: W3's LSTM step kept 18 MB of them, all new memory
    that the next gradients could not reuse while warm in cache (in a cache
    simulation with a 2 MiB L2, 221,000 more misses per step than without
    records). An operation can keep a gradient it sends as how to make it
    instead (`Function.record_grads`), and the sweep's array is freed as soon
    as its receiver has used it (W3: 3 MB kept, 64,000 more misses):
    - a matrix product, from a copy of its small factor (d/dW = h^T g for a
      batch of rows h);
    - an operation whose backward reads only arrays its forward made (sigmoid:
      g y (1 - y), from its output y), or operands that a built-in operation
      made (`operands_made_here`: not a weight, which an optimizer changes in
      place), from them and the gradient that reached it.
    That gradient may itself be a Rebuild: the one its sender kept (the sweep
    hands it on, see `_drain`). A record is made, when read, by going down
    such a chain (without recursion: a chain can be long) and kept: each
    Rebuild is made once, and every record that holds it gives that array.
    `make` must be the very code the backward ran, so that the array is bit
    for bit the one the sweep passed on. (An activation's array edited in place
    through `.data` after backward, before the record is read, changes what a
    recipe from it gives; a product's copy of its factor does not change.)
    """

    __slots__ = ("make", "args", "value")

    def __init__(self, make, *args):
        self.make = make
        self.args = args
        self.value = None

    def __call__(self):
        if self.value is None:
            _make(self)
        return self.value

    def __repr__(self):
        return f"<Rebuild {self.make.__qualname__}>"


def operands_made_here(ctx):
    """Whether every operand of the node `ctx` is a Python number or an array that a
    built-in operation made and owns (the value is its own node, its array no
    view): not a leaf's array, which an optimizer changes in place, nor a view
    of one (a weight's W^T). A record may then keep the operands themselves."""
    for v in ctx.inputs if type(ctx) is Node else value_inputs(ctx):
        if type(v) is float or type(v) is int:
            continue
        if getattr(v, "_fn", None) is None or v.data.base is not None:
            return False
    return True


def _make(top):
    """Make the Rebuild `top`, and first every Rebuild it is made from, without
    recursion; each keeps its array (`value`) and lets go of its arguments."""
    stack = [top]
    while stack:
        r = stack[-1]
        if r.value is not None:
            stack.pop()
            continue
        waiting = [a for a in r.args if type(a) is Rebuild and a.value is None]
        if waiting:
            stack.extend(waiting)
            continue
        r.value = r.make(*[a.value if type(a) is Rebuild else a for a in r.args])
        r.args = ()
        stack.pop()


def _passed_on(grads, g, grec):
    """A backward's `grads` as a record, where the ones that are the gradient `g` it got
    (add sends it to both inputs) are `grec`, the record of `g` (see `_drain`)."""
    return tuple([grec if x is g else x for x in grads])


def _built_record(node):
    """`node._gin` (a tuple, or None) with every `Rebuild` in it made, kept in its place:
    a record is rebuilt once, and reads after that give the same arrays."""
    grads = node._gin
    if grads is None or not any(type(g) is Rebuild for g in grads):
        return grads
    grads = node._gin = _made(grads)
    return grads


def _made(record):
    """A record (a tuple) with each Rebuild in it made."""
    return tuple([g() if type(g) is Rebuild else g for g in record])


# What Tensor and Scalar share as values that can be their own node (see the module
# docstring), as properties each class takes (`grad_fn = property(value_grad_fn)`).

def value_grad_fn(value):
    """`grad_fn` of a Tensor or Scalar: the Node that made it, or None for a leaf.
    A value that is its own node gets its view (`_node_view(value)`) on first
    access, kept, so `v.grad_fn is v.grad_fn`."""
    if value._fn is None:
        return value._node
    try:
        return value._node
    except AttributeError:       # its own node, asked for the first time
        node = value._node = value._node_view(value)
        return node


def value_is_leaf(value):
    return value._fn is None and value._node is None


def value_inputs(value):
    """The operands of the operation that made `value`, as given (`_second` is the
    class's `_one_operand` for an operation of one operand)."""
    if value._fn is None:
        return () if value._node is None else value._node.inputs
    second = value._second
    return (value._first,) if second is value._one_operand else (value._first, second)


def _needs_grad(x):
    """Whether an input is a value (Tensor or Scalar) that gradients flow into."""
    return getattr(x, "_value_type", None) is not None and x.requires_grad


def topological_order(root):
    """Vertices that lead to `root` and need a gradient, inputs before their users.

    `reversed(topological_order(root))` is the order in which `backward` takes
    them: the operations' outputs by decreasing `seq` (for a node with several
    outputs, its outputs and then the node itself, as one vertex), then the
    leaves, in the order their first gradient reaches them. No recursion: a
    chain of a million operations is fine.
    """
    outputs = {}                   # node -> its outputs that were reached
    stack = [root]
    seen = {id(root)}
    while stack:
        value = stack.pop()
        node = value.grad_fn
        if node is None:
            continue
        if node in outputs:
            outputs[node].append(value)
            continue
        outputs[node] = [value]
        for inp in node.inputs:
            if id(inp) not in seen and _needs_grad(inp):
                seen.add(id(inp))
                stack.append(inp)
    walk = []                      # backward's order
    leaves = {}
    for node in sorted(outputs, key=lambda n: n.seq, reverse=True):
        walk.extend(sorted(outputs[node], key=lambda v: v._output_nr))
        if node.n_outputs != 1:
            walk.append(node)
        for inp in node.inputs:
            if _needs_grad(inp) and inp.grad_fn is None:
                leaves.setdefault(id(inp), inp)
    if root.grad_fn is None:
        leaves[id(root)] = root
    walk.extend(leaves.values())
    walk.reverse()
    return walk


def backward(root, grad, retain_graph=False):
    """Send `grad` (d root / d root, already conformed) back through the graph.

    Nodes wait in a heap by decreasing `seq`: every user of a value was made
    after it, so a node comes out of the heap only once the gradients from all
    the users of its outputs have arrived (PyTorch's engine orders its work the
    same way). No separate ordering pass: each node is touched once.
    `.grad`s are written and saved values freed only once the whole sweep has
    succeeded, so a sweep that reaches a node freed by an earlier backward
    raises with every `.grad` as it was (the nodes' records of the sweep, for
    drawing, are written as it goes).
    """
    if type(grad) is float:                        # a Scalar graph
        _backward_floats(root, grad, retain_graph)
        return
    if root._fn is None and root._node is None:    # backward from a leaf
        root._accumulate_grad(grad)
        return
    # The sweep makes no reference cycles, only gradients hung on nodes; the cyclic
    # garbage collector would walk the whole graph again and again for nothing
    # (half the time of a big Scalar graph's backward), so it waits until the end.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        keepers, leaves, done = _sweep(root, grad)
    finally:
        if gc_was_enabled:
            gc.enable()
    arrays = []                                    # (value, gradient array) for .grad
    for node, keeper in keepers.items():           # non-leaves that keep their .grad
        if type(node) is not Node:                 # a Tensor that is its own node
            g = node._gout
            arrays.append((node, g() if type(g) is Rebuild else g))
        elif node.n_outputs == 1:
            arrays.append((keeper, node.grad_outputs[0]))
        else:
            arrays.extend((value, node.grad_outputs[value._output_nr])
                          for value in keeper if value is not None)
    if not state.records:
        for node in keepers:
            node._gout = None
    arrays.extend(leaves.values())
    # A gradient array can become a .grad as it is, without a copy, unless its memory
    # also reaches another .grad (c = a + b sends one array to both a and b)
    bases = [_memory_of(g) for _, g in arrays]
    shared = _repeated(bases)
    for (value, g), base in zip(arrays, bases):
        value._accumulate_grad(g, private=base not in shared)
    if not retain_graph:
        for node in done:
            node.saved_tensors = None


def _memory_of(a):
    """The array that owns `a`'s memory (itself, or the base of a view)."""
    while isinstance(a, np.ndarray) and a.base is not None:
        a = a.base
    return id(a)


def _repeated(items):
    """The items that occur more than once."""
    seen, twice = set(), set()
    for x in items:
        (twice if x in seen else seen).add(x)
    return twice


def _sweep(root, grad):
    """The loop of `backward`: every node's Function.backward, newest node first.

    A node is a regular Node or a Tensor that is its own node (see the module
    docstring). The gradient summed so far for a node's output(s) waits on the
    node itself (`node._pending`: an array, or a list for several outputs)
    until the node comes out of the heap. Returns what
    backward writes at the end: {node: the output(s) keeping their gradient (a
    Tensor node: itself)}, {id(leaf): [leaf, summed gradient]} and the nodes
    that ran.
    """
    keepers = {}                # node -> the output (list: outputs) whose .grad wants it
    owned = set()               # keys whose summed gradient is an array made here
    leaves = {}                 # id(leaf) -> [leaf, summed gradient]
    done = []                   # the nodes that ran, to free at the end
    heap = []
    _arrive(root if root._fn is not None else root._node, root, grad, keepers, owned, heap)
    try:
        _drain(heap, keepers, owned, leaves, done)
    except BaseException:
        for _, waiting in heap:                    # leave no gradient behind on a node
            waiting._pending = waiting._precord = None
        raise
    return keepers, leaves, done


def _drain(heap, keepers, owned, leaves, done):
    anomaly = state.anomaly
    records = state.records
    pop, push = heapq.heappop, heapq.heappush
    ndarray = np.ndarray
    # A chain, where each node sends its gradient on to one node and nothing else
    # waits, needs no heap: a node reached while the heap is empty is held in `ahead`
    # and runs next, unless a newer node has joined the heap in the meantime.
    # Both kinds of node meet here: a regular Node, and a Tensor that is its own
    # node (its fields underscored, its operands in _first and _second).
    ahead = None
    try:
        while True:
            if ahead is not None:
                node = ahead
                ahead = None
                if heap and heap[0][0] < -node._seq:
                    node = heapq.heappushpop(heap, (-node._seq, node))[1]
            elif heap:
                node = pop(heap)[1]
            else:
                return
            if node.saved_tensors is None:
                raise freed_error(node if type(node) is Node else node.grad_fn)
            g = node._pending
            node._pending = None
            if type(node) is Node:
                grads = _run_node(node, g, records, anomaly, node in keepers)
                inputs = node.inputs
                recs = node._gin
                if recs is grads:
                    recs = None
            else:                                  # a Tensor that is its own node
                fn = node._fn
                grads = fn.backward(node, g)
                if type(grads) is not tuple:
                    grads = (grads,)
                second = node._second
                inputs = (node._first,) if second is _UNARY else (node._first, second)
                if len(grads) != len(inputs):
                    raise _count_error(node.grad_fn, grads)
                if anomaly:
                    _check_backward(node.grad_fn, (g,), grads)
                recs = None                        # the record, where it differs from grads
                if records:
                    grec = node._precord           # g's record: its sender's Rebuild of it, or g
                    record = fn.record_grads
                    if grec is None:
                        node._gout = grec = g
                    else:
                        node._gout = grec
                        node._precord = None
                    if record is not None and g.nbytes >= fn.record_min_bytes:
                        node._gin = recs = record(node, grads, grec)
                    elif grec is g:
                        node._gin = grads
                    else:
                        node._gin = recs = _passed_on(grads, g, grec)
                else:                              # only what a .grad write still needs
                    node._gout = g if node in keepers else None
                    node._gin = None
            done.append(node)
            # a gradient this node keeps as a Rebuild goes on with it: its receiver
            # records the Rebuild (`_precord`), and the array is freed once used
            rec = None
            i = -1
            for inp in inputs:
                i += 1
                gi = grads[i]
                if gi is None or not getattr(inp, "requires_grad", False):
                    continue
                if recs is not None:
                    rec = recs[i]
                    if type(rec) is not Rebuild:
                        rec = None
                # the usual case needs no fixing: an array of the input's shape and dtype;
                # anything else goes through the input's own check
                data = inp.data
                if type(gi) is not ndarray or gi.shape != data.shape or gi.dtype is not data.dtype:
                    gi = inp._conform_grad(gi, node, i)
                    rec = None
                if inp._fn is not None:            # a Tensor that is its own node
                    nxt = inp
                else:
                    nxt = inp._node
                    if nxt is None:                # a leaf: summed, added to .grad at the end
                        entry = leaves.get(id(inp))
                        if entry is None:
                            leaves[id(inp)] = [inp, gi]
                        else:
                            entry[1] = _sum(entry[1], gi, id(inp), owned)
                        continue
                    if nxt.n_outputs != 1:
                        _arrive(nxt, inp, gi, keepers, owned, heap, rec)
                        continue
                # _arrive, inlined for a node with one output
                prev = nxt._pending
                if prev is None:
                    nxt._pending = gi
                    if rec is not None:
                        nxt._precord = rec
                    if ahead is None and not heap:
                        ahead = nxt
                    else:
                        push(heap, (-nxt._seq, nxt))
                    if inp._retains_grad:
                        keepers[nxt] = inp
                else:
                    nxt._pending = _sum(prev, gi, id(nxt), owned)
                    nxt._precord = None            # a sum: recorded as the array it is
    except BaseException:
        if ahead is not None:                      # _sweep clears what waits in the heap
            ahead._pending = ahead._precord = None
        raise


def _backward_floats(root, grad, retain_graph):
    """`backward` for a graph of Scalars, whose gradients are floats (see `_sweep_floats`)."""
    if root._seq is None:                          # backward from a leaf
        root._accumulate_grad(grad)
        return
    gc_was_enabled = gc.isenabled()                # as in backward: no cycles are made
    gc.disable()
    try:
        ops, leaves = _reach_floats(root, grad)
        try:
            nodes = _sweep_floats(ops)
        except BaseException:
            for value in ops + leaves:             # leave no gradient waiting on a value
                value._pending = None
            raise
    finally:
        if gc_was_enabled:
            gc.enable()
    for value in ops:                              # every Scalar keeps its .grad
        g = value._pending
        value._pending = None
        if g is not _WAITING:                      # (its backward ran)
            value.grad += g
            if not retain_graph:
                value.saved_tensors = None
    for value in leaves:
        g = value._pending
        value._pending = None
        if g is not _WAITING:
            value.grad += g
    if not retain_graph:
        for node in nodes:
            node.saved_tensors = None


class _Waiting:
    """The `_pending` of a Scalar that a backward sweep will reach, until a gradient does."""

    def __repr__(self):
        return "<waiting for its gradient>"


_WAITING = _Waiting()
_SEQ = operator.attrgetter("_seq")


def _reach_floats(root, grad):
    """Every Scalar below `root` that a gradient can reach: (the operations' outputs,
    newest first, as backward takes them; the leaves). Each one's `_pending`
    is set to _WAITING (the root's to `grad`). Raises, changing nothing, if an
    operation was freed by an earlier backward.
    """
    root._pending = grad
    ops = [root]                 # read while it grows: each operation found is explored
    leaves = []
    try:
        for value in ops:
            if value._fn is None:                  # made by Function.apply: a regular Node
                _reach_node(value, ops, leaves)
                continue
            if value.saved_tensors is None:
                raise freed_error(value.grad_fn)
            first, second = value._first, value._second
            if type(first) is not float and first.requires_grad and first._pending is None:
                first._pending = _WAITING
                (leaves if first._seq is None else ops).append(first)
            if (second is not None and type(second) is not float and second.requires_grad
                    and second._pending is None):
                second._pending = _WAITING
                (leaves if second._seq is None else ops).append(second)
    except BaseException:
        for value in ops + leaves:
            value._pending = None
        raise
    ops.sort(key=_SEQ, reverse=True)
    return ops, leaves


def _reach_node(value, ops, leaves):
    """`_reach_floats` at a Scalar made by `Function.apply`: any argument can be an input."""
    node = value._node
    if node.saved_tensors is None:
        raise freed_error(node)
    for inp in node.inputs:
        if _needs_grad(inp) and inp._pending is None:
            inp._pending = _WAITING
            (leaves if inp._seq is None else ops).append(inp)


def _sweep_floats(ops):
    """`_sweep` for a graph of Scalars: every operation's backward, newest first.

    Such a graph is built one multiply and one add at a time, so the general
    loop's bookkeeping (arrays summed in place, outputs that keep their .grad or
    not, nodes with several outputs) is most of its cost. Here every value keeps
    its .grad and every node has one output (`Function.apply` allows no more on
    Scalars). A Scalar made by a built-in operation is its own node (scalar.py):
    its Function in `_fn`, its operands in `_first` and `_second` (None: one
    operand), and it is the ctx its backward gets; one made by `Function.apply`
    has a regular Node in `_node`. `_reach_floats` found the operations and put
    them in order; the gradient summed so far for a value waits in its
    `_pending` slot, and the caller adds them into `.grad` once the sweep has
    succeeded. Returns the Nodes (of Function.apply) whose backward ran.
    """
    anomaly = state.anomaly
    records = state.records
    nodes = []
    for value in ops:
        g = value._pending
        if g is _WAITING:
            continue                               # no gradient came (a backward's None)
        fn = value._fn
        if fn is None:                             # made by Function.apply: a Node is its ctx
            nodes.append(_node_backward(value, g, records, anomaly))
            continue
        # a built-in operation: the value is its ctx; one or two operands, which
        # are Scalars or (the second, or either of two) float constants
        grads = fn.backward(value, g)
        if anomaly:
            _check_backward(value.grad_fn, (g,), grads if type(grads) is tuple else (grads,))
        if records:
            value._gout = g
            value._gin = grads         # a float for one operand (OutputNode makes the tuple)
        else:
            value._gout = value._gin = None
        first, second = value._first, value._second
        if second is None:
            ga = grads
        else:
            ga, gb = grads
            if gb is not None and type(second) is not float and second.requires_grad:
                prev = second._pending
                second._pending = gb if prev is _WAITING else prev + gb
        if ga is not None and type(first) is not float and first.requires_grad:
            prev = first._pending
            first._pending = ga if prev is _WAITING else prev + ga
    return nodes


def _node_backward(value, g, records, anomaly):
    """`_sweep_floats`' step at a Scalar made by `Function.apply` (a user's Function):
    its ctx is a regular Node, and any argument can be one of its inputs."""
    node = value._node
    grads = _run_node(node, g, records, anomaly, False)
    inputs = node.inputs
    for i, inp in enumerate(inputs):
        gi = grads[i]
        if gi is not None and _needs_grad(inp):
            prev = inp._pending
            gi = inp._conform_grad(gi, node, i)
            inp._pending = gi if prev is _WAITING else prev + gi
    return node


def _run_node(node, g, records, anomaly, keep_outputs):
    """A regular Node's `Function.backward` on the gradient(s) `g` of its output(s):
    its gradients, one per input, counted and recorded (see `_drain`). Without
    records, the node keeps what reached its outputs only when a .grad write
    needs it (`keep_outputs`)."""
    if node.n_outputs == 1:
        grad_outputs = (g,)
        grads = node.fn.backward(node, g)
    else:
        grad_outputs = _fill_missing(node, g)
        grads = node.fn.backward(node, *grad_outputs)
    if type(grads) is not tuple:
        grads = (grads,)
    if len(grads) != len(node.inputs):
        raise _count_error(node, grads)
    if anomaly:
        _check_backward(node, grad_outputs, grads)
    if records:
        precords = node._precord               # the Rebuilds of what arrived, if any
        if precords is None:
            grecs = grad_outputs
        else:
            node._precord = None
            grecs = ((precords,) if node.n_outputs == 1 else
                     tuple([x if r is None else r for x, r in zip(grad_outputs, precords)]))
        node._gout = grecs
        fn = node.fn
        record = fn.record_grads
        if record is None or grad_outputs[0].nbytes * len(grad_outputs) < fn.record_min_bytes:
            gin = grads
            for x, grec in zip(grad_outputs, grecs):
                if grec is not x:
                    gin = _passed_on(gin, x, grec)
        else:
            gin = record(node, grads, *grecs)
        node._gin = gin
    else:
        node._gout = grad_outputs if keep_outputs else None
        node._gin = None
    return grads


def _count_error(node, grads):
    return RuntimeError(
        f"{node.name}: backward returned {len(grads)} gradients but the "
        f"operation has {len(node.inputs)} inputs (one per forward input, None allowed)")


def _arrive(node, value, g, keepers, owned, heap, rec=None):
    """Gradient `g` of `value`, an output of `node`, joins what waits at `node`
    (`value` itself, for a Tensor that is its own node); `rec`: its sender's
    Rebuild of it, if any (`_precord`, see `_drain`)."""
    if node is value or node.n_outputs == 1:
        prev = node._pending
        if prev is None:
            node._pending = g
            if rec is not None:
                node._precord = rec
            heapq.heappush(heap, (-node._seq, node))
            if value._retains_grad:
                keepers[node] = value
        else:
            node._pending = _sum(prev, g, id(node), owned)
            node._precord = None
        return
    k = value._output_nr
    grads = node._pending
    if grads is None:
        grads = node._pending = [None] * node.n_outputs
        heapq.heappush(heap, (-node._seq, node))
    precords = node._precord
    if grads[k] is None:
        grads[k] = g
        if rec is not None:
            if precords is None:
                precords = node._precord = [None] * node.n_outputs
            precords[k] = rec
    else:
        grads[k] = _sum(grads[k], g, (id(node), k), owned)
        if precords is not None:
            precords[k] = None
    if value._retains_grad:
        keepers.setdefault(node, [None] * node.n_outputs)[k] = value


def _sum(prev, g, key, owned):
    """prev + g; in place once prev is an array made here (never a user's or a node's)."""
    if key in owned:
        prev += g
        return prev
    total = prev + g
    if type(total) is np.ndarray:
        owned.add(key)
    return total


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


class name_scope:
    """Record `name` (joined to the enclosing scopes with '/') on every value made inside.

    A class rather than a generator: every module call enters one, and this costs
    a third of what @contextmanager's machinery does.
    """

    __slots__ = ("name", "prev")

    def __init__(self, name):
        name = str(name)
        if not name or "/" in name:
            raise ValueError(f"name_scope: a scope name must be non-empty and contain no '/', got {name!r}")
        self.name = name

    def __enter__(self):
        self.prev = prev = state.scope
        state.scope = scope = f"{prev}/{self.name}" if prev else self.name
        return scope

    def __exit__(self, *exc):
        state.scope = self.prev
        return False


def current_scope():
    return state.scope


@contextmanager
def no_grad_records():
    """Backward inside keeps no gradient records on the graph's nodes.

    By default every node keeps the gradients of the last backward
    (`grad_outputs`, `grad_inputs`), so that the graph can be drawn with them.
    Most are kept as how to make them (`Rebuild`), but sums and products with
    weights stay arrays, and the recipes themselves cost a little: a training
    loop that draws nothing runs faster without them (W3's LSTM step: about 8%).
    `.grad` of leaves and of `retain_grad()` values is filled as always; the
    nodes' records are left empty (None), so the drawing of such a graph shows
    no gradients.
    """
    prev = state.records
    state.records = False
    try:
        yield
    finally:
        state.records = prev


@contextmanager
def detect_anomaly():
    """Raise at the first operation whose output or gradient is NaN or infinite."""
    prev = state.anomaly
    state.anomaly = True
    try:
        yield
    finally:
        state.anomaly = prev
