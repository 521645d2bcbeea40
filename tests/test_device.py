"""Devices: try_gpu / try_all_gpus as d2l, a visible fall-back to the CPU, device names, and
a GPU that cannot be used: a clear error, and a process (or notebook kernel) that lives on."""
import os
import subprocess
import sys
import textwrap
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


# ---- a GPU that cannot be used: a clear error, and the process lives on --------------------

def test_device_list_checks_and_explains(fake_system, monkeypatch):
    monkeypatch.setattr(device, "mxnet_has_cuda", lambda: False)
    fake_system([], 0)
    assert device.device_list(mx.cpu()) == [mx.cpu()]
    with pytest.raises(device.DeviceUnavailableError,
                       match=r"cannot use gpu\(0\) \(mx.gpu\(0\)\): this machine has no GPU, "
                             r"and the installed MXNet is its CPU build.*d2lcnn.try_gpu\(\)"):
        device.device_list([mx.cpu(), mx.gpu(0)])
    fake_system([("Tesla T4", (7, 5))], 0)
    with pytest.raises(device.DeviceUnavailableError, match="although the machine has a Tesla "
                                                           "T4.*setup_colab"):
        device.check_usable(mx.gpu())


def test_unusable_gpus_of_a_cuda_build_are_explained(fake_system, monkeypatch):
    monkeypatch.setattr(device, "mxnet_has_cuda", lambda: True)
    fake_system([("NVIDIA H100 80GB HBM3", (9, 0))], 1)
    with pytest.raises(device.DeviceUnavailableError, match="sm_50 to sm_86"):
        device.check_usable(mx.gpu(0))
    fake_system([("Tesla T4", (7, 5))], 1)
    assert device.check_usable(mx.gpu(0)) == mx.gpu(0)
    with pytest.raises(device.DeviceUnavailableError, match="MXNet sees 1 GPU, numbered from 0 "
                                                           "to 0"):
        device.check_usable(mx.gpu(1))


STUDENT_MISTAKES = """
    import gc, sys
    import d2lcnn
    import mxnet as mx
    from mxnet import gluon, np, npx
    from mxnet.gluon import nn
    npx.set_np()
    x = np.ones((2, 4))
    mistakes = {
        "np.ones(ctx=gpu)": lambda: np.ones(3, ctx=mx.gpu()),
        "np.array(ctx=gpu)": lambda: np.array([1, 2], ctx=mx.gpu()),
        "x.as_in_ctx(gpu)": lambda: x.as_in_ctx(mx.gpu()),
        "x.copyto(gpu)": lambda: x.copyto(mx.gpu()),
        "nd.array(ctx=gpu)": lambda: mx.nd.array([1, 2], ctx=mx.gpu()),
        "net.initialize(ctx=gpu)": lambda: nn.Dense(3, in_units=4).initialize(ctx=mx.gpu()),
        "deferred initialize": lambda: (lambda n: (n.initialize(ctx=mx.gpu()), n(x)))(nn.Dense(3)),
        "split_and_load": lambda: gluon.utils.split_and_load(x, [mx.gpu()]),
        "train_ch6(gpu)": lambda: d2lcnn.train_ch6(
            nn.Dense(2), [(x, np.array([0, 1]))], None, 1, 0.1, mx.gpu(), progress=False),
        "evaluate_accuracy_gpu(gpu)": lambda: d2lcnn.evaluate_accuracy_gpu(
            d2lcnn.get_model("lenet"), [(np.ones((2, 1, 28, 28)), np.array([0, 1]))], mx.gpu()),
        "summary(device=gpu)": lambda: d2lcnn.summary(d2lcnn.get_model("lenet"), (1, 28, 28),
                                                      device=mx.gpu()),
        "bench(device=gpu)": lambda: d2lcnn.bench(d2lcnn.get_model("lenet"), (1, 28, 28),
                                                  batch_size=2, repeats=1, device=mx.gpu()),
    }
    kept = []  # as Jupyter does: the last error's traceback keeps its arrays alive
    for name, mistake in mistakes.items():
        try:
            mistake()
            print(name, "no error")
        except Exception as err:
            kept.append(sys.exc_info())
            print(name, type(err).__name__, flush=True)
    gc.collect()
    kept.clear()
    gc.collect()
    # the student's next cells: the right device, training, more collections
    net = nn.Dense(2)
    net.initialize(ctx=d2lcnn.try_gpu())
    history = d2lcnn.train_ch6(net, [(x, np.array([0, 1]))] * 3, None, 2, 0.1,
                               d2lcnn.try_gpu(), progress=False, verbose=False)
    gc.collect()
    print("alive", history.epochs, float((np.ones(3) * 2).sum()), d2lcnn._runtime.DECISION["engine"])
"""


def _student(code, env):
    full = dict(os.environ)
    for name in ("MXNET_OMP_MAX_THREADS", "OMP_NUM_THREADS", "MXNET_ENGINE_TYPE",
                 "D2LCNN_RUNTIME_SET"):
        full.pop(name, None)
    full.update(env)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=full,
                          capture_output=True, text=True, timeout=300)


needs_cpu_build = pytest.mark.skipif(device.mxnet_has_cuda(),
                                     reason="the guard is for MXNet's CPU build")


@needs_cpu_build
@pytest.mark.parametrize("threads, engine", [("2", "NaiveEngine"), ("mxnet", "None")])
def test_gpu_mistakes_raise_and_the_process_lives_on(threads, engine):
    """Under the serial engine (d2lcnn's choice) and MXNet's threaded one, each mistake is an
    error, and a later gc.collect() and training on the right device work."""
    out = _student(STUDENT_MISTAKES, {"D2LCNN_THREADS": threads})
    assert out.returncode == 0, out.stderr[-3000:]
    lines = out.stdout.strip().splitlines()
    errors = dict(line.rsplit(" ", 1) for line in lines[:-1])
    assert errors.pop("np.ones(ctx=gpu)") == "MXNetError"  # MXNet's own, before any array
    assert set(errors.values()) == {"DeviceUnavailableError"}, errors
    assert lines[-1] == f"alive 2 6.0 {engine}"
    assert "terminate called" not in out.stderr


@needs_cpu_build
def test_the_guard_also_holds_when_mxnet_was_imported_first():
    out = _student(STUDENT_MISTAKES.replace("import d2lcnn\n", "import mxnet\n    import d2lcnn\n", 1),
                   {"D2LCNN_THREADS": "2", "MXNET_ENGINE_TYPE": "NaiveEngine"})
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().splitlines()[-1] == "alive 2 6.0 NaiveEngine"


@needs_cpu_build
def test_without_the_guard_the_serial_engine_aborts_the_process():
    """Why the guard exists: MXNet's own path aborts under NaiveEngine (if this ever stops
    failing, MXNet fixed it and the guard could go)."""
    out = _student("""
        import d2lcnn
        import mxnet as mx
        from mxnet import np, npx
        npx.set_np()
        import mxnet.ndarray.ndarray as nd_module
        import mxnet.numpy.multiarray as np_module
        for module in (nd_module, np_module):
            module._new_alloc_handle = module._new_alloc_handle.__wrapped__
        try:
            np.ones((2, 4)).as_in_ctx(mx.gpu())
        except mx.base.MXNetError:
            print("caught", flush=True)
        print("alive", flush=True)
    """, {"D2LCNN_THREADS": "2"})
    assert out.returncode != 0 and "terminate called" in out.stderr
    assert "alive" not in out.stdout


@needs_cpu_build
def test_a_notebook_kernel_survives_a_gpu_mistake(monkeypatch):
    """The Jupyter case: the error's traceback keeps the array, and the kernel used to die at
    a gc.collect() cells later."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("D2LCNN_THREADS", "2")
    for name in ("MXNET_OMP_MAX_THREADS", "OMP_NUM_THREADS", "MXNET_ENGINE_TYPE",
                 "D2LCNN_RUNTIME_SET"):
        monkeypatch.delenv(name, raising=False)
    cells = ["import d2lcnn\nimport mxnet as mx\nfrom mxnet import np, npx\n"
             "from mxnet.gluon import nn\nnpx.set_np()",
             "net = nn.Dense(3, in_units=4)\nnet.initialize(ctx=mx.gpu())",
             "import gc\ngc.collect()\nx = np.ones((2, 4)).as_in_ctx(mx.gpu())",
             "gc.collect()\nnet.initialize(ctx=d2lcnn.try_gpu(), force_reinit=True)\n"
             "print(net(np.ones((2, 4))).shape, d2lcnn._runtime.DECISION['engine'])"]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True).execute()
    errors = [o["ename"] for c in nb.cells for o in c.outputs if o.output_type == "error"]
    assert errors == ["DeviceUnavailableError", "DeviceUnavailableError"]
    assert nb.cells[3].outputs[0]["text"] == "(2, 3) NaiveEngine\n"
