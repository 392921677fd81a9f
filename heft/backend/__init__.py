"""``heft.backend``: the backend's name, global numeric settings and dtype helpers (JAX only)."""

from .._config import epsilon as epsilon
from .._config import floatx as floatx
from .._config import image_data_format as image_data_format
from .._config import set_epsilon as set_epsilon
from .._config import set_floatx as set_floatx
from .._config import set_image_data_format as set_image_data_format
from .._switches import backend as backend
from ..utils._backend_utils import clear_session as clear_session
from ..utils._backend_utils import get_uid as get_uid
from ..utils._backend_utils import is_keras_tensor as is_keras_tensor
from ..utils._backend_utils import standardize_dtype as standardize_dtype
from ._dtypes import is_float_dtype as is_float_dtype
from ._dtypes import is_int_dtype as is_int_dtype
from ._dtypes import result_type as result_type
