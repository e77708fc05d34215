"""Module, Parameter and the containers: registration, walking the tree, modes,
state dicts, saving and loading, repr, summary, name scopes and hooks."""

import copy
import os

import numpy as np
import pytest

import autograd as ag
import nn
from autograd import Tensor

pytestmark = pytest.mark.usefixtures("f64")


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.act = nn.Tanh()

    def forward(self, x):
        return self.act(self.fc(x))


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = Encoder()
        self.head = nn.Linear(4, 2)
        self.scale = nn.Parameter(np.ones(2))

    def forward(self, x):
        return self.head(self.encoder(x)) * self.scale


# -- registration and walking ---------------------------------------------------------

def test_parameters_are_registered_in_attribute_order_with_dotted_names():
    m = Model()
    names = [n for n, _ in m.named_parameters()]
    assert names == ["scale", "encoder.fc.weight", "encoder.fc.bias", "head.weight", "head.bias"]
    assert [p.shape for p in m.parameters()] == [(2,), (4, 3), (4,), (2, 4), (2,)]


def test_parameter_requires_grad_copies_its_data_and_gets_its_name_as_label():
    source = np.arange(6.0).reshape(2, 3)
    p = nn.Parameter(source)
    assert p.requires_grad and p.is_leaf
    p.data += 1
    assert source[0, 0] == 0.0, "a Parameter must own its array"
    ints = nn.Parameter(np.arange(3))
    assert ints.dtype == np.float64, "integer data become the default float dtype"
    m = nn.Module()
    m.gain = p
    assert p.label == "gain"
    labelled = nn.Parameter([1.0], label="mine")
    m.other = labelled
    assert labelled.label == "mine", "an explicit label is kept"


def test_submodules_children_and_modules():
    m = Model()
    assert [n for n, _ in m.named_children()] == ["encoder", "head"]
    assert [n for n, _ in m.named_modules()] == ["", "encoder", "encoder.fc", "encoder.act", "head"]
    assert list(m.children())[0] is m.encoder
    assert len(list(m.modules())) == 5


def test_shared_parameter_is_listed_once():
    m = nn.Module()
    m.a = nn.Linear(2, 2)
    m.b = nn.Linear(2, 2)
    m.b.weight = m.a.weight
    assert len(list(m.parameters())) == 3
    assert [n for n, _ in m.named_parameters()] == ["a.weight", "a.bias", "b.bias"]


def test_reassigning_an_attribute_moves_it_between_registries():
    m = nn.Module()
    m.x = nn.Parameter([1.0])
    m.x = nn.Linear(1, 1)
    assert "x" not in m._parameters and "x" in m._modules
    with pytest.raises(TypeError, match="parameter 'bias'"):
        lin = nn.Linear(1, 1)
        lin.bias = Tensor([1.0])
    lin = nn.Linear(2, 1)
    lin.bias = None
    assert [n for n, _ in lin.named_parameters()] == ["weight"]


def test_parameter_before_init_is_a_clear_error():
    class Broken(nn.Module):
        def __init__(self):
            self.w = nn.Parameter([1.0])

    with pytest.raises(AttributeError, match="super\\(\\).__init__\\(\\)"):
        Broken()


def test_unknown_attribute_names_the_class():
    with pytest.raises(AttributeError, match="'Model' object has no attribute 'nope'"):
        Model().nope


# -- modes and gradients ----------------------------------------------------------------

def test_train_and_eval_set_every_submodule():
    m = Model()
    assert all(x.training for x in m.modules())
    assert m.eval() is m
    assert not any(x.training for x in m.modules())
    m.train()
    assert all(x.training for x in m.modules())


def test_zero_grad_sets_every_grad_to_none():
    m = Model()
    m(ag.randn(5, 3)).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())


def test_to_casts_parameters():
    m = Model().to(np.float32)
    assert all(p.dtype == np.float32 for p in m.parameters())


# -- state dicts ----------------------------------------------------------------------------

def test_state_dict_is_a_copy():
    m = Model()
    sd = m.state_dict()
    assert list(sd) == [n for n, _ in m.named_parameters()]
    sd["head.bias"][:] = 123.0
    assert not np.any(m.head.bias.data == 123.0), "state_dict must hand out copies"


def test_load_state_dict_round_trips():
    a, b = Model(), Model()
    b.load_state_dict(a.state_dict())
    for (na, pa), (nb, pb) in zip(a.named_parameters(), b.named_parameters()):
        np.testing.assert_array_equal(pa.data, pb.data, err_msg=na)
    x = ag.randn(4, 3)
    np.testing.assert_array_equal(a(x).data, b(x).data)


def test_load_state_dict_lists_every_problem_and_changes_nothing():
    m = Model()
    before = m.state_dict()
    bad = m.state_dict()
    del bad["head.bias"]                          # missing
    bad["extra.weight"] = np.zeros(3)             # unexpected
    bad["encoder.fc.weight"] = np.zeros((3, 4))   # wrong shape (transposed)
    bad["scale"] = np.full(2, 7.0)                # fine, but must not be loaded either
    with pytest.raises(ValueError) as err:
        m.load_state_dict(bad)
    msg = str(err.value)
    for needle in ("missing: 'head.bias'", "unexpected: 'extra.weight'",
                   "'encoder.fc.weight': shape (3, 4) in the state dict, (4, 3) in the model",
                   "nothing was loaded"):
        assert needle in msg, f"{needle!r} not in the error:\n{msg}"
    for name, arr in m.state_dict().items():
        np.testing.assert_array_equal(arr, before[name], err_msg=f"{name} changed")


def test_load_state_dict_non_strict_reports_keys_but_still_checks_shapes():
    m = Model()
    sd = m.state_dict()
    sd["scale"] = np.full(2, 3.0)
    del sd["head.bias"]
    sd["junk"] = np.zeros(1)
    missing, unexpected = m.load_state_dict(sd, strict=False)
    assert missing == ["head.bias"] and unexpected == ["junk"]
    np.testing.assert_array_equal(m.scale.data, [3.0, 3.0])
    sd["scale"] = np.zeros(5)
    with pytest.raises(ValueError, match="'scale': shape"):
        m.load_state_dict(sd, strict=False)


def test_load_state_dict_casts_to_the_parameter_dtype_and_accepts_tensors():
    m = nn.Linear(2, 2)
    m.load_state_dict({"weight": Tensor(np.ones((2, 2), np.float32)), "bias": [1, 2]})
    assert m.weight.dtype == np.float64 and m.bias.dtype == np.float64
    np.testing.assert_array_equal(m.bias.data, [1.0, 2.0])


# -- save and load -----------------------------------------------------------------------------

def test_save_and_load_round_trip_exactly(tmp_path):
    a, b = Model(), Model()
    path = tmp_path / "model.npz"
    a.save(path)
    assert b.load(path) is b
    for name, arr in a.state_dict().items():
        got = b.state_dict()[name]
        assert got.dtype == arr.dtype
        np.testing.assert_array_equal(got, arr, err_msg=name)


def test_save_is_atomic_when_writing_fails(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    first = Model()
    first.save(path)
    old_bytes = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(OSError, match="simulated"):
        Model().save(path)
    assert path.read_bytes() == old_bytes, "a failed save must leave the old file as it was"
    assert os.listdir(tmp_path) == ["model.npz"], "the temporary file must be removed"


def test_save_is_atomic_when_interrupted_mid_write(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    Model().save(path)
    old_bytes = path.read_bytes()
    real_savez = np.savez

    def half_then_crash(f, **arrays):
        real_savez(f, **arrays)
        f.truncate(20)
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", half_then_crash)
    with pytest.raises(KeyboardInterrupt):
        Model().save(path)
    assert path.read_bytes() == old_bytes
    assert os.listdir(tmp_path) == ["model.npz"]


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_loading_a_corrupt_file_raises_and_changes_nothing(tmp_path, damage):
    path = tmp_path / "model.npz"
    Model().save(path)
    data = path.read_bytes()
    path.write_bytes({"truncate": data[: len(data) // 2], "garbage": b"not a zip at all" * 10,
                      "empty": b""}[damage])
    m = Model()
    before = m.state_dict()
    with pytest.raises(ValueError, match="model.npz"):
        m.load(path)
    for name, arr in m.state_dict().items():
        np.testing.assert_array_equal(arr, before[name])


def test_loading_a_file_of_another_model_lists_the_mismatch(tmp_path):
    path = tmp_path / "other.npz"
    nn.Linear(3, 5).save(path)
    m = nn.Linear(3, 4)
    before = m.weight.data.copy()
    with pytest.raises(ValueError, match=r"'weight': shape \(5, 3\)"):
        m.load(path)
    np.testing.assert_array_equal(m.weight.data, before)


def test_load_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        Model().load(tmp_path / "none.npz")


# -- repr and summary ---------------------------------------------------------------------------

def test_repr_is_pytorch_like():
    expected = (
        "Model(\n"
        "  (encoder): Encoder(\n"
        "    (fc): Linear(in_features=3, out_features=4, bias=True)\n"
        "    (act): Tanh()\n"
        "  )\n"
        "  (head): Linear(in_features=4, out_features=2, bias=True)\n"
        ")")
    assert repr(Model()) == expected
    assert repr(nn.Linear(2, 3, bias=False)) == "Linear(in_features=2, out_features=3, bias=False)"


def test_summary_counts_and_shapes():
    m = nn.MLP(2, [16, 8], 3)
    text = m.summary(input_shape=(5, 2))
    rows = {line.split()[0]: line for line in text.splitlines()}
    # by hand: Linear(i, o) holds i*o + o numbers
    assert rows["0"].split()[-1] == "48" and "[5, 16]" in rows["0"]
    assert rows["2"].split()[-1] == "136" and "[5, 8]" in rows["2"]
    assert rows["4"].split()[-1] == "27" and "[5, 3]" in rows["4"]
    assert "Total params: 211" in text and "Trainable params: 211" in text
    assert "Non-trainable params: 0" in text


def test_summary_without_input_and_with_frozen_parameters():
    m = Model()
    m.head.weight.requires_grad_(False)
    text = m.summary()
    assert "--" in text
    total = 2 + 12 + 4 + 8 + 2
    assert f"Total params: {total}" in text
    assert f"Trainable params: {total - 8}" in text and "Non-trainable params: 8" in text


def test_summary_restores_modes_and_hooks_and_draws_nothing():
    m = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.5))
    ag.manual_seed(1)
    expected = ag.generator().random()
    ag.manual_seed(1)
    m.summary((2, 3))
    assert m.training and m[1].training
    assert not m._forward_hooks and not m[0]._forward_hooks
    assert ag.generator().random() == expected, "summary must not consume random draws"


def test_summary_total_matches_torch():
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Sequential(torch.nn.Embedding(10, 4), torch.nn.Flatten(),
                                 torch.nn.Linear(12, 5), torch.nn.PReLU(5), torch.nn.Linear(5, 2))
    ours = nn.Sequential(nn.Embedding(10, 4), nn.Flatten(), nn.Linear(12, 5), nn.PReLU(5),
                         nn.Linear(5, 2))
    n = sum(p.numel() for p in theirs.parameters())
    text = ours.summary(input_shape=(7, 3))
    assert f"Total params: {n}" in text
    assert "[7, 3, 4]" in text and "[7, 12]" in text and "[7, 2]" in text


# -- calling: name scopes and hooks -----------------------------------------------------------------

def test_calling_a_submodule_pushes_its_attribute_path():
    m = Model()
    y = m(ag.randn(2, 3))
    scopes = set()
    stack = [y]
    while stack:
        v = stack.pop()
        if v.grad_fn is not None:
            scopes.add(v.grad_fn.scope)
            stack.extend(i for i in v.grad_fn.inputs if isinstance(i, Tensor))
    assert {"encoder/fc", "encoder/act", "head", ""} <= scopes, scopes


def test_calling_a_nested_module_directly_pushes_the_whole_path():
    class Direct(Model):
        def forward(self, x):
            return self.encoder.fc(x)

    y = Direct()(ag.randn(2, 3))
    assert y.grad_fn.scope == "encoder/fc"


def test_forward_hook_sees_output_and_can_be_removed():
    m = Model()
    seen = []
    handle = m.head.register_forward_hook(lambda mod, inputs, out: seen.append(out.shape))
    m(ag.randn(3, 3))
    handle.remove()
    m(ag.randn(3, 3))
    assert seen == [(3, 2)]


# -- containers -----------------------------------------------------------------------------------

def test_sequential_applies_in_order_and_indexes():
    s = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    x = ag.randn(4, 2)
    expected = s[2](s[1](s[0](x)))
    np.testing.assert_array_equal(s(x).data, expected.data)
    assert len(s) == 3 and isinstance(s[-1], nn.Linear)
    assert isinstance(s[:2], nn.Sequential) and len(s[:2]) == 2
    assert [n for n, _ in s.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    with pytest.raises(TypeError, match="nn.Module"):
        nn.Sequential(nn.ReLU(), lambda x: x)
    with pytest.raises(IndexError, match="out of range"):
        s[3]


def test_module_list_registers_its_elements():
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    ml.append(nn.Linear(2, 1))
    assert len(ml) == 4 and len(list(ml.parameters())) == 8
    assert [n for n, _ in ml.named_parameters()][-1] == "3.bias"
    with pytest.raises(TypeError, match="nn.Modules"):
        ml.append("relu")
    with pytest.raises(NotImplementedError):
        ml(ag.randn(1, 2))


def test_deepcopy_gives_independent_parameters():
    m = Model()
    c = copy.deepcopy(m)
    assert isinstance(c.head.weight, nn.Parameter)
    c.head.weight.data += 1
    assert not np.allclose(c.head.weight.data, m.head.weight.data)
    x = ag.randn(2, 3)
    c.load_state_dict(m.state_dict())
    np.testing.assert_array_equal(c(x).data, m(x).data)


# -- where registered attributes live ----------------------------------------------------------
# A parameter, buffer or submodule is kept in its registry (names, order) and as a plain
# instance attribute (so reading it in forward is an ordinary lookup); the two must agree.

def _registered_names_agree(m):
    for key in ("_parameters", "_buffers", "_modules"):
        for name, value in getattr(m, key).items():
            assert vars(m)[name] is value, f"{key} '{name}' and the instance attribute differ"
            assert getattr(m, name) is value


def test_registered_attributes_are_instance_attributes_in_step_with_the_registries():
    m = Model()
    for sub in m.modules():
        _registered_names_agree(sub)
    assert vars(m.head)["weight"] is m.head._parameters["weight"]
    assert vars(m)["encoder"] is m._modules["encoder"]
    loss = nn.CrossEntropyLoss(weight=np.ones(2))
    assert vars(loss)["weight"] is loss._buffers["weight"]
    _registered_names_agree(loss)


def test_replacing_and_deleting_keep_registry_and_attribute_in_step():
    m = Model()
    new = nn.Parameter(np.zeros((2, 4)))
    m.head.weight = new
    assert m.head.weight is new and m.head._parameters["weight"] is new
    assert [n for n, _ in m.named_parameters()][-2:] == ["head.weight", "head.bias"], \
        "a replaced parameter keeps its place in the order"
    m.head.bias = None
    assert m.head.bias is None and m.head._parameters["bias"] is None
    assert [n for n, _ in m.head.named_parameters()] == ["weight"]
    del m.head.weight
    assert "weight" not in m.head._parameters and "weight" not in vars(m.head)
    with pytest.raises(AttributeError, match="no attribute 'weight'"):
        m.head.weight
    m.head = nn.Linear(4, 3)
    assert m._modules["head"] is m.head and vars(m)["head"] is m.head
    del m.head
    assert "head" not in m._modules and "head" not in vars(m)
    assert [n for n, _ in m.named_children()] == ["encoder"]
    _registered_names_agree(m)


def test_an_attribute_moving_between_kinds_lives_in_one_place():
    m = nn.Module()
    m.x = 3                                     # plain
    m.register_parameter("x", nn.Parameter([1.0]))
    assert isinstance(m.x, nn.Parameter) and "x" in m._parameters
    m.register_buffer("x", np.zeros(2))
    assert "x" not in m._parameters and isinstance(m.x, Tensor) and "x" in m._buffers
    m.x = np.ones(2)                            # a buffer stays a buffer
    np.testing.assert_array_equal(m.x.data, np.ones(2))
    assert m._buffers["x"] is m.x
    m.add_module("x", nn.Identity())
    assert "x" not in m._buffers and m._modules["x"] is m.x
    m.x = nn.Parameter([2.0])
    assert "x" not in m._modules and m._parameters["x"] is m.x
    assert list(m.state_dict()) == ["x"]
    _registered_names_agree(m)


def test_state_dict_order_and_loading_are_unchanged_by_replacing_a_parameter():
    m = Model()
    names = list(m.state_dict())
    m.encoder.fc.weight = nn.Parameter(np.ones((4, 3)))
    assert list(m.state_dict()) == names
    sd = {k: np.full(v.shape, 0.5) for k, v in m.state_dict().items()}
    m.load_state_dict(sd)
    np.testing.assert_array_equal(m.encoder.fc.weight.data, np.full((4, 3), 0.5))


def test_containers_keep_their_numbered_children_as_attributes():
    ml = nn.ModuleList([nn.Linear(1, 1), nn.Tanh()])
    first = nn.ReLU()
    ml.insert(0, first)
    assert [type(m).__name__ for m in ml] == ["ReLU", "Linear", "Tanh"]
    assert getattr(ml, "0") is first and getattr(ml, "2") is ml[2]
    ml[1] = nn.Sigmoid()
    assert getattr(ml, "1") is ml[1] and isinstance(ml[1], nn.Sigmoid)
    _registered_names_agree(ml)
    s = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    _registered_names_agree(s)


def test_a_registry_written_directly_is_still_found():
    m = nn.Linear(2, 1)
    p = nn.Parameter(np.zeros(1))
    m._parameters["extra"] = p                  # bypasses __setattr__
    assert m.extra is p
    assert [n for n, _ in m.named_parameters()] == ["weight", "bias", "extra"]


def test_deepcopy_and_pickle_keep_one_object_per_parameter():
    import pickle
    m = Model()
    for c in (copy.deepcopy(m), pickle.loads(pickle.dumps(m))):
        assert c.head.weight is c.head._parameters["weight"]
        assert c.encoder is c._modules["encoder"]
        assert c.head.weight is not m.head.weight
        for sub in c.modules():
            _registered_names_agree(sub)


def test_a_module_name_with_a_slash_cannot_be_a_scope():
    m = nn.Module()
    m.add_module("a/b", nn.Identity())
    m.forward = lambda x: getattr(m, "a/b")(x)
    with pytest.raises(ValueError, match="name_scope"):
        m(ag.randn(2))
    assert ag.current_scope() == ""
