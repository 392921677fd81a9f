"""Keras's ``keras.applications.efficientnet``: EfficientNetB0-B7 and their input helpers."""

from .._efficientnet import EfficientNetB0 as EfficientNetB0
from .._efficientnet import EfficientNetB1 as EfficientNetB1
from .._efficientnet import EfficientNetB2 as EfficientNetB2
from .._efficientnet import EfficientNetB3 as EfficientNetB3
from .._efficientnet import EfficientNetB4 as EfficientNetB4
from .._efficientnet import EfficientNetB5 as EfficientNetB5
from .._efficientnet import EfficientNetB6 as EfficientNetB6
from .._efficientnet import EfficientNetB7 as EfficientNetB7
from .._efficientnet import decode_predictions as decode_predictions
from .._efficientnet import preprocess_input as preprocess_input
