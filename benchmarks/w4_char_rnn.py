"""W4: forward + backward of a character-level vanilla RNN over 25 steps, batch 1.

Hidden 100, vocabulary 65, one-hot inputs, h' = tanh(x W_xh^T + h W_hh^T + b_h),
logits = h W_hy^T + b_y, cross-entropy summed over the steps. The matrices are
small, so this measures the engine's cost per operation in a real loop.
"""

import numpy as np

import autograd as ag

from .common import (DTYPE, Workload, add_nn_version, available, check_close, headline,
                     median_times, optional)

T, HIDDEN, VOCAB = 25, 100, 65


def make_data(seed=0):
    rng = np.random.default_rng(seed)
    params = [(rng.standard_normal(shape) * 0.1).astype(DTYPE)
              for shape in ((HIDDEN, VOCAB), (HIDDEN, HIDDEN), (HIDDEN,), (VOCAB, HIDDEN), (VOCAB,))]
    ids = rng.integers(0, VOCAB, T + 1)
    onehots = np.eye(VOCAB, dtype=DTYPE)[ids[:-1]][:, None, :]       # (T, 1, VOCAB)
    return params, onehots, ids[1:]


def rnn_loss(params, xs, h, ys):
    """The unrolled RNN from primitives; runs on glassgrad and torch tensors alike."""
    w_xh, w_hh, b_h, w_hy, b_y = params
    w_xh_t, w_hh_t, w_hy_t = w_xh.T, w_hh.T, w_hy.T
    loss = 0
    for t, x_t in enumerate(xs):
        h = (x_t @ w_xh_t + h @ w_hh_t + b_h).tanh()
        logits = h @ w_hy_t + b_y
        loss = loss + (logits.logsumexp(dim=1) - logits[:, ys[t]]).sum()
    return loss


def numpy_grads(params, xs, ys):
    w_xh, w_hh, b_h, w_hy, b_y = params
    h = np.zeros((1, HIDDEN), DTYPE)
    hs, probs = [h], []
    for t in range(len(xs)):
        h = np.tanh(xs[t] @ w_xh.T + h @ w_hh.T + b_h)
        logits = h @ w_hy.T + b_y
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        probs.append(e / e.sum(axis=1, keepdims=True))
        hs.append(h)
    grads = [np.zeros_like(p) for p in params]
    d_xh, d_hh, d_bh, d_hy, d_by = grads
    dh_next = np.zeros((1, HIDDEN), DTYPE)
    for t in reversed(range(len(xs))):
        dlogits = probs[t]
        dlogits[:, ys[t]] -= 1
        d_hy += dlogits.T @ hs[t + 1]
        d_by += dlogits[0]
        dh = dlogits @ w_hy + dh_next
        dpre = dh * (1 - hs[t + 1] * hs[t + 1])
        d_xh += dpre.T @ xs[t]
        d_hh += dpre.T @ hs[t]
        d_bh += dpre[0]
        dh_next = dpre @ w_hh
    return grads


def glassgrad_grads(ps, xs, ys):
    rnn_loss(ps, xs, ag.zeros(1, HIDDEN), ys).backward()
    grads = [p.grad.data for p in ps]
    for p in ps:
        p.grad = None
    return grads


def torch_grads(torch, ps, xs, ys):
    rnn_loss(ps, xs, torch.zeros(1, HIDDEN), ys).backward()
    for p in ps:
        p.grad = None


def nn_grads(F, rnn, linear, x, y):
    out, _ = rnn(x)
    F.cross_entropy(linear(out).reshape(-1, VOCAB), y, reduction="sum").backward()
    rnn.zero_grad()
    linear.zero_grad()


def _nn_rnn(nn, params):
    rnn, linear = nn.RNN(VOCAB, HIDDEN), nn.Linear(HIDDEN, VOCAB)
    w_xh, w_hh, b_h, w_hy, b_y = params
    rnn.load_state_dict({"weight_ih_l0": w_xh.copy(), "weight_hh_l0": w_hh.copy(),
                         "bias_ih_l0": b_h.copy(), "bias_hh_l0": np.zeros_like(b_h)})
    linear.load_state_dict({"weight": w_hy.copy(), "bias": b_y.copy()})
    return rnn, linear


def nn_version(params, onehots, ys):
    """Forward + backward through nn.RNN, nn.Linear and F.cross_entropy, or None without them."""
    nn = available("nn", "RNN", "Linear")
    F = available("nn.functional", "cross_entropy")
    if nn is None or F is None:
        return None
    rnn, linear = _nn_rnn(nn, params)
    x_seq, y_seq = ag.Tensor(onehots), ag.Tensor(ys)
    return lambda: nn_grads(F, rnn, linear, x_seq, y_seq)


def run(quick=False):
    w = Workload("W4", "char RNN fwd+bwd: hidden 100, vocab 65, 25 steps, batch 1", "ms",
                 target="<= 2.5x numpy by hand")
    params, onehots, ys = make_data()
    ps = [ag.Tensor(p, requires_grad=True) for p in params]
    xs = ag.Tensor(onehots).unbind(0)
    check_close("W4", glassgrad_grads(ps, xs, ys), numpy_grads(params, onehots, ys))
    repeat = 5 if quick else 41
    fns = {"glassgrad (primitives)": lambda: glassgrad_grads(ps, xs, ys),
           "numpy by hand": lambda: numpy_grads(params, onehots, ys)}
    ours = add_nn_version(w, fns, "glassgrad nn.RNN", nn_version(params, onehots, ys))

    torch = optional("torch")
    if torch:
        tps = [torch.tensor(p, requires_grad=True) for p in params]
        txs = torch.from_numpy(onehots).unbind(0)
        fns["torch (primitives)"] = lambda: torch_grads(torch, tps, txs, ys)
    w.times = median_times(fns, repeat, 3, scale=1e3)
    w.met = w.ratio(ours) <= 2.5
    w.headline = headline(w, ours)
    return w
