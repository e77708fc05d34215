"""`MLP`: Linear layers with an activation between them, as one Sequential.

    MLP(2, [16, 16], 1)  ==  Sequential(Linear(2, 16), ReLU(), Linear(16, 16), ReLU(),
                                        Linear(16, 1))

so its `state_dict` names ('0.weight', '2.bias', ...) are those of the same
`torch.nn.Sequential`. The last layer has no activation (it gives logits or
regression outputs; the loss applies the sigmoid or softmax).
"""

import numbers

from .activation import get_activation
from .linear import Dropout, Linear
from .module import Sequential

__all__ = ["MLP"]


class MLP(Sequential):
    """in_features -> hidden_sizes[0] -> ... -> out_features.

    activation: a name ('relu', 'tanh', 'gelu', ...), a Module class, an instance
    (copied per layer) or a function; dropout: probability of a Dropout after
    each hidden activation (0 = none).
    """

    def __init__(self, in_features, hidden_sizes, out_features, activation="relu", bias=True,
                 dropout=0.0):
        if isinstance(hidden_sizes, numbers.Integral):
            hidden_sizes = [hidden_sizes]
        try:
            hidden_sizes = [int(h) if isinstance(h, numbers.Integral) else h for h in hidden_sizes]
        except TypeError:
            raise TypeError(f"MLP: hidden_sizes must be a list of ints, got "
                            f"{type(hidden_sizes).__name__}") from None
        sizes = [in_features, *hidden_sizes, out_features]
        layers = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(Linear(n_in, n_out, bias=bias))
            if i < len(sizes) - 2:
                layers.append(get_activation(activation))
                if dropout:
                    layers.append(Dropout(dropout))
        super().__init__(*layers)
        self.in_features = in_features
        self.hidden_sizes = list(hidden_sizes)
        self.out_features = out_features
