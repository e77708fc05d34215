"""Scalar: every operation agrees with its Tensor counterpart (values and gradients),
with numbers on either side, and passes a finite-difference gradient check."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd as ag
from autograd import Scalar, Tensor


def real(lo=-3.0, hi=3.0):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)


nonzero = st.one_of(real(-3.0, -0.3), real(0.3, 3.0))
positive = real(0.2, 3.0)

# name, function of the operands, one strategy per operand
BINARY = [
    ("add", lambda x, y: x + y, real(), real()),
    ("sub", lambda x, y: x - y, real(), real()),
    ("mul", lambda x, y: x * y, real(), real()),
    ("div", lambda x, y: x / y, real(), nonzero),
    ("pow", lambda x, y: x ** y, positive, real(-2.0, 2.0)),
]
UNARY = [
    ("neg", lambda x: -x, real()),
    ("exp", lambda x: x.exp(), real()),
    ("log", lambda x: x.log(), positive),
    ("tanh", lambda x: x.tanh(), real()),
    ("sigmoid", lambda x: x.sigmoid(), real(-30.0, 30.0)),
    ("relu", lambda x: x.relu(), nonzero),
]
# which operands are values (Scalar/Tensor) and which are plain Python numbers
OPERAND_KINDS = ["value op value", "value op number", "number op value"]


def tensor(x):
    return Tensor(np.float64(x), requires_grad=True)


def run(fn, make, operands, kinds):
    """fn applied to operands, each made a value by `make` where `kinds` says so."""
    args = [make(x) if is_value else x for x, is_value in zip(operands, kinds)]
    out = fn(*args)
    out.backward()
    grads = [float(a.grad.data) if isinstance(a, Tensor) else a.grad
             for a, is_value in zip(args, kinds) if is_value]
    return float(out.data), grads


def assert_same(scalar_result, tensor_result, what):
    (sv, sg), (tv, tg) = scalar_result, tensor_result
    assert math.isclose(sv, tv, rel_tol=1e-12, abs_tol=1e-14), f"{what}: value {sv} vs Tensor {tv}"
    for k, (a, b) in enumerate(zip(sg, tg)):
        assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-14), \
            f"{what}: gradient of operand {k} is {a}, Tensor gives {b}"


@pytest.mark.parametrize("kind", OPERAND_KINDS)
@pytest.mark.parametrize("name, fn, xs, ys", BINARY, ids=[b[0] for b in BINARY])
@given(data=st.data())
def test_binary_op_matches_tensor(name, fn, xs, ys, kind, data):
    x, y = data.draw(xs, label="x"), data.draw(ys, label="y")
    kinds = {"value op value": (True, True), "value op number": (True, False),
             "number op value": (False, True)}[kind]
    assert_same(run(fn, Scalar, (x, y), kinds), run(fn, tensor, (x, y), kinds), f"{name} {kind}")


@pytest.mark.parametrize("name, fn, xs", UNARY, ids=[u[0] for u in UNARY])
@given(data=st.data())
def test_unary_op_matches_tensor(name, fn, xs, data):
    x = data.draw(xs, label="x")
    assert_same(run(fn, Scalar, (x,), (True,)), run(fn, tensor, (x,), (True,)), name)


@pytest.mark.parametrize("name, fn, xs, ys", BINARY, ids=[b[0] for b in BINARY])
@given(data=st.data())
def test_binary_op_passes_gradcheck(name, fn, xs, ys, data):
    x, y = data.draw(xs, label="x"), data.draw(ys, label="y")
    assert ag.gradcheck(fn, [Scalar(x), Scalar(y)])


@pytest.mark.parametrize("name, fn, xs", UNARY, ids=[u[0] for u in UNARY])
@given(data=st.data())
def test_unary_op_passes_gradcheck(name, fn, xs, data):
    assert ag.gradcheck(fn, [Scalar(data.draw(xs, label="x"))])


def test_every_scalar_on_the_way_gets_its_grad():
    # L = (a*b + c) ** 2: dL/dd = 2 (a b + c) where d = a*b + c, dL/de = dL/dd where e = a*b
    a, b, c = Scalar(2.0, label="a"), Scalar(-3.0, label="b"), Scalar(10.0, label="c")
    e = a * b
    d = e + c
    loss = d ** 2
    loss.backward()
    assert loss.grad == 1.0
    assert d.grad == 2 * 4.0
    assert e.grad == 8.0
    assert (a.grad, b.grad, c.grad) == (8.0 * -3.0, 8.0 * 2.0, 8.0)
    assert all(type(v.grad) is float and type(v.data) is float for v in (a, b, c, d, e, loss))


def test_a_scalar_used_three_times_sums_its_gradients():
    x = Scalar(1.5)
    y = x * x * x          # dy/dx = 3 x^2
    y.backward()
    assert x.grad == pytest.approx(3 * 1.5 ** 2, rel=1e-15)


def test_pow_with_zero_exponent_has_zero_gradient_even_at_zero():
    x = Scalar(0.0)
    (x ** 0).backward()
    assert x.grad == 0.0
    base, exponent = Scalar(0.0), Scalar(2.0)
    (base ** exponent).backward()
    assert (base.grad, exponent.grad) == (0.0, 0.0)


def test_ieee_results_instead_of_python_exceptions():
    # 1/0 and log 0 follow IEEE rules, as numpy does for tensors
    assert (Scalar(1.0) / 0.0).data == math.inf
    assert (Scalar(-1.0) / 0.0).data == -math.inf
    assert Scalar(0.0).log().data == -math.inf
    assert math.isnan(Scalar(-1.0).log().data)
    assert Scalar(1000.0).exp().data == math.inf
    assert Scalar(-1000.0).sigmoid().data == 0.0


def test_scalar_accepts_numpy_numbers_and_keeps_floats():
    s = Scalar(np.float32(0.5)) + np.float64(1.0)
    assert type(s.data) is float and s.data == 1.5
