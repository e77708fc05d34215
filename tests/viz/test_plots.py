"""The matplotlib figures, checked by what they contain: lines, data, labels, scales."""

import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure

import viz
from autograd import Scalar, Tensor
from viz.plots import ACTIVATIONS, grad_norms

matplotlib.use("Agg")


def test_plot_loss_of_a_list_draws_it_against_the_step():
    history = [3.0, 2.0, 1.5, 1.2]
    fig = viz.plot_loss(history)
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    (line,) = ax.get_lines()
    assert list(line.get_xdata()) == [0, 1, 2, 3] and list(line.get_ydata()) == history
    assert ax.get_xlabel() == "step" and ax.get_ylabel() == "loss" and ax.get_yscale() == "linear"


def test_plot_loss_of_a_dict_draws_one_named_line_each_and_can_use_a_log_scale():
    fig = viz.plot_loss({"sgd": [1.0, 0.5], "adam": [1.0, 0.1, 0.01]}, logy=True)
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.get_lines()] == ["sgd", "adam"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["sgd", "adam"]
    assert ax.get_yscale() == "log"


def test_plot_loss_accepts_scalars_and_one_element_tensors():
    fig = viz.plot_loss([Scalar(2.0), Tensor(1.0), np.float32(0.5)])
    assert list(fig.axes[0].get_lines()[0].get_ydata()) == [2.0, 1.0, 0.5]


def test_plot_loss_bad_input():
    with pytest.raises(ValueError, match="plot_loss: history is empty"):
        viz.plot_loss([])
    with pytest.raises(TypeError, match=r"plot_loss: history\[1\] must be a number, got str"):
        viz.plot_loss([1.0, "x"])
    with pytest.raises(TypeError, match="sequence"):
        viz.plot_loss(3.0)


class _Model:
    """Anything with named_parameters() will do."""

    def __init__(self):
        self.a = Tensor(np.ones((2, 2)), requires_grad=True)
        self.b = Tensor(np.ones(2), requires_grad=True)
        self.c = Tensor(np.ones(3), requires_grad=True)      # never used: no grad
        (self.a * 3.0).sum().backward()
        (self.b * 0.01).sum().backward()

    def named_parameters(self):
        return [("layer1.weight", self.a), ("layer1.bias", self.b), ("layer2.weight", self.c)]


def test_plot_grad_flow_draws_the_norm_per_parameter_on_a_log_scale():
    fig = viz.plot_grad_flow(_Model())
    ax = fig.axes[0]
    heights = [p.get_height() for p in ax.patches]
    assert np.allclose(heights, [6.0, np.sqrt(2) * 0.01, 0.0]), heights
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["layer1.weight", "layer1.bias", "layer2.weight (no grad)"]
    assert ax.get_yscale() == "log"


def test_plot_grad_flow_per_layer_combines_the_norms():
    names, norms = grad_norms(_Model(), by="layer")
    assert names == ["layer1", "layer2"]
    assert norms[0] == pytest.approx(np.sqrt(36 + 2e-4)) and norms[1] is None


def test_plot_grad_flow_of_a_scalar_mlp():
    from viz import examples
    _, mlp = examples.lecture_mlp()
    names, norms = grad_norms(mlp)
    assert names[0] == "L1.w11" and norms[0] == pytest.approx(abs(mlp.parameters()[0].grad))
    assert isinstance(viz.plot_grad_flow(mlp), Figure)


def test_plot_grad_flow_bad_input():
    with pytest.raises(TypeError, match="named_parameters"):
        viz.plot_grad_flow([1, 2])
    with pytest.raises(ValueError, match="by must be"):
        viz.plot_grad_flow(_Model(), by="neuron")


def test_plot_bptt_uses_a_log_scale_over_t_from_one():
    fig = viz.plot_bptt({"vanishing": [1e-6, 1e-3, 1.0], "flat": [1.0, 1.0, 1.0]})
    ax = fig.axes[0]
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["vanishing", "flat"]
    assert list(lines[0].get_xdata()) == [1, 2, 3] and list(lines[0].get_ydata()) == [1e-6, 1e-3, 1.0]
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "time step t"


def test_plot_bptt_takes_the_norm_of_gradients_given_as_arrays():
    fig = viz.plot_bptt([np.array([3.0, 4.0]), Tensor([0.6, 0.8])])
    assert np.allclose(fig.axes[0].get_lines()[0].get_ydata(), [5.0, 1.0])


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_plot_activation_draws_the_function_and_its_derivative(name):
    fig = viz.plot_activation(name)
    ax = fig.axes[0]
    f_line, df_line = ax.get_lines()[:2]
    x, y, dy = f_line.get_xdata(), f_line.get_ydata(), df_line.get_ydata()
    assert x[0] == -4 and x[-1] == 4 and ax.get_title() == name
    # the derivative drawn is the slope of the function drawn (central differences,
    # away from the kinks of relu-like functions)
    slope = np.gradient(y, x)
    smooth = np.abs(x) > 0.05
    if name == "hardtanh":
        smooth &= np.abs(np.abs(x) - 1) > 0.05
    assert np.allclose(dy[smooth], slope[smooth], atol=2e-3), name


def test_activation_values_at_known_points():
    from viz.plots import activation_and_derivative
    x = np.array([-1.0, 0.0, 2.0])
    y, dy = activation_and_derivative("leaky_relu", x)
    assert np.allclose(y, [-0.01, 0.0, 2.0]) and np.allclose(dy[[0, 2]], [0.01, 1.0])
    y, dy = activation_and_derivative("prelu", x)
    assert np.allclose(y, [-0.25, 0.0, 2.0])
    y, _ = activation_and_derivative("elu", x)
    assert np.allclose(y, [np.exp(-1) - 1, 0.0, 2.0])
    with pytest.raises(ValueError, match="unknown activation 'swish'; known: sigmoid"):
        viz.plot_activation("swish")


def _linear_model(w, b):
    return lambda X: X @ Tensor(np.array(w, dtype=X.dtype)) + b


def test_plot_decision_boundary_splits_the_plane_where_the_model_does():
    X = np.array([[-1.0, 0.0], [1.0, 0.0], [-2.0, 1.0], [2.0, -1.0]])
    y = np.array([0, 1, 0, 1])
    fig = viz.plot_decision_boundary(_linear_model([1.0, 0.0], 0.0), X, y, resolution=50)
    ax = fig.axes[0]
    assert ax.get_xlim() == (-2.5, 2.5) and ax.get_ylim() == (-1.5, 1.5)
    points = ax.collections[-1]
    assert np.allclose(points.get_offsets(), X)
    # the boundary line is x1 = 0: every vertex of the drawn contour sits there
    contour = ax.collections[-2]
    vertices = np.concatenate([p.vertices for p in contour.get_paths() if len(p.vertices)])
    assert np.all(np.abs(vertices[:, 0]) < 0.11), vertices[:, 0].max()


def test_plot_decision_boundary_with_k_classes_uses_the_argmax():
    from viz.plots import _classes
    assert list(_classes(np.array([[0.1, 2.0, 0.3], [3.0, 0.0, 0.0]]))) == [1, 0]
    assert list(_classes(np.array([0.2, 0.7]))) == [0, 1], "probabilities: threshold 0.5"
    assert list(_classes(np.array([[-0.2], [0.3]]))) == [0, 1], "logits: threshold 0"
    X = np.random.default_rng(0).normal(size=(30, 2))
    fig = viz.plot_decision_boundary(lambda t: t @ Tensor(np.eye(2, 3)), X, np.zeros(30),
                                     resolution=20)
    assert isinstance(fig, Figure)


def test_plot_decision_boundary_bad_input():
    with pytest.raises(ValueError, match=r"X must have shape \(N, 2\), got \(3, 3\)"):
        viz.plot_decision_boundary(_linear_model([1.0, 0.0], 0.0), np.zeros((3, 3)), np.zeros(3))
    with pytest.raises(ValueError, match="y has 2 labels for 3 points"):
        viz.plot_decision_boundary(_linear_model([1.0, 0.0], 0.0), np.zeros((3, 2)), np.zeros(2))
    with pytest.raises(TypeError, match="model must be callable"):
        viz.plot_decision_boundary("model", np.zeros((3, 2)), np.zeros(3))


def test_plot_gates_draws_one_heat_map_per_gate_with_time_along_x():
    T, H = 7, 3
    i = np.linspace(0, 1, T * H).reshape(T, H)
    g = np.tanh(np.linspace(-2, 2, T * H)).reshape(T, H)
    fig = viz.plot_gates({"i": i, "g": Tensor(g)})
    heat_axes = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in heat_axes] == ["i", "g"]
    image = heat_axes[0].images[0]
    assert np.allclose(image.get_array(), i.T), "time along x, units along y"
    assert image.get_clim() == (0.0, 1.0) and heat_axes[1].images[0].get_clim() == (-1.0, 1.0)
    assert heat_axes[0].get_xlabel() == "time step t"


def test_plot_gates_bad_input():
    with pytest.raises(ValueError, match=r"gate 'f' must have shape \(T, hidden\), got \(4,\)"):
        viz.plot_gates({"f": np.zeros(4)})
    with pytest.raises(TypeError, match="non-empty dict"):
        viz.plot_gates({})


def test_figures_show_themselves_as_png():
    assert viz.plot_loss([1.0, 0.5])._repr_png_()[:4] == b"\x89PNG"
