"""Keras's ``keras.applications.mobilenet_v3``: MobileNetV3's input scaling and class names.

As in Keras, the models themselves are ``heft.applications.MobileNetV3Small``
and ``MobileNetV3Large``.
"""

from .._mobilenet_v3 import decode_predictions as decode_predictions
from .._mobilenet_v3 import preprocess_input as preprocess_input
