"""One module (or, past about 450 lines, one package) per architecture family; importing them
fills the registry (`d2lcnn.registry`)."""
from . import alexnet, inception, lenet, mobilenet, resnet, vgg, xception  # noqa: F401
