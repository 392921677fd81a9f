"""``Layer``: the base class that creates, tracks, exposes and sets weights."""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

import jax

from .. import _naming, _remat, _scope, _switches, _symbolic
from .. import dtype_policies as _dtype_policies
from .._operation import Operation
from .._symbolic_scope import SymbolicScope
from . import _layer_build, _layer_call
from ._input_spec import InputSpec
from ._layer_call import CallSpec
from ._layer_weights import LayerWeights


class Layer(LayerWeights, Operation):
    """The base class of every layer: state (weights) plus a computation (``call``).

    A layer is an ``heft.Operation`` with state: ``isinstance(layer, heft.Operation)``
    holds for every layer, as in Keras.

    Subclasses create weights with ``add_weight`` in ``__init__`` or ``build``
    and define ``call``. Calling the layer builds it on the first call, from the
    input's shape.

    The class is assembled from parts that each do one job: tracking and the
    state lists (``weights``, ``variables``, ``losses``; ``_layer_state.py``),
    weight creation and values (``add_weight``, ``get_weights``, ``set_weights``;
    ``_layer_weights.py``), the call pipeline (``_layer_call.py``, with masks in
    ``_layer_masks.py`` and graph nodes in ``_node.py``) and the build wrapper
    (``_layer_build.py``). This class holds the contract a subclass works with:
    construction, names and dtypes, ``build``/``call``/``compute_*``, the
    stateless call and the config.

    Args:
        activity_regularizer: Regularizer applied to the outputs; its value is
            added to ``losses`` after each call.
        trainable: Whether the layer's weights are updated in training.
        dtype: A dtype name or ``DTypePolicy`` (``"mixed_bfloat16"``...).
        autocast: Whether float variables are read in the compute dtype.
        name: The layer's name; defaults to the snake_case class name, made unique.
        input_shape: For the first layer of a ``Sequential``, the shape of one sample.
        input_dim: Shorthand for ``input_shape=(input_dim,)``.

    >>> import heft
    >>> class Scale(heft.layers.Layer):
    ...     def build(self, input_shape):
    ...         self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")
    ...     def call(self, x):
    ...         return x * self.w
    >>> layer = Scale()
    >>> layer(heft.ops.ones((2, 3))).shape
    (2, 3)
    >>> [w.path for w in layer.weights]
    ['scale/w']
    """

    _tracking_kind = "layer"
    # A layer's config is what its `get_config` writes, never its constructor's arguments.
    _auto_config_from_init = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        build = cls.__dict__.get("build")
        if build is not None and not _layer_build.is_wrapped(build):
            cls.build = _layer_build.wrap_build(build)  # type: ignore[method-assign]

    def __init__(
        self,
        *,
        activity_regularizer: Any = None,
        trainable: bool = True,
        dtype: Any = None,
        autocast: bool = True,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        from .. import regularizers

        input_dim = kwargs.pop("input_dim", None)
        input_shape = (input_dim,) if input_dim is not None else kwargs.pop("input_shape", None)
        batch_input_shape = kwargs.pop("batch_input_shape", None)
        if kwargs:
            raise ValueError(
                f"Unrecognized keyword arguments passed to {type(self).__name__}: {kwargs}. "
                "Check the spelling of the argument names against the layer's signature."
            )
        if not isinstance(trainable, bool):
            raise ValueError(
                f"Expected `trainable` to be a boolean. Received: trainable={trainable} "
                f"(of type {type(trainable)}). Pass True or False."
            )
        if name is None:
            name = _naming.auto_name(type(self).__name__)
        elif not isinstance(name, str) or "/" in name:
            raise ValueError(
                "Argument `name` must be a string and cannot contain character `/`. "
                f"Received: name={name}"
            )
        self._name = name
        self._ensure_tracker()
        self._called_super_init = True
        # The `heft.RematScope` open when the layer is made decides whether its calls remat.
        self._remat_mode = _remat.current_mode()
        self._dtype_policy = _dtype_policies.get(dtype)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        if batch_input_shape is not None:
            self._batch_input_shape_arg = tuple(batch_input_shape)
        elif input_shape is not None:
            if isinstance(input_shape, int):
                input_shape = (input_shape,)
            self._batch_input_shape_arg = (None, *tuple(input_shape))
        else:
            self._batch_input_shape_arg = None
        self._path: str | None = None
        self.built = False
        self.autocast = autocast
        self._input_spec: InputSpec | list[InputSpec] | None = None
        self._trainable = trainable
        self._losses: list[Any] = []
        self._loss_ids: set[int] = set()
        self._build_shapes_dict: dict[str, Any] | None = None
        self._parent_path: str | None = None
        self._building = False
        self.supports_masking = type(self).compute_mask is not Layer.compute_mask
        self._call_spec = CallSpec(self.call)
        # The layer's symbolic calls (`Node`s), in call order; see `_node.py`.
        object.__setattr__(self, "_inbound_nodes", [])

    # Read by wrappers and recurrent layers, which pass `training`/`mask` on only when
    # the wrapped layer's `call` takes them.
    @property
    def _call_has_training_arg(self) -> bool:
        return self._call_spec.has_training_arg

    @property
    def _call_params(self) -> list[str]:
        return self._call_spec.params

    # ---------------------------------------------------------------- names and scopes
    @property
    def name(self) -> str:
        return self._name

    @property
    def path(self) -> str | None:
        """The layer's name-scope path, set when it is built (``None`` before)."""
        return self._path

    def _open_name_scope(self) -> _scope.name_scope:
        if self._parent_path is None:
            self._parent_path = _scope.current_path()
        return _scope.name_scope(self.name, caller=self)

    # ---------------------------------------------------------------- dtypes
    @property
    def dtype_policy(self) -> _dtype_policies.DTypePolicy:
        return self._dtype_policy

    @dtype_policy.setter
    def dtype_policy(self, value: Any) -> None:
        self._dtype_policy = _dtype_policies.get(value)

    @property
    def dtype(self) -> str:
        """The variable dtype (as in Keras, ``layer.dtype == layer.variable_dtype``)."""
        return self._dtype_policy.variable_dtype

    @property
    def compute_dtype(self) -> str:
        return self._dtype_policy.compute_dtype

    @property
    def variable_dtype(self) -> str:
        return self._dtype_policy.variable_dtype

    @property
    def input_dtype(self) -> str:
        return self._dtype_policy.compute_dtype

    # ---------------------------------------------------------------- build
    def build(self, input_shape: Any = None) -> None:
        """Create the layer's weights for inputs of ``input_shape``.

        The base version suits layers whose weights live in sublayers (subclassed
        models): called directly with a shape, it runs ``call`` once on symbolic
        inputs of that shape, which builds every sublayer.
        """
        if (
            input_shape is not None
            and not self.__dict__.get("_build_from_call")
            and any(not layer.built for layer in self._flatten_layers(include_self=False))
        ):
            with SymbolicScope():
                self.call(
                    _layer_build.shapes_to_symbolic(input_shape, self.compute_dtype, self.name)
                )
        self.built = True

    def _build_at_init(self) -> None:
        """Mark a layer whose state is complete after ``__init__`` as built (and lock it)."""
        self.built = True
        self._post_build()
        self._lock_state()

    def _post_build(self) -> None:
        """Hook run after ``build``; subclasses may override."""

    def _maybe_build(self, args: tuple, kwargs: dict) -> None:
        """Build on the first call, from the shape of the first input (or of each input)."""
        if self.built:
            return
        first = args[0] if args else next(iter(kwargs.values()), None)
        if first is None:
            self.build()
            return
        shapes = _layer_build.shapes_of(first)
        build_fn = type(self).build
        if build_fn is Layer.build:
            object.__setattr__(self, "_build_from_call", True)
            try:
                self.build(shapes)
            finally:
                object.__setattr__(self, "_build_from_call", False)
            return
        # `build(query_shape, value_shape)`: one shape per input, as Keras passes them.
        params = [p for p in inspect.signature(build_fn).parameters if p != "self"]
        if len(params) > 1 and all(p.endswith("_shape") for p in params[: len(args)]):
            self.build(*[_layer_build.shapes_of(a) for a in args])
        else:
            self.build(shapes)

    # ---------------------------------------------------------------- call
    def call(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f"Layer {type(self).__name__} does not have a `call()` method implemented. "
            "Define `call(self, inputs)` in your subclass."
        )

    @_switches.filter_traceback
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _layer_call.call_layer(self, args, kwargs)

    def _convert_input(self, x: Any) -> Any:
        """One input leaf as ``call`` receives it (arrays cast to the compute dtype)."""
        return _layer_call.convert_input(self, x)

    def compute_output_shape(self, *args: Any, **kwargs: Any) -> Any:
        """The output shape for an input shape; by default found by tracing ``call``."""
        spec = self.compute_output_spec(
            *[_symbolic.KerasTensor(s, self.compute_dtype) for s in args]
        )
        return jax.tree_util.tree_map(lambda t: t.shape, spec, is_leaf=_symbolic.is_symbolic)

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        if type(self).compute_output_shape is not Layer.compute_output_shape:
            shapes = [_layer_build.shapes_of(a) for a in args]
            out_shape = self.compute_output_shape(*shapes)
            return _layer_build.shape_to_spec(out_shape, self.compute_dtype)
        with _scope.StatelessScope():
            return _symbolic.compute_output_spec(self.call, args, kwargs)

    def compute_mask(self, inputs: Any, previous_mask: Any) -> Any:
        """The mask of the outputs, given the inputs and their mask.

        Called after ``call`` when ``supports_masking`` is true; the default passes
        the input's mask through unchanged. Override it in layers that change the
        time axis or make a mask of their own (``Embedding(mask_zero=True)``).
        """
        return previous_mask

    @property
    def input_spec(self) -> Any:
        return self._input_spec

    @input_spec.setter
    def input_spec(self, value: Any) -> None:
        self._input_spec = value

    @property
    def output(self) -> Any:
        """The symbolic output of the layer's (single) symbolic call."""
        nodes = self.__dict__.get("_inbound_nodes") or []
        if not nodes:
            raise AttributeError(
                f"Layer '{self.name}' has never been called on a symbolic input and thus "
                "has no defined output."
            )
        return nodes[-1].outputs

    def stateless_call(
        self,
        trainable_variables: Sequence[Any],
        non_trainable_variables: Sequence[Any],
        *args: Any,
        return_losses: bool = False,
        **kwargs: Any,
    ) -> Any:
        """Call the layer as a pure function of the given variable values.

        Nothing on the layer changes: assignments made during the call (moving
        statistics, seed generators) come back as the new non-trainable values.
        Usable inside ``jax.jit`` and ``jax.grad``.

        Args:
            trainable_variables: Values for ``layer.trainable_variables``, in order.
            non_trainable_variables: Values for ``layer.non_trainable_variables``.
            *args: The call's inputs.
            return_losses: Whether to also return the losses of the call.
            **kwargs: Other call arguments (``training=True``...).

        Returns:
            ``(outputs, non_trainable_values)``, or with ``return_losses``
            ``(outputs, non_trainable_values, losses)``.

        Raises:
            ValueError: If the layer is not built or the value lists have the wrong length.
        """
        self._check_super_called()
        if not self.built:
            raise ValueError(
                f"To call stateless_call, layer '{self.name}' must be built (i.e. its "
                "variables must have been already created). You can build it by calling it "
                "on some data."
            )
        trainable = self.trainable_variables
        non_trainable = self.non_trainable_variables
        if len(trainable_variables) != len(trainable):
            raise ValueError(
                "Argument `trainable_variables` must be a list of tensors corresponding 1:1 to "
                f"{type(self).__name__}().trainable_variables. Received list with length "
                f"{len(trainable_variables)}, but expected {len(trainable)} variables."
            )
        if len(non_trainable_variables) != len(non_trainable):
            raise ValueError(
                "Argument `non_trainable_variables` must be a list of tensors corresponding "
                f"1:1 to {type(self).__name__}().non_trainable_variables. Received list with "
                f"length {len(non_trainable_variables)}, but expected {len(non_trainable)} "
                "variables."
            )
        mapping = list(zip(trainable, trainable_variables, strict=True)) + list(
            zip(non_trainable, non_trainable_variables, strict=True)
        )
        with _scope.StatelessScope(mapping, collect_losses=return_losses) as scope:
            outputs = self(*args, **kwargs)
            losses = self.losses if return_losses else None
        new_non_trainable = [scope.get_current_value(v) for v in non_trainable]
        if return_losses:
            return outputs, new_non_trainable, losses
        return outputs, new_non_trainable

    # ---------------------------------------------------------------- config
    def get_config(self) -> dict[str, Any]:
        """The constructor arguments as a JSON-compatible dict."""
        from .. import regularizers

        config: dict[str, Any] = {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": _dtype_policies.serialize(self.dtype_policy),
        }
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        """Create a layer from ``get_config()``'s output."""
        config = dict(config)
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = _dtype_policies.get(config["dtype"])
        try:
            return cls(**config)
        except TypeError as err:
            raise TypeError(
                f"Error when deserializing class '{cls.__name__}' using config={config}. "
                f"Exception encountered: {err}. Make sure `get_config()` returns every "
                "argument `__init__()` needs, or override `from_config()`."
            ) from None

    def get_build_config(self) -> dict[str, Any] | None:
        if self._build_shapes_dict is None:
            return None
        if len(self._build_shapes_dict) == 1:
            return {"input_shape": next(iter(self._build_shapes_dict.values()))}
        return {"shapes_dict": dict(self._build_shapes_dict)}

    def build_from_config(self, config: dict[str, Any] | None) -> None:
        if not config:
            return
        if "input_shape" in config:
            self.build(config["input_shape"])
        elif "shapes_dict" in config:
            self.build(**config["shapes_dict"])

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"

    def __reduce__(self) -> tuple[Any, tuple[bytes]]:
        """Pickle the layer (or model) as the bytes of its ``.keras`` archive, as Keras 3 does.

        Unpickling loads the archive with ``safe_mode=False`` (pickle runs code
        anyway): only unpickle data you trust.
        """
        from ..saving._pickling import from_archive_bytes, to_archive_bytes

        return (from_archive_bytes, (to_archive_bytes(self),))


# The base `build` gets the same wrapper as subclasses' builds: a layer without its own
# `build` is built (path set, state locked) on its first call.
Layer.build = _layer_build.wrap_build(Layer.build)  # type: ignore[method-assign]
