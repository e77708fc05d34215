"""Write the course notebooks (.ipynb) from their sources in notebooks/src/.

Each source is a Python file in the "percent" cell format, easy to read and to
diff: a line `# %% [markdown]` starts a text cell (its lines lose the leading
`# `), a line `# %%` starts a code cell. The notebooks are written without
outputs and with stable cell ids, so the same source always gives the same file.

    python notebooks/generate.py           write every notebook
    python notebooks/generate.py --check   exit 1 when a notebook is out of date
"""

import sys
from pathlib import Path

import nbformat

from viz import write_atomic   # temp file + os.replace, normal permissions

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "src"

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def parse_cells(text):
    """(kind, source) pairs of a percent-format file; kind is 'markdown' or 'code'."""
    cells = []
    kind, lines = None, []

    def close():
        if kind is not None:
            body = "\n".join(lines).strip("\n")
            if body:
                cells.append((kind, body))

    for line in text.splitlines():
        if line.startswith("# %%"):
            close()
            kind = "markdown" if "[markdown]" in line else "code"
            lines = []
        elif kind == "markdown":
            if line.strip() and not line.startswith("#"):
                raise ValueError(f"a markdown cell line must start with '#', got {line!r}")
            lines.append(line[2:] if line.startswith("# ") else line[1:])
        elif kind == "code":
            lines.append(line)
    close()
    return cells


def build_notebook(source_path):
    """The notebook (a NotebookNode, no outputs) that a source file describes."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}
    for i, (kind, body) in enumerate(parse_cells(Path(source_path).read_text())):
        make = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
        cell = make(body)
        cell.id = f"cell-{i:02d}"
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def notebook_text(source_path):
    return nbformat.writes(build_notebook(source_path)) + "\n"


def target_of(source_path):
    return HERE / (Path(source_path).stem + ".ipynb")


def main(argv):
    check = "--check" in argv
    stale = []
    for src in sorted(SOURCES.glob("[0-9][0-9]_*.py")):
        target = target_of(src)
        text = notebook_text(src)
        if target.exists() and target.read_text() == text:
            continue
        if check:
            stale.append(target.name)
        else:
            write_atomic(target, text)
            print(f"wrote {target.relative_to(HERE.parent)}")
    if stale:
        print("out of date (run python notebooks/generate.py): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
