"""The model registry: builders register themselves where they are defined.

``get_model(name, **options)`` builds a registered network and guards its input (channels,
smallest size) with a clear error; ``list_models()`` lists the names. An entry is derived from
the registered function: its name (the function's), its family (the module under
``d2lcnn.models`` it lives in), its class count and input channels (the defaults of its
``num_classes`` and ``in_channels`` arguments, which `get_model` builds when not told
otherwise). Each family keeps the parameter counts published for its networks, with their
sources, in one table (``PUBLISHED`` in its module), which the registry reads, so tests check
every built model against the published figure (``tests/test_registry.py``).
"""
import dataclasses
import inspect
import re
import warnings
from typing import Callable, NamedTuple, Optional, Union

from .errors import InputShapeError, UnknownModelError
from .npmode import require_np


class PublishedCount(NamedTuple):
    """A published trainable-parameter count at the registry's classes and channels, and where
    it was published (one row of a family's ``PUBLISHED`` table)."""

    params: int
    source: str


@dataclasses.dataclass(frozen=True)
class ModelInfo:
    """What the registry knows about one architecture."""

    name: str
    builder: Callable
    family: str               # the module / chapter it belongs to: "vgg", "resnet", ...
    input_size: int           # the paper's input side (224, 299, 32 for LeNet-5, 28 for lenet)
    in_channels: int          # input channels get_model builds by default (the paper's)
    min_size: Union[int, Callable[[dict], int]]  # smallest input side that runs (given options)
    expected_params: Optional[int] = None  # published trainable parameters at num_classes
    num_classes: int = 1000   # classes get_model builds by default (the paper's)
    source: str = ""          # where expected_params comes from
    year: Optional[int] = None
    paper: str = ""           # bibliography key in book/references.bib

    @property
    def expected_classes(self):
        """The class count `expected_params` refers to: the entry's `num_classes`."""
        return self.num_classes

    def smallest_input(self, options=None):
        size = self.min_size
        return size(options or {}) if callable(size) else size


_REGISTRY = {}


def _family(module):
    """'d2lcnn.models.inception.googlenet' -> 'inception'; any other module: its last name."""
    if ".models." in module:
        return module.split(".models.", 1)[1].split(".")[0]
    return module.rsplit(".", 1)[-1]


def _defaults(builder):
    """The defaults of the builder's num_classes and in_channels: what get_model builds."""
    params = inspect.signature(builder).parameters
    found = {}
    for arg in ("num_classes", "in_channels"):
        if arg not in params or params[arg].default is inspect.Parameter.empty:
            raise TypeError(f"register_model: {builder.__module__}.{builder.__name__} must take "
                            f"{arg}= with a default (the paper's), which get_model builds")
        found[arg] = params[arg].default
    return found["num_classes"], found["in_channels"]


def register_model(name=None, *, family=None, input_size=224, min_size=32, published=None,
                   year=None, paper=""):
    """Decorator for a builder ``f(num_classes=..., in_channels=..., **options) -> Block``.

    name, family: default to the function's name and its module's (see the module docstring).
    published: the family's table ``{name: PublishedCount(params, source)}``; the entry of
        this name, if any, is the count that tests compare with the built network.
    A name registered twice is an error: names must say which network they build.
    """
    def decorate(builder):
        key = (name or builder.__name__).lower()
        if key in _REGISTRY:
            raise ValueError(f"model name {key!r} is registered twice "
                             f"({_REGISTRY[key].builder.__module__} and {builder.__module__})")
        num_classes, in_channels = _defaults(builder)
        count, source = (published or {}).get(key, (None, ""))
        _REGISTRY[key] = ModelInfo(key, builder, family or _family(builder.__module__),
                                   input_size, in_channels, min_size, count, num_classes, source,
                                   year, paper)
        return builder
    return decorate


def list_models(family=None):
    """The registered names (of one family, if given), sorted."""
    _load_models()
    return sorted(n for n, info in _REGISTRY.items() if family in (None, info.family))


def model_info(name):
    """The registry entry of `name`; an unknown name is an error that lists the known ones."""
    _load_models()
    key = str(name).lower()
    if key not in _REGISTRY:
        import difflib
        close = difflib.get_close_matches(key, _REGISTRY, n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise UnknownModelError(f"unknown model {name!r}.{hint} Known models: "
                                f"{', '.join(sorted(_REGISTRY))}.")
    return _REGISTRY[key]


def get_model(name, num_classes=None, **options):
    """Build the registered network `name` (uninitialised), with an input check attached.

    Without `num_classes` (or ``in_channels=``) it has the registry's: the paper's, 10 classes
    and 1 channel for the Fashion-MNIST networks (``lenet``, ``lenet5``, ``googlenet_d2l``),
    1000 and 3 for the ImageNet ones. Other options go to the family's builder.
    """
    require_np(f"get_model({name!r})")
    info = model_info(name)
    num_classes = info.num_classes if num_classes is None else num_classes
    in_channels = options.pop("in_channels", info.in_channels)
    try:
        net = info.builder(num_classes=num_classes, in_channels=in_channels, **options)
    except TypeError as err:
        unknown = re.search(r"unexpected keyword argument '(\w+)'", str(err))
        if not unknown:
            raise
        option = unknown.group(1)
        hint = (" (the class count is num_classes=)" if option in {"classes", "n_classes"}
                else "")
        builder = f"{info.builder.__module__}.{info.builder.__name__}"
        raise TypeError(f"get_model({info.name!r}) has no option {option!r}{hint}; its options "
                        f"are the arguments of {builder} (see help({builder}))") from None
    net.register_forward_pre_hook(_input_check(info.name, in_channels,
                                               info.smallest_input(options)))
    net.hybridize = _hybridize_with_hook(net)
    return net


def _hybridize_with_hook(net):
    """``net.hybridize`` without MXNet's warning about the input check: that warning is about
    hooks on children of a hybridized block, which do not run; a hook on the network itself runs
    in ``__call__``, hybridized or not (tests/test_registry.py checks it does)."""
    hybridize = type(net).hybridize

    def quiet_hybridize(active=True, **kwargs):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r"(?s).*being hybridized while still having "
                                                      r"forward hook")
            return hybridize(net, active, **kwargs)
    quiet_hybridize.__doc__ = hybridize.__doc__
    return quiet_hybridize


def check_input_shape(model, shape, in_channels, min_size):
    """Raise InputShapeError if an (N, C, H, W) `shape` does not fit; used by the forward hook."""
    if len(shape) != 4:
        raise InputShapeError(f"{model} takes a batch of images shaped (N, C, H, W); got shape "
                              f"{tuple(shape)}. Add a batch axis with x.reshape(1, *x.shape).")
    _, c, h, w = shape
    if in_channels is not None and c != in_channels:
        raise InputShapeError(f"{model} was built for {in_channels}-channel images; got {c} "
                              f"channel(s). Build it with get_model(..., in_channels={c}).")
    if min(h, w) < min_size:
        raise InputShapeError(f"input {h}x{w} is too small for {model}: the smallest size that "
                              f"works is {min_size}x{min_size}. Resize the images (e.g. "
                              f"load_data_fashion_mnist(batch_size, resize={min_size})).")


def _input_check(model, in_channels, min_size):
    def hook(block, inputs):
        check_input_shape(model, inputs[0].shape, in_channels, min_size)
    return hook


_loaded = False


def _load_models():
    """Import the model modules so that their decorators fill the registry."""
    global _loaded
    if not _loaded:
        _loaded = True
        from . import models  # noqa: F401
