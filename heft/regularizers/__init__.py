"""Weight penalties added to the loss, with the names and defaults of ``keras.regularizers``."""

from ._get import deserialize as deserialize
from ._get import get as get
from ._get import serialize as serialize
from ._regularizers import L1 as L1
from ._regularizers import L1 as l1
from ._regularizers import L1L2 as L1L2
from ._regularizers import L1L2 as l1_l2
from ._regularizers import L2 as L2
from ._regularizers import L2 as l2
from ._regularizers import OrthogonalRegularizer as OrthogonalRegularizer
from ._regularizers import OrthogonalRegularizer as orthogonal_regularizer
from ._regularizers import Regularizer as Regularizer
