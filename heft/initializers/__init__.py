"""Weight initializers, with the names, defaults and seeding of ``keras.initializers``."""

from ._constant_initializers import Constant as Constant
from ._constant_initializers import Constant as constant
from ._constant_initializers import Identity as Identity
from ._constant_initializers import Identity as IdentityInitializer
from ._constant_initializers import Identity as identity
from ._constant_initializers import Ones as Ones
from ._constant_initializers import Ones as ones
from ._constant_initializers import Zeros as Zeros
from ._constant_initializers import Zeros as zeros
from ._get import deserialize as deserialize
from ._get import get as get
from ._get import serialize as serialize
from ._initializer import Initializer as Initializer
from ._random_initializers import Orthogonal as Orthogonal
from ._random_initializers import Orthogonal as OrthogonalInitializer
from ._random_initializers import Orthogonal as orthogonal
from ._random_initializers import RandomInitializer as RandomInitializer
from ._random_initializers import RandomNormal as RandomNormal
from ._random_initializers import RandomNormal as random_normal
from ._random_initializers import RandomUniform as RandomUniform
from ._random_initializers import RandomUniform as random_uniform
from ._random_initializers import TruncatedNormal as TruncatedNormal
from ._random_initializers import TruncatedNormal as truncated_normal
from ._variance_scaling import GlorotNormal as GlorotNormal
from ._variance_scaling import GlorotNormal as glorot_normal
from ._variance_scaling import GlorotUniform as GlorotUniform
from ._variance_scaling import GlorotUniform as glorot_uniform
from ._variance_scaling import HeNormal as HeNormal
from ._variance_scaling import HeNormal as he_normal
from ._variance_scaling import HeUniform as HeUniform
from ._variance_scaling import HeUniform as he_uniform
from ._variance_scaling import LecunNormal as LecunNormal
from ._variance_scaling import LecunNormal as lecun_normal
from ._variance_scaling import LecunUniform as LecunUniform
from ._variance_scaling import LecunUniform as lecun_uniform
from ._variance_scaling import VarianceScaling as VarianceScaling
from ._variance_scaling import VarianceScaling as variance_scaling
from ._variance_scaling import compute_fans as compute_fans

# isort: split
# Short-time Fourier transform kernels.
from ._stft import STFT as STFT
from ._stft import STFT as STFTInitializer
from ._stft import STFT as stft
