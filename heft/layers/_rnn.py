"""``RNN``: a recurrent cell run over sequences (masks, initial and stateful states)."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtypes
from .._variable import Variable
from ._layer import Layer
from ._recurrent_loop import outputs_from_states, standardize_mask, time_loop
from ._rnn_cell import DropoutRNNCell, StackedRNNCells


class RNN(Layer):
    """Runs a recurrent cell over the time axis of ``(batch, timesteps, features)`` inputs.

    The cell has ``call(inputs_t, states) -> (output_t, new_states)`` and a
    ``state_size`` (an int, or a list of ints, one per state); optionally
    ``output_size`` and ``get_initial_state(batch_size)``. A list of cells is
    stacked (``StackedRNNCells``). The loop is ``jax.lax.scan`` (or a Python loop
    with ``unroll=True``); a masked step keeps the previous states and repeats the
    previous output.

    Args:
        cell: A cell, or a list of cells to stack.
        return_sequences: Return the whole output sequence instead of the last output.
        return_state: Also return the final states (after the output).
        go_backwards: Process the sequence backwards (and return it reversed).
        stateful: Keep the final states of a batch as the initial states of the
            next one (needs a fixed batch size); ``reset_state()`` zeroes them.
        unroll: Unroll the loop in Python (faster for short sequences, slower to compile).
        zero_output_for_mask: Output zeros at masked steps (with ``return_sequences``).
        **kwargs: Base layer arguments.

    >>> import heft
    >>> layer = RNN(heft.layers.SimpleRNNCell(4), return_sequences=True)
    >>> layer(heft.ops.ones((2, 5, 3))).shape
    (2, 5, 4)
    """

    def __init__(
        self,
        cell: Any,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        zero_output_for_mask: bool = False,
        **kwargs: Any,
    ) -> None:
        if isinstance(cell, list | tuple):
            cell = StackedRNNCells(cell)
        if "call" not in dir(cell):
            raise ValueError(
                f"Argument `cell` should have a `call` method. Received: cell={cell}. Pass a "
                "cell such as `LSTMCell(32)`, or a layer with `call(inputs, states)`."
            )
        state_size = getattr(cell, "state_size", None)
        if state_size is None:
            raise ValueError(
                "The RNN cell should have a `state_size` attribute (single integer or list of "
                f"integers, one integer per RNN state). Received: cell={cell}"
            )
        if not isinstance(state_size, list | tuple | int):
            raise ValueError(
                "state_size must be an integer, or a list/tuple of integers (one for each state "
                f"tensor). Received: cell.state_size={state_size!r}"
            )
        super().__init__(**kwargs)
        self.zero_output_for_mask = zero_output_for_mask
        self.cell = cell
        self.return_sequences = return_sequences
        self.return_state = return_state
        self.go_backwards = go_backwards
        self.stateful = stateful
        self.unroll = unroll
        self.supports_masking = True
        self.input_spec = None
        self.states = None
        self._expected_batch_size = None
        self.single_state = isinstance(state_size, int)
        sizes = [state_size] if self.single_state else _plain(state_size)
        object.__setattr__(self, "state_size", sizes)  # plain lists: sizes are not state

    # ------------------------------------------------------------------ shapes
    def compute_output_shape(self, sequences_shape: Any, initial_state_shape: Any = None) -> Any:
        batch_size, length = sequences_shape[0], sequences_shape[1]
        states_shape: list[Any] = []
        for size in self.state_size:
            if isinstance(size, int):
                states_shape.append((batch_size, size))
            else:
                states_shape.append([(batch_size, s) for s in size])
        output_size = getattr(self.cell, "output_size", None)
        if output_size is None:
            output_size = self.state_size[0]
        if not isinstance(output_size, int):
            raise ValueError(
                f"RNN layer '{self.name}': the cell's output_size must be an integer. "
                f"Received: output_size={output_size!r}"
            )
        if self.return_sequences:
            output_shape: tuple = (batch_size, length, output_size)
        else:
            output_shape = (batch_size, output_size)
        if self.return_state:
            return (output_shape, *states_shape)
        return output_shape

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if isinstance(mask, list | tuple):
            mask = mask[0] if mask else None
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None for _ in self.state_size]
        return output_mask

    def _check_rank(self, shape: Any) -> None:
        if len(shape) < 3:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) expects inputs of shape "
                f"(batch_size, timesteps, features). Received: input shape {tuple(shape)}. "
                "Add the time axis, e.g. with `x[:, None, :]` for one step."
            )

    # ------------------------------------------------------------------ build and state
    def build(self, sequences_shape: Any, initial_state_shape: Any = None) -> None:
        self._check_rank(sequences_shape)
        step_input_shape = (sequences_shape[0], *tuple(sequences_shape[2:]))
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell.build(step_input_shape)
        if self.stateful:
            if self.states is not None:
                self.reset_state()
                return
            if sequences_shape[0] is None:
                raise ValueError(
                    f"When using `stateful=True` in a RNN (layer '{self.name}'), the batch size "
                    f"must be static. Found dynamic batch size: sequence.shape={sequences_shape}. "
                    "Pass `batch_size=...` to `Input` (or `batch_shape=`)."
                )
            self._create_state_variables(int(sequences_shape[0]))

    def _create_state_variables(self, batch_size: int) -> None:
        """The stateful states: Variables that are not weights (not tracked), as in Keras."""
        initial = jax.tree_util.tree_leaves(self.get_initial_state(batch_size))
        states = [
            Variable(
                np.asarray(value), trainable=False, dtype=self.variable_dtype, name="rnn_state"
            )
            for value in initial
        ]
        object.__setattr__(self, "states", states)
        object.__setattr__(self, "_expected_batch_size", batch_size)

    def get_initial_state(self, batch_size: int) -> list:
        """Zero states for ``batch_size`` sequences (the cell's own, when it defines them)."""
        get_initial_state_fn = getattr(self.cell, "get_initial_state", None)
        if get_initial_state_fn is None:
            dtype = getattr(self.cell, "compute_dtype", self.compute_dtype)
            return [jnp.zeros((batch_size, d), dtype=dtype) for d in self.state_size]
        state = get_initial_state_fn(batch_size=batch_size)
        return list(state) if isinstance(state, list | tuple) else [state]

    def reset_state(self) -> None:
        """Zero the states of a stateful layer."""
        if self.states is not None:
            for v in self.states:
                v.assign(jnp.zeros_like(v.value))

    def reset_states(self) -> None:
        """Alias of ``reset_state``."""
        self.reset_state()

    # ------------------------------------------------------------------ call
    def _initial_state(self, sequences: Any, initial_state: Any) -> list:
        if initial_state is None:
            if self.stateful:
                return [v.value for v in self.states]
            return self.get_initial_state(sequences.shape[0])
        states = list(initial_state) if isinstance(initial_state, list | tuple) else [initial_state]
        expected = len(jax.tree_util.tree_leaves(self.state_size))
        if len(jax.tree_util.tree_leaves(states)) != expected:
            raise ValueError(
                f"Layer '{self.name}' expects {expected} initial state tensor(s) (state sizes "
                f"{list(self.state_size)}), but received {len(jax.tree_util.tree_leaves(states))}. "
                "Pass one tensor of shape (batch_size, size) per state, in order."
            )
        return states

    def call(
        self,
        sequences: Any,
        initial_state: Any = None,
        mask: Any = None,
        training: bool | None = False,
    ) -> Any:
        self._check_rank(sequences.shape)
        states = self._initial_state(sequences, initial_state)
        if self.stateful and self._expected_batch_size is not None:
            if sequences.shape[0] != self._expected_batch_size:
                raise ValueError(
                    "If an RNN is stateful, the batch size of the input sequences must be the "
                    f"same as the batch size of the initial state (layer '{self.name}').\n"
                    f"- Expected batch size: {self._expected_batch_size}\n"
                    f"- Received batch size: {sequences.shape[0]}"
                )
        dtype = _dtypes.to_jax_dtype(getattr(self.cell, "compute_dtype", self.compute_dtype))
        states = jax.tree_util.tree_map(lambda s: jnp.asarray(s, dtype=dtype), states)
        if isinstance(mask, list | tuple):
            mask = mask[0] if mask else None
        cells = self.cell.cells if isinstance(self.cell, StackedRNNCells) else [self.cell]
        try:
            if isinstance(self.cell, DropoutRNNCell):
                self.cell._prepare_masks(sequences[:, 0], _first_leaf(states))
            elif isinstance(self.cell, StackedRNNCells):
                self._prepare_stacked_masks(sequences[:, 0], states)
            last_output, outputs, states = self._inner_loop(sequences, states, mask, training)
        finally:
            for cell in cells:
                if isinstance(cell, DropoutRNNCell):
                    cell.reset_dropout_mask()
                    cell.reset_recurrent_dropout_mask()
        compute = _dtypes.to_jax_dtype(self.compute_dtype)
        states = jax.tree_util.tree_map(lambda s: s.astype(compute), states)
        if self.stateful:
            for variable, value in zip(self.states, jax.tree_util.tree_leaves(states), strict=True):
                variable.assign(value)
        output = outputs if self.return_sequences else last_output
        output = output.astype(compute)
        if self.return_state:
            return (output, *states)
        return output

    def _prepare_stacked_masks(self, step_input: Any, states: list) -> None:
        """Draw each stacked cell's masks in Keras's order, feeding the first step forward."""
        for cell, state in zip(self.cell.cells, states, strict=False):
            state = list(state) if isinstance(state, list | tuple) else [state]
            if isinstance(cell, DropoutRNNCell):
                cell._prepare_masks(step_input, state[0])
            step_input, _ = cell(step_input, state)

    def _inner_loop(self, sequences: Any, states: list, mask: Any, training: Any) -> tuple:
        cell = self.cell
        if isinstance(cell, DropoutRNNCell) and cell._uses_fast_path():
            # Built-in cells: a whole-sequence kernel when the cell has one, else the
            # cell's step math run directly (no layer call per step).
            kernel = None if self.unroll else cell._sequence_kernel(training)
            if kernel is not None:
                mask = standardize_mask(mask)
                sequence, states = kernel(
                    sequences, states, mask, self.go_backwards, self.return_sequences
                )
                last_output, outputs = outputs_from_states(
                    sequence,
                    states[0],
                    mask,
                    go_backwards=self.go_backwards,
                    zero_output_for_mask=self.zero_output_for_mask,
                )
                return last_output, outputs, states
            recurrent_step = cell._make_step(training)

            def step(x_t: Any, step_states: list) -> tuple:
                return recurrent_step(cell._project_inputs(x_t, training), step_states)

            inputs = sequences
            output_is_state = True
        else:
            kwargs = {}
            if isinstance(cell, Layer) and cell._call_has_training_arg:
                kwargs["training"] = training

            def step(x_t: Any, step_states: list) -> tuple:
                output, new_states = cell(x_t, step_states, **kwargs)
                if not isinstance(new_states, list | tuple):
                    new_states = [new_states]
                return output, list(new_states)

            inputs = sequences
            output_is_state = False
        return time_loop(
            step,
            inputs,
            states,
            mask,
            go_backwards=self.go_backwards,
            unroll=self.unroll,
            zero_output_for_mask=self.zero_output_for_mask,
            return_sequences=self.return_sequences,
            output_is_state=output_is_state,
        )

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict[str, Any]:
        from ._serialization import serialize

        config = super().get_config()
        config.update(
            {
                "return_sequences": self.return_sequences,
                "return_state": self.return_state,
                "go_backwards": self.go_backwards,
                "stateful": self.stateful,
                "unroll": self.unroll,
                "zero_output_for_mask": self.zero_output_for_mask,
                "cell": serialize(self.cell),
            }
        )
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> RNN:
        from ._serialization import deserialize

        config = dict(config)
        if "cell" in config:  # subclasses (LSTM...) make their cell from their own arguments
            config["cell"] = deserialize(config["cell"], custom_objects=custom_objects)
        return super().from_config(config)


def _plain(sizes: Any) -> Any:
    """Nested state sizes as plain lists (a cell's tracked lists are not pytrees)."""
    if isinstance(sizes, list | tuple):
        return [_plain(s) for s in sizes]
    return sizes


def _first_leaf(states: list) -> Any:
    first = states[0]
    return first[0] if isinstance(first, list | tuple) else first
