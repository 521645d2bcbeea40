"""Devices: try_gpu / try_all_gpus as d2l, a visible fall-back to the CPU, device names."""
import warnings

import mxnet as mx
import pytest

from d2lcnn import device, gpus


@pytest.fixture
def fake_system(monkeypatch):
    """Pretend the driver reports `gpus` and MXNet's build sees `count` of them."""
    def set_(gpu_list, count):
        monkeypatch.setattr(device, "system_gpus", lambda: gpu_list)
        monkeypatch.setattr(device, "mxnet_gpu_count", lambda: count)
        device._warn_fallback.cache_clear()
    yield set_
    device._warn_fallback.cache_clear()


def test_cpu_machine_is_silent(fake_system):
    fake_system([], 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert device.try_gpu() == mx.cpu()
        assert device.try_all_gpus() == [mx.cpu()]


def test_cpu_wheel_on_gpu_machine_warns_once(fake_system):
    fake_system([("Tesla T4", (7, 5))], 0)
    with pytest.warns(device.GPUFallbackWarning, match="no CUDA support"):
        assert device.try_gpu() == mx.cpu()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once only
        assert device.try_gpu() == mx.cpu()


def test_hopper_is_not_used_even_with_cuda_build(fake_system):
    fake_system([("NVIDIA H100 80GB HBM3", (9, 0))], 1)
    with pytest.warns(device.GPUFallbackWarning, match="sm_50 to sm_86"):
        assert device.try_all_gpus() == [mx.cpu()]


def test_supported_gpu_is_used(fake_system):
    fake_system([("Tesla T4", (7, 5)), ("Tesla T4", (7, 5))], 2)
    assert device.try_gpu() == mx.gpu(0)
    assert device.try_gpu(1) == mx.gpu(1)
    assert device.try_all_gpus() == [mx.gpu(0), mx.gpu(1)]
    assert device.describe_device(mx.gpu(1)) == "GPU 1: Tesla T4"


@pytest.mark.parametrize("cap, ok", [((5, 0), True), ((7, 5), True), ((8, 6), True),
                                     ((8, 9), True), ((9, 0), False), ((10, 0), False),
                                     ((3, 7), False)])
def test_compute_capability_support(cap, ok):
    assert gpus.gpu_supported(cap) is ok


def test_parse_nvidia_smi():
    out = "Tesla T4, 7.5\nNVIDIA H100 80GB HBM3, 9.0\nNo devices were found\nOld GPU, [N/A]\n"
    assert gpus.parse_nvidia_smi(out) == [("Tesla T4", (7, 5)), ("NVIDIA H100 80GB HBM3", (9, 0)),
                                          ("Old GPU", (0, 0))]


def test_describe_cpu_names_cores_not_paths():
    text = device.describe_device(mx.cpu())
    assert text.startswith("CPU (") and "cores" in text and "/" not in text
    assert device.describe_device([mx.cpu(0), mx.cpu(1)]).count("CPU") == 2
