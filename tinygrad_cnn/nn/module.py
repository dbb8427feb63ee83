"""``Module`` and ``Parameter``: the containers that hold a network's state (PyTorch's API).

A module keeps three ordered registries, filled by plain attribute assignment:

* ``_parameters``: :class:`Parameter` objects (trainable tensors),
* ``_buffers``: tensors that are state but not trained (BatchNorm's running statistics),
* ``_modules``: sub-modules.

Because the registries are ordered dicts, ``parameters()`` and ``state_dict()`` follow the
order of definition, and the keys are PyTorch's (``"0.weight"``, ``"conv1.bias"``), so a
PyTorch model's ``{k: v.numpy() for k, v in model.state_dict().items()}`` loads directly.

>>> from tinygrad_cnn import nn
>>> net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
>>> [name for name, _ in net.named_parameters()]
['0.weight', '0.bias', '2.weight', '2.bias']
>>> net
Sequential(
  (0): Linear(in_features=4, out_features=3, bias=True)
  (1): ReLU()
  (2): Linear(in_features=3, out_features=2, bias=True)
)
"""

from __future__ import annotations

import functools
from collections import OrderedDict, namedtuple

import numpy as np

from tinygrad_cnn import backend
from tinygrad_cnn.engine import RemovableHandle
from tinygrad_cnn.tensor import Tensor

__all__ = ["Module", "Parameter", "RemovableHandle"]


class Parameter(Tensor):
    """A tensor that a :class:`Module` registers as trainable (``requires_grad=True``).

    >>> import numpy as np
    >>> p = Parameter(np.zeros(3, dtype=np.float32))
    >>> p.requires_grad
    True
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            data = np.zeros(0, dtype=np.float32)
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


# What load_state_dict returns, as in PyTorch.
IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Module:
    """Base class of every layer and model; subclasses set attributes and define ``forward``.

    Assigning a :class:`Parameter` or a Module to an attribute registers it (``super().__init__()``
    must come first); calling the module runs ``forward`` between the hooks.

    >>> from tinygrad_cnn import nn
    >>> class Scale(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.w = nn.Parameter(np.full(2, 3.0, dtype=np.float32))
    ...     def forward(self, x):
    ...         return x * self.w
    >>> m = Scale()
    >>> m(Tensor([1.0, -1.0])).tolist(), list(m.state_dict())
    ([3.0, -3.0], ['w'])
    """

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())

    # -- registration -----------------------------------------------------------------------
    def __setattr__(self, name: str, value) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"cannot assign {name!r} before Module.__init__() is called; "
                "call super().__init__() first in your module's __init__"
            )
        if isinstance(value, (Parameter, Module)):
            for registry in ("_parameters", "_buffers", "_modules"):
                self.__dict__[registry].pop(name, None)
            self.__dict__.pop(name, None)
            self._non_persistent.discard(name)
            (self._parameters if isinstance(value, Parameter) else self._modules)[name] = value
        elif name in self._parameters or name in self._modules:
            kind = "parameter" if name in self._parameters else "module"
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} as {kind} {name!r} "
                    f"({'Parameter' if kind == 'parameter' else 'Module'} or None expected)"
                )
            (self._parameters if kind == "parameter" else self._modules)[name] = None
        elif name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"{type(self).__name__}: buffer {name!r}: expected a Tensor or None, "
                                f"got {type(value).__name__}")
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str):
        # Only called when normal lookup fails: look in the registries.
        d = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry in d and name in d[registry]:
                return d[registry][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for registry in ("_parameters", "_buffers", "_modules"):
            if name in self.__dict__[registry]:
                del self.__dict__[registry][name]
                self._non_persistent.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers)
                      | set(self._modules))

    def _check_name(self, kind: str, name, registry: str) -> None:
        """A new member's name: a non-empty string without dots, not some other attribute."""
        if not isinstance(name, str):
            raise TypeError(f"{type(self).__name__}: {kind} name: expected a str, got {type(name).__name__}")
        if not name or "." in name:
            raise KeyError(f"{type(self).__name__}: {kind} name: expected a non-empty name without "
                           f"dots, got {name!r}")
        others = [r for r in ("_parameters", "_buffers", "_modules") if r != registry]
        if any(name in getattr(self, r) for r in others) or (
                name in self.__dict__ or hasattr(type(self), name)):
            raise KeyError(f"{type(self).__name__}: attribute {name!r} already exists")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or ``None``, a declared-but-absent one such as ``bias=False``).

        >>> from tinygrad_cnn import nn
        >>> m = nn.Module()
        >>> m.register_parameter("scale", nn.Parameter(np.ones(2, dtype=np.float32)))
        >>> m.register_parameter("shift", None)
        >>> list(m.state_dict()), m.shift
        (['scale'], None)
        """
        self._check_name("parameter", name, "_parameters")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"{type(self).__name__}: parameter {name!r}: expected a Parameter or None, "
                            f"got {type(param).__name__}")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add non-trainable state saved in ``state_dict`` (unless ``persistent=False``).

        >>> m = Module()
        >>> m.register_buffer("steps", Tensor(np.zeros(1)))
        >>> m.register_buffer("cache", Tensor(np.zeros(1)), persistent=False)
        >>> [name for name, _ in m.named_buffers()], list(m.state_dict())
        (['steps', 'cache'], ['steps'])
        """
        self._check_name("buffer", name, "_buffers")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"{type(self).__name__}: buffer {name!r}: expected a Tensor or None, got "
                            f"{type(tensor).__name__}")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a sub-module under ``name``, as ``self.name = module`` does.

        >>> from tinygrad_cnn import nn
        >>> m = nn.Module()
        >>> m.add_module("act", nn.ReLU())
        >>> m.act, list(m.state_dict())
        (ReLU(), [])
        """
        self._check_name("module", name, "_modules")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(self).__name__}: module {name!r}: expected a Module, got "
                            f"{type(module).__name__}")
        self._modules[name] = module

    # -- calling ----------------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        """Compute the output; every subclass defines it, and ``module(x)`` calls it.

        >>> Module()(1.0)
        Traceback (most recent call last):
        ...
        NotImplementedError: Module must implement forward()
        """
        raise NotImplementedError(f"{type(self).__name__} must implement forward()")

    def __call__(self, *args, **kwargs):
        if self._forward_pre_hooks:
            for hook in list(self._forward_pre_hooks.values()):
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        out = self.forward(*args, **kwargs)
        if not self._forward_hooks:
            return out
        for hook in list(self._forward_hooks.values()):
            result = hook(self, args, out)
            if result is not None:
                out = result
        return out

    def register_forward_hook(self, hook) -> RemovableHandle:
        """Call ``hook(module, inputs, output)`` after every forward (inputs is a tuple).

        A hook that returns a value replaces the output. ``handle.remove()`` unregisters it.

        >>> from tinygrad_cnn import nn
        >>> relu = nn.ReLU()
        >>> handle = relu.register_forward_hook(lambda module, inputs, out: out * 2)
        >>> relu(Tensor([-1.0, 3.0])).tolist()
        [0.0, 6.0]
        >>> handle.remove(); relu(Tensor([-1.0, 3.0])).tolist()
        [0.0, 3.0]
        """
        handle = RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    def register_forward_pre_hook(self, hook) -> RemovableHandle:
        """Call ``hook(module, inputs)`` before every forward; a returned tuple or single value replaces inputs.

        >>> from tinygrad_cnn import nn
        >>> relu = nn.ReLU()
        >>> handle = relu.register_forward_pre_hook(lambda module, inputs: -inputs[0])
        >>> relu(Tensor([-1.0, 3.0])).tolist()
        [1.0, 0.0]
        """
        handle = RemovableHandle(self._forward_pre_hooks)
        self._forward_pre_hooks[handle.id] = hook
        return handle

    # -- traversal --------------------------------------------------------------------------
    def named_modules(self, memo=None, prefix: str = ""):
        """``(name, module)`` for this module and every descendant, each once, depth first.

        >>> from tinygrad_cnn import nn
        >>> net = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU()))
        >>> [name for name, _ in net.named_modules()]
        ['', '0', '1', '1.0']
        """
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is None:
                continue
            yield from child.named_modules(memo, f"{prefix}.{name}" if prefix else name)

    def modules(self):
        """This module and every descendant, each once, depth first (:meth:`named_modules`).

        >>> from tinygrad_cnn import nn
        >>> net = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
        >>> [type(m).__name__ for m in net.modules()]
        ['Sequential', 'Linear', 'ReLU']
        """
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        """``(name, module)`` for the direct sub-modules only, each once.

        >>> from tinygrad_cnn import nn
        >>> net = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU()))
        >>> [name for name, _ in net.named_children()]
        ['0', '1']
        """
        seen = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self):
        """The direct sub-modules, in definition order.

        >>> from tinygrad_cnn import nn
        >>> list(nn.Sequential(nn.Linear(2, 3), nn.ReLU()).children())
        [Linear(in_features=2, out_features=3, bias=True), ReLU()]
        """
        for _, child in self.named_children():
            yield child

    def _named_members(self, registry: str, prefix: str, recurse: bool):
        seen = set()
        mods = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for mod_prefix, mod in mods:
            for name, value in getattr(mod, registry).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield (f"{mod_prefix}.{name}" if mod_prefix else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True):
        """``(name, Parameter)`` pairs in definition order, shared parameters once.

        >>> from tinygrad_cnn import nn
        >>> net = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
        >>> [(name, p.shape) for name, p in net.named_parameters()]
        [('0.weight', (3, 2)), ('0.bias', (3,))]
        """
        return self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse: bool = True):
        """Every Parameter (``recurse=False``: this module's own), as an optimiser takes them.

        >>> from tinygrad_cnn import nn
        >>> net = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
        >>> sum(p.numel() for p in net.parameters())
        13
        """
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True):
        """``(name, Tensor)`` pairs for the buffers, non-persistent ones included.

        >>> from tinygrad_cnn import nn
        >>> [name for name, _ in nn.Sequential(nn.BatchNorm1d(2)).named_buffers()]
        ['0.running_mean', '0.running_var', '0.num_batches_tracked']
        """
        return self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True):
        """Every buffer Tensor (``recurse=False``: this module's own).

        >>> from tinygrad_cnn import nn
        >>> [b.tolist() for b in nn.BatchNorm1d(2).buffers()]
        [[0.0, 0.0], [1.0, 1.0], 0]
        """
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # -- state ------------------------------------------------------------------------------
    def state_dict(self, destination=None, prefix: str = "", keep_vars: bool = False):
        """Every parameter and persistent buffer by PyTorch's dotted name.

        The values are detached Tensors sharing memory with the module (as in PyTorch);
        ``keep_vars=True`` returns the Parameter objects themselves.

        >>> from tinygrad_cnn import nn
        >>> list(nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3)).state_dict())
        ['0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var', '1.num_batches_tracked']
        """
        out = OrderedDict() if destination is None else destination
        for name, p in self._parameters.items():
            if p is not None:
                out[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent:
                out[prefix + name] = b if keep_vars else b.detach()
        for name, child in self._modules.items():
            if child is not None:
                child.state_dict(out, prefix + name + ".", keep_vars)
        return out

    def load_state_dict(self, state_dict, strict: bool = True):
        """Copy values (NumPy arrays or Tensors) into this module's parameters and buffers.

        Values are copied in place, so optimisers keep pointing at the same parameters; they
        are cast to each target's dtype and moved to its device. With ``strict=True`` missing
        or unexpected keys raise a ``KeyError`` that lists them; a shape mismatch always
        raises, naming the key and both shapes. Returns the named tuple
        ``(missing_keys, unexpected_keys)``, as PyTorch does.

        >>> from tinygrad_cnn import nn
        >>> lin = nn.Linear(2, 1)
        >>> lin.load_state_dict({"weight": np.zeros((1, 2))}, strict=False)
        IncompatibleKeys(missing_keys=['bias'], unexpected_keys=[])
        >>> lin.weight.tolist(), lin.weight.dtype
        ([[0.0, 0.0]], dtype('float32'))
        """
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        if strict and (missing or unexpected):
            parts = []
            if missing:
                parts.append("missing keys: " + ", ".join(repr(k) for k in missing))
            if unexpected:
                parts.append("unexpected keys: " + ", ".join(repr(k) for k in unexpected))
            raise KeyError(f"load_state_dict for {type(self).__name__}: " + "; ".join(parts))
        # Check every value's shape and every target's memory first, so a bad one leaves the
        # module untouched; then move them one at a time (never a second copy of every
        # parameter on the device at once).
        values = {}
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            value = value.data if isinstance(value, Tensor) else value
            if tuple(np.shape(value)) != target.shape:
                raise ValueError(
                    f"load_state_dict for {type(self).__name__}: size mismatch for {key!r}: "
                    f"copying a value of shape {tuple(np.shape(value))}, the module has shape "
                    f"{target.shape}"
                )
            target._check_writable(f"load_state_dict for {type(self).__name__}", repr(key))
            values[key] = value
        for key, value in values.items():
            target = own[key]
            value = backend.to_device(value, target.device).astype(target.dtype, copy=False)
            target._write("load_state_dict", functools.partial(target.data.__setitem__, Ellipsis, value))
        return IncompatibleKeys(missing, unexpected)

    # -- modes and devices ------------------------------------------------------------------
    def train(self, mode: bool = True):
        """Switch this module and all descendants to training mode (``eval()``: ``mode=False``).

        >>> from tinygrad_cnn import nn
        >>> net = nn.Sequential(nn.Linear(2, 3), nn.Dropout())
        >>> [m.training for m in net.train(False).modules()]
        [False, False, False]
        >>> net.train().training, net[1].training
        (True, True)
        """
        if not isinstance(mode, bool):
            raise ValueError(f"{type(self).__name__}.train: mode: expected a bool, got {mode!r}")
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self):
        """Switch this module and all descendants to evaluation mode (``train(False)``); returns self.

        In eval mode Dropout passes its input through and BatchNorm uses its running statistics.

        >>> from tinygrad_cnn import nn
        >>> drop = nn.Dropout(0.5).eval()
        >>> drop.training, drop(Tensor([1.0, 2.0])).tolist()
        (False, [1.0, 2.0])
        """
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True):
        """Set ``requires_grad`` on every parameter (``False`` freezes them); returns self.

        >>> from tinygrad_cnn import nn
        >>> net = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
        >>> _ = net[0].requires_grad_(False)
        >>> [p.requires_grad for p in net.parameters()]
        [False, False, True, True]
        """
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget accumulated gradients (set them to None, or zero them in place).

        >>> from tinygrad_cnn import nn
        >>> lin = nn.Linear(2, 1)
        >>> lin(Tensor([[1.0, 2.0]])).sum().backward()
        >>> lin.zero_grad(set_to_none=False); lin.weight.grad.tolist()
        [[0.0, 0.0]]
        >>> lin.zero_grad(); lin.weight.grad is None
        True
        """
        for p in self.parameters():
            zero_grad_(p, set_to_none)

    def to(self, device=None, dtype=None):
        """Move (and/or cast floating-point) parameters and buffers in place; returns self.

        The Parameter objects stay the same, so an optimiser built before ``to()`` still works.
        Integer buffers (BatchNorm's ``num_batches_tracked``) keep their dtype.

        >>> from tinygrad_cnn import nn
        >>> lin = nn.Linear(2, 1)
        >>> w = lin.weight
        >>> lin.to("cpu", np.float64).weight.dtype, lin.weight is w
        (dtype('float64'), True)
        """
        if device is not None and not isinstance(device, backend.Device):
            try:
                device = backend.get_device(device)
            except (ValueError, TypeError):
                try:  # to(np.float64) or to("float64")
                    device, dtype = None, np.dtype(device)
                except TypeError:
                    backend.get_device(device)  # neither: raise the device error, which says why
                    raise
        dtype = None if dtype is None else np.dtype(dtype)
        for t in [*self.parameters(), *self.buffers()]:
            arr = t.data
            if device is not None:
                arr = backend.to_device(arr, device)
            if dtype is not None and arr.dtype.kind == "f":
                arr = arr.astype(dtype)
            t.data = arr
            if t.grad is not None:
                g = t.grad.data
                if device is not None:
                    g = backend.to_device(g, device)
                t.grad = Tensor._wrap(g.astype(arr.dtype, copy=False))
        return self

    def _place(self, device) -> None:
        """Move a new layer to its constructor's ``device=`` (None: stay on the CPU). Only a
        device is taken here: :meth:`to` would also read ``"float64"`` as a dtype."""
        if device is None:
            return
        try:
            device = backend.get_device(device)
        except (ValueError, TypeError) as exc:
            raise type(exc)(f"{type(self).__name__}: {exc}") from None
        self.to(device)

    def cpu(self):
        """Move parameters and buffers to the CPU (NumPy arrays), in place; returns self.

        >>> from tinygrad_cnn import nn
        >>> nn.Linear(2, 1).cpu().weight.device
        device(type='cpu')
        """
        return self.to("cpu")

    def cuda(self, index: int | None = None):
        """Move parameters and buffers to a GPU (CuPy arrays), in place; returns self.
        It needs CuPy and an NVIDIA GPU; without them it raises a ``RuntimeError`` saying what to install.

        >>> import tinygrad_cnn as tg
        >>> from tinygrad_cnn import nn
        >>> lin = nn.Linear(2, 1)
        >>> if tg.cuda_is_available():
        ...     lin = lin.cuda()
        >>> lin.weight.device.type == ("cuda" if tg.cuda_is_available() else "cpu")
        True
        """
        return self.to("cuda" if index is None else f"cuda:{index}")

    def float(self):
        """Cast floating-point parameters and buffers to float32, in place; returns self.

        >>> from tinygrad_cnn import nn
        >>> nn.Linear(2, 1).double().float().weight.dtype
        dtype('float32')
        """
        return self.to(dtype=np.float32)

    def double(self):
        """Cast floating-point parameters and buffers to float64, in place; integer ones stay.

        >>> from tinygrad_cnn import nn
        >>> net = nn.Sequential(nn.Linear(2, 1), nn.BatchNorm1d(1)).double()
        >>> net[0].weight.dtype, net[1].num_batches_tracked.dtype
        (dtype('float64'), dtype('int64'))
        """
        return self.to(dtype=np.float64)

    def apply(self, fn):
        """Call ``fn(module)`` on every descendant and then on self (for custom initialisation).

        >>> from tinygrad_cnn import nn
        >>> def init(m):
        ...     if isinstance(m, nn.Linear):
        ...         nn.init.zeros_(m.bias)
        >>> nn.Sequential(nn.Linear(2, 3), nn.ReLU()).apply(init)[0].bias.tolist()
        [0.0, 0.0, 0.0]
        """
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # -- repr -------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The text inside the repr's parentheses; subclasses override it to show their settings.

        >>> class Gain(Module):
        ...     def extra_repr(self):
        ...         return "k=2"
        >>> Gain()
        Gain(k=2)
        """
        return ""

    def __repr__(self) -> str:
        lines = []
        for name, child in self._modules.items():
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        extra = self.extra_repr()
        if not lines and "\n" not in extra:
            return f"{type(self).__name__}({extra})"
        extra_lines = [f"  {line}" for line in extra.split("\n")] if extra else []
        return f"{type(self).__name__}(\n" + "\n".join(extra_lines + lines) + "\n)"


def zero_grad_(p: Tensor, set_to_none: bool = True) -> None:
    """Forget one tensor's gradient (``Module.zero_grad`` and the optimisers use it).

    >>> p = Parameter(np.ones(2, dtype=np.float32))
    >>> (p * 2).sum().backward()
    >>> zero_grad_(p, set_to_none=False)
    >>> p.grad.tolist()
    [0.0, 0.0]
    """
    if p.grad is None:
        return
    g = p.grad
    if set_to_none:
        p.grad = None
    elif g.requires_grad or not backend.writable_alone(g.data):
        p.grad = Tensor._wrap(p.device.xp.zeros_like(g.data))  # a graph's, or read-only
    else:  # in place, as in PyTorch (backward gives every leaf a .grad of its own)
        g.zero_()

