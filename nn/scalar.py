"""Neurons, layers and MLPs made of `Scalar`s: one graph node per weight and per
multiply-add, for drawing a small network weight by weight.

Labels (what a drawing shows), with i the input and j the neuron, from 1:

    Neuron alone     weights w1 ... wn, bias b, pre-activation z, output a
    neuron j of a    w{j}{i} (the weight from input i to neuron j), b{j}, z{j}, a{j}
    Layer            (w{j},{i} with a comma when an index reaches 10)
    MLP              each layer's labels prefixed by 'L{l}.' (layer l, from 1), and the
                     layer runs in the name scope 'L{l}':  L1.w11, L1.b1, L2.w11, ...

So the lecture's 2-input, 2-hidden, 1-output network is `MLP(2, [2, 1])`
with weights L1.w11, L1.w12, L1.w21, L1.w22, L1.b1, L1.b2, L2.w11, L2.w12, L2.b1.

Weights start as PyTorch's Linear does, U(-1/sqrt(nin), 1/sqrt(nin)), drawn
from `ag.generator()`. Set them by hand (`neuron.w[0].data = 0.5`) or all at
once with `set_weights` in the Linear layout (weight (nout, nin), bias (nout,)).
"""

import math

import numpy as np

import autograd as ag
from autograd import Scalar, Tensor

from ._checks import check_int

__all__ = ["Neuron", "Layer", "MLP"]

_ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")


def _activation(name, owner):
    key = "linear" if name in (None, "identity", "none") else name
    if key not in _ACTIVATIONS:
        raise ValueError(f"{owner}: activation must be one of {', '.join(_ACTIVATIONS)} (or None), "
                         f"got {name!r}")
    return key


def _inputs(x, n, owner):
    """A list of n Scalars or numbers from `x` (a list, a single Scalar or number)."""
    if isinstance(x, (Scalar, int, float)) and not isinstance(x, bool):
        x = [x]
    if isinstance(x, np.ndarray):
        x = list(x.ravel())
    x = list(x)
    if len(x) != n:
        raise ValueError(f"{owner}: expected {n} inputs, got {len(x)}")
    for i, v in enumerate(x):
        if not isinstance(v, (Scalar, int, float, np.floating, np.integer)) or isinstance(v, bool):
            raise TypeError(f"{owner}: input {i + 1} must be a number or a Scalar, "
                            f"got {type(v).__name__}")
    return [v if isinstance(v, Scalar) else float(v) for v in x]


def _array(x):
    """The numbers of a Tensor (ours or a torch one: its detached `.data`) or an array-like."""
    return np.asarray(x.data if isinstance(x, Tensor) or hasattr(x, "detach") else x)


def _index(*idx):
    sep = "," if any(k >= 10 for k in idx) else ""
    return sep.join(str(k) for k in idx)


class _ScalarModule:
    def __call__(self, x):
        return self.forward(x)

    def parameters(self):
        return [p for _, p in self.named_parameters()]

    def zero_grad(self):
        """Reset every weight's gradient to 0 (a Scalar's grad is a float)."""
        for p in self.parameters():
            p.grad = 0.0

    def num_parameters(self):
        return len(self.parameters())


class Neuron(_ScalarModule):
    """a = activation(sum_i w_i x_i + b) over Scalars."""

    def __init__(self, nin, activation="relu", *, index=None, prefix=""):
        self.nin = check_int(nin, "nin", "Neuron")
        self.activation = _activation(activation, "Neuron")
        self.index = index
        self.prefix = prefix
        bound = 1.0 / math.sqrt(nin)
        draws = ag.generator().uniform(-bound, bound, nin + 1)
        j = () if index is None else (index,)
        self.w = [Scalar(float(draws[i]), label=f"{prefix}w{_index(*j, i + 1)}") for i in range(nin)]
        self.b = Scalar(float(draws[nin]), label=f"{prefix}b{_index(*j)}")

    def named_parameters(self):
        return [(p.label, p) for p in self.w + [self.b]]

    def forward(self, x):
        x = _inputs(x, self.nin, repr(self))
        z = self.w[0] * x[0]
        for w_i, x_i in zip(self.w[1:], x[1:]):
            z = z + w_i * x_i
        z = z + self.b
        j = "" if self.index is None else _index(self.index)
        z.label = f"{self.prefix}z{j}"
        if self.activation == "linear":
            return z
        a = getattr(z, self.activation)()
        a.label = f"{self.prefix}a{j}"
        return a

    def set_weights(self, weight, bias):
        """weight: nin numbers, bias: a number."""
        weight = np.asarray(weight, dtype=np.float64).ravel()
        if weight.shape != (self.nin,):
            raise ValueError(f"{self!r}.set_weights: expected {self.nin} weights, got {weight.size}")
        for w_i, v in zip(self.w, weight):
            w_i.data = float(v)
        self.b.data = float(bias)

    def __repr__(self):
        return f"Neuron({self.nin}, {self.activation})"


class Layer(_ScalarModule):
    """nout neurons reading the same nin inputs; returns a list of nout Scalars
    (a single Scalar when nout == 1)."""

    def __init__(self, nin, nout, activation="relu", *, prefix=""):
        self.nin, self.nout = nin, check_int(nout, "nout", "Layer")
        self.prefix = prefix
        self.neurons = [Neuron(nin, activation, index=j + 1, prefix=prefix) for j in range(nout)]
        self.activation = self.neurons[0].activation

    def named_parameters(self):
        return [item for n in self.neurons for item in n.named_parameters()]

    def forward(self, x):
        x = _inputs(x, self.nin, repr(self))
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def set_weights(self, weight, bias):
        """weight: (nout, nin) as nn.Linear's, bias: (nout,)."""
        weight = np.asarray(weight, dtype=np.float64)
        bias = np.asarray(bias, dtype=np.float64).ravel()
        if weight.shape != (self.nout, self.nin) or bias.shape != (self.nout,):
            raise ValueError(f"{self!r}.set_weights: expected weight ({self.nout}, {self.nin}) "
                             f"and bias ({self.nout},), got {weight.shape} and {bias.shape}")
        for n, w_row, b in zip(self.neurons, weight, bias):
            n.set_weights(w_row, b)

    def weights(self):
        """(weight (nout, nin), bias (nout,)) as float64 arrays."""
        return (np.array([[w.data for w in n.w] for n in self.neurons]),
                np.array([n.b.data for n in self.neurons]))

    def __repr__(self):
        return f"Layer({self.nin} -> {self.nout}, {self.activation})"


class MLP(_ScalarModule):
    """Layers of sizes nouts after nin inputs; `activation` after every layer but the
    last, which uses `output_activation` (linear by default, as nn.MLP)."""

    def __init__(self, nin, nouts, activation="relu", output_activation=None):
        nouts = list(nouts)
        if not nouts:
            raise ValueError("MLP: nouts must list at least one layer size")
        sizes = [nin] + nouts
        prefix = (lambda l: f"L{l}.") if len(nouts) > 1 else (lambda l: "")
        self.layers = [
            Layer(sizes[l], sizes[l + 1],
                  activation if l < len(nouts) - 1 else output_activation, prefix=prefix(l + 1))
            for l in range(len(nouts))
        ]

    def named_parameters(self):
        return [item for layer in self.layers for item in layer.named_parameters()]

    def forward(self, x):
        for layer in self.layers:
            if layer.prefix:
                with ag.name_scope(layer.prefix[:-1]):
                    x = layer(x)
            else:
                x = layer(x)
        return x

    def set_weights(self, weights):
        """weights: one (weight (nout, nin), bias (nout,)) pair per layer, e.g. from the
        Linear layers of an nn.MLP; all are checked before any is set."""
        weights = list(weights)
        if len(weights) != len(self.layers):
            raise ValueError(f"{self!r}.set_weights: expected {len(self.layers)} (weight, bias) "
                             f"pairs, got {len(weights)}")
        arrays = [(_array(w), _array(b)) for w, b in weights]
        for layer, (w, b) in zip(self.layers, arrays):
            if w.shape != (layer.nout, layer.nin) or b.shape != (layer.nout,):
                raise ValueError(f"{self!r}.set_weights: {layer!r} needs weight "
                                 f"({layer.nout}, {layer.nin}) and bias ({layer.nout},), "
                                 f"got {w.shape} and {b.shape}")
        for layer, (w, b) in zip(self.layers, arrays):
            layer.set_weights(w, b)

    def weights(self):
        return [layer.weights() for layer in self.layers]

    def __repr__(self):
        sizes = [self.layers[0].nin] + [layer.nout for layer in self.layers]
        return f"MLP({' -> '.join(map(str, sizes))})"
