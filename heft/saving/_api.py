"""Weight files and ``.keras`` archives: check the arguments, pick the format by suffix."""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, cast

from .. import _platform
from ..layers._layer import Layer
from . import _formats, _loading, _model_config, _torch, _torch_files
from ._atomic import check_target, save_errors
from ._format import SaveFunction, WeightFormat
from ._policy import make_policy
from ._report import LoadReport


def _check_model(model: Any, action: str) -> None:
    if not isinstance(model, Layer):
        raise TypeError(
            f"Can only {action} weights of a heft model or layer. Received: {model!r} "
            f"(of type {type(model).__name__})."
        )
    if not model.built:
        verb = "saving" if action == "save" else "loading weights into"
        raise ValueError(
            f"You are {verb} model '{model.name}', which has not been built yet, so its "
            "weights do not exist. Build it first by calling it on some data, by calling "
            "`model.build(input_shape)`, or by starting it with an `Input(shape=...)`."
        )


def _path(filepath: Any) -> str:
    try:
        path = os.fspath(filepath)
    except TypeError:
        raise TypeError(
            "`filepath` must be a string or a path-like object. "
            f"Received: filepath={filepath!r} (of type {type(filepath).__name__})."
        ) from None
    if not isinstance(path, str):
        path = os.fsdecode(path)
    return path


def _check_bool(value: Any, argument: str) -> None:
    if not isinstance(value, bool):
        raise TypeError(
            f"`{argument}` must be True or False. Received: {argument}={value!r} "
            f"(of type {type(value).__name__})."
        )


def _check_shard_size(max_shard_size: Any) -> None:
    if isinstance(max_shard_size, bool) or not isinstance(max_shard_size, int | float):
        raise TypeError(
            "`max_shard_size` must be a number of gigabytes (an int or a float) or None. "
            f"Received: max_shard_size={max_shard_size!r} (of type "
            f"{type(max_shard_size).__name__})."
        )
    if not (math.isfinite(max_shard_size) and max_shard_size > 0):
        raise ValueError(
            "`max_shard_size` must be a positive, finite number of gigabytes, e.g. "
            f"`max_shard_size=2` for shards of at most 2 GB. Received: "
            f"max_shard_size={max_shard_size!r}."
        )


def _shard_target(
    path: str, fmt: WeightFormat, suffix: str, max_shard_size: Any
) -> tuple[WeightFormat, str]:
    """The format and path a save with ``max_shard_size`` goes to (the same ones without it).

    A format with a ``sharded_suffix`` is renamed to it, with a warning.
    """
    if max_shard_size is None:
        if fmt.needs_shard_size:
            raise ValueError(
                f"Saving to '{path}' writes sharded weights, which needs `max_shard_size`: "
                "pass the largest shard size in GB, e.g. `max_shard_size=2`, or save to a "
                "single `.weights.h5` file instead."
            )
        return fmt, path
    _check_shard_size(max_shard_size)
    if fmt.needs_shard_size:
        return fmt, path
    target = fmt.sharded_suffix
    if target is None:
        sharded = [f"`{s}`" for f in _formats.FORMATS if f.needs_shard_size for s in f.suffixes]
        renamed = [f"`{f.suffixes[0]}`" for f in _formats.FORMATS if f.sharded_suffix]
        raise ValueError(
            f"`max_shard_size` only applies to sharded {', '.join(sharded)} files (or "
            f"{', '.join(renamed)}, which is then renamed). Received: filepath='{path}' with "
            f"max_shard_size={max_shard_size!r}. Use a path ending in {sharded[0]}, or drop "
            "`max_shard_size`."
        )
    # The caller's spelling of what both suffixes share (".weights.") is kept.
    pairs = zip(suffix, target, strict=False)
    shared = next((i for i, (a, b) in enumerate(pairs) if a != b), min(len(suffix), len(target)))
    new_path = path[: len(path) - len(suffix) + shared] + target[shared:]
    warnings.warn(
        f"Sharded weights are saved as a `{target}` map plus shards, so '{path}' is "
        f"written as '{new_path}'. Pass a path ending in `{target}` to avoid this warning.",
        UserWarning,
        stacklevel=3,
    )
    return _formats.find(new_path, "save")[0], new_path


@_platform.usual_allocation()
def save_weights(
    model: Layer,
    filepath: str | os.PathLike,
    overwrite: bool = True,
    max_shard_size: float | None = None,
    layout: str = "keras",
    mapping: Any = None,
) -> None:
    """Save every variable of ``model`` to a weights file.

    Each file is written to a temporary name in the same folder, flushed to
    disk and renamed, so an interrupted save leaves any previous file intact.
    In every format but legacy ``.h5``, each layer's group holds what its
    ``save_own_variables`` stores (its variables, ``"0"``, ``"1"``..., by
    default); the layers are asked before anything is written.

    Args:
        model: A built heft model (or layer).
        filepath: Path ending in ``.weights.h5`` (Keras 3's layout, read by Keras
            3's ``load_weights``), ``.weights.json`` (the same layout in shards,
            with ``max_shard_size``), ``.safetensors`` (one tensor per variable,
            keyed like the ``.weights.h5`` datasets) or ``.h5``/``.hdf5`` (the
            legacy Keras 2 layout with ``layer_names``/``weight_names``).
        overwrite: Whether to replace an existing file.
        max_shard_size: Largest shard in GB: writes the shards
            ``{base}_00000.<tag>.weights.h5``, ``{base}_00001.<tag>.weights.h5``...
            (a tag of their own per save) next to a ``.weights.json`` map in
            Keras's layout, which Keras 3 loads. A ``.weights.h5`` path is
            renamed to ``.weights.json`` (with a warning).
        layout: ``"keras"`` (heft's and Keras's keys), or ``"torch"``: a PyTorch
            state dict, written to ``.safetensors`` (or ``.bin``/``.pt``/``.pth``
            through ``torch.save``), each variable converted to PyTorch's layout
            (see ``load_weights``), so that a PyTorch module of the same
            architecture loads it with ``load_state_dict(strict=True)``.
            BatchNorm gets ``num_batches_tracked = 0``, an LSTM's bias goes
            whole to ``bias_ih`` (``bias_hh`` zero: the same outputs).
        mapping: For ``layout="torch"``: the module names. A dict
            ``{PyTorch module or key: layer path or name}`` as ``load_weights``
            takes it (``report.mapping`` of the load writes the names read), or
            ``[(regex, replacement), ...]`` rewriting each layer's default
            name. By default a layer's module is its name, dotted through
            nested layers (``Dense(4, name="fc1")`` writes ``fc1.weight`` and
            ``fc1.bias``; an attribute ``proj`` of layer ``block`` writes
            ``block.proj.weight``); a stacked RNN's layer ``k`` is named
            ``<module>.l<k>`` and writes ``<module>.weight_ih_l<k>``.

    Raises:
        TypeError: If ``model`` is not a heft layer, ``filepath`` is not a path,
            or ``max_shard_size`` is not a number.
        ValueError: If the suffix is not supported, the model is not built,
            ``max_shard_size`` does not fit the suffix or is not positive, or one
            variable is larger than ``max_shard_size``; with ``layout="torch"``, if a
            layer has no PyTorch twin or the mapping names nothing.
        FileExistsError: If the file exists and ``overwrite`` is False.
        FileNotFoundError: If the target folder does not exist.
        OSError: If the file cannot be written (a full disk, a read-only or
            unwritable folder: the system's errno, e.g. ``PermissionError``);
            the message names ``filepath`` and says the previous file is
            untouched, and no temporary file is left.

    >>> import heft, os, tempfile
    >>> model = heft.Sequential([heft.Input((3,)), heft.layers.Dense(2)])
    >>> path = os.path.join(tempfile.mkdtemp(), "m.weights.h5")
    >>> save_weights(model, path)
    >>> load_weights(model, path).loaded
    2
    """
    _check_model(model, "save")
    path = _path(filepath)
    _check_bool(overwrite, "overwrite")
    if _check_layout(layout, mapping, path) == "torch":
        if max_shard_size is not None:
            raise ValueError(
                f"`max_shard_size` does not apply to layout='torch': '{path}' is written as one "
                "file. Drop `max_shard_size`."
            )
        if not path.lower().endswith((".safetensors", *_torch_files.PICKLE_SUFFIXES)):
            raise ValueError(
                f"Cannot save '{path}' with layout='torch': a PyTorch state dict is written to "
                "a `.safetensors` file (or `.bin`/`.pt`/`.pth` with PyTorch installed). Rename "
                "the file, e.g. 'model.safetensors'."
            )
        with save_errors(path):
            _torch.save(model, path, overwrite, mapping)
        return
    fmt, suffix = _formats.find(path, "save")
    fmt, path = _shard_target(path, fmt, suffix, max_shard_size)
    save = cast(SaveFunction, fmt.save)  # `find(..., "save")` only returns formats that save
    # Around the whole save too: a sharded save writes its shards outside `atomic_path`.
    with save_errors(path):
        save(model, path, overwrite, max_shard_size)


@_platform.usual_allocation()
def load_weights(
    model: Layer,
    filepath: str | os.PathLike,
    skip_mismatch: bool | str | Sequence[str] = False,
    by_name: bool = False,
    dry_run: bool = False,
    strip_prefix: str | None = None,
    aliases: Mapping[str, str] | None = None,
    layout: str = "keras",
    mapping: Any = None,
) -> LoadReport:
    """Load a weights file into ``model``, all or nothing, and report what happened.

    Every variable is paired with the file's value (by the object-graph walk
    for ``.weights.h5``, ``.weights.json``, ``.safetensors`` and ``.keras``, by
    layer position or name for legacy ``.h5``), and every pair is checked
    (present, count, shape, dtype) before any value is assigned. If something
    does not fit, nothing changes and a ``ValueError`` lists what is missing,
    mismatched and unexpected. Entries of the file the model does not use are
    reported but do not stop the load. A layer that defines its own
    ``load_own_variables`` reads its group itself; its assignments are
    recorded and made with all the others, so a layer that raises leaves the
    model unchanged too (its error is raised, with a note naming the layer).

    Args:
        model: A built heft model (or layer).
        filepath: A ``.weights.h5``, ``.weights.json`` (sharded; the shards must
            be in the same folder), ``.safetensors``, ``.h5`` or ``.hdf5`` file,
            or a ``.keras`` archive (its ``model.weights.h5`` is read in place).
        skip_mismatch: Whether to load what fits and keep the current values of
            missing or mismatched variables (with a warning listing them); or glob
            patterns over variable paths and file keys (``["*/head/*"]``): only the
            variables they match may be skipped, any other mismatch refuses the load.
        by_name: For legacy ``.h5`` files only: match layers by name instead of
            by position; model layers absent from the file are skipped.
        dry_run: Whether to only check and return the report, changing nothing.
        strip_prefix: Read only the file's entries under this key prefix, as if it
            were the root: the weights of a model saved inside a wrapper (the
            report's keys show the prefix, e.g. ``"layers/functional"``).
        aliases: ``{model key prefix: file key prefix}``: read the model's entries
            under the first from the file's under the second, for renamed layers
            or attributes (``{"encoder": "enc"}``). Not for legacy ``.h5`` files.
        layout: ``"keras"``, or ``"torch"`` to read a PyTorch state dict
            (``.safetensors``, Hugging Face's ``.safetensors.index.json`` with
            its shards, or ``.bin``/``.pt``/``.pth`` through
            ``torch.load(weights_only=True)``, which needs PyTorch) and convert
            each tensor: ``nn.Linear`` (transposed), ``nn.Conv*d`` and
            ``nn.ConvTranspose*d`` (channels first to last), depthwise and
            separable convolutions (``groups=channels``, then a 1x1
            convolution), ``nn.BatchNorm*d`` (``running_mean``/``running_var``;
            ``num_batches_tracked`` is dropped and reported), ``nn.LayerNorm``,
            ``nn.GroupNorm``, ``nn.Embedding``, ``nn.LSTM`` (``bias_ih +
            bias_hh``) and ``nn.GRU`` (gates reordered; the layer needs
            ``reset_after=True``), bidirectional (into ``Bidirectional``) and
            stacked (``weight_ih_l1``... into the next layer), and
            ``nn.MultiheadAttention`` (``in_proj_weight`` split into query, key
            and value). Set PyTorch's epsilons on the layers (``1e-5``). A
            ``Dense`` after ``Flatten`` of channels-last images sees its inputs
            in another order than after PyTorch's ``flatten`` of channels-first
            maps; that permutation is not converted.
            Layers pair with the file's modules of the same kind in order:
            a ``.bin``/``.pt`` file's own order, a safetensors file's names in
            natural order (``layers.2`` before ``layers.10``); pass ``mapping``
            when that order differs from the model's. A key that matches no
            layer refuses the load (unless ``skip_mismatch`` allows it).
        mapping: For ``layout="torch"``: ``{PyTorch module or key: layer path or
            name, or variable path}`` (``{"features.0": "conv2d"}``), or
            ``[(regex, replacement), ...]`` rules turning module names into layer
            names (the first full match wins). Modules it leaves out pair by
            structure. The report's ``mapping`` gives the pairs used.

    Returns:
        A ``LoadReport`` (matched, missing, unexpected, mismatched, skipped);
        its ``repr`` is a readable table.

    Raises:
        TypeError: On a non-heft model, a non-path ``filepath`` or non-bool flags.
        ValueError: On an unsupported suffix, an unbuilt model, ``by_name`` with
            a file other than legacy ``.h5``, a mismatch (without ``skip_mismatch``), or a
            corrupted, truncated or unsafe file (links, external data); with
            ``layout="torch"``, a key that matches no layer, a tensor that
            converts to another shape, a mapping naming nothing, or a pickle
            ``torch.load(weights_only=True)`` refuses.
        ImportError: For a ``.bin``/``.pt``/``.pth`` file without PyTorch installed.
        FileNotFoundError: If the file does not exist.
        Exception: What a layer's own ``load_own_variables`` raised (unless
            ``skip_mismatch`` allows skipping that layer).

    >>> import heft, os, tempfile
    >>> model = heft.Sequential([heft.Input((3,)), heft.layers.Dense(2)])
    >>> path = os.path.join(tempfile.mkdtemp(), "m.weights.h5")
    >>> save_weights(model, path)
    >>> report = load_weights(model, path, dry_run=True)
    >>> report.ok, report.loaded
    (True, 2)
    """
    _check_model(model, "load")
    path = _path(filepath)
    for value, argument in ((by_name, "by_name"), (dry_run, "dry_run")):
        _check_bool(value, argument)
    policy = make_policy(skip_mismatch, strip_prefix, aliases)
    fmt, suffix = _formats.find(path, "load")
    if _check_layout(layout, mapping, path) == "torch":
        return _load_torch(model, fmt, path, policy, by_name, mapping, dry_run)
    if fmt.name in _TORCH_ONLY:
        raise ValueError(
            f"'{path}' is {fmt.description.split(' (')[0]}, whose keys and tensor layouts are "
            "PyTorch's: pass `layout='torch'` to convert them while loading."
        )
    if not fmt.by_structure and (policy.strip_prefix or policy.aliases):
        raise ValueError(
            f"`strip_prefix` and `aliases` apply to files matched by the model's structure; "
            f"'{path}' is a legacy `.h5` file, matched by layer position or name. Use "
            "`by_name=True` (layer names) instead."
        )
    if fmt.by_structure and by_name:
        raise ValueError(
            f"`by_name=True` only applies to legacy `.h5`/`.hdf5` files; '{path}' is a "
            f"`{suffix}` file, whose entries are matched by the model's structure. "
            "Remove `by_name=True`."
        )
    return _loading.load(model, fmt, path, policy, by_name, dry_run)


_TORCH_ONLY = (_torch_files.PICKLE_FORMAT.name, _torch_files.INDEX_FORMAT.name)
_TORCH_READS = ("safetensors", *_TORCH_ONLY)


def _check_layout(layout: Any, mapping: Any, path: str) -> str:
    if layout not in ("keras", "torch"):
        raise ValueError(
            f"`layout` must be 'keras' (heft's and Keras's keys and layouts) or 'torch' (a "
            f"PyTorch state dict, converted). Received: layout={layout!r} for '{path}'."
        )
    if mapping is not None and layout != "torch":
        raise ValueError(
            f"`mapping` pairs PyTorch modules with layers and only applies with "
            f"layout='torch'. Received: mapping={mapping!r} for '{path}'. Pass "
            "`layout='torch'`, or drop `mapping` (`aliases` renames keys of heft's own files)."
        )
    return str(layout)


def _load_torch(
    model: Layer,
    fmt: WeightFormat,
    path: str,
    policy: Any,
    by_name: bool,
    mapping: Any,
    dry_run: bool,
) -> LoadReport:
    if fmt.name not in _TORCH_READS:
        raise ValueError(
            f"layout='torch' reads PyTorch state dicts: `.safetensors`, Hugging Face's "
            f"`.safetensors.index.json` or `.bin`/`.pt`/`.pth`; '{path}' is a `{fmt.name}` "
            "file. Drop `layout='torch'` to load it as it is."
        )
    if by_name or policy.strip_prefix or policy.aliases:
        raise ValueError(
            "`by_name`, `strip_prefix` and `aliases` do not apply to layout='torch', which "
            f"pairs the modules of '{path}' with layers by structure: pass `mapping=` instead."
        )
    return _torch.load(model, fmt, path, policy, mapping, dry_run)


def _check_archive_path(path: str, action: str) -> None:
    if path.lower().endswith(".keras"):
        return
    hint = ""
    if path.lower().endswith((*_formats.saving_suffixes(), ".json")):
        hint = (
            " That suffix names a weights-only file: use `model.save_weights()`"
            if action == "save"
            else " That suffix names a weights-only file: build the model and call "
            "`model.load_weights()`"
        )
        hint += " instead."
    raise ValueError(
        f"Cannot {action} the model with file path '{path}': the path must end in `.keras`."
        f"{hint} Suffixes and what they hold: `.keras`: the whole model (config, weights "
        "and optimizer state), written by `model.save()` and read by `load_model()`; "
        f"{_formats.weights_only_suffixes()}: weights only, written by "
        "`model.save_weights()` and read by `model.load_weights()`."
    )


@_platform.usual_allocation()
def save_model(
    model: Layer,
    filepath: str | os.PathLike,
    overwrite: bool = True,
    zipped: bool | None = None,
    **kwargs: Any,
) -> None:
    """Save the whole model (config, weights, optimizer state) to a ``.keras`` archive.

    The archive is Keras 3's: a zip of ``metadata.json``, ``config.json`` (the
    model's config with its ``build_config`` and ``compile_config``) and
    ``model.weights.h5`` (the ``.weights.h5`` layout, with the optimizer's
    variables when the model is compiled). Keras 3 loads it with
    ``keras.saving.load_model``. It is written to a temporary file and renamed,
    so an interrupted save leaves any previous file intact.

    Args:
        model: A heft model (usually built; an unbuilt one is saved without
            weights, with a warning).
        filepath: Path ending in ``.keras``.
        overwrite: Whether to replace an existing file.
        zipped: Accepted for Keras compatibility; only ``None`` or ``True``
            (a zip archive) are supported.
        **kwargs: Refused: Keras 3 rejects them too (``save_format`` is gone).

    Raises:
        TypeError: If ``model`` is not a heft layer or ``filepath`` is not a path.
        ValueError: If the suffix is not ``.keras``, ``zipped=False``, or an
            unknown keyword argument is given.
        FileExistsError: If the file exists and ``overwrite`` is False.
        FileNotFoundError: If the target folder does not exist.
        OSError: If the file cannot be written (a full disk, a read-only or
            unwritable folder: the system's errno, e.g. ``PermissionError``);
            the message names ``filepath`` and says the previous file is
            untouched, and no temporary file is left.

    >>> import heft, os, tempfile
    >>> model = heft.Sequential([heft.Input((3,)), heft.layers.Dense(2)])
    >>> path = os.path.join(tempfile.mkdtemp(), "m.keras")
    >>> save_model(model, path)
    >>> [w.shape for w in load_model(path).weights]
    [(3, 2), (2,)]
    """
    if "save_format" in kwargs:
        raise ValueError(
            "The `save_format` argument is not supported (Keras 3 removed it): the suffix "
            f"of `filepath` picks the format. Received: save_format={kwargs['save_format']!r}. "
            "Drop it and save to a path ending in `.keras`."
        )
    if kwargs:
        raise ValueError(
            f"The following argument(s) are not supported: {sorted(kwargs)}. `save_model` "
            "takes `model`, `filepath`, `overwrite` and `zipped`."
        )
    if not isinstance(model, Layer):
        raise TypeError(
            f"Can only save a heft model. Received: {model!r} (of type {type(model).__name__})."
        )
    path = _path(filepath)
    _check_bool(overwrite, "overwrite")
    _check_archive_path(path, "save")
    if zipped is not None and zipped is not True:
        raise ValueError(
            f"heft writes `.keras` files as zip archives only. Received: zipped={zipped!r}. "
            "Drop `zipped` (or pass `zipped=True`)."
        )
    if os.path.exists(path) and not overwrite:
        raise FileExistsError(
            f"Model file '{path}' already exists and `overwrite=False` was passed. Pass "
            "`overwrite=True` to replace it, or choose another path."
        )
    check_target(path, overwrite)
    if not model.built:
        warnings.warn(
            f"Model '{model.name}' has not been built yet, so '{path}' holds its config but "
            "no weights. Call the model on data (or `build()` it) before saving to keep "
            "its weights.",
            UserWarning,
            stacklevel=2,
        )
    with save_errors(path):
        _model_config.save(model, path, overwrite)


@_platform.usual_allocation()
def load_model(
    filepath: str | os.PathLike,
    custom_objects: dict[str, Any] | None = None,
    compile: bool = True,
    safe_mode: bool = True,
) -> Layer:
    """Load a model saved by ``model.save()`` (heft or Keras 3) from a ``.keras`` archive.

    The model is rebuilt from ``config.json`` (Sequential, Functional, or a
    subclassed model registered with ``register_keras_serializable`` or given
    in ``custom_objects``), built from its ``build_config``, compiled from its
    ``compile_config`` (optimizer, losses, metrics) when ``compile`` is True,
    and given every weight, all or nothing. The optimizer's saved variables
    (step count, slots) are restored too. Nothing is unpickled, and the
    weights are read in place from the archive. The model's random initial
    values are not drawn (the file replaces them), so a load adds about the
    new model's memory, and at most the new model plus 1.25 times its size
    plus 64 MiB.

    The file is treated as untrusted: only a regular file is read (a FIFO
    or a device is refused at once), ``config.json`` is parsed within
    ``heft.saving.Limits``' JSON limits, and a compressed weights member
    (which Keras and heft never write) is extracted to an unnamed temporary
    file only if the size it declares fits what the rebuilt model can hold
    (its variables' bytes, the optimizer's when the config names one, and
    an allowance for HDF5's structure) and ``Limits.archive_bytes``, both
    checked before anything is extracted; extraction stops at the declared
    size. A decompression bomb is refused at once, writing nothing.

    Args:
        filepath: Path of a ``.keras`` file.
        custom_objects: ``{name: class or function}`` for custom layers, models,
            losses and metrics that are not registered.
        compile: Whether to compile the model as it was when saved.
        safe_mode: Whether to refuse code stored in the config (the bytecode
            of a ``Lambda`` layer's lambda), arrays of non-numeric dtypes in
            it, and a config whose variables would take more than
            ``heft.saving.limits(allocation_bytes=...)`` (by default what the
            machine can hold). That size is found before anything is built, by
            building the model once abstractly (no weight allocated): custom
            classes' ``from_config``/``build`` run twice. Pass False only for
            files you trust. As in Keras, an enclosing ``SafeModeScope`` or
            ``heft.config.enable_unsafe_deserialization()`` takes precedence.

    Returns:
        The model.

    Raises:
        TypeError: If ``filepath`` is not a path or ``custom_objects`` not a dict.
        FileNotFoundError: If the file does not exist (the error is also a
            ``ValueError``, which Keras raises).
        ValueError: If the suffix is not ``.keras``; the file is not a zip
            archive, is truncated or corrupted, or has a member with an absolute
            path, ``..``, or a size that does not fit the file, the model or the
            limits; a member is missing; a class is unknown (register it or pass
            it in ``custom_objects``); safe mode refuses the config (code, a
            non-numeric array, or variables over the allocation limit); or the
            weights do not match the model.
        OSError: If the path is a FIFO, a device or another special file.

    >>> import heft, os, tempfile
    >>> model = heft.Sequential([heft.Input((3,)), heft.layers.Dense(2)])
    >>> model.compile(optimizer="adam", loss="mse")
    >>> path = os.path.join(tempfile.mkdtemp(), "m.keras")
    >>> model.save(path)
    >>> type(load_model(path).optimizer).__name__
    'Adam'
    """
    path = _path(filepath)
    if custom_objects is not None and not isinstance(custom_objects, dict):
        raise TypeError(
            "`custom_objects` must be a dict mapping names to classes or functions. "
            f"Received: custom_objects={custom_objects!r} (of type "
            f"{type(custom_objects).__name__})."
        )
    _check_bool(compile, "compile")
    _check_bool(safe_mode, "safe_mode")
    _check_archive_path(path, "load")
    return _model_config.load(path, custom_objects, compile, safe_mode)
