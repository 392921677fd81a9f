"""Keras-2-style serialization of objects (``{"class_name", "config"}`` dicts)."""

from ._serialization import deserialize_keras_object as deserialize_keras_object
from ._serialization import serialize_keras_object as serialize_keras_object
