"""Finite-difference check of the gradients the graph computes.

For f(x), the numeric derivative of element x_i is the central difference

    (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)

computed in float64. A non-scalar output is reduced to a number by a fixed
random projection, sum(f(x) * R), whose gradient involves every output element
(`every_output=True` checks each output element in turn instead).
"""

import numpy as np

from .graph import no_grad
from .scalar import Scalar
from .tensor import Tensor


class GradcheckError(AssertionError):
    """The analytic and numeric gradients disagree."""


def _float64_copy(x):
    if isinstance(x, Tensor) and x.requires_grad:
        return Tensor(x.data.astype(np.float64), requires_grad=True, label=x.label)
    if isinstance(x, Scalar):
        return Scalar(x.data, label=x.label)
    return x


def _reduce(out, projection):
    if isinstance(out, Scalar):
        return out
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor or Scalar, got {type(out).__name__}")
    return (out * projection).sum()


def _value(out, projection):
    if isinstance(out, Scalar):
        return out.data
    return float(np.sum(out.data.astype(np.float64) * projection))


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, every_output=False, seed=0):
    """Compare the gradient of `fn(*inputs)` with central differences, in float64.

    Inputs that require grad (Tensors) and Scalars are checked; others are
    passed as they are. Returns True, or raises `GradcheckError` naming the
    input, the worst element, both values and their difference.
    """
    if not isinstance(inputs, (tuple, list)):
        inputs = (inputs,)
    inputs = [_float64_copy(x) for x in inputs]
    checked = [i for i, x in enumerate(inputs)
               if isinstance(x, Scalar) or (isinstance(x, Tensor) and x.requires_grad)]
    if not checked:
        raise ValueError("gradcheck: no input requires grad, so there is nothing to check")
    with no_grad():
        out0 = fn(*inputs)
    rng = np.random.default_rng(seed)
    shape = getattr(out0, "shape", ())
    size = int(np.prod(shape))
    if every_output and not isinstance(out0, Scalar):
        projections = [np.eye(size)[k].reshape(shape) for k in range(size)]
    elif size == 1:            # a loss: its own gradient, so the message shows d loss / d x
        projections = [np.ones(shape)]
    else:
        projections = [rng.standard_normal(shape)]
    for projection in projections:
        _check_one(fn, inputs, checked, projection, eps, atol, rtol)
    return True


def _check_one(fn, inputs, checked, projection, eps, atol, rtol):
    for i in checked:
        x = inputs[i]
        if isinstance(x, Tensor):
            x.grad = None
        else:
            x.grad = 0.0
    out = fn(*inputs)
    if isinstance(out, Scalar):
        # zero every Scalar's grad along the way would need the graph; the inputs suffice
        out.backward()
    else:
        _reduce(out, projection).backward()
    for i in checked:
        x = inputs[i]
        if isinstance(x, Scalar):
            analytic = np.array([x.grad])
            numeric = np.array([_numeric_scalar(fn, inputs, x, projection, eps)])
        else:
            analytic = (np.zeros_like(x.data) if x.grad is None else x.grad.data).astype(np.float64)
            numeric = _numeric_tensor(fn, inputs, x, projection, eps)
        diff = np.abs(analytic - numeric)
        bad = (diff > atol + rtol * np.abs(numeric)) | (~np.isfinite(analytic) & np.isfinite(numeric))
        if np.any(bad):
            k = int(np.argmax(np.where(bad, np.nan_to_num(diff, nan=np.inf), -1)))
            where = tuple(int(j) for j in np.unravel_index(k, analytic.shape))
            name = f" ({x.label})" if getattr(x, "label", None) else ""
            raise GradcheckError(
                f"gradcheck: input {i}{name} of shape {tuple(np.shape(x.data))}: element {where} "
                f"has analytic gradient {analytic.flat[k]:.8g} but numeric {numeric.flat[k]:.8g} "
                f"(difference {diff.flat[k]:.3g}, allowed {atol + rtol * abs(numeric.flat[k]):.3g}); "
                f"{int(bad.sum())} of {bad.size} elements disagree")


def _numeric_tensor(fn, inputs, x, projection, eps):
    numeric = np.zeros(x.data.shape, dtype=np.float64)
    flat = x.data.reshape(-1)          # a view: perturbing it perturbs x
    with no_grad():
        for k in range(flat.size):
            orig = flat[k]
            flat[k] = orig + eps
            plus = _value(fn(*inputs), projection)
            flat[k] = orig - eps
            minus = _value(fn(*inputs), projection)
            flat[k] = orig
            numeric.flat[k] = (plus - minus) / (2 * eps)
    return numeric


def _numeric_scalar(fn, inputs, x, projection, eps):
    orig = x.data
    with no_grad():
        x.data = orig + eps
        plus = _value(fn(*inputs), projection)
        x.data = orig - eps
        minus = _value(fn(*inputs), projection)
    x.data = orig
    return (plus - minus) / (2 * eps)
