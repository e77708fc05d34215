"""The module-level spellings: `ag.exp(t)`, `ag.cat([...])`, `ag.zeros(...)`, `ag.randn(...)`.

Methods of a value are called as functions here; creation and random functions
make leaves. `manual_seed` seeds the one generator behind every random draw
(`randn`, `rand`, and `nn.init`).
"""

import numpy as np

from .ops import elementwise as ew
from .ops import linalg
from .ops import shape as shape_ops
from .tensor import Tensor, _operand, _shape_args, _to_array, get_default_dtype

_generator = [np.random.default_rng()]


def manual_seed(seed):
    """Make every random initialisation and draw repeatable from here on."""
    _generator[0] = np.random.default_rng(int(seed))


def generator():
    """The numpy Generator behind glassgrad's random numbers."""
    return _generator[0]


def _as_value(t):
    return t if getattr(t, "_value_type", None) is not None else Tensor(t)


def _method(name):
    def f(t, *args, **kwargs):
        return getattr(_as_value(t), name)(*args, **kwargs)
    f.__name__ = name
    f.__qualname__ = name
    f.__doc__ = f"`ag.{name}(t, ...)` is `t.{name}(...)`."
    return f


sum = _method("sum")
mean = _method("mean")
var = _method("var")
max = _method("max")
min = _method("min")
logsumexp = _method("logsumexp")
exp = _method("exp")
log = _method("log")
log1p = _method("log1p")
sqrt = _method("sqrt")
tanh = _method("tanh")
sigmoid = _method("sigmoid")
relu = _method("relu")
erf = _method("erf")
abs = _method("abs")
clip = _method("clip")
clamp = _method("clamp")
reshape = _method("reshape")
view = _method("view")
transpose = _method("transpose")
permute = _method("permute")
squeeze = _method("squeeze")
unsqueeze = _method("unsqueeze")
flatten = _method("flatten")
expand = _method("expand")
broadcast_to = _method("broadcast_to")
unbind = _method("unbind")
split = _method("split")
chunk = _method("chunk")


def matmul(a, b):
    return _as_value(a) @ b


def addmm(input, mat1, mat2):
    """input + mat1 @ mat2 as one operation, as PyTorch's `torch.addmm` (beta = alpha
    = 1): mat1 (n, k) and mat2 (k, m) matrices, input broadcast to (n, m). A layer's
    x W^T + b; the bias is added into the product's memory, not into a new array."""
    return linalg.Addmm.apply(input, _as_value(mat1), _as_value(mat2))


def tensor(data, requires_grad=False, dtype=None, label=None):
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, label=label)


def _tensors(tensors, op):
    tensors = list(tensors)
    if not tensors:
        raise ValueError(f"{op}: needs at least one tensor")
    return [t if isinstance(t, Tensor) else Tensor._from_op(_to_array(t, None, op))
            for t in tensors]


def concatenate(tensors, axis=0, *, dim=None):
    """Join tensors along an existing axis."""
    axis = dim if dim is not None else axis
    return shape_ops.Cat.apply(*_tensors(tensors, "cat"), axis=axis)


cat = concatenate


def stack(tensors, axis=0, *, dim=None):
    """Join tensors of equal shape along a new axis."""
    axis = dim if dim is not None else axis
    return shape_ops.Stack.apply(*_tensors(tensors, "stack"), axis=axis)


def where(condition, a, b):
    """Elementwise choice: a where condition is true, else b (gradients flow to both)."""
    cond = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != bool:
        raise TypeError(f"where: the condition must be boolean, got dtype {cond.dtype}")
    return ew.Where.apply(cond, _checked(a, "where"), _checked(b, "where"))


def maximum(a, b):
    return ew.Maximum.apply(_checked(a, "maximum"), _checked(b, "maximum"))


def minimum(a, b):
    return ew.Minimum.apply(_checked(a, "minimum"), _checked(b, "minimum"))


def _checked(x, op):
    y = _operand(x)
    if y is None:
        raise TypeError(f"{op}: expected a Tensor, array or number, got {type(x).__name__}")
    return y


# -- creation -------------------------------------------------------------------

def _dtype(dtype):
    return np.dtype(dtype) if dtype is not None else get_default_dtype()


def zeros(*shape, dtype=None, requires_grad=False):
    return Tensor(np.zeros(_shape_args(shape), _dtype(dtype)), requires_grad=requires_grad)


def ones(*shape, dtype=None, requires_grad=False):
    return Tensor(np.ones(_shape_args(shape), _dtype(dtype)), requires_grad=requires_grad)


def full(shape, fill_value, dtype=None, requires_grad=False):
    return Tensor(np.full(_shape_args((shape,)), fill_value, _dtype(dtype)),
                  requires_grad=requires_grad)


def zeros_like(t, dtype=None, requires_grad=False):
    return Tensor(np.zeros_like(_as_value(t).data, dtype=dtype), requires_grad=requires_grad)


def ones_like(t, dtype=None, requires_grad=False):
    return Tensor(np.ones_like(_as_value(t).data, dtype=dtype), requires_grad=requires_grad)


def eye(n, m=None, dtype=None, requires_grad=False):
    return Tensor(np.eye(n, m, dtype=_dtype(dtype)), requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False):
    """Like torch.arange: integers give int64, any float gives the default float dtype."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        integral = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if integral else get_default_dtype()
    return Tensor(np.arange(start, end, step, dtype=dtype), requires_grad=requires_grad)


def randn(*shape, dtype=None, requires_grad=False):
    """Standard normal draws from the seeded generator."""
    data = _generator[0].standard_normal(_shape_args(shape)).astype(_dtype(dtype))
    return Tensor(data, requires_grad=requires_grad)


def rand(*shape, dtype=None, requires_grad=False):
    """Uniform draws in [0, 1) from the seeded generator."""
    data = _generator[0].random(_shape_args(shape)).astype(_dtype(dtype))
    return Tensor(data, requires_grad=requires_grad)
