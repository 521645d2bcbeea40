"""The start-up hook that lets ``import mxnet`` come before ``import d2lcnn``
(_d2lcnn_mxnet_hook.py, installed with a .pth file by setup.py)."""
import ast
import os
import site
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PTH = "_d2lcnn_mxnet_hook.pth"


def _pth_text():
    """The .pth line, as setup.py writes it."""
    tree = ast.parse((REPO / "setup.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and node.targets[0].id == "PTH_TEXT":
            return ast.literal_eval(node.value)
    raise AssertionError("setup.py defines no PTH_TEXT")


def _clean_env(**extra):
    """The environment of a fresh user: none of the variables that choose MXNet's runtime."""
    drop = ("MXNET_", "OMP_", "D2LCNN_", "PYTHON")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(extra)
    return env


def _python(code, *flags, cwd=None, **env):
    proc = subprocess.run([sys.executable, *flags, "-c", code], capture_output=True, text=True,
                          cwd=cwd, env=_clean_env(**env), timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def test_the_hook_is_installed_in_this_environment():
    dirs = {sysconfig.get_paths()["purelib"], *site.getsitepackages()}
    assert any((Path(d) / PTH).is_file() for d in dirs), \
        f"{PTH} is not installed: run `make setup` (pip install -e . installs it)"


def test_import_mxnet_first_imports_d2lcnn_first(tmp_path):
    code = ("import sys, mxnet\n"
            "from d2lcnn import runtime\n"
            "print('d2lcnn' in sys.modules, runtime.DECISION['source'])\n"
            "print(any(type(f).__name__ == 'MXNetFirstFinder' for f in sys.meta_path))")
    out = _python(code, cwd=tmp_path).stdout.splitlines()
    # d2lcnn chose MXNet's threads (and engine) before MXNet loaded; the finder is gone
    assert out == ["True physical cores, set by d2lcnn", "False"]
    # hook off: d2lcnn stays out (with numpy >= 1.24, MXNet's own import then fails, the
    # failure the hook exists for; caught here, since only what was imported matters)
    off = _python("import sys\ntry:\n    import mxnet\nexcept AttributeError:\n    pass\n"
                  "print('d2lcnn' in sys.modules)", cwd=tmp_path, D2LCNN_MXNET_HOOK="0").stdout
    assert off == "False\n"


def test_start_up_imports_nothing_but_the_hook(tmp_path):
    code = ("import sys\n"
            "print(sorted(m for m in ('numpy', 'd2lcnn', 'mxnet') if m in sys.modules),\n"
            "      '_d2lcnn_mxnet_hook' in sys.modules)")
    assert _python(code, cwd=tmp_path).stdout == "[] True\n"
    timing = _python("pass", "-X", "importtime", cwd=tmp_path).stderr
    line = next(line for line in timing.splitlines() if "_d2lcnn_mxnet_hook" in line)
    print(f"\nstart-up cost of the hook (-X importtime, microseconds): {line}")


def _fake_site(tmp_path, with_hook=True):
    """A site folder holding the .pth (and the hook module), and a stand-in mxnet package that
    records what was imported before it."""
    site_dir = tmp_path / "site"
    (site_dir / "mxnet").mkdir(parents=True)
    (site_dir / PTH).write_text(_pth_text())
    if with_hook:
        (site_dir / "_d2lcnn_mxnet_hook.py").write_text(
            (REPO / "_d2lcnn_mxnet_hook.py").read_text())
    (site_dir / "mxnet" / "__init__.py").write_text(
        "import sys, types\nD2LCNN_BEFORE = 'd2lcnn' in sys.modules\n"
        "nd = types.SimpleNamespace(waitall=lambda: None)  # d2lcnn's runtime calls it\n")
    return site_dir


def test_hook_steps_aside_where_d2lcnn_is_gone(tmp_path):
    """-S: no site-packages, so no d2lcnn; the .pth of a site folder is run by addsitedir."""
    site_dir = _fake_site(tmp_path)
    code = (f"import site, sys; site.addsitedir({str(site_dir)!r})\n"
            "import json, mxnet\n"
            "print(mxnet.D2LCNN_BEFORE, 'd2lcnn' in sys.modules,\n"
            "      any(type(f).__name__ == 'MXNetFirstFinder' for f in sys.meta_path))")
    proc = _python(code, "-S", cwd=tmp_path)
    assert proc.stdout == "False False False\n" and proc.stderr == ""


def test_hook_runs_d2lcnn_before_mxnets_own_code(tmp_path):
    site_dir = _fake_site(tmp_path)
    purelib = sysconfig.get_paths()["purelib"]            # numpy, without its .pth files
    code = (f"import site, sys; sys.path += [{str(REPO)!r}, {purelib!r}]\n"
            f"sys.path.insert(0, {str(site_dir)!r}); site.addsitedir({str(site_dir)!r})\n"
            "import mxnet\nprint(mxnet.D2LCNN_BEFORE, mxnet.__file__.startswith("
            f"{str(site_dir)!r}))")
    proc = _python(code, "-S", cwd=tmp_path)
    assert proc.stdout == "True True\n"
    # the fake mxnet lacks what the GPU guard patches: said in a warning, the import goes on
    assert "could not install its GPU guard" in proc.stderr


def test_a_leftover_pth_without_its_module_is_silent(tmp_path):
    site_dir = _fake_site(tmp_path, with_hook=False)
    code = f"import site; site.addsitedir({str(site_dir)!r}); import mxnet; print('ok')"
    proc = _python(code, "-S", cwd=tmp_path)
    assert proc.stdout == "ok\n" and proc.stderr == ""


def test_hook_module_installs_once():
    sys.path.insert(0, str(REPO))
    try:
        import _d2lcnn_mxnet_hook as hook
    finally:
        sys.path.remove(str(REPO))
    assert "mxnet" in sys.modules and not hook.installed()
    hook.install()          # MXNet is already imported here: nothing to wait for
    assert not hook.installed()
