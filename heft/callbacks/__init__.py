"""Callbacks run by ``fit``, ``evaluate`` and ``predict``, as in ``keras.callbacks``."""

from ._backup_and_restore import BackupAndRestore as BackupAndRestore
from ._callback import Callback as Callback
from ._callback_list import CallbackList as CallbackList
from ._csv_logger import CSVLogger as CSVLogger
from ._early_stopping import EarlyStopping as EarlyStopping
from ._history import History as History
from ._lambda_callback import LambdaCallback as LambdaCallback
from ._learning_rate_scheduler import LearningRateScheduler as LearningRateScheduler
from ._model_checkpoint import ModelCheckpoint as ModelCheckpoint
from ._progbar import ProgbarLogger as ProgbarLogger
from ._reduce_lr_on_plateau import ReduceLROnPlateau as ReduceLROnPlateau
from ._remote_monitor import RemoteMonitor as RemoteMonitor
from ._swap_ema_weights import SwapEMAWeights as SwapEMAWeights
from ._tensorboard import TensorBoard as TensorBoard
from ._terminate_on_nan import TerminateOnNaN as TerminateOnNaN
