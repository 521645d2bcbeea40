"""The progress bar of `train_ch6`: on where a person watches, off where outputs are stored.

A bar frozen into a notebook the book stores (or into CI logs) is noise, so the default asks
where the run happens; ``D2LCNN_PROGRESS=1/0`` decides instead.
"""
import os
import sys

from . import config

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _in_notebook():
    shell = sys.modules.get("IPython")
    if shell is None or "ipykernel" not in sys.modules:
        return False
    ip = shell.get_ipython()
    return ip is not None and type(ip).__name__ == "ZMQInteractiveShell"


def progress_default():
    """Whether the progress bar is on when ``progress=None``: in a terminal or a notebook a
    person is looking at, not in CI, reduced mode or a notebook executed to store its outputs
    (a bar there would be frozen into the book). ``D2LCNN_PROGRESS=1/0`` decides instead."""
    env = os.environ.get("D2LCNN_PROGRESS", "").strip().lower()
    if env in _TRUE:
        return True
    if env in _FALSE:
        return False
    if os.environ.get("CI", "").strip().lower() in _TRUE or config.reduced_mode():
        return False
    if _in_notebook():
        # Jupyter Server names the notebook of an interactive session; nbclient/nbval do not
        return bool(os.environ.get("JPY_SESSION_NAME")) or "google.colab" in sys.modules
    return sys.stderr is not None and sys.stderr.isatty()


class NoBar:
    """The bar's interface, doing nothing (progress off)."""

    def update(self, n=1):
        pass

    def set_description(self, *_, **__):
        pass

    def set_postfix_str(self, *_, **__):
        pass

    def close(self):
        pass


def progress_bar(enabled, total):
    """A tqdm bar over `total` batches (None: unknown), or a `NoBar`."""
    if not enabled:
        return NoBar()
    from tqdm.auto import tqdm
    return tqdm(total=total, unit="batch", dynamic_ncols=True, leave=True)
