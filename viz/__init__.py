"""glassgrad's pictures: the graph, backprop step by step, and training plots.

    draw(root) / save(root, path)      the graph that produced a value (Graphviz)
    backprop_steps(root)               what backward does at each node, in its order
    animate(root)                      an HTML page stepping through those steps
    plot_*                             matplotlib figures of training and gradients

`python -m viz` writes a gallery of all of them into build/gallery/.
"""

from pathlib import Path

from ._files import write_atomic
from .animate import Stepper, animate
from .dot import DEFAULT_MAX_NODES, Drawing, draw
from .render import available_renderers, find_renderer, render
from .plots import (plot_activation, plot_bptt, plot_decision_boundary, plot_gates,
                    plot_grad_flow, plot_loss)
from .steps import Step, backprop_steps

_SAVE_FORMATS = {".svg": "svg", ".png": "png", ".dot": "dot", ".gv": "dot"}


def save(root, path, **draw_options):
    """Draw `root` and write the picture to `path`: SVG, PNG or DOT by its extension.

    `draw_options` are `draw`'s (plus `renderer=`). The write is atomic.
    Returns the path.
    """
    path = Path(path)
    fmt = _SAVE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"save: cannot tell the format of {str(path)!r} from its extension; "
                         f"use one of {', '.join(sorted(_SAVE_FORMATS))}")
    drawing = draw(root, **draw_options)
    if fmt == "dot":
        data = drawing.source.encode("utf-8")
    else:
        data = render(drawing.source, fmt, drawing.renderer)
    return write_atomic(path, data)


__all__ = ["draw", "save", "render", "find_renderer", "available_renderers", "Drawing",
           "DEFAULT_MAX_NODES", "backprop_steps", "Step", "animate", "Stepper",
           "plot_loss", "plot_grad_flow", "plot_bptt", "plot_activation", "plot_decision_boundary",
           "plot_gates", "write_atomic"]
