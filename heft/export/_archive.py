"""``ExportArchive``: heft layers and models as endpoints of a TensorFlow SavedModel."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from .. import tree
from .._interactive import print_msg
from .._variable import Variable
from ..layers._layer import Layer
from . import _signature
from ._convert import to_tf_function
from ._tensorflow import import_tensorflow
from ._write import write_saved_model

# Attributes of the saved object that endpoints and collections may not take.
_RESERVED = frozenset({"variables", "trainable_variables", "non_trainable_variables"})


class ExportArchive:
    """Writes TensorFlow SavedModels whose endpoints run heft layers and models.

    ``track`` registers the layers whose variables the SavedModel holds (copied
    when tracked), ``add_endpoint`` adds a named function with an input
    signature, ``add_variable_collection`` adds a named list of variables, and
    ``write_out`` writes the folder, which ``tf.saved_model.load`` reads without
    heft. Each endpoint is the function converted by
    ``jax.experimental.jax2tf`` into a ``tf.function``: the model's code runs as
    XLA inside TensorFlow, with the tracked variables as TF variables, so the
    batch dimension (``None`` in the signature) stays free. The endpoint is
    traced when added, so a function that cannot be exported fails there, and
    leaves the archive as it was. Needs ``tensorflow`` (``pip install
    tensorflow-cpu``).

    Args:
        format: ``"saved_model"`` (the only one heft writes).

    Raises:
        ValueError: For an unknown ``format``.
        NotImplementedError: For ``format="neptune_model"`` (abstract in Keras too).
        ImportError: If TensorFlow is not installed.

    >>> import heft, os, tempfile
    >>> import tensorflow as tf
    >>> model = heft.Sequential([heft.Input((3,)), heft.layers.Dense(2)])
    >>> archive = heft.export.ExportArchive()
    >>> archive.track(model)
    >>> _ = archive.add_endpoint(
    ...     "serve", model.call, input_signature=[heft.InputSpec(shape=(None, 3), dtype="float32")]
    ... )
    >>> path = os.path.join(tempfile.mkdtemp(), "artifact")
    >>> archive.write_out(path, verbose=False)
    >>> reloaded = tf.saved_model.load(path)
    >>> reloaded.serve(tf.ones((5, 3))).shape
    TensorShape([5, 2])
    """

    def __init__(self, format: str = "saved_model") -> None:
        if format == "neptune_model":
            raise NotImplementedError(
                "ExportArchive(format='neptune_model') is an abstract archive in Keras, with "
                "no writer behind it, and heft has none either. Use format='saved_model'."
            )
        if format != "saved_model":
            raise ValueError(
                f"Unsupported format: {format}. ExportArchive writes TensorFlow SavedModels: "
                "use format='saved_model' (the default)."
            )
        tf = import_tensorflow()
        self._tf = tf
        self.tensorflow_version: str = tf.__version__
        self._endpoint_names: list[str] = []
        self._endpoint_signatures: dict[str, Any] = {}
        self._collections: list[str] = []
        self._tracked: list[Any] = []
        self._heft_trainable: list[Variable] = []
        self._heft_non_trainable: list[Variable] = []
        self._tf_variables: dict[int, Any] = {}
        self._tf_trackable = tf.__internal__.tracking.AutoTrackable()
        self._tf_trackable.variables = []
        self._tf_trackable.trainable_variables = []
        self._tf_trackable.non_trainable_variables = []

    # ---------------------------------------------------------------- variables
    @property
    def variables(self) -> list[Any]:
        """The TF variables of the tracked layers: trainable first, then the others."""
        return list(self._tf_trackable.variables)

    @property
    def trainable_variables(self) -> list[Any]:
        return list(self._tf_trackable.trainable_variables)

    @property
    def non_trainable_variables(self) -> list[Any]:
        return list(self._tf_trackable.non_trainable_variables)

    def _tf_variable(self, variable: Variable) -> Any:
        """The TF variable holding ``variable``'s value (one per heft variable)."""
        tf_variable = self._tf_variables.get(id(variable))
        if tf_variable is None:
            tf_variable = self._tf.Variable(
                variable.numpy(),
                dtype=variable.dtype,
                trainable=variable.trainable,
                name=variable.name,
            )
            self._tf_variables[id(variable)] = tf_variable
        return tf_variable

    # ---------------------------------------------------------------- track
    def track(self, resource: Any) -> None:
        """Register a built layer or model (its variables go into the SavedModel).

        The variables' values are copied now: the SavedModel holds the values
        they have when tracked. They are listed, trainable first, as
        ``variables``, ``trainable_variables`` and ``non_trainable_variables`` of
        the archive and of the reloaded object. Endpoints added afterwards read
        these variables; a variable an endpoint uses that was never tracked is
        written into the endpoint as a constant. A TensorFlow trackable (a lookup
        table) may be tracked too, for ``tf.function`` endpoints that use it.

        Args:
            resource: A built heft layer or model, or a TensorFlow ``Trackable``.

        Raises:
            ValueError: For an unbuilt layer, or an object of another kind.
        """
        tf = self._tf
        if isinstance(resource, Layer):
            if not resource.built:
                raise ValueError(
                    f"The layer provided has not yet been built. It must be built before "
                    f"export: call it on data or call `build(input_shape)`. Layer: "
                    f"'{resource.name}'."
                )
            self._track_layer(resource)
        elif isinstance(resource, tf.__internal__.tracking.Trackable):
            self._tracked.append(resource)
        else:
            raise ValueError(
                "Invalid resource type. Expected a heft `Layer` or `Model` or a TensorFlow "
                f"`Trackable` object. Received object {resource} of type '{type(resource)}'."
            )

    def _track_layer(self, layer: Layer) -> None:
        known = {id(v) for v in self._heft_trainable + self._heft_non_trainable}
        trainable = [v for v in layer.trainable_variables if id(v) not in known]
        known.update(id(v) for v in trainable)
        non_trainable = [v for v in layer.non_trainable_variables if id(v) not in known]
        new_trainable = [self._tf_variable(v) for v in trainable]
        new_non_trainable = [self._tf_variable(v) for v in non_trainable]
        self._heft_trainable += trainable
        self._heft_non_trainable += non_trainable
        saved = self._tf_trackable
        saved.trainable_variables = list(saved.trainable_variables) + new_trainable
        saved.non_trainable_variables = list(saved.non_trainable_variables) + new_non_trainable
        saved.variables = list(saved.trainable_variables) + list(saved.non_trainable_variables)

    # ---------------------------------------------------------------- endpoints
    def add_endpoint(
        self,
        name: str,
        fn: Callable[..., Any],
        input_signature: Any = None,
        *,
        is_static: bool = False,
        jax2tf_kwargs: dict[str, Any] | None = None,
    ) -> Any:
        """Add the endpoint ``name``: ``fn`` as a ``tf.function`` of ``input_signature``.

        ``fn`` is converted with ``jax2tf`` and traced now. The tracked variables
        are its state: it reads them from the SavedModel's variables, and the
        non-trainable ones it assigns (a training-mode ``BatchNormalization``, a
        seed generator) are written back to them after each call. Unknown
        dimensions (``None``) are symbolic, the first one of each input named
        ``batch``.

        Args:
            name: The endpoint's name: the reloaded object's attribute and its
                signature key.
            fn: A function of JAX arrays (``model.call``, ``lambda x: model(x,
                training=True)``), or, without ``input_signature``, a
                ``tf.function`` already called once (which may use TF resources
                tracked with ``track``).
            input_signature: One entry per positional argument of ``fn``, each an
                ``InputSpec`` with shape and dtype, a ``tf.TensorSpec``, a
                ``KerasTensor`` or an array (batch dimension left free), or a
                list/dict of them.
            is_static: If True, ``fn`` is converted alone: the values the variables
                have when the archive is written become constants of the endpoint,
                and nothing ``fn`` assigns is kept (the model is left untouched).
            jax2tf_kwargs: Arguments for ``jax2tf.convert``. ``polymorphic_shapes``
                defaults to the signature's; when JAX runs on a GPU that
                TensorFlow cannot use, ``native_serialization_platforms`` defaults
                to that GPU and the CPU.

        Returns:
            The ``tf.function`` of the endpoint.

        Raises:
            ValueError: If ``name`` is taken or reserved, or ``fn`` is not a traced
                ``tf.function`` and no ``input_signature`` is given.
            TypeError: If ``input_signature`` is not a list or tuple, or
                ``jax2tf_kwargs`` is not a dict.
        """
        tf = self._tf
        self._check_name(name, "Endpoint")
        if input_signature is None:
            if not isinstance(fn, tf.types.experimental.GenericFunction):
                raise ValueError(
                    "If the `fn` argument provided is not a `tf.function`, you must provide an "
                    "`input_signature` argument to specify the shape and dtype of the function "
                    "arguments. Example:\n\n"
                    "export_archive.add_endpoint(\n"
                    "    name='call',\n"
                    "    fn=model.call,\n"
                    "    input_signature=[\n"
                    "        heft.InputSpec(shape=(None, 224, 224, 3), dtype='float32')\n"
                    "    ],\n"
                    ")"
                )
            if not fn._list_all_concrete_functions():
                raise ValueError(
                    f"The provided tf.function '{fn}' has never been called. To specify the "
                    "expected shape and dtype of the function's arguments, you must either "
                    "provide a function that has been called at least once, or alternatively "
                    "pass an `input_signature` argument in `add_endpoint()`."
                )
            setattr(self._tf_trackable, name, fn)
            self._endpoint_names.append(name)
            return fn
        if not isinstance(input_signature, (list, tuple)):
            raise TypeError(
                "`input_signature` must be a list or tuple with one entry per positional "
                f"argument of `fn`. Received: input_signature={input_signature!r}. Wrap a "
                "single spec in a list: `input_signature=[heft.InputSpec(...)]`."
            )
        if jax2tf_kwargs is not None and not isinstance(jax2tf_kwargs, dict):
            raise TypeError(
                "`jax2tf_kwargs` must be a dict of arguments for `jax2tf.convert`. Received: "
                f"jax2tf_kwargs={jax2tf_kwargs!r} of type {type(jax2tf_kwargs)}."
            )
        signature = list(
            tree.map_structure(lambda x: _signature.make_tf_tensor_spec(x, tf), input_signature)
        )
        if is_static:
            variables: list[Variable] = []
            non_trainable: list[Variable] = []
        else:
            variables = self._heft_trainable + self._heft_non_trainable
            non_trainable = list(self._heft_non_trainable)
        decorated = to_tf_function(
            fn,
            signature,
            variables=variables,
            non_trainable=non_trainable,
            tf_variables=self._tf_variables,
            static=bool(is_static),
            jax2tf_kwargs=dict(jax2tf_kwargs or {}),
        )
        try:
            decorated.get_concrete_function()
        except Exception as err:
            err.add_note(
                f"While exporting endpoint '{name}' (the archive is unchanged). Dimensions "
                "left as None in `input_signature` are symbolic while exporting (the first "
                "one is named 'batch'): code that needs their value as a number, such as "
                "`int(x.shape[0])`, fails. Compute with the symbolic size (`ops.shape(x)`) "
                "or give that dimension a size in `input_signature`."
            )
            raise
        self._endpoint_signatures[name] = signature
        setattr(self._tf_trackable, name, decorated)
        self._endpoint_names.append(name)
        return decorated

    def track_and_add_endpoint(
        self, name: str, resource: Layer, input_signature: Any, **kwargs: Any
    ) -> Any:
        """``track(resource)``, then an endpoint ``name`` calling ``resource``.

        Both happen or neither: if the endpoint fails, the resource is not tracked.

        Args:
            name: The endpoint's name.
            resource: A built heft layer or model.
            input_signature: As for ``add_endpoint``.
            **kwargs: ``is_static`` and ``jax2tf_kwargs``, as for ``add_endpoint``.

        Returns:
            The ``tf.function`` of the endpoint.
        """
        saved = self._tf_trackable
        before = (
            list(self._tracked),
            list(self._heft_trainable),
            list(self._heft_non_trainable),
            dict(self._tf_variables),
            list(saved.trainable_variables),
            list(saved.non_trainable_variables),
        )
        try:
            self.track(resource)
            return self.add_endpoint(name, resource.__call__, input_signature, **kwargs)
        except BaseException:
            (
                self._tracked,
                self._heft_trainable,
                self._heft_non_trainable,
                self._tf_variables,
                trainable,
                non_trainable,
            ) = before
            saved.trainable_variables = trainable
            saved.non_trainable_variables = non_trainable
            saved.variables = trainable + non_trainable
            raise

    # ---------------------------------------------------------------- collections
    def add_variable_collection(self, name: str, variables: Any) -> None:
        """Save ``variables`` under ``name``: the reloaded object's attribute ``name``.

        A heft variable already tracked is saved once, as the same TF variable
        the endpoints use; others are copied with their current values.

        Args:
            name: The attribute name of the collection.
            variables: A list, tuple or set of heft ``Variable``s or ``tf.Variable``s.

        Raises:
            ValueError: If ``variables`` is not a list/tuple/set of variables, or
                ``name`` is taken or reserved.
        """
        tf = self._tf
        if not isinstance(variables, (list, tuple, set)):
            raise ValueError(
                "Expected `variables` to be a list/tuple/set. "
                f"Received instead object of type '{type(variables)}'."
            )
        variables = list(variables)
        if not all(isinstance(v, (tf.Variable, Variable)) for v in variables):
            raise ValueError(
                "Expected all elements in `variables` to be heft `Variable` or `tf.Variable` "
                "instances. Found instead the following types: "
                f"{sorted({type(v).__name__ for v in variables})}"
            )
        self._check_name(name, "Collection")
        converted = [self._tf_variable(v) if isinstance(v, Variable) else v for v in variables]
        setattr(self._tf_trackable, name, converted)
        self._collections.append(name)

    def _check_name(self, name: Any, kind: str) -> None:
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(
                f"{kind} name must be a string usable as an attribute of the reloaded object "
                f"(a Python identifier). Received: name={name!r}."
            )
        if name in self._endpoint_names:
            raise ValueError(f"Endpoint name '{name}' is already taken.")
        if name in self._collections:
            raise ValueError(f"Name '{name}' is already taken by a variable collection.")
        if name in _RESERVED or name.startswith("_"):
            raise ValueError(
                f"{kind} name '{name}' is reserved: the reloaded object uses "
                f"{sorted(_RESERVED)} and private names for its own attributes. Pick another."
            )

    # ---------------------------------------------------------------- write
    def write_out(
        self, filepath: str | os.PathLike, options: Any = None, verbose: bool = True
    ) -> None:
        """Write the SavedModel folder to ``filepath``.

        Every endpoint is a signature (for TF Serving) as well as an attribute
        of the reloaded object; the first one is also ``"serving_default"``
        unless an endpoint has that name. The folder is written next to its
        place and moved there when complete, so a failed write leaves an
        existing folder as it was.

        Args:
            filepath: The folder to write (created with its parents if needed).
            options: A ``tf.saved_model.SaveOptions``.
            verbose: Whether to print the endpoints and their signatures.

        Raises:
            ValueError: If no endpoint was added.
            FileExistsError: If ``filepath`` is a file.
        """
        tf = self._tf
        if not self._endpoint_names:
            raise ValueError("No endpoints have been set yet. Call add_endpoint().")
        self._track_used_resources()
        signatures = {name: self._concrete(name) for name in self._endpoint_names}
        if "serving_default" not in signatures:
            signatures["serving_default"] = self._concrete(self._endpoint_names[0])
        path = os.fspath(filepath)
        write_saved_model(
            lambda target: tf.saved_model.save(
                self._tf_trackable, target, options=options, signatures=signatures
            ),
            path,
        )
        if verbose:
            endpoints = "\n\n".join(
                _describe(getattr(self._tf_trackable, name), name) for name in self._endpoint_names
            )
            print_msg(
                f"Saved artifact at '{path}'. The following endpoints are available:\n\n{endpoints}"
            )

    def _concrete(self, name: str) -> Any:
        fn = getattr(self._tf_trackable, name)
        if name in self._endpoint_signatures:
            return fn
        return fn._list_all_concrete_functions()[0]

    def _track_used_resources(self) -> None:
        """Save every variable the endpoints use, and the resources of tracked TF objects."""
        tf = self._tf
        seen: set[int] = set()
        used: list[Any] = []
        for name in self._endpoint_names:
            fn = getattr(self._tf_trackable, name)
            for concrete in fn._list_all_concrete_functions():
                for v in list(concrete.trainable_variables) + list(concrete.variables):
                    if id(v) not in seen:
                        seen.add(id(v))
                        used.append(v)
        self._tf_trackable._all_variables = used
        resources: list[Any] = []
        resource_type = tf.saved_model.experimental.TrackableResource
        for root in self._tracked:
            for trackable in [root, *tf.train.TrackableView(root).descendants()]:
                if isinstance(trackable, resource_type) and trackable not in resources:
                    resources.append(trackable)
        self._tf_trackable._misc_assets = resources


def _describe(fn: Any, name: str) -> str:
    """The endpoint's signature as TF prints it, headed ``* Endpoint 'name'``."""
    concrete = fn._list_all_concrete_functions()[0]
    lines = concrete.pretty_printed_signature(verbose=True).split("\n")
    return "\n".join([f"* Endpoint '{name}'", *lines[1:]])
