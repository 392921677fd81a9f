"""Convolution, pooling, attention, CTC, signal, block and rearrange ops against Keras 3.

Each case runs in heft eagerly, under ``jax.jit`` and on symbolic inputs, and in
Keras on the same inputs: values, dtypes, symbolic shapes and error types agree.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax
import keras
import numpy as np
import pytest

import heft

RNG = np.random.default_rng(3)


def _normal(*shape):
    return RNG.normal(size=shape).astype(np.float32)


IMG = _normal(2, 7, 6, 4)
SEQ = _normal(2, 9, 3)
SIGNAL = _normal(2, 33)
Q, KV = _normal(2, 5, 4, 8), _normal(2, 6, 2, 8)
LOGITS = _normal(2, 5, 4) * 3
TARGET = np.array([[1, 2, 2], [3, 0, 0]], np.int32)
LENGTHS = np.array([5, 3], np.int32)
SPECTRUM = heft.ops.stft(SIGNAL, 8, 4, 8)
PAIR = (SIGNAL, SIGNAL[::-1].copy())

# (name, args, kwargs). Keras's pools need explicit strides on JAX (its default fails).
CASES = [
    ("conv", (IMG, _normal(3, 2, 4, 5)), {"strides": 2, "padding": "same"}),
    ("conv", (IMG, _normal(3, 3, 2, 6)), {"dilation_rate": 2}),
    ("conv", (SEQ, _normal(3, 3, 2)), {"padding": "SAME"}),
    ("conv", (IMG.transpose(0, 3, 1, 2), _normal(2, 2, 4, 3)), {"data_format": "channels_first"}),
    ("depthwise_conv", (IMG, _normal(3, 3, 4, 2)), {"strides": (1, 2), "padding": "same"}),
    ("separable_conv", (IMG, _normal(3, 3, 4, 2), _normal(1, 1, 8, 3)), {}),
    ("conv_transpose", (IMG, _normal(3, 3, 5, 4)), {"strides": 2, "padding": "same"}),
    ("conv_transpose", (SEQ, _normal(3, 5, 3)), {"strides": 3, "output_padding": 2}),
    ("max_pool", (IMG,), {"pool_size": 3, "strides": 2, "padding": "same"}),
    ("max_pool", (SEQ,), {"pool_size": 2, "strides": 2}),
    ("average_pool", (IMG,), {"pool_size": (2, 3), "strides": 1, "padding": "same"}),
    ("average_pool", (IMG,), {"pool_size": 2, "strides": 2, "data_format": "channels_first"}),
    ("dot_product_attention", (Q, KV, KV), {}),
    (
        "dot_product_attention",
        (Q, KV, KV),
        {
            "mask": RNG.random((1, 1, 5, 6)) > 0.3,
            "bias": _normal(1, 4, 5, 6),
            "is_causal": True,
            "scale": 0.3,
        },
    ),
    ("ctc_loss", (TARGET, LOGITS, np.array([3, 1]), LENGTHS), {"mask_index": 3}),
    ("ctc_decode", (LOGITS, LENGTHS), {"merge_repeated": False, "mask_index": 2}),
    (
        "ctc_decode",
        (LOGITS, LENGTHS),
        {"strategy": "beam_search", "beam_width": 3, "top_paths": 2, "mask_index": None},
    ),
    ("depth_to_space", (IMG[:, :, :, :4],), {"block_size": 2}),
    ("depth_to_space", (IMG[:, :4],), {"block_size": 2, "data_format": "channels_first"}),
    ("space_to_depth", (IMG[:, :6],), {"block_size": 2}),
    ("unfold", (IMG,), {"kernel_size": (2, 3), "dilation": (1, 2), "padding": 1, "stride": (2, 1)}),
    ("fold", (_normal(2, 24, 9),), {"output_size": (6, 6), "kernel_size": 2, "stride": 2}),
    ("extract_sequences", (SIGNAL,), {"sequence_length": 5, "sequence_stride": 3}),
    ("fft", (PAIR,), {}),
    ("fft2", ((IMG, IMG[::-1].copy()),), {}),
    ("ifft2", ((IMG, IMG[::-1].copy()),), {}),
    ("rfft", (SIGNAL,), {"fft_length": 16}),
    ("irfft", (PAIR,), {}),
    (
        "stft",
        (SIGNAL,),
        {
            "sequence_length": 6,
            "sequence_stride": 3,
            "fft_length": 10,
            "window": "hamming",
            "center": False,
        },
    ),
    (
        "istft",
        (SPECTRUM,),
        {"sequence_length": 8, "sequence_stride": 4, "fft_length": 8, "window": None},
    ),
    (
        "istft",
        (SPECTRUM,),
        {"sequence_length": 6, "sequence_stride": 4, "fft_length": 8, "length": 20},
    ),
    ("polar", (SIGNAL, SIGNAL[::-1].copy()), {}),
    ("view_as_complex", (IMG[..., :2],), {}),
    ("view_as_real", (SIGNAL + 1j * SIGNAL[::-1],), {}),
    ("view", (SIGNAL,), {"dtype": "int16"}),
    ("rearrange", (IMG, "b h w c -> b c (h w)"), {}),
    ("rearrange", (IMG, "b (h1 h) (w1 w) c -> (b h1 w1) h w c"), {"h1": 7, "w1": 2}),
]
IDS = [f"{name}-{i}" for i, (name, _, _) in enumerate(CASES)]


def _leaves(result):
    return [np.asarray(r) for r in jax.tree_util.tree_leaves(result)]


@pytest.mark.parametrize(("name", "args", "kwargs"), CASES, ids=IDS)
def test_op_matches_keras_eagerly_and_under_jit(name, args, kwargs):
    expected = _leaves(getattr(keras.ops, name)(*args, **kwargs))
    got = _leaves(getattr(heft.ops, name)(*args, **kwargs))
    arrays = [a for a in args if not isinstance(a, str)]
    static = [a for a in args if isinstance(a, str)]
    results = [got]
    if kwargs.get("strategy") != "beam_search":  # that one always runs under jax.jit
        jitted = jax.jit(lambda *a: getattr(heft.ops, name)(*a, *static, **kwargs))(*arrays)
        results.append(_leaves(jitted))
    for result in results:
        assert len(result) == len(expected)
        for g, e in zip(result, expected, strict=True):
            assert g.shape == e.shape and g.dtype == e.dtype
            np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-5)


def _symbolic(lib, value):
    """``value`` with each array a KerasTensor of unknown batch size."""
    if isinstance(value, tuple):
        return tuple(_symbolic(lib, v) for v in value)
    if isinstance(value, np.ndarray):
        return lib.KerasTensor((None, *value.shape[1:]), dtype=str(value.dtype))
    return value


# The kernels of the convolutions stay arrays; only their inputs are batched.
KERNEL_OPS = {"conv", "depthwise_conv", "separable_conv", "conv_transpose"}


def _symbolic_args(lib, name, args):
    if name in KERNEL_OPS:
        return (_symbolic(lib, args[0]), *args[1:])
    return _symbolic(lib, args)


# Keras fails these symbolically: Rearrange and ConvTranspose with an unknown
# batch axis, Polar (a float32 spec for a complex result), a grouped Conv (which
# it runs eagerly); heft's shapes are checked against its eager run.
KERAS_SYMBOLIC_DEFECTS = {"rearrange", "polar", "conv_transpose", "conv-1"}


@pytest.mark.parametrize(
    ("case", "name", "args", "kwargs"), [(i, *c) for i, c in zip(IDS, CASES, strict=True)], ids=IDS
)
def test_op_on_symbolic_inputs_matches_keras(case, name, args, kwargs):
    got = getattr(heft.ops, name)(*_symbolic_args(heft, name, args), **kwargs)
    got_specs = [(t.shape, t.dtype) for t in jax.tree_util.tree_leaves(got)]
    eager = _leaves(getattr(heft.ops, name)(*args, **kwargs))
    assert [d for _, d in got_specs] == [str(e.dtype) for e in eager]
    for (shape, _), e in zip(got_specs, eager, strict=True):
        assert len(shape) == e.ndim
        assert all(s in (None, n) for s, n in zip(shape, e.shape, strict=True))
    if not {name, case} & KERAS_SYMBOLIC_DEFECTS:
        expected = getattr(keras.ops, name)(*_symbolic_args(keras, name, args), **kwargs)
        assert got_specs == [(t.shape, t.dtype) for t in jax.tree_util.tree_leaves(expected)]


def test_symbolic_ops_build_a_functional_model_that_runs():
    inputs = heft.Input((7, 6, 4))
    kernel = _normal(3, 3, 4, 8)
    x = heft.ops.conv(inputs, kernel, padding="same")
    x = heft.ops.max_pool(x, 2, strides=2)
    x = heft.ops.depth_to_space(x, 2)
    x = heft.ops.rearrange(x, "b h w c -> b (h w) c")
    model = heft.Model(inputs, x)
    expected = keras.ops.rearrange(
        keras.ops.depth_to_space(
            keras.ops.max_pool(keras.ops.conv(IMG, kernel, padding="same"), 2, strides=2), 2
        ),
        "b h w c -> b (h w) c",
    )
    np.testing.assert_allclose(np.asarray(model(IMG)), np.asarray(expected), rtol=1e-5, atol=1e-5)


BAD_CASES = [
    ("conv", (IMG, _normal(3, 3, 3, 2)), {}),
    ("conv", (IMG, _normal(9, 9, 4, 2)), {}),
    ("max_pool", (IMG,), {"pool_size": 2, "strides": 2, "padding": "full"}),
    ("depth_to_space", (IMG,), {"block_size": 1}),
    ("space_to_depth", (IMG,), {"block_size": 2, "data_format": "channels_middle"}),
    ("unfold", (SEQ,), {"kernel_size": 2}),
    ("fold", (SEQ[0],), {"output_size": 4, "kernel_size": 2}),
    ("fft", (SIGNAL,), {}),
    ("fft", ((SIGNAL, SIGNAL[:, :3]),), {}),
    ("stft", (SIGNAL,), {"sequence_length": 8, "sequence_stride": 0, "fft_length": 8}),
    ("stft", (SIGNAL,), {"sequence_length": 8, "sequence_stride": 2, "fft_length": 4}),
    (
        "stft",
        (SIGNAL,),
        {"sequence_length": 8, "sequence_stride": 2, "fft_length": 8, "window": "x"},
    ),
    (
        "stft",
        (SIGNAL.astype(np.int32),),
        {"sequence_length": 8, "sequence_stride": 2, "fft_length": 8},
    ),
    (
        "istft",
        ((SIGNAL[0], SIGNAL[0]),),
        {"sequence_length": 8, "sequence_stride": 2, "fft_length": 8},
    ),
    ("view_as_complex", (SIGNAL,), {}),
    ("ctc_decode", (LOGITS, LENGTHS), {"strategy": "beam"}),
    ("dot_product_attention", (Q[0], Q[0], Q[0]), {}),
    ("dot_product_attention", (Q, Q, Q), {"attn_logits_soft_cap": 0.5}),
    ("dot_product_attention", (Q, Q, Q), {"flash_attention": True}),
]


@pytest.mark.parametrize(("name", "args", "kwargs"), BAD_CASES, ids=[c[0] for c in BAD_CASES])
def test_bad_input_raises_the_error_type_keras_raises(name, args, kwargs):
    if name == "dot_product_attention" and kwargs.get("flash_attention"):
        if jax.default_backend() == "gpu":
            pytest.skip("flash attention may run on a GPU")
    with pytest.raises(Exception) as expected:
        getattr(keras.ops, name)(*args, **kwargs)
    with pytest.raises(expected.type):
        getattr(heft.ops, name)(*args, **kwargs)


@pytest.mark.parametrize("namespace", ["nn", "numpy", "linalg"])
def test_op_namespaces_hold_keras_names_as_the_same_functions(namespace):
    keras_names = {n for n in dir(getattr(keras.ops, namespace)) if not n.startswith("_")}
    module = getattr(heft.ops, namespace)
    heft_names = {n for n in dir(module) if not n.startswith("_")}
    # The adaptive poolings are their own ops; the namespace waits for heft.ops to have them.
    missing = {n for n in keras_names - heft_names if hasattr(heft.ops, n)}
    missing |= {n for n in keras_names - heft_names if not n.startswith("adaptive_")}
    assert missing == set()
    assert heft_names - keras_names == set()
    assert all(getattr(module, n) is getattr(heft.ops, n) for n in heft_names)


def test_top_level_ops_have_keras_names():
    keras_names = {n for n in dir(keras.ops) if not n.startswith("_")}
    missing = keras_names - set(dir(heft.ops))
    # The image namespace and the adaptive poolings come with their layers.
    assert missing <= {"image", "adaptive_average_pool", "adaptive_max_pool"}
