"""Process-wide settings: floatx, epsilon, image data format, dtype policy."""

from .._config import dtype_policy as dtype_policy
from .._config import epsilon as epsilon
from .._config import floatx as floatx
from .._config import image_data_format as image_data_format
from .._config import set_dtype_policy as set_dtype_policy
from .._config import set_epsilon as set_epsilon
from .._config import set_floatx as set_floatx
from .._config import set_image_data_format as set_image_data_format
from .._interactive import disable_interactive_logging as disable_interactive_logging
from .._interactive import enable_interactive_logging as enable_interactive_logging
from .._interactive import is_interactive_logging_enabled as is_interactive_logging_enabled
from .._safe_mode import disable_unsafe_deserialization as disable_unsafe_deserialization
from .._safe_mode import enable_unsafe_deserialization as enable_unsafe_deserialization
from .._switches import backend as backend
from .._switches import disable_flash_attention as disable_flash_attention
from .._switches import disable_traceback_filtering as disable_traceback_filtering
from .._switches import enable_flash_attention as enable_flash_attention
from .._switches import enable_traceback_filtering as enable_traceback_filtering
from .._switches import is_flash_attention_enabled as is_flash_attention_enabled
from .._switches import is_nnx_enabled as is_nnx_enabled
from .._switches import is_traceback_filtering_enabled as is_traceback_filtering_enabled
from .._switches import set_backend as set_backend
from ._limits import max_epochs as max_epochs
from ._limits import max_steps_per_epoch as max_steps_per_epoch
from ._limits import set_max_epochs as set_max_epochs
from ._limits import set_max_steps_per_epoch as set_max_steps_per_epoch
