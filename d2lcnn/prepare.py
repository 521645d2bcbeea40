"""Setting a run up as d2l's ``train_ch6`` does (Xavier initialization, SGD), with the speed-ups
`train_ch6` adds: hybridization with static memory, and mixed precision on a GPU."""
import warnings

import mxnet as mx
from mxnet import gluon
from mxnet import init as mx_init

from .device import describe_device
from .errors import D2LCNNError


class AMPNotSupportedError(D2LCNNError, ValueError):
    """Mixed precision was asked for on a device that cannot use it."""


def hybridize(block):
    """Hybridize with static memory if `block` can be (True); a plain function cannot."""
    if not isinstance(block, gluon.Block):
        return False
    with warnings.catch_warnings():  # nn.Sequential's advice to use HybridSequential
        warnings.filterwarnings("ignore", message="All children of this Sequential layer")
        block.hybridize(static_alloc=True, static_shape=True)
    return True


def unhybridize(block):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="All children of this Sequential layer")
        block.hybridize(active=False)


def initialize(net, devices, initializer, reinitialize):
    """d2l's ``force_reinit`` with Xavier, or keep trained parameters (moved to `devices`)."""
    params = net.collect_params()
    initialized = any(p._data is not None or p._deferred_init for p in params.values())
    if reinitialize or not initialized:
        net.initialize(init=initializer if initializer is not None else mx_init.Xavier(),
                       ctx=devices, force_reinit=True)
    else:
        params.reset_ctx(devices)


def make_trainer(net, optimizer, optimizer_params, lr, kvstore):
    """d2l's SGD trainer at `lr`; an optimizer given by name or as an object also gets `lr`
    (unless it follows a learning-rate schedule of its own)."""
    if isinstance(optimizer, mx.optimizer.Optimizer):
        if optimizer_params:
            raise ValueError("optimizer_params applies to an optimizer given by name; set them "
                             "on the Optimizer object instead")
        if optimizer.lr_scheduler is None:
            optimizer.set_learning_rate(lr)
        return gluon.Trainer(net.collect_params(), optimizer, kvstore=kvstore)
    return gluon.Trainer(net.collect_params(), optimizer,
                         {"learning_rate": lr, **(optimizer_params or {})}, kvstore=kvstore)


_AMP_STATE = {"initialized": False}


def check_amp(devices):
    """Refuse mixed precision off the GPU, before any work is done."""
    cpus = [d for d in devices if d.device_type != "gpu"]
    if cpus:
        raise AMPNotSupportedError(
            f"amp=True (mixed precision) needs a GPU, but training would run on "
            f"{describe_device(cpus[0])}: MXNet's AMP computes in float16, which a CPU does not "
            f"speed up. Leave amp=False on the CPU.")


def enable_amp(trainer):
    """MXNet's automatic mixed precision (float16 with dynamic loss scaling) on a GPU."""
    from mxnet.contrib import amp
    if not _AMP_STATE["initialized"]:
        amp.init()  # patches the operators once per process, before the graph is built
        _AMP_STATE["initialized"] = True
    amp.init_trainer(trainer)
    return amp


def describe(devices):
    """The device names for the closing line; contexts of one CPU are named once."""
    names = [describe_device(d) for d in devices]
    if len(set(names)) == 1 and len(names) > 1:
        return f"{names[0]}, {len(names)} contexts ({', '.join(str(d) for d in devices)})"
    return " + ".join(names)
