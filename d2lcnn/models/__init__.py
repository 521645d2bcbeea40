"""One module per architecture family; importing them fills the registry (d2lcnn.registry)."""
import importlib

FAMILIES = ("lenet", "alexnet", "vgg", "inception", "resnet", "xception", "mobilenet")

for _family in FAMILIES:
    try:  # TEMP until every family module exists (lead removes this at integration)
        importlib.import_module(f"{__name__}.{_family}")
    except ModuleNotFoundError as e:
        if e.name != f"{__name__}.{_family}":
            raise
