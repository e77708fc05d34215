"""Every row of the op table (op_specs.py), checked three ways:

1. its gradient against central finite differences (`ag.gradcheck`, float64);
2. its values, shapes and dtypes against numpy, in float64 and float32;
3. its values and gradients against PyTorch's, in float64, rtol 1e-7
   (skipped cleanly when PyTorch is not installed).
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd as ag
from autograd import Tensor
from op_specs import OPS

GRADCHECKED = [spec for spec in OPS if spec.gradcheck]
WITH_TORCH = [spec for spec in OPS if spec.torch is not None]

# every operation the engine's contract names, and so must have a row
REQUIRED = {
    "add", "sub", "mul", "div", "pow", "pow float exponent", "neg", "abs", "exp", "log", "log1p",
    "sqrt", "tanh", "sigmoid", "relu", "erf", "clip", "clamp", "maximum", "minimum", "where",
    "sum", "mean", "var", "max", "min", "logsumexp", "cross_entropy", "reshape", "view", "permute", "transpose",
    "T", "squeeze", "unsqueeze", "flatten", "expand", "broadcast_to", "getitem basic",
    "getitem integer array", "getitem boolean mask", "cat", "stack", "split size", "split sizes",
    "chunk", "unbind", "matmul 2-D", "matmul 1-D @ 1-D", "matmul batched", "addmm", "cast",
}


def outputs(result):
    return result if isinstance(result, tuple) else (result,)


def one_tensor(result):
    """A multi-output op's outputs joined into one Tensor (gradcheck wants one)."""
    if isinstance(result, tuple):
        return ag.cat([r.reshape(-1) for r in result])
    return result


def leaves(arrays, dtype=np.float64):
    return [Tensor(a.astype(dtype), requires_grad=True) for a in arrays]


def upstream_grads(outs):
    """A fixed random gradient per output, in the output's dtype."""
    rng = np.random.default_rng(len(outs))
    return [rng.standard_normal(o.shape).astype(o.dtype) for o in outs]


def backward_through(outs, grads, torch=None):
    """d(sum_k <out_k, grad_k>): `backward(grad)` for one output, a weighted sum for several."""
    if len(outs) == 1:
        outs[0].backward(torch.from_numpy(grads[0]) if torch else grads[0])
        return
    wrap = torch.from_numpy if torch else (lambda g: g)
    total = (outs[0] * wrap(grads[0])).sum()
    for o, g in zip(outs[1:], grads[1:]):
        total = total + (o * wrap(g)).sum()
    total.backward()


def test_table_has_a_row_for_every_operation_of_the_contract():
    names = {spec.name for spec in OPS}
    assert REQUIRED <= names, f"op table lacks rows for {sorted(REQUIRED - names)}"


@pytest.mark.parametrize("spec", GRADCHECKED, ids=str)
@given(data=st.data())
def test_gradient_matches_finite_differences(spec, data):
    case = data.draw(spec.inputs, label="case")
    assert ag.gradcheck(lambda *ts: one_tensor(spec.op(*ts, **case.kwargs)),
                        leaves(case.arrays), **spec.gradcheck_options)


@pytest.mark.parametrize("spec", OPS, ids=str)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@given(data=st.data())
def test_values_shapes_and_dtypes_match_numpy(spec, dtype, data):
    case = data.draw(spec.inputs, label="case")
    arrays = [a.astype(dtype) for a in case.arrays]
    inputs = leaves(arrays, dtype)
    outs = outputs(spec.op(*inputs, **case.kwargs))
    expected = outputs(spec.numpy(*arrays, **case.kwargs))
    assert len(outs) == len(expected), f"{spec.name}: {len(outs)} outputs, numpy gives {len(expected)}"
    tol = 1e-10 if dtype == np.float64 else 1e-5
    for k, (out, want) in enumerate(zip(outs, expected)):
        want = np.asarray(want)
        assert out.shape == want.shape, f"{spec.name} output {k}: shape {out.shape}, numpy {want.shape}"
        assert out.dtype == want.dtype, f"{spec.name} output {k}: dtype {out.dtype}, numpy {want.dtype}"
        np.testing.assert_allclose(out.data, want, rtol=tol, atol=tol,
                                   err_msg=f"{spec.name} output {k} differs from numpy")
    # gradients come back in each input's own dtype and shape
    backward_through(outs, upstream_grads(outs))
    for i, t in enumerate(inputs):
        if t.grad is not None:
            assert t.grad.dtype == dtype and t.grad.shape == t.shape, \
                f"{spec.name}: grad of input {i} is {t.grad.dtype} {t.grad.shape}, input {dtype} {t.shape}"


@pytest.mark.parametrize("spec", WITH_TORCH, ids=str)
@given(data=st.data())
def test_values_and_gradients_match_torch(spec, data):
    torch = pytest.importorskip("torch")
    case = data.draw(spec.inputs, label="case")
    ours = leaves(case.arrays)
    theirs = [torch.tensor(a, requires_grad=True) for a in case.arrays]
    outs = outputs(spec.op(*ours, **case.kwargs))
    touts = outputs(spec.torch(*theirs, **case.kwargs))
    assert len(outs) == len(touts), f"{spec.name}: {len(outs)} outputs, torch gives {len(touts)}"
    for k, (out, tout) in enumerate(zip(outs, touts)):
        want = tout.detach().numpy()
        assert out.shape == want.shape, f"{spec.name} output {k}: shape {out.shape}, torch {want.shape}"
        np.testing.assert_allclose(out.data, want, rtol=1e-7, atol=1e-12,
                                   err_msg=f"{spec.name} output {k} differs from torch")
    grads = upstream_grads(outs)
    backward_through(outs, grads)
    backward_through(touts, grads, torch)
    for i, (t, tt) in enumerate(zip(ours, theirs)):
        got = np.zeros(t.shape) if t.grad is None else t.grad.data
        want = np.zeros(t.shape) if tt.grad is None else tt.grad.numpy()
        np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-12,
                                   err_msg=f"{spec.name}: gradient of input {i} differs from torch")
