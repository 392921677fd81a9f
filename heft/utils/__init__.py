"""Utilities of Keras's ``keras.utils`` namespace."""

from ._packing import pack_x_y_sample_weight as pack_x_y_sample_weight
from ._packing import unpack_x_y_sample_weight as unpack_x_y_sample_weight
from ._random_seed import set_random_seed as set_random_seed
from ._py_dataset import PyDataset as PyDataset
from ._py_dataset import Sequence as Sequence
from ._array_datasets import split_dataset as split_dataset
from ._array_datasets import timeseries_dataset_from_array as timeseries_dataset_from_array
