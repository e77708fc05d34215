"""Layers with weights (Linear, Embedding) and the simple ones (Dropout, Identity, Flatten)."""

import math
import numbers

import numpy as np

import autograd as ag

from . import functional as F
from . import init
from ._checks import check_int
from .module import Module, Parameter

__all__ = ["Identity", "Linear", "Embedding", "Dropout", "Flatten"]


def _where():
    scope = ag.current_scope()
    return f" at '{scope}'" if scope else ""


class Identity(Module):
    """Returns its input unchanged (a placeholder, e.g. for an activation that is none)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """y = x W^T + b.  x: (*, in_features) -> (*, out_features).

    weight: (out_features, in_features), bias: (out_features,), both initialised
    as PyTorch: U(-1/sqrt(in_features), 1/sqrt(in_features)) (the weight through
    kaiming_uniform_ with a = sqrt(5), which gives that bound).
    """

    def __init__(self, in_features, out_features, bias=True, dtype=None):
        super().__init__()
        self.in_features = check_int(in_features, "in_features", "Linear")
        self.out_features = check_int(out_features, "out_features", "Linear")
        dtype = np.dtype(dtype) if dtype is not None else ag.get_default_dtype()
        self.weight = Parameter(np.empty((self.out_features, self.in_features), dtype))
        if bias:
            self.bias = Parameter(np.empty(self.out_features, dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        x = F._tensor(input, "Linear")
        shape = x.data.shape
        if not shape or shape[-1] != self.in_features:
            raise ValueError(f"Linear(in_features={self.in_features}, out_features="
                             f"{self.out_features}){_where()}: expected an input whose last "
                             f"dimension has {self.in_features} features, got shape {shape}")
        # F.linear's arithmetic; its checks are done (x) or hold by construction (the weights)
        return F._affine(x, self.weight.T, self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Embedding(Module):
    """A lookup table: integer ids of any shape -> rows of `weight` (num_embeddings,
    embedding_dim), shape ids.shape + (embedding_dim,). Initialised N(0, 1), as PyTorch;
    the row at `padding_idx` starts at zero and gets no gradient."""

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, dtype=None):
        super().__init__()
        self.num_embeddings = check_int(num_embeddings, "num_embeddings", "Embedding")
        self.embedding_dim = check_int(embedding_dim, "embedding_dim", "Embedding")
        if padding_idx is not None:
            if not -self.num_embeddings <= padding_idx < self.num_embeddings:
                raise ValueError(f"Embedding: padding_idx {padding_idx} must be within "
                                 f"num_embeddings ({self.num_embeddings})")
            padding_idx %= self.num_embeddings
        self.padding_idx = padding_idx
        dtype = np.dtype(dtype) if dtype is not None else ag.get_default_dtype()
        self.weight = Parameter(np.empty((self.num_embeddings, self.embedding_dim), dtype))
        self.reset_parameters()

    def reset_parameters(self):
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None):
        """An Embedding holding a copy of `embeddings` (2-D); frozen unless freeze=False."""
        data = np.asarray(embeddings.data if hasattr(embeddings, "data") else embeddings)
        if data.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: embeddings must be 2-D, got shape {data.shape}")
        emb = cls(data.shape[0], data.shape[1], padding_idx=padding_idx, dtype=data.dtype)
        emb.weight.data[...] = data
        emb.weight.requires_grad_(not freeze)
        return emb

    def forward(self, input):
        return F.embedding(input, self.weight, self.padding_idx)

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        return s if self.padding_idx is None else s + f", padding_idx={self.padding_idx}"


class Dropout(Module):
    """During training, zero each element with probability p and scale the rest by
    1/(1-p); in eval() mode, the identity. Draws come from ag.generator()."""

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: probability p must be between 0 and 1, got {p!r}")
        self.p = float(p)
        self.inplace = inplace          # accepted for PyTorch compatibility; never in place

    def forward(self, input):
        return F.dropout(input, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Flatten(Module):
    """Merge dimensions start_dim..end_dim into one (by default all but the batch)."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        return F._tensor(input, "Flatten").flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
