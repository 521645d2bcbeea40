"""Run inside a Python 3.12 environment by tests/test_compat.py (not collected by pytest).

Imports d2lcnn beside a numpy that dropped MXNet's aliases, then exercises what the book uses:
autograd, a hybridized net, the registry, the loader on the packaged subset, one short training run.
Prints "smoke ok" at the end; any failure is a traceback and a non-zero exit.
"""
import sys

import d2lcnn
from d2lcnn import _compat

import numpy
from mxnet import autograd, gluon, np, npx

print("python", sys.version.split()[0], "numpy", numpy.__version__, "restored", _compat.restored)

try:  # the NumPy interface is off: d2lcnn must say so
    d2lcnn.get_model("lenet", num_classes=10)
except d2lcnn.NumpyModeError as e:
    assert "npx.set_np()" in str(e)
else:
    raise SystemExit("expected NumpyModeError before npx.set_np()")
npx.set_np()

# autograd on a plain and a hybridized net
for hybrid in (False, True):
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Conv2D(4, 3, activation="relu"), gluon.nn.BatchNorm(),
            gluon.nn.MaxPool2D(), gluon.nn.Dense(3))
    net.initialize()
    if hybrid:
        net.hybridize()
    x = np.random.uniform(size=(2, 1, 8, 8))
    with autograd.record():
        loss = net(x).sum()
    loss.backward()
    grad = net[0].weight.grad()
    assert grad.shape == (4, 1, 3, 3) and float(np.abs(grad).sum()) > 0
assert np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1))).shape == (2, 1, 10, 10)  # numpy.compat path

# the package's own path: registry, data, training
net = d2lcnn.get_model("lenet", num_classes=10)
if hasattr(d2lcnn, "load_data_fashion_mnist") and hasattr(d2lcnn, "train_ch6"):
    train_iter, test_iter = d2lcnn.load_data_fashion_mnist(64)
    history = d2lcnn.train_ch6(net, train_iter, test_iter, 1, 0.9, d2lcnn.try_gpu())
    assert 0.0 <= history.test_acc[-1] <= 1.0
if hasattr(d2lcnn, "summary"):
    s = d2lcnn.summary(d2lcnn.get_model("lenet", num_classes=10), (1, 28, 28))
    assert s.trainable_params == 61706, s.trainable_params

try:  # gluoncv (legacy, non-NumPy blocks) imports and runs once d2lcnn has patched numpy
    import gluoncv  # noqa: F401
except ModuleNotFoundError:
    pass
else:
    import mxnet as mx
    npx.reset_np()
    zoo = gluoncv.model_zoo.get_model("resnet18_v1")
    zoo.initialize()
    assert zoo(mx.nd.zeros((1, 3, 64, 64))).shape == (1, 1000)
    print("gluoncv", gluoncv.__version__, "ok")
print("smoke ok")
