"""The gradient doctor on deliberately broken models."""

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import nn


def _batch(n=8, f=3, seed=0):
    return tg.Tensor(np.random.default_rng(seed).standard_normal((n, f)).astype(np.float32))


def test_healthy_model_reports_no_problems():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
    report = tg.diagnose((model(_batch()) ** 2).mean(), model)
    assert report.healthy, str(report)
    assert [n for n, _, _ in report.grad_norms] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert "no problems found" in str(report)


class _Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(3, 6), nn.ReLU())
        self.head = nn.Linear(6, 1)
        self.head2 = nn.Linear(6, 2)  # defined, never used

    def forward(self, x):
        return self.head(self.body(x))


def test_unreachable_parameters_and_dead_relus():
    tg.manual_seed(0)
    model = _Net()
    with tg.no_grad():
        model.body[0].bias.data[...] = 50.0  # every unit fires ...
        model.body[0].bias.data[:2] = -50.0  # ... except two, which never can on this data
    report = tg.diagnose(model(_batch()).sum(), model)
    assert report.unreachable == ["head2.weight", "head2.bias"]
    assert report.dead_relus == [("body.0", 2, 6)]
    text = str(report)
    assert "no gradient path to the loss: head2.weight" in text
    assert "dead ReLU units after body.0: 2 of 6" in text


def test_saturated_tanh_and_exploding_gradients():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    with tg.no_grad():
        model[0].weight.data[...] = 0
        model[0].bias.data[...] = 30.0  # tanh pinned at 1 for every sample
        model[2].weight.data[...] = 1e6
    report = tg.diagnose(model(_batch()).sum(), model)
    assert report.saturated == [("Tanh", "0", 4, 4)]
    verdicts = dict((n, v) for n, _, v in report.grad_norms)
    assert verdicts["0.weight"] == "vanishing"  # tanh' = 1 - tanh^2 = 0 in float32
    assert verdicts["2.weight"] == "ok" and verdicts["2.bias"] == "ok"
    big = nn.Sequential(nn.Linear(3, 1))
    with tg.no_grad():
        big[0].weight.data[...] = 1e5
    norms = tg.diagnose((big(_batch()) ** 2).sum(), big).grad_norms
    assert dict((n, v) for n, _, v in norms)["0.weight"] == "exploding"


def test_first_nonfinite_op():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 2))
    with np.errstate(invalid="ignore"):
        loss = model(_batch()).log().sum()  # log of negative outputs
    report = tg.diagnose(loss, model)
    assert report.first_nonfinite == "Log (output shape (8, 2)) after 0"


def test_grad_is_left_untouched_and_errors():
    model = nn.Sequential(nn.Linear(3, 1))
    loss = model(_batch()).sum()
    tg.diagnose(loss, model)
    assert model[0].weight.grad is None
    loss.backward()  # the graph is still usable
    assert model[0].weight.grad is not None
    with pytest.raises(RuntimeError, match="does not require grad"):
        tg.diagnose(tg.Tensor([1.0]), model)
