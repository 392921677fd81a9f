"""``heft.ops.nn``: the neural-network ops (activations, convolutions, losses, ...) as in Keras 3.

Each name is the same function as in ``heft.ops``:

>>> import heft
>>> heft.ops.nn.relu is heft.ops.relu
True
"""

from ._activation_ops import celu as celu
from ._activation_ops import elu as elu
from ._activation_ops import gelu as gelu
from ._activation_ops import glu as glu
from ._activation_ops import hard_shrink as hard_shrink
from ._activation_ops import hard_sigmoid as hard_sigmoid
from ._activation_ops import hard_silu as hard_silu
from ._activation_ops import hard_swish as hard_swish
from ._activation_ops import hard_tanh as hard_tanh
from ._activation_ops import leaky_relu as leaky_relu
from ._activation_ops import log_sigmoid as log_sigmoid
from ._activation_ops import log_softmax as log_softmax
from ._activation_ops import relu as relu
from ._activation_ops import relu6 as relu6
from ._activation_ops import selu as selu
from ._activation_ops import sigmoid as sigmoid
from ._activation_ops import silu as silu
from ._activation_ops import soft_shrink as soft_shrink
from ._activation_ops import softmax as softmax
from ._activation_ops import softplus as softplus
from ._activation_ops import softsign as softsign
from ._activation_ops import sparse_plus as sparse_plus
from ._activation_ops import sparse_sigmoid as sparse_sigmoid
from ._activation_ops import sparsemax as sparsemax
from ._activation_ops import squareplus as squareplus
from ._activation_ops import swish as swish
from ._activation_ops import tanh_shrink as tanh_shrink
from ._activation_ops import threshold as threshold
from ._adaptive import adaptive_average_pool as adaptive_average_pool
from ._adaptive import adaptive_max_pool as adaptive_max_pool
from ._attention import dot_product_attention as dot_product_attention
from ._blocks import depth_to_space as depth_to_space
from ._blocks import fold as fold
from ._blocks import polar as polar
from ._blocks import space_to_depth as space_to_depth
from ._blocks import unfold as unfold
from ._conv import conv as conv
from ._conv import conv_transpose as conv_transpose
from ._conv import depthwise_conv as depthwise_conv
from ._conv import separable_conv as separable_conv
from ._ctc import ctc_decode as ctc_decode
from ._ctc import ctc_loss as ctc_loss
from ._nn import binary_crossentropy as binary_crossentropy
from ._nn import categorical_crossentropy as categorical_crossentropy
from ._nn import multi_hot as multi_hot
from ._nn import one_hot as one_hot
from ._nn import psnr as psnr
from ._nn import sparse_categorical_crossentropy as sparse_categorical_crossentropy
from ._normalization import batch_normalization as batch_normalization
from ._normalization import layer_normalization as layer_normalization
from ._normalization import moments as moments
from ._normalization import normalize as normalize
from ._normalization import rms_normalization as rms_normalization
from ._pool import average_pool as average_pool
from ._pool import max_pool as max_pool
