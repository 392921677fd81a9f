"""Small real data sets shipped inside heft (nothing is downloaded)."""

from . import digits as digits
