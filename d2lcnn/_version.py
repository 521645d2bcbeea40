"""The version of d2lcnn, written once, and the commit a checkout of it is at.

`__version__` is the single source: pyproject.toml reads it (setuptools' dynamic version, read
without importing the package), ``d2lcnn.__version__`` and ``python -m d2lcnn --version`` show
it, the book's footer names it, and the Colab cell of every chapter installs its release tag
``v<version>`` (`d2lcnn.colab.INSTALL_TARGET`). tests/test_version.py fails if they drift.
This module imports nothing heavy: the book's build reads it without importing numpy or MXNet.
"""
import subprocess
from pathlib import Path

__version__ = "0.2.0"

#: the folder that holds the package folder: a git checkout's top for a clone or an editable
#: install; site-packages for an installed wheel (which has no commit)
SOURCE_ROOT = Path(__file__).resolve().parent.parent


def release_tag(version=__version__):
    """The git tag of a release: ``v0.2.0``."""
    return f"v{version}"


def _git(root, *args):
    try:
        proc = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None  # no git on this machine
    return proc.stdout.strip() if proc.returncode == 0 else None


def source_commit(root=None):
    """(commit, modified) of the checkout this package runs from, or (None, None).

    commit: the full hash of HEAD. modified: whether the package's own files (``d2lcnn/``)
    differ from that commit, so that the commit alone does not describe the code that ran.
    (None, None) for an installed wheel or without git: a folder counts only if it is the top
    of its repository, so a virtual environment inside some other checkout names no commit."""
    root = Path(root) if root is not None else SOURCE_ROOT
    top = _git(root, "rev-parse", "--show-toplevel")
    if top is None or Path(top).resolve() != root.resolve():
        return None, None
    commit = _git(root, "rev-parse", "HEAD")
    if commit is None:
        return None, None  # a repository without commits yet
    changes = _git(root, "status", "--porcelain", "--untracked-files=no", "--", "d2lcnn")
    return commit, bool(changes)
