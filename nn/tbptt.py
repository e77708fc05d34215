"""Truncated backpropagation through time.

Backprop through a whole long sequence keeps every step's graph alive and
multiplies gradients across all of it. Truncated BPTT cuts the sequence into
chunks of `chunk_len` steps. The state flows forward across a cut (the model
still remembers), but it is detached there, so the gradient of chunk k's loss
stops at the start of chunk k: each backward covers one chunk only.

    state = None
    for x, y in tbptt_chunks(inputs, targets, chunk_len=25):
        output, state = model(x, state)        # starts from the previous chunk's state
        loss = loss_fn(output, y)
        optimizer.zero_grad(); loss.backward(); optimizer.step()
        state = detach_state(state)            # the cut: no gradient crosses it

or, the same loop in one call, `truncated_bptt(model, loss_fn, inputs, targets, 25, optimizer)`.
"""

import numpy as np

from autograd import Tensor

from ._checks import check_int

__all__ = ["detach_state", "tbptt_chunks", "truncated_bptt"]


def detach_state(state):
    """The same values cut from the graph: Tensors detached inside any tuple, list or dict.

    None and anything that is not a Tensor pass through unchanged.
    """
    if isinstance(state, Tensor):
        return state.detach()
    if isinstance(state, tuple):
        return tuple(detach_state(s) for s in state)
    if isinstance(state, list):
        return [detach_state(s) for s in state]
    if isinstance(state, dict):
        return {k: detach_state(v) for k, v in state.items()}
    return state


def _pieces(seq, chunk_len, dim, what):
    """`seq` cut along `dim` into pieces of chunk_len (the last may be shorter).

    A Tensor is cut by one `split` node (so an input that requires grad still
    gets its gradient, piece by piece); an array by numpy.
    """
    if isinstance(seq, Tensor):
        if seq.ndim == 0:
            raise ValueError(f"tbptt_chunks: {what} must have a time dimension, got a 0-d tensor")
        return list(seq.split(chunk_len, dim)) if seq.shape[dim] > chunk_len else [seq]
    arr = np.asarray(seq)
    if arr.ndim == 0:
        raise ValueError(f"tbptt_chunks: {what} must have a time dimension, got a scalar")
    n = arr.shape[dim]
    return np.split(arr, list(range(chunk_len, n, chunk_len)), axis=dim)


def tbptt_chunks(inputs, targets, chunk_len, dim=0):
    """(x, y) pairs of consecutive chunks of `inputs` and `targets` along `dim` (time).

    Tensors or arrays; both must have the same length along `dim`. The last
    chunk may be shorter.
    """
    chunk_len = check_int(chunk_len, "chunk_len", "tbptt_chunks")
    n_in, n_out = np.shape(getattr(inputs, "data", inputs)), np.shape(getattr(targets, "data", targets))
    if not n_in or not n_out or n_in[dim] != n_out[dim]:
        raise ValueError(f"tbptt_chunks: inputs of shape {n_in} and targets of shape {n_out} "
                         f"must have the same length along dim {dim} (time)")
    return list(zip(_pieces(inputs, chunk_len, dim, "inputs"),
                    _pieces(targets, chunk_len, dim, "targets")))


def truncated_bptt(model, loss_fn, inputs, targets, chunk_len, optimizer=None, state=None,
                   dim=0, progress=False):
    """Run `model` over a long sequence chunk by chunk, backpropagating within each chunk.

    model(x, state) -> (output, state), as nn.RNN/LSTM/GRU are called (state None
    at first); loss_fn(output, y) -> a one-element Tensor. For each chunk: forward
    from the carried state, `loss.backward()`, then `optimizer.step()` (after
    `optimizer.zero_grad()` before the backward) when an optimizer is given;
    without one the gradients of all chunks add up in `.grad`. The state is
    detached between chunks. Returns (losses, state): each chunk's loss as a
    float, and the final state (detached), to carry into the next call.
    """
    chunks = tbptt_chunks(inputs, targets, chunk_len, dim)
    if progress:
        from tqdm.auto import tqdm
        chunks = tqdm(chunks, desc="truncated BPTT", unit="chunk")
    losses = []
    state = detach_state(state)
    for x, y in chunks:
        output, state = model(x, state)
        loss = loss_fn(output, y)
        if not isinstance(loss, Tensor) or loss.data.size != 1:
            raise ValueError(f"truncated_bptt: loss_fn must return a one-element Tensor, got "
                             f"{type(loss).__name__} of shape {np.shape(getattr(loss, 'data', loss))}")
        if optimizer is not None:
            optimizer.zero_grad()
        loss.backward()
        if optimizer is not None:
            optimizer.step()
        losses.append(float(loss.item()))
        state = detach_state(state)
        if progress:
            chunks.set_postfix(loss=f"{losses[-1]:.4f}")
    return losses, state
