"""heft: a weight-centred neural-network library on JAX with the Keras 3 API."""

from . import activations as activations
from . import config as config
from . import constraints as constraints
from . import dtype_policies as dtype_policies
from . import initializers as initializers
from . import layers as layers
from . import models as models
from . import ops as ops
from . import random as random
from . import regularizers as regularizers
from ._scope import StatelessScope as StatelessScope
from ._scope import name_scope as name_scope
from ._symbolic import KerasTensor as KerasTensor
from ._variable import Variable as Variable
from .dtype_policies import DTypePolicy as DTypePolicy
from .layers import Input as Input
from .layers import InputSpec as InputSpec
from .layers import Layer as Layer
from .models import Model as Model
from .models import Sequential as Sequential

__version__ = "0.1.0"

# `import heft as tf` lets TensorFlow-style code (`tf.keras.Sequential`) run unchanged.
import sys as _sys

keras = _sys.modules[__name__]
