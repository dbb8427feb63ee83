"""summary(): the seed's LeNet numbers, receptive fields checked against gradients, the table."""

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import nn
from tinygrad_cnn.model_summary import summary
from tinygrad_cnn.models import LeNet5


@pytest.fixture(scope="module")
def lenet():
    return summary(LeNet5(), (1, 1, 32, 32))


def test_lenet_shapes_and_parameters_as_in_the_seed(lenet):
    rows = {r.name: r for r in lenet.rows}
    convs_pools = [rows[f"features.{i}"] for i in (0, 2, 3, 5)]
    assert [r.shape_str for r in convs_pools] == ["28x28x6", "14x14x6", "10x10x16", "5x5x16"]
    assert [r.output_shape for r in convs_pools][0] == (1, 6, 28, 28)
    with_params = [r.params for r in lenet.rows if r.params]
    assert with_params == [156, 2416, 48120, 10164, 850]
    assert lenet.total_params == lenet.trainable_params == 61706


def test_lenet_receptive_fields_and_jumps(lenet):
    rows = {r.name: r for r in lenet.rows}
    rf = [rows[f"features.{i}"].receptive_field for i in (0, 2, 3, 5)]
    jump = [rows[f"features.{i}"].jump for i in (0, 2, 3, 5)]
    assert rf == [(5, 5), (6, 6), (14, 14), (16, 16)]
    assert jump == [(1, 1), (2, 2), (2, 2), (4, 4)]
    assert rows["features.1"].receptive_field == (5, 5)  # ReLU keeps it
    assert rows["classifier.1"].receptive_field is None  # a dense layer sees everything


def test_lenet_mult_adds_and_memory(lenet):
    rows = {r.name: r for r in lenet.rows}
    assert rows["features.0"].mult_adds == 28 * 28 * 6 * 25
    assert rows["features.3"].mult_adds == 10 * 10 * 16 * 150
    assert rows["classifier.1"].mult_adds == 400 * 120
    assert lenet.total_mult_adds == 416520
    assert rows["features.0"].activation_bytes == 6 * 28 * 28 * 4


def test_the_table(lenet):
    text = str(lenet)
    for needle in ("28x28x6", "14x14x6", "10x10x16", "5x5x16", "156", "2,416", "48,120",
                   "10,164", "850", "Total params: 61,706", "Trainable params: 61,706",
                   "RF", "Jump", "Mult-adds", "Activations", "features.0 (Conv2d)"):
        assert needle in text, needle
    line = next(ln for ln in text.splitlines() if ln.startswith("features.5"))
    assert line.split()[2:6] == ["5x5x16", "0", "16", "4"]


def test_frozen_parameters_and_restored_mode():
    model = LeNet5()
    model.train()
    for p in model.features.parameters():
        p.requires_grad_(False)
    s = summary(model, (2, 1, 32, 32))
    assert s.total_params == 61706 and s.trainable_params == 61706 - 156 - 2416
    assert "Non-trainable params: 2,572" in str(s)
    assert model.training
    assert s.rows[0].output_shape == (2, 6, 28, 28)


def _rf_by_gradient(model, size):
    """The receptive field of the central output unit, measured: the extent of the inputs
    with a non-zero gradient (all weights positive, so nothing cancels)."""
    x = tg.ones(1, 1, size, size, requires_grad=True)
    y = model(x)
    pick = np.zeros(y.shape)
    pick[0, 0, y.shape[2] // 2, y.shape[3] // 2] = 1.0
    (y * tg.Tensor(pick, dtype=y.dtype)).sum().backward()
    rows, cols = np.nonzero(x.grad.numpy()[0, 0])
    return rows.max() - rows.min() + 1, cols.max() - cols.min() + 1


@pytest.mark.parametrize("layers", [
    lambda: [nn.Conv2d(1, 2, 3), nn.AvgPool2d(2), nn.Conv2d(2, 2, 3)],
    lambda: [nn.Conv2d(1, 2, 3, stride=2, padding=1), nn.Conv2d(2, 2, 3, dilation=2)],
    lambda: [nn.Conv2d(1, 2, (5, 3)), nn.ReLU(), nn.AvgPool2d(3, stride=2), nn.Conv2d(2, 1, 3)],
])
def test_receptive_field_matches_the_gradient(layers):
    model = nn.Sequential(*layers())
    with tg.no_grad():
        for p in model.parameters():
            p.fill_(0.1)
    s = summary(model, (1, 1, 41, 41))
    assert s.rows[-1].receptive_field == _rf_by_gradient(model, 41)


def test_functional_ops_between_layers_keep_the_chain():
    import tinygrad_cnn.nn.functional as F

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.c1, self.c2 = nn.Conv2d(1, 4, 3), nn.Conv2d(4, 4, 3)

        def forward(self, x):
            return self.c2(F.max_pool2d(F.relu(self.c1(x)), 2))

    s = summary(Net(), (1, 1, 16, 16))
    assert [r.name for r in s.rows] == ["c1", "c2"]
    # the functional pool is not a row, so c2 sees 3 + 2*1 = 5 (pool ignored), jump 1
    assert s.rows[1].receptive_field == (5, 5)


def test_1d_layers():
    model = nn.Sequential(nn.Conv1d(1, 2, 3), nn.MaxPool1d(2), nn.Conv1d(2, 2, 3))
    s = summary(model, (1, 1, 20))
    assert [r.shape_str for r in s.rows] == ["18x2", "9x2", "7x2"]
    assert [r.receptive_field[1] for r in s.rows] == [3, 4, 8]
