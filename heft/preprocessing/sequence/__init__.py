"""Keras's ``keras.preprocessing.sequence`` namespace."""

from ...utils import pad_sequences as pad_sequences
