"""Calling code of another framework (TensorFlow, PyTorch) on the host from JAX, with gradients.

``host_call`` runs ``forward`` through ``jax.pure_callback`` (so it works under
``jax.jit``) and gives it a custom VJP whose backward pass is another host
callback: the other framework computes the gradients with its own autograd.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import numpy as np


def _spec(x: Any) -> jax.ShapeDtypeStruct:
    return jax.ShapeDtypeStruct(np.shape(x), x.dtype)


def host_call(
    forward: Callable[..., Any],
    backward: Callable[..., Any],
    out_spec: Any,
    args: list[Any],
) -> Any:
    """``forward(*args)`` on the host, differentiable through ``backward``.

    Args:
        forward: Takes numpy arrays, returns a pytree of numpy arrays matching ``out_spec``.
        backward: Takes ``(args, cotangents)`` as numpy, returns one gradient per argument.
        out_spec: Pytree of ``jax.ShapeDtypeStruct`` of the outputs.
        args: The arrays passed to ``forward`` (inputs, then weights).

    Returns:
        The outputs, as JAX arrays.
    """

    @jax.custom_vjp
    def call(*values: Any) -> Any:
        return jax.pure_callback(forward, out_spec, *values)

    def call_fwd(*values: Any) -> tuple[Any, Any]:
        return call(*values), values

    def call_bwd(values: Any, cotangents: Any) -> tuple:
        specs = [_spec(v) for v in values]

        def host_backward(*flat: Any) -> list:
            given = list(flat[: len(values)])
            grads = backward(given, jax.tree_util.tree_unflatten(tree, flat[len(values) :]))
            return [
                np.asarray(g, dtype=s.dtype).reshape(s.shape)
                for g, s in zip(grads, specs, strict=True)
            ]

        leaves, tree = jax.tree_util.tree_flatten(cotangents)
        return tuple(jax.pure_callback(host_backward, specs, *values, *leaves))

    call.defvjp(call_fwd, call_bwd)
    return call(*args)
