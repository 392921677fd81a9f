"""Utilities of Keras's ``keras.utils`` namespace."""

from ._array_datasets import split_dataset as split_dataset
from ._array_datasets import timeseries_dataset_from_array as timeseries_dataset_from_array
from ._get_file import get_file as get_file
from ._image_dataset import image_dataset_from_directory as image_dataset_from_directory
from ._images import array_to_img as array_to_img
from ._images import img_to_array as img_to_array
from ._images import load_img as load_img
from ._images import save_img as save_img
from ._packing import pack_x_y_sample_weight as pack_x_y_sample_weight
from ._packing import unpack_x_y_sample_weight as unpack_x_y_sample_weight
from ._py_dataset import PyDataset as PyDataset
from ._py_dataset import Sequence as Sequence
from ._random_seed import set_random_seed as set_random_seed
from ._text_audio_datasets import audio_dataset_from_directory as audio_dataset_from_directory
from ._text_audio_datasets import text_dataset_from_directory as text_dataset_from_directory
