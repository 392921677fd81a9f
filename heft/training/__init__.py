"""Training: the ``Trainer`` mixin behind ``Model.compile/fit/evaluate/predict``, and the
named states its step functions take."""

from ._state import PredictState as PredictState
from ._state import TestState as TestState
from ._state import TrainState as TrainState
from ._trainer import Trainer as Trainer
