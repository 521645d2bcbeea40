"""What the NVIDIA driver reports, read without importing MXNet (colab.py runs before it).

MXNet 1.9.1's CUDA wheels carry machine code for sm_50 ... sm_86 and no PTX: a GPU runs it if
its major version is one of those (sm_75 runs sm_70 code, sm_89 runs sm_86 code); Hopper (sm_90)
and newer cannot ("no kernel image is available for execution on the device").
"""
import functools
import shutil
import subprocess

MIN_COMPUTE_CAPABILITY = (5, 0)
FIRST_UNSUPPORTED_CAPABILITY = (9, 0)


def parse_nvidia_smi(text):
    """Parse ``nvidia-smi --query-gpu=name,compute_cap --format=csv,noheader`` output."""
    gpus = []
    for line in text.strip().splitlines():
        name, sep, cap = line.rpartition(",")
        if not sep:  # not a "name, capability" row (a driver message): skip it
            continue
        try:
            major, minor = (int(x) for x in cap.strip().split("."))
        except ValueError:
            major, minor = 0, 0
        gpus.append((name.strip(), (major, minor)))
    return gpus


@functools.lru_cache(maxsize=1)
def system_gpus():
    """The GPUs the driver reports, as ``[(name, (major, minor)), ...]``; empty without a driver."""
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return []
    try:
        out = subprocess.run([smi, "--query-gpu=name,compute_cap", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=20, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return parse_nvidia_smi(out)


def gpu_supported(compute_capability):
    """True if MXNet 1.9.1's CUDA build has machine code that runs on this compute capability."""
    return MIN_COMPUTE_CAPABILITY <= tuple(compute_capability) < FIRST_UNSUPPORTED_CAPABILITY
