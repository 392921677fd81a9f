"""Keras's ``keras.applications.vgg19``: VGG19 and its input scaling."""

from .._vgg import VGG19 as VGG19
from .._vgg import decode_predictions as decode_predictions
from .._vgg import preprocess_input as preprocess_input
