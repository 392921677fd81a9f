"""``GRUCell`` and ``GRU``: gated recurrent units, gates in the order update, reset, candidate."""

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
    GRU_ARGUMENTS,
    RNN_LAYER_ARGUMENTS,
    DropoutRNNCell,
    cell_kernels,
    cell_properties,
    check_units,
    check_use_cudnn,
    set_cell_arguments,
)


class GRUCell(Layer, DropoutRNNCell):
    """One GRU step; a single state ``h``, which is also the output.

    ``z`` (update) and ``r`` (reset) gates, candidate ``hh``;
    ``h' = z * h + (1 - z) * hh``. With ``reset_after=True`` (the default, as
    cuDNN) the reset gate multiplies ``h @ recurrent_kernel`` and the bias has
    shape ``(2, 3 * units)`` (input bias, recurrent bias); with ``False`` it
    multiplies ``h`` before the matmul and the bias is ``(3 * units,)``.

    Args:
        units: Size of the output and state (a positive int).
        activation: Activation of the candidate (default ``"tanh"``).
        recurrent_activation: Activation of the gates (default ``"sigmoid"``).
        use_bias: Whether to add biases.
        kernel_initializer: Initializer of ``kernel`` ``(features, 3 * units)``.
        recurrent_initializer: Initializer of ``recurrent_kernel`` ``(units, 3 * units)``.
        bias_initializer: Initializer of ``bias``.
        kernel_regularizer: Regularizer of ``kernel``.
        recurrent_regularizer: Regularizer of ``recurrent_kernel``.
        bias_regularizer: Regularizer of ``bias``.
        kernel_constraint: Constraint of ``kernel``.
        recurrent_constraint: Constraint of ``recurrent_kernel``.
        bias_constraint: Constraint of ``bias``.
        dropout: Fraction of the inputs dropped in training (one mask per sequence).
        recurrent_dropout: Fraction of ``h`` dropped in training (one mask per gate).
        reset_after: Apply the reset gate after the recurrent matmul.
        seed: Seed of the dropout masks.
        **kwargs: Base layer arguments.

    >>> import heft
    >>> cell = GRUCell(4)
    >>> h, _ = cell(heft.ops.ones((2, 3)), [heft.ops.zeros((2, 4))])
    >>> [tuple(w.shape) for w in cell.weights]
    [(3, 12), (4, 12), (2, 12)]
    """

    recurrent_activation: Callable[..., Any]
    reset_after: bool

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
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
        reset_after: bool = True,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        check_units(units, type(self).__name__, kwargs)
        implementation = kwargs.pop("implementation", 2)
        super().__init__(**kwargs)
        self.implementation = implementation
        set_cell_arguments(self, locals(), GRU_ARGUMENTS)
        if self.recurrent_dropout != 0.0:
            self.implementation = 1
        if self.implementation == 1:
            self.dropout_mask_count = 3
        self.seed = seed
        self.seed_generator = SeedGenerator(seed=seed)
        self.state_size = self.units
        self.output_size = self.units

    def build(self, input_shape: Any) -> None:
        self.kernel, self.recurrent_kernel = cell_kernels(self, input_shape[-1], 3 * self.units)
        width = 3 * self.units
        self.bias = optional_bias(self, (2, width) if self.reset_after else (width,))

    def _biases(self) -> tuple[Any, Any]:
        if self.bias is None:
            return None, None
        bias = self.bias.value
        if self.reset_after:
            return bias[0], bias[1]
        return bias, None

    def _project_inputs(self, inputs: Any, training: Any) -> Any:
        """``x @ kernel + input_bias`` (per gate with per-gate masks) for one or all steps."""
        input_mask, _ = self._active_masks(inputs, None, training)
        kernel = self.kernel.value
        input_bias, _ = self._biases()
        if self.implementation != 1:
            if input_mask is not None:
                inputs = self._apply_mask(inputs, input_mask)
            projected = jnp.matmul(inputs, kernel)
            return projected if input_bias is None else projected + input_bias
        units = self.units
        parts = []
        for gate in range(3):
            x = inputs if input_mask is None else self._apply_mask(inputs, input_mask[gate])
            part = jnp.matmul(x, kernel[:, gate * units : (gate + 1) * units])
            if input_bias is not None:
                part = part + input_bias[gate * units : (gate + 1) * units]
            parts.append(part)
        return jnp.concatenate(parts, axis=-1)

    def _make_step(self, training: Any) -> Callable:
        """The recurrent part of a step: ``(projected x_t, [h]) -> (h', [h'])``."""
        units, reset_after = self.units, self.reset_after
        recurrent_kernel = self.recurrent_kernel.value
        _, recurrent_bias = self._biases()
        recurrent_mask = None
        if training and 0.0 < self.recurrent_dropout < 1.0:
            recurrent_mask = self.__dict__.get("_recurrent_dropout_mask")
        activation, gate = self.activation, self.recurrent_activation

        def step(projected: Any, states: list) -> tuple[Any, list]:
            h = states[0]
            h_z = h_r = h_h = h
            if recurrent_mask is not None:
                h_z, h_r, h_h = (h * recurrent_mask[g] for g in range(3))
            x_z, x_r, x_h = jnp.split(projected, 3, axis=-1)
            if recurrent_mask is None and reset_after:
                inner = jnp.matmul(h, recurrent_kernel)
            elif recurrent_mask is None:
                inner = jnp.matmul(h, recurrent_kernel[:, : 2 * units])
            else:
                inner = jnp.concatenate(
                    [
                        jnp.matmul(h_z, recurrent_kernel[:, :units]),
                        jnp.matmul(h_r, recurrent_kernel[:, units : 2 * units]),
                    ]
                    + ([jnp.matmul(h_h, recurrent_kernel[:, 2 * units :])] if reset_after else []),
                    axis=-1,
                )
            if reset_after and recurrent_bias is not None:
                inner = inner + recurrent_bias[: inner.shape[-1]]
            z = gate(x_z + inner[:, :units])
            r = gate(x_r + inner[:, units : 2 * units])
            if reset_after:
                recurrent_h = r * inner[:, 2 * units :]
            else:
                recurrent_h = jnp.matmul(r * h_h, recurrent_kernel[:, 2 * units :])
            hh = activation(x_h + recurrent_h)
            h = z * h + (1 - z) * hh
            return h, [h]

        return step

    def call(self, inputs: Any, states: Any, training: bool | None = False) -> tuple:
        is_list = isinstance(states, list | tuple)
        state_list = list(states) if is_list else [states]
        self._active_masks(inputs, state_list, training)
        h, _ = self._make_step(training)(self._project_inputs(inputs, training), state_list)
        return h, ([h] if is_list else h)

    _fused_call = call

    def get_initial_state(self, batch_size: int | None = None) -> list:
        return [jnp.zeros((batch_size, self.state_size), dtype=self.compute_dtype)]

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(argument_config(self, GRU_ARGUMENTS))
        config["seed"] = self.seed
        return config


@cell_properties(GRU_ARGUMENTS)
class GRU(RNN):
    """Gated recurrent unit over sequences: ``RNN(GRUCell(units, ...))`` in one layer.

    Weights live in the cell: ``gru/gru_cell/kernel`` ``(features, 3u)``,
    ``gru/gru_cell/recurrent_kernel`` ``(u, 3u)``, ``gru/gru_cell/bias``
    ``(2, 3u)`` (``(3u,)`` with ``reset_after=False``).

    Args:
        units: Size of the output and state (a positive int).
        activation: Activation of the candidate (default ``"tanh"``).
        recurrent_activation: Activation of the gates (default ``"sigmoid"``).
        use_bias: Whether to add biases.
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
        recurrent_dropout: Fraction of ``h`` dropped in training.
        seed: Seed of the dropout masks.
        return_sequences: Return the whole output sequence.
        return_state: Also return the final state.
        go_backwards: Process the sequence backwards.
        stateful: Carry the final state of a batch into the next.
        unroll: Unroll the loop in Python.
        reset_after: Apply the reset gate after the recurrent matmul.
        use_cudnn: Accepted for compatibility (``"auto"``, True or False).
        **kwargs: Base layer and ``RNN`` arguments.

    >>> import heft
    >>> GRU(4, return_sequences=True)(heft.ops.ones((2, 5, 3))).shape
    (2, 5, 4)
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
        reset_after: bool = True,
        use_cudnn: Any = "auto",
        **kwargs: Any,
    ) -> None:
        check_units(units, type(self).__name__, kwargs)
        check_use_cudnn(use_cudnn, type(self).__name__, kwargs)
        arguments = locals()
        cell = GRUCell(
            **pick(arguments, GRU_ARGUMENTS),
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name="gru_cell",
            seed=seed,
            implementation=kwargs.pop("implementation", 2),
        )
        super().__init__(cell, **pick(arguments, RNN_LAYER_ARGUMENTS), **kwargs)
        self.input_spec = InputSpec(ndim=3)
        self.use_cudnn = use_cudnn

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["cell"]
        config.update(argument_config(self, GRU_ARGUMENTS))
        config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        config["seed"] = self.cell.seed
        return config
