"""Op-case rows for softmax, the losses, linear and dropout."""

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
    OpCase("linear", lambda x, w, b: F.linear(x, w, b), _normal((4, 3), (2, 3), (2,)),
           lambda x, w, b: x @ w.T + b),
    OpCase("dropout", _dropout, _normal((4, 5)), _dropout_ref),
]
