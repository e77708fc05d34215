"""Gradient clipping, as `torch.nn.utils`.

Both functions give each parameter a new `.grad` tensor rather than writing
into the old array: gradients may share memory (one array can be the `.grad`
of two parameters after a backward that broadcast them), and an in-place
write would then change both.
"""

import math
import numbers

import numpy as np

from autograd import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _with_grads(parameters, op):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    try:
        params = list(parameters)
    except TypeError:
        raise TypeError(f"{op}: expected a Tensor or an iterable of Tensors, got "
                        f"{type(parameters).__name__}") from None
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"{op}: parameter {i} is a {type(p).__name__}, not a Tensor")
    return [p for p in params if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale all gradients together so that their joint norm is at most `max_norm`.

    total = || (||g_1||, ..., ||g_n||) ||  (the p-norm of all gradients as one vector);
    every g_i is multiplied by min(1, max_norm / (total + 1e-6)).
    Returns `total`, the norm BEFORE clipping (a float), as PyTorch.
    """
    op = "clip_grad_norm_"
    if not isinstance(max_norm, numbers.Real) or max_norm < 0:
        raise ValueError(f"{op}: max_norm must be a non-negative number, got {max_norm!r}")
    norm_type = float(norm_type)
    if not (norm_type > 0 or norm_type == -math.inf):
        raise ValueError(f"{op}: norm_type must be positive or inf, got {norm_type}")
    params = _with_grads(parameters, op)
    if not params:
        return 0.0
    norms = np.array([np.linalg.norm(p.grad.data.ravel().astype(np.float64), norm_type)
                      if p.grad.data.size else 0.0 for p in params])
    total = float(np.linalg.norm(norms, norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"{op}: the total norm of order {norm_type} of the gradients is "
                           f"{total}, so they cannot be clipped (error_if_nonfinite=True)")
    scale = min(max_norm / (total + 1e-6), 1.0)
    for p in params:
        g = p.grad.data
        p.grad = Tensor((g * scale).astype(g.dtype, copy=False))
    return total


def clip_grad_value_(parameters, clip_value):
    """Clamp every gradient element into [-clip_value, clip_value]."""
    op = "clip_grad_value_"
    if not isinstance(clip_value, numbers.Real) or clip_value < 0:
        raise ValueError(f"{op}: clip_value must be a non-negative number, got {clip_value!r}")
    for p in _with_grads(parameters, op):
        p.grad = Tensor(np.clip(p.grad.data, -clip_value, clip_value))
