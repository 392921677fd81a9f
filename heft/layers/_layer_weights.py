"""Creating a layer's weights (``add_weight``), and reading and writing their values."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping, Sequence
from typing import Any

import numpy as np

from .. import _dtypes, _scope, _tracking
from .._variable import Variable
from ._assign import assign_prepared, fetch_variables, prepare_values
from ._layer_state import LayerState


class LayerWeights(LayerState):
    """``add_weight`` and the weight-value API of ``Layer``."""

    name: str
    variable_dtype: str
    built: bool

    # ---------------------------------------------------------------- creation
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

        >>> import heft
        >>> layer = heft.layers.Layer(name="demo")
        >>> w = layer.add_weight(shape=(2,), initializer="ones", name="w")
        >>> w.path, [v.name for v in layer.weights]
        ('demo/w', ['w'])
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

    # ---------------------------------------------------------------- values in and out
    def get_weights(self) -> list[np.ndarray]:
        """The weights' values as numpy arrays, in ``weights`` order, in one host transfer."""
        # New writable arrays that alias no device buffer.
        return fetch_variables(self.weights)

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
        return sum(v.size for v in self.weights)

    # ------------------------------------------------------------ saved state
    def save_own_variables(self, store: MutableMapping[str, Any]) -> None:
        """Write this layer's own variables (not its sublayers') to its group of a weight file.

        Every format laid out by the object graph (``.weights.h5``, sharded
        ``.weights.json``, ``.safetensors``, ``.keras``) fills each layer's
        group through this method. The default stores the variables the layer
        tracks, trainable-tracked first, as ``store["0"]``, ``store["1"]``...,
        Keras 3's layout. Override it, together with ``load_own_variables``,
        when the saved layout differs from the variables (a kernel saved
        merged, an extra derived entry).

        Args:
            store: A dict-like store: ``store[name] = value`` records a
                variable (read when the file is written) or an array under
                ``name``, a string without ``/``.

        >>> import heft
        >>> layer = heft.layers.Dense(2)
        >>> layer.build((None, 3))
        >>> store = {}
        >>> layer.save_own_variables(store)
        >>> {name: tuple(v.shape) for name, v in store.items()}
        {'0': (3, 2), '1': (2,)}
        """
        variables = self._tracker.trainable_variables + self._tracker.non_trainable_variables
        for i, variable in enumerate(variables):
            store[str(i)] = variable

    def load_own_variables(self, store: Mapping[str, Any]) -> None:
        """Read this layer's own variables from its group of a weight file.

        The default is the inverse of ``save_own_variables``: it checks that
        the store holds one entry per variable, then assigns ``store["0"]``,
        ``store["1"]``... to the variables in tracking order, all or none.
        An override reads what its ``save_own_variables`` wrote and assigns
        with ``variable.assign(value)``. While a file loads, those
        assignments are recorded and applied only after every layer has
        loaded and every value has passed its checks, so an override that
        raises leaves the whole model unchanged.

        Args:
            store: A dict-like store of arrays by name (``keys()``, ``[name]``,
                ``in``, ``len``).

        Raises:
            ValueError: If the store's entry count differs from the layer's
                variable count (the default), or a value's shape differs from
                its variable's.
            KeyError: If an entry the layer needs is absent.

        >>> import heft, numpy as np
        >>> layer = heft.layers.Dense(2)
        >>> layer.build((None, 3))
        >>> layer.load_own_variables({"0": np.ones((3, 2)), "1": np.zeros(2)})
        >>> float(layer.kernel.numpy().sum())
        6.0
        """
        variables = self._tracker.trainable_variables + self._tracker.non_trainable_variables
        if len(store) != len(variables):
            if not variables and not self.built:
                raise ValueError(
                    f"Layer '{self.name}' has no variables because it was never built, but "
                    f"its weight store holds {len(store)} entries. Build it before loading: "
                    "call it on data, or make sure the `build()` of the layer that owns it "
                    "builds it too (and, for a model loaded from its config, define "
                    "`build_from_config()`)."
                )
            raise ValueError(
                f"Layer '{self.name}' expected {len(variables)} variables, but received "
                f"{len(store)} variables during loading (store keys {sorted(store)[:8]}; "
                f"the layer's variables: {[v.path for v in variables][:8]}). Load a file "
                "saved from a layer of the same configuration."
            )
        values = [store[str(i)] for i in range(len(variables))]
        prepared = prepare_values(variables, values, f"layer '{self.name}'")
        assign_prepared(variables, prepared)
