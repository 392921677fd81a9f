"""Keras's ``keras.applications.imagenet_utils``: ImageNet input scaling and class names."""

from .._imagenet_utils import decode_predictions as decode_predictions
from .._imagenet_utils import preprocess_input as preprocess_input
