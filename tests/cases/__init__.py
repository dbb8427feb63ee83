"""The op-case table: one row per op drives forward, gradcheck and gradgradcheck tests.

Each family adds its rows in a module of this package (``cases/elementwise.py``,
``cases/conv.py``, ...) as a list named ``CASES``; ``tests/test_op_table.py`` collects them.
A case's ``make_inputs(rng)`` returns float64 NumPy arrays drawn away from kinks; its
``reference`` is a slow, obviously correct NumPy computation of the same function.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class OpCase:
    name: str
    fn: Callable  # Tensors -> Tensor (or tuple of Tensors)
    make_inputs: Callable  # rng -> tuple of float64 ndarrays
    reference: Callable | None  # ndarrays -> ndarray (or tuple), NumPy only
    grad_inputs: tuple | None = None  # indices of inputs that require grad (None: all float)
    second_order: bool = True
    atol: float = 1e-6
    rtol: float = 1e-5
    check_float32: bool = True  # float32 in gives float32 out
    tags: tuple = field(default_factory=tuple)

    def __repr__(self) -> str:
        return self.name


def all_cases() -> list:
    cases = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        cases.extend(getattr(module, "CASES", []))
    names = [c.name for c in cases]
    dup = {n for n in names if names.count(n) > 1}
    assert not dup, f"duplicate op-case names: {dup}"
    return cases
