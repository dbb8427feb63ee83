"""Op families: one module per family, each op a Function subclass plus a public function
(or a composite of other ops, whose gradients then come from theirs).

Later families (convolution, pooling, normalisation, losses) build on these; import direction
is always ``function/tensor <- ops <- nn``.
"""

from tinygrad_cnn.ops import (
    activation,
    adaptive_pool,
    conv,
    elementwise,
    linalg,
    loss,
    normalization,
    pointwise_loss,
    pool,
    reduce,
    resize,
    shape,
    sorting,
    unfold,
)

__all__ = [
    "activation", "adaptive_pool", "conv", "elementwise", "linalg", "loss", "normalization",
    "pointwise_loss", "pool", "reduce", "resize", "shape", "sorting", "unfold",
]
