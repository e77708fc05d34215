"""`animate(root)`: a one-file HTML page that steps through backprop on the drawn graph.

The page is self-contained (inline SVG, CSS and JavaScript; nothing from the
network): the template, style and script are package data in viz/stepper/.
"""

import html
import json
from importlib import resources

from .dot import _const_text, draw, fmt_array, is_value
from .steps import backprop_steps
from ._files import write_atomic

_PANEL_ELEMENTS = 12       # arrays up to this size are shown number by number in the panel

_FORMULA = {
    "elementwise": "downstream = upstream \u00d7 local (element by element)",
    "structural": "downstream = upstream, moved back to each input element, \u00d7 local",
    "other": "downstream = what the op's backward computes from upstream "
             "(a vector-Jacobian product)",
    "leaf": "a leaf: backward adds the upstream gradient into its .grad",
}


def _stepper_file(name):
    return resources.files("viz").joinpath("stepper", name).read_text(encoding="utf-8")


def _text(x):
    if x is None:
        return "-"
    if isinstance(x, tuple):
        return "; ".join(_text(g) for g in x)
    return fmt_array(x, limit=_PANEL_ELEMENTS).replace("\n", "; ")


def _value_name(v):
    if v.label:
        return v.label
    if v.grad_fn is not None:
        return f"({v.grad_fn.fn.name} output)"
    return "(leaf)"


def _op_doc(step):
    fn = step.grad_fn.fn
    doc = (fn.__doc__ or "").strip().splitlines()
    return f"{step.op}: {doc[0]}" if doc else step.op


def _step_record(step, index):
    """What the page needs of one step: element ids to highlight and the panel's text."""
    values = step.node if isinstance(step.node, tuple) else (step.node,)
    values = tuple(v for v in values if v is not None)
    node_ids = [index.value(v) for v in values]
    node_id = next((i for i in node_ids if i), None)
    op_id = index.node(step.grad_fn) if step.grad_fn is not None else None
    edges = []
    if op_id is not None:
        for nid in node_ids:
            if nid and nid != op_id:
                edges += index.edges(op_id, nid)
        for a, d in zip(step.inputs, step.downstream):
            src = index.value(a) if d is not None else None
            if src and src != op_id:
                edges += index.edges(src, op_id)
    if step.kind == "leaf":
        title, what = f"leaf {_value_name(values[0])}", "gradient arrives at a leaf"
    else:
        title = ", ".join(_value_name(v) for v in values)
        what = _op_doc(step)
    rows = [[_value_name(a) if is_value(a) else f"constant {_const_text(a)}", _text(loc),
             _text(d)]
            for a, loc, d in zip(step.inputs, step.local, step.downstream)]
    return {"node": node_id, "op": op_id if op_id != node_id else None,
            "edges": list(dict.fromkeys(edges)), "title": title, "scope": step.scope,
            "what": what, "kind": step.kind, "upstream": _text(step.upstream),
            "formula": _FORMULA[step.kind], "rows": rows}


def _inline_svg(svg):
    """The <svg> element alone: no XML declaration or DOCTYPE inside an HTML page."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


def _script_json(data):
    # inside <script>, "</" would end the element early
    return json.dumps(data, ensure_ascii=True).replace("</", "<\\/")


def stepper_html(root, title=None, **draw_options):
    """The stepper page for `root` as one HTML string, and its steps."""
    steps = backprop_steps(root)
    drawing = draw(root, **draw_options)
    records = [_step_record(s, drawing.elements) for s in steps]
    title = title or "Backprop, step by step"
    page = _stepper_file("stepper.html")
    # the JSON, SVG and script go in last, so nothing in them is taken for a placeholder
    page = page.replace("{{TITLE}}", html.escape(title)).replace("{{CSS}}",
                                                                  _stepper_file("stepper.css"))
    page = page.replace("{{STEPS}}", _script_json(records), 1)
    page = page.replace("{{SVG}}", _inline_svg(drawing.svg()), 1)
    page = page.replace("{{JS}}", _stepper_file("stepper.js"), 1)
    return page, steps


class Stepper:
    """The stepper page: displays inline in Jupyter (an iframe, so its script runs,
    also in notebooks exported to HTML); `.save(path)` writes the one file."""

    def __init__(self, page, steps, height=640):
        self.html = page
        self.steps = steps
        self.height = height

    def save(self, path):
        """Write the page to `path` (atomically); returns the path."""
        return write_atomic(path, self.html)

    def _repr_html_(self):
        return (f'<iframe srcdoc="{html.escape(self.html, quote=True)}" '
                f'style="width: 100%; height: {int(self.height)}px; border: 1px solid #ddd" '
                f'sandbox="allow-scripts" title="backprop stepper"></iframe>')

    def __repr__(self):
        return f"<Stepper: {len(self.steps)} steps>"


def animate(root, path=None, *, title=None, **draw_options):
    """A self-contained HTML stepper through backprop from `root` (a Tensor or Scalar).

    It shows `draw(root, **draw_options)` and walks `backprop_steps(root)`:
    next / previous / play buttons and the arrow keys; the value being
    processed, its operation and the edges its gradient flows along are
    highlighted, and a panel gives the step's numbers (upstream, and local and
    downstream per input). Returns a `Stepper`; with `path`, also writes it there.
    """
    if not is_value(root):
        raise TypeError(f"animate: root must be a Tensor or a Scalar, got {type(root).__name__}")
    page, steps = stepper_html(root, title=title, **draw_options)
    stepper = Stepper(page, steps)
    if path is not None:
        stepper.save(path)
    return stepper
