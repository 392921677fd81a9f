"""Every public op: documented, named, and accepting ``heft.Variable`` wherever an array goes."""

import inspect

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import heft
from heft import ops

X = np.array([[0.5, -1.5, 2.0], [1.0, 0.25, -0.75]], np.float32)
POS = np.array([[0.5, 1.5, 2.0], [1.0, 0.25, 0.75]], np.float32)
UNIT = np.array([[0.5, -0.5, 0.25], [0.1, 0.0, -0.9]], np.float32)
V = np.array([3.0, 1.0, 2.0], np.float32)
INTS = np.array([[1, 5, 3], [4, 2, 6]], np.int32)
IDX = np.array([2, 0, 1], np.int32)
BOOLS = np.array([[True, False, True], [False, False, True]])
SQUARE = np.array([[4.0, 1.0], [1.0, 3.0]], np.float32)
LOWER = np.array([[2.0, 0.0], [1.0, 1.0]], np.float32)
COMPLEX = np.array([1 + 2j, -1j], np.complex64)
PROBS = np.array([[0.2, 0.3, 0.5], [0.1, 0.8, 0.1]], np.float32)
LABELS = np.array([2, 1], np.int32)


def _add_one(carry, x):
    return carry + x, carry


# name -> (args, kwargs): one representative call per public op. Every numpy
# array in the args is replaced by a Variable in the Variable test.
CALLS = {
    # core
    "convert_to_tensor": ((X,), {}),
    "convert_to_numpy": ((X,), {}),
    "cast": ((X, "int32"), {}),
    "saturate_cast": ((X * 200, "int8"), {}),
    "shape": ((X,), {}),
    "dtype": ((X,), {}),
    "stop_gradient": ((X,), {}),
    "cond": ((np.array(True), lambda: 1.0, lambda: 2.0), {}),
    "switch": ((np.array(1, np.int32), [lambda a: a + 1, lambda a: a * 2], X), {}),
    "scan": ((_add_one, np.zeros(3, np.float32), X), {}),
    "associative_scan": ((jnp.add, V), {}),
    "map": ((lambda row: row * 2, X), {}),
    "vectorized_map": ((lambda row: jnp.sum(row), X), {}),
    "vectorize": ((lambda a, b: a * b,), {}),
    "fori_loop": ((0, 3, lambda i, v: v + 1.0, X), {}),
    "while_loop": ((lambda v: jnp.sum(v) < 100.0, lambda v: v * 2.0 + 1.0, POS), {}),
    "slice": ((X, (0, 1), (2, 2)), {}),
    "slice_update": ((X, (0, 1), np.ones((1, 2), np.float32)), {}),
    "scatter": ((np.array([[0], [2]], np.int32), np.array([1.0, 2.0], np.float32), (3,)), {}),
    "scatter_update": ((V, np.array([[0], [2]], np.int32), np.array([9.0, 8.0], np.float32)), {}),
    "unstack": ((X,), {}),
    "custom_gradient": ((lambda x: (jnp.multiply(x, 2.0), lambda g: g),), {}),
    "jvp": ((lambda x: x * x, (V,), (np.ones(3, np.float32),)), {}),
    "get_item": ((X, (0, slice(1, 3))), {}),
    # elementwise with arguments
    "round": ((X,), {"decimals": 1}),
    "clip": ((X, -1.0, 1.0), {}),
    "nan_to_num": ((X,), {}),
    "fabs": ((X,), {}),
    "divide_no_nan": ((X, UNIT), {}),
    "ldexp": ((X, INTS), {}),
    "isclose": ((X, UNIT), {}),
    "allclose": ((X, X), {}),
    "where": ((BOOLS, X, UNIT), {}),
    "select": (([BOOLS, ~BOOLS], [X, UNIT]), {}),
    # reductions
    "sum": ((X,), {"axis": 1}),
    "mean": ((X,), {"axis": 0}),
    "var": ((X,), {"axis": 1}),
    "std": ((X,), {"axis": 1}),
    "max": ((X,), {"axis": 1}),
    "min": ((X,), {"axis": 1}),
    "prod": ((X,), {"axis": 1}),
    "cumsum": ((X,), {"axis": 1}),
    "cumprod": ((X,), {"axis": 1}),
    "nancumsum": ((X,), {"axis": 1}),
    "nancumprod": ((X,), {"axis": 1}),
    "count_nonzero": ((X,), {"axis": 1}),
    "average": ((X,), {"axis": 1, "weights": V}),
    "median": ((X,), {"axis": 1}),
    "quantile": ((X, 0.25), {"axis": 1}),
    "percentile": ((X, 25.0), {"axis": 1}),
    "nanquantile": ((X, 0.25), {"axis": 1}),
    "nanpercentile": ((X, 25.0), {"axis": 1}),
    "trapezoid": ((X,), {}),
    "histogram": ((V,), {"bins": 2}),
    # creation
    "arange": ((np.array(4, np.int32),), {}),
    "array": ((X,), {}),
    "zeros": (((2, 3),), {}),
    "ones": (((2, 3),), {}),
    "empty": (((2, 3),), {}),
    "full": (((2, 3), np.array(7.0, np.float32)), {}),
    "zeros_like": ((X,), {}),
    "ones_like": ((X,), {}),
    "empty_like": ((X,), {}),
    "full_like": ((X, np.array(3.0, np.float32)), {}),
    "eye": ((3,), {}),
    "identity": ((3,), {}),
    "tri": ((3,), {}),
    "linspace": ((np.array(0.0, np.float32), np.array(1.0, np.float32), 5), {}),
    "logspace": ((np.array(0.0, np.float32), np.array(2.0, np.float32), 3), {}),
    "geomspace": ((np.array(1.0, np.float32), np.array(100.0, np.float32), 3), {}),
    "meshgrid": ((V, V), {}),
    "bartlett": ((5,), {}),
    "blackman": ((5,), {}),
    "hamming": ((5,), {}),
    "hanning": ((5,), {}),
    "kaiser": ((5, 1.0), {}),
    # shape
    "reshape": ((X, (3, 2)), {}),
    "transpose": ((X,), {}),
    "expand_dims": ((X, 0), {}),
    "squeeze": ((X[None],), {}),
    "broadcast_to": ((V, (2, 3)), {}),
    "moveaxis": ((X, 0, 1), {}),
    "swapaxes": ((X, 0, 1), {}),
    "ravel": ((X,), {}),
    "flip": ((X,), {"axis": 1}),
    "fliplr": ((X,), {}),
    "flipud": ((X,), {}),
    "roll": ((X, 1), {"axis": 1}),
    "rot90": ((X,), {}),
    "tile": ((X, (2, 1)), {}),
    "repeat": ((X, 2), {"axis": 0}),
    "pad": ((X, [(1, 0), (0, 2)]), {}),
    "ndim": ((X,), {}),
    "size": ((X,), {}),
    "diff": ((X,), {}),
    # join
    "concatenate": (([X, UNIT],), {"axis": 1}),
    "stack": (([X, UNIT],), {}),
    "hstack": (([X, UNIT],), {}),
    "vstack": (([X, UNIT],), {}),
    "dstack": (([X, UNIT],), {}),
    "append": ((X, UNIT), {"axis": 0}),
    "split": ((X, 3), {"axis": 1}),
    "array_split": ((X, 2), {"axis": 1}),
    "hsplit": ((X, 3), {}),
    "vsplit": ((X, 2), {}),
    "dsplit": ((X[:, :, None].repeat(2, axis=2), 2), {}),
    # indexing
    "take": ((X, IDX), {"axis": 1}),
    "take_along_axis": ((X, np.argsort(X, axis=1).astype(np.int32)), {"axis": 1}),
    "tril": ((X,), {}),
    "triu": ((X,), {}),
    "diag": ((V,), {}),
    "diagflat": ((V,), {}),
    "diagonal": ((X,), {}),
    "trace": ((X,), {}),
    "unravel_index": ((IDX, (2, 2)), {}),
    "nonzero": ((UNIT,), {}),
    "isin": ((INTS, IDX), {}),
    "searchsorted": ((np.sort(V), X), {}),
    "digitize": ((X, np.sort(V)), {}),
    "bincount": ((IDX,), {}),
    "segment_sum": ((X, np.array([0, 0], np.int32)), {"num_segments": 2}),
    "segment_max": ((X, np.array([0, 1], np.int32)), {"num_segments": 2}),
    "segment_min": ((X, np.array([0, 1], np.int32)), {"num_segments": 2}),
    "segment_prod": ((X, np.array([1, 1], np.int32)), {"num_segments": 2}),
    # sorting
    "sort": ((X,), {}),
    "argsort": ((X,), {}),
    "argpartition": ((X, 1), {}),
    "top_k": ((X, 2), {}),
    "in_top_k": ((np.array([0, 1], np.int32), X, 1), {}),
    "unique": ((IDX,), {}),
    # products
    "matmul": ((X, X.T), {}),
    "dot": ((X, V), {}),
    "einsum": (("ij,j->i", X, V), {}),
    "tensordot": ((X, X.T), {"axes": 1}),
    "inner": ((X, X), {}),
    "outer": ((V, V), {}),
    "vdot": ((X, UNIT), {}),
    "kron": ((SQUARE, LOWER), {}),
    "cross": ((X, UNIT), {}),
    "cdist": ((X, UNIT), {}),
    "correlate": ((V, np.array([1.0, 0.5], np.float32)), {}),
    "corrcoef": ((X,), {}),
    "vander": ((V,), {}),
    # linalg
    "norm": ((X,), {"axis": 1}),
    "inv": ((SQUARE,), {}),
    "det": ((SQUARE,), {}),
    "slogdet": ((SQUARE,), {}),
    "logdet": ((SQUARE,), {}),
    "solve": ((SQUARE, V[:2]), {}),
    "solve_triangular": ((LOWER, V[:2]), {"lower": True}),
    "lstsq": ((X.T, V), {}),
    "cholesky": ((SQUARE,), {}),
    "cholesky_inverse": ((LOWER,), {}),
    "qr": ((X,), {}),
    "svd": ((X,), {}),
    "eig": ((SQUARE,), {}),
    "eigh": ((SQUARE,), {}),
    "lu_factor": ((SQUARE,), {}),
    "pinv": ((X,), {}),
    "matrix_rank": ((X,), {}),
    # activation ops with arguments
    "leaky_relu": ((X,), {"negative_slope": 0.1}),
    "elu": ((X,), {"alpha": 0.5}),
    "celu": ((X,), {"alpha": 0.5}),
    "gelu": ((X,), {}),
    "glu": ((X[:, :2],), {}),
    "squareplus": ((X,), {}),
    "soft_shrink": ((X,), {}),
    "hard_shrink": ((X,), {}),
    "threshold": ((X, 0.3, -1.0), {}),
    "softmax": ((X,), {}),
    "log_softmax": ((X,), {}),
    "sparsemax": ((X,), {}),
    "tanh_shrink": ((X,), {}),
    # nn
    "one_hot": ((IDX, 3), {}),
    "multi_hot": ((np.array([[0, 2], [1, 1]], np.int32), 3), {}),
    "binary_crossentropy": ((UNIT * 0 + 1, PROBS), {}),
    "categorical_crossentropy": ((PROBS, PROBS), {}),
    "sparse_categorical_crossentropy": ((LABELS, PROBS), {}),
    "moments": ((X, [1]), {}),
    "normalize": ((X,), {}),
    "batch_normalization": ((X, V, POS[0], -1), {"offset": V, "scale": POS[1]}),
    "layer_normalization": ((X,), {"gamma": V, "beta": V}),
    "rms_normalization": ((X,), {"scale": V}),
    "psnr": ((POS, PROBS, 2.0), {}),
    # convolutions, pooling, attention, CTC
    "conv": ((X[None], np.ones((2, 3, 4), np.float32)), {}),
    "depthwise_conv": ((X[None], np.ones((2, 3, 2), np.float32)), {}),
    "separable_conv": ((X[None], np.ones((2, 3, 1), np.float32), POS[:1, :, None]), {}),
    "conv_transpose": ((X[None], np.ones((2, 4, 3), np.float32)), {"strides": 2}),
    "max_pool": ((X[None], 2), {}),
    "average_pool": ((X[None], 2), {"padding": "same"}),
    "adaptive_max_pool": ((X[None], 2), {}),
    "adaptive_average_pool": ((X[None], 2), {}),
    "dot_product_attention": ((X[None, :, None], X[None, :, None], X[None, :, None]), {}),
    "ctc_loss": ((LABELS[None], PROBS[None], np.array([2]), np.array([2])), {}),
    "ctc_decode": ((PROBS[None], np.array([2])), {}),
    # signal, blocks, views
    "extract_sequences": ((V, 2, 1), {}),
    "fft": (((X, UNIT),), {}),
    "fft2": (((X, UNIT),), {}),
    "ifft2": (((X, UNIT),), {}),
    "rfft": ((X,), {}),
    "irfft": (((X, UNIT),), {}),
    "stft": ((np.tile(V, 3), 4, 2, 4), {}),
    "istft": (((X, UNIT), 4, 2, 4), {}),
    "polar": ((POS, X), {}),
    "view_as_complex": ((X[:, :2],), {}),
    "view_as_real": ((COMPLEX,), {}),
    "view": ((X, "int32"), {}),
    "depth_to_space": ((np.ones((1, 1, 2, 4), np.float32), 2), {}),
    "space_to_depth": ((np.ones((1, 2, 2, 1), np.float32), 2), {}),
    "unfold": ((X[None, None], 2), {}),
    "fold": ((np.ones((1, 4, 2), np.float32), (2, 3), 2), {}),
    "rearrange": ((X, "a b -> b a"), {}),
}
UNARY_INPUT = {
    "bitwise_invert": INTS,
    "bitwise_not": INTS,
    "logical_not": BOOLS,
    "arccosh": POS + 1,
    "arcsin": UNIT,
    "arccos": UNIT,
    "arctanh": UNIT,
    "erfinv": UNIT,
    "log": POS,
    "log2": POS,
    "log10": POS,
    "log1p": POS,
    "sqrt": POS,
    "rsqrt": POS,
    "conj": COMPLEX,
    "conjugate": COMPLEX,
    "real": COMPLEX,
    "imag": COMPLEX,
    "angle": COMPLEX,
}
BINARY_INPUT = {
    "gcd": (INTS, INTS[::-1]),
    "lcm": (INTS, INTS[::-1]),
    "bitwise_and": (INTS, INTS[::-1]),
    "bitwise_or": (INTS, INTS[::-1]),
    "bitwise_xor": (INTS, INTS[::-1]),
    "bitwise_left_shift": (INTS, INTS[::-1]),
    "left_shift": (INTS, INTS[::-1]),
    "bitwise_right_shift": (INTS, INTS[::-1]),
    "right_shift": (INTS, INTS[::-1]),
    "logical_and": (BOOLS, BOOLS[::-1]),
    "logical_or": (BOOLS, BOOLS[::-1]),
    "logical_xor": (BOOLS, BOOLS[::-1]),
    "power": (POS, X),
    "floor_divide": (X, POS),
    "mod": (X, POS),
    "fmod": (X, POS),
}
PUBLIC = sorted(
    n for n in dir(ops) if not n.startswith("_") and inspect.isfunction(getattr(ops, n))
)


def _params(name):
    return list(inspect.signature(getattr(ops, name)).parameters)


def _call_for(name):
    if name in CALLS:
        return CALLS[name]
    params = _params(name)
    if params == ["x"]:
        return (UNARY_INPUT.get(name, X),), {}
    if params in (["x1", "x2"], ["x", "y"]):
        return BINARY_INPUT.get(name, (X, UNIT)), {}
    if params == ["x", "axis", "keepdims"]:
        return (BOOLS if name in ("all", "any") else X,), {"axis": 1}
    raise KeyError(name)


def _to_variables(value):
    if isinstance(value, np.ndarray):
        return heft.Variable(value)
    if isinstance(value, list | tuple):
        return type(value)(_to_variables(v) for v in value)
    return value


def _leaves(result):
    if callable(result):
        return []
    if isinstance(result, str):
        return [result]
    return jax.tree_util.tree_leaves(result)


def _result(name, args, kwargs, wrap=lambda v: v):
    out = getattr(ops, name)(*args, **kwargs)
    if name == "custom_gradient":
        out = out(wrap(V))
    if name == "vectorize":
        out = out(wrap(X), wrap(V))
    return out


def test_public_ops_all_have_a_generic_call():
    missing = []
    for name in PUBLIC:
        try:
            _call_for(name)
        except KeyError:
            missing.append(name)
    assert missing == []
    assert len(PUBLIC) > 290


@pytest.mark.parametrize("name", PUBLIC)
def test_public_op_accepts_variables(name):
    args, kwargs = _call_for(name)
    expected = _leaves(_result(name, args, kwargs))
    got = _leaves(_result(name, _to_variables(args), _to_variables(kwargs), _to_variables))
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        assert type(g) is type(e)
        if isinstance(e, str | int):
            assert g == e
        else:
            assert g.dtype == e.dtype
            np.testing.assert_allclose(np.asarray(g), np.asarray(e), rtol=1e-6, equal_nan=True)


@pytest.mark.parametrize("name", PUBLIC)
def test_public_op_is_documented_under_its_name(name):
    fn = getattr(ops, name)
    assert fn.__name__ == name
    doc = inspect.getdoc(fn)
    assert doc is not None and ">>> " in doc
    assert doc.splitlines()[0].strip()
