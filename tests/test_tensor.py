"""Tensor construction, attributes, conversions, operators and in-place rules."""

import operator

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import Tensor, no_grad


def _t(values, dtype):
    return Tensor(np.array(values, dtype=dtype))


# (what, computation, PyTorch 2.13's result dtype): NumPy 2 differs in most of these.
PROMOTIONS = [
    ("int * float", lambda: _t([1, 2], np.int64) * 0.5, np.float32),
    ("int / int", lambda: _t([1, 2], np.int64) / _t([2, 2], np.int64), np.float32),
    ("int / python int", lambda: _t([1, 2], np.int64) / 2, np.float32),
    ("python float / int", lambda: 3.0 / _t([1, 2], np.int64), np.float32),
    ("int ** 0.5", lambda: _t([1, 4], np.int64) ** 0.5, np.float32),
    ("int ** 2", lambda: _t([1, 4], np.int64) ** 2, np.int64),
    ("2.0 ** int", lambda: 2.0 ** _t([1, 4], np.int64), np.float32),
    ("exp of int", lambda: _t([1, 2], np.int64).exp(), np.float32),
    ("log of int", lambda: _t([1, 2], np.int64).log(), np.float32),
    ("sigmoid of bool", lambda: _t([True, False], bool).sigmoid(), np.float32),
    ("float32 + int64", lambda: _t([1.5], np.float32) + _t([1], np.int64), np.float32),
    ("int64 + float16", lambda: _t([1], np.int64) + _t([1.5], np.float16), np.float16),
    ("float32 + 0-d float64", lambda: _t([1.5], np.float32) + _t(2.0, np.float64), np.float32),
    ("int64 + 0-d float64", lambda: _t([1], np.int64) + _t(2.0, np.float64), np.float64),
    ("int32 + 0-d int64", lambda: _t([1], np.int32) + _t(2, np.int64), np.int32),
    ("int32 * python int", lambda: _t([1], np.int32) * 2, np.int32),
    ("uint8 + python int", lambda: _t([1], np.uint8) + 3, np.uint8),
    ("bool + python int", lambda: _t([True], bool) + 1, np.int64),
    ("float16 * python float", lambda: _t([1.0], np.float16) * 2.0, np.float16),
    ("float64 * 0-d float32", lambda: _t([1.0], np.float64) * _t(2.0, np.float32), np.float64),
    ("maximum of int64 and float32", lambda: tg.maximum(_t([1], np.int64), _t([1.5], np.float32)), np.float32),
    ("clamp of int to a float", lambda: tg.clamp(_t([1, 2], np.int64), min=1.5), np.float32),
    ("where of int and float", lambda: tg.where(_t([True, False], bool), _t([1, 2], np.int64), 0.5), np.float32),
    ("where of two floats", lambda: tg.where(_t([True, False], bool), 1.0, 0.5), np.float32),
    ("where of float32 and 0", lambda: tg.where(_t([True, False], bool), _t([1.5, 2.5], np.float32), 0),
     np.float32),
    ("where of float16 and 0.0", lambda: tg.where(_t([True, False], bool), _t([1.5, 2.5], np.float16), 0.0),
     np.float16),
    ("cat of float32 and int64", lambda: tg.cat([_t([1.5], np.float32), _t([1], np.int64)]), np.float32),
    ("sum of uint8", lambda: _t([200, 100], np.uint8).sum(), np.int64),
    ("sum of bool", lambda: _t([True, True], bool).sum(), np.int64),
]


@pytest.mark.parametrize("what,compute,want", PROMOTIONS, ids=[p[0] for p in PROMOTIONS])
def test_type_promotion_is_pytorchs(what, compute, want):
    assert compute().dtype == want


def test_promotion_keeps_values_and_gradients():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * _t([3, 4], np.int64)
    assert y.dtype == np.float32 and y.tolist() == [3.0, 8.0]
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 4.0] and x.grad.dtype == np.float32
    assert (_t([200, 100], np.uint8).sum()).item() == 300  # not wrapped round
    assert tg.minimum(_t([3, 0], np.uint8), _t([1, 2], np.uint8)).tolist() == [1, 0]


class TestConstruction:
    def test_python_floats_default_to_float32(self):
        assert Tensor([1.0, 2.0]).dtype == np.float32
        assert Tensor(3.5).dtype == np.float32

    def test_float64_array_stays_float64(self):
        assert Tensor(np.zeros(3)).dtype == np.float64

    def test_integers_and_bools(self):
        assert Tensor([1, 2]).dtype == np.int64
        assert Tensor([True, False]).dtype == np.bool_

    def test_dtype_argument(self):
        t = Tensor([1, 2], dtype="float64")
        assert t.dtype == np.float64 and t.tolist() == [1.0, 2.0]

    def test_integer_tensor_cannot_require_grad(self):
        with pytest.raises(TypeError, match="only floating-point tensors can require grad, got dtype int64"):
            Tensor([1, 2], requires_grad=True)

    def test_non_numeric_data_is_refused(self):
        with pytest.raises(TypeError, match="expected numbers"):
            Tensor(["a", "b"])

    def test_list_of_tensors_is_refused(self):
        with pytest.raises(TypeError, match="stack"):
            Tensor([Tensor([1.0]), Tensor([2.0])])

    def test_bad_dtype(self):
        with pytest.raises(TypeError, match="dtype"):
            Tensor([1.0], dtype="not-a-dtype")

    def test_bad_device(self):
        with pytest.raises(ValueError, match="expected 'cpu', 'cuda' or 'cuda:N', got 'tpu'"):
            Tensor([1.0], device="tpu")


class TestAttributes:
    def test_basic(self):
        t = Tensor(np.ones((2, 3)), requires_grad=True)
        assert t.shape == (2, 3) and t.ndim == 2 and t.numel() == 6 and t.size(1) == 3
        assert t.device.name == "cpu" and t.is_leaf and t.grad is None
        y = t * 2
        assert not y.is_leaf and y.requires_grad and y.grad_fn.name == "Mul"

    def test_numpy_is_a_copy(self):
        t = Tensor([1.0, 2.0])
        a = t.numpy()
        a[0] = 100
        assert t.tolist() == [1.0, 2.0]

    def test_item(self):
        assert Tensor([[4.0]]).item() == 4.0
        with pytest.raises(ValueError, match="one element"):
            Tensor([1.0, 2.0]).item()

    def test_detach_shares_memory_and_leaves_graph(self):
        x = Tensor([1.0, 2.0], requires_grad=True)
        d = (x * 1).detach()
        assert not d.requires_grad and d.is_leaf
        x2 = x.detach()
        assert x2.data is x.data

    def test_to_dtype_and_device(self):
        x = Tensor([1.5, 2.5])
        assert x.to(dtype=np.float64).dtype == np.float64
        assert x.double().dtype == np.float64 and x.long().tolist() == [1, 2]
        assert x.to("cpu") is x
        assert x.to("strict").device.name == "strict"

    def test_repr(self):
        assert repr(Tensor([1.0], requires_grad=True)) == "tensor([1.], requires_grad=True)"
        assert "grad_fn=Mul" in repr(Tensor([1.0], requires_grad=True) * 2)

    def test_bool_of_multi_element_tensor(self):
        with pytest.raises(RuntimeError, match="ambiguous"):
            bool(Tensor([1.0, 2.0]))


class TestOperators:
    @pytest.mark.parametrize("op", [operator.add, operator.sub, operator.mul, operator.truediv, operator.pow])
    def test_binary_and_reflected(self, op):
        a = np.array([[1.0, 2.0, 3.0]])
        b = np.array([[2.0], [0.5]])
        np.testing.assert_allclose(op(Tensor(a), Tensor(b)).numpy(), op(a, b))
        np.testing.assert_allclose(op(Tensor(a), 2.0).numpy(), op(a, 2.0))
        np.testing.assert_allclose(op(2.0, Tensor(a)).numpy(), op(2.0, a))

    def test_scalar_keeps_tensor_dtype(self):
        x = Tensor([1.0, 2.0])
        assert (x * 2).dtype == np.float32 and (2.5 * x).dtype == np.float32
        assert (Tensor(np.ones(2)) + 1).dtype == np.float64
        assert (Tensor([1, 2]) * 2).dtype == np.int64
        assert (Tensor([1, 2]) * 0.5).dtype.kind == "f"  # mixed int/float promotes as NumPy does

    def test_ndarray_on_the_left(self):
        out = np.array([1.0, 2.0]) + Tensor(np.array([3.0, 4.0]))
        assert isinstance(out, Tensor) and out.tolist() == [4.0, 6.0]

    def test_matmul_and_unary(self):
        a = np.arange(6.0).reshape(2, 3)
        np.testing.assert_allclose((Tensor(a) @ Tensor(a.T)).numpy(), a @ a.T)
        np.testing.assert_allclose((-Tensor(a)).numpy(), -a)
        np.testing.assert_allclose(abs(Tensor(-a)).numpy(), a)

    def test_matmul_shape_error(self):
        with pytest.raises(ValueError, match=r"inner dims differ: x has shape \(2, 3\), y has shape \(2, 3\)"):
            Tensor(np.ones((2, 3))) @ Tensor(np.ones((2, 3)))

    def test_comparisons_give_bool_without_grad(self):
        x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
        m = x > 1.5
        assert m.dtype == np.bool_ and not m.requires_grad and m.tolist() == [False, True, True]
        assert (x == 2.0).tolist() == [False, True, False]
        assert (x <= 2.0).tolist() == [True, True, False]

    def test_reductions(self):
        a = np.arange(12.0).reshape(3, 4)
        t = Tensor(a)
        assert t.sum().item() == a.sum()
        np.testing.assert_allclose(t.mean(dim=0, keepdim=True).numpy(), a.mean(0, keepdims=True))
        v, i = t.max(dim=1)
        assert v.tolist() == [3.0, 7.0, 11.0] and i.tolist() == [3, 3, 3]
        assert t.min().item() == 0.0 and t.argmax().item() == 11

    def test_arg_reductions_of_a_vector_are_0d_tensors(self):
        t = Tensor([1.0, 3.0, 2.0])
        for index, want in ((t.argmax(0), 1), (t.argmin(0), 0), (t.max(0).indices, 1),
                            (t.min(0).indices, 0)):
            assert isinstance(index.data, np.ndarray) and index.shape == () and index.item() == want
            assert (index == want).item() and repr(index) == f"tensor({want})"
        assert tg.zeros(2, 3).argmax(keepdim=True).shape == (1, 1)
        assert tg.zeros(2, 3).argmin(keepdim=True).shape == (1, 1)

    def test_min_of_unsigned_and_bool_tensors(self):
        u = Tensor(np.array([3, 0, 1], dtype=np.uint8))
        assert u.min().item() == 0 and u.min().dtype == np.uint8
        assert u.min(0).values.item() == 0 and u.min(0).indices.item() == 1
        b = Tensor([True, False])
        assert b.min().item() is False and b.max().item() is True
        assert b.min(0).indices.item() == 1

    def test_a_nan_is_the_max_and_the_min_and_takes_the_gradient(self):
        # PyTorch: the result is NaN, and a full reduction shares the gradient between NaNs.
        x = Tensor([1.0, float("nan"), 3.0, float("nan")], requires_grad=True)
        assert np.isnan(x.max().item()) and np.isnan(x.min().item())
        x.max().backward()
        assert x.grad.tolist() == [0.0, 0.5, 0.0, 0.5]
        y = Tensor([1.0, float("nan"), 3.0], requires_grad=True)
        values, indices = y.min(0)
        assert np.isnan(values.item()) and indices.item() == 1
        values.backward()
        assert y.grad.tolist() == [0.0, 1.0, 0.0]

    def test_var_and_std_take_pytorchs_arguments(self):
        t = Tensor([[1.0, 2.0, 4.0]])
        assert t.var(1).item() == pytest.approx(7 / 3)
        assert t.var(1, False).item() == pytest.approx(14 / 9)  # (dim, unbiased): biased
        assert t.var(1, correction=0).item() == pytest.approx(14 / 9)
        assert t.var(1, True, True).shape == (1, 1)  # (dim, unbiased, keepdim)
        assert t.std(1, keepdim=True).shape == (1, 1)
        assert t.std().item() == pytest.approx((7 / 3) ** 0.5)
        assert tg.std(t, correction=2).item() == pytest.approx((14 / 3) ** 0.5)  # n - 2 = 1
        with pytest.raises(TypeError, match="either unbiased or correction"):
            t.var(1, True, correction=1)

    def test_var_without_degrees_of_freedom_is_nan_with_a_warning(self):
        x = Tensor([3.0], requires_grad=True)
        with pytest.warns(RuntimeWarning, match="degrees of freedom"):
            v = x.var()
        assert np.isnan(v.item())
        v.backward()
        assert np.isnan(x.grad.item())

    def test_logsumexp_of_infinite_rows(self):
        inf = float("inf")
        x = Tensor([[-inf, -inf], [1.0, inf], [1.0, 2.0]], requires_grad=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            y = tg.logsumexp(x, 1)
            y.backward(tg.ones(3))
        assert y.tolist()[:2] == [-inf, inf]
        assert y.tolist()[2] == pytest.approx(np.log(np.e + np.e**2))
        g = x.grad.numpy()  # PyTorch's: nan where exp(x - result) is nan
        assert np.isnan(g[0]).all() and g[1, 0] == 0.0 and np.isnan(g[1, 1])
        np.testing.assert_allclose(g[2], [1 / (1 + np.e), np.e / (1 + np.e)])

    def test_squeeze_takes_a_tuple_of_dims_and_0d_tensors_take_dim_0_or_minus_1(self):
        x = tg.zeros(1, 2, 1)
        assert x.squeeze((0, 2)).shape == (2,) and x.squeeze((0, 1)).shape == (2, 1)
        assert x.squeeze(np.int64(0)).shape == (2, 1)
        with pytest.raises(ValueError, match=r"squeeze: dim: a dimension appears twice in \(0, 0\)"):
            x.squeeze((0, 0))
        assert x.squeeze(-1).shape == (1, 2) and x.squeeze(1).shape == (1, 2, 1)
        assert Tensor(1.0).squeeze(0).shape == () and Tensor(1.0).squeeze(-1).shape == ()
        assert Tensor(2.0).sum(-1).item() == 2.0
        with pytest.raises(IndexError, match=r"dim: expected a dimension in \[-1, 0\], got 1"):
            Tensor(1.0).squeeze(1)

    def test_pow_gradients_at_a_zero_base_or_exponent_are_pytorchs(self):
        base = Tensor([0.0, 2.0, 0.0, 0.0], requires_grad=True, dtype="float64")
        exponent = Tensor([2.0, 2.0, 0.0, 0.5], requires_grad=True, dtype="float64")
        (base ** exponent).sum().backward()
        assert exponent.grad.tolist() == [0.0, pytest.approx(4 * np.log(2)), 0.0, 0.0]  # not nan
        assert base.grad.tolist() == [0.0, 4.0, 0.0, float("inf")]  # 0 where the exponent is 0

    def test_an_index_mixing_ints_and_arrays_places_dims_as_pytorch(self):
        a = np.arange(60.0).reshape(3, 4, 5)
        x = Tensor(a, requires_grad=True)
        got = x[1, :, [0, 2, 4]]  # PyTorch: the int first, then the list: (4, 3); NumPy: (3, 4)
        np.testing.assert_array_equal(got.numpy(), a[1][:, [0, 2, 4]])
        assert x[np.int64(1), :, [0, 2]].shape == (4, 2) and x[1, None, :, [0, 2]].shape == (1, 4, 2)
        assert x[[0, 1], :, 1].shape == (2, 4) and x[1, [0, 2], [1, 3]].shape == (2,)
        (got * Tensor(np.arange(12.0).reshape(4, 3))).sum().backward()
        want = np.zeros_like(a)
        want[1][:, [0, 2, 4]] = np.arange(12.0).reshape(4, 3)
        np.testing.assert_array_equal(x.grad.numpy(), want)
        for device in ("cpu", "strict"):  # the index's arrays go to the tensor's device
            t = tg.zeros(3, 4, 5, device=device)
            t[1, :, [0, 2, 4]] = Tensor(np.full((4, 3), 7.0, np.float32), device=device)
            assert t.numpy()[1][:, [0, 2, 4]].tolist() == [[7.0] * 3] * 4 and t.numpy().sum() == 84.0

    def test_expand_refuses_minus_one_in_a_new_dim(self):
        x = Tensor([[1.0], [2.0]])
        assert x.expand(3, -1, 4).shape == (3, 2, 4)
        with pytest.raises(ValueError, match=r"expand: -1 keeps an existing dim; shape \(-1, 2, 3\)"):
            x.expand(-1, 2, 3)

    def test_assigned_gradients_must_match_the_tensor(self):
        x = Tensor([1.0, 2.0], requires_grad=True)
        with pytest.raises(ValueError, match=r"grad: expected a tensor of shape \(2,\), dtype float32"):
            x.grad = Tensor([[1.0, 1.0], [1.0, 1.0]])
        with pytest.raises(ValueError, match="got shape \\(2,\\), dtype float64"):
            x.grad = Tensor(np.ones(2))
        with pytest.raises(TypeError, match="grad: expected a Tensor or None, got ndarray"):
            x.grad = np.ones(2, np.float32)
        x.grad = tg.ones(2)
        (x * x).sum().backward()
        assert x.grad.tolist() == [3.0, 5.0]

    def test_an_empty_list_index_selects_nothing(self):
        assert tg.zeros(3, 2)[[]].shape == (0, 2)

    def test_split_and_chunk_as_in_pytorch(self):
        x = Tensor(np.arange(10.0).reshape(5, 2), requires_grad=True)
        assert [p.shape for p in x.split(2)] == [(2, 2), (2, 2), (1, 2)]
        assert [p.shape for p in tg.split(x, [1, 4])] == [(1, 2), (4, 2)]
        assert [p.shape for p in x.chunk(2, dim=1)] == [(5, 1), (5, 1)]
        assert [p.tolist() for p in tg.arange(5).chunk(3)] == [[0, 1], [2, 3], [4]]
        assert [p.shape for p in tg.arange(0).chunk(2)] == [(0,), (0,)]
        a, b = x.split([1, 4])
        (a.sum() * 2 + b.sum() * 3).backward()
        assert x.grad.tolist() == [[2.0, 2.0]] + [[3.0, 3.0]] * 4
        with pytest.raises(ValueError, match=r"split: sections \[1, 3\] must be sizes >= 0 summing to dim 0's size 5"):
            x.split([1, 3])
        with pytest.raises(ValueError, match="chunk: chunks: expected an int >= 1, got 0"):
            x.chunk(0)
        with pytest.raises(TypeError, match="chunk: chunks: expected an int, got float 1.5"):
            x.chunk(1.5)

    def test_comparing_with_none(self):
        assert (Tensor([1.0]) == None) is False and (Tensor([1.0]) != None) is True  # noqa: E711

    def test_indexing(self):
        a = np.arange(24.0).reshape(2, 3, 4)
        t = Tensor(a)
        np.testing.assert_array_equal(t[1, :, ::2].numpy(), a[1, :, ::2])
        np.testing.assert_array_equal(t[..., [0, 3]].numpy(), a[..., [0, 3]])
        np.testing.assert_array_equal(t[Tensor([1, 0])].numpy(), a[[1, 0]])
        np.testing.assert_array_equal(t[t > 20].numpy(), a[a > 20])

    def test_shape_errors_name_the_shapes(self):
        with pytest.raises(ValueError, match=r"cannot view shape \(2, 3\) \(6 elements\) as \(4, 2\)"):
            Tensor(np.ones((2, 3))).reshape(4, 2)
        with pytest.raises(ValueError, match=r"permutation of 2 dims"):
            Tensor(np.ones((2, 3))).permute(0, 0)
        with pytest.raises(ValueError, match=r"tensors\[1\] has shape \(2, 2\)"):
            tg.cat([Tensor(np.ones((3, 2))), Tensor(np.ones((2, 2)))], dim=1)
        with pytest.raises(IndexError, match=r"dim: expected a dimension in \[-2, 1\], got 2"):
            Tensor(np.ones((2, 3))).sum(dim=2)

    def test_clamp_needs_a_bound(self):
        with pytest.raises(ValueError, match="at least one of min and max"):
            Tensor([1.0]).clamp()


class TestInPlace:
    def test_version_counter_and_values(self):
        x = Tensor([1.0, 2.0])
        x.add_(1).mul_(2)
        x[0] = 7.0
        assert x.tolist() == [7.0, 6.0] and x._version == 3
        x.zero_()
        assert x.tolist() == [0.0, 0.0]

    def test_in_place_on_grad_tensor_is_refused(self):
        w = Tensor([1.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="add_: in-place change of a tensor that requires grad"):
            w.add_(1.0)
        with no_grad():
            w.add_(1.0)
        assert w.tolist() == [2.0]

    def test_backward_after_saved_input_was_modified_raises(self):
        w = Tensor([2.0], requires_grad=True)
        y = w * w
        with no_grad():
            w.mul_(3.0)
        with pytest.raises(RuntimeError, match=r"Mul: an input needed for its gradient .* modified in place"):
            y.backward()

    def test_in_place_on_input_not_saved_is_fine(self):
        w = Tensor([2.0], requires_grad=True)
        y = w + 1  # Add saves nothing
        with no_grad():
            w.add_(1.0)
        y.backward()
        assert w.grad.tolist() == [1.0]


    def test_in_place_results_that_do_not_fit_the_dtype_are_refused_as_in_pytorch(self):
        x = Tensor([1, 2])
        with pytest.raises(TypeError, match=r"add_: other: the result is float32 \(int64 with float32\)"):
            x.add_(0.5)
        with pytest.raises(TypeError, match=r"div_: other: the result is float32 \(int64 with int64\)"):
            x /= 2
        with pytest.raises(TypeError, match=r"mul_: other: the result is int64 \(bool with int64\)"):
            Tensor([True, False]).mul_(Tensor([2, 3]))
        assert x.tolist() == [1, 2] and x._version == 0  # refused calls change nothing
        x.add_(Tensor(np.array([1, 1], dtype=np.int32))).mul_(2)  # integers into int64: fine
        y = Tensor([1.0, 2.0], dtype="float32")
        y.add_(Tensor([1.0, 1.0], dtype="float64")).div_(Tensor([2, 4]))  # same kind, or lower: cast
        assert x.tolist() == [4, 6] and y.tolist() == [1.0, 0.75] and y.dtype == np.float32

    def test_in_place_results_within_a_kind_are_cast_back_as_in_pytorch(self):
        def u8(values):
            return Tensor(np.array(values, dtype=np.uint8))

        assert u8([1, 2]).add_(Tensor([1, 2])).tolist() == [2, 4]  # int64 operand into uint8
        assert u8([3, 2]).sub_(1).tolist() == [2, 1]
        assert u8([0, 2]).sub_(u8([1, 1])).tolist() == [255, 1]  # wraps round, as in PyTorch
        assert u8([3, 4]).add_(u8([1, 1]), alpha=-1).tolist() == [2, 3]
        assert Tensor([5.0, 5.0]).sub_(Tensor([1.0, 2.0]), alpha=2).tolist() == [3.0, 1.0]
        assert Tensor([1.0, 2.0]).add_(Tensor([1, 1]), alpha=0.5).tolist() == [1.5, 2.5]
        assert Tensor([True, False]).add_(True).tolist() == [True, True]

    def test_in_place_alpha_and_bool_subtraction_are_checked_before_anything_changes(self):
        x = Tensor([1, 2])
        with pytest.raises(TypeError, match=r"add_: alpha: expected an integer, since the result is int64 .* 0\.5"):
            x.add_(Tensor([1, 1]), alpha=0.5)
        b = Tensor([True, False])
        with pytest.raises(TypeError, match="sub_: bool tensors cannot be subtracted"):
            b.sub_(Tensor([False, False]))
        assert x.tolist() == [1, 2] and x._version == 0 and b._version == 0

    def test_in_place_operand_on_another_device_is_refused(self):
        x = Tensor([1.0, 2.0])
        with pytest.raises(RuntimeError, match=r"add_: other: expected a tensor on cpu .*, got one on strict"):
            x.add_(Tensor([1.0, 1.0], device="strict"))
        assert x.tolist() == [1.0, 2.0]

    def test_a_refused_in_place_write_leaves_the_version_and_the_graph_alone(self):
        a, b = Tensor([1.0, 2.0, 3.0], requires_grad=True), Tensor([4.0, 5.0, 6.0])
        y = (a * b).sum()
        with pytest.raises(ValueError, match=r"add_: other: expected a shape that broadcasts to \(3,\) "
                                             r"\(this tensor's\), got \(2, 3\)"):
            b.add_(tg.zeros(2, 3))
        assert b._version == 0
        y.backward()  # the Mul that saved b still trusts it
        assert a.grad.tolist() == [4.0, 5.0, 6.0]

    @pytest.mark.parametrize("write", [lambda t: t.add_(1.0), lambda t: t.fill_(0.0), lambda t: t.zero_(),
                                       lambda t: t.__setitem__(0, 1.0), lambda t: t.copy_([1.0, 2.0])])
    def test_in_place_writes_into_a_broadcast_view_are_refused(self, write):
        view = Tensor([1.0, 2.0]).expand(3, 2)
        with pytest.raises(RuntimeError, match=r"read-only or shared between its elements .* x\.clone\(\)"):
            write(view)
        assert view._version == 0 and view.tolist() == [[1.0, 2.0]] * 3

    def test_fill_takes_a_number_or_a_0d_tensor(self):
        x = Tensor([1.0, 2.0])
        assert x.fill_(Tensor(5.0)).tolist() == [5.0, 5.0]
        with pytest.raises(ValueError, match=r"fill_: value: expected a number or a 0-d tensor, got .* \(1,\)"):
            x.fill_(Tensor([3.0]))
        with pytest.raises(RuntimeError, match="fill_: the value written in place requires grad"):
            x.fill_(Tensor(3.0, requires_grad=True))
        for value in ([3.0, 4.0], None, "1"):
            with pytest.raises(TypeError, match=r"fill_: value: expected a number or a 0-d tensor, got"):
                x.fill_(value)
        assert x.fill_(np.float64(2.5)).tolist() == [2.5, 2.5] and x._version == 2


class TestCreation:
    def test_factories(self):
        assert tg.zeros(2, 3).shape == (2, 3) and tg.ones((2,)).tolist() == [1.0, 1.0]
        assert tg.arange(3).tolist() == [0, 1, 2] and tg.arange(0.0, 1.0, 0.5).dtype == np.float32
        assert tg.full((2,), 7.0).tolist() == [7.0, 7.0]
        assert tg.full((2,), 7).dtype == np.int64 and tg.full((2,), True).dtype == np.bool_  # as in PyTorch
        assert tg.full((2,), 7.0).dtype == np.float32 and tg.full((2,), 7, dtype="float64").dtype == np.float64
        assert tg.eye(2).tolist() == [[1.0, 0.0], [0.0, 1.0]]

    def test_seeded_random(self):
        tg.manual_seed(3)
        a = tg.randn(4).tolist()
        tg.manual_seed(3)
        assert tg.randn(4).tolist() == a
        r = tg.rand(1000)
        assert 0 <= r.min().item() and r.max().item() < 1
        assert tg.randint(0, 3, (100,)).max().item() <= 2

    def test_float16_mean_and_var_accumulate_in_float32_as_in_pytorch(self):
        x = tg.tensor(np.full((32, 4, 16, 16), 20.0, dtype=np.float16))  # sums past float16's 65504
        assert x.mean((0, 2, 3)).tolist() == [20.0] * 4 and x.mean().dtype == np.float16
        y = tg.tensor(np.array([-200.0, 200.0] * 50, dtype=np.float16))  # squares sum past 65504
        assert y.var(correction=0).item() == 40000.0 and y.std(correction=0).item() == 200.0
        assert y.var().dtype == y.std().dtype == np.float16

    def test_rand_stays_below_one_when_a_draw_rounds_up_in_float32(self, monkeypatch):
        from tinygrad_cnn import creation

        class NearOne:  # float64 draws that round to 1.0 in float32 (and float16)
            def random(self, shape):
                return np.full(shape, 1 - 2.0**-30)

        monkeypatch.setattr(creation, "_generator", NearOne())
        for dtype in ("float32", "float16"):
            r = tg.rand(3, dtype=dtype)
            assert r.dtype == np.dtype(dtype) and (r.numpy() < 1).all()
        assert tg.rand(1, dtype="float64").item() == 1 - 2.0**-30
