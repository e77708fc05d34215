"""A Scalar made by an operation is also its node: one object per operation,
`grad_fn` a stable Node view of it, and backward through graphs that mix these
with the regular Nodes of a user's Function. Gradients are checked against the
Tensor engine, finite differences and the step-by-step replay of viz."""

import gc
import math
import operator

import numpy as np
import pytest

import autograd as ag
from autograd import Function, Node, Scalar, Tensor


class Cube(Function):
    """A user's Function on Scalars: out = x^3, d/dx = 3 x^2 (through save_for_backward)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return 3.0 * x * x * grad_output


class WeightedSum(Function):
    """Two inputs and a constant: out = x + k y; a ctx attribute besides saved_tensors."""

    @staticmethod
    def forward(ctx, x, y, k):
        ctx.k = k
        return x + k * y

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output, ctx.k * grad_output, None


class Detach(Function):
    """out = x, but no gradient goes back (backward returns None)."""

    @staticmethod
    def forward(ctx, x):
        return x

    @staticmethod
    def backward(ctx, grad_output):
        return None


# -- one object per operation ------------------------------------------------------

def _chain(x, w, n):
    """n operations, each on the previous result: mul, add, tanh, relu, pow, sub, div, exp."""
    y = x
    for i in range(n):
        k = i % 8
        if k == 0:
            y = y * w
        elif k == 1:
            y = y + 0.5
        elif k == 2:
            y = y.tanh()
        elif k == 3:
            y = 2.0 * y.relu()
        elif k == 4:
            y = (y * y + 1.0) ** 0.5
        elif k == 5:
            y = 1.0 - y
        elif k == 6:
            y = y / w
        else:
            y = (-y).exp()
    return y


def _ops_in(y):
    """How many operations made y (following every operand)."""
    seen, stack = {id(y)}, [y]
    while stack:
        v = stack.pop()
        for inp in (v.grad_fn.inputs if v.grad_fn is not None else ()):
            if isinstance(inp, Scalar) and id(inp) not in seen:
                seen.add(id(inp))
                stack.append(inp)
    return sum(1 for _ in seen) - 2          # the two leaves x and w


def test_an_operation_makes_exactly_one_object_the_collector_tracks():
    x, w = Scalar(0.3), Scalar(1.7)
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()                         # nothing untracked behind our back while counting
    try:
        before = len(gc.get_objects())
        y = _chain(x, w, 400)
        after = len(gc.get_objects())
    finally:
        if was_enabled:
            gc.enable()
    n_ops = _ops_in(y)
    assert n_ops > 400
    assert after - before == n_ops, \
        f"{n_ops} operations left {after - before} tracked objects (a node or saved tuple each?)"


def test_an_output_refers_to_its_operands_and_function_and_nothing_else_tracked():
    a, b = Scalar(0.5), Scalar(-2.0)
    for y in (a * b, a + 3.0, 2.0 / b, a ** b, a.tanh(), a.relu(), b.exp(), (-a).sigmoid()):
        tracked = [r for r in gc.get_referents(y) if gc.is_tracked(r)]
        assert all(isinstance(r, Scalar) or isinstance(r, type) for r in tracked), \
            f"{y.grad_fn.name}: the output keeps {[type(r).__name__ for r in tracked]}"


def test_an_operation_under_no_grad_keeps_nothing_of_its_operands():
    a = Scalar(0.5)
    with ag.no_grad():
        y = (a * 3.0).tanh()
    assert y.grad_fn is None and y.is_leaf and not y.requires_grad
    assert not any(isinstance(r, Scalar) for r in gc.get_referents(y)), "no_grad kept the graph"


# -- grad_fn: a Node that reads through the value ---------------------------------------

def test_grad_fn_is_one_stable_node_with_the_fields_of_every_node():
    a, b = Scalar(2.0, label="a"), Scalar(-3.0, label="b")
    with ag.name_scope("layer"):
        y = a * b
    node = y.grad_fn
    assert node is y.grad_fn, "grad_fn must be the same object on every access"
    assert isinstance(node, Node)
    assert node.fn.__name__ == "Mul" and node.name == "mul" and repr(node) == "<MulBackward>"
    assert node.inputs == (a, b) and node.needs_input_grad == (True, True)
    assert node.scope == "layer" and y.scope == "layer"
    assert node.n_outputs == 1 and not node.freed
    assert node.grad_outputs is None and node.grad_inputs is None, "no backward yet"
    assert a.grad_fn is None and a.is_leaf and not y.is_leaf


def test_constants_are_inputs_as_given_and_seq_follows_the_order_of_operations():
    a = Scalar(1.5)
    h = 2.0 - a
    y = h.tanh()
    z = y / 4.0
    assert h.grad_fn.inputs == (2.0, a) and z.grad_fn.inputs == (y, 4.0)
    assert y.grad_fn.inputs == (h,) and y.grad_fn.needs_input_grad == (True,)
    assert h.grad_fn.seq < y.grad_fn.seq < z.grad_fn.seq


def test_the_records_of_backward_are_read_through_the_node_kept_from_before():
    a, b = Scalar(2.0), Scalar(-3.0)
    h = a * b
    y = h.tanh()
    h_node, y_node = h.grad_fn, y.grad_fn          # taken before backward
    y.backward(retain_graph=True)
    t = math.tanh(-6.0)
    assert y_node.grad_outputs == (1.0,)
    assert y_node.grad_inputs == pytest.approx((1 - t * t,), rel=1e-15)
    assert h_node.grad_outputs == (y_node.grad_inputs[0],)
    assert h_node.grad_inputs == pytest.approx(((1 - t * t) * -3.0, (1 - t * t) * 2.0), rel=1e-15)
    assert h.grad_fn is h_node and y_node.grad_inputs is y.grad_fn.grad_inputs
    assert not h_node.freed
    y.backward(2.0)                                # a second sweep replaces the records
    assert y_node.grad_outputs == (2.0,) and y_node.freed and h_node.freed
    assert a.grad == pytest.approx(3 * (1 - t * t) * -3.0, rel=1e-15), "gradients add up"


def test_no_grad_records_clears_the_records_of_a_scalar_node():
    a = Scalar(0.7)
    y = a * a
    y.backward(retain_graph=True)
    assert y.grad_fn.grad_outputs == (1.0,)
    with ag.no_grad_records():
        y.backward()
    assert y.grad_fn.grad_outputs is None and y.grad_fn.grad_inputs is None
    assert a.grad == pytest.approx(2 * 2 * 0.7, rel=1e-15)


# -- the user's Functions among built-in operations -------------------------------------

def test_a_user_function_gets_a_regular_node_among_scalar_nodes():
    a, b = Scalar(0.5), Scalar(1.5)
    h = Cube.apply(a * b)              # a user node on a built-in one
    y = WeightedSum.apply(h, b.tanh(), 3.0) * a    # ... and built-in ones on user nodes
    assert type(h.grad_fn) is Node and h.grad_fn is h.grad_fn
    assert y.grad_fn.inputs[0].grad_fn.k == 3.0, "a ctx attribute set by forward stays"
    y.backward(retain_graph=True)
    ab, tb = 0.5 * 1.5, math.tanh(1.5)
    f = ab ** 3 + 3.0 * tb                     # y = f a
    df_da, df_db = 3 * ab ** 2 * 1.5, 3 * ab ** 2 * 0.5 + 3.0 * (1 - tb * tb)
    assert a.grad == pytest.approx(f + df_da * 0.5, rel=1e-13)
    assert b.grad == pytest.approx(df_db * 0.5, rel=1e-13)
    assert h.grad == pytest.approx(0.5, rel=1e-15) and h.grad_fn.grad_outputs == (h.grad,)
    y.backward()
    assert a.grad == pytest.approx(2 * (f + df_da * 0.5), rel=1e-13)
    for node in (h.grad_fn, y.grad_fn, y.grad_fn.inputs[0].grad_fn):
        assert node.freed
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        y.backward()


def test_a_freed_user_node_below_built_in_ones_raises_before_any_grad_changes():
    a = Scalar(1.2)
    h = Cube.apply(a)
    h.backward()                                # frees the user's node
    y = h * a + a
    before = a.grad
    with pytest.raises(RuntimeError, match="cube: trying to backward through the graph a second time"):
        y.backward()
    assert a.grad == before and not y.grad_fn.freed


def test_a_none_gradient_stops_there_and_what_it_stops_is_left_as_it_was():
    a, b = Scalar(0.3), Scalar(2.0)
    h = a * b
    y = Detach.apply(h) + a
    y.backward()
    assert (a.grad, b.grad, h.grad) == (1.0, 0.0, 0.0)
    assert not h.grad_fn.freed and h.grad_fn.grad_outputs is None, "h's backward never ran"
    h.backward()
    assert (a.grad, b.grad) == (1.0 + 2.0, 0.3)


def test_a_failed_backward_leaves_no_gradient_waiting_for_the_next_one():
    a, b = Scalar(2.0), Scalar(3.0)
    shared = a * b
    freed = a + 1.0
    freed.backward()
    a.grad = 0.0
    with pytest.raises(RuntimeError, match="second time"):
        (shared * 5.0 + freed).backward()       # reaches `shared`, then the freed node
    (shared * 5.0).backward()                   # through `shared` again: only this sweep's 5
    assert (shared.grad, a.grad, b.grad) == (5.0, 15.0, 10.0)


def test_a_backward_that_raises_midway_changes_no_grad_and_frees_nothing():
    class Fragile(Function):
        """out = 2x; its backward fails while `broken` is set."""
        broken = True

        @staticmethod
        def forward(ctx, x):
            return 2.0 * x

        @staticmethod
        def backward(ctx, grad_output):
            if Fragile.broken:
                raise ValueError("fragile: broken")
            return 2.0 * grad_output

    a, b = Scalar(0.5), Scalar(4.0)
    y = (Fragile.apply(a * b) + b).tanh()       # tanh and add run before Fragile fails
    with pytest.raises(ValueError, match="fragile"):
        y.backward()
    assert (a.grad, b.grad, y.grad) == (0.0, 0.0, 0.0)
    assert not y.grad_fn.freed, "a failed backward freed the nodes it had run"
    Fragile.broken = False
    y.backward()
    d = 1 - math.tanh(8.0) ** 2
    assert (a.grad, b.grad) == (pytest.approx(d * 2 * 4.0), pytest.approx(d * (2 * 0.5 + 1)))


def test_a_gradient_of_another_number_type_from_a_user_function_becomes_a_float():
    class Twice(Function):
        @staticmethod
        def forward(ctx, x):
            return np.float64(2.0) * x

        @staticmethod
        def backward(ctx, grad_output):
            return np.float32(2.0) * np.float32(grad_output)

    a = Scalar(0.25)
    y = Twice.apply(a)
    z = y * a                                   # 2 a^2
    z.backward()
    assert type(y.data) is float and type(z.data) is float
    assert type(a.grad) is float and a.grad == pytest.approx(4 * 0.25)


def test_detect_anomaly_names_a_scalar_operation_in_forward_and_in_backward():
    a = Scalar(-1.0)
    with ag.detect_anomaly(), ag.name_scope("head"):
        with pytest.raises(RuntimeError, match=r"forward of 'log' \(scope 'head'\) produced a NaN"):
            a.log()
        y = Scalar(0.0) ** 0.5                  # finite, but d/da at 0 is infinite
        with pytest.raises(RuntimeError, match=r"backward of 'pow' \(scope 'head'\) produced an "
                                               r"infinite gradient for input 0"):
            y.backward()


# -- random graphs: the Tensor engine, finite differences, the replay of viz --------------

_BINARY = {"add": operator.add, "sub": operator.sub, "mul": operator.mul,
           "div": operator.truediv, "pow": operator.pow}
_UNARY = {"neg": operator.neg, "exp": lambda u: u.exp(), "log": lambda u: u.log(),
          "tanh": lambda u: u.tanh(), "sigmoid": lambda u: u.sigmoid(),
          "relu": lambda u: u.relu(), "cube": Cube.apply}


def _recipe(seed, n_leaves=4, n_ops=40):
    """A random graph as a list of steps (op, operand, operand), each operand a value's
    index or a float constant; operands stay where the operation is smooth."""
    rng = np.random.default_rng(seed)
    leaves = rng.uniform(-1.5, 1.5, n_leaves).tolist()
    data = list(leaves)
    steps = []
    while len(steps) < n_ops:
        name = rng.choice(list(_BINARY) + list(_UNARY) + ["user2"])
        i, j = (int(k) for k in rng.integers(0, len(data), 2))
        x, y = data[i], data[j]
        if name in _UNARY:
            if (name == "exp" and abs(x) > 2) or (name == "log" and x < 0.2) or \
                    (name == "relu" and abs(x) < 0.05) or (name == "cube" and abs(x) > 1.5):
                continue
            steps.append((name, i, None))
            data.append(_UNARY[name](Scalar(x)).data)
            continue
        if rng.random() < 0.25:                 # a constant on one side
            y = j = float(np.round(rng.uniform(0.5, 2.0), 2))
            if rng.random() < 0.5 and name != "pow":
                x, y, i, j = y, x, j, i
        if (name == "div" and abs(y) < 0.3) or (name == "pow" and (x < 0.3 or abs(y) > 2)):
            continue
        if name == "user2":
            steps.append((name, i, j))
            data.append(x + 0.5 * y)
            continue
        steps.append((name, i, j))
        data.append(_BINARY[name](x, y))
        if not abs(data[-1]) < 20:
            steps.pop()
            data.pop()
    return leaves, steps


def _build(leaves, steps, make):
    """All the values of the recipe (leaves first) and a loss, on `make`'s values."""
    values = list(leaves)
    arg = lambda k: values[k] if isinstance(k, int) else k           # noqa: E731
    for name, i, j in steps:
        if name == "user2":
            values.append(WeightedSum.apply(arg(i), arg(j), 0.5))
        elif j is None:
            values.append(_UNARY[name](arg(i)))
        else:
            values.append(_BINARY[name](arg(i), arg(j)))
    loss = values[-1]
    for v in values[-6:-1]:
        loss = loss + v * v                     # several roots' worth of paths into the end
    return values, loss


@pytest.mark.parametrize("seed", range(8))
def test_random_graphs_give_the_tensor_engines_gradient_at_every_value(seed):
    leaves, steps = _recipe(seed)
    scalars, loss = _build([Scalar(x) for x in leaves], steps, Scalar)
    tensors, tloss = _build([Tensor(np.float64(x), requires_grad=True) for x in leaves],
                            steps, Tensor)
    for t in tensors[len(leaves):]:
        t.retain_grad()
    loss.backward()
    tloss.backward()
    assert loss.data == pytest.approx(float(tloss.data), rel=1e-12)
    for k, (s, t) in enumerate(zip(scalars, tensors)):
        expected = 0.0 if t.grad is None else float(t.grad.data)     # None: not on a path
        assert s.grad == pytest.approx(expected, rel=1e-10, abs=1e-12), \
            f"value {k} ({'leaf' if k < len(leaves) else steps[k - len(leaves)][0]})"


@pytest.mark.parametrize("seed", range(3))
def test_random_graphs_pass_a_finite_difference_check(seed):
    leaves, steps = _recipe(seed, n_ops=25)
    assert ag.gradcheck(lambda *xs: _build(list(xs), steps, Scalar)[1],
                        [Scalar(x) for x in leaves])


@pytest.mark.parametrize("seed", range(4))
def test_backward_sums_each_gradient_in_the_order_the_replay_of_viz_does(seed):
    """Bit for bit: both take the operations newest first, so the float sums agree exactly."""
    viz = pytest.importorskip("viz")
    leaves, steps = _recipe(seed)
    values, loss = _build([Scalar(x) for x in leaves], steps, Scalar)
    replay = viz.backprop_steps(loss)
    loss.backward()
    for step in replay:
        assert step.upstream == step.node.grad, step
