"""W1: the price of one recorded operation.

A chain of 1000 elementwise operations (add, mul, tanh, in turn) on an (8, 8)
tensor, then backward. At this size numpy's own work is tiny, so the ratio to
the same arithmetic written out by hand is the engine's bookkeeping per op.
"""

import numpy as np

import autograd as ag

from .common import DTYPE, Workload, check_close, median_times, optional

N_OPS = 1000


def make_data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((8, 8)).astype(DTYPE)
    c = (0.5 + 0.5 * rng.random((8, 8))).astype(DTYPE)
    return x, c


def chain(x, c, n):
    """add c, mul by c, tanh, in turn: works on glassgrad and torch tensors alike."""
    y = x
    for k in range(n):
        step = k % 3
        if step == 0:
            y = y + c
        elif step == 1:
            y = y * c
        else:
            y = y.tanh()
    return y


def glassgrad_step(x0, c, n):
    x = ag.Tensor(x0, requires_grad=True)
    chain(x, c, n).sum().backward()
    return x.grad.data


def numpy_step(x0, c, n):
    """Forward keeping what backward needs, then the chain rule by hand."""
    y = x0
    saved = []
    for k in range(n):
        step = k % 3
        if step == 0:
            y = y + c
            saved.append(None)
        elif step == 1:
            y = y * c
            saved.append(None)
        else:
            y = np.tanh(y)
            saved.append(y)
    g = np.ones_like(y)
    for k in reversed(range(n)):
        step = k % 3
        if step == 1:
            g = g * c
        elif step == 2:
            t = saved[k]
            g = g * (1 - t * t)
    return g


def torch_step(torch, x0, c, n):
    x = torch.tensor(x0, requires_grad=True)
    chain(x, c, n).sum().backward()
    return x.grad


def run(quick=False):
    w = Workload("W1", "overhead: 1000 elementwise ops on (8,8), fwd+bwd", "µs/op",
                 target="<= 2.5x numpy by hand per op")
    x0, c = make_data()
    check_close("W1", [glassgrad_step(x0, c, N_OPS)], [numpy_step(x0, c, N_OPS)])
    repeat = 5 if quick else 21
    x = ag.Tensor(x0, requires_grad=True)
    fns = {"glassgrad": lambda: glassgrad_step(x0, c, N_OPS),
           "numpy by hand": lambda: numpy_step(x0, c, N_OPS),
           # where the time goes: the forward alone (building the graph)
           "glassgrad forward only": lambda: chain(x, c, N_OPS)}
    torch = optional("torch")
    if torch:
        ct = torch.from_numpy(c)
        fns["torch"] = lambda: torch_step(torch, x0, ct, N_OPS)
    w.times = median_times(fns, repeat, 2, scale=1e6 / N_OPS)
    fwd = w.times.pop("glassgrad forward only")
    w.extra.append(("glassgrad forward only", f"{fwd:.2f} µs/op "
                    f"(backward {w.times['glassgrad'] - fwd:.2f} µs/op)"))
    r = w.ratio("glassgrad")
    w.met = r <= 2.5
    w.headline = f"{r:.2f}x numpy by hand"
    return w
