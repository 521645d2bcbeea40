"""Helpers shared by several test files: counting measured independently of d2lcnn.summary,
and a context that runs code with MXNet's NumPy mode off (gluon-cv's legacy blocks)."""
import contextlib

import mxnet as mx
import numpy as onp
import pytest
from mxnet import init, np, npx
from mxnet.gluon import nn


@contextlib.contextmanager
def legacy_mode():
    """Run with MXNet's NumPy mode off (gluon-cv's blocks call legacy operators; some tests
    check what d2lcnn says without it), and switch it back on afterwards."""
    npx.reset_np()
    try:
        yield
    finally:
        npx.set_np()


def n_params(block, trainable=True):
    """Elements of the block's trainable (or non-trainable) parameters."""
    return sum(int(onp.prod(p.shape)) for p in block.collect_params().values()
               if (p.grad_req != "null") == trainable)


def count_macs(net, size, in_channels=3):
    """Multiply-adds of the Conv2D and Dense layers, measured by a forward pass."""
    total = []

    def hook(block, inputs, output):
        if isinstance(block, nn.Conv2D):
            total.append(int(onp.prod(output.shape[1:])) * int(onp.prod(block.weight.shape[1:])))
        else:
            total.append(int(onp.prod(block.weight.shape)))

    net.apply(lambda b: b.register_forward_hook(hook)
              if isinstance(b, (nn.Conv2D, nn.Dense)) else None)
    net.initialize()
    net(np.zeros((1, in_channels, size, size)))
    return sum(total)


def gluoncv_reference(name, size=224, seed=0, zero_conv_bias=False):
    """gluon-cv's `name`, initialised with random parameters (BatchNorm statistics too) and run
    with NumPy mode off: its parameters in registration order (name, NumPy array, trainable),
    an input and its output. `zero_conv_bias` zeroes convolution biases (gluon-cv's ResNet v1
    has them; ours, followed by BatchNorm, do not)."""
    gluoncv = pytest.importorskip("gluoncv")
    rng = onp.random.default_rng(seed)
    x = rng.uniform(size=(1, 3, size, size)).astype("float32")
    with legacy_mode():
        ref = gluoncv.model_zoo.get_model(name)
        ref.initialize(init.Xavier())
        ref(mx.nd.array(x))                 # gluon-cv defers some shapes to the first forward
        params = []
        for p in ref.collect_params().values():
            if p.name.endswith(("running_var", "gamma")):
                p.set_data(mx.nd.array(rng.uniform(0.5, 1.5, size=p.shape)))
            elif p.name.endswith(("running_mean", "beta")):
                p.set_data(mx.nd.array(rng.uniform(-0.1, 0.1, size=p.shape)))
            elif zero_conv_bias and "conv" in p.name and p.name.endswith("bias"):
                p.set_data(mx.nd.zeros(p.shape))
            params.append((p.name, p.data().asnumpy(), p.grad_req != "null"))
        y = ref(mx.nd.array(x)).asnumpy()
    return params, x, y
