"""``Functional``: a model defined by calling layers on symbolic ``Input`` tensors."""

from __future__ import annotations

import inspect
from typing import Any

import jax

from .. import _symbolic
from .._operation import Operation
from ..layers._layer import Layer
from ..layers._node import node_of
from ._graph import Graph, clone_from_tensors
from ._input_rank import adjust_input_rank
from ._model import Model


class Functional(Model):
    """A model given by its inputs and outputs: ``Model(inputs, outputs)``.

    A ``Model`` subclass constructed the same way (``CustomModel(inputs,
    outputs)``) is a Functional model too: see :func:`functional_class`.

    Args:
        inputs: An ``Input`` tensor, or a list or dict of them. A tensor computed by
            layers may stand in for an ``Input``: as in Keras, the model then starts
            from a fresh ``Input`` of its shape (see :func:`clone_from_tensors`).
        outputs: Tensors computed from ``inputs`` by layers; one, a list or a dict.
        name: The model's name.
        trainable: Whether the model's weights are trainable.

    Raises:
        ValueError: If ``inputs`` or ``outputs`` hold anything but symbolic tensors,
            or an output does not follow from ``inputs``.

    >>> import heft
    >>> x = heft.Input(shape=(3,))
    >>> y = heft.layers.Dense(2, name="d1")(x)
    >>> model = heft.Model(x, y)
    >>> [w.path for w in model.weights]
    ['d1/kernel', 'd1/bias']
    """

    def __init__(
        self,
        inputs: Any,
        outputs: Any,
        name: str | None = None,
        trainable: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, trainable=trainable, **kwargs)
        for role, value in (("inputs", inputs), ("outputs", outputs)):
            leaves = jax.tree_util.tree_leaves(value, is_leaf=_symbolic.is_symbolic)
            bad = [leaf for leaf in leaves if not isinstance(leaf, _symbolic.KerasTensor)]
            if bad or not leaves:
                raise ValueError(
                    f"All `{role}` of a Functional model must be symbolic tensors (from "
                    f"`heft.Input` and layer calls). Received: {role}={value!r}"
                )
        if not all(node_of(t).is_input for t in _symbolic.symbolic_leaves(inputs)):
            inputs, outputs = clone_from_tensors(inputs, outputs)
        graph = Graph(_symbolic.symbolic_leaves(inputs), _symbolic.symbolic_leaves(outputs))
        object.__setattr__(self, "_inputs_struct", inputs)
        object.__setattr__(self, "_outputs_struct", outputs)
        object.__setattr__(self, "_graph", graph)
        for layer in graph.operations:
            if isinstance(layer, Layer):
                self._tracker.add(layer)
        self.built = True

    def _lock_state(self) -> None:
        """A Functional model stays open to new state after it is made, as in Keras.

        A subclass may attach a metric or a layer outside the graph in its
        ``__init__``; the graph's layers are fixed by the graph itself.
        """

    @property
    def layers(self) -> list[Layer]:
        """The model's layers (input layers included), in graph order."""
        return [layer for layer in self._graph.operations if isinstance(layer, Layer)]

    @property
    def operations(self) -> list[Operation]:
        """The layers and the ops (``x * 2``, custom ``heft.Operation``s), in graph order."""
        return list(self._graph.operations)

    @property
    def inputs(self) -> list[_symbolic.KerasTensor]:
        return _symbolic.symbolic_leaves(self._inputs_struct)

    @property
    def outputs(self) -> list[_symbolic.KerasTensor]:
        return _symbolic.symbolic_leaves(self._outputs_struct)

    @property
    def input(self) -> Any:
        """The symbolic inputs as given to the constructor (a tensor, list or dict)."""
        return self._inputs_struct

    @property
    def output(self) -> Any:
        """The symbolic outputs as given to the constructor (a tensor, list or dict)."""
        return self._outputs_struct

    @property
    def output_names(self) -> list[str]:
        """Names of the outputs: dict keys, else the names of the layers producing them."""
        if isinstance(self._outputs_struct, dict):
            return list(self._outputs_struct)
        return [t._keras_history.operation.name for t in self.outputs]

    @property
    def input_shape(self) -> Any:
        shapes = [t.shape for t in self.inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self) -> Any:
        shapes = [t.shape for t in self.outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    def _maybe_build(self, args: tuple, kwargs: dict) -> None:
        """A Functional model is built when it is created."""

    def _flatten_call_inputs(self, inputs: Any) -> list[Any]:
        structure = self._inputs_struct
        if isinstance(structure, dict):
            if not isinstance(inputs, dict):
                raise ValueError(
                    f"Model '{self.name}' expects a dict of inputs with keys "
                    f"{sorted(structure)}; received {type(inputs).__name__}."
                )
            missing = sorted(set(structure) - set(inputs))
            if missing:
                raise ValueError(f"Model '{self.name}' is missing inputs {missing}.")
            # In the order of ``self.inputs`` (flattening sorts dict keys).
            return [inputs[k] for k in sorted(structure)]
        expected = self.inputs
        if len(expected) == 1:
            if isinstance(inputs, list | tuple) and len(inputs) == 1:
                inputs = inputs[0]
            return [inputs]
        if isinstance(inputs, dict):
            names = [t._keras_history.operation.name for t in expected]
            return [inputs[n] for n in names]
        if not isinstance(inputs, list | tuple) or len(inputs) != len(expected):
            raise ValueError(
                f"Model '{self.name}' expects {len(expected)} inputs but received "
                f"{len(inputs) if isinstance(inputs, list | tuple) else 1} input(s). "
                "Pass a list with one array per input."
            )
        return list(inputs)

    def call(self, inputs: Any, training: bool | None = None, mask: Any = None) -> Any:
        # Values by `id` of the symbolic tensor they stand for, filled call by call.
        values: dict[int, Any] = {}
        flat = adjust_input_rank(self.name, self.inputs, self._flatten_call_inputs(inputs))
        for tensor, value in zip(self.inputs, flat, strict=True):
            values[id(tensor)] = value
        for node in self._graph.nodes:
            call_args, call_kwargs = node.arguments(values)
            # `training` reaches the layer through the call context, not the recorded value.
            call_kwargs.pop("training", None)
            result = node.operation(*call_args, **call_kwargs)
            for tensor, value in zip(
                node.output_tensors, jax.tree_util.tree_leaves(result), strict=True
            ):
                values[id(tensor)] = value
        result = jax.tree_util.tree_map(
            lambda t: values[id(t)], self._outputs_struct, is_leaf=_symbolic.is_symbolic
        )
        # As Keras: outputs given as a one-element list or tuple come back unwrapped.
        if isinstance(result, list | tuple) and len(result) == 1:
            return result[0]
        return result

    def compute_output_spec(self, inputs: Any, training: Any = None, mask: Any = None) -> Any:
        return self.call(inputs)

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict[str, Any]:
        """Layers with their inbound calls, and the input and output layers (Keras's form)."""
        from ._functional_config import functional_config

        return functional_config(self)

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Functional:
        """Rebuild the model (new layers, same graph) from ``get_config()``'s output.

        Raises:
            ValueError: If a layer's inputs refer to layers or calls the config lacks.
        """
        from ..saving import _allocation
        from ._functional_config import functional_from_config

        # In safe mode the variables' total size is checked before anything is built.
        return _allocation.checked(
            lambda: functional_from_config(cls, config, custom_objects),
            _allocation.describe_model_config(cls, config),
        )


def functional_class(cls: type) -> type[Functional]:
    """The class of a ``cls`` model built the Functional way, ``cls(inputs, outputs)``.

    ``Model`` gives ``Functional`` and a ``Functional`` subclass gives itself. Any
    other ``Model`` subclass gives a class derived from it and ``Functional``, in
    that order, so the subclass's methods (``train_step``, ``compute_loss``, its
    own helpers and ``__init__``) override Functional's, and Functional's override
    ``Model``'s: the model is an instance of both. The derived class bears the
    subclass's name and module, is made once per subclass, and leaves the subclass
    itself unchanged, so the same class still makes subclassed models (with
    ``call``) when constructed without tensors. Keras 3 reaches the same result by
    swapping ``Model`` for ``Functional`` in the subclass's bases.

    >>> import heft
    >>> class CustomModel(heft.Model):
    ...     def helper(self):
    ...         return "mine"
    >>> x = heft.Input((3,))
    >>> model = CustomModel(x, heft.layers.Dense(2)(x))
    >>> isinstance(model, CustomModel), isinstance(model, Functional), model.helper()
    (True, True, 'mine')
    >>> type(model) is functional_class(CustomModel), type(model).__name__
    (True, 'CustomModel')
    """
    if issubclass(cls, Functional):
        return cls
    if cls is Model:
        return Functional
    derived = cls.__dict__.get("_heft_functional_class")
    if derived is None:
        derived = type(
            cls.__name__,
            (cls, Functional),
            {
                "__module__": cls.__module__,
                "__qualname__": cls.__qualname__,
                "__doc__": cls.__doc__,
                # The class configs and saved files name (see `_registry.serialize_object`).
                "_heft_serialized_class": cls,
            },
        )
        type.__setattr__(cls, "_heft_functional_class", derived)
    return derived


def accepts_functional_arguments(cls: type) -> bool:
    """Whether ``cls(inputs=..., outputs=..., name=..., trainable=...)`` makes a model of ``cls``.

    True for ``Model``, ``Functional``, and subclasses whose ``__init__`` has
    Functional's parameters or takes ``*args, **kwargs`` (Keras's rule for reviving
    a Functional config as the subclass and for cloning into it).
    """
    if cls in (Model, Functional):
        return True
    spec = inspect.getfullargspec(cls.__init__)
    if spec.args[1:] == inspect.getfullargspec(Functional.__init__).args[1:]:
        return True
    return spec.varargs is not None and spec.varkw is not None
