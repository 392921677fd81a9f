"""Model and weight files (``save_model``/``load_model``, ``save_weights``/``load_weights``), registration."""

from .._registry import CustomObjectScope as CustomObjectScope
from .._registry import custom_object_scope as custom_object_scope
from .._registry import get_custom_objects as get_custom_objects
from .._registry import get_registered_name as get_registered_name
from .._registry import get_registered_object as get_registered_object
from .._registry import register_keras_serializable as register_keras_serializable
from .._safe_mode import SafeModeScope as SafeModeScope
from .._safe_mode import in_safe_mode as in_safe_mode
from .._serialization import deserialize_keras_object as deserialize_keras_object
from .._serialization import serialize_keras_object as serialize_keras_object
from ._api import load_model as load_model
from ._api import load_weights as load_weights
from ._api import save_model as save_model
from ._api import save_weights as save_weights
from ._manifest import check_manifest as check_manifest
from ._manifest import save_manifest as save_manifest
from ._manifest import weights_manifest as weights_manifest
from ._report import LoadEntry as LoadEntry
from ._report import LoadReport as LoadReport
from ._untrusted import Limits as Limits
from ._untrusted import limits as limits
