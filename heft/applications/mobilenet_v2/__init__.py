"""Keras's ``keras.applications.mobilenet_v2``: MobileNetV2 and its input scaling."""

from .._mobilenet_v2 import MobileNetV2 as MobileNetV2
from .._mobilenet_v2 import decode_predictions as decode_predictions
from .._mobilenet_v2 import preprocess_input as preprocess_input
