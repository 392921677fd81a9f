"""Keras's ``keras.applications``: image models with Keras's layers, names and ImageNet weights."""

from . import imagenet_utils as imagenet_utils
