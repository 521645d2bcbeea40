"""The shape every classifier of the book shares: ``features``, then ``output``.

``features`` is everything up to the classifier's input (for VGG and AlexNet that includes the
hidden dense layers fc6 and fc7; for the others it ends with the global pooling and flatten);
``output`` is the last dense layer. `forward_features` and `forward_head` are timm's names for
the two halves: fine-tuning (`d2lcnn.finetune`) freezes the first and replaces the second.
"""
from mxnet.gluon import HybridBlock

from ..checks import check_int

__all__ = ["Classifier"]


class Classifier(HybridBlock):
    """Base class of the registered networks: subclasses build ``self.features`` and
    ``self.output`` in their ``__init__``; the forward pass is ``output(features(x))``.

    ``num_classes`` and ``in_channels`` are checked here (whole numbers >= 1) and kept as
    attributes, so that code that receives a network can ask what it was built for.
    """

    def __init__(self, num_classes, in_channels, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = check_int(num_classes, "num_classes")
        self.in_channels = check_int(in_channels, "in_channels")

    def forward_features(self, x):
        """The image batch -> what the classifier takes (the flattened features)."""
        return self.features(x)

    def forward_head(self, x):
        """The features -> the class scores (logits)."""
        return self.output(x)

    def hybrid_forward(self, F, x):
        return self.forward_head(self.forward_features(x))
