"""The 8x8 handwritten digits data set (1,797 images), shipped with heft."""

from ._digits import load_data as load_data
