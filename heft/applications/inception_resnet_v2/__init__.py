"""Keras's ``keras.applications.inception_resnet_v2``: InceptionResNetV2 and its input scaling."""

from .._inception_resnet_v2 import InceptionResNetV2 as InceptionResNetV2
from .._inception_resnet_v2 import decode_predictions as decode_predictions
from .._inception_resnet_v2 import preprocess_input as preprocess_input
