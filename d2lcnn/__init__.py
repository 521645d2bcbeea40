"""d2lcnn: the reusable code of the classic-CNN book (MXNet Gluon, NumPy interface)."""
from . import _compat  # noqa: F401  (first: lets MXNet 1.9.1 import beside newer numpy/Python)
from . import config
from .device import describe_device, try_all_gpus, try_gpu
from .errors import (D2LCNNError, DataError, DownloadError, InputShapeError, NumpyModeError,
                     TrainingDivergedError, UnknownModelError)
from .npmode import require_np
from .registry import get_model, list_models, model_info, register_model

__version__ = "0.1.0"
