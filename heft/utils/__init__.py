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

# Bounding-box utilities live in their own namespace, as in Keras.
from . import bounding_boxes as bounding_boxes
from . import legacy as legacy
from ._array_datasets import split_dataset as split_dataset
from ._array_datasets import timeseries_dataset_from_array as timeseries_dataset_from_array
from ._backend_utils import clear_session as clear_session
from ._backend_utils import get_source_inputs as get_source_inputs
from ._backend_utils import is_keras_tensor as is_keras_tensor
from ._backend_utils import standardize_dtype as standardize_dtype
from ._config import Config as Config

# Structured-data preprocessing.
from ._feature_space import FeatureSpace as FeatureSpace
from ._get_file import get_file as get_file
from ._image_dataset import image_dataset_from_directory as image_dataset_from_directory
from ._images import array_to_img as array_to_img
from ._images import img_to_array as img_to_array
from ._images import load_img as load_img
from ._images import save_img as save_img
from ._numerical import normalize as normalize
from ._numerical import to_categorical as to_categorical
from ._packing import pack_x_y_sample_weight as pack_x_y_sample_weight
from ._packing import unpack_x_y_sample_weight as unpack_x_y_sample_weight
from ._plot import model_to_dot as model_to_dot
from ._plot import plot_model as plot_model
from ._progbar import Progbar as Progbar
from ._py_dataset import PyDataset as PyDataset
from ._py_dataset import Sequence as Sequence
from ._random_seed import set_random_seed as set_random_seed
from ._sequences import pad_sequences as pad_sequences
from ._text_audio_datasets import audio_dataset_from_directory as audio_dataset_from_directory
from ._text_audio_datasets import text_dataset_from_directory as text_dataset_from_directory
