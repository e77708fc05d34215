"""Drawings, the stepper and plots display in a real Jupyter kernel without a system
Graphviz, and stay in the page when the notebook is exported to HTML."""

import base64
import re

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
nbconvert = pytest.importorskip("nbconvert")
pytest.importorskip("ipykernel")

CELLS = [
    # no system dot for the kernel: the renderer must be graphviz-pure
    "import os\nos.environ['GLASSGRAD_DOT'] = 'graphviz-pure'\n"
    "import viz\nfrom viz import examples\nL, _ = examples.lecture_mlp(retain_graph=True)",
    "viz.draw(L)",
    "viz.animate(L)",
    "viz.plot_loss([1.0, 0.5, 0.25])",
]


def test_outputs_are_inline_svg_html_and_png_and_survive_html_export(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                     extra_arguments=["--IPKernelApp.log_level=ERROR"],
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    outputs = [cell.outputs for cell in nb.cells]
    draw_out, stepper_out, plot_out = (o[-1]["data"] for o in outputs[1:])
    assert "graphviz-pure" in draw_out["image/svg+xml"], "rendered by graphviz-pure"
    assert stepper_out["text/html"].startswith("<iframe srcdoc=")
    assert "image/png" in plot_out
    page, _ = nbconvert.HTMLExporter().from_notebook_node(nb)
    # nbconvert puts an SVG output in the page itself, as markup or as a data URI
    inline = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', page)
    svgs = [base64.b64decode(x).decode("utf-8") for x in inline] + re.findall(r"<svg.*?</svg>", page, re.S)
    assert any(">L1.w11<" in svg for svg in svgs), "the graph is in the page"
    assert 'srcdoc="' in page and "steps-data" in page, "the stepper is in the page"
    assert "data:image/png;base64," in page, "the plot is an inline image"
