"""W5: a 2-16-16-1 MLP of Scalars on 100 two-moons points: hinge loss, forward + backward.

One graph node per multiply and add, as in a hand-drawn graph. The same
network, with the same weights and the same order of operations, runs on
micrograd's `Value` when micrograd is installed (`pip install micrograd`, or
the project's `bench` extra).
"""

import gc
import math

import numpy as np

import autograd as ag

from .common import Workload, check_close, median_times, optional

SIZES = (2, 16, 16, 1)
N_POINTS = 100


def two_moons(n, noise=0.1, seed=0):
    """Two interleaved half circles, labels +1 and -1 (sklearn's make_moons, by hand)."""
    rng = np.random.default_rng(seed)
    n_top = n // 2
    angle_top = np.linspace(0, math.pi, n_top)
    angle_bottom = np.linspace(0, math.pi, n - n_top)
    x = np.concatenate([np.stack([np.cos(angle_top), np.sin(angle_top)], 1),
                        np.stack([1 - np.cos(angle_bottom), 0.5 - np.sin(angle_bottom)], 1)])
    x += rng.normal(0, noise, x.shape)
    y = np.concatenate([np.ones(n_top), -np.ones(n - n_top)])
    return x.tolist(), y.tolist()


def make_weights(seed=0):
    """Per layer, per neuron: (weights, bias) as floats, uniform in [-1, 1] as micrograd's."""
    rng = np.random.default_rng(seed)
    return [[(rng.uniform(-1, 1, n_in).tolist(), 0.0) for _ in range(n_out)]
            for n_in, n_out in zip(SIZES[:-1], SIZES[1:])]


def hinge_loss(layers, X, Y, value):
    """mean over points of relu(1 - y * score); `value` wraps a float (Scalar or micrograd Value).

    `layers` holds the parameters as values; works on either kind of value.
    """
    losses = []
    for x, y in zip(X, Y):
        h = [value(v) for v in x]
        for k, layer in enumerate(layers):
            h = [sum((w_i * h_i for w_i, h_i in zip(w, h)), b) for w, b in layer]
            if k < len(layers) - 1:
                h = [a.relu() for a in h]
        losses.append((1 + -y * h[0]).relu())
    return sum(losses) * (1.0 / len(losses))


def as_values(weights, value):
    return [[([value(w_i) for w_i in w], value(b)) for w, b in layer] for layer in weights]


def flat(layers):
    return [p for layer in layers for w, b in layer for p in (*w, b)]


def step(layers, X, Y, value):
    for p in flat(layers):
        p.grad = 0.0
    hinge_loss(layers, X, Y, value).backward()
    return [p.grad for p in flat(layers)]


def numpy_grads(weights, X, Y):
    """The same arithmetic, vectorised over the points, with the chain rule by hand (float64)."""
    Ws = [np.array([w for w, _ in layer]) for layer in weights]
    bs = [np.array([b for _, b in layer]) for layer in weights]
    acts, pres = [np.array(X)], []
    for k, (W, b) in enumerate(zip(Ws, bs)):
        z = acts[-1] @ W.T + b
        pres.append(z)
        acts.append(np.maximum(z, 0) if k < len(Ws) - 1 else z)
    y = np.array(Y)
    margin = 1 - y * acts[-1][:, 0]
    dz = (-(y * (margin > 0)) / len(y))[:, None]
    grads = []
    for k in reversed(range(len(Ws))):
        dW, db = dz.T @ acts[k], dz.sum(0)
        grads = [g for row, bias in zip(dW, db) for g in (*row, bias)] + grads
        if k > 0:
            dz = (dz @ Ws[k]) * (pres[k - 1] > 0)
    return grads


def without_gc(fn):
    def run():
        gc.disable()
        try:
            return fn()
        finally:
            gc.enable()
    return run


def run(quick=False):
    w = Workload("W5", "Scalar MLP 2-16-16-1, 100 two-moons points, hinge loss, fwd+bwd", "ms",
                 baseline="micrograd", target=">= 3x faster than micrograd")
    X, Y = two_moons(N_POINTS)
    weights = make_weights()
    ours = as_values(weights, ag.Scalar)
    check_close("W5", step(ours, X, Y, ag.Scalar), numpy_grads(weights, X, Y), rtol=1e-9, atol=1e-12)
    repeat = 3 if quick else 11
    fns = {"glassgrad Scalar": lambda: step(ours, X, Y, ag.Scalar)}
    engine = optional("micrograd.engine")
    if engine is None:
        w.times = median_times(fns, repeat, 1, scale=1e3)
        w.notes.append("micrograd is not installed (`pip install micrograd`): no comparison")
        w.headline = "micrograd absent"
        return w
    theirs = as_values(weights, engine.Value)
    check_close("W5 micrograd", step(theirs, X, Y, engine.Value), numpy_grads(weights, X, Y),
                rtol=1e-9, atol=1e-12)
    fns["micrograd"] = lambda: step(theirs, X, Y, engine.Value)
    # where the time goes: both again with Python's cyclic garbage collector off
    # (it walks the growing graph again and again while the forward builds it)
    fns["glassgrad Scalar, gc off"] = without_gc(fns["glassgrad Scalar"])
    fns["micrograd, gc off"] = without_gc(fns["micrograd"])
    w.times = median_times(fns, repeat, 1, scale=1e3)
    speedup = 1 / w.ratio("glassgrad Scalar")
    w.met = speedup >= 3
    off = w.ratio("micrograd, gc off", "glassgrad Scalar, gc off")
    w.headline = f"{speedup:.2f}x faster than micrograd; with the garbage collector off in both, " + (
        f"{off:.2f}x faster" if off >= 1 else f"micrograd is {1 / off:.2f}x faster")
    return w
