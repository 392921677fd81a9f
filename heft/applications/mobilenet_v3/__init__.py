"""Keras's ``keras.applications.mobilenet_v3``: MobileNetV3Small/Large and their input scaling."""

from .._mobilenet_v3 import MobileNetV3Large as MobileNetV3Large
from .._mobilenet_v3 import MobileNetV3Small as MobileNetV3Small
from .._mobilenet_v3 import decode_predictions as decode_predictions
from .._mobilenet_v3 import preprocess_input as preprocess_input
