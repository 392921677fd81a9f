"""The LSTM recurrence over a whole sequence, with a hand-written gradient.

Autodiff of a ``lax.scan`` step keeps a dozen per-step residuals and adds the
kernels' gradients into carries at every step. Here the forward loop keeps four
arrays (``h`` and ``c`` before each step, ``tanh`` of the new ``c``, the gate
activations), the backward loop only carries ``dh``/``dc`` back through the steps,
and the gradients of the inputs and of both kernels are three matmuls over all
steps afterwards, which XLA spreads over the CPU cores. The input projection
``x @ kernel`` is likewise one matmul over all steps before the loop; the loop
adds ``h @ recurrent_kernel`` and the bias in ``LSTMCell``'s order.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import jax
import jax.numpy as jnp


def _step(
    recurrent_kernel: Any, bias: Any, h: Any, c: Any, projected_t: Any, gate: Any, act: Any
) -> tuple:
    """One step from its projected input ``x_t @ kernel``: the gate activations, and
    the new ``h`` and ``c`` before masking."""
    z = projected_t + jnp.matmul(h, recurrent_kernel)
    if bias is not None:
        z = z + bias
    z_i, z_f, z_c, z_o = jnp.split(z, 4, axis=-1)
    i, f, g, o = gate(z_i), gate(z_f), act(z_c), gate(z_o)
    c_new = f * c + i * g
    tanh_c = act(c_new)
    return (i, f, g, o), o * tanh_c, c_new, tanh_c


def _run(
    inputs: Any,
    kernel: Any,
    recurrent_kernel: Any,
    bias: Any,
    h0: Any,
    c0: Any,
    mask: Any,
    reverse: bool,
    return_sequences: bool,
    gate: Any,
    act: Any,
    keep: bool,
) -> tuple:
    def body(carry: tuple, step_inputs: tuple) -> tuple:
        h, c = carry
        projected_t, mask_t = step_inputs
        (i, f, g, o), h_new, c_new, tanh_c = _step(
            recurrent_kernel, bias, h, c, projected_t, gate, act
        )
        if mask_t is not None:
            h_new = jnp.where(mask_t, h_new, h)
            c_new = jnp.where(mask_t, c_new, c)
        saved = (h, c, tanh_c, jnp.concatenate([i, f, g, o], axis=-1)) if keep else None
        return (h_new, c_new), (h_new if return_sequences else None, saved)

    steps, batch, features = inputs.shape
    projected = jnp.matmul(jnp.reshape(inputs, (-1, features)), kernel)
    projected = jnp.reshape(projected, (steps, batch, -1))
    (h, c), (sequence, saved) = jax.lax.scan(body, (h0, c0), (projected, mask), reverse=reverse)
    return h, c, sequence, saved


@partial(jax.custom_vjp, nondiff_argnums=(7, 8, 9, 10))
def lstm_sequence(
    inputs: Any,
    kernel: Any,
    recurrent_kernel: Any,
    bias: Any,
    h0: Any,
    c0: Any,
    mask: Any,
    reverse: bool,
    return_sequences: bool,
    gate: Any,
    act: Any,
) -> tuple:
    """Run the LSTM recurrence over time-major projected inputs.

    Args:
        inputs: The time-major inputs, ``(time, batch, features)``.
        kernel: ``(features, 4 * units)``.
        recurrent_kernel: ``(units, 4 * units)``.
        bias: ``(4 * units,)`` or ``None``.
        h0: Initial ``h``, ``(batch, units)``.
        c0: Initial ``c``, ``(batch, units)``.
        mask: ``None`` or ``(time, batch, 1)`` booleans; a masked step keeps the states.
        reverse: Process the steps from last to first.
        return_sequences: Also return ``h`` after every step.
        gate: The gates' activation, sigmoid (its derivative is taken as ``s * (1 - s)``).
        act: The cell activation, tanh (its derivative is taken as ``1 - t ** 2``).

    Returns:
        ``(sequence, h_last, c_last)``; ``sequence[t]`` is ``h`` after the step at
        index ``t`` (``None`` without ``return_sequences``).

    >>> x = jnp.ones((5, 2, 3))
    >>> kernel, recurrent = jnp.full((3, 8), 0.1), jnp.zeros((2, 8))
    >>> h0 = c0 = jnp.zeros((2, 2))
    >>> sequence, h, c = lstm_sequence(
    ...     x, kernel, recurrent, None, h0, c0, None, False, True, jax.nn.sigmoid, jnp.tanh)
    >>> sequence.shape, h.shape
    ((5, 2, 2), (2, 2))
    """
    h, c, sequence, _ = _run(
        inputs, kernel, recurrent_kernel, bias, h0, c0, mask, reverse, return_sequences, gate,
        act, False,
    )  # fmt: skip
    return sequence, h, c


def _lstm_fwd(
    inputs: Any,
    kernel: Any,
    recurrent_kernel: Any,
    bias: Any,
    h0: Any,
    c0: Any,
    mask: Any,
    reverse: bool,
    return_sequences: bool,
    gate: Any,
    act: Any,
) -> tuple:
    h, c, sequence, saved = _run(
        inputs, kernel, recurrent_kernel, bias, h0, c0, mask, reverse, return_sequences, gate,
        act, True,
    )  # fmt: skip
    return (sequence, h, c), (inputs, saved, kernel, recurrent_kernel, bias, mask)


def _lstm_bwd(
    reverse: bool, return_sequences: bool, gate: Any, act: Any, residuals: tuple, cotangents: tuple
) -> tuple:
    inputs, (h_prev, c_prev, tanh_c_all, gates), kernel, recurrent_kernel, bias, mask = residuals
    d_sequence, d_h_last, d_c_last = cotangents
    kernel_t = recurrent_kernel.T

    def body(carry: tuple, step_inputs: tuple) -> tuple:
        dh, dc = carry
        d_out, gates_t, c_before, tanh_c, mask_t = step_inputs
        if d_out is not None:
            dh = dh + d_out
        if mask_t is not None:
            dh_skip, dc_skip = jnp.where(mask_t, 0.0, dh), jnp.where(mask_t, 0.0, dc)
            dh, dc = jnp.where(mask_t, dh, 0.0), jnp.where(mask_t, dc, 0.0)
        i, f, g, o = jnp.split(gates_t, 4, axis=-1)
        dc_total = dc + dh * o * (1.0 - tanh_c * tanh_c)
        dz = jnp.concatenate(
            [
                dc_total * g * i * (1.0 - i),
                dc_total * c_before * f * (1.0 - f),
                dc_total * i * (1.0 - g * g),
                dh * tanh_c * o * (1.0 - o),
            ],
            axis=-1,
        )
        dh_prev = jnp.matmul(dz, kernel_t)
        dc_prev = dc_total * f
        if mask_t is not None:
            dh_prev, dc_prev = dh_prev + dh_skip, dc_prev + dc_skip
        return (dh_prev, dc_prev), dz

    # The loop reads its slots from the first one up, so a forward LSTM's residuals
    # are turned around first: XLA's CPU backend runs the body's elementwise work
    # slower in a reversed scan (bench/README.md, `lstm.py`, has the measurements).
    xs = (d_sequence, gates, c_prev, tanh_c_all, mask)
    if not reverse:
        xs = tuple(None if a is None else jnp.flip(a, axis=0) for a in xs)
    (dh0, dc0), dz = jax.lax.scan(body, (d_h_last, d_c_last), xs)
    if not reverse:
        dz = jnp.flip(dz, axis=0)
    features, width = kernel.shape
    units = recurrent_kernel.shape[0]
    flat_dz = jnp.reshape(dz, (-1, width))
    d_inputs = jnp.reshape(jnp.matmul(flat_dz, kernel.T), inputs.shape)
    d_kernel = jnp.matmul(jnp.reshape(inputs, (-1, features)).T, flat_dz)
    d_recurrent = jnp.matmul(jnp.reshape(h_prev, (-1, units)).T, flat_dz)
    d_bias = None if bias is None else jnp.sum(flat_dz, axis=0)
    return d_inputs, d_kernel, d_recurrent, d_bias, dh0, dc0, None


lstm_sequence.defvjp(_lstm_fwd, _lstm_bwd)
