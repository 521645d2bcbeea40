"""Devices: d2l's ``try_gpu``/``try_all_gpus``, plus a name for the device a run used.

A user who installed MXNet's CPU wheel on a GPU machine, or whose GPU is newer than MXNet 1.9.1's
CUDA build supports (it has machine code for sm_50 to sm_86 and no PTX), gets one warning that
says why the CPU is used, instead of a silent fall-back.
"""
import functools
import os
import platform
import warnings

import mxnet as mx

from .gpus import gpu_supported, system_gpus


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
