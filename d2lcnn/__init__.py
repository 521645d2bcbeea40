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
    "diagram": None,  # d2lcnn/diagram: drawings of the networks and blocks
    "setup_colab": "colab",
    "cpu_threads": "runtime",
    "describe_device": "device", "try_gpu": "device", "try_all_gpus": "device",
    "DeviceUnavailableError": "device",
    "D2LCNNError": "errors", "DataError": "errors", "DownloadError": "errors",
    "InputShapeError": "errors", "NumpyModeError": "errors",
    "TrainingDivergedError": "errors", "UnknownModelError": "errors",
    "require_np": "npmode",
    "get_model": "registry", "list_models": "registry", "model_info": "registry",
    "register_model": "registry",
    "Recipe": "recipes", "choose_recipe": "recipes", "save_results": "recipes",
    "load_results": "recipes",
    "blocks": None, "arithmetic": None,
    "DepthwiseSeparable": "models.mobilenet", "SeparableConv2D": "layers",
    "vgg_block": "models.vgg",
    "Residual": "models.resnet", "Bottleneck": "models.resnet",
    "resnet_block": "models.resnet",
    "summary": "summary", "Summary": "summary", "count_params": "summary",
    "bench": "bench", "BenchResult": "bench",
    "load_data_fashion_mnist": "data", "get_fashion_mnist_labels": "data",
    "download_fashion_mnist": "download",
    "train_ch6": "train", "evaluate_accuracy_gpu": "evaluation", "accuracy": "evaluation",
    "History": "history",
    "Timer": "utils", "Accumulator": "utils", "set_seed": "utils",
    "plot_history": "plotting", "show_images": "plotting", "LivePlot": "plotting",
    "plotting": None,
    # d2l's names for its CNN chapters (`import d2lcnn as d2l`); d2l's tensor aliases (reshape,
    # tensor ...) are found by __getattr__ below, outside __all__ (they shadow builtins)
    "plot": "d2l_plotting", "Animator": "d2l_plotting", "set_figsize": "d2l_plotting",
    "use_svg_display": "d2l_plotting", "set_axes": "d2l_plotting",
    "corr2d": "d2l_compat", "evaluate_accuracy": "d2l_compat", "load_array": "d2l_compat",
    "Benchmark": "d2l_compat", "num_gpus": "d2l_compat", "cpu": "d2l_compat",
    "gpu": "d2l_compat", "resnet18": "d2l_compat",
    "glue": "nbglue",
    "chapters": None,
    "chapter_recipes": "recipes", "recipe_for": "recipes",
    "save_parameters": "checkpoint", "load_parameters": "checkpoint",
    "architecture_table": "compare", "results_rows": "compare", "class_subset": "finetune",
    "freeze": "finetune", "replace_output": "finetune",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name):
    if name not in _EXPORTS:
        if name.startswith("__"):
            raise AttributeError(f"module 'd2lcnn' has no attribute {name!r}")
        # d2l's tensor aliases, or an error that says where d2l defines the name
        value = importlib.import_module(".d2l_compat", __name__).lookup(name)
        globals()[name] = value
        return value
    module = _EXPORTS[name]
    value = (importlib.import_module(f".{name}", __name__) if module is None
             else getattr(importlib.import_module(f".{module}", __name__), name))
    globals()[name] = value  # cache: __getattr__ runs once per name
    return value


def __dir__():
    return __all__
