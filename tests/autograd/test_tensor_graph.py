"""A Tensor made by an operator or a one- or two-operand method is also its node:
one object per operation (besides what its forward saves), `grad_fn` a stable
Node view of it, and backward through graphs that mix these with regular Nodes
(a user's Function, calls with keywords, operations with several outputs).
Gradients are checked against finite differences and PyTorch-free hand
formulas; failures must leave every .grad as it was."""

import gc
import math
import weakref

import numpy as np
import pytest

import autograd as ag
from autograd import Function, Node, Tensor


class Cube(Function):
    """A user's Function: out = x^3, d/dx = 3 x^2; keeps a ctx attribute besides saved_tensors."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        ctx.power = 3
        return x ** 3

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return ctx.power * x * x * grad_output


class RefusesNegative(Function):
    """out = 2x; its backward fails on a gradient with a negative element (a failure
    midway through a sweep, on demand)."""

    @staticmethod
    def forward(ctx, x):
        return 2.0 * x

    @staticmethod
    def backward(ctx, grad_output):
        if np.any(grad_output < 0):
            raise ValueError("refusesnegative: a negative gradient")
        return 2.0 * grad_output


def _leaf(shape, seed, low=-1.0, high=1.0):
    rng = np.random.default_rng(seed)
    return Tensor(rng.uniform(low, high, shape), requires_grad=True)


def _new_objects(make):
    """What `make()` returns, and the objects tracked by the garbage collector that
    it made (the returned container not counted). `make` runs once before, so that
    caches that fill on first use are not counted."""
    make()
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()                         # nothing collected behind our back while counting
    try:
        before = set()
        made = []
        for o in gc.get_objects():       # plain loops: a comprehension would add objects
            before.add(id(o))
        result = make()
        for o in gc.get_objects():
            if id(o) not in before and o is not made and o is not result:
                made.append(o)
    finally:
        if was_enabled:
            gc.enable()
    return result, made


# -- one object per operation ------------------------------------------------------

def test_an_operation_that_saves_nothing_makes_exactly_one_tracked_object():
    x = _leaf((3, 4), 0)
    c = np.full((3, 4), 0.5)

    def chain():
        outs = [x]
        for i in range(300):
            y = outs[-1]
            outs.append(y + c if i % 3 == 0 else (y - 1.0 if i % 3 == 1 else -y))
        return outs

    outs, made = _new_objects(chain)
    kinds = sorted({type(o).__name__ for o in made})
    assert kinds == ["Tensor"], f"besides the outputs: {kinds}"
    assert len(made) == 300, f"300 operations left {len(made)} tracked objects"


def test_an_operation_makes_its_output_and_what_forward_saved_and_no_node():
    x = _leaf((3, 4), 1)
    c = np.full((3, 4), 0.5)
    steps = [lambda y: y * c, lambda y: y.tanh(), lambda y: y / c, lambda y: 1.0 - y]

    def chain():
        outs = [x]
        for i in range(280):
            outs.append(steps[i % 4](outs[-1]))
        return outs

    outs, made = _new_objects(chain)
    saved = [t.saved_tensors for t in outs[1:] if t.saved_tensors]     # a tuple each
    assert len(saved) == 210, "mul, tanh and div save values"
    others = [o for o in made if type(o) is not Tensor and not any(o is t for t in saved)]
    assert not others, f"neither outputs nor saved values: {[type(o).__name__ for o in others]}"
    assert len(made) == 280 + 210
    # operations with a constant that is not a value make no Node either
    _, made = _new_objects(lambda: x.reshape(4, 3).T[1:].reshape(8).to(np.float32))
    assert not any(isinstance(o, Node) for o in made)


def test_an_output_refers_to_its_operands_function_and_saved_values_only():
    a, b = _leaf((2, 3), 2), _leaf((2, 3), 3)
    for y in (a * b, a + 3.0, 2.0 / b, a.tanh(), a.exp(), a[0], a.reshape(3, 2), a.T, a @ b.T):
        tracked = [r for r in gc.get_referents(y) if gc.is_tracked(r)]
        allowed = [y.saved_tensors, type(y), y._fn, y._second]     # _second: maybe _UNARY
        assert all(isinstance(r, Tensor) or any(r is k for k in allowed) for r in tracked), \
            f"{y.grad_fn.name}: the output keeps {[type(r).__name__ for r in tracked]}"


def test_an_operation_under_no_grad_keeps_nothing_of_its_operands():
    a = _leaf((2, 2), 4)
    with ag.no_grad():
        y = (a * 3.0).tanh()
    assert y.grad_fn is None and y.is_leaf and not y.requires_grad
    assert y.saved_tensors == ()
    assert not any(isinstance(r, Tensor) for r in gc.get_referents(y)), "no_grad kept the graph"


def test_the_outputs_of_a_split_share_one_node_each_in_its_place():
    a = _leaf((3, 8), 5)
    with ag.name_scope("gates"):
        parts = a.chunk(4, dim=-1)
    node = parts[0].grad_fn
    assert type(node) is Node and node.n_outputs == 4
    assert node.output_meta == tuple(((3, 2), a.dtype) for _ in range(4))
    for k, p in enumerate(parts):
        assert p.grad_fn is node and p._output_nr == k and p.requires_grad
        assert p.scope == "gates" and p.grad is None and p.label is None
        assert np.array_equal(p.data, a.data[:, 2 * k:2 * k + 2])
    (parts[3] * 2.0 + parts[1]).sum().backward()
    want = np.zeros((3, 8))
    want[:, 6:8], want[:, 2:4] = 2.0, 1.0
    assert np.array_equal(a.grad.data, want)
    with ag.no_grad():
        free = a.chunk(4, dim=-1)
    assert all(p.grad_fn is None and p.is_leaf and not p.requires_grad for p in free)


def test_a_graph_nobody_drew_is_freed_without_the_cycle_collector():
    a = _leaf((4,), 5)
    gc.disable()
    try:
        y = (a * 2.0 + 1.0).tanh()
        middle = weakref.ref(y._first)
        y.sum().backward()
        del y
        assert middle() is None, "an operation's output is kept alive by a reference cycle"
    finally:
        gc.enable()


# -- grad_fn: a Node that reads through the tensor ---------------------------------------

def test_grad_fn_is_one_stable_node_with_the_fields_of_every_node():
    a, w = _leaf((2, 3), 6), np.ones((3, 2))
    with ag.name_scope("layer"):
        y = a @ w
    node = y.grad_fn
    assert node is y.grad_fn, "grad_fn must be the same object on every access"
    assert isinstance(node, Node) and repr(node) == "<MatMulBackward>"
    assert node.inputs[0] is a and node.inputs[1] is w and len(node.inputs) == 2
    expected = {"name": "matmul", "needs_input_grad": (True, False), "scope": "layer",
                "n_outputs": 1, "freed": False, "pending": None,
                "grad_outputs": None, "grad_inputs": None}           # no backward yet
    assert {k: getattr(node, k) for k in expected} == expected
    assert node.fn.__name__ == "MatMul"
    assert all(s is d for s, d in zip(node.saved_tensors, (a.data, w)))
    assert (a.is_leaf, a.grad_fn, y.is_leaf, y.scope) == (True, None, False, "layer")
    assert "grad_fn=<MatMulBackward>" in repr(y)
    with pytest.raises(AttributeError):
        y.grad_fn = None                            # read-only, as for Scalar


def test_constants_are_inputs_as_given_and_seq_follows_the_order_of_operations():
    a = _leaf((2, 3), 8)
    c = np.ones((2, 3))
    h = 2.0 - a
    y = h.tanh()
    z = y * c
    r = z.reshape(3, 2)
    e = a[None]                                     # None is an operand here, not "no operand"
    assert h.grad_fn.inputs == (2.0, a) and z.grad_fn.inputs == (y, c)
    assert r.grad_fn.inputs == (z, (3, 2)) and e.grad_fn.inputs == (a, None)
    assert y.grad_fn.inputs == (h,) and y.grad_fn.needs_input_grad == (True,)
    assert z.grad_fn.needs_input_grad == (True, False)
    assert h.grad_fn.seq < y.grad_fn.seq < z.grad_fn.seq < r.grad_fn.seq < e.grad_fn.seq
    e.sum().backward()
    np.testing.assert_array_equal(a.grad.data, np.ones((2, 3)))


def test_the_records_of_backward_are_read_through_the_node_kept_from_before():
    a = Tensor([0.5, -1.0], dtype=np.float64, requires_grad=True)
    b = Tensor([2.0, 3.0], dtype=np.float64, requires_grad=True)
    h = a * b
    y = h.tanh()
    h_node, y_node = h.grad_fn, y.grad_fn          # taken before backward
    y.backward(np.array([1.0, 1.0]), retain_graph=True)
    d = 1 - np.tanh(a.data * b.data) ** 2
    np.testing.assert_array_equal(y_node.grad_outputs[0], [1.0, 1.0])
    np.testing.assert_allclose(y_node.grad_inputs[0], d, rtol=1e-15)
    assert h_node.grad_outputs[0] is y_node.grad_inputs[0]
    np.testing.assert_allclose(h_node.grad_inputs[0], d * b.data, rtol=1e-15)
    np.testing.assert_allclose(h_node.grad_inputs[1], d * a.data, rtol=1e-15)
    assert h.grad_fn is h_node and y_node.grad_inputs is y.grad_fn.grad_inputs
    assert not h_node.freed
    y.backward(np.array([2.0, 2.0]))               # a second sweep replaces the records
    np.testing.assert_array_equal(y_node.grad_outputs[0], [2.0, 2.0])
    assert y_node.freed and h_node.freed
    np.testing.assert_allclose(a.grad.data, 3 * d * b.data, rtol=1e-14)
    with pytest.raises(RuntimeError, match="tanh: trying to backward through the graph a second "
                                           "time.*retain_graph=True"):
        y.backward(np.array([1.0, 1.0]))


def test_retain_grad_and_no_grad_records_on_an_own_node():
    a = Tensor([0.3, 0.7], dtype=np.float64, requires_grad=True)
    h = (a * a).retain_grad()
    y = (h * 3.0).sum()
    with ag.no_grad_records():
        y.backward(retain_graph=True)
    np.testing.assert_array_equal(h.grad.data, [3.0, 3.0])
    np.testing.assert_allclose(a.grad.data, 6.0 * a.data, rtol=1e-15)
    assert h.grad_fn.grad_outputs is None and h.grad_fn.grad_inputs is None
    y.backward()
    np.testing.assert_array_equal(h.grad.data, [6.0, 6.0])
    np.testing.assert_array_equal(h.grad_fn.grad_outputs[0], [3.0, 3.0])


# -- both kinds of node in one graph ---------------------------------------------------

def test_regular_nodes_and_own_nodes_mixed_in_one_graph():
    a = Tensor([[0.5, -0.25], [1.5, 0.75]], dtype=np.float64, requires_grad=True)
    b = Tensor([1.25, -0.5], dtype=np.float64, requires_grad=True)
    h = Cube.apply(a * b)                           # a user's Node on an own node
    rows = h.unbind(0)                              # one Node, two outputs
    s = rows[0].clip(min=-1.0) + rows[1].tanh()     # clip: keywords, a regular Node
    y = (s * b).sum()
    assert type(h.grad_fn) is Node and h.grad_fn is h.grad_fn and h.grad_fn.power == 3
    assert type(rows[0].grad_fn) is Node and rows[0].grad_fn is rows[1].grad_fn
    assert type(s.grad_fn) is not Node and isinstance(s.grad_fn, Node)
    y.backward()
    ab = a.data * b.data
    cube = ab ** 3
    gs = b.data                                         # d y / d s
    g_rows = np.stack([gs * (cube[0] >= -1.0), gs * (1 - np.tanh(cube[1]) ** 2)])
    g_ab = g_rows * 3 * ab ** 2
    np.testing.assert_allclose(a.grad.data, g_ab * b.data, rtol=1e-13)
    s_value = np.clip(cube[0], -1.0, None) + np.tanh(cube[1])
    np.testing.assert_allclose(b.grad.data, (g_ab * a.data).sum(0) + s_value, rtol=1e-13)
    for v in (h, rows[0], s):
        assert v.grad_fn.freed


def test_a_freed_node_below_own_nodes_raises_before_any_grad_changes():
    a = Tensor([1.2, -0.4], dtype=np.float64, requires_grad=True)
    h = Cube.apply(a)
    h.sum().backward()                               # frees the user's node
    before = a.grad.data.copy()
    y = (h * a + a).retain_grad()
    with pytest.raises(RuntimeError, match="cube: trying to backward through the graph a second"):
        y.sum().backward()
    np.testing.assert_array_equal(a.grad.data, before)
    assert y.grad is None and not y.grad_fn.freed and y.grad_fn.pending is None


def test_a_freed_own_node_raises_and_leaves_no_gradient_waiting():
    a, b = _leaf((3,), 9), _leaf((3,), 10)
    shared = a * b
    freed = a + 1.0
    freed.sum().backward()
    a.grad = None
    with pytest.raises(RuntimeError, match="add: trying to backward through the graph a second"):
        (shared * 5.0 + freed).sum().backward()    # reaches `shared`, then the freed node
    assert a.grad is None and b.grad is None and shared.grad_fn.pending is None
    (shared * 5.0).sum().backward()                # through `shared` again: only this sweep's 5
    np.testing.assert_allclose(a.grad.data, 5.0 * b.data, rtol=1e-6)
    np.testing.assert_allclose(b.grad.data, 5.0 * a.data, rtol=1e-6)


def test_a_backward_that_raises_midway_changes_no_grad_and_frees_nothing():
    a = Tensor([0.5, 1.5], dtype=np.float64, requires_grad=True)
    b = Tensor([4.0, -2.0], dtype=np.float64, requires_grad=True)
    m = (a * b).retain_grad()
    y = (RefusesNegative.apply(m) + b).tanh().retain_grad()   # tanh, add run before it fails
    with pytest.raises(ValueError, match="a negative gradient"):
        y.backward(np.array([-1.0, 1.0]))
    assert a.grad is None and b.grad is None and m.grad is None and y.grad is None
    assert not y.grad_fn.freed and not m.grad_fn.freed, "a failed backward freed nodes"
    assert y.grad_fn.pending is None and m.grad_fn.pending is None
    y.backward(np.array([1.0, 1.0]))
    d = 1 - np.tanh(2 * a.data * b.data + b.data) ** 2
    np.testing.assert_allclose(a.grad.data, d * 2 * b.data, rtol=1e-13)
    np.testing.assert_allclose(b.grad.data, d * (2 * a.data + 1), rtol=1e-13)
    np.testing.assert_allclose(m.grad.data, 2 * d, rtol=1e-13)
    np.testing.assert_array_equal(y.grad.data, [1.0, 1.0])


def test_detect_anomaly_names_an_own_node_in_forward_and_in_backward():
    a = Tensor([-1.0, 1.0], requires_grad=True)
    with ag.detect_anomaly(), ag.name_scope("head"), np.errstate(invalid="ignore", divide="ignore"):
        with pytest.raises(RuntimeError, match=r"forward of 'log' \(scope 'head'\) produced a NaN"):
            a.log()
        y = (a - a).sqrt()                           # finite, but d/da at 0 is infinite
        with pytest.raises(RuntimeError, match=r"backward of 'sqrt' \(scope 'head'\) produced an "
                                               r"infinite gradient for input 0"):
            y.sum().backward()


# -- random graphs: finite differences ---------------------------------------------------

_BINARY = ["add", "sub", "mul", "div", "matmul"]
_ONE = ["tanh", "exp", "sigmoid", "neg", "reshape", "T", "cube", "getitem", "unbind_sum",
        "clip"]


def _random_graph(seed, n_ops=30):
    """A function of three (3, 3) tensors: a random mix of own-node operations and
    regular Nodes (a user's Function, unbind, clip with keywords), every value kept
    small so that each operation stays smooth."""
    rng = np.random.default_rng(seed)
    steps = []
    for _ in range(n_ops):
        name = str(rng.choice(_BINARY + _ONE))
        steps.append((name, int(rng.integers(0, 1 << 30)), int(rng.integers(0, 1 << 30)),
                      float(rng.uniform(0.5, 1.5))))

    def f(*leaves):
        values = list(leaves)
        for name, i, j, k in steps:
            x, y = values[i % len(values)], values[j % len(values)]
            if name == "add":
                out = x + y
            elif name == "sub":
                out = k - x if i % 2 else x - y
            elif name == "mul":
                out = x * (y if j % 2 else k)
            elif name == "div":
                out = x / (y * y + 1.0)
            elif name == "matmul":
                out = (x @ y) * 0.3
            elif name == "tanh":
                out = x.tanh()
            elif name == "exp":
                out = (x * 0.3).exp()
            elif name == "sigmoid":
                out = x.sigmoid()
            elif name == "neg":
                out = -x
            elif name == "reshape":
                out = x.reshape(9).reshape(3, 3)
            elif name == "T":
                out = x.T
            elif name == "cube":
                out = Cube.apply(x.tanh())
            elif name == "getitem":
                out = x[np.array([2, 0, 1])]
            elif name == "unbind_sum":
                r0, r1, r2 = x.unbind(0)
                out = ag.stack([r1, r2 * k, r0], 0)
            else:
                out = x.clip(min=-0.9, max=None) * k
            values.append(out.tanh() if name in ("add", "matmul", "exp") else out)
        return sum(v * v for v in values[-4:]).sum() if len(values) > 4 else values[-1].sum()

    return f


@pytest.mark.parametrize("seed", range(6))
def test_random_graphs_pass_a_finite_difference_check(seed):
    f = _random_graph(seed)
    leaves = [Tensor(np.random.default_rng(seed + 100 + k).uniform(-0.8, 0.8, (3, 3)),
                     dtype=np.float64, requires_grad=True) for k in range(3)]
    assert ag.gradcheck(f, leaves)


@pytest.mark.parametrize("seed", range(3))
def test_random_graphs_give_the_same_gradient_twice_with_retain_graph(seed):
    f = _random_graph(seed)
    leaves = [Tensor(np.random.default_rng(seed + k).uniform(-0.8, 0.8, (3, 3)),
                     dtype=np.float64, requires_grad=True) for k in range(3)]
    loss = f(*leaves)
    loss.backward(retain_graph=True)
    first = [None if t.grad is None else t.grad.data.copy() for t in leaves]
    loss.backward()
    for g1, t in zip(first, leaves):
        if g1 is not None:
            np.testing.assert_allclose(t.grad.data, 2 * g1, rtol=1e-14)
    assert math.isfinite(float(loss.data))
