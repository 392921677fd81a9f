"""``STFT``: the cosine or sine kernels of a windowed short-time Fourier transform."""

from __future__ import annotations

from typing import Any

import jax
import numpy as np

from ._initializer import Initializer, jax_dtype, standardize_shape


def check_window(window: Any) -> None:
    """Raise ``ValueError`` for a window name scipy does not know."""
    if isinstance(window, str):
        import scipy.signal  # type: ignore[import-untyped]

        scipy.signal.get_window(window, 1)


class STFT(Initializer):
    """Kernels for an STFT as a convolution, of shape ``(frame_length, 1, bins)``.

    ``side="real"`` gives ``cos(-2 pi t f / n)`` and ``"imag"`` ``sin(...)``, for
    ``t`` in the frame and ``bins = n // 2 + 1`` frequencies, multiplied by the
    window (a scipy window name or an array of ``frame_length`` values) and
    divided by ``sqrt(sum(window**2))`` (``"density"``) or ``sum(|window|)``
    (``"spectrum"``). Values equal Keras's ``initializers.STFT``.

    Args:
        side: ``"real"`` or ``"imag"``.
        window: A scipy window name, an array, or ``None`` (no window).
        scaling: ``"density"``, ``"spectrum"`` or ``None``.
        periodic: Whether a named window is periodic (else symmetric).

    Raises:
        ValueError: For an unknown side, window name or scaling.

    >>> STFT("real", window=None)((2, 1, 2)).tolist()
    [[[1.0, 1.0]], [[1.0, -1.0]]]
    """

    def __init__(
        self, side: str = "real", window: Any = "hann", scaling: str | None = "density",
        periodic: bool = False,
    ) -> None:  # fmt: skip
        if side not in ("real", "imag"):
            raise ValueError(f"side should be 'real' or 'imag', not {side}")
        check_window(window)
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError(
                "Scaling is invalid, it must be `None`, 'density' or 'spectrum'. Received "
                f"scaling={scaling}"
            )
        self.side = side
        self.window = window
        self.scaling = scaling
        self.periodic = periodic

    def __call__(self, shape: Any, dtype: Any = None) -> jax.Array:
        """Return the kernel for ``shape == (frame_length, 1, bins)``."""
        dtype = jax_dtype(dtype)
        frame_length, _channels, bins = standardize_shape(shape)
        scale: Any = 1
        win = None
        if self.window is not None:
            win = self.window
            if isinstance(win, str):
                import scipy.signal  # type: ignore[import-untyped]

                win = scipy.signal.get_window(win, frame_length, self.periodic)
            win = np.asarray(win, dtype=dtype)
            if win.ndim != 1 or win.shape[-1] != frame_length:
                raise ValueError(
                    f"The shape of `window` must be equal to [frame_length]. Received: window "
                    f"shape={win.shape}"
                )
            win = win.reshape(frame_length, 1, 1)
            if self.scaling == "density":
                scale = np.sqrt(np.sum(np.square(win)))
            elif self.scaling == "spectrum":
                scale = np.sum(np.abs(win))
        n = (bins - 1) * 2
        freq = np.arange(bins, dtype=dtype).reshape(1, 1, bins) / np.asarray(n, dtype)
        time = np.arange(frame_length, dtype=dtype).reshape(frame_length, 1, 1)
        args = (-2 * time * freq) * np.arccos(np.asarray(-1, dtype))
        kernel = (np.cos(args) if self.side == "real" else np.sin(args)).astype(dtype)
        if win is not None:
            kernel = (kernel * win / scale).astype(dtype)
        return jax.device_put(kernel)

    def get_config(self) -> dict[str, Any]:
        return {
            "side": self.side,
            "window": self.window,
            "periodic": self.periodic,
            "scaling": self.scaling,
        }
