"""The op contract: every differentiable operation is a :class:`Function` subclass.

The contract, documented once here and followed by every built-in op:

* ``forward(self, *arrays, **settings)`` computes on raw arrays of ``self.xp`` (NumPy or
  CuPy) and returns one array. It keeps on ``self`` whatever backward needs.
* ``backward(self, grad)`` receives the output gradient as a :class:`Tensor` and returns one
  gradient per input (a Tensor, or ``None`` for "no gradient"), **written with Tensor ops**,
  so that ``create_graph=True`` yields gradients of gradients for free. The inputs are
  available as ``self.saved_tensors`` and the output as ``self.saved_output``; both check
  that nothing modified them in place since the forward pass.
* ``self.recording`` tells forward whether this application is recorded for backward; when it
  is not (``no_grad``, or no input requires grad), forward may skip saving masks or indices.
* The engine undoes broadcasting, accumulates, skips ``None`` and frees saved state, so a
  backward returns gradients in the broadcast shape and need not care.

Example: a custom op (``x * sin(x)`` written by hand)

>>> import numpy as np
>>> from tinygrad_cnn import Tensor, Function
>>> class XSin(Function):
...     def forward(self, x):
...         return x * self.xp.sin(x)
...     def backward(self, grad):
...         (x,) = self.saved_tensors
...         return grad * (x.sin() + x * x.cos())
>>> x = Tensor(np.array([0.5, 1.0]), requires_grad=True)
>>> XSin.apply(x).sum().backward()
>>> np.allclose(x.grad.numpy(), np.sin([0.5, 1.0]) + [0.5, 1.0] * np.cos([0.5, 1.0]))
True
"""

from __future__ import annotations

import weakref

from tinygrad_cnn import backend, engine
from tinygrad_cnn.tensor import Tensor, as_tensor

__all__ = ["Function", "all_functions"]


class Function:
    """Base class of every op; one instance records one application in the graph.

    A new op subclasses it with ``forward`` (raw arrays in, one array out) and ``backward``
    (Tensor ops), and is called through :meth:`apply`:

    >>> from tinygrad_cnn import Tensor, Function
    >>> class Cube(Function):
    ...     def forward(self, x):
    ...         return x ** 3
    ...     def backward(self, grad):
    ...         (x,) = self.saved_tensors
    ...         return grad * 3 * x * x
    >>> x = Tensor([1.0, 2.0], requires_grad=True)
    >>> y = Cube.apply(x)
    >>> y.sum().backward()
    >>> y.tolist(), y.grad_fn, x.grad.tolist()
    ([1.0, 8.0], <Cube backward>, [3.0, 12.0])
    """

    # Tensors created by this op never require grad (comparisons, argmax, ...).
    differentiable = True

    # Whether forward may return a view of an input's memory (reshape, permute, slicing):
    # the result then shares that input's version counter.
    may_return_view = False

    # What release() keeps: enough to name the op and draw it after its graph is freed.
    _KEPT_AFTER_RELEASE = frozenset({"device", "xp", "needs_input_grad", "settings", "recording"})

    def __init__(self, device, inputs, needs_input_grad, settings=None, recording=False):
        self.device = device
        self.xp = device.xp
        self.inputs = inputs
        self.needs_input_grad = needs_input_grad
        self.settings: dict = {} if settings is None else settings
        # Whether this application is recorded for backward: forward may skip saving state
        # (masks, indices, patches) that only backward would read.
        self.recording = recording
        self._versions = None
        self._output = None
        self.released = False

    @classmethod
    def apply(cls, *inputs, **settings) -> Tensor:
        """Run the op on Tensors (plain scalars are converted) and record it in the graph.

        Keyword arguments are settings: passed on to ``forward`` and kept in ``self.settings``.
        The result requires grad when some input does, grad mode is on and the op is
        differentiable (comparisons and argmax never are).

        >>> from tinygrad_cnn import Tensor
        >>> from tinygrad_cnn.ops.elementwise import Mul
        >>> y = Mul.apply(Tensor([1.0, 2.0], requires_grad=True), 3.0)
        >>> y.tolist(), y.grad_fn
        ([3.0, 6.0], <Mul backward>)
        """
        # This is the hot path of the whole engine (once per op): keep it lean.
        tensors = inputs
        for x in inputs:
            if not isinstance(x, Tensor):
                tensors = _as_tensors(cls, inputs)
                break
        first = tensors[0].data
        device = backend.device_of(first)
        for t in tensors[1:]:
            if type(t.data) is not type(first) or device.type != "cpu":
                _check_same_device(cls, device, t)
        needs = tuple([t._requires_grad for t in tensors])
        record = cls.differentiable and True in needs and engine.is_grad_enabled()
        ctx = cls(device, tensors, needs, settings, record)
        try:
            out = ctx.forward(*[t.data for t in tensors], **settings)
        except ValueError as exc:  # e.g. NumPy's broadcasting error: say which op and shapes
            shapes = ", ".join(str(t.shape) for t in tensors)
            raise ValueError(f"{cls.__name__}: {exc} (input shapes {shapes})") from exc
        result = Tensor._wrap(out, requires_grad=record)
        if cls.may_return_view and out.base is not None:
            _share_version(result, tensors)
        if record:
            result._ctx = ctx
            ctx._versions = tuple([t._vc[0] for t in tensors])
            ctx._output = weakref.ref(result)
            result._output_version = result._vc[0]
        if engine._hooks:
            engine.notify_created(ctx, result)
        return result

    def forward(self, *arrays, **settings):
        """Compute the result from the inputs' raw arrays (of ``self.xp``, NumPy or CuPy) and the
        settings given to :meth:`apply` as keywords; return one array. Subclasses override it.

        >>> from tinygrad_cnn import Tensor, Function
        >>> class Scale(Function):
        ...     def forward(self, x, *, factor):
        ...         return x * factor
        ...     def backward(self, grad):
        ...         return grad * self.settings["factor"]
        >>> Scale.apply(Tensor([1.0, 2.0]), factor=3.0).tolist()
        [3.0, 6.0]
        """
        raise NotImplementedError(f"{type(self).__name__} must implement forward()")

    def backward(self, grad: Tensor):
        """Return one gradient per input (a Tensor, or None for no gradient) given the output's
        gradient ``grad``, written with Tensor ops. Subclasses override it; the engine calls it.

        >>> from tinygrad_cnn import Tensor
        >>> y = Tensor([1.0, 2.0], requires_grad=True) * Tensor([3.0, 4.0])
        >>> gx, gy = y.grad_fn.backward(Tensor([1.0, 1.0]))   # no gradient for the constant
        >>> gx.tolist(), gy
        ([3.0, 4.0], None)
        """
        raise NotImplementedError(f"{type(self).__name__} has no backward()")

    # -- state used by backward -------------------------------------------------------------
    @property
    def name(self) -> str:
        """The op's name as shown in errors and graphs (the class name).

        >>> from tinygrad_cnn import Tensor
        >>> (Tensor([1.0], requires_grad=True) * 2).grad_fn.name
        'Mul'
        """
        return type(self).__name__

    @property
    def saved_tensors(self) -> tuple:
        """The inputs, checked against in-place modification since the forward pass.

        >>> from tinygrad_cnn import Tensor
        >>> a, b = Tensor([2.0], requires_grad=True), Tensor([3.0])
        >>> y = a * b
        >>> [t.tolist() for t in y.grad_fn.saved_tensors]
        [[2.0], [3.0]]
        >>> _ = b.add_(1.0)          # a's gradient needs the old b
        >>> y.backward()
        Traceback (most recent call last):
        ...
        RuntimeError: Mul: an input needed for its gradient (shape (1,)) was modified in place ...
        """
        self._check_alive()
        for t, v in zip(self.inputs, self._versions):
            if t._version != v:
                raise RuntimeError(
                    f"{self.name}: an input needed for its gradient (shape {t.shape}) was "
                    f"modified in place after the forward pass (version {v} -> {t._version}); "
                    "use an out-of-place op or clone() it first"
                )
        return self.inputs

    @property
    def saved_output(self) -> Tensor:
        """The output of this op, checked against in-place modification (ops such as exp and
        sigmoid compute their gradient from it).

        >>> from tinygrad_cnn import Tensor
        >>> y = Tensor([0.0], requires_grad=True).exp()
        >>> y.grad_fn.saved_output is y
        True
        """
        self._check_alive()
        out = self._output()
        if out is None:  # only reachable when backward is called by hand on a dead graph
            raise RuntimeError(f"{self.name}: its output no longer exists")
        if out._version != out._output_version:
            raise RuntimeError(
                f"{self.name}: its output (shape {out.shape}) was modified in place after the "
                "forward pass; use an out-of-place op or clone() it first"
            )
        return out

    def _check_alive(self) -> None:
        if self.released:
            raise RuntimeError(
                f"{self.name}: trying to backward through the graph a second time, but its saved "
                "state was already freed; pass retain_graph=True to the first backward() or grad()"
            )

    def release(self) -> None:
        """Free everything the backward pass needed (called by the engine after it used the
        op, unless ``retain_graph=True``); a second backward through it then raises.

        >>> from tinygrad_cnn import Tensor
        >>> y = (Tensor([1.0], requires_grad=True) * 2).sum()
        >>> y.backward()
        >>> y.grad_fn.released
        True
        >>> y.backward()
        Traceback (most recent call last):
        ...
        RuntimeError: Sum: trying to backward through the graph a second time, ...
        """
        for key in [k for k in vars(self) if k not in self._KEPT_AFTER_RELEASE]:
            delattr(self, key)
        self.inputs = ()
        self.released = True

    def __repr__(self) -> str:
        return f"<{self.name} backward>"


def all_functions() -> set:
    """Every subclass of :class:`Function` defined so far, at any depth (the op registry, for
    tools that check or time every op).

    >>> from tinygrad_cnn.ops.elementwise import Add
    >>> Add in all_functions()
    True
    """
    seen, todo = set(), [Function]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in seen:
                seen.add(sub)
                todo.append(sub)
    return seen


def _check_same_device(cls, device, t) -> None:
    if t.device != device:
        raise RuntimeError(
            f"{cls.__name__}: expected all inputs on one device, got {device.name} and "
            f"{t.device.name}; move them with .to(device) first"
        )


def _share_version(result, tensors) -> None:
    """Give ``result`` the version counter of the input whose memory it views, if any."""
    root = backend.memory_owner(result.data)
    for t in tensors:
        if backend.memory_owner(t.data) is root:
            result._vc = t._vc
            return


def _as_tensors(cls, inputs) -> tuple:
    ref = next((x for x in inputs if isinstance(x, Tensor)), None)
    if ref is None:
        raise TypeError(f"{cls.__name__}.apply: expected at least one Tensor input")
    return tuple([x if isinstance(x, Tensor) else as_tensor(x, like=ref) for x in inputs])
