"""Bad input gets a clear error that names the operation (not a raw numpy traceback),
of the kind the contract says (ValueError for shapes and values, TypeError for types,
RuntimeError for graph state), raised before anything changes."""

import re

import numpy as np
import pytest

import autograd as ag
from autograd import Scalar, Tensor


def leaf(shape):
    return Tensor(np.arange(float(np.prod(shape))).reshape(shape), requires_grad=True)


def unchanged(*tensors):
    """A snapshot to compare with after a failed call: data and grad of each tensor."""
    snap = [(t.data.copy(), None if t.grad is None else t.grad.data.copy()) for t in tensors]

    def check():
        for t, (data, grad) in zip(tensors, snap):
            np.testing.assert_array_equal(t.data, data)
            assert (t.grad is None) == (grad is None)
            if grad is not None:
                np.testing.assert_array_equal(t.grad.data, grad)
    return check


BROADCASTING_OPS = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b, "pow": lambda a, b: a ** b,
    "maximum": ag.maximum, "minimum": ag.minimum,
}


@pytest.mark.parametrize("name", BROADCASTING_OPS)
def test_shapes_that_do_not_broadcast_name_the_op_and_both_shapes(name):
    a, b = leaf((2, 3)), leaf((4,))
    check = unchanged(a, b)
    with pytest.raises(ValueError) as info:
        BROADCASTING_OPS[name](a, b)
    msg = str(info.value)
    assert msg.startswith(f"{name}: ") and "(2, 3)" in msg and "(4,)" in msg \
        and "broadcast" in msg, msg
    check()


def test_where_with_shapes_that_do_not_broadcast():
    with pytest.raises(ValueError, match=r"^where: .*\(2,\).*\(2, 3\).*broadcast"):
        ag.where(np.array([True, False]), leaf((2, 3)), 0.0)


@pytest.mark.parametrize("sa, sb", [((2, 3), (2, 3)), ((3,), (4,)), ((2, 3), (4,)),
                                    ((5, 2, 3), (4, 2))])
def test_matmul_with_mismatched_inner_dims_names_both_shapes(sa, sb):
    a, b = leaf(sa), leaf(sb)
    with pytest.raises(ValueError) as info:
        a @ b
    msg = str(info.value)
    assert msg.startswith("matmul: ") and str(sa) in msg and str(sb) in msg, msg


def test_matmul_with_batch_dims_that_do_not_broadcast_or_a_0d_operand():
    with pytest.raises(ValueError, match=r"^matmul: batch dimensions"):
        leaf((2, 3, 4)) @ leaf((5, 4, 2))
    with pytest.raises(ValueError, match=r"^matmul: .*at least one dimension"):
        leaf((2, 3)) @ leaf(())


@pytest.mark.parametrize("bias, sa, sb, why", [
    ((4,), (2, 3), (4, 3), "inner dimensions differ"),
    ((4,), (3,), (3, 4), "must be matrices"),
    ((4,), (1, 2, 3), (3, 4), "must be matrices"),
    ((5,), (2, 3), (3, 4), "does not broadcast"),
    ((3, 2, 4), (2, 3), (3, 4), "does not broadcast"),   # a bias may not widen the result
])
def test_addmm_names_the_shapes_and_what_they_break(bias, sa, sb, why):
    with pytest.raises(ValueError) as info:
        ag.addmm(leaf(bias), leaf(sa), leaf(sb))
    msg = str(info.value)
    assert msg.startswith("addmm: ") and why in msg, msg
    assert all(str(s) in msg for s in (bias, sa, sb)), msg


def test_addmm_of_scalars_names_the_operation():
    with pytest.raises(ValueError, match=r"^addmm: mat1 and mat2 must be matrices"):
        ag.addmm(ag.Scalar(1.0), ag.Scalar(2.0), ag.Scalar(3.0))


def test_requires_grad_on_integer_data_is_a_type_error():
    for make in (lambda: Tensor(np.array([1, 2]), requires_grad=True),
                 lambda: Tensor(np.array([1, 2])).requires_grad_(),
                 lambda: ag.zeros(2, dtype=np.int64, requires_grad=True),
                 lambda: ag.arange(3, requires_grad=True)):
        with pytest.raises(TypeError, match="requires_grad.*int64"):
            make()


def test_backward_without_grad_on_a_tensor_of_several_elements():
    x = leaf((2, 2))
    y = x * 2.0
    with pytest.raises(RuntimeError, match=r"^backward: .*one element.*\(2, 2\)"):
        y.backward()
    assert x.grad is None
    y.backward(np.ones((2, 2)))          # the graph was left intact
    np.testing.assert_array_equal(x.grad.data, np.full((2, 2), 2.0))


@pytest.mark.parametrize("grad", [np.ones(3), np.ones((1, 2, 2)), Tensor(np.ones((2, 1))), 2.0])
def test_backward_with_a_grad_of_the_wrong_shape(grad):
    x = leaf((2, 2))
    y = x * 2.0
    with pytest.raises(ValueError, match=r"^backward: grad has shape .* but the tensor has shape \(2, 2\)"):
        y.backward(grad)
    assert x.grad is None
    y.backward(np.ones((2, 2)))


def test_backward_of_a_tensor_that_does_not_require_grad():
    with pytest.raises(RuntimeError, match="^backward: .*does not require grad"):
        Tensor([1.0, 2.0]).sum().backward()


def test_second_backward_through_a_freed_graph_names_the_op_and_the_fix():
    x = leaf((3,))
    y = (x.exp() * 2.0).sum()
    y.backward()
    check = unchanged(x)
    with pytest.raises(RuntimeError, match=r"^sum: .*second time.*retain_graph=True"):
        y.backward()
    check()


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "**"])
def test_an_op_mixing_scalar_and_tensor_is_a_type_error(op):
    s, t = Scalar(2.0), Tensor([1.0, 2.0], requires_grad=True)
    for left, right in ((s, t), (t, s)):
        with pytest.raises(TypeError, match="cannot mix a (Scalar|Tensor) and a (Tensor|Scalar)"):
            eval(f"left {op} right")


def test_scalar_and_tensor_cannot_meet_in_functions_either():
    with pytest.raises(TypeError, match="^cat: .*Scalar"):
        ag.cat([Tensor([1.0]), Scalar(1.0)])
    with pytest.raises(TypeError, match="^maximum: cannot mix"):
        ag.maximum(Tensor([1.0]), Scalar(1.0))


@pytest.mark.parametrize("data", ["abc", ["a", "b"], None, {"a": 1}, object(),
                                  np.array([object(), object()]), np.array(["x"]),
                                  np.array([1, 2], dtype=object)], ids=repr)
def test_non_numeric_data_is_a_type_error(data):
    with pytest.raises(TypeError, match="^Tensor: data must be"):
        Tensor(data)


@pytest.mark.parametrize("other", ["abc", None, object(), np.array(["x", "y"]),
                                   np.array([1.0, 2.0], dtype=object), ["a", "b"]], ids=repr)
def test_non_numeric_operands_are_type_errors(other):
    t = Tensor([1.0, 2.0], requires_grad=True)
    for op in (lambda: t + other, lambda: other * t, lambda: t @ other):
        with pytest.raises(TypeError):
            op()


@pytest.mark.parametrize("data", ["1.0", None, True, np.ones(2), [1.0]], ids=repr)
def test_scalar_accepts_only_real_numbers(data):
    with pytest.raises(TypeError, match="^Scalar: data must be a real number"):
        Scalar(data)
    with pytest.raises(TypeError, match="^add: a Scalar combines with numbers and Scalars"):
        Scalar(1.0) + data


def test_ragged_nested_lists_are_a_value_error():
    with pytest.raises(ValueError, match="^Tensor: data must be a rectangular"):
        Tensor([[1.0, 2.0], [3.0]])


# shape and axis arguments: one case per op, each a ValueError that names the op
SHAPE_ERRORS = {
    "reshape": lambda t: t.reshape(4, 2),
    "view": lambda t: t.view(-1, -1),
    "permute": lambda t: t.permute(0, 2),
    "transpose": lambda t: t.transpose(0, 2),
    "squeeze": lambda t: t.squeeze(2),
    "unsqueeze": lambda t: t.unsqueeze(4),
    "flatten": lambda t: t.flatten(1, 0),
    "expand": lambda t: t.expand(3, 3),
    "sum": lambda t: t.sum(axis=2),
    "mean": lambda t: t.mean(dim=(0, 0)),
    "var": lambda t: t.var(dim=-3),
    "max": lambda t: t.max(axis=5),
    "cat": lambda t: ag.cat([t, leaf((3, 2))]),
    "stack": lambda t: ag.stack([t, leaf((3, 2))]),
    "split": lambda t: t.split([1, 3], dim=1),
    "chunk": lambda t: t.chunk(0),
    "unbind": lambda t: t.unbind(2),
    "clip": lambda t: t.clip(),
    "item": lambda t: t.item(),
}


@pytest.mark.parametrize("name", SHAPE_ERRORS)
def test_bad_shapes_and_axes_are_value_errors_naming_the_op(name):
    t = leaf((2, 3))
    check = unchanged(t)
    expected = {"view": "reshape"}.get(name, name)
    with pytest.raises(ValueError, match=rf"^{expected}: "):
        SHAPE_ERRORS[name](t)
    check()


def test_bad_axis_types_and_empty_reductions():
    with pytest.raises(TypeError, match="^mean: axis must be an int or a tuple of ints"):
        leaf((2, 3)).mean(axis=1.5)
    with pytest.raises(ValueError, match=r"^max: cannot reduce an empty tensor of shape \(0,\)"):
        Tensor(np.ones(0)).max()
    with pytest.raises(ValueError, match="^cat: needs at least one tensor"):
        ag.cat([])
    with pytest.raises(ValueError, match="^cat: 0-d tensors .* use stack"):
        ag.cat([Tensor(1.0), Tensor(2.0)])
    with pytest.raises(ValueError, match="^unbind: a 0-d tensor"):
        Tensor(1.0).unbind()
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        list(Tensor(1.0))


def test_bad_indices_name_getitem():
    t = leaf((2, 3))
    with pytest.raises(IndexError, match=r"^getitem: index 5 does not fit a tensor of shape \(2, 3\)"):
        t[5]
    with pytest.raises(IndexError, match="^getitem: an index array must hold integers or booleans"):
        t[np.array([0.5])]


def test_where_needs_a_boolean_condition_and_to_a_numeric_dtype():
    with pytest.raises(TypeError, match="^where: the condition must be boolean"):
        ag.where(np.array([1, 0]), 1.0, 2.0)
    with pytest.raises(TypeError, match="^to: "):
        Tensor([1.0]).to(np.str_)


def test_a_failed_op_leaves_grad_mode_and_scope_as_they_were():
    with ag.name_scope("enc"):
        with pytest.raises(ValueError):
            leaf((2,)) + leaf((3,))
        assert ag.current_scope() == "enc"
    assert ag.is_grad_enabled() and ag.current_scope() == ""


def test_setitem_into_a_tensor_that_requires_grad_is_refused():
    t = leaf((3,))
    check = unchanged(t)
    with pytest.raises(RuntimeError, match=re.escape("setitem: cannot assign")):
        t[0] = 5.0
    check()
