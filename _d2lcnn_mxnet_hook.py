"""Lets ``import mxnet`` come first where d2lcnn is installed (loaded at start-up by a .pth file).

Why: MXNet 1.9.1 fails to import beside numpy >= 1.24 or on Python 3.12 unless d2lcnn's
compatibility layer ran before it, and it reads its CPU threads and engine once, when it loads.
Readers of d2l write ``from mxnet import np, npx`` first. So ``_d2lcnn_mxnet_hook.pth``, installed
into site-packages with the package, imports this module at interpreter start-up, and this module
adds one finder to ``sys.meta_path`` that waits for ``mxnet``: when MXNet is about to be imported,
it imports ``d2lcnn`` first (its compatibility layer and its runtime choice), then lets the import
go on, and removes itself.

Cheap for every other program: nothing but ``sys`` is imported at start-up, and each import costs
one string comparison until MXNet is imported. Harmless when d2lcnn is gone (the finder steps
aside) and switched off by ``D2LCNN_MXNET_HOOK=0``.
"""
import sys

ENV = "D2LCNN_MXNET_HOOK"
_OFF = {"0", "off", "false", "no"}


class MXNetFirstFinder:
    """A meta path finder that imports d2lcnn just before MXNet, once."""

    def find_spec(self, name, path=None, target=None):
        if name != "mxnet":
            return None
        uninstall()  # once; and the look-ups below must not find us again
        import importlib.util
        import os
        if (os.environ.get(ENV, "").strip().lower() not in _OFF
                and "d2lcnn" not in sys.modules
                and importlib.util.find_spec("d2lcnn") is not None):
            import d2lcnn  # noqa: F401  (its compatibility layer and runtime, before MXNet)
        # the rest of sys.meta_path finds MXNet (d2lcnn's runtime may have added a finder)
        return importlib.util.find_spec(name)


def installed():
    """True while the finder waits for MXNet in this process."""
    return any(isinstance(f, MXNetFirstFinder) for f in sys.meta_path)


def install():
    """Put the finder first in ``sys.meta_path`` unless MXNet is already imported; idempotent."""
    if "mxnet" not in sys.modules and not installed():
        sys.meta_path.insert(0, MXNetFirstFinder())


def uninstall():
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, MXNetFirstFinder)]


install()
