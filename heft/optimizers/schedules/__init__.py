"""Learning-rate schedules: callables ``step -> learning rate`` for optimizers, as in ``keras.optimizers.schedules``."""

from ._cosine import CosineDecay as CosineDecay
from ._cosine import CosineDecayRestarts as CosineDecayRestarts
from ._decay import ExponentialDecay as ExponentialDecay
from ._decay import InverseTimeDecay as InverseTimeDecay
from ._decay import PiecewiseConstantDecay as PiecewiseConstantDecay
from ._decay import PolynomialDecay as PolynomialDecay
from ._schedule import LearningRateSchedule as LearningRateSchedule
from ._schedule import deserialize as deserialize
from ._schedule import serialize as serialize
