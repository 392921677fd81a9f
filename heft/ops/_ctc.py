"""Connectionist temporal classification: ``ctc_loss`` and ``ctc_decode`` (greedy, beam search)."""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
import optax

from .._typing import ArrayLike
from ._core import convert_to_tensor
from ._dispatch import symbolic_op

_PAD = -1


def _float_input(x: Any) -> jax.Array:
    x = convert_to_tensor(x)
    return x.astype(jnp.promote_types(x.dtype, jnp.float32))


def _paddings(lengths: jax.Array, size: int, dtype: Any) -> jax.Array:
    """1.0 at the steps at or after each row's length, 0.0 before."""
    return (jnp.arange(size)[None, :] >= lengths[:, None]).astype(dtype)


@symbolic_op
def ctc_loss(
    target: ArrayLike,
    output: ArrayLike,
    target_length: ArrayLike,
    output_length: ArrayLike,
    mask_index: int = 0,
) -> jax.Array:
    """CTC loss of unnormalized ``output`` logits against padded label sequences.

    Computed with ``optax.ctc_loss`` (log-softmax of ``output`` inside).

    Args:
        target: Int labels ``(batch, max_label_length)``.
        output: Logits ``(batch, max_time, num_classes)``.
        target_length: Int ``(batch,)``: the true length of each label sequence.
        output_length: Int ``(batch,)``: the true length of each output sequence.
        mask_index: The class of the blank label.

    Returns:
        The loss of each sequence, ``(batch,)``.

    Raises:
        ValueError: If ``target`` is not 2-D or ``output`` not 3-D.

    >>> loss = ops.ctc_loss([[1, 2]], ops.zeros((1, 4, 3)), [2], [4])
    >>> loss.shape
    (1,)
    """
    target = convert_to_tensor(target, dtype="int32")
    output = _float_input(output)
    if target.ndim != 2 or output.ndim != 3:
        raise ValueError(
            "`ctc_loss` takes `target` of shape (batch, max_label_length) and `output` of "
            f"shape (batch, max_time, num_classes). Received: target.shape={target.shape}, "
            f"output.shape={output.shape}."
        )
    target_length = convert_to_tensor(target_length, dtype="int32")
    output_length = convert_to_tensor(output_length, dtype="int32")
    return _ctc_loss(target, output, target_length, output_length, mask_index)


@functools.partial(jax.jit, static_argnums=4)
def _ctc_loss(
    target: jax.Array, output: jax.Array, target_length: Any, output_length: Any, blank: int
) -> jax.Array:
    return optax.ctc_loss(
        output,
        _paddings(output_length, output.shape[1], output.dtype),
        target,
        _paddings(target_length, target.shape[1], output.dtype),
        blank_id=blank,
        log_epsilon=-1e5,
    )


@functools.partial(jax.jit, static_argnums=(2, 3))
def _greedy(inputs: jax.Array, lengths: jax.Array, merge_repeated: bool, blank: int) -> tuple:
    steps = inputs.shape[1]
    past_end = jnp.arange(steps)[None, :] >= lengths[:, None]
    labels = jnp.where(past_end, blank, jnp.argmax(inputs, axis=-1))
    score = -jnp.sum(jnp.where(past_end, 0.0, jnp.max(inputs, axis=-1)), axis=1, keepdims=True)
    if merge_repeated:
        repeated = jnp.pad(labels[:, 1:] == labels[:, :-1], ((0, 0), (1, 0)))
        labels = jnp.where(repeated, blank, labels)
    dropped = labels == blank
    # Keep the emitted labels in order, then the -1 fill.
    order = jnp.argsort(jnp.where(dropped, steps, jnp.arange(steps)[None, :]), axis=-1)
    labels = jnp.take_along_axis(jnp.where(dropped, _PAD, labels), order, axis=-1)
    return labels[None].astype(jnp.int32), score


def _log_merge(groups: jax.Array, scores: jax.Array) -> jax.Array:
    """Log-sum-exp of ``scores`` within each group, written at the group's index."""
    top = jnp.max(scores)
    summed = jnp.zeros_like(scores).at[groups].add(jnp.exp(scores - top))
    return jnp.log(summed) + top


@functools.partial(jax.jit, static_argnums=(2, 3, 4))
def _beam_search(
    inputs: jax.Array, lengths: jax.Array, beam_width: int, top_paths: int, blank: int
) -> tuple:
    batch, steps, classes = inputs.shape
    log_probs = jax.nn.log_softmax(inputs)
    past_end = jnp.arange(steps)[None, :] >= lengths[:, None]
    # Classes run in reverse, so that ties between equal scores resolve towards the
    # lower class, as TensorFlow's decoder does (argsort keeps the later of equals last).
    log_probs = jnp.flip(log_probs, axis=2)
    blank = classes - 1 - blank
    beams = 2 * beam_width  # half end in an emitted label, half in a blank
    pool = beams * classes

    first = min(classes, beam_width)
    best = jnp.argsort(log_probs[:, 0], axis=1)[:, -first:]
    paths = jnp.full((batch, beams, steps), _PAD, jnp.int32)
    paths = paths.at[:, :first, 0].set(jnp.where(best == blank, _PAD, best))
    scores = jnp.full((batch, beams), -jnp.inf, log_probs.dtype)
    scores = scores.at[:, :first].set(jnp.take_along_axis(log_probs[:, 0], best, axis=1))
    ended_blank = paths[:, :, 0] == _PAD

    label_of = jnp.tile(jnp.arange(classes).at[blank].set(_PAD), beams)
    rows = jnp.arange(pool)

    def extend(paths: Any, scores: Any, ended_blank: Any, step_log_probs: Any) -> tuple:
        paths = jnp.repeat(paths, classes, axis=0)
        end = jnp.argmax(paths == _PAD, axis=1)
        last = jnp.where(end == 0, _PAD, paths[rows, end - 1])
        repeat = ~jnp.repeat(ended_blank, classes) & (last == label_of)
        paths = paths.at[rows, end].set(jnp.where(repeat, _PAD, label_of))
        scores = jnp.repeat(scores, classes) + jnp.tile(step_log_probs, beams)
        return paths, scores, label_of == _PAD

    def merge(paths: Any, scores: Any, ended_blank: Any) -> tuple:
        unique, groups = jnp.unique(paths, return_inverse=True, size=pool, axis=0, fill_value=_PAD)
        groups = groups.reshape(-1)
        emitted = _log_merge(groups, jnp.where(ended_blank, -jnp.inf, scores))
        blanked = _log_merge(groups, jnp.where(ended_blank, scores, -jnp.inf))
        keep = jnp.argsort(jnp.logaddexp(emitted, blanked))[-beam_width:]
        paths = jnp.tile(unique[keep], (2, 1))
        scores = jnp.concatenate([emitted[keep], blanked[keep]])
        ended = jnp.concatenate([jnp.zeros(beam_width, bool), jnp.ones(beam_width, bool)])
        return paths, scores, ended

    def step(state: tuple, inputs: tuple) -> tuple:
        step_log_probs, done = inputs
        state = jax.lax.cond(
            done, lambda *s: s[:3], lambda *s: merge(*extend(*s)), *state, step_log_probs
        )
        return state, None

    def decode_one(paths: Any, scores: Any, ended_blank: Any, log_probs: Any, done: Any) -> tuple:
        (paths, scores, _), _ = jax.lax.scan(
            step, (paths, scores, ended_blank), (log_probs[1:], done[1:])
        )
        unique, groups = jnp.unique(paths, return_inverse=True, size=pool, axis=0, fill_value=_PAD)
        totals = _log_merge(groups.reshape(-1), scores)
        order = jnp.argsort(totals)[-top_paths:][::-1]
        return unique[order], totals[order]

    paths, scores = jax.vmap(decode_one)(paths, scores, ended_blank, log_probs, past_end)
    paths = jnp.where(paths == _PAD, _PAD, classes - 1 - paths)
    return jnp.transpose(paths, (1, 0, 2)), scores


@symbolic_op
def ctc_decode(
    inputs: ArrayLike,
    sequence_lengths: ArrayLike,
    strategy: str = "greedy",
    beam_width: int = 100,
    top_paths: int = 1,
    merge_repeated: bool = True,
    mask_index: int | None = 0,
) -> tuple[jax.Array, jax.Array]:
    """Decode CTC logits into label sequences, greedily or by beam search.

    Args:
        inputs: Logits ``(batch, max_time, num_classes)`` (not softmaxed).
        sequence_lengths: Int ``(batch,)``: the true length of each sequence.
        strategy: ``"greedy"`` (the best class per step) or ``"beam_search"``.
        beam_width: Beams kept at each step of the beam search.
        top_paths: How many of the best paths the beam search returns.
        merge_repeated: Whether greedy decoding merges repeated labels.
        mask_index: The class of the blank label; ``None`` is the last class.

    Returns:
        ``(paths, scores)``. ``paths``: int32 ``(top_paths, batch, max_time)``
        (``top_paths`` is 1 for greedy), labels first and ``-1`` after.
        ``scores``: greedy gives ``(batch, 1)``, minus the sum of the best
        logits; beam search gives ``(batch, top_paths)`` log probabilities.

    Raises:
        ValueError: For an unknown strategy.

    >>> logits = ops.log(ops.array([[[0.1, 0.8, 0.1], [0.1, 0.8, 0.1], [0.8, 0.1, 0.1]]]))
    >>> ops.ctc_decode(logits, [3])[0]
    Array([[[ 1, -1, -1]]], dtype=int32)
    """
    x = _float_input(inputs)
    lengths = convert_to_tensor(sequence_lengths, dtype="int32")
    if mask_index is None:
        mask_index = x.shape[-1] - 1
    if strategy == "greedy":
        return _greedy(x, lengths, merge_repeated, mask_index)
    if strategy == "beam_search":
        return _beam_search(x, lengths, beam_width, top_paths, mask_index)
    raise ValueError(
        f"Invalid strategy {strategy}. Supported values are 'greedy' and 'beam_search'."
    )
