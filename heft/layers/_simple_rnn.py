"""``SimpleRNNCell`` and ``SimpleRNN``: ``h_t = activation(x_t @ kernel + b + h_{t-1} @ recurrent_kernel)``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax.numpy as jnp

from .. import regularizers
from ..random._seed_generator import SeedGenerator
from ._arguments import argument_config, pick
from ._configured import optional_bias
from ._input_spec import InputSpec
from ._layer import Layer
from ._rnn import RNN
from ._rnn_cell import (
    RNN_LAYER_ARGUMENTS,
    SIMPLE_RNN_ARGUMENTS,
    DropoutRNNCell,
    cell_kernels,
    cell_properties,
    check_units,
    set_cell_arguments,
)


class SimpleRNNCell(Layer, DropoutRNNCell):
    """One step of a fully connected RNN whose output is its state.

    Args:
        units: Size of the output and state (a positive int).
        activation: Activation of the new state (default ``"tanh"``).
        use_bias: Whether to add a bias.
        kernel_initializer: Initializer of ``kernel`` ``(features, units)``.
        recurrent_initializer: Initializer of ``recurrent_kernel`` ``(units, units)``.
        bias_initializer: Initializer of ``bias`` ``(units,)``.
        kernel_regularizer: Regularizer of ``kernel``.
        recurrent_regularizer: Regularizer of ``recurrent_kernel``.
        bias_regularizer: Regularizer of ``bias``.
        kernel_constraint: Constraint of ``kernel``.
        recurrent_constraint: Constraint of ``recurrent_kernel``.
        bias_constraint: Constraint of ``bias``.
        dropout: Fraction of the inputs dropped in training (one mask per sequence).
        recurrent_dropout: Fraction of the previous state dropped in training.
        seed: Seed of the dropout masks.
        **kwargs: Base layer arguments.

    >>> import heft
    >>> cell = SimpleRNNCell(4)
    >>> out, states = cell(heft.ops.ones((2, 3)), [heft.ops.zeros((2, 4))])
    >>> out.shape, [w.name for w in cell.weights]
    ((2, 4), ['kernel', 'recurrent_kernel', 'bias'])
    """

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        check_units(units, type(self).__name__, kwargs)
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = SeedGenerator(seed)
        set_cell_arguments(self, locals(), SIMPLE_RNN_ARGUMENTS)
        self.state_size = self.units
        self.output_size = self.units

    def build(self, input_shape: Any) -> None:
        self.kernel, self.recurrent_kernel = cell_kernels(self, input_shape[-1], self.units)
        self.bias = optional_bias(self, (self.units,))

    def _project_inputs(self, inputs: Any, training: Any) -> Any:
        """``inputs @ kernel + bias`` for one step ``(batch, f)`` or all steps ``(batch, t, f)``."""
        input_mask, _ = self._active_masks(inputs, None, training)
        if input_mask is not None:
            inputs = self._apply_mask(inputs, input_mask)
        h = jnp.matmul(inputs, self.kernel.value)
        if self.bias is not None:
            h = h + self.bias.value
        return h

    def _make_step(self, training: Any) -> Callable:
        """The recurrent part of a step, from the projected input and the previous state."""
        recurrent_kernel = self.recurrent_kernel.value
        recurrent_mask = None
        if training and 0.0 < self.recurrent_dropout < 1.0:
            recurrent_mask = self.__dict__.get("_recurrent_dropout_mask")
        activation = self.activation

        def step(projected: Any, states: list) -> tuple[Any, list]:
            previous = states[0]
            if recurrent_mask is not None:
                previous = previous * recurrent_mask
            output = activation(projected + jnp.matmul(previous, recurrent_kernel))
            return output, [output]

        return step

    def call(self, sequence: Any, states: Any, training: bool | None = False) -> tuple:
        is_list = isinstance(states, list | tuple)
        previous = states[0] if is_list else states
        self.get_dropout_mask(sequence)
        self.get_recurrent_dropout_mask(previous)
        output, _ = self._make_step(training)(self._project_inputs(sequence, training), [previous])
        return output, ([output] if is_list else output)

    _fused_call = call

    def get_initial_state(self, batch_size: int | None = None) -> list:
        return [jnp.zeros((batch_size, self.state_size), dtype=self.compute_dtype)]

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(argument_config(self, SIMPLE_RNN_ARGUMENTS))
        config["seed"] = self.seed
        return config


@cell_properties(SIMPLE_RNN_ARGUMENTS)
class SimpleRNN(RNN):
    """A fully connected RNN: ``RNN(SimpleRNNCell(units, ...))`` in one layer.

    Weights live in the cell: ``simple_rnn/simple_rnn_cell/kernel``,
    ``.../recurrent_kernel``, ``.../bias``.

    Args:
        units: Size of the output and state (a positive int).
        activation: Activation of the new state (default ``"tanh"``).
        use_bias: Whether to add a bias.
        kernel_initializer: Initializer of the input kernel.
        recurrent_initializer: Initializer of the recurrent kernel.
        bias_initializer: Initializer of the bias.
        kernel_regularizer: Regularizer of the input kernel.
        recurrent_regularizer: Regularizer of the recurrent kernel.
        bias_regularizer: Regularizer of the bias.
        activity_regularizer: Regularizer of the output.
        kernel_constraint: Constraint of the input kernel.
        recurrent_constraint: Constraint of the recurrent kernel.
        bias_constraint: Constraint of the bias.
        dropout: Fraction of the inputs dropped in training.
        recurrent_dropout: Fraction of the previous state dropped in training.
        return_sequences: Return the whole output sequence.
        return_state: Also return the final state.
        go_backwards: Process the sequence backwards.
        stateful: Carry the final state of a batch into the next.
        unroll: Unroll the loop in Python.
        seed: Seed of the dropout masks.
        **kwargs: Base layer and ``RNN`` arguments.

    >>> import heft
    >>> SimpleRNN(3)(heft.ops.ones((2, 5, 4))).shape
    (2, 3)
    """

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        check_units(units, type(self).__name__, kwargs)
        arguments = locals()
        cell = SimpleRNNCell(
            **pick(arguments, SIMPLE_RNN_ARGUMENTS),
            seed=seed,
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name="simple_rnn_cell",
        )
        super().__init__(cell, **pick(arguments, RNN_LAYER_ARGUMENTS), **kwargs)
        self.input_spec = [InputSpec(ndim=3)]

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["cell"]
        config.update(argument_config(self, SIMPLE_RNN_ARGUMENTS))
        config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config
