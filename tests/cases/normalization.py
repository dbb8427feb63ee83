"""Op-case rows for the normalisation functions: batch, instance, layer and group norm (weight
and bias get gradients too) and normalize."""

import numpy as np

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F

from cases import OpCase

EPS = 1e-5
_RUNNING_MEAN, _RUNNING_VAR = np.array([0.3, -0.2, 0.1]), np.array([0.5, 2.0, 1.5])


def _normal(*shapes):
    return lambda rng: tuple(rng.standard_normal(s) for s in shapes)


def _scaled_input_weight_bias(x_shape, affine_shape):
    """An input with a non-trivial mean and spread, a weight away from 0 and a bias."""
    def make(rng):
        x = rng.standard_normal(x_shape) * 2 + 0.5
        w = rng.uniform(0.5, 1.5, affine_shape) * rng.choice([-1, 1], affine_shape)
        return x, w, rng.standard_normal(affine_shape)
    return make


def _away_from_zero(shape):
    """|x| in [0.3, 2]: the absolute value's kink at 0 is never straddled (p=1, p=3)."""
    return lambda rng: (rng.uniform(0.3, 2.0, shape) * rng.choice([-1, 1], shape),)


def _distinct_magnitudes(shape):
    """Well-separated absolute values: no ties for the largest (p=inf)."""
    def make(rng):
        n = int(np.prod(shape))
        magnitudes = rng.permutation(np.linspace(0.3, 2.0, n)).reshape(shape)
        return (magnitudes * rng.choice([-1, 1], shape),)
    return make


def _standardised(x, axes):
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + EPS)


def _per_channel(v, ndim):
    return v.reshape((1, -1) + (1,) * (ndim - 2))


def _group_norm_ref(x, groups, w=None, b=None):
    n, c = x.shape[:2]
    out = _standardised(x.reshape(n, groups, -1), (2,)).reshape(x.shape)
    if w is not None:
        out = out * _per_channel(w, x.ndim) + _per_channel(b, x.ndim)
    return out


def _constant(values, like):
    return tg.Tensor(values, dtype=like.dtype, device=like.device)


def _batch_norm_training(x, w, b):
    # Fresh running statistics each call: they are updated in place, the output does not use them.
    mean, var = _constant(np.zeros(3), x), _constant(np.ones(3), x)
    return F.batch_norm(x, mean, var, w, b, training=True, momentum=0.2)


def _batch_norm_eval(x, w, b):
    return F.batch_norm(x, _constant(_RUNNING_MEAN, x), _constant(_RUNNING_VAR, x), w, b)


def _batch_norm_eval_ref(x, w, b):
    shift, scale = _per_channel(_RUNNING_MEAN, x.ndim), np.sqrt(_per_channel(_RUNNING_VAR, x.ndim) + EPS)
    return (x - shift) / scale * _per_channel(w, x.ndim) + _per_channel(b, x.ndim)


def _lp_normalized(x, p, dim):
    if p == np.inf:
        norm = np.abs(x).max(axis=dim, keepdims=True)
    elif p == 0:  # the count of non-zeros
        norm = (x != 0).sum(axis=dim, keepdims=True).astype(x.dtype)
    else:
        norm = (np.abs(x) ** p).sum(axis=dim, keepdims=True) ** (1 / p)
    return x / np.maximum(norm, 1e-12)


CASES = [
    OpCase("layer_norm_last_dim", lambda x, w, b: F.layer_norm(x, (4,), w, b),
           _scaled_input_weight_bias((2, 3, 4), (4,)),
           lambda x, w, b: _standardised(x, (2,)) * w + b),
    OpCase("layer_norm_last_three_dims", lambda x, w, b: F.layer_norm(x, (3, 2, 2), w, b),
           _scaled_input_weight_bias((2, 3, 2, 2), (3, 2, 2)),
           lambda x, w, b: _standardised(x, (1, 2, 3)) * w + b),
    OpCase("layer_norm_no_affine", lambda x: F.layer_norm(x, [5]), _normal((3, 5)),
           lambda x: _standardised(x, (1,))),
    OpCase("group_norm_2_groups", lambda x, w, b: F.group_norm(x, 2, w, b),
           _scaled_input_weight_bias((2, 4, 3, 2), (4,)),
           lambda x, w, b: _group_norm_ref(x, 2, w, b)),
    OpCase("group_norm_1_group_no_affine", lambda x: F.group_norm(x, 1), _normal((2, 3, 4)),
           lambda x: _group_norm_ref(x, 1)),
    OpCase("group_norm_channel_groups", lambda x, w, b: F.group_norm(x, 3, w, b),
           _scaled_input_weight_bias((2, 3, 5), (3,)),
           lambda x, w, b: _group_norm_ref(x, 3, w, b)),
    OpCase("batch_norm_training", _batch_norm_training, _scaled_input_weight_bias((4, 3, 2, 2), (3,)),
           lambda x, w, b: _standardised(x, (0, 2, 3)) * _per_channel(w, 4) + _per_channel(b, 4)),
    OpCase("batch_norm_training_2d_no_affine", lambda x: F.batch_norm(x, None, None, training=True),
           _normal((5, 3)), lambda x: _standardised(x, (0,))),
    OpCase("batch_norm_eval", _batch_norm_eval, _scaled_input_weight_bias((2, 3, 4), (3,)),
           _batch_norm_eval_ref),
    OpCase("instance_norm", lambda x, w, b: F.instance_norm(x, weight=w, bias=b),
           _scaled_input_weight_bias((2, 3, 2, 3), (3,)),
           lambda x, w, b: _standardised(x, (2, 3)) * _per_channel(w, 4) + _per_channel(b, 4)),
    OpCase("normalize_p2", lambda x: F.normalize(x), _normal((3, 4, 2)), lambda x: _lp_normalized(x, 2, 1)),
    OpCase("normalize_p1_last_dim", lambda x: F.normalize(x, p=1, dim=-1), _away_from_zero((3, 4)),
           lambda x: _lp_normalized(x, 1, -1)),
    OpCase("normalize_p3", lambda x: F.normalize(x, p=3, dim=0), _away_from_zero((4, 3)),
           lambda x: _lp_normalized(x, 3, 0)),
    OpCase("normalize_p_half", lambda x: F.normalize(x, p=0.5, dim=1), _away_from_zero((3, 4)),
           lambda x: _lp_normalized(x, 0.5, 1)),
    OpCase("normalize_p0_counts_non_zeros", lambda x: F.normalize(x, p=0, dim=1), _away_from_zero((3, 4)),
           lambda x: _lp_normalized(x, 0, 1)),
    OpCase("normalize_p_inf", lambda x: F.normalize(x, p=float("inf")), _distinct_magnitudes((2, 5)),
           lambda x: _lp_normalized(x, np.inf, 1)),
]
