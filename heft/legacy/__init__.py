"""Keras's ``keras.legacy`` namespace: the Keras-2-style object configs of ``legacy.saving``."""

from . import saving as saving
