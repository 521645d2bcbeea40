"""Python 3.11, 3.12 and 3.13: one list of supported Pythons everywhere it is written, a lock
per Python that agrees with requirements.txt, and `make` saying what to do on another one."""
import glob
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parent.parent
LOCKS = {p.stem.removeprefix("py"): p for p in sorted((REPO / "constraints").glob("py3.*.txt"))}
SUPPORTED = sorted(LOCKS, key=lambda v: tuple(map(int, v.split("."))))


def requirements(name):
    lines = (REPO / name).read_text().splitlines()
    return [Requirement(line.split(" #")[0].strip()) for line in lines
            if line.strip() and not line.lstrip().startswith("#")]


def lock(version):
    pins = {}
    for line in LOCKS[version].read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, pinned = line.partition("==")
            assert pinned, f"{LOCKS[version].name}: {line!r} is not pinned with =="
            pins[canonical(name)] = pinned
    return pins


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def test_supported_pythons_are_the_same_everywhere():
    assert SUPPORTED == ["3.11", "3.12", "3.13"]
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["requires-python"].split(",")[0] == f">={SUPPORTED[0]}"
    classified = [c.rsplit(":: ", 1)[1] for c in project["classifiers"]
                  if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)]
    assert classified == SUPPORTED
    readme = (REPO / "README.md").read_text()
    assert f"Supported Pythons: {', '.join(SUPPORTED[:-1])} and {SUPPORTED[-1]}" in readme
    ci = (REPO / ".ci" / "run").read_text()
    assert f'SUPPORTED="{" ".join(SUPPORTED)}"' in ci
    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "tests.yml").read_text())
    assert workflow["jobs"]["test"]["strategy"]["matrix"]["python"] == SUPPORTED


@pytest.mark.parametrize("version", SUPPORTED)
def test_the_lock_pins_what_requirements_ask_for(version):
    pins = lock(version)
    env = {"python_version": version, "python_full_version": f"{version}.0"}
    asked = [r for r in requirements("requirements.txt") if r.marker is None or
             r.marker.evaluate(env)]
    asked += requirements("requirements-nodeps.txt") + requirements("requirements-site.txt")
    for req in asked:
        name = canonical(req.name)
        assert name in pins, f"{name} is not in {LOCKS[version].name} (make lock)"
        assert req.specifier.contains(pins[name], prereleases=True), \
            f"{LOCKS[version].name} pins {name}=={pins[name]}, requirements ask {req}"
    assert "d2lcnn" not in pins and "pip" not in pins


def test_each_numpy_line_names_one_python_range():
    """One numpy per Python; the stored outputs' pair is the one README names."""
    numpys = [r for r in requirements("requirements.txt") if r.name == "numpy"]
    for version in SUPPORTED:
        env = {"python_version": version, "python_full_version": f"{version}.0"}
        assert sum(r.marker.evaluate(env) for r in numpys) == 1, version
    reference = SUPPORTED[0]
    assert f"**Python {reference} with numpy {lock(reference)['numpy']}**" in \
        (REPO / "README.md").read_text()
    assert all(lock(v)["numpy"].startswith("2.") for v in SUPPORTED[1:])


def test_mxnet_is_installed_without_its_dependencies_which_are_listed():
    nodeps = {canonical(r.name) for r in requirements("requirements-nodeps.txt")}
    assert nodeps == {"mxnet", "d2l"}
    listed = {canonical(r.name) for r in requirements("requirements.txt")}
    assert {"numpy", "requests", "graphviz"} <= listed  # mxnet 1.9.1's own requirements
    assert "mxnet" not in listed and "d2l" not in listed
    assert "--no-deps -r requirements-nodeps.txt" in (REPO / "Makefile").read_text()


def make(*args, env=None):
    if shutil.which("make") is None:
        pytest.skip("no make on this machine")
    return subprocess.run(["make", "--no-print-directory", "-C", str(REPO), *args],
                          capture_output=True, text=True, env=env, timeout=120)


def test_make_refuses_a_missing_python_in_one_line(tmp_path):
    out = make("setup", f"PYTHON={tmp_path / 'nopython'}", f"VENV={tmp_path / 'venv'}")
    assert out.returncode == 2
    assert "no Python at PYTHON=" in out.stdout + out.stderr
    assert not (tmp_path / "venv").exists()


def test_make_names_the_supported_pythons_on_another_one(tmp_path):
    """A Python without a lock (3.10 here, where pyenv has it) gets what to do instead."""
    old = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.10*/bin/python3.10")))
    if not old:
        pytest.skip("no Python 3.10 on this machine (pyenv) to play the old Python")
    out = make("setup", f"PYTHON={old[0]}", f"VENV={tmp_path / 'venv'}")
    text = out.stdout + out.stderr
    assert out.returncode == 2
    assert "Python 3.10" in text and "3.11, 3.12 and 3.13" in text and "PYTHON=python3.12" in text
    assert not (tmp_path / "venv").exists()


def test_make_refuses_a_venv_of_another_python(tmp_path):
    other = next((v for v in SUPPORTED if v != "%d.%d" % sys.version_info[:2]), None)
    exe = shutil.which(f"python{other}") or next(iter(sorted(glob.glob(
        os.path.expanduser(f"~/.pyenv/versions/{other}*/bin/python{other}")))), None)
    if exe is None:
        pytest.skip(f"no python{other} on this machine")
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(sys.executable)  # a venv of this Python
    out = make("check-python", f"PYTHON={exe}", f"VENV={venv}")
    assert out.returncode == 2
    assert "was made with another Python" in out.stdout + out.stderr
