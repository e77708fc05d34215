"""W3: forward + backward of a one-layer LSTM over 50 steps, with a loss at every step.

Batch 32, input 64, hidden 128; a Linear(128, 10) reads h at every step and the
loss is the mean over steps of the batch-mean cross-entropy. The weights are in
PyTorch's layout (gate order i, f, g, o). The same cell, written from
primitives, runs on glassgrad and on PyTorch; PyTorch's fused nn.LSTM and
glassgrad's nn.LSTM (when present) run too.
"""

import numpy as np

import autograd as ag

from .common import (DTYPE, Workload, add_nn_version, available, check_close, headline,
                     median_times, optional)
from .w2_mlp import cross_entropy

T, BATCH, N_IN, HIDDEN, N_OUT = 50, 32, 64, 128, 10


def make_data(seed=0, steps=T):
    rng = np.random.default_rng(seed)
    bound = 1 / np.sqrt(HIDDEN)

    def u(*shape):
        return rng.uniform(-bound, bound, shape).astype(DTYPE)

    params = [u(4 * HIDDEN, N_IN), u(4 * HIDDEN, HIDDEN), u(4 * HIDDEN), u(4 * HIDDEN),
              u(N_OUT, HIDDEN), u(N_OUT)]
    x = rng.standard_normal((steps, BATCH, N_IN)).astype(DTYPE)
    y = rng.integers(0, N_OUT, (steps, BATCH))
    return params, x, y


def lstm_loss(params, xs, h, c, rows, ys, scope=None):
    """The unrolled cell from primitives; runs on glassgrad and torch tensors alike.

    `scope(t)`, when given, is a context manager opened around step t (for drawing).
    """
    weight_ih, weight_hh, bias_ih, bias_hh, weight_out, bias_out = params
    w_ih_t, w_hh_t, w_out_t = weight_ih.T, weight_hh.T, weight_out.T
    loss = 0
    for t, x_t in enumerate(xs):
        with scope(t) if scope else _nothing():
            gates = x_t @ w_ih_t + bias_ih + h @ w_hh_t + bias_hh
            i, f, g, o = gates.chunk(4, 1)
            c = f.sigmoid() * c + i.sigmoid() * g.tanh()
            h = o.sigmoid() * c.tanh()
            loss = loss + cross_entropy(h @ w_out_t + bias_out, rows, ys[t])
    return loss / len(xs)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def numpy_grads(params, x, y):
    """The same forward, then backprop through time written out by hand."""
    weight_ih, weight_hh, bias_ih, bias_hh, weight_out, bias_out = params
    steps, batch = y.shape
    h = np.zeros((batch, HIDDEN), DTYPE)
    c = np.zeros((batch, HIDDEN), DTYPE)
    rows = np.arange(batch)
    cache = []
    for t in range(steps):
        gates = x[t] @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh
        i, f = sigmoid(gates[:, :HIDDEN]), sigmoid(gates[:, HIDDEN:2 * HIDDEN])
        g, o = np.tanh(gates[:, 2 * HIDDEN:3 * HIDDEN]), sigmoid(gates[:, 3 * HIDDEN:])
        c_prev, h_prev = c, h
        c = f * c_prev + i * g
        tc = np.tanh(c)
        h = o * tc
        logits = h @ weight_out.T + bias_out
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        probs = e / e.sum(axis=1, keepdims=True)
        cache.append((h_prev, c_prev, i, f, g, o, tc, h, probs))
    d_ih, d_hh = np.zeros_like(weight_ih), np.zeros_like(weight_hh)
    d_b, d_out, d_bout = np.zeros_like(bias_ih), np.zeros_like(weight_out), np.zeros_like(bias_out)
    dh_next = np.zeros((batch, HIDDEN), DTYPE)
    dc_next = np.zeros((batch, HIDDEN), DTYPE)
    scale = DTYPE(1.0 / (steps * batch))
    for t in reversed(range(steps)):
        h_prev, c_prev, i, f, g, o, tc, h, probs = cache[t]
        dlogits = probs
        dlogits[rows, y[t]] -= 1
        dlogits *= scale
        d_out += dlogits.T @ h
        d_bout += dlogits.sum(axis=0)
        dh = dlogits @ weight_out + dh_next
        dc = dh * o * (1 - tc * tc) + dc_next
        dgates = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f),
                                 dc * i * (1 - g * g), dh * tc * o * (1 - o)], axis=1)
        d_ih += dgates.T @ x[t]
        d_hh += dgates.T @ h_prev
        d_b += dgates.sum(axis=0)
        dh_next = dgates @ weight_hh
        dc_next = dc * f
    return [d_ih, d_hh, d_b, d_b, d_out, d_bout]


def glassgrad_grads(ps, x, y):
    zeros = ag.zeros(BATCH, HIDDEN)
    lstm_loss(ps, ag.Tensor(x).unbind(0), zeros, zeros, np.arange(BATCH), y).backward()
    grads = [p.grad.data for p in ps]
    for p in ps:
        p.grad = None
    return grads


def torch_grads(torch, ps, x, y):
    zeros = torch.zeros(BATCH, HIDDEN)
    lstm_loss(ps, x.unbind(0), zeros, zeros, torch.arange(BATCH), y).backward()
    for p in ps:
        p.grad = None


def torch_fused(torch, lstm, linear, x, y):
    out, _ = lstm(x)
    logits = linear(out)
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, N_OUT), y.reshape(-1))
    loss.backward()
    lstm.zero_grad()
    linear.zero_grad()


def nn_grads(F, lstm, linear, x, y):
    out, _ = lstm(x)
    logits = linear(out)
    F.cross_entropy(logits.reshape(-1, N_OUT), y.reshape(-1)).backward()
    lstm.zero_grad()
    linear.zero_grad()


def _nn_lstm(nn, params):
    lstm, linear = nn.LSTM(N_IN, HIDDEN), nn.Linear(HIDDEN, N_OUT)
    names = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
    lstm.load_state_dict({k: p.copy() for k, p in zip(names, params[:4])})
    linear.load_state_dict({"weight": params[4].copy(), "bias": params[5].copy()})
    return lstm, linear


def nn_version(params, x, y):
    """Forward + backward through nn.LSTM, nn.Linear and F.cross_entropy, or None without them."""
    nn = available("nn", "LSTM", "Linear")
    F = available("nn.functional", "cross_entropy")
    if nn is None or F is None:
        return None
    lstm, linear = _nn_lstm(nn, params)
    xt, yt = ag.Tensor(x), ag.Tensor(y)
    return lambda: nn_grads(F, lstm, linear, xt, yt)


def run(quick=False):
    w = Workload("W3", "LSTM fwd+bwd: batch 32, 50 steps, 64->128, loss every step", "ms",
                 target="<= 1.5x numpy by hand, faster than torch (primitives)")
    params, x, y = make_data()
    ps = [ag.Tensor(p, requires_grad=True) for p in params]
    check_close("W3", glassgrad_grads(ps, x, y), numpy_grads(params, x, y))
    repeat = 3 if quick else 15
    fns = {"glassgrad (primitives)": lambda: glassgrad_grads(ps, x, y),
           "numpy by hand": lambda: numpy_grads(params, x, y)}
    ours = add_nn_version(w, fns, "glassgrad nn.LSTM", nn_version(params, x, y))

    torch = optional("torch")
    if torch:
        tps = [torch.tensor(p, requires_grad=True) for p in params]
        xt_, yt_ = torch.from_numpy(x), torch.from_numpy(y)
        fns["torch (primitives)"] = lambda: torch_grads(torch, tps, xt_, yt_)
        t_lstm, t_linear = torch.nn.LSTM(N_IN, HIDDEN), torch.nn.Linear(HIDDEN, N_OUT)
        fns["torch nn.LSTM (fused)"] = lambda: torch_fused(torch, t_lstm, t_linear, xt_, yt_)
    w.times = median_times(fns, repeat, 2, scale=1e3)
    # Both parts of the target judge the same version: glassgrad's LSTM step as a
    # user runs it (nn.LSTM, itself made of the engine's primitives) against PyTorch's
    # step written from primitives. The same cell from the same primitives on both
    # engines is reported beside it.
    vs_torch = w.ratio(ours, "torch (primitives)")
    same_cell = w.ratio("glassgrad (primitives)", "torch (primitives)")
    w.met = w.ratio(ours) <= 1.5 and (vs_torch is None or vs_torch < 1)
    w.headline = headline(w, ours) + (
        "" if vs_torch is None else
        f"; {ours} vs torch (primitives): {vs_torch:.2f}x; the same cell from "
        f"primitives vs torch's: {same_cell:.2f}x")
    return w
