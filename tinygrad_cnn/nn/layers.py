"""Containers, fully connected layers, activations, pooling, dropout and losses.

Each layer is a thin :class:`Module` around one function of :mod:`tinygrad_cnn.nn.functional`,
with PyTorch's constructor arguments and repr.

>>> import tinygrad_cnn as tg
>>> from tinygrad_cnn import nn
>>> _ = tg.manual_seed(0)
>>> layer = nn.Linear(3, 2)
>>> layer(tg.ones(4, 3)).shape
(4, 2)
"""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Iterable, Mapping

import numpy as np

from tinygrad_cnn.nn import functional as F
from tinygrad_cnn.nn import init
from tinygrad_cnn.nn.module import Module, Parameter, check_size
from tinygrad_cnn.ops.loss import _check_reduction
from tinygrad_cnn.tensor import Tensor

__all__ = [
    "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict", "Identity", "Linear", "Flatten",
    "ReLU", "LeakyReLU", "Sigmoid",
    "Tanh", "Softmax", "LogSoftmax", "Dropout", "Dropout2d", "Unfold", "Fold", "MaxPool1d", "MaxPool2d", "AvgPool1d",
    "AvgPool2d", "AdaptiveAvgPool2d", "CrossEntropyLoss", "NLLLoss", "MSELoss",
    "BCEWithLogitsLoss",
]


# -- containers ---------------------------------------------------------------------------
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
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        for module in modules:
            self.append(module)
        return self

    def _renumber(self, modules) -> None:
        """Hold ``modules`` named 0, 1, ... as PyTorch renumbers after an insert or delete."""
        self._modules.clear()
        for i, module in enumerate(modules):
            self.add_module(str(i), module)


class Sequential(_ModuleSequence):
    """Modules applied one after the other; ``Sequential(a, b)`` or ``Sequential(OrderedDict)``."""

    def __init__(self, *args) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], (dict, OrderedDict)):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(args):
                self.add_module(str(i), module)

    def forward(self, x):
        for module in self._modules.values():
            x = module(x)
        return x

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return Sequential(OrderedDict(list(self._modules.items())[idx]))
        return list(self._modules.values())[_position("Sequential", idx, len(self))]

    def insert(self, index: int, module: Module):
        """Put ``module`` at position ``index``; the modules are renumbered 0, 1, ... as in
        PyTorch (names given through an OrderedDict are replaced)."""
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

    >>> heads = ModuleDict({"digits": Linear(4, 10), "parity": Linear(4, 2)})
    >>> list(heads), heads["parity"].out_features, "digits" in heads
    (['digits', 'parity'], 2, True)
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
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def update(self, modules) -> None:
        """Add or replace modules from a mapping or an iterable of ``(key, module)`` pairs."""
        pairs = modules.items() if isinstance(modules, Mapping) else _key_value_pairs(
            "ModuleDict.update: modules", modules)
        for key, module in pairs:
            self[key] = module

    def pop(self, key: str) -> Module:
        module = self[key]
        del self[key]
        return module

    def clear(self) -> None:
        self._modules.clear()


class ModuleList(_ModuleSequence):
    """A list of modules whose parameters are registered (a plain list hides them)."""

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
        items = list(self._modules.values())
        items.insert(index, module)
        self._renumber(items)


def _store_member(container: Module, name: str, value) -> None:
    """Set one member of a ParameterList/ParameterDict through ``Module.__setattr__``.

    A plain Tensor becomes a Parameter sharing its memory (as in PyTorch), so it is trained
    and saved; Parameters and Modules are registered and anything else stays a plain
    attribute. Module's own rules apply, so a Parameter's slot takes only a Parameter or None.
    """
    if isinstance(value, Tensor) and not isinstance(value, Parameter):
        value = Parameter(value)
    setattr(container, name, value)


def _describe_member(value) -> str:
    """The repr line of one member: a tensor's kind, dtype and size, anything else's type."""
    if isinstance(value, Tensor):
        size = "x".join(str(n) for n in value.shape)
        device = "" if value.device.type == "cpu" else f" (on {value.device.name})"
        return f"{type(value).__name__} containing: [{value.dtype} of size {size}{device}]"
    return f"Object of type: {type(value).__name__}"


class ParameterList(Module):
    """A list of parameters that a Module registers (a plain list hides them from ``parameters()``).

    Members are named ``"0"``, ``"1"``, ... in ``named_parameters()`` and ``state_dict()``.
    A plain Tensor is wrapped into a :class:`Parameter` sharing its memory; other objects
    are kept as they are but are not parameters, as in PyTorch.

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn import nn
    >>> weights = nn.ParameterList([tg.ones(2), tg.zeros(3)])
    >>> weights.append(tg.ones(1, 4))
    ParameterList(
      (0): Parameter containing: [float32 of size 2]
      (1): Parameter containing: [float32 of size 3]
      (2): Parameter containing: [float32 of size 1x4]
    )
    >>> [name for name, _ in weights.named_parameters()], weights[-1].shape
    (['0', '1', '2'], (1, 4))
    """

    def __init__(self, values=None) -> None:
        super().__init__()
        self._size = 0  # members that are not tensors are plain attributes, so count them here
        if values is not None:
            self.extend(values)

    def _key(self, idx) -> str:
        """The member name of position ``idx`` (negative counts from the end)."""
        return str(_position("ParameterList", idx, len(self)))

    def __getitem__(self, idx):
        """The member at ``idx``; a slice gives a new ParameterList of the same objects."""
        if isinstance(idx, slice):
            return ParameterList(list(self)[idx])
        return getattr(self, self._key(idx))

    def __setitem__(self, idx, value) -> None:
        """Replace the member at ``idx`` (a Tensor is wrapped into a Parameter)."""
        _store_member(self, self._key(idx), value)

    def __len__(self) -> int:
        return self._size

    def __iter__(self):
        return (getattr(self, str(i)) for i in range(len(self)))

    def __iadd__(self, values):
        """``pl += values``: ``extend``."""
        return self.extend(values)

    def __dir__(self):
        # Hide the member names "0", "1", ...: they are reached by index, not as attributes.
        return [name for name in super().__dir__() if not name.isdigit()]

    def append(self, value):
        """Add ``value`` at the end (a Tensor is wrapped into a Parameter); returns self."""
        _store_member(self, str(len(self)), value)
        self._size += 1  # only once stored, so a value that cannot be stored leaves no gap
        return self

    def extend(self, values):
        """Append every element of the iterable ``values``; returns self."""
        # A Tensor is iterable (over its rows), but appending rows is never what was meant.
        if isinstance(values, Tensor) or not isinstance(values, Iterable):
            raise TypeError(f"ParameterList.extend: values: expected an iterable (a list of tensors, "
                            f"not one tensor), got {type(values).__name__}")
        for value in values:
            self.append(value)
        return self

    def extra_repr(self) -> str:
        """One line per member, by position."""
        return "\n".join(f"({i}): {_describe_member(value)}" for i, value in enumerate(self))


class ParameterDict(Module):
    """Parameters by name, registered (a plain dict hides them), with dict's methods.

    Keys are the names in ``named_parameters()`` and ``state_dict()``. A plain Tensor is
    wrapped into a :class:`Parameter` sharing its memory; other objects are kept as they
    are. As in PyTorch, a plain ``dict`` given to the constructor or ``update`` is added in
    sorted key order; an ``OrderedDict``, a ParameterDict or a list of pairs keeps its order.

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn import nn
    >>> scales = nn.ParameterDict({"gamma": tg.ones(3), "beta": tg.zeros(3)})
    >>> scales
    ParameterDict(
      (beta): Parameter containing: [float32 of size 3]
      (gamma): Parameter containing: [float32 of size 3]
    )
    >>> list(scales.state_dict()), "beta" in scales, scales["gamma"].requires_grad
    (['beta', 'gamma'], True, True)
    """

    def __init__(self, parameters=None) -> None:
        super().__init__()
        self._keys = {}  # the members' order; the values live where Module keeps attributes
        if parameters is not None:
            self.update(parameters)

    @staticmethod
    def _check_key(key) -> None:
        if not isinstance(key, str):
            raise TypeError(f"ParameterDict: key: expected a str, got {type(key).__name__} {key!r}")

    def __getitem__(self, key: str):
        """The member named ``key`` (``KeyError``, naming the keys there are, if none)."""
        self._check_key(key)
        if key not in self._keys:
            raise KeyError(f"ParameterDict has no key {key!r}; it has {list(self._keys)}")
        return getattr(self, key)

    def __setitem__(self, key: str, value) -> None:
        """Add or replace the member ``key`` (a Tensor is wrapped into a Parameter)."""
        self._check_key(key)
        if key not in self._keys:  # a new name must not contain dots or shadow an attribute
            self._check_name("key", key, "_parameters")
        _store_member(self, key, value)
        self._keys[key] = None

    def __delitem__(self, key: str) -> None:
        """Remove the member ``key``."""
        self[key]  # noqa: B018  (the KeyError that names the keys)
        del self._keys[key]
        delattr(self, key)

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self):
        return iter(self._keys)

    def __reversed__(self):
        return reversed(list(self._keys))

    def __contains__(self, key) -> bool:
        return key in self._keys

    def keys(self):
        """The keys, in order."""
        return self._keys.keys()

    def values(self):
        """The members, in key order."""
        return (self[key] for key in self._keys)

    def items(self):
        """``(key, member)`` pairs, in order."""
        return ((key, self[key]) for key in self._keys)

    def get(self, key: str, default=None):
        """The member ``key``, or ``default`` if there is none."""
        return self[key] if key in self else default

    def setdefault(self, key: str, default=None):
        """The member ``key``, first set to ``default`` if there is none."""
        if key not in self:
            self[key] = default
        return self[key]

    def pop(self, key: str):
        """Remove the member ``key`` and return it."""
        value = self[key]
        del self[key]
        return value

    def popitem(self):
        """Remove the last-added member and return ``(key, member)``."""
        if not self._keys:
            raise KeyError("ParameterDict.popitem: the dict is empty")
        key = next(reversed(self._keys))
        return key, self.pop(key)

    def clear(self) -> None:
        """Remove every member."""
        for key in list(self._keys):
            del self[key]

    def copy(self) -> ParameterDict:
        """A new ParameterDict holding the same member objects, in the same order."""
        return ParameterDict(list(self.items()))

    def fromkeys(self, keys, default=None) -> ParameterDict:
        """A new ParameterDict with each of ``keys`` set to ``default``."""
        return ParameterDict((key, default) for key in keys)

    def update(self, parameters) -> None:
        """Add or replace members from a mapping or an iterable of ``(key, value)`` pairs."""
        if isinstance(parameters, (OrderedDict, ParameterDict)):
            pairs = list(parameters.items())
        elif isinstance(parameters, Mapping):
            # PyTorch sorts a plain dict (from before dicts kept their order); doing the same
            # keeps parameters() and state_dict() in PyTorch's order. str() so that a non-str
            # key reaches __setitem__'s clear error instead of a failed comparison.
            pairs = sorted(parameters.items(), key=lambda pair: str(pair[0]))
        else:
            pairs = _key_value_pairs("ParameterDict.update: parameters", parameters)
        for key, value in pairs:
            self[key] = value

    def __or__(self, other) -> ParameterDict:
        """``pd | other``: a copy updated with ``other``."""
        merged = self.copy()
        merged.update(other)
        return merged

    def __ror__(self, other):
        """``other | pd``: a copy of ``other`` (its own type, as in PyTorch) updated with this dict."""
        merged = other.copy()
        merged.update(self)
        return merged

    def __ior__(self, other) -> ParameterDict:
        """``pd |= other``: ``update``."""
        self.update(other)
        return self

    def extra_repr(self) -> str:
        """One line per member, by key."""
        return "\n".join(f"({key}): {_describe_member(value)}" for key, value in self.items())


class Identity(Module):
    def forward(self, x):
        return x


# -- fully connected ----------------------------------------------------------------------
class Linear(Module):
    """``y = x @ weight.T + bias``; weight ``(out_features, in_features)``.

    Initialised as PyTorch does: ``kaiming_uniform_(weight, a=sqrt(5))`` (so weights are
    U(-1/sqrt(in), 1/sqrt(in))) and bias U(-1/sqrt(in), 1/sqrt(in)).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None,
                 dtype=np.float32):
        super().__init__()
        in_features = check_size("Linear", "in_features", in_features)
        out_features = check_size("Linear", "out_features", out_features)
        self.in_features, self.out_features = in_features, out_features
        weight, bias = init.default_parameters((out_features, in_features), out_features if bias else None, dtype)
        self.weight = weight
        self.register_parameter("bias", bias)
        self._place(device)

    def reset_parameters(self) -> None:
        init.default_init_(self.weight, self.bias)

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Flatten(Module):
    """Flatten dims ``start_dim..end_dim`` (default: all but the batch dim)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


# -- activations --------------------------------------------------------------------------
class ReLU(Module):
    """max(x, 0), elementwise. ``inplace`` is accepted for PyTorch compatibility; the result
    is always a new tensor and the input keeps its values.

    >>> import tinygrad_cnn as tg
    >>> x = tg.tensor([-1.0, 0.0, 2.0])
    >>> ReLU(inplace=True)(x).tolist(), x.tolist()
    ([0.0, 0.0, 2.0], [-1.0, 0.0, 2.0])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()

    def forward(self, x):
        return F.relu(x)


class LeakyReLU(Module):
    """x where x > 0, else ``negative_slope * x``. ``inplace`` is accepted for PyTorch
    compatibility; the result is always a new tensor and the input keeps its values.

    >>> import tinygrad_cnn as tg
    >>> LeakyReLU(0.5)(tg.tensor([-2.0, 3.0])).tolist()
    [-1.0, 3.0]
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Sigmoid(Module):
    def forward(self, x):
        return F.sigmoid(x)


class Tanh(Module):
    def forward(self, x):
        return F.tanh(x)


class Softmax(Module):
    """:func:`~tinygrad_cnn.nn.functional.softmax` along ``dim``; with no ``dim``, PyTorch's
    implicit choice: dim 0 for 0-, 1- and 3-D inputs, dim 1 otherwise.

    >>> import tinygrad_cnn as tg
    >>> Softmax(dim=1)(tg.zeros(2, 4)).tolist()
    [[0.25, 0.25, 0.25, 0.25], [0.25, 0.25, 0.25, 0.25]]
    >>> [round(v, 4) for v in Softmax()(tg.zeros(3, 2, 2))[:, 0, 0].tolist()]  # 3-D: dim 0
    [0.3333, 0.3333, 0.3333]
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return F.softmax(x, dim=self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """:func:`~tinygrad_cnn.nn.functional.log_softmax` along ``dim`` (no ``dim``: as
    :class:`Softmax`)."""

    def forward(self, x):
        return F.log_softmax(x, dim=self.dim)


class Dropout(Module):
    """Zero each element with probability ``p`` in training, scaling the rest by 1/(1-p);
    the identity in eval mode (PyTorch's inverted dropout)."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{type(self).__name__}: p: expected a probability in [0, 1], got {p}")
        self.p = p

    def forward(self, x):
        return F.dropout(x, p=self.p, training=self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace=False"


class Dropout2d(Dropout):
    """Zero whole channels of (N, C, H, W) input with probability ``p`` in training, scaling
    the rest by 1/(1-p) (:func:`~tinygrad_cnn.nn.functional.dropout2d`); the identity in eval
    mode.

    >>> import tinygrad_cnn as tg
    >>> Dropout2d(0.3)
    Dropout2d(p=0.3, inplace=False)
    >>> Dropout2d(0.3).eval()(tg.ones(1, 2, 2, 2)).tolist()
    [[[[1.0, 1.0], [1.0, 1.0]], [[1.0, 1.0], [1.0, 1.0]]]]
    """

    def forward(self, x):
        return F.dropout2d(x, p=self.p, training=self.training)


class Unfold(Module):
    """:func:`~tinygrad_cnn.nn.functional.unfold` as a layer: the sliding blocks of its
    input as columns (im2col).

    >>> import tinygrad_cnn as tg
    >>> Unfold(kernel_size=(2, 3), padding=1)
    Unfold(kernel_size=(2, 3), dilation=1, padding=1, stride=1)
    >>> Unfold(2)(tg.ones(4, 3, 5, 5)).shape      # 3*2*2 rows, 4*4 blocks
    (4, 12, 16)
    """

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1) -> None:
        super().__init__()
        self.kernel_size, self.dilation, self.padding, self.stride = kernel_size, dilation, padding, stride

    def forward(self, x):
        return F.unfold(x, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Fold(Module):
    """:func:`~tinygrad_cnn.nn.functional.fold` as a layer: columns added back into the
    blocks of an image of ``output_size`` (col2im).

    >>> import tinygrad_cnn as tg
    >>> Fold((3, 3), 2)
    Fold(output_size=(3, 3), kernel_size=2, dilation=1, padding=0, stride=1)
    >>> Fold((3, 3), 2)(tg.ones(1, 4, 4)).shape
    (1, 1, 3, 3)
    """

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1) -> None:
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, x):
        return F.fold(x, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")


# -- pooling ------------------------------------------------------------------------------
class _Pool(Module):
    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.ceil_mode = ceil_mode


class MaxPool1d(_Pool):
    """:func:`~tinygrad_cnn.nn.functional.max_pool1d` as a layer, PyTorch's arguments in
    PyTorch's order (``return_indices`` before ``ceil_mode``, unlike the function)."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__(kernel_size, stride, padding, ceil_mode)
        self.dilation = dilation
        self.return_indices = return_indices

    def forward(self, x):
        return F.max_pool1d(x, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool2d(MaxPool1d):
    """:func:`~tinygrad_cnn.nn.functional.max_pool2d` as a layer (arguments as
    :class:`MaxPool1d`).

    >>> import tinygrad_cnn as tg
    >>> out, idx = MaxPool2d(2, return_indices=True)(tg.arange(16.0).reshape(1, 1, 4, 4))
    >>> out.tolist(), idx.tolist()
    ([[[[5.0, 7.0], [13.0, 15.0]]]], [[[[5, 7], [13, 15]]]])
    """

    def forward(self, x):
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)


class AvgPool1d(_Pool):
    """:func:`~tinygrad_cnn.nn.functional.avg_pool1d` as a layer."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):
        super().__init__(kernel_size, stride, padding, ceil_mode)
        self.count_include_pad = count_include_pad

    def forward(self, x):
        return F.avg_pool1d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(AvgPool1d):
    """:func:`~tinygrad_cnn.nn.functional.avg_pool2d` as a layer; ``divisor_override``, when
    given, divides every window's sum.

    >>> import tinygrad_cnn as tg
    >>> AvgPool2d(2, divisor_override=1)(tg.ones(1, 1, 2, 2)).tolist()
    [[[[4.0]]]]
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)
        self.divisor_override = divisor_override

    def forward(self, x):
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)


class AdaptiveAvgPool2d(Module):
    def __init__(self, output_size) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        return F.adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


# -- losses -------------------------------------------------------------------------------
class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        _check_reduction(type(self).__name__, reduction)
        self.reduction = reduction


class CrossEntropyLoss(_Loss):
    """``F.cross_entropy``: log-softmax of the logits ``(N, C)`` plus NLL of class indices ``(N,)``."""

    def __init__(self, weight=None, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:
        super().__init__(reduction)
        self.register_buffer("weight", weight)  # saved and moved with the module, as in PyTorch
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input, target):  # noqa: A002  (PyTorch's names)
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_Loss):
    def __init__(self, weight=None, ignore_index: int = -100, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.register_buffer("weight", weight)
        self.ignore_index = ignore_index

    def forward(self, input, target):  # noqa: A002
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class MSELoss(_Loss):
    def forward(self, input, target):  # noqa: A002
        return F.mse_loss(input, target, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    def __init__(self, weight=None, reduction: str = "mean", pos_weight=None) -> None:
        super().__init__(reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):  # noqa: A002
        return F.binary_cross_entropy_with_logits(input, target, weight=self.weight,
                                                  reduction=self.reduction,
                                                  pos_weight=self.pos_weight)
