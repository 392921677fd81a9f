"""Keras's ``keras.applications.xception``: Xception and its input scaling."""

from .._xception import Xception as Xception
from .._xception import decode_predictions as decode_predictions
from .._xception import preprocess_input as preprocess_input
