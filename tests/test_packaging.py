"""The package imports with NumPy alone and exposes the documented surface."""

import subprocess
import sys


def test_import_needs_numpy_only():
    code = (
        "import sys, tinygrad_cnn, tinygrad_cnn.nn.functional, tinygrad_cnn.optim, tinygrad_cnn.data;"
        "heavy = [m for m in ('cupy', 'graphviz', 'matplotlib', 'tqdm', 'PIL', 'torch') if m in sys.modules];"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_public_surface():
    import tinygrad_cnn as tg
    from tinygrad_cnn import Function, Tensor, grad, gradcheck, gradgradcheck, no_grad  # noqa: F401

    for name in tg.__all__:
        assert hasattr(tg, name), name
