"""Reductions: sum, mean, var, max, min over all axes or some.

`axis` is None, an int or a tuple of ints (negative counts from the end).
Backward re-inserts the reduced axes and broadcasts the gradient back.
"""

import math

import numpy as np

from ..function import Function


def normalize_axis(axis, ndim, op):
    """`axis` as a sorted tuple of non-negative ints (None means every axis)."""
    if axis is None:
        return tuple(range(ndim))
    if type(axis) is int and -ndim <= axis < ndim:      # the usual single axis
        return (axis % ndim,)
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    out = []
    for ax in axes:
        if not isinstance(ax, (int, np.integer)):
            raise TypeError(f"{op}: axis must be an int or a tuple of ints, got {axis!r}")
        if not -max(ndim, 1) <= ax < max(ndim, 1):
            raise ValueError(f"{op}: axis {ax} is out of range for a tensor of {ndim} dimensions")
        out.append(int(ax) % max(ndim, 1))
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: axis {axis!r} repeats a dimension")
    return tuple(sorted(out)) if ndim else ()


def _nonempty(a, axis, op):
    """`a` as an array and its axes to reduce; an empty array has no max to start from."""
    a = np.asarray(a)
    axes = normalize_axis(axis, a.ndim, op)
    if a.size == 0:
        raise ValueError(f"{op}: cannot reduce an empty tensor of shape {a.shape}")
    return a, axes


def _kept_shape(shape, axes):
    """`shape` with the reduced `axes` kept as 1s: the shape a reduced gradient takes
    again to broadcast back (a reshape, cheaper than np.expand_dims on every backward)."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _expand(grad, shape, kept):
    """Bring a reduced gradient back to `shape`: a read-only view repeating it along
    the reduced axes (stride 0), as np.broadcast_to makes, whose Python layer (an
    nditer) costs four times this direct construction."""
    grad = grad.reshape(kept)
    if not grad.flags.c_contiguous:
        return np.broadcast_to(grad, shape)
    strides = tuple(0 if k != n else s for k, n, s in zip(kept, shape, grad.strides))
    view = np.ndarray(shape, grad.dtype, grad, 0, strides)
    view.flags.writeable = False
    return view


def _max_kept(a, axes):
    """max of `a` over `axes`, which stay as 1s.

    Over the rows of a matrix (class scores), numpy's max pays a fixed cost per
    row (7 us for 128 rows of 10) and argmax does not: the maximum is picked
    where argmax finds it (the same value, NaN for a row that has one).
    """
    if a.ndim == 2 and axes == (1,):
        return a[np.arange(a.shape[0]), a.argmax(axis=1)].reshape(-1, 1)
    return a.max(axis=axes, keepdims=True)


class Sum(Function):
    """out = sum of a over axes;  d/da = 1 for every summed element"""
    name = "sum"

    @staticmethod
    def forward(ctx, a, axis=None, keepdims=False):
        a = np.asarray(a)
        axes = normalize_axis(axis, a.ndim, "sum")
        ctx.save_for_backward(a.shape, _kept_shape(a.shape, axes))
        return np.sum(a, axis=axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad_output):
        shape, kept = ctx.saved_tensors
        return _expand(grad_output, shape, kept)


class Mean(Function):
    """out = sum of a over axes / n;  d/da = 1/n"""
    name = "mean"

    @staticmethod
    def forward(ctx, a, axis=None, keepdims=False):
        a = np.asarray(a)
        axes = normalize_axis(axis, a.ndim, "mean")
        n = math.prod(a.shape[i] for i in axes)
        ctx.save_for_backward(a.shape, _kept_shape(a.shape, axes), n)
        return _mean(a, axes, keepdims, n)

    @staticmethod
    def backward(ctx, grad_output):
        shape, kept, n = ctx.saved_tensors
        return _expand(grad_output / n, shape, kept)


def _mean(a, axes, keepdims, n):
    """np.mean of `a` over `axes` (n elements each)."""
    if a.dtype.kind != "f" or a.dtype.itemsize < 4 or n == 0:
        return np.mean(a, axis=axes, keepdims=keepdims)   # ints give float64, float16 sums in float32
    # np.mean's own sum and division, without its Python layer: np.mean divides by n
    # in float64 and rounds back, which gives the same float32 as dividing in float32
    return np.add.reduce(a, axis=axes, keepdims=keepdims) / n


class Var(Function):
    """out = sum((a - mean)^2) / (n - correction);  d/da = 2 (a - mean) / (n - correction)"""
    name = "var"

    @staticmethod
    def forward(ctx, a, axis=None, keepdims=False, correction=1):
        a = np.asarray(a)
        axes = normalize_axis(axis, a.ndim, "var")
        n = math.prod(a.shape[i] for i in axes)
        centred = a - a.mean(axis=axes, keepdims=True)
        ctx.save_for_backward(centred, _kept_shape(a.shape, axes), n - correction)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.sum(centred * centred, axis=axes, keepdims=keepdims) / (n - correction)

    @staticmethod
    def backward(ctx, grad_output):
        centred, kept, dof = ctx.saved_tensors
        return grad_output.reshape(kept) * centred * (2 / dof)


class LogSumExp(Function):
    """out = m + ln sum e^(a - m) over axes, with m = max a (nothing overflows);
    d/da = e^(a - out) = softmax(a) along the axes"""
    name = "logsumexp"

    @staticmethod
    def forward(ctx, a, axis=None, keepdims=False):
        a, axes = _nonempty(a, axis, "logsumexp")
        m = _max_kept(a, axes)
        e = np.exp(a - m)
        total = e.sum(axis=axes, keepdims=True)
        out = m + np.log(total)
        e /= total                                  # the softmax, which backward needs
        ctx.save_for_backward(e, m.shape)
        return out if keepdims else out.squeeze(axis=axes)

    @staticmethod
    def backward(ctx, grad_output):
        softmax, kept = ctx.saved_tensors
        return grad_output.reshape(kept) * softmax


class CrossEntropy(Function):
    """Softmax cross-entropy of each row of scores a (N, C) against its class t (N,):
    out_i = ln sum_c e^(a_ic) - a_it = ln sum_c e^(a_ic - m_i) + (m_i - a_it), m_i = max_c a_ic;
    d/da_ic = softmax(a_i)_c - [c = t_i]

    Written the second way, the target's score is subtracted from the row's
    maximum (exactly, for scores within a factor of two) rather than from the
    log of the sum, so a small loss under large scores keeps its digits. One
    node for what log_softmax and a pick would take several: `F.cross_entropy`
    with class indices uses it; the targets come checked (integers in range).
    `reduction='mean'` or `'sum'` gives the rows' mean or sum from the same node
    (`F.cross_entropy` when every row counts once), as PyTorch's loss node does.
    """
    name = "cross_entropy"

    @staticmethod
    def forward(ctx, a, target, reduction="none"):
        # reduction 'mean' or 'sum': the rows' losses reduced here, as Mean and Sum
        # would (the same sums), one node where F.cross_entropy made two
        a, _ = _nonempty(a, 1, "cross_entropy")
        rows = np.arange(a.shape[0])
        m = _max_kept(a, (1,))
        e = np.exp(a - m)
        total = e.sum(axis=1, keepdims=True)
        out = np.log(total[:, 0]) + (m[:, 0] - a[rows, target])
        e /= total                                  # the softmax, which backward needs
        ctx.save_for_backward(e, target, reduction)
        if reduction == "none":
            return out
        return _mean(out, (0,), False, len(out)) if reduction == "mean" else np.sum(out)

    @staticmethod
    def backward(ctx, grad_output):
        softmax, target, reduction = ctx.saved_tensors
        if reduction == "mean":                     # every row's: d mean / d row = 1/N
            grad_output = grad_output / len(target)
        grad = softmax * (grad_output[:, None] if reduction == "none" else grad_output)
        grad[np.arange(len(target)), target] -= grad_output
        return grad, None


class _Extremum(Function):
    """max or min over axes; the gradient is shared evenly among tied extremes"""
    reduce = None

    @classmethod
    def forward(cls, ctx, a, axis=None, keepdims=False):
        a, axes = _nonempty(a, axis, cls.name)
        out = cls.reduce(a, axis=axes, keepdims=True)
        ctx.save_for_backward(a == out, axes, out.shape)
        return out if keepdims else out.squeeze(axis=axes)

    @staticmethod
    def backward(ctx, grad_output):
        hit, axes, kept = ctx.saved_tensors
        count = hit.sum(axis=axes, keepdims=True)
        return hit * (grad_output.reshape(kept) / count)


class Max(_Extremum):
    name = "max"
    reduce = staticmethod(np.max)


class Min(_Extremum):
    name = "min"
    reduce = staticmethod(np.min)
