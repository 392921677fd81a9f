"""The vocabulary lookup shared by ``StringLookup`` and ``IntegerLookup``, on the host.

Tokens live in a Python dict; lookups run with numpy over the distinct values
of a batch. Integer inputs may also come from inside a jitted function (the
lookup then runs as a host callback); strings are read from numpy arrays.
"""

from __future__ import annotations

import collections
import os
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import _safe_mode
from . import _adapt_data, _categorical
from ._hashing import as_hash_text, canonical_int
from ._layer import Layer
from ._string_hash import fingerprint64, siphash24

_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")
# Where a masked input goes in encoded modes: outside every slot, so counted nowhere.
_NOWHERE = -1


def _in_loading_safe_mode() -> bool:
    """Whether a load running in safe mode is under way (Keras refuses outside files then)."""
    stack = getattr(_safe_mode._state, "stack", None)
    return bool(stack and stack[-1])


class IndexLookup(Layer):
    """Maps tokens to indices (or back, with ``invert``) through a vocabulary.

    The index space is ``[mask] [OOV x num_oov_indices] tokens...``: the mask
    slot exists when ``mask_token`` is set and ``output_mode == "int"``.
    Subclasses fix the token kind (``vocabulary_dtype``).
    """

    def __init__(
        self,
        max_tokens: int | None,
        num_oov_indices: int,
        mask_token: Any,
        oov_token: Any,
        vocabulary_dtype: str,
        vocabulary: Any = None,
        idf_weights: Any = None,
        invert: bool = False,
        output_mode: str = "int",
        sparse: bool = False,
        pad_to_max_tokens: bool = False,
        oov_method: str = "floormod",
        name: str | None = None,
        salt: Any = None,
        **kwargs: Any,
    ) -> None:
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(
                f"If set, `max_tokens` must be greater than 1. Received: max_tokens={max_tokens}"
            )
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(
                f"If pad_to_max_tokens is True, must set `max_tokens`. Received: "
                f"max_tokens={max_tokens}"
            )
        if num_oov_indices < 0:
            raise ValueError(
                "`num_oov_indices` must be greater than or equal to 0. Received: "
                f"num_oov_indices={num_oov_indices}"
            )
        if oov_method not in ("floormod", "farmhash"):
            raise ValueError(
                f"Unknown value for `oov_method` argument of {type(self).__name__}. Allowed "
                f"values are: ('floormod', 'farmhash'). Received: oov_method={oov_method}"
            )
        integer_keys = vocabulary_dtype != "string"
        if salt is not None:
            if integer_keys and oov_method != "farmhash":
                raise ValueError(
                    "`salt` can only be used when `oov_method='farmhash'`. Received: "
                    f"oov_method={oov_method}"
                )
            if isinstance(salt, tuple | list) and len(salt) == 2:
                salt = list(salt)
            elif isinstance(salt, int):
                salt = [salt, salt]
            else:
                raise ValueError(
                    "The `salt` argument for `IndexLookup` can only be a tuple of 2 integers, "
                    f"or a single integer. Received: salt={salt}."
                )
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode == "tf-idf":
            output_mode = "tf_idf"
        _categorical.check_output_mode(output_mode, _MODES, type(self).__name__)
        if invert and output_mode != "int":
            raise ValueError(
                "`output_mode` must be `'int'` when `invert` is true. Received: "
                f"output_mode={output_mode}"
            )
        if sparse and output_mode == "int":
            raise ValueError(
                "`sparse` may only be true if `output_mode` is `'one_hot'`, `'multi_hot'`, "
                f"`'count'` or `'tf_idf'`. Received: sparse={sparse} and output_mode={output_mode}"
            )
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(
                "`idf_weights` should only be set if `output_mode` is `'tf_idf'`. Received: "
                f"idf_weights={idf_weights} and output_mode={output_mode}"
            )
        frozen = kwargs.pop("vocabulary_size", None)
        has_input = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        kwargs.pop("trainable", None)
        kwargs.pop("dtype", None)
        if kwargs:
            raise ValueError(f"Unrecognized keyword argument(s): {kwargs}")
        super().__init__(name=name)
        self.invert = invert
        self.max_tokens = max_tokens
        self.num_oov_indices = num_oov_indices
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.output_mode = output_mode
        self.sparse = sparse
        self.pad_to_max_tokens = pad_to_max_tokens
        self.vocabulary_dtype = vocabulary_dtype
        self.oov_method = oov_method
        self.salt = salt
        self._frozen_vocab_size = frozen
        self.input_vocabulary = vocabulary if not isinstance(vocabulary, str) else None
        self.input_idf_weights = idf_weights
        self._has_input_vocabulary = has_input
        self._tokens: list[Any] = []
        self._index: dict[Any, int] = {}
        self.idf_weights_const: np.ndarray | None = None
        if output_mode == "tf_idf":
            if has_input and idf_weights is None:
                raise ValueError(
                    "When specifying the `vocabulary` argument, in TF-IDF output mode, the "
                    "`idf_weights` argument must also be provided."
                )
            if idf_weights is not None:
                self.idf_weights_const = np.asarray(idf_weights, "float32")
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        self._reset_counts()
        self._build_at_init()

    # ---------------------------------------------------------------- tokens
    def _token(self, value: Any) -> Any:
        """One vocabulary entry in its canonical Python form (``str`` or ``int``)."""
        if self.vocabulary_dtype == "string":
            if isinstance(value, bytes):
                return value.decode(getattr(self, "encoding", "utf-8"))
            return str(value)
        return int(value)

    def _oov_start_index(self) -> int:
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self) -> int:
        return self._oov_start_index() + self.num_oov_indices

    def vocabulary_size(self) -> int:
        """The vocabulary's size, the mask and OOV indices included."""
        return len(self._tokens) + self._token_start_index()

    def get_vocabulary(self, include_special_tokens: bool = True) -> list[Any]:
        """The vocabulary, index by index (with the mask and OOV tokens unless told not to)."""
        vocab = [self.oov_token] * self._token_start_index() + list(self._tokens)
        if self.mask_token is not None and self.output_mode == "int":
            vocab[0] = self.mask_token
        if not include_special_tokens:
            vocab = vocab[self._token_start_index() :]
        return vocab

    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        """Replace the vocabulary (and, for ``"tf_idf"``, the IDF weights).

        Args:
            vocabulary: A list, tuple or 1D array of tokens, or the path of a text
                file with one token per line. It may start with the special tokens
                (mask, then OOV) in index order; otherwise they are added.
            idf_weights: For ``"tf_idf"`` output, one weight per vocabulary entry.

        Raises:
            ValueError: For an empty vocabulary, repeated tokens, the mask token
                (or with ``invert`` the OOV token) after the special positions, a
                vocabulary over ``max_tokens``, a missing file, or IDF weights
                missing, unexpected or of the wrong length. Nothing changes then.
        """
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise ValueError("`idf_weights` must be set if output_mode is 'tf_idf'.")
        elif idf_weights is not None:
            raise ValueError(
                "`idf_weights` should only be set if output_mode is `'tf_idf'`. Received: "
                f"output_mode={self.output_mode} and idf_weights={idf_weights}"
            )
        if isinstance(vocabulary, str):
            if _in_loading_safe_mode():
                raise ValueError(
                    "Requested the loading of a vocabulary file outside of the model archive. "
                    "This carries a potential risk of loading arbitrary and sensitive files "
                    "and thus it is disallowed by default. If you trust the source of the "
                    "artifact, pass `safe_mode=False` to the loading function. Vocabulary "
                    f"file: '{vocabulary}'"
                )
            if not os.path.exists(vocabulary):
                raise ValueError(f"Vocabulary file {vocabulary} does not exist.")
            if self.output_mode == "tf_idf":
                raise ValueError(
                    "output_mode `'tf_idf'` does not support loading a vocabulary from file."
                )
            with open(vocabulary, encoding="utf-8") as f:
                lines = f.read().splitlines()
            vocabulary = lines
        values = [self._token(v) for v in np.asarray(vocabulary).reshape(-1).tolist()]
        if not values:
            raise ValueError(f"Cannot set an empty vocabulary. Received: vocabulary={vocabulary}")
        token_start = self._token_start_index()
        special = [self.mask_token] * self._oov_start_index() + [
            self.oov_token
        ] * self.num_oov_indices
        found_special = values[:token_start] == special
        tokens = values[token_start:] if found_special else values
        repeated = [t for t, c in collections.Counter(tokens).items() if c > 1]
        if repeated:
            raise ValueError(
                "The passed vocabulary has at least one repeated term. Please uniquify your "
                f"dataset. The repeated terms are: {repeated}"
            )
        for token, kind, check in (
            (self.mask_token, "mask_token", True),
            (self.oov_token, "oov_token", self.invert),
        ):
            if check and token is not None and token in tokens:
                where = [i for i, v in enumerate(values) if v == token][-1]
                raise ValueError(
                    f"Found reserved {'mask' if kind == 'mask_token' else 'OOV'} token at "
                    "unexpected location in `vocabulary`. Note that passed `vocabulary` does "
                    "not need to include the OOV and mask tokens. Either remove all mask and "
                    "OOV tokens, or include them only at the start of the vocabulary in "
                    f"precisely this order: {special}. Received: {kind}={token} at vocabulary "
                    f"index {where}"
                )
        size = token_start + len(tokens)
        if self.max_tokens is not None and size > self.max_tokens:
            raise ValueError(
                "Attempted to set a vocabulary larger than the maximum vocab size. Received "
                f"vocabulary size is {size}; `max_tokens` is {self.max_tokens}."
            )
        weights = None
        if self.output_mode == "tf_idf":
            idf = np.asarray(idf_weights)
            if len(values) != len(idf):
                raise ValueError(
                    "`idf_weights` must be the same length as vocabulary. len(idf_weights) is "
                    f"{len(idf)}; len(vocabulary) is {len(values)}"
                )
            if idf.ndim != 1:
                raise ValueError(
                    f"TF-IDF data must be a 1-index array. Received: type(idf_weights)="
                    f"{type(idf_weights)}"
                )
            front, front_value = (0, 0.0) if found_special else (token_start, np.average(idf))
            back = 0
            if self.pad_to_max_tokens and self.max_tokens is not None:
                back = self.max_tokens - front - len(idf)
            weights = np.pad(
                idf, (front, back), "constant", constant_values=(front_value, 0)
            ).astype("float32")
        self._check_size_unchanged(size)
        self._set_tokens(tokens)
        if weights is not None:
            self.idf_weights_const = weights

    def _set_tokens(self, tokens: list[Any]) -> None:
        self._tokens = list(tokens)
        start = self._token_start_index()
        self._index = {t: start + i for i, t in enumerate(self._tokens)}
        self._frozen_vocab_size = self.vocabulary_size()

    def _check_size_unchanged(self, new_size: int) -> None:
        if self.output_mode == "int" or self.pad_to_max_tokens:
            return
        if getattr(self, "_called", False) and new_size != self._frozen_vocab_size:
            raise RuntimeError(
                f"When using `output_mode={self.output_mode}` and `pad_to_max_tokens=False`, "
                "the vocabulary size cannot be changed after the layer is called. Old vocab "
                f"size is {self._frozen_vocab_size}, new vocab size is {new_size}"
            )

    # ---------------------------------------------------------------- adapt
    def _reset_counts(self) -> None:
        self._token_counts: collections.Counter = collections.Counter()
        self._document_counts: collections.Counter = collections.Counter()
        self._num_documents = 0

    def reset_state(self) -> None:
        if not self._has_input_vocabulary:
            self._reset_counts()

    def adapt(self, data: Any, steps: int | None = None) -> None:
        """Learn the vocabulary: tokens by descending count, ties by descending token.

        Args:
            data: An array or list of tokens (a 1D array is one token per row), a
                ``tf.data.Dataset`` (when TensorFlow is installed), a
                ``PyDataset``-like object or an iterable of batches.
            steps: The most batches to read from a dataset or iterable.

        Raises:
            ValueError: If the layer has a fixed vocabulary, or the data holds no
                token. The layer keeps its vocabulary then.
        """
        if self._has_input_vocabulary:
            raise ValueError(
                f"Cannot adapt layer '{self.name}' after setting a static vocabulary via "
                "`vocabulary` argument or `set_vocabulary()` method."
            )
        if _adapt_data.is_array(data) or isinstance(data, list | tuple):
            arr = self._host_array(data)
            parts = [arr[:, None] if arr.ndim == 1 else arr]
        else:
            parts = [self._host_array(b) for b in _adapt_data.batches(data, steps)]
        self._adapt_documents(*parts)

    def _adapt_documents(self, *parts: np.ndarray) -> None:
        """Learn the vocabulary from arrays whose rows are documents (rank < 2: one row)."""
        if self._has_input_vocabulary:
            raise ValueError(
                f"Cannot adapt layer '{self.name}' after setting a static vocabulary via "
                "`vocabulary` argument or `set_vocabulary()` method."
            )
        counts: collections.Counter = collections.Counter()
        documents: collections.Counter = collections.Counter()
        num_documents = 0
        for part in parts:
            if part.ndim < 2:
                part = part.reshape(1, -1)
            flat = [self._token(v) for v in part.reshape(-1).tolist()]
            counts.update(flat)
            if self.output_mode == "tf_idf":
                rows = part.reshape(part.shape[0], -1)
                for row in rows.tolist():
                    documents.update({self._token(v) for v in row})
                num_documents += rows.shape[0]
        for special in (self.mask_token, self.oov_token):
            if special is not None:
                counts.pop(self._token(special), None)
        if not counts:
            raise ValueError(
                f"adapt() of layer '{self.name}' found no tokens in the data (it is empty, or "
                "holds only the mask and OOV tokens). Pass data with at least one token."
            )
        tokens = np.asarray(list(counts.keys()))
        order = np.lexsort((tokens, np.asarray(list(counts.values()))))[::-1]
        if self.max_tokens:
            order = order[: self.max_tokens - self._token_start_index()]
        learned = [self._token(t) for t in tokens[order].tolist()]
        weights = None
        if self.output_mode == "tf_idf":
            doc = np.asarray([documents[t] for t in learned], "int64")
            idf = np.log(1 + num_documents / (1 + doc)).astype("float32")
            weights = np.pad(
                idf,
                (self._token_start_index(), 0),
                constant_values=np.mean(idf, dtype="float32"),
            )
            if self.pad_to_max_tokens and self.max_tokens is not None:
                weights = np.pad(weights, (0, self.max_tokens - weights.size))
        self._check_size_unchanged(len(learned) + self._token_start_index())
        self._set_tokens(learned)
        if weights is not None:
            self.idf_weights_const = weights.astype("float32")

    # ---------------------------------------------------------------- call
    def _host_array(self, x: Any, tokens: bool = True) -> np.ndarray:
        """``x`` as a numpy array of tokens (or, for ``tokens=False``, of indices)."""
        arr = _adapt_data.to_numpy(x)
        if self.vocabulary_dtype == "string" and tokens:
            if arr.dtype.kind not in "UO" and arr.size:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}' takes strings, but received an array "
                    f"of dtype {arr.dtype}. Pass strings, or use IntegerLookup for integers."
                )
        elif arr.dtype.kind not in "iub" and arr.size:
            if arr.dtype.kind == "f" and np.all(np.floor(arr) == arr):
                arr = arr.astype("int64")
            else:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}' takes integers, but received an "
                    f"array of dtype {arr.dtype}. Pass integers, or use StringLookup for "
                    "strings."
                )
        return arr

    def _oov_index(self, value: Any) -> int:
        n = self.num_oov_indices
        if self.vocabulary_dtype != "string" and self.oov_method != "farmhash":
            bucket = int(value) % n
        elif self.salt is not None:
            bucket = siphash24((self.salt[0], self.salt[1]), as_hash_text(value)) % n
        else:
            bucket = fingerprint64(as_hash_text(value)) % n
        return self._oov_start_index() + bucket

    def _lookup(self, arr: np.ndarray) -> np.ndarray:
        """Indices (``int64``) of the values of ``arr``; OOV rules and the mask applied."""
        flat = arr.reshape(-1)
        if flat.size == 0:
            return np.zeros(arr.shape, "int64")
        uniques, inverse = np.unique(flat, return_inverse=True)
        mask = self._token(self.mask_token) if self.mask_token is not None else None
        mask_index = 0 if self.output_mode == "int" else _NOWHERE
        out = []
        missing = []
        for raw in uniques.tolist():
            token = self._token(raw)
            if mask is not None and token == mask:
                out.append(mask_index)
                continue
            index = self._index.get(token)
            if index is None:
                if self.num_oov_indices == 0:
                    missing.append(token)
                    index = -1
                else:
                    index = self._oov_index(token)
            out.append(index)
        if missing:
            raise ValueError(
                "When `num_oov_indices=0` all inputs should be in vocabulary, found OOV values "
                f"{missing}, consider setting `num_oov_indices=1`."
            )
        return np.asarray(out, "int64")[inverse].reshape(arr.shape)

    def _invert(self, arr: np.ndarray) -> np.ndarray:
        """Tokens of the indices of ``arr`` (the OOV token outside the vocabulary)."""
        start = self._token_start_index()
        table = {start + i: t for i, t in enumerate(self._tokens)}
        flat = [
            self.mask_token
            if self.mask_token is not None and i == 0
            else table.get(i, self.oov_token)
            for i in arr.reshape(-1).tolist()
        ]
        if self.vocabulary_dtype == "string":
            return np.asarray(flat, dtype=str).reshape(arr.shape)
        return np.asarray(flat, "int64").reshape(arr.shape)

    def _convert_input(self, x: Any) -> Any:
        return x

    def call(self, inputs: Any) -> Any:
        self._ensure_known_vocab_size()
        self._called = True
        if isinstance(inputs, jax.core.Tracer):
            if self.vocabulary_dtype == "string" and not self.invert:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}' looks strings up on the host: call it "
                    "on numpy arrays of strings (e.g. in the data pipeline), not inside a "
                    "jitted function."
                )
            if self.invert and self.vocabulary_dtype == "string":
                raise ValueError(
                    f"{type(self).__name__} '{self.name}' with invert=True returns strings, "
                    "which cannot leave a jitted function: call it on numpy arrays."
                )
            spec = jax.ShapeDtypeStruct(inputs.shape, canonical_int("int64"))
            fn = self._invert if self.invert else self._lookup
            indices = jax.pure_callback(
                lambda v: fn(self._host_array(np.asarray(v), not self.invert)).astype(spec.dtype),
                spec,
                inputs,
            )
        else:
            arr = self._host_array(inputs, not self.invert)
            if self.invert:
                tokens = self._invert(arr)
                if self.vocabulary_dtype == "string":
                    return tokens
                return jnp.asarray(tokens.astype(canonical_int("int64")))
            indices = jnp.asarray(self._lookup(arr).astype(canonical_int("int64")))
        if self.output_mode == "int":
            return indices
        depth = self._depth()
        if self.output_mode == "tf_idf":
            counts = _categorical.encode(indices, "count", depth, "float32")
            if self.idf_weights_const is None:
                raise ValueError(
                    "When `output_mode` is `'tf_idf'`, `idf_weights` must be provided."
                )
            return counts * jnp.asarray(self.idf_weights_const, "float32")
        return _categorical.encode(indices, self.output_mode, depth, "int64")

    def _depth(self) -> int:
        """The number of slots of encoded outputs."""
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size
        return int(depth or 0)

    def _ensure_known_vocab_size(self) -> None:
        if self.output_mode == "int" or self.pad_to_max_tokens:
            return
        if self._frozen_vocab_size is None:
            raise RuntimeError(
                f"When using `output_mode={self.output_mode}` and `pad_to_max_tokens=False`, "
                "you must set the layer's vocabulary before calling it. Either pass a "
                "`vocabulary` argument to the layer, or call `adapt` with some sample data."
            )

    def compute_output_shape(self, input_shape: Any) -> Any:
        if self.output_mode == "int":
            return tuple(input_shape)
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size
        shape = tuple(input_shape)
        if self.output_mode == "one_hot":
            if len(shape) > 1 and shape[-1] == 1:
                return (*shape[:-1], depth)
            return (*shape, depth)
        return (*shape[:-1], depth)

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        from .._symbolic import KerasTensor

        if self.output_mode == "int":
            dtype = "string" if self.invert and self.vocabulary_dtype == "string" else "int64"
        else:
            dtype = "float32"
        return KerasTensor(self.compute_output_shape(args[0].shape), dtype)

    # ---------------------------------------------------------------- saving
    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        vocabulary = self.input_vocabulary
        if isinstance(vocabulary, np.ndarray):
            vocabulary = vocabulary.tolist()
        idf = self.input_idf_weights
        if isinstance(idf, np.ndarray):
            idf = idf.tolist()
        config.update(
            {
                "invert": self.invert,
                "max_tokens": self.max_tokens,
                "num_oov_indices": self.num_oov_indices,
                "oov_token": self.oov_token,
                "mask_token": self.mask_token,
                "output_mode": self.output_mode,
                "sparse": self.sparse,
                "pad_to_max_tokens": self.pad_to_max_tokens,
                "vocabulary_dtype": self.vocabulary_dtype,
                "idf_weights": idf,
                "vocabulary": vocabulary,
                "vocabulary_size": self._frozen_vocab_size,
                "oov_method": self.oov_method,
                "salt": self.salt,
            }
        )
        return config

    def get_build_config(self) -> dict[str, Any] | None:
        return {}

    def build_from_config(self, config: dict[str, Any] | None) -> None:
        return None

    def save_own_variables(self, store: Any) -> None:
        if self.output_mode == "tf_idf" and self.idf_weights_const is not None:
            store["idf_weights"] = np.asarray(self.idf_weights_const)

    def load_own_variables(self, store: Any) -> None:
        if self.output_mode == "tf_idf":
            self.idf_weights_const = np.asarray(store["idf_weights"], "float32")

    def save_assets(self, dir_path: str) -> None:
        """Write the learned vocabulary to ``vocabulary.txt`` (one token a line), as Keras."""
        if self.input_vocabulary is not None:
            return
        with open(os.path.join(dir_path, "vocabulary.txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(str(w) for w in self.get_vocabulary(include_special_tokens=True)))

    def load_assets(self, dir_path: str) -> None:
        """Read the vocabulary ``save_assets`` wrote."""
        if self.input_vocabulary is not None:
            return
        with open(os.path.join(dir_path, "vocabulary.txt"), encoding="utf-8") as f:
            lines = f.read().splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        values: list[Any] = lines if self.vocabulary_dtype == "string" else [int(v) for v in lines]
        if self.output_mode == "tf_idf":
            self.set_vocabulary(values, idf_weights=self.idf_weights_const)
        else:
            self.set_vocabulary(values)
