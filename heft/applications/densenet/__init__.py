"""Keras's ``keras.applications.densenet``: DenseNet121/169/201 and their input helpers."""

from .._densenet import DenseNet121 as DenseNet121
from .._densenet import DenseNet169 as DenseNet169
from .._densenet import DenseNet201 as DenseNet201
from .._densenet import decode_predictions as decode_predictions
from .._densenet import preprocess_input as preprocess_input
