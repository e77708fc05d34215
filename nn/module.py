"""`Module`, `Parameter` and the containers `Sequential` and `ModuleList`.

A module is a Python object whose attributes are its parameters (tensors that
require grad) and its submodules. Setting `self.weight = Parameter(...)` or
`self.fc = Linear(...)` registers them; everything else here (parameters(),
state_dict(), zero_grad(), repr, summary) walks that tree in the order the
attributes were set, as PyTorch does, so the names are PyTorch's:
`encoder.fc.weight`.

A registered parameter, buffer or submodule is kept in its registry
(`_parameters`, `_buffers`, `_modules`: the order and the names) and also as a
plain instance attribute, so that `self.weight` in a forward is an ordinary
attribute read. (PyTorch keeps them in the registries only and finds them in
`__getattr__`, after the normal lookup has failed: 0.4 us per read, several per
layer call.) Every change goes through `__setattr__`, `__delattr__` or the
`register_*` methods, which keep the two in step; `__getattr__` still looks in
the registries, for a registry written directly.

Calling a module runs `forward` inside `ag.name_scope` of its attribute path in
the module that called it (`model.encoder.fc` called from `model` records
`encoder/fc`), so a drawing of the graph can group nodes by module. No module
writes a backward pass: `forward` is made of autograd operations only.
"""

import contextlib
import os
import tempfile
import zipfile
from collections import OrderedDict, namedtuple

import numpy as np

import autograd as ag
from autograd import Tensor
from autograd.graph import state as _graph_state

__all__ = ["Parameter", "Module", "Sequential", "ModuleList", "ModuleDict"]


class Parameter(Tensor):
    """A tensor that is a module's learnable weight: it requires grad and is
    registered when set as a module attribute.

    The data are copied (a Parameter owns its array, so optimizers updating it in
    place never touch the array it was made from). Python numbers, lists and
    integer arrays become the default float dtype; float arrays keep theirs.
    On registration the parameter's `label` (drawn in graphs) becomes its
    attribute name unless it already has one.
    """

    def __init__(self, data=None, requires_grad=True, label=None):
        if data is None:
            data = np.empty(0, ag.get_default_dtype())
        if isinstance(data, Tensor):
            label = label if label is not None else data.label
            data = data.data
        arr = np.array(data, copy=True) if isinstance(data, np.ndarray) else data
        super().__init__(arr, label=label)
        if self.data.dtype.kind not in "fc":
            self.data = self.data.astype(ag.get_default_dtype())
        self.requires_grad_(requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self.data, self.requires_grad, self.label))


def _rebuild_parameter(data, requires_grad, label):
    return Parameter(data, requires_grad=requires_grad, label=label)


_LoadResult = namedtuple("_LoadResult", ["missing_keys", "unexpected_keys"])

# The modules whose forward is running, innermost last: a module called inside
# another finds its attribute path from the caller to push it as a name scope.
_call_stack = []


class RemovableHandle:
    """Returned by `register_forward_hook`; `.remove()` unregisters the hook."""

    _next_id = 0

    def __init__(self, hooks):
        self.hooks = hooks
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self):
        self.hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class Module:
    """Base class of every layer and model. Subclasses set parameters and
    submodules as attributes in `__init__` (after `super().__init__()`) and
    define `forward`.
    """

    def __init__(self):
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_modules"] = OrderedDict()
        d["_forward_hooks"] = OrderedDict()
        d["_forward_pre_hooks"] = OrderedDict()

    # -- registration -------------------------------------------------------------
    def _check_init(self, what):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {what} before Module.__init__() call "
                                 f"(call super().__init__() first in {type(self).__name__}.__init__)")

    def __setattr__(self, name, value):
        d = self.__dict__
        if isinstance(value, Parameter):
            self._check_init("parameters")
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            self._check_init("submodules")
            self._forget(name, "_modules")
            self._keep("_modules", name, value)
        elif "_parameters" in d and name in d["_parameters"]:
            if value is not None:
                raise TypeError(f"cannot assign a {type(value).__name__} as parameter '{name}' of "
                                f"{type(self).__name__} (nn.Parameter or None expected)")
            self._keep("_parameters", name, None)
        elif "_modules" in d and name in d["_modules"]:
            if value is not None:
                raise TypeError(f"cannot assign a {type(value).__name__} as child module '{name}' "
                                f"of {type(self).__name__} (nn.Module or None expected)")
            self._keep("_modules", name, None)
        elif "_buffers" in d and name in d["_buffers"]:
            if value is not None and not isinstance(value, (Tensor, np.ndarray)):
                raise TypeError(f"cannot assign a {type(value).__name__} as buffer '{name}' of "
                                f"{type(self).__name__} (a Tensor, ndarray or None expected)")
            self._keep("_buffers", name, _as_buffer(value))
        else:
            object.__setattr__(self, name, value)

    def _keep(self, registry, name, value):
        """Put `value` in `registry` under `name`, and as the instance attribute `name`
        (bypassing __setattr__) so that reading it is a plain attribute lookup."""
        d = self.__dict__
        d[registry][name] = value
        d[name] = value

    def _forget(self, name, staying=None):
        """Remove `name` from wherever it was, so an attribute lives in one place; in the
        registry `staying` it is about to be replaced, and keeps its place (as in PyTorch)."""
        d = self.__dict__
        d.pop(name, None)
        for key in ("_parameters", "_buffers", "_modules"):
            if key != staying:
                d[key].pop(name, None)

    def __getattr__(self, name):
        # only called when normal lookup fails: a registered name is an instance
        # attribute too, so this finds only what was written into a registry directly
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            reg = d.get(key)
            if reg is not None and name in reg:
                return reg[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            reg = d.get(key)
            if reg is not None and name in reg:
                del reg[name]
                d.pop(name, None)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        extra = [*self._parameters, *self._buffers, *self._modules]
        return sorted(set(super().__dir__()) | set(extra))

    def register_parameter(self, name, param):
        """Register `param` (a Parameter, or None for an absent one like `bias=False`)."""
        self._check_init("parameters")
        _check_name(name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: '{name}' must be an nn.Parameter or None, "
                            f"got {type(param).__name__}")
        if param is not None and param.label is None:
            param.label = name
        self._forget(name, "_parameters")
        self._keep("_parameters", name, param)

    def register_buffer(self, name, value):
        """A non-learnable array kept in `state_dict` (e.g. running statistics)."""
        self._check_init("buffers")
        _check_name(name, "buffer")
        self._forget(name, "_buffers")
        self._keep("_buffers", name, _as_buffer(value))

    def add_module(self, name, module):
        self._check_init("submodules")
        _check_name(str(name), "module")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: '{name}' must be an nn.Module or None, "
                            f"got {type(module).__name__}")
        self._forget(str(name), "_modules")
        self._keep("_modules", str(name), module)

    register_module = add_module

    # -- walking the tree ---------------------------------------------------------
    def named_modules(self, memo=None, prefix=""):
        """(dotted name, module) for this module ('') and every submodule, each once."""
        memo = set() if memo is None else memo
        stack = [(prefix, self)]
        while stack:
            name, m = stack.pop()
            if id(m) in memo:
                continue
            memo.add(id(m))
            yield name, m
            kids = [(f"{name}.{k}" if name else k, c) for k, c in m._modules.items() if c is not None]
            stack.extend(reversed(kids))

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self):
        for _, m in self.named_children():
            yield m

    def _named_members(self, registry, prefix, recurse):
        seen = set()
        mods = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for mod_name, m in mods:
            for name, v in getattr(m, registry).items():
                if v is None or id(v) in seen:
                    continue
                seen.add(id(v))
                yield (f"{mod_name}.{name}" if mod_name else name), v

    def named_parameters(self, prefix="", recurse=True):
        """(dotted name, Parameter) pairs, each parameter once (shared ones too)."""
        return self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True):
        return self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def apply(self, fn):
        """Call `fn(module)` on every submodule, then on this one (PyTorch's order)."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def num_parameters(self, trainable_only=False):
        return sum(p.data.size for p in self.parameters()
                   if p.requires_grad or not trainable_only)

    # -- modes and gradients ------------------------------------------------------
    def train(self, mode=True):
        """Set training mode (Dropout active) on this module and every submodule."""
        if not isinstance(mode, bool):
            raise TypeError(f"train: mode must be a bool, got {type(mode).__name__}")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self):
        """Evaluation mode: `train(False)`."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Forget the gradients of every parameter: `.grad = None` (or new zeros with
        set_to_none=False; never written in place, as gradients may share memory)."""
        for p in self.parameters():
            p.grad = None if set_to_none or p.grad is None else Tensor(np.zeros_like(p.data))

    def to(self, dtype):
        """Cast every parameter and float buffer to `dtype` (e.g. np.float64), in place."""
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"to: modules hold float parameters, got dtype {dtype}")
        for p in self.parameters():
            p.data = p.data.astype(dtype)
            if p.grad is not None:
                p.grad = Tensor(p.grad.data.astype(dtype))
        for m in self.modules():
            for k, b in m._buffers.items():
                if b is not None and b.data.dtype.kind == "f":
                    m._keep("_buffers", k, Tensor(b.data.astype(dtype)))
        return self

    def double(self):
        return self.to(np.float64)

    def float(self):
        return self.to(np.float32)

    # -- calling ------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward(...)")

    def __call__(self, *args, **kwargs):
        # every layer of every step goes through here: no hook loop when there is
        # no hook, and the scope set directly (what `ag.name_scope` does, without
        # making and entering one context per part of the path)
        if self._forward_pre_hooks:
            for hook in list(self._forward_pre_hooks.values()):
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        path = _scope_path(_call_stack[-1], self) if _call_stack else ""
        _call_stack.append(self)
        if not path:                    # the model itself: no scope to push
            try:
                out = self.forward(*args, **kwargs)
            finally:
                _call_stack.pop()
        else:
            prev = _graph_state.scope
            _graph_state.scope = f"{prev}/{path}" if prev else path
            try:
                out = self.forward(*args, **kwargs)
            finally:
                _graph_state.scope = prev
                _call_stack.pop()
        if self._forward_hooks:
            for hook in list(self._forward_hooks.values()):
                result = hook(self, args, out)
                if result is not None:
                    out = result
        return out

    def register_forward_hook(self, hook):
        """`hook(module, inputs, output)` runs after every forward; it may return a new output."""
        handle = RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    def register_forward_pre_hook(self, hook):
        """`hook(module, inputs)` runs before every forward; it may return new inputs."""
        handle = RemovableHandle(self._forward_pre_hooks)
        self._forward_pre_hooks[handle.id] = hook
        return handle

    # -- state ----------------------------------------------------------------------
    def state_dict(self):
        """name -> a copy of the array, for every parameter and buffer (PyTorch's names)."""
        return OrderedDict((name, t.data.copy()) for name, t in self._state_entries().items())

    def _state_entries(self):
        entries = OrderedDict(self.named_parameters())
        entries.update(self.named_buffers())
        return entries

    def load_state_dict(self, state_dict, strict=True):
        """Copy arrays from `state_dict` (name -> array or Tensor) into the parameters.

        Every problem is found first and reported together in one error, and then
        nothing is changed: a missing or unexpected name (with `strict=True`), a
        wrongly shaped array (always), a value that is not numeric.
        Returns `(missing_keys, unexpected_keys)`.
        """
        if not hasattr(state_dict, "keys"):
            raise TypeError(f"load_state_dict: expected a mapping name -> array, "
                            f"got {type(state_dict).__name__}")
        own = self._state_entries()
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        problems, new = [], {}
        for name, target in own.items():
            if name not in state_dict:
                continue
            try:
                arr = _to_numpy(state_dict[name])
            except (TypeError, ValueError) as exc:
                problems.append(f"  '{name}': not an array ({exc})")
                continue
            if arr.shape != target.data.shape:
                problems.append(f"  '{name}': shape {arr.shape} in the state dict, "
                                f"{target.data.shape} in the model")
            elif arr.dtype.kind not in "biuf":
                problems.append(f"  '{name}': dtype {arr.dtype} is not numeric")
            else:
                new[name] = arr
        if strict:
            problems = ([f"  missing: '{k}'" for k in missing]
                        + [f"  unexpected: '{k}'" for k in unexpected] + problems)
        if problems:
            raise ValueError(f"load_state_dict: the state dict does not fit "
                             f"{type(self).__name__} (nothing was loaded):\n" + "\n".join(problems))
        for name, arr in new.items():
            target = own[name]
            target.data = arr.astype(target.data.dtype, copy=True)
        return _LoadResult(missing, unexpected)

    def save(self, path):
        """Write `state_dict()` to `path` as .npz, atomically: a crash mid-save keeps the old file."""
        path = os.fspath(path)
        arrays = self.state_dict()
        directory = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=directory)
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, **arrays)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.remove(tmp)
            raise
        return path

    def load(self, path):
        """Load parameters saved by `save(path)`; a corrupt file raises and changes nothing."""
        path = os.fspath(path)
        try:
            with np.load(path, allow_pickle=False) as f:
                arrays = {k: f[k] for k in f.files}
        except FileNotFoundError:
            raise
        except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as exc:
            raise ValueError(f"load: '{path}' is not a readable .npz state file "
                             f"({type(exc).__name__}: {exc})") from None
        self.load_state_dict(arrays)
        return self

    # -- printing -------------------------------------------------------------------
    def extra_repr(self):
        """The arguments shown between the parentheses of this module's repr."""
        return ""

    def __repr__(self):
        extra = self.extra_repr()
        lines = []
        for name, m in self._modules.items():
            child = _indent(repr(m), 2)
            lines.append(f"({name}): {child}")
        if not lines:
            return f"{type(self).__name__}({extra})"
        body = ([extra] if extra else []) + lines
        return f"{type(self).__name__}(\n  " + "\n  ".join(body) + "\n)"

    def summary(self, input_shape=None, dtype=None):
        """A table of layers: name (type), output shape, parameter count, totals.

        With `input_shape` (the full shape, batch included) a forward pass on
        zeros (no grad, eval mode, then the modes are restored) records each
        module's output shape; without it the shape column shows '--'.
        The counts are those of `torchinfo` and Keras: the parameters each module
        holds itself (containers without their own show '--'), and the total
        counts every parameter once.
        """
        return _summarize(self, input_shape, dtype)


def _check_name(name, what):
    if not isinstance(name, str):
        raise TypeError(f"{what} name must be a str, got {type(name).__name__}")
    if not name or "." in name:
        raise ValueError(f"{what} name must be non-empty and contain no '.', got {name!r}")


def _as_buffer(value):
    if value is None or isinstance(value, Tensor):
        return value
    return Tensor(np.asarray(value))


def _to_numpy(value):
    if isinstance(value, Tensor):
        return value.data
    if hasattr(value, "detach") and hasattr(value, "numpy"):      # a torch tensor
        return value.detach().cpu().numpy()
    arr = np.asarray(value)
    return arr


def _indent(text, n):
    lines = text.split("\n")
    return lines[0] + "".join("\n" + " " * n + line for line in lines[1:])


def _scope_path(caller, module):
    """The attribute path from `caller` to `module` as a name scope ('encoder/fc'),
    or '' if `module` is not below it. A name that no name scope accepts (one
    with a '/') raises name_scope's error."""
    if caller is module:
        return ""
    for name, m in caller._modules.items():
        if m is module:
            if "/" in name:
                ag.name_scope(name)             # raises
            return name
    for name, m in caller.named_modules():
        if m is module:
            parts = name.split(".")
            for part in parts:
                ag.name_scope(part)             # raises for a part a scope cannot have
            return "/".join(parts)
    return ""


def _shape_text(out):
    if isinstance(out, Tensor):
        return str(list(out.shape))
    if isinstance(out, (tuple, list)):
        inner = ", ".join(_shape_text(o) for o in out)
        return f"({inner})" if isinstance(out, tuple) else f"[{inner}]"
    if isinstance(out, np.ndarray):
        return str(list(out.shape))
    return "--"


def _summarize(model, input_shape, dtype):
    named = list(model.named_modules())
    shapes = {}
    if input_shape is not None:
        shape = (int(input_shape),) if np.isscalar(input_shape) else tuple(int(s) for s in input_shape)
        if dtype is None:
            from .linear import Embedding
            leaves = [m for _, m in named if not m._modules]
            dtype = np.int64 if leaves and isinstance(leaves[0], Embedding) else ag.get_default_dtype()

        def recorder(module, inputs, output):
            shapes[id(module)] = _shape_text(output)

        handles = [m.register_forward_hook(recorder) for _, m in named]
        modes = [(m, m.training) for _, m in named]
        try:
            model.eval()
            with ag.no_grad():
                model(ag.zeros(shape, dtype=dtype))
        finally:
            for h in handles:
                h.remove()
            for m, mode in modes:
                object.__setattr__(m, "training", mode)
    rows = []
    for name, m in named:
        depth = name.count(".") + 1 if name else 0
        title = type(m).__name__ if not name else f"{name.rsplit('.', 1)[-1]} ({type(m).__name__})"
        own = sum(p.data.size for p in m._parameters.values() if p is not None)
        count = "--" if own == 0 and m._modules else f"{own:,}"
        rows.append(("  " * depth + title, shapes.get(id(m), "--"), count))
    header = ("Layer (type)", "Output shape", "Param #")
    widths = [max(len(r[i]) for r in rows + [header]) + 3 for i in range(3)]

    def line(r):
        return (r[0].ljust(widths[0]) + r[1].ljust(widths[1]) + r[2].rjust(widths[2])).rstrip()

    total = sum(p.data.size for p in model.parameters())
    trainable = sum(p.data.size for p in model.parameters() if p.requires_grad)
    rule = "=" * sum(widths)
    out = [rule, line(header), rule] + [line(r) for r in rows] + [rule,
           f"Total params: {total:,}", f"Trainable params: {trainable:,}",
           f"Non-trainable params: {total - trainable:,}", rule]
    return "\n".join(out)


class Sequential(Module):
    """Modules applied one after another: `Sequential(a, b, c)(x) = c(b(a(x)))`.

    Children are named '0', '1', ... (or by the keys of an OrderedDict), as in PyTorch.
    """

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, m in modules[0].items():
                self._add(name, m)
        else:
            for i, m in enumerate(modules):
                self._add(str(i), m)

    def _add(self, name, module):
        if not isinstance(module, Module):
            raise TypeError(f"{type(self).__name__}: every element must be an nn.Module, "
                            f"got {type(module).__name__} at position {name}")
        self.add_module(name, module)

    def forward(self, x):
        for m in self._modules.values():
            x = m(x)
        return x

    def append(self, module):
        self._add(str(len(self._modules)), module)
        return self

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, idx):
        items = list(self._modules.items())
        if isinstance(idx, slice):
            return Sequential(OrderedDict(items[idx]))
        return items[_index(idx, len(items), type(self).__name__)][1]


def _index(idx, n, who):
    if not isinstance(idx, (int, np.integer)):
        raise TypeError(f"{who} indices must be integers or slices, got {type(idx).__name__}")
    if not -n <= idx < n:
        raise IndexError(f"{who}: index {idx} is out of range for {n} modules")
    return int(idx) % n


class ModuleList(Module):
    """A list of modules whose parameters are registered (names '0', '1', ...).

    It has no forward: the owner decides how to call its elements.
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _check(self, module):
        if not isinstance(module, Module):
            raise TypeError(f"ModuleList: elements must be nn.Modules, got {type(module).__name__}")
        return module

    def append(self, module):
        self.add_module(str(len(self._modules)), self._check(module))
        return self

    def extend(self, modules):
        modules = [self._check(m) for m in modules]
        for m in modules:
            self.append(m)
        return self

    def insert(self, index, module):
        mods = list(self._modules.values())
        mods.insert(index, self._check(module))
        for name in list(self._modules):
            self._forget(name)
        for i, m in enumerate(mods):
            self._keep("_modules", str(i), m)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, idx):
        mods = list(self._modules.values())
        if isinstance(idx, slice):
            return ModuleList(mods[idx])
        return mods[_index(idx, len(mods), "ModuleList")]

    def __setitem__(self, idx, module):
        i = _index(idx, len(self._modules), "ModuleList")
        self._keep("_modules", str(i), self._check(module))

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleList has no forward; iterate over it and call its modules")


class ModuleDict(Module):
    """A dict of modules whose parameters are registered under their keys."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            for k, m in dict(modules).items():
                self[k] = m

    def __setitem__(self, key, module):
        if not isinstance(module, Module):
            raise TypeError(f"ModuleDict: values must be nn.Modules, got {type(module).__name__}")
        self.add_module(key, module)

    def __getitem__(self, key):
        return self._modules[key]

    def __contains__(self, key):
        return key in self._modules

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()
