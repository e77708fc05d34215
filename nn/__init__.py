"""Neural-network modules built from autograd operations alone (no hand-written backward).

    module.py      Module, Parameter, Sequential, ModuleList, ModuleDict
    init.py        weight initialisation (torch.nn.init's names)
    rnn.py         RNNCell, LSTMCell, GRUCell and the layers RNN, LSTM, GRU
"""

from . import init
from .module import Module, ModuleDict, ModuleList, Parameter, Sequential
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
