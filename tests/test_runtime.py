"""MXNet's CPU threads and engine, chosen by `import d2lcnn` (d2lcnn/runtime.py)."""
import os
import platform
import subprocess
import sys
import textwrap

import pytest

from d2lcnn import runtime

LINUX = platform.system() == "Linux"


def configure(env=None, modules=(), cores=2, cuda=False):
    environ = dict(env or {})
    decision = runtime.configure(environ, modules={m: None for m in modules}, cores=cores,
                                 cuda=cuda)
    return environ, decision


# ------------------------------------------------------------------------------ the decision

def test_every_physical_core_and_the_serial_engine_on_a_cpu_build():
    environ, decision = configure(cores=2)
    assert environ[runtime.THREADS_ENV] == "2" and decision["threads"] == 2
    if LINUX:
        assert environ[runtime.ENGINE_ENV] == "NaiveEngine" == decision["engine"]
    assert "physical cores" in decision["source"]


def test_a_child_process_does_not_take_its_parents_choice_for_its_users():
    parent, _ = configure(cores=2)
    assert runtime.MARK_ENV in parent
    child, decision = configure(parent, cores=4)  # the environment a subprocess inherits
    assert decision["threads"] == 4 and "set by d2lcnn" in decision["source"]
    assert child[runtime.THREADS_ENV] == "4"


def test_a_value_changed_since_the_parent_set_it_is_the_users():
    parent, _ = configure(cores=2)
    parent[runtime.THREADS_ENV] = "1"
    _, decision = configure(parent, cores=4)
    assert decision["threads"] == 1 and "set by the user" in decision["source"]


def test_one_core_keeps_mxnets_engine():
    environ, decision = configure(cores=1)
    assert environ[runtime.THREADS_ENV] == "1"
    assert runtime.ENGINE_ENV not in environ and decision["engine"] is None


def test_a_cuda_build_keeps_its_asynchronous_engine():
    environ, decision = configure(cores=4, cuda=True)
    assert environ[runtime.THREADS_ENV] == "4"
    assert runtime.ENGINE_ENV not in environ and decision["engine"] is None


@pytest.mark.parametrize("name", [runtime.THREADS_ENV, runtime.OMP_ENV])
def test_a_users_thread_setting_is_left_alone(name):
    environ, decision = configure({name: "3"}, cores=2)
    assert runtime.MARK_ENV not in environ
    assert environ == {name: "3"}  # nothing added: not the threads, not the engine
    assert decision["threads"] == 3 and "set by the user" in decision["source"]


def test_a_users_engine_is_left_alone():
    environ, decision = configure({runtime.ENGINE_ENV: "ThreadedEngine"}, cores=2)
    assert environ[runtime.ENGINE_ENV] == "ThreadedEngine" == decision["engine"]
    assert environ[runtime.THREADS_ENV] == "2"


def test_d2lcnn_threads_mxnet_leaves_mxnets_defaults():
    environ, decision = configure({runtime.ENV: "mxnet"}, cores=2)
    assert environ == {runtime.ENV: "mxnet"}
    assert decision["threads"] is None and "MXNet's defaults" in decision["source"]


def test_d2lcnn_threads_n_sets_n():
    environ, decision = configure({runtime.ENV: "3"}, cores=2)
    assert environ[runtime.THREADS_ENV] == "3" and decision["threads"] == 3


@pytest.mark.parametrize("bad", ["0", "-2", "many", "1.5"])
def test_a_bad_d2lcnn_threads_says_what_to_set(bad):
    with pytest.raises(ValueError, match=r"D2LCNN_THREADS=.*auto.*mxnet.*whole number"):
        configure({runtime.ENV: bad})


def test_too_late_when_mxnet_was_imported_first():
    environ, decision = configure(modules=["mxnet"], cores=2)
    assert environ == {}
    assert decision["threads"] is None and "imported before d2lcnn" in decision["source"]


def test_a_subprocess_of_a_d2lcnn_process_starts_its_engine_quietly():
    """Children inherit the variables d2lcnn set; the log line must stay held back there too."""
    env = dict(os.environ)
    env.update({runtime.THREADS_ENV: "2", runtime.ENGINE_ENV: "NaiveEngine",
                runtime.MARK_ENV: "MXNET_OMP_MAX_THREADS=2;MXNET_ENGINE_TYPE=NaiveEngine"})
    out = subprocess.run([sys.executable, "-c", "import d2lcnn\nfrom mxnet import nd\n"
                          "print(nd.ones(2).sum().asscalar(), d2lcnn._runtime.describe())"],
                         env=env, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr
    assert "set by d2lcnn" in out.stdout and "start using engine" not in out.stderr


def test_a_cuda_build_installed_after_the_import_gets_the_asynchronous_engine(monkeypatch):
    """In Colab, `import d2lcnn` runs before setup_colab installs MXNet's CUDA build."""
    monkeypatch.setattr(runtime, "DECISION", {"threads": 2, "engine": "NaiveEngine",
                                              "engine_by_d2lcnn": True, "source": "test"})
    monkeypatch.setattr(runtime.sys, "modules", {k: v for k, v in sys.modules.items()
                                                 if k != "mxnet"})
    monkeypatch.setattr(runtime.sys, "meta_path", [runtime._AfterMXNetImport(print)])
    monkeypatch.setenv(runtime.ENGINE_ENV, "NaiveEngine")
    monkeypatch.setenv(runtime.THREADS_ENV, "2")
    assert runtime.keep_asynchronous_engine()
    assert runtime.ENGINE_ENV not in os.environ and os.environ[runtime.THREADS_ENV] == "2"
    assert runtime.DECISION["engine"] is None and runtime.sys.meta_path == []
    assert not runtime.keep_asynchronous_engine()  # nothing left to undo


def test_too_late_to_undo_once_mxnet_is_loaded(monkeypatch):
    monkeypatch.setattr(runtime, "DECISION", {"threads": 2, "engine": "NaiveEngine",
                                              "engine_by_d2lcnn": True, "source": "test"})
    import mxnet  # noqa: F401  (loaded: its engine is fixed)
    assert not runtime.keep_asynchronous_engine()
    assert runtime.DECISION["engine"] == "NaiveEngine"


# ------------------------------------------------------------------------------ machine facts

def _cpu(sysfs, n, package, core):
    topo = sysfs / f"cpu{n}" / "topology"
    topo.mkdir(parents=True)
    (topo / "physical_package_id").write_text(f"{package}\n")
    (topo / "core_id").write_text(f"{core}\n")


def test_physical_cores_counts_hardware_threads_of_a_core_once(tmp_path):
    sysfs = tmp_path / "cpu"
    for n, core in enumerate([0, 1, 0, 1]):  # 4 logical CPUs, 2 cores with 2 threads each
        _cpu(sysfs, n, 0, core)
    assert runtime.physical_cores(range(4), sysfs=str(sysfs), cgroup=str(tmp_path / "none")) == 2
    assert runtime.physical_cores([0, 2], sysfs=str(sysfs), cgroup=str(tmp_path / "none")) == 1


def test_physical_cores_falls_back_to_logical_without_topology(tmp_path):
    assert runtime.physical_cores(range(3), sysfs=str(tmp_path), cgroup=str(tmp_path)) == 3


@pytest.mark.parametrize("cpu_max, expected", [("150000 100000\n", 2), ("max 100000\n", 8),
                                               ("50000 100000\n", 1)])
def test_a_cgroup_quota_caps_the_cores(tmp_path, cpu_max, expected):
    (tmp_path / "cpu.max").write_text(cpu_max)
    assert runtime.physical_cores(range(8), sysfs=str(tmp_path / "x"),
                                  cgroup=str(tmp_path)) == expected


def test_a_cgroup_v1_quota_caps_the_cores(tmp_path):
    folder = tmp_path / "cpu,cpuacct"
    folder.mkdir()
    (folder / "cpu.cfs_quota_us").write_text("300000\n")
    (folder / "cpu.cfs_period_us").write_text("100000\n")
    assert runtime.physical_cores(range(8), sysfs=str(tmp_path / "x"), cgroup=str(tmp_path)) == 3


def test_mxnets_own_rule_halves_on_x86():
    assert runtime.mxnet_default_threads(4, x86=True) == 2
    assert runtime.mxnet_default_threads(1, x86=True) == 1
    assert runtime.mxnet_default_threads(4, x86=False) == 4


def test_the_cuda_build_is_told_apart_by_its_package_name():
    assert runtime.mxnet_has_cuda(["numpy", "mxnet-cu117"])
    assert runtime.mxnet_has_cuda(["mxnet_cu112"])
    assert not runtime.mxnet_has_cuda(["mxnet", "gluoncv"])


# ------------------------------------------------------------------------------ for real

def _python(code, env=None, timeout=180):
    full = dict(os.environ, **(env or {}))
    for name in (runtime.THREADS_ENV, runtime.OMP_ENV, runtime.ENGINE_ENV, runtime.MARK_ENV):
        full.pop(name, None)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=full,
                          capture_output=True, text=True, timeout=timeout)


def test_this_test_session_runs_with_the_decision():
    assert runtime.DECISION["source"] != "not configured"
    if runtime.DECISION["threads"] is not None and "user" not in runtime.DECISION["source"]:
        assert os.environ[runtime.THREADS_ENV] == str(runtime.DECISION["threads"])


def test_the_engine_starts_without_a_log_line():
    out = _python("""
        import d2lcnn
        from mxnet import np, npx
        npx.set_np()
        print(float(np.ones(3).sum()), d2lcnn._runtime.describe())
    """, env={runtime.ENV: "2"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("3.0 2 CPU threads")
    assert "start using engine" not in out.stderr


@pytest.mark.skipif(not LINUX, reason="the serial engine is chosen on Linux only")
def test_gluon_dataloader_workers_do_not_hang_under_the_serial_engine():
    """d2l's loader forks worker processes; after the parent ran OpenMP operators in its own
    thread, a child's first parallel operator used to wait for ever (timeout after 120 s)."""
    code = """
        import d2lcnn
        import mxnet as mx
        from mxnet import gluon, np, npx
        from mxnet.gluon import nn
        npx.set_np()
        net = nn.Conv2D(8, 3)
        net.initialize()
        net(np.ones((64, 3, 32, 32)))  # oneDNN runs OpenMP threads in this (the main) thread
        mx.nd.waitall()
        data = gluon.data.ArrayDataset(np.random.uniform(size=(256, 1, 28, 28)), np.arange(256))
        loader = gluon.data.DataLoader(data.transform_first(lambda x: x * 2), batch_size=64,
                                       num_workers=2, timeout=30)
        print(sum(1 for _ in loader), d2lcnn._runtime.DECISION["engine"])
    """
    try:
        out = _python(code, env={runtime.ENV: "2"}, timeout=120)
    except subprocess.TimeoutExpired:
        pytest.fail("a DataLoader with worker processes hung under d2lcnn's runtime")
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["4", "NaiveEngine"]


def test_importing_mxnet_first_is_reported_not_hidden():
    import numpy
    from d2lcnn import _compat
    if {"numpy.int", "numpy.PZERO"} & set(_compat.restored):  # numpy >= 1.24 lacks them
        pytest.skip(f"numpy {numpy.__version__}: MXNet 1.9.1 imports only after d2lcnn has "
                    f"restored numpy's old names")
    out = _python("""
        import mxnet
        import d2lcnn
        print(d2lcnn._runtime.describe())
    """, env={"D2LCNN_MXNET_HOOK": "0"})  # the start-up hook off: MXNet really comes first
    assert out.returncode == 0, out.stderr
    assert "imported before d2lcnn" in out.stdout


def test_a_cpu_build_gets_the_gpu_guard_whatever_the_engine():
    """device.install_gpu_guard runs right after `import mxnet` (the hook), also when d2lcnn
    leaves the engine to MXNet or the user; test_device runs the mistakes it guards against."""
    import mxnet as mx
    from d2lcnn import device
    expected = not mx.runtime.Features().is_enabled("CUDA")
    assert runtime.DECISION.get("gpu_guard") is expected
    out = _python("""
        import d2lcnn, mxnet
        print(d2lcnn._runtime.DECISION.get("gpu_guard"),
              getattr(mxnet.ndarray.ndarray._new_alloc_handle, "d2lcnn_guard", False))
    """, env={runtime.ENV: "mxnet"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [str(expected), str(expected)]
    assert device.install_gpu_guard() is expected  # a second call changes nothing
    assert not hasattr(mx.ndarray.ndarray._new_alloc_handle.__wrapped__, "__wrapped__")
