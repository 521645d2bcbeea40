"""Xception: Chollet, "Xception: Deep Learning with Depthwise Separable Convolutions", CVPR 2017
{cite}`chollet2017xception`.

The network of Figure 5 is data (`XCEPTION`): an entry flow (two 3x3 convolutions, then three
residual blocks that halve the height and width), a middle flow (eight residual blocks of three
separable convolutions at 728 channels) and an exit flow (a residual block to 1024 channels,
then separable convolutions of 1536 and 2048 channels), global average pooling and the
classifier. Every convolution and separable convolution is followed by BatchNorm (Figure 5's
caption: "not included in the diagram"); no convolution has a bias.

`SeparableConv2D` is a depthwise 3x3 convolution (one filter per channel, ``groups`` = the
channels, depth multiplier 1) followed by a pointwise 1x1 convolution, with *no* non-linearity
and no BatchNorm between them (Section 4.7 and Figure 10 find that the absence of a non-linearity
works best), as Keras' ``SeparableConv2D``; BatchNorm comes after the pointwise convolution.
In a residual block (`XceptionBlock`) each separable convolution is preceded by a ReLU (but for
the first block, whose input has just been through one) and followed by BatchNorm; a block that
halves the size ends with a 3x3/2 max-pooling and has a 1x1/2 convolution + BatchNorm as its
shortcut. There is no ReLU after the addition: the next block starts with one.

As in the author's released network (Keras), the two first convolutions have no padding and
the rest pad to keep the size ("same"), so 299x299 gives 149, 147, 74, 37, 19 (middle flow) and
10x10x2048 at the end; inputs need at least 7x7. Keras pads "same" poolings on the bottom and
right only when the input is even; we pad symmetrically (the output sizes and parameters are
the same). The parameter count, 22,855,952 at 1000 classes, is the paper's Table 3 and Keras'
trainable count (its 22,910,480 total adds BatchNorm's 54,528 moving means and variances).
``middle_flow_repeats`` (8) shortens the middle flow for small experiments.

gluon-cv's ``xception`` is a different network: the *modified aligned* Xception-65 of DeepLabv3+
(Chen et al. 2018), with 16 middle-flow blocks, strided separable convolutions instead of
max-poolings, a BatchNorm and ReLU after each depthwise convolution, padded first convolutions
and an extra 1536 separable convolution (see tests/test_models_xception.py).

``features`` holds entry_flow (conv1, conv2, block1..block3), middle_flow (block1..block8),
exit_flow (block1, sepconv1, sepconv2), gap and flatten; ``output`` is the dense classifier.
"""
from mxnet.gluon import HybridBlock, nn

from ..checks import check_int
from ..layers import SeparableConv2D, conv_bn_act
from ..registry import PublishedCount, register_model
from .base import Classifier

__all__ = ["XCEPTION", "PUBLISHED", "SeparableConv2D", "XceptionBlock", "Xception", "xception"]

#: Figure 5 of the paper, flow by flow:
#: ("conv", channels, stride): a 3x3 convolution without padding, BatchNorm, ReLU;
#: ("block", separable channels, stride, ReLU first?): a residual block (`XceptionBlock`);
#: ("sepconv", channels): a separable convolution, BatchNorm, ReLU.
XCEPTION = {
    "entry_flow": [
        ("conv", 32, 2),
        ("conv", 64, 1),
        ("block", (128, 128), 2, False),
        ("block", (256, 256), 2, True),
        ("block", (728, 728), 2, True),
    ],
    "middle_flow": [("block", (728, 728, 728), 1, True)] * 8,
    "exit_flow": [
        ("block", (728, 1024), 2, True),
        ("sepconv", 1536),
        ("sepconv", 2048),
    ],
}


class XceptionBlock(HybridBlock):
    """A residual block of Xception (Figure 5).

    ``branch``: for each entry c of `channels`: ReLU (relu{i}; the first only if `relu_first`),
    `SeparableConv2D` to c (sepconv{i}), BatchNorm (bn{i}); then, if `strides` is 2, a 3x3/2
    max-pooling (pool). ``shortcut``: the input itself, or a 1x1 convolution (stride `strides`)
    + BatchNorm when the shape changes. Output: branch + shortcut (no ReLU).
    """

    def __init__(self, in_channels, channels, strides=1, relu_first=True, **kwargs):
        super().__init__(**kwargs)
        check_int(in_channels, "in_channels")
        if not isinstance(channels, (tuple, list)) or not channels:
            raise ValueError(f"channels lists the separable convolutions' channels, e.g. "
                             f"(728, 728, 728); got {channels!r}")
        for c in channels:
            check_int(c, "channels (of each separable convolution)")
        check_int(strides, "strides")
        out = channels[-1]
        with self.name_scope():
            self.branch = branch = nn.HybridSequential(prefix="branch_")
            with branch.name_scope():
                c_in = in_channels
                for i, c in enumerate(channels, start=1):
                    if i > 1 or relu_first:
                        setattr(branch, f"relu{i}", nn.Activation("relu", prefix=f"relu{i}_"))
                    setattr(branch, f"sepconv{i}",
                            SeparableConv2D(c, c_in, prefix=f"sepconv{i}_"))
                    setattr(branch, f"bn{i}", nn.BatchNorm(in_channels=c, prefix=f"bn{i}_"))
                    c_in = c
                if strides != 1:
                    branch.pool = nn.MaxPool2D(3, strides=strides, padding=1, prefix="pool_")
            self.shortcut = (conv_bn_act(out, 1, strides, in_channels=in_channels,
                                         activation=None, prefix="shortcut_")
                             if strides != 1 or in_channels != out else None)

    def hybrid_forward(self, F, x):
        y = self.branch(x)
        return F.np.add(y, x if self.shortcut is None else self.shortcut(x))


class Xception(Classifier):
    """Xception from a table of flows such as `XCEPTION`: the family's builder."""

    def __init__(self, num_classes=1000, in_channels=3, middle_flow_repeats=8, spec=XCEPTION,
                 **kwargs):
        super().__init__(num_classes, in_channels, **kwargs)
        if not (isinstance(middle_flow_repeats, int) and middle_flow_repeats >= 0):
            raise ValueError(f"middle_flow_repeats must be a whole number >= 0; "
                             f"got {middle_flow_repeats!r}")
        flows = dict(spec, middle_flow=[spec["middle_flow"][0]] * middle_flow_repeats)
        channels = in_channels
        with self.name_scope():
            self.features = body = nn.HybridSequential(prefix="features_")
            with body.name_scope():
                for flow_name, rows in flows.items():
                    flow = nn.HybridSequential(prefix=f"{flow_name}_")
                    counts = {}
                    with flow.name_scope():
                        for row in rows:
                            kind = row[0]
                            counts[kind] = counts.get(kind, 0) + 1
                            name = f"{kind}{counts[kind]}"
                            if kind == "block":
                                _, sep_channels, strides, relu_first = row
                                layer = XceptionBlock(channels, sep_channels, strides,
                                                      relu_first, prefix=f"{name}_")
                                channels = sep_channels[-1]
                            elif kind == "conv":  # 3x3, no padding
                                layer = conv_bn_act(row[1], 3, row[2], padding=0,
                                                    in_channels=channels, prefix=f"{name}_")
                                channels = row[1]
                            elif kind == "sepconv":
                                layer = conv_bn_act(row[1], 3, in_channels=channels,
                                                    separable=True, prefix=f"{name}_")
                                channels = row[1]
                            else:
                                raise ValueError(f"unknown row kind {kind!r} in {flow_name}")
                            setattr(flow, name, layer)
                    setattr(body, flow_name, flow)
                body.gap = nn.GlobalAvgPool2D(prefix="gap_")
                body.flatten = nn.Flatten(prefix="flatten_")
            self.output = nn.Dense(num_classes, in_units=channels, prefix="output_")


#: Published trainable parameters at 1000 classes and where they come from.
PUBLISHED = {
    "xception": PublishedCount(
        22_855_952, "Chollet 2017, Table 3 (22,855,952 parameters); equal to the trainable "
        "count of keras.applications.Xception (total 22,910,480 with BatchNorm moving "
        "statistics)"),
}


@register_model(input_size=299, min_size=7, published=PUBLISHED, year=2017,
                paper="chollet2017xception")
def xception(num_classes=1000, in_channels=3, **options):
    """Xception at 299x299 (Figure 5). Option: middle_flow_repeats (8)."""
    return Xception(num_classes, in_channels, **options)
