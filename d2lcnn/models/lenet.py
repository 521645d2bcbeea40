"""LeNet: LeCun, Bottou, Bengio & Haffner, "Gradient-Based Learning Applied to Document
Recognition", Proc. IEEE 1998 {cite}`lecun1998gradient`, and the modern LeNet of *Dive into Deep
Learning* {cite}`zhang2023dive`.

``lenet5`` is LeNet-5 as published (Section II.B, 32x32 inputs): C1 convolution, S2 trainable
subsampling, C3 convolution with the partial connection table of Table I, S4, C5, F6 and a
10-unit output. Its per-layer parameter counts are the paper's: 156, 12, 1,516, 32, 48,120 and
10,164, that is 60,000 for the body (the paper's "about 60,000"). The paper's output layer is
made of Euclidean RBF units whose parameters are fixed by hand (7x12 bitmaps of the characters,
entries -1 or +1); by default we use a trainable ``Dense(10)`` instead (850 parameters), and
``output="rbf"`` gives fixed RBF units (non-trainable +-1 prototypes, random rather than the
paper's bitmaps). Every layer up to F6 is followed by the paper's squashing function
``1.7159 * tanh(2x/3)`` (Appendix A); ``activation=`` picks another.

``lenet`` is d2l's LeNet for 28x28 Fashion-MNIST: padding 2 in the first convolution instead of
32x32 inputs, average pooling, full connections in the second convolution, dense layers of 120
and 84 units and sigmoid activations (61,706 parameters at 10 classes).
"""
import numpy as onp
from mxnet import init
from mxnet.gluon import HybridBlock, nn

from ..checks import check_int
from ..registry import PublishedCount, register_model
from .base import Classifier

__all__ = ["LENET", "LENET5", "C3_TABLE", "PUBLISHED", "LeNet", "ScaledTanh", "Subsampling",
           "PartialConv2D", "RBFOutput", "RBFCodes", "lenet", "lenet5"]

#: d2l's LeNet: (name, kind, channels or units, kernel, padding).
LENET = (
    ("conv1", "conv", 6, 5, 2),
    ("pool1", "pool"),
    ("conv2", "conv", 16, 5, 0),
    ("pool2", "pool"),
    ("fc1", "dense", 120),
    ("fc2", "dense", 84),
)

#: Table I of the paper: the S2 feature maps (0-5) that each of C3's 16 maps combines. Maps 0-5
#: see three adjacent maps, 6-11 four adjacent ones, 12-14 four non-adjacent ones, 15 all six.
C3_TABLE = (
    (0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (4, 5, 0), (5, 0, 1),
    (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5), (3, 4, 5, 0), (4, 5, 0, 1), (5, 0, 1, 2),
    (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5),
    (0, 1, 2, 3, 4, 5),
)

#: LeNet-5 (Section II.B): C1, S2, C3 (Table I), S4, C5, F6.
LENET5 = (
    ("c1", "conv", 6, 5, 0),
    ("s2", "subsample"),
    ("c3", "partial_conv", C3_TABLE, 5),
    ("s4", "subsample"),
    ("c5", "conv", 120, 5, 0),
    ("f6", "dense", 84),
)


class ScaledTanh(HybridBlock):
    """LeNet-5's squashing function f(a) = A tanh(S a), A = 1.7159, S = 2/3 (Appendix A):
    f(1) = 1 and f(-1) = -1, and the second derivative is largest at +-1."""

    A, S = 1.7159, 2.0 / 3.0

    def hybrid_forward(self, F, x):
        return self.A * F.np.tanh(self.S * x)

    def __repr__(self):
        return f"{self.__class__.__name__}({self.A} * tanh({self.S:.4g} x))"


def _activation(name):
    if name == "scaled_tanh":
        return ScaledTanh()
    if name in ("sigmoid", "tanh", "relu"):
        return nn.Activation(name)
    raise ValueError(f"unknown activation {name!r}; use 'scaled_tanh', 'tanh', 'sigmoid' "
                     f"or 'relu'")


class Subsampling(HybridBlock):
    """LeNet-5's S layers: each unit adds its 2x2 neighbourhood (non-overlapping), multiplies it
    by a trainable coefficient and adds a trainable bias, one pair per feature map
    (2 parameters per map: 12 in S2, 32 in S4). The squashing function comes after it."""

    def __init__(self, channels, pool_size=2, **kwargs):
        super().__init__(**kwargs)
        check_int(channels, "channels")
        check_int(pool_size, "pool_size")
        self.channels, self.pool_size = channels, pool_size
        with self.name_scope():
            self.weight = self.params.get("weight", shape=(channels,), init=init.One())
            self.bias = self.params.get("bias", shape=(channels,), init=init.Zero())

    def hybrid_forward(self, F, x, weight, bias):
        k = self.pool_size
        total = F.npx.pooling(x, kernel=(k, k), stride=(k, k), pool_type="sum")
        return total * weight.reshape(1, -1, 1, 1) + bias.reshape(1, -1, 1, 1)

    def __repr__(self):
        return f"{self.__class__.__name__}({self.channels}, {self.pool_size}x{self.pool_size})"


class PartialConv2D(HybridBlock):
    """A convolution in which output map ``j`` sees only the input maps ``table[j]``, as C3 of
    LeNet-5 (Table I). The parameters are exactly the connections of the table: output map j
    has ``len(table[j]) * k * k`` weights and one bias (1,516 for C3).

    Maps that see the same number of inputs are computed together by one grouped convolution
    (``groups`` = number of such maps) over their gathered inputs, so C3 runs as three
    convolutions (six maps of fan-in 3, nine of fan-in 4, one of fan-in 6).
    """

    def __init__(self, table, kernel_size, in_channels, **kwargs):
        super().__init__(**kwargs)
        check_int(kernel_size, "kernel_size")
        check_int(in_channels, "in_channels")
        self.table = tuple(tuple(int(i) for i in maps) for maps in table)
        self.in_channels = in_channels
        for j, maps in enumerate(self.table):
            if not maps or len(set(maps)) != len(maps) or not all(0 <= i < in_channels
                                                                   for i in maps):
                raise ValueError(f"row {j} of the connection table {maps} must list distinct "
                                 f"input maps in 0..{in_channels - 1}")
        fan_ins = sorted({len(maps) for maps in self.table})
        # output maps grouped by fan-in; `order` puts the concatenated groups back in map order
        self.groups = [[j for j, maps in enumerate(self.table) if len(maps) == f]
                       for f in fan_ins]
        produced = [j for group in self.groups for j in group]
        self.order = [produced.index(j) for j in range(len(self.table))]
        with self.name_scope():
            self.convs = []
            for f, group in zip(fan_ins, self.groups):
                conv = nn.Conv2D(len(group), kernel_size, groups=len(group),
                                 in_channels=f * len(group), prefix=f"fanin{f}_")
                setattr(self, f"fanin{f}", conv)
                self.convs.append(conv)

    def hybrid_forward(self, F, x):
        maps = F.np.split(x, self.in_channels, axis=1)
        outs = []
        for conv, group in zip(self.convs, self.groups):
            gathered = F.np.concatenate([maps[i] for j in group for i in self.table[j]], axis=1)
            outs.append(conv(gathered))
        y = F.np.concatenate(outs, axis=1) if len(outs) > 1 else outs[0]
        if self.order != sorted(self.order):
            parts = F.np.split(y, len(self.table), axis=1)
            y = F.np.concatenate([parts[k] for k in self.order], axis=1)
        return y

    def __repr__(self):
        return (f"{self.__class__.__name__}({self.in_channels} -> {len(self.table)}, "
                f"{sum(map(len, self.table))} connections)")


@init.register
class RBFCodes(init.Initializer):
    """Random +-1 prototypes for `RBFOutput`, the same for a given seed."""

    def __init__(self, seed=0):
        super().__init__(seed=seed)
        self.seed = seed

    def _init_weight(self, _, arr):
        arr[:] = onp.random.RandomState(self.seed).choice([-1.0, 1.0], size=arr.shape)


class RBFOutput(HybridBlock):
    """LeNet-5's output layer: one Euclidean radial basis function unit per class,
    y_i = sum_j (x_j - w_ij)**2, with fixed (non-trainable) prototypes w_i of +-1 entries.

    It returns ``-y`` so that the largest output is the closest prototype and the result can go
    into softmax cross-entropy like logits (the paper trains with its own MAP criterion). The
    prototypes are random +-1 codes (the paper draws 7x12 bitmaps of the characters).
    """

    def __init__(self, units, in_units, seed=0, **kwargs):
        super().__init__(**kwargs)
        check_int(units, "units (classes)")
        check_int(in_units, "in_units")
        with self.name_scope():
            self.prototypes = self.params.get("prototypes", shape=(units, in_units),
                                              init=RBFCodes(seed), grad_req="null")

    def __repr__(self):
        units, in_units = self.prototypes.shape
        return f"{self.__class__.__name__}({in_units} -> {units}, fixed prototypes)"

    def hybrid_forward(self, F, x, prototypes):
        x = F.npx.batch_flatten(x)
        distances = (F.np.sum(x * x, axis=1, keepdims=True)
                     - 2 * F.np.dot(x, F.np.transpose(prototypes))
                     + F.np.sum(prototypes * prototypes, axis=1))
        return -distances


class LeNet(Classifier):
    """LeNet built from a table such as `LENET` or `LENET5`.

    ``features`` holds the layers of the table (each followed by `activation`), ``output`` the
    classifier. `pool` ('avg' or 'max') is the kind of the table's "pool" rows.
    """

    def __init__(self, layers=LENET, num_classes=10, in_channels=1, activation="sigmoid",
                 pool="avg", output="dense", **kwargs):
        super().__init__(num_classes, in_channels, **kwargs)
        if pool not in ("avg", "max"):
            raise ValueError(f"pool must be 'avg' or 'max'; got {pool!r}")
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="features_")
            channels, units = in_channels, 0
            with self.features.name_scope():
                for name, kind, *args in layers:
                    if kind == "pool":
                        Pool = nn.AvgPool2D if pool == "avg" else nn.MaxPool2D
                        setattr(self.features, name, Pool(pool_size=2, strides=2,
                                                          prefix=f"{name}_"))
                        continue
                    if kind == "dense" and units == 0:
                        self.features.flatten = nn.Flatten(prefix="flatten_")
                    layer = nn.HybridSequential(prefix=f"{name}_")
                    with layer.name_scope():
                        if kind == "conv":
                            out, kernel, padding = args
                            layer.add(nn.Conv2D(out, kernel, padding=padding,
                                                in_channels=channels))
                            channels = out
                        elif kind == "partial_conv":
                            table, kernel = args
                            layer.add(PartialConv2D(table, kernel, in_channels=channels))
                            channels = len(table)
                        elif kind == "subsample":
                            layer.add(Subsampling(channels))
                        elif kind == "dense":
                            layer.add(nn.Dense(args[0], in_units=units))
                            units = args[0]
                        else:
                            raise ValueError(f"unknown layer kind {kind!r} in row {name!r}")
                        layer.add(_activation(activation))
                    setattr(self.features, name, layer)  # net.features.c3, ...
            if output == "dense":
                self.output = nn.Dense(num_classes, in_units=units, prefix="output_")
            elif output == "rbf":
                self.output = RBFOutput(num_classes, units, prefix="output_")
            else:
                raise ValueError(f"output must be 'dense' or 'rbf'; got {output!r}")


def _build(layers, num_classes, in_channels, **options):
    return LeNet(layers, num_classes=num_classes, in_channels=in_channels, **options)


#: Published trainable parameters at 10 classes and 1 channel, and where they come from.
PUBLISHED = {
    "lenet": PublishedCount(
        61_706, "d2l's LeNet (Dive into Deep Learning, Sec. 7.6), counted from d2l.mxnet.LeNet "
        "at 28x28 in d2lcnn's tests"),
    "lenet5": PublishedCount(
        60_850, "LeCun et al. 1998, Sec. II.B: C1 156 + S2 12 + C3 1,516 + S4 32 + C5 48,120 + "
        "F6 10,164 = 60,000, plus 850 for the Dense(10) output that replaces the fixed RBF "
        "units; checked layer by layer in d2lcnn's tests"),
}


@register_model(input_size=28, min_size=12, published=PUBLISHED, year=1998,
                paper="lecun1998gradient")
def lenet(num_classes=10, in_channels=1, **options):
    """d2l's LeNet. Options: activation ('sigmoid' or 'relu', ...), pool ('avg' or 'max')."""
    return _build(LENET, num_classes, in_channels, **options)


@register_model(input_size=32, min_size=32, published=PUBLISHED, year=1998,
                paper="lecun1998gradient")
def lenet5(num_classes=10, in_channels=1, **options):
    """LeNet-5 as published. Options: activation ('scaled_tanh'), output ('dense' or 'rbf')."""
    return _build(LENET5, num_classes, in_channels,
                  **{"activation": "scaled_tanh", **options})
