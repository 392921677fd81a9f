"""``SpectralNormalization``: keep a wrapped layer's kernel at spectral norm 1 in training."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from .. import initializers
from .._typing import Shape
from ..ops._normalization import normalize
from ._input_spec import InputSpec
from ._wrapper import Wrapper


class SpectralNormalization(Wrapper):
    """Divides the wrapped layer's ``kernel`` (or ``embeddings``) by its spectral norm.

    In each training call, ``power_iterations`` steps of power iteration refine
    the estimate of the kernel's largest singular vector (the non-trainable
    ``vector_u``), and the kernel is assigned ``kernel / sigma``. An all-zero
    kernel is left alone. Inference calls use the kernel as it is.

    Args:
        layer: A layer with a ``kernel`` (``Dense``, ``Conv2D``...) or ``embeddings``.
        power_iterations: Number of power-iteration steps per training call (> 0).
        **kwargs: Base layer arguments.

    >>> import heft
    >>> layer = SpectralNormalization(heft.layers.Dense(3))
    >>> layer(heft.ops.ones((2, 4)), training=True).shape
    (2, 3)
    >>> [w.name for w in layer.weights]
    ['kernel', 'vector_u', 'bias']
    """

    def __init__(self, layer: Any, power_iterations: int = 1, **kwargs: Any) -> None:
        super().__init__(layer, **kwargs)
        if power_iterations <= 0:
            raise ValueError(
                "`power_iterations` should be greater than zero. Received: "
                f"`power_iterations={power_iterations}`"
            )
        self.power_iterations = power_iterations

    def build(self, input_shape: Any = None) -> None:
        super().build(input_shape)
        self.input_spec = InputSpec(min_ndim=1, axes={-1: int(input_shape[-1])})
        if hasattr(self.layer, "kernel"):
            self.kernel = self.layer.kernel
        elif hasattr(self.layer, "embeddings"):
            self.kernel = self.layer.embeddings
        else:
            raise ValueError(
                f"{type(self.layer).__name__} object has no attribute 'kernel' nor "
                "'embeddings': SpectralNormalization wraps layers with one of them "
                "(Dense, Conv2D, Embedding...)."
            )
        self.kernel_shape = tuple(self.kernel.shape)
        self.vector_u = self.add_weight(
            shape=(1, self.kernel_shape[-1]),
            initializer=initializers.TruncatedNormal(stddev=0.02),
            trainable=False,
            name="vector_u",
            dtype=self.kernel.dtype,
        )

    def call(self, inputs: Any, training: bool | None = False) -> Any:
        if training:
            kernel = self.kernel.value
            new_u, new_kernel = jax.lax.cond(
                jnp.all(kernel == 0),
                lambda: (self.vector_u.value, kernel),
                self.normalized_weights,
            )
            self.vector_u.assign(new_u)
            self.kernel.assign(new_kernel)
        outputs = self.layer(inputs)
        return jnp.asarray(outputs).astype(jnp.asarray(inputs).dtype)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return self.layer.compute_output_shape(input_shape)

    def normalized_weights(self) -> tuple[Any, Any]:
        """``(vector_u, kernel / sigma)``: the refined vector and the normalized kernel."""
        kernel = self.kernel.value
        weights = jnp.reshape(kernel, (-1, self.kernel_shape[-1]))
        vector_u = self.vector_u.value
        vector_v = vector_u
        for _ in range(self.power_iterations):
            vector_v = normalize(jnp.matmul(vector_u, weights.T), axis=None)  # type: ignore[arg-type]
            vector_u = normalize(jnp.matmul(vector_v, weights), axis=None)  # type: ignore[arg-type]
        vector_u = jax.lax.stop_gradient(vector_u)
        vector_v = jax.lax.stop_gradient(vector_v)
        sigma = jnp.matmul(jnp.matmul(vector_v, weights), vector_u.T)
        normalized = jnp.reshape(kernel / sigma, self.kernel_shape)
        return vector_u.astype(self.vector_u.dtype), normalized.astype(self.kernel.dtype)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["power_iterations"] = self.power_iterations
        return config
