"""The gallery: every kind of picture glassgrad makes, written to one folder with an index.

    python -m viz [--out build/gallery] [--quick]     the gallery
    python -m viz --bench                             layout times of big drawings
"""

import argparse
import html
import sys
import time
from pathlib import Path

import numpy as np

import autograd as ag
from autograd import Tensor

from . import examples
from ._files import save_figure, write_atomic
from .animate import animate
from .dot import draw
from .plots import (ACTIVATIONS, plot_activation, plot_bptt, plot_decision_boundary, plot_gates,
                    plot_grad_flow, plot_loss)
from .render import available_renderers, render


def _by_layer(path):
    # clusters at the first scope level: L1, L2 of nn.scalar.MLP; l0, l1 of nn.LSTM
    return "/" not in path


def lecture_mlp_svg(out, quick):
    loss, _ = examples.lecture_mlp()
    path = out / "mlp_221.svg"
    write_atomic(path, draw(loss, group_by=_by_layer,
                            title="2-2-1 network, one example, after one backward").svg())
    return [(path, "The lecture's 2-2-1 network (nn.scalar.MLP: ReLU hidden layer, sigmoid "
                   "output, BCE loss), weight by weight, after one backward pass.")]


def lecture_rnn_svg(out, quick):
    loss, hs = examples.lecture_rnn()
    path = out / "rnn_unrolled.svg"
    write_atomic(path, draw(loss, group_by="time", title="h_t = tanh(W_x x_t + W_h h_(t-1)), "
                                                         "unrolled over 3 steps").svg())
    return [(path, "The worked RNN example unrolled over three time steps, one cluster per "
                   f"step; h_1 = {np.round(hs[1].data, 2).tolist()}.")]


def lstm_svg(out, quick):
    T = 5 if quick else 20
    loss, _, _ = examples.unrolled_lstm(seq_len=T, num_layers=2)
    path = out / "lstm_collapsed.svg"
    start = time.perf_counter()
    drawing = draw(loss, collapse="time", group_by=_by_layer,
                   title=f"nn.LSTM, 2 layers, {T} steps: one box per layer and time step")
    write_atomic(path, drawing.svg())
    took = time.perf_counter() - start
    return [(path, f"A 2-layer nn.LSTM unrolled over {T} steps, each time step of each layer "
                   f"collapsed into one box (drawn and laid out in {took:.1f} s).")]


def steppers(out, quick):
    loss, _ = examples.lecture_mlp(retain_graph=True)
    mlp_path = out / "stepper_mlp.html"
    animate(loss, mlp_path, title="Backprop through the 2-2-1 network", group_by=_by_layer)
    loss, _ = examples.lecture_rnn(retain_graph=True)
    rnn_path = out / "stepper_rnn.html"
    animate(loss, rnn_path, title="Backprop through time: the worked RNN example",
            group_by="time")
    return [(mlp_path, "Step through backprop on the 2-2-1 network (arrow keys or buttons)."),
            (rnn_path, "Step through BPTT on the unrolled RNN: back in time, step by step.")]


def training_plots(out, quick):
    import nn
    import nn.functional as F
    from nn import optim
    from nn.data import make_moons
    ag.manual_seed(0)
    X, y = make_moons(120 if quick else 200, noise=0.1, seed=0)
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(),
                          nn.Linear(16, 1))
    optimizer = optim.Adam(model.parameters(), lr=0.05)
    history = []
    for _ in range(60 if quick else 300):
        optimizer.zero_grad()
        loss = F.binary_cross_entropy_with_logits(model(Tensor(X))[:, 0], Tensor(y))
        loss.backward()
        optimizer.step()
        history.append(loss.item())
    files = []
    for name, fig, text in (
            ("loss.png", plot_loss({"two moons, Adam": history}),
             "Training loss of a small MLP on two moons."),
            ("grad_flow.png", plot_grad_flow(model),
             "Gradient norm per parameter after the last step (log scale)."),
            ("decision_boundary.png", plot_decision_boundary(model, X, y),
             "The decision boundary the MLP learned.")):
        files.append((save_figure(fig, out / name, dpi=100), text))
    return files


def bptt_plot(out, quick):
    """||dL/dh_t|| in the worked RNN, W_h scaled (small inputs, L = sum of h_T)."""
    T = 15 if quick else 30
    series = {}
    for scale in (1.0, 1.8, 3.0):
        W_x = Tensor(np.array(examples.RNN_W_X))
        W_h = Tensor(np.array(examples.RNN_W_H) * scale, requires_grad=True)
        radius = np.abs(np.linalg.eigvals(W_h.data)).max()
        h = Tensor(np.zeros(2))
        states = []
        for t in range(T):
            x_t = Tensor(0.01 * np.array(examples.RNN_INPUTS[t % 3]))
            h = (W_x @ x_t + W_h @ h).tanh()
            h.retain_grad()
            states.append(h)
        states[-1].sum().backward()
        series[f"W_h x {scale} (spectral radius {radius:.2f})"] = [s.grad for s in states]
    path = save_figure(plot_bptt(series), out / "bptt.png", dpi=100)
    return [(path, f"||dL/dh_t|| for t = 1..{T} in the worked RNN with W_h scaled: the "
                   "gradient vanishes back in time when W_h's spectral radius is below 1, "
                   "survives near 1, and vanishes again once tanh saturates.")]


def activation_plots(out, quick):
    files = []
    for name in ACTIVATIONS:
        path = save_figure(plot_activation(name), out / f"activation_{name}.png", dpi=80)
        files.append((path, f"{name} and its derivative (by autograd)."))
    return files


def lstm_gates(lstm, x):
    """The gates of a one-layer nn.LSTM at every step, from its weights and outputs (numpy).

    Each gate at step t depends only on x_t and h_(t-1), which the output holds.
    """
    sd = {k: np.asarray(v, dtype=np.float64) for k, v in lstm.state_dict().items()}
    with ag.no_grad():
        output, _ = lstm(x)
    xs = x.data[:, 0].astype(np.float64)
    hs = np.concatenate([np.zeros((1, lstm.hidden_size)), output.data[:, 0]])
    pre = xs @ sd["weight_ih_l0"].T + sd["bias_ih_l0"] + hs[:-1] @ sd["weight_hh_l0"].T + sd["bias_hh_l0"]
    i, f, g, o = np.split(pre, 4, axis=1)
    sigmoid = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    return {"input gate i": sigmoid(i), "forget gate f": sigmoid(f), "cell candidate g": np.tanh(g),
            "output gate o": sigmoid(o)}


def gates_plot(out, quick):
    import nn
    ag.manual_seed(1)
    T = 12 if quick else 30
    lstm = nn.LSTM(2, 6)
    t = np.arange(T)
    x = Tensor(np.stack([np.sin(t / 3), np.cos(t / 5)], 1)[:, None, :].astype(np.float32))
    path = save_figure(plot_gates(lstm_gates(lstm, x)), out / "gates.png", dpi=90)
    return [(path, "The four gates of an nn.LSTM over a sine input, unit by unit over time.")]


SECTIONS = [("The 2-2-1 network", lecture_mlp_svg), ("The unrolled RNN", lecture_rnn_svg),
            ("The unrolled LSTM, collapsed by time step", lstm_svg),
            ("Backprop, step by step", steppers), ("Training", training_plots),
            ("Gradients through time", bptt_plot), ("Gates", gates_plot),
            ("Activations", activation_plots)]


def _index_html(entries):
    parts = []
    for section, files in entries:
        parts.append(f"<h2>{html.escape(section)}</h2>")
        for path, text in files:
            name = html.escape(path.name)
            preview = (f'<img src="{name}" alt="{html.escape(text)}" loading="lazy">'
                       if path.suffix in (".svg", ".png") else "")
            parts.append(f'<figure><a href="{name}">{preview}<figcaption>{name}</figcaption></a>'
                         f"<p>{html.escape(text)}</p></figure>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>glassgrad gallery</title><style>"
            "body{font-family:Helvetica,Arial,sans-serif;margin:1em 2em;color:#222}"
            "figure{display:inline-block;vertical-align:top;width:30em;margin:0 1em 1.5em 0}"
            "figure img{max-width:100%;max-height:18em;border:1px solid #ddd;background:#fff}"
            "figcaption{font-family:monospace}p{margin:.3em 0;font-size:.9em}"
            "</style></head><body><h1>glassgrad gallery</h1>\n"
            + "\n".join(parts) + "\n</body></html>\n")


def build(out, quick=False, progress=True):
    """Write the gallery into `out`; returns the path of its index.html."""
    from tqdm import tqdm
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    entries = []
    bar = tqdm(SECTIONS, desc="gallery", unit="part", disable=not progress, file=sys.stderr)
    for section, make in bar:
        bar.set_postfix_str(section)
        entries.append((section, make(out, quick)))
    return write_atomic(out / "index.html", _index_html(entries))


def bench():
    """Layout times of big drawings, with every renderer found."""
    cases = []
    loss, _, _ = examples.unrolled_lstm(seq_len=20, num_layers=2)
    cases.append(("2-layer LSTM, 20 steps, collapse='time'", loss, {"collapse": "time"}))
    cases.append(("2-layer LSTM, 20 steps, auto-collapsed", loss, {}))
    loss, _ = examples.lecture_rnn(steps=40)
    cases.append(("RNN, 40 steps, group_by='time'", loss, {"group_by": "time"}))
    loss, _, _ = examples.unrolled_lstm(seq_len=6, num_layers=2)
    cases.append(("2-layer LSTM, 6 steps, not collapsed", loss, {"max_nodes": None}))
    cases.append(("... grouped by time", loss, {"max_nodes": None, "group_by": "time"}))
    cases.append(("scalar MLP 3-6-6-1 (nn.scalar)", examples.scalar_mlp([6, 6, 1]), {}))
    cases.append(("12-layer MLP graph, no scopes", examples.wide_mlp_graph(12), {}))
    cases.append(("24-layer MLP graph, no scopes", examples.wide_mlp_graph(24), {}))
    for name, root, options in cases:
        start = time.perf_counter()
        drawing = draw(root, **options)
        drawn = time.perf_counter() - start
        body = drawing.source
        nodes = sum(1 for line in body.splitlines() if line.startswith("\t") and "->" not in line
                    and "[" in line and not line.lstrip().startswith(("graph", "node", "edge")))
        edges = body.count(" -> ")
        for renderer in available_renderers():
            start = time.perf_counter()
            render(body, "svg", renderer)
            took = time.perf_counter() - start
            print(f"{name:42s} {nodes:4d} nodes {edges:4d} edges  draw {drawn:5.2f} s  "
                  f"{renderer:14s} {took:5.2f} s", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m viz", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="build/gallery", help="folder to write (default %(default)s)")
    parser.add_argument("--quick", action="store_true", help="smaller examples, for tests")
    parser.add_argument("--bench", action="store_true", help="time the layout of big drawings")
    args = parser.parse_args(argv)
    if args.bench:
        bench()
        return 0
    index = build(args.out, quick=args.quick)
    print(index)
    return 0
