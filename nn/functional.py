"""Activations, layers and losses as functions, under PyTorch's names (`import nn.functional as F`).

Each is a composition of autograd operations, so its gradient comes from the
graph: nothing here writes a backward pass. Where the plain formula would
overflow or lose its gradient, the docstring says how the composition avoids
it (a detached max subtracted before `exp`; branches of `ag.where` evaluated
on clamped inputs, so the branch not taken never produces inf * 0 = NaN in
backward).

Shapes follow PyTorch: class scores are `(N, C)` or `(N, C, d1, ...)` with the
classes in dimension 1 (or `(C,)` for one unbatched sample).
"""

import math
import numbers

import numpy as np

import autograd as ag
from autograd import Tensor
from autograd.ops.linalg import Addmm, MatMul
from autograd.ops.reduce import CrossEntropy

__all__ = [
    "relu", "relu6", "sigmoid", "tanh", "hardtanh", "gelu", "silu", "softplus", "elu",
    "leaky_relu", "prelu", "softmax", "log_softmax", "linear", "dropout", "embedding",
    "one_hot", "mse_loss", "l1_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss",
]

_REDUCTIONS = ("mean", "sum", "none")


# -- helpers --------------------------------------------------------------------------

def _tensor(x, op):
    """`x` as a Tensor (arrays, lists and numbers are wrapped; a Scalar is refused)."""
    if isinstance(x, Tensor):
        return x
    if getattr(x, "_value_type", None) is not None:
        raise TypeError(f"{op}: expected a Tensor, got a {type(x).__name__} "
                        f"(nn.functional works on Tensors; nn.scalar builds Scalar networks)")
    if isinstance(x, (np.ndarray, numbers.Number, list, tuple, np.generic)):
        return Tensor(x)
    raise TypeError(f"{op}: expected a Tensor, ndarray or number, got {type(x).__name__}")


def _raw(x):
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _check_reduction(reduction, op):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _same_shape(input, target, op):
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"{op}: target shape {tuple(target.shape)} differs from input shape "
                         f"{tuple(input.shape)}; they must be equal (reshape one of them, e.g. "
                         f"a (N, 1) output against (N,) targets)")


def _float_target(target, input, op):
    t = target if isinstance(target, Tensor) else Tensor(np.asarray(target))
    if t.dtype != input.dtype and not t.requires_grad:     # e.g. int or float64 labels
        t = Tensor(t.data.astype(input.dtype))
    _same_shape(input, t, op)
    return t


def _weight_like(weight, x):
    """A loss's `weight` (or `pos_weight`) in the input's dtype, so that float64 weights
    (lists, ndarrays) do not promote a float32 loss; None and a weight that requires
    grad pass through."""
    if weight is None or (isinstance(weight, Tensor) and weight.requires_grad):
        return weight
    return np.asarray(_raw(weight), dtype=x.dtype)


def _softplus_stable(z):
    """log(1 + e^z) for any z: z + log1p(e^-z) for z >= 0, log1p(e^z) below.

    Each branch sees a clamped z, so neither overflows; the gradient is
    sigmoid(z) everywhere, 1/2 at 0.
    """
    upper = z + (-z.clamp(min=0)).exp().log1p()
    lower = z.clamp(max=0).exp().log1p()
    return ag.where(z.data >= 0, upper, lower)


def _clamped_log(x):
    """log x clamped below at -100, as PyTorch's binary_cross_entropy (so log 0 is finite).

    log is taken of 1 where x = 0, so the branch not taken has a finite gradient.
    """
    pos = x.data > 0
    safe = ag.where(pos, x, 1.0)
    return ag.where(pos, safe.log().clamp(min=-100.0), -100.0)


# -- activations ----------------------------------------------------------------------

def relu(input):
    """max(x, 0); the gradient at 0 is 0."""
    return _tensor(input, "relu").relu()


def sigmoid(input):
    """1 / (1 + e^-x)."""
    return _tensor(input, "sigmoid").sigmoid()


def tanh(input):
    return _tensor(input, "tanh").tanh()


def hardtanh(input, min_val=-1.0, max_val=1.0):
    """x clamped to [min_val, max_val]; gradient 1 strictly inside, 0 elsewhere (as PyTorch)."""
    x = _tensor(input, "hardtanh")
    if not min_val < max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) must be less than max_val ({max_val})")
    inside = (x.data > min_val) & (x.data < max_val)
    return ag.where(inside, x, np.clip(x.data, min_val, max_val))


def relu6(input):
    """min(max(x, 0), 6)."""
    return hardtanh(input, 0.0, 6.0)


def gelu(input, approximate="none"):
    """x Phi(x) = x/2 (1 + erf(x / sqrt 2)); with approximate='tanh':
    x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    x = _tensor(input, "gelu")
    if approximate == "none":
        return 0.5 * x * (1.0 + (x * (1.0 / math.sqrt(2.0))).erf())
    if approximate == "tanh":
        inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)
        return 0.5 * x * (1.0 + inner.tanh())
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def silu(input):
    """x sigmoid(x) (also called swish)."""
    x = _tensor(input, "silu")
    return x * x.sigmoid()


def softplus(input, beta=1.0, threshold=20.0):
    """(1/beta) log(1 + e^(beta x)); x itself where beta x > threshold (PyTorch's rule).

    The log1p branch sees beta x clamped at the threshold, so it never overflows.
    """
    x = _tensor(input, "softplus")
    if beta <= 0:
        raise ValueError(f"softplus: beta must be positive, got {beta}")
    z = x * beta if beta != 1 else x
    soft = z.clamp(max=threshold).exp().log1p()
    if beta != 1:
        soft = soft / beta
    return ag.where(z.data > threshold, x, soft)


def elu(input, alpha=1.0):
    """x for x > 0, alpha (e^x - 1) otherwise (e^x of the clamped x: no overflow)."""
    x = _tensor(input, "elu")
    return ag.where(x.data > 0, x, alpha * (x.clamp(max=0).exp() - 1.0))


def leaky_relu(input, negative_slope=0.01):
    """x for x > 0, negative_slope * x otherwise."""
    x = _tensor(input, "leaky_relu")
    return ag.where(x.data > 0, x, x * negative_slope)


def prelu(input, weight):
    """x for x > 0, a * x otherwise, with a learnable `weight` a: one value, or one per
    channel (dimension 1 of the input)."""
    x = _tensor(input, "prelu")
    a = _tensor(weight, "prelu")
    n = a.data.size
    if n != 1:
        if x.ndim < 2 or x.shape[1] != n:
            raise ValueError(f"prelu: {n} weights need an input whose dimension 1 has {n} "
                             f"channels, got input shape {tuple(x.shape)}")
        a = a.reshape((n,) + (1,) * (x.ndim - 2))
    elif a.ndim > x.ndim:
        a = a.reshape(())
    return ag.where(x.data > 0, x, a * x)


def _dim(x, dim, op):
    if dim is None:
        dim = -1
    if not -max(x.ndim, 1) <= dim < max(x.ndim, 1):
        raise ValueError(f"{op}: dim {dim} is out of range for an input of shape {tuple(x.shape)}")
    return dim


def softmax(input, dim=-1):
    """e^(x_i - m) / sum_j e^(x_j - m) along `dim`; m = max, detached (it cancels)."""
    x = _tensor(input, "softmax")
    dim = _dim(x, dim, "softmax")
    e = (x - x.max(dim=dim, keepdim=True).detach()).exp()
    return e / e.sum(dim=dim, keepdim=True)


def log_softmax(input, dim=-1):
    """z - log sum_j e^(z_j) with z = x - max(x) (max detached): finite for any logits."""
    x = _tensor(input, "log_softmax")
    dim = _dim(x, dim, "log_softmax")
    z = x - x.max(dim=dim, keepdim=True).detach()
    return z - z.exp().sum(dim=dim, keepdim=True).log()


# -- layers ---------------------------------------------------------------------------

def linear(input, weight, bias=None):
    """x W^T + b.  x: (*, in), W: (out, in), b: (out,) -> (*, out)."""
    return _affine(_tensor(input, "linear"), _tensor(weight, "linear").T, bias)


def _affine(x, weight_t, bias, rows=None):
    """x W^T + b for a checked x and W^T given (nn.Linear, the recurrent cells):
    one addmm node for a batch of rows, as PyTorch records it. `rows`: W^T laid
    out row-major for the forward's product (`autograd.ops.linalg.row_major`)."""
    if rows is not None and x.ndim == 2:
        if bias is None:
            return MatMul.apply(x, weight_t, b_rows=rows)
        return Addmm.apply(bias, x, weight_t, b_rows=rows)
    if bias is None:
        return x @ weight_t
    if x.ndim == 2:
        return ag.addmm(bias, x, weight_t)
    return x @ weight_t + bias


def dropout(input, p=0.5, training=True):
    """Zero each element with probability p and scale the rest by 1/(1-p) (inverted
    dropout, so evaluation needs no rescaling). Identity when not training."""
    x = _tensor(input, "dropout")
    if not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: probability p must be between 0 and 1, got {p!r}")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * np.zeros((), x.dtype)
    keep = ag.generator().random(x.shape) >= p
    return x * (keep / (1.0 - p)).astype(x.dtype)


def _indices(input, op):
    idx = _raw(input)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{op}: indices must be integers, got dtype {idx.dtype}")
    return idx


def embedding(input, weight, padding_idx=None):
    """Rows of `weight` (num_embeddings, dim) picked by integer `input` (any shape) ->
    input.shape + (dim,). Rows at `padding_idx` get no gradient."""
    w = _tensor(weight, "embedding")
    idx = _indices(input, "embedding")
    n = w.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        bad = idx[(idx < 0) | (idx >= n)]
        raise ValueError(f"embedding: index {int(bad.flat[0])} is out of range for "
                         f"{n} embeddings (valid: 0 to {n - 1})")
    out = w[idx]
    if padding_idx is not None:
        pad = (idx == padding_idx % n)[..., None]
        out = ag.where(pad, w.detach()[idx], out)
    return out


def one_hot(tensor, num_classes=-1):
    """Integer class ids (any shape) -> int64 one-hot of shape tensor.shape + (num_classes,)."""
    idx = _indices(tensor, "one_hot")
    if num_classes == -1:
        num_classes = int(idx.max()) + 1 if idx.size else 0
    if idx.size and (idx.min() < 0 or idx.max() >= num_classes):
        raise ValueError(f"one_hot: class values must be in [0, {num_classes}), "
                         f"got min {idx.min()} and max {idx.max()}")
    return Tensor(np.eye(num_classes, dtype=np.int64)[idx])


# -- losses ---------------------------------------------------------------------------

def mse_loss(input, target, reduction="mean"):
    """(x - y)^2, reduced."""
    _check_reduction(reduction, "mse_loss")
    x = _tensor(input, "mse_loss")
    y = _float_target(target, x, "mse_loss")
    d = x - y
    return _reduce(d * d, reduction)


def l1_loss(input, target, reduction="mean"):
    """|x - y|, reduced."""
    _check_reduction(reduction, "l1_loss")
    x = _tensor(input, "l1_loss")
    y = _float_target(target, x, "l1_loss")
    return _reduce((x - y).abs(), reduction)


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """-w [y log p + (1 - y) log(1 - p)] for probabilities p in [0, 1]; each log is
    clamped at -100 (as PyTorch), so p = 0 or 1 gives a finite loss."""
    _check_reduction(reduction, "binary_cross_entropy")
    p = _tensor(input, "binary_cross_entropy")
    y = _float_target(target, p, "binary_cross_entropy")
    if p.data.size and not ((p.data >= 0) & (p.data <= 1)).all():
        raise ValueError(f"binary_cross_entropy: every input must be a probability in [0, 1], "
                         f"got values from {np.nanmin(p.data)} to {np.nanmax(p.data)} (NaN "
                         f"included: {bool(np.isnan(p.data).any())}); for raw scores use "
                         f"binary_cross_entropy_with_logits")
    loss = -(y * _clamped_log(p) + (1.0 - y) * _clamped_log(1.0 - p))
    if weight is not None:
        loss = loss * _weight_like(weight, p)
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean", pos_weight=None):
    """BCE of sigmoid(x), from the logit x:  (1 - y) x + l * softplus(-x),
    l = 1 + (pos_weight - 1) y  (l = 1 without pos_weight).

    This equals max(x, 0) - x y + log(1 + e^-|x|), written with a softplus whose
    branches see clamped inputs: finite for |x| = 1e4, with gradient
    sigmoid(x) - y also at x = 0 (where |x| and max(x, 0) have a kink).
    """
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    x = _tensor(input, "binary_cross_entropy_with_logits")
    y = _float_target(target, x, "binary_cross_entropy_with_logits")
    if pos_weight is None:
        log_weight = 1.0
    else:
        log_weight = 1.0 + (_weight_like(pos_weight, x) - 1.0) * y
    loss = (1.0 - y) * x + log_weight * _softplus_stable(-x)
    if weight is not None:
        loss = loss * _weight_like(weight, x)
    return _reduce(loss, reduction)


def _class_dim(x, op):
    ndim = x.data.ndim
    if ndim == 0:
        raise ValueError(f"{op}: input must have a class dimension, got a 0-d tensor")
    return 0 if ndim == 1 else 1


def _class_weight(weight, n_classes, dtype, op):
    if weight is None:
        return None
    w = np.asarray(_raw(weight), dtype=dtype)
    if w.shape != (n_classes,):
        raise ValueError(f"{op}: weight must have shape ({n_classes},), one per class, "
                         f"got {w.shape}")
    return w


def _class_targets(x, cdim, t, weight, ignore_index, op):
    """Checked integer targets `t` (an array) of class scores `x` (classes in `cdim`):
    (x as rows (samples, C), the target of each row (an ignored one replaced by 0),
    the weight of each row's loss).

    The weight is None when every row counts once (no class weights, nothing
    ignored), so that the loss needs no product and 'mean' is a plain mean.
    """
    if t.dtype.kind not in "iu":
        raise TypeError(f"{op}: targets must be integer class indices, got dtype {t.dtype}")
    shape = x.data.shape
    expected = shape[:1] + shape[2:] if cdim == 1 else ()
    if t.shape != expected:
        raise ValueError(f"{op}: for input of shape {shape} the targets must have shape "
                         f"{expected} (the input's without the class dimension {cdim}), "
                         f"got {t.shape}")
    n_classes = shape[cdim]
    w = None if weight is None else _class_weight(weight, n_classes, x.data.dtype, op)
    if cdim == 0:
        rows = x.reshape(1, n_classes)
    elif len(shape) == 2:
        rows = x
    else:                                  # (N, C, d...) -> (N*d..., C)
        rows = x.permute(0, *range(2, len(shape)), 1).reshape(-1, n_classes)
    flat_t = t.reshape(-1)
    if w is None and flat_t.size:
        # the usual batch: every target a class, none ignored. With ignore_index outside
        # the classes (the default -100), one reduction tells: viewed as unsigned, a
        # negative target is larger than any class
        if not 0 <= ignore_index < n_classes:
            unsigned = flat_t.view(f"u{flat_t.itemsize}") if flat_t.dtype.kind == "i" else flat_t
            if int(np.maximum.reduce(unsigned)) < n_classes:
                return rows, flat_t, None
        else:
            low, high = int(flat_t.min()), int(flat_t.max())
            if 0 <= low and high < n_classes and not low <= ignore_index <= high:
                return rows, flat_t, None
    valid = flat_t != ignore_index
    bad = valid & ((flat_t < 0) | (flat_t >= n_classes))
    if bad.any():
        raise ValueError(f"{op}: target {int(flat_t[bad][0])} is out of range for {n_classes} "
                         f"classes (valid: 0 to {n_classes - 1}, or ignore_index={ignore_index})")
    safe_t = np.where(valid, flat_t, 0)
    scale = valid.astype(x.data.dtype) if w is None else w[safe_t] * valid
    return rows, safe_t, scale


def _reduce_per_sample(losses, scale, shape, reduction):
    """Per-row losses weighted by `scale` (None: all 1) and reduced; 'mean' divides by
    the sum of the weights (NaN when every target is ignored, as PyTorch)."""
    if scale is not None:
        losses = losses * scale
    if reduction == "none":
        return losses.reshape(shape)
    if reduction == "sum" or scale is None:
        return _reduce(losses, reduction)
    with np.errstate(invalid="ignore", divide="ignore"):
        return losses.sum() / scale.sum()


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """-w[y] * input[y]: the negative log-likelihood of the target classes, given
    log-probabilities `input` (N, C) / (N, C, d...) / (C,) and integer targets
    (N,) / (N, d...) / ().

    Targets equal to `ignore_index` contribute 0; 'mean' divides by the sum of
    the weights of the targets not ignored (their count without `weight`).
    """
    op = "nll_loss"
    _check_reduction(reduction, op)
    x = _tensor(input, op)
    t = _raw(target)
    rows, flat_t, scale = _class_targets(x, _class_dim(x, op), t, weight, ignore_index, op)
    losses = -rows[np.arange(len(flat_t)), flat_t]
    return _reduce_per_sample(losses, scale, t.shape, reduction)


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """Softmax cross-entropy from logits: nll_loss(log_softmax(x, class dim), y).

    Targets are integer class indices (see `nll_loss`), or float class
    probabilities of the input's own shape: then the loss of a sample is
    -sum_c w_c y_c log_softmax(x)_c and 'mean' divides by the number of samples.
    Stable for logits of any magnitude (see `log_softmax`).
    """
    op = "cross_entropy"
    _check_reduction(reduction, op)
    x = _tensor(input, op)
    cdim = _class_dim(x, op)
    t = _raw(target)
    if t.dtype.kind in "iu":
        # nll_loss(log_softmax(x)) in one operation (autograd's CrossEntropy): the loss
        # of a row is lse(x) - x[y], computed so that no digits are lost to the
        # cancellation of two large numbers, however large the logits
        rows, flat_t, scale = _class_targets(x, cdim, t, weight, ignore_index, op)
        if scale is None and reduction != "none":   # every row counts once: one node
            return CrossEntropy.apply(rows, flat_t, reduction=reduction)
        losses = CrossEntropy.apply(rows, flat_t)
        return _reduce_per_sample(losses, scale, t.shape, reduction)
    if t.dtype.kind != "f":
        raise TypeError(f"{op}: targets must be integer class indices or float class "
                        f"probabilities, got dtype {t.dtype}")
    if t.shape != tuple(x.shape):
        raise ValueError(f"{op}: float targets are class probabilities and must have the "
                         f"input's shape {tuple(x.shape)}, got {t.shape}; class indices must "
                         f"be an integer array of shape {tuple(x.shape[:1] + x.shape[2:])}")
    y = target if isinstance(target, Tensor) else Tensor(t.astype(x.dtype, copy=False))
    logp = log_softmax(x, cdim)
    w = _class_weight(weight, x.shape[cdim], x.dtype, op)
    if w is not None:
        logp = logp * w.reshape((-1,) + (1,) * (x.ndim - cdim - 1))
    losses = -(y * logp).sum(dim=cdim)
    return _reduce(losses, reduction)
