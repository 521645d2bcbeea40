"""What the tests of the training modules share: a small synthetic set (four classes of 8x8
images, each a fixed random pattern plus noise, learned in a few epochs), tiny networks, and
`run`, a `train_ch6` call with the tests' defaults."""
import mxnet as mx
import numpy as onp
from mxnet import gluon, np
from mxnet.gluon import nn

from d2lcnn.train import train_ch6

CLASSES = 4


class Batches:
    """A deterministic in-memory iterator like d2l's DataLoader: ``len`` and (X, y) batches.

    `poison` = (epoch, batch) makes that batch's pixels infinite; `stop_at` = (epoch, batch)
    raises KeyboardInterrupt instead of yielding that batch (a Ctrl-C that lands in the
    loader)."""

    def __init__(self, n, batch_size=32, seed=0, poison=None, numpy=False, stop_at=None):
        rng = onp.random.RandomState(seed)
        patterns = onp.random.RandomState(1234).rand(CLASSES, 1, 8, 8).astype("float32")
        self.y = rng.randint(0, CLASSES, n).astype("int32")
        self.X = (patterns[self.y] + 0.6 * rng.rand(n, 1, 8, 8)).astype("float32")
        self.batch_size, self.poison, self.numpy = batch_size, poison, numpy
        self.stop_at = stop_at
        self.epoch = 0

    def __len__(self):
        return -(-len(self.y) // self.batch_size)

    def __iter__(self):
        self.epoch += 1
        for k, i in enumerate(range(0, len(self.y), self.batch_size), 1):
            if self.stop_at == (self.epoch, k):
                raise KeyboardInterrupt
            X, y = self.X[i:i + self.batch_size], self.y[i:i + self.batch_size]
            if self.poison == (self.epoch, k):
                X = onp.full_like(X, onp.inf)
            yield (X, y) if self.numpy else (np.array(X), np.array(y))


def tiny_net():
    net = nn.HybridSequential()
    net.add(nn.Conv2D(4, 3, activation="tanh"), nn.MaxPool2D(2),
            nn.Dense(16, activation="tanh"), nn.Dense(CLASSES))
    return net


def relu_net():
    """ReLU does not saturate: a huge learning rate overflows it to inf/NaN (tanh would not)."""
    net = nn.HybridSequential()
    net.add(nn.Conv2D(4, 3, activation="relu"), nn.MaxPool2D(2),
            nn.Dense(16, activation="relu"), nn.Dense(CLASSES))
    return net


def sigmoid_net():
    """d2l's LeNet in small: sigmoid saturates, so a huge learning rate blows the loss up
    without ever reaching NaN."""
    net = nn.HybridSequential()
    net.add(nn.Conv2D(4, 3, activation="sigmoid"), nn.AvgPool2D(2),
            nn.Dense(16, activation="sigmoid"), nn.Dense(CLASSES))
    return net


def params_of(net):
    """The parameters by structural name ('0.weight'), the same for two copies of a net."""
    return {name: p.data().asnumpy().copy()
            for name, p in net._collect_params_with_prefix().items()}


def run(net=None, epochs=2, lr=0.3, device=None, train=None, test=None, **kw):
    kw.setdefault("progress", False)
    return train_ch6(net or tiny_net(), Batches(256) if train is None else train,
                     Batches(128, seed=1) if test is None else test,
                     epochs, lr, device or mx.cpu(), **kw)


def poisoned_loss(at_call):
    """Softmax cross-entropy that returns NaN on its `at_call`-th batch."""
    ce, calls = gluon.loss.SoftmaxCrossEntropyLoss(), []

    def loss(y_hat, y):
        calls.append(1)
        value = ce(y_hat, y)
        return value * float("nan") if len(calls) == at_call else value
    return loss
