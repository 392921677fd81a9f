"""Signal ops: FFTs on ``(real, imag)`` pairs, STFT and its inverse, framing, complex views.

As in Keras, complex tensors go in and out of the FFT family as a pair of
float tensors ``(real, imag)``.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .._dtypes import standardize_dtype
from .._typing import ArrayLike
from ._core import convert_to_tensor
from ._dispatch import symbolic_op


def complex_of(x: Any) -> jax.Array:
    """The complex tensor of a pair ``(real, imag)`` of float tensors of one shape."""
    if not isinstance(x, tuple | list) or len(x) != 2:
        raise ValueError(
            "Input `x` should be a tuple of two tensors - real and imaginary. Received: "
            f"x={x!r}. Pass (real, imag), e.g. the pair that `rfft` returns."
        )
    real, imag = convert_to_tensor(x[0]), convert_to_tensor(x[1])
    if real.shape != imag.shape:
        raise ValueError(
            "Input `x` should be a tuple of two tensors - real and imaginary. Both the real "
            f"and imaginary parts should have the same shape. Received: x[0].shape = "
            f"{real.shape}, x[1].shape = {imag.shape}"
        )
    if not (jnp.issubdtype(real.dtype, jnp.floating) and jnp.issubdtype(imag.dtype, jnp.floating)):
        raise ValueError(
            "At least one tensor in input `x` is not of type float. Received: dtypes "
            f"{real.dtype} and {imag.dtype}. Cast both parts to a float dtype."
        )
    return jax.lax.complex(real, imag)


def _pair(z: jax.Array) -> tuple[jax.Array, jax.Array]:
    return jnp.real(z), jnp.imag(z)


def _at_least(z: jax.Array, rank: int) -> None:
    if z.ndim < rank:
        raise ValueError(f"Input should have rank >= {rank}. Received: input.shape = {z.shape}")


@symbolic_op
def fft(x: Any) -> tuple[jax.Array, jax.Array]:
    """The FFT along the last axis of the complex tensor ``x = (real, imag)``.

    Args:
        x: A pair of float tensors of one shape (rank >= 1).

    Returns:
        The pair ``(real, imag)`` of the transform.

    Raises:
        ValueError: If ``x`` is not such a pair.

    >>> ops.fft((ops.array([1.0, 0.0]), ops.array([0.0, 0.0])))[0]
    Array([1., 1.], dtype=float32)
    """
    z = complex_of(x)
    _at_least(z, 1)
    return _pair(jnp.fft.fft(z))


@symbolic_op
def fft2(x: Any) -> tuple[jax.Array, jax.Array]:
    """The 2-D FFT over the last two axes of ``x = (real, imag)``.

    Args:
        x: A pair of float tensors of one shape (rank >= 2).

    Returns:
        The pair ``(real, imag)`` of the transform.

    Raises:
        ValueError: If ``x`` is not such a pair.

    >>> ops.fft2((ops.ones((2, 2)), ops.zeros((2, 2))))[0]
    Array([[4., 0.],
           [0., 0.]], dtype=float32)
    """
    z = complex_of(x)
    _at_least(z, 2)
    return _pair(jnp.fft.fft2(z))


@symbolic_op
def ifft2(x: Any) -> tuple[jax.Array, jax.Array]:
    """The inverse 2-D FFT over the last two axes of ``x = (real, imag)``.

    Args:
        x: A pair of float tensors of one shape (rank >= 2).

    Returns:
        The pair ``(real, imag)`` of the inverse transform.

    Raises:
        ValueError: If ``x`` is not such a pair.

    >>> ops.ifft2(ops.fft2((ops.ones((2, 2)), ops.zeros((2, 2)))))[0]
    Array([[1., 1.],
           [1., 1.]], dtype=float32)
    """
    z = complex_of(x)
    _at_least(z, 2)
    return _pair(jnp.fft.ifft2(z))


@symbolic_op
def rfft(x: ArrayLike, fft_length: int | None = None) -> tuple[jax.Array, jax.Array]:
    """The FFT of the real tensor ``x`` along its last axis (the non-negative frequencies).

    Args:
        x: Real tensor of rank >= 1.
        fft_length: Points of the transform (``x`` is cropped or zero-padded to
            it); ``None`` uses the length of the last axis.

    Returns:
        The pair ``(real, imag)``, with ``fft_length // 2 + 1`` frequencies.

    >>> ops.rfft(ops.array([1.0, 1.0, 1.0, 1.0]))[0]
    Array([4., 0., 0.], dtype=float32)
    """
    x = convert_to_tensor(x)
    _at_least(x, 1)
    return _pair(jnp.fft.rfft(x, n=fft_length, axis=-1))


@symbolic_op
def irfft(x: Any, fft_length: int | None = None) -> jax.Array:
    """The inverse of :func:`rfft`: a real signal from its non-negative frequencies.

    Args:
        x: The pair ``(real, imag)`` of the spectrum along the last axis.
        fft_length: Length of the output; ``None`` gives ``2 * (n - 1)`` for
            ``n`` input frequencies.

    Returns:
        The real signal.

    Raises:
        ValueError: If ``x`` is not a pair of float tensors of one shape.

    >>> ops.irfft((ops.array([4.0, 0.0, 0.0]), ops.zeros(3)))
    Array([1., 1., 1., 1.], dtype=float32)
    """
    z = complex_of(x)
    _at_least(z, 1)
    return jnp.fft.irfft(z, n=fft_length, axis=-1)


@symbolic_op
def extract_sequences(x: ArrayLike, sequence_length: int, sequence_stride: int) -> jax.Array:
    """Frames of ``sequence_length`` values every ``sequence_stride`` along the last axis.

    Args:
        x: Tensor of rank >= 1.
        sequence_length: Length of each frame.
        sequence_stride: Step between the starts of consecutive frames.

    Returns:
        Shape ``(*x.shape[:-1], num_frames, sequence_length)`` with
        ``num_frames = 1 + (x.shape[-1] - sequence_length) // sequence_stride``.

    Raises:
        ValueError: If ``x`` is a scalar.

    >>> ops.extract_sequences(ops.array([1, 2, 3, 4, 5, 6]), 3, 2)
    Array([[1, 2, 3],
           [3, 4, 5]], dtype=int32)
    """
    x = convert_to_tensor(x)
    _at_least(x, 1)
    frames = 1 + (x.shape[-1] - sequence_length) // sequence_stride
    index = np.arange(frames)[:, None] * sequence_stride + np.arange(sequence_length)[None, :]
    return x[..., index]


def _window(window: Any, sequence_length: int, fft_length: int, dtype: Any) -> jax.Array:
    """The analysis window, centred in ``fft_length`` points by zero padding.

    ``None`` is a rectangular window over all ``fft_length`` points.
    """
    if window is None:
        return jnp.ones((fft_length,), dtype)
    if isinstance(window, str):
        if window not in ("hann", "hamming"):
            raise ValueError(
                'If a string is passed to `window`, it must be one of `"hann"`, '
                f'`"hamming"`. Received: window={window!r}. Or pass a tensor of '
                "`sequence_length` values, or None for no window."
            )
        # The periodic windows (scipy.signal.get_window's default).
        alpha = 0.5 if window == "hann" else 0.54
        phase = 2 * np.pi * np.arange(sequence_length) / sequence_length
        win = jnp.asarray(alpha - (1 - alpha) * np.cos(phase), dtype)
    else:
        win = convert_to_tensor(window).astype(dtype)
        if win.ndim != 1 or win.shape[0] != sequence_length:
            raise ValueError(
                "The shape of `window` must be equal to [sequence_length]. Received: window "
                f"shape={win.shape}, sequence_length={sequence_length}."
            )
    left = (fft_length - sequence_length) // 2
    return jnp.pad(win, (left, fft_length - sequence_length - left))


def _check_stride(sequence_stride: Any) -> None:
    if isinstance(sequence_stride, bool) or not isinstance(sequence_stride, int):
        ok = False
    else:
        ok = sequence_stride > 0
    if not ok:
        raise ValueError(
            f"`sequence_stride` must be a positive integer. Received: "
            f"sequence_stride={sequence_stride!r}"
        )


@symbolic_op
def stft(
    x: ArrayLike,
    sequence_length: int,
    sequence_stride: int,
    fft_length: int,
    window: Any = "hann",
    center: bool = True,
) -> tuple[jax.Array, jax.Array]:
    """Short-time Fourier transform of the real signal ``x`` along its last axis.

    Args:
        x: Float32 or float64 tensor of rank >= 1.
        sequence_length: Length of each frame (and of ``window``).
        sequence_stride: Step between frames.
        fft_length: Points of each FFT (``>= sequence_length``; the window is
            zero-padded to it, centred).
        window: ``"hann"``, ``"hamming"`` (periodic), a tensor of
            ``sequence_length`` values, or ``None`` for none (all ``fft_length``
            points of each frame count).
        center: Whether ``x`` is reflect-padded by ``fft_length // 2`` on both
            sides, so frame ``t`` is centred at ``t * sequence_stride``.

    Returns:
        The pair ``(real, imag)`` of shape ``(..., frames, fft_length // 2 + 1)``.

    Raises:
        TypeError: If ``x`` is not float32 or float64.
        ValueError: For a bad stride, window, or ``fft_length < sequence_length``.

    >>> [t.shape for t in ops.stft(ops.zeros((2, 16)), 8, 4, 8)]
    [(2, 5, 5), (2, 5, 5)]
    """
    _check_stride(sequence_stride)
    x = convert_to_tensor(x)
    if standardize_dtype(x.dtype) not in ("float32", "float64"):
        raise TypeError(
            f"Invalid input type. Expected `float32` or `float64`. Received: input type={x.dtype}"
        )
    if fft_length < sequence_length:
        raise ValueError(
            "`fft_length` must equal or larger than `sequence_length`. Received: "
            f"sequence_length={sequence_length}, fft_length={fft_length}"
        )
    win = _window(window, sequence_length, fft_length, x.dtype)
    if center:
        half = fft_length // 2
        x = jnp.pad(x, [(0, 0)] * (x.ndim - 1) + [(half, half)], mode="reflect")
    frames = extract_sequences(x, fft_length, sequence_stride)
    return _pair(jnp.fft.rfft(frames * win, n=fft_length, axis=-1))


@symbolic_op
def istft(
    x: Any,
    sequence_length: int,
    sequence_stride: int,
    fft_length: int,
    length: int | None = None,
    window: Any = "hann",
    center: bool = True,
) -> jax.Array:
    """Inverse short-time Fourier transform: a signal from ``x = (real, imag)`` frames.

    Frames are inverse-transformed, windowed and overlap-added, then divided by
    the overlapping squared window, as ``jax.scipy.signal.istft`` does.

    Args:
        x: The pair ``(real, imag)`` of shape ``(..., frames, fft_length // 2 + 1)``.
        sequence_length: Length of the window.
        sequence_stride: Step between frames.
        fft_length: Points of each FFT.
        length: Length of the output; ``None`` keeps the whole signal (less the
            centre padding when ``center``).
        window: ``"hann"``, ``"hamming"``, a tensor of ``sequence_length``
            values, or ``None`` (then, as in Keras, the signal comes out scaled
            by ``fft_length / sequence_stride``).
        center: Whether the signal was centre-padded by :func:`stft`.

    Returns:
        The real signal, shape ``(..., samples)``.

    Raises:
        ValueError: For a bad pair, stride or window, or ``x`` of rank < 2.

    >>> x = ops.arange(16.0)
    >>> ops.istft(ops.stft(x, 8, 2, 8), 8, 2, 8)[:4].round(2).tolist()
    [0.0, 1.0, 2.0, 3.0]
    """
    _check_stride(sequence_stride)
    z = complex_of(x)
    if z.ndim < 2:
        raise ValueError(f"Input `x` must have at least 2 dimensions. Received shape: {z.shape}")
    dtype = jnp.real(z).dtype
    win = _window(window, sequence_length, fft_length, dtype)
    frames = jnp.fft.irfft(z, n=fft_length, axis=-1) * win
    count = z.shape[-2]
    total = fft_length + sequence_stride * (count - 1)
    starts = np.arange(count) * sequence_stride
    index = (starts[:, None] + np.arange(fft_length)[None, :]).reshape(-1)
    lead = frames.shape[:-2]
    signal = (
        jnp.zeros((*lead, total), dtype)
        .at[..., index]
        .add(frames.reshape((*lead, count * fft_length)))
    )
    norm = jnp.zeros((total,), dtype).at[index].add(jnp.tile(win * win, count))
    signal = signal / jnp.where(norm > 1e-10, norm, 1.0)
    if window is None:
        signal = signal * (fft_length / sequence_stride)  # Keras's scale without a window
    start = fft_length // 2 if center else 0
    if length is not None:
        end = start + length
    elif center:
        end = total - fft_length // 2
    else:
        end = total
    return signal[..., start:end]


@symbolic_op
def view_as_complex(x: ArrayLike) -> jax.Array:
    """The complex64 tensor whose real and imaginary parts are ``x[..., 0]`` and ``x[..., 1]``.

    Args:
        x: Real tensor whose last axis has size 2.

    Returns:
        A complex tensor of shape ``x.shape[:-1]``.

    Raises:
        ValueError: If the last axis of ``x`` is not of size 2.

    >>> ops.view_as_complex([[1.0, 2.0], [3.0, 4.0]])
    Array([1.+2.j, 3.+4.j], dtype=complex64)
    """
    x = convert_to_tensor(x)
    if x.ndim < 1 or x.shape[-1] != 2:
        raise ValueError(
            "Last dimension of input must be size 2 (real and imaginary). Received shape: "
            f"{x.shape}"
        )
    return x[..., 0].astype(jnp.complex64) + 1j * x[..., 1].astype(jnp.complex64)


@symbolic_op
def view_as_real(x: ArrayLike) -> jax.Array:
    """The real and imaginary parts of the complex tensor ``x`` stacked on a new last axis.

    >>> ops.view_as_real(ops.array([1 + 2j]))
    Array([[1., 2.]], dtype=float32)
    """
    x = convert_to_tensor(x)
    return jnp.stack((jnp.real(x), jnp.imag(x)), axis=-1)
