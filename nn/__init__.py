"""Neural-network modules built from autograd operations alone (no hand-written backward).

    module.py      Module, Parameter, Sequential, ModuleList, ModuleDict
    init.py        weight initialisation (torch.nn.init's names)
    functional.py  activations, layers and losses as functions (import nn.functional as F)
    linear.py      Linear, Embedding, Dropout, Identity, Flatten
    activation.py  ReLU, Tanh, GELU, ... as modules
    loss.py        MSELoss, BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, NLLLoss
    mlp.py         MLP
    rnn.py         RNNCell, LSTMCell, GRUCell and the layers RNN, LSTM, GRU
    tbptt.py       truncated backpropagation through time (detach_state, truncated_bptt)
    generation.py  greedy, beam_search, sample for step(token_id, state) language models
    text.py        Vocab (characters or words), one_hot, corpus streams for truncated BPTT
    scalar.py      Neuron, Layer, MLP made of Scalars (one graph node per weight)
    optim.py       SGD, Adagrad, RMSprop, Adam, AdamW, StepLR, ExponentialLR
    utils.py       clip_grad_norm_, clip_grad_value_
    data.py        mini-batches, two-moons data
"""

from . import functional, init
from .activation import (ELU, GELU, Hardtanh, LeakyReLU, LogSoftmax, PReLU, ReLU, ReLU6, SiLU,
                         Sigmoid, Softmax, Softplus, Tanh)
from .linear import Dropout, Embedding, Flatten, Identity, Linear
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from .mlp import MLP
from .module import Module, ModuleDict, ModuleList, Parameter, Sequential
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from . import generation, tbptt, text
from .tbptt import detach_state, truncated_bptt
from . import data, optim, scalar, utils
