"""Utilities of Keras's ``keras.utils`` namespace."""

from ._get_file import get_file as get_file
from ._images import array_to_img as array_to_img
from ._images import img_to_array as img_to_array
from ._images import load_img as load_img
from ._images import save_img as save_img
from ._packing import pack_x_y_sample_weight as pack_x_y_sample_weight
from ._packing import unpack_x_y_sample_weight as unpack_x_y_sample_weight
from ._random_seed import set_random_seed as set_random_seed
from ._py_dataset import PyDataset as PyDataset
from ._py_dataset import Sequence as Sequence
