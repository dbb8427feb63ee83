"""Containers that register the modules they hold: :class:`Sequential`, :class:`ModuleList`, :class:`ModuleDict`.

A plain list or dict of layers hides their parameters from ``parameters()`` and ``state_dict()``;
these containers name their members (``"0"``, ``"1"``, ... or the dict's keys) as PyTorch does.

>>> from tinygrad_cnn import nn
>>> net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
>>> [name for name, _ in net.named_parameters()]
['0.weight', '0.bias', '2.weight', '2.bias']
"""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Iterable, Mapping

import numpy as np

from tinygrad_cnn import engine
from tinygrad_cnn.nn.activations import ReLU
from tinygrad_cnn.nn.module import Module
from tinygrad_cnn.nn.pooling import MaxPool1d, MaxPool2d
from tinygrad_cnn.tensor import Tensor

__all__ = ["Sequential", "ModuleList", "ModuleDict"]


def _position(owner: str, idx, n: int) -> int:
    """``idx`` (an int; negative counts from the end) as a position in [0, n) of ``owner``."""
    try:
        i = operator.index(idx)
    except TypeError:
        raise TypeError(f"{owner}: index: expected an int or a slice, got "
                        f"{type(idx).__name__} {idx!r}") from None
    if not -n <= i < n:
        expected = f"an int in [{-n}, {n})" if n else "no index (the list is empty)"
        raise IndexError(f"{owner}: index: expected {expected}, got {i}")
    return i % n


class _ModuleSequence(Module):
    """What Sequential and ModuleList share: modules named "0", "1", ... in order."""

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module: Module):
        """Add ``module`` at the end, named by its position; returns self.

        >>> from tinygrad_cnn import nn
        >>> nn.Sequential(nn.ReLU()).append(nn.Tanh())
        Sequential(
          (0): ReLU()
          (1): Tanh()
        )
        """
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        """Append every module of the iterable ``modules``; returns self.

        >>> from tinygrad_cnn import nn
        >>> nn.ModuleList().extend([nn.ReLU(), nn.Tanh()])
        ModuleList(
          (0): ReLU()
          (1): Tanh()
        )
        """
        for module in modules:
            self.append(module)
        return self

    def _renumber(self, modules) -> None:
        """Hold ``modules`` named 0, 1, ... as PyTorch renumbers after an insert or delete."""
        self._modules.clear()
        for i, module in enumerate(modules):
            self.add_module(str(i), module)


def _relu_then_max_pool(first: Module, second: Module) -> bool:
    """Whether ``first`` is a plain ReLU and ``second`` a plain max-pool that Sequential may
    run in the other order (measured: a LeNet-5 training step in 5-6 % less time).

    Not with ``return_indices`` (the indices would name the winner among the ReLU's zeros),
    not with dilation (a dilated window may hold only padding: it pools to -inf in the
    written order, where the pool and then the ReLU would give 0), not for a subclass or a
    ``forward`` set on the instance, and not when either module has hooks: they are to see
    each module's own input and output."""
    if type(first) is not ReLU or type(second) not in (MaxPool1d, MaxPool2d):
        return False
    dilation = second.dilation if isinstance(second.dilation, (tuple, list)) else (second.dilation,)
    return (not second.return_indices and all(d == 1 for d in dilation)
            and not any("forward" in vars(m) or m._forward_hooks or m._forward_pre_hooks
                        for m in (first, second)))


def _exact_in_either_order(x) -> bool:
    """Whether ReLU and max-pool give ``x`` the same bits in either order: float32 or float64
    on NumPy, whose ``maximum(x, zeros)`` gives +0.0 for -0.0 (float16's keeps -0.0, so a
    window's zeros could come out with either sign), and no anomaly detection, which checks
    every op's output as written."""
    return (isinstance(x, Tensor) and x.device.xp is np and x.dtype in _EXACT_DTYPES
            and not engine.ops_observed())


_EXACT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


class Sequential(_ModuleSequence):
    """Modules applied one after the other; ``Sequential(a, b)`` or ``Sequential(OrderedDict)``.

    Modules are named ``"0"``, ``"1"``, ... or by the OrderedDict's keys; an int index or a
    slice (a new Sequential of the same modules) reaches them.

    >>> import tinygrad_cnn as tg
    >>> from collections import OrderedDict
    >>> from tinygrad_cnn import nn
    >>> net = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
    >>> net(tg.ones(2, 4)).shape
    (2, 3)
    >>> net
    Sequential(
      (0): Linear(in_features=4, out_features=3, bias=True)
      (1): ReLU()
    )
    >>> net[-1], len(net)
    (ReLU(), 2)
    >>> nn.Sequential(OrderedDict(fc=nn.Linear(4, 3), act=nn.ReLU()))
    Sequential(
      (fc): Linear(in_features=4, out_features=3, bias=True)
      (act): ReLU()
    )
    """

    def __init__(self, *args) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], (dict, OrderedDict)):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(args):
                self.add_module(str(i), module)

    def forward(self, x):
        """``x`` passed through each module in turn.

        A :class:`ReLU` followed by a max-pool runs as the max-pool followed by the ReLU, for
        float32 and float64 tensors on the CPU: the same values and gradients, bit for bit
        (the ReLU's output reaches nothing but the pool, ``max(relu(a), relu(b)) ==
        relu(max(a, b))``, and both orders send a window's gradient to the same cell, or
        none), while the ReLU works on the pooled tensor, a quarter of the size for a 2x2
        pool of stride 2. The written order runs for other dtypes and devices, with
        ``return_indices`` or dilation, for subclasses, under
        :func:`~tinygrad_cnn.detect_anomaly`, and when either module has a hook, as
        :func:`~tinygrad_cnn.viz.trace_modules` sets: hooks and drawn graphs see every
        module's own output.

        >>> import tinygrad_cnn as tg
        >>> from tinygrad_cnn import nn
        >>> net = nn.Sequential(nn.ReLU(), nn.MaxPool2d(2))
        >>> x = tg.tensor([[[[-1.0, -2.0], [-3.0, -4.0]]]], requires_grad=True)
        >>> net(x).tolist(), net(x).grad_fn
        ([[[[0.0]]]], <ReLU backward>)
        """
        modules = list(self._modules.values())
        i = 0
        while i < len(modules):
            if (i + 1 < len(modules) and _relu_then_max_pool(modules[i], modules[i + 1])
                    and _exact_in_either_order(x)):
                x = modules[i](modules[i + 1](x))
                i += 2
            else:
                x = modules[i](x)
                i += 1
        return x

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return Sequential(OrderedDict(list(self._modules.items())[idx]))
        return list(self._modules.values())[_position("Sequential", idx, len(self))]

    def insert(self, index: int, module: Module):
        """Put ``module`` at position ``index``; the modules are renumbered 0, 1, ... (names given
        through an OrderedDict are replaced by numbers; PyTorch's ``insert`` fails on them).

        >>> from tinygrad_cnn import nn
        >>> nn.Sequential(nn.ReLU(), nn.Tanh()).insert(1, nn.Sigmoid())
        Sequential(
          (0): ReLU()
          (1): Sigmoid()
          (2): Tanh()
        )
        """
        items = list(self._modules.values())
        n = len(items)
        if not -n <= index <= n:
            raise IndexError(f"Sequential.insert: index: expected an int in [{-n}, {n}], got {index}")
        items.insert(index, module)
        self._renumber(items)
        return self

    def __delitem__(self, idx) -> None:
        items = list(self._modules.values())
        if isinstance(idx, slice):
            del items[idx]
        else:
            items.pop(_position("Sequential", idx, len(items)))
        self._renumber(items)

    def pop(self, idx: int = -1) -> Module:
        """Remove the module at ``idx`` (default: the last) and return it; the rest are renumbered.

        >>> from tinygrad_cnn import nn
        >>> net = nn.Sequential(nn.ReLU(), nn.Sigmoid(), nn.Tanh())
        >>> net.pop(0), net
        (ReLU(), Sequential(
          (0): Sigmoid()
          (1): Tanh()
        ))
        """
        module = self[idx]
        del self[idx]
        return module


def _key_value_pairs(what: str, pairs) -> list:
    """``pairs``, an iterable of ``(key, value)`` pairs (not a mapping), as a checked list;
    ``what`` names the argument in errors."""
    if isinstance(pairs, (str, Tensor, Module)) or not isinstance(pairs, Iterable):
        raise TypeError(f"{what}: expected a mapping or an iterable of (key, value) pairs, "
                        f"got {type(pairs).__name__}")
    checked = []
    for i, pair in enumerate(pairs):
        if isinstance(pair, (str, Tensor, Module)) or not isinstance(pair, Iterable):
            raise TypeError(f"{what}: element #{i}: expected a (key, value) pair, got {type(pair).__name__}")
        pair = tuple(pair)
        if len(pair) != 2:
            raise ValueError(f"{what}: element #{i}: expected a (key, value) pair, got {len(pair)} items")
        checked.append(pair)
    return checked


class ModuleDict(Module):
    """Modules by name, registered (a plain dict hides their parameters), in insertion order.

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn import nn
    >>> heads = nn.ModuleDict({"digits": nn.Linear(4, 10), "parity": nn.Linear(4, 2)})
    >>> list(heads), heads["parity"].out_features, "digits" in heads
    (['digits', 'parity'], 2, True)
    >>> {name: head(tg.ones(1, 4)).shape for name, head in heads.items()}
    {'digits': (1, 10), 'parity': (1, 2)}
    >>> list(heads.keys()) == list(heads), [type(m).__name__ for m in heads.values()]
    (True, ['Linear', 'Linear'])
    >>> [name for name, _ in heads.named_parameters()]
    ['digits.weight', 'digits.bias', 'parity.weight', 'parity.bias']
    """

    def __init__(self, modules=None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        if key not in self._modules:
            raise KeyError(f"ModuleDict has no module {key!r}; it has {list(self._modules)}")
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        self[key]  # noqa: B018  (the KeyError that names the keys)
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key) -> bool:
        return key in self._modules

    def keys(self):
        """The names, in insertion order."""
        return self._modules.keys()

    def values(self):
        """The modules, in insertion order."""
        return self._modules.values()

    def items(self):
        """``(name, module)`` pairs, in insertion order."""
        return self._modules.items()

    def update(self, modules) -> None:
        """Add or replace modules from a mapping or an iterable of ``(key, module)`` pairs.

        Unlike :meth:`ParameterDict.update <tinygrad_cnn.nn.ParameterDict.update>`, a plain dict
        keeps its own order, as in PyTorch.

        >>> from tinygrad_cnn import nn
        >>> acts = nn.ModuleDict({"relu": nn.ReLU()})
        >>> acts.update([("tanh", nn.Tanh()), ("relu", nn.Sigmoid())])
        >>> acts
        ModuleDict(
          (relu): Sigmoid()
          (tanh): Tanh()
        )
        """
        pairs = modules.items() if isinstance(modules, Mapping) else _key_value_pairs(
            "ModuleDict.update: modules", modules)
        for key, module in pairs:
            self[key] = module

    def pop(self, key: str) -> Module:
        """Remove the module ``key`` and return it (``KeyError``, naming the keys, if there is none).

        >>> from tinygrad_cnn import nn
        >>> acts = nn.ModuleDict({"relu": nn.ReLU(), "tanh": nn.Tanh()})
        >>> acts.pop("relu"), list(acts)
        (ReLU(), ['tanh'])
        """
        module = self[key]
        del self[key]
        return module

    def clear(self) -> None:
        """Remove every module.

        >>> from tinygrad_cnn import nn
        >>> acts = nn.ModuleDict({"relu": nn.ReLU()})
        >>> acts.clear()
        >>> len(acts), acts
        (0, ModuleDict())
        """
        self._modules.clear()


class ModuleList(_ModuleSequence):
    """A list of modules whose parameters are registered (a plain list hides them).

    Unlike :class:`Sequential` it has no ``forward``: the owner decides how to call its members.

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn import nn
    >>> blocks = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    >>> len(blocks), len(list(blocks.parameters()))
    (3, 6)
    >>> x = tg.ones(1, 2)
    >>> for block in blocks:
    ...     x = block(x)
    >>> x.shape
    (1, 2)
    >>> blocks[-1] = nn.ReLU()
    >>> blocks[1:]
    ModuleList(
      (0): Linear(in_features=2, out_features=2, bias=True)
      (1): ReLU()
    )
    """

    def __init__(self, modules=None) -> None:
        super().__init__()
        self.extend(modules or ())

    def _key(self, idx) -> str:
        return str(_position("ModuleList", idx, len(self)))

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return ModuleList(list(self._modules.values())[idx])
        return self._modules[self._key(idx)]

    def __setitem__(self, idx: int, module: Module) -> None:
        self.add_module(self._key(idx), module)

    def insert(self, index: int, module: Module) -> None:
        """Put ``module`` before position ``index`` (as ``list.insert``); the modules are renumbered.

        >>> from tinygrad_cnn import nn
        >>> acts = nn.ModuleList([nn.ReLU(), nn.Tanh()])
        >>> acts.insert(1, nn.Sigmoid())
        >>> acts
        ModuleList(
          (0): ReLU()
          (1): Sigmoid()
          (2): Tanh()
        )
        """
        items = list(self._modules.values())
        items.insert(index, module)
        self._renumber(items)
