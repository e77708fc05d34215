"""Mini-batches for gradient descent, and small datasets for experiments.

    batch gradient descent       batch_size = len(X)
    stochastic gradient descent  batch_size = 1
    mini-batch gradient descent  anything in between

The last, smaller batch is kept (`drop_last=True` drops it). Shuffling draws
from `np.random.default_rng(seed)` when a seed is given, else from
`ag.generator()` (so `ag.manual_seed` makes it repeatable too).
"""

import math

import numpy as np

import autograd as ag
from autograd import Tensor

from ._checks import check_int

__all__ = ["batches", "DataLoader", "make_moons"]


def _arrays(arrays, op):
    if not arrays:
        raise ValueError(f"{op}: needs at least one array")
    out = []
    for i, a in enumerate(arrays):
        if isinstance(a, (list, tuple)):
            a = np.asarray(a)
        if not isinstance(a, (Tensor, np.ndarray)):
            raise TypeError(f"{op}: argument {i} must be an array or a Tensor, got {type(a).__name__}")
        if not a.shape:
            raise ValueError(f"{op}: argument {i} is 0-dimensional; it needs one row per sample")
        out.append(a)
    lengths = [a.shape[0] for a in out]
    if len(set(lengths)) > 1:
        raise ValueError(f"{op}: all arrays need the same number of samples (first "
                         f"dimension), got {lengths}")
    return out, lengths[0]


def _take(a, idx):
    if isinstance(a, Tensor):
        return Tensor(a.data[idx])        # a batch is data, not part of a graph
    return a[idx]


class DataLoader:
    """Iterate over (X[batch], y[batch], ...) for each batch of an epoch.

    DataLoader(X, y, batch_size=32, shuffle=True, seed=0): every pass (epoch)
    reshuffles; len() is the number of batches per epoch. Arrays come back as
    arrays, Tensors as new Tensors (no graph).
    """

    def __init__(self, *arrays, batch_size=1, shuffle=False, seed=None, drop_last=False):
        self.arrays, self.n = _arrays(arrays, "DataLoader")
        self.batch_size = check_int(batch_size, "batch_size", "DataLoader")
        self.shuffle = shuffle
        self.drop_last = drop_last
        self._rng = np.random.default_rng(seed) if seed is not None else None

    def __len__(self):
        if self.drop_last:
            return self.n // self.batch_size
        return math.ceil(self.n / self.batch_size)

    def __iter__(self):
        if self.shuffle:
            rng = self._rng if self._rng is not None else ag.generator()
            order = rng.permutation(self.n)
        else:
            order = np.arange(self.n)
        for k in range(len(self)):
            idx = order[k * self.batch_size:(k + 1) * self.batch_size]
            batch = tuple(_take(a, idx) for a in self.arrays)
            yield batch if len(batch) > 1 else batch[0]


def batches(X, y=None, batch_size=32, shuffle=True, seed=None, drop_last=False):
    """One epoch of mini-batches: yields (X_batch, y_batch), or X_batch when y is None."""
    arrays = (X,) if y is None else (X, y)
    return iter(DataLoader(*arrays, batch_size=batch_size, shuffle=shuffle, seed=seed,
                           drop_last=drop_last))


def make_moons(n_samples=100, noise=0.0, seed=None, shuffle=True):
    """Two interleaving half circles, as sklearn's make_moons.

    Class 0: (cos t, sin t); class 1: (1 - cos t, 1/2 - sin t), t evenly in
    [0, pi]; then Gaussian noise of std `noise`. Returns X (n_samples, 2) in the
    default float dtype and y (n_samples,) int64 labels.
    """
    n_samples = check_int(n_samples, "n_samples", "make_moons", 2)
    if noise < 0:
        raise ValueError(f"make_moons: noise must be non-negative, got {noise}")
    rng = np.random.default_rng(seed) if seed is not None else ag.generator()
    n_out = n_samples // 2
    n_in = n_samples - n_out
    t_out = np.linspace(0, np.pi, n_out)
    t_in = np.linspace(0, np.pi, n_in)
    X = np.concatenate([np.stack([np.cos(t_out), np.sin(t_out)], 1),
                        np.stack([1 - np.cos(t_in), 0.5 - np.sin(t_in)], 1)])
    y = np.concatenate([np.zeros(n_out, np.int64), np.ones(n_in, np.int64)])
    if shuffle:
        order = rng.permutation(n_samples)
        X, y = X[order], y[order]
    if noise:
        X = X + rng.normal(0.0, noise, X.shape)
    return X.astype(ag.get_default_dtype()), y
