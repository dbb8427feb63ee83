"""nn.init: bounds and spreads of each scheme, gains, fans, seeding, in-place semantics."""

import math

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import nn
from tinygrad_cnn.nn import init


def _param(*shape):
    return nn.Parameter(np.zeros(shape, dtype=np.float32))


def test_calculate_gain():
    assert init.calculate_gain("linear") == 1 and init.calculate_gain("conv2d") == 1
    assert init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("relu") == math.sqrt(2)
    assert init.calculate_gain("tanh") == 5 / 3
    assert init.calculate_gain("leaky_relu") == math.sqrt(2 / (1 + 0.01 ** 2))
    assert init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2 / 1.04)
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="unsupported nonlinearity"):
        init.calculate_gain("swish")


def test_xavier_uniform_and_normal():
    tg.manual_seed(0)
    w = init.xavier_uniform_(_param(300, 200), gain=2.0)
    bound = 2.0 * math.sqrt(6 / 500)
    assert abs(w.numpy()).max() <= bound and abs(w.numpy()).max() > 0.98 * bound
    w = init.xavier_normal_(_param(300, 200))
    assert abs(w.numpy().std() - math.sqrt(2 / 500)) < 0.01 * math.sqrt(2 / 500) * 3


@pytest.mark.parametrize("mode,fan", [("fan_in", 16 * 9), ("fan_out", 32 * 9)])
def test_kaiming_fans_on_conv_weights(mode, fan):
    tg.manual_seed(1)
    w = init.kaiming_uniform_(_param(32, 16, 3, 3), mode=mode, nonlinearity="relu")
    bound = math.sqrt(2) * math.sqrt(3 / fan)
    assert abs(w.numpy()).max() <= bound and abs(w.numpy()).max() > 0.97 * bound
    w = init.kaiming_normal_(_param(128, 64, 3, 3), mode=mode, nonlinearity="relu")
    fan2 = 64 * 9 if mode == "fan_in" else 128 * 9
    expected = math.sqrt(2 / fan2)
    assert abs(w.numpy().std() - expected) < 0.02 * expected


def test_kaiming_default_a_sqrt5_is_pytorchs_linear_init():
    tg.manual_seed(2)
    w = init.kaiming_uniform_(_param(50, 400), a=math.sqrt(5))
    assert abs(w.numpy()).max() <= 1 / 20 and abs(w.numpy()).max() > 0.97 / 20


def test_simple_fills_and_in_place_semantics():
    p = _param(3, 2)
    version = p._version
    assert init.ones_(p) is p and (p.numpy() == 1).all()
    assert (init.zeros_(p).numpy() == 0).all()
    assert (init.constant_(p, 0.5).numpy() == 0.5).all()
    assert p._version > version and p.requires_grad  # allowed on parameters, outside the graph
    u = init.uniform_(_param(1000), -0.5, 0.25).numpy()
    assert u.min() >= -0.5 and u.max() < 0.25
    n = init.normal_(_param(20000), 1.0, 0.5).numpy()
    assert abs(n.mean() - 1.0) < 0.02 and abs(n.std() - 0.5) < 0.02


def test_seed_reproduces_initialisation(device):
    tg.manual_seed(7)
    a = nn.Conv2d(3, 4, 3).to(device)
    tg.manual_seed(7)
    b = nn.Conv2d(3, 4, 3)
    np.testing.assert_array_equal(a.weight.numpy(), b.weight.numpy())
    init.xavier_uniform_(a.weight)  # works on the device's arrays too
    assert a.weight.device == tg.get_device(device)


def test_fan_needs_two_dims():
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init.xavier_uniform_(_param(5))


@pytest.mark.parametrize("fill, name", [(lambda t: init.constant_(t, 1.0), "constant_"),
                                        (lambda t: init.zeros_(t), "zeros_"),
                                        (lambda t: init.uniform_(t), "uniform_"),
                                        (lambda t: init.kaiming_normal_(t), "kaiming_normal_"),
                                        (lambda t: init.xavier_uniform_(t), "xavier_uniform_")])
def test_initialisers_refuse_broadcast_views_by_name_and_change_nothing(fill, name):
    base = tg.zeros(1, 3)
    view = base.expand(2, 3)
    tg.manual_seed(5)
    with pytest.raises(RuntimeError,
                       match=rf"^{name}: the tensor's memory is read-only or shared between its elements"):
        fill(view)
    assert base.tolist() == [[0.0, 0.0, 0.0]] and base._version == 0
    after_refusal = init.uniform_(tg.zeros(4)).tolist()  # the refusal drew nothing
    tg.manual_seed(5)
    assert init.uniform_(tg.zeros(4)).tolist() == after_refusal


def test_load_state_dict_writes_through_the_shared_in_place_path():
    layer = nn.Linear(2, 2)
    version = layer.weight._version
    layer.load_state_dict({"weight": np.ones((2, 2)), "bias": np.zeros(2)})
    assert layer.weight.tolist() == [[1.0, 1.0], [1.0, 1.0]] and layer.weight._version == version + 1
    layer.bias.data = np.broadcast_to(np.zeros(1, np.float32), (2,))  # memory the write must refuse
    with pytest.raises(RuntimeError, match=r"load_state_dict for Linear: 'bias': the tensor's memory is "
                                           r"read-only or shared"):
        layer.load_state_dict({"weight": np.full((2, 2), 7.0), "bias": np.zeros(2)})
    assert layer.weight.tolist() == [[1.0, 1.0], [1.0, 1.0]]  # checked first: nothing written
