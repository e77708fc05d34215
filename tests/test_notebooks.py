"""The course notebooks: stored clean, in step with their sources, and every one runs.

Each notebook asserts what it teaches in its own cells, so running it under a real
Jupyter kernel checks the lesson as well as the code.
"""

import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
DRAWING_TYPES = ("image/svg+xml", "image/png", "text/html")

sys.path.insert(0, str(NOTEBOOKS))
import build  # noqa: E402  (notebooks/build.py: how a notebook is executed)
import generate  # noqa: E402  (notebooks/generate.py: how a notebook is written)


def test_there_are_eleven_notebooks():
    names = [p.name for p in PATHS]
    assert len(names) == 11, f"expected notebooks 01..11, found {names}"
    assert [n[:2] for n in names] == [f"{k:02d}" for k in range(1, 12)], names


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_notebook_is_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for k, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        assert cell.outputs == [], f"{path.name}: code cell {k} is stored with outputs"
        assert cell.execution_count is None, \
            f"{path.name}: code cell {k} is stored with execution count {cell.execution_count}"


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_notebook_matches_its_source(path):
    source = generate.SOURCES / (path.stem + ".py")
    assert source.exists(), f"{path.name} has no source {source.name} in notebooks/src/"
    assert path.read_text() == generate.notebook_text(source), \
        f"{path.name} differs from notebooks/src/{source.name}; run python notebooks/generate.py"


def test_index_links_every_page_and_marks_failures(tmp_path):
    pages = [(tmp_path / "notebooks" / f"{stem}.html", (f"title {stem}", "what it teaches"), 1.0)
             for stem in ("01_a", "02_b")]
    gallery = tmp_path / "gallery" / "index.html"
    index = build.write_index(tmp_path, pages, gallery, None, failed={"02_b": "boom"})
    text = index.read_text()
    assert 'href="notebooks/01_a.html"' in text and 'href="notebooks/02_b.html"' in text, text
    assert text.count("(failed)") == 1 and text.index("(failed)") > text.index("02_b.html"), \
        "exactly the failed notebook is marked"
    assert 'href="gallery/index.html"' in text and "Benchmarks" not in text, \
        "the gallery is linked; benchmarks only when their page exists"


def test_every_notebook_has_a_tour_line():
    assert sorted(build.TOUR) == [p.name[:2] for p in PATHS], "build.TOUR needs one line per notebook"


def drawings(nb):
    """Outputs that show a drawing: an SVG graph, a plot image or an HTML stepper."""
    return [out for cell in nb.cells if cell.cell_type == "code"
            for out in cell.outputs
            if out.output_type in ("display_data", "execute_result")
            and any(kind in out.get("data", {}) for kind in DRAWING_TYPES)]


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_notebook_runs_and_draws(path):
    nb = nbformat.read(path, as_version=4)
    try:
        build.execute(nb)
    except nbclient.exceptions.CellExecutionError as exc:
        pytest.fail(f"{path.name} failed:\n{exc}", pytrace=False)
    assert drawings(nb), f"{path.name} ran but displayed no drawing (SVG, image or HTML)"
