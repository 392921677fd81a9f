"""Keras's ``keras.applications.resnet50``: ResNet50 and its input scaling."""

from .._resnet import ResNet50 as ResNet50
from .._resnet import decode_predictions as decode_predictions
from .._resnet import preprocess_input as preprocess_input
