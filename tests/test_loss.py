"""Softmax, losses, linear and dropout: numbers, stability at logits of 1000, reductions,
label smoothing, ignore_index, reproducible dropout, and every bad-input error."""

import math

import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn import Tensor

import reference as ref


def test_softmax_numbers():
    out = F.softmax(Tensor([1.0, 2.0, 3.0]), dim=0).numpy()
    e = np.exp([1.0, 2.0, 3.0])
    np.testing.assert_allclose(out, e / e.sum(), rtol=1e-6)
    np.testing.assert_allclose(out, [0.09003057, 0.24472847, 0.66524096], rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_and_log_softmax_finite_at_1000(dtype):
    x = Tensor(np.array([[1000.0, 0.0, -1000.0], [1000.0, 1000.0, 1000.0]], dtype=dtype), requires_grad=True)
    p = F.softmax(x, dim=1)
    np.testing.assert_allclose(p.numpy(), [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]], atol=1e-6)
    logp = F.log_softmax(x, dim=1)
    np.testing.assert_allclose(logp.numpy(), [[0, -1000, -2000], [-math.log(3)] * 3], rtol=1e-6)
    (g,) = tg.grad(logp[0, 1], x)
    assert np.isfinite(g.numpy()).all()
    np.testing.assert_allclose(g.numpy(), [[-1, 1, 0], [0, 0, 0]], atol=1e-6)


def test_cross_entropy_finite_at_1000_with_finite_gradient():
    x = Tensor(np.array([[1000.0, 0.0, -1000.0]]), requires_grad=True)
    assert F.cross_entropy(x, Tensor([0])).item() == pytest.approx(0.0)
    loss = F.cross_entropy(x, Tensor([2]))
    assert loss.item() == pytest.approx(2000.0)
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), [[1.0, 0.0, -1.0]], atol=1e-12)


def test_cross_entropy_numbers_and_reductions():
    x = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]])
    t = np.array([0, 2])
    per = [-math.log(math.exp(2.0) / sum(math.exp(v) for v in x[0])),
           -math.log(math.exp(0.3) / sum(math.exp(v) for v in x[1]))]
    np.testing.assert_allclose(F.cross_entropy(Tensor(x), Tensor(t), reduction="none").numpy(), per)
    assert F.cross_entropy(Tensor(x), Tensor(t)).item() == pytest.approx(np.mean(per))
    assert F.cross_entropy(Tensor(x), Tensor(t), reduction="sum").item() == pytest.approx(sum(per))
    assert F.cross_entropy(Tensor(x), Tensor(t)).item() == pytest.approx((0.4170300 + 2.4200495) / 2, rel=1e-6)


def test_cross_entropy_gradient_is_softmax_minus_onehot_over_n():
    x = np.random.default_rng(0).standard_normal((4, 5))
    t = np.array([1, 0, 4, 2])
    xt = Tensor(x, requires_grad=True)
    F.cross_entropy(xt, Tensor(t)).backward()
    want = (ref.softmax(x, 1) - np.eye(5)[t]) / 4
    np.testing.assert_allclose(xt.grad.numpy(), want, atol=1e-12)


def test_label_smoothing_weight_and_ignore_index_match_reference():
    x = np.random.default_rng(1).standard_normal((6, 4))
    t = np.array([0, 3, -100, 1, 2, 3])
    w = np.array([0.5, 1.0, 2.0, 1.5])
    for kw in ({"label_smoothing": 0.1}, {"weight": w}, {"weight": w, "label_smoothing": 0.3},
               {"reduction": "sum", "label_smoothing": 0.2}, {"reduction": "none", "weight": w}):
        got = F.cross_entropy(Tensor(x), Tensor(t), **{k: Tensor(v) if k == "weight" else v for k, v in kw.items()})
        np.testing.assert_allclose(got.numpy(), ref.cross_entropy(x, t, **kw), atol=1e-12, err_msg=str(kw))
    none = F.cross_entropy(Tensor(x), Tensor(t), reduction="none").numpy()
    assert none[2] == 0.0  # the ignored sample


def test_label_smoothing_of_one_is_uniform_target():
    x = np.array([[3.0, 0.0]])
    got = F.cross_entropy(Tensor(x), Tensor([0]), label_smoothing=1.0).item()
    assert got == pytest.approx(-0.5 * (ref.log_softmax(x, 1)).sum())


def test_cross_entropy_probability_targets_and_spatial_inputs():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 4, 5))
    p = ref.softmax(rng.standard_normal((2, 3, 4, 5)), 1)
    want = -(p * ref.log_softmax(x, 1)).sum(1).mean()
    assert F.cross_entropy(Tensor(x), Tensor(p)).item() == pytest.approx(want)
    t = rng.integers(0, 3, (2, 4, 5))
    per = F.cross_entropy(Tensor(x), Tensor(t), reduction="none")
    assert per.shape == (2, 4, 5)
    flat = np.moveaxis(x, 1, -1).reshape(-1, 3)
    np.testing.assert_allclose(per.numpy().ravel(), ref.cross_entropy(flat, t.ravel(), reduction="none"))
    assert F.cross_entropy(Tensor(x[0, :, 0, 0]), Tensor(np.array(1))).shape == ()  # unbatched


def test_probability_targets_get_their_gradient_and_promote_like_pytorch():
    rng = np.random.default_rng(3)
    x, t = rng.standard_normal((3, 4)), rng.random((3, 4))
    target = Tensor(t, requires_grad=True)
    F.cross_entropy(Tensor(x), target).backward()
    logp = x - np.log(np.exp(x).sum(1, keepdims=True))
    np.testing.assert_allclose(target.grad.numpy(), -logp / 3, rtol=1e-12)  # d/dt of -sum(t logp)/N
    weight = Tensor(rng.random(4))
    assert tg.gradcheck(lambda q: F.cross_entropy(Tensor(x), q, label_smoothing=0.1, weight=weight),
                        (target,))
    x32, p64 = Tensor(np.zeros((2, 3), np.float32)), Tensor(np.full((2, 3), 1 / 3))
    assert F.cross_entropy(x32, p64).dtype == np.float64  # float32 logits, float64 targets


def test_means_over_no_samples_are_nan_and_zero_losses_are_positive_zero():
    no_labels = Tensor(np.zeros(0, np.int64))
    for loss in (F.cross_entropy(tg.zeros(0, 3), no_labels), F.nll_loss(tg.zeros(0, 3), no_labels),
                 F.cross_entropy(tg.zeros(0, 3), tg.zeros(0, 3))):
        assert np.isnan(loss.item())
    assert F.cross_entropy(tg.zeros(0, 3), no_labels, reduction="sum").item() == 0.0
    for zero in (F.cross_entropy(Tensor([[0.0, -1000.0]]), Tensor([0])),
                 F.cross_entropy(tg.zeros(0, 3), no_labels, reduction="sum"),
                 F.cross_entropy(Tensor([[1.0, 2.0]]), Tensor([-100]), reduction="none")):
        assert not np.signbit(zero.numpy()).any(), zero  # +0.0, as in PyTorch


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_with_logits_keeps_tiny_losses(dtype):
    # log(1 + exp(-20)) = 2.06e-9 rounds to 0 as log(1 + 2.06e-9) in float32; log1p keeps it.
    got = F.binary_cross_entropy_with_logits(Tensor(np.array([20.0, 30.0], dtype)),
                                             Tensor(np.ones(2, dtype)), reduction="none")
    np.testing.assert_allclose(got.numpy(), np.log1p(np.exp(-np.array([20.0, 30.0]))), rtol=1e-6)


def test_loss_layers_keep_their_weights_as_buffers():
    ce = tg.nn.CrossEntropyLoss(weight=Tensor([1.0, 2.0]))
    assert list(ce.state_dict()) == ["weight"] and ce.double().weight.dtype == np.float64
    assert list(tg.nn.CrossEntropyLoss().state_dict()) == []
    assert list(tg.nn.NLLLoss(weight=tg.ones(2)).state_dict()) == ["weight"]
    bce = tg.nn.BCEWithLogitsLoss(weight=tg.ones(3), pos_weight=tg.ones(3))
    assert list(bce.state_dict()) == ["weight", "pos_weight"]
    with pytest.raises(TypeError, match="BCEWithLogitsLoss: buffer 'pos_weight': expected a Tensor or None, got float"):
        tg.nn.BCEWithLogitsLoss(pos_weight=2.0)


def test_nll_loss_picks_minus_log_probability():
    logp = np.log(np.array([[0.2, 0.8], [0.6, 0.4]]))
    assert F.nll_loss(Tensor(logp), Tensor([1, 0])).item() == pytest.approx(-(math.log(0.8) + math.log(0.6)) / 2)


def test_mse_and_bce_numbers():
    assert F.mse_loss(Tensor([1.0, 2.0, 3.0]), Tensor([1.0, 0.0, 0.0])).item() == pytest.approx(13 / 3)
    assert F.mse_loss(Tensor([1.0, 2.0]), Tensor([0.0, 0.0]), reduction="sum").item() == 5.0
    assert F.mse_loss(Tensor([1.0, 2.0]), Tensor([0.0, 0.0]), reduction="none").tolist() == [1.0, 4.0]
    x, y = np.array([0.5, -1.0, 2.0]), np.array([1.0, 0.0, 1.0])
    assert F.binary_cross_entropy_with_logits(Tensor(x), Tensor(y)).item() == pytest.approx(ref.bce_with_logits(x, y))
    big = F.binary_cross_entropy_with_logits(Tensor([1000.0, -1000.0]), Tensor([0.0, 1.0]), reduction="none")
    assert big.tolist() == [1000.0, 1000.0]  # finite where a naive log(sigmoid) overflows
    pw = F.binary_cross_entropy_with_logits(Tensor([0.0]), Tensor([1.0]), pos_weight=Tensor([3.0]))
    assert pw.item() == pytest.approx(3 * math.log(2))


def test_linear_numbers():
    x, w, b = Tensor([[1.0, 2.0, 3.0]]), Tensor([[1.0, 0.0, -1.0], [0.5, 0.5, 0.5]]), Tensor([1.0, -1.0])
    assert F.linear(x, w, b).tolist() == [[-1.0, 2.0]]
    assert F.linear(tg.zeros(2, 5, 3), w).shape == (2, 5, 2)


def test_dropout_is_seeded_scaled_and_off_in_eval():
    x = tg.ones(200, 50)
    tg.manual_seed(3)
    a = F.dropout(x, 0.25).numpy()
    tg.manual_seed(3)
    b = F.dropout(x, 0.25).numpy()
    np.testing.assert_array_equal(a, b)
    assert set(np.unique(a)) == {0.0, np.float32(1 / 0.75)}
    assert abs((a == 0).mean() - 0.25) < 0.02
    assert a.dtype == np.float32
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    assert F.dropout(x, 1.0).numpy().sum() == 0.0


def test_dropout_gradient_uses_the_same_mask():
    x = tg.ones(10, 10, requires_grad=True)
    tg.manual_seed(0)
    y = F.dropout(x, 0.5)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.numpy())


def test_relu_family_reexported():
    x = Tensor([-2.0, 0.5])
    assert F.relu(x).tolist() == [0.0, 0.5]
    assert F.leaky_relu(x, 0.1).tolist() == [pytest.approx(-0.2), 0.5]
    assert F.sigmoid(Tensor([0.0])).tolist() == [0.5]
    assert F.tanh(Tensor([0.0])).tolist() == [0.0]
    assert F.pad(Tensor([[1.0]]), (1, 0)).tolist() == [[0.0, 1.0]]
    assert F.pad(Tensor([[1.0]]), (1, 0), "constant", 2.0).tolist() == [[2.0, 1.0]]  # (mode, value)
    assert F.pad(Tensor([[1.0]]), (1, 0), mode="constant").tolist() == [[0.0, 1.0]]
    assert set(F.__all__) <= set(dir(F))


LOGITS = tg.zeros(3, 4)


@pytest.mark.parametrize("call,error,match", [
    (lambda: F.cross_entropy(LOGITS, Tensor([0, 1])), ValueError,
     r"target: expected shape \(3,\) to match the input's batch \(input has 3 sample\(s\) of 4 classes\), got \(2,\)"),
    (lambda: F.cross_entropy(LOGITS, Tensor([0, 4, 1])), ValueError,
     r"target: class labels must be in \[0, 3\] \(input has 4 classes\), got values in \[0, 4\]"),
    (lambda: F.nll_loss(LOGITS, Tensor([0, -1, 1])), ValueError, r"class labels must be in \[0, 3\]"),
    (lambda: F.cross_entropy(LOGITS, Tensor([0.0, 1.0, 2.0])), ValueError,
     r"target: probabilities must have the input's shape \(3, 4\)"),
    (lambda: F.cross_entropy(LOGITS, Tensor([True, False, True])), TypeError, r"target: expected integer class labels"),
    (lambda: F.cross_entropy(LOGITS, Tensor([0, 1, 2]), reduction="avg"), ValueError,
     r"reduction: expected 'mean', 'sum' or 'none', got 'avg'"),
    (lambda: F.cross_entropy(LOGITS, Tensor([0, 1, 2]), label_smoothing=1.5), ValueError,
     r"label_smoothing: expected a value in \[0, 1\], got 1.5"),
    (lambda: F.cross_entropy(LOGITS, Tensor([0, 1, 2]), weight=tg.ones(3)), ValueError,
     r"weight: expected a Tensor of shape \(4,\)"),
    (lambda: F.mse_loss(tg.zeros(3), tg.zeros(3, 1)), ValueError,
     r"mse_loss: target: expected the input's shape \(3,\), got \(3, 1\)"),
    (lambda: F.dropout(LOGITS, 1.5), ValueError, r"dropout: p: expected a probability in \[0, 1\], got 1.5"),
    (lambda: F.dropout(LOGITS, -0.1), ValueError, r"got -0.1"),
    (lambda: F.linear(LOGITS, tg.zeros(2, 5)), ValueError, r"linear: input: expected last dim 5"),
    (lambda: F.linear(LOGITS, tg.zeros(4)), ValueError, r"linear: weight: expected a 2-D"),
    (lambda: F.softmax(LOGITS, dim=2), IndexError, r"softmax: dim: expected a dimension in \[-2, 1\], got 2"),
])
def test_bad_input_raises(call, error, match):
    with pytest.raises(error, match=match):
        call()
