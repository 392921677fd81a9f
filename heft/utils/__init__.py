"""Utilities of Keras's ``keras.utils`` namespace."""

from .._interactive import disable_interactive_logging as disable_interactive_logging
from .._interactive import enable_interactive_logging as enable_interactive_logging
from .._interactive import is_interactive_logging_enabled as is_interactive_logging_enabled
from .._registry import CustomObjectScope as CustomObjectScope
from .._registry import custom_object_scope as custom_object_scope
from .._registry import get_custom_objects as get_custom_objects
from .._registry import get_registered_name as get_registered_name
from .._registry import get_registered_object as get_registered_object
from .._registry import register_keras_serializable as register_keras_serializable
from .._serialization import deserialize_keras_object as deserialize_keras_object
from .._serialization import serialize_keras_object as serialize_keras_object
from ._backend_utils import clear_session as clear_session
from ._backend_utils import get_source_inputs as get_source_inputs
from ._backend_utils import is_keras_tensor as is_keras_tensor
from ._backend_utils import standardize_dtype as standardize_dtype
from ._config import Config as Config
from ._numerical import normalize as normalize
from ._numerical import to_categorical as to_categorical
from ._packing import pack_x_y_sample_weight as pack_x_y_sample_weight
from ._packing import unpack_x_y_sample_weight as unpack_x_y_sample_weight
from ._plot import model_to_dot as model_to_dot
from ._plot import plot_model as plot_model
from ._progbar import Progbar as Progbar
from ._random_seed import set_random_seed as set_random_seed
from ._sequences import pad_sequences as pad_sequences
