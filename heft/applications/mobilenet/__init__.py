"""Keras's ``keras.applications.mobilenet``: MobileNet and its input scaling."""

from .._mobilenet import MobileNet as MobileNet
from .._mobilenet import decode_predictions as decode_predictions
from .._mobilenet import preprocess_input as preprocess_input
