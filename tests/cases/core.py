"""Op-case rows for the core families: elementwise, shape, reduce, linalg."""

import numpy as np

import tinygrad_cnn as tg

from cases import OpCase


def _normal(*shapes):
    return lambda rng: tuple(rng.standard_normal(s) for s in shapes)


def _positive(*shapes):
    return lambda rng: tuple(rng.uniform(0.5, 2.0, s) for s in shapes)


def _away_from_zero(*shapes):
    """Values with |x| in [0.2, 2] so kinks at 0 (abs, relu) are never straddled."""
    return lambda rng: tuple(rng.uniform(0.2, 2.0, s) * rng.choice([-1, 1], s) for s in shapes)


def _distinct(*shapes):
    """Shuffled, well-separated values shared out over all inputs: no ties between or within
    inputs (max, maximum, where), and no kink within eps of any value (clamp)."""
    def make(rng):
        sizes = [int(np.prod(s)) for s in shapes]
        values = rng.permutation(np.linspace(-2, 2, sum(sizes)) + 0.013)
        out, start = [], 0
        for s, n in zip(shapes, sizes):
            out.append(values[start:start + n].reshape(s))
            start += n
        return tuple(out)
    return make


# Index arrays for gather/scatter: repeats (their gradients add up), an index smaller than
# the input in the other dims, positions unique where scatter writes (so no value is lost).
_GATHER_ROWS = np.array([[0, 1, 1], [3, 2, 0], [1, 1, 1]])
_GATHER_3D = np.array([[[2], [0], [1]], [[1], [1], [0]]])
_SCATTER_ROWS = np.array([[0, 0], [3, 1], [2, 2]])
_SCATTER_COLUMNS = np.array([[0, 3, 1], [2, 1, 0]])


def _index(x, positions):
    return tg.tensor(positions, device=x.device)


def _scatter_reference(x, dim, index, src, add):
    out = x.copy()
    grids = list(np.indices(index.shape))
    grids[dim] = index
    if add:
        np.add.at(out, tuple(grids), src[tuple(slice(0, n) for n in index.shape)])
    else:
        out[tuple(grids)] = src[tuple(slice(0, n) for n in index.shape)]
    return out


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


CASES = [
    # arithmetic, with broadcasting
    OpCase("add", lambda x, y: x + y, _normal((3, 4), (4,)), lambda x, y: x + y),
    OpCase("sub", lambda x, y: x - y, _normal((3, 1), (1, 4)), lambda x, y: x - y),
    OpCase("rsub_scalar", lambda x: 2.5 - x, _normal((3,)), lambda x: 2.5 - x),
    OpCase("mul", lambda x, y: x * y, _normal((2, 3, 4), (3, 1)), lambda x, y: x * y),
    OpCase("div", lambda x, y: x / y, lambda rng: (rng.standard_normal((3, 4)),
                                                   rng.uniform(0.5, 2, (3, 4))), lambda x, y: x / y),
    OpCase("rdiv_scalar", lambda x: 1.0 / x, _positive((5,)), lambda x: 1.0 / x),
    OpCase("pow_tensor", lambda x, y: x ** y, _positive((3, 4), (4,)), lambda x, y: x ** y),
    OpCase("pow_scalar", lambda x: x ** 3, _normal((3, 4)), lambda x: x ** 3),
    OpCase("pow_zero", lambda x: x ** 0 * x, _normal((3,)), lambda x: x),
    # A zero base only with whole exponents > 1 and a zero exponent only with a positive base:
    # every finite-difference step then stays finite.
    OpCase("pow_zero_base_and_exponent", lambda x, y: x ** y,
           lambda rng: (np.array([0.0, 0.0, 0.7, 1.3]), np.array([2.0, 3.0, 0.0, 2.5])),
           lambda x, y: x ** y),
    OpCase("rpow", lambda x: 2.0 ** x, _normal((4,)), lambda x: 2.0 ** x),
    OpCase("neg", lambda x: -x, _normal((3, 2)), lambda x: -x),
    # unary maths
    OpCase("abs", lambda x: abs(x), _away_from_zero((3, 4)), np.abs),
    OpCase("exp", lambda x: x.exp(), _normal((3, 4)), np.exp),
    OpCase("log", lambda x: x.log(), _positive((3, 4)), np.log),
    OpCase("log1p", lambda x: x.log1p(), _positive((3, 4)), np.log1p),
    OpCase("sqrt", lambda x: x.sqrt(), _positive((3, 4)), np.sqrt),
    OpCase("sin", lambda x: x.sin(), _normal((5,)), np.sin),
    OpCase("cos", lambda x: x.cos(), _normal((5,)), np.cos),
    # activations
    OpCase("relu", lambda x: x.relu(), _away_from_zero((4, 5)), lambda x: np.maximum(x, 0)),
    OpCase("leaky_relu", lambda x: tg.nn.functional.leaky_relu(x, 0.1), _away_from_zero((4, 5)),
           lambda x: np.where(x > 0, x, 0.1 * x)),
    OpCase("sigmoid", lambda x: x.sigmoid(), lambda rng: (rng.standard_normal((4, 5)) * 4,),
           _sigmoid),
    OpCase("tanh", lambda x: x.tanh(), _normal((4, 5)), np.tanh),
    # clamp, maximum, where
    OpCase("clamp", lambda x: x.clamp(-0.5, 0.7), _distinct((4, 5)),
           lambda x: np.clip(x, -0.5, 0.7)),
    OpCase("maximum", lambda x, y: tg.maximum(x, y), _distinct((3, 4), (3, 4)), np.maximum),
    OpCase("minimum", lambda x, y: tg.minimum(x, y), _distinct((3, 4), (4,)), np.minimum),
    OpCase("where", lambda x, y: tg.where(x > y, x * 2, y), _distinct((3, 4), (3, 4)),
           lambda x, y: np.where(x > y, 2 * x, y)),
    # casts and copies
    OpCase("cast_roundtrip", lambda x: (x.to(dtype=np.longdouble) * 3).to(dtype=x.dtype),
           _normal((3,)), lambda x: 3 * x, check_float32=False),
    OpCase("to_device_roundtrip", lambda x: (x.to("strict") * 2).to(x.device), _normal((3,)),
           lambda x: 2 * x),
    OpCase("clone", lambda x: x.clone() * x, _normal((3,)), lambda x: x * x),
    # shape
    OpCase("reshape", lambda x: x.reshape(4, -1) * 1, _normal((2, 6)), lambda x: x.reshape(4, 3)),
    OpCase("permute", lambda x: x.permute(2, 0, 1), _normal((2, 3, 4)),
           lambda x: x.transpose(2, 0, 1)),
    OpCase("transpose", lambda x: x.transpose(0, 1), _normal((2, 3)), lambda x: x.T),
    OpCase("flatten", lambda x: x.flatten(1), _normal((2, 3, 4)), lambda x: x.reshape(2, 12)),
    OpCase("squeeze_unsqueeze", lambda x: x.unsqueeze(0).squeeze(2), _normal((3, 1, 2)),
           lambda x: x.reshape(1, 3, 2)),
    OpCase("expand", lambda x: x.expand(3, -1, 4), _normal((2, 1)),
           lambda x: np.broadcast_to(x, (3, 2, 4))),
    OpCase("getitem_slices", lambda x: x[1:, ::2, None], _normal((3, 5)),
           lambda x: x[1:, ::2, None]),
    OpCase("getitem_int_array", lambda x: x[[0, 2, 0]], _normal((3, 4)),
           lambda x: x[[0, 2, 0]]),
    OpCase("getitem_bool_mask", lambda x: x[x > 0], _normal((3, 4)), lambda x: x[x > 0]),
    OpCase("getitem_ints_then_arrays", lambda x: x[1, :, [0, 2, 4]], _normal((3, 4, 5)),
           lambda x: x[1][:, [0, 2, 4]]),  # PyTorch's placement: (4, 3), not NumPy's (3, 4)
    OpCase("gather_repeats", lambda x: x.gather(1, _index(x, _GATHER_ROWS)), _normal((3, 4)),
           lambda x: np.take_along_axis(x, _GATHER_ROWS, 1)),
    OpCase("gather_dim0_smaller_index", lambda x: tg.gather(x, 0, _index(x, _GATHER_3D)),
           _normal((3, 4, 2)), lambda x: np.take_along_axis(x[:, :3, :1], _GATHER_3D, 0)),
    OpCase("scatter_add_repeats_larger_src",
           lambda x, s: x.scatter_add(1, _index(x, _SCATTER_ROWS), s), _normal((3, 4), (3, 3)),
           lambda x, s: _scatter_reference(x, 1, _SCATTER_ROWS, s, add=True)),
    OpCase("scatter_dim0", lambda x, s: x.scatter(0, _index(x, _SCATTER_COLUMNS), s),
           _normal((4, 3), (2, 3)),
           lambda x, s: _scatter_reference(x, 0, _SCATTER_COLUMNS, s, add=False)),
    OpCase("sort_descending", lambda x: x.sort(dim=0, descending=True).values, _distinct((4, 3)),
           lambda x: -np.sort(-x, axis=0)),
    OpCase("topk_smallest", lambda x: tg.topk(x, 2, dim=1, largest=False).values, _distinct((3, 5)),
           lambda x: np.sort(x, axis=1)[:, :2]),
    OpCase("cat", lambda x, y: tg.cat([x, y], dim=1), _normal((2, 3), (2, 2)),
           lambda x, y: np.concatenate([x, y], 1)),
    OpCase("stack", lambda x, y: tg.stack([x, y], dim=-1), _normal((2, 3), (2, 3)),
           lambda x, y: np.stack([x, y], -1)),
    OpCase("split", lambda x: tg.cat([p * (i + 1) for i, p in enumerate(x.split([1, 3], dim=1))], 1),
           _normal((2, 4)), lambda x: np.concatenate([x[:, :1], 2 * x[:, 1:]], 1)),
    OpCase("chunk", lambda x: tg.stack([p * (i + 1) for i, p in enumerate(x.chunk(2))]), _normal((4, 3)),
           lambda x: np.stack([x[:2], 2 * x[2:]])),
    OpCase("pad", lambda x: tg.pad(x, (1, 2, 0, 1), value=0.5), _normal((2, 3)),
           lambda x: np.pad(x, ((0, 1), (1, 2)), constant_values=0.5)),
    OpCase("pad_reflect", lambda x: tg.pad(x, (2, 1, 0, 1), "reflect"), _normal((2, 3)),
           lambda x: np.pad(x, ((0, 1), (2, 1)), mode="reflect")),
    OpCase("pad_replicate", lambda x: tg.pad(x, (3, 0, 2, 2), "replicate"), _normal((2, 3)),
           lambda x: np.pad(x, ((2, 2), (3, 0)), mode="edge")),
    OpCase("pad_circular", lambda x: tg.pad(x, (1, 3), "circular"), _normal((2, 3)),
           lambda x: np.pad(x, ((0, 0), (1, 3)), mode="wrap")),
    OpCase("sum_to_broadcast", lambda x: tg.broadcast_to(x, (2, 3, 4)).sum(), _normal((3, 1)),
           lambda x: np.broadcast_to(x, (2, 3, 4)).sum()),
    # reductions
    OpCase("sum_all", lambda x: x.sum(), _normal((3, 4)), np.sum),
    OpCase("sum_dims_keepdim", lambda x: x.sum((0, 2), keepdim=True), _normal((2, 3, 4)),
           lambda x: x.sum((0, 2), keepdims=True)),
    OpCase("mean", lambda x: x.mean(-1), _normal((3, 4)), lambda x: x.mean(-1)),
    OpCase("var", lambda x: x.var(0), _normal((5, 3)), lambda x: x.var(0, ddof=1)),
    OpCase("var_biased_keepdim", lambda x: x.var(1, False, True), _normal((3, 4)),
           lambda x: x.var(1, keepdims=True)),
    OpCase("std", lambda x: x.std(0), _normal((5, 3)), lambda x: x.std(0, ddof=1)),
    OpCase("min_all", lambda x: x.min(), _distinct((3, 4)), np.min),
    OpCase("max_all", lambda x: x.max(), _distinct((3, 4)), np.max),
    OpCase("max_dim", lambda x: x.max(dim=1).values, _distinct((3, 4)), lambda x: x.max(1)),
    OpCase("min_dim_keepdim", lambda x: x.min(0, keepdim=True)[0], _distinct((3, 4)),
           lambda x: x.min(0, keepdims=True)),
    OpCase("logsumexp", lambda x: tg.logsumexp(x, 1), _normal((3, 4)),
           lambda x: np.log(np.exp(x).sum(1))),
    # linear algebra
    OpCase("linear_batched_no_bias", lambda x, w: tg.nn.functional.linear(x, w), _normal((2, 3, 4), (5, 4)),
           lambda x, w: x @ w.T),
    OpCase("matmul", lambda x, y: x @ y, _normal((3, 4), (4, 2)), lambda x, y: x @ y),
    OpCase("matmul_batched_broadcast", lambda x, y: x @ y, _normal((2, 3, 4), (4, 5)),
           lambda x, y: x @ y),
    OpCase("matmul_vector", lambda x, y: x @ y, _normal((3, 4), (4,)), lambda x, y: x @ y),
    OpCase("matmul_vector_left", lambda x, y: x @ y, _normal((3,), (3, 2)), lambda x, y: x @ y),
]
