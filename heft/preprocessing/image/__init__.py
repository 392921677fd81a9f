"""Keras's ``keras.preprocessing.image``: image files and arrays, and ``smart_resize``."""

from ...utils._images import array_to_img as array_to_img
from ...utils._images import img_to_array as img_to_array
from ...utils._images import load_img as load_img
from ...utils._images import save_img as save_img
from ...utils._smart_resize import smart_resize as smart_resize
