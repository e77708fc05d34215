"""Drawing the graph that produced a value, as Graphviz DOT.

The drawing reads the graph through its public protocol only: a value's
`.grad_fn`, `.data`, `.grad`, `.label`, `.scope`; a node's `.fn.name`,
`.inputs`, `.scope`, `.grad_outputs` and `.grad_inputs`. So `Scalar` and
`Tensor` graphs take the same path.

    value box  --(gradient sent back to it)-->  op  --(gradient it received)-->  value box

Edges point the way the forward pass went; after a backward each is labelled
with the gradient that flowed back along it, and coloured by its magnitude on
a log scale (pale: vanishing, dark red: large), with a legend.

Building a drawing goes in two passes: a *plan* (which elements and edges,
after collapsing scopes into boxes and, past `max_nodes`, collapsing by itself)
and then the labels, which are the costly part on big arrays.
"""

import math
import re
from collections import Counter
from pathlib import Path

import graphviz
import numpy as np

from autograd import Scalar
from autograd.ops import sum_to

from ._files import write_atomic
from .render import render, render_svg

SHOW_ELEMENTS = 6          # arrays with up to this many elements are drawn number by number
DEFAULT_MAX_NODES = 400    # boxes + operations; beyond it the drawing collapses scopes
EDGE_LABEL_LIMIT = 200     # more edges than this: gradient labels beside the edges (xlabel)
SHARE_FROM = 120           # bigger drawings give a value used by many ops a copy at each use
SHARE_FANOUT = 8           # ... smaller ones only a value used by this many ops

# Layout time. On drawings of a few hundred nodes, dot spends it routing splines
# around edge labels (each label is a node of its own: hence xlabels past
# EDGE_LABEL_LIMIT edges), on edges that cross many ranks (a weight shared by
# every time step: hence copies by each use, Plan.share) and in its network
# simplex and crossing passes, of which a few iterations give nearly the same
# picture (measured: a collapsed 2-layer LSTM over 20 steps went from 4 s to
# 0.2-0.3 s with both renderers; `python -m viz --bench` prints the times).
LAYOUT = {
    "newrank": "true",      # one global ranking, clusters included
    "nslimit": "2",         # x-coordinate network simplex: iterations per node
    "nslimit1": "2",        # ranking network simplex: iterations per node
    "mclimit": "0.3",       # crossing minimisation: fewer passes
    "searchsize": "20",     # network simplex: edges searched for a negative cut value
    "remincross": "false",  # no second crossing pass after clusters are placed
    "ranksep": "0.3",
    "nodesep": "0.2",
}

_TIME = re.compile(r"t=-?\d+")

# log-scale colours of gradient magnitudes, small to large: a vanishing
# gradient fades towards grey
_STOPS = ((0xd9, 0xd9, 0xd9), (0xfd, 0xd4, 0x9e), (0xfc, 0x8d, 0x59), (0xd7, 0x30, 0x1f),
          (0x7f, 0x00, 0x00))
_NONFINITE = "#c51b7d"

_FILL = {"param": "#deebf7", "input": "#f7f7f7", "inner": "#fffbe6", "root": "#e5f5e0",
         "op": "#eeeeee", "box": "#ede7f6", "more": "#ffffff"}


def is_value(x):
    """Whether `x` is a graph value (a Tensor or a Scalar), not a constant."""
    return getattr(type(x), "_value_type", None) is not None


# -- numbers as text -----------------------------------------------------------

def fmt_number(x):
    x = float(x)
    if x == 0:
        return "0"
    return f"{x:.4g}"


def _nested(a):
    if a.ndim == 0:
        return fmt_number(a)
    return "[" + ", ".join(_nested(row) for row in a) + "]"


def fmt_array(a, limit=SHOW_ELEMENTS, norm=False):
    """A few numbers as they are; more as summary statistics (two lines, or with
    `norm` one: the 2-norm and the largest magnitude)."""
    if isinstance(a, (float, int)):
        return fmt_number(a)
    a = np.asarray(a)
    if a.size == 0:
        return "[]"
    if a.size == 1:
        return fmt_number(a.reshape(-1)[0]) if a.ndim == 0 else _nested(a)
    if a.size <= limit:
        return _nested(a)
    f = a.astype(np.float64)
    if norm:
        return f"|g| {fmt_number(magnitude(f))}, max |g_i| {fmt_number(np.abs(f).max())}"
    return (f"mean {fmt_number(f.mean())} std {fmt_number(f.std())}\n"
            f"min {fmt_number(f.min())} max {fmt_number(f.max())}")


def fmt_grad(g, limit=4):
    """A gradient on an edge: its numbers when few, else its norm."""
    if isinstance(g, (float, int)):
        return fmt_number(g)
    g = np.asarray(g)
    if g.size <= limit:
        return _nested(g) if g.ndim else fmt_number(g)
    return f"|g| {fmt_number(magnitude(g))}"


def magnitude(g):
    """|g| for a number, the 2-norm for an array (nan when not finite)."""
    if isinstance(g, (float, int)):
        return abs(float(g))
    g = np.asarray(g, dtype=np.float64)
    return float(np.sqrt(np.sum(g * g)))


# -- gradients as the last backward left them ----------------------------------

def value_grad(v, backward_ran):
    """The gradient of value `v`, or None when there is none to show.

    `.grad` when it is kept (every Scalar, Tensor leaves, retain_grad); else
    the gradient its node received in the last backward (`grad_outputs`).
    """
    if isinstance(v, Scalar):
        return v.grad if (backward_ran or v.grad != 0.0) else None
    if v.grad is not None:
        return v.grad.data
    node = v.grad_fn
    if node is not None and node.grad_outputs is not None:
        return node.grad_outputs[v._output_nr]
    return None


def input_grad(node, i):
    """The gradient `node` sent to its i-th input in the last backward, in that input's shape."""
    grads = node.grad_inputs
    if grads is None or grads[i] is None:
        return None
    g, inp = grads[i], node.inputs[i]
    if isinstance(inp, Scalar):
        return float(g)
    g = np.asarray(g)
    shape = np.shape(inp.data)
    if g.shape != shape:
        g = sum_to(g, shape)
    return g


def _add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a + b


# -- scopes ---------------------------------------------------------------------

def _prefixes(scope):
    parts = scope.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]


def cut_scope(scope, spec):
    """The part of the scope path `scope` that `spec` selects, or None.

    spec 'time': up to its first `t=<int>` component ('lstm/l0/t=3/gate' -> 'lstm/l0/t=3').
    spec a name or a path ('l0', 'lstm/l0'): up to where it occurs as whole components.
    spec a predicate on paths: the shortest prefix it accepts.
    """
    if not scope:
        return None
    if spec == "time":
        parts = scope.split("/")
        for i, p in enumerate(parts):
            if _TIME.fullmatch(p):
                return "/".join(parts[:i + 1])
        return None
    if callable(spec):
        for prefix in _prefixes(scope):
            if spec(prefix):
                return prefix
        return None
    parts = scope.split("/")
    want = spec.strip("/").split("/")
    n = len(want)
    for i in range(len(parts) - n + 1):
        if parts[i:i + n] == want:
            return "/".join(parts[:i + n])
    return None


def _check_spec(what, spec, scopes):
    """A clear error for a group_by / collapse that cannot select anything."""
    if spec is None or callable(spec):
        return
    if not isinstance(spec, str):
        raise TypeError(f"draw: {what} must be None, 'time', a scope name or path, or a predicate "
                        f"on scope paths, got {type(spec).__name__}")
    if what == "group_by" and spec == "scope":
        if not scopes:
            raise ValueError("draw: group_by='scope' but no value in this graph was made "
                             "inside an ag.name_scope")
        return
    if any(cut_scope(s, spec) for s in scopes):
        return
    known = sorted({p for s in scopes for p in _prefixes(s)})
    shown = ", ".join(repr(k) for k in known[:30]) + (" ..." if len(known) > 30 else "")
    if spec == "time":
        why = "no value in this graph has a 't=<int>' scope component"
    else:
        why = f"no scope of this graph matches {spec!r}"
    raise ValueError(f"draw: {what}={spec!r}: {why}; known scopes: {shown or '(none)'}")


# -- the walk ---------------------------------------------------------------------

class GraphWalk:
    """Every value and node that leads to `root`, root first, in a stable order."""

    def __init__(self, root):
        self.root = root
        self.values = [root]
        self.nodes = []
        self.outputs = {}        # id(node) -> the node's output values that were reached
        self.consumers = {}      # id(value) -> nodes that take it as an input
        seen_values = {id(root)}
        seen_nodes = set()
        stack = [root]
        while stack:
            v = stack.pop()
            node = v.grad_fn
            if node is None:
                continue
            self.outputs.setdefault(id(node), []).append(v)
            if id(node) in seen_nodes:
                continue
            seen_nodes.add(id(node))
            self.nodes.append(node)
            fresh = []
            for a in node.inputs:
                if not is_value(a):
                    continue
                users = self.consumers.setdefault(id(a), [])
                if not users or users[-1] is not node:
                    users.append(node)
                if id(a) not in seen_values:
                    seen_values.add(id(a))
                    self.values.append(a)
                    fresh.append(a)
            stack.extend(reversed(fresh))        # the first input is explored first
        self.backward_ran = any(n.grad_outputs is not None for n in self.nodes)

    def scopes(self):
        return {x.scope for x in self.values + self.nodes if x.scope}


# -- the plan: elements and edges ------------------------------------------------------

class Plan:
    """What will be drawn: elements (values, ops, collapsed boxes) and the edges between them."""

    def __init__(self, walk, collapse):
        self.walk = walk
        self.collapse = collapse
        self.elements = {}       # element id -> (kind, payload)
        self.value_element = {}  # id(value) -> element id
        self.node_element = {}   # id(node) -> element id
        self.edges = []          # [src, dst, refs]; refs: ("in", node, i) / ("out", node, value)
        self.via = {}            # edge index -> the copy of its source it is drawn from
        unit_of = {}
        units = {}
        for k, node in enumerate(walk.nodes):
            unit = cut_scope(node.scope, collapse) if collapse is not None else None
            unit_of[id(node)] = unit
            if unit is None:
                self.node_element[id(node)] = f"op{k}"
                self.elements[f"op{k}"] = ("op", node)
            else:
                if unit not in units:
                    units[unit] = (f"box{len(units)}", [])
                units[unit][1].append(node)
                self.node_element[id(node)] = units[unit][0]
        for unit, (eid, nodes) in units.items():
            self.elements[eid] = ("box", (unit, nodes))
        for k, v in enumerate(walk.values):
            node = v.grad_fn
            made_in = unit_of[id(node)] if node is not None else None
            elsewhere = {unit_of[id(u)] for u in walk.consumers.get(id(v), ())} - {made_in}
            if node is not None and v is not walk.root and (
                    (made_in is not None and not elsewhere)
                    or (len(elsewhere) == 1 and None not in elsewhere)):
                # used inside the box that made it: hidden; used (besides) by one other
                # box only: an edge from what made it straight into that box
                self.value_element[id(v)] = self.node_element[id(node)]
            else:
                self.value_element[id(v)] = f"v{k}"
                self.elements[f"v{k}"] = ("value", v)
        self._connect()

    def _connect(self):
        merged = {}
        for node in self.walk.nodes:
            dst = self.node_element[id(node)]
            for i, a in enumerate(node.inputs):
                if not is_value(a):
                    continue
                src = self.value_element[id(a)]
                if src == dst:
                    continue
                if dst.startswith("box"):        # one edge per input value of a box
                    key = (src, dst, id(a))
                    if key in merged:
                        merged[key][2].append(("in", node, i))
                        continue
                    merged[key] = [src, dst, [("in", node, i)]]
                    self.edges.append(merged[key])
                else:
                    self.edges.append([src, dst, [("in", node, i)]])
            src = self.node_element[id(node)]
            for v in self.walk.outputs[id(node)]:
                dst = self.value_element[id(v)]
                if dst != src:
                    self.edges.append([src, dst, [("out", node, v)]])

    def size(self):
        return len(self.elements)

    def share(self, fanout=3):
        """Give a value used by many ops a small copy next to each use.

        An edge from one box to ops all along an unrolled sequence (a weight
        shared by every time step) spans the whole drawing, and Graphviz pays
        for every rank it crosses; copies keep each edge short. The value's own
        box (data, grad) stays, on its own. In drawings of up to SHARE_FROM
        elements only past SHARE_FANOUT uses: a small graph shows the real fan-out.
        """
        self.via = {}
        if self.size() <= SHARE_FROM:
            fanout = SHARE_FANOUT
        uses = {}
        for k, (src, dst, _) in enumerate(self.edges):
            if src.startswith("v"):
                uses.setdefault(src, []).append(k)
        for src, edges in uses.items():
            if len({self.edges[k][1] for k in edges}) >= fanout:
                for n, k in enumerate(edges):
                    self.via[k] = f"{src}_use{n}"

    def truncate(self, max_nodes):
        """Keep the `max_nodes` elements nearest the root; one box stands for the rest."""
        preds = {}
        for src, dst, _ in self.edges:
            preds.setdefault(dst, []).append(src)
        start = self.value_element[id(self.walk.root)]
        keep = {start}
        queue = [start]
        for eid in queue:
            for p in preds.get(eid, ()):
                if p not in keep and len(keep) < max_nodes - 1:
                    keep.add(p)
                    queue.append(p)
        dropped = len(self.elements) - len(keep)
        self.elements = {k: e for k, e in self.elements.items() if k in keep}
        position = {e: k for k, e in enumerate(self.elements)}
        cut_into = sorted({dst for src, dst, _ in self.edges if src not in keep and dst in keep},
                          key=position.get)
        self.edges = [e for e in self.edges if e[0] in keep and e[1] in keep]
        self.elements["more"] = ("more", dropped)
        for dst in cut_into:
            self.edges.append(["more", dst, []])
        return dropped


def _depth_predicate(depth):
    return lambda path: path.count("/") + 1 == depth


def plan_drawing(walk, collapse=None, max_nodes=DEFAULT_MAX_NODES):
    """The plan for a walked graph and a note saying what was done to fit `max_nodes` (or '')."""
    plan = Plan(walk, collapse)
    if max_nodes is None or plan.size() <= max_nodes:
        plan.share()
        return plan, ""
    total = plan.size()
    if collapse is None:
        depths = sorted({s.count("/") + 1 for s in walk.scopes()}, reverse=True)
        for d in depths:
            plan = Plan(walk, _depth_predicate(d))
            if plan.size() <= max_nodes:
                plan.share()
                return plan, (f"{total} nodes > max_nodes={max_nodes}: each scope at depth {d} "
                              f"drawn as one box")
    dropped = plan.truncate(max(int(max_nodes), 2))
    plan.share()
    return plan, (f"{total} nodes > max_nodes={max_nodes}: showing the {plan.size() - 1} "
                  f"nearest the output, {dropped} more not drawn")


# -- labels ---------------------------------------------------------------------------------

def _dot_text(lines):
    """Lines of plain text as one DOT label (graphviz quotes it; we escape backslashes)."""
    text = "\\n".join(str(s).replace("\\", "\\\\") for s in lines if s != "")
    if text.startswith("<") and text.endswith(">"):
        text += " "          # not an HTML label
    return text


def _const_text(c):
    if isinstance(c, (float, int, np.floating, np.integer)) and not isinstance(c, bool):
        return fmt_number(c)
    if isinstance(c, np.ndarray):
        return fmt_array(c, limit=4).replace("\n", " ") if c.size <= 4 else f"array{c.shape}"
    if isinstance(c, slice):
        parts = ["" if x is None else str(x) for x in (c.start, c.stop, c.step)]
        return ":".join(parts[:2] if c.step is None else parts)
    if c is Ellipsis:
        return "..."
    if isinstance(c, tuple) and any(isinstance(p, slice) for p in c):
        return "[" + ", ".join(_const_text(p) for p in c) + "]"
    text = repr(c)
    return text if len(text) <= 24 else text[:21] + "..."


def op_text(node):
    """The op's name, with its constant arguments: `mul(_, 2)`, `reshape(_, (2, 3))`.

    Labels stay ASCII: a PNG renderer may lack the glyphs of other characters.
    """
    name = node.fn.name
    args = node.inputs
    if all(is_value(a) for a in args):
        return name
    shown = ["_" if is_value(a) else _const_text(a) for a in args]
    while shown and shown[-1] == "None":
        shown.pop()
    return f"{name}({', '.join(shown)})"


def _value_kind(v, root):
    if v is root:
        return "root"
    if v.grad_fn is not None:
        return "inner"
    return "param" if v.requires_grad else "input"


def value_title(v):
    """The value's label and, for a Tensor, its shape."""
    label = v.label or ""
    if isinstance(v, Scalar):
        return label
    shape = tuple(v.data.shape)
    return f"{label} {shape}".strip() if label else str(shape)


def _value_lines(v, grad, show_data, show_grad):
    lines = [value_title(v)]
    if show_data:
        text = fmt_array(v.data).split("\n")
        lines.append("data " + text[0])
        lines.extend(text[1:])
    if show_grad and grad is not None:
        text = fmt_array(grad, norm=True).split("\n")
        lines.append("grad " + text[0])
        lines.extend(text[1:])
    return lines


def _box_lines(unit, nodes):
    counts = Counter(n.fn.name for n in nodes)
    top = ", ".join(f"{k} {name}" for name, k in counts.most_common(4))
    more = ", ..." if len(counts) > 4 else ""
    return [unit, f"{len(nodes)} ops: {top}{more}"]


# -- colour -----------------------------------------------------------------------------------

class LogColour:
    """Gradient magnitude -> colour on a log scale spanning the magnitudes of one drawing."""

    def __init__(self, magnitudes):
        logs = [math.log10(m) for m in magnitudes if m > 0 and math.isfinite(m)]
        if logs:
            lo, hi = min(logs), max(logs)
        else:
            lo, hi = -1.0, 0.0
        if hi - lo < 1.0:        # at least one decade, centred on what is there
            mid = (hi + lo) / 2
            lo, hi = mid - 0.5, mid + 0.5
        self.lo, self.hi = lo, hi

    def fraction(self, m):
        if m <= 0:
            return 0.0
        return min(max((math.log10(m) - self.lo) / (self.hi - self.lo), 0.0), 1.0)

    def __call__(self, m):
        if not math.isfinite(m):
            return _NONFINITE
        t = self.fraction(m) * (len(_STOPS) - 1)
        i = min(int(t), len(_STOPS) - 2)
        f = t - i
        rgb = (round(a + (b - a) * f) for a, b in zip(_STOPS[i], _STOPS[i + 1]))
        return "#" + "".join(f"{c:02x}" for c in rgb)

    def legend(self):
        """An HTML-like label: one coloured cell per decade of the scale."""
        lo, hi = math.floor(self.lo), math.ceil(self.hi)
        step = max(1, math.ceil((hi - lo) / 6))
        cells = []
        for e in range(lo, hi + 1, step):
            colour = self(10.0 ** e)
            ink = "white" if self.fraction(10.0 ** e) > 0.6 else "black"
            cells.append(f'<td bgcolor="{colour}"><font color="{ink}" point-size="10">'
                         f'1e{e}</font></td>')
        return ('<<table border="0" cellborder="1" cellspacing="0" cellpadding="3"><tr>'
                '<td border="0"><font point-size="10">|gradient| (log)</font></td>'
                + "".join(cells) + "</tr></table>>")


# -- the Digraph -----------------------------------------------------------------------------------

class Drawing(graphviz.Digraph):
    """A `graphviz.Digraph` that renders with glassgrad's renderer (system dot or graphviz-pure).

    It displays inline in Jupyter as SVG even without a system Graphviz, and
    `.pipe()`, `.render()` and `.svg()` use the same renderer. `.elements` maps graph values
    and nodes to the ids of the drawn elements (also the SVG ids).
    """

    renderer = None          # None: system dot when on PATH, else graphviz-pure

    def svg(self):
        """The drawing as SVG text."""
        return render_svg(self.source, self.renderer)

    def pipe(self, format=None, renderer=None, formatter=None, neato_no_op=None, quiet=False, *,
             engine=None, encoding=None):
        data = render(self.source, format or "svg", self.renderer)
        return data.decode(encoding) if encoding else data

    def render(self, filename=None, directory=None, view=False, cleanup=False, format=None,
               **_):
        """As graphviz's `render` (DOT source to `filename`, the picture to
        `filename.<format>`), but laid out by glassgrad's renderer; returns the picture's path."""
        fmt = format or self.format or "svg"
        source = Path(directory or self.directory or "") / (filename or self.filename or "glassgrad.gv")
        target = source.with_name(source.name + "." + fmt)
        write_atomic(target, render(self.source, fmt, self.renderer))
        if cleanup:
            source.unlink(missing_ok=True)
        else:
            write_atomic(source, self.source)
        return str(target)

    def _repr_mimebundle_(self, include=None, exclude=None, **_):
        include = set(include) if include is not None else {"image/svg+xml"}
        include -= set(exclude or ())
        bundle = {}
        if "image/svg+xml" in include:
            bundle["image/svg+xml"] = self.svg()
        if "image/png" in include:
            bundle["image/png"] = self.pipe("png")
        return bundle

    def _repr_svg_(self):
        return self.svg()


class ElementIndex:
    """Where each value and node of the graph went in a drawing (for the stepper)."""

    def __init__(self, plan, edge_ids):
        self._value = {k: e for k, e in plan.value_element.items() if e in plan.elements}
        self._node = {k: e for k, e in plan.node_element.items() if e in plan.elements}
        self._edges = {}
        for (src, dst, _), eid in zip(plan.edges, edge_ids):
            self._edges.setdefault((src, dst), []).append(eid)

    def value(self, v):
        return self._value.get(id(v))

    def node(self, n):
        return self._node.get(id(n))

    def edges(self, src, dst):
        return self._edges.get((src, dst), [])


def _cluster_key(scope, group_by):
    if group_by is None or not scope:
        return None
    if group_by == "scope":
        return scope
    return cut_scope(scope, group_by)


def draw(root, *, show_data=True, show_grad=True, rankdir="LR", group_by=None, collapse=None,
         max_nodes=DEFAULT_MAX_NODES, title=None, renderer=None):
    """Draw the graph that produced `root` (a Tensor or Scalar) as a `graphviz.Digraph`.

    One box per value (label, shape, data, grad), one small node per operation
    (its name and constant arguments), edges value -> op -> value; after
    backward every edge carries the gradient that flowed along it, coloured by
    magnitude on a log scale (legend in the corner).

    group_by: None; 'time' (one cluster per time step, i.e. per scope path
        ending in a `t=<int>` component); 'scope' (nested clusters, one per
        scope path); a scope name or path such as 'l0' or 'encoder' (one cluster
        per scope it matches); or a predicate on scope paths (the shortest
        accepted prefix of a value's scope is its cluster).
    collapse: None; 'time' (each time step of each layer as one box); a scope
        name or path (each scope it matches as one box); or a predicate on scope
        paths (the shortest accepted prefix becomes a box). A box shows its op
        count; its inputs and the values that leave it stay drawn.
    max_nodes: past this many boxes and ops, scopes are collapsed level by level
        from the deepest (and, failing that, only the part nearest the output is
        drawn); the title says what was done. None: no limit.
    renderer: None (system dot, else graphviz-pure), 'dot' or 'graphviz-pure'.
    """
    if not is_value(root):
        raise TypeError(f"draw: root must be a Tensor or a Scalar, got {type(root).__name__}")
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"draw: rankdir must be 'LR', 'RL', 'TB' or 'BT', got {rankdir!r}")
    if max_nodes is not None and (not isinstance(max_nodes, int) or max_nodes < 2):
        raise ValueError(f"draw: max_nodes must be an int >= 2 or None, got {max_nodes!r}")
    walk = GraphWalk(root)
    scopes = walk.scopes()
    _check_spec("group_by", group_by, scopes)
    _check_spec("collapse", collapse, scopes)
    plan, note = plan_drawing(walk, collapse, max_nodes)
    return _emit(plan, note, show_data, show_grad, rankdir, group_by, title, renderer)


def _edge_grad(refs):
    g = None
    for ref in refs:
        if ref[0] == "in":
            g = _add(g, input_grad(ref[1], ref[2]))
        else:
            node, v = ref[1], ref[2]
            if node.grad_outputs is not None:
                g = _add(g, node.grad_outputs[v._output_nr])
    return g


def _emit(plan, note, show_data, show_grad, rankdir, group_by, title, renderer):
    walk = plan.walk
    root = walk.root
    grads = {}
    for eid, (kind, obj) in plan.elements.items():
        if kind == "value" and show_grad:
            grads[eid] = value_grad(obj, walk.backward_ran)
    edge_grads = [_edge_grad(refs) if show_grad else None for _, _, refs in plan.edges]
    colour = LogColour([magnitude(g) for g in list(grads.values()) + edge_grads if g is not None])

    graph_attr = dict(LAYOUT, rankdir=rankdir, fontname="Helvetica", fontsize="11")
    if title or note:
        graph_attr.update(label=_dot_text([title or "", note]), labelloc="t", fontsize="14")
    g = Drawing(name="glassgrad", format="svg", graph_attr=graph_attr,
                node_attr={"fontname": "Helvetica", "fontsize": "10", "height": "0.2"},
                edge_attr={"fontname": "Helvetica", "fontsize": "9", "arrowsize": "0.6"})
    g.renderer = renderer

    statements = {}          # cluster key (or None) -> [(eid, attrs)]
    cluster_of = {}
    for eid, (kind, obj) in plan.elements.items():
        if kind == "value":
            vkind = _value_kind(obj, root)
            attrs = {"label": _dot_text(_value_lines(obj, grads.get(eid), show_data, show_grad)),
                     "shape": "box", "style": "rounded,filled", "fillcolor": _FILL[vkind]}
            if grads.get(eid) is not None:
                attrs.update(color=colour(magnitude(grads[eid])), penwidth="2")
            if vkind == "root":
                attrs["peripheries"] = "2"
            scope = obj.scope
        elif kind == "op":
            attrs = {"label": _dot_text([op_text(obj)]), "shape": "ellipse", "style": "filled",
                     "fillcolor": _FILL["op"], "fontsize": "9", "margin": "0.02,0.01"}
            scope = obj.scope
        elif kind == "box":
            unit, nodes = obj
            attrs = {"label": _dot_text(_box_lines(unit, nodes)), "shape": "box3d",
                     "style": "filled", "fillcolor": _FILL["box"]}
            scope = unit
        else:
            attrs = {"label": _dot_text([f"... {obj} more values and ops"]), "shape": "note",
                     "style": "dashed"}
            scope = ""
        attrs["id"] = eid
        cluster_of[eid] = _cluster_key(scope, group_by)
        statements.setdefault(cluster_of[eid], []).append((eid, attrs))
    for k, copy in plan.via.items():          # each copy sits by its use
        src, dst, _ = plan.edges[k]
        v = plan.elements[src][1]
        attrs = {"label": _dot_text([value_title(v) or v.label or "(value)"]), "shape": "box",
                 "style": "rounded,dashed,filled", "fillcolor": _FILL[_value_kind(v, root)],
                 "fontsize": "9", "id": copy, "tooltip": f"the value {src}, drawn by each use"}
        cluster_of[copy] = cluster_of.get(dst)
        statements.setdefault(cluster_of[copy], []).append((copy, attrs))

    _emit_clusters(g, statements, group_by)

    # an edge label is a node of its own to the layout, and routing splines around
    # hundreds of them dominates the time; on big drawings they are placed afterwards
    label_attr = "label" if len(plan.edges) <= EDGE_LABEL_LIMIT else "xlabel"
    if label_attr == "xlabel":
        g.graph_attr["forcelabels"] = "true"
    edge_ids = []
    for k, ((src, dst, refs), eg) in enumerate(zip(plan.edges, edge_grads)):
        eid = f"e{k}"
        edge_ids.append(eid)
        attrs = {"id": eid}
        if not refs:
            attrs["style"] = "dashed"
        if eg is not None:
            m = magnitude(eg)
            text = fmt_grad(eg)
            if label_attr == "xlabel":        # short beside the edge, in full on hover
                attrs["tooltip"] = _dot_text([text])
                text = fmt_number(m) if isinstance(eg, float) else f"|g| {m:.2g}"
            attrs.update({label_attr: _dot_text([text])}, color=colour(m), fontcolor="#444444",
                         penwidth=f"{1 + 2 * colour.fraction(m):.2f}")
        src = plan.via.get(k, src)
        src_cluster, dst_cluster = cluster_of.get(src), cluster_of.get(dst)
        if src_cluster is not None and dst_cluster is not None and src_cluster != dst_cluster:
            attrs["weight"] = "8"          # step to step (h_t -> t+1): keep the chain level
        g.edge(src, dst, **attrs)
    if group_by is not None:
        drawn = [(plan.via.get(k, src), dst) for k, (src, dst, _) in enumerate(plan.edges)]
        for entry, source in _cluster_entries(drawn, cluster_of):
            g.edge(entry, source, style="invis", weight="0")
    if any(x is not None for x in edge_grads):
        g.node("legend", label=colour.legend(), shape="plaintext", id="legend")
    g.elements = ElementIndex(plan, edge_ids)
    g.note = note
    return g


def _cluster_entries(edges, cluster_of):
    """Invisible edges that start each cluster after the last value entering it.

    Clusters may not overlap, so two whose ranks overlap are stacked. A step
    of an unrolled RNN has sources of its own (x_t, a weight) that Graphviz
    would rank beside the previous step's output, and a long unrolled graph
    then climbs like a staircase (a layer's transposed weight does the same to
    a layer); an edge from the cluster's latest entry (h_(t-1)) to each of its
    elements fed from outside only puts them side by side. Edges: (src, dst) pairs.
    """
    preds, succs = {}, {}
    for a, b in edges:
        preds.setdefault(b, []).append(a)
        succs.setdefault(a, []).append(b)
        preds.setdefault(a, [])
    # longest-path rank, in topological order (Kahn)
    waiting = {n: len(p) for n, p in preds.items()}
    ready = [n for n, k in waiting.items() if k == 0]
    rank = {}
    while ready:
        n = ready.pop()
        rank[n] = max((rank[p] + 1 for p in preds[n]), default=0)
        for m in succs.get(n, ()):
            waiting[m] -= 1
            if waiting[m] == 0:
                ready.append(m)
    entries, sources = {}, {}
    for a, b in edges:
        key = cluster_of.get(b)
        if key is not None and cluster_of.get(a) != key:
            entries.setdefault(key, []).append(a)
    for n, p in preds.items():      # what a cluster starts from: nothing of its own before it
        key = cluster_of.get(n)
        if key is not None and all(cluster_of.get(a) != key for a in p):
            sources.setdefault(key, []).append(n)

    def reaches(start, goal):
        # ranks grow along edges: nothing ranked past the goal leads back to it
        stack, seen = [start], {start}
        while stack:
            n = stack.pop()
            if n == goal:
                return True
            for m in succs.get(n, ()):
                if m not in seen and rank.get(m, 0) <= rank.get(goal, 0):
                    seen.add(m)
                    stack.append(m)
        return False

    added = []
    for key, candidates in entries.items():
        entry = max(candidates, key=lambda n: rank.get(n, 0))
        for source in sources.get(key, ()):
            if rank.get(entry, 0) > 0 and not reaches(source, entry):
                added.append((entry, source))
    return added


def _natural(path):
    """Sort key of a scope path: numbers by value, so t=2 comes before t=10."""
    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", path)]


def _emit_clusters(g, statements, group_by):
    if group_by == "scope":          # every enclosing scope is a cluster too
        for key in [k for k in statements if k is not None]:
            for prefix in _prefixes(key):
                statements.setdefault(prefix, [])
    for eid, attrs in statements.pop(None, []):
        g.node(eid, **attrs)
    keys = sorted(statements, key=_natural)
    # a cluster's parent: the longest of its enclosing scope paths that is a cluster too
    parent = {key: next((p for p in reversed(_prefixes(key)[:-1]) if p in statements), None)
              for key in keys}
    subs = {key: graphviz.Digraph(name=f"cluster_{i}", graph_attr={
        "label": key, "style": "rounded,filled", "fillcolor": "#fafafa", "color": "#bbbbbb",
        "fontsize": "10"}) for i, key in enumerate(keys)}
    for key in keys:
        for eid, attrs in statements[key]:
            subs[key].node(eid, **attrs)
    # nest the innermost first: a subgraph is copied into its parent when added
    for key in sorted(keys, key=lambda k: -k.count("/")):
        target = subs[parent[key]] if parent[key] is not None else g
        target.subgraph(subs[key])
