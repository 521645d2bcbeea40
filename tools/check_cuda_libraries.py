"""Prove that MXNet's CUDA build loads with the CUDA 11 libraries from the nvidia-*-cu11 wheels.

Heavy (about 4 GB of wheels) and not run in CI. Run it with the Python of an environment that
has `mxnet-cu117==1.9.1` and the wheels listed in d2lcnn.colab.CUDA11_LIBRARIES installed:

    python tools/check_cuda_libraries.py

It preloads the libraries exactly as d2lcnn.setup_colab() does, imports MXNet and prints its
runtime features. On a machine with no NVIDIA driver, libcuda.so.1 (which only a driver
provides) is replaced by a stub compiled here whose functions all answer "no device", so that
the import can be checked; MXNet then reports CUDA enabled and finds 0 GPUs.
"""
import ctypes
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from d2lcnn import colab  # noqa: E402  (imports no MXNet)

DRIVER_SYMBOLS = ("cuInit cuDriverGetVersion cuDeviceGet cuDeviceGetCount cuDevicePrimaryCtxRetain "
                  "cuGetErrorString cuGetErrorName cuGraphKernelNodeGetParams cuGraphNodeGetType "
                  "cuLaunchKernel cuModuleGetFunction cuModuleLoadData cuModuleLoadDataEx "
                  "cuModuleUnload cuCtxGetCurrent cuCtxSetCurrent cuGetProcAddress").split()


def stub_driver():
    """Compile and load a libcuda.so.1 whose every function returns CUDA_ERROR_NO_DEVICE."""
    folder = tempfile.mkdtemp(prefix="stub-libcuda-")
    src = os.path.join(folder, "stub.c")
    with open(src, "w") as f:
        f.writelines(f"int {name}() {{ return 100; }}\n" for name in DRIVER_SYMBOLS)
    lib = os.path.join(folder, "libcuda.so.1")
    subprocess.run(["gcc", "-shared", "-fPIC", "-Wl,-soname,libcuda.so.1", "-o", lib, src],
                   check=True)
    ctypes.CDLL(lib, mode=ctypes.RTLD_GLOBAL)
    return lib


def main():
    try:
        ctypes.CDLL("libcuda.so.1", mode=ctypes.RTLD_GLOBAL)
        print("driver: libcuda.so.1 found")
    except OSError:
        stub_driver()
        print("driver: none on this machine; loaded a stub libcuda.so.1 (no device)")
    sonames = [so for _, names in colab.CUDA11_LIBRARIES for so in names]
    colab.preload_libraries(sonames)
    print(f"preloaded {len(sonames)} CUDA 11 libraries from the nvidia-*-cu11 wheels")
    import mxnet as mx
    features = mx.runtime.Features()
    for name in ("CUDA", "CUDNN", "NCCL", "CUDA_RTC", "MKLDNN"):
        print(f"{name:9s} {'enabled' if features.is_enabled(name) else 'disabled'}")
    try:
        print("GPUs seen by MXNet:", mx.context.num_gpus())
    except mx.base.MXNetError as e:
        print("GPUs seen by MXNet: none (", str(e).splitlines()[0][:120], ")")


if __name__ == "__main__":
    main()
