"""Normalization layers: batch, layer, group and unit normalization."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from .. import _config, initializers
from ._arguments import argument_config, set_arguments, weight_arguments
from ._input_spec import InputSpec
from ._layer import Layer


def _check_axes(layer: Layer, axes: list[int], input_shape: Any) -> None:
    rank = len(input_shape)
    for axis in axes:
        if not -rank <= axis < rank:
            raise ValueError(
                f"Axis {axis} is out of bounds for input shape {tuple(input_shape)} in layer "
                f"'{layer.name}' (rank {rank}). Received: axis={layer.axis}. Pass an axis in "
                f"[{-rank}, {rank - 1}]."
            )


def _normalize_with(x: Any, mean: Any, variance: Any, gamma: Any, beta: Any, eps: float) -> Any:
    """``(x - mean) * rsqrt(variance + eps) * gamma + beta``, in Keras's operation order."""
    inv = jax.lax.rsqrt(variance + eps)
    if gamma is not None:
        inv = inv * gamma
    shift = -mean * inv
    if beta is not None:
        shift = shift + beta
    return x * inv + shift


# The arguments of the gamma and beta weights, set and configured in this order.
_WEIGHT_ARGUMENTS = weight_arguments("beta", "gamma")
_AFFINE_ARGUMENTS = ("center", "scale", *_WEIGHT_ARGUMENTS)
_BATCH_NORMALIZATION_CONFIG = (
    "axis", "momentum", "epsilon", *_AFFINE_ARGUMENTS, "moving_mean_initializer",
    "moving_variance_initializer", "synchronized", "renorm", "renorm_clipping", "renorm_momentum",
)  # fmt: skip


class _AffineNormalization(Layer):
    """Shared ``gamma``/``beta`` arguments of the layer and group normalizations."""

    # Set by ``set_arguments``; declared for type checkers.
    center: bool
    scale: bool
    beta_initializer: Any
    gamma_initializer: Any
    beta_regularizer: Any
    gamma_regularizer: Any
    beta_constraint: Any
    gamma_constraint: Any

    def _affine_weight(self, name: str, shape: tuple) -> Any:
        """``gamma`` or ``beta`` with its arguments, kept in full precision (no autocast)."""
        return self.add_weight(
            name=name,
            shape=shape,
            initializer=getattr(self, f"{name}_initializer"),
            regularizer=getattr(self, f"{name}_regularizer"),
            constraint=getattr(self, f"{name}_constraint"),
            trainable=True,
            autocast=False,
        )

    def compute_output_shape(self, input_shape: Any) -> Any:
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        _check_axes(self, axes, input_shape)
        return input_shape


class BatchNormalization(_AffineNormalization):
    """Normalizes with batch statistics in training and moving statistics in inference.

    In training (``training=True`` on a trainable layer) the output uses the
    batch's mean and variance over every axis except ``axis``, and the moving
    statistics become ``moving * momentum + batch * (1 - momentum)``. Otherwise
    (inference, or a frozen layer with ``trainable=False`` even when
    ``training=True``) the moving statistics are used and nothing changes.

    Args:
        axis: The features axis (usually ``-1``, the channels).
        momentum: Momentum of the moving average.
        epsilon: Small float added to the variance.
        center: Whether to add the learned offset ``beta``.
        scale: Whether to multiply by the learned ``gamma``.
        beta_initializer: Initializer of ``beta``.
        gamma_initializer: Initializer of ``gamma``.
        moving_mean_initializer: Initializer of ``moving_mean``.
        moving_variance_initializer: Initializer of ``moving_variance``.
        beta_regularizer: Regularizer of ``beta``.
        gamma_regularizer: Regularizer of ``gamma``.
        beta_constraint: Constraint of ``beta``.
        gamma_constraint: Constraint of ``gamma``.
        synchronized: Only ``False`` is supported (cross-replica statistics are not).
        renorm: Only ``False`` is supported (batch renormalization is not).
        renorm_clipping: Unused; kept for Keras configs.
        renorm_momentum: Unused; kept for Keras configs.
        **kwargs: Base layer arguments.

    Raises:
        ValueError: For ``synchronized=True`` or ``renorm=True``, or an axis
            outside the input's rank.

    >>> import heft
    >>> layer = BatchNormalization()
    >>> layer(heft.ops.ones((2, 3))).shape
    (2, 3)
    >>> [w.name for w in layer.weights]
    ['gamma', 'beta', 'moving_mean', 'moving_variance']
    """

    def __init__(
        self,
        axis: int = -1,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        moving_mean_initializer: Any = "zeros",
        moving_variance_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        renorm: bool = False,
        renorm_clipping: Any = None,
        renorm_momentum: float = 0.99,
        synchronized: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if synchronized:
            raise ValueError(
                f"BatchNormalization layer '{self.name}': `synchronized=True` (cross-replica "
                "statistics) is not supported by heft. Received: synchronized=True. Pass "
                "synchronized=False."
            )
        if renorm:
            raise ValueError(
                f"BatchNormalization layer '{self.name}': `renorm=True` (batch "
                "renormalization) is not supported by heft. Received: renorm=True. Pass "
                "renorm=False."
            )
        self.axis = int(axis)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        set_arguments(self, locals(), _AFFINE_ARGUMENTS)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.synchronized = synchronized
        self.renorm = renorm
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = renorm_momentum
        self.supports_masking = True
        self.gamma = None
        self.beta = None
        self.moving_mean = None
        self.moving_variance = None

    def build(self, input_shape: Any) -> None:
        _check_axes(self, [self.axis], input_shape)
        dim = input_shape[self.axis]
        if dim is None:
            raise ValueError(
                f"Axis {self.axis} of the inputs to BatchNormalization layer '{self.name}' must "
                f"have a known size to build its weights. Received: input_shape={input_shape}"
            )
        shape = (dim,)
        if self.scale:
            self.gamma = self._affine_weight("gamma", shape)
        if self.center:
            self.beta = self._affine_weight("beta", shape)
        self.moving_mean = self.add_weight(
            name="moving_mean",
            shape=shape,
            initializer=self.moving_mean_initializer,
            trainable=False,
            autocast=False,
        )
        self.moving_variance = self.add_weight(
            name="moving_variance",
            shape=shape,
            initializer=self.moving_variance_initializer,
            trainable=False,
            autocast=False,
        )
        rank = len(input_shape)
        self.input_spec = InputSpec(ndim=rank, axes={self.axis: dim})
        self._reduction_axes = [a for a in range(rank) if a != self.axis % rank]

    def _broadcast(self, v: Any, ndim: int) -> Any:
        shape = [1] * ndim
        shape[self.axis] = v.shape[0]
        return jnp.reshape(v, shape)

    def _moments(self, x: Any, mask: Any) -> tuple[Any, Any]:
        axes = tuple(self._reduction_axes)
        if mask is None:
            return jnp.mean(x, axis=axes), jnp.var(x, axis=axes)
        weights = jnp.broadcast_to(jnp.expand_dims(mask, -1), x.shape).astype(bool)
        count = jnp.sum(weights.astype(x.dtype), axis=axes, keepdims=True)
        denom = count + _config.epsilon()
        mean = jnp.sum(jnp.where(weights, x, 0), axis=axes, keepdims=True) / denom
        sq = jnp.square(jnp.where(weights, x - mean, 0))
        variance = jnp.sum(sq, axis=axes, keepdims=True) / denom
        return jnp.squeeze(mean), jnp.squeeze(variance)

    def call(self, inputs: Any, training: bool | None = None, mask: Any = None) -> Any:
        if mask is not None and mask.ndim != inputs.ndim - 1:
            raise ValueError(
                f"BatchNormalization layer '{self.name}': the mask must have one dimension "
                f"less than the inputs. Received: mask.shape={mask.shape}, "
                f"inputs.shape={inputs.shape}. Pass a mask of shape inputs.shape[:-1]."
            )
        dtype = jnp.promote_types(inputs.dtype, jnp.float32)
        x = inputs.astype(dtype)
        moving_mean = self.moving_mean.value.astype(dtype)
        moving_variance = self.moving_variance.value.astype(dtype)
        gamma = self.gamma.value.astype(dtype) if self.gamma is not None else None
        beta = self.beta.value.astype(dtype) if self.beta is not None else None
        if training and self.trainable:
            mean, variance = self._moments(x, mask)
            m = self.momentum
            self.moving_mean.assign(moving_mean * m + mean * (1.0 - m))
            self.moving_variance.assign(moving_variance * m + variance * (1.0 - m))
        else:
            mean, variance = moving_mean, moving_variance
        nd = x.ndim
        out = _normalize_with(
            x,
            self._broadcast(mean, nd),
            self._broadcast(variance, nd),
            self._broadcast(gamma, nd) if gamma is not None else None,
            self._broadcast(beta, nd) if beta is not None else None,
            self.epsilon,
        )
        return out.astype(self.compute_dtype)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(argument_config(self, _BATCH_NORMALIZATION_CONFIG))
        return config


def _standardize_axis(axis: Any, layer_name: str) -> int | list[int]:
    if isinstance(axis, list | tuple) and all(
        isinstance(a, int) and not isinstance(a, bool) for a in axis
    ):
        return list(axis)
    if isinstance(axis, int) and not isinstance(axis, bool):
        return axis
    raise TypeError(
        f"Expected an int or a list/tuple of ints for the argument 'axis' of layer "
        f"'{layer_name}', but received: {axis!r}. Pass e.g. axis=-1 or axis=[1, 2]."
    )


class LayerNormalization(_AffineNormalization):
    """Normalizes each sample over ``axis`` (by default the last axis).

    Args:
        axis: An int or list of ints: the axes to normalize over; ``gamma`` and
            ``beta`` have those axes' shape.
        epsilon: Small float added to the variance.
        center: Whether to add the learned offset ``beta``.
        scale: Whether to multiply by the learned ``gamma``.
        rms_scaling: Divide by ``sqrt(variance + epsilon)`` without centering
            (Keras's deprecated option: a ``gamma`` but no ``beta``).
        beta_initializer: Initializer of ``beta``.
        gamma_initializer: Initializer of ``gamma``.
        beta_regularizer: Regularizer of ``beta``.
        gamma_regularizer: Regularizer of ``gamma``.
        beta_constraint: Constraint of ``beta``.
        gamma_constraint: Constraint of ``gamma``.
        **kwargs: Base layer arguments.

    Raises:
        TypeError: If ``axis`` is not an int or a list of ints.
        ValueError: If an axis is outside the input's rank.

    >>> import heft
    >>> layer = LayerNormalization()
    >>> layer(heft.ops.ones((2, 3))).shape
    (2, 3)
    """

    def __init__(
        self,
        axis: int | list[int] = -1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        rms_scaling: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.axis = _standardize_axis(axis, self.name)
        self.epsilon = epsilon
        self.rms_scaling = rms_scaling
        set_arguments(self, locals(), _AFFINE_ARGUMENTS)
        self.supports_masking = True
        self.autocast = False

    def build(self, input_shape: Any) -> None:
        axes = sorted(self.axis) if isinstance(self.axis, list) else [self.axis]
        _check_axes(self, axes, input_shape)
        self.axis = axes
        shape = tuple(input_shape[a] for a in axes)
        self.gamma = (
            self._affine_weight("gamma", shape) if (self.scale or self.rms_scaling) else None
        )
        self.beta = (
            self._affine_weight("beta", shape) if (self.center and not self.rms_scaling) else None
        )

    def call(self, inputs: Any) -> Any:
        dtype = jnp.promote_types(inputs.dtype, jnp.float32)
        x = inputs.astype(dtype)
        nd = x.ndim
        axes = tuple(self.axis)
        shape = [1] * nd
        for a in axes:
            shape[a] = x.shape[a]

        def _bc(w: Any) -> Any:
            return None if w is None else jnp.reshape(w.value.astype(dtype), shape)

        variance = jnp.var(x, axis=axes, keepdims=True)
        if self.rms_scaling:
            out = x * jax.lax.rsqrt(variance + self.epsilon)
            if self.gamma is not None:
                out = out * _bc(self.gamma)
        else:
            mean = jnp.mean(x, axis=axes, keepdims=True)
            out = _normalize_with(x, mean, variance, _bc(self.gamma), _bc(self.beta), self.epsilon)
        return out.astype(inputs.dtype).astype(self.compute_dtype)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            argument_config(
                self, ("axis", "epsilon", "center", "scale", "rms_scaling", *_WEIGHT_ARGUMENTS)
            )
        )
        return config


class GroupNormalization(_AffineNormalization):
    """Normalizes each sample over groups of channels (``groups=-1``: one per channel).

    Args:
        groups: Number of groups, dividing the channels; ``-1`` gives instance
            normalization.
        axis: The channels axis.
        epsilon: Small float added to the variance.
        center: Whether to add the learned offset ``beta``.
        scale: Whether to multiply by the learned ``gamma``.
        beta_initializer: Initializer of ``beta``.
        gamma_initializer: Initializer of ``gamma``.
        beta_regularizer: Regularizer of ``beta``.
        gamma_regularizer: Regularizer of ``gamma``.
        beta_constraint: Constraint of ``beta``.
        gamma_constraint: Constraint of ``gamma``.
        **kwargs: Base layer arguments.

    Raises:
        ValueError: For a non-positive ``groups`` (other than ``-1``), or channels
            that the groups do not divide.

    >>> import heft
    >>> GroupNormalization(groups=2)(heft.ops.ones((2, 5, 4))).shape
    (2, 5, 4)
    """

    def __init__(
        self,
        groups: int = 32,
        axis: int = -1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        if (
            isinstance(groups, bool)
            or not isinstance(groups, int)
            or (groups <= 0 and groups != -1)
        ):
            raise ValueError(
                "Received an invalid value for argument `groups`, expected a positive integer "
                f"(or `-1` for instance normalization). Received: groups={groups}"
            )
        super().__init__(**kwargs)
        self.groups = groups
        self.axis = axis
        self.epsilon = epsilon
        set_arguments(self, locals(), _AFFINE_ARGUMENTS)
        self.supports_masking = True
        self.autocast = False

    def build(self, input_shape: Any) -> None:
        _check_axes(self, [self.axis], input_shape)
        dim = input_shape[self.axis]
        if dim is None:
            raise ValueError(
                f"Axis {self.axis} of the inputs to GroupNormalization layer '{self.name}' "
                f"must have a known size. Received: input_shape={input_shape}"
            )
        if self.groups == -1:
            self.groups = dim
        if dim < self.groups or dim % self.groups != 0:
            raise ValueError(
                f"GroupNormalization layer '{self.name}': the number of groups "
                f"({self.groups}) must divide the number of channels ({dim}) on axis "
                f"{self.axis}. Received: input_shape={input_shape}. Pick groups among the "
                f"divisors of {dim}."
            )
        self.input_spec = InputSpec(ndim=len(input_shape), axes={self.axis: dim})
        self.gamma = self._affine_weight("gamma", (dim,)) if self.scale else None
        self.beta = self._affine_weight("beta", (dim,)) if self.center else None

    def call(self, inputs: Any) -> Any:
        nd = inputs.ndim
        axis = self.axis % nd
        dim = inputs.shape[axis]
        group_shape = [inputs.shape[0], *inputs.shape[1:]]
        group_shape[axis] = dim // self.groups
        group_shape.insert(axis, self.groups)
        dtype = jnp.promote_types(inputs.dtype, jnp.float32)
        x = jnp.reshape(inputs, group_shape).astype(dtype)
        reduce = tuple(a for a in range(1, nd + 1) if a != axis)
        mean = jnp.mean(x, axis=reduce, keepdims=True)
        variance = jnp.var(x, axis=reduce, keepdims=True)
        bshape = [1] * (nd + 1)
        bshape[axis] = self.groups
        bshape[axis + 1] = dim // self.groups

        def _bc(w: Any) -> Any:
            return None if w is None else jnp.reshape(w.value, bshape).astype(dtype)

        out = _normalize_with(x, mean, variance, _bc(self.gamma), _bc(self.beta), self.epsilon)
        out = jnp.reshape(out.astype(inputs.dtype), inputs.shape)
        return out.astype(self.compute_dtype)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(argument_config(self, ("groups", "axis", "epsilon", *_AFFINE_ARGUMENTS)))
        return config


class UnitNormalization(Layer):
    """Scales each sample to unit L2 norm over ``axis``.

    Args:
        axis: An int or list of ints: the axes the norm is taken over.
        **kwargs: Base layer arguments.

    Raises:
        TypeError: If ``axis`` is not an int or a list of ints.
        ValueError: If an axis is outside the input's rank.

    >>> import heft
    >>> UnitNormalization()(heft.ops.ones((1, 4))).tolist()
    [[0.5, 0.5, 0.5, 0.5]]
    """

    def __init__(self, axis: int | list[int] = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = _standardize_axis(axis, self.name)
        self.supports_masking = True
        self.built = True

    def call(self, inputs: Any) -> Any:
        axes = self.axis if isinstance(self.axis, int) else tuple(self.axis)
        _check_axes(self, [axes] if isinstance(axes, int) else list(axes), inputs.shape)
        square_sum = jnp.sum(jnp.square(inputs), axis=axes, keepdims=True)
        inv_norm = jnp.minimum(jax.lax.rsqrt(square_sum), 1.0 / 1e-12)
        return inputs * inv_norm

    def compute_output_shape(self, input_shape: Any) -> Any:
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        _check_axes(self, axes, input_shape)
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["axis"] = self.axis
        return config
