"""``Normalization``: shift and scale features by a mean and variance given or adapted."""

from __future__ import annotations

import itertools
import math
from typing import Any

import jax.numpy as jnp
import numpy as np

from . import _adapt_data
from ._layer import Layer

_EPSILON = 1e-7


def _check_numeric(arr: np.ndarray, what: str, error: type[Exception]) -> None:
    if arr.dtype.kind not in "biuf":
        raise error(
            f"Normalization {what} numbers, but received an array of dtype {arr.dtype} "
            f"(shape {arr.shape}). Encode strings or categories first (`StringLookup`, "
            "`IntegerLookup`, `Hashing`) and normalize the numeric features only."
        )


class Normalization(Layer):
    """Maps features to ``(x - mean) / sqrt(variance)``, per position along ``axis``.

    The statistics are either passed (``mean``, ``variance``) or computed by
    ``adapt`` from data, one per index of the kept axes (the others are reduced).
    Adapted statistics live in the non-trainable weights ``mean``, ``variance``
    and ``count``, saved with the model's weights as Keras saves them.
    With ``invert=True`` the layer maps back: ``mean + x * sqrt(variance)``.
    The divisor is ``max(sqrt(variance), 1e-7)``.

    Args:
        axis: The axis or axes kept (one statistic per index); ``None`` means
            one scalar mean and variance.
        mean: The mean to use instead of adapting (broadcast against the kept axes).
        variance: The variance to use, of the same shape as ``mean``.
        invert: Whether to undo the normalization instead.
        **kwargs: Base layer arguments.

    Raises:
        ValueError: If only one of ``mean`` and ``variance`` is given, their shapes
            differ, or ``mean`` has more axes than ``axis`` keeps.

    >>> import numpy as np
    >>> layer = Normalization()
    >>> layer.adapt(np.array([[0.0, 10.0], [2.0, 30.0]]))
    >>> layer(np.array([[1.0, 20.0]])).tolist()
    [[0.0, 0.0]]
    """

    def __init__(
        self,
        axis: Any = -1,
        mean: Any = None,
        variance: Any = None,
        invert: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        elif isinstance(axis, int):
            axis = (axis,)
        else:
            axis = tuple(axis)
        self.axis = axis
        self.input_mean = mean
        self.input_variance = variance
        self.invert = invert
        self.supports_masking = True
        self._build_input_shape: tuple | None = None
        if (mean is None) != (variance is None):
            raise ValueError(
                "When setting values directly, both `mean` and `variance` must be set. "
                f"Received: mean={mean} and variance={variance}. Pass both, or neither and "
                "call `adapt()`."
            )
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError(
                    "When setting values directly, `mean` and `variance` must have the same "
                    f"shape. Received: mean shape {np.shape(mean)} and variance shape "
                    f"{np.shape(variance)}."
                )
            if np.ndim(mean) > len(self.axis):
                raise ValueError(
                    "The rank of `mean` must be less than or equal to the number of axes "
                    f"({len(self.axis)}). Received: mean shape {np.shape(mean)} for axis "
                    f"{self.axis}."
                )

    def build(self, input_shape: Any = None) -> None:
        if input_shape is None:
            return
        input_shape = tuple(input_shape)
        ndim = len(input_shape)
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise ValueError(
                f"All `axis` values must be in the range [-ndim, ndim). Received inputs with "
                f"ndim={ndim}, while axis={self.axis}."
            )
        keep = tuple(sorted(a % ndim for a in self.axis))
        for d in keep:
            if input_shape[d] is None:
                raise ValueError(
                    f"All `axis` values to be kept must have a known shape. Received "
                    f"axis={self.axis}, inputs.shape={input_shape}, with unknown axis at index "
                    f"{d}."
                )
        self._build_input_shape = input_shape
        self._keep_axis = keep
        self._reduce_axis = tuple(d for d in range(ndim) if d not in keep)
        self._broadcast_shape = tuple(input_shape[d] if d in keep else 1 for d in range(ndim))
        self._mean_and_var_shape = tuple(input_shape[d] for d in keep)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(
                name="mean", shape=self._mean_and_var_shape, initializer="zeros", trainable=False
            )
            self.adapt_variance = self.add_weight(
                name="variance",
                shape=self._mean_and_var_shape,
                initializer="ones",
                trainable=False,
            )
            self.count = self.add_weight(
                name="count", shape=(), dtype="int32", initializer="zeros", trainable=False
            )
        else:
            self._fixed = (
                self._broadcast(self.input_mean, ndim),
                self._broadcast(self.input_variance, ndim),
            )

    def _broadcast(self, value: Any, ndim: int) -> np.ndarray:
        value = np.asarray(value, dtype="float64")
        if value.ndim > 0:
            expanded = [1] * ndim
            for i in range(1, value.ndim + 1):
                expanded[self._keep_axis[-i]] = value.shape[-i]
            value = value.reshape(expanded)
        return np.broadcast_to(value, self._broadcast_shape).astype(self.compute_dtype)

    # ---------------------------------------------------------------- adapt
    def adapt(self, data: Any) -> None:
        """Compute the mean and variance of ``data`` along the reduced axes.

        Args:
            data: A numpy/JAX array, a ``tf.data.Dataset`` (when TensorFlow is
                installed; elements of rank 0 or 1 are batched by 128), a
                ``PyDataset``-like object or an iterable of batches. Datasets and
                iterables must yield batches; ``(x, y)`` batches contribute ``x``.
                Batches are merged exactly as in Keras (running weighted mean and
                variance), so results agree to float32 rounding.

        Raises:
            ValueError: If ``data`` is empty or its kept axes differ from the
                shape the layer was built with.
            TypeError: If ``data`` is not numeric or of an unsupported kind.

        On error nothing changes (the layer keeps its statistics).
        """
        if _adapt_data.is_array(data):
            arr = _adapt_data.to_numpy(data)
            _check_numeric(arr, "adapts on", TypeError)
            self._check_adapt_shape(arr.shape)
            if arr.size == 0:
                raise ValueError(
                    f"adapt() received an empty array (shape {arr.shape}). Pass data with at "
                    "least one sample."
                )
            self._maybe_build_for(arr.shape)
            mean = np.mean(arr, axis=self._reduce_axis)
            var = np.var(arr, axis=self._reduce_axis)
        else:
            it = _adapt_data.batches(data, tf_batch=128)
            first = next(it, None)
            if first is None:
                raise ValueError(
                    "adapt() received an empty iterable (no batches). Expected at least one "
                    "batch. Pass a non-empty iterable of arrays, e.g. layer.adapt([x])."
                )
            if getattr(first, "shape", None) is None and not isinstance(first, list):
                raise TypeError(
                    "adapt() expects an iterable that yields arrays with a `.shape` attribute "
                    f"(e.g. numpy arrays). Got an element of type {type(first).__name__}."
                )
            mean, var = self._stream_statistics(itertools.chain([first], it))
        self.adapt_mean.assign(np.asarray(mean, dtype=self.adapt_mean.dtype))
        self.adapt_variance.assign(np.asarray(var, dtype=self.adapt_variance.dtype))

    def _check_adapt_shape(self, shape: tuple) -> None:
        if self._build_input_shape is None:
            return
        for d in self._keep_axis:
            if len(shape) <= d or shape[d] != self._build_input_shape[d]:
                raise ValueError(
                    f"The layer was built with input_shape={self._build_input_shape}, but "
                    f"adapt() is being called with data with an incompatible shape, "
                    f"data.shape={tuple(shape)}."
                )

    def _maybe_build_for(self, shape: tuple) -> None:
        if not self.built:
            self.build(shape)
        if self.input_mean is not None:
            raise ValueError(
                "This Normalization layer was given `mean` and `variance`; it cannot be "
                "adapted. Create it without them to adapt it."
            )

    def _stream_statistics(self, it: Any) -> tuple[np.ndarray, np.ndarray]:
        # Validate everything before any weight changes; compute in float32 as Keras does.
        total_mean = total_var = None
        total_count = 0
        for raw in it:
            batch = _adapt_data.to_numpy(raw)
            _check_numeric(batch, "adapts on", TypeError)
            self._check_adapt_shape(batch.shape)
            self._maybe_build_for(batch.shape)
            if total_mean is None:
                total_mean = np.zeros(self._mean_and_var_shape, "float32")
                total_var = np.zeros(self._mean_and_var_shape, "float32")
            batch = batch.astype(self.compute_dtype)
            if batch.size == 0:
                continue
            batch_mean = np.asarray(jnp.mean(batch, axis=self._reduce_axis))
            batch_var = np.asarray(jnp.var(batch, axis=self._reduce_axis))
            count = math.prod(batch.shape[d] for d in self._reduce_axis)
            total_count += count
            weight = float(count) / total_count
            existing = 1.0 - weight
            new_mean = total_mean * existing + batch_mean * weight
            total_var = (total_var + (total_mean - new_mean) ** 2) * existing + (
                batch_var + (batch_mean - new_mean) ** 2
            ) * weight
            total_mean = new_mean
        if total_count == 0 or total_mean is None or total_var is None:
            raise ValueError(
                "adapt() received only empty batches. Pass batches with at least one sample."
            )
        return total_mean, total_var

    # ---------------------------------------------------------------- call
    def _statistics(self) -> tuple[Any, Any]:
        if self.input_mean is not None:
            return self._fixed
        dtype = self.compute_dtype
        mean = jnp.reshape(self.adapt_mean.value, self._broadcast_shape).astype(dtype)
        variance = jnp.reshape(self.adapt_variance.value, self._broadcast_shape).astype(dtype)
        return mean, variance

    def _convert_input(self, x: Any) -> Any:
        if isinstance(x, np.ndarray | list | str):
            arr = np.asarray(x)
            if arr.dtype.kind in "USO":
                raise ValueError(
                    f"Normalization '{self.name}' takes numbers, but received an array of "
                    f"dtype {arr.dtype}. Encode strings first (`StringLookup`, `Hashing`)."
                )
        return super()._convert_input(x)

    def call(self, inputs: Any) -> Any:
        if not self.built or self._build_input_shape is None:
            raise ValueError("You must call `.build(input_shape)` on the layer before using it.")
        mean, variance = self._statistics()
        x = jnp.asarray(inputs).astype(self.compute_dtype)
        scale = jnp.maximum(jnp.sqrt(variance), _EPSILON)
        if self.invert:
            return mean + x * scale
        return (x - mean) / scale

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "axis": self.axis,
                "invert": self.invert,
                "mean": np.array(self.input_mean).tolist(),
                "variance": np.array(self.input_variance).tolist(),
            }
        )
        return config

    def get_build_config(self) -> dict[str, Any] | None:
        if self._build_input_shape:
            return {"input_shape": self._build_input_shape}
        return None

    def build_from_config(self, config: dict[str, Any] | None) -> None:
        if config:
            self.build(config["input_shape"])
