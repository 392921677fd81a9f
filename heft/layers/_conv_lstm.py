"""``ConvLSTM1D/2D/3D``: LSTMs whose input and recurrent transformations are convolutions."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from .. import activations, constraints, initializers, regularizers
from ..random._seed_generator import SeedGenerator
from ._conv import (
    conv_output_length,
    standardize_data_format,
    standardize_padding,
    standardize_tuple,
)
from ._input_spec import InputSpec
from ._layer import Layer
from ._rnn import RNN
from ._rnn_cell import DropoutRNNCell

# The cell's arguments after ``rank``, in Keras's order (and config order).
_CELL_ARGUMENTS = (
    "filters",
    "kernel_size",
    "strides",
    "padding",
    "data_format",
    "dilation_rate",
    "activation",
    "recurrent_activation",
    "use_bias",
    "kernel_initializer",
    "recurrent_initializer",
    "bias_initializer",
    "unit_forget_bias",
    "kernel_regularizer",
    "recurrent_regularizer",
    "bias_regularizer",
    "kernel_constraint",
    "recurrent_constraint",
    "bias_constraint",
    "dropout",
    "recurrent_dropout",
)

_SERIALIZERS = {
    "activation": activations.serialize,
    "recurrent_activation": activations.serialize,
    "kernel_initializer": initializers.serialize,
    "recurrent_initializer": initializers.serialize,
    "bias_initializer": initializers.serialize,
    "kernel_regularizer": regularizers.serialize,
    "recurrent_regularizer": regularizers.serialize,
    "bias_regularizer": regularizers.serialize,
    "activity_regularizer": regularizers.serialize,
    "kernel_constraint": constraints.serialize,
    "recurrent_constraint": constraints.serialize,
    "bias_constraint": constraints.serialize,
}


class ConvLSTMCell(Layer, DropoutRNNCell):
    """One step of a convolutional LSTM over ``rank``-D inputs (see ``ConvLSTM2D``).

    The states are ``[h, c]``, each shaped like the convolution's output. Gates
    are in the order input, forget, cell, output along the kernels' last axis.
    """

    def __init__(
        self,
        rank: int,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = 1,
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
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = SeedGenerator(seed=seed)
        if rank > 3:
            raise ValueError(
                f"Rank {rank} convolutions are not currently implemented. Received: rank={rank}"
            )
        self.rank = rank
        self.filters = filters
        self.kernel_size = standardize_tuple(kernel_size, rank, "kernel_size")
        self.strides = standardize_tuple(strides, rank, "strides", allow_zero=True)
        self.padding = standardize_padding(padding)
        self.data_format = standardize_data_format(data_format)
        self.dilation_rate = standardize_tuple(dilation_rate, rank, "dilation_rate")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                "Specifying `strides > 1` is not compatible with `dilation_rate > 1`. Please "
                f"provide `strides=1` or `dilation_rate=1`. Received: strides={self.strides} "
                f"and dilation_rate={self.dilation_rate}"
            )
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.unit_forget_bias = unit_forget_bias
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = min(1.0, max(0.0, dropout))
        self.recurrent_dropout = min(1.0, max(0.0, recurrent_dropout))
        self.dropout_mask_count = 4
        self.input_spec = InputSpec(ndim=rank + 2)
        self.state_size = [-1, -1]  # two states shaped like the convolution's output

    def build(self, inputs_shape: Any, states_shape: Any = None) -> None:  # type: ignore[override]
        inputs_shape = tuple(inputs_shape)
        if self.data_format == "channels_first":
            channel_axis, self.spatial_dims = 1, inputs_shape[2:]
        else:
            channel_axis, self.spatial_dims = -1, inputs_shape[1:-1]
        if None in self.spatial_dims:
            raise ValueError(
                "ConvLSTM layers only support static input shapes for the spatial dimension. "
                f"Received invalid input shape: input_shape={inputs_shape}"
            )
        if inputs_shape[channel_axis] is None:
            raise ValueError(
                "The channel dimension of the inputs (last axis) should be defined. Found "
                f"None. Full input shape received: input_shape={inputs_shape}"
            )
        self.input_spec = InputSpec(ndim=self.rank + 2, shape=(None, *inputs_shape[1:]))
        self.input_dim = inputs_shape[channel_axis]
        self.kernel_shape = (*self.kernel_size, self.input_dim, self.filters * 4)
        self.kernel = self.add_weight(
            shape=self.kernel_shape,
            initializer=self.kernel_initializer,
            name="kernel",
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            shape=(*self.kernel_size, self.filters, self.filters * 4),
            initializer=self.recurrent_initializer,
            name="recurrent_kernel",
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        if not self.use_bias:
            self.bias = None
            return
        bias_initializer: Any = self.bias_initializer
        if self.unit_forget_bias:
            base = self.bias_initializer

            def bias_initializer(shape: Any, dtype: Any = None) -> Any:
                filters = self.filters
                return jnp.concatenate(
                    [
                        jnp.asarray(base((filters,), dtype=dtype)),
                        jnp.ones((filters,), dtype=dtype),
                        jnp.asarray(base((filters * 2,), dtype=dtype)),
                    ]
                )

        self.bias = self.add_weight(
            shape=(self.filters * 4,),
            name="bias",
            initializer=bias_initializer,
            regularizer=self.bias_regularizer,
            constraint=self.bias_constraint,
        )

    def _dimension_numbers(self) -> tuple[str, str, str]:
        spatial = "WHD"[: self.rank][::-1]
        lhs = f"N{spatial}C" if self.data_format == "channels_last" else f"NC{spatial}"
        return lhs, f"{spatial}IO", lhs

    def input_conv(self, x: Any, w: Any, b: Any = None, padding: str = "valid") -> Any:
        """The convolution of a step's input with one gate's kernel (plus its bias)."""
        out = jax.lax.conv_general_dilated(
            x,
            w.astype(x.dtype),
            window_strides=self.strides,
            padding=padding.upper(),
            rhs_dilation=self.dilation_rate,
            dimension_numbers=self._dimension_numbers(),
        )
        if b is not None:
            shape = [1] * out.ndim
            shape[-1 if self.data_format == "channels_last" else 1] = self.filters
            out = out + jnp.reshape(b.astype(out.dtype), shape)
        return out

    def recurrent_conv(self, x: Any, w: Any) -> Any:
        """The stride-1 ``same`` convolution of a state with one gate's recurrent kernel."""
        return jax.lax.conv_general_dilated(
            x,
            w.astype(x.dtype),
            window_strides=(1,) * self.rank,
            padding="SAME",
            dimension_numbers=self._dimension_numbers(),
        )

    def call(self, inputs: Any, states: Any, training: bool | None = False) -> tuple:
        h_tm1, c_tm1 = states[0], states[1]
        x_gates = [inputs] * 4
        h_gates = [h_tm1] * 4
        if training and 0.0 < self.dropout < 1.0:
            x_gates = [inputs * m for m in self.get_dropout_mask(inputs)]
        if training and 0.0 < self.recurrent_dropout < 1.0:
            h_gates = [h_tm1 * m for m in self.get_recurrent_dropout_mask(h_tm1)]
        axis = self.rank + 1
        kernels = jnp.split(self.kernel.value, 4, axis=axis)
        recurrent = jnp.split(self.recurrent_kernel.value, 4, axis=axis)
        biases = jnp.split(self.bias.value, 4) if self.bias is not None else [None] * 4
        x_i, x_f, x_c, x_o = (
            self.input_conv(x, k, b, padding=self.padding)
            for x, k, b in zip(x_gates, kernels, biases, strict=True)
        )
        h_i, h_f, h_c, h_o = (
            self.recurrent_conv(h, k) for h, k in zip(h_gates, recurrent, strict=True)
        )
        i = self.recurrent_activation(x_i + h_i)
        f = self.recurrent_activation(x_f + h_f)
        c = f * c_tm1 + i * self.activation(x_c + h_c)
        o = self.recurrent_activation(x_o + h_o)
        h = o * self.activation(c)
        return h, [h, c]

    def compute_output_shape(self, inputs_shape: Any, states_shape: Any = None) -> Any:
        shape = tuple(inputs_shape)
        spatial = shape[1:-1] if self.data_format == "channels_last" else shape[2:]
        out = tuple(
            conv_output_length(n, k, s, self.padding, d)
            for n, k, s, d in zip(
                spatial, self.kernel_size, self.strides, self.dilation_rate, strict=True
            )
        )
        if self.data_format == "channels_last":
            conv_shape = (shape[0], *out, self.filters)
        else:
            conv_shape = (shape[0], self.filters, *out)
        return conv_shape, [conv_shape, conv_shape]

    def get_initial_state(self, batch_size: int | None = None) -> list:
        if self.data_format == "channels_last":
            input_shape = (batch_size, *self.spatial_dims, self.input_dim)
        else:
            input_shape = (batch_size, self.input_dim, *self.spatial_dims)
        state_shape = self.compute_output_shape(input_shape)[0]
        return [
            jnp.zeros(state_shape, dtype=self.compute_dtype),
            jnp.zeros(state_shape, dtype=self.compute_dtype),
        ]

    def get_config(self) -> dict[str, Any]:
        config = {
            key: _SERIALIZERS.get(key, lambda v: v)(getattr(self, key)) for key in _CELL_ARGUMENTS
        }
        config["seed"] = self.seed
        return {**super().get_config(), **config}


class ConvLSTM(RNN):
    """A ``ConvLSTMCell`` run over the time axis (axis 1) of a sequence of ``rank``-D inputs."""

    _rank = 2

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = 1,
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
        **kwargs: Any,
    ) -> None:
        cell = ConvLSTMCell(
            rank=self._rank,
            filters=filters,
            kernel_size=kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activation=activation,
            recurrent_activation=recurrent_activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            unit_forget_bias=unit_forget_bias,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            name="conv_lstm_cell",
            dtype=kwargs.get("dtype"),
        )
        super().__init__(
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            activity_regularizer=activity_regularizer,
            **kwargs,
        )
        self.input_spec = InputSpec(ndim=self._rank + 3)

    def __getattr__(self, name: str) -> Any:
        # The cell's arguments read through the layer (`layer.filters`...), as in Keras.
        if name in _CELL_ARGUMENTS and "cell" in self.__dict__:
            return getattr(self.__dict__["cell"], name)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def compute_output_shape(self, sequences_shape: Any, initial_state_shape: Any = None) -> Any:
        batch_size, steps = sequences_shape[0], sequences_shape[1]
        step_shape = (batch_size, *tuple(sequences_shape[2:]))
        state_shape = tuple(self.cell.compute_output_shape(step_shape)[0][1:])
        if self.return_sequences:
            output_shape: tuple = (batch_size, steps, *state_shape)
        else:
            output_shape = (batch_size, *state_shape)
        if self.return_state:
            batched = (batch_size, *state_shape)
            return output_shape, batched, batched
        return output_shape

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if isinstance(mask, list | tuple):
            mask = mask[0] if mask else None
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask, None, None]
        return output_mask

    def get_config(self) -> dict[str, Any]:
        cell = self.cell
        config = {
            key: _SERIALIZERS.get(key, lambda v: v)(getattr(cell, key)) for key in _CELL_ARGUMENTS
        }
        config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        ordered = {k: config[k] for k in _CELL_ARGUMENTS[:15]}
        ordered["activity_regularizer"] = config["activity_regularizer"]
        ordered.update({k: config[k] for k in _CELL_ARGUMENTS[15:]})
        ordered["seed"] = cell.seed
        base = super().get_config()
        del base["cell"]
        return {**base, **ordered}

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> ConvLSTM:
        config = dict(config)
        if isinstance(config.get("dtype"), dict):
            from .. import dtype_policies

            config["dtype"] = dtype_policies.get(config["dtype"])
        return cls(**config)


_DOC = """A convolutional LSTM over sequences of {rank}D inputs.

    Inputs are ``(batch, time, {axes}, channels)`` (or channels first after the
    time axis); each step's input and recurrent transformations are {rank}D
    convolutions with ``filters`` output channels. Weights (in the cell
    ``conv_lstm_cell``): ``kernel`` ``(*kernel_size, channels, 4 * filters)``,
    ``recurrent_kernel`` ``(*kernel_size, filters, 4 * filters)`` and ``bias``
    ``(4 * filters,)``, gates ordered input, forget, cell, output.

    Args:
        filters: Number of output channels.
        kernel_size: Int or tuple of {rank} ints.
        strides: Strides of the input convolution.
        padding: ``"valid"`` or ``"same"`` (the recurrent convolution is always ``"same"``).
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the config's).
        dilation_rate: Dilation of the input convolution.
        activation, recurrent_activation: Activations of the cell and of the gates.
        use_bias: Whether the cell has a bias.
        kernel_initializer, recurrent_initializer, bias_initializer: Initializers.
        unit_forget_bias: Initialize the forget gate's bias to ones.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: Regularizers.
        activity_regularizer: Regularizer of the output.
        kernel_constraint, recurrent_constraint, bias_constraint: Constraints.
        dropout, recurrent_dropout: Dropout rates of the inputs and of the state.
        seed: Seed of the dropout masks.
        return_sequences, return_state, go_backwards, stateful: As for ``RNN``.
        **kwargs: Base layer arguments.
    """


class ConvLSTM1D(ConvLSTM):
    __doc__ = _DOC.format(rank=1, axes="steps")
    _rank = 1


class ConvLSTM2D(ConvLSTM):
    __doc__ = _DOC.format(rank=2, axes="rows, cols")
    _rank = 2


class ConvLSTM3D(ConvLSTM):
    __doc__ = _DOC.format(rank=3, axes="depth, rows, cols")
    _rank = 3
