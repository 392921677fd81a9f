"""Keras's ``keras.utils.legacy``: Keras-2-style object configs (as ``heft.legacy.saving``)."""

from ...legacy.saving import deserialize_keras_object as deserialize_keras_object
from ...legacy.saving import serialize_keras_object as serialize_keras_object
