"""Settings read from the environment: the data directory and the reduced mode used by CI.

``D2LCNN_DATA``: a folder that holds the four Fashion-MNIST IDX files (``root`` argument wins).
``D2LCNN_REDUCED``: ``1`` runs everything in reduced mode: data from the packaged subset and
at most ``D2LCNN_REDUCED_BATCHES`` batches (default 4) per epoch in training and evaluation. It
exists so that CI can re-execute every notebook quickly; its outputs always say so.
``D2LCNN_RESULTS``: the folder where chapters save their results (default: `results_dir`).

Files of the package (the data subset) are found beside this module, so that they are found
from any install (wheel, editable, Colab); files a run writes go next to the book it runs in,
never into the installed package.
"""
import os
from pathlib import Path

DATA_ENV = "D2LCNN_DATA"
REDUCED_ENV = "D2LCNN_REDUCED"
REDUCED_BATCHES_ENV = "D2LCNN_REDUCED_BATCHES"
DEFAULT_REDUCED_BATCHES = 4

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}

RESULTS_ENV = "D2LCNN_RESULTS"

#: the small Fashion-MNIST subset shipped inside the package (package data)
PACKAGE_DIR = Path(__file__).resolve().parent
#: the folder that holds the package: the clone in an editable install, but site-packages in
#: any other; never write there (`results_dir` says where results go)
REPO_ROOT = PACKAGE_DIR.parent
SUBSET_DIR = PACKAGE_DIR / "_data" / "fashion-mnist-subset"

#: how a folder is recognised as the book's root: its table of contents and its chapters' folder
BOOK_TOC, BOOK_DIR, RESULTS_NAME = "_toc.yml", "book", "results"


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


def data_home():
    """Where d2lcnn keeps what a run writes outside a book: ``$XDG_DATA_HOME/d2lcnn`` or
    ``~/.local/share/d2lcnn``."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local",
                                                           "share")
    return Path(base) / "d2lcnn"


def find_book(start=None):
    """The root of the book (the folder that holds ``_toc.yml`` and ``book/``) at or above
    `start` (default: the current directory, which is the notebook's folder in Jupyter), or
    None."""
    here = Path(start if start is not None else os.getcwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / BOOK_TOC).is_file() and (folder / BOOK_DIR).is_dir():
            return folder
    return None


def results_dir(start=None):
    """Where chapters save and read their results, and why, as ``(folder, source)``:
    ``D2LCNN_RESULTS`` if set; else ``book/results`` of the book found from the current
    directory (`find_book`: a clone of the book, a chapter run from its folder); else
    ``results`` in `data_home` (a chapter run alone, as in Colab). Never the installed package."""
    value = os.environ.get(RESULTS_ENV, "").strip()
    if value:
        return Path(value).expanduser(), RESULTS_ENV
    book = find_book(start)
    if book is not None:
        return book / BOOK_DIR / RESULTS_NAME, "book"
    return data_home() / RESULTS_NAME, "user data folder"
