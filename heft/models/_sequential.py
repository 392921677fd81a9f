"""``Sequential``: a plain stack of layers, each feeding the next."""

from __future__ import annotations

from typing import Any

from .. import _symbolic
from ..layers._input_layer import InputLayer
from ..layers._layer import Layer
from ._input_rank import adjust_input_rank
from ._model import Model


class Sequential(Model):
    """A model whose layers run one after the other.

    The first layer may be an ``Input`` (or an ``InputLayer``), or any layer
    given ``input_shape=``; the model is then built at once and its weights
    exist. Otherwise it is built on its first call or by ``build(input_shape)``.

    Args:
        layers: Layers to add, in order.
        trainable: Whether the model's weights are trainable.
        name: The model's name.

    >>> import heft
    >>> model = Sequential([heft.Input(shape=(784,)), heft.layers.Dense(64), heft.layers.Dense(10)])
    >>> [w.path for w in model.weights]
    ['sequential/dense/kernel', 'sequential/dense/bias', 'sequential/dense_1/kernel', 'sequential/dense_1/bias']
    """

    def __init__(
        self, layers: list[Any] | None = None, trainable: bool = True, name: str | None = None
    ) -> None:
        super().__init__(trainable=trainable, name=name)
        if layers is not None and not isinstance(layers, list | tuple):
            raise TypeError(
                f"`layers` must be a list of layers. Received: layers={layers!r} "
                f"(of type {type(layers).__name__})"
            )
        for layer in layers or ():
            self.add(layer, rebuild=False)
        self._maybe_rebuild()

    def _lock_state(self) -> None:
        """Unlike other layers, a Sequential model stays editable after build."""

    def add(self, layer: Any, rebuild: bool = True) -> None:
        """Append ``layer`` (or an ``Input``) to the stack.

        Raises:
            ValueError: If ``layer`` is not a layer, if its name is already used in this model, or a second
                input is added.
        """
        if isinstance(layer, _symbolic.KerasTensor):
            history = layer._keras_history
            if history is None or not isinstance(history.operation, InputLayer):
                raise ValueError(
                    "Only an input tensor from `heft.Input()` can be added to a Sequential "
                    f"model; received the symbolic output of a layer: {layer}. Add the layer "
                    "itself instead."
                )
            layer = history.operation
        if not isinstance(layer, Layer):
            raise ValueError(
                "Only instances of `heft.layers.Layer` can be added to a Sequential model. "
                f"Received: {layer} (of type {type(layer)})"
            )
        existing = self._tracker.layers
        if isinstance(layer, InputLayer):
            if existing and isinstance(existing[0], InputLayer):
                raise ValueError(
                    f"Sequential model '{self.name}' has already been configured to use input "
                    f"shape {existing[0].batch_shape}. You cannot add a different Input layer "
                    "to it."
                )
            if existing:
                raise ValueError(
                    "An Input can only be the first element of a Sequential model; "
                    f"'{self.name}' already has layers {[x.name for x in existing]}."
                )
        if any(other.name == layer.name for other in existing):
            raise ValueError(
                "All layers added to a Sequential model should have unique names. Name "
                f"'{layer.name}' is already the name of a layer in this model. Update the "
                "`name` argument to pass a unique name."
            )
        if not existing and not isinstance(layer, InputLayer):
            batch_shape = layer.__dict__.get("_batch_input_shape_arg")
            if batch_shape is not None:
                self._tracker.add(InputLayer(batch_shape=batch_shape))
        self._tracker.add(layer)
        if rebuild:
            self._maybe_rebuild()
        else:
            self.built = False

    def pop(self, rebuild: bool = True) -> Layer:
        """Remove and return the last layer."""
        layers = self.layers
        if not layers:
            raise IndexError(f"There are no layers in Sequential model '{self.name}' to pop.")
        layer = layers[-1]
        self._tracker.remove(layer)
        self.built = False
        if rebuild:
            self._maybe_rebuild()
        return layer

    @property
    def layers(self) -> list[Layer]:
        """The layers, without the input layer."""
        layers = list(self._tracker.layers)
        if layers and isinstance(layers[0], InputLayer):
            return layers[1:]
        return layers

    def _maybe_rebuild(self) -> None:
        self.built = False
        layers = self._tracker.layers
        if layers and isinstance(layers[0], InputLayer) and len(layers) > 1:
            self.build(layers[0].batch_shape)

    def build(self, input_shape: Any = None) -> None:
        layers = self._tracker.layers
        if layers and isinstance(layers[0], InputLayer):
            if input_shape is not None and tuple(input_shape)[1:] != layers[0].batch_shape[1:]:
                raise ValueError(
                    f"Sequential model '{self.name}' was declared with input shape "
                    f"{layers[0].batch_shape}, but is built with {tuple(input_shape)}. "
                    "Pass data of the declared shape."
                )
            inputs = layers[0].output
        else:
            if input_shape is None:
                raise ValueError(
                    f"You must provide an `input_shape` argument to build Sequential model "
                    f"'{self.name}', or give its first layer an `Input`."
                )
            shape = (None, *tuple(input_shape)[1:])
            input_layer = InputLayer(batch_shape=shape)
            self._tracker.layers.insert(0, input_layer)
            self._tracker._ids.add(id(input_layer))
            inputs = input_layer.output
        x = inputs
        for layer in self.layers:
            try:
                x = layer(x)
            except (ValueError, TypeError) as err:
                raise type(err)(
                    f"Sequential model '{self.name}' could not build layer '{layer.name}' "
                    f"({type(layer).__name__}) on input shape {getattr(x, 'shape', x)}: {err}"
                ) from None
        self._inputs_spec = inputs
        self._outputs_spec = x

    def _maybe_build(self, args: tuple, kwargs: dict) -> None:
        if self.built:
            return
        first = args[0] if args else None
        shape = tuple(getattr(first, "shape", ()))
        self.build((None, *shape[1:]) if shape else None)

    def call(self, inputs: Any, training: bool | None = None, mask: Any = None) -> Any:
        x = inputs
        spec = self.__dict__.get("_inputs_spec")
        if spec is not None and not isinstance(x, list | tuple | dict):
            (x,) = adjust_input_rank(self.name, [spec], [x])
        for layer in self.layers:
            if layer._call_spec.has_training_arg:
                x = layer(x, training=training)
            else:
                x = layer(x)
        return x

    def compute_output_spec(self, inputs: Any, training: Any = None, mask: Any = None) -> Any:
        x = inputs
        for layer in self.layers:
            x = layer(x)
        return x

    @property
    def input_shape(self) -> tuple:
        layers = self._tracker.layers
        if layers and isinstance(layers[0], InputLayer):
            return layers[0].batch_shape
        raise AttributeError(f"Sequential model '{self.name}' has no defined input shape yet.")

    @property
    def output_shape(self) -> tuple:
        if not self.built:
            raise AttributeError(f"Sequential model '{self.name}' is not built yet.")
        return self._outputs_spec.shape

    @property
    def inputs(self) -> list[Any]:
        return [self._inputs_spec] if self.built else []

    @property
    def outputs(self) -> list[Any]:
        return [self._outputs_spec] if self.built else []

    def get_config(self) -> dict[str, Any]:
        from ..layers import serialize

        config = super().get_config()
        config.pop("activity_regularizer", None)
        config["layers"] = [serialize(layer) for layer in self._tracker.layers]
        layers = self._tracker.layers
        if self.built and layers and isinstance(layers[0], InputLayer):
            config["build_input_shape"] = list(layers[0].batch_shape)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Sequential:
        """Rebuild the model (new layers) from ``get_config()``'s output.

        In safe mode (the default) the bytes of its variables are estimated
        first and refused over ``heft.saving.limits``' ``allocation_bytes``.
        """
        from ..saving import _allocation

        # In safe mode the variables' total size is checked before anything is built.
        return _allocation.checked(
            lambda: cls._from_config(config, custom_objects),
            _allocation.describe_model_config(cls, config),
        )

    @classmethod
    def _from_config(cls, config: dict[str, Any], custom_objects: Any) -> Sequential:
        from ..layers import deserialize

        config = dict(config)
        layer_configs = config.pop("layers", [])
        build_input_shape = config.pop("build_input_shape", None)
        config.pop("dtype", None)
        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for layer_config in layer_configs:
            # Layers are built by the model, inside its name scope, not one by one.
            layer_config = {k: v for k, v in layer_config.items() if k != "build_config"}
            model.add(deserialize(layer_config, custom_objects), rebuild=False)
        if build_input_shape is not None and not model.built:
            model._maybe_rebuild()
            if not model.built:
                model.build(tuple(build_input_shape))
        return model
