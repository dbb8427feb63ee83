"""``python -m tinygrad_cnn``: see :mod:`tinygrad_cnn.cli`."""

import sys

from tinygrad_cnn.cli import main

if __name__ == "__main__":
    sys.exit(main())
