"""Keras's ``keras.applications.efficientnet_v2``: EfficientNetV2B0-B3/S/M/L and their helpers."""

from .._efficientnet_v2 import EfficientNetV2B0 as EfficientNetV2B0
from .._efficientnet_v2 import EfficientNetV2B1 as EfficientNetV2B1
from .._efficientnet_v2 import EfficientNetV2B2 as EfficientNetV2B2
from .._efficientnet_v2 import EfficientNetV2B3 as EfficientNetV2B3
from .._efficientnet_v2 import EfficientNetV2L as EfficientNetV2L
from .._efficientnet_v2 import EfficientNetV2M as EfficientNetV2M
from .._efficientnet_v2 import EfficientNetV2S as EfficientNetV2S
from .._efficientnet_v2 import decode_predictions as decode_predictions
from .._efficientnet_v2 import preprocess_input as preprocess_input
