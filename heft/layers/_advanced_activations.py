"""Activation layers with arguments: ``ReLU``, ``LeakyReLU``, ``PReLU``, ``ELU``, ``Softmax``."""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import jax
import jax.numpy as jnp

from .. import _dtypes, activations, constraints, initializers, regularizers
from .._typing import DTypeLike
from ._arguments import argument_config, weight_arguments
from ._input_spec import InputSpec
from ._layer import Layer


def _check_non_negative(layer: Layer, argument: str, value: Any, allow_none: bool) -> None:
    if value is None and allow_none:
        return
    if value is None or isinstance(value, bool) or not isinstance(value, numbers.Real):
        kind = "a non-negative number or None" if allow_none else "a non-negative number"
        raise ValueError(
            f"`{argument}` of {type(layer).__name__} layer '{layer.name}' must be {kind}. "
            f"Received: {argument}={value!r}"
        )
    if value < 0:
        raise ValueError(
            f"`{argument}` of {type(layer).__name__} layer '{layer.name}' cannot be a negative "
            f"value. Received: {argument}={value}. Pass a number >= 0."
        )


class ReLU(Layer):
    """Rectified linear unit with optional leak, cap and threshold.

    ``f(x) = max_value`` for ``x >= max_value``, ``x`` for ``threshold <= x <
    max_value``, and ``negative_slope * (x - threshold)`` otherwise.

    Args:
        max_value: Upper bound of the output (non-negative), or ``None`` for none.
        negative_slope: Slope below the threshold (non-negative).
        threshold: Values below this are zeroed or leaked (non-negative).
        **kwargs: Base layer arguments.

    >>> import heft
    >>> ReLU(max_value=1.0)(heft.ops.array([-1.0, 0.5, 2.0])).tolist()
    [0.0, 0.5, 1.0]
    """

    def __init__(
        self,
        max_value: float | None = None,
        negative_slope: float = 0.0,
        threshold: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        _check_non_negative(self, "max_value", max_value, allow_none=True)
        _check_non_negative(self, "negative_slope", negative_slope, allow_none=False)
        _check_non_negative(self, "threshold", threshold, allow_none=False)
        self.max_value = max_value
        self.negative_slope = negative_slope
        self.threshold = threshold
        self.supports_masking = True
        self._build_at_init()

    def call(self, inputs: Any) -> Any:
        return activations.relu(
            inputs,
            negative_slope=self.negative_slope,
            max_value=self.max_value,
            threshold=self.threshold,
        )

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(argument_config(self, ("max_value", "negative_slope", "threshold")))
        return config


class LeakyReLU(Layer):
    """Leaky ReLU: ``x`` where positive, ``negative_slope * x`` elsewhere.

    Args:
        negative_slope: Slope of the negative part (non-negative, default 0.3).
        **kwargs: Base layer arguments (``alpha`` is a deprecated alias of
            ``negative_slope``).

    >>> import heft
    >>> LeakyReLU(negative_slope=0.5)(heft.ops.array([-2.0, 3.0])).tolist()
    [-1.0, 3.0]
    """

    def __init__(self, negative_slope: float = 0.3, **kwargs: Any) -> None:
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn(
                "Argument `alpha` is deprecated. Use `negative_slope` instead.", stacklevel=2
            )
        super().__init__(**kwargs)
        _check_non_negative(self, "negative_slope", negative_slope, allow_none=False)
        self.negative_slope = negative_slope
        self.supports_masking = True
        self._build_at_init()

    def call(self, inputs: Any) -> Any:
        return activations.leaky_relu(inputs, negative_slope=self.negative_slope)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["negative_slope"] = self.negative_slope
        return config


class PReLU(Layer):
    """Parametric ReLU: ``x`` where positive, ``alpha * x`` elsewhere, with ``alpha`` learned.

    ``alpha`` has the input's shape without the batch axis; axes listed in
    ``shared_axes`` get size 1, so one value is shared along them.

    Args:
        alpha_initializer: Initializer of ``alpha`` (default zeros).
        alpha_regularizer: Regularizer of ``alpha``.
        alpha_constraint: Constraint of ``alpha``.
        shared_axes: An axis or list of axes (1-based, the batch axis excluded)
            along which ``alpha`` is shared.
        **kwargs: Base layer arguments.

    >>> import heft
    >>> layer = PReLU(shared_axes=[1])
    >>> layer(heft.ops.ones((2, 5, 3))).shape
    (2, 5, 3)
    >>> tuple(layer.alpha.shape)
    (1, 3)
    """

    def __init__(
        self,
        alpha_initializer: Any = "Zeros",
        alpha_regularizer: Any = None,
        alpha_constraint: Any = None,
        shared_axes: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            axes = None
        elif isinstance(shared_axes, list | tuple):
            axes = list(shared_axes)
        else:
            axes = [shared_axes]
        for axis in axes or ():
            if isinstance(axis, bool) or not isinstance(axis, int) or axis < 1:
                raise ValueError(
                    f"`shared_axes` of PReLU layer '{self.name}' must hold positive ints "
                    "(axis 1 is the first axis after the batch axis). Received: "
                    f"shared_axes={shared_axes!r}"
                )
        self.shared_axes = axes

    def build(self, input_shape: Any) -> None:
        rank = len(input_shape)
        param_shape = list(input_shape[1:])
        for axis in self.shared_axes or ():
            if axis >= rank:
                raise ValueError(
                    f"`shared_axes` of PReLU layer '{self.name}' names axis {axis}, but the "
                    f"input has rank {rank} (input_shape={tuple(input_shape)}). Use axes "
                    f"from 1 to {rank - 1}."
                )
            param_shape[axis - 1] = 1
        if None in param_shape:
            raise ValueError(
                f"PReLU layer '{self.name}' needs every non-batch input size that is not "
                f"shared to build `alpha`. Received: input_shape={tuple(input_shape)}. "
                "Give those sizes, or list the unknown axes in `shared_axes`."
            )
        self.alpha = self.add_weight(
            shape=tuple(param_shape),
            name="alpha",
            initializer=self.alpha_initializer,
            regularizer=self.alpha_regularizer,
            constraint=self.alpha_constraint,
        )
        axes = {}
        if self.shared_axes:
            axes = {i: input_shape[i] for i in range(1, rank) if i not in self.shared_axes}
        self.input_spec = InputSpec(ndim=rank, axes=axes)

    def call(self, inputs: Any) -> Any:
        positive = jax.nn.relu(inputs)
        negative = -self.alpha.value * jax.nn.relu(-inputs)
        return positive + negative

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(argument_config(self, (*weight_arguments("alpha"), "shared_axes")))
        return config


class ELU(Layer):
    """Exponential linear unit: ``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere.

    Args:
        alpha: Scale of the negative part.
        **kwargs: Base layer arguments.

    >>> import heft
    >>> ELU()(heft.ops.array([0.0, 2.0])).tolist()
    [0.0, 2.0]
    """

    def __init__(self, alpha: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.alpha = alpha
        self.supports_masking = True
        self._build_at_init()

    def call(self, inputs: Any) -> Any:
        return activations.elu(inputs, alpha=self.alpha)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["alpha"] = self.alpha
        return config


def _large_negative(dtype: DTypeLike) -> float:
    return -3e4 if _dtypes.standardize_dtype(dtype) == "float16" else -1e9


class Softmax(Layer):
    """Softmax over ``axis``; positions where the mask is False get probability 0.

    Masked positions are set to a large negative number before the softmax
    (``-1e9``, ``-3e4`` in float16) and to 0 after it, so a fully masked slice
    gives zeros.

    Args:
        axis: An axis or a list/tuple of axes to normalize over.
        **kwargs: Base layer arguments.

    >>> import heft
    >>> Softmax()(heft.ops.array([[0.0, 0.0]])).tolist()
    [[0.5, 0.5]]
    >>> Softmax()(heft.ops.array([[1.0, 2.0]]), mask=heft.ops.array([[True, False]])).tolist()
    [[1.0, 0.0]]
    """

    def __init__(self, axis: int | tuple | list = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = axis
        self.supports_masking = True
        self._build_at_init()

    def _check_mask(self, inputs: Any, mask: Any) -> None:
        in_shape, m_shape = tuple(inputs.shape), tuple(mask.shape)
        broadcastable = len(m_shape) <= len(in_shape) and all(
            m in (1, i) or m is None or i is None
            for m, i in zip(m_shape[::-1], in_shape[::-1], strict=False)
        )
        if not broadcastable:
            raise ValueError(
                f"The `mask` of Softmax layer '{self.name}' must be broadcastable to `inputs`: "
                "no more dimensions, and each mask dimension 1 or equal to the input's. "
                f"Received: inputs.shape={in_shape}, mask.shape={m_shape}"
            )

    def call(self, inputs: Any, mask: Any = None) -> Any:
        if mask is not None:
            mask = jnp.asarray(mask)
            self._check_mask(inputs, mask)
            if mask.dtype != jnp.bool_:
                mask = mask > jnp.asarray(0.5, dtype=mask.dtype)
            inputs = jnp.where(mask, inputs, _large_negative(inputs.dtype))
        axis = self.axis
        if isinstance(axis, tuple | list) and len(axis) > 1:
            axis = tuple(axis)
            lse = jax.scipy.special.logsumexp(inputs, axis=axis, keepdims=True)
            outputs = jnp.exp(inputs - lse)
        else:
            if isinstance(axis, tuple | list):
                axis = axis[0]
            outputs = activations.softmax(inputs, axis=axis)
        if mask is not None:
            outputs = jnp.where(mask, outputs, 0.0)
        return outputs

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return mask

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["axis"] = self.axis
        return config
