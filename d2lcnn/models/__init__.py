"""One module per architecture family; importing them fills the registry (d2lcnn.registry)."""
from . import alexnet, inception, lenet, mobilenet, resnet, vgg, xception  # noqa: F401

FAMILIES = ("lenet", "alexnet", "vgg", "inception", "resnet", "xception", "mobilenet")
