"""Activation functions as modules (PyTorch's class names), and `get_activation`,
which turns a name, a class or an instance into a fresh module (used by MLP)."""

import copy

import numpy as np

import autograd as ag

from . import functional as F
from ._checks import check_int
from .linear import Identity
from .module import Module, Parameter

__all__ = ["ReLU", "ReLU6", "Sigmoid", "Tanh", "Hardtanh", "GELU", "SiLU", "Softplus", "ELU",
           "LeakyReLU", "PReLU", "Softmax", "LogSoftmax", "Identity", "get_activation"]


class _Elementwise(Module):
    """An activation without parameters: forward is `fn(x, **options)`."""

    fn = None
    options = ()

    def forward(self, input):
        if not self.options:                # ReLU, Tanh, Sigmoid: no keyword dict to build
            return type(self).fn(input)
        return type(self).fn(input, **{k: getattr(self, k) for k in self.options})

    def extra_repr(self):
        return ", ".join(f"{k}={getattr(self, k)!r}" for k in self.options)


class ReLU(_Elementwise):
    """max(x, 0).  (`inplace` is accepted for PyTorch compatibility; nothing is done in place.)"""
    fn = staticmethod(F.relu)

    def __init__(self, inplace=False):
        super().__init__()


class ReLU6(_Elementwise):
    """min(max(x, 0), 6)."""
    fn = staticmethod(F.relu6)

    def __init__(self, inplace=False):
        super().__init__()


class Sigmoid(_Elementwise):
    """1 / (1 + e^-x)."""
    fn = staticmethod(F.sigmoid)


class Tanh(_Elementwise):
    """tanh x."""
    fn = staticmethod(F.tanh)


class SiLU(_Elementwise):
    """x sigmoid(x)."""
    fn = staticmethod(F.silu)

    def __init__(self, inplace=False):
        super().__init__()


class Hardtanh(_Elementwise):
    """x clamped to [min_val, max_val]."""
    fn = staticmethod(F.hardtanh)
    options = ("min_val", "max_val")

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        super().__init__()
        if not min_val < max_val:
            raise ValueError(f"Hardtanh: min_val ({min_val}) must be less than max_val ({max_val})")
        self.min_val = min_val
        self.max_val = max_val


class GELU(_Elementwise):
    """x Phi(x) (exact, with erf) or its tanh approximation (approximate='tanh')."""
    fn = staticmethod(F.gelu)
    options = ("approximate",)

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate


class Softplus(_Elementwise):
    """(1/beta) log(1 + e^(beta x)), and x where beta x > threshold."""
    fn = staticmethod(F.softplus)
    options = ("beta", "threshold")

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        if beta <= 0:
            raise ValueError(f"Softplus: beta must be positive, got {beta}")
        self.beta = beta
        self.threshold = threshold


class ELU(_Elementwise):
    """x for x > 0, alpha (e^x - 1) otherwise."""
    fn = staticmethod(F.elu)
    options = ("alpha",)

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha = alpha


class LeakyReLU(_Elementwise):
    """x for x > 0, negative_slope * x otherwise."""
    fn = staticmethod(F.leaky_relu)
    options = ("negative_slope",)

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope = negative_slope


class Softmax(_Elementwise):
    """e^x_i / sum_j e^x_j along `dim` (the last one unless given)."""
    fn = staticmethod(F.softmax)
    options = ("dim",)

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim


class LogSoftmax(_Elementwise):
    """log softmax along `dim`, computed stably (see F.log_softmax)."""
    fn = staticmethod(F.log_softmax)
    options = ("dim",)

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim


class PReLU(Module):
    """x for x > 0, a x otherwise, with a learnable slope a: one shared value or one
    per channel (dimension 1 of the input). weight: (num_parameters,), starts at `init`."""

    def __init__(self, num_parameters=1, init=0.25, dtype=None):
        super().__init__()
        self.num_parameters = check_int(num_parameters, "num_parameters", "PReLU")
        self.init = float(init)
        dtype = np.dtype(dtype) if dtype is not None else ag.get_default_dtype()
        self.weight = Parameter(np.full(self.num_parameters, self.init, dtype))

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


_BY_NAME = {
    "relu": ReLU, "relu6": ReLU6, "sigmoid": Sigmoid, "tanh": Tanh, "hardtanh": Hardtanh,
    "gelu": GELU, "silu": SiLU, "swish": SiLU, "softplus": Softplus, "elu": ELU,
    "leaky_relu": LeakyReLU, "leakyrelu": LeakyReLU, "prelu": PReLU,
    "identity": Identity, "linear": Identity, "none": Identity,
}


class Lambda(Module):
    """A module around a plain function of one tensor (e.g. `ag.tanh`)."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, input):
        return self.fn(input)

    def extra_repr(self):
        return getattr(self.fn, "__name__", repr(self.fn))


def get_activation(spec):
    """A new activation module from a name ('relu', 'tanh', ..., case-insensitive),
    a Module class, a Module instance (deep-copied, so learnable ones are not shared),
    a function of one tensor, or None (Identity)."""
    if spec is None:
        return Identity()
    if isinstance(spec, str):
        cls = _BY_NAME.get(spec.lower().replace("-", "_"))
        if cls is None:
            raise ValueError(f"unknown activation {spec!r}; expected one of "
                             f"{', '.join(sorted(_BY_NAME))}, a Module class or instance")
        return cls()
    if isinstance(spec, type) and issubclass(spec, Module):
        return spec()
    if isinstance(spec, Module):
        return copy.deepcopy(spec)
    if callable(spec):
        return Lambda(spec)
    raise TypeError(f"activation must be a name, a Module class or instance, or a function, "
                    f"got {type(spec).__name__}")
