"""Models: ``Model`` (subclassed or ``Model(inputs, outputs)``), ``Sequential``."""

from ._functional import Functional as Functional
from ._model import Model as Model
from ._sequential import Sequential as Sequential
