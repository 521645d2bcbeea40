"""`InceptionNet`: the network every Inception table builds, and the family's published counts.

A table row is ``(name, kind, arguments)``. The kinds every table may use are "conv"
((channels, kernel, stride, padding), a `branches.conv` unit), "maxpool" ((kernel, stride)),
"lrn" (only with ``lrn=True``) and "mixed" (a `branches.Mixed` of the given branches); the
others are the member's blocks, which its builder passes as ``blocks={kind: class}`` (a class
called with the input channels, the row's arguments, ``bn`` and ``bn_scale``).
"""
from mxnet import autograd
from mxnet.base import MXNetError
from mxnet.gluon import nn
from mxnet.ndarray import NDArray

from ...checks import check_rate
from ...registry import PublishedCount
from ..alexnet import LRN
from ..base import Classifier
from .branches import Mixed, conv

__all__ = ["PUBLISHED", "POOL_MODES", "InceptionNet"]

#: Published trainable parameters at the registry's classes and channels, and their sources.
PUBLISHED = {
    "googlenet": PublishedCount(
        6_998_552, "closed form from Table 1 of Szegedy et al. 2014 (weights and biases, no "
        "auxiliary classifiers), re-derived layer by layer in d2lcnn's tests; "
        "the paper's Table 1 sums to about 6.8M"),
    "googlenet_d2l": PublishedCount(
        5_977_530, "closed form of d2l's GoogLeNet (Dive into Deep Learning, Sec. 8.4: Table "
        "1's widths, 1 input channel, 10 classes), re-derived in d2lcnn's tests"),
    "inception_v3": PublishedCount(
        23_834_568, "torchvision.models.inception_v3 without its auxiliary classifier "
        "(27,161,264 with it); equal to gluoncv.model_zoo.get_model('inceptionv3') in "
        "d2lcnn's tests"),
    "inception_v4": PublishedCount(
        42_679_816, "timm's inception_v4 at 1000 classes (model card: 42.7M), re-derived in "
        "closed form in d2lcnn's tests"),
    "inception_resnet_v2": PublishedCount(
        55_813_192, "Keras applications.InceptionResNetV2: 'Trainable params: 55,813,192' "
        "(55,873,736 in all with the BatchNorm moving statistics; BatchNorm without scale), "
        "re-derived in closed form in d2lcnn's tests"),
}

#: How the tables' "maxpool" rows treat the border: round the output size up (Caffe), pad by
#: 1 (d2l), or no padding and round down (TensorFlow's VALID).
POOL_MODES = ("ceil", "pad", "valid")


class InceptionNet(Classifier):
    """An Inception network built from a table (`GOOGLENET`, `INCEPTION_V3`, `INCEPTION_V4`,
    `INCEPTION_RESNET_V2`; see the module docstring for the rows).

    ``features`` holds the table's layers then a global average pooling, flatten and dropout;
    ``output`` is the classifier (replace it to fine-tune). With ``aux_logits=True`` the
    auxiliary classifiers (``aux1``, ``aux2`` or ``aux``, counted apart from ``features`` and
    ``output``) branch off the layers `aux` names (rows ``(attribute, tapped layer, head
    class)``): in training (``autograd.record()``) the network returns ``(main, aux1, ...)``;
    in prediction the main output only. With auxiliary heads the network runs its parts one
    by one (each hybridized if the network is), so that the heads can tap them; export it with
    ``aux_logits=False``. The first prediction also lets the heads infer their parameter
    shapes without running them, so that `d2lcnn.summary` (which predicts) can count them, as
    its "(not called)" row.

    ``pool_mode`` is one of `POOL_MODES`. ``batch_norm`` puts BatchNorm in every convolution
    unit (``bn_scale``: with a learned scale); ``lrn`` keeps the table's "lrn" rows.
    """

    def __init__(self, table, num_classes=1000, in_channels=3, batch_norm=True, bn_scale=True,
                 lrn=False, dropout=0.0, aux_logits=False, aux=(), pool_mode="valid",
                 blocks=None, **kwargs):
        super().__init__(num_classes, in_channels, **kwargs)
        if pool_mode not in POOL_MODES:
            raise ValueError(f"pool_mode must be 'ceil', 'pad' or 'valid'; got {pool_mode!r}")
        check_rate(dropout, "dropout")
        blocks = blocks or {}
        bn = dict(bn=batch_norm, bn_scale=bn_scale)
        self._aux_taps, self._aux_shapes_known = {}, False
        with self.name_scope():
            self.features = body = nn.HybridSequential(prefix="features_")
            channels, taps = in_channels, {}
            with body.name_scope():
                for name, kind, args in table:
                    prefix = f"{name}_"
                    if kind == "conv":
                        layer = conv(*args, in_channels=channels, prefix=prefix, **bn)
                        out = args[0]
                    elif kind == "maxpool":
                        kernel, strides = args
                        layer = nn.MaxPool2D(kernel, strides, padding=int(pool_mode == "pad"),
                                             ceil_mode=pool_mode == "ceil", prefix=prefix)
                        out = channels
                    elif kind == "lrn":
                        if not lrn:
                            continue
                        layer, out = LRN(prefix=prefix), channels
                    elif kind == "mixed":
                        layer = Mixed(channels, args, prefix=prefix, **bn)
                        out = layer.out_channels
                    elif kind in blocks:
                        layer = blocks[kind](channels, *args, prefix=prefix, **bn)
                        out = layer.out_channels
                    else:
                        raise ValueError(f"unknown layer kind {kind!r} in row {name!r}")
                    setattr(body, name, layer)
                    taps[name] = channels = out
                body.avgpool = nn.GlobalAvgPool2D(prefix="avgpool_")
                body.flatten = nn.Flatten(prefix="flatten_")
                if dropout:
                    body.dropout = nn.Dropout(dropout, prefix="dropout_")
            self.output = nn.Dense(num_classes, in_units=channels, prefix="output_")
            for attr, after, head in (aux if aux_logits else ()):
                if after not in taps:
                    raise ValueError(f"auxiliary classifier {attr!r} taps {after!r}, which is "
                                     f"not a layer of the table")
                setattr(self, attr, head(taps[after], num_classes, prefix=f"{attr}_", **bn))
                self._aux_taps.setdefault(after, []).append(attr)

    def forward(self, x, *args):
        if not self._aux_taps or not isinstance(x, NDArray):
            return super().forward(x, *args)
        if not autograd.is_training():  # the main path only; its parts run hybridized
            if self._aux_shapes_known:
                return self.forward_head(self.forward_features(x))
            return self._run_parts(x, infer_heads=True)
        return self._run_parts(x)

    def _run_parts(self, x, infer_heads=False):
        """The table's layers one by one, tapping the auxiliary heads. In training, returns
        ``(main, aux1, ...)``. With ``infer_heads`` (the first prediction), the main output
        only, and the heads learn their parameter shapes by symbolic inference instead of
        running: a deferred shape (GoogLeNet's head's dense layer, whose input size depends
        on the image size) is then known, so that the heads' parameters can be counted
        (`d2lcnn.summary` runs in prediction mode) before the first training step."""
        aux = {}
        for name, layer in self.features._children.items():
            x = layer(x)
            for attr in self._aux_taps.get(name, ()):
                if not infer_heads:
                    aux[attr] = getattr(self, attr)(x)
                    continue
                try:
                    getattr(self, attr).infer_shape(x)
                except MXNetError:  # maps too small for the head: it could not train either
                    pass
        if infer_heads:
            self._aux_shapes_known = all(
                all(d > 0 for d in p.shape)
                for attrs in self._aux_taps.values() for attr in attrs
                for p in getattr(self, attr).collect_params().values())
            return self.forward_head(x)
        heads = [attr for attrs in self._aux_taps.values() for attr in attrs]
        return (self.forward_head(x), *(aux[attr] for attr in sorted(heads)))
