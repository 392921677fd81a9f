"""Dtype policies: the compute and variable dtypes of layers."""

from ._dtype_policy import DTypePolicy as DTypePolicy
from ._dtype_policy import FloatDTypePolicy as FloatDTypePolicy
from ._dtype_policy import get as get
from ._dtype_policy import serialize as serialize
