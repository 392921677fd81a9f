"""``StringLookup`` and ``IntegerLookup``: vocabulary lookups of strings and integers."""

from __future__ import annotations

from typing import Any

from ._index_lookup import IndexLookup

_ARGS_DOC = """
    Args:
        max_tokens: The vocabulary's largest size, special tokens included (``> 1``).
        num_oov_indices: The number of OOV indices; unknown values are spread over
            them by hash (``StringLookup``) or ``value % n`` (``IntegerLookup``
            with ``oov_method="floormod"``). With ``0`` an unknown value is an error.
        mask_token: The value that maps to index 0 (and stays 0), or ``None``.
        oov_token: The token ``invert=True`` returns for OOV indices.
        vocabulary: A list/array of tokens or a text file path (one token a line).
        idf_weights: For ``output_mode="tf_idf"`` with ``vocabulary``: one weight per token.
        invert: Whether to map indices back to tokens.
        output_mode: ``"int"``, ``"one_hot"``, ``"multi_hot"``, ``"count"`` or ``"tf_idf"``.
        pad_to_max_tokens: Whether encoded outputs have ``max_tokens`` slots.
        sparse: Only ``False`` (heft has no sparse arrays).
        salt: A seed (int or pair) of the keyed OOV hash.
        name: The layer's name.
        **kwargs: ``vocabulary_size`` and the like, read back from a config.

    Raises:
        ValueError: For arguments Keras refuses (``max_tokens <= 1``, a negative
            ``num_oov_indices``, ``invert`` with an encoded mode, ``idf_weights``
            without ``"tf_idf"``, a vocabulary with repeated tokens or a misplaced
            mask token...).
"""


class StringLookup(IndexLookup):
    def __init__(
        self,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        mask_token: Any = None,
        oov_token: Any = "[UNK]",
        vocabulary: Any = None,
        idf_weights: Any = None,
        invert: bool = False,
        output_mode: str = "int",
        pad_to_max_tokens: bool = False,
        sparse: bool = False,
        encoding: str = "utf-8",
        name: str | None = None,
        salt: Any = None,
        **kwargs: Any,
    ) -> None:
        if sparse:
            raise ValueError("`sparse=True` can only be used with the TensorFlow backend.")
        self.encoding = encoding
        kwargs.pop("vocabulary_dtype", None)
        super().__init__(
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
            mask_token=mask_token,
            oov_token=oov_token,
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            invert=invert,
            output_mode=output_mode,
            pad_to_max_tokens=pad_to_max_tokens,
            sparse=sparse,
            name=name,
            salt=salt,
            vocabulary_dtype="string",
            **kwargs,
        )

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["vocabulary_dtype"]
        config["encoding"] = self.encoding
        return config


class IntegerLookup(IndexLookup):
    def __init__(
        self,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        mask_token: Any = None,
        oov_token: Any = -1,
        vocabulary: Any = None,
        vocabulary_dtype: str = "int64",
        idf_weights: Any = None,
        invert: bool = False,
        output_mode: str = "int",
        sparse: bool = False,
        pad_to_max_tokens: bool = False,
        oov_method: str = "floormod",
        salt: Any = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(
                "If `max_tokens` is set for `IntegerLookup`, it must be greater than 1. "
                f"Received: max_tokens={max_tokens}"
            )
        if num_oov_indices < 0:
            raise ValueError(
                "The value of `num_oov_indices` argument for `IntegerLookup` must >= 0. "
                f"Received: num_oov_indices={num_oov_indices}"
            )
        if sparse:
            raise ValueError("`sparse=True` can only be used with the TensorFlow backend.")
        if vocabulary_dtype != "int64":
            raise ValueError(
                "Only `vocabulary_dtype='int64'` is supported at this time. Received: "
                f"vocabulary_dtype={vocabulary_dtype}"
            )
        super().__init__(
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
            mask_token=mask_token,
            oov_token=oov_token,
            vocabulary=vocabulary,
            vocabulary_dtype=vocabulary_dtype,
            idf_weights=idf_weights,
            invert=invert,
            output_mode=output_mode,
            sparse=sparse,
            pad_to_max_tokens=pad_to_max_tokens,
            oov_method=oov_method,
            salt=salt,
            name=name,
            **kwargs,
        )

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        for key in ("oov_token", "mask_token"):
            if config[key] is not None:
                config[key] = int(config[key])
        if config["vocabulary"] is not None:
            config["vocabulary"] = [int(v) for v in config["vocabulary"]]
        return config


StringLookup.__doc__ = (
    """Maps strings to integer indices through a vocabulary given or adapted.

    Runs on the host with numpy and Python: call it on numpy arrays of strings
    (``str``, ``bytes`` or ``object``), e.g. when preparing batches before
    ``fit``. (Keras on JAX needs TensorFlow and ``tf.data`` for strings; heft
    needs neither.) ``invert=True`` returns numpy string arrays. The learned
    vocabulary is saved in ``.keras`` archives as Keras saves it
    (``assets/.../vocabulary.txt``), so archives load in either library.
    """
    + _ARGS_DOC
    + """
        encoding: The text encoding of ``bytes`` inputs.

    >>> import numpy as np
    >>> layer = StringLookup(vocabulary=["a", "b", "c"])
    >>> layer(np.array([["a", "c"], ["z", "b"]])).tolist()
    [[1, 3], [0, 2]]
    """
)
IntegerLookup.__doc__ = (
    """Maps integers to contiguous indices through a vocabulary given or adapted.

    The lookup runs on the host (numpy and Python); inside a jitted function
    (a model's ``predict``) it runs as a host callback. The learned vocabulary
    is saved in ``.keras`` archives as Keras saves it.
    """
    + _ARGS_DOC
    + """
        vocabulary_dtype: Only ``"int64"``.
        oov_method: ``"floormod"`` or ``"farmhash"`` (hash the decimal text).

    >>> import numpy as np
    >>> layer = IntegerLookup(vocabulary=[12, 36, 1138])
    >>> layer(np.array([12, 1138, 42])).tolist()
    [1, 3, 0]
    """
)
