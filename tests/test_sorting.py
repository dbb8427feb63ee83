"""sort / argsort / topk: orders against PyTorch's stable sort, NaN placement, integer
dtypes, 0-d and empty inputs, and the bad-input errors. The gradients of the values are
op-table rows (finite differences, first and second order)."""

import numpy as np
import pytest

import tinygrad_cnn as tg


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_sort_and_argsort_match_pytorchs_stable_sort(dim, descending):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.integers(0, 4, (5, 6)).astype(np.float64)  # many ties: the order among them counts
    x[1, 2] = x[3, 0] = np.nan
    ours = tg.tensor(x).sort(dim, descending)
    theirs = torch.sort(torch.tensor(x), dim=dim, descending=descending, stable=True)
    np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
    np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
    np.testing.assert_array_equal(tg.argsort(tg.tensor(x), dim, descending).numpy(), theirs.indices.numpy())


def test_topk_gives_the_k_largest_or_smallest_in_order_and_top5_accuracy():
    logits = tg.tensor([[0.5, 3.0, 1.0, 2.0, -1.0, 0.0], [4.0, 1.0, 2.0, 0.0, 3.0, -2.0]])
    best = logits.topk(2)
    assert best.values.tolist() == [[3.0, 2.0], [4.0, 3.0]] and best.indices.tolist() == [[1, 3], [0, 4]]
    assert tg.topk(logits, 1, dim=0, largest=False).indices.tolist() == [[0, 1, 0, 1, 0, 1]]
    labels = tg.tensor([5, 5])
    hits = (logits.topk(5).indices == labels.unsqueeze(1)).numpy().any(axis=1)
    assert hits.tolist() == [True, False]  # row 2's label has its smallest logit


def test_integer_0d_and_empty_inputs():
    small = tg.tensor(np.array([3, 1, 2], np.int8)).sort(descending=True)
    assert small.values.dtype == np.int8 and small.values.tolist() == [3, 2, 1]
    assert small.indices.dtype == np.int64 and small.indices.tolist() == [0, 2, 1]
    scalar = tg.topk(tg.tensor(3.0), 1)
    assert scalar.values.shape == () and scalar.values.item() == 3.0 and scalar.indices.item() == 0
    assert tg.topk(tg.zeros(2, 0), 0).values.shape == (2, 0)


def test_the_values_gradient_goes_back_to_where_they_came_from():
    x = tg.tensor([[1.0, 4.0, 2.0]], requires_grad=True)
    x.topk(2).values.backward(tg.tensor([[10.0, 1.0]]))
    assert x.grad.tolist() == [[0.0, 10.0, 1.0]]


@pytest.mark.parametrize("call, error, message", [
    (lambda: tg.topk(tg.zeros(2, 3), 4), ValueError,
     r"topk: k: expected an int in \[0, 3\] \(the size of dim 1, input shape \(2, 3\)\), got 4"),
    (lambda: tg.topk(tg.zeros(2, 3), -1), ValueError,
     r"topk: k: expected an int in \[0, 3\] \(the size of dim 1, input shape \(2, 3\)\), got -1"),
    (lambda: tg.topk(tg.zeros(2, 3), 1.0), TypeError, r"topk: k: expected an int, got float 1.0"),
    (lambda: tg.sort(tg.zeros(2, 3), 2), IndexError, r"sort: dim: expected a dimension in \[-2, 1\], got 2"),
    (lambda: tg.argsort(tg.zeros(2, 3), "1"), TypeError, r"argsort: dim: expected an int, got str '1'"),
    (lambda: tg.sort([3, 1]), TypeError, r"sort: input: expected a Tensor, got list"),
])
def test_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()
