"""``JaxLayer`` and ``FlaxLayer``: a JAX function or a Flax (linen) module as a heft layer.

The function's parameters (and state) become heft weights: they train with
``fit``, are saved by ``save_weights`` and listed by ``weights``, in the order of
``jax.tree_util.tree_leaves`` of ``params`` then ``state``, named ``variable``,
``variable_1``... as in Keras.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtypes, _registry
from ..random._random import draw_seed
from ..random._seed_generator import SeedGenerator
from ._layer import Layer


def _serialize_function(fn: Any) -> Any:
    if fn is None:
        return None
    return {
        "module": "builtins",
        "class_name": "function",
        "config": _registry.get_registered_name(fn),
        "registered_name": "function",
    }


def _deserialize_function(config: Any, custom_objects: Any = None) -> Any:
    if config is None or callable(config):
        return config
    name = config["config"] if isinstance(config, dict) else config
    fn = _registry.get_registered_object(name, custom_objects)
    if fn is None:
        raise ValueError(
            f"Could not find the function '{name}' to rebuild this layer. Register it with "
            "`@heft.saving.register_keras_serializable()` or pass it in `custom_objects`."
        )
    return fn


class JaxLayer(Layer):
    """Wraps ``call_fn(params, state, rng, inputs, training)`` as a layer.

    ``call_fn`` takes ``inputs`` and any of ``params``, ``state``, ``rng`` and
    ``training`` (by those names, in any order). With ``state``, it returns
    ``(outputs, new_state)`` and the state weights are assigned the new state.
    ``rng`` is a key drawn from the layer's ``SeedGenerator`` in training and
    ``None`` in inference. ``params``/``state`` are given, or made at build by
    ``init_fn(rng, inputs, training)`` (which returns ``params`` or
    ``(params, state)``) from ones of the input's shape (unknown sizes as 1).

    Args:
        call_fn: The function computing the outputs.
        init_fn: The function creating ``params`` (and ``state``).
        params: A pytree of arrays: the trainable weights.
        state: A pytree of arrays: the non-trainable weights.
        seed: Seed of the generator of ``rng``.
        **kwargs: Base layer arguments.

    Raises:
        ValueError: For arguments of ``call_fn``/``init_fn`` outside those names,
            or a ``call_fn`` needing ``params``/``state`` with nothing to make them.

    >>> import heft, jax.numpy as jnp
    >>> def call_fn(params, inputs):
    ...     return inputs @ params["w"]
    >>> layer = JaxLayer(call_fn, params={"w": jnp.ones((2, 3))})
    >>> layer(jnp.ones((1, 2))).tolist()
    [[2.0, 2.0, 2.0]]
    >>> [w.path for w in layer.weights]
    ['jax_layer/variable']
    """

    # Pytrees of the weights, set without tracking (tracked lists are not pytrees).
    params: Any
    state: Any

    def __init__(
        self,
        call_fn: Callable,
        init_fn: Callable | None = None,
        params: Any = None,
        state: Any = None,
        seed: int | None = None,
        native_serialization_platforms: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.call_fn = call_fn
        self.init_fn = init_fn
        object.__setattr__(self, "params", None)
        object.__setattr__(self, "state", None)
        self.tracked_params = self._create_variables(params, trainable=True)
        self.tracked_state = self._create_variables(state, trainable=False)
        self.call_fn_arguments = self._validate_signature(
            call_fn, "call_fn", {"params", "state", "rng", "inputs", "training"}, {"inputs"}
        )
        self.call_fn_has_params = "params" in self.call_fn_arguments
        self.call_fn_has_state = "state" in self.call_fn_arguments
        self.seed = seed
        self.seed_generator = SeedGenerator(seed) if "rng" in self.call_fn_arguments else None
        if (
            init_fn is None
            and params is None
            and state is None
            and (self.call_fn_has_params or self.call_fn_has_state)
        ):
            raise ValueError(
                "`init_fn`, `params` and `state` cannot all be `None` when `call_fn` takes a "
                "`params` or a `state` argument."
            )
        if init_fn is not None:
            self.init_fn_arguments = self._validate_signature(
                init_fn, "init_fn", {"rng", "inputs", "training"}, {"inputs"}
            )
        self.native_serialization_platforms = native_serialization_platforms
        if self.params is not None or self.state is not None:
            self._build_at_init()

    @staticmethod
    def _validate_signature(fn: Callable, fn_name: str, allowed: set, required: set) -> list:
        parameters = inspect.signature(fn).parameters
        for name in required:
            if name not in parameters:
                raise ValueError(f"Missing required argument in `{fn_name}`: `{name}`")
        names = []
        for parameter in parameters.values():
            if parameter.name not in allowed:
                raise ValueError(
                    f"Unsupported argument in `{fn_name}`: `{parameter.name}`, supported "
                    f"arguments are `{'`, `'.join(sorted(allowed))}`"
                )
            names.append(parameter.name)
        return names

    def _create_variables(self, values: Any, trainable: bool) -> list:
        """Weights for the array leaves of ``values`` (other leaves are kept as config)."""

        def create(value: Any) -> Any:
            if isinstance(value, np.ndarray | np.generic | jax.Array | bool | int | float):
                array = np.asarray(value)
                dtype = None if _dtypes.is_float_dtype(str(array.dtype)) else str(array.dtype)
                return self.add_weight(
                    array.shape, initializer=array, dtype=dtype, trainable=trainable
                )
            return value

        variables = jax.tree_util.tree_map(create, values)
        object.__setattr__(self, "params" if trainable else "state", variables)
        return [leaf for leaf in jax.tree_util.tree_leaves(variables) if hasattr(leaf, "assign")]

    def _get_init_rng(self) -> Any:
        return draw_seed(None)

    def _get_call_rng(self, training: Any) -> Any:
        return self.seed_generator.next() if training else None  # type: ignore[union-attr]

    def build(self, input_shape: Any = None) -> None:
        if self.params is not None or self.state is not None:
            return
        if self.init_fn is None or not (self.call_fn_has_params or self.call_fn_has_state):
            return

        def ones(shape: Any) -> Any:
            return jnp.ones([1 if d is None else d for d in shape])

        def is_shape(s: Any) -> bool:
            return isinstance(s, tuple | list) and all(d is None or isinstance(d, int) for d in s)

        inputs = jax.tree_util.tree_map(ones, input_shape, is_leaf=is_shape)
        arguments = {"rng": self._get_init_rng(), "inputs": inputs, "training": True}
        result = self.init_fn(*[arguments[name] for name in self.init_fn_arguments])
        params, state = result if self.call_fn_has_state else (result, None)
        self.tracked_params = self._create_variables(params, trainable=True)
        self.tracked_state = self._create_variables(state, trainable=False)

    def call(self, inputs: Any, training: bool | None = False) -> Any:
        def value(v: Any) -> Any:
            return v.value if hasattr(v, "assign") else v

        arguments = {
            "params": jax.tree_util.tree_map(value, self.params),
            "state": jax.tree_util.tree_map(value, self.state),
            "inputs": inputs,
            "training": training,
        }
        if "rng" in self.call_fn_arguments:
            arguments["rng"] = self._get_call_rng(training)
        result = self.call_fn(*[arguments[name] for name in self.call_fn_arguments])
        if not self.call_fn_has_state:
            return result
        outputs, new_state = result

        def assign(new: Any, variable: Any) -> None:
            if not hasattr(variable, "assign"):
                raise ValueError(
                    "Structure mismatch: the structure of the state returned by `call_fn` "
                    "does not match the structure of the state at initialization time."
                )
            variable.assign(new)

        jax.tree_util.tree_map(assign, new_state, self.state)
        return outputs

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "call_fn": _serialize_function(self.call_fn),
                "init_fn": _serialize_function(self.init_fn),
                "native_serialization_platforms": self.native_serialization_platforms,
            }
        )
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> JaxLayer:
        config = dict(config)
        config["call_fn"] = _deserialize_function(config["call_fn"], custom_objects)
        config["init_fn"] = _deserialize_function(config.get("init_fn"), custom_objects)
        return super().from_config(config)  # type: ignore[return-value]


class FlaxLayer(JaxLayer):
    """Wraps a ``flax.linen.Module`` as a layer; its variables become heft weights.

    The ``"params"`` collection gives the trainable weights, the other
    collections (``batch_stats``...) the non-trainable ones, which the module
    updates in its calls. ``rngs`` hold a ``"dropout"`` key in training. If the
    module's method takes ``training``, the layer passes it. ``flax.nnx``
    modules are not accepted (as in Keras 3.15); convert them to linen first.

    Args:
        module: A ``flax.linen.Module`` instance.
        method: The method to call (default ``__call__``).
        variables: The module's variables (``module.init``'s result) to start from;
            made at build from ones of the input's shape otherwise.
        **kwargs: Base layer arguments (and ``seed``).

    Raises:
        ImportError: If ``flax`` is not installed.
    """

    def __init__(self, module: Any, method: Any = None, variables: Any = None, **kwargs: Any):
        try:
            from flax.linen import DenyList
        except ImportError as err:
            raise ImportError(
                "FlaxLayer needs the `flax` package, which is not installed. Install it with "
                "`pip install flax`."
            ) from err
        self.module = module
        self.method = method
        mutable = DenyList(["params"])
        with_training = "training" in inspect.signature(method or module.__call__).parameters

        def apply_with_training(params, state, rng, inputs, training):  # type: ignore[no-untyped-def]
            return self.module.apply(
                self._params_and_state_to_variables(params, state),
                inputs,
                rngs=rng,
                method=self.method,
                mutable=mutable,
                training=training,
            )

        def apply_without_training(params, state, rng, inputs):  # type: ignore[no-untyped-def]
            return self.module.apply(
                self._params_and_state_to_variables(params, state),
                inputs,
                rngs=rng,
                method=self.method,
                mutable=mutable,
            )

        def init_with_training(rng, inputs, training):  # type: ignore[no-untyped-def]
            return self._variables_to_params_and_state(
                self.module.init(rng, inputs, method=self.method, training=training)
            )

        def init_without_training(rng, inputs):  # type: ignore[no-untyped-def]
            return self._variables_to_params_and_state(
                self.module.init(rng, inputs, method=self.method)
            )

        call_fn = apply_with_training if with_training else apply_without_training
        init_fn = init_with_training if with_training else init_without_training
        params, state = self._variables_to_params_and_state(variables)
        super().__init__(call_fn=call_fn, init_fn=init_fn, params=params, state=state, **kwargs)

    @staticmethod
    def _params_and_state_to_variables(params: Any, state: Any) -> Any:
        if params:
            return {**params, **state} if state else params
        return state if state else {}

    @staticmethod
    def _variables_to_params_and_state(variables: Any) -> tuple[Any, Any]:
        if variables is None:
            return None, None
        if "params" not in variables:
            return {}, variables
        if len(variables) == 1:
            return variables, {}
        params = {"params": variables["params"]}
        state = {k: v for k, v in variables.items() if k != "params"}
        return params, state

    def _get_init_rng(self) -> Any:
        return {"params": draw_seed(None), "dropout": draw_seed(None)}

    def _get_call_rng(self, training: Any) -> Any:
        if training:
            return {"dropout": self.seed_generator.next()}  # type: ignore[union-attr]
        return {}

    def get_config(self) -> dict[str, Any]:
        method = self.method
        if getattr(method, "__self__", None) is self.module and method is not None:
            method = method.__name__
        config = super().get_config()
        config.pop("call_fn")
        config.pop("init_fn")
        config["module"] = _registry.serialize_object(self.module, "flax")
        config["method"] = (
            method if method is None or isinstance(method, str) else (_serialize_function(method))
        )
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> FlaxLayer:
        config = dict(config)
        module = _registry.deserialize_object(config["module"], {}, custom_objects, "module")
        method = config.get("method")
        if isinstance(method, str):
            method = getattr(module, method)
        elif method is not None:
            method = _deserialize_function(method, custom_objects)
        config["module"], config["method"] = module, method
        return cls(**config)
