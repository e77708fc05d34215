"""The graphs of the lectures, ready to draw: used by the gallery, the tests and the benchmarks.

    lecture_mlp()          the 2-2-1 network, weight by weight (Scalars), BCE loss
    lecture_rnn()          the worked RNN example, unrolled over three steps
    unrolled_lstm(...)     nn.LSTM over a sequence, a loss on its last output
"""

import numpy as np

import autograd as ag
from autograd import Scalar, Tensor

# the 2-2-1 network: hidden neuron j has weights w_j1, w_j2 and bias b_j (layer L1),
# the output neuron has w_11, w_12, b_1 (layer L2), as nn.scalar labels them
MLP_INPUTS = {"x1": 1.0, "x2": 0.5}
MLP_TARGET = 1.0
MLP_HIDDEN = ([[0.5, -0.4], [-0.3, 0.8]], [0.1, 0.2])     # (weight (2, 2), bias (2,))
MLP_OUTPUT = ([[0.7, -0.5]], [0.05])                      # (weight (1, 2), bias (1,))

# the worked example of the RNN lecture
RNN_W_X = [[0.5, -0.3], [0.8, 0.2]]
RNN_W_H = [[0.4, 0.1], [0.1, 0.5]]
RNN_INPUTS = [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
RNN_TARGET = [0.0, 1.0]


def lecture_mlp(backward=True, retain_graph=False):
    """The 2-2-1 network of nn.scalar on one example: ReLU hidden layer, sigmoid output, BCE.

        h_j = relu(w_j1 x1 + w_j2 x2 + b_j)   (j = 1, 2; labels L1.w11 ... L1.b2)
        p   = sigmoid(w_11 h1 + w_12 h2 + b_1)      (labels L2.w11, L2.w12, L2.b1)
        L   = -(y log p + (1 - y) log(1 - p))

    Returns (L, mlp). With `backward`, L.backward() has run.
    """
    from nn.scalar import MLP
    mlp = MLP(2, [2, 1], activation="relu", output_activation="sigmoid")
    mlp.set_weights([MLP_HIDDEN, MLP_OUTPUT])
    x = [Scalar(v, label=name) for name, v in MLP_INPUTS.items()]
    p = mlp(x)
    p.label = "p"
    y = MLP_TARGET
    loss = -(y * p.log() + (1 - y) * (1 - p).log())
    loss.label = "L"
    if backward:
        loss.backward(retain_graph=retain_graph)
    return loss, mlp


def lecture_rnn(backward=True, retain_graph=False, steps=None):
    """The worked example: h_t = tanh(W_x x_t + W_h h_{t-1}), h_0 = 0, L = ½‖h_T - y‖².

    Each step is built inside ag.name_scope('t=<t>'); h_1 = tanh(0.5, 0.8) ≈ (0.46, 0.66).
    `steps` repeats the three inputs cyclically to make a longer sequence.
    Returns (L, [h_0, h_1, ...]) with dL/dh_t kept (retain_grad).
    """
    W_x = Tensor(np.array(RNN_W_X), requires_grad=True, label="W_x")
    W_h = Tensor(np.array(RNN_W_H), requires_grad=True, label="W_h")
    xs = RNN_INPUTS if steps is None else [RNN_INPUTS[k % 3] for k in range(steps)]
    hs = [Tensor(np.zeros(2), label="h_0")]
    for t, x_t in enumerate(xs, start=1):
        with ag.name_scope(f"t={t}"):
            h = (W_x @ Tensor(np.array(x_t), label=f"x_{t}") + W_h @ hs[-1]).tanh()
            h.label = f"h_{t}"
            h.retain_grad()
        hs.append(h)
    loss = 0.5 * ((hs[-1] - Tensor(np.array(RNN_TARGET), label="y")) ** 2).sum()
    loss.label = "L"
    if backward:
        loss.backward(retain_graph=retain_graph)
    return loss, hs


def unrolled_lstm(seq_len=20, num_layers=2, input_size=3, hidden_size=4, seed=0, backward=True):
    """nn.LSTM over a random sequence (batch 1), L = mean of the last output.

    Its scopes are 'l<k>/t=<t>', so `collapse='time'` draws one box per layer and step.
    Returns (L, lstm, output).
    """
    import nn
    ag.manual_seed(seed)
    lstm = nn.LSTM(input_size, hidden_size, num_layers=num_layers)
    x = Tensor(ag.generator().standard_normal((seq_len, 1, input_size)).astype(np.float32),
               label="x")
    output, _ = lstm(x)
    loss = output[-1].mean()
    loss.label = "L"
    if backward:
        loss.backward()
    return loss, lstm, output


def wide_mlp_graph(n_layers=12, width=3, seed=0):
    """A Tensor graph of a few hundred nodes with no scopes (for layout timing)."""
    rng = np.random.default_rng(seed)
    h = Tensor(rng.standard_normal((2, width)), label="x")
    for k in range(n_layers):
        W = Tensor(rng.standard_normal((width, width)) * 0.5, requires_grad=True, label=f"W{k}")
        b = Tensor(np.zeros(width), requires_grad=True, label=f"b{k}")
        a = h @ W + b
        h = a.tanh() * a.sigmoid() + h
    loss = (h * h).mean()
    loss.label = "L"
    loss.backward()
    return loss


def scalar_mlp(nouts, nin=3, seed=0):
    """An nn.scalar.MLP on one random example, squared-error loss, after backward."""
    from nn.scalar import MLP
    ag.manual_seed(seed)
    mlp = MLP(nin, nouts)
    out = mlp([Scalar(float(v), label=f"x{i + 1}")
               for i, v in enumerate(ag.generator().standard_normal(nin))])
    loss = out * out if isinstance(out, Scalar) else sum(o * o for o in out)
    loss.label = "L"
    loss.backward()
    return loss
