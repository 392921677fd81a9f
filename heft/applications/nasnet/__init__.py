"""Keras's ``keras.applications.nasnet``: NASNetMobile, NASNetLarge and their input helpers."""

from .._nasnet import NASNetLarge as NASNetLarge
from .._nasnet import NASNetMobile as NASNetMobile
from .._nasnet import decode_predictions as decode_predictions
from .._nasnet import preprocess_input as preprocess_input
