"""Every op in the op-case table: forward vs a NumPy reference, gradcheck, gradgradcheck.

The coverage test fails when a differentiable Function defined in tinygrad_cnn is not run
directly by some row.
"""

import sys

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import Tensor, engine
from tinygrad_cnn.backend import to_numpy
from tinygrad_cnn.function import all_functions

from cases import all_cases

CASES = all_cases()


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _tensors(case, arrays, device, dtype=np.float64):
    grad_idx = case.grad_inputs
    out = []
    for i, a in enumerate(arrays):
        a = np.asarray(a)
        is_float = a.dtype.kind == "f"
        if is_float:
            a = a.astype(dtype)
        needs = is_float and (grad_idx is None or i in grad_idx)
        out.append(Tensor(a, requires_grad=needs, device=device))
    return tuple(out)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_forward_matches_reference(case, device):
    arrays = case.make_inputs(np.random.default_rng(0))
    got = _as_tuple(case.fn(*_tensors(case, arrays, device)))
    if case.reference is None:
        pytest.skip("no reference for this row (checked elsewhere)")
    want = _as_tuple(case.reference(*arrays))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == np.shape(w), f"{case.name}: shape {g.shape} != {np.shape(w)}"
        np.testing.assert_allclose(to_numpy(g.data), w, atol=case.atol, rtol=case.rtol)


@pytest.mark.parametrize("case", [c for c in CASES if c.check_float32], ids=lambda c: c.name)
def test_float32_stays_float32(case, device):
    arrays = case.make_inputs(np.random.default_rng(0))
    xs = _tensors(case, arrays, device, dtype=np.float32)
    outs = _as_tuple(case.fn(*xs))
    for o in outs:
        if o.dtype.kind == "f":
            assert o.dtype == np.float32, f"{case.name}: float32 inputs gave {o.dtype}"
    live = [o for o in outs if o.requires_grad]
    if live:
        grads = tg.grad(live, [x for x in xs if x.requires_grad],
                        grad_outputs=[tg.ones_like(o) for o in live], allow_unused=True)
        for g in grads:
            assert g is None or g.dtype == np.float32


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_gradcheck(case, device):
    arrays = case.make_inputs(np.random.default_rng(1))
    assert tg.gradcheck(case.fn, _tensors(case, arrays, device))


@pytest.mark.parametrize("case", [c for c in CASES if c.second_order], ids=lambda c: c.name)
def test_gradgradcheck(case, device):
    arrays = case.make_inputs(np.random.default_rng(2))
    assert tg.gradgradcheck(case.fn, _tensors(case, arrays, device))


def _defined_functions():
    """The library's differentiable ops: Function subclasses that their module defines by name
    (so not the example ops that docstrings define while their doctests run)."""
    return {c for c in all_functions() if c.__module__.startswith("tinygrad_cnn.") and c.differentiable
            and getattr(sys.modules.get(c.__module__), c.__name__, None) is c}


def test_every_differentiable_op_has_a_row():
    """Every differentiable Function runs in the forward pass of some row (not merely inside
    another op's backward), so each is checked on its own against its reference."""
    import tinygrad_cnn.nn.functional  # noqa: F401  (loads every op family)

    used = set()
    with engine._hook(lambda ctx, out: used.add(type(ctx))):
        for case in CASES:
            case.fn(*_tensors(case, case.make_inputs(np.random.default_rng(0)), "cpu"))
    missing = sorted(c.__qualname__ for c in _defined_functions() - used)
    assert not missing, f"ops with no row in the op-case table: {missing}"
