"""Training and gradient plots with matplotlib; each function returns the Figure.

Figures are made without pyplot (no global state, safe on the Agg backend and in
scripts); they display themselves in Jupyter as PNG.
"""

import io
import math
import numbers

import numpy as np
from matplotlib.figure import Figure

import autograd as ag
from autograd import Scalar, Tensor


class PlotFigure(Figure):
    """A matplotlib Figure that shows itself in Jupyter without pyplot."""

    def _repr_png_(self):
        buf = io.BytesIO()
        self.savefig(buf, format="png", bbox_inches="tight")
        return buf.getvalue()


def _figure(ax=None, **kwargs):
    if ax is not None:
        return ax.figure, ax
    fig = PlotFigure(**kwargs)
    return fig, fig.add_subplot()


def _numbers(seq, what, op):
    """A sequence of numbers (floats, 0-d arrays, one-element Tensors) as a float array."""
    if isinstance(seq, (str, bytes)) or not hasattr(seq, "__len__"):
        raise TypeError(f"{op}: {what} must be a sequence of numbers, got {type(seq).__name__}")
    out = []
    for k, x in enumerate(seq):
        if isinstance(x, (Tensor, Scalar)):
            x = x.item()
        if isinstance(x, np.ndarray) and x.size == 1:
            x = x.item()
        if not isinstance(x, numbers.Real) or isinstance(x, bool):
            raise TypeError(f"{op}: {what}[{k}] must be a number, got {type(x).__name__}")
        out.append(float(x))
    if not out:
        raise ValueError(f"{op}: {what} is empty")
    return np.asarray(out)


def _named_series(series, what, op, convert):
    """A sequence or a dict name -> sequence, as a dict name -> float array."""
    if isinstance(series, dict):
        if not series:
            raise ValueError(f"{op}: the dict of {what} is empty")
        return {str(name): convert(s, f"{what} {name!r}", op) for name, s in series.items()}
    return {None: convert(series, what, op)}


# -- loss -------------------------------------------------------------------------

def plot_loss(history, *, logy=False, xlabel="step", ylabel="loss", title=None, ax=None):
    """The loss curve: `history` is a list of numbers, or a dict name -> list (one line each).

    logy: a log y axis (convergence over decades).
    """
    curves = _named_series(history, "history", "plot_loss", _numbers)
    fig, ax = _figure(ax, figsize=(6, 4))
    for name, ys in curves.items():
        ax.plot(np.arange(len(ys)), ys, label=name)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title or "training loss")
    ax.grid(True, alpha=0.3)
    if None not in curves:
        ax.legend()
    return fig


# -- gradient flow ----------------------------------------------------------------

def _grad_norm(p):
    """||p.grad|| (None when p has no gradient)."""
    g = p.grad
    if g is None:
        return None
    if isinstance(p, Scalar):
        return abs(float(g))
    data = np.asarray(getattr(g, "data", g), dtype=np.float64)
    return float(np.sqrt(np.sum(data * data)))


def grad_norms(model, by="parameter"):
    """(names, norms) of the gradient per parameter, or per layer (name up to its last dot).

    A norm is None for a parameter (or a whole layer) whose `.grad` is None.
    """
    if not hasattr(model, "named_parameters"):
        raise TypeError(f"plot_grad_flow: model must have named_parameters(), "
                        f"got {type(model).__name__}")
    if by not in ("parameter", "layer"):
        raise ValueError(f"plot_grad_flow: by must be 'parameter' or 'layer', got {by!r}")
    named = list(model.named_parameters())
    if not named:
        raise ValueError("plot_grad_flow: the model has no parameters")
    if by == "parameter":
        return [n for n, _ in named], [_grad_norm(p) for _, p in named]
    squares = {}
    for name, p in named:
        layer = name.rsplit(".", 1)[0] if "." in name else name
        norm = _grad_norm(p)
        prev = squares.get(layer)
        squares[layer] = prev if norm is None else (prev or 0.0) + norm * norm
    return list(squares), [None if s is None else math.sqrt(s) for s in squares.values()]


def plot_grad_flow(model, *, by="parameter", title=None, ax=None):
    """Bars of the gradient norm per parameter (or `by='layer'`), on a log scale.

    `model`: anything with `named_parameters()` (nn.Module, nn.scalar.MLP).
    Parameters with no gradient (`.grad` None) are shown at zero height, with
    "(no grad)" after their name, so a part of the model that gets no gradient
    is visible rather than silently missing.
    """
    names, norms = grad_norms(model, by)
    heights = [0.0 if n is None else n for n in norms]
    labels = [f"{name} (no grad)" if n is None else name for name, n in zip(names, norms)]
    fig, ax = _figure(ax, figsize=(max(5.0, 0.45 * len(names) + 2), 4.5))
    x = np.arange(len(names))
    ax.bar(x, heights, color=["#bbbbbb" if n is None else "#3182bd" for n in norms])
    positive = [h for h in heights if h > 0]
    if positive:
        ax.set_yscale("log")
        ax.set_ylim(min(positive) / 3, max(positive) * 3)
    ax.set_xticks(x)
    ax.set_xticklabels(labels, rotation=60, ha="right", fontsize=8)
    ax.set_ylabel("gradient norm ||grad||")
    ax.set_title(title or f"gradient flow, per {by}")
    ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


# -- BPTT ---------------------------------------------------------------------------

def _norms(seq, what, op):
    """Numbers as they are; gradients (arrays, Tensors) as their norms."""
    if isinstance(seq, (str, bytes)) or not hasattr(seq, "__iter__"):
        raise TypeError(f"{op}: {what} must be a sequence, got {type(seq).__name__}")
    out = []
    for x in seq:
        if isinstance(x, Tensor):
            x = x.data
        if isinstance(x, (np.ndarray, list, tuple)) and np.size(x) != 1:
            x = float(np.linalg.norm(np.asarray(x, dtype=np.float64)))
        out.append(x)
    return _numbers(out, what, op)


def plot_bptt(series, *, title=None, ax=None):
    """||dL/dh_t|| against t = 1..T on a log scale: vanishing and exploding gradients.

    `series`: a sequence (numbers, or the gradients themselves, whose norms are
    taken), or a dict label -> such a sequence (one line each).
    """
    curves = _named_series(series, "series", "plot_bptt", _norms)
    fig, ax = _figure(ax, figsize=(6, 4))
    for name, ys in curves.items():
        ax.plot(np.arange(1, len(ys) + 1), ys, marker="o", markersize=3, label=name)
    ax.set_yscale("log")
    ax.set_xlabel("time step t")
    ax.set_ylabel(r"$\|\partial L / \partial h_t\|$")
    ax.set_title(title or "gradient through time (BPTT)")
    ax.grid(True, which="both", alpha=0.3)
    if None not in curves:
        ax.legend()
    return fig


# -- activations ------------------------------------------------------------------

# the names plot_activation knows, in the order the gallery shows them
ACTIVATIONS = ("sigmoid", "tanh", "relu", "hardtanh", "gelu", "softplus", "elu", "leaky_relu",
               "prelu")


def _activation(name):
    """nn.functional's activation `name` as a function Tensor -> Tensor (PReLU at its
    initial slope 0.25): the curve drawn is the one the layers compute."""
    import nn.functional as F
    if name == "prelu":
        return lambda x: F.prelu(x, Tensor(np.full(1, 0.25, x.dtype)))
    return getattr(F, name)


def activation_and_derivative(name, x):
    """f(x) and f'(x) for the activation `name`, the derivative by the engine's backward."""
    if name not in ACTIVATIONS:
        raise ValueError(f"plot_activation: unknown activation {name!r}; "
                         f"known: {', '.join(ACTIVATIONS)}")
    t = Tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
    y = _activation(name)(t)
    y.sum().backward()
    return y.data.copy(), t.grad.data.copy()


def plot_activation(name, *, x=None, ax=None):
    """The activation `name` and its derivative (computed by autograd) on [-4, 4].

    Names: sigmoid, tanh, relu, hardtanh, gelu, softplus, elu, leaky_relu, prelu
    (PReLU with its initial slope 0.25).
    """
    xs = np.linspace(-4.0, 4.0, 401) if x is None else np.asarray(x, dtype=np.float64)
    y, dy = activation_and_derivative(name, xs)
    fig, ax = _figure(ax, figsize=(5, 3.5))
    ax.plot(xs, y, label=f"{name}(x)", color="#3182bd")
    ax.plot(xs, dy, label=f"{name}'(x)", color="#e6550d", linestyle="--")
    ax.axhline(0.0, color="#999999", linewidth=0.6)
    ax.axvline(0.0, color="#999999", linewidth=0.6)
    ax.set_xlabel("x")
    ax.set_title(name)
    ax.legend()
    ax.grid(True, alpha=0.3)
    return fig


# -- decision boundary ---------------------------------------------------------------

def _classes(out):
    """Class per row from a model's output: probabilities or logits, 1 column or K."""
    out = np.asarray(out, dtype=np.float64)
    if out.ndim == 2 and out.shape[1] == 1:
        out = out[:, 0]
    if out.ndim == 1:
        threshold = 0.5 if out.min() >= 0.0 and out.max() <= 1.0 else 0.0
        return (out > threshold).astype(int)
    if out.ndim == 2:
        return out.argmax(axis=1)
    raise ValueError(f"plot_decision_boundary: the model must return one score per point "
                     f"(N,) / (N, 1) or one per class (N, K), got shape {out.shape}")


def plot_decision_boundary(model, X, y, *, resolution=200, padding=0.5, title=None, ax=None):
    """The regions a classifier assigns to each class, with the data on top.

    model: callable Tensor (M, 2) -> Tensor: probabilities or logits, (M,) or
    (M, 1) for two classes (thresholds 0.5 and 0), or (M, K) for K classes (argmax).
    X: (N, 2) points; y: (N,) labels.
    """
    if not callable(model):
        raise TypeError(f"plot_decision_boundary: model must be callable, got {type(model).__name__}")
    X = np.asarray(getattr(X, "data", X))
    y = np.asarray(getattr(y, "data", y)).reshape(-1)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary: X must have shape (N, 2), got {X.shape}")
    if len(y) != len(X):
        raise ValueError(f"plot_decision_boundary: y has {len(y)} labels for {len(X)} points")
    dtype = X.dtype if X.dtype.kind == "f" else ag.get_default_dtype()
    (x0, y0), (x1, y1) = X.min(axis=0) - padding, X.max(axis=0) + padding
    gx, gy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    grid = np.stack([gx.ravel(), gy.ravel()], axis=1).astype(dtype)
    with ag.no_grad():
        out = model(Tensor(grid))
    regions = _classes(getattr(out, "data", out)).reshape(gx.shape)
    labels = np.unique(np.concatenate([np.unique(regions), np.unique(y.astype(int))]))
    fig, ax = _figure(ax, figsize=(5, 4.5))
    levels = np.arange(labels.min(), labels.max() + 2) - 0.5
    ax.contourf(gx, gy, regions, levels=levels, cmap="coolwarm" if len(labels) <= 2 else "tab10",
                alpha=0.3)
    ax.contour(gx, gy, regions, levels=levels[1:-1], colors="k", linewidths=0.8)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm" if len(labels) <= 2 else "tab10",
               edgecolors="k", s=20, vmin=levels[0], vmax=levels[-1])
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(title or "decision boundary")
    return fig


# -- gates ---------------------------------------------------------------------------

def plot_gates(gates, *, title=None):
    """Heat maps of gate activations over time: `gates` is a dict name -> (T, hidden).

    One panel per gate: time along x, hidden unit along y. Gates with values in
    [0, 1] (sigmoids) share the scale 0..1, those in [-1, 1] (tanh) -1..1.
    """
    if not isinstance(gates, dict) or not gates:
        raise TypeError("plot_gates: gates must be a non-empty dict gate name -> array (T, hidden)")
    arrays = {}
    for name, g in gates.items():
        a = np.asarray(getattr(g, "data", g), dtype=np.float64)
        if a.ndim != 2:
            raise ValueError(f"plot_gates: gate {name!r} must have shape (T, hidden), got {a.shape}")
        arrays[str(name)] = a
    fig = PlotFigure(figsize=(3.2 * len(arrays) + 1, 3.2))
    axes = fig.subplots(1, len(arrays), squeeze=False)[0]
    for ax, (name, a) in zip(axes, arrays.items()):
        lo, hi = (0.0, 1.0) if a.min() >= 0 and a.max() <= 1 else (-1.0, 1.0) \
            if a.min() >= -1 and a.max() <= 1 else (a.min(), a.max())
        im = ax.imshow(a.T, aspect="auto", origin="lower", cmap="viridis", vmin=lo, vmax=hi,
                       extent=(0.5, a.shape[0] + 0.5, -0.5, a.shape[1] - 0.5),
                       interpolation="nearest")
        ax.set_title(name)
        ax.set_xlabel("time step t")
        ax.set_ylabel("hidden unit")
        fig.colorbar(im, ax=ax)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
