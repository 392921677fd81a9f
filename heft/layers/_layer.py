"""``Layer``: the base class that creates, tracks, exposes and sets weights."""

from __future__ import annotations

import functools
import inspect
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtypes, _masking, _naming, _scope, _symbolic, _tracking
from .. import dtype_policies as _dtype_policies
from .._variable import Variable, _is_tracer
from . import _node
from ._assign import assign_prepared, fetch_to_host, prepare_values
from ._input_spec import InputSpec, assert_input_compatibility

_call_state = threading.local()


def _call_stack() -> list[dict[str, Any]]:
    stack = getattr(_call_state, "stack", None)
    if stack is None:
        stack = _call_state.stack = []
    return stack


def _wrap_build(build: Callable) -> Callable:
    """Wrap a ``build`` so it opens the layer's name scope, records shapes and locks state."""

    @functools.wraps(build)
    def build_wrapper(self: Layer, *args: Any, **kwargs: Any) -> None:
        self._check_super_called()
        if self._building:  # a subclass's build calling super().build()
            return build(self, *args, **kwargs)
        self._building = True
        snapshot = self._tracker.snapshot()
        try:
            with self._open_name_scope():
                self._path = _scope.current_path()
                build(self, *args, **kwargs)
        except BaseException:
            self._tracker.restore(snapshot)
            raise
        finally:
            self._building = False
        try:
            bound = inspect.signature(build).bind(self, *args, **kwargs).arguments
            bound.pop(next(iter(bound)))
            self._build_shapes_dict = dict(bound)
        except TypeError:
            self._build_shapes_dict = None
        self.built = True
        self._post_build()
        self._lock_state()

    build_wrapper._heft_build_wrapper = True  # type: ignore[attr-defined]
    return build_wrapper


def _shapes_of(x: Any) -> Any:
    if isinstance(x, list | tuple) and not _is_shape_like(x):
        return (
            type(x)(_shapes_of(v) for v in x)
            if isinstance(x, tuple)
            else [_shapes_of(v) for v in x]
        )
    if isinstance(x, dict):
        return {k: _shapes_of(v) for k, v in x.items()}
    if hasattr(x, "shape"):
        return tuple(x.shape)
    return tuple(np.shape(x))


def _is_shape_like(x: Any) -> bool:
    return all(d is None or isinstance(d, int | np.integer) for d in x)


def _standardize_bool(value: Any, argument: str, where: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(
            f"Expected `{argument}` to be a boolean. Received: {argument}={value} "
            f"(of type {type(value)}) in {where}. Pass True or False."
        )
    return value


class Layer:
    """The base class of every layer: state (weights) plus a computation (``call``).

    Subclasses create weights with ``add_weight`` in ``__init__`` or ``build``
    and define ``call``. Calling the layer builds it on the first call, from the
    input's shape.

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

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        build = cls.__dict__.get("build")
        if build is not None and not getattr(build, "_heft_build_wrapper", False):
            cls.build = _wrap_build(build)  # type: ignore[method-assign]

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
        signature = inspect.signature(self.call)
        self._call_params = list(signature.parameters)
        self._call_has_training_arg = "training" in self._call_params
        self._call_has_mask_arg = "mask" in self._call_params
        self._call_positional = [
            name
            for name, p in signature.parameters.items()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
        self._call_mask_args = {
            name: f"{name}_mask"
            for name in self._call_params
            if f"{name}_mask" in self._call_params
        }
        self._call_training_default = (
            signature.parameters["training"].default if self._call_has_training_arg else None
        )
        # The layer's symbolic calls (`Node`s), in call order; see `_node.py`.
        object.__setattr__(self, "_inbound_nodes", [])

    # ---------------------------------------------------------------- tracking
    def _ensure_tracker(self) -> None:
        if "_tracker" not in self.__dict__:
            object.__setattr__(
                self, "_tracker", _tracking.Tracker(self.__dict__.get("_name", type(self).__name__))
            )

    def __setattr__(self, name: str, value: Any) -> None:
        if name != "_tracker" and not name.startswith("__"):
            self._ensure_tracker()
            value = self._tracker.track(value)
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        value = getattr(self, name)
        object.__delattr__(self, name)
        tracker = self.__dict__.get("_tracker")
        if tracker is not None:
            was_locked = tracker.locked
            tracker.locked = False
            try:
                tracker.untrack(value)
            finally:
                tracker.locked = was_locked

    def _check_super_called(self) -> None:
        if not self.__dict__.get("_called_super_init", False):
            raise RuntimeError(
                f"In layer '{type(self).__name__}', you forgot to call `super().__init__()` "
                "as the first statement in the `__init__()` method. Go add it!"
            )

    def _lock_state(self) -> None:
        self._tracker.locked = True

    def _build_at_init(self) -> None:
        """Mark a layer whose state is complete after ``__init__`` as built (and lock it)."""
        self.built = True
        self._post_build()
        self._lock_state()

    def _post_build(self) -> None:
        """Hook run after ``build``; subclasses may override."""

    def _track_variable(self, variable: Variable) -> None:
        self._tracker.add(variable)
        if not self.trainable:
            variable.trainable = False

    def _untrack_variable(self, variable: Variable) -> None:
        was_locked = self._tracker.locked
        self._tracker.locked = False
        try:
            self._tracker.remove(variable)
        finally:
            self._tracker.locked = was_locked

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

    # ---------------------------------------------------------------- weights
    def add_weight(
        self,
        *args: Any,
        shape: Any = None,
        initializer: Any = None,
        dtype: Any = None,
        trainable: bool = True,
        autocast: bool = True,
        regularizer: Any = None,
        constraint: Any = None,
        aggregation: str | None = "none",
        overwrite_with_gradient: bool = False,
        name: str | None = None,
    ) -> Variable:
        """Create a weight, track it, and return it.

        Args:
            *args: The legacy positional form ``(shape, initializer, dtype)``.
            shape: The weight's shape; ``None`` means a scalar ``()``.
            initializer: An initializer name, object, callable or array.
                Defaults to ``"glorot_uniform"`` for float dtypes, ``"zeros"`` otherwise.
            dtype: The weight's dtype; defaults to the layer's variable dtype.
            trainable: Whether training updates the weight.
            autocast: Whether it is read in the compute dtype under mixed precision.
            regularizer: A regularizer name, object or callable; its penalty
                joins ``layer.losses`` while the weight is trainable.
            constraint: A constraint name, object or callable, applied by the
                optimizer after each update.
            aggregation: ``"none"``, ``"mean"``, ``"sum"`` or ``"only_first_replica"``.
            overwrite_with_gradient: Whether the optimizer sets the weight to its
                gradient instead of updating it.
            name: The weight's name (no ``/``); its path is ``<layer path>/<name>``.

        Returns:
            The new ``Variable``.

        Raises:
            RuntimeError: If called before ``super().__init__()``.
            ValueError: For a bad shape, dtype, name, initializer, regularizer,
                constraint or aggregation, or if the layer is already built.
            TypeError: For non-bool ``trainable``/``overwrite_with_gradient``, or
                too many positional arguments.
        """
        self._check_super_called()
        if len(args) > 3:
            raise TypeError(
                f"add_weight() takes at most 3 positional arguments but {len(args)} were "
                "given. Pass the other arguments by keyword."
            )
        if args and isinstance(args[0], str):
            raise ValueError(
                f"`name` must be passed as a keyword argument. Received: add_weight('{args[0]}', "
                f"...). Use: add_weight(shape=..., name='{args[0]}')."
            )
        keywords = (("shape", shape), ("initializer", initializer), ("dtype", dtype))
        for arg_name, kwarg in keywords[: len(args)]:
            if kwarg is not None:
                raise ValueError(
                    f"`{arg_name}` was passed both positionally and as a keyword argument "
                    f"to add_weight() on layer '{self.name}'. Pass it once."
                )
        if len(args) > 0:
            shape = args[0]
        if len(args) > 1:
            initializer = args[1]
        if len(args) > 2:
            dtype = args[2]
        from .. import constraints, regularizers

        # A plain name scope (not `_open_name_scope`): weights made in `__init__` must not
        # fix the layer's parent path, which its first build or call decides.
        with _scope.name_scope(self.name, caller=self):
            path = f"{_scope.current_path()}/{name if name is not None else '<auto>'}"
            where = f"add_weight(name={name!r}) on layer '{self.name}' (weight path '{path}')"
            try:
                variable = self._create_weight(
                    where,
                    shape,
                    initializer,
                    dtype,
                    trainable,
                    autocast,
                    aggregation,
                    overwrite_with_gradient,
                    name,
                )
                variable.regularizer = regularizers.get(regularizer)
                variable.constraint = constraints.get(constraint)
            except (ValueError, TypeError) as err:
                if where in str(err):
                    raise
                raise type(err)(f"{err} [in {where}]") from None
        variable.overwrite_with_gradient = overwrite_with_gradient
        self._track_variable(variable)
        return variable

    def _create_weight(
        self,
        where: str,
        shape: Any,
        initializer: Any,
        dtype: Any,
        trainable: Any,
        autocast: bool,
        aggregation: Any,
        overwrite_with_gradient: Any,
        name: str | None,
    ) -> Variable:
        """Validate ``add_weight``'s arguments and create the variable (not yet tracked)."""
        from .. import initializers

        if not isinstance(trainable, bool):
            raise TypeError(
                f"`trainable` must be a boolean. Received: trainable={trainable!r} in {where}. "
                "Pass True or False."
            )
        if not isinstance(overwrite_with_gradient, bool):
            raise TypeError(
                f"`overwrite_with_gradient` must be a boolean. Received: {overwrite_with_gradient} "
                f"in {where}. Pass True or False."
            )
        if self._tracker.locked:
            raise ValueError(
                f"{_tracking.LOCK_MESSAGE} Layer '{self.name}' is built; {where} came too late. "
                "Move it to `build()` or `__init__()`."
            )
        shape = () if shape is None else shape
        dtype = _dtypes.standardize_dtype(dtype) if dtype is not None else self.variable_dtype
        if initializer is None:
            initializer = "glorot_uniform" if "float" in dtype else "zeros"
        return Variable(
            initializer=initializers.get(initializer),
            shape=shape,
            dtype=dtype,
            trainable=trainable,
            autocast=autocast,
            aggregation=aggregation,
            name=name,
        )

    def add_variable(
        self,
        shape: Any,
        initializer: Any,
        dtype: Any = None,
        trainable: bool = True,
        autocast: bool = True,
        regularizer: Any = None,
        constraint: Any = None,
        name: str | None = None,
    ) -> Variable:
        """Positional alias of ``add_weight`` (without aggregation options)."""
        return self.add_weight(
            shape=shape,
            initializer=initializer,
            dtype=dtype,
            trainable=trainable,
            autocast=autocast,
            regularizer=regularizer,
            constraint=constraint,
            name=name,
        )

    @property
    def trainable(self) -> bool:
        return self.__dict__.get("_trainable", True)

    @trainable.setter
    def trainable(self, value: bool) -> None:
        """Freeze (``False``) or unfreeze this layer and, recursively, its sublayers."""
        value = bool(value)
        self._trainable = value
        for v in self._tracker.trainable_variables:
            v.trainable = value
        for layer in self._tracker.layers:
            layer.trainable = value

    def _own_variables(self) -> list[Variable]:
        out: list[Variable] = []
        seen: set[int] = set()
        for v in self._tracker.trainable_variables + self._tracker.non_trainable_variables:
            if id(v) not in seen:
                seen.add(id(v))
                out.append(v)
        return out

    @property
    def weights(self) -> list[Variable]:
        """All weights: own ones (trainable-tracked first), then each sublayer's."""
        out = self._own_variables()
        seen = {id(v) for v in out}
        for layer in self._tracker.layers:
            for v in layer.weights:
                if id(v) not in seen:
                    seen.add(id(v))
                    out.append(v)
        return out

    @property
    def trainable_weights(self) -> list[Variable]:
        if not self.trainable:
            return []
        return [v for v in self.weights if v.trainable]

    @property
    def non_trainable_weights(self) -> list[Variable]:
        if not self.trainable:
            return self.weights
        return [v for v in self.weights if not v.trainable]

    @property
    def variables(self) -> list[Variable]:
        """Weights plus seed-generator states (metric variables excluded)."""
        out = self._own_variables()
        out.extend(sg.state for sg in self._tracker.seed_generators)
        seen = {id(v) for v in out}
        for layer in self._tracker.layers:
            for v in layer.variables:
                if id(v) not in seen:
                    seen.add(id(v))
                    out.append(v)
        return out

    @property
    def trainable_variables(self) -> list[Variable]:
        if not self.trainable:
            return []
        return [v for v in self.variables if v.trainable]

    @property
    def non_trainable_variables(self) -> list[Variable]:
        if not self.trainable:
            return self.variables
        return [v for v in self.variables if not v.trainable]

    @property
    def metrics(self) -> list[Any]:
        out = list(self._tracker.metrics)
        for layer in self._tracker.layers:
            out.extend(layer.metrics)
        return out

    @property
    def metrics_variables(self) -> list[Variable]:
        return [v for m in self.metrics for v in m.variables]

    def _flatten_layers(self, include_self: bool = True, recursive: bool = True) -> Iterator[Layer]:
        seen: set[int] = set()
        stack: list[Layer] = [self] if include_self else list(reversed(self._tracker.layers))
        while stack:
            layer = stack.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            yield layer
            if recursive or layer is self:
                stack.extend(reversed(layer._tracker.layers))

    def get_weights(self) -> list[np.ndarray]:
        """The weights' values as numpy arrays, in ``weights`` order, in one host transfer."""
        weights = self.weights
        # New writable arrays that alias no device buffer.
        return fetch_to_host([v.value for v in weights])

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Set every weight from a list of arrays, in ``weights`` order.

        All values are checked (count, numeric type, shape) before any is
        assigned, so a bad list leaves every weight unchanged.

        Args:
            weights: numpy arrays, JAX arrays or nested Python lists.

        Raises:
            ValueError: On a wrong count or shape.
            TypeError: On a non-numeric value.
        """
        layer_weights = self.weights
        values = list(weights)
        if len(values) != len(layer_weights):
            raise ValueError(
                f"You called `set_weights(weights)` on layer '{self.name}' with a weight list "
                f"of length {len(values)}, but the layer was expecting {len(layer_weights)} "
                f"weights ({[v.path for v in layer_weights][:8]}"
                f"{'...' if len(layer_weights) > 8 else ''}). Pass one array per weight, "
                "in `layer.weights` order."
            )
        prepared = prepare_values(layer_weights, values, f"layer '{self.name}'")
        assign_prepared(layer_weights, prepared)

    def count_params(self) -> int:
        """The number of scalars in ``weights`` (trainable or not)."""
        if not self.built:
            raise ValueError(
                f"You tried to call `count_params` on layer '{self.name}', but the layer isn't "
                "built. You can build it manually via: `layer.build(input_shape)`."
            )
        return int(sum(int(np.prod(v.shape, dtype=np.int64)) for v in self.weights))

    # ---------------------------------------------------------------- losses
    def add_loss(self, loss: Any) -> None:
        """Add a scalar loss (e.g. an activity penalty) to ``layer.losses``."""
        if isinstance(loss, Variable):
            loss = loss.value
        if not isinstance(loss, jax.Array) and not _is_tracer(loss):
            if isinstance(loss, int | float | np.ndarray | np.generic):
                loss = jnp.asarray(loss)
            else:
                raise ValueError(
                    "`add_loss()` can only be called from inside `build()` or `call()`, on a "
                    f"tensor input. Received invalid value: {loss}"
                )
        scope = _scope.stateless_scope()
        if scope is not None:
            scope.add_loss(loss)
            self._loss_ids.add(id(loss))
            return
        if _is_tracer(loss):
            return
        self._losses.append(loss)

    def _own_losses(self) -> list[Any]:
        scope = _scope.stateless_scope()
        if scope is not None:
            return [loss for loss in scope.losses if id(loss) in self._loss_ids]
        return list(self._losses)

    def _clear_losses(self) -> None:
        for layer in self._flatten_layers():
            layer._losses = []
            layer._loss_ids = set()

    @property
    def losses(self) -> list[Any]:
        """Losses added in the last call, then weight-regularization penalties.

        Weight penalties cover trainable weights only and are computed on each access.
        """
        losses = []
        for layer in self._flatten_layers():
            losses.extend(layer._own_losses())
        for v in self.trainable_weights:
            if v.regularizer is not None:
                losses.append(v.regularizer(v.value))
        return losses

    # ---------------------------------------------------------------- build and call
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
            self.call(_shapes_to_symbolic(input_shape, self.compute_dtype, self.name))
        self.built = True

    def call(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f"Layer {type(self).__name__} does not have a `call()` method implemented. "
            "Define `call(self, inputs)` in your subclass."
        )

    def compute_output_shape(self, *args: Any, **kwargs: Any) -> Any:
        """The output shape for an input shape; by default found by tracing ``call``."""
        spec = self.compute_output_spec(
            *[_symbolic.KerasTensor(s, self.compute_dtype) for s in args]
        )
        return jax.tree_util.tree_map(lambda t: t.shape, spec, is_leaf=_symbolic.is_symbolic)

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        if type(self).compute_output_shape is not Layer.compute_output_shape:
            shapes = [_shapes_of(a) for a in args]
            out_shape = self.compute_output_shape(*shapes)
            return _shape_to_spec(out_shape, self.compute_dtype)
        with _scope.StatelessScope():
            return _symbolic.compute_output_spec(self.call, args, kwargs)

    @property
    def input_spec(self) -> Any:
        return self._input_spec

    @input_spec.setter
    def input_spec(self, value: Any) -> None:
        self._input_spec = value

    def _convert_input(self, x: Any) -> Any:
        y = self._convert_one_input(x)
        if y is not x:
            mask = _masking.get_mask(x)
            if mask is not None:
                _masking.set_mask(y, mask)
        return y

    def _convert_one_input(self, x: Any) -> Any:
        if isinstance(x, _symbolic.KerasTensor):
            return x
        if isinstance(x, Variable):
            x = x.value
        if isinstance(x, np.ndarray | np.generic | int | float | list) and not isinstance(x, bool):
            arr = np.asarray(x)
            if arr.dtype.kind == "f":
                return jnp.asarray(arr, dtype=self.compute_dtype if self.autocast else None)
            if arr.dtype.kind in "iub":
                return jnp.asarray(arr)
            return x
        if isinstance(x, jax.Array) or _is_tracer(x):
            if self.autocast and jnp.issubdtype(x.dtype, jnp.floating):
                target = jnp.dtype(self.compute_dtype)
                if x.dtype != target:
                    return x.astype(target)
        return x

    def _maybe_build(self, args: tuple, kwargs: dict) -> None:
        if self.built:
            return
        first = args[0] if args else next(iter(kwargs.values()), None)
        if first is None:
            self.build()
            return
        shapes = _shapes_of(first)
        build_fn = type(self).build
        if build_fn is Layer.build:
            object.__setattr__(self, "_build_from_call", True)
            try:
                self.build(shapes)
            finally:
                object.__setattr__(self, "_build_from_call", False)
            return
        params = [p for p in inspect.signature(build_fn).parameters if p != "self"]
        if len(params) > 1 and all(p.endswith("_shape") for p in params[: len(args)]):
            self.build(*[_shapes_of(a) for a in args])
        else:
            self.build(shapes)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self._check_super_called()
        args = jax.tree_util.tree_map(self._convert_input, args, is_leaf=_is_leaf_input)
        for key in list(kwargs):
            if key not in ("training", "mask"):
                kwargs[key] = jax.tree_util.tree_map(
                    self._convert_input, kwargs[key], is_leaf=_is_leaf_input
                )
        if args:
            assert_input_compatibility(self._input_spec, args[0], self.name)

        stack = _call_stack()
        outermost = not stack
        training = kwargs.get("training")
        if training is None:
            training = next(
                (c["training"] for c in reversed(stack) if c["training"] is not None), None
            )
        if training is None and self._call_training_default not in (None, inspect.Parameter.empty):
            training = self._call_training_default
        if self._call_has_training_arg:
            kwargs["training"] = training
        elif "training" in kwargs:
            kwargs.pop("training")

        recorded_kwargs = dict(kwargs)
        previous_mask = self._populate_masks(args, kwargs)

        symbolic = _symbolic.any_symbolic((args, kwargs))
        stack.append({"layer": self, "training": training})
        try:
            if outermost and not symbolic:
                self._clear_losses()
            with self._open_name_scope():
                self._maybe_build(args, kwargs)
                cast_scope = self._autocast_scope()
                if cast_scope is not None:
                    with cast_scope:
                        outputs = self._call_inner(symbolic, args, kwargs, recorded_kwargs)
                else:
                    outputs = self._call_inner(symbolic, args, kwargs, recorded_kwargs)
        finally:
            stack.pop()
        if previous_mask is not None or self.supports_masking:
            self._attach_output_masks(args, kwargs, outputs, previous_mask, symbolic)
        if self.activity_regularizer is not None and not symbolic:
            for out in jax.tree_util.tree_leaves(outputs):
                penalty = self.activity_regularizer(out)
                if out.ndim > 0 and out.shape[0]:
                    penalty = penalty / jnp.asarray(out.shape[0], penalty.dtype)
                self.add_loss(penalty)
        return outputs

    def _call_inner(self, symbolic: bool, args: tuple, kwargs: dict, recorded: dict) -> Any:
        try:
            if symbolic:
                outputs = self.compute_output_spec(*args, **kwargs)
                _node.record_call(self, args, recorded, outputs)
                return outputs
            return self.call(*args, **kwargs)
        except _ANNOTATED_ERRORS as error:
            annotated = self._annotate_error(error, args, kwargs)
            if annotated is None:
                raise
            raise annotated.with_traceback(error.__traceback__) from None

    def _annotate_error(self, error: Exception, args: tuple, kwargs: dict) -> Exception | None:
        """``error`` with this layer's name and the arguments it got (innermost layer only)."""
        if type(error) not in _ANNOTATED_ERRORS or getattr(error, "_heft_layer", None):
            return None
        if len(error.args) != 1 or not isinstance(error.args[0], str):
            return None
        received = [_describe_argument(a) for a in args]
        received += [f"{k}={_describe_argument(v)}" for k, v in kwargs.items()]
        annotated = type(error)(
            f"{error.args[0]}\n\nRaised while calling layer '{self.name}' "
            f"({type(self).__name__}) with arguments: {', '.join(received)}."
        )
        annotated._heft_layer = self.name  # type: ignore[attr-defined]
        return annotated

    # ------------------------------------------------------------------- masks
    def compute_mask(self, inputs: Any, previous_mask: Any) -> Any:
        """The mask of the outputs, given the inputs and their mask.

        Called after ``call`` when ``supports_masking`` is true; the default passes
        the input's mask through unchanged. Override it in layers that change the
        time axis or make a mask of their own (``Embedding(mask_zero=True)``).
        """
        return previous_mask

    def _tensor_arguments(self, args: tuple, kwargs: dict) -> dict[str, Any]:
        """The call's arguments that are tensors or nests of tensors, by name."""
        found: dict[str, Any] = {}
        named = list(zip(self._call_positional, args, strict=False))
        named.extend((k, v) for k, v in kwargs.items() if k != "training")
        for name, value in named:
            if _is_tensor(value):
                found[name] = value
            elif isinstance(value, list | tuple | dict) and value:
                leaves = jax.tree_util.tree_leaves(value, is_leaf=_is_tensor)
                if leaves and all(_is_tensor(leaf) for leaf in leaves):
                    found[name] = value
        return found

    def _populate_masks(self, args: tuple, kwargs: dict) -> Any:
        """Fill ``mask=`` / ``<arg>_mask=`` from masks the inputs carry (as Keras does).

        Returns the mask that arrived with the first input (``None`` when none did),
        which ``compute_mask`` receives after the call.
        """
        if self._call_has_mask_arg or self._call_mask_args:
            tensors = self._tensor_arguments(args, kwargs)
            if len(tensors) == 1:
                if self._call_has_mask_arg and kwargs.get("mask") is None:
                    mask = _masks_of(next(iter(tensors.values())))
                    if _any_mask(mask):
                        kwargs["mask"] = mask
            else:
                for name, value in tensors.items():
                    mask_arg = self._call_mask_args.get(name)
                    if mask_arg is not None and kwargs.get(mask_arg) is None:
                        mask = _masks_of(value)
                        if _any_mask(mask):
                            kwargs[mask_arg] = mask
        if kwargs.get("mask") is not None:
            return kwargs["mask"]
        first = args[0] if args else next(iter(kwargs.values()), None)
        mask = _masks_of(first)
        return mask if _any_mask(mask) else None

    def _attach_output_masks(
        self, args: tuple, kwargs: dict, outputs: Any, previous_mask: Any, symbolic: bool
    ) -> None:
        if not self.supports_masking:
            warnings.warn(
                f"Layer '{self.name}' (of type {type(self).__name__}) received an input "
                "with a mask, but it does not support masking, so layers after it will not "
                "see the mask. Remove the mask upstream (e.g. `mask_zero=False`) or use a "
                "layer that supports masking here.",
                stacklevel=3,
            )
            return
        flat_outputs = jax.tree_util.tree_leaves(outputs, is_leaf=_is_tensor)
        if all(_masking.get_mask(out) is not None for out in flat_outputs):
            return
        first = args[0] if args else next(iter(kwargs.values()), None)
        if symbolic:
            with _scope.StatelessScope():
                masks = _symbolic.compute_output_spec(self.compute_mask, (first, previous_mask), {})
        else:
            masks = self.compute_mask(first, previous_mask)
        if masks is None:
            return
        flat_masks = jax.tree_util.tree_leaves(masks, is_leaf=lambda m: m is None or _is_tensor(m))
        for out, mask in zip(flat_outputs, flat_masks, strict=False):
            if mask is not None and _masking.get_mask(out) is None:
                _masking.set_mask(out, mask)

    def _autocast_scope(self) -> _scope.AutocastScope | None:
        current = _scope.autocast_scope()
        if current is not None:
            if not self.autocast or not _dtypes.is_float_dtype(self.compute_dtype):
                return _scope.AutocastScope(None)
            if current.dtype != self.compute_dtype:
                return _scope.AutocastScope(self.compute_dtype)
            return None
        if self.compute_dtype != self.variable_dtype:
            return _scope.AutocastScope(self.compute_dtype)
        return None

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


_ANNOTATED_ERRORS = (ValueError, TypeError, IndexError, NotImplementedError)


def _describe_argument(x: Any) -> str:
    if isinstance(x, _symbolic.KerasTensor):
        return f"KerasTensor(shape={x.shape}, dtype={x.dtype})"
    if isinstance(x, jax.Array | np.ndarray) or _is_tracer(x):
        return f"array(shape={tuple(x.shape)}, dtype={x.dtype})"
    if isinstance(x, list | tuple):
        inner = ", ".join(_describe_argument(v) for v in x)
        return f"[{inner}]" if isinstance(x, list) else f"({inner})"
    if isinstance(x, dict):
        return "{" + ", ".join(f"{k!r}: {_describe_argument(v)}" for k, v in x.items()) + "}"
    text = repr(x)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_tensor(x: Any) -> bool:
    return isinstance(x, jax.Array | _symbolic.KerasTensor) or _is_tracer(x)


def _masks_of(x: Any) -> Any:
    if x is None or _is_tensor(x):
        return None if x is None else _masking.get_mask(x)
    if isinstance(x, list | tuple | dict):
        return jax.tree_util.tree_map(
            _masking.get_mask, x, is_leaf=lambda v: v is None or _is_tensor(v)
        )
    return None


def _any_mask(mask: Any) -> bool:
    if mask is None:
        return False
    if isinstance(mask, list | tuple | dict):
        return any(m is not None for m in jax.tree_util.tree_leaves(mask))
    return True


def _is_leaf_input(x: Any) -> bool:
    return isinstance(x, _symbolic.KerasTensor | Variable | np.ndarray)


def _shapes_to_symbolic(shape: Any, dtype: str, owner: str) -> Any:
    """Symbolic inputs for a shape, or a list/dict of shapes."""
    if isinstance(shape, dict):
        return {k: _shapes_to_symbolic(v, dtype, owner) for k, v in shape.items()}
    if isinstance(shape, list | tuple) and _is_shape_like(shape):
        return _symbolic.KerasTensor(tuple(shape), dtype)
    if isinstance(shape, list | tuple) and shape:
        return [_shapes_to_symbolic(s, dtype, owner) for s in shape]
    raise ValueError(
        f"Cannot read the input shape {shape!r} given to `build()` of layer '{owner}'. "
        "Pass a tuple of ints (None for unknown sizes), or a list or dict of such tuples."
    )


def _shape_to_spec(shape: Any, dtype: str) -> Any:
    if isinstance(shape, dict):
        return {k: _shape_to_spec(v, dtype) for k, v in shape.items()}
    if isinstance(shape, list | tuple) and shape and isinstance(shape[0], list | tuple):
        return [_shape_to_spec(s, dtype) for s in shape]
    return _symbolic.KerasTensor(tuple(shape), dtype)


# The base `build` gets the same wrapper as subclasses' builds: a layer without its own
# `build` is built (path set, state locked) on its first call.
Layer.build = _wrap_build(Layer.build)  # type: ignore[method-assign]
