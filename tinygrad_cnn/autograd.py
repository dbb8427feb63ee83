"""Gradient checks against central finite differences (PyTorch's ``gradcheck`` semantics).

The outputs are contracted with a random cotangent ``v`` and the check compares
``d<v, f(x)>/dx`` computed by autodiff with central differences. A plain sum of the outputs
would not do: softmax's outputs always sum to 1, so a sum-based check passes even a softmax
whose gradient is identically zero.
"""

from __future__ import annotations

import numpy as np

from tinygrad_cnn import backend, engine
from tinygrad_cnn.tensor import Tensor

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Raised by :func:`gradcheck` when analytical and numerical gradients disagree.

    Here a custom op whose backward forgets the factor 2 of ``d(x*x)/dx``:

    >>> import numpy as np
    >>> from tinygrad_cnn import Tensor, Function
    >>> class BadSquare(Function):
    ...     def forward(self, x):
    ...         return x * x
    ...     def backward(self, grad):
    ...         (x,) = self.saved_tensors
    ...         return grad * x          # should be grad * 2 * x
    >>> gradcheck(BadSquare.apply, Tensor(np.array([1.0, 2.0]), requires_grad=True))
    Traceback (most recent call last):
    ...
    tinygrad_cnn.autograd.GradcheckError: gradcheck: gradient mismatch for inputs[0] (shape (2,)) at element (1,): ...
    """


def _as_tuple(x) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _float_outputs(outputs) -> list:
    return [o for o in outputs if isinstance(o, Tensor) and o.dtype.kind == "f"]


def _diff_inputs(inputs) -> list:
    idx = []
    for i, x in enumerate(inputs):
        if isinstance(x, Tensor) and x.requires_grad:
            if x.dtype != np.float64:
                raise TypeError(
                    f"gradcheck: inputs[{i}] has dtype {x.dtype}; finite differences need float64 "
                    "inputs (use .double())"
                )
            idx.append(i)
    if not idx:
        raise ValueError("gradcheck: no input requires grad; nothing to check")
    return idx


def _contract(outputs, cotangents) -> float:
    total = 0.0
    for o, v in zip(outputs, cotangents):
        total += float((o.data.astype(np.float64) * v).sum().item())
    return total


def gradcheck(fn, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, seed: int = 0) -> bool:
    """Check the gradients of ``fn`` at ``inputs`` against central finite differences.

    ``inputs`` is a Tensor or a tuple; those with ``requires_grad=True`` are checked and must
    be float64. Returns True, or raises :class:`GradcheckError` naming the input, the element
    and both values (returns False instead with ``raise_exception=False``).

    >>> import numpy as np
    >>> from tinygrad_cnn import Tensor, gradcheck
    >>> x = Tensor(np.random.default_rng(0).normal(size=(3, 4)), requires_grad=True)
    >>> gradcheck(lambda t: (t * t).exp(), x)
    True
    """
    inputs = _as_tuple(inputs)
    diff = _diff_inputs(inputs)
    rng = np.random.default_rng(seed)
    outputs = _float_outputs(_as_tuple(fn(*inputs)))
    cotangents = []
    for o in outputs:
        v = rng.standard_normal(o.shape)
        cotangents.append(backend.to_device(v, o.device))

    # Analytical: one vector-Jacobian product per input.
    live = [(o, v) for o, v in zip(outputs, cotangents) if o.requires_grad]
    analytic = [None] * len(diff)
    if live:
        analytic = list(engine.grad(
            [o for o, _ in live], [inputs[i] for i in diff],
            grad_outputs=[Tensor._wrap(v.astype(o.dtype)) for o, v in live], allow_unused=True,
        ))

    # Numerical: perturb one element at a time.
    for k, i in enumerate(diff):
        x = inputs[i]
        host = backend.to_numpy(x.data).astype(np.float64)
        numeric = np.zeros(host.size)
        moved = host.copy().reshape(-1)  # perturbed one element at a time, then restored
        for j in range(host.size):
            vals = []
            for delta in (eps, -eps):
                moved[j] = host.flat[j] + delta
                args = list(inputs)
                # Grad mode stays on: gradgradcheck's fn runs autodiff inside.
                args[i] = Tensor._wrap(backend.to_device(moved.reshape(host.shape), x.device),
                                       requires_grad=True)
                outs = _float_outputs(_as_tuple(fn(*args)))
                vals.append(_contract(outs, cotangents))
            moved[j] = host.flat[j]
            numeric[j] = (vals[0] - vals[1]) / (2 * eps)
        g = analytic[k]
        got = np.zeros(host.size)
        if g is not None:
            got = backend.to_numpy(g.data).astype(np.float64).reshape(-1)
        if got.size != numeric.size:
            raise GradcheckError(
                f"gradcheck: gradient for inputs[{i}] has {got.size} elements, expected {numeric.size}"
            )
        bad = np.abs(got - numeric) > atol + rtol * np.abs(numeric)
        if bad.any():
            j = int(np.argmax(np.abs(got - numeric) - rtol * np.abs(numeric)))
            where = np.unravel_index(j, host.shape) if host.ndim else ()
            msg = (
                f"gradcheck: gradient mismatch for inputs[{i}] (shape {host.shape}) at element "
                f"{tuple(int(w) for w in where)}: numerical {numeric[j]:.8g}, analytical "
                f"{got[j]:.8g} ({int(bad.sum())} of {bad.size} elements differ by more than "
                f"atol={atol} + rtol={rtol} * |numerical|)"
            )
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True


def gradgradcheck(fn, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, raise_exception: bool = True, seed: int = 0) -> bool:
    """Check second-order gradients: gradcheck of ``(x, v) -> d<v, fn(x)>/dx``.

    The first-order gradients are built with ``create_graph=True`` and checked, with respect
    to both the inputs and the random cotangents ``v``, against finite differences.

    >>> import numpy as np
    >>> from tinygrad_cnn import Tensor, gradgradcheck
    >>> x = Tensor(np.random.default_rng(0).normal(size=(3,)), requires_grad=True)
    >>> gradgradcheck(lambda t: (t ** 3).sin(), x)
    True
    """
    inputs = _as_tuple(inputs)
    diff = _diff_inputs(inputs)
    outputs = [o for o in _float_outputs(_as_tuple(fn(*inputs))) if o.requires_grad]
    if grad_outputs is None:
        rng = np.random.default_rng(seed + 1)
        grad_outputs = [
            Tensor(backend.to_device(rng.standard_normal(o.shape), o.device), requires_grad=True)
            for o in outputs
        ]
    grad_outputs = list(_as_tuple(grad_outputs))
    n = len(inputs)

    def first_order(*args):
        xs, vs = args[:n], args[n:]
        outs = [o for o in _float_outputs(_as_tuple(fn(*xs))) if o.requires_grad]
        if not outs:
            return tuple(Tensor._wrap(xs[i].data * 0) for i in diff)
        grads = engine.grad(outs, [xs[i] for i in diff], grad_outputs=list(vs),
                            create_graph=True, allow_unused=True)
        return tuple(Tensor._wrap(xs[i].data * 0) if g is None else g for i, g in zip(diff, grads))

    return gradcheck(first_order, (*inputs, *grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, seed=seed)
