"""Reshaping layers: reshape, permute, repeat, pad, crop and upsample (no weights)."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

from .._typing import Shape
from ._conv import standardize_data_format, standardize_tuple
from ._input_spec import InputSpec
from ._layer import Layer


def _check_rank(layer: Layer, shape: Any, rank: int) -> tuple:
    shape = tuple(shape)
    if len(shape) != rank:
        raise ValueError(
            f"{type(layer).__name__} layer '{layer.name}' expects inputs of rank {rank}. "
            f"Received: input_shape={shape}."
        )
    return shape


def _pairs(value: Any, n: int, name: str) -> tuple:
    """``value`` as ``n`` pairs ``(before, after)`` of non-negative ints."""
    message = (
        f"`{name}` should be an int, a tuple of {n} ints, or a tuple of {n} tuples of 2 ints "
        f"(before, after). Received: {name}={value!r}."
    )
    if n == 1:
        return (standardize_tuple(value, 2, name, allow_zero=True),)
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value,) * n
    if not isinstance(value, list | tuple) or len(value) != n:
        raise ValueError(message)
    return tuple(standardize_tuple(v, 2, name, allow_zero=True) for v in value)


class Reshape(Layer):
    """Reshapes each sample to ``target_shape`` (the batch axis is kept).

    Args:
        target_shape: The shape of one sample; at most one entry may be ``-1``,
            inferred from the others.
        **kwargs: Base layer arguments.

    Raises:
        ValueError: For a malformed ``target_shape``, or inputs whose size does
            not fit it.

    >>> import heft
    >>> Reshape((3, -1))(heft.ops.ones((2, 12))).shape
    (2, 3, 4)
    """

    def __init__(self, target_shape: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        target = tuple(target_shape)
        if (
            not all(isinstance(d, int) and not isinstance(d, bool) for d in target)
            or any(d == 0 or d < -1 for d in target)
            or target.count(-1) > 1
        ):
            raise ValueError(
                "`target_shape` must be a tuple of positive integers with at most one -1 "
                f"(the inferred axis). Received: target_shape={target_shape!r}."
            )
        self.target_shape = target
        self.built = True

    def _resolve(self, sample_shape: tuple) -> tuple:
        if -1 not in self.target_shape:
            known = math.prod(self.target_shape)
            if None not in sample_shape and math.prod(sample_shape) != known:
                raise ValueError(self._mismatch(sample_shape))
            return self.target_shape
        if None in sample_shape:
            return tuple(None if d == -1 else d for d in self.target_shape)
        known = math.prod(d for d in self.target_shape if d != -1)
        total = math.prod(sample_shape)
        if total % known != 0:
            raise ValueError(self._mismatch(sample_shape))
        return tuple(total // known if d == -1 else d for d in self.target_shape)

    def _mismatch(self, sample_shape: tuple) -> str:
        return (
            f"Reshape layer '{self.name}': cannot reshape samples of shape {sample_shape} "
            f"({math.prod(sample_shape)} values) to target_shape={self.target_shape}. Pick a "
            "target shape with the same number of values."
        )

    def call(self, inputs: Any) -> Any:
        target = self._resolve(tuple(inputs.shape[1:]))
        return jnp.reshape(inputs, (inputs.shape[0], *target))

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (input_shape[0], *self._resolve(tuple(input_shape)[1:]))

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["target_shape"] = self.target_shape
        return config


class Permute(Layer):
    """Permutes the non-batch axes (``dims`` counts from 1).

    Args:
        dims: A permutation of ``1..n`` for inputs of rank ``n + 1``.
        **kwargs: Base layer arguments.

    Raises:
        ValueError: If ``dims`` is not such a permutation, or the input's rank
            does not match it.

    >>> import heft
    >>> Permute((2, 1))(heft.ops.ones((2, 3, 4))).shape
    (2, 4, 3)
    """

    def __init__(self, dims: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dims = tuple(dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(
                "Invalid permutation argument `dims` for Permute Layer. The set of indices "
                f"in `dims` must be consecutive and start from 1. Received dims={dims}. "
                "Example: dims=(2, 1) swaps the two axes after the batch axis."
            )
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)
        self.built = True

    def call(self, inputs: Any) -> Any:
        return jnp.transpose(inputs, (0, *self.dims))

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        shape = _check_rank(self, input_shape, len(self.dims) + 1)
        return (shape[0], *(shape[d] for d in self.dims))

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["dims"] = self.dims
        return config


class RepeatVector(Layer):
    """Repeats ``(batch, features)`` inputs ``n`` times: ``(batch, n, features)``.

    Args:
        n: Number of repetitions (a positive int).
        **kwargs: Base layer arguments.

    Raises:
        ValueError: If ``n`` is not a positive int, or the input is not rank 2.

    >>> import heft
    >>> RepeatVector(3)(heft.ops.ones((2, 4))).shape
    (2, 3, 4)
    """

    def __init__(self, n: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
            raise ValueError(
                f"Expected an integer value for `n` (a positive int). Received: n={n!r}."
            )
        self.n = n
        self.input_spec = InputSpec(ndim=2)
        self.built = True

    def call(self, inputs: Any) -> Any:
        return jnp.repeat(jnp.expand_dims(inputs, 1), self.n, axis=1)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        shape = _check_rank(self, input_shape, 2)
        return (shape[0], self.n, shape[1])

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["n"] = self.n
        return config


class _Spatial(Layer):
    """Shared layout of the padding, cropping and upsampling layers."""

    rank = 0

    def _first(self) -> int:
        return 1 if getattr(self, "data_format", "channels_last") == "channels_last" else 2

    def _spatial(self, shape: Any) -> tuple:
        shape = _check_rank(self, shape, self.rank + 2)
        return shape[self._first() : self._first() + self.rank]

    def _with_spatial(self, shape: tuple, spatial: tuple) -> tuple:
        f = self._first()
        return (*shape[:f], *spatial, *shape[f + self.rank :])


class _ZeroPadding(_Spatial):
    def __init__(self, padding: Any, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.padding = _pairs(padding, self.rank, "padding")
        if self.rank == 1:
            self.padding = self.padding[0]
        self.data_format = standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self.built = True

    def _pad_pairs(self) -> tuple:
        return (self.padding,) if self.rank == 1 else self.padding

    def call(self, inputs: Any) -> Any:
        widths = [(0, 0)] * inputs.ndim
        for i, pair in enumerate(self._pad_pairs()):
            widths[self._first() + i] = pair
        return jnp.pad(inputs, widths)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        spatial = self._spatial(input_shape)
        out = tuple(
            None if n is None else n + a + b
            for n, (a, b) in zip(spatial, self._pad_pairs(), strict=True)
        )
        return self._with_spatial(tuple(input_shape), out)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"padding": self.padding, "data_format": self.data_format})
        return config


class ZeroPadding1D(_ZeroPadding):
    """Pads the steps axis with zeros.

    Args:
        padding: An int (both sides) or a pair ``(before, after)``.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        **kwargs: Base layer arguments.

    Raises:
        ValueError: For a malformed ``padding`` or data format, or inputs of the wrong rank.

    >>> import heft
    >>> ZeroPadding1D(2)(heft.ops.ones((1, 3, 2))).shape
    (1, 7, 2)
    """

    rank = 1

    def __init__(self, padding: Any = 1, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding2D(_ZeroPadding):
    """Pads the height and width axes with zeros.

    Args:
        padding: An int, a pair ``(height, width)``, or two pairs
            ``((top, bottom), (left, right))``.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        **kwargs: Base layer arguments.

    Raises:
        ValueError: For a malformed ``padding`` or data format, or inputs of the wrong rank.

    >>> import heft
    >>> ZeroPadding2D(((1, 0), 2))(heft.ops.ones((1, 3, 3, 2))).shape
    (1, 4, 7, 2)
    """

    rank = 2

    def __init__(
        self, padding: Any = (1, 1), data_format: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding3D(_ZeroPadding):
    """Pads the depth, height and width axes with zeros.

    Args:
        padding: An int, a triple ``(depth, height, width)``, or three pairs
            ``((before, after), ...)``.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        **kwargs: Base layer arguments.

    Raises:
        ValueError: For a malformed ``padding`` or data format, or inputs of the wrong rank.

    >>> import heft
    >>> ZeroPadding3D((1, 0, 2))(heft.ops.ones((1, 2, 3, 3, 2))).shape
    (1, 4, 3, 7, 2)
    """

    rank = 3

    def __init__(
        self, padding: Any = ((1, 1), (1, 1), (1, 1)), data_format: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(padding, data_format, **kwargs)


class _Cropping(_Spatial):
    def _crop_pairs(self) -> tuple:
        return (self.cropping,) if self.rank == 1 else self.cropping

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        spatial = self._spatial(input_shape)
        out = tuple(
            None if n is None else n - a - b
            for n, (a, b) in zip(spatial, self._crop_pairs(), strict=True)
        )
        if any(n is not None and n <= 0 for n in out):
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}': cropping={self.cropping} removes "
                f"every value of inputs of shape {tuple(input_shape)}. Use smaller cropping."
            )
        return self._with_spatial(tuple(input_shape), out)

    def call(self, inputs: Any) -> Any:
        self.compute_output_shape(inputs.shape)
        index = [slice(None)] * inputs.ndim
        for i, (a, b) in enumerate(self._crop_pairs()):
            n = inputs.shape[self._first() + i]
            index[self._first() + i] = slice(a, n - b)
        return inputs[tuple(index)]


class Cropping1D(_Cropping):
    """Crops the steps axis of ``(batch, steps, features)`` inputs.

    Args:
        cropping: An int (both sides) or a pair ``(before, after)``.
        **kwargs: Base layer arguments.

    Raises:
        ValueError: For a malformed ``cropping``, cropping everything, or
            inputs of the wrong rank.

    >>> import heft
    >>> Cropping1D((1, 2))(heft.ops.ones((1, 5, 2))).shape
    (1, 2, 2)
    """

    rank = 1

    def __init__(self, cropping: Any = (1, 1), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cropping = _pairs(cropping, 1, "cropping")[0]
        self.input_spec = InputSpec(ndim=3)
        self.built = True

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["cropping"] = self.cropping
        return config


class _CroppingWithFormat(_Cropping):
    """Cropping2D and Cropping3D: ``rank`` pairs of ``(before, after)`` and a data format."""

    def __init__(self, cropping: Any, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cropping = _pairs(cropping, self.rank, "cropping")
        self.data_format = standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self.built = True

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"cropping": self.cropping, "data_format": self.data_format})
        return config


class Cropping2D(_CroppingWithFormat):
    """Crops the height and width axes.

    Args:
        cropping: An int, a pair ``(height, width)``, or two pairs
            ``((top, bottom), (left, right))``.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        **kwargs: Base layer arguments.

    Raises:
        ValueError: For a malformed ``cropping`` or data format, cropping
            everything, or inputs of the wrong rank.

    >>> import heft
    >>> Cropping2D(1)(heft.ops.ones((1, 4, 5, 2))).shape
    (1, 2, 3, 2)
    """

    rank = 2

    def __init__(
        self, cropping: Any = ((0, 0), (0, 0)), data_format: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(cropping, data_format, **kwargs)


class Cropping3D(_CroppingWithFormat):
    """Crops the depth, height and width axes.

    Args:
        cropping: An int, a triple ``(depth, height, width)``, or three pairs
            ``((before, after), ...)``.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        **kwargs: Base layer arguments.

    Raises:
        ValueError: For a malformed ``cropping`` or data format, cropping
            everything, or inputs of the wrong rank.

    >>> import heft
    >>> Cropping3D(1)(heft.ops.ones((1, 4, 5, 6, 2))).shape
    (1, 2, 3, 4, 2)
    """

    rank = 3

    def __init__(
        self,
        cropping: Any = ((1, 1), (1, 1), (1, 1)),
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(cropping, data_format, **kwargs)


class UpSampling1D(_Spatial):
    """Repeats each step ``size`` times along the steps axis.

    Args:
        size: The repetition factor (a positive int).
        **kwargs: Base layer arguments.

    Raises:
        ValueError: For a non-positive ``size`` or inputs of the wrong rank.

    >>> import heft
    >>> UpSampling1D(2)(heft.ops.ones((1, 3, 2))).shape
    (1, 6, 2)
    """

    rank = 1

    def __init__(self, size: int = 2, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        standardize_tuple(size, 1, "size")
        self.size = int(size)
        self.input_spec = InputSpec(ndim=3)
        self.built = True

    def call(self, inputs: Any) -> Any:
        return jnp.repeat(inputs, self.size, axis=1)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        (n,) = self._spatial(input_shape)
        return self._with_spatial(tuple(input_shape), (None if n is None else n * self.size,))

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["size"] = self.size
        return config


_INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "lanczos3", "lanczos5")


class UpSampling2D(_Spatial):
    """Upsamples the height and width axes by integer factors.

    Args:
        size: The factors (an int or a pair ``(height, width)``).
        data_format: ``"channels_last"`` or ``"channels_first"``.
        interpolation: ``"nearest"`` (repeat rows and columns), ``"bilinear"``,
            ``"bicubic"``, ``"lanczos3"`` or ``"lanczos5"``.
        **kwargs: Base layer arguments.

    Raises:
        ValueError: For bad sizes, an unknown interpolation or data format, or
            inputs of the wrong rank.

    >>> import heft
    >>> UpSampling2D((2, 3))(heft.ops.ones((1, 2, 2, 1))).shape
    (1, 4, 6, 1)
    """

    rank = 2

    def __init__(
        self,
        size: Any = (2, 2),
        data_format: str | None = None,
        interpolation: str = "nearest",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.size = standardize_tuple(size, 2, "size")
        self.data_format = standardize_data_format(data_format)
        if interpolation not in _INTERPOLATIONS:
            raise ValueError(
                f"`interpolation` argument should be one of {_INTERPOLATIONS}. Received: "
                f"interpolation={interpolation!r}."
            )
        self.interpolation = interpolation
        self.input_spec = InputSpec(ndim=4)
        self.built = True

    def call(self, inputs: Any) -> Any:
        f = self._first()
        if self.interpolation == "nearest":
            out = jnp.repeat(inputs, self.size[0], axis=f)
            return jnp.repeat(out, self.size[1], axis=f + 1)
        shape = list(inputs.shape)
        shape[f] *= self.size[0]
        shape[f + 1] *= self.size[1]
        out = jax.image.resize(inputs, tuple(shape), method=self.interpolation, antialias=False)
        return out.astype(inputs.dtype)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        spatial = self._spatial(input_shape)
        out = tuple(None if n is None else n * s for n, s in zip(spatial, self.size, strict=True))
        return self._with_spatial(tuple(input_shape), out)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "size": self.size,
                "data_format": self.data_format,
                "interpolation": self.interpolation,
            }
        )
        return config


class UpSampling3D(_Spatial):
    """Repeats the depth, height and width axes by integer factors (nearest neighbour).

    Args:
        size: The factors (an int or a triple ``(depth, height, width)``).
        data_format: ``"channels_last"`` or ``"channels_first"``.
        **kwargs: Base layer arguments.

    Raises:
        ValueError: For bad sizes or data format, or inputs of the wrong rank.

    >>> import heft
    >>> UpSampling3D((1, 2, 3))(heft.ops.ones((1, 2, 2, 2, 1))).shape
    (1, 2, 4, 6, 1)
    """

    rank = 3

    def __init__(
        self, size: Any = (2, 2, 2), data_format: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.size = standardize_tuple(size, 3, "size")
        self.data_format = standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=5)
        self.built = True

    def call(self, inputs: Any) -> Any:
        out = inputs
        for i, factor in enumerate(self.size):
            out = jnp.repeat(out, factor, axis=self._first() + i)
        return out

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        spatial = self._spatial(input_shape)
        out = tuple(None if n is None else n * s for n, s in zip(spatial, self.size, strict=True))
        return self._with_spatial(tuple(input_shape), out)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"size": self.size, "data_format": self.data_format})
        return config
