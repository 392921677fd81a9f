"""heft: a weight-centred neural-network library on JAX with the Keras 3 API."""

__version__ = "0.1.0"

# `import heft as tf` lets TensorFlow-style code (`tf.keras.Sequential`) run unchanged.
import sys as _sys

# First, before JAX starts its worker threads: with HEFT_RETAIN_FREED_MEMORY=1, one
# malloc arena for all threads, so that training can keep freed host memory for
# reuse (heft/_platform/_allocator.py).
from . import _platform as _platform
from . import activations as activations
from . import applications as applications
from . import backend as backend
from . import callbacks as callbacks
from . import config as config
from . import constraints as constraints
from . import datasets as datasets
from . import distillation as distillation
from . import dtype_policies as dtype_policies
from . import export as export
from . import initializers as initializers
from . import layers as layers
from . import legacy as legacy
from . import losses as losses
from . import metrics as metrics
from . import models as models
from . import ops as ops
from . import optimizers as optimizers
from . import preprocessing as preprocessing
from . import random as random
from . import regularizers as regularizers
from . import saving as saving
from . import tree as tree
from . import utils as utils
from . import visualization as visualization
from . import wrappers as wrappers
from ._device import device as device
from ._function import Function as Function
from ._operation import Operation as Operation
from ._remat import RematScope as RematScope
from ._remat import remat as remat
from ._scope import StatelessScope as StatelessScope
from ._scope import name_scope as name_scope
from ._symbolic import KerasTensor as KerasTensor
from ._symbolic_scope import SymbolicScope as SymbolicScope
from ._variable import Variable as Variable
from .dtype_policies import DTypePolicy as DTypePolicy
from .dtype_policies import FloatDTypePolicy as FloatDTypePolicy
from .initializers import Initializer as Initializer
from .layers import Input as Input
from .layers import InputSpec as InputSpec
from .layers import Layer as Layer
from .losses import Loss as Loss
from .metrics import Metric as Metric
from .models import Model as Model
from .models import Sequential as Sequential
from .optimizers import Optimizer as Optimizer
from .regularizers import Regularizer as Regularizer


def version() -> str:
    """The version of heft, as a string (``heft.__version__``)."""
    return __version__


keras = _sys.modules[__name__]
