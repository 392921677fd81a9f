"""heft's own behaviour of the convolution, pooling, signal, block, CTC and rearrange ops."""

import jax
import numpy as np
import pytest

import heft
from heft import layers, ops

RNG = np.random.default_rng(0)
IMG = RNG.normal(size=(2, 6, 5, 3)).astype(np.float32)


def test_conv_layer_and_conv_op_share_the_lowering():
    layer = layers.Conv2D(4, 3, padding="same", use_bias=False)
    out = layer(IMG)
    np.testing.assert_allclose(
        np.asarray(out), np.asarray(ops.conv(IMG, layer.kernel, padding="same")), atol=1e-6
    )
    depthwise = layers.DepthwiseConv2D(3, use_bias=False)
    np.testing.assert_allclose(
        np.asarray(depthwise(IMG)),
        np.asarray(ops.depthwise_conv(IMG, depthwise.kernel)),
        atol=1e-6,
    )


def test_grouped_conv_splits_the_channels():
    x = RNG.normal(size=(1, 5, 4)).astype(np.float32)
    kernel = RNG.normal(size=(3, 2, 6)).astype(np.float32)
    out = ops.conv(x, kernel)
    first = ops.conv(x[..., :2], kernel[..., :3])
    np.testing.assert_allclose(np.asarray(out[..., :3]), np.asarray(first), atol=1e-6)


def test_pools_default_strides_to_the_window():
    out = ops.max_pool(IMG, 2)
    np.testing.assert_array_equal(np.asarray(out), np.asarray(ops.max_pool(IMG, 2, strides=2)))
    assert ops.average_pool(IMG, (2, 1)).shape == (2, 3, 5, 3)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: ops.conv(IMG, np.ones((3, 3), np.float32)), "same rank N \\+ 2"),
        (lambda: ops.conv(IMG, np.ones((7, 3, 3, 1), np.float32)), "empty output"),
        (lambda: ops.conv(IMG, np.ones((3, 3, 3, 1), np.float32), strides=(1, 2, 3)), "strides"),
        (lambda: ops.conv(IMG, np.ones((3, 3, 2, 1), np.float32)), "evenly divisible"),
        (lambda: ops.depthwise_conv(IMG, np.ones((3, 3, 2, 1), np.float32)), "must match"),
        (lambda: ops.conv_transpose(IMG, np.ones((3, 3, 1, 2), np.float32)), "must match"),
        (lambda: ops.max_pool(IMG, 2, padding="causal"), "Invalid padding"),
        (lambda: ops.max_pool(IMG, 7), "empty output"),
        (lambda: ops.average_pool(IMG[0, 0], 2), "rank N \\+ 2"),
        (lambda: ops.max_pool(IMG, 2, data_format="nhwc"), "data_format"),
    ],
)
def test_conv_and_pool_errors_say_what_to_change(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_istft_inverts_stft():
    x = RNG.normal(size=(2, 40)).astype(np.float32)
    for window in ("hamming", np.hanning(10).astype(np.float32)):
        back = ops.istft(ops.stft(x, 10, 5, 16, window=window), 10, 5, 16, length=40, window=window)
        np.testing.assert_allclose(np.asarray(back), x, atol=1e-5)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: ops.stft(np.ones(16, np.float32), 8, 2, 8, window=np.ones(3)),
            ValueError,
            "shape of `window`",
        ),
        (lambda: ops.istft((np.ones(9), np.ones(9)), 8, 2, 8), ValueError, "at least 2"),
        (
            lambda: ops.irfft((np.ones(3, np.int32), np.ones(3, np.int32))),
            ValueError,
            "not of type float",
        ),
        (lambda: ops.extract_sequences(np.float32(1.0), 2, 1), ValueError, "rank >= 1"),
        (lambda: ops.fold(np.ones((1, 8, 3)), 4, 2, stride=2), ValueError, "number of blocks"),
        (lambda: ops.unfold(np.ones((2, 3, 4)), 2), ValueError, "4D"),
        (lambda: ops.space_to_depth(np.ones((1, 4, 3, 1)), 2), ValueError, "Width \\(3\\)"),
        (
            lambda: ops.depth_to_space(np.ones((1, 2, 2, 6)), 2),
            ValueError,
            "divisible by block_size",
        ),
        (
            lambda: ops.ctc_loss([1, 2], np.ones((1, 3, 4)), [2], [3]),
            ValueError,
            "max_label_length",
        ),
        (
            lambda: ops.dot_product_attention(
                *[np.ones((1, 2, 1, 4), np.float32)] * 3, attn_logits_soft_cap=1.0
            ),
            ValueError,
            "only supported for JAX on TPU",
        ),
    ],
)
def test_signal_block_and_ctc_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.skipif(jax.default_backend() == "gpu", reason="a GPU may run cuDNN attention")
def test_flash_attention_needs_a_gpu():
    q = np.ones((1, 2, 1, 4), np.float32)
    with pytest.raises(RuntimeError, match="needs cuDNN on a GPU"):
        ops.dot_product_attention(q, q, q, flash_attention=True)


def test_rearrange_splits_merges_and_permutes():
    x = np.arange(2 * 6 * 4).reshape(2, 6, 4)
    out = ops.rearrange(x, "b (h p) w -> p b (h w)", p=3)
    expected = x.reshape(2, 2, 3, 4).transpose(2, 0, 1, 3).reshape(3, 2, 8)
    np.testing.assert_array_equal(np.asarray(out), expected)


@pytest.mark.parametrize(
    ("pattern", "lengths", "match"),
    [
        ("b h w", {}, "one '->'"),
        ("b h -> b h w", {}, "same axes"),
        ("b h w -> b (h w)", {}, "names 3 axes"),
        ("b b -> b b", {}, "repeats"),
        ("b (h w) -> b h w", {}, "have no length"),
        ("b (h w) -> b h w", {"h": 4}, "cannot be split"),
        ("b h... -> b h", {}, "Unsupported character"),
    ],
)
def test_rearrange_errors(pattern, lengths, match):
    with pytest.raises(ValueError, match=match):
        ops.rearrange(np.ones((2, 6)), pattern, **lengths)


def test_ctc_decode_greedy_merges_repeats_and_drops_blanks():
    probs = np.array([[[0.1, 0.9], [0.1, 0.9], [0.9, 0.1], [0.2, 0.8]]], np.float32)
    paths, scores = ops.ctc_decode(np.log(probs), [4], mask_index=0)
    assert np.asarray(paths).tolist() == [[[1, 1, -1, -1]]]
    np.testing.assert_allclose(np.asarray(scores), -np.log([[0.9 * 0.9 * 0.9 * 0.8]]), rtol=1e-6)


def test_view_keeps_the_bytes():
    x = np.array([1.0, -2.0], np.float32)
    assert np.asarray(ops.view(x, "int32")).tolist() == x.view(np.int32).tolist()
    assert ops.view(x).dtype == np.float32
    assert heft.ops.numpy.view is ops.view
