"""The LeNet-5 example on a GPU: the very same code, only the device flag changes.

    python examples/train_gpu.py            # needs CuPy and an NVIDIA GPU

Equivalent to ``python examples/train_lenet.py --device cuda`` and to
``python -m tinygrad_cnn train --device cuda``.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from train_lenet import main  # noqa: E402

import tinygrad_cnn as tg  # noqa: E402

if __name__ == "__main__":
    if not tg.cuda_is_available():
        sys.exit("no usable GPU: install CuPy for your CUDA version (e.g. pip install cupy-cuda12x)")
    main(device="cuda")
