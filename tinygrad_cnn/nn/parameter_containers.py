"""Containers that register the parameters they hold: :class:`ParameterList`, :class:`ParameterDict`.

A plain Tensor given to them becomes a :class:`~tinygrad_cnn.nn.Parameter` sharing its memory, so it
is trained and saved with the module that holds the container.

>>> import tinygrad_cnn as tg
>>> from tinygrad_cnn import nn
>>> [name for name, _ in nn.ParameterList([tg.ones(2), tg.zeros(3)]).named_parameters()]
['0', '1']
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping

from tinygrad_cnn.nn.containers import _key_value_pairs, _position
from tinygrad_cnn.nn.module import Module, Parameter
from tinygrad_cnn.tensor import Tensor

__all__ = ["ParameterList", "ParameterDict"]


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
        """Add ``value`` at the end (a Tensor is wrapped into a Parameter); returns self.

        >>> import tinygrad_cnn as tg
        >>> from tinygrad_cnn import nn
        >>> nn.ParameterList([tg.ones(2)]).append(tg.zeros(3))
        ParameterList(
          (0): Parameter containing: [float32 of size 2]
          (1): Parameter containing: [float32 of size 3]
        )
        """
        _store_member(self, str(len(self)), value)
        self._size += 1  # only once stored, so a value that cannot be stored leaves no gap
        return self

    def extend(self, values):
        """Append every element of the iterable ``values``; returns self.

        A single Tensor is refused (``TypeError``): iterating it would append its rows.

        >>> import tinygrad_cnn as tg
        >>> from tinygrad_cnn import nn
        >>> weights = nn.ParameterList().extend([tg.ones(1), "note"])
        >>> weights
        ParameterList(
          (0): Parameter containing: [float32 of size 1]
          (1): Object of type: str
        )
        >>> len(weights), len(list(weights.parameters()))
        (2, 1)
        """
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
    >>> [(key, p.tolist()) for key, p in scales.items()]
    [('beta', [0.0, 0.0, 0.0]), ('gamma', [1.0, 1.0, 1.0])]
    >>> list(scales.keys()), [p.shape for p in scales.values()]
    (['beta', 'gamma'], [(3,), (3,)])
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
        """The member ``key``, or ``default`` if there is none.

        >>> import tinygrad_cnn as tg
        >>> from tinygrad_cnn import nn
        >>> scales = nn.ParameterDict({"gamma": tg.ones(3)})
        >>> scales.get("gamma").shape, scales.get("beta")
        ((3,), None)
        """
        return self[key] if key in self else default

    def setdefault(self, key: str, default=None):
        """The member ``key``, first set to ``default`` if there is none.

        >>> import tinygrad_cnn as tg
        >>> from tinygrad_cnn import nn
        >>> scales = nn.ParameterDict({"gamma": tg.ones(3)})
        >>> scales.setdefault("beta", tg.zeros(3)).tolist(), list(scales)
        ([0.0, 0.0, 0.0], ['gamma', 'beta'])
        >>> scales.setdefault("gamma", tg.zeros(3)).tolist()
        [1.0, 1.0, 1.0]
        """
        if key not in self:
            self[key] = default
        return self[key]

    def pop(self, key: str):
        """Remove the member ``key`` and return it.

        >>> import tinygrad_cnn as tg
        >>> from tinygrad_cnn import nn
        >>> scales = nn.ParameterDict({"gamma": tg.ones(3), "beta": tg.zeros(3)})
        >>> scales.pop("gamma").tolist(), list(scales)
        ([1.0, 1.0, 1.0], ['beta'])
        """
        value = self[key]
        del self[key]
        return value

    def popitem(self):
        """Remove the last-added member and return ``(key, member)``.

        >>> import tinygrad_cnn as tg
        >>> from tinygrad_cnn import nn
        >>> scales = nn.ParameterDict([("gamma", tg.ones(3)), ("beta", tg.zeros(3))])
        >>> key, p = scales.popitem()
        >>> key, p.tolist(), list(scales)
        ('beta', [0.0, 0.0, 0.0], ['gamma'])
        """
        if not self._keys:
            raise KeyError("ParameterDict.popitem: the dict is empty")
        key = next(reversed(self._keys))
        return key, self.pop(key)

    def clear(self) -> None:
        """Remove every member.

        >>> import tinygrad_cnn as tg
        >>> from tinygrad_cnn import nn
        >>> scales = nn.ParameterDict({"gamma": tg.ones(3)})
        >>> scales.clear()
        >>> len(scales), scales
        (0, ParameterDict())
        """
        for key in list(self._keys):
            del self[key]

    def copy(self) -> ParameterDict:
        """A new ParameterDict holding the same member objects, in the same order.

        >>> import tinygrad_cnn as tg
        >>> from tinygrad_cnn import nn
        >>> scales = nn.ParameterDict([("gamma", tg.ones(3)), ("beta", tg.zeros(3))])
        >>> twin = scales.copy()
        >>> list(twin), twin["gamma"] is scales["gamma"]
        (['gamma', 'beta'], True)
        """
        return ParameterDict(list(self.items()))

    def fromkeys(self, keys, default=None) -> ParameterDict:
        """A new ParameterDict with each of ``keys`` set to ``default``.

        A Tensor ``default`` becomes one Parameter per key, all sharing its memory.

        >>> import tinygrad_cnn as tg
        >>> from tinygrad_cnn import nn
        >>> nn.ParameterDict().fromkeys(["a", "b"], tg.zeros(2))
        ParameterDict(
          (a): Parameter containing: [float32 of size 2]
          (b): Parameter containing: [float32 of size 2]
        )
        """
        return ParameterDict((key, default) for key in keys)

    def update(self, parameters) -> None:
        """Add or replace members from a mapping or an iterable of ``(key, value)`` pairs.

        A plain ``dict`` is added in sorted key order (as in PyTorch); an ``OrderedDict``, a
        ParameterDict or a list of pairs keeps its order.

        >>> import tinygrad_cnn as tg
        >>> from tinygrad_cnn import nn
        >>> scales = nn.ParameterDict([("gamma", tg.ones(3))])
        >>> scales.update({"zeta": tg.ones(1), "alpha": tg.ones(1)})
        >>> scales.update([("omega", tg.ones(1)), ("beta", tg.ones(1))])
        >>> list(scales)
        ['gamma', 'alpha', 'zeta', 'omega', 'beta']
        """
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
