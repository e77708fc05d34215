"""Rendering: SVG from the system dot and from graphviz-pure, saving, Jupyter display."""

import importlib
import os
import xml.etree.ElementTree as ET

import pytest

import viz
from viz import examples
render_module = importlib.import_module("viz.render")   # `viz.render` is also the function

SVG = "{http://www.w3.org/2000/svg}"
RENDERERS = ["dot", "graphviz-pure"]


def renderer_or_skip(name):
    if name not in viz.available_renderers():
        pytest.skip(f"{name} is not installed here")
    return name


def svg_ids(svg_text):
    root = ET.fromstring(svg_text.encode("utf-8"))
    assert root.tag == SVG + "svg", root.tag
    return {el.get("id") for el in root.iter() if el.get("id")}


@pytest.mark.parametrize("renderer", RENDERERS)
def test_each_renderer_gives_valid_svg_with_every_element(renderer):
    renderer_or_skip(renderer)
    loss, _ = examples.lecture_rnn(steps=4)
    drawing = viz.draw(loss, group_by="time", renderer=renderer)
    ids = svg_ids(drawing.svg())
    wanted = set(drawing.elements._value.values()) | set(drawing.elements._node.values())
    assert wanted <= ids, f"missing from the SVG: {sorted(wanted - ids)}"
    edges = {e for pair in drawing.elements._edges.values() for e in pair}
    assert edges <= ids


@pytest.mark.parametrize("renderer", RENDERERS)
def test_each_renderer_lays_out_a_collapsed_two_layer_lstm(renderer):
    renderer_or_skip(renderer)
    loss, _, _ = examples.unrolled_lstm(seq_len=20, num_layers=2)
    drawing = viz.draw(loss, collapse="time", renderer=renderer)
    assert "box39" in svg_ids(drawing.svg()), "40 boxes: 2 layers x 20 steps"


def test_without_a_system_dot_graphviz_pure_is_used(monkeypatch):
    real_which = render_module.shutil.which
    monkeypatch.setattr(render_module.shutil, "which",
                        lambda name: None if name == "dot" else real_which(name))
    monkeypatch.delenv("GLASSGRAD_DOT", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    name, path = render_module.find_renderer()
    assert name == "graphviz-pure" and os.access(path, os.X_OK), path
    loss, _ = examples.lecture_mlp()
    bundle = viz.draw(loss)._repr_mimebundle_()
    assert "graphviz-pure" in bundle["image/svg+xml"]
    svg_ids(bundle["image/svg+xml"])


def test_jupyter_display_is_svg_from_our_renderer():
    renderer = viz.available_renderers()[-1]
    loss, _ = examples.lecture_mlp()
    drawing = viz.draw(loss, renderer=renderer)
    assert set(drawing._repr_mimebundle_()) == {"image/svg+xml"}
    assert drawing._repr_mimebundle_(include=["image/png"])["image/png"][:4] == b"\x89PNG"
    assert drawing._repr_svg_().lstrip().startswith("<?xml")
    assert drawing.pipe(format="svg", encoding="utf-8") == drawing.svg()


@pytest.mark.parametrize("suffix, magic", [(".svg", b"<?xml"), (".png", b"\x89PNG"),
                                           (".dot", b"digraph"), (".gv", b"digraph")])
def test_save_writes_the_format_of_the_extension(tmp_path, suffix, magic):
    loss, _ = examples.lecture_mlp()
    path = viz.save(loss, tmp_path / ("net" + suffix), group_by="L1")
    assert path.read_bytes().startswith(magic)
    assert [p.name for p in tmp_path.iterdir()] == ["net" + suffix], "no temporary file left"


def test_save_replaces_an_existing_file(tmp_path):
    path = tmp_path / "net.dot"
    path.write_text("old")
    loss, _ = examples.lecture_mlp()
    viz.save(loss, path)
    assert path.read_text().startswith("digraph")


def test_save_with_an_unknown_extension_is_a_value_error_and_writes_nothing(tmp_path):
    loss, _ = examples.lecture_mlp()
    with pytest.raises(ValueError, match=r"save: cannot tell the format of .*net\.jpg.*\.svg"):
        viz.save(loss, tmp_path / "net.jpg")
    assert list(tmp_path.iterdir()) == []


def test_save_of_a_non_value_is_a_type_error(tmp_path):
    with pytest.raises(TypeError, match="root must be a Tensor or a Scalar"):
        viz.save([1.0], tmp_path / "x.svg")


def test_render_errors():
    with pytest.raises(ValueError, match="format must be one of"):
        viz.render("digraph { a }", "pdf")
    with pytest.raises(TypeError, match="source must be DOT text"):
        viz.render(42)
    with pytest.raises(RuntimeError, match="failed"):
        viz.render("digraph { a -> }", renderer=viz.available_renderers()[-1])
    with pytest.raises(ValueError, match="renderer must be"):
        viz.render("digraph { a }", renderer="no-such-layout-program")


def test_drawing_render_writes_source_and_picture_with_our_renderer(tmp_path):
    loss, _ = examples.lecture_mlp()
    drawing = viz.draw(loss, renderer=viz.available_renderers()[-1])
    out = drawing.render("net", directory=tmp_path, format="png")
    assert out == str(tmp_path / "net.png") and (tmp_path / "net.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "net").read_text() == drawing.source
