"""detect_anomaly: the first NaN/Inf, forward or backward, names its op and the user's line."""

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import AnomalyError, Tensor, engine


def test_forward_nan_names_op_and_user_line():
    x = Tensor([1.0, -1.0], requires_grad=True)
    with pytest.raises(AnomalyError) as info, np.errstate(invalid="ignore"), tg.detect_anomaly():
        y = x * 2
        z = y.log()  # THE BAD LINE
        z.sum()
    msg = str(info.value)
    assert msg.startswith("Log produced NaN in its output (shape (2,))")
    assert "test_anomaly.py" in msg and "THE BAD LINE" in msg


def test_backward_inf_names_the_forward_op():
    x = Tensor([0.0, 4.0], requires_grad=True)
    with pytest.raises(AnomalyError, match=r"the backward of Sqrt produced Inf .*created at .*x.sqrt\(\)"), \
            np.errstate(divide="ignore"), tg.detect_anomaly():
        y = x.sqrt()
        y.sum().backward()


def test_finite_computation_passes_and_hooks_are_removed():
    x = Tensor(np.array([0.5, 2.0]), requires_grad=True)
    with tg.detect_anomaly():
        with tg.detect_anomaly():  # nesting is fine
            (x.log() * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.log([0.5, 2.0]) + 1)
    assert engine._hooks == [] and engine._grad_hooks == []


def test_without_detection_nan_passes_silently_as_in_numpy():
    with np.errstate(invalid="ignore"):
        assert np.isnan(Tensor([-1.0]).log().item())


def test_augmented_assignment_is_in_place():
    x = Tensor([1.0, 2.0])
    alias = x
    x += 1
    x *= 3
    x -= 1
    x /= 2
    assert alias is x and x.tolist() == [2.5, 4.0] and x._version == 4
    w = Tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="add_: in-place change of a tensor that requires grad"):
        w += 1
