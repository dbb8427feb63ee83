"""Checks of plain-number arguments (sizes, counts, coefficients), shared by the ops, the layers
and the data tools: a wrong type raises TypeError, a wrong value ValueError, and both name the
argument, what was expected and what came.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["check_int", "check_real", "check_probability"]


def check_int(op: str, arg: str, value, minimum: int = 1) -> int:
    """``value`` as an int, checked to be an integer (not a bool) of at least ``minimum``.

    >>> check_int("Linear", "in_features", 0)
    Traceback (most recent call last):
    ...
    ValueError: Linear: in_features: expected an int >= 1, got 0
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{op}: {arg}: expected an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{op}: {arg}: expected an int >= {minimum}, got {value}")
    return int(value)


def check_real(op: str, arg: str, value) -> float:
    """``value`` as a float, checked to be a real number (not a bool); ranges are the caller's.

    >>> check_real("elu", "alpha", "1")
    Traceback (most recent call last):
    ...
    TypeError: elu: alpha: expected a real number, got str '1'
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{op}: {arg}: expected a real number, got {type(value).__name__} {value!r}")
    return float(value)


def check_probability(op: str, arg: str, value) -> float:
    """``value`` as a float, checked to be a probability in [0, 1].

    >>> check_probability("dropout", "p", 1.5)
    Traceback (most recent call last):
    ...
    ValueError: dropout: p: expected a probability in [0, 1], got 1.5
    """
    p = check_real(op, arg, value)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: {arg}: expected a probability in [0, 1], got {value!r}")
    return p
