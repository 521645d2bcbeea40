"""Walking a Gluon network: each block and each parameter once, where the parameters live and
whether they are initialised. Shared by `d2lcnn.summary`, `d2lcnn.bench` and `d2lcnn.finetune`.
"""
import sys
import types

from mxnet.gluon import HybridBlock

__all__ = ["named_blocks", "unique_params", "initialised", "ensure_initialised", "param_device",
           "batch_shape", "Imperative", "callable_module"]


def named_blocks(net):
    """(path, block) for every block under `net`, each once, in definition order."""
    found, seen = [], set()

    def walk(block, path):
        if id(block) in seen:
            return
        seen.add(id(block))
        found.append((path, block))
        for key, child in block._children.items():
            walk(child, f"{path}.{key}" if path else str(key))

    walk(net, "")
    return found


def unique_params(net):
    """The net's parameters as the framework sees them (shared ones once)."""
    seen, params = set(), []
    for p in net.collect_params().values():
        if id(p) not in seen:
            seen.add(id(p))
            params.append(p)
    return params


class Imperative:
    """Temporarily run hybridized blocks imperatively, so that forward hooks see every layer.

    Only the ``_active`` flag is switched: the cached graphs and hybridize() options stay as
    they were, and are used again once the flags are restored.
    """

    def __init__(self, net):
        self.blocks = [b for _, b in named_blocks(net) if isinstance(b, HybridBlock)]

    def __enter__(self):
        self.saved = [(b, b._active) for b in self.blocks]
        for b in self.blocks:
            b._active = False
        return self

    def __exit__(self, *exc):
        for b, active in self.saved:
            b._active = active


def initialised(p):
    """Whether the parameter `p` holds data (deferred initialisation does not count)."""
    try:
        p.list_ctx()
        return True
    except RuntimeError:
        return False


def ensure_initialised(net, device):
    """Initialise only what is not initialised yet (default init), leaving the rest alone."""
    for p in unique_params(net):
        if not initialised(p):
            p.initialize(ctx=device)


def param_device(net):
    """The device of the net's first initialised parameter; None if none is initialised."""
    for p in unique_params(net):
        if initialised(p):
            return p.list_ctx()[0]
    return None


def batch_shape(input_shape, batch_size):
    """(C, H, W) or (N, C, H, W) -> (N, C, H, W); other ranks get a batch axis prepended."""
    try:
        shape = tuple(int(d) for d in input_shape)
    except (TypeError, ValueError):
        raise ValueError(f"input_shape must be a tuple of sizes such as (3, 224, 224); "
                         f"got {input_shape!r}") from None
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer; got {batch_size!r}")
    if not shape or any(d < 1 for d in shape):
        raise ValueError(f"input_shape must hold positive sizes such as (3, 224, 224); "
                         f"got {input_shape!r}")
    if len(shape) == 4:
        return shape
    return (batch_size,) + shape


class _CallableModule(types.ModuleType):
    """A module that calls its function of the same name: ``d2lcnn.summary(...)`` and
    ``d2lcnn.bench(...)`` must work whether the package attribute is the function (the package's
    lazy export) or the module (importing ``d2lcnn.summary`` first binds the module to that
    name, and the export is then never looked up)."""

    def __call__(self, *args, **kwargs):
        return getattr(self, self.__name__.rpartition(".")[2])(*args, **kwargs)


def callable_module(name):
    """Make the module `name` callable as its function of the same name (see above)."""
    sys.modules[name].__class__ = _CallableModule
