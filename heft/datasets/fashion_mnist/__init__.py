"""Keras's ``datasets.fashion_mnist``: images of clothing."""

from .._mnist import load_fashion_mnist as load_data
