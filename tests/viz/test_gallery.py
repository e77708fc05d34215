"""`python -m viz`: the gallery, built into a temporary folder."""

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_python_m_viz_writes_a_gallery_with_an_index_linking_every_file(tmp_path):
    done = subprocess.run([sys.executable, "-m", "viz", "--out", str(tmp_path), "--quick"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    index = tmp_path / "index.html"
    assert done.stdout.strip() == str(index), "the command prints the index's path"
    assert "gallery" in done.stderr and "8/8" in done.stderr, "tqdm progress on stderr"
    links = set(re.findall(r'<a href="([^"]+)"', index.read_text()))
    written = {p.name for p in tmp_path.iterdir()} - {"index.html"}
    assert links == written, (links ^ written)
    for name in ("mlp_221.svg", "rnn_unrolled.svg", "lstm_collapsed.svg", "stepper_mlp.html",
                 "stepper_rnn.html", "loss.png", "grad_flow.png", "decision_boundary.png",
                 "bptt.png", "gates.png", "activation_gelu.png"):
        assert name in written, name
    for svg in tmp_path.glob("*.svg"):
        assert ET.parse(svg).getroot().tag.endswith("svg"), svg.name
    for png in tmp_path.glob("*.png"):
        assert png.read_bytes()[:4] == b"\x89PNG", png.name
    mlp = (tmp_path / "mlp_221.svg").read_text()
    for label in ("L1.w11", "L1.w22", "L1.b2", "L2.w12", "L2.b1", "x1", "x2"):
        assert f">{label}<" in mlp, label
    lstm = (tmp_path / "lstm_collapsed.svg").read_text()
    assert lstm.count("ops: ") == 10, "2 layers x 5 steps, one box each (--quick)"
