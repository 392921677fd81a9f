"""``Callback``: the base class whose hooks ``fit``, ``evaluate`` and ``predict`` call."""

from __future__ import annotations

from typing import Any

from .. import _interactive

# Hook names by phase. The legacy ``on_batch_*`` names are the train hooks'
# aliases: the base ``on_train_batch_*`` methods forward to them.
TRAIN_BATCH_HOOKS = (
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_batch_begin",
    "on_batch_end",
)
TEST_BATCH_HOOKS = ("on_test_batch_begin", "on_test_batch_end")
PREDICT_BATCH_HOOKS = ("on_predict_batch_begin", "on_predict_batch_end")
BEGIN_END_HOOKS = (
    "on_train_begin",
    "on_train_end",
    "on_epoch_begin",
    "on_epoch_end",
    "on_test_begin",
    "on_test_end",
    "on_predict_begin",
    "on_predict_end",
)
ALL_HOOKS = BEGIN_END_HOOKS + TRAIN_BATCH_HOOKS + TEST_BATCH_HOOKS + PREDICT_BATCH_HOOKS


def print_msg(message: str) -> None:
    """Write one message line to the current ``sys.stdout`` and flush it.

    With interactive logging off (``heft.config.disable_interactive_logging``)
    the line goes to the ``"heft"`` Python logger instead.
    """
    _interactive.print_msg(message)


class Callback:
    """Base class of objects that hook into training, evaluation and prediction.

    Subclass it and override the hooks you need; every hook of the base class
    does nothing (the ``on_train_batch_*`` hooks forward to the legacy
    ``on_batch_*`` aliases, as in Keras). ``fit``, ``evaluate`` and ``predict``
    call ``set_model`` and ``set_params`` first, then the hooks in order.

    Batch hooks cost speed: heft's trainer runs many steps per dispatch unless
    some callback overrides a batch hook, in which case it calls the batch
    hooks after every step. A subclass whose batch hooks stay correct when
    they are called once per group of steps (with the index of the group's
    last step, and logs averaged over the epoch so far) can set the class
    attribute ``chunk_safe = True`` to keep the fast path. It vouches only for
    the batch hooks written in the class that sets it (or for hooks set on an
    instance that sets it): a subclass that overrides a batch hook again
    must set it again.

    Attributes:
        params: Dict of run parameters (``verbose``, ``epochs``, ``steps``),
            or ``None`` before ``set_params``.
        model: The model being trained, evaluated or predicted with.
        chunk_safe: Whether the batch hooks accept being called once per
            group of steps instead of after each step (``False`` here).

    >>> class CountEpochs(Callback):
    ...     def on_train_begin(self, logs=None):
    ...         self.count = 0
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         self.count += 1
    >>> callback = CountEpochs()
    >>> callback.on_train_begin()
    >>> for epoch in range(3):
    ...     callback.on_epoch_end(epoch, {"loss": 0.5})
    >>> callback.count
    3
    """

    chunk_safe: bool = False

    def __init__(self) -> None:
        self.params: dict[str, Any] | None = None
        self._model: Any = None

    def set_params(self, params: dict[str, Any] | None) -> None:
        """Store the run parameters (``verbose``, ``epochs``, ``steps``, ...)."""
        self.params = params

    def set_model(self, model: Any) -> None:
        """Attach the model this callback reads and acts on."""
        self._model = model

    @property
    def model(self) -> Any:
        """The attached model, with its variables up to date.

        When the model defines ``jax_state_sync()`` (a trainer that keeps the
        training state as arrays between steps), it is called first so that
        ``model.weights`` and ``get_weights()`` show the current values.
        """
        model = getattr(self, "_model", None)
        sync = getattr(model, "jax_state_sync", None)
        if sync is not None:
            sync()
        return model

    def on_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Legacy alias of ``on_train_batch_begin``; called by it in the base class."""

    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Legacy alias of ``on_train_batch_end``; called by it in the base class."""

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Called when a training epoch starts (``epoch`` counts from 0)."""

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Called when a training epoch ends.

        Args:
            epoch: Index of the epoch, from 0.
            logs: The epoch's metric results, e.g. ``{"loss": 0.2,
                "val_loss": 0.3}`` (validation results are prefixed ``val_``).
        """

    def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Called before a training batch (or group of batches) runs."""
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Called after a training batch, with the epoch's results so far.

        Args:
            batch: Index of the batch within the epoch, from 0; when the
                trainer runs several steps per dispatch, the index of the
                last step that ran.
            logs: Metric results averaged over the epoch so far.
        """
        self.on_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Called before an evaluation (or validation) batch runs."""

    def on_test_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Called after an evaluation (or validation) batch, with results so far."""

    def on_predict_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Called before a prediction batch runs."""

    def on_predict_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Called after a prediction batch runs."""

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Called once when ``fit`` starts."""

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        """Called once when ``fit`` ends, with the last epoch's logs."""

    def on_test_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Called when evaluation (or validation inside ``fit``) starts."""

    def on_test_end(self, logs: dict[str, Any] | None = None) -> None:
        """Called when evaluation (or validation inside ``fit``) ends, with its results."""

    def on_predict_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Called once when ``predict`` starts."""

    def on_predict_end(self, logs: dict[str, Any] | None = None) -> None:
        """Called once when ``predict`` ends."""
