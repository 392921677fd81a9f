"""Training: the ``Trainer`` mixin behind ``Model.compile/fit/evaluate/predict``."""

from ._trainer import Trainer as Trainer
