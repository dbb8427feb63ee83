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


def test_ci_runs_the_readme_test_command():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    commands = re.findall(r"```bash\n(.*?)\n```", (root / "README.md").read_text(), re.S)
    test_command = next(c.strip() for c in commands if "pytest" in c)
    ci = (root / ".ci" / "run").read_text()
    assert test_command.replace("apt-get", "$SUDO apt-get") in ci
