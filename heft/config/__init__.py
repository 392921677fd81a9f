"""Process-wide settings: floatx, epsilon, image data format, dtype policy."""

from .._config import dtype_policy as dtype_policy
from .._config import epsilon as epsilon
from .._config import floatx as floatx
from .._config import image_data_format as image_data_format
from .._config import set_dtype_policy as set_dtype_policy
from .._config import set_epsilon as set_epsilon
from .._config import set_floatx as set_floatx
from .._config import set_image_data_format as set_image_data_format
from .._safe_mode import disable_unsafe_deserialization as disable_unsafe_deserialization
from .._safe_mode import enable_unsafe_deserialization as enable_unsafe_deserialization
from ._limits import max_epochs as max_epochs
from ._limits import max_steps_per_epoch as max_steps_per_epoch
from ._limits import set_max_epochs as set_max_epochs
from ._limits import set_max_steps_per_epoch as set_max_steps_per_epoch
