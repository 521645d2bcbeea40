"""One set-up step that makes MXNet 1.9.1 work in Google Colab, on its GPU where MXNet can run.

Called by the first (hidden) cell of every chapter; does nothing outside Colab. It must run before
anything imports MXNet, so this module imports neither MXNet nor the rest of the package.

Choices (see PLATFORM facts in the README):
- Colab ships numpy 2.x. We keep it and install MXNet with ``--no-deps`` (its metadata pins
  numpy<2); ``d2lcnn._compat`` restores the numpy names MXNet 1.9.1 uses. Pinning numpy<2
  instead would force a runtime restart (numpy is already imported) and could break Colab's
  own packages built against numpy 2.
- MXNet 1.9.1's CUDA wheels hold machine code for sm_50 ... sm_86 and no PTX: T4, L4, A100,
  V100, P100 work; Hopper (sm_90) and newer cannot run its kernels. They also need CUDA 11 and
  cuDNN 8, while Colab has CUDA 12 and cuDNN 9: the ``nvidia-*-cu11`` wheels provide those
  libraries, which are loaded (RTLD_GLOBAL) before MXNet is imported.
"""
import ctypes
import dataclasses
import glob
import importlib.util
import os
import subprocess
import sys

from .gpus import FIRST_UNSUPPORTED_CAPABILITY as FIRST_UNSUPPORTED
from .gpus import MIN_COMPUTE_CAPABILITY as MIN_CAPABILITY
from ._version import __version__, release_tag
from .gpus import system_gpus

MXNET_VERSION = "1.9.1"
GPU_WHEEL = f"mxnet-cu117=={MXNET_VERSION}"
CPU_WHEEL = f"mxnet=={MXNET_VERSION}"

#: CUDA 11 runtime libraries as wheels: (pip requirement, the sonames it provides, in load order)
CUDA11_LIBRARIES = (
    ("nvidia-cuda-runtime-cu11==11.8.89", ("libcudart.so.11.0",)),
    ("nvidia-cublas-cu11==11.11.3.6", ("libcublasLt.so.11", "libcublas.so.11")),
    ("nvidia-cudnn-cu11==8.9.6.50", (
        "libcudnn_ops_infer.so.8", "libcudnn_ops_train.so.8", "libcudnn_cnn_infer.so.8",
        "libcudnn_cnn_train.so.8", "libcudnn_adv_infer.so.8", "libcudnn_adv_train.so.8",
        "libcudnn.so.8")),
    ("nvidia-cufft-cu11==10.9.0.58", ("libcufft.so.10",)),
    ("nvidia-curand-cu11==10.3.0.86", ("libcurand.so.10",)),
    ("nvidia-cusparse-cu11==11.7.5.86", ("libcusparse.so.11",)),
    ("nvidia-cusolver-cu11==11.4.1.48", ("libcusolver.so.11",)),
    ("nvidia-cuda-nvrtc-cu11==11.8.89", ("libnvrtc.so.11.2",)),
    ("nvidia-nvtx-cu11==11.8.86", ("libnvToolsExt.so.1",)),
    ("nvidia-nccl-cu11==2.21.5", ("libnccl.so.2",)),
)

class ColabSetupError(RuntimeError):
    """The set-up could not finish; the message names the cause and what to do."""


@dataclasses.dataclass
class Plan:
    """What setup_colab will do, decided from facts passed in (so it can be unit-tested)."""

    device: str                  # "gpu" or "cpu"
    reason: str                  # one line for the reader
    pip_installs: list           # lists of pip arguments, run in order
    preload: tuple = ()          # sonames to load with RTLD_GLOBAL before `import mxnet`
    restart_needed: bool = False  # MXNet was already imported in this runtime


def in_colab():
    """True inside a Google Colab runtime."""
    return "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ


def plan_setup(gpus, *, mxnet_installed=None, mxnet_imported=False, has_driver=None,
               force_cpu=False):
    """Decide the set-up from the facts: `gpus` as [(name, (major, minor))] from the driver,
    the installed MXNet distribution name (``"mxnet"``, ``"mxnet-cu117"`` or None), whether
    MXNet is already imported in this process, whether ``libcuda.so.1`` can be loaded."""
    has_driver = bool(gpus) if has_driver is None else has_driver
    if gpus and not has_driver:
        raise ColabSetupError("the GPU driver library libcuda.so.1 cannot be loaded: choose "
                              "Runtime > Change runtime type > a GPU, or run on the CPU")
    want_gpu = False
    if force_cpu:
        reason = "CPU requested"
    elif not gpus:
        reason = "no GPU in this runtime: MXNet runs on the CPU (Runtime > Change runtime type)"
    else:
        name, cap = gpus[0]
        if tuple(cap) >= FIRST_UNSUPPORTED:
            reason = (f"{name} (sm_{cap[0]}{cap[1]}) is newer than MXNet {MXNET_VERSION}'s CUDA "
                      f"build supports (sm_50 to sm_86, no PTX: no kernel image for this GPU); "
                      f"running on the CPU. Choose a T4, L4 or A100 runtime for the GPU.")
        elif tuple(cap) < MIN_CAPABILITY:
            reason = f"{name} (sm_{cap[0]}{cap[1]}) is older than MXNet supports; CPU used"
        else:
            want_gpu = True
            reason = f"{name} (sm_{cap[0]}{cap[1]}): MXNet's CUDA 11.7 build with CUDA 11 wheels"
    wanted = "mxnet-cu117" if want_gpu else "mxnet"
    installs = []
    if mxnet_installed != wanted:
        if mxnet_installed:
            installs.append(["uninstall", "-y", "-q", mxnet_installed])
        installs.append(["install", "-q", "--no-deps", GPU_WHEEL if want_gpu else CPU_WHEEL])
    preload = ()
    if want_gpu:
        installs.append(["install", "-q", "--no-deps"] + [req for req, _ in CUDA11_LIBRARIES])
        preload = tuple(so for _, sonames in CUDA11_LIBRARIES for so in sonames)
    restart = mxnet_imported and mxnet_installed != wanted
    return Plan("gpu" if want_gpu else "cpu", reason, installs, preload, restart)


def _installed_mxnet():
    from importlib import metadata
    for dist in ("mxnet-cu117", "mxnet-cu112", "mxnet"):
        try:
            metadata.version(dist)
            return dist
        except metadata.PackageNotFoundError:
            continue
    return None


def _driver_loads():
    try:
        ctypes.CDLL("libcuda.so.1")
        return True
    except OSError:
        return False


def find_library(soname, roots=None):
    """Path of `soname` inside the installed nvidia-* wheels (site-packages/nvidia/*/lib)."""
    roots = roots if roots is not None else [p for p in sys.path if p.endswith("-packages")]
    for root in roots:
        hits = glob.glob(os.path.join(root, "nvidia", "*", "lib", soname))
        if hits:
            return hits[0]
    return None


def preload_libraries(sonames, roots=None):
    """Load the CUDA 11 libraries with RTLD_GLOBAL so that MXNet finds them when imported."""
    for soname in sonames:
        path = find_library(soname, roots)
        if path is None:
            raise ColabSetupError(f"{soname} is missing: the CUDA 11 wheels did not install "
                                  f"(pip install {' '.join(r for r, _ in CUDA11_LIBRARIES)})")
        try:
            ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
        except OSError as e:
            raise ColabSetupError(f"{soname} could not be loaded ({e}); restart the runtime and "
                                  f"run the first cell again") from e


def setup_colab(force_cpu=False, verbose=True):
    """In Colab, install and load the MXNet build this runtime can use; elsewhere do nothing.

    Returns the Plan it carried out (None outside Colab)."""
    if not in_colab():
        return None
    plan = plan_setup(system_gpus(), mxnet_installed=_installed_mxnet(),
                      mxnet_imported="mxnet" in sys.modules, has_driver=None if force_cpu
                      else (_driver_loads() if system_gpus() else False), force_cpu=force_cpu)
    if plan.restart_needed:
        raise ColabSetupError("MXNet was imported before setup_colab() ran: choose Runtime > "
                              "Restart session, then run the notebook from the first cell")
    for args in plan.pip_installs:
        subprocess.run([sys.executable, "-m", "pip"] + args, check=True)
    importlib.invalidate_caches()
    if plan.device == "gpu":
        from .runtime import keep_asynchronous_engine
        keep_asynchronous_engine()  # GPU work needs MXNet's own, asynchronous engine
    if plan.preload:
        preload_libraries(plan.preload)
    if verbose:
        print(f"d2lcnn: {plan.device.upper()}: {plan.reason}")
    return plan


#: The repository, as _config.yml's ``repository.url`` says: written there once, and copied here
#: by ``make sync`` (tools/sync_site.py) because an installed wheel cannot read _config.yml;
#: tests/test_site_config.py fails if the two differ.
REPOSITORY = "https://github.com/classic-cnn-book/d2lcnn"


def install_target(repository=REPOSITORY, version=__version__):
    """What a chapter's first cell installs: the package at this version's release tag, so that a
    chapter opened in Colab runs the code it was written and run with, not the moving branch."""
    return f"git+{repository}@{release_tag(version)}"


def first_cell(target):
    """The first cell of every chapter (tagged hide-input), installing `target` in Colab only."""
    return f'''\
# Colab set-up: installs this book's version of d2lcnn and the MXNet build this runtime can use;
# does nothing elsewhere.
import sys
if "google.colab" in sys.modules:
    import subprocess
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                    "{target}"], check=True)
    import d2lcnn
    d2lcnn.setup_colab()'''


#: The pip target of the first cell (it appears there once: a test may swap it for a local wheel).
INSTALL_TARGET = install_target()
#: The first cell of every chapter; tests/test_book.py checks that each chapter has it.
FIRST_CELL = first_cell(INSTALL_TARGET)
