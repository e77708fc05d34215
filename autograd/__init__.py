"""glassgrad's reverse-mode automatic differentiation.

Where things live:
    graph.py       the graph core: nodes, backward order and driver, modes
    function.py    Function and apply(): how every operation joins the graph
    tensor.py      Tensor, on numpy arrays      ops/     its operations
    scalar.py      Scalar, on Python floats, and its operations
    functions.py   ag.<name>(...) spellings, creation, random numbers
    gradcheck.py   central-difference gradient checking
    memory.py      keeping the memory a step frees for the next (glibc)
"""

from . import memory
from .function import Function
from .gradcheck import GradcheckError, gradcheck
from .graph import (Node, current_scope, detect_anomaly, enable_grad, is_grad_enabled,
                    name_scope, no_grad, no_grad_records)
from .scalar import Scalar
from .tensor import Tensor, get_default_dtype, set_default_dtype
from .functions import (abs, addmm, arange, broadcast_to, cat, chunk, clamp, clip, concatenate,
                        erf, exp, expand, eye, flatten, full, generator, log, log1p, logsumexp,
                        manual_seed, matmul, max, maximum, mean, min, minimum, ones, ones_like,
                        permute, rand, randn, relu, reshape, sigmoid, split, sqrt, squeeze, stack,
                        sum, tanh, tensor, transpose, unbind, unsqueeze, var, view, where, zeros,
                        zeros_like)

memory._on_import()

__all__ = [
    "Tensor", "Scalar", "Function", "Node", "no_grad", "enable_grad", "is_grad_enabled",
    "name_scope", "current_scope", "detect_anomaly", "no_grad_records", "gradcheck", "GradcheckError",
    "set_default_dtype", "get_default_dtype", "manual_seed", "generator",
    "abs", "addmm", "arange", "broadcast_to", "cat", "chunk", "clamp", "clip", "concatenate",
    "erf", "exp", "expand", "eye", "flatten", "full", "log", "log1p", "logsumexp", "matmul", "max",
    "maximum", "mean", "min", "minimum", "ones", "ones_like", "permute", "rand", "randn", "relu",
    "reshape", "sigmoid", "split", "sqrt", "squeeze", "stack", "sum", "tanh", "tensor",
    "transpose", "unbind", "unsqueeze", "var", "view", "where", "zeros", "zeros_like",
]
