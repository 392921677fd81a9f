"""``TFSMLayer``: an endpoint of a TensorFlow SavedModel as a heft layer, run by TensorFlow."""

from __future__ import annotations

from typing import Any

import jax
import numpy as np

from .. import _safe_mode
from ._host_call import host_call
from ._layer import Layer


def _import_tensorflow() -> Any:
    try:
        import tensorflow as tf  # type: ignore[import-untyped]
    except ImportError as err:
        raise ImportError(
            "TFSMLayer needs the `tensorflow` package to load SavedModels, which is not "
            "installed. Install it with `pip install tensorflow` (or tensorflow-cpu)."
        ) from err
    return tf


def _resolve(loaded: Any, endpoint: str) -> Any:
    if hasattr(loaded, endpoint):
        return getattr(loaded, endpoint)
    if endpoint in loaded.signatures:
        return loaded.signatures[endpoint]
    raise ValueError(
        f"The endpoint '{endpoint}' is neither an attribute of the reloaded SavedModel, nor an "
        "entry in the `signatures` field of the reloaded SavedModel. Select another endpoint "
        "via the `call_endpoint` argument. Available endpoints for this SavedModel: "
        f"{list(loaded.signatures.keys())}"
    )


def _variables_of(fns: list) -> tuple[list, list]:
    """The trainable and non-trainable TF variables the endpoints use, without repeats."""
    trainable: dict[Any, Any] = {}
    other: dict[Any, Any] = {}
    for fn in fns:
        concretes = getattr(fn, "concrete_functions", None) or [fn]
        for concrete in concretes:
            for v in getattr(concrete, "trainable_variables", ()):
                trainable.setdefault(v.ref(), v)
            for v in getattr(concrete, "variables", ()):
                if v.ref() not in trainable:
                    other.setdefault(v.ref(), v)
    return list(trainable.values()), list(other.values())


class TFSMLayer(Layer):
    """Calls an endpoint of a TensorFlow SavedModel (on the host, through TensorFlow).

    The variables the endpoints use are copied into heft weights (trainable as
    in the SavedModel, named after the TF variables with ``/`` and ``:`` as
    ``_``). Each call writes the weights' current values into the TF variables
    and runs the endpoint through ``jax.pure_callback`` (so it works under
    ``jax.jit``); gradients for the inputs and the trainable weights come from
    ``tf.GradientTape``, so ``fit`` trains the weights. Keras 3.15 runs this
    layer only with its TensorFlow backend; heft runs it with JAX and needs
    ``tensorflow`` installed.

    Args:
        filepath: Folder of the SavedModel.
        call_endpoint: Endpoint (attribute or signature) used in inference.
        call_training_endpoint: Endpoint used when ``training=True`` (default: the same).
        trainable: Whether the weights are trainable.
        name: The layer's name.
        dtype: The layer's dtype.

    Raises:
        ImportError: If ``tensorflow`` is not installed.
        ValueError: For an endpoint the SavedModel does not have.
    """

    call_endpoint_fn: Any
    call_training_endpoint_fn: Any
    _tf_variables: list[Any]

    def __init__(
        self,
        filepath: str,
        call_endpoint: str = "serve",
        call_training_endpoint: str | None = None,
        trainable: bool = True,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        tf = _import_tensorflow()
        super().__init__(trainable=trainable, name=name, dtype=dtype)
        loaded = tf.saved_model.load(filepath)
        object.__setattr__(self, "_reloaded_obj", loaded)
        self.filepath = filepath
        self.call_endpoint = call_endpoint
        self.call_training_endpoint = call_training_endpoint
        object.__setattr__(self, "call_endpoint_fn", _resolve(loaded, call_endpoint))
        fns = [self.call_endpoint_fn]
        training_fn = None
        if call_training_endpoint:
            training_fn = _resolve(loaded, call_training_endpoint)
            fns.append(training_fn)
        object.__setattr__(self, "call_training_endpoint_fn", training_fn)
        trainable_vars, other_vars = _variables_of(fns)
        object.__setattr__(self, "_tf_variables", trainable_vars + other_vars)
        self._tf_weights = [
            self.add_weight(
                tuple(v.shape),
                initializer=v.numpy(),
                dtype=v.dtype.name,
                trainable=i < len(trainable_vars),
                name=v.name.replace("/", "_").replace(":", "_"),
            )
            for i, v in enumerate(self._tf_variables)
        ]
        self._build_at_init()

    def _endpoint(self, training: Any) -> Any:
        if training and self.call_training_endpoint_fn is not None:
            return self.call_training_endpoint_fn
        return self.call_endpoint_fn

    def call(self, inputs: Any, training: bool | None = False) -> Any:
        tf = _import_tensorflow()
        fn = self._endpoint(training)
        tf_vars = self._tf_variables
        n_weights = len(tf_vars)

        def run(arrays: list, tape: Any = None) -> tuple[Any, list]:
            for variable, value in zip(
                tf_vars, arrays[-n_weights:] if n_weights else [], strict=True
            ):
                variable.assign(value)
            tensors = [tf.convert_to_tensor(a) for a in arrays[: len(arrays) - n_weights]]
            if tape is not None:
                for t in tensors:
                    tape.watch(t)
            return fn(*tensors), tensors

        def forward(*arrays: Any) -> Any:
            outputs, _ = run(list(arrays))
            return tf.nest.map_structure(lambda t: t.numpy(), outputs)

        def backward(arrays: list, cotangents: Any) -> list:
            with tf.GradientTape() as tape:
                outputs, tensors = run(arrays, tape)
            sources = tensors + list(tf_vars)
            grads = tape.gradient(
                tf.nest.flatten(outputs),
                sources,
                output_gradients=[tf.convert_to_tensor(c) for c in tf.nest.flatten(cotangents)],
            )
            return [
                np.zeros(tuple(s.shape), s.dtype.as_numpy_dtype) if g is None else g.numpy()
                for g, s in zip(grads, sources, strict=True)
            ]

        leaves = jax.tree_util.tree_leaves(inputs)
        values = [jax.numpy.asarray(x) for x in leaves] + [w.value for w in self._tf_weights]
        sample = forward(
            *[np.zeros(v.shape, v.dtype) for v in values[: len(leaves)]],
            *[np.asarray(v.numpy()) for v in tf_vars],
        )
        out_spec = jax.tree_util.tree_map(lambda a: jax.ShapeDtypeStruct(a.shape, a.dtype), sample)
        return host_call(forward, backward, out_spec, values)

    def compute_output_spec(self, inputs: Any, training: bool | None = False) -> Any:
        from .. import _symbolic

        fn = self._endpoint(training)
        shapes = [
            tuple(x.shape) for x in jax.tree_util.tree_leaves(inputs, is_leaf=_symbolic.is_symbolic)
        ]
        zeros = [np.zeros([1 if d is None else d for d in s], "float32") for s in shapes]
        outputs = fn(*zeros)
        batch_unknown = bool(shapes) and bool(shapes[0]) and shapes[0][0] is None

        def spec(t: Any) -> Any:
            shape = tuple(t.shape)
            if batch_unknown and shape:
                shape = (None, *shape[1:])
            return _symbolic.KerasTensor(shape, t.dtype.name)

        return _import_tensorflow().nest.map_structure(spec, outputs)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "filepath": self.filepath,
                "call_endpoint": self.call_endpoint,
                "call_training_endpoint": self.call_training_endpoint,
            }
        )
        return config

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: Any = None, safe_mode: Any = None
    ) -> TFSMLayer:
        """Rebuild the layer; refused in safe mode (a SavedModel runs its own graph code)."""
        safe = safe_mode if safe_mode is not None else _safe_mode.in_safe_mode()
        if safe is not False:
            raise ValueError(
                "Requested the deserialization of a `TFSMLayer`, which loads an external "
                "SavedModel. This carries a potential risk of arbitrary code execution and "
                "thus it is disallowed by default. If you trust the source of the artifact, "
                "pass `safe_mode=False` to the loading function, or call "
                "`heft.config.enable_unsafe_deserialization()`."
            )
        return super().from_config(config)  # type: ignore[return-value]
