"""Shared fixtures: the devices every device-parametrised test runs on.

``"cpu"`` always; ``"strict"`` (a CPU device that refuses implicit host conversions, as CuPy
does) always; ``"cuda"`` when CuPy sees a GPU, skipped otherwise.
"""

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn.testing import enable_strict_device

enable_strict_device()

DEVICES = [
    "cpu",
    "strict",
    pytest.param("cuda", marks=pytest.mark.skipif(not tg.cuda_is_available(), reason="no CuPy GPU")),
]


@pytest.fixture(params=DEVICES)
def device(request):
    return request.param


@pytest.fixture
def rng():
    return np.random.default_rng(0)
