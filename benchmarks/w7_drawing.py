"""W7: drawing W3's LSTM unrolled over 20 steps, grouped by time step, to SVG.

The graph is built with every step inside `ag.name_scope('t=<step>')` (as
nn.LSTM records it), backward runs so the edges carry gradients, and
`viz.save(loss, 'lstm.svg', group_by='time')` is timed: the whole path from
graph to SVG file, Graphviz layout included.
"""

import os
import re
import statistics
import tempfile
import time

import numpy as np

import autograd as ag

from . import w3_lstm
from .common import Workload, optional

STEPS = 20


def build_graph():
    params, x, y = w3_lstm.make_data(steps=STEPS)
    ps = [ag.Tensor(p, requires_grad=True, label=name) for p, name in
          zip(params, ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_out", "bias_out"))]
    zeros = ag.zeros(w3_lstm.BATCH, w3_lstm.HIDDEN)
    loss = w3_lstm.lstm_loss(ps, ag.Tensor(x).unbind(0), zeros, zeros, np.arange(w3_lstm.BATCH), y,
                             scope=lambda t: ag.name_scope(f"t={t}"))
    loss.backward()
    return loss


def count_boxes(svg):
    """Graphviz writes one <g class="node"> per drawn node."""
    return len(re.findall(r'<g id="[^"]*" class="node"', svg))


DRAWINGS = {
    # name: viz.save options; the first is the one the target is about
    "every node (max_nodes=None)": {"group_by": "time", "max_nodes": None},
    "default (max_nodes=400)": {"group_by": "time"},
    "collapse='time'": {"group_by": "time", "collapse": "time"},
}


def save(viz, loss, options, repeat):
    """Median seconds to write the SVG (wall time: the layout runs in its own
    process), boxes drawn, time-step clusters."""
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "lstm.svg")
        for _ in range(repeat):
            start = time.perf_counter()
            viz.save(loss, path, **options)
            times.append(time.perf_counter() - start)
        with open(path) as f:
            svg = f.read()
    return statistics.median(times), count_boxes(svg), len(re.findall(r'class="cluster"', svg))


def run(quick=False):
    w = Workload("W7", "draw W3's LSTM unrolled over 20 steps to SVG, group_by='time'", "s",
                 baseline="", target="< 2 s for every node, grouped by time step")
    viz = optional("viz")
    if viz is None or not hasattr(viz, "save"):
        w.skipped = "viz.save is not available yet"
        return w
    loss = build_graph()
    results = {}
    for name, options in DRAWINGS.items():
        seconds, boxes, clusters = save(viz, loss, options, 1 if quick else 3)
        results[name] = (seconds, boxes, clusters)
        w.times[f"viz.save, {name}"] = seconds
        w.extra.append((f"  boxes drawn, {name}", f"{boxes} ({clusters} time-step clusters)"))
    seconds, boxes, clusters = next(iter(results.values()))
    w.met = seconds < 2 and clusters >= STEPS
    w.headline = f"{seconds:.2f} s for {boxes} boxes in {clusters} clusters"
    w.notes.append("wall time (Graphviz layout runs in a separate process)")
    return w
