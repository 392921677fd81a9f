"""Utilities of Keras's ``keras.utils`` namespace."""

from ._packing import pack_x_y_sample_weight as pack_x_y_sample_weight
from ._packing import unpack_x_y_sample_weight as unpack_x_y_sample_weight
from ._random_seed import set_random_seed as set_random_seed

# Bounding-box utilities live in their own namespace, as in Keras.
from . import bounding_boxes as bounding_boxes
