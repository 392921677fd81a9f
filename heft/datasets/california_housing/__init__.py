"""Keras's ``datasets.california_housing``: house prices."""

from .._housing import load_california_housing as load_data
