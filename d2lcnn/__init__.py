"""d2lcnn: the reusable code of the classic-CNN book (MXNet Gluon, NumPy interface).

Importing the package imports only the compatibility layer (numpy names MXNet 1.9.1 needs) and
chooses MXNet's CPU threads and engine (`runtime.py`); MXNet itself is imported when a name that needs it is first used. So ``d2lcnn.setup_colab()``
can choose and install the right MXNet build before anything imports it.
"""
import importlib

from . import _compat  # noqa: F401  (first: lets MXNet 1.9.1 import beside newer numpy/Python)
from . import runtime as _runtime

_runtime.init()  # before MXNet loads: it fixes its CPU threads and engine then (runtime.py)

from ._version import __version__  # noqa: E402  (one source: _version.py)

# public name -> submodule that defines it
_EXPORTS = {
    "config": None,
    "setup_colab": "colab",
    "cpu_threads": "runtime",
    "describe_device": "device", "try_gpu": "device", "try_all_gpus": "device",
    "D2LCNNError": "errors", "DataError": "errors", "DownloadError": "errors",
    "InputShapeError": "errors", "NumpyModeError": "errors",
    "TrainingDivergedError": "errors", "UnknownModelError": "errors",
    "require_np": "npmode",
    "get_model": "registry", "list_models": "registry", "model_info": "registry",
    "register_model": "registry",
    "Recipe": "recipes", "choose_recipe": "recipes", "save_results": "recipes",
    "load_results": "recipes",
    "blocks": None, "arithmetic": None,
    "DepthwiseSeparable": "models.mobilenet", "SeparableConv2D": "models.xception",
    "vgg_block": "models.vgg",
    "Residual": "models.resnet", "Bottleneck": "models.resnet",
    "resnet_block": "models.resnet",
    "summary": "summary", "Summary": "summary", "count_params": "summary",
    "bench": "bench", "BenchResult": "bench",
    "load_data_fashion_mnist": "data", "get_fashion_mnist_labels": "data",
    "download_fashion_mnist": "download",
    "train_ch6": "train", "evaluate_accuracy_gpu": "train", "accuracy": "train",
    "History": "train",
    "Timer": "utils", "Accumulator": "utils", "set_seed": "utils",
    "plot_history": "plot", "show_images": "plot", "LivePlot": "plot",
    "save_parameters": "checkpoint", "load_parameters": "checkpoint",
    "architecture_table": "compare", "results_rows": "compare", "class_subset": "compare",
    "freeze": "compare", "replace_output": "compare",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'd2lcnn' has no attribute {name!r}")
    module = _EXPORTS[name]
    value = (importlib.import_module(f".{name}", __name__) if module is None
             else getattr(importlib.import_module(f".{module}", __name__), name))
    globals()[name] = value  # cache: __getattr__ runs once per name
    return value


def __dir__():
    return __all__
