"""Keras's ``keras.applications.vgg16``: VGG16 and its input scaling."""

from .._vgg import VGG16 as VGG16
from .._vgg import decode_predictions as decode_predictions
from .._vgg import preprocess_input as preprocess_input
