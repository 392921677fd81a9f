"""``TextVectorization``: text to token indices or token counts, on the host."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import jax.numpy as jnp
import numpy as np

from . import _adapt_data, _categorical
from ._hashing import canonical_int
from ._layer import Layer
from ._lookups import StringLookup

# The ASCII punctuation TensorFlow's regex removes (`,-.` is a range: `,`, `-` and `.`).
_PUNCTUATION = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
_STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
_SPLIT = ("whitespace", "character")


def _check_choice(value: Any, allowed: tuple[str, ...], arg: str) -> None:
    if value is None or callable(value) or value in allowed:
        return
    raise ValueError(
        f"Unknown value for `{arg}` argument of TextVectorization. Allowed values are: "
        f"{allowed}, None, or a callable. Received: {arg}={value}"
    )


def _lower_ascii(text: str) -> str:
    """Lowercase ASCII letters only, as ``tf.strings.lower`` without an encoding."""
    return text.encode("utf-8").lower().decode("utf-8")


def _split_whitespace(text: str) -> list[str]:
    """Split on ASCII whitespace, dropping empty pieces (``tf.strings.split``)."""
    return [p.decode("utf-8") for p in text.encode("utf-8").split()]


def _ngrams(tokens: list[str], widths: tuple[int, ...]) -> list[str]:
    """All n-grams of each width in turn, joined by spaces (``tf.strings.ngrams``)."""
    out: list[str] = []
    for n in widths:
        out.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return out


class TextVectorization(Layer):
    """Turns strings into sequences of token indices, or into token counts per string.

    Each string is standardized (ASCII lowercasing and/or removal of ASCII
    punctuation, or a callable), split into tokens (on ASCII whitespace, into
    characters, or by a callable), optionally expanded into n-grams, then looked
    up in a vocabulary (index 0 is padding, 1 the OOV token ``"[UNK]"``).
    ``output_mode="int"`` gives padded index sequences (cut or padded to
    ``output_sequence_length`` when set); the other modes give one vector per
    string (see ``StringLookup``). The results equal Keras's.

    Everything runs on the host with numpy and Python: call the layer on numpy
    arrays (or lists) of strings of shape ``(batch,)`` or ``(batch, 1)``,
    typically when preparing batches before ``fit``. Keras on JAX needs
    TensorFlow for this; heft needs neither. A callable ``standardize``
    receives a numpy array of strings and returns one; a callable ``split``
    receives a numpy array of strings and returns one list of tokens per
    string. The vocabulary is saved in ``.keras`` archives as Keras saves it.

    Args:
        max_tokens: The vocabulary's largest size, padding and OOV included.
        standardize: ``"lower_and_strip_punctuation"``, ``"lower"``,
            ``"strip_punctuation"``, ``None`` or a callable.
        split: ``"whitespace"``, ``"character"``, ``None`` (whole strings) or a callable.
        ngrams: ``None``, an int ``n`` (1- to n-grams) or a tuple of widths.
        output_mode: ``"int"``, ``"multi_hot"``, ``"count"`` or ``"tf_idf"``
            (``"one_hot"`` with ``split=None``).
        output_sequence_length: With ``"int"``, the fixed output length.
        pad_to_max_tokens: Whether encoded outputs have ``max_tokens`` slots.
        vocabulary: A list of tokens or a vocabulary file path.
        idf_weights: For ``"tf_idf"`` with ``vocabulary``: one weight per token.
        sparse: Only ``False``.
        ragged: Only ``False`` (heft has no ragged arrays).
        encoding: The text encoding of ``bytes`` inputs.
        name: The layer's name.
        **kwargs: Base layer arguments.

    Raises:
        ValueError: For arguments Keras refuses, and for vocabularies with
            repeated tokens or the padding token inside.

    >>> import numpy as np
    >>> layer = TextVectorization(output_sequence_length=4)
    >>> layer.adapt(np.array(["The cat sat.", "The dog!"]))
    >>> layer(np.array(["the cat", "a dog sat"])).tolist()
    [[2, 5, 0, 0], [1, 4, 3, 0]]
    """

    def __init__(
        self,
        max_tokens: int | None = None,
        standardize: str | Callable | None = "lower_and_strip_punctuation",
        split: str | Callable | None = "whitespace",
        ngrams: int | tuple[int, ...] | None = None,
        output_mode: str = "int",
        output_sequence_length: int | None = None,
        pad_to_max_tokens: bool = False,
        vocabulary: Any = None,
        idf_weights: Any = None,
        sparse: bool = False,
        ragged: bool = False,
        encoding: str = "utf-8",
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        if sparse:
            raise ValueError("`sparse=True` can only be used with the TensorFlow backend.")
        if ragged:
            raise ValueError("`ragged=True` can only be used with the TensorFlow backend.")
        _check_choice(standardize, _STANDARDIZE, "standardize")
        _check_choice(split, _SPLIT, "split")
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode == "tf-idf":
            output_mode = "tf_idf"
        _categorical.check_output_mode(
            output_mode, ("int", "one_hot", "multi_hot", "count", "tf_idf"), "TextVectorization"
        )
        if not (
            ngrams is None
            or isinstance(ngrams, int)
            or (isinstance(ngrams, tuple) and all(isinstance(i, int) for i in ngrams))
        ):
            raise ValueError(
                f"`ngrams` must be None, an integer, or a tuple of integers. Received: "
                f"ngrams={ngrams}"
            )
        if output_mode == "int" and not (
            isinstance(output_sequence_length, int) or output_sequence_length is None
        ):
            raise ValueError(
                "`output_sequence_length` must be either None or an integer when "
                f"`output_mode` is 'int'. Received: output_sequence_length={output_sequence_length}"
            )
        if output_mode != "int" and output_sequence_length is not None:
            raise ValueError(
                "`output_sequence_length` must not be set if `output_mode` is not 'int'. "
                f"Received output_sequence_length={output_sequence_length}."
            )
        self._max_tokens = max_tokens
        self._standardize = standardize
        self._split = split
        self._ngrams_arg = ngrams
        self._ngrams = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        self._ragged = ragged
        self._output_mode = output_mode
        self._output_sequence_length = output_sequence_length
        self._encoding = encoding
        has_input = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        vocabulary_size = kwargs.pop("vocabulary_size", None)
        super().__init__(name=name, **kwargs)
        self._lookup_layer = StringLookup(
            max_tokens=max_tokens,
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            pad_to_max_tokens=pad_to_max_tokens,
            mask_token="",
            output_mode=output_mode,
            sparse=sparse,
            has_input_vocabulary=has_input,
            encoding=encoding,
            vocabulary_size=vocabulary_size,
        )
        self._build_at_init()

    # ---------------------------------------------------------------- text processing
    def _strings(self, inputs: Any) -> np.ndarray:
        arr = _adapt_data.to_numpy(inputs)
        if arr.dtype.kind == "O":
            arr = np.vectorize(
                lambda v: v.decode(self._encoding) if isinstance(v, bytes) else v, otypes=[object]
            )(arr)
        if arr.dtype.kind != "U" and arr.size:
            raise ValueError(
                f"TextVectorization '{self.name}' takes strings, but received an array of dtype "
                f"{arr.dtype}. Pass a numpy array (or list) of strings."
            )
        return arr.astype(str)

    def _standardized(self, arr: np.ndarray) -> np.ndarray:
        if callable(self._standardize):
            return np.asarray(self._standardize(arr)).astype(str)
        flat = arr.reshape(-1).tolist()
        if self._standardize in ("lower", "lower_and_strip_punctuation"):
            flat = [_lower_ascii(s) for s in flat]
        if self._standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
            flat = [_PUNCTUATION.sub("", s) for s in flat]
        return np.asarray(flat, dtype=str).reshape(arr.shape)

    def _preprocess(self, inputs: Any) -> tuple[list[list[str]], bool]:
        """Token lists, one per string, and whether the layer split (a ragged result)."""
        arr = self._standardized(self._strings(inputs))
        if self._split is None:
            rows = arr.reshape(arr.shape[0], -1) if arr.ndim else arr.reshape(1, 1)
            return [list(r) for r in rows.tolist()], False
        if arr.ndim > 1:
            if arr.shape[-1] != 1:
                raise ValueError(
                    "When using `TextVectorization` to tokenize strings, the input rank must "
                    f"be 1 or the last shape dimension must be 1. Received: inputs.shape="
                    f"{arr.shape} with rank={arr.ndim}"
                )
            arr = arr.reshape(arr.shape[:-1])
        strings = arr.reshape(-1).tolist()
        if self._split == "whitespace":
            tokens = [_split_whitespace(s) for s in strings]
        elif self._split == "character":
            tokens = [list(s) for s in strings]
        else:
            split = self._split
            assert callable(split)  # noqa: S101 - narrowed for type checkers
            tokens = [[str(t) for t in row] for row in split(np.asarray(strings))]
        if self._ngrams is not None:
            tokens = [_ngrams(row, self._ngrams) for row in tokens]
        return tokens, True

    # ---------------------------------------------------------------- vocabulary
    def adapt(self, data: Any, batch_size: int | None = None, steps: int | None = None) -> None:
        """Learn the vocabulary from strings (see ``StringLookup.adapt`` for the order).

        Args:
            data: Strings as a numpy array or list, a ``tf.data.Dataset`` (when
                TensorFlow is installed), a ``PyDataset``-like object or an
                iterable of batches of strings.
            batch_size: Unused (as in Keras).
            steps: The most batches to read from a dataset or iterable.

        Raises:
            ValueError: If the layer has a fixed vocabulary or the data yields no
                token. The layer keeps its vocabulary then.
        """
        if _adapt_data.is_array(data) or isinstance(data, list | tuple):
            arr = self._strings(data)
            parts = [arr[:, None] if arr.ndim == 1 else arr]
        else:
            parts = list(_adapt_data.batches(data, steps))
        documents: list[list[str]] = []
        for part in parts:
            documents.extend(self._preprocess(part)[0])
        width = max((len(d) for d in documents), default=0)
        padded = np.asarray([d + [""] * (width - len(d)) for d in documents], dtype=str)
        if padded.size == 0:
            padded = np.zeros((len(documents), 0), dtype=str)
        self._lookup_layer._adapt_documents(padded)

    def get_vocabulary(self, include_special_tokens: bool = True) -> list[Any]:
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self) -> int:
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        """Replace the vocabulary (see ``StringLookup.set_vocabulary``)."""
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights=idf_weights)

    # ---------------------------------------------------------------- call
    def _convert_input(self, x: Any) -> Any:
        return x

    def call(self, inputs: Any) -> Any:
        lookup = self._lookup_layer
        if self._split is None and self._ngrams is None:
            # Whole strings are tokens: the lookup's own rules for shapes and modes apply.
            out = lookup(self._standardized(self._strings(inputs)))
            length = self._output_sequence_length
            if self._output_mode != "int" or length is None:
                return out
            out = out[..., :length]
            pad = [(0, 0)] * (out.ndim - 1) + [(0, length - out.shape[-1])]
            return jnp.pad(out, pad)
        rows, _ = self._preprocess(inputs)
        lookup._ensure_known_vocab_size()
        lengths = [len(r) for r in rows]
        flat = np.asarray([t for r in rows for t in r], dtype=str)
        indices = lookup._lookup(flat) if flat.size else np.zeros((0,), "int64")
        if self._output_mode == "int":
            width = self._output_sequence_length
            if width is None:
                width = max(lengths, default=0)
            out = np.zeros((len(rows), width), "int64")
            start = 0
            for i, n in enumerate(lengths):
                keep = min(n, width)
                out[i, :keep] = indices[start : start + keep]
                start += n
            return jnp.asarray(out.astype(canonical_int("int64")))
        depth = lookup._depth()
        counts = np.zeros((len(rows), depth), "float32")
        start = 0
        for i, n in enumerate(lengths):
            row = indices[start : start + n]
            row = row[(row >= 0) & (row < depth)]
            np.add.at(counts[i], row, 1.0)
            start += n
        if self._output_mode == "multi_hot":
            return jnp.asarray(np.minimum(counts, 1.0).astype(canonical_int("int64")))
        if self._output_mode == "tf_idf":
            return jnp.asarray(counts * np.asarray(lookup.idf_weights_const, "float32"))
        return jnp.asarray(counts.astype(canonical_int("int64")))

    def compute_output_shape(self, input_shape: Any) -> Any:
        if self._output_mode == "int":
            return (input_shape[0], self._output_sequence_length)
        shape = tuple(input_shape)
        if self._split is None:
            if len(shape) <= 1:
                shape = (*shape, 1)
        else:
            shape = (*shape, None)
        return self._lookup_layer.compute_output_shape(shape)

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        from .._symbolic import KerasTensor

        dtype = "int64" if self._output_mode == "int" else "float32"
        return KerasTensor(self.compute_output_shape(args[0].shape), dtype)

    # ---------------------------------------------------------------- saving
    def get_config(self) -> dict[str, Any]:
        lookup = self._lookup_layer
        config = super().get_config()
        config.update(
            {
                "max_tokens": lookup.max_tokens,
                "standardize": self._standardize,
                "split": self._split,
                "ngrams": self._ngrams_arg,
                "output_mode": self._output_mode,
                "output_sequence_length": self._output_sequence_length,
                "pad_to_max_tokens": lookup.pad_to_max_tokens,
                "sparse": lookup.sparse,
                "ragged": self._ragged,
                "vocabulary": lookup.get_config()["vocabulary"],
                "idf_weights": lookup.get_config()["idf_weights"],
                "encoding": self._encoding,
                "vocabulary_size": self.vocabulary_size(),
            }
        )
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> TextVectorization:
        config = dict(config)
        if isinstance(config.get("ngrams"), list):
            config["ngrams"] = tuple(config["ngrams"])
        return super().from_config(config)  # type: ignore[return-value]

    def save_own_variables(self, store: Any) -> None:
        self._lookup_layer.save_own_variables(store)

    def load_own_variables(self, store: Any) -> None:
        self._lookup_layer.load_own_variables(store)

    def save_assets(self, dir_path: str) -> None:
        self._lookup_layer.save_assets(dir_path)

    def load_assets(self, dir_path: str) -> None:
        self._lookup_layer.load_assets(dir_path)
