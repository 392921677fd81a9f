"""Keras's ``keras.preprocessing`` namespace: image helpers and the dataset-from-files functions."""

from ..utils import image_dataset_from_directory as image_dataset_from_directory
from ..utils import text_dataset_from_directory as text_dataset_from_directory
from ..utils import timeseries_dataset_from_array as timeseries_dataset_from_array
from . import image as image
from . import sequence as sequence
