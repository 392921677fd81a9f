"""The time loop of recurrent layers: one step function run over a sequence, with masks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp

Step = Callable[[Any, list], tuple[Any, list]]


def _expand_like(keep: jax.Array, target: jax.Array) -> jax.Array:
    """Give the ``(batch, 1)`` keep flags of a step as many axes as ``target`` has."""
    return jnp.reshape(keep, keep.shape[:1] + (1,) * (target.ndim - 1))


def _keep_states(keep: jax.Array, new: Any, old: Any) -> Any:
    """New states where the step is kept, old ones where it is masked."""
    return jax.tree_util.tree_map(lambda n, o: jnp.where(_expand_like(keep, n), n, o), new, old)


def _first_state(states: Sequence[Any]) -> Any:
    """The state a masked step outputs: the first state (of the last cell when nested)."""
    first = states[0]
    if isinstance(first, list | tuple):
        return states[-1][0]
    return first


def _as_list(states: Any) -> list:
    return list(states) if isinstance(states, list | tuple) else [states]


def standardize_mask(mask: Any) -> jax.Array | None:
    """A ``(batch, time)`` boolean mask (extra trailing axes of size 1 dropped).

    >>> standardize_mask(jnp.array([[[1], [0]]])).tolist()
    [[True, False]]
    """
    if mask is None:
        return None
    mask = jnp.asarray(mask).astype(bool)
    if mask.ndim > 2:
        mask = jnp.reshape(mask, mask.shape[:2])
    return mask


def outputs_from_states(
    sequence: Any,
    last_state: Any,
    mask: jax.Array | None,
    *,
    go_backwards: bool,
    zero_output_for_mask: bool,
) -> tuple[Any, Any]:
    """The loop's outputs from the first state after every step (``sequence[:, t]``).

    A cell whose output is its first state outputs, at a masked step, the state
    it keeps (or zeros with ``zero_output_for_mask``); the sequence is returned
    in processing order, as ``time_loop`` returns it.

    Returns:
        ``(last_output, outputs)``; ``outputs`` is ``None`` when ``sequence`` is.

    >>> states = jnp.array([[[1.0], [2.0], [3.0]]])
    >>> mask = jnp.array([[True, True, False]])
    >>> last, outputs = outputs_from_states(
    ...     states, states[:, 2], mask, go_backwards=False, zero_output_for_mask=True)
    >>> outputs[0, :, 0].tolist(), last.tolist()
    ([1.0, 2.0, 0.0], [[0.0]])
    """
    last_output = last_state
    if mask is not None and zero_output_for_mask:
        last_mask = mask[:, 0] if go_backwards else mask[:, -1]
        last_output = jnp.where(last_mask[:, None], last_state, jnp.zeros_like(last_state))
        if sequence is not None:
            sequence = jnp.where(mask[:, :, None], sequence, jnp.zeros_like(sequence))
    if sequence is not None and go_backwards:
        sequence = jnp.flip(sequence, axis=1)
    return last_output, sequence


def time_loop(
    step: Step,
    inputs: Any,
    initial_states: Sequence[Any],
    mask: jax.Array | None = None,
    *,
    go_backwards: bool = False,
    unroll: bool = False,
    zero_output_for_mask: bool = False,
    return_sequences: bool = True,
    output_is_state: bool = False,
) -> tuple[Any, Any, list]:
    """Run ``step`` over the time axis (axis 1) of ``inputs``.

    A step whose mask entry is ``False`` keeps the previous states and outputs
    the previous output (the first state), or zeros with
    ``zero_output_for_mask``, as Keras does.

    Args:
        step: ``step(input_t, states) -> (output_t, new_states)``.
        inputs: An array (or a pytree of arrays) shaped ``(batch, time, ...)``.
        initial_states: The states before the first step.
        mask: Optional ``(batch, time)`` flags, ``True`` for the steps to use.
        go_backwards: Process the steps from last to first; the output
            sequence is then in processing order (reversed).
        unroll: Run the steps as a Python loop instead of ``lax.scan``.
        zero_output_for_mask: Output zeros at masked steps (scan only, as Keras).
        return_sequences: Whether the output sequence is needed.
        output_is_state: The step's output is its first new state; lets the
            loop return the last output without storing the sequence.

    Returns:
        ``(last_output, outputs, final_states)``; ``outputs`` is
        ``(batch, time, ...)``, or ``None`` when it was not needed.

    >>> def cumulative_sum(x_t, states):
    ...     total = states[0] + x_t
    ...     return total, [total]
    >>> x = jnp.ones((1, 4, 1))
    >>> last, outputs, _ = time_loop(cumulative_sum, x, [jnp.zeros((1, 1))])
    >>> outputs[0, :, 0].tolist(), last.tolist()
    ([1.0, 2.0, 3.0, 4.0], [[4.0]])
    """
    xs = jax.tree_util.tree_map(lambda a: jnp.swapaxes(a, 0, 1), inputs)
    steps = jax.tree_util.tree_leaves(xs)[0].shape[0]
    mask = standardize_mask(mask)
    if mask is not None:
        mask = jnp.swapaxes(mask, 0, 1)
    states = _as_list(initial_states)
    if unroll:
        return _unrolled(step, xs, states, mask, steps, go_backwards, return_sequences)
    keep_sequence = return_sequences or not output_is_state

    def body(carry: list, x_and_mask: Any) -> tuple[list, Any]:
        x_t, m_t = x_and_mask
        output, new_states = step(x_t, carry)
        new_states = _as_list(new_states)
        if m_t is not None:
            keep = m_t[:, None]
            if zero_output_for_mask:
                output = jnp.where(_expand_like(keep, output), output, jnp.zeros_like(output))
            else:
                previous = _first_state(carry)
                output = jnp.where(_expand_like(keep, output), output, previous)
            new_states = _keep_states(keep, new_states, carry)
        return new_states, (output if keep_sequence else None)

    final, outputs = jax.lax.scan(body, states, (xs, mask), reverse=go_backwards)
    if keep_sequence:
        if go_backwards:
            outputs = jnp.flip(outputs, axis=0)
        last_output = outputs[-1]
        outputs = jnp.swapaxes(outputs, 0, 1) if return_sequences else None
        return last_output, outputs, final
    last_output = _first_state(final)
    if mask is not None and zero_output_for_mask:
        last_mask = mask[0] if go_backwards else mask[-1]
        keep = _expand_like(last_mask[:, None], last_output)
        last_output = jnp.where(keep, last_output, jnp.zeros_like(last_output))
    return last_output, None, final


def _unrolled(
    step: Step,
    xs: Any,
    states: list,
    mask: jax.Array | None,
    steps: int,
    go_backwards: bool,
    return_sequences: bool,
) -> tuple[Any, Any, list]:
    """The steps as a Python loop; a masked step repeats the previous output (zeros first)."""
    order = range(steps - 1, -1, -1) if go_backwards else range(steps)
    outputs: list[Any] = []
    previous = None
    for t in order:
        x_t = jax.tree_util.tree_map(lambda a, t=t: a[t], xs)
        output, new_states = step(x_t, states)
        new_states = _as_list(new_states)
        if mask is not None:
            keep = mask[t][:, None]
            prior = jnp.zeros_like(output) if previous is None else previous
            output = jnp.where(_expand_like(keep, output), output, prior)
            new_states = _keep_states(keep, new_states, states)
        states = new_states
        previous = output
        if return_sequences:
            outputs.append(output)
    sequence = jnp.stack(outputs, axis=1) if return_sequences else None
    return previous, sequence, states
