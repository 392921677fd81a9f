import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import inspect

import jax
import keras
import numpy as np
import pytest

import heft
from heft import activations, ops

RNG = np.random.default_rng(7)
X = RNG.normal(size=(3, 4)).astype(np.float32)
Y = RNG.normal(size=(3, 4)).astype(np.float32)
POS = np.abs(X) + 0.1
INTS = np.array([[3, -1, 4, 1], [5, 9, -2, 6], [0, 7, 1, -8]], np.int32)
PROBS = np.abs(X) / np.abs(X).sum(axis=-1, keepdims=True)
ONE_HOT = np.eye(4, dtype=np.float32)[[0, 3, 1]]
LABELS = np.array([0, 3, 1], np.int32)
SPD = X @ X.T + 3 * np.eye(3, dtype=np.float32)

# (name, args, kwargs): heft.ops.<name> and keras.ops.<name> get the same inputs.
OPS_CASES = [
    ("add", (X, Y), {}),
    ("add", (INTS, 1.5), {}),
    ("subtract", (INTS, INTS), {}),
    ("multiply", (X, 2), {}),
    ("divide", (INTS, 2), {}),
    ("divide_no_nan", (X, np.where(Y > 0, Y, 0)), {}),
    ("power", (POS, Y), {}),
    ("mod", (INTS, 3), {}),
    ("floor_divide", (X, 0.3), {}),
    ("maximum", (X, Y), {}),
    ("minimum", (X, 0.0), {}),
    ("abs", (X,), {}),
    ("negative", (INTS,), {}),
    ("square", (INTS,), {}),
    ("sqrt", (POS,), {}),
    ("sqrt", (np.abs(INTS),), {}),
    ("rsqrt", (POS,), {}),
    ("exp", (X,), {}),
    ("exp", (INTS,), {}),
    ("log", (POS,), {}),
    ("log1p", (POS,), {}),
    ("sin", (INTS,), {}),
    ("cos", (X,), {}),
    ("tanh", (X,), {}),
    ("erf", (X,), {}),
    ("floor", (INTS,), {}),
    ("ceil", (X,), {}),
    ("round", (X * 10,), {}),
    ("round", (INTS * 37,), {"decimals": -1}),
    ("sign", (X,), {}),
    ("clip", (X, -0.5, 0.5), {}),
    ("clip", (INTS > 0, 0, 1), {}),
    ("equal", (INTS, 1), {}),
    ("greater", (X, Y), {}),
    ("less_equal", (X, 0.0), {}),
    ("logical_and", (X > 0, Y > 0), {}),
    ("logical_not", (X > 0,), {}),
    ("isnan", (X,), {}),
    ("where", (X > 0, X, Y), {}),
    ("arctan2", (X, Y), {}),
    ("logaddexp", (X, Y), {}),
    ("sum", (X,), {"axis": 1}),
    ("sum", (X > 0,), {}),
    ("mean", (X,), {"axis": 0, "keepdims": True}),
    ("mean", (INTS,), {}),
    ("var", (X,), {"axis": [0, 1]}),
    ("var", (INTS,), {"axis": 1}),
    ("std", (X,), {"axis": 1}),
    ("max", (X,), {"axis": 1}),
    ("min", (INTS,), {}),
    ("prod", (X,), {"axis": 0}),
    ("argmax", (X,), {"axis": 1}),
    ("argmin", (INTS,), {}),
    ("cumsum", (X,), {"axis": 1}),
    ("cumprod", (INTS,), {}),
    ("all", (X > -1,), {"axis": 1}),
    ("any", (X > 1,), {}),
    ("logsumexp", (X,), {"axis": 1}),
    ("count_nonzero", (INTS,), {"axis": 0}),
    ("average", (X,), {"axis": 1, "weights": POS[0]}),
    ("median", (X,), {"axis": 0}),
    ("quantile", (X, 0.3), {"axis": 1}),
    ("norm", (X,), {}),
    ("norm", (X,), {"ord": 1, "axis": 1}),
    ("norm", (INTS,), {"axis": 0}),
    ("arange", (2, 11, 3), {}),
    ("arange", (0.5, 3.0, 0.5), {}),
    ("linspace", (0.0, 1.0, 7), {}),
    ("zeros", ((2, 3),), {}),
    ("ones", ((2,),), {"dtype": "int32"}),
    ("full", ((2, 2), 3), {}),
    ("full_like", (INTS, 2.5), {}),
    ("zeros_like", (X,), {}),
    ("eye", (3, 4), {"k": 1}),
    ("identity", (2,), {}),
    ("tri", (3,), {}),
    ("reshape", (X, (2, -1)), {}),
    ("transpose", (X,), {}),
    ("expand_dims", (X, 1), {}),
    ("squeeze", (X[None],), {"axis": 0}),
    ("concatenate", ([X, Y],), {"axis": 1}),
    ("stack", ([X, Y],), {"axis": -1}),
    ("split", (X, 2), {"axis": 1}),
    ("tile", (X, (2, 1)), {}),
    ("repeat", (X, 2), {"axis": 1}),
    ("pad", (X, ((1, 0), (2, 1))), {}),
    ("pad", (X, ((1, 1), (1, 1))), {"mode": "reflect"}),
    ("broadcast_to", (X[0], (2, 4)), {}),
    ("flip", (X,), {"axis": 0}),
    ("roll", (X, 1), {"axis": 1}),
    ("moveaxis", (X, 0, 1), {}),
    ("take", (X, LABELS), {"axis": 1}),
    ("take_along_axis", (X, np.argsort(X, axis=1)), {"axis": 1}),
    ("tril", (X,), {}),
    ("triu", (X,), {"k": 1}),
    ("diag", (X[0],), {}),
    ("diagonal", (X,), {}),
    ("trace", (SPD,), {}),
    ("sort", (X,), {"axis": 0}),
    ("argsort", (X,), {}),
    ("top_k", (X, 2), {}),
    ("in_top_k", (LABELS, X, 2), {}),
    ("matmul", (X, Y.T), {}),
    ("dot", (X, Y[0]), {}),
    ("einsum", ("ij,kj->ik", X, Y), {}),
    ("tensordot", (X, Y, 2), {}),
    ("outer", (X[0], Y[0]), {}),
    ("inv", (SPD,), {}),
    ("cholesky", (SPD,), {}),
    ("solve", (SPD, X[:, 0]), {}),
    ("det", (SPD,), {}),
    ("cast", (X, "int32"), {}),
    ("cast", (X, "bfloat16"), {}),
    ("saturate_cast", (X * 1000, "int8"), {}),
    ("convert_to_tensor", (1.5,), {}),
    ("convert_to_tensor", ([1, 2],), {}),
    ("slice", (X, (1, 1), (2, 2)), {}),
    ("slice_update", (X, (0, 1), np.ones((1, 2), np.float32)), {}),
    ("scatter", (np.array([[0], [2]]), np.array([1.0, 2.0], np.float32), (4,)), {}),
    ("scatter_update", (X, np.array([[0, 0], [2, 3]]), np.array([9.0, 8.0], np.float32)), {}),
    ("gelu", (X,), {}),
    ("gelu", (X,), {"approximate": False}),
    ("elu", (X,), {"alpha": 0.7}),
    ("softmax", (X,), {}),
    ("softmax", (X,), {"axis": 0}),
    ("one_hot", (LABELS, 4), {}),
    ("multi_hot", (np.array([[0, 2], [1, 3]]), 4), {}),
    ("binary_crossentropy", ((Y > 0).astype(np.float32), PROBS), {}),
    ("binary_crossentropy", ((Y > 0).astype(np.float32), X), {"from_logits": True}),
    ("categorical_crossentropy", (ONE_HOT, PROBS), {}),
    ("categorical_crossentropy", (ONE_HOT, X), {"from_logits": True}),
    ("sparse_categorical_crossentropy", (LABELS, PROBS), {}),
    ("sparse_categorical_crossentropy", (LABELS[:, None], X), {"from_logits": True}),
    ("moments", (X, [0]), {}),
    ("normalize", (X,), {}),
    ("normalize", (X,), {"order": 1, "axis": 0}),
    ("batch_normalization", (X, X[0], POS[1], -1), {"offset": Y[0], "scale": POS[2]}),
    ("layer_normalization", (X,), {"gamma": POS[0], "beta": Y[0]}),
    ("rms_normalization", (X,), {"scale": POS[0]}),
]

ACTIVATION_CASES = [
    ("relu", {}),
    ("relu", {"negative_slope": 0.1}),
    ("relu", {"max_value": 6.0}),
    ("relu", {"max_value": 1.0}),
    ("relu", {"threshold": 0.2}),
    ("relu", {"negative_slope": 0.3, "max_value": 1.0, "threshold": 0.2}),
    ("leaky_relu", {}),
    ("relu6", {}),
    ("sigmoid", {}),
    ("softmax", {}),
    ("softmax", {"axis": 0}),
    ("log_softmax", {}),
    ("softplus", {}),
    ("softsign", {}),
    ("silu", {}),
    ("swish", {}),
    ("gelu", {}),
    ("gelu", {"approximate": True}),
    ("elu", {"alpha": 0.5}),
    ("selu", {}),
    ("celu", {}),
    ("glu", {}),
    ("hard_sigmoid", {}),
    ("hard_silu", {}),
    ("hard_swish", {}),
    ("hard_tanh", {}),
    ("hard_shrink", {}),
    ("soft_shrink", {}),
    ("sparse_plus", {}),
    ("sparse_sigmoid", {}),
    ("squareplus", {}),
    ("tanh", {}),
    ("tanh_shrink", {}),
    ("exponential", {}),
    ("mish", {}),
    ("linear", {}),
    ("log_sigmoid", {}),
    ("threshold", {"threshold": 0.1, "default_value": -1.0}),
]
KERAS_ACTIVATIONS = sorted(
    n
    for n in dir(keras.activations)
    if not n.startswith("_") and n not in ("get", "serialize", "deserialize")
)


def _compare(ours, theirs):
    ours_leaves = jax.tree_util.tree_leaves(ours)
    theirs_leaves = jax.tree_util.tree_leaves(theirs)
    assert len(ours_leaves) == len(theirs_leaves)
    for a, b in zip(ours_leaves, theirs_leaves, strict=True):
        a, b = np.asarray(a), np.asarray(b)
        assert a.dtype == b.dtype, (a.dtype, b.dtype)
        assert a.shape == b.shape
        if a.dtype.kind in "fc" or str(a.dtype) == "bfloat16":
            np.testing.assert_allclose(
                a.astype(np.float64), b.astype(np.float64), rtol=1e-6, atol=1e-7
            )
        else:
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("name", "args", "kwargs"), OPS_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(OPS_CASES)]
)
def test_op_matches_keras(name, args, kwargs):
    _compare(getattr(ops, name)(*args, **kwargs), getattr(keras.ops, name)(*args, **kwargs))


@pytest.mark.parametrize(
    ("name", "kwargs"),
    ACTIVATION_CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(ACTIVATION_CASES)],
)
def test_activation_matches_keras(name, kwargs):
    _compare(getattr(activations, name)(X, **kwargs), getattr(keras.activations, name)(X, **kwargs))


def test_ops_accept_variables_like_keras_variables():
    ours = ops.matmul(heft.Variable(X), heft.Variable(Y.T))
    theirs = keras.ops.matmul(keras.Variable(X), keras.Variable(Y.T))
    _compare(ours, theirs)


def test_public_ops_have_keras_signatures():
    public = [n for n in dir(ops) if not n.startswith("_") and inspect.isfunction(getattr(ops, n))]
    mismatched = []
    for name in public:
        theirs = inspect.signature(getattr(keras.ops, name)).parameters.values()
        ours = inspect.signature(getattr(ops, name)).parameters.values()
        if [(p.name, p.kind, p.default) for p in theirs] != [
            (p.name, p.kind, p.default) for p in ours
        ]:
            mismatched.append(name)
    assert mismatched == []


def test_activations_have_keras_signatures_and_names():
    for name in KERAS_ACTIVATIONS:
        theirs = inspect.signature(getattr(keras.activations, name)).parameters.values()
        ours = inspect.signature(getattr(activations, name)).parameters.values()
        assert [(p.name, p.default) for p in ours] == [(p.name, p.default) for p in theirs]
    assert set(activations.ALL_OBJECTS_DICT) == set(KERAS_ACTIVATIONS)


@pytest.mark.parametrize("name", KERAS_ACTIVATIONS)
def test_activation_serialization_matches_keras(name):
    ours = activations.serialize(activations.get(name))
    theirs = keras.activations.serialize(keras.activations.get(name))
    assert ours == theirs
    assert activations.get(theirs).__name__ == keras.activations.get(theirs).__name__
