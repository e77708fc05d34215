"""Build the demo: every course notebook executed to HTML, the viz gallery, an index.

    python notebooks/build.py [--out build] [--only 01,06]

Writes build/notebooks/<name>.html (each notebook run top to bottom in a fresh
kernel, drawings inline), build/gallery/ (`python -m viz --out build/gallery`),
build/benchmarks.html when benchmarks/RESULTS.md exists, and build/index.html
linking them all; prints the index's path. Exits with status 1 if a notebook or
the gallery failed (the rest is still written).
"""

import argparse
import html
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbconvert import HTMLExporter
from nbconvert.filters import markdown2html
from tqdm import tqdm

from viz import write_atomic   # temp file + os.replace, normal permissions

NOTEBOOKS = Path(__file__).resolve().parent
ROOT = NOTEBOOKS.parent
CELL_TIMEOUT = 300


# One line per notebook: what it teaches (also the tour in README.md).
TOUR = {
    "01": "Backprop on a 2-2-1 ReLU/sigmoid network: the gradient table by hand, checked "
          "against the engine and finite differences, then drawn and stepped through.",
    "02": "Logistic regression as one sigmoid neuron: likelihood, cross-entropy, the gradient "
          "-(1/N) X^T (y - sigma(X beta)) against autograd, training, the decision line.",
    "03": "Why non-linearity: an MLP on two moons, nine activations and their derivatives, a "
          "linear stack collapsing to one matrix, vanishing gradients in a deep sigmoid net.",
    "04": "Gradient descent: batch, stochastic and mini-batch; momentum, Nesterov, Adagrad, "
          "RMSprop and Adam on one valley; learning rates too small, good and divergent.",
    "05": "Softmax and cross-entropy for K classes: dL/dbeta_k = (Y_hat_k - Y_k) Z^T verified, "
          "a stable softmax, a three-class classifier.",
    "06": "The lecture's RNN example by hand (exact numbers), its unrolled graph by time step, "
          "BPTT node by node, and an RNN whose hidden state is a running difference.",
    "07": "Vanishing and exploding gradients through time: ||dL/dh_t|| for several recurrent "
          "scales, clipping by norm, and what truncated BPTT gives up.",
    "08": "LSTM and GRU: gates, the cell state's additive path, parity learned where a vanilla "
          "RNN fails, gate heat maps, GRU's two formulations.",
    "09": "Deep and bidirectional RNNs: stacking layers, the backward direction, and a "
          "labelling task that needs the future.",
    "10": "A character-level language model: truncated BPTT on mini-batches, perplexity, and "
          "generation by greedy search, beam search and sampling.",
    "11": "Your own operation: SigmoidActivation as an autograd Function, checked by gradcheck, "
          "and what gradcheck says about a wrong backward.",
}


def describe(path, nb):
    """(title, one line) for the index: the notebook's heading and its tour line."""
    lines = nb.cells[0].source.splitlines() if nb.cells else []
    title = lines[0].lstrip("# ").strip() if lines else path.stem
    return title, TOUR.get(path.name[:2], "")


def execute(nb):
    """Run a notebook in place in a fresh python3 kernel, with notebooks/ as its cwd.

    Raises nbclient's CellExecutionError at the first failing cell. The kernel
    is the one of the running interpreter's environment (jupyter_client starts
    `python` of a kernelspec as sys.executable). Its own log is kept to errors
    (its start-up notices are noise here); warnings from the cells still show.
    """
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                            extra_arguments=["--IPKernelApp.log_level=ERROR"],
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()
    return nb


def execute_to_html(path, out_dir):
    """Run one notebook and write its HTML page (also when a cell fails: the page shows it)."""
    nb = nbformat.read(path, as_version=4)
    error = None
    try:
        execute(nb)
    except CellExecutionError as exc:
        error = exc
    body, _ = HTMLExporter().from_notebook_node(nb)
    target = out_dir / "notebooks" / (path.stem + ".html")
    write_atomic(target, body)
    return nb, target, error


def build_gallery(out_dir):
    """`python -m viz --out <out>/gallery`; returns the gallery's index, or None on failure."""
    gallery = out_dir / "gallery"
    done = subprocess.run([sys.executable, "-m", "viz", "--out", str(gallery)], cwd=ROOT,
                          capture_output=True, text=True)
    if done.returncode != 0:
        tqdm.write(f"gallery failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
        return None
    index = gallery / "index.html"
    return index if index.exists() else None


def build_benchmarks(out_dir):
    results = ROOT / "benchmarks" / "RESULTS.md"
    if not results.exists():
        return None
    page = out_dir / "benchmarks.html"
    write_atomic(page, _page("glassgrad benchmarks", markdown2html(results.read_text())))
    return page


def _page(title, body):
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>"
            "body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;"
            "line-height:1.5;color:#222} li{margin:.4rem 0} .why{color:#555}"
            "table{border-collapse:collapse} td,th{border:1px solid #ccc;padding:.2rem .5rem}"
            f"</style></head><body>\n{body}\n</body></html>\n")


def write_index(out_dir, pages, gallery, benchmarks, failed):
    items = []
    for target, (title, sentence), seconds in pages:
        mark = " <strong>(failed)</strong>" if target.stem in failed else ""
        items.append(f'<li><a href="{target.relative_to(out_dir).as_posix()}">{html.escape(title)}</a>'
                     f'{mark} <span class="why">{html.escape(sentence)} ({seconds:.0f} s)</span></li>')
    parts = ["<h1>glassgrad: the course notebooks and drawings</h1>",
             "<p>Each notebook was executed top to bottom for this page; "
             "every claim it makes is checked by an assertion in a code cell.</p>",
             "<h2>Notebooks</h2>", "<ul>", *items, "</ul>"]
    extra = []
    if gallery is not None:
        extra.append(f'<li><a href="{gallery.relative_to(out_dir).as_posix()}">Gallery</a>: '
                     "every kind of drawing and plot the viz package makes.</li>")
    if benchmarks is not None:
        extra.append(f'<li><a href="{benchmarks.relative_to(out_dir).as_posix()}">Benchmarks</a>: '
                     "speed against hand-written numpy and PyTorch.</li>")
    if extra:
        parts += ["<h2>More</h2>", "<ul>", *extra, "</ul>"]
    index = out_dir / "index.html"
    write_atomic(index, _page("glassgrad demo", "\n".join(parts)))
    return index


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "build"), help="output directory (default build/)")
    parser.add_argument("--only", default="", help="comma-separated notebook numbers, e.g. 01,06")
    args = parser.parse_args(argv)
    out_dir = Path(args.out).resolve()
    wanted = {w.strip() for w in args.only.split(",") if w.strip()}
    paths = [p for p in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")) if not wanted or p.name[:2] in wanted]

    pages, failed = [], {}
    progress = tqdm(paths, desc="notebooks", unit="nb")
    for path in progress:
        progress.set_postfix_str(path.stem)
        start = time.perf_counter()
        nb, target, error = execute_to_html(path, out_dir)
        pages.append((target, describe(path, nb), time.perf_counter() - start))
        if error is not None:
            failed[path.stem] = error
            tqdm.write(f"{path.name} failed: {str(error).strip().splitlines()[-1]}")

    with tqdm(total=1, desc="gallery", unit="step") as bar:
        gallery = build_gallery(out_dir)
        bar.update()
    benchmarks = build_benchmarks(out_dir)
    index = write_index(out_dir, pages, gallery, benchmarks, failed)
    print(index)
    return 1 if failed or gallery is None else 0


if __name__ == "__main__":
    sys.exit(main())
