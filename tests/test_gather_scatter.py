"""gather / scatter / scatter_add (and their in-place forms), one_hot and dropout2d: values
against PyTorch where it is installed, against NumPy otherwise, and every bad-input error.
Finite-difference checks of the differentiable ones are rows of the op table."""

import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F


def _random_index(rng, shape, size):
    return rng.integers(0, size, shape)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_gather_scatter_and_scatter_add_match_pytorch(dim):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 5, 3))
    d = dim % 3
    index_shape = tuple(n if a == d else n - 1 for a, n in enumerate((3, 4, 2)))
    index = _random_index(rng, index_shape, x.shape[d])
    src = rng.standard_normal((4, 5, 3))
    tx, ti, ts = torch.tensor(x), torch.tensor(index), torch.tensor(src)
    ours = tg.tensor(x), tg.tensor(index), tg.tensor(src)
    np.testing.assert_array_equal(ours[0].gather(dim, ours[1]).numpy(), tx.gather(dim, ti).numpy())
    np.testing.assert_allclose(ours[0].scatter_add(dim, ours[1], ours[2]).numpy(),
                               tx.scatter_add(dim, ti, ts).numpy(), atol=1e-12)
    unique = np.argsort(rng.random(x.shape), axis=d)  # a permutation along dim: no repeats
    unique = unique[tuple(slice(0, n) for n in index_shape)]
    np.testing.assert_array_equal(ours[0].scatter(dim, tg.tensor(unique), ours[2]).numpy(),
                                  tx.scatter(dim, torch.tensor(unique), ts).numpy())
    np.testing.assert_array_equal(ours[0].scatter(dim, tg.tensor(unique), 2.5).numpy(),
                                  tx.scatter(dim, torch.tensor(unique), 2.5).numpy())


def test_gather_picks_each_rows_label_and_its_gradient_adds_repeats():
    x = tg.tensor([[0.125, 0.75, 0.25], [0.5, 0.375, 0.625]], requires_grad=True)
    picked = tg.gather(x, 1, tg.tensor([[1, 1], [0, 2]]))
    assert picked.tolist() == [[0.75, 0.75], [0.5, 0.625]]
    picked.sum().backward()
    assert x.grad.tolist() == [[0.0, 2.0, 0.0], [1.0, 0.0, 1.0]]


def test_scatter_gradients_skip_the_overwritten_input_and_reach_src():
    x = tg.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    src = tg.tensor([[10.0, 20.0]], requires_grad=True)
    out = x.scatter(1, tg.tensor([[2, 0]]), src)
    assert out.tolist() == [[20.0, 2.0, 10.0]]
    out.backward(tg.tensor([[1.0, 2.0, 3.0]]))
    assert x.grad.tolist() == [[0.0, 2.0, 0.0]]
    assert src.grad.tolist() == [[3.0, 1.0]]


def test_in_place_forms_write_into_the_tensor_and_count_a_version():
    onehot = tg.zeros(2, 4)
    before = onehot._version
    assert onehot.scatter_(1, tg.tensor([[3], [1]]), 1.0) is onehot
    assert onehot.tolist() == [[0, 0, 0, 1], [0, 1, 0, 0]]
    counts = tg.zeros(3, dtype="int64")
    counts.scatter_add_(0, tg.tensor([2, 2, 0, 2]), tg.ones(4, dtype="int64"))
    assert counts.tolist() == [1, 0, 3]
    assert onehot._version == before + 1


def test_in_place_forms_are_refused_inside_a_graph():
    w = tg.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="scatter_: in-place change of a tensor that requires grad"):
        w.scatter_(0, tg.tensor([1]), 1.0)
    with pytest.raises(RuntimeError, match="scatter_add_: the value written in place requires grad"):
        tg.zeros(3).scatter_add_(0, tg.tensor([1]), tg.ones(1, requires_grad=True))


@pytest.mark.parametrize("call, error, message", [
    (lambda x: x.gather(1, tg.tensor([[0.0]])), TypeError, r"gather: index: expected an integer dtype, got float"),
    (lambda x: x.gather(1, [[0]]), TypeError, r"gather: index: expected an integer Tensor, got list"),
    (lambda x: x.gather(1, tg.tensor([0, 1])), ValueError, r"gather: index: expected 2 dims .*shape \(2,\)"),
    (lambda x: x.gather(1, tg.zeros(4, 1, dtype="int64")), ValueError,
     r"gather: index: expected at most the input's size 3 in dim 0"),
    (lambda x: x.gather(2, tg.tensor([[0]])), IndexError, r"dim: expected a dimension in \[-2, 1\], got 2"),
    (lambda x: x.gather(1, tg.tensor([[4]])), IndexError,
     r"gather: index: values must be in \[0, 3\] .*got values in \[4, 4\]"),
    (lambda x: x.gather(0, tg.tensor([[-1]])), IndexError, r"values must be in \[0, 2\].*\[-1, -1\]"),
    (lambda x: x.scatter(1, tg.tensor([[0, 1]]), tg.ones(1, 1, dtype="float64")), ValueError,
     r"scatter: src: expected 2 dims, each at least index's size \(index \(1, 2\)\), got shape \(1, 1\)"),
    (lambda x: x.scatter(1, tg.tensor([[0]]), tg.ones(1, 1, dtype="float32")), TypeError,
     r"scatter: src: expected the input's dtype float64, got float32"),
    (lambda x: x.scatter(1, tg.tensor([[0]]), "1"), TypeError, r"scatter: src: expected a Tensor or a number, got str"),
    (lambda x: x.scatter_add(1, tg.tensor([[0]]), 1.0), TypeError, r"scatter_add: src: expected a Tensor, got float"),
    (lambda x: tg.gather([[1.0]], 0, tg.tensor([[0]])), TypeError, r"gather: input: expected a Tensor, got list"),
])
def test_bad_gather_and_scatter_arguments_are_named(call, error, message):
    with pytest.raises(error, match=message):
        call(tg.zeros(3, 4, dtype="float64"))


def test_index_on_another_device_is_refused():
    x = tg.zeros(2, 3, device="strict")
    with pytest.raises(ValueError, match=r"gather: index: expected a tensor on .*strict.*got one on cpu"):
        x.gather(1, tg.tensor([[0], [1]]))


def test_one_hot_matches_pytorch_and_infers_the_class_count():
    assert F.one_hot(tg.tensor([0, 2]), 4).tolist() == [[1, 0, 0, 0], [0, 0, 1, 0]]
    rows = F.one_hot(tg.tensor([[1], [3]]))
    assert rows.shape == (2, 1, 4) and rows.dtype == np.int64
    assert F.one_hot(tg.tensor(2), 3).tolist() == [0, 0, 1]
    assert F.one_hot(tg.tensor([], dtype="int64"), 3).shape == (0, 3)
    torch = pytest.importorskip("torch")
    labels = np.random.default_rng(1).integers(0, 5, (3, 4))
    np.testing.assert_array_equal(F.one_hot(tg.tensor(labels), 6).numpy(),
                                  torch.nn.functional.one_hot(torch.tensor(labels), 6).numpy())


@pytest.mark.parametrize("call, error, message", [
    (lambda: F.one_hot(tg.tensor([0.0])), TypeError,
     r"one_hot: tensor: expected integer class labels, got dtype float32"),
    (lambda: F.one_hot([0]), TypeError, r"one_hot: tensor: expected an integer Tensor, got list"),
    (lambda: F.one_hot(tg.tensor([5]), 3), ValueError, r"labels must be in \[0, 2\], got values in \[5, 5\]"),
    (lambda: F.one_hot(tg.tensor([-1, 1])), ValueError, r"labels must be non-negative, got values in \[-1, 1\]"),
    (lambda: F.one_hot(tg.tensor([], dtype="int64")), ValueError, r"cannot be inferred \(-1\) from an empty tensor"),
    (lambda: F.one_hot(tg.tensor([1]), -2), ValueError, r"one_hot: num_classes: expected an int >= -1, got -2"),
    (lambda: F.one_hot(tg.tensor([1]), 2.0), TypeError, r"one_hot: num_classes: expected an int, got float 2.0"),
])
def test_one_hot_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_dropout2d_drops_whole_channels_and_scales_the_rest():
    tg.manual_seed(3)
    x = tg.ones(4, 16, 5, 5)
    y = F.dropout2d(x, 0.25).numpy()
    per_channel = y.reshape(4, 16, 25)
    assert np.all(per_channel.min(axis=2) == per_channel.max(axis=2))  # all kept or all dropped
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.75)}
    assert 0 < (per_channel[:, :, 0] == 0).sum() < 64
    assert F.dropout2d(x, 0.25, training=False) is x
    assert F.dropout2d(x, 1.0).numpy().max() == 0.0
    w = tg.ones(2, 3, 2, 2, requires_grad=True)
    tg.manual_seed(3)
    out = F.dropout2d(w, 0.5)
    out.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), out.numpy())  # the gradient is the mask


@pytest.mark.parametrize("call, error, message", [
    (lambda: F.dropout2d(tg.ones(3, 4, 4)), ValueError,
     r"dropout2d: input: expected a 4-D tensor \(N, C, H, W\), got shape \(3, 4, 4\)"),
    (lambda: F.dropout2d(tg.ones(1, 1, 2, 2), 1.5), ValueError,
     r"dropout2d: p: expected a probability in \[0, 1\], got 1.5"),
    (lambda: F.dropout2d(np.ones((1, 1, 2, 2))), TypeError, r"dropout2d: input: expected a Tensor, got ndarray"),
])
def test_dropout2d_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_in_place_scatters_refuse_memory_that_is_read_only_or_shared_between_elements():
    base = tg.zeros(1, 3)
    with pytest.raises(RuntimeError, match=r"scatter_add_: the tensor's memory is read-only or shared"):
        base.expand(2, 3).scatter_add_(1, tg.tensor([[0], [0]]), tg.ones(2, 1))
    frozen = np.zeros(3, np.float32)
    frozen.flags.writeable = False
    with pytest.raises(RuntimeError, match=r"scatter_: the tensor's memory is read-only"):
        tg.Tensor(frozen).scatter_(0, tg.tensor([1]), 1.0)
    assert base.tolist() == [[0.0, 0.0, 0.0]] and frozen.tolist() == [0.0, 0.0, 0.0]


def test_a_refused_in_place_scatter_changes_nothing_not_even_the_version():
    x = tg.ones(3)
    w = tg.ones(3, requires_grad=True)
    y = (x * w).sum()
    with pytest.raises(IndexError, match=r"scatter_: index: values must be in \[0, 2\]"):
        x.scatter_(0, tg.tensor([5]), 1.0)
    with pytest.raises(TypeError, match=r"scatter_add_: src: expected a Tensor, got int"):
        x.scatter_add_(0, tg.tensor([1]), 2)  # as scatter_add, and PyTorch: no number here
    y.backward()  # x's version is unchanged, so Mul's saved input is still good
    assert w.grad.tolist() == [1.0, 1.0, 1.0] and x.tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("dim, error, message", [
    (0.0, TypeError, r"gather: dim: expected an int, got float 0.0"),
    ("0", TypeError, r"gather: dim: expected an int, got str '0'"),
    (True, TypeError, r"gather: dim: expected an int, got bool True"),
    (2, IndexError, r"gather: dim: expected a dimension in \[-2, 1\], got 2"),
])
def test_a_bad_dim_is_named(dim, error, message):
    with pytest.raises(error, match=message):
        tg.zeros(2, 3).gather(dim, tg.tensor([[1]]))


def test_zero_dim_and_empty_operands_behave_as_in_pytorch():
    torch = pytest.importorskip("torch")
    cases = [
        (lambda m, t: m.tensor(3.0).gather(0, m.tensor([0, 0]))),
        (lambda m, t: m.tensor([1.0, 2.0]).gather(0, m.tensor(1))),
        (lambda m, t: m.zeros(2, 3).gather(1, m.zeros(5, 0, dtype=t))),
        (lambda m, t: m.zeros(2, 3).scatter(1, m.zeros(5, 0, dtype=t), m.ones(1, 1))),
        (lambda m, t: m.tensor(3.0).scatter(0, m.tensor(0), 5.0)),
        (lambda m, t: m.tensor(3.0).scatter_add(0, m.tensor([0]), m.tensor([2.0]))),
    ]
    for case in cases:
        ours, theirs = case(tg, "int64"), case(torch, torch.int64)
        assert ours.shape == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    scalar = tg.tensor(3.0)
    scalar.scatter_(0, tg.tensor(0), 7.0)
    assert scalar.shape == () and scalar.item() == 7.0


def test_one_hot_takes_numpy_integers():
    assert F.one_hot(tg.tensor([1]), np.int64(3)).tolist() == [[0, 1, 0]]


def test_in_place_scatter_writes_through_a_view_with_a_new_axis():
    base = tg.zeros(3)
    column = base[:, None]  # a size-1 axis may have stride 0; nothing is shared through it
    column.scatter_(0, tg.tensor([[0], [1]]), tg.ones(2, 1))
    assert base.tolist() == [1.0, 1.0, 0.0]
