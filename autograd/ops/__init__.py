"""Tensor operations, one `Function` each, grouped by kind.

    elementwise.py   + - * / ** neg abs exp log log1p sqrt tanh sigmoid relu erf
                     clip maximum minimum where
    reduce.py        sum mean var max min logsumexp
    shape.py         reshape permute expand getitem cat stack
    linalg.py        matmul addmm

Each rule's gradient may be returned in the broadcast shape; the graph driver
sums it back to the input's shape with `sum_to` (below), once, for every op.
"""

import numpy as np


def sum_to(grad, shape):
    """Sum `grad` over the axes that broadcasting added or stretched, giving `shape`.

    Returns None when `grad` cannot have come from broadcasting `shape`.
    """
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    if lead < 0:
        return None
    if lead and shape and grad.shape[lead:] == shape:     # leading axes only (a bias over a batch)
        return np.add.reduce(grad, axis=tuple(range(lead)))
    axes = list(range(lead))
    for i, n in enumerate(shape):
        m = grad.shape[lead + i]
        if n == 1 and m != 1:
            axes.append(lead + i)
        elif n != m:
            return None
    if axes:
        grad = np.add.reduce(grad, axis=tuple(axes), keepdims=True)   # ndarray.sum, minus its Python layer
    return grad.reshape(shape)


def broadcast_explain(args, kwargs):
    shapes = [tuple(np.shape(getattr(a, "data", a))) for a in args]
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        shown = " and ".join(str(s) for s in shapes)
        return (f"shapes {shown} do not broadcast (aligned from the right, each "
                f"dimension must be equal or 1)")
    return None
