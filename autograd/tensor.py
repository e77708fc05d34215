"""`Tensor`: a numpy array that records the operations made with it.

The class is thin: every operator and method hands its work to an operation
in `autograd/ops`, whose `forward` and `backward` sit side by side.

One object per operation. A Tensor made by an operator or by a method whose
operation takes the tensor and at most one more operand (`+`, `*`, `@`, `-x`,
`tanh`, `exp`, `reshape`, `permute`, `.T`, `x[i]`, `to`, ...) is also that
operation's node, and the `ctx` its forward and backward get: it keeps the
Function (`_fn`), the operands as given (`_first`, `_second`), what forward
saved (`saved_tensors`), its place in the order of operations (`_seq`) and
the gradients of the last backward (`_gout`, `_gin`). A small operation's
cost is mostly bookkeeping, and a separate node and tuple of inputs were
about a fifth of it. `grad_fn` shows the node as every node looks (an `OutputNode`,
made on first access and kept). Operations with several outputs (`unbind`,
`split`), those called with keywords (the reductions, `clip`), the ones
reached through `Function.apply` and a user's own Function get a regular
`Node` as ctx, kept in `_node`; backward walks both kinds (graph.py).
"""

import itertools
import numbers

import numpy as np

from . import graph
from .function import _check_forward, _explained
from .graph import (_UNARY, OutputNode, _sequence, state, value_grad_fn, value_inputs,
                    value_is_leaf)
from .ops import sum_to
from .ops import elementwise as ew
from .ops import linalg, reduce
from .ops import shape as shape_ops

_default_dtype = [np.dtype(np.float32)]
_new = object.__new__
_ndarray = np.ndarray


def set_default_dtype(dtype):
    """Set the dtype that Python numbers and lists become (float32 unless changed)."""
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: the default dtype must be a float type, got {dtype}")
    _default_dtype[0] = dtype


def get_default_dtype():
    return _default_dtype[0]


def _to_array(data, dtype, op="Tensor"):
    """Turn user data into an ndarray, with a clear error for what is not numeric."""
    if isinstance(data, Tensor):
        arr = data.data
    elif isinstance(data, np.ndarray):
        arr = data
    elif isinstance(data, (numbers.Number, np.generic, list, tuple)) and not isinstance(data, str):
        if getattr(data, "_value_type", None) is not None:
            raise TypeError(f"{op}: cannot make a Tensor from a {type(data).__name__}")
        try:
            arr = np.asarray(data)
        except ValueError as exc:
            raise ValueError(f"{op}: data must be a rectangular nested list of numbers ({exc})") from None
        # Python numbers and lists take the default dtype; numpy scalars keep theirs (as PyTorch)
        if (isinstance(data, (numbers.Number, list, tuple)) and not isinstance(data, np.generic)
                and arr.dtype.kind in "iuf" and dtype is None):
            arr = arr.astype(_default_dtype[0])
    else:
        raise TypeError(f"{op}: data must be a number, a (nested) list of numbers, an ndarray "
                        f"or a Tensor, got {type(data).__name__}")
    if arr.dtype.kind not in "biufc":
        raise TypeError(f"{op}: data must be numeric, got an array of dtype {arr.dtype}")
    if dtype is not None:
        arr = arr.astype(dtype, copy=False)
    return arr


def _operand(x):
    """A second operand as the operations take it, or None when it is not one."""
    t = type(x)
    if t is Tensor or t is float or t is int:           # the usual operands, decided first
        return x
    if t is np.ndarray and x.dtype.kind in "biufc":
        return x
    if isinstance(x, np.generic):
        # numpy scalars combine like Python numbers (checked first: np.float64 is a float)
        return x.item()
    if isinstance(x, (Tensor, float, int)) or getattr(x, "_value_type", None):
        return x
    if isinstance(x, np.ndarray):
        if x.dtype.kind not in "biufc":    # an object array would make an object Tensor
            raise TypeError(f"a Tensor operand must be numeric, got an ndarray of dtype {x.dtype}")
        return x
    if isinstance(x, (list, tuple)):
        return _to_array(x, None)
    return None


def _axis_args(op, axis, dim, keepdims, keepdim):
    if dim is not None:
        if axis is not None:
            raise TypeError(f"{op}: give axis= or dim=, not both")
        axis = dim
    if keepdim is not None:
        keepdims = keepdim
    return axis, bool(keepdims)


def _index_part(p):
    if isinstance(p, Tensor):
        p = p.data
    if isinstance(p, list):
        p = np.asarray(p)
    if isinstance(p, np.ndarray) and p.dtype.kind not in "biu":
        raise IndexError(f"getitem: an index array must hold integers or booleans, got dtype {p.dtype}")
    return p


def _shape_args(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def _operator(fn, symbol, reflected=False):
    """The method behind `self <symbol> other` (with `reflected`, `other <symbol> self`).

    A Tensor, a numeric ndarray or a Python number goes straight to `fn`; anything
    else through `_operand`, which converts it, refuses it, or answers NotImplemented
    so that Python asks the other operand. The usual operands are decided inline:
    calling `_operand` for them cost about 500 instructions, 2% of a small operation.
    (`fn` and `reflected` are default arguments because they cost less per call than
    a closure's cells.)
    """
    def method(self, other, fn=fn, reflected=reflected):
        t = type(other)
        if t is Tensor:
            y = other.data
            record = self.requires_grad or other.requires_grad
        elif t is _ndarray and other.dtype.kind in "biufc" or t is float or t is int:
            y = other
            record = self.requires_grad
        else:
            other = _operand(other)
            if other is None:
                return NotImplemented
            if isinstance(other, Tensor):          # a subclass (Parameter)
                y = other.data
                record = self.requires_grad or other.requires_grad
            elif getattr(other, "_value_type", None) is not None:
                return fn.apply(self, other)       # a Scalar: refused there, naming the mix
            else:                                  # converted: a numpy number, a list
                y = other
                record = self.requires_grad
        out = _new(Tensor)
        out.saved_tensors = ()
        try:
            if reflected:
                data = fn.forward(out, y, self.data)
            else:
                data = fn.forward(out, self.data, y)
        except (ValueError, TypeError, IndexError) as exc:
            raise _explained(fn, (other, self) if reflected else (self, other), {}, exc) from None
        if reflected:
            return _recorded(out, data, fn, other, self, record)
        return _recorded(out, data, fn, self, other, record)

    method.__doc__ = f"other {symbol} self" if reflected else f"self {symbol} other"
    return method


def _function(fn):
    """The method behind `self.<name>()`, an operation of one operand (see `_operator`)."""
    def method(self, fn=fn):
        out = _new(Tensor)
        out.saved_tensors = ()
        try:
            data = fn.forward(out, self.data)
        except (ValueError, TypeError, IndexError) as exc:
            raise _explained(fn, (self,), {}, exc) from None
        return _recorded(out, data, fn, self, _UNARY, self.requires_grad)

    method.__doc__ = fn.__doc__
    return method


def _with_constant(fn, self, arg):
    """`fn.apply(self, arg)` for an `arg` that is not a value (a shape, an index, a dtype)."""
    out = _new(Tensor)
    out.saved_tensors = ()
    try:
        data = fn.forward(out, self.data, arg)
    except (ValueError, TypeError, IndexError) as exc:
        raise _explained(fn, (self, arg), {}, exc) from None
    return _recorded(out, data, fn, self, arg, self.requires_grad)


def _recorded(out, data, fn, first, second, record):
    """`out`, whose forward has run with it as ctx and returned `data`, made the node
    of `fn` on its operands (`second` _UNARY: one operand) when one of them needs a
    gradient and grad mode is on; else a constant, which refers to nothing."""
    out.data = data if type(data) is _ndarray else np.asarray(data)
    out.grad = out.label = None
    out.scope = state.scope
    out._retains_grad = False
    out._output_nr = 0
    out._pending = out._precord = None
    if record and state.grad_enabled:
        out.requires_grad = True
        out._fn = fn
        out._first = first
        out._second = second
        out._seq = next(_sequence)
    else:
        out.requires_grad = False
        out._fn = out._node = None
        out.saved_tensors = ()          # nothing to keep alive for a backward
    if state.anomaly:
        _check_forward(fn, out, (first,) if second is _UNARY else (first, second), out)
    return out


class Tensor:
    """A numpy array in the graph. See the module docstring of `autograd`."""

    __slots__ = ("data", "grad", "requires_grad", "label", "scope",
                 "_retains_grad", "_output_nr",
                 "saved_tensors",   # ctx: what forward saved; None once freed
                 "_fn",             # the operation's Function; None for a leaf, or for
                                    # a Tensor whose node is a regular Node (in _node)
                 "_first", "_second",   # the operands as given; _second _UNARY: one
                 "_seq",            # the order of operations (Node.seq)
                 "_pending",        # during a backward sweep: its gradient summed so far
                 "_precord",        # and its sender's Rebuild of it, if any (graph._drain)
                 "_gout", "_gin",   # the last sweep's gradients (grad_outputs[0], grad_inputs)
                 "_node",           # grad_fn, once asked for (an OutputNode), or a Node
                 "__weakref__")
    __array_ufunc__ = None       # numpy defers to our reflected operators
    __hash__ = object.__hash__   # == is elementwise, identity is the hash

    def __init__(self, data, requires_grad=False, dtype=None, label=None):
        self.data = _to_array(data, dtype)
        self.grad = None
        self.requires_grad = False
        self._fn = self._node = None
        self.label = label
        self.scope = state.scope
        self._retains_grad = False
        self._output_nr = 0
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _from_op(out, node=None, index=0):
        """A new tensor holding `out`; made by `node` (a regular Node, and so
        requiring grad) if given, as its output number `index`."""
        t = _new(Tensor)
        t.data = out if type(out) is _ndarray else np.asarray(out)
        t.grad = None
        t.requires_grad = node is not None
        t._fn = None
        t._node = node
        t.label = None
        t.scope = state.scope
        t._retains_grad = False
        t._output_nr = index
        return t

    @staticmethod
    def _outputs_of(outs, node=None):
        """The tensors holding a multi-output operation's arrays, output k of `node`
        if given (see `_from_op`)."""
        return tuple([Tensor._from_op(out, node, k) for k, out in enumerate(outs)])

    # -- the node ---------------------------------------------------------------
    grad_fn = property(value_grad_fn)
    is_leaf = property(value_is_leaf)
    _inputs = property(value_inputs)      # the operands as given
    _one_operand = _UNARY     # `_second` for one operand (None can be one: x[None])
    _node_view = OutputNode   # grad_fn of a Tensor that is its own node

    # ctx, for the built-in operations whose node this tensor is
    def save_for_backward(self, *values):
        self.saved_tensors = values

    @property
    def needs_input_grad(self):
        if self._fn is None:
            return tuple([getattr(x, "requires_grad", False) for x in self._inputs])
        first, second = self._first, self._second     # written out: Mul's backward asks
        if second is _UNARY:
            return (getattr(first, "requires_grad", False),)
        return getattr(first, "requires_grad", False), getattr(second, "requires_grad", False)

    # -- the graph protocol (see graph.py) -----------------------------------
    def _conform_grad(self, g, node, i):
        data = self.data
        if type(g) is not np.ndarray:
            g = np.asarray(g)
        if g.shape != data.shape:
            reduced = sum_to(g, data.shape)
            if reduced is None:
                if type(node) is Tensor:             # a Tensor that is its own node
                    node = node.grad_fn
                raise RuntimeError(
                    f"{node.name}: backward returned a gradient of shape {g.shape} for input {i}, "
                    f"which has shape {data.shape}")
            g = reduced
        if g.dtype != data.dtype:
            g = g.astype(data.dtype)
        return g

    def _accumulate_grad(self, g, private=False):
        if self.grad is None:
            # .grad must be the user's own array: copied, unless backward knows that no
            # other .grad shares its memory (c = a + b sends one array to both a and b);
            # a broadcast view (read-only) is always copied
            if not private or not g.flags.writeable:
                g = g.copy()
            self.grad = Tensor._from_op(g)
        else:
            self.grad = Tensor._from_op(self.grad.data + g)

    # -- attributes ---------------------------------------------------------
    @property
    def shape(self):
        return self.data.shape

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def dtype(self):
        return self.data.dtype

    def size(self, dim=None):
        return self.data.shape if dim is None else self.data.shape[dim]

    def numel(self):
        return self.data.size

    def dim(self):
        return self.data.ndim

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self):
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self):
        if self.data.size != 1:
            raise RuntimeError(f"bool of a tensor with {self.data.size} elements is ambiguous")
        return bool(self.data)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __repr__(self):
        body = np.array2string(self.data, separator=", ", precision=4, threshold=50,
                               prefix="Tensor(")
        extra = []
        if self.data.dtype != _default_dtype[0] and self.data.dtype.kind == "f" or self.data.dtype.kind != "f":
            extra.append(f"dtype={self.data.dtype}")
        if self.grad_fn is not None:
            extra.append(f"grad_fn={self.grad_fn!r}")
        elif self.requires_grad:
            extra.append("requires_grad=True")
        if self.label:
            extra.append(f"label={self.label!r}")
        return "Tensor(" + body + "".join(", " + e for e in extra) + ")"

    # -- leaves and gradients ---------------------------------------------------
    def item(self):
        if self.data.size != 1:
            raise ValueError(f"item: only a tensor with one element converts to a Python number, "
                             f"this one has shape {self.data.shape}")
        return self.data.item()

    def numpy(self):
        return self.data

    def tolist(self):
        return self.data.tolist()

    def detach(self):
        t = Tensor._from_op(self.data)
        t.label = self.label
        return t

    def requires_grad_(self, flag=True):
        if flag and self.data.dtype.kind not in "fc":
            raise TypeError(f"requires_grad: only float tensors can require gradients, this one has "
                            f"dtype {self.data.dtype}; make it with a float dtype")
        if not flag and not self.is_leaf:
            raise RuntimeError("requires_grad_: cannot turn gradients off for a non-leaf tensor; "
                               "use .detach()")
        self.requires_grad = bool(flag)
        return self

    def retain_grad(self):
        if not self.is_leaf:
            self._retains_grad = True
        return self

    def zero_grad(self):
        self.grad = None

    def backward(self, grad=None, retain_graph=False):
        """Backpropagate from this tensor; gradients add up in `.grad` of leaves."""
        if not self.requires_grad:
            raise RuntimeError("backward: this tensor does not require grad and has no grad_fn "
                               "(no input of the computation had requires_grad=True)")
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward: grad can be omitted only for a tensor with one element; this one "
                    f"has shape {self.data.shape}, so pass grad= of that shape")
            g = np.ones(self.data.shape, self.data.dtype)   # (np.ones_like: 2 µs of Python)
        else:
            g = grad.data if isinstance(grad, Tensor) else np.asarray(grad)
            if g.shape != self.data.shape and not (g.size == 1 and self.data.size == 1):
                raise ValueError(f"backward: grad has shape {g.shape} but the tensor has shape "
                                 f"{self.data.shape}; they must be equal")
            g = np.array(g, dtype=self.data.dtype).reshape(self.data.shape)
        graph.backward(self, g, retain_graph)

    # -- arithmetic ---------------------------------------------------------------
    __add__ = _operator(ew.Add, "+")
    __radd__ = _operator(ew.Add, "+", reflected=True)
    __sub__ = _operator(ew.Sub, "-")
    __rsub__ = _operator(ew.Sub, "-", reflected=True)
    __mul__ = _operator(ew.Mul, "*")
    __rmul__ = _operator(ew.Mul, "*", reflected=True)
    __truediv__ = _operator(ew.Div, "/")
    __rtruediv__ = _operator(ew.Div, "/", reflected=True)
    __pow__ = _operator(ew.Pow, "**")
    __rpow__ = _operator(ew.Pow, "**", reflected=True)
    __matmul__ = _operator(linalg.MatMul, "@")
    __rmatmul__ = _operator(linalg.MatMul, "@", reflected=True)

    __neg__ = _function(ew.Neg)

    def __pos__(self):
        return self

    __abs__ = _function(ew.Abs)

    # comparisons: boolean tensors, outside the graph
    def _compare(self, other, op):
        other = _operand(other)
        if other is None:
            return NotImplemented
        raw = other.data if isinstance(other, Tensor) else other
        return Tensor._from_op(op(self.data, raw))

    def __lt__(self, other):
        return self._compare(other, np.less)

    def __le__(self, other):
        return self._compare(other, np.less_equal)

    def __gt__(self, other):
        return self._compare(other, np.greater)

    def __ge__(self, other):
        return self._compare(other, np.greater_equal)

    def __eq__(self, other):
        return self._compare(other, np.equal)

    def __ne__(self, other):
        return self._compare(other, np.not_equal)

    # -- elementwise functions ------------------------------------------------------
    abs = _function(ew.Abs)

    exp = _function(ew.Exp)

    log = _function(ew.Log)

    log1p = _function(ew.Log1p)

    sqrt = _function(ew.Sqrt)

    tanh = _function(ew.Tanh)

    sigmoid = _function(ew.Sigmoid)

    relu = _function(ew.Relu)

    erf = _function(ew.Erf)

    def clip(self, min=None, max=None):
        return ew.Clip.apply(self, low=min, high=max)

    clamp = clip

    def to(self, dtype):
        """The same values in another dtype; the gradient comes back in this tensor's dtype."""
        dtype = np.dtype(dtype)
        if dtype.kind not in "biufc":
            raise TypeError(f"to: a Tensor holds numbers; cannot convert to dtype {dtype}")
        if dtype == self.data.dtype:
            return self
        if dtype.kind not in "fc":     # integers and booleans have no gradient (as PyTorch)
            return Tensor._from_op(self.data.astype(dtype))
        return _with_constant(ew.Cast, self, dtype)

    def float(self):
        return self.to(np.float32)

    def double(self):
        return self.to(np.float64)

    def long(self):
        return self.to(np.int64)

    # -- reductions -------------------------------------------------------------
    def sum(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        axis, keepdims = _axis_args("sum", axis, dim, keepdims, keepdim)
        return reduce.Sum.apply(self, axis=axis, keepdims=keepdims)

    def mean(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        axis, keepdims = _axis_args("mean", axis, dim, keepdims, keepdim)
        return reduce.Mean.apply(self, axis=axis, keepdims=keepdims)

    def var(self, axis=None, keepdims=False, *, dim=None, keepdim=None, correction=1, unbiased=None):
        """PyTorch's variance: divides by n - correction (unbiased by default)."""
        axis, keepdims = _axis_args("var", axis, dim, keepdims, keepdim)
        if unbiased is not None:
            correction = 1 if unbiased else 0
        return reduce.Var.apply(self, axis=axis, keepdims=keepdims, correction=correction)

    def max(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        axis, keepdims = _axis_args("max", axis, dim, keepdims, keepdim)
        return reduce.Max.apply(self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        axis, keepdims = _axis_args("min", axis, dim, keepdims, keepdim)
        return reduce.Min.apply(self, axis=axis, keepdims=keepdims)

    def logsumexp(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """log(sum(exp(x))), computed without overflow: max + log(sum(exp(x - max)))."""
        axis, keepdims = _axis_args("logsumexp", axis, dim, keepdims, keepdim)
        return reduce.LogSumExp.apply(self, axis=axis, keepdims=keepdims)

    # -- shape ------------------------------------------------------------------
    def reshape(self, *shape):
        shape = _shape_args(shape)
        if shape == self.data.shape:
            return self
        return _with_constant(shape_ops.Reshape, self, shape)

    view = reshape

    def permute(self, *dims):
        dims = _shape_args(dims)
        n = self.ndim
        if any(not -n <= d < n for d in dims) or sorted(d % n for d in dims) != list(range(n)):
            raise ValueError(f"permute: dims {dims} must be a reordering of the {self.ndim} "
                             f"dimensions of a tensor of shape {self.shape}")
        return _with_constant(shape_ops.Permute, self, tuple(d % self.ndim for d in dims))

    def transpose(self, dim0, dim1):
        """Swap two dimensions (PyTorch's meaning, not numpy's)."""
        n = self.ndim
        for d in (dim0, dim1):
            if not -n <= d < n:
                raise ValueError(f"transpose: dimension {d} is out of range for shape {self.shape}")
        dims = list(range(n))
        dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
        return _with_constant(shape_ops.Permute, self, tuple(dims))

    @property
    def T(self):
        n = self.data.ndim
        return self if n < 2 else _with_constant(shape_ops.Permute, self,
                                                  tuple(range(n - 1, -1, -1)))

    def squeeze(self, dim=None):
        shp = self.data.shape
        if dim is None:
            new = tuple(s for s in shp if s != 1)
        else:
            dims = (dim,) if isinstance(dim, int) else tuple(dim)
            n = max(len(shp), 1)            # a 0-d tensor accepts dim 0 and -1, as in PyTorch
            if any(not -n <= d < n for d in dims):
                raise ValueError(f"squeeze: dim {dim} is out of range for shape {shp}")
            dims = {d % n for d in dims}
            new = tuple(s for i, s in enumerate(shp) if not (i in dims and s == 1))
        return self.reshape(new)

    def unsqueeze(self, dim):
        n = self.ndim + 1
        if not -n <= dim < n:
            raise ValueError(f"unsqueeze: dim {dim} is out of range for a result of {n} dimensions")
        new = list(self.data.shape)
        new.insert(dim % n, 1)
        return self.reshape(tuple(new))

    def flatten(self, start_dim=0, end_dim=-1):
        shp = self.data.shape
        if not shp:
            return self.reshape((1,))
        s, e = start_dim % len(shp), end_dim % len(shp)
        if s > e:
            raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
        return self.reshape(shp[:s] + (int(np.prod(shp[s:e + 1])),) + shp[e + 1:])

    def expand(self, *sizes):
        sizes = _shape_args(sizes)
        lead = len(sizes) - self.ndim
        if lead < 0:
            raise ValueError(f"expand: {len(sizes)} sizes given for a tensor of shape {self.shape}")
        shape_out = tuple(self.shape[i - lead] if s == -1 and i >= lead else s
                          for i, s in enumerate(sizes))
        return self.broadcast_to(shape_out)

    def broadcast_to(self, shape):
        shape = tuple(shape)
        if shape == self.data.shape:
            return self
        return _with_constant(shape_ops.Expand, self, shape)

    def __getitem__(self, index):
        if isinstance(index, tuple):
            index = tuple(_index_part(p) for p in index)
        else:
            index = _index_part(index)
        return _with_constant(shape_ops.GetItem, self, index)

    def __setitem__(self, index, value):
        if self.requires_grad:
            raise RuntimeError("setitem: cannot assign into a tensor that requires grad (it would "
                               "silently change the graph); build a new tensor, e.g. with ag.where")
        if isinstance(index, tuple):
            index = tuple(_index_part(p) for p in index)
        else:
            index = _index_part(index)
        self.data[index] = value.data if isinstance(value, Tensor) else value

    def unbind(self, dim=0):
        """The slices along `dim`, as one node with several outputs."""
        if self.data.ndim == 0:
            raise ValueError("unbind: a 0-d tensor has no dimension to unbind")
        return shape_ops.Unbind.apply(self, axis=dim)

    def split(self, split_size_or_sections, dim=0):
        """PyTorch's split: pieces of a given size (the last may be smaller) or a list of sizes."""
        if not -self.ndim <= dim < self.ndim:
            raise ValueError(f"split: dim {dim} is out of range for shape {self.shape}")
        n = self.shape[dim]
        if isinstance(split_size_or_sections, (int, np.integer)):
            size = int(split_size_or_sections)
            if size <= 0:
                raise ValueError(f"split: the piece size must be positive, got {size}")
            sizes = [size] * (n // size) + ([n % size] if n % size else [])
        else:
            sizes = [int(s) for s in split_size_or_sections]
            if sum(sizes) != n or any(s < 0 for s in sizes):
                raise ValueError(f"split: sizes {sizes} must be non-negative and add up to {n}, "
                                 f"the length of dimension {dim} of shape {self.shape}")
        # the running sums by accumulate: np.cumsum's Python layer costs more than the split
        return shape_ops.Split.apply(self, list(itertools.accumulate(sizes[:-1])), axis=dim)

    def chunk(self, chunks, dim=0):
        """PyTorch's chunk: at most `chunks` pieces of equal size (the last may be smaller)."""
        if chunks <= 0:
            raise ValueError(f"chunk: the number of chunks must be positive, got {chunks}")
        n = self.shape[dim]
        return self.split(max(-(-n // chunks), 1), dim)

    def matmul(self, other):
        return self @ other


Tensor._value_type = Tensor
