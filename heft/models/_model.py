"""``Model``: a layer that groups layers, with summary, training, model and weight files."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from ..layers._layer import Layer
from ..training._trainer import Trainer
from ._summary import summarize

# The keys by which a config is known to describe a Functional model.
_FUNCTIONAL_CONFIG_KEYS = frozenset({"layers", "input_layers", "output_layers"})


def _functional_arguments(args: tuple, kwargs: dict[str, Any]) -> bool:
    """Whether a model's constructor was given tensors (``inputs`` and ``outputs``)."""
    return len(args) >= 2 or "inputs" in kwargs or "outputs" in kwargs


class Model(Trainer, Layer):
    """A layer made of layers; subclass it and define ``call``.

    Models add ``layers``, ``get_layer`` and ``summary`` to the ``Layer`` API
    (and compile/fit/evaluate/predict and weight files). Given tensors,
    ``Model(inputs, outputs)`` is a Functional model; so is a subclass given
    them, ``CustomModel(inputs, outputs)``, which keeps its own methods
    (``train_step``...) and is an instance of both classes.

    >>> import heft
    >>> class MLP(heft.Model):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.hidden = heft.layers.Dense(8, activation="relu")
    ...         self.out = heft.layers.Dense(2)
    ...     def call(self, x):
    ...         return self.out(self.hidden(x))
    >>> model = MLP()
    >>> model(heft.ops.ones((1, 4))).shape
    (1, 2)
    >>> [w.path for w in model.weights][:2]
    ['mlp/dense/kernel', 'mlp/dense/bias']
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> Model:
        # `Model(inputs, outputs)` builds a Functional model, as in Keras. A subclass
        # becomes Functional in `__init__`, once its arguments reach `Model.__init__`.
        if cls is Model and _functional_arguments(args, kwargs):
            from ._functional import Functional

            return object.__new__(Functional)
        return object.__new__(cls)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Start a subclassed model (keyword arguments of ``Layer``), or a Functional one.

        Given tensors (``inputs`` and ``outputs``, by position or keyword), the
        model is made Functional: an instance of its class and of ``Functional``,
        with the class's overrides in force (see ``functional_class``).

        Raises:
            TypeError: If positional arguments other than ``(inputs, outputs)`` are given.
        """
        if _functional_arguments(args, kwargs):
            from ._functional import Functional, functional_class

            functional = functional_class(type(self))
            if type(self) is not functional:
                # A subclass whose own `__init__` makes the tensors and passes them on.
                object.__setattr__(self, "__class__", functional)
            Functional.__init__(self, *args, **kwargs)
            return
        if args:
            raise TypeError(
                f"{type(self).__name__}.__init__() received {len(args)} positional argument(s) "
                f"({', '.join(type(a).__name__ for a in args)}), but a model takes either "
                "`inputs` and `outputs` (`Model(inputs, outputs)`, tensors from `heft.Input` "
                "and layer calls) or only keyword arguments (`name=`, `trainable=`, `dtype=`) "
                "when subclassed. Pass both `inputs` and `outputs`, or pass the other "
                "arguments by keyword."
            )
        # Every construction passes here exactly once (a Functional one through
        # `Functional.__init__`), so per-model set-up belongs here.
        Layer.__init__(self, **kwargs)

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Model:
        """Create a model from its config.

        A Functional config (layers with their calls, input and output layers)
        gives a Functional model of class ``cls`` when ``cls`` accepts Functional
        arguments (``Model``, ``Functional``, a subclass taking ``*args, **kwargs``);
        any other config goes to ``cls(**config)``.
        """
        from ..saving import _allocation
        from ._functional import accepts_functional_arguments
        from ._functional_config import functional_from_config

        def build() -> Model:
            if _FUNCTIONAL_CONFIG_KEYS <= set(config) and accepts_functional_arguments(cls):
                return functional_from_config(cls, config, custom_objects)
            return super(Model, cls).from_config(config)  # type: ignore[return-value]

        # In safe mode the variables' total size is checked before anything is built.
        return _allocation.checked(build, _allocation.describe_model_config(cls, config))

    @property
    def layers(self) -> list[Layer]:
        """Direct sublayers, in the order they were assigned."""
        return list(self._tracker.layers)

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """Return a sublayer by ``name`` or by ``index`` (exactly one of them).

        Raises:
            ValueError: If both or neither are given, or no layer matches.
        """
        if (name is None) == (index is None):
            raise ValueError(
                "Provide exactly one of `name` or `index` to `get_layer`. "
                f"Received: name={name}, index={index}"
            )
        layers = self.layers
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise ValueError(
                    f"Was asked to retrieve layer at index {index} but model '{self.name}' only "
                    f"has {len(layers)} layers."
                )
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(
            f"No such layer: {name}. Existing layers are: {[layer.name for layer in layers]}."
        )

    def to_json(self, **kwargs: Any) -> str:
        """The model's config (Keras's serialized form) as a JSON string.

        ``heft.models.model_from_json`` (and Keras's) rebuild the model from it,
        with fresh weights.

        Args:
            **kwargs: Passed to ``json.dumps`` (``indent=2``...).

        >>> import heft
        >>> model = heft.Sequential([heft.Input((3,)), heft.layers.Dense(2)])
        >>> model.to_json()[:40]
        '{"module": "keras", "class_name": "Seque'
        """
        from ._json import model_json

        return model_json(self, **kwargs)

    def summary(
        self,
        line_length: int | None = None,
        positions: Any = None,
        print_fn: Callable[..., Any] | None = None,
        expand_nested: bool = False,
        show_trainable: bool = False,
        layer_range: Any = None,
    ) -> None:
        """Print the layers, their output shapes and the parameter counts.

        A Functional model whose graph is not a plain chain (several inputs, a
        layer called more than once, a layer taking several tensors) gets a
        "Connected to" column naming each layer's inbound tensors as
        ``layer_name[node_index][tensor_index]``. The totals add the optimizer's
        variables once the model is compiled and its optimizer built.

        Args:
            line_length: Table width in characters (default: 88, or 108 with the
                "Connected to" column, at most the terminal's width less 4).
            positions: Right edges of the columns, as fractions of ``line_length``
                (or as character positions when above 1), one per column without
                the "Trainable" one.
            print_fn: Called once with the whole summary text instead of printing.
            expand_nested: Whether to list the layers of nested models too.
            show_trainable: Whether to add a column saying if each layer is trainable.
            layer_range: ``[first, last]`` layer names (regular expressions matched
                at the start of names): list only that span, both ends included.

        Raises:
            ValueError: If ``layer_range`` is not two strings or matches no layer,
                if ``positions`` has the wrong length, or if the columns come out
                narrower than 4 characters.

        >>> import heft
        >>> model = heft.Sequential([heft.Input((3,)), heft.layers.Dense(2)])
        >>> model.summary(print_fn=lambda text: print(text.splitlines()[-3]))
         Total params: 8 (32.00 B)
        """
        summarize(
            self,
            line_length=line_length,
            positions=positions,
            print_fn=print_fn,
            expand_nested=expand_nested,
            show_trainable=show_trainable,
            layer_range=layer_range,
        )

    def save(
        self, filepath: str, overwrite: bool = True, zipped: bool | None = None, **kwargs: Any
    ) -> None:
        """Save the whole model to a ``.keras`` archive (Keras 3's format).

        The archive holds the config (with build and compile configs), the
        weights and the optimizer's state; ``heft.models.load_model`` and Keras
        3's ``load_model`` read it. It is written atomically.

        Raises:
            ValueError: If ``filepath`` does not end in ``.keras``.
            FileExistsError: If ``overwrite=False`` and the file exists.

        >>> import heft, os, tempfile
        >>> model = heft.Sequential([heft.Input((3,)), heft.layers.Dense(2)])
        >>> path = os.path.join(tempfile.mkdtemp(), "model.keras")
        >>> model.save(path)
        >>> heft.models.load_model(path).count_params()
        8
        """
        from .. import saving

        saving.save_model(self, filepath, overwrite=overwrite, zipped=zipped, **kwargs)

    def export(
        self,
        filepath: str | os.PathLike,
        format: str = "tf_saved_model",
        verbose: bool | None = None,
        input_signature: Any = None,
        **kwargs: Any,
    ) -> None:
        """Export the model's inference call as a TensorFlow SavedModel (needs ``tensorflow``).

        The folder holds the model's variables and an endpoint ``serve`` (also the
        ``serving_default`` signature) running ``model(x)`` in inference mode,
        converted with ``jax2tf``; ``tf.saved_model.load(filepath).serve(x)``
        runs it without heft, for any batch size. For other endpoints use
        ``heft.export.ExportArchive``.

        Args:
            filepath: The SavedModel folder.
            format: ``"tf_saved_model"``. Keras's other formats (``"onnx"``,
                ``"openvino"``, ``"litert"``, ``"torch"``) need other toolchains
                and are not supported in heft.
            verbose: Whether to print the endpoint (``None``: yes).
            input_signature: The inputs' specs (``InputSpec``, ``tf.TensorSpec``,
                ``KerasTensor`` or arrays, in the structure ``call`` takes: for a
                Functional model, a one-element list holding the inputs'
                structure). By default the model's inputs (a subclassed model's:
                the shapes of its first call) with a free batch dimension.
            **kwargs: ``is_static`` (variables become constants) and
                ``jax2tf_kwargs`` (arguments for ``jax2tf.convert``); see
                ``ExportArchive.add_endpoint``.

        Raises:
            ValueError: For an unknown or unsupported ``format``, or an unbuilt model.
            ImportError: If TensorFlow is not installed.

        Example::

            model.export("path/to/artifact")
            reloaded = tf.saved_model.load("path/to/artifact")
            predictions = reloaded.serve(x)
        """
        from ..export._saved_model import export_model

        export_model(
            self,
            filepath,
            format=format,
            verbose=verbose,
            input_signature=input_signature,
            **kwargs,
        )

    def save_weights(self, filepath: str, overwrite: bool = True, **kwargs: Any) -> None:
        """Write every weight (and the optimizer's state) to ``filepath``.

        The suffix picks the format: ``.weights.h5`` (Keras 3 layout),
        ``.weights.json`` with ``max_shard_size=<GB>`` (Keras 3 sharded layout),
        ``.safetensors``, or ``.h5``/``.hdf5`` (Keras 2 layout). Files are written
        atomically, with a checksum per entry (except the Keras 2 layout).
        ``layout="torch"`` (with an optional ``mapping``) writes a PyTorch state
        dict instead (see ``heft.saving.save_weights``).

        Raises:
            ValueError: For an unbuilt model or an unsupported suffix.
            FileExistsError: If ``overwrite=False`` and the file exists.
        """
        from .. import saving

        return saving.save_weights(self, filepath, overwrite=overwrite, **kwargs)

    def load_weights(
        self,
        filepath: str,
        skip_mismatch: Any = False,
        by_name: bool = False,
        dry_run: bool = False,
        **kwargs: Any,
    ) -> Any:
        """Load weights from ``filepath``, all or nothing, and return a ``LoadReport``.

        Every value is checked before any is assigned: on failure the model is
        unchanged. ``dry_run=True`` only returns the report. ``skip_mismatch`` may
        be glob patterns of the variables allowed to keep their values; keyword
        arguments ``strip_prefix`` and ``aliases`` map the file's keys to the
        model's; ``layout="torch"`` (with an optional ``mapping``) reads a PyTorch
        or Hugging Face checkpoint, converting each tensor (see
        ``heft.saving.load_weights``).

        Raises:
            ValueError: For a missing, corrupted or mismatched file (the message
                lists what is missing, unexpected and mismatched).
        """
        from .. import saving

        return saving.load_weights(
            self, filepath, skip_mismatch=skip_mismatch, by_name=by_name, dry_run=dry_run, **kwargs
        )
