"""The package imports with NumPy alone and exposes the documented surface."""

import subprocess
import sys


def test_import_needs_numpy_only():
    code = (
        "import sys, tinygrad_cnn, tinygrad_cnn.nn.functional, tinygrad_cnn.optim, tinygrad_cnn.data;"
        "heavy = ('cupy', 'graphviz', 'matplotlib', 'tqdm', 'PIL', 'torch', 'threadpoolctl');"
        "heavy = [m for m in heavy if m in sys.modules];"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_convolves_without_threadpoolctl():
    """threadpoolctl only lets the row-run convolutions share their chunks over threads;
    without it they run in the calling thread and give the same result."""
    code = (
        "import sys; sys.modules['threadpoolctl'] = None\n"
        "import numpy as np, tinygrad_cnn as tg\n"
        "from tinygrad_cnn import _threads\n"
        "from tinygrad_cnn.ops import _conv_utils\n"
        "_conv_utils._CHUNK_BYTES = 1\n"
        "x, w = np.ones((4, 2, 3, 5)), np.ones((3, 2, 3, 3))\n"
        "with tg.no_grad():\n"
        "    y = tg.nn.functional.conv2d(tg.Tensor(x), tg.Tensor(w), padding=1).numpy()\n"
        "print(_threads.thread_count(), y[0, 0, 1].tolist(), y[3, 2, 0].tolist())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # a 3x3 window of ones over 2 channels: 18 inside, 12 at an edge, 8 in a corner
    assert out.stdout.split("\n")[0] == "1 [12.0, 18.0, 18.0, 18.0, 12.0] [8.0, 12.0, 12.0, 12.0, 8.0]"


def test_public_surface():
    import tinygrad_cnn as tg
    from tinygrad_cnn import Function, Tensor, grad, gradcheck, gradgradcheck, no_grad  # noqa: F401

    for name in tg.__all__:
        assert hasattr(tg, name), name


def test_ci_runs_the_readme_test_command():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    commands = re.findall(r"```bash\n(.*?)\n```", (root / "README.md").read_text(), re.S)
    test_command = next(c.strip() for c in commands if "pytest" in c)
    ci = (root / ".ci" / "run").read_text()
    assert test_command.replace("apt-get", "$SUDO apt-get") in ci
