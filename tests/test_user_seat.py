"""From the reader's seat: a fresh Python 3.12 venv with numpy 2 and no myst-nb (as Colab has),
d2lcnn installed from a wheel built from this repository (not editable, the repository not on
the path, run from a temporary folder):

* two chapters (LeNet, ResNet) run top to bottom in reduced mode, through the Colab first cell
  (which installs the wheel and MXNet itself) in a kernel that believes it is in Colab;
* a student's script that imports MXNet first, loads the packaged data offline, builds, trains
  two batches and summarises; the command line trains too;
* an editable install on 3.12 (what `make setup` does on 3.11), then an uninstall that leaves a
  working Python.

pip works through the package registry it is configured for and reuses its cache. Skipped (with
the reason printed) only where no Python 3.12 exists.
"""
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from d2lcnn import colab
from test_compat import find_python312

REPO = Path(__file__).resolve().parent.parent
CHAPTERS = ("lenet", "resnet")
#: what Colab has before the first cell runs: numpy 2, its plotting and Jupyter stack, no
#: myst-nb, no MXNet
COLAB_PACKAGES = ["numpy>=2,<3", "matplotlib", "pandas", "jinja2", "tqdm", "requests",
                  "ipykernel"]  # Colab has all
TIMES = {}

pytestmark = [pytest.mark.slow, pytest.mark.py312]


def _run(args, timeout=900, **kwargs):
    proc = subprocess.run([str(a) for a in args], capture_output=True, text=True,
                          timeout=timeout, **kwargs)
    assert proc.returncode == 0, (args, proc.stdout[-3000:], proc.stderr[-3000:])
    return proc


def _timed(name, function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    TIMES[name] = time.perf_counter() - start
    return result


def _user_env(**extra):
    """A user's environment: none of this repository's or the test run's settings."""
    drop = ("MXNET_", "OMP_", "D2LCNN_", "PYTHON", "VIRTUAL_ENV", "JUPYTER", "IPYTHON")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(MPLBACKEND="Agg", **extra)
    return env


def _source_copy(dest):
    """What a wheel is built from (as `pip install git+...` sees the repository)."""
    for name in ("pyproject.toml", "setup.py", "README.md", "_d2lcnn_mxnet_hook.py"):
        shutil.copy2(REPO / name, dest / name)
    shutil.copytree(REPO / "d2lcnn", dest / "d2lcnn",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dest


@pytest.fixture(scope="module")
def seat(tmp_path_factory):
    python = find_python312()
    if python is None:
        reason = "no python3.12 on PATH or under ~/.pyenv/versions (set D2LCNN_PYTHON312)"
        print(f"\nuser's-seat test skipped: {reason}")
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("seat")
    (root / "src").mkdir()
    src = _source_copy(root / "src")
    dist = root / "dist"
    _timed("wheel build", _run, [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                                 "-w", dist, src], env=_user_env())
    (wheel,) = dist.glob("d2lcnn-*.whl")
    venv = root / "venv"
    _timed("venv", _run, [python, "-m", "venv", venv])
    py = venv / "bin" / "python"
    _timed("Colab's packages", _run, [py, "-m", "pip", "install", "-q",
                                      "--disable-pip-version-check", *COLAB_PACKAGES],
           env=_user_env())
    yield {"root": root, "src": src, "wheel": wheel, "python": py,
           "pip": [py, "-m", "pip", "--disable-pip-version-check"]}
    print("\nuser's seat, seconds: " + ", ".join(f"{k} {v:.0f}" for k, v in TIMES.items()))


def test_the_wheel_holds_the_hook_and_the_data(seat):
    with zipfile.ZipFile(seat["wheel"]) as wheel:
        names = set(wheel.namelist())
        record = next(wheel.read(n).decode() for n in names if n.endswith(".dist-info/RECORD"))
        pth = wheel.read("_d2lcnn_mxnet_hook.pth").decode()
    assert {"_d2lcnn_mxnet_hook.pth", "_d2lcnn_mxnet_hook.py", "d2lcnn/_data/README.md",
            "d2lcnn/_data/fashion-mnist-subset/SHA256SUMS",
            "d2lcnn/_data/fashion-mnist-subset/train-images-idx3-ubyte.gz"} <= names
    assert "_d2lcnn_mxnet_hook.pth,sha256=" in record    # pip uninstall removes it
    assert pth.startswith("import ") and "_d2lcnn_mxnet_hook" in pth
    assert not any(n.startswith(("book/", "tests/", "data/")) for n in names)


def _kernel(seat, monkeypatch):
    """A Jupyter kernel on the venv's Python that believes it runs in Colab."""
    jupyter = seat["root"] / "jupyter"
    spec = jupyter / "kernels" / "seat312"
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(seat["python"]), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3.12 (user's seat)", "language": "python"}))
    startup = seat["root"] / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True, exist_ok=True)
    (startup / "00-colab.py").write_text(
        "import sys, types\n"
        "sys.modules['google.colab'] = types.ModuleType('google.colab')  # what the cell tests\n")
    for key in list(os.environ):
        if key.startswith(("MXNET_", "OMP_", "D2LCNN_", "PYTHON", "VIRTUAL_ENV")):
            monkeypatch.delenv(key)
    monkeypatch.setenv("JUPYTER_PATH", str(jupyter))
    monkeypatch.setenv("IPYTHONDIR", str(seat["root"] / "ipython"))
    monkeypatch.setenv("D2LCNN_REDUCED", "1")
    monkeypatch.setenv("XDG_DATA_HOME", str(seat["root"] / "data-home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(seat["root"] / "cache"))
    return "seat312"


def test_colab_run_all_of_two_chapters(seat, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    from nbclient import NotebookClient
    kernel = _kernel(seat, monkeypatch)
    work = seat["root"] / "colab"           # /content: a chapter alone, no book around it
    work.mkdir(exist_ok=True)
    assert colab.FIRST_CELL.count(colab.INSTALL_TARGET) == 1
    for chapter in CHAPTERS:
        nb = nbformat.read(REPO / "book" / f"{chapter}.ipynb", as_version=4)
        first = next(c for c in nb.cells if c.cell_type == "code")
        assert first.source.strip() == colab.FIRST_CELL.strip()
        first.source = first.source.replace(colab.INSTALL_TARGET, str(seat["wheel"]))
        _timed(f"{chapter} chapter", NotebookClient(
            nb, timeout=900, kernel_name=kernel,
            resources={"metadata": {"path": str(work)}}).execute)
        outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
        text = "".join(o.get("text", "") for o in outputs)
        assert not any(o.output_type == "error" for o in outputs)
        assert "d2lcnn: CPU: no GPU in this runtime" in text          # setup_colab ran
        assert "reduced run" in text and "packaged subset" in text
        assert not any("scrapbook" in o.get("metadata", {}) for o in outputs)  # no myst-nb
    assert not (work / "results").exists()     # reduced runs write nothing, anywhere
    assert not (seat["root"] / "data-home" / "d2lcnn" / "results").exists()


STUDENT = '''\
import mxnet as mx                 # first, as d2l's readers write it
from mxnet import np, npx
npx.set_np()
import sys
import numpy
import d2lcnn as d2l
from d2lcnn import runtime

print("numpy", numpy.__version__, "myst_nb" in sys.modules)
print("d2lcnn from", d2l.__file__)
print("runtime:", runtime.DECISION["source"])
train_iter, test_iter = d2l.load_data_fashion_mnist(64)
net = d2l.get_model("lenet", num_classes=10)
history = d2l.train_ch6(net, train_iter, test_iter, 1, 0.9, d2l.try_gpu())
print("batches", history.train_batches)
print("params", d2l.summary(net, (1, 28, 28)).trainable_params)
X = d2l.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])
print("corr2d", d2l.corr2d(X, d2l.tensor([[0.0, 1.0], [2.0, 3.0]])).asnumpy().tolist())
d2l.plot(np.arange(3.0), [np.arange(3.0) ** 2], "x", "y")
'''


def test_a_students_script_imports_mxnet_first(seat, tmp_path):
    _timed("install MXNet and the wheel", _run,
           [*seat["pip"], "install", "-q", "--no-deps", "mxnet==1.9.1", seat["wheel"]],
           env=_user_env())
    script = tmp_path / "homework.py"
    script.write_text(STUDENT)
    env = _user_env(D2LCNN_REDUCED="1", D2LCNN_REDUCED_BATCHES="2",
                    XDG_CACHE_HOME=str(tmp_path / "cache"))
    out = _timed("student's script", _run, [seat["python"], script], cwd=tmp_path,
                 env=env).stdout
    site_packages = str(seat["python"].parent.parent / "lib")
    first = out.splitlines()[0]
    assert first.startswith("numpy 2.") and first.endswith("False"), first
    assert f"d2lcnn from {site_packages}" in out                 # the wheel, not the repo
    assert "runtime: physical cores, set by d2lcnn" in out        # chosen before MXNet loaded
    assert "(packaged subset)" in out and "batches [2]" in out and "params 61706" in out
    assert "corr2d [[19.0, 25.0], [37.0, 43.0]]" in out
    cli = _run([seat["python"], "-m", "d2lcnn", "train", "lenet", "--epochs", "1", "--out",
                tmp_path / "h.json"], cwd=tmp_path, env=env)
    assert json.loads((tmp_path / "h.json").read_text())["train_batches"] == [2], cli.stdout
    bad = subprocess.run([str(seat["python"]), "-m", "d2lcnn", "train", "lenett"],
                         capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert bad.returncode == 2 and bad.stderr.startswith("d2lcnn: error: unknown model")


def test_editable_install_then_uninstall(seat, tmp_path):
    """`pip install -e .` installs the hook too; `pip uninstall` removes it and leaves a Python
    that starts silently (MXNet then fails beside numpy 2, as it does without d2lcnn)."""
    pip, py = seat["pip"], seat["python"]
    _timed("editable install", _run, [*pip, "install", "-q", "--no-deps", "-e", seat["src"]],
           env=_user_env())
    code = ("import mxnet, sys, d2lcnn, _d2lcnn_mxnet_hook as h\n"
            "print(d2lcnn.__file__); print(h.__file__)")
    out = _run([py, "-c", code], cwd=tmp_path, env=_user_env()).stdout.splitlines()
    assert out == [str(seat["src"] / "d2lcnn" / "__init__.py"),
                   str(seat["src"] / "_d2lcnn_mxnet_hook.py")]
    _run([*pip, "uninstall", "-y", "-q", "d2lcnn"], env=_user_env())
    site_packages = next((seat["python"].parent.parent / "lib").glob("python3.12/site-packages"))
    assert not list(site_packages.glob("*d2lcnn*"))
    quiet = _run([py, "-c", "print('ok')"], cwd=tmp_path, env=_user_env())
    assert quiet.stdout == "ok\n" and quiet.stderr == ""
    without = subprocess.run([str(py), "-c", "import mxnet"], capture_output=True, text=True,
                             cwd=tmp_path, env=_user_env(), timeout=300)
    assert without.returncode != 0 and "NumPy 2.0" in without.stderr
