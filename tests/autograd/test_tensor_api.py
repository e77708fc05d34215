"""The Tensor and Scalar API of the contract, item by item: attributes, leaves and
gradients, operator dispatch, comparisons, the ag.<name> spellings, PyTorch's
axis and split conventions, creation functions and conversions."""

import numpy as np
import pytest

import autograd as ag
from autograd import Scalar, Tensor

RNG = np.random.default_rng(7)


def leaf(shape, dtype=np.float64):
    return Tensor(RNG.standard_normal(shape).astype(dtype), requires_grad=True)


# -- attributes --------------------------------------------------------------------------

def test_attributes_of_a_leaf_and_of_an_op_result():
    x = Tensor([[1.0, 2.0, 3.0]], requires_grad=True, label="x")
    assert isinstance(x.data, np.ndarray) and x.grad is None
    assert x.requires_grad and x.is_leaf and x.grad_fn is None
    assert (x.shape, x.ndim, x.dtype, x.label) == ((1, 3), 2, np.float32, "x")
    y = x * 2.0
    assert not y.is_leaf and y.grad_fn.name == "mul" and y.requires_grad and y.label is None
    assert x.T.shape == (3, 1)
    c = Tensor(np.ones(2))
    assert not c.requires_grad and c.is_leaf and (c * 2.0).grad_fn is None


def test_a_tensor_made_from_a_tensor_shares_its_values():
    x = Tensor([1.0, 2.0])
    assert np.array_equal(Tensor(x).data, x.data) and Tensor(x, dtype=np.float64).dtype == np.float64


def test_backward_accepts_a_tensor_an_ndarray_or_a_number_as_grad():
    for grad in (Tensor([[3.0]]), np.array([[3.0]]), 3.0, 3):
        x = Tensor([[2.0]], requires_grad=True)
        (x * x).backward(grad)
        assert x.grad.data.tolist() == [[12.0]] and x.grad.dtype == np.float32


def test_item_numpy_detach():
    x = Tensor(np.array([[1.5]]), requires_grad=True)
    assert x.item() == 1.5 and type(x.item()) is float
    assert x.numpy() is x.data, "numpy() must be copy-free"
    d = (x * 2.0).detach()
    assert d.is_leaf and not d.requires_grad and d.grad_fn is None
    d2 = x.detach()
    assert np.shares_memory(d2.data, x.data)     # as in PyTorch: same storage, no graph
    assert float(Tensor(2.5)) == 2.5 and int(Tensor(np.array(3))) == 3


def test_requires_grad_retain_grad_and_zero_grad():
    x = Tensor([1.0, 2.0])
    assert x.requires_grad_() is x and x.requires_grad
    assert x.requires_grad_(False) is x and not x.requires_grad
    x.requires_grad_(True)
    y = x * 3.0
    with pytest.raises(RuntimeError, match="requires_grad_: cannot turn gradients off for a non-leaf"):
        y.requires_grad_(False)
    y.retain_grad()
    y.sum().backward()
    assert y.grad.data.tolist() == [1.0, 1.0] and x.grad.data.tolist() == [3.0, 3.0]
    x.zero_grad()
    y.zero_grad()
    assert x.grad is None and y.grad is None


def test_len_iter_bool_and_repr():
    x = Tensor(np.arange(6.0).reshape(3, 2), requires_grad=True, label="w")
    assert len(x) == 3
    rows = list(x)
    assert len(rows) == 3 and rows[1].data.tolist() == [2.0, 3.0] and rows[0].grad_fn is not None
    assert bool(Tensor([1.0])) and not bool(Tensor(0.0))
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(x)
    with pytest.raises(TypeError, match="len"):
        len(Tensor(1.0))
    r = repr(x)
    assert r.startswith("Tensor(") and "requires_grad=True" in r and "'w'" in r
    assert "grad_fn=<MulBackward>" in repr(x * 2.0)


# -- operators -------------------------------------------------------------------------------

OPERATORS = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
    "/": lambda a, b: a / b, "**": lambda a, b: a ** b, "@": lambda a, b: a @ b,
}


@pytest.mark.parametrize("op", OPERATORS)
@pytest.mark.parametrize("side", ["ndarray on the left", "ndarray on the right"])
def test_operators_with_an_ndarray_on_either_side_give_a_tensor_with_gradient(op, side):
    t = Tensor(RNG.uniform(0.5, 2.0, (2, 2)), requires_grad=True)
    arr = RNG.uniform(0.5, 2.0, (2, 2))
    f = OPERATORS[op]
    out = f(arr, t) if side == "ndarray on the left" else f(t, arr)
    assert isinstance(out, Tensor), f"ndarray {op} Tensor gave {type(out).__name__}"
    want = f(arr, t.data) if side == "ndarray on the left" else f(t.data, arr)
    np.testing.assert_allclose(out.data, want, rtol=1e-12)
    out.sum().backward()
    assert t.grad is not None and t.grad.shape == (2, 2)


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "**"])
def test_operators_with_python_and_numpy_numbers_on_either_side(op):
    t = Tensor([0.5, 2.0], requires_grad=True)
    f = OPERATORS[op]
    for number in (3, 2.5, np.float64(2.5), np.int32(3)):
        for out, want in ((f(t, number), f(t.data, number)), (f(number, t), f(number, t.data))):
            assert isinstance(out, Tensor) and out.dtype == np.float32, (op, number, out)
            np.testing.assert_allclose(out.data, want, rtol=1e-6)


def test_unary_minus_plus_and_abs():
    t = Tensor([-1.5, 2.0], requires_grad=True)
    assert (-t).data.tolist() == [1.5, -2.0] and abs(t).data.tolist() == [1.5, 2.0]
    assert (+t) is t
    (abs(t) + -t).sum().backward()
    assert t.grad.data.tolist() == [-2.0, 0.0]


COMPARISONS = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
               "==": np.equal, "!=": np.not_equal}


@pytest.mark.parametrize("op", COMPARISONS)
def test_comparisons_give_boolean_tensors_outside_the_graph(op):
    a = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    for other in (2.0, np.array([3.0, 2.0, 1.0]), Tensor([3.0, 2.0, 1.0], requires_grad=True)):
        raw = other.data if isinstance(other, Tensor) else other
        for out, want in ((eval(f"a {op} other"), COMPARISONS[op](a.data, raw)),
                          (eval(f"other {op} a"), COMPARISONS[op](raw, a.data))):
            assert isinstance(out, Tensor) and out.dtype == np.bool_
            assert not out.requires_grad and out.grad_fn is None
            np.testing.assert_array_equal(out.data, want)


def test_a_comparison_can_select_with_where_and_mask_with_indexing():
    x = Tensor([-1.0, 2.0, -3.0, 4.0], requires_grad=True)
    y = ag.where(x > 0, x, x * 0.1)
    (y.sum() + x[x > 0].sum()).backward()
    np.testing.assert_allclose(x.grad.data, [0.1, 2.0, 0.1, 2.0], rtol=1e-6)


def test_tensors_stay_hashable_by_identity():
    a, b = Tensor([1.0]), Tensor([1.0])
    assert len({a, b}) == 2 and {a: 1}[a] == 1


# -- the ag.<name> spellings -------------------------------------------------------------------

FUNCTION_FORMS = [
    ("sum", (), {"dim": 1}), ("mean", (0,), {}), ("var", (), {"dim": 0, "correction": 0}),
    ("max", (1,), {}), ("min", (), {}), ("logsumexp", (1,), {}), ("exp", (), {}),
    ("log", (), {}), ("log1p", (), {}), ("sqrt", (), {}), ("tanh", (), {}), ("sigmoid", (), {}),
    ("relu", (), {}), ("erf", (), {}), ("abs", (), {}), ("clip", (0.5, 1.5), {}),
    ("clamp", (), {"min": 0.5}), ("reshape", (3, 2), {}), ("view", ((6,),), {}),
    ("transpose", (0, 1), {}), ("permute", (1, 0), {}), ("squeeze", (), {}),
    ("unsqueeze", (0,), {}), ("flatten", (), {}), ("expand", (4, 2, 3), {}),
    ("broadcast_to", ((4, 2, 3),), {}),
]


@pytest.mark.parametrize("name, args, kwargs", FUNCTION_FORMS, ids=[f[0] for f in FUNCTION_FORMS])
def test_ag_function_form_equals_the_method(name, args, kwargs):
    data = RNG.uniform(0.2, 2.0, (2, 3))
    t = Tensor(data, requires_grad=True)
    by_method = getattr(t, name)(*args, **kwargs)
    by_function = getattr(ag, name)(t, *args, **kwargs)
    np.testing.assert_array_equal(by_function.data, by_method.data)
    assert by_function.grad_fn is not None or by_function is t     # (a squeeze that drops nothing)
    # an ndarray or a nested list is taken as a constant Tensor
    np.testing.assert_allclose(getattr(ag, name)(data, *args, **kwargs).data, by_method.data)
    np.testing.assert_allclose(getattr(ag, name)(data.tolist(), *args, **kwargs).data,
                               by_method.data, rtol=1e-6)


def test_ag_split_chunk_unbind_matmul_and_concatenate_forms():
    t = leaf((5, 2))
    assert [p.shape for p in ag.split(t, 2)] == [(2, 2), (2, 2), (1, 2)]
    assert [p.shape for p in ag.chunk(t, 2)] == [(3, 2), (2, 2)]
    assert [p.shape for p in ag.unbind(t, 1)] == [(5,), (5,)]
    assert ag.matmul(t, t.T).shape == (5, 5)
    assert ag.concatenate([t, t], axis=1).shape == (5, 4) and ag.cat([t, t], dim=0).shape == (10, 2)
    assert ag.stack([t, t], dim=-1).shape == (5, 2, 2)


def test_split_pieces_are_the_views_np_split_makes_and_gradients_join_back():
    from autograd.ops.shape import Split
    a = RNG.standard_normal((3, 7, 2))
    for bounds, axis in (([2, 5], 1), ([0, 3, 3, 9], 1), ([1], -1), ([2], 0), (2, 2), (3, 0)):
        ours = Split.apply(Tensor(a), bounds, axis=axis)
        theirs = np.split(a, bounds, axis=axis)
        assert len(ours) == len(theirs)
        for o, n in zip(ours, theirs):
            assert o.shape == n.shape and np.shares_memory(o.data, a) == (n.size > 0)
            np.testing.assert_array_equal(o.data, n)
    t = leaf((4, 6))
    first, second = t.split([4, 2], dim=1)
    (first.sum() * 2 + second.sum()).backward()
    np.testing.assert_array_equal(t.grad.data, np.repeat([[2.0] * 4 + [1.0] * 2], 4, axis=0))


# -- PyTorch's conventions ------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["sum", "mean", "var", "max", "min", "logsumexp"])
def test_dim_and_keepdim_are_aliases_of_axis_and_keepdims(name):
    t = leaf((2, 3, 4))
    for axis in (1, (0, 2), -1):
        a = getattr(t, name)(axis=axis, keepdims=True)
        b = getattr(t, name)(dim=axis, keepdim=True)
        c = getattr(ag, name)(t, axis, True)
        assert a.shape == b.shape == c.shape
        np.testing.assert_array_equal(a.data, b.data)
        np.testing.assert_array_equal(a.data, c.data)
    with pytest.raises(TypeError, match=f"{name}: give axis= or dim=, not both"):
        getattr(t, name)(axis=0, dim=0)


def test_var_is_pytorchs_unbiased_by_default():
    data = RNG.standard_normal((4, 5))
    t = Tensor(data)
    np.testing.assert_allclose(t.var().data, np.var(data, ddof=1), rtol=1e-12)
    np.testing.assert_allclose(t.var(1).data, np.var(data, axis=1, ddof=1), rtol=1e-12)
    np.testing.assert_allclose(t.var(dim=0, correction=0).data, np.var(data, axis=0), rtol=1e-12)
    np.testing.assert_allclose(t.var(dim=0, unbiased=False).data, np.var(data, axis=0), rtol=1e-12)
    np.testing.assert_allclose(ag.var(t, dim=1, keepdim=True).data,
                               np.var(data, axis=1, ddof=1, keepdims=True), rtol=1e-12)


def test_max_and_min_along_an_axis_return_the_values_only():
    t = Tensor([[1.0, 5.0], [7.0, 2.0]])
    m = t.max(dim=1)
    assert isinstance(m, Tensor) and m.data.tolist() == [5.0, 7.0]
    assert t.min(axis=0).data.tolist() == [1.0, 2.0] and t.max().item() == 7.0


def test_split_and_chunk_follow_pytorch():
    t = Tensor(np.arange(7.0))
    assert [p.data.tolist() for p in t.split(3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [p.shape for p in t.split([2, 0, 5])] == [(2,), (0,), (5,)]
    assert [p.shape for p in t.split(10)] == [(7,)]
    # chunk: pieces of ceil(n / chunks), so maybe fewer than asked for
    assert [p.shape[0] for p in Tensor(np.arange(6.0)).chunk(4)] == [2, 2, 2]
    assert [p.shape[0] for p in Tensor(np.arange(5.0)).chunk(3)] == [2, 2, 1]
    assert [p.shape[0] for p in Tensor(np.arange(2.0)).chunk(5)] == [1, 1]
    pieces = Tensor(np.arange(12.0).reshape(3, 4), requires_grad=True).split(2, dim=-1)
    assert [p.shape for p in pieces] == [(3, 2), (3, 2)]
    assert pieces[0].grad_fn is pieces[1].grad_fn, "split should be one multi-output node"


def test_transpose_and_permute_have_pytorchs_meaning_and_T_numpys():
    data = np.arange(24.0).reshape(2, 3, 4)
    t = Tensor(data)
    assert t.transpose(0, 2).shape == (4, 3, 2) and t.transpose(-1, 1).shape == (2, 4, 3)
    np.testing.assert_array_equal(t.transpose(0, 1).data, np.swapaxes(data, 0, 1))
    assert t.permute(2, 0, 1).shape == (4, 2, 3) and t.permute((1, 2, 0)).shape == (3, 4, 2)
    np.testing.assert_array_equal(t.T.data, data.T)
    v = Tensor([1.0, 2.0])
    assert v.T is v


def test_reshape_view_squeeze_unsqueeze_flatten_expand_spellings():
    t = Tensor(np.zeros((2, 1, 3)))
    assert t.reshape(3, 2).shape == t.reshape((3, 2)).shape == t.view(-1, 2).shape == (3, 2)
    assert t.squeeze().shape == (2, 3) and t.squeeze(1).shape == (2, 3) and t.squeeze(0).shape == t.shape
    assert t.unsqueeze(-1).shape == (2, 1, 3, 1) and t.flatten().shape == (6,)
    assert t.flatten(1).shape == (2, 3) and Tensor(5.0).flatten().shape == (1,)
    assert t.expand(4, 2, 5, 3).shape == (4, 2, 5, 3) and t.expand(-1, 2, -1).shape == (2, 2, 3)


# -- numerics ---------------------------------------------------------------------------------------

def test_sigmoid_and_logsumexp_are_stable_for_large_inputs():
    with np.errstate(over="raise", invalid="raise", divide="raise"):   # not even in a hidden step
        x = Tensor([-1e4, 0.0, 1e4], requires_grad=True)
        s = x.sigmoid()
        np.testing.assert_array_equal(s.data, [0.0, 0.5, 1.0])
        big = Tensor([[1000.0, 1000.0], [-1000.0, 0.0]], requires_grad=True)
        lse = big.logsumexp(dim=1)
        lse.sum().backward()
    np.testing.assert_allclose(lse.data, [1000.0 + np.log(2.0), 0.0], rtol=1e-6)
    np.testing.assert_allclose(big.grad.data, [[0.5, 0.5], [0.0, 1.0]], rtol=1e-6)


# -- creation and conversion -------------------------------------------------------------------------

def test_creation_functions():
    assert ag.zeros(2, 3).shape == ag.zeros((2, 3)).shape == (2, 3)
    assert ag.ones(4).data.tolist() == [1.0] * 4 and ag.full((2,), 7.0).data.tolist() == [7.0, 7.0]
    assert ag.zeros_like(ag.ones(2, 2)).data.sum() == 0 and ag.ones_like(np.zeros(3)).shape == (3,)
    np.testing.assert_array_equal(ag.eye(3).data, np.eye(3))
    assert ag.arange(5).data.tolist() == [0, 1, 2, 3, 4] and ag.arange(5).dtype == np.int64
    assert ag.arange(1.0, 2.0, 0.25).data.tolist() == [1.0, 1.25, 1.5, 1.75]
    w = ag.randn(3, 2, requires_grad=True)
    assert w.requires_grad and w.is_leaf and w.dtype == np.float32
    assert ag.zeros(2, dtype=np.float64).dtype == np.float64
    t = ag.tensor([1, 2], requires_grad=True, label="t")
    assert t.requires_grad and t.label == "t" and t.dtype == np.float32


def test_casts_keep_the_gradient_in_the_source_dtype():
    x = Tensor([1.5, 2.5], requires_grad=True)
    y = x.double()
    assert y.dtype == np.float64 and y.grad_fn.name == "cast"
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.data.tolist() == [3.0, 5.0]
    assert x.float() is x and x.to(np.float32) is x
    n = x.long()
    assert n.dtype == np.int64 and n.data.tolist() == [1, 2] and not n.requires_grad


def test_setitem_on_a_constant_tensor():
    t = Tensor(np.zeros(4))
    t[1:3] = 5.0
    t[np.array([0])] = Tensor([2.0])
    assert t.data.tolist() == [2.0, 5.0, 5.0, 0.0]


# -- Scalar ------------------------------------------------------------------------------------------

def test_scalar_attributes():
    s = Scalar(2, label="w")
    assert s.data == 2.0 and type(s.data) is float and s.grad == 0.0 and s.label == "w"
    assert s.is_leaf and s.grad_fn is None and Scalar(1.0).label == ""
    y = s * s
    assert not y.is_leaf and y.grad_fn.name == "mul" and y.grad_fn.inputs == (s, s)
    y.backward()
    assert s.grad == 4.0 and float(s) == 2.0 and s.item() == 2.0
    s.zero_grad()
    assert s.grad == 0.0
    assert "w" in repr(s) and "data=2" in repr(s)


def test_scalar_ops_inside_no_grad_are_not_recorded():
    s = Scalar(2.0)
    with ag.no_grad():
        y = s * 3.0
    assert y.grad_fn is None and y.data == 6.0
