"""The op table: one row per differentiable Tensor operation.

A row (`OpSpec`) says how to draw inputs for an operation (a hypothesis
strategy of `Case`s: the differentiable inputs as float64 arrays, plus keyword
arguments for everything else: axes, exponents, indices, conditions), how
glassgrad computes it, and how numpy and PyTorch compute the same thing.
`test_ops.py` turns every row into three tests: a finite-difference gradient
check, a value check against numpy, and a value-and-gradient check against
PyTorch.

Inputs stay away from the points where an operation has no derivative (the
kink of abs and relu at 0, clip's bounds, ties of max/min/maximum/minimum):
such inputs come from `distinct`, a grid of well separated values. Rows marked
`gradcheck=False` deliberately draw ties, to compare the tie rule with
PyTorch's (the gradient shared evenly among the tied elements).

Adding an operation means adding its row here.
"""

import math
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd as ag
from autograd.ops.reduce import CrossEntropy

try:
    import torch
except ImportError:            # the PyTorch references are then simply not run
    torch = None

MAX_SIDE = 4


@dataclass(frozen=True)
class Case:
    """One drawn input: `arrays` get requires_grad, `kwargs` pass as they are."""
    arrays: tuple
    kwargs: dict


@dataclass(frozen=True)
class OpSpec:
    name: str
    inputs: st.SearchStrategy                   # of Case
    op: Callable                                # (*Tensors, **kwargs) -> Tensor or tuple
    numpy: Callable                             # (*ndarrays, **kwargs) -> ndarray or tuple
    torch: Optional[Callable] = None            # (*torch tensors, **kwargs) -> the same
    gradcheck: bool = True                      # False for rows that draw ties on purpose
    gradcheck_options: dict = field(default_factory=dict)

    def __repr__(self):                         # what pytest shows as the test id
        return self.name


# -- strategies -------------------------------------------------------------------

def values(lo=-2.0, hi=2.0):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)


def away_from_zero(lo=0.5, hi=2.0):
    return st.one_of(values(-hi, -lo), values(lo, hi))


def shapes(min_dims=0, max_dims=3, min_side=1, max_side=MAX_SIDE):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def array(shape, elements=None):
    return hnp.arrays(np.float64, shape, elements=elements if elements is not None else values())


_GRID = np.arange(-96, 97) / 32.0          # step 1/32, far above gradcheck's eps


@st.composite
def distinct(draw, shape_list, avoid=()):
    """Arrays of the given shapes whose values are all different (no ties between
    or within them) and at least 1/64 away from each point in `avoid`."""
    grid = [float(v) for v in _GRID if all(abs(v - p) > 1 / 64 for p in avoid)]
    sizes = [int(np.prod(s)) for s in shape_list]
    picked = draw(st.permutations(grid))[:sum(sizes)]
    out, start = [], 0
    for shape, n in zip(shape_list, sizes):
        out.append(np.array(picked[start:start + n], dtype=np.float64).reshape(shape))
        start += n
    return out


@st.composite
def with_ties(draw, shape_list):
    """Arrays of small integers: ties everywhere."""
    return [draw(hnp.arrays(np.float64, s, elements=st.integers(0, 2).map(float)))
            for s in shape_list]


def broadcast_shapes(n=2):
    return hnp.mutually_broadcastable_shapes(num_shapes=n, max_dims=3,
                                             max_side=MAX_SIDE).map(lambda r: r.input_shapes)


@st.composite
def unary(draw, elements=None, shape=None, **kwargs):
    """One array; `kwargs` may be strategies, drawn into the case's keyword arguments."""
    a = draw(array(shape if shape is not None else draw(shapes()), elements))
    return Case((a,), {k: draw(v) for k, v in kwargs.items()})


@st.composite
def unary_distinct(draw, avoid=(), **kwargs):
    (a,) = draw(distinct([draw(shapes())], avoid))
    return Case((a,), {k: draw(v) for k, v in kwargs.items()})


@st.composite
def binary(draw, a_elements=None, b_elements=None):
    """Two arrays whose shapes broadcast together (size-1 axes, missing axes, 0-d)."""
    sa, sb = draw(broadcast_shapes(2))
    return Case((draw(array(sa, a_elements)), draw(array(sb, b_elements))), {})


@st.composite
def binary_distinct(draw, ties=False):
    shape_pair = draw(broadcast_shapes(2))
    arrays = draw(with_ties(shape_pair) if ties else distinct(shape_pair))
    return Case(tuple(arrays), {})


@st.composite
def number_operand(draw, elements=None, number=None):
    """An array and a Python number `c` (for `a + c`, `c - a`, ...)."""
    a = draw(array(draw(shapes()), elements))
    return Case((a,), {"c": draw(number if number is not None else away_from_zero())})


@st.composite
def ndarray_operand(draw):
    sa, sb = draw(broadcast_shapes(2))
    return Case((draw(array(sa)),), {"other": draw(array(sb))})


@st.composite
def where_case(draw):
    sc, sa, sb = draw(broadcast_shapes(3))
    cond = draw(hnp.arrays(np.bool_, sc))
    return Case((draw(array(sa)), draw(array(sb))), {"cond": cond})


def axes(ndim):
    """None, one axis (maybe negative) or a tuple of distinct axes (in any order)."""
    if ndim == 0:
        return st.none()
    one = st.integers(-ndim, ndim - 1)
    several = st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).flatmap(
        lambda ax: st.tuples(*[st.sampled_from([a, a - ndim]) for a in ax]))
    return st.one_of(st.none(), one, several)


def reduced_count(shape, axis):
    if axis is None:
        return int(np.prod(shape))
    axis = (axis,) if isinstance(axis, int) else axis
    return int(np.prod([shape[a] for a in axis]))


@st.composite
def reduction(draw, kind="values", var=False):
    shape = draw(shapes())
    if kind == "distinct":
        (a,) = draw(distinct([shape]))
    elif kind == "ties":
        (a,) = draw(with_ties([shape]))
    else:
        a = draw(array(shape))
    kwargs = {"axis": draw(axes(len(shape))), "keepdims": draw(st.booleans())}
    if var:   # n - correction must stay positive
        n = reduced_count(shape, kwargs["axis"])
        kwargs["correction"] = draw(st.sampled_from([0, 1] if n > 1 else [0]))
    return Case((a,), kwargs)


@st.composite
def reshape_case(draw):
    shape = draw(shapes())
    new = list(draw(st.permutations(shape)))
    for _ in range(draw(st.integers(0, 2))):
        new.insert(draw(st.integers(0, len(new))), 1)
    if new and draw(st.booleans()):
        new[draw(st.integers(0, len(new) - 1))] = -1
    return Case((draw(array(shape)),), {"shape": tuple(new)})


@st.composite
def permute_case(draw):
    shape = draw(shapes(min_dims=1))
    dims = draw(st.permutations(range(len(shape))))
    dims = [draw(st.sampled_from([d, d - len(shape)])) for d in dims]
    return Case((draw(array(shape)),), {"dims": tuple(dims)})


@st.composite
def transpose_case(draw):
    shape = draw(shapes(min_dims=1))
    n = len(shape)
    return Case((draw(array(shape)),),
                {"dim0": draw(st.integers(-n, n - 1)), "dim1": draw(st.integers(-n, n - 1))})


@st.composite
def squeeze_case(draw):
    shape = draw(shapes(max_side=2))
    n = len(shape)
    dim = draw(st.none() | (st.integers(-n, n - 1) if n else st.none())
               | st.lists(st.integers(0, max(n - 1, 0)), unique=True, max_size=n).map(tuple))
    return Case((draw(array(shape)),), {"dim": dim})


@st.composite
def unsqueeze_case(draw):
    shape = draw(shapes())
    n = len(shape) + 1
    return Case((draw(array(shape)),), {"dim": draw(st.integers(-n, n - 1))})


@st.composite
def flatten_case(draw):
    shape = draw(shapes(min_dims=1))
    n = len(shape)
    start = draw(st.integers(0, n - 1))
    end = draw(st.integers(start, n - 1))
    return Case((draw(array(shape)),), {"start_dim": draw(st.sampled_from([start, start - n])),
                                        "end_dim": draw(st.sampled_from([end, end - n]))})


@st.composite
def expand_case(draw, allow_minus_one=True):
    shape = draw(shapes(max_side=2))
    lead = draw(st.lists(st.integers(1, 3), max_size=2))
    sizes = []
    for s in shape:
        if s == 1:
            sizes.append(draw(st.integers(1, 3)))
        else:
            sizes.append(draw(st.sampled_from([s, -1] if allow_minus_one else [s])))
    return Case((draw(array(shape)),), {"sizes": tuple(lead + sizes)})


def _resolved(sizes, shape):
    lead = len(sizes) - len(shape)
    return tuple(shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))


@st.composite
def basic_index_case(draw, negative_steps=False):
    shape = draw(shapes(min_dims=1))
    steps = [None, 1, 2, 3] + ([-1, -2] if negative_steps else [])
    k = draw(st.integers(1, len(shape)))
    ellipsis = draw(st.booleans())          # then the parts index the last k axes
    parts = []
    for n in (shape[-k:] if ellipsis else shape[:k]):
        if draw(st.booleans()):
            parts.append(draw(st.integers(-n, n - 1)))
        else:
            bound = st.none() | st.integers(-n - 1, n + 1)
            parts.append(slice(draw(bound), draw(bound), draw(st.sampled_from(steps))))
    if ellipsis:
        parts.insert(0, Ellipsis)
    index = tuple(parts) if len(parts) > 1 or draw(st.booleans()) else parts[0]
    return Case((draw(array(shape)),), {"index": index})


@st.composite
def int_array_index_case(draw):
    """Integer indices into the first axis, repeats likely (their gradients add up)."""
    shape = draw(shapes(min_dims=1))
    n = shape[0]
    idx_shape = draw(shapes(min_dims=1, max_dims=2, max_side=6))
    idx = draw(hnp.arrays(np.int64, idx_shape, elements=st.integers(-n, n - 1)))
    return Case((draw(array(shape)),), {"index": idx})


@st.composite
def class_scores_case(draw):
    """Rows of class scores (N, C) and a class per row, repeats likely."""
    n, c = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    target = draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, c - 1)))
    return Case((draw(array((n, c))),), {"target": target})


def np_cross_entropy(a, target):
    m = a.max(axis=1, keepdims=True)
    logp = a - m - np.log(np.exp(a - m).sum(axis=1, keepdims=True))
    return -logp[np.arange(len(target)), target]


@st.composite
def two_int_arrays_case(draw):
    shape = draw(shapes(min_dims=2))
    length = draw(st.integers(1, 6))
    i = draw(hnp.arrays(np.int64, (length,), elements=st.integers(0, shape[0] - 1)))
    j = draw(hnp.arrays(np.int64, (length,), elements=st.integers(-shape[1], shape[1] - 1)))
    return Case((draw(array(shape)),), {"i": i, "j": j})


@st.composite
def slice_and_int_array_case(draw):
    shape = draw(shapes(min_dims=2))
    idx = draw(hnp.arrays(np.int64, (draw(st.integers(1, 5)),),
                          elements=st.integers(0, shape[1] - 1)))
    return Case((draw(array(shape)),), {"start": draw(st.integers(0, shape[0] - 1)), "index": idx})


@st.composite
def mask_case(draw):
    shape = draw(shapes(min_dims=1))
    mask = draw(hnp.arrays(np.bool_, shape[:draw(st.integers(1, len(shape)))]))
    return Case((draw(array(shape)),), {"mask": mask})


@st.composite
def cat_case(draw):
    shape = list(draw(shapes(min_dims=1)))
    n = len(shape)
    ax = draw(st.integers(-n, n - 1))
    arrays = []
    for _ in range(draw(st.integers(1, 3))):
        shape[ax] = draw(st.integers(1, MAX_SIDE))
        arrays.append(draw(array(tuple(shape))))
    return Case(tuple(arrays), {"axis": ax})


@st.composite
def stack_case(draw):
    shape = draw(shapes())
    n = len(shape) + 1
    arrays = tuple(draw(array(shape)) for _ in range(draw(st.integers(1, 3))))
    return Case(arrays, {"axis": draw(st.integers(-n, n - 1))})


@st.composite
def split_case(draw, sizes_list=False):
    shape = draw(shapes(min_dims=1, max_side=5))
    n = len(shape)
    dim = draw(st.integers(-n, n - 1))
    length = shape[dim]
    if sizes_list:
        cuts = sorted(draw(st.lists(st.integers(0, length), max_size=3)))
        edges = [0] + cuts + [length]
        split = [b - a for a, b in zip(edges, edges[1:])]
    else:
        split = draw(st.integers(1, length + 1))
    return Case((draw(array(shape)),), {"split": split, "dim": dim})


@st.composite
def chunk_case(draw):
    shape = draw(shapes(min_dims=1, max_side=5))
    n = len(shape)
    return Case((draw(array(shape)),), {"chunks": draw(st.integers(1, 6)),
                                        "dim": draw(st.integers(-n, n - 1))})


@st.composite
def unbind_case(draw):
    shape = draw(shapes(min_dims=1))
    n = len(shape)
    return Case((draw(array(shape)),), {"dim": draw(st.integers(-n, n - 1))})


side = st.integers(1, MAX_SIDE)


@st.composite
def matmul_case(draw, a_ndim, b_ndim):
    """`a_ndim`/`b_ndim`: 1, 2 or 'batch' (2-D matrices with broadcasting batch axes)."""
    m, k, n = draw(side), draw(side), draw(side)
    batch_a, batch_b = draw(hnp.mutually_broadcastable_shapes(
        num_shapes=2, max_dims=2, max_side=3)).input_shapes if "batch" in (a_ndim, b_ndim) \
        else ((), ())
    sa = (k,) if a_ndim == 1 else tuple(batch_a) + (m, k)
    sb = (k,) if b_ndim == 1 else tuple(batch_b) + (k, n)
    return Case((draw(array(sa)), draw(array(sb))), {})


@st.composite
def addmm_case(draw):
    """bias + (n, k) @ (k, m), the bias in any shape that broadcasts to (n, m)."""
    n, k, m = draw(side), draw(side), draw(side)
    bias_shape = draw(st.sampled_from([(), (m,), (1, m), (n, 1), (n, m)]))
    return Case((draw(array(bias_shape)), draw(array((n, k))), draw(array((k, m)))), {})


# -- references -----------------------------------------------------------------------

def tdim(a, axis):
    """PyTorch spells 'every axis' as the tuple of them."""
    return tuple(range(a.ndim)) if axis is None else axis


def np_var(a, axis, keepdims, correction):
    return np.var(a, axis=axis, keepdims=keepdims, ddof=correction)


def np_logsumexp(a, axis, keepdims):
    return np.log(np.sum(np.exp(a), axis=axis, keepdims=keepdims))


def np_squeeze(a, dim):
    if dim is None:
        return np.squeeze(a)
    dims = (dim,) if isinstance(dim, int) else dim
    drop = tuple(d % a.ndim for d in dims if a.shape[d] == 1)
    return np.squeeze(a, axis=drop)


def np_flatten(a, start_dim, end_dim):
    s, e = start_dim % a.ndim, end_dim % a.ndim
    return a.reshape(a.shape[:s] + (-1,) + a.shape[e + 1:])


_math_erf = np.vectorize(math.erf, otypes=[np.float64])


def np_erf(a):
    return _math_erf(a).astype(a.dtype)


def np_split(a, split, dim):
    length = a.shape[dim]
    sizes = split if isinstance(split, list) else \
        [split] * (length // split) + ([length % split] if length % split else [])
    return tuple(np.split(a, np.cumsum(sizes)[:-1], axis=dim))


def np_chunk(a, chunks, dim):
    return np_split(a, max(-(-a.shape[dim] // chunks), 1), dim)


def np_unbind(a, dim):
    return tuple(np.moveaxis(a, dim, 0))


def t_(x):
    """A numpy index or condition as PyTorch takes it."""
    return torch.from_numpy(x) if isinstance(x, np.ndarray) else x


def t_index(index):
    return tuple(t_(p) for p in index) if isinstance(index, tuple) else t_(index)


# -- the table --------------------------------------------------------------------------

CLIP_BOUNDS = st.sampled_from([(None, 0.51), (-0.49, None), (-1.01, 1.27), (0.23, 0.77)])
positive = values(0.1, 4.0)

OPS = [
    # arithmetic, broadcasting
    OpSpec("add", binary(), lambda a, b: a + b, np.add, lambda a, b: a + b),
    OpSpec("sub", binary(), lambda a, b: a - b, np.subtract, lambda a, b: a - b),
    OpSpec("mul", binary(), lambda a, b: a * b, np.multiply, lambda a, b: a * b),
    OpSpec("div", binary(b_elements=away_from_zero()), lambda a, b: a / b, np.divide,
           lambda a, b: a / b),
    OpSpec("pow", binary(a_elements=values(0.5, 2.0)), lambda a, b: a ** b, np.power,
           lambda a, b: a ** b),
    # arithmetic with a Python number, both operand orders
    OpSpec("add number", number_operand(), lambda a, c: a + c, lambda a, c: a + c,
           lambda a, c: a + c),
    OpSpec("radd number", number_operand(), lambda a, c: c + a, lambda a, c: c + a,
           lambda a, c: c + a),
    OpSpec("sub number", number_operand(), lambda a, c: a - c, lambda a, c: a - c,
           lambda a, c: a - c),
    OpSpec("rsub number", number_operand(), lambda a, c: c - a, lambda a, c: c - a,
           lambda a, c: c - a),
    OpSpec("mul number", number_operand(), lambda a, c: a * c, lambda a, c: a * c,
           lambda a, c: a * c),
    OpSpec("rmul number", number_operand(), lambda a, c: c * a, lambda a, c: c * a,
           lambda a, c: c * a),
    OpSpec("div number", number_operand(), lambda a, c: a / c, lambda a, c: a / c,
           lambda a, c: a / c),
    OpSpec("rdiv number", number_operand(elements=away_from_zero()), lambda a, c: c / a,
           lambda a, c: c / a, lambda a, c: c / a),
    OpSpec("pow integer exponent", number_operand(number=st.sampled_from([0, 1, 2, 3])),
           lambda a, c: a ** c, lambda a, c: a ** c, lambda a, c: a ** c),
    OpSpec("pow float exponent",
           number_operand(elements=positive, number=st.sampled_from([0.5, -1.5, 2.5, -1.0])),
           lambda a, c: a ** c, lambda a, c: a ** c, lambda a, c: a ** c),
    OpSpec("rpow number", number_operand(number=st.sampled_from([0.5, 2.0, 3.0])),
           lambda a, c: c ** a, lambda a, c: c ** a, lambda a, c: c ** a),
    # with an ndarray on the other side (numpy must defer to Tensor's reflected operators)
    OpSpec("mul ndarray", ndarray_operand(), lambda a, other: other * a,
           lambda a, other: other * a, lambda a, other: t_(other) * a),
    OpSpec("sub ndarray", ndarray_operand(), lambda a, other: other - a,
           lambda a, other: other - a, lambda a, other: t_(other) - a),
    # elementwise functions
    OpSpec("neg", unary(), lambda a: -a, np.negative, lambda a: -a),
    OpSpec("abs", unary_distinct(avoid=(0.0,)), abs, np.abs, torch and torch.abs),
    OpSpec("exp", unary(values(-3.0, 3.0)), ag.exp, np.exp, torch and torch.exp),
    OpSpec("log", unary(positive), ag.log, np.log, torch and torch.log),
    OpSpec("log1p", unary(values(-0.9, 3.0)), ag.log1p, np.log1p, torch and torch.log1p),
    OpSpec("sqrt", unary(positive), ag.sqrt, np.sqrt, torch and torch.sqrt),
    OpSpec("tanh", unary(values(-3.0, 3.0)), ag.tanh, np.tanh, torch and torch.tanh),
    OpSpec("sigmoid", unary(values(-20.0, 20.0)), ag.sigmoid, lambda a: 1 / (1 + np.exp(-a)),
           torch and torch.sigmoid),
    OpSpec("relu", unary_distinct(avoid=(0.0,)), ag.relu, lambda a: np.maximum(a, 0),
           torch and torch.relu),
    OpSpec("erf", unary(values(-3.0, 3.0)), ag.erf, np_erf, torch and torch.erf),
    OpSpec("clip", unary_distinct(avoid=(-1.01, -0.49, 0.23, 0.51, 0.77, 1.27), bounds=CLIP_BOUNDS),
           lambda a, bounds: a.clip(min=bounds[0], max=bounds[1]),
           lambda a, bounds: np.clip(a, *bounds),
           lambda a, bounds: a.clamp(min=bounds[0], max=bounds[1])),
    OpSpec("clamp", unary_distinct(avoid=(-1.01, -0.49, 0.23, 0.51, 0.77, 1.27), bounds=CLIP_BOUNDS),
           lambda a, bounds: ag.clamp(a, *bounds),
           lambda a, bounds: np.clip(a, *bounds),
           lambda a, bounds: torch.clamp(a, *bounds)),
    OpSpec("maximum", binary_distinct(), ag.maximum, np.maximum, torch and torch.maximum),
    OpSpec("minimum", binary_distinct(), ag.minimum, np.minimum, torch and torch.minimum),
    OpSpec("maximum ties", binary_distinct(ties=True), ag.maximum, np.maximum,
           torch and torch.maximum, gradcheck=False),
    OpSpec("minimum ties", binary_distinct(ties=True), ag.minimum, np.minimum,
           torch and torch.minimum, gradcheck=False),
    OpSpec("where", where_case(), lambda a, b, cond: ag.where(cond, a, b),
           lambda a, b, cond: np.where(cond, a, b),
           lambda a, b, cond: torch.where(t_(cond), a, b)),
    OpSpec("where bool tensor", where_case(), lambda a, b, cond: ag.where(ag.Tensor(cond), a, b),
           lambda a, b, cond: np.where(cond, a, b),
           lambda a, b, cond: torch.where(t_(cond), a, b)),
    # reductions
    OpSpec("sum", reduction(), lambda a, axis, keepdims: a.sum(axis=axis, keepdims=keepdims),
           np.sum, lambda a, axis, keepdims: a.sum(dim=tdim(a, axis), keepdim=keepdims)),
    OpSpec("mean", reduction(), lambda a, axis, keepdims: a.mean(axis, keepdims), np.mean,
           lambda a, axis, keepdims: a.mean(dim=tdim(a, axis), keepdim=keepdims)),
    OpSpec("var", reduction(var=True),
           lambda a, axis, keepdims, correction: a.var(axis, keepdims, correction=correction),
           np_var,
           lambda a, axis, keepdims, correction: a.var(dim=tdim(a, axis), keepdim=keepdims,
                                                       correction=correction)),
    OpSpec("max", reduction("distinct"), lambda a, axis, keepdims: a.max(axis, keepdims), np.max,
           lambda a, axis, keepdims: a.amax(dim=tdim(a, axis), keepdim=keepdims)),
    OpSpec("min", reduction("distinct"), lambda a, axis, keepdims: a.min(axis, keepdims), np.min,
           lambda a, axis, keepdims: a.amin(dim=tdim(a, axis), keepdim=keepdims)),
    OpSpec("max ties", reduction("ties"), lambda a, axis, keepdims: a.max(axis, keepdims), np.max,
           lambda a, axis, keepdims: a.amax(dim=tdim(a, axis), keepdim=keepdims),
           gradcheck=False),
    OpSpec("min ties", reduction("ties"), lambda a, axis, keepdims: a.min(axis, keepdims), np.min,
           lambda a, axis, keepdims: a.amin(dim=tdim(a, axis), keepdim=keepdims),
           gradcheck=False),
    OpSpec("logsumexp", reduction(), lambda a, axis, keepdims: a.logsumexp(axis, keepdims),
           np_logsumexp,
           lambda a, axis, keepdims: torch.logsumexp(a, dim=tdim(a, axis), keepdim=keepdims)),
    OpSpec("cross_entropy", class_scores_case(),
           lambda a, target: CrossEntropy.apply(a, target), np_cross_entropy,
           lambda a, target: torch.nn.functional.cross_entropy(a, t_(target), reduction="none")),
    OpSpec("cross_entropy mean", class_scores_case(),
           lambda a, target: CrossEntropy.apply(a, target, reduction="mean"),
           lambda a, target: np_cross_entropy(a, target).mean(),
           lambda a, target: torch.nn.functional.cross_entropy(a, t_(target), reduction="mean")),
    OpSpec("cross_entropy sum", class_scores_case(),
           lambda a, target: CrossEntropy.apply(a, target, reduction="sum"),
           lambda a, target: np_cross_entropy(a, target).sum(),
           lambda a, target: torch.nn.functional.cross_entropy(a, t_(target), reduction="sum")),
    # shape
    OpSpec("reshape", reshape_case(), lambda a, shape: a.reshape(*shape),
           lambda a, shape: np.reshape(a, shape), lambda a, shape: a.reshape(shape)),
    OpSpec("view", reshape_case(), lambda a, shape: a.view(shape),
           lambda a, shape: np.reshape(a, shape), lambda a, shape: a.reshape(shape)),
    OpSpec("permute", permute_case(), lambda a, dims: a.permute(*dims),
           lambda a, dims: np.transpose(a, dims), lambda a, dims: a.permute(*dims)),
    OpSpec("transpose", transpose_case(), lambda a, dim0, dim1: a.transpose(dim0, dim1),
           lambda a, dim0, dim1: np.swapaxes(a, dim0, dim1),
           lambda a, dim0, dim1: a.transpose(dim0, dim1)),
    OpSpec("T", unary(shape=shapes(min_dims=2, max_dims=2)), lambda a: a.T, np.transpose,
           lambda a: a.T),
    OpSpec("squeeze", squeeze_case(),
           lambda a, dim: a.squeeze() if dim is None else a.squeeze(dim), np_squeeze,
           lambda a, dim: a.squeeze() if dim is None else a.squeeze(dim)),
    OpSpec("unsqueeze", unsqueeze_case(), lambda a, dim: a.unsqueeze(dim),
           lambda a, dim: np.expand_dims(a, dim % (a.ndim + 1)), lambda a, dim: a.unsqueeze(dim)),
    OpSpec("flatten", flatten_case(), lambda a, start_dim, end_dim: a.flatten(start_dim, end_dim),
           np_flatten, lambda a, start_dim, end_dim: a.flatten(start_dim, end_dim)),
    OpSpec("expand", expand_case(), lambda a, sizes: a.expand(*sizes),
           lambda a, sizes: np.broadcast_to(a, _resolved(sizes, a.shape)),
           lambda a, sizes: a.expand(sizes)),
    OpSpec("broadcast_to", expand_case(allow_minus_one=False),
           lambda a, sizes: ag.broadcast_to(a, sizes), lambda a, sizes: np.broadcast_to(a, sizes),
           lambda a, sizes: torch.broadcast_to(a, sizes)),
    # indexing
    OpSpec("getitem basic", basic_index_case(), lambda a, index: a[index],
           lambda a, index: a[index], lambda a, index: a[index]),
    OpSpec("getitem negative step", basic_index_case(negative_steps=True),
           lambda a, index: a[index], lambda a, index: a[index]),     # PyTorch has no such slices
    OpSpec("getitem integer array", int_array_index_case(), lambda a, index: a[index],
           lambda a, index: a[index], lambda a, index: a[t_(index)]),
    OpSpec("getitem integer list", int_array_index_case(), lambda a, index: a[index.tolist()],
           lambda a, index: a[index], lambda a, index: a[t_(index)]),
    OpSpec("getitem two integer arrays", two_int_arrays_case(), lambda a, i, j: a[i, j],
           lambda a, i, j: a[i, j], lambda a, i, j: a[t_(i), t_(j)]),
    OpSpec("getitem slice and integer array", slice_and_int_array_case(),
           lambda a, start, index: a[start:, index], lambda a, start, index: a[start:, index],
           lambda a, start, index: a[start:, t_(index)]),
    OpSpec("getitem boolean mask", mask_case(), lambda a, mask: a[mask], lambda a, mask: a[mask],
           lambda a, mask: a[t_(mask)]),
    OpSpec("getitem boolean tensor", mask_case(), lambda a, mask: a[ag.Tensor(mask)],
           lambda a, mask: a[mask], lambda a, mask: a[t_(mask)]),
    # joining and cutting
    OpSpec("cat", cat_case(), lambda *ts, axis: ag.cat(ts, dim=axis),
           lambda *arrays, axis: np.concatenate(arrays, axis=axis),
           lambda *ts, axis: torch.cat(ts, dim=axis)),
    OpSpec("concatenate", cat_case(), lambda *ts, axis: ag.concatenate(list(ts), axis),
           lambda *arrays, axis: np.concatenate(arrays, axis=axis),
           lambda *ts, axis: torch.cat(ts, dim=axis)),
    OpSpec("stack", stack_case(), lambda *ts, axis: ag.stack(ts, axis),
           lambda *arrays, axis: np.stack(arrays, axis=axis),
           lambda *ts, axis: torch.stack(ts, dim=axis)),
    OpSpec("split size", split_case(), lambda a, split, dim: ag.split(a, split, dim), np_split,
           lambda a, split, dim: torch.split(a, split, dim)),
    OpSpec("split sizes", split_case(sizes_list=True), lambda a, split, dim: a.split(split, dim=dim),
           np_split, lambda a, split, dim: torch.split(a, split, dim)),
    OpSpec("chunk", chunk_case(), lambda a, chunks, dim: ag.chunk(a, chunks, dim), np_chunk,
           lambda a, chunks, dim: torch.chunk(a, chunks, dim)),
    OpSpec("unbind", unbind_case(), lambda a, dim: a.unbind(dim), np_unbind,
           lambda a, dim: torch.unbind(a, dim)),
    # matrix products
    OpSpec("matmul 2-D", matmul_case(2, 2), lambda a, b: a @ b, np.matmul, lambda a, b: a @ b),
    OpSpec("matmul 1-D @ 1-D", matmul_case(1, 1), lambda a, b: a @ b, np.matmul,
           lambda a, b: a @ b),
    OpSpec("matmul 1-D @ 2-D", matmul_case(1, 2), lambda a, b: a @ b, np.matmul,
           lambda a, b: a @ b),
    OpSpec("matmul 2-D @ 1-D", matmul_case(2, 1), lambda a, b: ag.matmul(a, b), np.matmul,
           lambda a, b: a @ b),
    OpSpec("matmul batched", matmul_case("batch", "batch"), lambda a, b: a @ b, np.matmul,
           lambda a, b: a @ b),
    OpSpec("matmul batched @ 1-D", matmul_case("batch", 1), lambda a, b: a @ b, np.matmul,
           lambda a, b: a @ b),
    OpSpec("matmul 1-D @ batched", matmul_case(1, "batch"), lambda a, b: a @ b, np.matmul,
           lambda a, b: a @ b),
    OpSpec("addmm", addmm_case(), lambda bias, a, b: ag.addmm(bias, a, b),
           lambda bias, a, b: bias + a @ b, lambda bias, a, b: torch.addmm(bias, a, b)),
    OpSpec("matmul ndarray",   # ndarray @ Tensor
           matmul_case(2, 2).map(lambda c: Case(c.arrays[1:], {"other": c.arrays[0]})),
           lambda b, other: other @ b, lambda b, other: other @ b,
           lambda b, other: t_(other) @ b),
    # dtype
    OpSpec("cast", unary(), lambda a: a.to(np.float32), lambda a: a.astype(np.float32),
           lambda a: a.to(torch.float32),
           # float32 rounding (1e-7) needs a larger step than float64's
           gradcheck_options={"eps": 1e-3, "atol": 1e-3, "rtol": 1e-2}),
]

OPS_BY_NAME = {spec.name: spec for spec in OPS}
assert len(OPS_BY_NAME) == len(OPS), "two rows share a name"
