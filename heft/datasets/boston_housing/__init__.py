"""Keras's ``datasets.boston_housing``: house prices."""

from .._housing import load_boston_housing as load_data
