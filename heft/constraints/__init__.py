"""Weight constraints applied after optimizer updates, as in ``keras.constraints``."""

from ._constraints import Constraint as Constraint
from ._constraints import MaxNorm as MaxNorm
from ._constraints import MaxNorm as max_norm
from ._constraints import MinMaxNorm as MinMaxNorm
from ._constraints import MinMaxNorm as min_max_norm
from ._constraints import NonNeg as NonNeg
from ._constraints import NonNeg as non_neg
from ._constraints import UnitNorm as UnitNorm
from ._constraints import UnitNorm as unit_norm
from ._get import deserialize as deserialize
from ._get import get as get
from ._get import serialize as serialize
