"""``LSTMCell`` and ``LSTM``: long short-term memory, gates in the order input, forget, cell, output."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax.numpy as jnp

from .. import activations, regularizers
from .._typing import DTypeLike
from ..random._seed_generator import SeedGenerator
from ._arguments import argument_config, pick
from ._configured import configured_weight
from ._input_spec import InputSpec
from ._layer import Layer
from ._lstm_kernel import lstm_sequence
from ._rnn import RNN
from ._rnn_cell import (
    LSTM_ARGUMENTS,
    RNN_LAYER_ARGUMENTS,
    DropoutRNNCell,
    cell_kernels,
    cell_properties,
    check_units,
    check_use_cudnn,
    set_cell_arguments,
)


class LSTMCell(Layer, DropoutRNNCell):
    """One LSTM step; states ``[h, c]``, output ``h``.

    ``z = x @ kernel + h @ recurrent_kernel + bias`` is split in four (input,
    forget, cell, output); ``c' = f * c + i * activation(z_c)``,
    ``h' = o * activation(c')``, with ``recurrent_activation`` on the gates.

    Args:
        units: Size of the output and of each state (a positive int).
        activation: Activation of the cell input and output (default ``"tanh"``).
        recurrent_activation: Activation of the gates (default ``"sigmoid"``).
        use_bias: Whether to add a bias.
        kernel_initializer: Initializer of ``kernel`` ``(features, 4 * units)``.
        recurrent_initializer: Initializer of ``recurrent_kernel`` ``(units, 4 * units)``.
        bias_initializer: Initializer of ``bias`` ``(4 * units,)``.
        unit_forget_bias: Initialize the forget gate's bias to ones.
        kernel_regularizer: Regularizer of ``kernel``.
        recurrent_regularizer: Regularizer of ``recurrent_kernel``.
        bias_regularizer: Regularizer of ``bias``.
        kernel_constraint: Constraint of ``kernel``.
        recurrent_constraint: Constraint of ``recurrent_kernel``.
        bias_constraint: Constraint of ``bias``.
        dropout: Fraction of the inputs dropped in training (one mask per sequence).
        recurrent_dropout: Fraction of ``h`` dropped in training (one mask per gate).
        seed: Seed of the dropout masks.
        **kwargs: Base layer arguments.

    >>> import heft
    >>> cell = LSTMCell(4)
    >>> h, (h, c) = cell(heft.ops.ones((2, 3)), [heft.ops.zeros((2, 4))] * 2)
    >>> [tuple(w.shape) for w in cell.weights]
    [(3, 16), (4, 16), (16,)]
    """

    recurrent_activation: Callable[..., Any]
    unit_forget_bias: bool

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        unit_forget_bias: bool = True,
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
        implementation = kwargs.pop("implementation", 2)
        super().__init__(**kwargs)
        self.implementation = implementation
        set_cell_arguments(self, locals(), LSTM_ARGUMENTS)
        if self.recurrent_dropout != 0.0:
            self.implementation = 1
        if self.implementation == 1:
            self.dropout_mask_count = 4
        self.seed = seed
        self.seed_generator = SeedGenerator(seed=seed)
        self.state_size = [self.units, self.units]
        self.output_size = self.units

    def build(self, input_shape: Any) -> None:
        units = self.units
        self.kernel, self.recurrent_kernel = cell_kernels(self, input_shape[-1], 4 * units)
        if not self.use_bias:
            self.bias = None
            return
        initializer = self.bias_initializer
        if self.unit_forget_bias:
            base = self.bias_initializer

            def initializer(shape: Any, dtype: DTypeLike = None) -> Any:
                return jnp.concatenate(
                    [
                        base((units,), dtype=dtype),
                        jnp.ones((units,), dtype=dtype),
                        base((2 * units,), dtype=dtype),
                    ]
                )

        self.bias = configured_weight(self, "bias", (4 * units,), "bias", initializer)

    def _project_inputs(self, inputs: Any, training: Any) -> Any:
        """The input part of the gates, for one step or for all steps at once.

        Implementation 2 leaves the bias to the step (added after the recurrent
        part, as Keras orders the sums); implementation 1 adds it per gate here.
        """
        input_mask, _ = self._active_masks(inputs, None, training)
        kernel = self.kernel.value
        if self.implementation != 1:
            if input_mask is not None:
                inputs = self._apply_mask(inputs, input_mask)
            return jnp.matmul(inputs, kernel)
        units = self.units
        bias = self.bias.value if self.bias is not None else None
        parts = []
        for gate in range(4):
            x = inputs if input_mask is None else self._apply_mask(inputs, input_mask[gate])
            part = jnp.matmul(x, kernel[:, gate * units : (gate + 1) * units])
            if bias is not None:
                part = part + bias[gate * units : (gate + 1) * units]
            parts.append(part)
        return jnp.concatenate(parts, axis=-1)

    def _make_step(self, training: Any) -> Callable:
        """The recurrent part of a step: ``(projected x_t, [h, c]) -> (h', [h', c'])``."""
        units = self.units
        recurrent_kernel = self.recurrent_kernel.value
        bias = self.bias.value if self.bias is not None and self.implementation != 1 else None
        recurrent_mask = None
        if training and 0.0 < self.recurrent_dropout < 1.0:
            recurrent_mask = self.__dict__.get("_recurrent_dropout_mask")
        activation, gate = self.activation, self.recurrent_activation

        def step(projected: Any, states: list) -> tuple[Any, list]:
            h, c = states[0], states[1]
            if recurrent_mask is None:
                z = projected + jnp.matmul(h, recurrent_kernel)
            else:
                z = jnp.concatenate(
                    [
                        projected[:, g * units : (g + 1) * units]
                        + jnp.matmul(
                            h * recurrent_mask[g], recurrent_kernel[:, g * units : (g + 1) * units]
                        )
                        for g in range(4)
                    ],
                    axis=-1,
                )
            if bias is not None:
                z = z + bias
            z_i, z_f, z_c, z_o = jnp.split(z, 4, axis=-1)
            c = gate(z_f) * c + gate(z_i) * activation(z_c)
            h = gate(z_o) * activation(c)
            return h, [h, c]

        return step

    def _sequence_kernel(self, training: Any) -> Callable | None:
        """The whole-sequence LSTM with a hand-written gradient (standard activations only).

        It runs ``lstm_sequence`` on the time-major inputs; see
        ``DropoutRNNCell._sequence_kernel`` for its signature.
        """
        if self.implementation == 1:
            return None
        if self.activation is not activations.tanh or self.recurrent_activation is not (
            activations.sigmoid
        ):
            return None
        kernel = self.kernel.value
        recurrent_kernel = self.recurrent_kernel.value
        bias = self.bias.value if self.bias is not None else None
        gate, act = self.recurrent_activation, self.activation

        def run(sequences: Any, states: list, mask: Any, reverse: bool, keep: bool) -> tuple:
            input_mask, _ = self._active_masks(sequences, None, training)
            x = jnp.swapaxes(sequences, 0, 1)
            if input_mask is not None:
                x = x * input_mask[None]
            if mask is not None:
                mask = jnp.swapaxes(mask, 0, 1)[:, :, None]
            sequence, h, c = lstm_sequence(
                x, kernel, recurrent_kernel, bias, states[0], states[1], mask, reverse, keep,
                gate, act,
            )  # fmt: skip
            if sequence is not None:
                sequence = jnp.swapaxes(sequence, 0, 1)
            return sequence, [h, c]

        return run

    def call(self, inputs: Any, states: Any, training: bool | None = False) -> tuple:
        self._active_masks(inputs, states, training)
        h, new_states = self._make_step(training)(self._project_inputs(inputs, training), states)
        return h, new_states

    _fused_call = call

    def get_initial_state(self, batch_size: int | None = None) -> list:
        return [jnp.zeros((batch_size, d), dtype=self.compute_dtype) for d in self.state_size]

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(argument_config(self, LSTM_ARGUMENTS))
        config["seed"] = self.seed
        return config


@cell_properties(LSTM_ARGUMENTS)
class LSTM(RNN):
    """Long short-term memory over sequences: ``RNN(LSTMCell(units, ...))`` in one layer.

    Weights live in the cell: ``lstm/lstm_cell/kernel`` ``(features, 4u)``,
    ``lstm/lstm_cell/recurrent_kernel`` ``(u, 4u)``, ``lstm/lstm_cell/bias`` ``(4u,)``.
    With the default activations the loop runs as one kernel with a hand-written
    gradient (``lstm_sequence``); its outputs are those of the step-by-step cell.

    Args:
        units: Size of the output and of each state (a positive int).
        activation: Activation of the cell input and output (default ``"tanh"``).
        recurrent_activation: Activation of the gates (default ``"sigmoid"``).
        use_bias: Whether to add a bias.
        kernel_initializer: Initializer of the input kernel.
        recurrent_initializer: Initializer of the recurrent kernel.
        bias_initializer: Initializer of the bias.
        unit_forget_bias: Initialize the forget gate's bias to ones.
        kernel_regularizer: Regularizer of the input kernel.
        recurrent_regularizer: Regularizer of the recurrent kernel.
        bias_regularizer: Regularizer of the bias.
        activity_regularizer: Regularizer of the output.
        kernel_constraint: Constraint of the input kernel.
        recurrent_constraint: Constraint of the recurrent kernel.
        bias_constraint: Constraint of the bias.
        dropout: Fraction of the inputs dropped in training.
        recurrent_dropout: Fraction of ``h`` dropped in training.
        seed: Seed of the dropout masks.
        return_sequences: Return the whole output sequence.
        return_state: Also return the final ``h`` and ``c``.
        go_backwards: Process the sequence backwards.
        stateful: Carry the final states of a batch into the next.
        unroll: Unroll the loop in Python.
        use_cudnn: Accepted for compatibility (``"auto"``, True or False); heft
            always runs the same XLA loop.
        **kwargs: Base layer and ``RNN`` arguments.

    >>> import heft
    >>> out, h, c = LSTM(4, return_state=True)(heft.ops.ones((2, 5, 3)))
    >>> out.shape, c.shape
    ((2, 4), (2, 4))
    """

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        unit_forget_bias: bool = True,
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        seed: int | None = None,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        use_cudnn: Any = "auto",
        **kwargs: Any,
    ) -> None:
        check_units(units, type(self).__name__, kwargs)
        check_use_cudnn(use_cudnn, type(self).__name__, kwargs)
        arguments = locals()
        cell = LSTMCell(
            **pick(arguments, LSTM_ARGUMENTS),
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name="lstm_cell",
            seed=seed,
            implementation=kwargs.pop("implementation", 2),
        )
        super().__init__(cell, **pick(arguments, RNN_LAYER_ARGUMENTS), **kwargs)
        self.input_spec = InputSpec(ndim=3)
        self.use_cudnn = use_cudnn

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["cell"]
        config.update(argument_config(self, LSTM_ARGUMENTS))
        config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        config["seed"] = self.cell.seed
        return config
