"""Models: ``Model`` (subclassed) and ``Sequential``."""

from ._model import Model as Model
from ._sequential import Sequential as Sequential
