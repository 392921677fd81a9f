"""Keras's ``keras.applications.resnet_v2``: ResNet50V2/101V2/152V2 and their input scaling."""

from .._resnet import ResNet50V2 as ResNet50V2
from .._resnet import ResNet101V2 as ResNet101V2
from .._resnet import ResNet152V2 as ResNet152V2
from .._resnet import decode_predictions as decode_predictions
from .._resnet import preprocess_input_v2 as preprocess_input
