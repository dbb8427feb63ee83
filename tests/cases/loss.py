"""Op-case rows for softmax, the losses (those of ops/loss.py and ops/pointwise_loss.py), linear
and dropout."""

import numpy as np

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F

import reference as ref
from cases import OpCase


def _normal(*shapes):
    return lambda rng: tuple(rng.standard_normal(s) for s in shapes)


def _logits_and_labels(rng):
    return rng.standard_normal((5, 4)) * 3, np.array([0, 3, 1, 3, 2])


def _dropout(x):
    tg.manual_seed(7)
    return F.dropout(x, 0.3)


def _dropout_ref(x):
    keep = np.random.default_rng(7).random(x.shape) >= 0.3
    return x * keep / 0.7


def _bce_inputs(rng):
    return rng.standard_normal((3, 4)) * 3, rng.uniform(0, 1, (3, 4))


def _apart(low, high):
    """An input and a target whose differences lie in [low, high] in size, either sign: away
    from the kinks of |d| at 0 and of smooth L1 / Huber at beta / delta."""
    def make(rng):
        x = rng.standard_normal((3, 4))
        size = rng.uniform(low, high, (3, 4))
        return x, x - size * rng.choice([-1.0, 1.0], (3, 4))
    return make


def _split_around(edge):
    """Differences inside (0.2 edge, 0.7 edge) and outside (1.3 edge, 2.5 edge): both branches
    of smooth L1 / Huber, none near the seam."""
    def make(rng):
        x = rng.standard_normal((4, 3))
        inner = rng.uniform(0.2, 0.7, (2, 3)) * edge
        outer = rng.uniform(1.3, 2.5, (2, 3)) * edge
        size = np.concatenate([inner, outer])
        return x, x - size * rng.choice([-1.0, 1.0], (4, 3))
    return make


def _huber_ref(x, y, delta):
    a = np.abs(x - y)
    return np.where(a < delta, 0.5 * a**2, delta * (a - 0.5 * delta))


def _probabilities(rng):
    return rng.uniform(0.1, 0.9, (3, 4)), rng.uniform(0, 1, (3, 4))


def _probabilities_and_weight(rng):
    return (*_probabilities(rng), rng.uniform(0.5, 2.0, (4,)))


def _bce_ref(x, y, w=1.0):
    return -w * (y * np.log(x) + (1 - y) * np.log(1 - x))


def _log_probs_and_probs(rng):
    return rng.standard_normal((3, 5)), rng.uniform(0.05, 1.0, (3, 5))


def _log_probs_twice(rng):
    return rng.standard_normal((3, 5)), rng.standard_normal((3, 5)) - 1.0


CASES = [
    OpCase("softmax", lambda x: F.softmax(x, dim=1), _normal((3, 4, 2)), lambda x: ref.softmax(x, 1)),
    OpCase("log_softmax", lambda x: F.log_softmax(x, dim=-1), _normal((3, 5)),
           lambda x: ref.log_softmax(x, -1)),
    OpCase("cross_entropy", lambda x, t: F.cross_entropy(x, t), _logits_and_labels,
           lambda x, t: ref.cross_entropy(x, t)),
    OpCase("cross_entropy_weight_smoothing_none",
           lambda x, t: F.cross_entropy(x, t, weight=tg.Tensor(np.array([1.0, 2.0, 0.5, 1.5]),
                                                                dtype=x.dtype, device=x.device),
                                        reduction="none", label_smoothing=0.2),
           _logits_and_labels,
           lambda x, t: ref.cross_entropy(x, t, np.array([1.0, 2.0, 0.5, 1.5]), reduction="none",
                                          label_smoothing=0.2)),
    OpCase("cross_entropy_probabilities",  # the target gets a gradient too
           lambda x, p: F.cross_entropy(x, p, label_smoothing=0.1), _bce_inputs,
           lambda x, p: -((p * 0.9 + 0.1 / 4) * ref.log_softmax(x, 1)).sum() / 3),
    OpCase("nll_loss_sum", lambda x, t: F.nll_loss(F.log_softmax(x, 1), t, reduction="sum"),
           _logits_and_labels, lambda x, t: ref.cross_entropy(x, t, reduction="sum")),
    OpCase("mse_loss", lambda x, y: F.mse_loss(x, y), _normal((3, 4), (3, 4)),
           lambda x, y: np.mean((x - y) ** 2)),
    OpCase("binary_cross_entropy_with_logits", lambda x, y: F.binary_cross_entropy_with_logits(x, y),
           _bce_inputs, ref.bce_with_logits),
    OpCase("l1_loss", lambda x, y: F.l1_loss(x, y), _apart(0.2, 1.5),
           lambda x, y: np.mean(np.abs(x - y))),
    OpCase("l1_loss_none", lambda x, y: F.l1_loss(x, y, reduction="none"), _apart(0.2, 1.5),
           lambda x, y: np.abs(x - y)),
    OpCase("smooth_l1_loss", lambda x, y: F.smooth_l1_loss(x, y), _split_around(1.0),
           lambda x, y: np.mean(_huber_ref(x, y, 1.0))),
    OpCase("smooth_l1_loss_beta_sum", lambda x, y: F.smooth_l1_loss(x, y, reduction="sum", beta=0.5),
           _split_around(0.5), lambda x, y: np.sum(_huber_ref(x, y, 0.5)) / 0.5),
    OpCase("smooth_l1_loss_beta0_none", lambda x, y: F.smooth_l1_loss(x, y, reduction="none", beta=0.0),
           _apart(0.2, 1.5), lambda x, y: np.abs(x - y)),
    OpCase("huber_loss_none", lambda x, y: F.huber_loss(x, y, reduction="none", delta=1.5),
           _split_around(1.5), lambda x, y: _huber_ref(x, y, 1.5)),
    OpCase("huber_loss", lambda x, y: F.huber_loss(x, y), _split_around(1.0),
           lambda x, y: np.mean(_huber_ref(x, y, 1.0))),
    OpCase("binary_cross_entropy", lambda x, y: F.binary_cross_entropy(x, y), _probabilities,
           lambda x, y: np.mean(_bce_ref(x, y))),
    OpCase("binary_cross_entropy_weight_sum",
           lambda x, y, w: F.binary_cross_entropy(x, y, weight=w, reduction="sum"),
           _probabilities_and_weight, lambda x, y, w: np.sum(_bce_ref(x, y, w))),
    OpCase("binary_cross_entropy_none", lambda x, y: F.binary_cross_entropy(x, y, reduction="none"),
           _probabilities, _bce_ref),
    OpCase("kl_div_batchmean", lambda x, t: F.kl_div(x, t, reduction="batchmean"), _log_probs_and_probs,
           lambda x, t: np.sum(t * (np.log(t) - x)) / 3),
    OpCase("kl_div", lambda x, t: F.kl_div(x, t), _log_probs_and_probs,
           lambda x, t: np.mean(t * (np.log(t) - x))),
    OpCase("kl_div_log_target_none", lambda x, t: F.kl_div(x, t, reduction="none", log_target=True),
           _log_probs_twice, lambda x, t: np.exp(t) * (t - x)),
    OpCase("kl_div_log_target_sum", lambda x, t: F.kl_div(x, t, reduction="sum", log_target=True),
           _log_probs_twice, lambda x, t: np.sum(np.exp(t) * (t - x))),
    OpCase("linear", lambda x, w, b: F.linear(x, w, b), _normal((4, 3), (2, 3), (2,)),
           lambda x, w, b: x @ w.T + b),
    OpCase("dropout", _dropout, _normal((4, 5)), _dropout_ref),
]
