"""Keras's ``datasets.cifar100``: 32x32 colour images in 100 classes."""

from .._cifar import load_cifar100 as load_data
