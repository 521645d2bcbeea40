"""The compatibility layer: MXNet 1.9.1 beside numpy >= 1.24 / 2.x and Python 3.12."""
import glob
import hashlib
import os
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

from d2lcnn import _compat

REPO = Path(__file__).resolve().parent.parent


def _fake_numpy(**names):
    """A module with only `names`, standing for a numpy that removed the old aliases."""
    fake = types.ModuleType("fakenumpy")
    fake.__dict__.update(names)
    return fake


def test_restores_missing_aliases_only():
    import numpy
    fake = _fake_numpy(any=numpy.any, all=numpy.all, prod=numpy.prod, float64=numpy.float64,
                       bool="kept", isin=numpy.isin, ravel=numpy.ravel)
    before = len(_compat.restored)
    try:
        _compat._restore_numpy_aliases(fake)
        assert fake.bool == "kept"                 # a name numpy still has is never replaced
        assert fake.int is int and fake.object is object
        assert fake.float_ is numpy.float64
        assert fake.sometrue is numpy.any and fake.alltrue is numpy.all
        assert fake.product is numpy.prod
        assert fake.NINF == float("-inf") and fake.PZERO == 0.0
        assert list(fake.in1d([1, 2, 3], [2])) == [False, True, False]
        assert not hasattr(fake, "trapz")        # neither trapz nor trapezoid: left alone
        with pytest.raises(RuntimeError, match="numpy_financial"):
            fake.npv(0.1, [1, 2])
    finally:
        del _compat.restored[before:]


def test_nothing_restored_where_numpy_has_everything():
    import numpy
    if int(numpy.__version__.split(".")[0]) == 1 and int(numpy.__version__.split(".")[1]) < 24:
        assert _compat.restored == []  # numpy 1.23: silent, nothing patched


def test_distutils_shim_versions_compare():
    V = _compat._Version
    assert V("1.26.4") >= V("1.17") and V("1.9") < V("1.10") and V("2.0") == V("2.0.0")
    assert V("1.23.5") > "1.15" and str(V("1.6.0")) == "1.6.0"


def test_mxnet_imports_and_runs_here():
    from mxnet import autograd, np
    x = np.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = (x * x).sum()
    y.backward()
    assert x.grad.tolist() == [2.0, 4.0]


# --- the real check: Python 3.12 environments ------------------------------------------------

ENVS = {
    # no setuptools: distutils comes from d2lcnn's shim; gluoncv's import path is covered too
    "py312-numpy126": ["--no-cache-dir", "mxnet==1.9.1", "numpy==1.26.4", "matplotlib<3.10",
                       "tqdm", "gluoncv==0.10.5.post0"],
    # as Colab has it: numpy 2 forced in beside mxnet (whose metadata says numpy<2)
    "py312-numpy2": ["--no-cache-dir", "numpy>=2,<3", "matplotlib", "tqdm", "requests"],
}
NO_DEPS = {"py312-numpy2": ["mxnet==1.9.1"]}


def find_python312():
    """A working python3.12: $D2LCNN_PYTHON312, python3.12 on PATH, or pyenv's."""
    candidates = [os.environ.get("D2LCNN_PYTHON312"), shutil.which("python3.12")]
    candidates += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.12*/bin/python3.12")))
    for exe in filter(None, candidates):
        try:
            ok = subprocess.run([exe, "-c", "import sys; assert sys.version_info[:2] == (3, 12)"],
                                capture_output=True, timeout=60).returncode == 0
        except (OSError, subprocess.SubprocessError):
            ok = False
        if ok:
            return exe
    return None


def build_env(python, name):
    """A cached virtual environment (built once per machine, atomically renamed into place)."""
    key = hashlib.sha256(repr((ENVS[name], NO_DEPS.get(name))).encode()).hexdigest()[:10]
    root = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "d2lcnn" / "test-envs"
    final = root / f"{name}-{key}"
    if (final / "ok").exists():
        return final
    tmp = root / f".{name}-{key}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([python, "-m", "venv", str(tmp)], check=True)
    pip = [str(tmp / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run(pip + ENVS[name], check=True, timeout=1200)
    if name in NO_DEPS:
        subprocess.run(pip + ["--no-deps"] + NO_DEPS[name], check=True, timeout=1200)
    subprocess.run([str(tmp / "bin" / "python"), "-m", "pip", "uninstall", "-y", "-q",
                    "setuptools"], capture_output=True)
    (tmp / "ok").write_text("built\n")
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)
    return final


@pytest.mark.py312
@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(ENVS))
def test_python312_environment(name):
    python = find_python312()
    if python is None:
        pytest.skip("no python3.12 on this machine (set D2LCNN_PYTHON312 to one to run this)")
    env_dir = build_env(python, name)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(PYTHONPATH=str(REPO), D2LCNN_REDUCED="1", D2LCNN_REDUCED_BATCHES="2",
               MPLBACKEND="Agg")
    proc = subprocess.run([str(env_dir / "bin" / "python"), str(REPO / "tests" / "py312_smoke.py")],
                          capture_output=True, text=True, timeout=900, env=env, cwd=str(REPO))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "smoke ok" in proc.stdout
    assert "python 3.12" in proc.stdout
    if name == "py312-numpy2":
        assert "numpy 2." in proc.stdout and "numpy.compat" in proc.stdout
    else:
        assert "distutils.version" in proc.stdout  # no setuptools there: the shim did its work
