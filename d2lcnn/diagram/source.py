"""Where a drawing's network comes from: a registered name or a built block, an optional child
path inside it, and the input shape, all checked with errors that say what to do."""
import dataclasses

from .errors import DiagramError
from .trace import trace, trace_model


@dataclasses.dataclass
class Source:
    net: object          # the whole network (or the block, when given a block)
    name: str            # registered name, or the block's class name
    input_shape: tuple   # (C, H, W) of the network's input
    info: object = None  # the registry entry, for registered names


def resolve(model, input_shape=None, **options):
    """A registered name (built with the paper's class count and `options`) or a Gluon block,
    and the input shape: the registry's default for a name; required for a block."""
    from mxnet.gluon import Block
    from ..registry import check_input_shape, get_model, model_info
    if isinstance(model, str):
        info = model_info(model)  # an unknown name is an UnknownModelError that lists them
        channels = options.get("in_channels", info.in_channels)
        shape = _shape(input_shape, channels, (channels, info.input_size, info.input_size))
        check_input_shape(info.name, (1,) + shape, channels, info.smallest_input(options))
        net = get_model(info.name, **{"num_classes": info.expected_classes, **options})
        return Source(net, info.name, shape, info)
    if isinstance(model, Block):
        if options:
            raise DiagramError(f"options {sorted(options)} only apply to registered names; "
                               f"build the block with them instead")
        if input_shape is None:
            raise DiagramError(f"drawing a {type(model).__name__} needs its input shape, e.g. "
                               f"input_shape=(64, 56, 56) (channels, height, width)")
        return Source(model, type(model).__name__, _shape(input_shape, None, None))
    raise DiagramError(f"draw a registered model name (d2lcnn.list_models()) or a Gluon "
                       f"block; got {type(model).__name__}")


def _shape(shape, channels, default):
    if shape is None:
        return tuple(default)
    try:
        shape = tuple(int(d) for d in shape)
    except (TypeError, ValueError):
        raise DiagramError(f"input_shape must be (channels, height, width) such as "
                           f"(3, 224, 224); got {shape!r}") from None
    if len(shape) == 2 and channels is not None:
        shape = (channels,) + shape
    if len(shape) == 4 and shape[0] == 1:
        shape = shape[1:]
    if len(shape) != 3 or any(d < 1 for d in shape):
        raise DiagramError(f"input_shape must be (channels, height, width) of positive sizes "
                           f"such as (3, 224, 224); got {shape!r}")
    return shape


def child(net, path):
    """The block at child path `path` ("features.conv2_x.block1") of `net`."""
    block = net
    for i, key in enumerate(path.split(".")):
        children = block._children
        if key not in children:
            here = ".".join(path.split(".")[:i]) or "the network"
            raise DiagramError(f"{path!r}: {here} has no child {key!r}; its children are "
                               f"{', '.join(children) or 'none'}")
        block = children[key]
    return block


def block_graph(src, path=None):
    """The traced graph of the block at `path` in `src` (the whole network when None), with
    the input shape it receives inside the network, and the block itself."""
    if path is None:
        if hasattr(src.net, "features") and hasattr(src.net, "output") and src.info:
            return trace_model(src.net, src.input_shape), src.net
        return trace(src.net, src.input_shape), src.net
    target = child(src.net, path)
    whole = trace_model(src.net, src.input_shape)
    inside = whole.under(path)
    if not inside:
        raise DiagramError(f"{path!r} is not called by the forward pass of {src.name}")
    preds = [p for p in whole.pred(inside[0].id) if whole.nodes[p].path != path
             and not whole.nodes[p].path.startswith(path + ".")]
    if not preds:
        in_shape = (1,) + tuple(src.input_shape)
    else:
        in_shape = whole.nodes[preds[0]].shape
    return trace(target, in_shape, root=src.net), target
