"""PyTorch's tensor layouts against Keras's: one small conversion per kind of layer, both ways.

Each ``*_to_keras`` function turns the tensors a PyTorch module stores into the
value of one Keras variable; each ``*_to_torch`` function is its exact inverse,
except where noted (an LSTM's two biases are one in Keras). They only move,
reorder or add values: a round trip through both gives the same numbers.

>>> import numpy as np
>>> weight = np.arange(6.0).reshape(3, 2)  # nn.Linear(2, 3).weight: (out, in)
>>> linear_to_keras(weight).shape  # Dense(3).kernel: (in, out)
(2, 3)
"""

from __future__ import annotations

import numpy as np


def linear_to_keras(weight: np.ndarray) -> np.ndarray:
    """``nn.Linear.weight`` ``(out, in)`` -> ``Dense.kernel`` ``(in, out)``."""
    return weight.T


def linear_to_torch(kernel: np.ndarray) -> np.ndarray:
    """``Dense.kernel`` ``(in, out)`` -> ``nn.Linear.weight`` ``(out, in)``."""
    return kernel.T


def conv_to_keras(weight: np.ndarray) -> np.ndarray:
    """A convolution kernel, channels first -> channels last.

    ``nn.Conv1d/2d/3d.weight`` ``(out, in/groups, *window)`` becomes
    ``Conv1D/2D/3D.kernel`` ``(*window, in/groups, out)``. The same move turns
    ``nn.ConvTranspose*d.weight`` ``(in, out, *window)`` into
    ``Conv*DTranspose.kernel`` ``(*window, out, in)``: neither flips the window.
    """
    n = weight.ndim
    return weight.transpose(*range(2, n), 1, 0)


def conv_to_torch(kernel: np.ndarray) -> np.ndarray:
    """The inverse of :func:`conv_to_keras`: ``(*window, a, b)`` -> ``(b, a, *window)``."""
    n = kernel.ndim
    return kernel.transpose(n - 1, n - 2, *range(n - 2))


def depthwise_to_keras(weight: np.ndarray, channels: int) -> np.ndarray:
    """A depthwise kernel: ``(channels * multiplier, 1, *window)`` -> ``(*window, channels, multiplier)``.

    PyTorch's depthwise convolution is ``nn.Conv*d(groups=channels)``, whose
    output channel ``c * multiplier + j`` reads input channel ``c``; Keras's
    ``DepthwiseConv*D`` keeps ``c`` and ``j`` as two axes.

    Raises:
        ValueError: If the weight's first axis is not a multiple of ``channels``
            or its second axis is not 1.
    """
    if weight.ndim < 3 or weight.shape[1] != 1 or weight.shape[0] % channels:
        raise ValueError(
            f"a depthwise weight of shape {weight.shape} does not split into {channels} "
            "channel(s) of shape (multiplier, 1, *window)"
        )
    window = weight.shape[2:]
    split = weight.reshape(channels, weight.shape[0] // channels, *window)
    return split.transpose(*range(2, split.ndim), 0, 1)


def depthwise_to_torch(kernel: np.ndarray) -> np.ndarray:
    """The inverse of :func:`depthwise_to_keras`."""
    n = kernel.ndim
    channels, multiplier = kernel.shape[-2:]
    moved = kernel.transpose(n - 2, n - 1, *range(n - 2))
    return moved.reshape(channels * multiplier, 1, *kernel.shape[:-2])


def lstm_bias_to_keras(bias_ih: np.ndarray, bias_hh: np.ndarray) -> np.ndarray:
    """``nn.LSTM``'s ``bias_ih + bias_hh`` -> ``LSTMCell.bias``.

    Both use the gate order input, forget, cell, output, and PyTorch adds its
    two biases in every step, so one sum gives the same outputs.
    """
    return bias_ih + bias_hh


def lstm_bias_to_torch(bias: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``LSTMCell.bias`` -> ``(bias_ih, bias_hh)``: the whole bias in ``bias_ih``, zeros in ``bias_hh``.

    The split PyTorch had is not kept by Keras; this one computes the same outputs.
    """
    return bias, np.zeros_like(bias)


def gru_gates(array: np.ndarray) -> np.ndarray:
    """Swap the first two of three gate blocks along axis 0: PyTorch's r, z, n <-> Keras's z, r, h.

    The swap is its own inverse.
    """
    if array.shape[0] % 3:
        raise ValueError(f"a GRU tensor of shape {array.shape} does not split into 3 gates")
    r, z, n = np.split(array, 3, axis=0)
    return np.concatenate([z, r, n], axis=0)


def gru_kernel_to_keras(weight: np.ndarray) -> np.ndarray:
    """``nn.GRU.weight_ih_l0``/``weight_hh_l0`` ``(3 * units, n)`` -> ``GRUCell`` kernel ``(n, 3 * units)``."""
    return gru_gates(weight).T


def gru_kernel_to_torch(kernel: np.ndarray) -> np.ndarray:
    """The inverse of :func:`gru_kernel_to_keras`."""
    return gru_gates(kernel.T)


def gru_bias_to_keras(bias_ih: np.ndarray, bias_hh: np.ndarray) -> np.ndarray:
    """``nn.GRU``'s two biases -> ``GRUCell.bias`` ``(2, 3 * units)`` of ``reset_after=True``.

    Row 0 is the input bias and row 1 the recurrent one: with
    ``reset_after=True`` Keras applies the reset gate after the recurrent
    product, as PyTorch does, so both biases keep their roles exactly.
    """
    return np.stack([gru_gates(bias_ih), gru_gates(bias_hh)])


def gru_bias_to_torch(bias: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The inverse of :func:`gru_bias_to_keras`: ``(bias_ih, bias_hh)``."""
    return gru_gates(bias[0]), gru_gates(bias[1])


def projection_to_keras(weight: np.ndarray, heads: int) -> np.ndarray:
    """An attention input projection ``(heads * head_dim, in)`` -> ``(in, heads, head_dim)``.

    ``nn.MultiheadAttention`` packs the query, key and value projections in
    ``in_proj_weight`` ``(3 * embed_dim, embed_dim)``; each third (or
    ``q_proj_weight``/``k_proj_weight``/``v_proj_weight``) converts here.
    """
    if weight.ndim != 2 or weight.shape[0] % heads:
        raise ValueError(f"a projection of shape {weight.shape} does not split into {heads} heads")
    return weight.T.reshape(weight.shape[1], heads, weight.shape[0] // heads)


def projection_to_torch(kernel: np.ndarray) -> np.ndarray:
    """The inverse of :func:`projection_to_keras`."""
    return kernel.reshape(kernel.shape[0], -1).T


def head_bias_to_keras(bias: np.ndarray, heads: int) -> np.ndarray:
    """A projection's bias ``(heads * head_dim,)`` -> ``(heads, head_dim)``."""
    if bias.ndim != 1 or bias.shape[0] % heads:
        raise ValueError(f"a bias of shape {bias.shape} does not split into {heads} heads")
    return bias.reshape(heads, bias.shape[0] // heads)


def output_projection_to_keras(weight: np.ndarray, heads: int) -> np.ndarray:
    """``out_proj.weight`` ``(out, heads * head_dim)`` -> ``(heads, head_dim, out)``."""
    if weight.ndim != 2 or weight.shape[1] % heads:
        raise ValueError(f"a projection of shape {weight.shape} does not split into {heads} heads")
    return weight.T.reshape(heads, weight.shape[1] // heads, weight.shape[0])


def output_projection_to_torch(kernel: np.ndarray) -> np.ndarray:
    """The inverse of :func:`output_projection_to_keras`."""
    return kernel.reshape(-1, kernel.shape[-1]).T


def split_rows(array: np.ndarray, part: int, parts: int) -> np.ndarray:
    """Part ``part`` of ``parts`` equal blocks of ``array`` along axis 0 (a packed projection)."""
    if array.shape[0] % parts:
        raise ValueError(f"a tensor of shape {array.shape} does not split into {parts} parts")
    size = array.shape[0] // parts
    return array[part * size : (part + 1) * size]
