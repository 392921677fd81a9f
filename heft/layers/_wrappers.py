"""``Bidirectional`` (a recurrent layer run both ways) and ``TimeDistributed`` (a layer per step)."""

from __future__ import annotations

import copy
from typing import Any

import jax.numpy as jnp

from .._typing import Shape
from ._conv import Conv1D, Conv2D
from ._dense import Dense
from ._layer import Layer
from ._pooling import (
    AveragePooling1D,
    AveragePooling2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    MaxPooling1D,
    MaxPooling2D,
)
from ._serialization import deserialize, serialize

_MERGE_MODES = ("sum", "mul", "ave", "concat", None)


def _strip_prefix(name: str, prefix: str) -> str:
    return name[len(prefix) :] if name.startswith(prefix) else name


class Bidirectional(Layer):
    """Runs a recurrent layer forwards and a copy of it backwards, and merges the outputs.

    The forward layer is a copy of ``layer`` named ``forward_<name>``; the
    backward one a copy with ``go_backwards=True`` named ``backward_<name>``
    (or ``backward_layer``). Weights: ``bidirectional/forward_lstm/lstm_cell/kernel``...,
    forward first. The backward output sequence is flipped back to input order
    before merging.

    Args:
        layer: A recurrent layer (``LSTM``, ``GRU``, ``SimpleRNN``, ``RNN``).
        merge_mode: ``"concat"`` (default), ``"sum"``, ``"mul"``, ``"ave"``, or
            ``None`` to return the two outputs as a list.
        weights: Initial weights (forward layer's, then backward layer's), set
            when the layer is built.
        backward_layer: The layer to run backwards (its ``go_backwards`` must
            differ from ``layer``'s).
        **kwargs: Base layer arguments.

    >>> import heft
    >>> layer = Bidirectional(heft.layers.LSTM(3, name="lstm"), name="bidirectional")
    >>> layer(heft.ops.ones((2, 5, 4))).shape
    (2, 6)
    >>> layer.weights[0].path
    'bidirectional/forward_lstm/lstm_cell/kernel'
    """

    def __init__(
        self,
        layer: Layer,
        merge_mode: str | None = "concat",
        weights: Any = None,
        backward_layer: Layer | None = None,
        **kwargs: Any,
    ) -> None:
        if not isinstance(layer, Layer):
            raise ValueError(
                "Please initialize `Bidirectional` layer with a `heft.layers.Layer` instance. "
                f"Received: {layer}"
            )
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(
                "`backward_layer` need to be a `heft.layers.Layer` instance. "
                f"Received: {backward_layer}"
            )
        if merge_mode not in _MERGE_MODES:
            raise ValueError(
                f"Invalid merge mode. Received: {merge_mode!r} (for Bidirectional of layer "
                f"'{layer.name}'). Merge mode should be one of "
                '{"sum", "mul", "ave", "concat", None}'
            )
        forward = self._copy(layer, f"forward_{_strip_prefix(layer.name, 'forward_')}", None)
        if backward_layer is None:
            backward = self._copy(layer, f"backward_{_strip_prefix(layer.name, 'backward_')}", True)
        else:
            backward = backward_layer
        _check_pair(forward, backward)
        super().__init__(**kwargs)
        self.forward_layer = forward
        self.backward_layer = backward
        if hasattr(layer, "use_cudnn"):
            forward.use_cudnn = layer.use_cudnn
            backward.use_cudnn = layer.use_cudnn
        for rnn in (forward, backward):
            if getattr(rnn, "zero_output_for_mask", None) is not None:
                rnn.zero_output_for_mask = rnn.return_sequences
        self.merge_mode = merge_mode
        self._initial_weights = list(weights) if weights else None
        self.stateful = layer.stateful
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True
        self.input_spec = layer.input_spec

    @staticmethod
    def _copy(layer: Layer, name: str, go_backwards: bool | None) -> Layer:
        config = serialize(layer)
        config["config"]["name"] = name
        if go_backwards is not None:
            config["config"]["go_backwards"] = go_backwards
        return deserialize(config)

    def build(self, sequences_shape: Any, initial_state_shape: Any = None) -> None:
        if not self.forward_layer.built:
            self.forward_layer.build(sequences_shape)
        if not self.backward_layer.built:
            self.backward_layer.build(sequences_shape)

    def _post_build(self) -> None:
        if self._initial_weights:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def compute_output_shape(self, sequences_shape: Any, initial_state_shape: Any = None) -> Any:
        output_shape = self.forward_layer.compute_output_shape(sequences_shape)
        state_shape: tuple = ()
        if self.return_state:
            output_shape, state_shape = output_shape[0], tuple(output_shape[1:])
        if self.merge_mode == "concat":
            output_shape = (*tuple(output_shape)[:-1], output_shape[-1] * 2)
        elif self.merge_mode is None:
            output_shape = [output_shape, output_shape]
        if self.return_state:
            if self.merge_mode is None:
                return tuple(output_shape) + state_shape + state_shape
            return (tuple(output_shape), *state_shape, *state_shape)
        return tuple(output_shape) if self.merge_mode is not None else output_shape

    def call(
        self,
        sequences: Any,
        initial_state: Any = None,
        mask: Any = None,
        training: bool | None = None,
    ) -> Any:
        kwargs: dict[str, Any] = {}
        if self.forward_layer._call_has_training_arg:
            kwargs["training"] = training
        if "mask" in self.forward_layer._call_params:
            kwargs["mask"] = mask
        forward_state = backward_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = initial_state[:half], initial_state[half:]
        y = self.forward_layer(sequences, initial_state=forward_state, **kwargs)
        y_rev = self.backward_layer(sequences, initial_state=backward_state, **kwargs)
        states: tuple = ()
        if self.return_state:
            states = (*y[1:], *y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        y = y.astype(self.compute_dtype)
        y_rev = y_rev.astype(self.compute_dtype)
        if self.return_sequences:
            y_rev = jnp.flip(y_rev, axis=1)
        if self.merge_mode == "concat":
            output: Any = jnp.concatenate([y, y_rev], axis=-1)
        elif self.merge_mode == "sum":
            output = y + y_rev
        elif self.merge_mode == "ave":
            output = (y + y_rev) / 2
        elif self.merge_mode == "mul":
            output = y * y_rev
        else:
            output = (y, y_rev)
        if self.return_state:
            if self.merge_mode is None:
                return output + states
            return (output, *states)
        return output

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if isinstance(mask, list):
            mask = mask[0]
        if self.return_sequences:
            output_mask = (mask, mask) if not self.merge_mode else mask
        else:
            output_mask = (None, None) if not self.merge_mode else None
        states = self.states
        if self.return_state and states is not None:
            state_mask = tuple(None for _ in states)
            if isinstance(output_mask, tuple):
                return output_mask + state_mask
            return (output_mask, *state_mask)
        return output_mask

    @property
    def states(self) -> tuple | None:
        forward = getattr(self.forward_layer, "states", None)
        backward = getattr(self.backward_layer, "states", None)
        if forward and backward:
            return tuple(forward) + tuple(backward)
        return None

    def reset_state(self) -> None:
        """Zero both directions' states (stateful layers only)."""
        if not self.stateful:
            raise AttributeError(
                f"Layer '{self.name}' must be stateful to reset its states: wrap a recurrent "
                "layer made with `stateful=True`."
            )
        self.forward_layer.reset_state()
        self.backward_layer.reset_state()

    def reset_states(self) -> None:
        """Alias of ``reset_state``."""
        self.reset_state()

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["merge_mode"] = self.merge_mode
        config["layer"] = serialize(self.forward_layer)
        config["backward_layer"] = serialize(self.backward_layer)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Bidirectional:
        config = copy.deepcopy(config)
        config["layer"] = deserialize(config["layer"], custom_objects=custom_objects)
        backward = config.pop("backward_layer", None)
        if backward is not None:
            config["backward_layer"] = deserialize(backward, custom_objects=custom_objects)
        return super().from_config(config)


def _check_pair(forward: Layer, backward: Layer) -> None:
    if forward.go_backwards == backward.go_backwards:
        raise ValueError(
            "Forward layer and backward layer should have different `go_backwards` value. "
            f"Received: forward_layer.go_backwards {forward.go_backwards}, "
            f"backward_layer.go_backwards={backward.go_backwards}"
        )
    for attribute in ("stateful", "return_sequences", "return_state"):
        forward_value = getattr(forward, attribute)
        backward_value = getattr(backward, attribute)
        if forward_value != backward_value:
            raise ValueError(
                "Forward layer and backward layer are expected to have the same value for "
                f'attribute "{attribute}", got "{forward_value}" for forward layer and '
                f'"{backward_value}" for backward layer'
            )


# Layers whose call treats each sample on its own and changes no state: TimeDistributed
# runs them once on the steps folded into the batch axis, not once per step.
_PER_SAMPLE = (
    Dense,
    Conv1D,
    Conv2D,
    MaxPooling1D,
    MaxPooling2D,
    AveragePooling1D,
    AveragePooling2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
)


class TimeDistributed(Layer):
    """Applies a layer to every step (axis 1) of its input, with shared weights.

    Args:
        layer: The layer applied to each ``inputs[:, t]``.
        **kwargs: Base layer arguments.

    >>> import heft
    >>> layer = TimeDistributed(heft.layers.Dense(2, name="dense"), name="time_distributed")
    >>> layer(heft.ops.ones((4, 3, 5))).shape
    (4, 3, 2)
    >>> layer.weights[0].path
    'time_distributed/dense/kernel'
    """

    def __init__(self, layer: Layer, **kwargs: Any) -> None:
        if not isinstance(layer, Layer):
            raise ValueError(
                "Please initialize `TimeDistributed` layer with a `heft.layers.Layer` "
                f"instance. Received: {layer}"
            )
        super().__init__(**kwargs)
        self.layer = layer
        self.supports_masking = True

    def _child_input_shape(self, input_shape: Any) -> tuple:
        if not isinstance(input_shape, tuple | list) or len(input_shape) < 3:
            raise ValueError(
                f"`TimeDistributed` Layer '{self.name}' should be passed an `input_shape` with "
                f"at least 3 dimensions (batch, time, ...), received: {input_shape}"
            )
        return (input_shape[0], *tuple(input_shape)[2:])

    def build(self, input_shape: Any) -> None:
        child_shape = self._child_input_shape(input_shape)
        if not self.layer.built:
            self.layer.build(child_shape)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        child = tuple(self.layer.compute_output_shape(self._child_input_shape(input_shape)))
        return (child[0], input_shape[1], *child[1:])

    def call(self, inputs: Any, training: bool | None = None, mask: Any = None) -> Any:
        self._child_input_shape(tuple(inputs.shape))
        if mask is not None:
            self._check_mask(mask, inputs)
        kwargs: dict[str, Any] = {}
        if self.layer._call_has_training_arg:
            kwargs["training"] = training
        has_mask = "mask" in self.layer._call_params and mask is not None
        batch, steps = inputs.shape[0], inputs.shape[1]
        if type(self.layer) in _PER_SAMPLE:
            folded = jnp.reshape(inputs, (batch * steps, *inputs.shape[2:]))
            out = self.layer.call(folded, **kwargs)
            return jnp.reshape(out, (batch, steps, *out.shape[1:]))
        outputs = []
        for t in range(steps):
            if has_mask:
                kwargs["mask"] = mask[:, t]
            outputs.append(self.layer.call(inputs[:, t], **kwargs))
        return jnp.stack(outputs, axis=1)

    def _check_mask(self, mask: Any, inputs: Any) -> None:
        if mask.ndim < 2:
            raise ValueError(
                f"The `mask` passed to the `TimeDistributed` layer '{self.name}' must be at "
                f"least 2D (e.g., `(batch_size, timesteps)`), but it has {mask.ndim} "
                f"dimension(s) with shape {tuple(mask.shape)}."
            )
        if tuple(mask.shape[:2]) != tuple(inputs.shape[:2]):
            raise ValueError(
                f"The `mask` passed to the `TimeDistributed` layer '{self.name}' has a shape "
                f"{tuple(mask.shape)} that is incompatible with the input shape "
                f"{tuple(inputs.shape)}. The first two dimensions of the mask (batch size and "
                "timesteps) must match the input's first two dimensions."
            )

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["layer"] = serialize(self.layer)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> TimeDistributed:
        config = dict(config)
        layer = deserialize(config.pop("layer"), custom_objects=custom_objects)
        return cls(layer, **config)
