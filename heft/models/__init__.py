"""Models: ``Model`` (subclassed or ``Model(inputs, outputs)``), ``Sequential``, model files."""

from ..saving._api import load_model as load_model
from ..saving._api import save_model as save_model
from ._cloning import clone_model as clone_model
from ._functional import Functional as Functional
from ._json import model_from_json as model_from_json
from ._model import Model as Model
from ._sequential import Sequential as Sequential
