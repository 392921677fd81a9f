"""Keras's ``datasets.mnist``: handwritten digits."""

from .._mnist import load_mnist as load_data
