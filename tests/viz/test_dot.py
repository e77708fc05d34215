"""viz.draw: what the DOT source of a drawing says, for Scalar and Tensor graphs."""

import re

import numpy as np
import pytest

import autograd as ag
import viz
from autograd import Scalar, Tensor
from viz import examples
from viz.dot import LogColour, fmt_number


def node_labels(source):
    """element id -> label text of every node statement in a DOT source."""
    return {m.group(1): m.group(2) for m in
            re.finditer(r'^\s*(\w+) \[label="?((?:[^"\\]|\\.)*?)"? \w+=', source, re.M)}


def clusters(source):
    return re.findall(r"subgraph (cluster_\w+)", source)


def test_every_labelled_value_of_the_2_2_1_network_is_drawn():
    loss, mlp = examples.lecture_mlp()
    source = viz.draw(loss).source
    labels = [name for name, _ in mlp.named_parameters()] + ["x1", "x2", "p", "L"]
    for name in labels:
        assert re.search(rf'label="{re.escape(name)}\\n', source), f"{name} is not drawn"


def test_every_weights_gradient_is_shown_after_backward_and_none_before():
    loss, mlp = examples.lecture_mlp(backward=False)
    before = node_labels(viz.draw(loss).source)
    assert not any("grad" in text for text in before.values()), \
        "no gradient may be drawn before backward has run"
    loss.backward()
    after = node_labels(viz.draw(loss).source)
    for name, p in mlp.named_parameters():
        box = next(text for text in after.values() if text.startswith(name + "\\n"))
        assert f"grad {fmt_number(p.grad)}" in box, f"{name}: grad {p.grad} missing from {box!r}"


def test_each_edge_carries_the_gradient_sent_along_it():
    x = Scalar(3.0, label="x")
    w = Scalar(-2.0, label="w")
    y = x * w
    y.label = "y"
    y.backward()
    source = viz.draw(y).source
    ids = {text.split("\\n")[0]: eid for eid, text in node_labels(source).items()}
    # d y / d x = w = -2 flows back along x -> mul, d y / d w = x = 3 along w -> mul
    assert re.search(rf"{ids['x']} -> op\d+ \[label=-2 ", source), source
    assert re.search(rf"{ids['w']} -> op\d+ \[label=3 ", source), source
    assert re.search(rf"op\d+ -> {ids['y']} \[label=1 ", source), source


def test_constants_appear_in_the_op_label():
    x = Scalar(1.5, label="x")
    y = (x * 2.0) ** 3
    source = viz.draw(y).source
    assert 'label="mul(_, 2)"' in source and 'label="pow(_, 3)"' in source, source


def test_a_tensor_box_shows_few_numbers_as_they_are_and_many_as_statistics():
    small = Tensor([[0.5, -0.25], [1.0, 2.0]], requires_grad=True, label="W")
    big = Tensor(np.arange(100.0), requires_grad=True, label="v")
    loss = (small * 2).sum() + big.mean()
    loss.backward()
    labels = list(node_labels(viz.draw(loss).source).values())
    w_box = next(t for t in labels if t.startswith("W (2, 2)"))
    assert "data [[0.5, -0.25], [1, 2]]" in w_box and "grad [[2, 2], [2, 2]]" in w_box, w_box
    v_box = next(t for t in labels if t.startswith("v (100,)"))
    assert f"mean {fmt_number(49.5)} std {fmt_number(np.arange(100.0).std())}" in v_box, v_box
    assert "min 0 max 99" in v_box, v_box
    assert f"|g| {fmt_number(np.sqrt(100) / 100)}" in v_box, v_box


def test_four_step_rnn_grouped_by_time_has_one_cluster_per_step():
    loss, hs = examples.lecture_rnn(steps=4)
    source = viz.draw(loss, group_by="time").source
    assert len(clusters(source)) == 4, clusters(source)
    for t in range(1, 5):
        assert f'label="t={t}"' in source, f"no cluster labelled t={t}"


def test_group_by_a_scope_name_makes_one_cluster_per_matching_scope():
    loss, _, _ = examples.unrolled_lstm(seq_len=3, num_layers=2)
    source = viz.draw(loss, group_by="l1", collapse="time").source
    assert len(clusters(source)) == 1 and re.search(r'label="?l1"? ', source)


def test_group_by_scope_nests_every_scope():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with ag.name_scope("enc"):
        with ag.name_scope("a"):
            y = x * 2
        with ag.name_scope("b"):
            z = y + 1
    source = viz.draw(z.sum(), group_by="scope").source
    assert len(clusters(source)) == 3, "clusters enc, enc/a, enc/b"
    # enc/a is opened inside enc, before enc is closed
    enc = source.index('label=enc')
    assert source.index('label="enc/a"') > enc


def test_collapse_time_draws_one_box_per_layer_and_step_of_an_lstm():
    loss, _, output = examples.unrolled_lstm(seq_len=4, num_layers=2)
    drawing = viz.draw(loss, collapse="time")
    boxes = re.findall(r'^\s*(box\d+) \[label="([^"]*)"', drawing.source, re.M)
    assert sorted(text.split("\\n")[0] for _, text in boxes) == sorted(
        f"l{k}/t={t}" for k in range(2) for t in range(4))
    assert all(" ops: " in text for _, text in boxes)
    # nothing made inside a step is drawn as an op of its own
    assert not any("/t=" in op.scope for op in _drawn_ops(drawing, loss))


def _drawn_ops(drawing, root):
    from viz.dot import GraphWalk
    walk = GraphWalk(root)
    return [n for n in walk.nodes if (drawing.elements.node(n) or "").startswith("op")]


def test_past_max_nodes_the_drawing_collapses_and_says_so():
    loss, _, _ = examples.unrolled_lstm(seq_len=6, num_layers=2)
    drawing = viz.draw(loss, max_nodes=150)
    elements = re.findall(r'^\s*(v\d+|op\d+|box\d+|more) \[', drawing.source, re.M)
    assert len(elements) <= 150
    assert "max_nodes=150" in drawing.graph_attr["label"], drawing.graph_attr.get("label")
    assert any(e.startswith("box") for e in elements)


def test_a_graph_without_scopes_past_max_nodes_keeps_the_part_nearest_the_output():
    loss = examples.wide_mlp_graph(n_layers=12)
    drawing = viz.draw(loss, max_nodes=40)
    elements = re.findall(r'^\s*(v\d+|op\d+|box\d+|more) \[', drawing.source, re.M)
    assert len(elements) <= 40 and "more" in elements
    assert "showing the" in drawing.graph_attr["label"]
    assert 'label="L ()\\n' in drawing.source, "the output is always drawn"


def test_gradient_colour_fades_back_through_time():
    loss, hs = examples.lecture_rnn(steps=6)
    drawing = viz.draw(loss, group_by="time")
    colours = {}
    for eid, text in node_labels(drawing.source).items():
        name = text.split("\\n")[0].split(" ")[0]
        colours[name] = re.search(rf'^\s*{eid} \[.*?color="(#\w+)"', drawing.source, re.M).group(1)
    scale = LogColour([np.linalg.norm(h.grad.data) for h in hs[1:]])
    norms = [np.linalg.norm(hs[t].grad.data) for t in range(1, 7)]
    assert norms == sorted(norms), "this example's gradient vanishes back in time"
    # colour is a function of the norm on one log scale: the same order of darkness
    darkness = [sum(int(colours[f"h_{t}"][k:k + 2], 16) for k in (1, 3, 5)) for t in range(1, 7)]
    assert darkness == sorted(darkness, reverse=True), (darkness, scale.lo, scale.hi)


def test_log_colour_scale_is_monotonic_and_marks_non_finite():
    scale = LogColour([1e-6, 1.0])
    fractions = [scale.fraction(10.0 ** e) for e in range(-6, 1)]
    assert fractions == sorted(fractions) and fractions[0] == 0 and fractions[-1] == 1
    assert scale(float("nan")) != scale(1.0)


def test_legend_is_drawn_once_gradients_exist():
    loss, _ = examples.lecture_mlp(backward=False)
    assert "legend" not in viz.draw(loss).source
    loss.backward()
    assert "|gradient| (log)" in viz.draw(loss).source


def test_title_and_rankdir():
    loss, _ = examples.lecture_mlp()
    drawing = viz.draw(loss, title="my net", rankdir="TB")
    assert drawing.graph_attr["rankdir"] == "TB" and drawing.graph_attr["label"] == "my net"


def test_show_data_and_show_grad_off():
    loss, _ = examples.lecture_mlp()
    labels = node_labels(viz.draw(loss, show_data=False, show_grad=False).source)
    assert labels and not any("data " in t or "grad " in t for t in labels.values()), labels


def test_draw_returns_a_graphviz_digraph():
    import graphviz
    loss, _ = examples.lecture_mlp()
    assert isinstance(viz.draw(loss), graphviz.Digraph)


# -- bad input -----------------------------------------------------------------------

def test_root_that_is_not_a_value_is_a_type_error():
    with pytest.raises(TypeError, match="draw: root must be a Tensor or a Scalar, got ndarray"):
        viz.draw(np.ones(3))


def test_unknown_group_by_scope_lists_the_known_scopes():
    loss, _ = examples.lecture_rnn()
    with pytest.raises(ValueError, match=r"group_by='encoder'.*known scopes: 't=1', 't=2', 't=3'"):
        viz.draw(loss, group_by="encoder")


def test_group_by_time_without_time_steps_is_a_value_error():
    loss, _ = examples.lecture_mlp()
    with pytest.raises(ValueError, match="no value in this graph has a 't=<int>' scope"):
        viz.draw(loss, group_by="time")


def test_unknown_collapse_scope_and_bad_types():
    loss, _ = examples.lecture_rnn()
    with pytest.raises(ValueError, match="collapse='l7'"):
        viz.draw(loss, collapse="l7")
    with pytest.raises(TypeError, match="group_by must be"):
        viz.draw(loss, group_by=3)
    with pytest.raises(ValueError, match="rankdir"):
        viz.draw(loss, rankdir="sideways")
    with pytest.raises(ValueError, match="max_nodes"):
        viz.draw(loss, max_nodes=0)
