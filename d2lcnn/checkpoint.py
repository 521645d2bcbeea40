"""Saving and loading a network's parameters safely.

`save_parameters` writes to a temporary file beside the target and renames it, so an interrupted
save (a full disk, a killed kernel) never leaves a half-written file where a good one was.
`load_parameters` compares the file with the network before loading and names the first
parameter that does not fit, instead of MXNet's bare assertion.
"""
import os

from .errors import D2LCNNError
from .npmode import require_np
from .utils import atomic_path


class CheckpointError(D2LCNNError, ValueError):
    """A parameter file cannot be written or read."""


class ParameterMismatchError(CheckpointError):
    """A parameter file was saved from another architecture than the network it is loaded into.

    ``missing``, ``unexpected`` and ``mismatched`` list the differences: names the network has and
    the file lacks, names only the file has, and ``(name, network shape, file shape)``."""

    def __init__(self, message, missing=(), unexpected=(), mismatched=()):
        super().__init__(message)
        self.missing, self.unexpected, self.mismatched = list(missing), list(unexpected), list(mismatched)


def _structured_params(net):
    """The network's parameters under the names Gluon's save_parameters writes
    ('features.0.weight', ...)."""
    return net._collect_params_with_prefix()


def save_parameters(net, path):
    """Save `net`'s parameters to `path` (Gluon's format, as ``net.save_parameters``), atomically."""
    require_np("save_parameters")
    path = os.fspath(path)
    for name, param in _structured_params(net).items():
        if param._data is None:
            raise CheckpointError(
                f"cannot save {path!r}: parameter {name!r} is not initialized yet (its shape is "
                f"inferred on first use); call net.initialize() and run one batch through the "
                f"network first")
    with atomic_path(path) as tmp:
        net.save_parameters(tmp)
    return path


def _shapes_fit(net_shape, file_shape):
    # a dimension the network has not inferred yet (-1 in NumPy mode, 0 in legacy mode) fits any
    return len(net_shape) == len(file_shape) and all(
        n <= 0 or n == f for n, f in zip(net_shape, file_shape))


def compare_parameters(net, loaded):
    """The differences between `net` and a dict of arrays read from a file:
    (missing, unexpected, mismatched)."""
    params = _structured_params(net)
    if loaded and not any("." in name for name in loaded):
        # the legacy format (net.collect_params().save()) names parameters by their full prefix
        params = dict(net.collect_params().items())
    missing = sorted(set(params) - set(loaded))
    unexpected = sorted(set(loaded) - set(params))
    mismatched = [(name, tuple(params[name].shape), tuple(loaded[name].shape))
                  for name in params if name in loaded
                  and not _shapes_fit(tuple(params[name].shape), tuple(loaded[name].shape))]
    return missing, unexpected, mismatched


def _mismatch_message(path, missing, unexpected, mismatched):
    problems = []
    if mismatched:
        name, want, got = mismatched[0]
        problems.append(f"parameter {name!r} has shape {want} in the network but {got} in the "
                        f"file")
    if missing:
        problems.append(f"the network's parameter {missing[0]!r} is not in the file")
    if unexpected:
        problems.append(f"the file's parameter {unexpected[0]!r} is not in the network")
    total = len(mismatched) + len(missing) + len(unexpected)
    more = f" ({total - len(problems)} more differences)" if total > len(problems) else ""
    return (f"{path!r} was saved from another architecture: " + "; ".join(problems) + more +
            ". Build the network exactly as when it was saved (same model, num_classes and "
            "options) before loading, or train this network and save it again.")


def _read(path):
    from mxnet import npx
    if not os.path.exists(path):
        raise FileNotFoundError(f"no parameter file at {path!r}: save one with "
                                f"d2lcnn.save_parameters(net, path) first")
    try:
        loaded = npx.load(path)
    except Exception as err:  # MXNetError for a truncated or foreign file
        raise CheckpointError(f"{path!r} is not a readable MXNet parameter file ({err}); "
                              f"it may be truncated or of another format: save it again") from err
    if not isinstance(loaded, dict):
        raise CheckpointError(f"{path!r} holds a list of arrays without names, not a network's "
                              f"parameters; save them with d2lcnn.save_parameters(net, path)")
    # files written by net.collect_params().save() carry 'arg:'/'aux:' prefixes
    return {name.split(":", 1)[-1] if name[:4] in ("arg:", "aux:") else name: value
            for name, value in loaded.items()}


def _target_devices(net, device):
    if device is not None:
        from .device import device_list
        return device_list(device)  # a GPU that cannot be used: a clear error, before loading
    for param in net.collect_params().values():
        if param._data is not None or param._deferred_init:
            return param.list_ctx()  # keep the devices the network is already on
        break
    from .device import try_gpu
    return try_gpu()


def load_parameters(net, path, device=None):
    """Load parameters saved by `save_parameters` (or ``net.save_parameters``) into `net`.

    `device` (a context or a list) defaults to the devices `net` is on, or `try_gpu()` for a
    network that is not initialized. Raises `ParameterMismatchError` naming the first parameter
    that differs if the file comes from another architecture."""
    require_np("load_parameters")
    path = os.fspath(path)
    loaded = _read(path)
    missing, unexpected, mismatched = compare_parameters(net, loaded)
    if missing or unexpected or mismatched:
        raise ParameterMismatchError(_mismatch_message(path, missing, unexpected, mismatched),
                                     missing, unexpected, mismatched)
    net.load_parameters(path, ctx=_target_devices(net, device))
    return net
