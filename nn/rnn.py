"""Recurrent cells and layers: RNN, LSTM and GRU, as PyTorch defines them.

One time step, with x_t of shape (batch, input_size) and h of shape (batch, hidden_size):

    RNN    h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)        (or relu)

    LSTM   i, f, g, o = chunks of  x W_ih^T + b_ih + h W_hh^T + b_hh
           i, f, o = sigmoid(i, f, o);   g = tanh(g)
           c' = f * c + i * g
           h' = o * tanh(c')

    GRU    r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
           z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
           n = tanh(W_in x + b_in + r * (W_hn h + b_hn))       (PyTorch's, the default)
           n = tanh(W_in x + b_in + W_hn (r * h) + b_hn)       (reset_after=False: Cho et al. 2014)
           h' = (1 - z) * n + z * h

The weights of all gates are stacked in one matrix, in PyTorch's order (LSTM
i, f, g, o; GRU r, z, n): `weight_ih` is (gates * hidden_size, input_size) and
`weight_hh` is (gates * hidden_size, hidden_size), so a step costs one matrix
product for the input and one for the hidden state (two for the hidden state
with `reset_after=False`, where r must act before W_hn). A layer does better
still for the input: it projects every time step at once, one product on a
(seq_len * batch, input_size) matrix, before the loop over time. All weights
and biases start U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as in PyTorch.

Parameter names are PyTorch's (`weight_ih_l0`, `bias_hh_l1_reverse`, ...; a
cell's are `weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`), so a PyTorch
`state_dict` converted to numpy arrays loads unchanged, and ours loads into PyTorch.

Nothing here writes a gradient: backprop through time is what the graph of the
unrolled loop gives. To keep that graph readable, a layer records layer k's
forward direction in the name scope `l{k}` and its backward direction in
`l{k}_reverse` (named like the parameters it uses), and each step in `t={t}`,
t being the position in the sequence (so the backward direction counts down):
an LSTM held in attribute `lstm` draws its cells as `lstm/l0/t=0`, `lstm/l0/t=1`, ...

Variable-length batches: `lengths` gives each sequence's real length in a
padded batch. Past its end a sequence's state is held (so `h_n` is the state at
its last real step) and its outputs are zero; the backward direction starts at
the sequence's own last step. This is what PyTorch gives for
`pack_padded_sequence(..., enforce_sorted=False)`, done here with `ag.where`
so the padded steps send no gradient anywhere.
"""

import math
import numbers

import numpy as np

import autograd as ag
from autograd import Tensor
from autograd.ops.linalg import row_major

from . import functional as F
from . import init
from ._checks import check_int
from .module import Module, Parameter


# -- the arithmetic of one step, per kind of cell ------------------------------
#
# A cell and a layer share it. `_project` is the input's part of the gates
# (for a layer, of every time step at once), `_prepare_hidden` arranges the
# hidden-to-hidden weights once per call (transposed, split; a row-major copy
# for a layer's many steps: see `_transposed`), and `_step`
# advances the state by one step. A state is a tuple: (h,), or (h, c) for LSTM.

class _RNNMath:
    num_gates = 1
    state_names = ("h",)

    def _project(self, x, weight_ih, bias_ih, bias_hh):
        # both biases are added here, once, rather than at every step
        return F._affine(x, weight_ih.T, None if bias_ih is None else bias_ih + bias_hh)

    def _prepare_hidden(self, weight_hh, bias_hh, batch=1, steps=1):
        return _transposed(weight_hh, batch, steps)

    def _step(self, gi, state, hidden):
        (h,) = state
        weight_hh_t, rows = hidden
        pre = F._affine(h, weight_hh_t, gi, rows)   # gi + h W_hh^T, in one node
        return (pre.tanh() if self.nonlinearity == "tanh" else pre.relu(),)


class _LSTMMath(_RNNMath):
    """The input projection and hidden weights as RNN's, four gates' worth."""
    num_gates = 4
    state_names = ("h", "c")

    def _step(self, gi, state, hidden):
        h, c = state
        weight_hh_t, rows = hidden
        gates = F._affine(h, weight_hh_t, gi, rows)  # gi + h W_hh^T, in one node
        i, f, g, o = gates.chunk(4, dim=-1)
        i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()
        c = f * c + i * g
        h = o * c.tanh()
        return h, c


class _GRUMath:
    num_gates = 3
    state_names = ("h",)

    def _project(self, x, weight_ih, bias_ih, bias_hh):
        # b_hn sits inside r * (...), so b_hh cannot join b_ih here
        return F._affine(x, weight_ih.T, bias_ih)

    def _prepare_hidden(self, weight_hh, bias_hh, batch=1, steps=1):
        if self.reset_after:
            return _transposed(weight_hh, batch, steps), bias_hh
        # r multiplies h before W_hn: the n rows need their own product
        H = self.hidden_size
        weight_rz, weight_n = weight_hh.split([2 * H, H], dim=0)
        bias_rz, bias_n = (None, None) if bias_hh is None else bias_hh.split([2 * H, H])
        return (_transposed(weight_rz, batch, steps), bias_rz,
                _transposed(weight_n, batch, steps), bias_n)

    def _step(self, gi, state, hidden):
        (h,) = state
        i_r, i_z, i_n = gi.chunk(3, dim=-1)
        if self.reset_after:
            (weight_hh_t, rows), bias_hh = hidden
            gh = F._affine(h, weight_hh_t, bias_hh, rows)
            h_r, h_z, h_n = gh.chunk(3, dim=-1)
            r = (i_r + h_r).sigmoid()
            z = (i_z + h_z).sigmoid()
            n = (i_n + r * h_n).tanh()
        else:
            (weight_rz_t, rows_rz), bias_rz, (weight_n_t, rows_n), bias_n = hidden
            h_r, h_z = F._affine(h, weight_rz_t, bias_rz, rows_rz).chunk(2, dim=-1)
            r = (i_r + h_r).sigmoid()
            z = (i_z + h_z).sigmoid()
            n = (i_n + F._affine(r * h, weight_n_t, bias_n, rows_n)).tanh()
        return ((1 - z) * n + z * h,)


def _transposed(weight, batch, steps):
    """(W^T, its row-major copy or None) for `steps` products h W^T of `batch` rows:
    the graph records the view; the copy only speeds the forward's products
    (see `autograd.ops.linalg.row_major`)."""
    weight_t = weight.T
    return weight_t, row_major(weight_t.data, batch, steps)


# -- checking what the user passes ------------------------------------------------

def _as_tensor(value, what, layer):
    if isinstance(value, Tensor):
        t = value
    elif isinstance(value, (np.ndarray, list, tuple)):
        t = Tensor(value)
    else:
        raise TypeError(f"{layer}: {what} must be a Tensor or an array, got {type(value).__name__}")
    if t.dtype.kind != "f":
        raise TypeError(f"{layer}: {what} must hold floats, got dtype {t.dtype} "
                        f"(token ids go through an embedding or a one-hot encoding first)")
    return t


def _check_nonlinearity(nonlinearity, layer):
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"{layer}: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    return nonlinearity


def _check_state(hx, state_names, shape, layer, shape_text):
    """hx as a tuple of Tensors of `shape` (one per state name), with a clear error."""
    if len(state_names) == 2:
        if not isinstance(hx, (tuple, list)) or len(hx) != 2:
            raise TypeError(f"{layer}: the state must be a tuple (h, c), got {type(hx).__name__}")
        parts = tuple(hx)
    else:
        parts = (hx,)
    out = []
    for name, part in zip(state_names, parts):
        t = _as_tensor(part, f"{name}_0", layer)
        if t.shape != shape:
            raise ValueError(f"{layer}: {name}_0 must have shape {shape} {shape_text}, "
                             f"got {t.shape}")
        out.append(t)
    return tuple(out)


def _zeros_state(state_names, shape, dtype):
    return tuple(Tensor(np.zeros(shape, dtype)) for _ in state_names)


def _unpack(state):
    return state if len(state) == 2 else state[0]


def _reset_uniform(module):
    bound = 1.0 / math.sqrt(module.hidden_size)
    for p in module.parameters():
        init.uniform_(p, -bound, bound)


# -- cells ------------------------------------------------------------------------

class _CellBase(Module):
    """One step. `cell(x, state)`: x (batch, input_size) or unbatched (input_size,)."""

    def __init__(self, input_size, hidden_size, bias=True):
        super().__init__()
        cell = type(self).__name__
        self.input_size = check_int(input_size, "input_size", cell)
        self.hidden_size = check_int(hidden_size, "hidden_size", cell)
        self.bias = bool(bias)
        G, H, dtype = self.num_gates, self.hidden_size, ag.get_default_dtype()
        self.weight_ih = Parameter(np.zeros((G * H, self.input_size), dtype))
        self.weight_hh = Parameter(np.zeros((G * H, H), dtype))
        if self.bias:
            self.bias_ih = Parameter(np.zeros(G * H, dtype))
            self.bias_hh = Parameter(np.zeros(G * H, dtype))
        self.reset_parameters()

    def reset_parameters(self):
        """Every weight and bias U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as PyTorch."""
        _reset_uniform(self)

    def _biases(self):
        return (self.bias_ih, self.bias_hh) if self.bias else (None, None)

    def forward(self, input, hx=None):
        layer = type(self).__name__
        x = _as_tensor(input, "input", layer)
        if x.ndim not in (1, 2) or x.shape[-1] != self.input_size:
            raise ValueError(f"{layer}: expected input of shape (batch, {self.input_size}) or "
                             f"({self.input_size},), got {x.shape}")
        batched = x.ndim == 2
        if not batched:
            x = x.unsqueeze(0)
        shape = (x.shape[0], self.hidden_size)
        if hx is None:
            dtype = np.result_type(x.dtype, self.weight_hh.dtype)
            state = _zeros_state(self.state_names, shape, dtype)
        else:
            want = shape if batched else (self.hidden_size,)
            state = _check_state(hx, self.state_names, want, layer,
                                 "(batch, hidden_size)" if batched else "(hidden_size,)")
            if not batched:
                state = tuple(s.unsqueeze(0) for s in state)
        bias_ih, bias_hh = self._biases()
        gi = self._project(x, self.weight_ih, bias_ih, bias_hh)
        state = self._step(gi, state, self._prepare_hidden(self.weight_hh, bias_hh))
        if not batched:
            state = tuple(s.squeeze(0) for s in state)
        return _unpack(state)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        return s


class RNNCell(_RNNMath, _CellBase):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu).

    `cell(x, h=None) -> h'`: x (batch, input_size) or (input_size,), h of the
    matching (batch, hidden_size) or (hidden_size,), zeros when omitted.
    Parameters: weight_ih (hidden, input), weight_hh (hidden, hidden), bias_ih, bias_hh (hidden,).
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh"):
        nonlinearity = _check_nonlinearity(nonlinearity, "RNNCell")
        super().__init__(input_size, hidden_size, bias)
        self.nonlinearity = nonlinearity

    def extra_repr(self):
        s = super().extra_repr()
        return s if self.nonlinearity == "tanh" else s + f", nonlinearity={self.nonlinearity!r}"


class LSTMCell(_LSTMMath, _CellBase):
    """c' = f * c + i * g,  h' = o * tanh(c')  (gates i, f, g, o stacked in that order).

    `cell(x, (h, c)=None) -> (h', c')`; shapes as for RNNCell, zeros when omitted.
    Parameters: weight_ih (4*hidden, input), weight_hh (4*hidden, hidden), biases (4*hidden,).
    """


class GRUCell(_GRUMath, _CellBase):
    """h' = (1 - z) * n + z * h  (gates r, z, n stacked in that order).

    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)) as in PyTorch; with
    `reset_after=False`, n = tanh(W_in x + b_in + W_hn (r * h) + b_hn) (Cho et al.
    2014), with the same parameters. `cell(x, h=None) -> h'`.
    Parameters: weight_ih (3*hidden, input), weight_hh (3*hidden, hidden), biases (3*hidden,).
    """

    def __init__(self, input_size, hidden_size, bias=True, reset_after=True):
        super().__init__(input_size, hidden_size, bias)
        self.reset_after = bool(reset_after)

    def extra_repr(self):
        s = super().extra_repr()
        return s if self.reset_after else s + ", reset_after=False"


# -- layers -------------------------------------------------------------------------

class _LayerBase(Module):
    """A stack of recurrent layers run over whole sequences (see the module docstring)."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False):
        super().__init__()
        layer = type(self).__name__
        self.input_size = check_int(input_size, "input_size", layer)
        self.hidden_size = check_int(hidden_size, "hidden_size", layer)
        self.num_layers = check_int(num_layers, "num_layers", layer)
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real) or not 0 <= dropout <= 1:
            raise ValueError(f"{layer}: dropout must be a probability in [0, 1], got {dropout!r}")
        self.bias = bool(bias)
        self.batch_first = bool(batch_first)
        self.dropout = float(dropout)
        self.bidirectional = bool(bidirectional)
        G, H, dtype = self.num_gates, self.hidden_size, ag.get_default_dtype()
        # registered in PyTorch's order, so state_dict() lists them as PyTorch does
        for k in range(self.num_layers):
            layer_input = self.input_size if k == 0 else H * self.num_directions
            for suffix in self._suffixes:
                setattr(self, f"weight_ih_l{k}{suffix}", Parameter(np.zeros((G * H, layer_input), dtype)))
                setattr(self, f"weight_hh_l{k}{suffix}", Parameter(np.zeros((G * H, H), dtype)))
                if self.bias:
                    setattr(self, f"bias_ih_l{k}{suffix}", Parameter(np.zeros(G * H, dtype)))
                    setattr(self, f"bias_hh_l{k}{suffix}", Parameter(np.zeros(G * H, dtype)))
        self.reset_parameters()

    @property
    def num_directions(self):
        return 2 if self.bidirectional else 1

    @property
    def _suffixes(self):
        return ("", "_reverse") if self.bidirectional else ("",)

    def reset_parameters(self):
        """Every weight and bias U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as PyTorch."""
        _reset_uniform(self)

    def _weights(self, k, suffix):
        """(weight_ih, weight_hh, bias_ih, bias_hh) of layer k in one direction."""
        names = ("weight_ih", "weight_hh") + (("bias_ih", "bias_hh") if self.bias else ())
        ws = [getattr(self, f"{n}_l{k}{suffix}") for n in names]
        return tuple(ws) if self.bias else (ws[0], ws[1], None, None)

    @property
    def all_weights(self):
        """Per layer and direction, [weight_ih, weight_hh, bias_ih, bias_hh], as PyTorch."""
        return [[w for w in self._weights(k, s) if w is not None]
                for k in range(self.num_layers) for s in self._suffixes]

    def forward(self, input, hx=None, lengths=None):
        """Run the whole sequence; returns (output, h_n), or (output, (h_n, c_n)) for LSTM.

        input: (seq_len, batch, input_size), (batch, seq_len, input_size) when
        batch_first, or unbatched (seq_len, input_size).
        hx: h_0 (or (h_0, c_0)) of shape (num_layers * num_directions, batch,
        hidden_size), or (num_layers * num_directions, hidden_size) unbatched;
        zeros when omitted.
        lengths: one int per sequence, 1 <= length <= seq_len, for padded batches.
        output: (seq_len, batch, num_directions * hidden_size) (batch first when
        batch_first); h_n like h_0, layer by layer, forward direction before backward.
        """
        layer = type(self).__name__
        x = _as_tensor(input, "input", layer)
        if x.ndim not in (2, 3):
            order = "(batch, seq_len, input_size)" if self.batch_first else "(seq_len, batch, input_size)"
            raise ValueError(f"{layer}: expected input of 3 dimensions {order} or 2 "
                             f"(seq_len, input_size), got shape {x.shape}")
        if x.shape[-1] != self.input_size:
            raise ValueError(f"{layer}: input has {x.shape[-1]} features in its last dimension "
                             f"(shape {x.shape}), expected input_size={self.input_size}")
        batched = x.ndim == 3
        if not batched:
            x = x.unsqueeze(1)
        elif self.batch_first:
            x = x.transpose(0, 1)
        T, B = x.shape[0], x.shape[1]
        if T == 0:
            raise ValueError(f"{layer}: the input sequence is empty (seq_len = 0)")
        masks = self._masks(lengths, T, B, batched)
        initial = self._initial_states(hx, B, batched, np.result_type(x.dtype, self.weight_ih_l0.dtype))

        finals = []
        for k in range(self.num_layers):
            outputs = []
            for d, suffix in enumerate(self._suffixes):
                with ag.name_scope(f"l{k}{suffix}"):
                    out, state = self._run_direction(x, initial[k * self.num_directions + d],
                                                     self._weights(k, suffix), masks, reverse=d == 1)
                outputs.append(out)
                finals.append(state)
            with ag.name_scope(f"l{k}"):
                x = outputs[0] if len(outputs) == 1 else ag.cat(outputs, dim=-1)
                if self.dropout and self.training and k < self.num_layers - 1:
                    x = F.dropout(x, self.dropout)

        h_n = tuple(ag.stack([f[i] for f in finals], dim=0) for i in range(len(self.state_names)))
        if not batched:
            x = x.squeeze(1)
            h_n = tuple(h.squeeze(1) for h in h_n)
        elif self.batch_first:
            x = x.transpose(0, 1)
        return x, _unpack(h_n)

    def _run_direction(self, x, state, weights, masks, reverse):
        """One layer, one direction: x (T, B, in) -> outputs (T, B, H), final state."""
        weight_ih, weight_hh, bias_ih, bias_hh = weights
        T, B, I = x.shape
        G, H = self.num_gates, self.hidden_size
        # the input's part of every step in one product, then one node to slice it
        gi = self._project(x.reshape(T * B, I), weight_ih, bias_ih, bias_hh)
        gi = gi.reshape(T, B, G * H).unbind(0)
        hidden = self._prepare_hidden(weight_hh, bias_hh, B, T)
        outputs = [None] * T
        for t in (range(T - 1, -1, -1) if reverse else range(T)):
            with ag.name_scope(f"t={t}"):
                new = self._step(gi[t], state, hidden)
                mask = masks[t]
                if mask is None:
                    state = new
                    outputs[t] = new[0]
                else:   # finished sequences keep their state and output zeros
                    state = tuple(ag.where(mask, n, s) for n, s in zip(new, state))
                    outputs[t] = ag.where(mask, new[0], 0.0)
        return ag.stack(outputs, dim=0), state

    def _masks(self, lengths, T, B, batched):
        """Per step, a (B, 1) boolean array of the sequences still running, or None if all are."""
        if lengths is None:
            return [None] * T
        layer = type(self).__name__
        raw = lengths.data if isinstance(lengths, Tensor) else lengths
        try:
            arr = np.asarray(raw)
        except (ValueError, TypeError):
            arr = None
        if arr is None or arr.dtype.kind not in "iu" or arr.ndim != 1:
            raise TypeError(f"{layer}: lengths must be a 1-D sequence of ints, one per sequence, "
                            f"got {lengths!r}")
        if len(arr) != B:
            what = f"batch size {B}" if batched else "an unbatched input (one sequence)"
            raise ValueError(f"{layer}: lengths must have one entry per sequence ({what}), "
                             f"got {len(arr)}")
        if arr.min() < 1 or arr.max() > T:
            raise ValueError(f"{layer}: every length must be between 1 and the sequence length "
                             f"{T}, got {arr.tolist()}")
        shortest = arr.min()
        return [None if t < shortest else (t < arr)[:, None] for t in range(T)]

    def _initial_states(self, hx, B, batched, dtype):
        """The starting state of each layer and direction, in h_n's order."""
        n = self.num_layers * self.num_directions
        shape = (n, B, self.hidden_size)
        if hx is None:
            return [_zeros_state(self.state_names, shape[1:], dtype) for _ in range(n)]
        layer = type(self).__name__
        want = shape if batched else (n, self.hidden_size)
        text = ("(num_layers * num_directions, batch, hidden_size)" if batched
                else "(num_layers * num_directions, hidden_size)")
        state = _check_state(hx, self.state_names, want, layer, text)
        if not batched:
            state = tuple(s.unsqueeze(1) for s in state)
        per_part = [s.unbind(0) for s in state]
        return [tuple(p[j] for p in per_part) for j in range(n)]

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        for name, default in (("bias", True), ("batch_first", False), ("dropout", 0.0),
                              ("bidirectional", False)):
            if getattr(self, name) != default:
                s += f", {name}={getattr(self, name)}"
        return s


class RNN(_RNNMath, _LayerBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu), per layer.

    `RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
    batch_first=False, dropout=0.0, bidirectional=False)`;
    `forward(input, hx=None, lengths=None) -> (output, h_n)`, shapes as PyTorch
    (see `_LayerBase.forward`). Layer 0's weight_ih is (hidden, input_size), the
    others' (hidden, num_directions * hidden).
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False):
        nonlinearity = _check_nonlinearity(nonlinearity, "RNN")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional)
        self.nonlinearity = nonlinearity

    def extra_repr(self):
        s = super().extra_repr()
        return s if self.nonlinearity == "tanh" else s + f", nonlinearity={self.nonlinearity!r}"


class LSTM(_LSTMMath, _LayerBase):
    """Long short-term memory, gates i, f, g, o stacked in weights of 4 * hidden_size rows.

    `forward(input, hx=None, lengths=None) -> (output, (h_n, c_n))`; hx is a
    tuple (h_0, c_0). Shapes as PyTorch (see `_LayerBase.forward`).
    """


class GRU(_GRUMath, _LayerBase):
    """Gated recurrent unit, gates r, z, n stacked in weights of 3 * hidden_size rows.

    `reset_after=True` (PyTorch's): n = tanh(W_in x + b_in + r * (W_hn h + b_hn));
    `reset_after=False` (Cho et al. 2014): n = tanh(W_in x + b_in + W_hn (r * h) + b_hn),
    same parameters. `forward(input, hx=None, lengths=None) -> (output, h_n)`.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, reset_after=True):
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional)
        self.reset_after = bool(reset_after)

    def extra_repr(self):
        s = super().extra_repr()
        return s if self.reset_after else s + ", reset_after=False"
