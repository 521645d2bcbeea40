"""Inception networks, each built from a table of its layers, one module per member (as
torchvision's and timm's Inception files):

* `googlenet`: GoogLeNet (Inception v1, Szegedy et al. 2015) and d2l's version;
* `inception_v3`: Inception-v3 as released (Szegedy et al. 2016);
* `inception_v4`: Inception-v4 and Inception-ResNet-v2 (Szegedy et al. 2017);
* `branches`: what they are made of (`Mixed`: parallel branches, concatenated), and `net`:
  the table-driven `InceptionNet` they all build, with the family's published counts.

BatchNorm (Inception-v3 and later) follows every convolution but the residual projections, and
convolutions before a BatchNorm have no bias. Its epsilon is 0.001 as in the authors' code.
``bn_scale`` says whether BatchNorm learns a scale (gamma): gluon-cv, torchvision and timm do
(default for v3 and v4), the authors' TF-slim and Keras do not (default for
Inception-ResNet-v2, whose published count is Keras').
"""
from .branches import BN_EPSILON, Mixed, conv
from .googlenet import (GOOGLENET, GOOGLENET_AUX, GOOGLENET_MIN_SIZE, GoogLeNetAux, Inception,
                        googlenet, googlenet_d2l)
from .inception_v3 import (INCEPTION_V3, INCEPTION_V3_AUX, InceptionA, InceptionAux,
                           InceptionB, InceptionC, InceptionD, InceptionE, inception_v3)
from .inception_v4 import (INCEPTION_RESNET_V2, INCEPTION_V4, InceptionResidual,
                           InceptionResNetA, InceptionResNetB, InceptionResNetC,
                           InceptionResNetReductionB, InceptionV4A, InceptionV4B, InceptionV4C,
                           ReductionA, ReductionB, inception_resnet_v2, inception_v4)
from .net import POOL_MODES, PUBLISHED, InceptionNet

__all__ = ["GOOGLENET", "GOOGLENET_AUX", "GOOGLENET_MIN_SIZE", "INCEPTION_V3",
           "INCEPTION_V3_AUX", "INCEPTION_V4", "INCEPTION_RESNET_V2", "PUBLISHED", "POOL_MODES",
           "BN_EPSILON", "Mixed", "conv", "Inception", "GoogLeNetAux", "InceptionA",
           "InceptionB", "InceptionC", "InceptionD", "InceptionE", "InceptionAux",
           "InceptionV4A", "InceptionV4B", "InceptionV4C", "ReductionA", "ReductionB",
           "InceptionResNetReductionB", "InceptionResidual", "InceptionResNetA",
           "InceptionResNetB", "InceptionResNetC", "InceptionNet", "googlenet", "googlenet_d2l",
           "inception_v3", "inception_v4", "inception_resnet_v2"]
