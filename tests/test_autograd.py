"""The engine: accumulation, grad(), higher order, graph freeing, grad mode, memory, devices,
custom Functions and the gradient checks themselves."""

import gc
import threading
import weakref

import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn import Function, GradcheckError, Tensor, engine, grad, gradcheck, gradgradcheck, no_grad


def test_backward_accumulates_into_leaves():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (x * 3).sum().backward()
    assert x.grad.tolist() == [5.0, 7.0]


def test_broadcast_gradient_is_summed_to_input_shape():
    b = Tensor(np.ones((1, 3)), requires_grad=True)
    x = Tensor(np.arange(6.0).reshape(2, 3))
    (x * b).sum().backward()
    assert b.grad.shape == (1, 3) and b.grad.tolist() == [[3.0, 5.0, 7.0]]


def test_float32_parameter_gets_float32_grad_from_float64_graph():
    w = Tensor([1.0, 2.0], requires_grad=True)  # float32
    (w * Tensor(np.array([3.0, 4.0]))).sum().backward()  # promoted to float64
    assert w.grad.dtype == np.float32 and w.grad.tolist() == [3.0, 4.0]


def test_non_scalar_backward_needs_gradient():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"only for scalar outputs.*shape \(2,\)"):
        (x * 2).backward()
    (x * 2).backward(Tensor([1.0, 10.0]))
    assert x.grad.tolist() == [2.0, 20.0]
    with pytest.raises(RuntimeError, match=r"expected shape \(2,\), got \(3,\)"):
        (x * 2).backward(Tensor([1.0, 1.0, 1.0]))


def test_backward_on_tensor_without_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0]).sum().backward()


def test_grad_returns_tuple_and_leaves_dot_grad_alone():
    x = Tensor([2.0], requires_grad=True)
    y = Tensor([3.0], requires_grad=True)
    gx, gy = grad(x * y, [x, y])
    assert (gx.item(), gy.item()) == (3.0, 2.0)
    assert x.grad is None and y.grad is None


def test_grad_unused_input():
    x = Tensor([2.0], requires_grad=True)
    z = Tensor([1.0], requires_grad=True)
    assert grad(x * 2, [x, z])[1] is None
    with pytest.raises(RuntimeError, match=r"inputs\[1\] was not used"):
        grad(x * 2, [x, z], allow_unused=False)


def test_grad_with_respect_to_intermediate():
    x = Tensor([2.0], requires_grad=True)
    h = x * x
    (gh,) = grad((h * 5).sum(), h)
    assert gh.item() == 5.0


def test_higher_order_derivatives_to_fourth_order():
    x = Tensor([1.5], requires_grad=True)
    y = x ** 4
    derivs = []
    for _ in range(4):
        (y,) = grad(y, x, create_graph=True)
        derivs.append(y.item())
    assert derivs == pytest.approx([4 * 1.5 ** 3, 12 * 1.5 ** 2, 24 * 1.5, 24.0])


def test_backward_with_create_graph_builds_differentiable_grad():
    x = Tensor([0.7], requires_grad=True)
    x.sin().backward(create_graph=True)
    g = x.grad
    assert g.requires_grad
    (gg,) = grad(g, x)
    assert gg.item() == pytest.approx(-np.sin(0.7))


def test_plain_backward_records_no_graph():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x.exp() * x).sum().backward()
    assert not x.grad.requires_grad and x.grad.is_leaf


def test_reshapes_that_change_nothing_record_no_op():
    """A -1 is worked out before the shapes are compared: reshaping to the shape a tensor
    already has returns it, so Linear's backward, which reshapes to (-1, features), records
    only its products and the bias sum for 2-D inputs."""
    x = Tensor(np.ones((4, 3)), requires_grad=True)
    assert x.reshape(-1, 3) is x and x.reshape(4, -1) is x and x.reshape(4, 3) is x
    assert x.reshape(-1).shape == (12,) and x.reshape(2, -1, 3).shape == (2, 2, 3)
    out = F.linear(x, Tensor(np.ones((2, 3)), requires_grad=True),
                   Tensor(np.ones(2), requires_grad=True))
    made = []
    with engine._hook(lambda ctx, out: made.append(ctx.name)):
        out.backward(Tensor(np.ones((4, 2))), create_graph=True)
    assert sorted(made) == ["MatMul", "MatMul", "Permute", "Sum"], made


def test_second_backward_through_freed_graph_raises():
    x = Tensor([1.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = Tensor([3.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.item() == 12.0


def test_chain_of_100000_ops_has_no_recursion_limit():
    x = Tensor([1.0], requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.sum().backward()
    assert x.grad.item() == 1.0


def test_diamond_graph_sums_both_paths():
    x = Tensor([2.0], requires_grad=True)
    a = x * 3
    y = a * a + a  # dy/dx = (2a + 1) * 3
    y.sum().backward()
    assert x.grad.item() == (2 * 6 + 1) * 3


class TestInPlaceSafety:
    """Tensors that share memory share one version counter, in-place writes never drop a
    gradient silently, and a leaf's .grad is its own array (all as in PyTorch)."""

    @pytest.mark.parametrize("change", [
        lambda a: a.detach().mul_(10),
        lambda a: a[0:2].mul_(10),
        lambda a: a.reshape(3, 1).add_(1),
        lambda a: a.reshape(1, 3).permute(1, 0).zero_(),
    ], ids=["detach", "slice", "reshape", "permute"])
    def test_changing_a_view_in_place_is_caught_by_backward(self, change):
        x, a = Tensor([1.0, 2.0, 3.0], requires_grad=True), Tensor([1.0, 2.0, 3.0])
        y = (x * a).sum()
        change(a)
        with pytest.raises(RuntimeError, match="modified in place after the forward pass"):
            y.backward()

    def test_a_saved_view_sees_its_base_change(self):
        x, a = Tensor([1.0, 2.0, 3.0], requires_grad=True), Tensor([1.0, 2.0, 3.0, 4.0])
        y = (x * a[1:]).sum()
        a.mul_(2)
        with pytest.raises(RuntimeError, match="modified in place"):
            y.backward()

    def test_a_state_dict_value_changed_in_place_is_caught(self):
        layer = tg.nn.Linear(2, 2)
        y = layer(tg.ones(1, 2)).sum()
        with no_grad():
            layer.state_dict()["weight"].mul_(2)
        with pytest.raises(RuntimeError, match="modified in place"):
            y.backward()

    def test_copies_do_not_share_the_counter(self):
        x, a = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True), Tensor([[1.0, 2.0], [3.0, 4.0]])
        y = (x * a).sum()
        a.T.reshape(4).mul_(5)  # reshape of a transposed view copies
        a[[0, 1]].mul_(5)  # advanced indexing copies
        y.backward()
        assert x.grad.tolist() == [[1.0, 2.0], [3.0, 4.0]]

    @pytest.mark.parametrize("write", [
        lambda out, v: out.__setitem__(0, v), lambda out, v: out.copy_(v.expand(3)),
        lambda out, v: out.add_(v), lambda out, v: out.mul_(v), lambda out, v: out.div_(v),
    ], ids=["setitem", "copy_", "add_", "mul_", "div_"])
    def test_writing_a_value_that_requires_grad_in_place_is_refused(self, write):
        x, out = Tensor([1.0, 2.0, 3.0], requires_grad=True), tg.zeros(3)
        with pytest.raises(RuntimeError, match="the value written in place requires grad"):
            write(out, (x * x).sum())
        write(out, (x * x).sum().detach())  # the value alone is fine
        with no_grad():
            write(out, (x * x).sum())

    def test_leaf_gradients_are_private_and_writable(self):
        x = Tensor([1.0, 2.0], requires_grad=True)
        x.sum().backward()  # the gradient of a sum is a broadcast of one number
        x.grad.zero_()
        assert x.grad.tolist() == [0.0, 0.0]
        a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
        v = Tensor([1.0, 1.0])
        (a + b).backward(v)  # Add hands one gradient to both inputs
        a.grad.mul_(5)
        v.mul_(7)
        assert b.grad.tolist() == [1.0, 1.0] and a.grad.tolist() == [5.0, 5.0]
        a.grad = b.grad = None
        s = a + b
        (s * s).sum().backward(create_graph=True)  # both get 2 (a + b), kept in the graph
        assert a.grad.requires_grad and a.grad.data is not b.grad.data
        with no_grad():
            a.grad.mul_(0.5)
        assert b.grad.tolist() == [8.0, 12.0] and a.grad.tolist() == [4.0, 6.0]


class TestGradMode:
    def test_no_grad_context_and_decorator(self):
        x = Tensor([1.0], requires_grad=True)
        with no_grad():
            assert not (x * 2).requires_grad
            with tg.enable_grad():
                assert (x * 2).requires_grad

        @no_grad()
        def f(t):
            return t * 2

        assert not f(x).requires_grad and tg.is_grad_enabled()

    def test_grad_mode_is_thread_local(self):
        x = Tensor([1.0], requires_grad=True)
        seen = {}
        entered, release = threading.Event(), threading.Event()

        def worker():
            with no_grad():
                entered.set()
                release.wait(5)

        t = threading.Thread(target=worker)
        t.start()
        entered.wait(5)
        seen["main"] = (x * 2).requires_grad  # the other thread is inside no_grad
        release.set()
        t.join()
        assert seen["main"] is True


def test_grad_mode_decorators_cover_generators_and_set_grad_enabled():
    @no_grad()
    def items():
        yield tg.is_grad_enabled()
        yield tg.is_grad_enabled()
        return "done"

    it = items()
    assert next(it) is False and tg.is_grad_enabled() is True and next(it) is False
    with pytest.raises(StopIteration, match="done"):
        next(it)

    @tg.set_grad_enabled(False)
    def inside():
        return tg.is_grad_enabled()

    assert tg.is_grad_enabled() is True and inside() is False and tg.is_grad_enabled() is True


class TestTensorHooks:
    def test_register_hook_sees_and_replaces_the_gradient_until_removed(self):
        seen = []
        x = Tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        y.register_hook(lambda g: seen.append(g.tolist()))
        handle = x.register_hook(lambda g: g * 10)
        (y * y).sum().backward()
        assert seen == [[4.0, 8.0]] and x.grad.tolist() == [80.0, 160.0]
        handle.remove()
        x.grad = None
        (x * 2).sum().backward()
        assert x.grad.tolist() == [2.0, 2.0]
        with pytest.raises(RuntimeError, match="register_hook: the tensor \\(shape \\(2,\\)\\) does not require grad"):
            Tensor([1.0, 2.0]).register_hook(print)
        with pytest.raises(RuntimeError, match="register_hook: a hook must return a gradient of the "
                                               "tensor's shape \\(2,\\), got shape \\(3,\\)"):
            z = Tensor([1.0, 2.0], requires_grad=True)
            z.register_hook(lambda g: tg.zeros(3))
            z.sum().backward()
        with pytest.raises(TypeError, match="register_hook: a hook must return a Tensor or None, got ndarray"):
            w = Tensor([1.0, 2.0], requires_grad=True)
            w.register_hook(lambda g: g.numpy())
            w.sum().backward()

    def test_retain_grad_keeps_the_gradient_after_every_hook_as_pytorch_does(self):
        x = Tensor([1.0, 2.0], requires_grad=True)
        y = x * 3
        y.retain_grad()
        y.register_hook(lambda g: g * 10)  # registered after retain_grad, still seen by it
        (y * y).sum().backward()
        assert y.grad.tolist() == [60.0, 120.0] and x.grad.tolist() == [180.0, 360.0]
        y.grad.data[0] = 0.0  # its own memory: x's gradient is untouched
        assert x.grad.tolist() == [180.0, 360.0]

    def test_retain_grad_keeps_a_non_leaf_gradient_and_accumulates_it(self):
        x = Tensor([1.0, 2.0], requires_grad=True)
        y = x * 3
        y.retain_grad()
        y.retain_grad()  # once is enough
        z = (y * y).sum()
        z.backward(retain_graph=True)
        assert y.grad.tolist() == [6.0, 12.0] and not y.grad.requires_grad
        z.backward()
        assert y.grad.tolist() == [12.0, 24.0] and x.grad.tolist() == [36.0, 72.0]  # as PyTorch
        v = x + 0.0  # Add passes its gradient on unchanged: the kept one must be a copy
        v.retain_grad()
        x.grad = None
        v.sum().backward()
        x.grad.mul_(5)
        assert v.grad.tolist() == [1.0, 1.0]
        w = x * 2
        w.retain_grad()
        ref = weakref.ref(w)
        del w
        gc.collect()
        assert ref() is None  # the hook does not keep its tensor alive


class TestMemory:
    def test_graph_is_freed_by_reference_counting_alone(self):
        """No reference cycles: with the cycle collector off, intermediates die with the loss."""
        gc.disable()
        try:
            x = Tensor(np.ones(3), requires_grad=True)
            h = x * 2
            probe = weakref.ref(h)
            loss = (h * h).sum()
            del h
            assert probe() is not None  # kept alive by the graph
            loss.backward()
            del loss
            assert probe() is None
        finally:
            gc.enable()

    @pytest.mark.parametrize("create_graph", [False, True])
    def test_live_tensor_count_stays_flat_over_many_steps(self, create_graph):
        w = Tensor(np.ones((4, 4)), requires_grad=True)
        x = Tensor(np.ones((2, 4)))

        def live():
            gc.collect()
            return sum(isinstance(o, Tensor) for o in gc.get_objects())

        def step():
            loss = ((x @ w).tanh() ** 2).sum()
            loss.backward(create_graph=create_graph)
            w.grad = None

        for _ in range(5):
            step()
        before = live()
        for _ in range(200):
            step()
        assert live() <= before


class TestDevices:
    def test_mixed_devices_name_both_and_the_op(self):
        a = Tensor([1.0, 2.0])
        b = Tensor([1.0, 2.0], device="strict")
        with pytest.raises(RuntimeError, match=r"Add: expected all inputs on one device, got cpu and strict"):
            a + b

    def test_to_is_differentiable_across_devices(self):
        x = Tensor([1.0, 2.0], requires_grad=True)
        (x.to("strict") * 3).sum().backward()
        assert x.grad.device.name == "cpu" and x.grad.tolist() == [3.0, 3.0]

    @pytest.mark.skipif(tg.cuda_is_available(), reason="a GPU is present")
    def test_cuda_without_cupy_or_gpu_says_how_to_install(self):
        with pytest.raises(RuntimeError, match="pip install cupy-cuda12x"):
            Tensor([1.0], device="cuda")

    def test_strict_device_catches_an_op_that_uses_numpy(self):
        class Leaky(Function):
            def forward(self, x):
                return x + np.ones(x.shape)  # a host constant: breaks on CuPy

            def backward(self, grad):
                return grad

        assert Leaky.apply(Tensor([1.0])).tolist() == [2.0]
        with pytest.raises(TypeError, match="NumPy array .* mixed into a device computation"):
            Leaky.apply(Tensor([1.0], device="strict"))

    def test_strict_device_catches_numpy_functions(self):
        class Leaky(Function):
            def forward(self, x):
                return np.sum(x)  # np.sum instead of self.xp.sum

        with pytest.raises(TypeError, match=r"numpy.sum was called on a device array; use xp.sum"):
            Leaky.apply(Tensor([1.0], device="strict"))


class TestCustomFunction:
    def test_settings_and_needs_input_grad(self):
        class ScaledAdd(Function):
            def forward(self, x, y, alpha):
                return x + alpha * y

            def backward(self, grad):
                alpha = self.settings["alpha"]
                nx, ny = self.needs_input_grad
                return (grad if nx else None), (grad * alpha if ny else None)

        x = Tensor([1.0], requires_grad=True)
        y = Tensor([2.0])
        out = ScaledAdd.apply(x, y, alpha=3.0)
        assert out.item() == 7.0 and out.grad_fn.settings == {"alpha": 3.0}
        out.backward()
        assert x.grad.item() == 1.0 and y.grad is None

    def test_wrong_number_of_gradients(self):
        class Bad(Function):
            def forward(self, x, y):
                return x + y

            def backward(self, grad):
                return grad

        x = Tensor([1.0], requires_grad=True)
        with pytest.raises(RuntimeError, match=r"Bad.backward returned 1 gradients, expected 2"):
            Bad.apply(x, x).backward()


class TestGradcheck:
    def test_catches_a_wrong_gradient_and_names_input_and_element(self):
        class WrongSquare(Function):
            def forward(self, x):
                return x * x

            def backward(self, grad):
                (x,) = self.saved_tensors
                return grad * x  # should be 2 x

        x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
        with pytest.raises(GradcheckError, match=r"inputs\[0\] \(shape \(2,\)\) at element \(\d,\): numerical"):
            gradcheck(WrongSquare.apply, x)
        assert gradcheck(WrongSquare.apply, x, raise_exception=False) is False

    def test_random_cotangent_sees_a_zero_softmax_gradient(self):
        """A check that sums the outputs would pass this: softmax sums to 1 for any input."""
        class ZeroGradSoftmax(Function):
            def forward(self, x):
                e = self.xp.exp(x - x.max())
                return e / e.sum()

            def backward(self, grad):
                return grad * 0

        x = Tensor(np.array([0.1, 0.5, -0.3]), requires_grad=True)
        assert gradcheck(lambda t: ZeroGradSoftmax.apply(t).sum(), x)  # the blind spot
        with pytest.raises(GradcheckError):
            gradcheck(ZeroGradSoftmax.apply, x)

    def test_gradgradcheck_catches_a_non_differentiable_backward(self):
        class Cube(Function):
            def forward(self, x):
                return x ** 3

            def backward(self, grad):
                (x,) = self.saved_tensors
                return grad * Tensor(3 * x.data ** 2)  # a constant: no second order

        x = Tensor(np.array([0.5, -1.2]), requires_grad=True)
        assert gradcheck(Cube.apply, x)
        with pytest.raises(GradcheckError):
            gradgradcheck(Cube.apply, x)

    def test_needs_float64(self):
        with pytest.raises(TypeError, match="float64"):
            gradcheck(lambda t: t * 2, Tensor([1.0], requires_grad=True))


def test_forward_knows_whether_it_is_recorded():
    """ops skip state only backward reads (masks, indices, patches) when nothing records them."""
    seen = []

    class Probe(Function):
        def forward(self, x):
            seen.append(self.recording)
            return x * 1

        def backward(self, grad):
            return grad

    x = Tensor([1.0], requires_grad=True)
    Probe.apply(x)
    with no_grad():
        Probe.apply(x)
    Probe.apply(Tensor([1.0]))
    assert seen == [True, False, False]


def test_relu_backward_keeps_an_inf_gradient_out_of_the_inactive_inputs():
    """PyTorch's ReLU backward zeroes the gradient where the input was not positive; a
    product with the mask would turn an inf or NaN there into NaN."""
    x = tg.Tensor(np.array([-1.0, 2.0, -3.0, 0.0]), requires_grad=True)
    x.relu().backward(tg.Tensor(np.array([np.inf, 1.0, np.nan, -np.inf])))
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 0.0, 0.0])


ZERO_D_FUNCTIONS = {  # NumPy's arithmetic on 0-d arrays returns scalars: every backward must cope
    "abs": lambda x: x.abs(), "clamp": lambda x: x.clamp(-1.0, 1.0), "clamp_min": lambda x: x.clamp(min=0.0),
    "maximum": lambda x: tg.maximum(x, x * 0.5 + 0.1), "minimum": lambda x: tg.minimum(x, x * 0.5 + 0.1),
    "max": lambda x: x.max(), "min": lambda x: x.min(), "relu": lambda x: x.relu(),
    "leaky_relu": lambda x: F.leaky_relu(x, 0.1), "sigmoid": lambda x: x.sigmoid(), "tanh": lambda x: x.tanh(),
    "exp": lambda x: x.exp(), "log": lambda x: (x * x + 1).log(), "sqrt": lambda x: (x * x + 1).sqrt(),
    "sin": lambda x: x.sin(), "pow": lambda x: x ** 3, "rpow": lambda x: 2.0 ** x,
    "where": lambda x: tg.where(x > 0, x * x, -x), "mean": lambda x: x.mean(), "sum": lambda x: x.sum(),
    "div": lambda x: 1 / (x * x + 1), "softmax": lambda x: F.softmax(x, dim=0),
}


@pytest.mark.parametrize("name", sorted(ZERO_D_FUNCTIONS))
def test_zero_d_tensors_get_first_and_second_order_gradients(name):
    fn = ZERO_D_FUNCTIONS[name]
    x = Tensor(np.array(0.37), requires_grad=True)  # away from every kink
    assert gradcheck(fn, x) and gradgradcheck(fn, x)
    y = fn(x)
    y.backward()
    assert y.shape == () and x.grad.shape == () and type(x.grad.data) is np.ndarray
