"""The dense (Toeplitz) matrix of a convolution gives the convolution's output."""

import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn import nn
from tinygrad_cnn.toeplitz import conv1d_toeplitz, conv2d_toeplitz, conv_param_counts


@pytest.mark.parametrize("cin, cout, k, hw, kwargs", [
    (1, 6, 5, (32, 32), {}),                                   # LeNet's first layer
    (3, 4, 3, (7, 9), {"stride": 2, "padding": 1}),
    (2, 3, (3, 2), (8, 6), {"dilation": (2, 1), "padding": (2, 0)}),
    (4, 6, 3, (6, 6), {"groups": 2, "stride": (1, 2)}),
    (1, 1, 3, (5, 5), {"padding": 1}),                         # the seed's "same" blur
])
def test_matrix_times_input_equals_conv2d(cin, cout, k, hw, kwargs):
    rng = np.random.default_rng(0)
    groups = kwargs.get("groups", 1)
    kh, kw = (k, k) if isinstance(k, int) else k
    w = rng.standard_normal((cout, cin // groups, kh, kw))
    x = rng.standard_normal((cin, *hw))
    M = conv2d_toeplitz(tg.Tensor(w), hw, **kwargs)
    expected = F.conv2d(tg.Tensor(x[None]), tg.Tensor(w), **kwargs).numpy()
    assert M.shape == (expected.size, x.size)
    np.testing.assert_allclose(M @ x.ravel(), expected.ravel(), rtol=1e-10, atol=1e-12)


def test_matrix_of_a_layer_is_its_weight_with_zeros():
    conv = nn.Conv2d(1, 6, 5)
    M = conv2d_toeplitz(conv.weight, (32, 32))
    x = tg.randn(1, 1, 32, 32)
    dense = M @ x.numpy().ravel() + np.repeat(conv.bias.numpy(), 28 * 28)
    np.testing.assert_allclose(dense, conv(x).numpy().ravel(), rtol=1e-4, atol=1e-5)
    counts = conv_param_counts(6, 1, 5, (32, 32))
    assert M.size == counts.dense_weights == 4_816_896
    assert np.count_nonzero(M) == counts.connections == 117_600
    assert len(np.unique(M[M != 0])) <= counts.shared_weights == 150  # weight sharing


def test_conv1d_matrix_is_the_flight_average():
    w = np.array([[[0.01, 0.01, 0.02, 0.02, 0.04, 0.04, 0.05]]])  # the seed's table
    x = np.array([1.0, 1.1, 1.2, 1.4, 1.7, 1.8, 1.9, 2.1, 2.2, 2.4, 2.5, 2.7])
    M = conv1d_toeplitz(w, len(x))
    expected = F.conv1d(tg.Tensor(x[None, None]), tg.Tensor(w)).numpy().ravel()
    np.testing.assert_allclose(M @ x, expected)
    assert M.shape == (6, 12) and np.count_nonzero(M) == 6 * 7


def test_counts_with_padding_skip_the_zeros():
    counts = conv_param_counts(1, 1, 3, (4, 4), padding=1)
    M = conv2d_toeplitz(np.ones((1, 1, 3, 3)), (4, 4), padding=1)
    assert counts.connections == np.count_nonzero(M) == 4 * 4 + 8 * 6 + 4 * 9
    assert counts.output_shape == (1, 4, 4) and counts.biases == 1


def test_bad_arguments():
    with pytest.raises(ValueError, match="shape"):
        conv2d_toeplitz(np.ones((3, 3)), (5, 5))
    with pytest.raises(ValueError, match=r"conv2d_toeplitz: output height would be .* the kernel "
                                         r"\(size 7, dilated 7\) is larger than the padded input \(5\)"):
        conv2d_toeplitz(np.ones((1, 1, 7, 7)), (5, 5))
    with pytest.raises(ValueError, match=r"conv_param_counts: output height .* larger than the padded input \(3\)"):
        conv_param_counts(1, 1, 5, (3, 3))
    with pytest.raises(ValueError, match=r"conv_param_counts: groups=2 must divide the in_channels \(3\)"):
        conv_param_counts(4, 3, 3, (8, 8), groups=2)
    with pytest.raises(ValueError, match=r"conv2d_toeplitz: groups=2 must divide the output channels "
                                         r"\(weight.shape\[0\]\) \(3\)"):
        conv2d_toeplitz(np.ones((3, 1, 3, 3)), (5, 5), groups=2)
    with pytest.raises(TypeError, match=r"conv2d_toeplitz: groups: expected an int, got NoneType None"):
        conv2d_toeplitz(np.ones((3, 1, 3, 3)), (5, 5), groups=None)
    with pytest.raises(ValueError, match=r"conv_param_counts: groups: expected an int >= 1, got 0"):
        conv_param_counts(4, 4, 3, (8, 8), groups=0)
    with pytest.raises(ValueError, match=r"conv2d_toeplitz: stride: expected positive values, got \(0, 0\)"):
        conv2d_toeplitz(np.ones((1, 1, 3, 3)), (5, 5), stride=0)
    with pytest.raises(ValueError, match=r"conv1d_toeplitz: weight: expected shape"):
        conv1d_toeplitz(np.ones((1, 3)), 5)
