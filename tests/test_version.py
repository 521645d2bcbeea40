"""One version, written once (d2lcnn/_version.py): the package, its installed metadata, the
command line, the changelog, the Colab cell and the book's footer agree; every results file
records the version and the commit of the code that made it."""
import importlib.metadata
import importlib.util
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import d2lcnn
from d2lcnn import _version, colab, recipes
from d2lcnn.__main__ import main

REPO = Path(__file__).resolve().parent.parent
VERSION = re.search(r'^__version__ = "([^"]+)"$', (REPO / "d2lcnn" / "_version.py").read_text(),
                    re.M).group(1)


def load_extension():
    spec = importlib.util.spec_from_file_location("book_version",
                                                  REPO / "book" / "_ext" / "book_version.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def git(root, *args):
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.fixture
def checkout(tmp_path):
    """A git repository holding a d2lcnn/ folder, one commit."""
    if subprocess.run(["git", "--version"], capture_output=True).returncode != 0:
        pytest.skip("no git on this machine")
    (tmp_path / "d2lcnn").mkdir()
    (tmp_path / "d2lcnn" / "x.py").write_text("A = 1\n")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one")
    return tmp_path


def test_the_version_is_semantic_and_the_package_exports_it():
    assert re.fullmatch(r"\d+\.\d+\.\d+", VERSION)
    assert d2lcnn.__version__ == _version.__version__ == VERSION
    assert "__version__" in dir(d2lcnn)


def test_pyproject_reads_the_version_from_the_package():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert "version" not in project["project"], "a second copy of the version in pyproject"
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == \
        {"attr": "d2lcnn._version.__version__"}


def test_installed_metadata_has_the_version():
    """pip's record of the editable install: stale after a bump until `make setup` reinstalls
    (the Makefile's stamp depends on d2lcnn/_version.py)."""
    assert importlib.metadata.version("d2lcnn") == VERSION


def test_command_line_version(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"d2lcnn {VERSION}"
    out = subprocess.run([sys.executable, "-m", "d2lcnn", "--version"], capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == f"d2lcnn {VERSION}"


def test_changelog_has_this_version_as_its_latest_release():
    text = (REPO / "CHANGELOG.md").read_text()
    releases = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - (\d{4}-\d{2}-\d{2})$", text, re.M)
    assert releases, "CHANGELOG.md: no '## [X.Y.Z] - YYYY-MM-DD' release heading"
    assert releases[0][0] == VERSION, f"CHANGELOG's latest release is {releases[0][0]}"
    assert "## [Unreleased]" in text.split(f"## [{VERSION}]")[0]
    assert f"[{VERSION}]: " in text, "no link for the version at the foot of the changelog"


def test_the_colab_cell_installs_this_versions_tag_once():
    assert colab.INSTALL_TARGET == f"git+{colab.REPOSITORY}@v{VERSION}"
    assert colab.FIRST_CELL.count(colab.INSTALL_TARGET) == 1
    assert "@main" not in colab.FIRST_CELL and "@master" not in colab.FIRST_CELL
    assert 'if "google.colab" in sys.modules:' in colab.FIRST_CELL
    assert "--no-deps" in colab.FIRST_CELL and "d2lcnn.setup_colab()" in colab.FIRST_CELL
    compile(colab.FIRST_CELL, "first cell", "exec")
    assert colab.install_target("https://github.com/a/b", "1.2.3") == \
        "git+https://github.com/a/b@v1.2.3"


def test_first_cell_does_nothing_outside_colab():
    out = subprocess.run([sys.executable, "-c", colab.FIRST_CELL + "\nprint('done')"],
                         capture_output=True, text=True, check=True)
    assert out.stdout == "done\n" and out.stderr == ""


def test_source_commit_of_a_checkout(checkout):
    commit, modified = _version.source_commit(checkout)
    assert commit == git(checkout, "rev-parse", "HEAD") and modified is False
    (checkout / "d2lcnn" / "x.py").write_text("A = 2\n")
    assert _version.source_commit(checkout) == (commit, True)
    (checkout / "notes.txt").write_text("untracked, outside the package\n")
    git(checkout, "checkout", "-q", "--", "d2lcnn")
    assert _version.source_commit(checkout) == (commit, False)


def test_no_commit_inside_another_repository_or_without_one(checkout, tmp_path_factory):
    """An installed wheel in a virtual environment inside some checkout names no commit."""
    inner = checkout / "venv" / "site-packages"
    inner.mkdir(parents=True)
    assert _version.source_commit(inner) == (None, None)
    assert _version.source_commit(tmp_path_factory.mktemp("plain")) == (None, None)


def test_results_files_record_version_and_commit(tmp_path, no_reduced_mode, monkeypatch):
    monkeypatch.setattr(recipes, "source_commit", lambda: ("a" * 40, True))
    path = recipes.save_results("vgg", {"test_acc": 0.9}, tmp_path)
    saved = json.loads(path.read_text())
    assert saved == {"test_acc": 0.9, "d2lcnn_version": VERSION, "d2lcnn_commit": "a" * 40,
                     "d2lcnn_modified": True}
    assert set(recipes.RUN_KEYS) <= set(saved)


def test_results_of_this_checkout_name_its_head(tmp_path, no_reduced_mode):
    saved = json.loads(recipes.save_results("lenet", {"x": 1}, tmp_path).read_text())
    assert (saved["d2lcnn_commit"], saved["d2lcnn_modified"]) == _version.source_commit()


def test_results_payload_may_not_carry_the_run_keys(tmp_path, no_reduced_mode):
    with pytest.raises(ValueError, match="d2lcnn_version itself"):
        recipes.save_results("vgg", {"d2lcnn_version": "9.9.9"}, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_footer_names_the_version_and_links_the_commit():
    ext = load_extension()
    html = ext.footer(VERSION, "https://github.com/o/r", "b" * 40, False)
    assert f"d2lcnn {VERSION}" in html
    assert f'href="https://github.com/o/r/commit/{"b" * 40}"' in html and "bbbbbbb" in html
    assert "uncommitted" in ext.footer(VERSION, "https://github.com/o/r", "b" * 40, True)
    assert "commit" not in ext.footer(VERSION, "https://github.com/o/r", None, None)


def test_book_build_reads_the_version_and_the_ref(monkeypatch):
    ext = load_extension()
    monkeypatch.setenv(ext.REF_ENV, "v9.9.9")
    version, ref, commit, _ = ext.build_info()
    assert version == VERSION and ref == "v9.9.9"
    assert commit == _version.source_commit()[0]
    monkeypatch.delenv(ext.REF_ENV)
    _, ref, commit, _ = ext.build_info()
    assert ref in (f"v{VERSION}", commit)
