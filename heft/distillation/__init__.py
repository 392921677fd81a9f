"""Knowledge distillation: train a student model from a frozen teacher (Keras 3's ``keras.distillation``)."""

from ._distiller import Distiller as Distiller
from ._losses import DistillationLoss as DistillationLoss
from ._losses import FeatureDistillation as FeatureDistillation
from ._losses import LogitsDistillation as LogitsDistillation
