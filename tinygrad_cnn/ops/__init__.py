"""Op families: one module per family, each op a Function subclass plus a public function.

Later families (convolution, pooling, losses) build on these; import direction is always
``function/tensor <- ops <- nn``.
"""

from tinygrad_cnn.ops import conv, elementwise, linalg, loss, pool, reduce, shape, sorting

__all__ = ["conv", "elementwise", "linalg", "loss", "pool", "reduce", "shape", "sorting"]
