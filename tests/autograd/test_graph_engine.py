"""The graph core: backward order and depth, freeing, accumulation, modes, scopes,
anomaly detection, random seeds, and user-defined Functions as first-class nodes."""

import re

import numpy as np
import pytest

import autograd as ag
from autograd import Function, Scalar, Tensor


def leaf(values, dtype=np.float64):
    return Tensor(np.array(values, dtype=dtype), requires_grad=True)


# -- depth ---------------------------------------------------------------------------

def test_chain_of_a_million_scalar_ops_backpropagates():
    n = 10 ** 6
    x = Scalar(0.5)
    v = x
    for _ in range(n // 2):            # y = (x + 1/4)^... no: y = q^(n/2) x + const
        v = v * 1.0000001
        v = v + 0.25
    v.backward()
    assert x.grad == pytest.approx(1.0000001 ** (n // 2), rel=1e-9)


def test_chain_of_200_thousand_tensor_ops_backpropagates():
    n = 2 * 10 ** 5
    x = leaf([1.0, 2.0])
    v = x
    for _ in range(n // 2):
        v = v * 1.000001
        v = v - 0.5
    v.sum().backward()
    np.testing.assert_allclose(x.grad.data, [1.000001 ** (n // 2)] * 2, rtol=1e-9)


# -- freeing and accumulation -----------------------------------------------------------

def test_second_backward_through_a_freed_graph_raises_a_clear_error():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"second time.*retain_graph=True"):
        y.backward()


def test_second_backward_through_a_freed_scalar_graph_raises():
    a = Scalar(3.0)
    y = a * a + a
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


@pytest.mark.parametrize("order", ["h*v", "v*h"])
def test_backward_into_a_freed_subgraph_raises_before_any_grad_changes(order):
    x, w, v = leaf([1.0, 2.0]), leaf([3.0, 4.0]), leaf([5.0, 6.0])
    h = x * w
    h.sum().backward()                         # frees h's node
    before = {name: t.grad for name, t in (("x", x), ("w", w), ("v", v))}
    y = ((h * v) if order == "h*v" else (v * h)).sum()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()
    for name, t in (("x", x), ("w", w), ("v", v)):
        assert t.grad is before[name] or np.array_equal(t.grad.data, before[name].data), \
            f"{name}.grad changed although backward raised"


def test_retain_graph_allows_a_second_backward_and_gradients_add_up():
    x = leaf([1.0, -2.0])
    y = (x * x * x).sum()                      # dy/dx = 3 x^2
    y.backward(retain_graph=True)
    np.testing.assert_allclose(x.grad.data, [3.0, 12.0])
    y.backward()
    np.testing.assert_allclose(x.grad.data, [6.0, 24.0])


def test_gradients_accumulate_across_two_graphs_until_zero_grad():
    x = leaf([1.0, 2.0])
    (x * 3.0).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.data, [3.0 + 2.0, 3.0 + 4.0])
    x.zero_grad()
    assert x.grad is None
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad.data, [3.0, 3.0])


def test_a_value_used_three_times_gets_the_sum_of_its_gradients():
    x = leaf([0.5, -1.5])
    h = x.tanh()
    y = (h * 2.0 + h * h + h.exp()).sum()      # dy/dh = 2 + 2h + e^h
    h.retain_grad()
    y.backward()
    hv = np.tanh(x.data)
    np.testing.assert_allclose(h.grad.data, 2 + 2 * hv + np.exp(hv), rtol=1e-12)
    np.testing.assert_allclose(x.grad.data, (2 + 2 * hv + np.exp(hv)) * (1 - hv ** 2), rtol=1e-12)


def test_gradients_are_not_aliased_between_inputs_of_one_op():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    c = a + b                                  # both inputs get the same upstream gradient
    c.backward(np.array([1.0, 10.0]))
    assert not np.shares_memory(a.grad.data, b.grad.data), "a.grad and b.grad share memory"
    a.grad.data *= 100.0                       # e.g. gradient clipping, in place
    np.testing.assert_allclose(b.grad.data, [1.0, 10.0])
    c2 = a + b
    c2.backward(np.array([1.0, 1.0]))           # a later accumulation corrupts neither
    np.testing.assert_allclose(a.grad.data, [101.0, 1001.0])
    np.testing.assert_allclose(b.grad.data, [2.0, 11.0])


def test_leaf_grad_does_not_alias_a_retained_grad_or_the_caller_gradient():
    x = leaf([1.0, 2.0])
    y = x + 0.0
    y.retain_grad()
    upstream = np.array([5.0, 7.0])
    y.backward(upstream)
    assert not np.shares_memory(x.grad.data, y.grad.data)
    assert not np.shares_memory(x.grad.data, upstream)
    x.grad.data[:] = 0.0
    np.testing.assert_allclose(y.grad.data, [5.0, 7.0])


def test_gradients_are_summed_back_over_broadcast_size_one_axes():
    a = leaf(np.ones((3, 1)))
    b = leaf(np.ones((1, 4)) * 2.0)
    c = leaf(np.ones(()) * 3.0)
    y = a * b + c                               # shape (3, 4)
    y.backward(np.arange(12.0).reshape(3, 4))
    g = np.arange(12.0).reshape(3, 4)
    assert (a.grad.shape, b.grad.shape, c.grad.shape) == ((3, 1), (1, 4), ())
    np.testing.assert_allclose(a.grad.data, (g * 2.0).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(b.grad.data, g.sum(axis=0, keepdims=True))
    np.testing.assert_allclose(c.grad.data, g.sum())


def test_retain_grad_keeps_the_gradient_of_a_non_leaf_only_when_asked():
    x = leaf([1.0, 2.0])
    h = x * 3.0
    k = h * 2.0
    h.retain_grad()
    k.sum().backward()
    np.testing.assert_allclose(h.grad.data, [2.0, 2.0])
    assert k.grad is None, "a non-leaf without retain_grad() should keep no .grad"
    assert not h.is_leaf and x.is_leaf


def test_backward_of_a_leaf_itself_fills_its_grad():
    x = leaf(2.0)
    x.backward()
    assert x.grad.item() == 1.0


def test_unused_outputs_of_a_multi_output_node_get_zero_gradients():
    x = leaf(np.arange(12.0).reshape(3, 4))
    rows = x.unbind(0)
    assert all(r.grad_fn is rows[0].grad_fn for r in rows), "unbind should be one node"
    (rows[1] * 2.0).sum().backward()
    np.testing.assert_allclose(x.grad.data, [[0.0] * 4, [2.0] * 4, [0.0] * 4])


def test_the_node_keeps_the_gradients_of_the_last_sweep_for_drawing():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    y = a * b
    node = y.grad_fn
    assert node.name == "mul" and node.inputs == (a, b)
    y.backward(np.array([1.0, 1.0]), retain_graph=True)
    np.testing.assert_allclose(node.grad_outputs[0], [1.0, 1.0])
    np.testing.assert_allclose(node.grad_inputs[0], [3.0, 4.0])
    np.testing.assert_allclose(node.grad_inputs[1], [1.0, 2.0])


# -- grad modes ---------------------------------------------------------------------------

def test_no_grad_records_nothing_and_enable_grad_records_again():
    x = leaf([1.0])
    with ag.no_grad():
        assert not ag.is_grad_enabled()
        y = x * 2.0
        with ag.enable_grad():
            z = x * 2.0
        assert not ag.is_grad_enabled()
    assert ag.is_grad_enabled()
    assert y.grad_fn is None and not y.requires_grad
    assert z.grad_fn is not None and z.requires_grad


def test_no_grad_is_restored_after_an_exception():
    with pytest.raises(ZeroDivisionError):
        with ag.no_grad():
            1 / 0
    assert ag.is_grad_enabled()


def test_no_grad_and_enable_grad_work_as_decorators():
    x = leaf([1.0])

    @ag.no_grad()
    def predict(t):
        return t * 2.0

    @ag.no_grad
    def predict_bare(t):
        return t * 2.0

    @ag.enable_grad()
    def train_step(t):
        return t * 2.0

    assert predict(x).grad_fn is None and predict_bare(x).grad_fn is None
    with ag.no_grad():
        assert train_step(x).requires_grad
    assert predict.__name__ == "predict"


# -- name scopes -----------------------------------------------------------------------------

def test_name_scopes_nest_and_are_recorded_on_values_and_nodes():
    x = leaf([1.0])
    assert x.scope == ""
    with ag.name_scope("lstm"):
        with ag.name_scope("l0"):
            for t in range(2):
                with ag.name_scope(f"t={t}"):
                    h = x * 2.0
                    s = Scalar(1.0) * 2.0
                    assert ag.current_scope() == f"lstm/l0/t={t}"
                assert h.scope == f"lstm/l0/t={t}" and h.grad_fn.scope == f"lstm/l0/t={t}"
                assert s.scope == f"lstm/l0/t={t}" and s.grad_fn.scope == f"lstm/l0/t={t}"
        y = h + 1.0
    assert y.scope == "lstm" and y.grad_fn.scope == "lstm"
    assert ag.current_scope() == ""
    assert (x + 1.0).scope == ""


def test_name_scope_is_restored_after_an_exception_and_rejects_bad_names():
    with pytest.raises(KeyError):
        with ag.name_scope("encoder"):
            raise KeyError
    assert ag.current_scope() == ""
    for bad in ("", "a/b"):
        with pytest.raises(ValueError, match="name_scope"):
            with ag.name_scope(bad):
                pass


# -- anomaly detection -------------------------------------------------------------------------

def test_detect_anomaly_names_the_forward_op_and_scope_that_made_a_nan():
    x = leaf([1.0, -1.0])
    with ag.detect_anomaly(), ag.name_scope("decoder"):
        with np.errstate(invalid="ignore"), pytest.raises(RuntimeError) as info:
            x.log()
    msg = str(info.value)
    assert "'log'" in msg and "decoder" in msg and "NaN" in msg, msg


def test_detect_anomaly_names_the_backward_op_and_scope_that_made_an_inf():
    x = leaf([0.0, 4.0])
    with ag.detect_anomaly():
        with ag.name_scope("norm"):
            y = x.sqrt()                         # finite forward, d/dx at 0 is inf
        loss = y.sum()
        with np.errstate(divide="ignore"), pytest.raises(RuntimeError) as info:
            loss.backward()
    msg = str(info.value)
    assert "'sqrt'" in msg and "norm" in msg and "infinite" in msg and "input 0" in msg, msg


def test_without_detect_anomaly_nan_and_inf_pass_through_as_in_numpy():
    x = Tensor([-1.0, 0.0, np.inf, np.nan])
    with np.errstate(all="ignore"):
        got = x.log().data
        want = np.log(x.data)
    np.testing.assert_array_equal(got, want)
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal((x * 0.0).data, x.data * 0.0)
    np.testing.assert_array_equal(Tensor([np.inf, 1.0]).relu().data, [np.inf, 1.0])


# -- seeds and dtypes ------------------------------------------------------------------------------

def test_manual_seed_makes_random_draws_repeatable():
    ag.manual_seed(123)
    a, b, g = ag.randn(3, 4), ag.rand(5), ag.generator().standard_normal(2)
    ag.manual_seed(123)
    np.testing.assert_array_equal(ag.randn(3, 4).data, a.data)
    np.testing.assert_array_equal(ag.rand(5).data, b.data)
    np.testing.assert_array_equal(ag.generator().standard_normal(2), g)
    ag.manual_seed(124)
    assert not np.array_equal(ag.randn(3, 4).data, a.data)
    assert a.dtype == np.float32 and np.all((b.data >= 0) & (b.data < 1))


def test_set_default_dtype_changes_what_numbers_lists_and_creation_give():
    assert Tensor([1.0]).dtype == np.float32 and ag.zeros(2).dtype == np.float32
    ag.set_default_dtype(np.float64)
    assert ag.get_default_dtype() == np.float64
    for t in (Tensor([1, 2]), Tensor(3.0), ag.zeros(2), ag.ones(2, 2), ag.randn(2), ag.rand(2),
              ag.eye(2), ag.full((2,), 1.5), ag.arange(0.0, 1.0, 0.5)):
        assert t.dtype == np.float64, t
    assert Tensor(np.ones(2, np.float32)).dtype == np.float32, "a float32 ndarray keeps its dtype"
    with pytest.raises(TypeError, match="set_default_dtype"):
        ag.set_default_dtype(np.int64)


def test_dtype_rules_of_the_tensor_constructor():
    assert Tensor([1, 2, 3]).dtype == np.float32, "Python ints in a list become the default dtype"
    assert Tensor(2).dtype == np.float32
    assert Tensor([True, False]).dtype == np.bool_
    assert Tensor(np.ones(2, np.float64)).dtype == np.float64
    assert Tensor(np.ones(2, np.float16)).dtype == np.float16
    assert Tensor(np.float64(1.0)).dtype == np.float64, "a numpy scalar keeps its dtype"
    assert Tensor([1.0], dtype=np.float64).dtype == np.float64
    labels = Tensor(np.array([0, 2, 1]))
    assert labels.dtype == np.int64 and not labels.requires_grad
    with pytest.raises(TypeError, match="float"):
        Tensor(np.array([0, 2, 1]), requires_grad=True)
    with pytest.raises(TypeError, match="float"):
        labels.requires_grad_()
    assert ag.arange(3).dtype == np.int64


# -- user Functions ----------------------------------------------------------------------------------

class Sigmoid(Function):
    """The example of the API page."""
    @staticmethod
    def forward(ctx, x):
        y = 1.0 / (1.0 + np.exp(-x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output * y * (1.0 - y)


def test_a_user_function_is_a_first_class_node():
    x = leaf([[-1.0, 0.0, 2.0]])
    with ag.name_scope("gate"):
        y = Sigmoid.apply(x)
    assert isinstance(y, Tensor) and y.requires_grad and not y.is_leaf
    assert y.grad_fn.name == "sigmoid" and y.grad_fn.inputs == (x,) and y.grad_fn.scope == "gate"
    assert y.grad_fn.needs_input_grad == (True,)
    (y * 3.0).sum().backward()
    s = 1 / (1 + np.exp(-x.data))
    np.testing.assert_allclose(x.grad.data, 3 * s * (1 - s), rtol=1e-12)
    np.testing.assert_allclose(Sigmoid.apply(x).data, ag.sigmoid(x).data, rtol=1e-12)
    assert ag.gradcheck(Sigmoid.apply, [leaf([[0.3, -2.0], [1.0, 4.0]])])


def test_a_user_function_works_on_scalars_too():
    s = Scalar(0.25)
    y = Sigmoid.apply(s)
    assert isinstance(y, Scalar)
    y.backward()
    v = 1 / (1 + np.exp(-0.25))
    assert s.grad == pytest.approx(v * (1 - v), rel=1e-12)


def test_a_user_function_with_several_outputs_gets_one_gradient_per_output():
    class SinCos(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return np.sin(x), np.cos(x)

        @staticmethod
        def backward(ctx, grad_sin, grad_cos):
            (x,) = ctx.saved_tensors
            return grad_sin * np.cos(x) - grad_cos * np.sin(x)

    x = leaf([0.1, 0.7])
    s, c = SinCos.apply(x)
    (s * 2.0 + c * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad.data, 2 * np.cos(x.data) - 3 * np.sin(x.data), rtol=1e-12)


def test_a_user_function_whose_backward_returns_a_wrong_shape_raises_clearly():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output[:1]

    x = leaf(np.ones((2, 2)))
    with pytest.raises(RuntimeError, match=re.escape("bad: backward returned a gradient of shape "
                                                     "(1, 2) for input 0, which has shape (2, 2)")):
        Bad.apply(x).sum().backward()


def test_a_user_function_returning_too_few_gradients_raises_clearly():
    class Half(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output

    with pytest.raises(RuntimeError, match="half: backward returned 1 gradients.*2 inputs"):
        Half.apply(leaf([1.0]), leaf([2.0])).sum().backward()


def test_gradcheck_names_input_element_and_both_values_for_a_wrong_backward():
    class WrongCube(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output * 3 * x ** 2 + (x > 1.5)       # wrong for elements above 1.5

    a = leaf([0.5, -1.0])
    b = Tensor(np.array([[1.0, 2.0], [0.5, 1.0]]), requires_grad=True, label="b")
    with pytest.raises(ag.GradcheckError) as info:
        ag.gradcheck(lambda a, b: (a * WrongCube.apply(b)).sum(), [a, b])
    msg = str(info.value)
    assert "input 1 (b)" in msg and "element (0, 1)" in msg, msg
    # d/db[0, 1] of a[1] * b[0, 1]^3 at a[1] = -1, b[0, 1] = 2 is -12; the wrong rule adds 1
    assert "analytic gradient -11 " in msg and "numeric -12" in msg, msg
    assert "difference 1" in msg, msg
    assert isinstance(info.value, AssertionError)


def test_gradcheck_passes_for_correct_gradients_and_checks_every_output():
    x = leaf([[0.2, -0.4], [1.1, 0.7]])
    assert ag.gradcheck(lambda t: t.tanh() @ t, [x]) is True
    assert ag.gradcheck(lambda t: t.exp() * t, [x], every_output=True) is True
    with pytest.raises(ValueError, match="requires grad"):
        ag.gradcheck(lambda t: t * 2, [Tensor([1.0])])


# -- composite graphs ----------------------------------------------------------------------------

def test_diamonds_and_partly_used_multi_output_nodes_pass_gradcheck():
    def f(x, w):
        h = (x @ w).tanh()                        # reached along five paths below
        first, second, third = h.split([1, 2, 1], dim=1)
        rows = h.unbind(0)                        # rows[0] and rows[2] get no gradient
        return ((first * second.sum(dim=1, keepdim=True)).sum() + h.mean()
                + (rows[1] * h.sigmoid()[2]).sum() + third.max())
    x = leaf(np.linspace(-1.0, 1.0, 12).reshape(3, 4))
    w = leaf(np.linspace(0.5, -0.7, 16).reshape(4, 4))
    assert ag.gradcheck(f, [x, w])


def test_an_unrolled_recurrence_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal(s) for s in ((5, 2, 3), (3, 4), (4, 4), (2, 4))]

    def loss_of(xs, w, u, h0):                   # the same code runs on both libraries
        h, hs = h0, []
        for x_t in xs.unbind(0):
            h = (x_t @ w + h @ u).tanh()
            hs.append(h)
        return (hs[-1] * hs[-1]).sum() + hs[1].sum()

    ours = [Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    loss, tloss = loss_of(*ours), loss_of(*theirs)
    loss.backward()
    tloss.backward()
    np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-12)
    for name, a, b in zip(("xs", "w", "u", "h0"), ours, theirs):
        np.testing.assert_allclose(a.grad.data, b.grad.numpy(), rtol=1e-10, atol=1e-14,
                                   err_msg=f"gradient of {name} differs from torch")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_0d_weight_broadcast_into_many_ops_gets_every_contribution(dtype):
    # A 0-d leaf's reduced gradients are 0-d; summing two of them gives a numpy
    # scalar, which must not be treated as an array that can be added to in place.
    w = Tensor(np.array(0.5, dtype=dtype), requires_grad=True)
    xs = [np.arange(1.0, 4.0) * k for k in range(1, 6)]
    total = sum(((w * Tensor(x)) ** 2).sum() for x in xs)
    total.backward()
    expected = sum(2 * 0.5 * (x ** 2).sum() for x in xs)
    assert w.grad.item() == pytest.approx(expected, rel=1e-6), \
        f"d/dw of sum (w x)^2 over 5 uses should be {expected}, got {w.grad.item()}"


# -- the Scalar sweep (gradients as floats, summed per value) ------------------------------

def test_backward_into_a_freed_scalar_subgraph_raises_before_any_grad_changes():
    a, b, c = Scalar(2.0), Scalar(3.0), Scalar(5.0)
    h = a * b
    h.backward()                                # frees h's node
    before = (a.grad, b.grad, c.grad)
    y = c * h + c
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()
    assert (a.grad, b.grad, c.grad) == before, "a .grad changed although backward raised"


class _SplitSum(Function):
    """Two outputs from one Scalar: (a + b, a * b); a user's multi-output Function."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a + b, a * b

    @staticmethod
    def backward(ctx, g_sum, g_prod):
        a, b = ctx.saved_tensors
        return g_sum + g_prod * b, g_sum + g_prod * a


def test_a_multi_output_function_on_scalars_is_refused_with_a_clear_error():
    a, b = Scalar(2.0), Scalar(3.0)
    with pytest.raises(TypeError, match=r"splitsum: forward returned 2 values.*Scalars has one output"):
        _SplitSum.apply(a, b)
    s, p = _SplitSum.apply(Tensor(2.0, requires_grad=True), Tensor(3.0, requires_grad=True))
    (s * p).backward()                          # the same Function on tensors is fine


class _IntGradient(Function):
    """out = 2a, whose backward returns a numpy number instead of a float."""

    @staticmethod
    def forward(ctx, a):
        return 2.0 * a

    @staticmethod
    def backward(ctx, grad_output):
        return np.float32(2) * np.float32(grad_output)


def test_scalar_gradients_of_other_number_types_become_floats():
    a = Scalar(1.5)
    y = _IntGradient.apply(a) * a              # 2a^2
    y.backward()
    assert type(a.grad) is float and a.grad == pytest.approx(4 * 1.5)


def test_a_backward_that_raised_leaves_no_gradient_waiting_on_a_node():
    x, w, v = leaf([1.0, 2.0]), leaf([3.0, 4.0]), leaf([5.0, 6.0])
    m = x * 3.0                                 # older than h: still waiting when the sweep fails
    h = x * w
    h.sum().backward()                          # frees h's node
    with pytest.raises(RuntimeError, match="second time"):
        (m.sum() + (h * v).sum()).backward()
    assert m.grad_fn.pending is None
    m.sum().backward()                          # m's node runs with this sweep's gradient only
    np.testing.assert_allclose(x.grad.data, [3.0 + 3.0, 4.0 + 3.0])


def test_a_node_reached_first_still_waits_for_a_newer_user_of_its_output():
    # backward reaches y's node first, with nothing else waiting, then z's node,
    # which is newer and sends y a second gradient: y's node must run once, after it
    x = leaf([1.0, -2.0])
    y = x * 2.0
    z = y.tanh() * 3.0
    (y + z).sum().backward()
    t = np.tanh(2.0 * np.array([1.0, -2.0]))
    dy = 1.0 + 3.0 * (1.0 - t * t)
    np.testing.assert_allclose(y.grad_fn.grad_outputs[0], dy)   # both gradients, summed
    np.testing.assert_allclose(x.grad.data, 2.0 * dy)


class _BadSecondGradient(Function):
    """out = a + b, whose backward gets b's gradient's shape wrong."""

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output, np.ones((7, 7))


def test_a_sweep_that_fails_after_reaching_a_node_leaves_no_gradient_waiting_on_it():
    x = leaf([1.0, 2.0])
    a, b = x * 2.0, x * 3.0
    out = _BadSecondGradient.apply(a, b)        # a's node is reached, then b's gradient fails
    with pytest.raises(RuntimeError, match="shape"):
        out.sum().backward()
    assert a.grad_fn.pending is None and b.grad_fn.pending is None
    assert x.grad is None
    a.sum().backward()                          # a's node runs with this sweep's gradient only
    np.testing.assert_allclose(x.grad.data, [2.0, 2.0])
