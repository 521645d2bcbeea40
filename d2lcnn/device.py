"""Devices: d2l's ``try_gpu``/``try_all_gpus``, a name for the device a run used, and a clear
error for a GPU that cannot be used.

A user who installed MXNet's CPU wheel on a GPU machine, or whose GPU is newer than MXNet 1.9.1's
CUDA build supports (it has machine code for sm_50 to sm_86 and no PTX), gets one warning that
says why the CPU is used, instead of a silent fall-back.

A student who writes ``mx.gpu()`` where no GPU can be used gets `DeviceUnavailableError` (which
device, why, what to do) and a process that lives on. Why that needs care: under MXNet's serial
engine (``NaiveEngine``, d2lcnn's choice on a multi-core CPU, `runtime.py`), an array placed on
a GPU by a CPU build of MXNet cannot be freed: its destructor throws in C++, which aborts the
process ("terminate called after throwing an instance of 'dmlc::Error'"), at once in a script
and, in Jupyter (whose traceback keeps the array alive), at some later ``gc.collect()``. Every
path that does so goes through the three ``_new_alloc_handle`` functions of MXNet's Python
layer (``copyto``/``as_in_ctx``, ``Parameter`` initialization, ``split_and_load``, ``np.array``
...); `install_gpu_guard` makes them refuse a GPU before MXNet creates anything. Operators that
take ``ctx=`` (``np.ones(3, ctx=mx.gpu())``) fail inside MXNet before an array exists and are
harmless. `device_list` checks the devices up front in d2lcnn's own entry points.
"""
import functools
import os
import platform
import warnings

import mxnet as mx

from .errors import D2LCNNError
from .gpus import gpu_supported, system_gpus


class DeviceUnavailableError(D2LCNNError, mx.base.MXNetError):
    """A GPU context was given where MXNet cannot use a GPU. Also an ``MXNetError``, so code
    that catches MXNet's errors catches it too."""


class GPUFallbackWarning(UserWarning):
    """A GPU is present but MXNet cannot use it; the CPU is used instead."""


def mxnet_gpu_count():
    """GPUs this MXNet build can use (0 for the CPU wheel)."""
    try:
        return mx.context.num_gpus()
    except mx.base.MXNetError:
        return 0


@functools.lru_cache(maxsize=None)
def _warn_fallback(reason):
    warnings.warn(f"running on the CPU: {reason}", GPUFallbackWarning, stacklevel=3)


def _fallback_reason():
    """Why a GPU the system has is not used, or None if there is nothing to explain."""
    gpus = system_gpus()
    if not gpus:
        return None
    name, cap = gpus[0]
    if not gpu_supported(cap):
        return (f"the GPU {name} (compute capability {cap[0]}.{cap[1]}) is newer than MXNet 1.9.1's "
                f"CUDA build supports (sm_50 to sm_86, no PTX); use a T4, L4 or A100")
    if mxnet_gpu_count() == 0:
        return (f"a GPU ({name}) is present, but the installed MXNet has no CUDA support "
                f"(the CPU wheel); in Colab, run d2lcnn.setup_colab() in a fresh runtime")
    return None


def _usable_gpus():
    count = mxnet_gpu_count()
    gpus = system_gpus()
    if count and gpus and not gpu_supported(gpus[0][1]):
        return 0
    return count


def mxnet_has_cuda():
    """Whether the loaded MXNet was built with CUDA (the CPU wheel was not)."""
    return mx.runtime.Features().is_enabled("CUDA")


def _unusable_reason(device):
    """Why MXNet cannot run on the GPU context `device` here, or None if it can."""
    usable = _usable_gpus()
    if device.device_id < usable:
        return None
    if not mxnet_has_cuda():
        gpus = system_gpus()
        if gpus:
            return (f"the installed MXNet is its CPU build (no CUDA), although the machine has "
                    f"a {gpus[0][0]}; in Colab, run d2lcnn.setup_colab() in a fresh runtime")
        return "this machine has no GPU, and the installed MXNet is its CPU build (no CUDA)"
    reason = _fallback_reason()
    if reason:
        return reason
    if usable:
        return (f"MXNet sees {usable} GPU{'s' if usable != 1 else ''}, numbered from 0 to "
                f"{usable - 1}")
    return "MXNet finds no GPU on this machine"


def unavailable_error(device, doing="use"):
    """The `DeviceUnavailableError` for a GPU context that cannot be used (which, why, what
    to do)."""
    reason = _unusable_reason(device) or "MXNet cannot use it here"
    return DeviceUnavailableError(
        f"cannot {doing} {device} (mx.gpu({device.device_id})): {reason}. Nothing was placed "
        f"on it, and this Python process (or notebook kernel) carries on. Use "
        f"d2lcnn.try_gpu(), which gives the GPU where one can be used and mx.cpu() otherwise, "
        f"or mx.cpu().")


def check_usable(device):
    """Raise `DeviceUnavailableError` if `device` is a GPU MXNet cannot use here."""
    if device.device_type == "gpu" and _unusable_reason(device) is not None:
        raise unavailable_error(device)
    return device


def device_list(device):
    """`device` (a context or a list of them) as a checked list: contexts, no duplicates,
    and no GPU that cannot be used (refused before any work, with the reason)."""
    devices = list(device) if isinstance(device, (list, tuple)) else [device]
    if not devices:
        raise ValueError("device=[] names no device: pass a context such as mx.cpu(), "
                         "a list of them, or None for try_gpu()")
    for d in devices:
        if not isinstance(d, mx.Context):
            raise TypeError(f"device must be an MXNet context such as mx.cpu() or mx.gpu(0), "
                            f"or a list of them; got {d!r}")
    if len(set(devices)) != len(devices):
        raise ValueError(f"device lists {devices} twice the same context")
    for d in devices:
        check_usable(d)
    return devices


#: the MXNet modules whose ``_new_alloc_handle`` creates arrays: (module, position of ctx)
_ALLOCATORS = (("mxnet.ndarray.ndarray", 1), ("mxnet.numpy.multiarray", 1),
               ("mxnet.ndarray.sparse", 2))


def _guarded(allocate, ctx_at):
    @functools.wraps(allocate)
    def allocate_unless_gpu(*args, **kwargs):
        ctx = args[ctx_at] if len(args) > ctx_at else kwargs.get("ctx")
        if getattr(ctx, "device_type", None) == "gpu":
            raise unavailable_error(ctx, doing="place an array on")
        return allocate(*args, **kwargs)
    allocate_unless_gpu.d2lcnn_guard = True
    return allocate_unless_gpu


def install_gpu_guard():
    """On a CPU build of MXNet, make array creation on a GPU raise `DeviceUnavailableError`
    instead of creating an array whose destruction aborts the process (see the module's
    docstring). Returns True if installed (or already), False on a CUDA build, which needs
    no guard and keeps MXNet's functions untouched."""
    if mxnet_has_cuda():
        return False
    import importlib
    for name, ctx_at in _ALLOCATORS:
        module = importlib.import_module(name)
        allocate = module._new_alloc_handle
        if not getattr(allocate, "d2lcnn_guard", False):
            module._new_alloc_handle = _guarded(allocate, ctx_at)
    return True


def try_gpu(i=0):
    """Return ``mx.gpu(i)`` if it exists and MXNet can run on it, else ``mx.cpu()`` (as d2l)."""
    if _usable_gpus() >= i + 1:
        return mx.gpu(i)
    reason = _fallback_reason()
    if reason:
        _warn_fallback(reason)
    return mx.cpu()


def try_all_gpus():
    """Return all usable GPUs, or ``[mx.cpu()]`` if there is none (as d2l)."""
    n = _usable_gpus()
    if n:
        return [mx.gpu(i) for i in range(n)]
    reason = _fallback_reason()
    if reason:
        _warn_fallback(reason)
    return [mx.cpu()]


@functools.lru_cache(maxsize=1)
def _cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe_device(device=None):
    """A short human name for a device (or a list of them): ``'GPU 0: Tesla T4'``,
    ``'CPU (2 cores, 2 MXNet threads, Intel Xeon ...)'``. Training output names the device
    with it; the thread count matters as much as the cores for speed figures."""
    if device is None:
        device = try_gpu()
    if isinstance(device, (list, tuple)):
        return " + ".join(describe_device(d) for d in device)
    if device.device_type == "gpu":
        gpus = system_gpus()
        name = gpus[device.device_id][0] if device.device_id < len(gpus) else "GPU"
        return f"GPU {device.device_id}: {name}"
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    from .runtime import cpu_threads
    threads = cpu_threads()
    return f"CPU ({cores} cores, {threads} MXNet thread{'s' if threads != 1 else ''}, {_cpu_name()})"
