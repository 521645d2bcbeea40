"""Helpers shared by several test files: counting measured independently of d2lcnn.summary,
and a context that runs code with MXNet's NumPy mode off (gluon-cv's legacy blocks)."""
import contextlib
import importlib
import os
import sys

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
    gluoncv = import_reference("gluoncv")  # fails in the make environment if missing
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


# ------------------------------------------------------------------ references (gluon-cv, d2l)

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def in_make_environment():
    """True when the tests run in the environment `make setup` builds (the repository's `.venv`,
    with the stamp `make` leaves once every pinned requirement, gluon-cv and d2l included, is
    installed), or when ``D2LCNN_REQUIRE_REFERENCES=1`` says so (for another CI environment)."""
    if os.environ.get("D2LCNN_REQUIRE_REFERENCES") == "1":
        return True
    venv = os.path.join(_REPO, ".venv")
    return (os.path.realpath(sys.prefix) == os.path.realpath(venv)
            and os.path.exists(os.path.join(venv, ".installed")))


def import_reference(module):
    """Import a reference implementation (``"gluoncv"``, ``"d2l.mxnet"``). Missing in the make
    environment, the test fails (the reference must be there); elsewhere it is skipped with the
    reason printed."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        reason = (f"the reference {module!r} is not installed ({err}); `make setup` installs it "
                  f"(pip install -r requirements.txt; pip install --no-deps d2l==1.0.3)")
        if in_make_environment():
            pytest.fail(f"{reason}, and this is the make environment", pytrace=False)
        print(f"skipped: {reason}")
        pytest.skip(reason)


#: timm's published cost of the same networks (GMACs at their paper's input size, rounded to
#: two decimals): huggingface/pytorch-image-models, results/benchmark-infer-amp-nchw-pt240-
#: cu124-rtx4090.csv, column infer_gmacs (legacy_xception, inception_v3, inception_v4,
#: inception_resnet_v2, resnet50, vgg16, mobilenetv1_100, mobilenetv2_100), measured with the
#: DeepSpeed profiler, which counts convolutions and dense layers as we do and adds 2 per
#: element of every BatchNorm output (its scale and shift).
TIMM_GMACS = {"xception": 8.40, "inception_v3": 5.73, "inception_v4": 12.28,
              "inception_resnet_v2": 13.18, "resnet50": 4.11, "vgg16": 15.47,
              "mobilenet_v1": 0.58, "mobilenet_v2": 0.31}


def timm_gmacs(report):
    """A d2lcnn summary's cost counted as timm's table counts it (see `TIMM_GMACS`): MACs plus
    2 per BatchNorm output element, in G, rounded to two decimals."""
    batchnorm = sum(r.output_bytes // 4 for r in report.rows if r.type == "BatchNorm")
    return round((report.macs + 2 * batchnorm) / 1e9, 2)
