"""What ``compile`` sets up: the loss over the model's outputs and the metrics to track."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from .. import _scope
from .. import losses as losses_module
from .. import metrics as metrics_module


def _flatten_outputs(value: Any, output_names: list[str] | None) -> list[Any]:
    if isinstance(value, dict):
        if output_names is None:
            return list(value.values())
        return [value[name] for name in output_names]
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def _names(y_pred: Any, output_names: list[str] | None) -> list[str] | None:
    if isinstance(y_pred, dict):
        return list(y_pred.keys())
    count = len(y_pred) if isinstance(y_pred, list | tuple) else 1
    if output_names is not None and len(output_names) == count:
        return list(output_names)
    return None


class CompiledLoss:
    """The total training loss: one loss per output, weighted and summed.

    With several outputs, calling it also updates one ``Mean`` per output that
    has a loss (``metrics``, named ``<output>_loss``, variables under
    ``compile_loss/``), as Keras's ``CompileLoss`` does; inside a stateless
    scope those updates are recorded like any variable assignment.
    """

    def __init__(self, loss: Any, loss_weights: Any = None) -> None:
        self._spec = loss
        self._loss_weights = loss_weights
        self._losses: list[Any] | None = None
        self._weights: list[float] | None = None
        self._output_names: list[str] | None = None
        self.metrics: list[Any] = []
        self._tracked: list[int] = []

    @property
    def spec(self) -> Any:
        return self._spec

    @property
    def built(self) -> bool:
        return self._losses is not None

    @property
    def variables(self) -> list[Any]:
        """The per-output loss trackers' variables."""
        return [v for m in self.metrics for v in m.variables]

    def build(self, y_pred: Any, output_names: list[str] | None = None, y_true: Any = None) -> None:
        """Resolve one loss per model output, now that the outputs are known.

        ``output_names`` names list outputs (a Functional model's output layers),
        so a dict of losses or targets can address them. ``y_true`` (shapes are
        enough) lets ``"crossentropy"`` pick the binary, categorical or sparse form.
        """
        names = _names(y_pred, output_names)
        outputs = _flatten_outputs(y_pred, names)
        spec = self._spec
        if isinstance(spec, dict):
            if names is None:
                raise ValueError(
                    f"`loss` was given as a dict ({sorted(spec)}) but the model's outputs are not "
                    "a dict. Pass a single loss or a list with one loss per output."
                )
            unknown = sorted(set(spec) - set(names))
            if unknown:
                raise ValueError(
                    f"`loss` names outputs {unknown} that the model does not have; its outputs "
                    f"are {names}."
                )
            losses = [spec.get(name) for name in names]
        elif isinstance(spec, list | tuple):
            if len(spec) != len(outputs):
                raise ValueError(
                    f"`loss` is a list of {len(spec)} losses but the model has {len(outputs)} "
                    "outputs. Pass one loss per output."
                )
            losses = list(spec)
        else:
            losses = [spec] * len(outputs) if len(outputs) > 1 else [spec]
        trues: list[Any] = [None] * len(outputs)
        if y_true is not None:
            try:
                flat_true = _flatten_outputs(y_true, names)
            except (KeyError, TypeError, ValueError):
                flat_true = []  # a mismatch the loss reports, with context, when computed
            if len(flat_true) == len(outputs):
                trues = flat_true
        resolved = [
            _as_loss(loss, yt, yp) for loss, yt, yp in zip(losses, trues, outputs, strict=True)
        ]
        weights = self._loss_weights
        if weights is None:
            self._weights = [1.0] * len(outputs)
        elif isinstance(weights, dict):
            self._weights = [float(weights.get(name, 1.0)) for name in names or []]
        elif isinstance(weights, list | tuple):
            self._weights = [float(w) for w in weights]
        else:
            self._weights = [float(weights)] * len(outputs)
        self._output_names = names
        # With several outputs, each output's own loss is tracked too (`<output>_loss`).
        self.metrics = []
        self._tracked = []
        if len(outputs) > 1:
            with _scope.name_scope("compile_loss"):
                for index, loss in enumerate(resolved):
                    if loss is None:
                        continue
                    label = names[index] if names is not None else f"output_{index}"
                    self.metrics.append(metrics_module.Mean(name=f"{label}_loss"))
                    self._tracked.append(index)
        self._losses = resolved

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> jax.Array:
        """The weighted total of the outputs' losses (updating the per-output trackers).

        Raises:
            ValueError: If the number of targets differs from the number of outputs.
        """
        if self._losses is None or self._weights is None:
            self.build(y_pred, y_true=y_true)
        losses, loss_weights = self._losses or [], self._weights or []
        trues = _flatten_outputs(y_true, self._output_names)
        preds = _flatten_outputs(y_pred, self._output_names)
        if len(trues) != len(preds):
            raise ValueError(
                f"The model has {len(preds)} outputs but {len(trues)} targets were given. "
                "Pass one target array per output."
            )
        weights = (
            _flatten_outputs(sample_weight, self._output_names)
            if sample_weight is not None
            else [None] * len(preds)
        )
        if len(weights) == 1 and len(preds) > 1:
            weights = weights * len(preds)
        trackers = dict(zip(self._tracked, self.metrics, strict=True))
        total = jnp.zeros((), jnp.float32)
        for index, (loss, w, yt, yp, sw) in enumerate(
            zip(losses, loss_weights, trues, preds, weights, strict=True)
        ):
            if loss is None:
                continue
            value = jnp.asarray(loss(yt, yp, sample_weight=sw), jnp.float32)
            tracker = trackers.get(index)
            if tracker is not None:
                tracker.update_state(value, sample_weight=jnp.shape(yp)[0])
            total = total + w * value
        return total


class CompiledMetrics(metrics_module.Metric):
    """The metrics given to ``compile``, as one metric named ``compile_metrics``.

    Built against the data's shapes on first use. Its ``variables`` are those of
    the metrics it holds (their own paths), and its ``result()`` is a dict of
    their values under their log names (``out_accuracy``...), as Keras's
    ``CompileMetrics`` gives them.
    """

    # Set without the metric's variable tracking (`_plain`): they hold metrics, not state.
    metrics: list[Any]
    log_names: list[str]
    built: bool
    _metrics_spec: Any
    _weighted_spec: Any
    _loss: Any
    _weighted: list[bool]
    _output_index: list[int]
    _names: list[str] | None

    def __init__(self, metrics: Any, weighted_metrics: Any, loss: Any) -> None:
        super().__init__(name="compile_metrics")
        for spec, argument in ((metrics, "metrics"), (weighted_metrics, "weighted_metrics")):
            if spec and not isinstance(spec, list | tuple | dict):
                raise ValueError(
                    f"Expected `{argument}` argument to be a list, tuple, or dict. Received "
                    f"instead: {argument}={spec} of type {type(spec)}. Wrap a single metric "
                    f"in a list: `{argument}=[...]`."
                )
        _plain(self, "_metrics_spec", metrics)
        _plain(self, "_weighted_spec", weighted_metrics)
        _plain(self, "_loss", loss)
        _plain(self, "metrics", [])
        # The names the metrics' values carry in logs (``out_accuracy``); the metric
        # objects keep the names they were given.
        _plain(self, "log_names", [])
        _plain(self, "_weighted", [])
        _plain(self, "_output_index", [])
        _plain(self, "_names", None)
        _plain(self, "built", False)

    @property
    def variables(self) -> list[Any]:
        """The variables of the metrics held, in order."""
        return [v for m in self.metrics for v in m.variables]

    def build(self, y_true: Any, y_pred: Any, output_names: list[str] | None = None) -> None:
        names = _names(y_pred, output_names)
        preds = _flatten_outputs(y_pred, names)
        trues = _flatten_outputs(y_true, names)
        counters: dict[str, int] = {}
        held: list[Any] = []
        log_names: list[str] = []
        weighted_flags: list[bool] = []
        output_index: list[int] = []
        for spec, weighted in ((self._metrics_spec, False), (self._weighted_spec, True)):
            if spec is None:
                continue
            per_output = self._per_output(spec, names, len(preds))
            for index, items in enumerate(per_output):
                for item in items:
                    metric = metrics_module.resolve_metric(
                        item, trues[index].shape, preds[index].shape
                    )
                    _create_lazy_variables(metric, trues[index], preds[index])
                    prefix = f"{names[index]}_" if len(preds) > 1 and names is not None else ""
                    held.append(metric)
                    log_names.append(_log_name(prefix, metric.name, weighted, counters))
                    weighted_flags.append(weighted)
                    output_index.append(index)
        _plain(self, "_names", names)
        _plain(self, "metrics", held)
        _plain(self, "log_names", log_names)
        _plain(self, "_weighted", weighted_flags)
        _plain(self, "_output_index", output_index)
        _plain(self, "built", True)

    @staticmethod
    def _per_output(spec: Any, names: list[str] | None, n_outputs: int) -> list[list[Any]]:
        if isinstance(spec, dict):
            if names is None:
                raise ValueError(
                    "`metrics` was given as a dict but the model's outputs are not named. "
                    "Pass a list of metrics."
                )
            return [list(_as_list(spec.get(name, []))) for name in names]
        spec = _as_list(spec)
        if n_outputs > 1 and len(spec) == n_outputs:
            # One entry (a metric or a list of them) per output, as Keras reads it.
            return [list(_as_list(s)) for s in spec]
        return [list(spec)] + [list(spec) for _ in range(n_outputs - 1)]

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Update every metric held: weighted metrics with ``sample_weight``, others without."""
        if not self.built:
            self.build(y_true, y_pred)
        names = self._names
        preds = _flatten_outputs(y_pred, names)
        trues = _flatten_outputs(y_true, names)
        for metric, weighted, index in zip(
            self.metrics, self._weighted, self._output_index, strict=True
        ):
            sw = sample_weight if weighted else None
            if isinstance(sw, list | tuple | dict):
                sw = _flatten_outputs(sw, names)[index]
            metric.update_state(trues[index], preds[index], sample_weight=sw)

    def result(self) -> dict[str, Any]:
        """``{log name: value}`` for every metric held."""
        if not self.built:
            raise ValueError(
                "Cannot get the result of the compiled metrics before they are built: they are "
                "built from the first batch of data `fit`, `evaluate` or `train_on_batch` sees."
            )
        return {name: m.result() for name, m in zip(self.log_names, self.metrics, strict=True)}

    def reset_state(self) -> None:
        for metric in self.metrics:
            metric.reset_state()


def _create_lazy_variables(metric: Any, y_true: Any, y_pred: Any) -> None:
    """Create the variables of a metric that makes them on its first update (``F1Score``).

    The train step is traced with the metrics' variables as inputs, so they
    must exist before it: the metric is updated once, eagerly, with zeros of
    the batch's shapes and dtypes, then reset.
    """
    if getattr(metric, "_built", True):
        return
    metric.update_state(
        jnp.zeros(y_true.shape, y_true.dtype), jnp.zeros(y_pred.shape, y_pred.dtype)
    )
    metric.reset_state()


def _plain(obj: Any, name: str, value: Any) -> None:
    """Set an attribute of a metric without its variable tracking."""
    object.__setattr__(obj, name, value)


def _as_loss(identifier: Any, y_true: Any = None, y_pred: Any = None) -> Any:
    """A ``Loss`` object (taking ``sample_weight``) for a name, function or Loss.

    ``"crossentropy"`` (or ``"ce"``) becomes the binary, sparse categorical or
    categorical crossentropy the shapes of ``y_true`` and ``y_pred`` call for.
    """
    if identifier is None:
        return None
    if isinstance(identifier, str) and identifier.lower() in ("crossentropy", "ce"):
        if y_true is None or y_pred is None:
            raise ValueError(
                f"loss={identifier!r} is chosen from the shapes of the targets and the "
                "predictions, so it needs targets `y`. Name the loss instead, e.g. "
                "'sparse_categorical_crossentropy'."
            )
        loss = losses_module.get(_crossentropy_for(y_true.shape, y_pred.shape))
    else:
        loss = losses_module.get(identifier)
    if isinstance(loss, losses_module.Loss):
        return loss
    name = identifier if isinstance(identifier, str) else getattr(loss, "__name__", None)
    return losses_module.LossFunctionWrapper(loss, name=name)


def _crossentropy_for(true_shape: tuple, pred_shape: tuple) -> str:
    """Binary for one output unit, sparse for integer-label targets, else categorical."""
    if pred_shape[-1] == 1:
        return "binary_crossentropy"
    if len(true_shape) < len(pred_shape) or (true_shape[-1] == 1 and pred_shape[-1] > 1):
        return "sparse_categorical_crossentropy"
    return "categorical_crossentropy"


def _as_list(spec: Any) -> list[Any]:
    if isinstance(spec, list | tuple):
        return list(spec)
    return [spec]


def _log_name(prefix: str, name: str, weighted: bool, counters: dict[str, int]) -> str:
    """A metric's unique name in the logs, as Keras forms it.

    ``<output>_<name>``; a repeated name gets ``_1``, ``_2``...; a weighted metric
    repeating a name becomes ``<output>_weighted_<name>`` first.
    """
    candidate = prefix + name
    if candidate in counters and weighted:
        candidate = f"{prefix}weighted_{name}"
    if candidate not in counters:
        counters[candidate] = 1
        return candidate
    index = counters[candidate]
    counters[candidate] += 1
    return f"{candidate}_{index}"
