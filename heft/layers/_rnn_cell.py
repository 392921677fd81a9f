"""What recurrent cells share: dropout masks per sequence, argument checks, stacking."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import jax.numpy as jnp
import numpy as np

from .. import random
from ._arguments import set_arguments, weight_arguments
from ._configured import configured_weight
from ._layer import Layer

# The constructor arguments SimpleRNN, GRU and LSTM (and their cells) share, in
# the order Keras writes them in configs; each class adds its own.
_WEIGHT_ARGUMENTS = weight_arguments("kernel", "recurrent", "bias")
SIMPLE_RNN_ARGUMENTS = (
    "units",
    "activation",
    "use_bias",
    *_WEIGHT_ARGUMENTS,
    "dropout",
    "recurrent_dropout",
)
GRU_ARGUMENTS = (
    "units", "activation", "recurrent_activation", "use_bias", *_WEIGHT_ARGUMENTS,
    "dropout", "recurrent_dropout", "reset_after",
)  # fmt: skip
LSTM_ARGUMENTS = (
    "units", "activation", "recurrent_activation", "use_bias", "unit_forget_bias",
    *_WEIGHT_ARGUMENTS, "dropout", "recurrent_dropout",
)  # fmt: skip
# The arguments SimpleRNN, GRU and LSTM pass to the RNN base instead of their cell.
RNN_LAYER_ARGUMENTS = (
    "return_sequences",
    "return_state",
    "go_backwards",
    "stateful",
    "unroll",
    "activity_regularizer",
)


def set_cell_arguments(cell: Any, values: Mapping[str, Any], names: Sequence[str]) -> None:
    """Set ``cell.<name>`` for each of ``names`` from ``values``, resolved as Keras's cells do.

    ``units`` becomes an int, the dropout rates are clipped to ``[0, 1]``, and
    activations, initializers, regularizers and constraints go through their ``get``.

    >>> from types import SimpleNamespace
    >>> cell = SimpleNamespace()
    >>> set_cell_arguments(cell, {"units": 2.0, "dropout": 1.5, "activation": "tanh"},
    ...                    ("units", "dropout", "activation"))
    >>> cell.units, cell.dropout, cell.activation.__name__
    (2, 1.0, 'tanh')
    """
    for name in names:
        value = values[name]
        if name == "units":
            value = int(value)
        elif name in ("dropout", "recurrent_dropout"):
            value = min(1.0, max(0.0, value))
        set_arguments(cell, {name: value}, (name,))


def cell_kernels(cell: Any, input_dim: int, width: int) -> tuple[Any, Any]:
    """A cell's ``kernel`` ``(input_dim, width)`` and ``recurrent_kernel`` ``(units, width)``.

    Each is made with the cell's ``kernel_*`` or ``recurrent_*`` initializer,
    regularizer and constraint; ``width`` is ``units`` times the number of gates.
    """
    kernel = configured_weight(cell, "kernel", (input_dim, width), "kernel")
    recurrent = configured_weight(cell, "recurrent_kernel", (cell.units, width), "recurrent")
    return kernel, recurrent


def check_units(units: Any, layer_class: str, kwargs: dict[str, Any]) -> None:
    """Raise if ``units`` is not a positive int, naming the layer being made.

    >>> check_units(4, "LSTM", {})
    """
    if isinstance(units, bool) or not isinstance(units, int | np.integer) or units <= 0:
        name = kwargs.get("name")
        where = f"{layer_class} layer '{name}'" if name else f"{layer_class} layer"
        raise ValueError(
            f"{where}: Received an invalid value for argument `units`, expected a positive "
            f"integer, got {units!r}. Pass the size of the output and state, e.g. units=32."
        )


def cell_property(name: str) -> property:
    """A read-only attribute of a recurrent layer that reads its cell's ``name``.

    >>> cell_property("units").__doc__
    "The cell's ``units``."
    """
    return property(lambda self: getattr(self.cell, name), doc=f"The cell's ``{name}``.")


_LayerClass = TypeVar("_LayerClass", bound=type)


def cell_properties(names: Sequence[str]) -> Callable[[_LayerClass], _LayerClass]:
    """A class decorator giving a recurrent layer one :func:`cell_property` per name.

    >>> @cell_properties(("units",))
    ... class Layer:
    ...     cell = type("Cell", (), {"units": 3})
    >>> Layer().units
    3
    """

    def decorate(cls: _LayerClass) -> _LayerClass:
        for name in names:
            setattr(cls, name, cell_property(name))
        return cls

    return decorate


def check_use_cudnn(use_cudnn: Any, layer_class: str, kwargs: dict[str, Any]) -> None:
    """Raise if ``use_cudnn`` is not ``"auto"``, True or False.

    >>> check_use_cudnn("auto", "GRU", {})
    """
    if use_cudnn not in ("auto", True, False):
        name = kwargs.get("name")
        where = f"{layer_class} layer '{name}'" if name else f"{layer_class} layer"
        raise ValueError(
            f"{where}: Invalid value received for argument `use_cudnn`. Expected one of "
            f"{{'auto', True, False}}. Received: use_cudnn={use_cudnn!r}"
        )


class DropoutRNNCell:
    """Mixin of recurrent cells: dropout masks drawn once per sequence, reused at each step.

    A cell using it has ``dropout``, ``recurrent_dropout``, ``seed_generator`` and,
    for one mask per gate, ``dropout_mask_count``. Masks stay cached until reset,
    so every step of a sequence drops the same units.
    """

    # The arguments a cell sets with ``set_cell_arguments``, declared for type checkers.
    units: int
    activation: Callable[..., Any]
    use_bias: bool
    kernel_initializer: Any
    recurrent_initializer: Any
    bias_initializer: Any
    kernel_regularizer: Any
    recurrent_regularizer: Any
    bias_regularizer: Any
    kernel_constraint: Any
    recurrent_constraint: Any
    bias_constraint: Any
    dropout: float
    recurrent_dropout: float
    seed_generator: Any

    def _draw_masks(self, like: Any, rate: float) -> Any:
        ones = jnp.ones_like(like)
        count = getattr(self, "dropout_mask_count", None)
        draws = [
            random.dropout(ones, rate, seed=self.seed_generator.next()) for _ in range(count or 1)
        ]
        return draws[0] if count is None else draws

    def get_dropout_mask(self, step_input: Any) -> Any:
        """The input mask(s) for inputs shaped like ``step_input`` (drawn on first use)."""
        if self.__dict__.get("_dropout_mask") is None and self.dropout > 0:
            masks = self._draw_masks(step_input, self.dropout)
            object.__setattr__(self, "_dropout_mask", masks)
        return self.__dict__.get("_dropout_mask")

    def get_recurrent_dropout_mask(self, step_state: Any) -> Any:
        """The recurrent mask(s) for states shaped like ``step_state`` (drawn on first use)."""
        rate = self.recurrent_dropout
        if self.__dict__.get("_recurrent_dropout_mask") is None and rate > 0:
            object.__setattr__(self, "_recurrent_dropout_mask", self._draw_masks(step_state, rate))
        return self.__dict__.get("_recurrent_dropout_mask")

    def reset_dropout_mask(self) -> None:
        object.__setattr__(self, "_dropout_mask", None)

    def reset_recurrent_dropout_mask(self) -> None:
        object.__setattr__(self, "_recurrent_dropout_mask", None)

    def _active_masks(self, inputs: Any, states: Any, training: Any) -> tuple[Any, Any]:
        """The (input, recurrent) masks to apply in this call, or ``None`` for each."""
        step_input = inputs if inputs.ndim == 2 else inputs[:, 0]
        input_mask = recurrent_mask = None
        if training and 0.0 < self.dropout < 1.0:
            input_mask = self.get_dropout_mask(step_input)
        if training and 0.0 < self.recurrent_dropout < 1.0 and states is not None:
            recurrent_mask = self.get_recurrent_dropout_mask(states[0])
        return input_mask, recurrent_mask

    def _prepare_masks(self, step_input: Any, step_state: Any) -> None:
        """Before a sequence: draw the masks the steps will share (in any mode, as Keras)."""
        self.get_dropout_mask(step_input)
        self.get_recurrent_dropout_mask(step_state)

    @staticmethod
    def _apply_mask(x: Any, mask: Any) -> Any:
        """``x * mask`` with a ``(batch, features)`` mask broadcast over a time axis."""
        if x.ndim == 3:
            mask = mask[:, None, :]
        return x * mask

    def _sequence_kernel(self, training: Any) -> Any:
        """A function running the whole recurrence at once, or ``None`` (step by step).

        It takes ``(sequences, states, mask, go_backwards, return_sequences)``, with
        batch-major ``sequences`` and a ``(batch, time)`` boolean mask or ``None``, and
        returns ``(sequence of first states, batch-major, or None; final states)``.
        """
        return None

    def _uses_fast_path(self) -> bool:
        """Whether ``call`` is the class's own (not overridden), so the RNN may split it."""
        return type(self).call is getattr(type(self), "_fused_call", None)


class StackedRNNCells(Layer):
    """Cells run one after the other at each step: a deep RNN in one loop.

    Args:
        cells: The cells, first to last; each one's output feeds the next.
        **kwargs: Base layer arguments.

    >>> import heft
    >>> cells = [heft.layers.SimpleRNNCell(3), heft.layers.SimpleRNNCell(2)]
    >>> heft.layers.RNN(StackedRNNCells(cells))(heft.ops.ones((1, 4, 5))).shape
    (1, 2)
    """

    def __init__(self, cells: list, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        for cell in cells:
            if "call" not in dir(cell) or "state_size" not in dir(cell):
                raise ValueError(
                    "All cells must have a `call` method and a `state_size` attribute. "
                    f"Received cell: {cell}"
                )
        self.cells = list(cells)

    @property
    def state_size(self) -> list:
        return [c.state_size for c in self.cells]

    @property
    def output_size(self) -> int:
        last = self.cells[-1]
        if getattr(last, "output_size", None) is not None:
            return last.output_size
        size = last.state_size
        return size[0] if isinstance(size, list | tuple) else size

    def get_initial_state(self, batch_size: int | None = None) -> list:
        states = []
        for cell in self.cells:
            fn = getattr(cell, "get_initial_state", None)
            if fn is not None:
                states.append(fn(batch_size=batch_size))
            else:
                sizes = cell.state_size if isinstance(cell.state_size, list | tuple) else None
                zeros = [jnp.zeros((batch_size, d), self.compute_dtype) for d in sizes or []]
                states.append(zeros or jnp.zeros((batch_size, cell.state_size), self.compute_dtype))
        return states

    def build(self, input_shape: Any) -> None:
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell.build(input_shape)
            size = getattr(cell, "output_size", None)
            if size is None:
                size = cell.state_size[0] if isinstance(cell.state_size, list) else cell.state_size
            input_shape = (input_shape[0], size)

    def call(self, inputs: Any, states: Any, training: bool | None = False) -> tuple:
        new_states = []
        for cell, cell_states in zip(self.cells, states, strict=False):
            was_list = isinstance(cell_states, list | tuple)
            cell_states = list(cell_states) if was_list else [cell_states]
            kwargs = {}
            if isinstance(cell, Layer) and cell._call_has_training_arg:
                kwargs["training"] = training
            inputs, cell_states = cell(inputs, cell_states, **kwargs)
            if len(cell_states) == 1 and not was_list:
                cell_states = cell_states[0]
            new_states.append(cell_states)
        if len(new_states) == 1:
            return inputs, new_states[0]
        return inputs, new_states

    def get_config(self) -> dict[str, Any]:
        from ._serialization import serialize

        config = super().get_config()
        config["cells"] = [serialize(cell) for cell in self.cells]
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> StackedRNNCells:
        from ._serialization import deserialize

        config = dict(config)
        cells = [deserialize(c, custom_objects=custom_objects) for c in config.pop("cells")]
        return cls(cells, **config)
