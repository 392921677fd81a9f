"""Keras's ``keras.applications.convnext``: ConvNeXtTiny to ConvNeXtXLarge and their helpers."""

from .._convnext import ConvNeXtBase as ConvNeXtBase
from .._convnext import ConvNeXtLarge as ConvNeXtLarge
from .._convnext import ConvNeXtSmall as ConvNeXtSmall
from .._convnext import ConvNeXtTiny as ConvNeXtTiny
from .._convnext import ConvNeXtXLarge as ConvNeXtXLarge
from .._convnext import LayerScale as LayerScale
from .._convnext import decode_predictions as decode_predictions
from .._convnext import preprocess_input as preprocess_input
