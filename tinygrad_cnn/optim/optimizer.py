"""The :class:`Optimizer` base class: parameter groups, per-parameter state, state dicts.

Updates run on the raw arrays (``p.data``) with in-place array operations and no graph, so
a step costs a few array passes per parameter. Each update bumps the parameter's version
counter, as PyTorch's in-place update does: a graph built *before* the step and
back-propagated after it is refused, while graphs built after the step are unaffected.
"""

from __future__ import annotations

import copy

from tinygrad_cnn import backend
from tinygrad_cnn.engine import enable_grad
from tinygrad_cnn.nn.module import zero_grad_
from tinygrad_cnn.tensor import Tensor

__all__ = ["Optimizer"]


class _Required:
    def __repr__(self) -> str:
        return "<required parameter>"


required = _Required()


def check_hyper(opt: str, **values) -> None:
    """Refuse a negative hyperparameter, naming the optimiser, the argument and the value."""
    for arg, value in values.items():
        if not value >= 0:
            raise ValueError(f"{opt}: {arg}: expected a value >= 0, got {value}")


class Optimizer:
    """Base class of the optimisers: subclasses implement ``_update(p, grad, group, state)``.

    ``params`` is an iterable of Tensors or of dicts ``{"params": [...], "lr": ...}`` (parameter
    groups with their own hyper-parameters, as in PyTorch). ``_update`` changes ``p.data`` in
    place from ``grad`` (a raw array), the group's hyper-parameters and ``state`` (a dict kept
    per parameter); :meth:`step` calls it for every parameter that has a gradient.

    >>> import tinygrad_cnn as tg
    >>> class SignSGD(Optimizer):
    ...     def __init__(self, params, lr=0.5):
    ...         super().__init__(params, dict(lr=lr))
    ...     def _update(self, p, grad, group, state):
    ...         p.data -= group["lr"] * p.device.xp.sign(grad)
    >>> w = tg.Tensor([1.0, -2.0], requires_grad=True)
    >>> w.grad = tg.Tensor([3.0, -0.25])
    >>> SignSGD([w]).step()
    >>> w.tolist()
    [0.5, -1.5]
    """

    # Hyperparameters that must be >= 0: checked in every parameter group, so a group's own
    # values are checked like the defaults.
    _non_negative: tuple = ()

    def __init__(self, params, defaults: dict) -> None:
        self.defaults = dict(defaults)
        self.state: dict = {}  # Parameter -> dict of state (arrays and numbers)
        self.param_groups: list[dict] = []
        if isinstance(params, Tensor):
            raise TypeError("params: expected an iterable of Tensors or dicts, got a Tensor")
        params = list(params)
        if not params:
            raise ValueError(f"{type(self).__name__}: params: expected at least one parameter, got an empty list")
        if not isinstance(params[0], dict):
            params = [{"params": params}]
        for group in params:
            self.add_param_group(group)

    def add_param_group(self, group: dict) -> None:
        """Add a parameter group ``{"params": [...], **hyperparameters}``; missing
        hyper-parameters take the optimiser's defaults.

        >>> import tinygrad_cnn as tg
        >>> from tinygrad_cnn import optim
        >>> body, head = tg.ones(2, requires_grad=True), tg.ones(1, requires_grad=True)
        >>> opt = optim.SGD([body], lr=0.1, momentum=0.9)
        >>> opt.add_param_group({"params": [head], "lr": 0.01})
        >>> [(g["lr"], g["momentum"]) for g in opt.param_groups]
        [(0.1, 0.9), (0.01, 0.9)]
        """
        group = dict(group)
        params = group["params"]
        group["params"] = [params] if isinstance(params, Tensor) else list(params)
        for p in group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, got {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        for key, value in self.defaults.items():
            if value is required and key not in group:
                raise ValueError(f"parameter group didn't specify a value of required option {key!r}")
            group.setdefault(key, value)
        self._check_group(group)
        self.param_groups.append(group)

    def _check_group(self, group: dict) -> None:
        """Refuse a group's bad hyperparameters, naming the optimiser, the argument and the value."""
        check_hyper(type(self).__name__, **{key: group[key] for key in self._non_negative})

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the parameters' gradients: set them to None, or to zeros with
        ``set_to_none=False``.

        >>> import tinygrad_cnn as tg
        >>> from tinygrad_cnn import optim
        >>> w = tg.Tensor([1.0, 2.0], requires_grad=True)
        >>> opt = optim.SGD([w], lr=0.1)
        >>> w.sum().backward(); opt.zero_grad(set_to_none=False); w.grad.tolist()
        [0.0, 0.0]
        >>> opt.zero_grad(); w.grad is None
        True
        """
        for group in self.param_groups:
            for p in group["params"]:
                zero_grad_(p, set_to_none)

    def step(self, closure=None):
        """Apply one update to every parameter that has a gradient (parameters whose ``grad``
        is None are left alone).

        ``closure``, if given, is called first with gradients enabled; it should recompute the
        loss and its gradients, and ``step`` returns what it returns (else None).

        >>> import tinygrad_cnn as tg
        >>> from tinygrad_cnn import optim
        >>> w = tg.Tensor([1.0, 2.0], requires_grad=True)
        >>> opt = optim.SGD([w], lr=0.5)
        >>> w.grad = tg.Tensor([1.0, -1.0]); opt.step(); w.tolist()
        [0.5, 2.5]
        >>> def closure():
        ...     opt.zero_grad(); loss = (w * w).sum(); loss.backward(); return loss
        >>> opt.step(closure).item(), w.tolist()
        (6.5, [0.0, 0.0])
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state.setdefault(p, {})
                self._update(p, p.grad.data, group, state)
                p._version += 1
        return loss

    def _update(self, p: Tensor, grad, group: dict, state: dict) -> None:
        raise NotImplementedError

    # -- state dicts ------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """The optimiser's state as ``{"state": {index: {...}}, "param_groups": [{..., "params":
        [indices]}]}``, as in PyTorch.

        Parameters are numbered in group order; the state's arrays are shared, not copied (use
        :func:`tinygrad_cnn.save` to keep a snapshot).

        >>> import tinygrad_cnn as tg
        >>> from tinygrad_cnn import optim
        >>> w = tg.Tensor([1.0, -2.0], requires_grad=True)
        >>> opt = optim.Adam([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step()
        >>> sd = opt.state_dict()
        >>> sorted(sd["state"][0]), sd["param_groups"][0]["params"], sd["param_groups"][0]["lr"]
        (['exp_avg', 'exp_avg_sq', 'step'], [0], 0.1)
        """
        index, groups = {}, []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            ids = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            packed["params"] = ids
            groups.append(packed)
        state = {index[id(p)]: dict(s) for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore hyper-parameters and state saved by :meth:`state_dict` (arrays are copied to
        each parameter's device and dtype). The groups and their sizes must match.

        >>> import tinygrad_cnn as tg
        >>> from tinygrad_cnn import optim
        >>> w = tg.Tensor([1.0, -2.0], requires_grad=True)
        >>> opt = optim.Adam([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step()
        >>> new = optim.Adam([w], lr=0.5)
        >>> new.load_state_dict(opt.state_dict())
        >>> new.param_groups[0]["lr"], sorted(new.state[w]), new.state[w]["step"]
        (0.1, ['exp_avg', 'exp_avg_sq', 'step'], 1)
        """
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError(
                f"loaded state dict has {len(groups)} parameter groups, the optimizer has "
                f"{len(self.param_groups)}"
            )
        by_index = {}
        for i, (saved, own) in enumerate(zip(groups, self.param_groups)):
            if len(saved["params"]) != len(own["params"]):
                raise ValueError(
                    f"parameter group {i}: the loaded state dict has {len(saved['params'])} "
                    f"parameters, the optimizer has {len(own['params'])}"
                )
            for idx, p in zip(saved["params"], own["params"]):
                by_index[int(idx)] = p
        self.state = {}
        for idx, s in state_dict["state"].items():
            p = by_index[int(idx)]
            self.state[p] = {k: _to_param(v, p) for k, v in s.items()}
        for saved, own in zip(groups, self.param_groups):
            for k, v in saved.items():
                if k != "params":
                    own[k] = tuple(v) if isinstance(v, list) else copy.deepcopy(v)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params")
        return "\n".join(lines) + "\n)"


def _to_param(value, p: Tensor):
    """A saved state value as a fresh array on ``p``'s device (floats in ``p``'s dtype)."""
    if isinstance(value, Tensor):
        value = value.data
    if backend._is_array(value):
        arr = backend.to_device(value, p.device)
        if arr.dtype.kind == "f":
            arr = arr.astype(p.dtype, copy=False)
        return arr.copy()
    return value
