"""The building blocks of the book, one per paper idea, gathered in one place for homework:
``from d2lcnn.blocks import Residual, vgg_block``. Each lives with its family in
``d2lcnn/models/<family>`` next to the spec table that uses it; the layers every family shares
(the convolution -> BatchNorm -> activation unit, the separable convolution, ReLU6) live in
``d2lcnn/layers.py``."""
from .layers import ConvBNAct, ReLU6, SeparableConv2D, conv_bn_act  # shared by the families
from .models.alexnet import LRN                                   # Krizhevsky et al. 2012
from .models.inception import (Inception,                          # Szegedy et al. 2015
                               InceptionA, InceptionB, InceptionC, InceptionD, InceptionE,
                               InceptionResNetA, InceptionResNetB, InceptionResNetC,
                               InceptionResidual)                  # Szegedy et al. 2016, 2017
from .models.lenet import PartialConv2D, ScaledTanh, Subsampling   # LeCun et al. 1998
from .models.mobilenet import DepthwiseSeparable, InvertedResidual  # Howard 2017, Sandler 2018
from .models.resnet import Bottleneck, Residual, resnet_block     # He et al. 2016, Xie et al. 2017
from .models.vgg import vgg_block                                  # Simonyan & Zisserman 2015
from .models.xception import XceptionBlock                         # Chollet 2017

__all__ = ["ConvBNAct", "conv_bn_act", "LRN", "Inception", "InceptionA", "InceptionB",
           "InceptionC", "InceptionD", "InceptionE", "InceptionResNetA", "InceptionResNetB",
           "InceptionResNetC", "InceptionResidual", "PartialConv2D", "ScaledTanh", "Subsampling",
           "DepthwiseSeparable", "InvertedResidual", "ReLU6", "Bottleneck", "Residual",
           "resnet_block", "vgg_block", "SeparableConv2D", "XceptionBlock"]
