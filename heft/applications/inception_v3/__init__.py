"""Keras's ``keras.applications.inception_v3``: InceptionV3 and its input scaling."""

from .._inception_v3 import InceptionV3 as InceptionV3
from .._inception_v3 import decode_predictions as decode_predictions
from .._inception_v3 import preprocess_input as preprocess_input
