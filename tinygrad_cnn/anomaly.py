"""Anomaly detection: find the op that first produced NaN or Inf, forward or backward.

Inside ``detect_anomaly()``, every op's output and every gradient an op's backward returns
is checked; the first non-finite value raises an error naming the op and the line of your
code that created it. It costs a finiteness check per op, so it is off by default.
"""

from __future__ import annotations

import os
import threading
import traceback
from contextlib import contextmanager

from tinygrad_cnn import engine

__all__ = ["detect_anomaly", "AnomalyError"]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_local = threading.local()  # whether this thread is inside detect_anomaly()
_lock = threading.Lock()
_users = 0  # threads inside detect_anomaly(): the hooks stay registered while any is


class AnomalyError(RuntimeError):
    """A NaN or Inf appeared in an op's output or gradient (raised inside ``detect_anomaly()``).

    >>> import tinygrad_cnn as tg
    >>> x = tg.Tensor([1.0, float("nan")])       # e.g. a bad value in the data
    >>> with tg.detect_anomaly():
    ...     y = x * 2
    Traceback (most recent call last):
    ...
    tinygrad_cnn.anomaly.AnomalyError: Mul produced NaN in its output (shape (2,)), created at ...
    """


def _user_frame() -> str:
    """The innermost stack frame outside tinygrad_cnn, as 'file:line: code'."""
    for frame in reversed(traceback.extract_stack()):
        if not os.path.abspath(frame.filename).startswith(_PACKAGE_DIR):
            return f"{frame.filename}:{frame.lineno}: {frame.line}"
    return "<unknown>"


def _bad_values(array) -> str | None:
    if array.dtype.kind != "f":
        return None
    nan = bool((array != array).any())
    inf = bool((abs(array) == float("inf")).any())
    if nan or inf:
        return " and ".join(w for w, b in (("NaN", nan), ("Inf", inf)) if b)
    return None


def _forward_hook(ctx, out) -> None:
    # Ops run inside a backward are judged by the gradients that backward returns.
    if not getattr(_local, "active", 0) or engine.in_backward():
        return
    ctx.created_at = _user_frame()
    bad = _bad_values(out.data)
    if bad:
        raise AnomalyError(
            f"{ctx.name} produced {bad} in its output (shape {out.shape}), "
            f"created at {ctx.created_at}"
        )


def _backward_hook(ctx, grads) -> None:
    if not getattr(_local, "active", 0):
        return
    for i, g in enumerate(grads):
        if g is None:
            continue
        bad = _bad_values(g.data)
        if bad:
            where = getattr(ctx, "created_at", "<created outside detect_anomaly()>")
            raise AnomalyError(
                f"the backward of {ctx.name} produced {bad} in the gradient of input {i} "
                f"(shape {g.shape}); the op was created at {where}"
            )


@contextmanager
def detect_anomaly():
    """Raise at the first op whose output or gradient holds NaN or Inf.

    >>> import tinygrad_cnn as tg
    >>> x = tg.Tensor([0.0, 1.0], requires_grad=True)
    >>> with tg.detect_anomaly():
    ...     y = x.sqrt()            # finite forward: sqrt(0) = 0 ...
    ...     y.sum().backward()      # ... but its gradient 1 / (2 sqrt(0)) is Inf
    Traceback (most recent call last):
    ...
    tinygrad_cnn.anomaly.AnomalyError: the backward of Sqrt produced Inf in the gradient of input 0 ...
    """
    global _users
    with _lock:
        if _users == 0:
            engine._hooks.append(_forward_hook)
            engine._grad_hooks.append(_backward_hook)
        _users += 1
    _local.active = getattr(_local, "active", 0) + 1
    try:
        yield
    finally:
        _local.active -= 1
        with _lock:
            _users -= 1
            if _users == 0:
                engine._hooks.remove(_forward_hook)
                engine._grad_hooks.remove(_backward_hook)
