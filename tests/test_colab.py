"""setup_colab: the decision logic with the facts passed in, the library loading, and that it
does nothing (and imports no MXNet) outside Colab."""
import os
import subprocess
import sys

import pytest

from d2lcnn import colab

T4 = [("Tesla T4", (7, 5))]
H100 = [("NVIDIA H100 80GB HBM3", (9, 0))]


def test_t4_gets_cuda_build_and_cuda11_libraries():
    plan = colab.plan_setup(T4, mxnet_installed=None)
    assert plan.device == "gpu" and not plan.restart_needed
    assert ["install", "-q", "--no-deps", colab.GPU_WHEEL] in plan.pip_installs
    libs = plan.pip_installs[-1]
    assert "--no-deps" in libs and any(a.startswith("nvidia-cudnn-cu11==8.") for a in libs)
    # the runtime comes first, cuDNN's parts before libcudnn.so.8 itself, NCCL loaded
    assert plan.preload[0] == "libcudart.so.11.0"
    assert plan.preload.index("libcudnn_ops_infer.so.8") < plan.preload.index("libcudnn.so.8")
    assert "libnccl.so.2" in plan.preload


def test_cpu_wheel_is_swapped_for_the_cuda_build():
    plan = colab.plan_setup(T4, mxnet_installed="mxnet")
    assert plan.pip_installs[0] == ["uninstall", "-y", "-q", "mxnet"]


def test_hopper_keeps_cpu_and_says_why():
    plan = colab.plan_setup(H100, mxnet_installed=None)
    assert plan.device == "cpu" and plan.preload == ()
    assert plan.pip_installs == [["install", "-q", "--no-deps", colab.CPU_WHEEL]]
    assert "no kernel image" in plan.reason and "T4" in plan.reason


def test_no_gpu_installs_cpu_build_without_touching_numpy():
    plan = colab.plan_setup([], mxnet_installed=None)
    assert plan.device == "cpu" and "no GPU" in plan.reason
    assert all("numpy" not in " ".join(args) for args in plan.pip_installs)


def test_nothing_to_do_when_the_right_build_is_there():
    assert colab.plan_setup([], mxnet_installed="mxnet").pip_installs == []


def test_switching_builds_after_import_needs_a_restart():
    plan = colab.plan_setup(T4, mxnet_installed="mxnet", mxnet_imported=True)
    assert plan.restart_needed


def test_missing_driver_is_named():
    with pytest.raises(colab.ColabSetupError, match="libcuda.so.1"):
        colab.plan_setup(T4, has_driver=False)


def test_find_and_preload_libraries(tmp_path):
    lib = tmp_path / "nvidia" / "cuda_runtime" / "lib"
    lib.mkdir(parents=True)
    (lib / "libfake.so.1").write_bytes(b"not an ELF file")
    assert colab.find_library("libfake.so.1", [str(tmp_path)]) == str(lib / "libfake.so.1")
    assert colab.find_library("libnone.so", [str(tmp_path)]) is None
    with pytest.raises(colab.ColabSetupError, match="libnone.so is missing"):
        colab.preload_libraries(["libnone.so"], [str(tmp_path)])
    with pytest.raises(colab.ColabSetupError, match="could not be loaded"):
        colab.preload_libraries(["libfake.so.1"], [str(tmp_path)])


def test_outside_colab_does_nothing_and_imports_no_mxnet():
    env = {k: v for k, v in os.environ.items() if k != "COLAB_RELEASE_TAG"}
    code = ("import sys, d2lcnn; r = d2lcnn.setup_colab(); "
            "print(r, 'mxnet' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True).stdout
    assert out.strip() == "None False"
