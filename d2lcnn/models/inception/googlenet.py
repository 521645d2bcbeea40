"""GoogLeNet (Inception v1): Szegedy et al., "Going Deeper with Convolutions", CVPR 2015
{cite}`szegedy2015going`.

Table 1 of the paper is `GOOGLENET`: the stem, then the nine Inception blocks with their
columns ``#1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj``. Convolutions have biases and
ReLUs and no BatchNorm (``batch_norm=True`` adds it); the paper's local response normalisations
(Figure 3: after pool1 and after conv2) come with ``lrn=True``, with AlexNet's constants (the
paper gives none); dropout 0.4 before the classifier. The max-poolings round up
(``pool_mode="ceil"``, as Caffe's BVLC GoogLeNet), which gives Table 1's 112-56-28-14-7 at
224x224. The 7x7 average pooling is a global one, so other sizes work. The two auxiliary
classifiers (after 4a and 4d) come with ``aux_logits=True``; they are used in training only (see
`InceptionNet`). ``googlenet_d2l`` is d2l's version: no LRN, no dropout, padded max-poolings,
for 1-channel 96x96 images.
"""
from mxnet.gluon import HybridBlock, nn

from ...checks import check_int
from ...registry import register_model
from .branches import Mixed, conv
from .net import PUBLISHED, InceptionNet

__all__ = ["GOOGLENET", "GOOGLENET_AUX", "GOOGLENET_MIN_SIZE", "Inception", "GoogLeNetAux",
           "googlenet", "googlenet_d2l"]


class Inception(Mixed):
    """The Inception block of GoogLeNet (Figure 2(b)): a 1x1 convolution (`c1`), a 1x1 reduction
    then 3x3 (`c2` = (reduce, 3x3)), a 1x1 reduction then 5x5 (`c3` = (reduce, 5x5)), and a 3x3
    max-pooling then 1x1 projection (`c4`), concatenated: c1 + c2[1] + c3[1] + c4 channels.
    Same arguments as d2l's ``Inception(c1, c2, c3, c4)``; convolutions have ReLUs (and
    BatchNorm with ``bn=True``)."""

    def __init__(self, c1, c2, c3, c4, in_channels=0, bn=False, bn_scale=True, **kwargs):
        for name, pair_ in (("c2", c2), ("c3", c3)):
            if not (isinstance(pair_, (tuple, list)) and len(pair_) == 2):
                raise ValueError(f"{name} is (reduce, conv) channels, e.g. (96, 128); "
                                 f"got {pair_!r}")
        for name, c in (("c1", c1), ("c2", c2[0]), ("c2", c2[1]), ("c3", c3[0]), ("c3", c3[1]),
                        ("c4", c4)):
            check_int(c, f"{name}'s channels")
        super().__init__(in_channels, [
            [(c1, 1)],
            [(c2[0], 1), (c2[1], 3)],
            [(c3[0], 1), (c3[1], 5)],
            [("max", 3, 1, 1), (c4, 1)],
        ], bn=bn, bn_scale=bn_scale, **kwargs)


class GoogLeNetAux(HybridBlock):
    """GoogLeNet's auxiliary classifier (Section 5): 5x5/3 average pooling (4x4 maps at 14x14),
    1x1 convolution with 128 filters and ReLU, dense 1024 with ReLU, dropout 0.7, classifier."""

    def __init__(self, in_channels, num_classes, bn=False, bn_scale=True, **kwargs):
        super().__init__(**kwargs)
        check_int(num_classes, "num_classes")
        with self.name_scope():
            self.pool = nn.AvgPool2D(5, 3, prefix="pool_")
            self.conv = conv(128, 1, in_channels=in_channels, bn=bn, bn_scale=bn_scale,
                             prefix="conv_")
            self.flatten = nn.Flatten(prefix="flatten_")
            self.fc = nn.Dense(1024, activation="relu", prefix="fc_")
            self.dropout = nn.Dropout(0.7, prefix="dropout_")
            self.output = nn.Dense(num_classes, in_units=1024, prefix="output_")

    def hybrid_forward(self, F, x):
        x = self.fc(self.flatten(self.conv(self.pool(x))))
        return self.output(self.dropout(x))


#: Table 1 of Szegedy et al. 2014: (name, kind, arguments). "conv": (channels, kernel, stride,
#: padding); "maxpool": 3x3/2; "lrn" (only with lrn=True); "inception": the columns
#: (#1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj). Sizes at 224x224.
GOOGLENET = (
    ("conv1", "conv", (64, 7, 2, 3)),                           # 112x112x64
    ("pool1", "maxpool", (3, 2)),                               # 56x56x64
    ("lrn1", "lrn", ()),
    ("conv2_reduce", "conv", (64, 1, 1, 0)),                    # 56x56x64
    ("conv2", "conv", (192, 3, 1, 1)),                          # 56x56x192
    ("lrn2", "lrn", ()),
    ("pool2", "maxpool", (3, 2)),                               # 28x28x192
    ("inception3a", "inception", (64, 96, 128, 16, 32, 32)),    # 28x28x256
    ("inception3b", "inception", (128, 128, 192, 32, 96, 64)),  # 28x28x480
    ("pool3", "maxpool", (3, 2)),                               # 14x14x480
    ("inception4a", "inception", (192, 96, 208, 16, 48, 64)),   # 14x14x512
    ("inception4b", "inception", (160, 112, 224, 24, 64, 64)),  # 14x14x512
    ("inception4c", "inception", (128, 128, 256, 24, 64, 64)),  # 14x14x512
    ("inception4d", "inception", (112, 144, 288, 32, 64, 64)),  # 14x14x528
    ("inception4e", "inception", (256, 160, 320, 32, 128, 128)),  # 14x14x832
    ("pool4", "maxpool", (3, 2)),                               # 7x7x832
    ("inception5a", "inception", (256, 160, 320, 32, 128, 128)),  # 7x7x832
    ("inception5b", "inception", (384, 192, 384, 48, 128, 128)),  # 7x7x1024
)
#: Where GoogLeNet's auxiliary classifiers branch off, and the head each is.
GOOGLENET_AUX = (("aux1", "inception4a", GoogLeNetAux), ("aux2", "inception4d", GoogLeNetAux))


def _inception_row(in_channels, n1, r3, n3, r5, n5, pool, **kwargs):
    """A row of Table 1 (its six columns) as an `Inception` block."""
    return Inception(n1, (r3, n3), (r5, n5), pool, in_channels=in_channels, **kwargs)


#: GoogLeNet's smallest input side by (pool_mode, aux_logits): the 3x3/2 max-poolings need 3x3
#: maps unless padded, and the auxiliary heads' 5x5/3 pooling needs 5x5 maps out of 4a.
#: (Checked by symbolic shape inference in tests/test_models_inception.py.)
GOOGLENET_MIN_SIZE = {("ceil", False): 47, ("ceil", True): 79, ("pad", False): 1,
                      ("pad", True): 65, ("valid", False): 61, ("valid", True): 93}


def _googlenet_min(options, pool_mode="ceil"):
    return GOOGLENET_MIN_SIZE[(options.get("pool_mode", pool_mode),
                               bool(options.get("aux_logits", False)))]


def _googlenet_d2l_min(options):
    return _googlenet_min(options, pool_mode="pad")


def _build(num_classes, in_channels, defaults, options):
    return InceptionNet(GOOGLENET, num_classes, in_channels, aux=GOOGLENET_AUX,
                        blocks={"inception": _inception_row}, **{**defaults, **options})


@register_model(input_size=224, min_size=_googlenet_min, published=PUBLISHED, year=2014,
                paper="szegedy2015going")
def googlenet(num_classes=1000, in_channels=3, **options):
    """GoogLeNet (Inception v1). Options: lrn, dropout, aux_logits, batch_norm, pool_mode."""
    return _build(num_classes, in_channels,
                  dict(batch_norm=False, dropout=0.4, pool_mode="ceil"), options)


@register_model(input_size=96, min_size=_googlenet_d2l_min, published=PUBLISHED, year=2014,
                paper="szegedy2015going")
def googlenet_d2l(num_classes=10, in_channels=1, **options):
    """d2l's GoogLeNet: Table 1 without LRN and dropout, padded max-poolings (96x96 inputs)."""
    return _build(num_classes, in_channels,
                  dict(batch_norm=False, dropout=0.0, pool_mode="pad"), options)
