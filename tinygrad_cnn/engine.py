"""Reverse-mode autodiff: grad mode and the backward walk.

The engine owns the chores every op would otherwise repeat: an iterative (never recursive)
topological order, summing a gradient back to a broadcast input's shape, casting it to the
input's dtype, accumulating, skipping ``None`` and freeing saved state after use.
Backward functions run under ``no_grad`` unless ``create_graph`` is set, so first-order
training pays nothing for graph building.
"""

from __future__ import annotations

import threading
import weakref
from contextlib import contextmanager

from tinygrad_cnn import backend

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "backward", "grad"]

_state = threading.local()
# Callbacks run after every op's forward (ctx, output) and backward (ctx, input_grads);
# used by anomaly detection and tests, empty (and free) otherwise.
_hooks: list = []
_grad_hooks: list = []


def ops_observed() -> bool:
    """Whether callbacks watch every op's output (anomaly detection does): code that may
    run ops in another order or fused, for speed, then runs them as written.

    >>> ops_observed()
    False
    """
    return bool(_hooks)


def is_grad_enabled() -> bool:
    """Whether new ops are recorded in the graph (thread-local, on by default).

    >>> is_grad_enabled()
    True
    >>> with no_grad():
    ...     is_grad_enabled()
    False
    """
    return getattr(_state, "enabled", True)


def _decorate(make_mode, fn):
    """``fn`` run inside a fresh ``make_mode()`` context; a generator function runs inside it
    each time it resumes (not while its caller runs between two items), as in PyTorch."""
    import functools  # noqa: PLC0415
    import inspect  # noqa: PLC0415

    if not inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with make_mode():
                return fn(*args, **kwargs)

        return wrapper

    @functools.wraps(fn)
    def generator(*args, **kwargs):
        gen = fn(*args, **kwargs)
        resume, value = gen.send, None
        while True:
            try:
                with make_mode():
                    item = resume(value)
            except StopIteration as stop:
                return stop.value
            try:
                resume, value = gen.send, (yield item)
            except GeneratorExit:
                with make_mode():
                    gen.close()
                raise
            except BaseException as exc:  # thrown in by the caller: into the generator
                resume, value = gen.throw, exc

    return generator


class set_grad_enabled:
    """Switch graph recording on or off: as a function call, a context manager or a decorator.

    >>> from tinygrad_cnn import Tensor
    >>> x = Tensor([1.0], requires_grad=True)
    >>> with set_grad_enabled(False):
    ...     (x * 2).requires_grad
    False
    """

    def __init__(self, mode: bool) -> None:
        self.prev = is_grad_enabled()
        self.mode = bool(mode)
        _state.enabled = self.mode

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        _state.enabled = self.prev

    def __call__(self, fn):
        _state.enabled = self.prev  # as a decorator, the switch applies only inside fn
        return _decorate(lambda: set_grad_enabled(self.mode), fn)


class _GradMode:
    mode = True

    def __enter__(self):
        self.prev = is_grad_enabled()
        _state.enabled = self.mode

    def __exit__(self, *exc) -> None:
        _state.enabled = self.prev

    def __call__(self, fn):
        return _decorate(type(self), fn)


class no_grad(_GradMode):
    """Context manager and decorator: ops inside are not recorded (thread-local).

    >>> from tinygrad_cnn import Tensor
    >>> x = Tensor([1.0], requires_grad=True)
    >>> with no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    mode = False


class enable_grad(_GradMode):
    """Context manager and decorator that turns recording back on inside ``no_grad``.

    >>> from tinygrad_cnn import Tensor
    >>> x = Tensor([1.0], requires_grad=True)
    >>> with no_grad():
    ...     with enable_grad():
    ...         y = x * 2
    >>> y.requires_grad
    True
    """

    mode = True


# Tensor hooks (register_hook), by id(tensor): (weak reference, {handle id: fn}), and the
# non-leaf tensors whose gradient retain_grad() keeps (id -> weak reference). Both are empty
# unless used: the backward walk then pays one empty-dict check per tensor.
_tensor_hooks: dict = {}
_retained: dict = {}


class RemovableHandle:
    """Returned by ``register_hook``, ``register_forward_hook`` and
    ``register_forward_pre_hook``; ``handle.remove()`` unregisters the hook, and so does
    leaving a ``with handle:`` block.

    >>> from tinygrad_cnn import Tensor
    >>> x = Tensor([1.0, 2.0], requires_grad=True)
    >>> with x.register_hook(lambda g: g * 10):
    ...     x.sum().backward()
    >>> x.sum().backward()         # the hook is gone: 10 + 1
    >>> x.grad.tolist()
    [11.0, 11.0]
    """

    _next_id = 0

    def __init__(self, hooks: dict) -> None:
        self._hooks = hooks
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self) -> None:
        """Unregister the hook (a no-op when it is already gone).

        >>> from tinygrad_cnn import Tensor
        >>> x = Tensor([1.0, 2.0], requires_grad=True)
        >>> handle = x.register_hook(lambda g: g * 10)
        >>> handle.remove()
        >>> x.sum().backward()
        >>> x.grad.tolist()
        [1.0, 1.0]
        """
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def retain(tensor) -> None:
    """Keep the non-leaf ``tensor``'s gradient in its ``.grad`` during backward walks, after
    its hooks have run (as PyTorch does); the tensor is held weakly."""
    key = id(tensor)
    if key not in _retained:
        _retained[key] = weakref.ref(tensor, lambda _ref: _retained.pop(key, None))


def register_tensor_hook(tensor, fn) -> RemovableHandle:
    """Call ``fn(grad)`` with ``tensor``'s gradient each time the backward walk computes it,
    before it is used; a Tensor returned by ``fn`` replaces the gradient."""
    key = id(tensor)
    if key not in _tensor_hooks:
        _tensor_hooks[key] = (weakref.ref(tensor, lambda _ref: _tensor_hooks.pop(key, None)), {})
    hooks = _tensor_hooks[key][1]
    handle = RemovableHandle(hooks)
    hooks[handle.id] = fn
    return handle


def _run_tensor_hooks(t, g):
    for fn in list(_tensor_hooks[id(t)][1].values()):
        out = fn(g)
        if out is not None:
            if not isinstance(out, type(g)):
                raise TypeError(f"register_hook: a hook must return a Tensor or None, got "
                                f"{type(out).__name__}")
            if out.shape != g.shape:
                raise RuntimeError(f"register_hook: a hook must return a gradient of the tensor's "
                                   f"shape {t.shape}, got shape {out.shape}")
            g = out
    return g


def in_backward() -> bool:
    """Whether this thread is running some op's backward right now."""
    return getattr(_state, "in_backward", 0) > 0


def notify_created(ctx, out) -> None:
    for hook in _hooks:
        hook(ctx, out)


@contextmanager
def _hook(fn):
    _hooks.append(fn)
    try:
        yield
    finally:
        _hooks.remove(fn)


def _topo_order(roots) -> list:
    """Tensors reachable from ``roots`` through recorded ops, outputs before inputs."""
    order, visited = [], set()
    stack = [(r, False) for r in roots]
    while stack:
        t, expanded = stack.pop()
        if expanded:
            order.append(t)
            continue
        if id(t) in visited:
            continue
        visited.add(id(t))
        stack.append((t, True))
        ctx = t._ctx
        if ctx is not None:
            if ctx.released:
                ctx._check_alive()  # raises the "backward a second time" error
            for parent in ctx.inputs:
                if parent.requires_grad and id(parent) not in visited:
                    stack.append((parent, False))
    order.reverse()
    return order


def _run(roots, root_grads, retain_graph, create_graph, wanted=None):
    """Walk the graph from ``roots``; accumulate into leaves' ``.grad`` or into ``wanted``.

    ``wanted`` maps id(tensor) -> None for grad(); their gradients are returned in it instead.
    """
    from tinygrad_cnn.tensor import Tensor  # noqa: PLC0415  (tensor imports this module)

    grads: dict[int, Tensor] = {}
    for r, g in zip(roots, root_grads):
        grads[id(r)] = grads[id(r)] + g if id(r) in grads else g
    # Memory a leaf's new .grad must not share: the caller's gradients, and the other leaves'.
    taken = {id(backend.memory_owner(g.data)) for g in root_grads}
    order = _topo_order(roots)
    with set_grad_enabled(create_graph):
        for t in order:
            g = grads.pop(id(t), None)
            if g is not None and _tensor_hooks and id(t) in _tensor_hooks:
                g = _run_tensor_hooks(t, g)
            if wanted is not None and id(t) in wanted:
                wanted[id(t)] = g  # complete: every consumer of t came earlier in the order
            ctx = t._ctx
            if wanted is None and g is not None and (ctx is None or (_retained and id(t) in _retained)):
                if t._grad is not None:  # (the engine's gradients need no setter checks)
                    t._grad = t._grad + g  # a new tensor (recorded only with create_graph)
                else:
                    t._grad = _private(g, taken, create_graph)
            if ctx is None or g is None:
                continue
            _state.in_backward = getattr(_state, "in_backward", 0) + 1
            try:
                in_grads = ctx.backward(g)
            finally:
                _state.in_backward -= 1
            if not isinstance(in_grads, tuple):
                in_grads = (in_grads,)
            for hook in _grad_hooks:
                hook(ctx, in_grads)
            if len(in_grads) != len(ctx.inputs):
                raise RuntimeError(
                    f"{ctx.name}.backward returned {len(in_grads)} gradients, expected "
                    f"{len(ctx.inputs)} (one per input)"
                )
            for parent, pg in zip(ctx.inputs, in_grads):
                if pg is None or not parent.requires_grad:
                    continue
                if not isinstance(pg, Tensor):
                    raise TypeError(f"{ctx.name}.backward must return Tensors or None, got {type(pg).__name__}")
                pg = _fit(pg, parent, ctx)
                key = id(parent)
                grads[key] = grads[key] + pg if key in grads else pg
            if not retain_graph:
                ctx.release()
    return wanted


def _private(g, taken, create_graph):
    """``g`` as a leaf's own ``.grad`` (detached, unless ``create_graph``): copied when its
    memory is read-only or a broadcast, or is the caller's gradient or another leaf's (Add's
    backward hands one gradient to both inputs), so that changing one ``.grad`` in place
    changes nothing else. With ``create_graph`` the copy is a recorded ``clone()``."""
    root = backend.memory_owner(g.data)
    if id(root) in taken or not backend.writable_alone(g.data):
        g = g.clone() if create_graph else type(g)._wrap(g.data.copy())
        root = g.data
    elif not create_graph:
        g = type(g)._wrap(g.data)
    taken.add(id(root))
    return g


def _fit(g, parent, ctx):
    """Sum a broadcast gradient back to ``parent``'s shape and dtype."""
    if g.shape != parent.shape:
        from tinygrad_cnn.ops.shape import sum_to  # noqa: PLC0415

        try:
            g = sum_to(g, parent.shape)
        except ValueError as exc:
            raise RuntimeError(
                f"{ctx.name}.backward returned a gradient of shape {g.shape} for an input of "
                f"shape {parent.shape}"
            ) from exc
    if g.dtype != parent.dtype:
        g = g.to(dtype=parent.dtype)
    return g


def _check_root_grads(outputs, grad_outputs):
    from tinygrad_cnn.tensor import Tensor, as_tensor  # noqa: PLC0415

    result = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not isinstance(out, Tensor):
            raise TypeError(f"outputs[{i}]: expected a Tensor, got {type(out).__name__}")
        if not out.requires_grad:
            raise RuntimeError(
                f"outputs[{i}] does not require grad and has no grad_fn: nothing to differentiate "
                "(was it computed under no_grad(), or from tensors without requires_grad=True?)"
            )
        if g is None:
            if out.numel() != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs, but outputs[{i}] "
                    f"has shape {out.shape}; pass gradient= (or grad_outputs=) of that shape"
                )
            g = Tensor._wrap(out.device.xp.ones(out.shape, dtype=out.dtype))
        else:
            g = as_tensor(g, like=out)
            if g.shape != out.shape:
                raise RuntimeError(
                    f"gradient for outputs[{i}]: expected shape {out.shape}, got {g.shape}"
                )
            if g.device != out.device:
                raise RuntimeError(
                    f"gradient for outputs[{i}]: expected device {out.device.name}, "
                    f"got {g.device.name}"
                )
        result.append(g)
    return result


def backward(tensor, gradient=None, retain_graph=False, create_graph=False) -> None:
    """Accumulate d(tensor)/d(leaf) into every leaf's ``.grad`` (see ``Tensor.backward``).

    >>> from tinygrad_cnn import Tensor
    >>> x = Tensor([2.0, 3.0], requires_grad=True)
    >>> backward((x * x).sum())
    >>> x.grad.tolist()
    [4.0, 6.0]
    """
    (g,) = _check_root_grads([tensor], [gradient])
    _run([tensor], [g], retain_graph or create_graph, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=True):
    """Gradients of ``outputs`` with respect to ``inputs``, returned as a tuple.

    Unlike ``backward()``, nothing is accumulated into ``.grad``. An input that the outputs do
    not depend on gets ``None`` (or an error with ``allow_unused=False``).

    >>> from tinygrad_cnn import Tensor, grad
    >>> x = Tensor([3.0], requires_grad=True)
    >>> (dx,) = grad(x ** 3, x, create_graph=True)   # 3 x^2 = 27
    >>> (ddx,) = grad(dx, x)                          # 6 x = 18
    >>> float(dx.item()), float(ddx.item())
    (27.0, 18.0)
    """
    from tinygrad_cnn.tensor import Tensor  # noqa: PLC0415

    single = isinstance(outputs, Tensor)
    outputs = [outputs] if single else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs] * len(outputs) if grad_outputs is None else [grad_outputs]
    grad_outputs = list(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(
            f"grad_outputs: expected {len(outputs)} entries (one per output), got {len(grad_outputs)}"
        )
    for i, x in enumerate(inputs):
        if not isinstance(x, Tensor):
            raise TypeError(f"inputs[{i}]: expected a Tensor, got {type(x).__name__}")
        if not x.requires_grad:
            raise RuntimeError(f"inputs[{i}] (shape {x.shape}) does not require grad")
    roots = _check_root_grads(outputs, grad_outputs)
    retain = create_graph if retain_graph is None else retain_graph
    wanted = {id(x): None for x in inputs}
    _run(outputs, roots, retain, create_graph, wanted)
    result = []
    for i, x in enumerate(inputs):
        g = wanted[id(x)]
        if g is None and not allow_unused:
            raise RuntimeError(f"inputs[{i}] was not used to compute the outputs")
        if g is not None and not create_graph:
            g = g.detach()
        result.append(g)
    return tuple(result)
