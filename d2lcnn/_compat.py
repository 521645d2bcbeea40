"""Make MXNet 1.9.1 importable beside the numpy and Python that users have today.

MXNet 1.9.1 (its last release) refers to numpy names that numpy 1.24 and 2.x removed
(``np.bool``, ``np.PZERO``, ``np.sometrue`` ...) and imports ``distutils``, which Python 3.12
dropped. This module restores only what is missing, before MXNet is imported, and says nothing
when nothing is needed. It never replaces a name numpy still has.
"""
import builtins
import importlib.util
import sys
import types

import warnings

import numpy as _np

# name -> function of the numpy module giving the modern equivalent (looked up lazily so that a
# replacement missing in some numpy version is skipped, not an error)
_NUMPY_ALIASES = {
    # removed in numpy 1.24 (deprecated since 1.20)
    "bool": lambda np: builtins.bool,
    "int": lambda np: builtins.int,
    "float": lambda np: builtins.float,
    "complex": lambda np: builtins.complex,
    "object": lambda np: builtins.object,
    "str": lambda np: builtins.str,
    # removed in numpy 2.0 (NEP 52)
    "PZERO": lambda np: 0.0,
    "NZERO": lambda np: -0.0,
    "PINF": lambda np: float("inf"),
    "NINF": lambda np: float("-inf"),
    "NAN": lambda np: float("nan"),
    "NaN": lambda np: float("nan"),
    "Inf": lambda np: float("inf"),
    "Infinity": lambda np: float("inf"),
    "infty": lambda np: float("inf"),
    "float_": lambda np: np.float64,
    "complex_": lambda np: np.complex128,
    "unicode_": lambda np: np.str_,
    "string_": lambda np: np.bytes_,
    "sometrue": lambda np: np.any,
    "alltrue": lambda np: np.all,
    "product": lambda np: np.prod,
    "cumproduct": lambda np: np.cumprod,
    "round_": lambda np: np.round,
    "row_stack": lambda np: np.vstack,
    "msort": lambda np: (lambda a: np.sort(a, axis=0)),
    # numpy 1.20 moved the financial functions to numpy_financial; mxnet.numpy.fallback still
    # names them at import. Keep them importable, failing only when called.
    **{name: (lambda np, name=name: _expired(name)) for name in
       ("mirr", "npv", "pmt", "ppmt", "pv", "rate")},
    # removed in numpy 2.4
    "in1d": lambda np: (lambda ar1, ar2, assume_unique=False, invert=False:
                        np.isin(np.ravel(ar1), ar2, assume_unique=assume_unique, invert=invert)),
    "trapz": lambda np: getattr(np, "trapezoid"),
}

def _expired(name):
    def expired(*args, **kwargs):
        raise RuntimeError(f"numpy.{name} was removed in numpy 1.20: use numpy_financial.{name}")
    expired.__name__ = name
    return expired


restored = []  # names this process had to restore, for diagnostics (`d2lcnn.compat_report()`)


def _has(module, name):
    """True if `module.name` still resolves (deprecated aliases included, without their warning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return hasattr(module, name)


def _restore_numpy_aliases(np=_np):
    for name, factory in _NUMPY_ALIASES.items():
        if _has(np, name):
            continue
        try:
            value = factory(np)
        except AttributeError:  # numpy has neither the old name nor its replacement
            continue
        setattr(np, name, value)
        restored.append(f"numpy.{name}")
    if np is not _np:
        return
    # numpy 2 removed numpy.compat; mx.np.pad reads numpy.compat.basestring at run time
    if not _has(_np, "compat"):
        try:
            import numpy.compat  # noqa: F401  (still importable in some 2.x releases)
        except ImportError:
            compat = types.ModuleType("numpy.compat")
            compat.basestring = str
            compat.long = int
            compat.unicode = str
            sys.modules["numpy.compat"] = compat
            _np.compat = compat
            restored.append("numpy.compat")
    elif not hasattr(_np.compat, "basestring"):
        _np.compat.basestring = str
        restored.append("numpy.compat.basestring")


class _Version:
    """Minimal stand-in for distutils' LooseVersion/StrictVersion: compares dotted versions."""

    def __init__(self, vstring):
        self.vstring = str(vstring)
        parts = []
        for piece in self.vstring.replace("-", ".").replace("+", ".").split("."):
            digits = "".join(ch for ch in piece if ch.isdigit())
            parts.append(int(digits) if digits else 0)
        self.version = tuple(parts)

    def _cmp_key(self, other):
        other = other if isinstance(other, _Version) else _Version(other)
        n = max(len(self.version), len(other.version))
        pad = lambda v: v + (0,) * (n - len(v))  # noqa: E731
        return pad(self.version), pad(other.version)

    def __eq__(self, other): a, b = self._cmp_key(other); return a == b
    def __lt__(self, other): a, b = self._cmp_key(other); return a < b
    def __le__(self, other): a, b = self._cmp_key(other); return a <= b
    def __gt__(self, other): a, b = self._cmp_key(other); return a > b
    def __ge__(self, other): a, b = self._cmp_key(other); return a >= b
    def __repr__(self): return f"Version({self.vstring!r})"
    def __str__(self): return self.vstring


def _provide_distutils_version():
    """Python 3.12 has no distutils; setuptools provides one if installed, else a shim."""
    if importlib.util.find_spec("distutils") is not None:
        return
    distutils = types.ModuleType("distutils")
    version = types.ModuleType("distutils.version")
    version.LooseVersion = version.StrictVersion = _Version
    distutils.version = version
    sys.modules["distutils"] = distutils
    sys.modules["distutils.version"] = version
    restored.append("distutils.version")


def _numpy1_scalar_repr():
    """numpy 2 writes a scalar as ``np.int64(15)``; MXNet 1.9.1 hands operator arguments to its
    C++ core as text, which cannot read ``[0, np.int64(15)]`` (``gluon.utils.split_and_load``
    over several devices fails). Print scalars as numpy 1 did (the calling thread's setting)."""
    if int(_np.__version__.split(".")[0]) >= 2 and _np.get_printoptions()["legacy"] is False:
        _np.set_printoptions(legacy="1.25")
        restored.append("numpy scalar repr (legacy='1.25')")


def patch():
    """Restore what MXNet 1.9.1 needs; idempotent and silent."""
    _restore_numpy_aliases()
    _provide_distutils_version()
    _numpy1_scalar_repr()


patch()
