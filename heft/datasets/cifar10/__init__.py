"""Keras's ``datasets.cifar10``: 32x32 colour images in 10 classes."""

from .._cifar import load_cifar10 as load_data
