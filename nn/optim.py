"""Optimizers with PyTorch's update rules and defaults, and two learning-rate schedulers.

An optimizer holds parameter groups (dicts with 'params' and the
hyperparameters) and per-parameter state (momentum buffers, running averages).
`step()` reads each parameter's `.grad` and updates `.data` in place; it never
writes into a gradient array (gradients may share memory with each other).
Parameters whose `.grad` is None are skipped, as in PyTorch.

The rules, for a gradient g of parameter p (after weight decay g += wd p,
except AdamW, which decays p directly):

    SGD       b = mu b + (1 - dampening) g  (b = g at the first step)
              p -= lr (g + mu b)  with nesterov,  p -= lr b  without
    Adagrad   s += g^2;  p -= lr / (1 + (t - 1) lr_decay) * g / (sqrt(s) + eps)
    RMSprop   v = alpha v + (1 - alpha) g^2;  centered: m = alpha m + (1 - alpha) g,
              v~ = v - m^2;  d = g / (sqrt(v~) + eps);  with momentum b = mu b + d,
              p -= lr b;  without, p -= lr d
    Adam      m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2
              (amsgrad: v^ = max(v^, v) in place of v below)
              p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
"""

import copy
import math
import numbers

import numpy as np

import autograd as ag
from autograd import Tensor

from ._checks import check_int

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW",
           "LRScheduler", "StepLR", "ExponentialLR"]


def _check(value, name, owner, low=0.0, high=None, high_open=False):
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or math.isnan(value):
        raise TypeError(f"{owner}: {name} must be a number, got {value!r}")
    if value < low or (high is not None and (value >= high if high_open else value > high)):
        bound = f"in [{low}, {high})" if high is not None else f">= {low}"
        raise ValueError(f"{owner}: invalid {name} {value!r} (must be {bound})")


class Optimizer:
    """Base class: parameter groups, state, zero_grad, state_dict, the step loop."""

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.param_groups = []
        self._state = {}                     # id(param) -> dict of its state
        owner = type(self).__name__
        if isinstance(params, Tensor):
            raise TypeError(f"{owner}: params must be an iterable of Tensors or of dicts, got a "
                            f"single Tensor (wrap it in a list)")
        if isinstance(params, dict):
            params = [params]
        try:
            params = list(params)
        except TypeError:
            raise TypeError(f"{owner}: params must be an iterable of Tensors or of dicts, got "
                            f"{type(params).__name__}") from None
        if not params:
            raise ValueError(f"{owner}: got an empty parameter list (did the model define its "
                             f"parameters as nn.Parameter attributes?)")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        checked = [self._checked_group(g, seen=set()) for g in groups]
        seen = set()
        for g in checked:
            for p in g["params"]:
                if id(p) in seen:
                    raise ValueError(f"{owner}: a parameter appears in more than one group")
                seen.add(id(p))
        self.param_groups = checked

    def _checked_group(self, group, seen):
        owner = type(self).__name__
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError(f"{owner}: a parameter group must be a dict with a 'params' key, got "
                            f"{type(group).__name__}")
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        if not params:
            raise ValueError(f"{owner}: a parameter group has an empty parameter list")
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"{owner}: can only optimize Tensors, but parameter {i} is a "
                                f"{type(p).__name__}")
            if p.grad_fn is not None:
                raise ValueError(f"{owner}: can't optimize a non-leaf Tensor (parameter {i} was "
                                 f"computed by '{p.grad_fn.name}'); optimize the leaves it came from")
            if p.dtype.kind not in "fc":
                raise TypeError(f"{owner}: parameter {i} has dtype {p.dtype}; only float tensors "
                                f"can be optimized")
            if id(p) in seen:
                raise ValueError(f"{owner}: parameter {i} appears twice in one group")
            seen.add(id(p))
        out = dict(group)
        out["params"] = params
        for k, v in self.defaults.items():
            out.setdefault(k, v)
        self._validate(out)
        return out

    def add_param_group(self, param_group):
        group = self._checked_group(param_group, seen=set())
        have = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in have for p in group["params"]):
            raise ValueError(f"{type(self).__name__}.add_param_group: some parameters are "
                             f"already in another group")
        self.param_groups.append(group)

    # hyperparameters that must be numbers >= 0 (besides lr and weight_decay)
    _non_negative = ()
    # weight decay as L2: g += wd * p before the update (AdamW decays p itself)
    _l2_weight_decay = True

    def _validate(self, group):
        owner = type(self).__name__
        for name in ("lr", "weight_decay") + self._non_negative:
            _check(group.get(name, 0.0), "learning rate lr" if name == "lr" else name, owner)

    @property
    def state(self):
        """Parameter -> its state dict (momentum buffers, averages, step count)."""
        return {p: self._state[id(p)] for g in self.param_groups for p in g["params"]
                if id(p) in self._state}

    def zero_grad(self, set_to_none=True):
        """Forget every parameter's gradient: `.grad = None` (new zeros with set_to_none=False)."""
        for g in self.param_groups:
            for p in g["params"]:
                p.grad = None if set_to_none or p.grad is None else Tensor(np.zeros_like(p.data))

    def step(self, closure=None):
        """Update every parameter that has a gradient; `closure` (optional) recomputes
        and returns the loss first, as in PyTorch."""
        loss = None
        if closure is not None:
            with ag.enable_grad():
                loss = closure()
        states = self._state
        for group in self.param_groups:
            # what is the same for every parameter of the group, read once
            maximize = group.get("maximize", False)
            decay = group.get("weight_decay") if self._l2_weight_decay else 0.0
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                g = grad.data
                if g.shape != p.data.shape:
                    raise RuntimeError(f"{type(self).__name__}.step: a gradient of shape {g.shape} "
                                       f"for a parameter of shape {p.data.shape}")
                if maximize:
                    g = -g
                if decay:
                    g = g + decay * p.data
                state = states.get(id(p))
                if state is None:
                    state = states[id(p)] = {}
                self._update(p, g, group, state)
        return loss

    def _update(self, p, grad, group, state):
        raise NotImplementedError

    # -- saving and restoring ------------------------------------------------------
    def state_dict(self):
        """{'state': {index: {name: value}}, 'param_groups': [{..., 'params': [index]}]},
        PyTorch's layout: parameters are numbered in group order; arrays are copies."""
        index, groups, state = 0, [], {}
        for g in self.param_groups:
            ids = []
            for p in g["params"]:
                if id(p) in self._state:
                    state[index] = copy.deepcopy(self._state[id(p)])
                ids.append(index)
                index += 1
            packed = {k: v for k, v in g.items() if k != "params"}
            packed["params"] = ids
            groups.append(packed)
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore hyperparameters and state saved by `state_dict()` of an optimizer over
        parameters of the same shapes; a mismatch raises and changes nothing."""
        owner = f"{type(self).__name__}.load_state_dict"
        try:
            groups, state = state_dict["param_groups"], state_dict["state"]
        except (KeyError, TypeError):
            raise ValueError(f"{owner}: expected a dict with 'state' and 'param_groups'") from None
        if len(groups) != len(self.param_groups):
            raise ValueError(f"{owner}: the saved state has {len(groups)} parameter groups, this "
                             f"optimizer has {len(self.param_groups)}")
        index = {}
        for saved, mine in zip(groups, self.param_groups):
            if len(saved["params"]) != len(mine["params"]):
                raise ValueError(f"{owner}: a saved group has {len(saved['params'])} parameters, "
                                 f"the matching group here has {len(mine['params'])}")
            index.update(zip(saved["params"], mine["params"]))
        new_state = {}
        for k, st in state.items():
            if k not in index:
                raise ValueError(f"{owner}: state for parameter {k}, which no group lists")
            p = index[k]
            entry = {}
            for name, v in st.items():
                if isinstance(v, np.ndarray) or hasattr(v, "numpy"):
                    v = np.array(v.detach().numpy() if hasattr(v, "detach") else v)
                    if v.ndim and v.shape != p.data.shape:
                        raise ValueError(f"{owner}: state '{name}' of parameter {k} has shape "
                                         f"{v.shape}, the parameter has {p.data.shape}")
                    if v.ndim:
                        v = v.astype(p.data.dtype)
                    else:
                        v = v.item()
                entry[name] = v
            new_state[id(p)] = entry
        new_groups = []
        for saved, mine in zip(groups, self.param_groups):
            g = {k: copy.deepcopy(v) for k, v in saved.items() if k != "params"}
            g["params"] = mine["params"]
            self._validate(g)
            new_groups.append(g)
        self.param_groups = new_groups
        self._state = new_state

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(g.items()) if k != "params"]
        return "\n".join(lines + [")"])


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum (heavy ball or Nesterov),
    dampening and L2 weight decay; PyTorch's rule (see the module docstring)."""

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0,
                 nesterov=False, *, maximize=False):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))

    _non_negative = ("momentum", "dampening")

    def _validate(self, group):
        super()._validate(group)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("SGD: Nesterov momentum requires momentum > 0 and dampening = 0")

    def _update(self, p, grad, group, state):
        d_p = grad
        mu = group["momentum"]
        if mu:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = np.array(d_p, copy=True)
            else:
                buf = mu * buf + (1 - group["dampening"]) * d_p
            state["momentum_buffer"] = buf
            d_p = d_p + mu * buf if group["nesterov"] else buf
        p.data -= group["lr"] * d_p


class Adagrad(Optimizer):
    """Adagrad: each weight's step shrinks with the sum of its squared gradients."""

    def __init__(self, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10, *, maximize=False):
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      eps=eps, maximize=maximize))

    _non_negative = ("lr_decay", "initial_accumulator_value", "eps")

    def _update(self, p, grad, group, state):
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(p.data, group["initial_accumulator_value"])
        state["step"] += 1
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        state["sum"] = state["sum"] + grad * grad
        std = np.sqrt(state["sum"]) + group["eps"]
        p.data -= clr * grad / std


class RMSprop(Optimizer):
    """RMSprop: steps divided by a running root-mean-square of the gradients
    (centered: of their variance), with optional momentum."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                 centered=False, *, maximize=False):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered, maximize=maximize))

    _non_negative = ("alpha", "eps", "momentum")

    def _update(self, p, grad, group, state):
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(p.data)
            if group["momentum"] > 0:
                state["momentum_buffer"] = np.zeros_like(p.data)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(p.data)
        state["step"] += 1
        alpha = group["alpha"]
        state["square_avg"] = alpha * state["square_avg"] + (1 - alpha) * grad * grad
        if group["centered"]:
            state["grad_avg"] = state["grad_avg"] + (1 - alpha) * (grad - state["grad_avg"])
            avg = np.sqrt(state["square_avg"] - state["grad_avg"] * state["grad_avg"]) + group["eps"]
        else:
            avg = np.sqrt(state["square_avg"]) + group["eps"]
        if group["momentum"] > 0:
            state["momentum_buffer"] = group["momentum"] * state["momentum_buffer"] + grad / avg
            p.data -= group["lr"] * state["momentum_buffer"]
        else:
            p.data -= group["lr"] * grad / avg


class Adam(Optimizer):
    """Adam: steps from bias-corrected running means of the gradient and its square;
    `weight_decay` adds wd * p to the gradient (L2, as torch.optim.Adam), `amsgrad`
    uses the largest second moment seen so far."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 amsgrad=False, *, maximize=False):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize))

    _non_negative = ("eps",)

    def _validate(self, group):
        super()._validate(group)
        owner = type(self).__name__
        betas = group["betas"]
        if len(betas) != 2:
            raise ValueError(f"{owner}: betas must be a pair (beta1, beta2), got {betas!r}")
        _check(betas[0], "beta1 (betas[0])", owner, 0.0, 1.0, high_open=True)
        _check(betas[1], "beta2 (betas[1])", owner, 0.0, 1.0, high_open=True)

    def _update(self, p, grad, group, state):
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(p.data)
            state["exp_avg_sq"] = np.zeros_like(p.data)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(p.data)
        state["step"] += 1
        t = state["step"]
        beta1, beta2 = group["betas"]
        state["exp_avg"] = state["exp_avg"] + (1 - beta1) * (grad - state["exp_avg"])
        state["exp_avg_sq"] = beta2 * state["exp_avg_sq"] + (1 - beta2) * grad * grad
        step_size = group["lr"] / (1 - beta1 ** t)
        bias_correction2_sqrt = math.sqrt(1 - beta2 ** t)
        second = state["exp_avg_sq"]
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = np.maximum(state["max_exp_avg_sq"], second)
            second = state["max_exp_avg_sq"]
        denom = np.sqrt(second) / bias_correction2_sqrt + group["eps"]
        p.data -= step_size * (state["exp_avg"] / denom)


class AdamW(Adam):
    """Adam with decoupled weight decay: p -= lr * wd * p before the Adam step."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)

    _l2_weight_decay = False

    def _update(self, p, grad, group, state):
        if group["weight_decay"]:
            p.data *= 1 - group["lr"] * group["weight_decay"]
        super()._update(p, grad, group, state)


# -- learning-rate schedules ---------------------------------------------------------

class LRScheduler:
    """Sets each group's 'lr' at every `step()` (call it once per epoch, after
    `optimizer.step()`). Construction counts as step 0, as in PyTorch."""

    def __init__(self, optimizer, last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: expected an Optimizer, got "
                            f"{type(optimizer).__name__}")
        self.optimizer = optimizer
        if last_epoch == -1:
            for g in optimizer.param_groups:
                g.setdefault("initial_lr", g["lr"])
        elif any("initial_lr" not in g for g in optimizer.param_groups):
            raise ValueError(f"{type(self).__name__}: resuming at last_epoch={last_epoch} needs "
                             f"'initial_lr' in every parameter group")
        self.base_lrs = [g["initial_lr"] for g in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()

    def get_lr(self):
        raise NotImplementedError

    def step(self):
        self.last_epoch += 1
        lrs = self.get_lr()
        for g, lr in zip(self.optimizer.param_groups, lrs):
            g["lr"] = lr
        self._last_lr = list(lrs)

    def get_last_lr(self):
        return list(self._last_lr)

    def state_dict(self):
        return {k: copy.deepcopy(v) for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict):
        self.__dict__.update(copy.deepcopy(state_dict))


class StepLR(LRScheduler):
    """lr = initial_lr * gamma^(epoch // step_size): multiplied by gamma every step_size epochs."""

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        self.step_size = check_int(step_size, "step_size", "StepLR")
        _check(gamma, "gamma", "StepLR")
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        groups = self.optimizer.param_groups
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return [g["lr"] for g in groups]
        return [g["lr"] * self.gamma for g in groups]


class ExponentialLR(LRScheduler):
    """lr = initial_lr * gamma^epoch."""

    def __init__(self, optimizer, gamma, last_epoch=-1):
        _check(gamma, "gamma", "ExponentialLR")
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        groups = self.optimizer.param_groups
        if self.last_epoch == 0:
            return [g["lr"] for g in groups]
        return [g["lr"] * self.gamma for g in groups]
