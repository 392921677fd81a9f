"""``FeatureSpace``: preprocessing and encoding of structured (tabular) data, on the host."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from .. import _naming, _serialization
from .. import layers as _layers
from ..layers import _adapt_data
from ..layers._layer import Layer
from ._feature_space_parts import Cross as Cross
from ._feature_space_parts import Feature as Feature
from ._feature_space_parts import TFDConcat as TFDConcat
from ._feature_space_parts import TFDIdentity as TFDIdentity

# Keras batches a dataset of single examples by this size before adapting a feature.
_ADAPT_BATCH = 32


def _to_host(x: Any) -> np.ndarray:
    """An input value as a numpy array (strings as ``str`` arrays, tensors converted)."""
    if isinstance(x, list | tuple | int | float | str | bytes):
        return _adapt_data.to_numpy(np.asarray(x))
    return _adapt_data.to_numpy(x)


def _snapshot(layer: Any) -> tuple[dict[str, Any], list[Any]]:
    """A layer's attributes (shallow) and its variables' values, for :func:`_restore`."""
    return dict(vars(layer)), [(v, v.numpy()) for v in layer.weights]


def _restore(layer: Any, state: tuple[dict[str, Any], list[Any]]) -> None:
    attributes, values = state
    vars(layer).clear()
    vars(layer).update(attributes)
    for variable, value in values:
        variable.assign(value)


def _as_input_dtype(arr: np.ndarray, dtype: str) -> np.ndarray:
    if dtype == "string" or arr.dtype.kind in "UO":
        return arr
    return arr.astype(dtype)


class FeatureSpace(Layer):
    """Preprocesses and encodes a dict of structured-data features into model inputs.

    Each feature is given by a type name (``"float"``, ``"float_rescaled"``,
    ``"float_normalized"``, ``"float_discretized"``, ``"integer_categorical"``,
    ``"string_categorical"``, ``"integer_hashed"``, ``"string_hashed"``; the
    defaults then apply) or by a spec from one of the static constructors
    (``FeatureSpace.float_normalized()``...). Each has a preprocessing layer
    (``preprocessors[name]``); categorical outputs are multi-hot encoded unless
    their ``output_mode`` is ``"int"``. ``crosses`` hash the co-occurrence of
    features' values into ``crossing_dim`` bins (``crossers[name]``, a
    ``HashedCrossing``). In ``"concat"`` mode the encoded features (sorted by
    name, then the crosses sorted by name) are concatenated into one float
    vector per sample; in ``"dict"`` mode they are returned by name.

    Call ``adapt`` first. It takes a ``tf.data.Dataset`` of dicts (when
    TensorFlow is installed), a dict of arrays or lists (one row per sample), a
    ``PyDataset``-like object or any iterable of dict batches (a list, a
    generator); everything is read on the host with numpy, strings included,
    so TensorFlow is not needed. Calling the feature space on a dict of arrays
    (one sample of scalars, or a batch) runs on the host as well and returns
    JAX arrays. Being host code, it cannot run inside ``tf.data.Dataset.map``
    (a TensorFlow graph): apply it to numpy batches instead. ``get_inputs()`` and
    ``get_encoded_features()`` give the symbolic inputs and outputs to build a
    Functional model. Saved with ``save`` (a ``.keras`` archive), a feature
    space reloads with ``heft.saving.load_model``; archives are interchangeable
    with Keras's.

    Args:
        features: Dict of feature name to type name or feature spec.
        output_mode: ``"concat"`` or ``"dict"``.
        crosses: Tuples of feature names, or ``FeatureSpace.cross(...)`` specs.
        crossing_dim: The hashing space of crosses given as tuples.
        hashing_dim: The number of bins of ``"integer_hashed"``/``"string_hashed"``.
        num_discretization_bins: The bins of ``"float_discretized"`` features.
        name: The layer's name.

    Raises:
        ValueError: For empty ``features``, an unknown feature type, a cross
            naming a feature not in ``features``, or an unknown ``output_mode``.

    >>> import numpy as np
    >>> space = FeatureSpace(
    ...     {"size": "float_normalized", "color": "string_categorical"},
    ...     output_mode="concat",
    ... )
    >>> space.adapt({"size": np.array([1.0, 3.0]), "color": np.array(["red", "blue"])})
    >>> out = space({"size": np.array([1.0, 3.0]), "color": np.array(["red", "green"])})
    >>> np.round(np.asarray(out), 3).tolist()
    [[0.0, 1.0, 0.0, -1.0], [1.0, 0.0, 0.0, 1.0]]
    """

    _keras_serialized_as = ("keras.utils", None)
    inputs: dict[str, Any]
    encoded_features: Any

    # ------------------------------------------------------------ feature specs
    @classmethod
    def cross(
        cls, feature_names: Iterable[str], crossing_dim: int, output_mode: str = "one_hot"
    ) -> Cross:
        """A cross of ``feature_names`` hashed into ``crossing_dim`` bins."""
        return Cross(feature_names, crossing_dim, output_mode=output_mode)

    @classmethod
    def feature(cls, dtype: str, preprocessor: Any, output_mode: str) -> Feature:
        """A feature preprocessed by any layer (``output_mode`` ``"float"``, ``"int"``...)."""
        return Feature(dtype, preprocessor, output_mode)

    @classmethod
    def float(cls, name: str | None = None) -> Feature:
        """Float values used as they are."""
        name = name or _naming.auto_name("float")
        layer = TFDIdentity(dtype="float32", name=f"{name}_preprocessor")
        return Feature(dtype="float32", preprocessor=layer, output_mode="float")

    @classmethod
    def float_rescaled(
        cls, scale: builtins.float = 1.0, offset: builtins.float = 0.0, name: str | None = None
    ) -> Feature:
        """Float values times ``scale`` plus ``offset`` (a ``Rescaling`` layer)."""
        name = name or _naming.auto_name("float_rescaled")
        layer = _layers.Rescaling(scale=scale, offset=offset, name=f"{name}_preprocessor")
        return Feature(dtype="float32", preprocessor=layer, output_mode="float")

    @classmethod
    def float_normalized(cls, name: str | None = None) -> Feature:
        """Float values standardized with the mean and variance ``adapt`` finds."""
        name = name or _naming.auto_name("float_normalized")
        layer = _layers.Normalization(axis=-1, name=f"{name}_preprocessor")
        return Feature(dtype="float32", preprocessor=layer, output_mode="float")

    @classmethod
    def float_discretized(
        cls,
        num_bins: int,
        bin_boundaries: Any = None,
        output_mode: str = "one_hot",
        name: str | None = None,
    ) -> Feature:
        """Float values bucketed into ``num_bins`` quantile bins (or given boundaries)."""
        name = name or _naming.auto_name("float_discretized")
        layer = _layers.Discretization(
            num_bins=num_bins, bin_boundaries=bin_boundaries, name=f"{name}_preprocessor"
        )
        return Feature(dtype="float32", preprocessor=layer, output_mode=output_mode)

    @classmethod
    def integer_categorical(
        cls,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        output_mode: str = "one_hot",
        name: str | None = None,
    ) -> Feature:
        """Integer values indexed through the vocabulary ``adapt`` learns."""
        name = name or _naming.auto_name("integer_categorical")
        layer = _layers.IntegerLookup(
            name=f"{name}_preprocessor", max_tokens=max_tokens, num_oov_indices=num_oov_indices
        )
        return Feature(dtype="int32", preprocessor=layer, output_mode=output_mode)

    @classmethod
    def string_categorical(
        cls,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        output_mode: str = "one_hot",
        name: str | None = None,
    ) -> Feature:
        """String values indexed through the vocabulary ``adapt`` learns."""
        name = name or _naming.auto_name("string_categorical")
        layer = _layers.StringLookup(
            name=f"{name}_preprocessor", max_tokens=max_tokens, num_oov_indices=num_oov_indices
        )
        return Feature(dtype="string", preprocessor=layer, output_mode=output_mode)

    @classmethod
    def string_hashed(
        cls, num_bins: int, output_mode: str = "one_hot", name: str | None = None
    ) -> Feature:
        """String values hashed into ``num_bins`` bins."""
        name = name or _naming.auto_name("string_hashed")
        layer = _layers.Hashing(name=f"{name}_preprocessor", num_bins=num_bins)
        return Feature(dtype="string", preprocessor=layer, output_mode=output_mode)

    @classmethod
    def integer_hashed(
        cls, num_bins: int, output_mode: str = "one_hot", name: str | None = None
    ) -> Feature:
        """Integer values hashed into ``num_bins`` bins."""
        name = name or _naming.auto_name("integer_hashed")
        layer = _layers.Hashing(name=f"{name}_preprocessor", num_bins=num_bins)
        return Feature(dtype="int32", preprocessor=layer, output_mode=output_mode)

    # ------------------------------------------------------------------ set up
    def __init__(
        self,
        features: dict[str, Any],
        output_mode: str = "concat",
        crosses: Any = None,
        crossing_dim: int = 32,
        hashing_dim: int = 32,
        num_discretization_bins: int = 32,
        name: str | None = None,
    ) -> None:
        super().__init__(name=name)
        if not features:
            raise ValueError(
                "The `features` argument cannot be None or empty. Pass a dict of feature "
                'name to feature type, e.g. {"age": "float_normalized"}.'
            )
        self.crossing_dim = crossing_dim
        self.hashing_dim = hashing_dim
        self.num_discretization_bins = num_discretization_bins
        self.features = {key: self._standardize_feature(key, v) for key, v in features.items()}
        self.crosses = self._standardize_crosses(crosses, features, crossing_dim)
        self.crosses_by_name = {cross.name: cross for cross in self.crosses}
        if output_mode not in {"dict", "concat"}:
            raise ValueError(
                "Invalid value for argument `output_mode`. Expected one of {'dict', 'concat'}. "
                f"Received: output_mode={output_mode}"
            )
        self.output_mode = output_mode
        # Symbolic tensors only: kept as plain dicts (not tracked), so that they
        # flatten as dicts when given to a Functional model.
        self._set_untracked(
            "inputs",
            {
                key: _layers.Input(shape=(1,), dtype=spec.dtype, name=key)
                for key, spec in self.features.items()
            },
        )
        self.preprocessors = {key: spec.preprocessor for key, spec in self.features.items()}
        self._set_untracked("encoded_features", None)
        self.crossers = {
            cross.name: _layers.HashedCrossing(cross.crossing_dim, name=cross.name)
            for cross in self.crosses
        }
        self.one_hot_encoders: dict[str, Any] = {}
        self._is_adapted = False
        self.concat: Any = None
        self._preprocessed_features_names: list[str] | None = None
        self._crossed_features_names: list[str] = []
        self._sublayers_built = False

    def _set_untracked(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)

    @staticmethod
    def _standardize_crosses(crosses: Any, features: dict, crossing_dim: int) -> list[Cross]:
        out: list[Cross] = []
        for cross in crosses or ():
            if isinstance(cross, dict):
                cross = _serialization.deserialize_keras_object(cross)
            if isinstance(cross, Cross):
                out.append(cross)
                continue
            if not crossing_dim:
                raise ValueError(
                    "When specifying `crosses`, the argument `crossing_dim` (dimensionality of "
                    "the crossing space) should be specified as well."
                )
            unknown = [key for key in cross if key not in features]
            if unknown:
                raise ValueError(
                    "All features referenced in the `crosses` argument should be present in "
                    f"the `features` dict. Received unknown features: {cross} ({unknown} not in "
                    f"{list(features)})"
                )
            out.append(Cross(cross, crossing_dim=crossing_dim))
        return out

    def _standardize_feature(self, name: str, feature: Any) -> Feature:
        if isinstance(feature, Feature):
            return feature
        if isinstance(feature, dict):
            return _serialization.deserialize_keras_object(feature)
        makers = {
            "float": lambda: self.float(name=name),
            "float_normalized": lambda: self.float_normalized(name=name),
            "float_rescaled": lambda: self.float_rescaled(name=name),
            "float_discretized": lambda: self.float_discretized(
                name=name, num_bins=self.num_discretization_bins
            ),
            "integer_categorical": lambda: self.integer_categorical(name=name),
            "string_categorical": lambda: self.string_categorical(name=name),
            "integer_hashed": lambda: self.integer_hashed(self.hashing_dim, name=name),
            "string_hashed": lambda: self.string_hashed(self.hashing_dim, name=name),
        }
        if not isinstance(feature, str) or feature not in makers:
            raise ValueError(
                f"Invalid feature type: {feature} (feature '{name}'). Expected a "
                f"`FeatureSpace.feature(...)` spec or one of {list(makers)}."
            )
        return makers[feature]()

    # ------------------------------------------------------------------- adapt
    def _list_adaptable_preprocessors(self) -> list[str]:
        names = []
        for key in self.features:
            layer = self.preprocessors[key]
            if isinstance(layer, _layers.Normalization):
                if layer.input_mean is not None:
                    continue
            elif isinstance(layer, _layers.TextVectorization):
                if layer._lookup_layer._has_input_vocabulary:
                    continue
            if hasattr(layer, "adapt"):
                names.append(key)
        return names

    def _adapt_batches(self, dataset: Any) -> Iterator[dict[str, Any]]:
        """The dict batches of ``dataset``; rows of a dict of arrays in batches of 32."""
        if isinstance(dataset, dict):
            columns = {key: _to_host(value) for key, value in dataset.items()}
            sizes = {len(v) for v in columns.values() if v.ndim > 0}
            n = sizes.pop() if len(sizes) == 1 else 0
            for start in range(0, n, _ADAPT_BATCH):
                yield {k: v[start : start + _ADAPT_BATCH] for k, v in columns.items()}
            return
        if _adapt_data.is_tf_dataset(dataset):
            spec = dataset.element_spec
            ranks = [s.shape.rank for s in spec.values()] if isinstance(spec, dict) else []
            if ranks and all(r == 0 for r in ranks):
                dataset = dataset.batch(_ADAPT_BATCH)
        for batch in _adapt_data.batches(dataset):
            if not isinstance(batch, dict):
                raise ValueError(
                    "`adapt()` reads dicts of feature values, but the data yielded a "
                    f"{type(batch).__name__}. Pass a dataset of dicts (no labels), e.g. "
                    "`ds.map(lambda x, y: x)`."
                )
            yield batch

    def adapt(self, dataset: Any) -> None:
        """Learn each adaptable feature's state (vocabularies, means, bin boundaries).

        Args:
            dataset: A ``tf.data.Dataset`` of dicts (batched or not), a dict of arrays
                or lists, a ``PyDataset``-like object or an iterable of dict batches.

        Raises:
            ValueError: If ``dataset`` is none of these, or yields something else
                than dicts.
            KeyError: If the data lacks a feature the feature space adapts.
        """
        if not (
            isinstance(dataset, dict)
            or _adapt_data.is_tf_dataset(dataset)
            or _adapt_data.is_indexed_dataset(dataset)
            or (hasattr(dataset, "__iter__") and not isinstance(dataset, str | bytes))
        ) or _adapt_data.is_array(dataset):
            raise ValueError(
                "`adapt()` can only be called on a tf.data.Dataset, a dict of arrays/lists, "
                "a PyDataset or an iterable of dict batches. "
                f"Received instead: {dataset} (of type {type(dataset)})"
            )
        names = self._list_adaptable_preprocessors()
        columns: dict[str, list[np.ndarray]] = {key: [] for key in names}
        for batch in self._adapt_batches(dataset):
            for key in names:
                if key not in batch:
                    raise KeyError(
                        f"The data given to `adapt()` has no feature '{key}'. It holds "
                        f"{sorted(batch)}; every adaptable feature needs values."
                    )
                arr = _to_host(batch[key])
                if arr.ndim == 0:
                    arr = arr.reshape(1)
                if arr.ndim == 1:
                    arr = arr[:, None]
                columns[key].append(arr)
        for key in names:
            layer = self.preprocessors[key]
            if isinstance(layer, _layers.Normalization) and not layer.built and columns[key]:
                # Built for any batch size, as from a batched dataset's spec.
                layer.build((None, *columns[key][0].shape[1:]))
        # If one feature's data is refused, the features adapted before it get their
        # state back, so a failed `adapt` changes nothing.
        saved = [_snapshot(self.preprocessors[key]) for key in names]
        try:
            for key in names:
                self.preprocessors[key].adapt(iter(columns[key]))
        except Exception:
            for key, state in zip(names, saved, strict=True):
                _restore(self.preprocessors[key], state)
            raise
        self._is_adapted = True
        self.get_encoded_features()
        self.built = True
        self._sublayers_built = True

    # ------------------------------------------------------- symbolic pieces
    def get_inputs(self) -> dict[str, Any]:
        """The symbolic inputs (``heft.Input``, one per feature, shape ``(None, 1)``)."""
        self._check_if_built()
        return self.inputs

    def get_encoded_features(self) -> Any:
        """The symbolic encoded outputs (a tensor in ``"concat"`` mode, else a dict)."""
        self._check_if_adapted()
        if self.encoded_features is None:
            preprocessed = self._preprocess_features(self.inputs)
            crossed = self._cross_features(preprocessed)
            self._set_untracked("encoded_features", self._merge_features(preprocessed, crossed))
        return self.encoded_features

    def _preprocess_features(self, features: dict[str, Any]) -> dict[str, Any]:
        unknown = [key for key in features if key not in self.preprocessors]
        if unknown:
            raise KeyError(
                f"Unknown feature(s) {unknown}: this FeatureSpace has the features "
                f"{list(self.preprocessors)}. Pass only those keys."
            )
        return {key: self.preprocessors[key](features[key]) for key in features}

    def _cross_features(self, features: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for cross in self.crosses:
            missing = [key for key in cross.feature_names if key not in features]
            if missing:
                raise KeyError(
                    f"Feature cross '{cross.name}' needs the feature(s) {missing}, which the "
                    f"inputs lack (they have {list(features)})."
                )
            out[cross.name] = self.crossers[cross.name]([features[k] for k in cross.feature_names])
        return out

    def _merge_features(self, preprocessed: dict[str, Any], crossed: dict[str, Any]) -> Any:
        if not self._preprocessed_features_names:
            self._preprocessed_features_names = sorted(preprocessed)
            self._crossed_features_names = sorted(crossed)
        feature_names = self._preprocessed_features_names
        missing = [key for key in feature_names if key not in preprocessed]
        if missing:
            raise KeyError(
                f"The inputs lack the feature(s) {missing}. A FeatureSpace is called with a "
                f"dict holding every feature: {feature_names}."
            )
        names = feature_names + self._crossed_features_names
        values = [preprocessed[k] for k in feature_names] + [
            crossed[k] for k in self._crossed_features_names
        ]
        if not self._sublayers_built:
            self._make_encoders(names, values)
        encoded = {}
        for key, value in zip(names, values, strict=True):
            encoder = self.one_hot_encoders.get(key)
            encoded[key] = encoder(value) if encoder is not None else value
        if self.output_mode == "dict":
            return encoded
        if self.concat is None:
            self._check_concatenable(encoded)
            self.concat = TFDConcat(axis=-1)
        return self.concat(list(encoded.values()))

    def _make_encoders(self, names: list[str], values: list[Any]) -> None:
        """One ``CategoryEncoding`` per ``"one_hot"`` feature, sized by its preprocessor."""
        specs: list[Any] = [self.features[k] for k in self._preprocessed_features_names or []]
        specs += [self.crosses_by_name[k] for k in self._crossed_features_names]
        for key, value, spec in zip(names, values, specs, strict=True):
            if spec.output_mode != "one_hot":
                continue
            dtype = str(value.dtype)
            if not dtype.startswith("int"):
                raise ValueError(
                    f"Feature '{key}' has `output_mode='one_hot'`. Thus its preprocessor "
                    f"should return an integer dtype. Instead it returns a {dtype} dtype."
                )
            layer = self.preprocessors.get(key) or self.crossers.get(key)
            cardinality: int | None
            if isinstance(layer, _layers.IntegerLookup | _layers.StringLookup):
                cardinality = layer.vocabulary_size()
            elif isinstance(layer, _layers.CategoryEncoding):
                cardinality = layer.num_tokens
            elif isinstance(
                layer, _layers.Discretization | _layers.HashedCrossing | _layers.Hashing
            ):
                cardinality = layer.num_bins
            else:
                raise ValueError(
                    f"Feature '{key}' has `output_mode='one_hot'`. However it isn't a standard "
                    "feature and the dimensionality of its output space is not known, thus it "
                    "cannot be one-hot encoded. Try using `output_mode='int'`."
                )
            if cardinality is not None:
                self.one_hot_encoders[key] = _layers.CategoryEncoding(
                    num_tokens=cardinality, output_mode="multi_hot"
                )

    def _check_concatenable(self, encoded: dict[str, Any]) -> None:
        for key, value in encoded.items():
            dtype = str(value.dtype)
            if dtype.startswith("int") or dtype == "string" or dtype.startswith("<U"):
                raise ValueError(
                    f"Cannot concatenate features because feature '{key}' has not been "
                    f"encoded (it has dtype {dtype}). Consider using `output_mode='dict'`."
                )

    def _check_if_adapted(self) -> None:
        if not self._is_adapted:
            if not self._list_adaptable_preprocessors():
                self._is_adapted = True
            else:
                raise ValueError(
                    "You need to call `.adapt(dataset)` on the FeatureSpace before you can "
                    "start using it."
                )

    def _check_if_built(self) -> None:
        if not self._sublayers_built:
            self._check_if_adapted()
            self.get_encoded_features()
            self._sublayers_built = True

    # -------------------------------------------------------------------- call
    def __call__(self, data: Any) -> Any:  # type: ignore[override]
        """Encode a dict of feature values: one sample (scalars) or a batch (arrays).

        Raises:
            ValueError: If ``data`` is not a dict, or ``adapt`` was not called.
            KeyError: If ``data`` names a feature the space lacks, or lacks one it has.
        """
        self._check_if_built()
        if not isinstance(data, dict):
            raise ValueError(
                "A FeatureSpace can only be called with a dict. "
                f"Received: data={data} (of type {type(data)})"
            )
        arrays = {}
        rebatched = False
        for key, value in data.items():
            arr = _to_host(value)
            spec = self.features.get(key)
            if spec is not None:
                arr = _as_input_dtype(arr, spec.dtype)
            if arr.ndim == 0:
                arr = arr.reshape(1, 1)
                rebatched = True
            elif arr.ndim == 1:
                arr = arr[:, None]
            arrays[key] = arr
        merged = self._merge_features(
            *self._preprocess_and_cross(arrays),
        )
        if rebatched:
            if self.output_mode == "concat":
                merged = merged[0]
            else:
                merged = {
                    key: x[0] if len(x.shape) == 2 and x.shape[0] == 1 else x
                    for key, x in merged.items()
                }
        return merged

    def _preprocess_and_cross(self, arrays: dict[str, np.ndarray]) -> tuple[dict, dict]:
        preprocessed = self._preprocess_features(arrays)
        return preprocessed, self._cross_features(preprocessed)

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict[str, Any]:
        return {
            "features": _serialization.serialize_keras_object(self.features),
            "output_mode": self.output_mode,
            "crosses": _serialization.serialize_keras_object(self.crosses),
            "crossing_dim": self.crossing_dim,
            "hashing_dim": self.hashing_dim,
            "num_discretization_bins": self.num_discretization_bins,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> FeatureSpace:
        return cls(**config)

    def get_build_config(self) -> dict[str, Any]:
        return {key: spec.preprocessor.get_build_config() for key, spec in self.features.items()}

    def build_from_config(self, config: dict[str, Any] | None) -> None:
        for key, layer_config in (config or {}).items():
            layer = self.features[key].preprocessor
            if not layer.built:
                layer.build_from_config(layer_config)
        self._is_adapted = True

    def save(self, filepath: Any) -> None:  # type: ignore[override]
        """Write the feature space to a ``.keras`` archive (reload with ``load_model``)."""
        from ..saving import _api

        _api.save_model(self, filepath)

    def save_own_variables(self, store: Any) -> None:
        return None

    def load_own_variables(self, store: Any) -> None:
        return None
