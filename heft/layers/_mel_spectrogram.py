"""``MelSpectrogram``: mel-scaled (and optionally decibel) spectrograms of audio."""

from __future__ import annotations

import functools
from typing import Any, cast

import jax
import jax.numpy as jnp
import numpy as np

from ._layer import Layer

_BREAK_HZ = 700.0
_HIGH_Q = 1127.0


def stft(x: Any, length: int, stride: int, fft_length: int, window: Any) -> tuple[Any, Any]:
    """Real and imaginary STFT of ``x`` along its last axis, frames centred (reflect padding).

    Returns arrays of shape ``(..., frames, fft_length // 2 + 1)``.
    """
    if window is not None and isinstance(window, str) and window not in ("hann", "hamming"):
        raise ValueError(
            'If a string is passed to `window`, it must be one of `"hann"`, `"hamming"`. '
            f"Received: window={window}"
        )
    pad = [(0, 0)] * (x.ndim - 1) + [(fft_length // 2, fft_length // 2)]
    x = jnp.pad(x, pad, mode="reflect")
    left = (fft_length - length) // 2
    right = fft_length - length - left
    if window is None:
        win = jnp.ones((fft_length,), x.dtype)
    else:
        if isinstance(window, str):
            import scipy.signal  # type: ignore[import-untyped]

            window = scipy.signal.get_window(window, length)
        win = jnp.pad(jnp.asarray(window, x.dtype), (left, right))
    _, _, spectrum = jax.scipy.signal.stft(
        x,
        fs=1.0,
        window=cast(Any, win),
        nperseg=fft_length,
        noverlap=fft_length - stride,
        nfft=fft_length,
        boundary=None,
        padded=False,
    )
    spectrum = jnp.swapaxes(spectrum * win.sum(), -2, -1)
    return jnp.real(spectrum), jnp.imag(spectrum)


def _hertz_to_mel(hertz: Any) -> Any:
    return _HIGH_Q * jnp.log(1.0 + hertz / _BREAK_HZ)


def mel_matrix(
    num_mel_bins: int, num_bins: int, sampling_rate: float, lower_hz: float, upper_hz: float
) -> Any:
    """The ``(num_bins, num_mel_bins)`` HTK triangular filter bank (peaks of 1, bin 0 zero)."""
    dtype = "float32"
    linear = jnp.linspace(0.0, jnp.asarray(sampling_rate, dtype) / 2.0, num_bins)[1:]
    bins_mel = _hertz_to_mel(linear)[:, None]
    edges = jnp.linspace(
        _hertz_to_mel(jnp.asarray(lower_hz, dtype)),
        _hertz_to_mel(jnp.asarray(upper_hz, dtype)),
        num_mel_bins + 2,
    )
    lower, center, upper = (edges[i : i + num_mel_bins][None, :] for i in range(3))
    rising = (bins_mel - lower) / (center - lower)
    falling = (upper - bins_mel) / (upper - center)
    weights = jnp.maximum(0.0, jnp.minimum(rising, falling))
    return jnp.pad(weights, ((1, 0), (0, 0)))


@functools.partial(jax.jit, static_argnums=(1, 2, 3))
def _mel_spectrogram(x: Any, framing: tuple, bank: tuple, scale: tuple) -> Any:
    """The layer's computation as one compiled program (eager op by op it compiles dozens)."""
    length, stride, fft_length, window = framing
    power_to_db, top_db, mag_exp, min_power, ref_power = scale
    win: Any = np.asarray(window) if isinstance(window, tuple) else window
    real, imag = stft(x, length, stride, fft_length, win)
    spec = jnp.power(jnp.sqrt(jnp.square(real) + jnp.square(imag)), mag_exp)
    matrix = mel_matrix(bank[0], spec.shape[-1], *bank[1:])
    out = jnp.tensordot(spec, matrix.astype(spec.dtype), axes=1)
    if power_to_db:
        out = 10.0 * jnp.log10(jnp.maximum(out, min_power))
        ref = np.abs(np.asarray(ref_power, dtype="float32"))
        out = out - 10.0 * jnp.log10(jnp.maximum(ref, min_power))
        out = jnp.maximum(out, jnp.max(out) - top_db)
    return jnp.swapaxes(out, -1, -2)


class MelSpectrogram(Layer):
    """Mel spectrograms of audio signals ``(batch, samples)`` or ``(samples,)``.

    The magnitude STFT (centred frames, reflect padding) raised to ``mag_exp``
    is projected on ``num_mel_bins`` triangular mel filters between
    ``min_freq`` and ``max_freq`` and, with ``power_to_db``, converted to
    decibels relative to ``ref_power`` and clipped ``top_db`` below the
    maximum. The output is ``(batch, num_mel_bins, frames)``, equal to Keras's.

    Args:
        fft_length: The FFT size.
        sequence_stride: The hop between frames, in samples.
        sequence_length: The window length (default ``fft_length``).
        window: ``"hann"``, ``"hamming"`` or ``None``.
        sampling_rate: The signal's sampling rate in Hz.
        num_mel_bins: The number of mel bands.
        min_freq: The lowest frequency of the filters, in Hz.
        max_freq: The highest (default ``sampling_rate / 2``).
        power_to_db: Whether to convert to decibels.
        top_db: The dynamic range kept below the maximum, in dB.
        mag_exp: The exponent of the magnitude (2 gives power).
        min_power: The floor of the power before the logarithm.
        ref_power: The power of 0 dB.
        **kwargs: Base layer arguments.

    Raises:
        ValueError: If ``fft_length < sequence_length``.

    >>> import numpy as np
    >>> layer = MelSpectrogram(fft_length=64, sequence_stride=16, num_mel_bins=8)
    >>> layer(np.zeros((2, 160), "float32")).shape
    (2, 8, 11)
    """

    def __init__(
        self,
        fft_length: int = 2048,
        sequence_stride: int = 512,
        sequence_length: int | None = None,
        window: Any = "hann",
        sampling_rate: int = 16000,
        num_mel_bins: int = 128,
        min_freq: float = 20.0,
        max_freq: float | None = None,
        power_to_db: bool = True,
        top_db: float = 80.0,
        mag_exp: float = 2.0,
        min_power: float = 1e-10,
        ref_power: float = 1.0,
        **kwargs: Any,
    ) -> None:
        self.fft_length = fft_length
        self.sequence_stride = sequence_stride
        self.sequence_length = sequence_length or fft_length
        if self.fft_length < self.sequence_length:
            raise ValueError(
                "`fft_length` must be greater than or equal to `sequence_length`. Received: "
                f"`sequence_length`={self.sequence_length}, `fft_length`={self.fft_length}."
            )
        self.window = window
        self.sampling_rate = sampling_rate
        self.num_mel_bins = num_mel_bins
        self.min_freq = min_freq
        self.max_freq = max_freq or int(sampling_rate / 2)
        self.power_to_db = power_to_db
        self.top_db = top_db
        self.mag_exp = mag_exp
        self.min_power = min_power
        self.ref_power = ref_power
        super().__init__(**kwargs)

    def call(self, inputs: Any) -> Any:
        dtype = self.compute_dtype if self.compute_dtype in ("float32", "float64") else "float32"
        window = self.window
        if window is not None and not isinstance(window, str):
            window = tuple(np.asarray(window).tolist())
        out = _mel_spectrogram(
            jnp.asarray(inputs, dtype=dtype),
            (self.sequence_length, self.sequence_stride, self.fft_length, window),
            (self.num_mel_bins, self.sampling_rate, self.min_freq, self.max_freq),
            (self.power_to_db, self.top_db, self.mag_exp, self.min_power, self.ref_power),
        )
        return out.astype(self.compute_dtype)

    def compute_output_shape(self, input_shape: Any) -> Any:
        def frames(n: Any) -> Any:
            return None if n is None else (n + self.sequence_stride + 1) // self.sequence_stride

        if len(input_shape) == 1:
            return [self.num_mel_bins, frames(input_shape[0])]
        return [input_shape[0], self.num_mel_bins, frames(input_shape[1])]

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "fft_length": self.fft_length,
                "sequence_stride": self.sequence_stride,
                "sequence_length": self.sequence_length,
                "window": self.window,
                "sampling_rate": self.sampling_rate,
                "num_mel_bins": self.num_mel_bins,
                "min_freq": self.min_freq,
                "max_freq": self.max_freq,
                "power_to_db": self.power_to_db,
                "top_db": self.top_db,
                "mag_exp": self.mag_exp,
                "min_power": self.min_power,
                "ref_power": self.ref_power,
            }
        )
        return config
