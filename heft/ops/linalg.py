"""``heft.ops.linalg``: the linear-algebra ops, as Keras 3 groups them.

Each name is the same function as in ``heft.ops``:

>>> import heft
>>> heft.ops.linalg.inv is heft.ops.inv
True
"""

from ._control_flow import jvp as jvp
from ._linalg import cholesky as cholesky
from ._linalg import cholesky_inverse as cholesky_inverse
from ._linalg import det as det
from ._linalg import eig as eig
from ._linalg import eigh as eigh
from ._linalg import inv as inv
from ._linalg import lstsq as lstsq
from ._linalg import lu_factor as lu_factor
from ._linalg import matrix_rank as matrix_rank
from ._linalg import norm as norm
from ._linalg import pinv as pinv
from ._linalg import qr as qr
from ._linalg import solve as solve
from ._linalg import solve_triangular as solve_triangular
from ._linalg import svd as svd
