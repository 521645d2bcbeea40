"""Settings read from the environment: the data directory and the reduced mode used by CI.

``D2LCNN_DATA``: a folder that holds the four Fashion-MNIST IDX files (``root`` argument wins).
``D2LCNN_REDUCED``: ``1`` runs everything in reduced mode: data from the repository's subset and
at most ``D2LCNN_REDUCED_BATCHES`` batches (default 4) per epoch in training and evaluation. It
exists so that CI can re-execute every notebook quickly; its outputs always say so.
"""
import os
from pathlib import Path

DATA_ENV = "D2LCNN_DATA"
REDUCED_ENV = "D2LCNN_REDUCED"
REDUCED_BATCHES_ENV = "D2LCNN_REDUCED_BATCHES"
DEFAULT_REDUCED_BATCHES = 4

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}

#: the repository's own small subset (present in a clone and an editable install)
REPO_ROOT = Path(__file__).resolve().parent.parent
SUBSET_DIR = REPO_ROOT / "data" / "fashion-mnist-subset"


def _flag(name):
    value = os.environ.get(name, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name}={os.environ[name]!r} is not understood: set it to 1 (on) or 0 (off)")


def reduced_mode():
    """True when ``D2LCNN_REDUCED`` asks for a reduced run (CI's quick re-execution)."""
    return _flag(REDUCED_ENV)


def reduced_batches():
    """The cap on batches per epoch in reduced mode."""
    raw = os.environ.get(REDUCED_BATCHES_ENV, "").strip()
    if not raw:
        return DEFAULT_REDUCED_BATCHES
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"{REDUCED_BATCHES_ENV}={raw!r}: give a whole number of batches, 1 or more")
    return value


def cache_dir():
    """Where downloaded data is kept: ``$XDG_CACHE_HOME/d2lcnn`` or ``~/.cache/d2lcnn``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "d2lcnn"


def data_dir_from_env():
    """The folder named by ``D2LCNN_DATA``, or None."""
    value = os.environ.get(DATA_ENV, "").strip()
    return Path(value).expanduser() if value else None
