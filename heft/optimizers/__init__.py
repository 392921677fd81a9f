"""Optimizers with Keras 3's API and update math, built on optax, as in ``keras.optimizers``."""

from . import schedules as schedules
from ._adadelta import Adadelta as Adadelta
from ._adafactor import Adafactor as Adafactor
from ._adagrad import Adagrad as Adagrad
from ._adam import Adam as Adam
from ._adamax import Adamax as Adamax
from ._adamw import AdamW as AdamW
from ._ftrl import Ftrl as Ftrl
from ._get import deserialize as deserialize
from ._get import get as get
from ._get import serialize as serialize
from ._lamb import Lamb as Lamb
from ._lion import Lion as Lion
from ._multi import MultiOptimizer as MultiOptimizer
from ._multi import OptimizerMap as OptimizerMap
from ._muon import Muon as Muon
from ._nadam import Nadam as Nadam
from ._optimizer import Optimizer as Optimizer
from ._rmsprop import RMSprop as RMSprop
from ._schedule_free_adamw import ScheduleFreeAdamW as ScheduleFreeAdamW
from ._sgd import SGD as SGD

# isort: split
# Keras 2 names that Keras 3 refuses when used.
from . import legacy as legacy
