"""Losses with the names, defaults, configs and numerics of ``keras.losses``."""

from ._binary_crossentropy import BinaryCrossentropy as BinaryCrossentropy
from ._binary_crossentropy import BinaryFocalCrossentropy as BinaryFocalCrossentropy
from ._binary_crossentropy import binary_crossentropy as binary_crossentropy
from ._binary_crossentropy import binary_focal_crossentropy as binary_focal_crossentropy
from ._categorical_crossentropy import CategoricalCrossentropy as CategoricalCrossentropy
from ._categorical_crossentropy import CategoricalFocalCrossentropy as CategoricalFocalCrossentropy
from ._categorical_crossentropy import (
    CategoricalGeneralizedCrossEntropy as CategoricalGeneralizedCrossEntropy,
)
from ._categorical_crossentropy import categorical_crossentropy as categorical_crossentropy
from ._categorical_crossentropy import (
    categorical_focal_crossentropy as categorical_focal_crossentropy,
)
from ._categorical_crossentropy import (
    categorical_generalized_cross_entropy as categorical_generalized_cross_entropy,
)
from ._circle import Circle as Circle
from ._circle import circle as circle
from ._ctc import CTC as CTC
from ._ctc import ctc as ctc
from ._get import deserialize as deserialize
from ._get import get as get
from ._get import serialize as serialize
from ._hinge import CategoricalHinge as CategoricalHinge
from ._hinge import Hinge as Hinge
from ._hinge import SquaredHinge as SquaredHinge
from ._hinge import categorical_hinge as categorical_hinge
from ._hinge import hinge as hinge
from ._hinge import squared_hinge as squared_hinge
from ._loss import Loss as Loss
from ._probabilistic import KLDivergence as KLDivergence
from ._probabilistic import Poisson as Poisson
from ._probabilistic import kl_divergence as KLD
from ._probabilistic import kl_divergence as kl_divergence
from ._probabilistic import kl_divergence as kld
from ._probabilistic import kl_divergence as kullback_leibler_divergence
from ._probabilistic import poisson as poisson
from ._regression import CosineSimilarity as CosineSimilarity
from ._regression import Huber as Huber
from ._regression import LogCosh as LogCosh
from ._regression import MeanAbsoluteError as MeanAbsoluteError
from ._regression import MeanAbsolutePercentageError as MeanAbsolutePercentageError
from ._regression import MeanSquaredError as MeanSquaredError
from ._regression import MeanSquaredLogarithmicError as MeanSquaredLogarithmicError
from ._regression import cosine_similarity as cosine_similarity
from ._regression import huber as huber
from ._regression import log_cosh as log_cosh
from ._regression import log_cosh as logcosh
from ._regression import mean_absolute_error as MAE
from ._regression import mean_absolute_error as mae
from ._regression import mean_absolute_error as mean_absolute_error
from ._regression import mean_absolute_percentage_error as MAPE
from ._regression import mean_absolute_percentage_error as mape
from ._regression import mean_absolute_percentage_error as mean_absolute_percentage_error
from ._regression import mean_squared_error as MSE
from ._regression import mean_squared_error as mean_squared_error
from ._regression import mean_squared_error as mse
from ._regression import mean_squared_logarithmic_error as MSLE
from ._regression import mean_squared_logarithmic_error as mean_squared_logarithmic_error
from ._regression import mean_squared_logarithmic_error as msle
from ._segmentation import Dice as Dice
from ._segmentation import Tversky as Tversky
from ._segmentation import dice as dice
from ._segmentation import tversky as tversky
from ._sparse_categorical_crossentropy import (
    SparseCategoricalCrossentropy as SparseCategoricalCrossentropy,
)
from ._sparse_categorical_crossentropy import (
    sparse_categorical_crossentropy as sparse_categorical_crossentropy,
)
from ._wrapper import LossFunctionWrapper as LossFunctionWrapper
