"""``STFTSpectrogram``: spectrograms of 1D signals as a strided convolution."""

from __future__ import annotations

import math
import warnings
from typing import Any

import jax
import jax.numpy as jnp

from .. import initializers
from ..initializers._stft import check_window
from ._conv import standardize_data_format
from ._input_spec import InputSpec
from ._layer import Layer

_MODES = ["log", "magnitude", "psd", "real", "imag", "angle", "stft"]
_EPSILON = 1e-7


class STFTSpectrogram(Layer):
    """Short-time Fourier transform of signals ``(batch, time, channels)``, per channel.

    The transform is a strided convolution with the ``STFT`` initializer's cosine
    (``real_kernel``) and sine (``imag_kernel``) kernels, which are trainable
    weights as in Keras, so outputs and weights equal Keras's.

    Args:
        mode: ``"log"`` (log magnitude), ``"magnitude"``, ``"psd"``, ``"real"``,
            ``"imag"``, ``"angle"`` or ``"stft"`` (real and imaginary parts
            concatenated along the frequencies).
        frame_length: The window length in samples.
        frame_step: The hop between frames (default ``frame_length // 2``).
        fft_length: The FFT size (default the next power of two of ``frame_length``).
        window: A scipy window name, an array of ``frame_length`` values, or ``None``.
        periodic: Whether a named window is periodic.
        scaling: ``"density"``, ``"spectrum"`` or ``None``.
        padding: ``"valid"`` or ``"same"``.
        expand_dims: Whether to keep channels on their own axis instead of
            folding them into the frequency axis.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        **kwargs: Base layer arguments.

    Raises:
        ValueError: For an invalid mode, frame step, FFT length, scaling,
            padding or window name.

    >>> import numpy as np
    >>> layer = STFTSpectrogram(frame_length=8, frame_step=4)
    >>> layer(np.ones((1, 32, 1), "float32")).shape
    (1, 7, 5)
    """

    def __init__(
        self,
        mode: str = "log",
        frame_length: int = 256,
        frame_step: int | None = None,
        fft_length: int | None = None,
        window: Any = "hann",
        periodic: bool = False,
        scaling: str | None = "density",
        padding: str = "valid",
        expand_dims: bool = False,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        if frame_step is not None and (frame_step > frame_length or frame_step < 1):
            raise ValueError(
                "`frame_step` should be a positive integer not greater than `frame_length`. "
                f"Received frame_step={frame_step}, frame_length={frame_length}"
            )
        if fft_length is not None and fft_length < frame_length:
            raise ValueError(
                "`fft_length` should be not less than `frame_length`. Received "
                f"fft_length={fft_length}, frame_length={frame_length}"
            )
        if fft_length is not None and (fft_length & -fft_length) != fft_length:
            warnings.warn(
                f"`fft_length` is recommended to be a power of two. Received fft_length="
                f"{fft_length}",
                stacklevel=2,
            )
        if mode not in _MODES:
            raise ValueError(
                f"Output mode is invalid, it must be one of {', '.join(_MODES)}. Received: "
                f"mode={mode}"
            )
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError(
                "Scaling is invalid, it must be `None`, 'density' or 'spectrum'. Received "
                f"scaling={scaling}"
            )
        if padding not in ("valid", "same"):
            raise ValueError(
                f"Padding is invalid, it should be 'valid', 'same'. Received: padding={padding}"
            )
        check_window(window)
        super().__init__(**kwargs)
        self.mode = mode
        self.frame_length = frame_length
        self.frame_step = frame_step
        self._frame_step = frame_step or frame_length // 2
        self.fft_length = fft_length
        self._fft_length = fft_length or 2 ** math.ceil(math.log2(frame_length))
        self.window = window
        self.periodic = periodic
        self.scaling = scaling
        self.padding = padding
        self.expand_dims = expand_dims
        self.data_format = standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=3)

    def build(self, input_shape: Any = None) -> None:
        shape = (self.frame_length, 1, self._fft_length // 2 + 1)
        if self.mode != "imag":
            self.real_kernel = self.add_weight(
                name="real_kernel",
                shape=shape,
                initializer=initializers.STFT("real", self.window, self.scaling, self.periodic),
            )
        if self.mode != "real":
            self.imag_kernel = self.add_weight(
                name="imag_kernel",
                shape=shape,
                initializer=initializers.STFT("imag", self.window, self.scaling, self.periodic),
            )

    def _conv(self, x: Any, kernel: Any) -> Any:
        """``(batch, channels, bins, frames)`` of one kernel over every channel."""
        if self.data_format == "channels_last":
            _, time, channels = x.shape
            x = jnp.transpose(x, (0, 2, 1)).reshape(-1, time, 1)
            numbers = ("NWC", "WIO", "NWC")
        else:
            _, channels, time = x.shape
            x = x.reshape(-1, 1, time)
            numbers = ("NCW", "WIO", "NCW")
        out = jax.lax.conv_general_dilated(
            x,
            jnp.asarray(kernel, x.dtype),
            window_strides=(self._frame_step,),
            padding=self.padding.upper(),
            dimension_numbers=numbers,
        )
        if self.data_format == "channels_last":
            out = jnp.transpose(out, (0, 2, 1))
        return out.reshape(-1, channels, out.shape[1], out.shape[2])

    def _adjust(self, out: Any) -> Any:
        _, channels, bins, frames = out.shape
        if self.data_format == "channels_last":
            if self.expand_dims:
                return jnp.transpose(out, (0, 3, 2, 1))
            return jnp.transpose(out.reshape(-1, channels * bins, frames), (0, 2, 1))
        if self.expand_dims:
            return jnp.transpose(out, (0, 1, 3, 2))
        return out.reshape(-1, channels * bins, frames)

    def call(self, inputs: Any) -> Any:
        x = jnp.asarray(inputs)
        if x.dtype not in (jnp.float16, jnp.float32, jnp.float64):
            raise TypeError(
                f"Invalid input type. Expected `float16`, `float32` or `float64`. Received: "
                f"input type={x.dtype}"
            )
        if self.mode == "real":
            return self._adjust(self._conv(x, self.real_kernel.value))
        if self.mode == "imag":
            return self._adjust(self._conv(x, self.imag_kernel.value))
        real = self._conv(x, self.real_kernel.value)
        imag = self._conv(x, self.imag_kernel.value)
        if self.mode == "angle":
            return self._adjust(jnp.arctan2(imag, real))
        if self.mode == "stft":
            return self._adjust(jnp.concatenate([real, imag], axis=2))
        power = jnp.square(real) + jnp.square(imag)
        if self.mode == "psd":
            return self._adjust(
                power + jnp.pad(power[:, :, 1:-1, :], ((0, 0), (0, 0), (1, 1), (0, 0)))
            )
        linear = self._adjust(jnp.sqrt(jnp.maximum(power, _EPSILON)))
        if self.mode == "magnitude":
            return linear
        return jnp.log(jnp.maximum(linear, _EPSILON))

    def compute_output_shape(self, input_shape: Any) -> Any:
        if self.data_format == "channels_last":
            batch, time, channels = input_shape
        else:
            batch, channels, time = input_shape
        bins = self._fft_length // 2 + 1
        if self.mode == "stft":
            bins *= 2
        frames = None
        if time is not None:
            if self.padding == "valid":
                frames = (time - self.frame_length) // self._frame_step + 1
            else:
                frames = -(-time // self._frame_step)
        if self.expand_dims:
            if self.data_format == "channels_last":
                return (batch, frames, bins, channels)
            return (batch, channels, frames, bins)
        if self.data_format == "channels_last":
            return (batch, frames, bins * channels)
        return (batch, bins * channels, frames)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "mode": self.mode,
                "frame_length": self.frame_length,
                "frame_step": self.frame_step,
                "fft_length": self.fft_length,
                "window": self.window,
                "periodic": self.periodic,
                "scaling": self.scaling,
                "padding": self.padding,
                "data_format": self.data_format,
                "expand_dims": self.expand_dims,
            }
        )
        return config
