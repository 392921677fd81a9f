"""Keras's ``keras.applications.resnet``: ResNet50/101/152 and their input scaling."""

from .._resnet import ResNet50 as ResNet50
from .._resnet import ResNet101 as ResNet101
from .._resnet import ResNet152 as ResNet152
from .._resnet import decode_predictions as decode_predictions
from .._resnet import preprocess_input as preprocess_input
