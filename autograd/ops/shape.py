"""Shape and indexing: reshape, permute, expand, indexing, concatenation, stacking.

None of them changes a number, so each backward only moves gradients around.
"""

import numpy as np

from ..function import Function
from ..graph import Rebuild
from .reduce import normalize_axis


class Reshape(Function):
    """out = a with a new shape;  the gradient is reshaped back"""
    name = "reshape"

    @staticmethod
    def explain(args, kwargs):
        a, shape = args[0], args[1]
        return (f"cannot reshape a tensor of shape {tuple(np.shape(getattr(a, 'data', a)))} "
                f"({int(np.size(getattr(a, 'data', a)))} elements) into shape {tuple(shape)}")

    @staticmethod
    def forward(ctx, a, shape):
        ctx.save_for_backward(np.shape(a))
        return np.reshape(a, shape)

    @staticmethod
    def backward(ctx, grad_output):
        (shape,) = ctx.saved_tensors
        return _reshaped(grad_output, shape), None

    @staticmethod
    def record_grads(ctx, grads, grad_output):
        return Rebuild(_reshaped, grad_output, ctx.saved_tensors[0]), None


def _reshaped(g, shape):
    return g.reshape(shape)


class Permute(Function):
    """out = a with its axes reordered by `dims`;  the gradient is permuted back"""
    name = "permute"

    @staticmethod
    def forward(ctx, a, dims):
        # the inverse permutation, for backward: axis dims[i] of a is axis i of out
        inverse = [0] * len(dims)
        for i, d in enumerate(dims):
            inverse[d] = i
        ctx.save_for_backward(tuple(inverse))
        return np.asarray(a).transpose(dims)     # (np.transpose: the same, through two Python layers)

    @staticmethod
    def backward(ctx, grad_output):
        (inverse,) = ctx.saved_tensors
        return grad_output.transpose(inverse), None


class Expand(Function):
    """out = a broadcast to `shape`;  the driver sums the gradient back to a's shape"""
    name = "expand"

    @staticmethod
    def explain(args, kwargs):
        a, shape = args[0], args[1]
        return (f"cannot broadcast a tensor of shape {tuple(np.shape(getattr(a, 'data', a)))} "
                f"to shape {tuple(shape)} (each dimension must match or be 1)")

    @staticmethod
    def forward(ctx, a, shape):
        return np.broadcast_to(a, shape)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output, None


def _is_advanced(index):
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(p, (np.ndarray, list)) for p in parts)


class GetItem(Function):
    """out = a[index];  the gradient is scattered back (added, for repeated indices)"""
    name = "getitem"

    @staticmethod
    def explain(args, kwargs):
        a, index = args
        return f"index {index!r} does not fit a tensor of shape {tuple(np.shape(getattr(a, 'data', a)))}"

    @staticmethod
    def forward(ctx, a, index):
        out = a[index]
        ctx.save_for_backward(a.shape, a.dtype, index)
        return out

    @staticmethod
    def backward(ctx, grad_output):
        shape, dtype, index = ctx.saved_tensors
        if grad_output.dtype != dtype:
            dtype = np.result_type(dtype, grad_output.dtype)
        grad = np.zeros(shape, dtype)
        if _is_advanced(index):
            np.add.at(grad, index, grad_output)
        else:
            grad[index] = grad_output
        return grad, None


class Cat(Function):
    """out = the inputs joined along `axis`;  each input gets its slice of the gradient"""
    name = "cat"

    @staticmethod
    def explain(args, kwargs):
        shapes = [tuple(np.shape(getattr(a, "data", a))) for a in args]
        axis = kwargs.get("axis", 0)
        others = {s[:axis % len(s)] + s[axis % len(s) + 1:] if s and -len(s) <= axis < len(s) else s
                  for s in shapes}
        if not all(shapes):
            return f"0-d tensors (shapes {shapes}) have no axis to join along; use stack"
        if len(others) == 1:
            return None                     # the shapes fit: the error is about something else
        return (f"tensors of shapes {shapes} cannot be joined along axis {axis}: "
                f"all other dimensions must be equal")

    @staticmethod
    def forward(ctx, *arrays, axis=0):
        ndim = np.ndim(arrays[0])
        (ax,) = normalize_axis(axis, ndim, "cat")
        ctx.save_for_backward(ax, np.cumsum([np.shape(a)[ax] for a in arrays])[:-1])
        return np.concatenate(arrays, axis=ax)

    @staticmethod
    def backward(ctx, grad_output):
        ax, bounds = ctx.saved_tensors
        return tuple(np.split(grad_output, bounds, axis=ax))


class Stack(Function):
    """out = the inputs stacked along a new `axis`;  each input gets its slice of the gradient"""
    name = "stack"

    @staticmethod
    def explain(args, kwargs):
        shapes = [tuple(np.shape(getattr(a, "data", a))) for a in args]
        if len(set(shapes)) == 1:
            return None                     # the shapes fit: the error is about something else
        return f"tensors of shapes {shapes} cannot be stacked: all shapes must be equal"

    @staticmethod
    def forward(ctx, *arrays, axis=0):
        (ax,) = normalize_axis(axis, np.ndim(arrays[0]) + 1, "stack")
        ctx.save_for_backward(ax)
        return np.stack(arrays, axis=ax)

    @staticmethod
    def backward(ctx, grad_output):
        (ax,) = ctx.saved_tensors
        return tuple(np.moveaxis(grad_output, ax, 0))


class Split(Function):
    """outs = a cut along `axis` at `bounds`;  the gradients are joined back"""
    name = "split"

    @staticmethod
    def forward(ctx, a, bounds, axis=0):
        (ax,) = normalize_axis(axis, np.ndim(a), "split")
        ctx.save_for_backward(ax)
        if isinstance(bounds, (int, np.integer)):        # a number of equal sections
            return tuple(np.split(a, bounds, axis=ax))
        # the pieces np.split makes (views, a[..., start:end] along ax), sliced
        # directly: np.split's Python loop costs four times this (an LSTM splits
        # its gates at every step)
        a = np.asarray(a)
        lead = (slice(None),) * ax
        starts, ends = [0, *bounds], [*bounds, None]
        return tuple([a[lead + (slice(start, end),)] for start, end in zip(starts, ends)])

    @staticmethod
    def backward(ctx, *grad_outputs):
        (ax,) = ctx.saved_tensors
        return _joined(ax, *grad_outputs), None

    @staticmethod
    def record_grads(ctx, grads, *grad_outputs):
        return Rebuild(_joined, ctx.saved_tensors[0], *grad_outputs), None


class Unbind(Function):
    """outs = the slices of a along `axis` (that axis removed);  the gradients are stacked back"""
    name = "unbind"

    @staticmethod
    def forward(ctx, a, axis=0):
        (ax,) = normalize_axis(axis, np.ndim(a), "unbind")
        ctx.save_for_backward(ax)
        return tuple(np.moveaxis(a, ax, 0))

    @staticmethod
    def backward(ctx, *grad_outputs):
        (ax,) = ctx.saved_tensors
        return _stacked(ax, *grad_outputs)

    @staticmethod
    def record_grads(ctx, grads, *grad_outputs):
        return (Rebuild(_stacked, ctx.saved_tensors[0], *grad_outputs),)


def _joined(ax, *parts):
    return np.concatenate(parts, axis=ax)


def _stacked(ax, *parts):
    return np.stack(parts, axis=ax)
