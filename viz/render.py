"""Turning DOT source into SVG or PNG: the system Graphviz `dot`, or `graphviz-pure`.

A system Graphviz is used when `dot` is on PATH. Without one, the
`graphviz-pure` command (a self-contained port installed with the pip package
of that name, so every machine that has glassgrad has it) does the same job
from the same DOT source. `GLASSGRAD_DOT` names another command, or one of the
two by name, when the choice must be forced.
"""

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

FORMATS = ("svg", "png")
RENDERERS = ("dot", "graphviz-pure")


def _graphviz_pure():
    """The `graphviz-pure` executable: on PATH, or next to this Python (a venv not activated)."""
    found = shutil.which("graphviz-pure")
    if found:
        return found
    exe = "graphviz-pure.exe" if os.name == "nt" else "graphviz-pure"
    for folder in (sysconfig.get_path("scripts"), Path(sys.executable).parent):
        candidate = Path(folder) / exe
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def find_renderer(renderer=None):
    """The command that lays out DOT: `(name, path)`.

    `renderer`: None (system `dot` when on PATH, else `graphviz-pure`; the
    environment variable GLASSGRAD_DOT overrides), "dot", "graphviz-pure", or the
    path of an executable that takes dot's command line.
    """
    if renderer is None:
        renderer = os.environ.get("GLASSGRAD_DOT") or None
    if renderer is None:
        path = shutil.which("dot")
        if path:
            return "dot", path
        path = _graphviz_pure()
        if path:
            return "graphviz-pure", path
        raise RuntimeError(
            "render: no Graphviz found: neither a system `dot` on PATH nor the `graphviz-pure` "
            "command (pip install graphviz-pure)")
    if renderer == "dot":
        path = shutil.which("dot")
        if path is None:
            raise RuntimeError("render: renderer='dot' asked for, but no system `dot` is on PATH")
        return "dot", path
    if renderer == "graphviz-pure":
        path = _graphviz_pure()
        if path is None:
            raise RuntimeError("render: renderer='graphviz-pure' asked for, but its command was not "
                               "found (pip install graphviz-pure)")
        return "graphviz-pure", path
    path = shutil.which(renderer)
    if path is None:
        raise ValueError(f"render: renderer must be 'dot', 'graphviz-pure' or an executable, "
                         f"got {renderer!r}")
    return Path(path).name, path


def available_renderers():
    """The renderers that work on this machine, by name."""
    found = []
    for name in RENDERERS:
        try:
            find_renderer(name)
        except RuntimeError:
            continue
        found.append(name)
    return found


def render(source, format="svg", renderer=None, timeout=120):
    """Lay out DOT `source` (a str or a graphviz graph) and return the image as bytes."""
    if format not in FORMATS:
        raise ValueError(f"render: format must be one of {FORMATS}, got {format!r}")
    source = getattr(source, "source", source)
    if not isinstance(source, str):
        raise TypeError(f"render: source must be DOT text or a graphviz graph, "
                        f"got {type(source).__name__}")
    name, path = find_renderer(renderer)
    try:
        done = subprocess.run([path, f"-T{format}"], input=source.encode("utf-8"),
                              capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"render: {name} took more than {timeout} s to lay out the graph; "
                           f"draw fewer nodes (max_nodes=, collapse=)") from None
    if done.returncode != 0 or not done.stdout:
        err = done.stderr.decode("utf-8", "replace").strip()
        raise RuntimeError(f"render: {name} failed (exit code {done.returncode}): {err}")
    return done.stdout


def render_svg(source, renderer=None):
    """The SVG text of DOT `source`."""
    return render(source, "svg", renderer).decode("utf-8")
