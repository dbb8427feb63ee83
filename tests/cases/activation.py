"""Op-case rows for the activations of ``tinygrad_cnn.ops.activation``.

Inputs are drawn from intervals that stay clear of each function's kinks (0 for the ELUs and
PReLU, the bounds for hardtanh and relu6, -3 and 3 for hardsigmoid and hardswish, softplus's
threshold), so the finite differences never straddle one.
"""

import numpy as np

import tinygrad_cnn.nn.functional as F

from cases import OpCase


def _within(shape, *intervals):
    """Values spread over the given (low, high) intervals, in random order."""
    def make(rng):
        pick = rng.integers(0, len(intervals), shape)
        lows = np.array([lo for lo, _ in intervals])[pick]
        highs = np.array([hi for _, hi in intervals])[pick]
        return (rng.uniform(0, 1, shape) * (highs - lows) + lows,)
    return make


_AWAY_FROM_ZERO = ((-3.0, -0.2), (0.2, 3.0))


def _prelu_inputs(channels):
    def make(rng):
        (x,) = _within((2, 3, 4, 2), *_AWAY_FROM_ZERO)(rng)
        return x, rng.uniform(-0.5, 0.5, channels)
    return make


def _expm1_below(x, alpha, scale=1.0):
    return np.where(x > 0, x, alpha * (np.exp(x * scale) - 1))


def _softplus(x, beta=1.0, threshold=20.0):
    return np.where(x * beta > threshold, x, np.logaddexp(0.0, x * beta) / beta)


CASES = [
    OpCase("elu", lambda x: F.elu(x), _within((4, 5), *_AWAY_FROM_ZERO), lambda x: _expm1_below(x, 1.0)),
    OpCase("elu_alpha", lambda x: F.elu(x, alpha=0.3), _within((3, 4), *_AWAY_FROM_ZERO),
           lambda x: _expm1_below(x, 0.3)),
    OpCase("selu", lambda x: F.selu(x), _within((4, 5), *_AWAY_FROM_ZERO),
           lambda x: 1.0507009873554805 * _expm1_below(x, 1.6732632423543772)),
    OpCase("celu", lambda x: F.celu(x, alpha=0.5), _within((4, 5), *_AWAY_FROM_ZERO),
           lambda x: np.maximum(0, x) + np.minimum(0, 0.5 * (np.exp(x / 0.5) - 1))),
    OpCase("celu_negative_alpha", lambda x: F.celu(x, alpha=-2.0), _within((3, 4), *_AWAY_FROM_ZERO),
           lambda x: _expm1_below(x, -2.0, -0.5)),
    OpCase("silu", lambda x: F.silu(x), lambda rng: (rng.standard_normal((4, 5)) * 3,),
           lambda x: x / (1 + np.exp(-x))),
    OpCase("mish", lambda x: F.mish(x), lambda rng: (rng.standard_normal((4, 5)) * 3,),
           lambda x: x * np.tanh(np.log1p(np.exp(x)))),
    OpCase("softplus", lambda x: F.softplus(x), lambda rng: (rng.standard_normal((4, 5)) * 4,), _softplus),
    OpCase("softplus_beta_threshold",  # some values past the threshold (2 * x > 5), none near it
           lambda x: F.softplus(x, beta=2.0, threshold=5.0), _within((4, 5), (-4.0, 2.3), (2.7, 5.0)),
           lambda x: _softplus(x, 2.0, 5.0)),
    OpCase("softplus_negative_beta", lambda x: F.softplus(x, beta=-0.5), _within((3, 4), (-6.0, 6.0)),
           lambda x: _softplus(x, -0.5)),
    OpCase("hardtanh", lambda x: F.hardtanh(x), _within((4, 5), (-3.0, -1.2), (-0.8, 0.8), (1.2, 3.0)),
           lambda x: np.clip(x, -1.0, 1.0)),
    OpCase("hardtanh_bounds", lambda x: F.hardtanh(x, -0.5, 2.0),
           _within((4, 5), (-2.0, -0.7), (-0.3, 1.8), (2.2, 4.0)), lambda x: np.clip(x, -0.5, 2.0)),
    OpCase("relu6", lambda x: F.relu6(x), _within((4, 5), (-2.0, -0.2), (0.2, 5.8), (6.2, 8.0)),
           lambda x: np.minimum(np.maximum(x, 0.0), 6.0)),
    OpCase("hardsigmoid", lambda x: F.hardsigmoid(x), _within((4, 5), (-5.0, -3.2), (-2.8, 2.8), (3.2, 5.0)),
           lambda x: np.clip(x / 6 + 0.5, 0.0, 1.0)),
    OpCase("hardswish", lambda x: F.hardswish(x), _within((4, 5), (-5.0, -3.2), (-2.8, 2.8), (3.2, 5.0)),
           lambda x: x * np.clip(x + 3, 0.0, 6.0) / 6),
    OpCase("prelu_per_channel", lambda x, w: F.prelu(x, w), _prelu_inputs((3,)),
           lambda x, w: np.where(x > 0, x, w[None, :, None, None] * x)),
    OpCase("prelu_shared", lambda x, w: F.prelu(x, w), _prelu_inputs((1,)),
           lambda x, w: np.where(x > 0, x, w[0] * x)),
]
