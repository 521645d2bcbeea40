"""Drawings of blocks, with their branches and merges, traced from the built blocks:

* `block`: any block, of a registered network (``block("resnet50",
  "features.conv2_x.block1")``: the paper's block with its real shapes) or built by hand
  (``block(d2lcnn.blocks.Residual(64), input_shape=(64, 56, 56))``): the Inception module,
  v3's factorised blocks, an Inception-ResNet block and its scale, basic and bottleneck
  residual blocks, MobileNetV2's inverted residual, a VGG block, a reader's own block;
* `resnext_paths`: ResNeXt's grouped bottleneck beside its equivalent form with one path per
  group (Xie et al., Figure 3);
* `conv_vs_separable`: a standard convolution beside a depthwise separable one, with their
  parameters and multiply-accumulates from `d2lcnn.summary`.

Xception's three flows are in `xception.py`.
"""
from . import labels
from .flow import Flow
from .layout import Layout, Text
from .page import bounds, finish
from .render import Drawing
from .source import block_graph, resolve
from .errors import DiagramError
from .structure import Par, decompose, fuse, is_depthwise
from .trace import Graph, Node, trace
from .style import SIZE, SMALL, text_height


def flow_layout(g, items, *, shapes=True, max_label=130.0, omit=None, layout=None, ax=0.0,
                y=0.0):
    """Lay out decomposed `items` of the fused graph `g`; returns (layout, flow, omit)."""
    layout = layout if layout is not None else Layout(0, 0)
    omit = labels.common_post(g.nodes.values()) if omit is None else omit
    flow = Flow(g, layout, omit=omit, shapes=shapes, max_label=max_label)
    w, h, a = flow.size(items)
    flow.place(items, ax + a, y)
    return layout, flow, omit


def conv_note(omit):
    """The note that states once what follows every convolution."""
    if not omit:
        return "shapes: height×width×channels"
    return (f"every conv is followed by {' → '.join(omit)} unless its box says otherwise; "
            f"shapes: height×width×channels")


def block(model, path=None, input_shape=None, *, title=None, shapes=True, separable=True,
          theme="light", legend=True, max_label=130.0, **options):
    """Draw a block (or a whole small network) with its branches and merges.

    `model` is a registered name, with `path` the child path of the block in the network
    (as `d2lcnn.summary` names its layers: "features.inception3a"), or a Gluon block with its
    `input_shape` (C, H, W). A depthwise convolution followed directly by a 1x1 one (nothing
    between them: Xception's) is drawn as one separable convolution unless
    ``separable=False``. Returns a `Drawing` (figure + layout).
    """
    src = resolve(model, input_shape, **options)
    raw, target = block_graph(src, path)
    g = fuse(raw, separable=separable)
    items = decompose(g)
    layout, flow, omit = flow_layout(g, items, shapes=shapes, max_label=max_label)
    if title is None:
        where = f"{src.name} {path}" if path else src.name
        title = f"{type(target).__name__} ({where})" if path else where
    finish(layout, title, notes=[conv_note(omit)], legend=legend)
    return Drawing(layout, theme)


# ------------------------------------------------------------------------------------ ResNeXt

def resnext_paths(model="resnext50_32x4d", path="features.conv2_x.block2", input_shape=None,
                  *, shown=2, theme="light", legend=True):
    """ResNeXt's grouped bottleneck (left, traced from the network) beside its equivalent
    form (right): one path per group, each a 1x1 reduction to the group's width, a 3x3 on it
    and a 1x1 back to the block's width, the paths summed (Xie et al., Figure 3(a) and (c)).
    The right side is computed from the left block's convolutions: `groups` paths of
    ``inner / groups`` channels; `shown` of them are drawn, then the last."""
    src = resolve(model, input_shape)
    raw, target = block_graph(src, path)
    g = fuse(raw)
    items = decompose(g)
    convs = [g.nodes[i] for i in _main_path(g, items) if g.nodes[i].kind == "conv"]
    grouped = [n for n in convs if n.attrs.get("groups", 1) > 1]
    if len(convs) != 3 or len(grouped) != 1 or convs[1] is not grouped[0]:
        raise DiagramError(f"{path!r} of {src.name} is not a bottleneck with a grouped 3x3 "
                           f"(its main path has {len(convs)} convolutions, "
                           f"{len(grouped)} grouped): give a ResNeXt block")
    reduce_, mid, expand = convs
    groups = mid.attrs["groups"]
    width = mid.attrs["channels"] // groups
    layout, flow, omit = flow_layout(g, items, max_label=110.0)
    x0, y0, x1, y1 = bounds(layout)
    right = _paths_layout(g, items, reduce_, mid, expand, groups, width, shown, omit)
    rx0, _, rx1, _ = bounds(right)
    layout.merge(right, dx=x1 + 30 - rx0, dy=0)
    layout.texts.append(Text((x0 + x1) / 2, y0 - 12, f"grouped: {groups} groups of {width}",
                             SIZE, "bold"))
    layout.texts.append(Text(x1 + 30 + (rx1 - rx0) / 2, y0 - 12,
                             f"equivalent: {groups} paths", SIZE, "bold"))
    c_in, c_out = reduce_.attrs["in_channels"], expand.attrs["channels"]
    finish(layout, f"ResNeXt block, two ways ({src.name} {path})",
           notes=[conv_note(omit), f"the paths' 1×1 convolutions map {c_in} → {width} and "
                  f"{width} → {c_out} channels; summed, they equal the grouped block"],
           legend=legend)
    return Drawing(layout, theme)


def _main_path(g, items):
    """The nodes of the first (longest) branch at every fork."""
    out = []
    for it in items:
        if isinstance(it, Par):
            out += _main_path(g, it.branches[0])
        else:
            out.append(it)
    return out


def _paths_layout(g, items, reduce_, mid, expand, groups, width, shown, omit):
    """The equivalent form: input, `shown` paths + an ellipsis + the last path, their sum,
    the shortcut, the final addition (drawn with the same boxes and edges as any block)."""
    inp = g.nodes[items[0]]
    out_add = g.nodes[[i for i in items if not isinstance(i, Par)][-1]]
    nodes, edges, nid = {}, [], 0

    def node(kind, attrs=None, shape=(), post=()):
        nonlocal nid
        nid += 1
        nodes[nid] = Node(nid, kind, f"path{nid}", "path", dict(attrs or {}), shape,
                          post=list(post))
        return nid

    src = node("input", shape=inp.shape)
    chains = []
    idx = list(range(1, shown + 1)) + ([groups] if groups > shown else [])
    for p in idx:
        a = node("conv", dict(reduce_.attrs, channels=width, groups=1, path_index=p),
                 reduce_.shape[:1] + (width,) + tuple(reduce_.shape[2:]), reduce_.post)
        b = node("conv", dict(mid.attrs, channels=width, groups=1, in_channels=width,
                              path_index=p),
                 mid.shape[:1] + (width,) + tuple(mid.shape[2:]), mid.post)
        c = node("conv", dict(expand.attrs, in_channels=width, path_index=p), expand.shape)
        edges += [(src, a), (a, b), (b, c)]
        chains.append([a, b, c])
    total = node("add", {"paths": groups}, expand.shape, expand.post)  # BN after the sum
    edges += [(ch[-1], total) for ch in chains]
    final = node("add", {}, out_add.shape, out_add.post)
    edges += [(total, final), (src, final)]
    pg = Graph(dict(sorted(nodes.items())), edges)
    layout, flow, _ = flow_layout(pg, decompose(pg), max_label=80.0, omit=omit)
    if groups > shown:  # an ellipsis between the shown paths and the last one
        boxes = [layout.boxes[flow.boxes[ch[1]]] for ch in chains]
        a, b = boxes[-2], boxes[-1]
        gap_x = (a.right + b.x) / 2
        layout.texts.append(Text(gap_x, a.cy, "…", SIZE + 2, "bold"))
        for box, p in zip(boxes, idx):
            box.info["path_index"] = p
    return layout


# --------------------------------------------------------------------- standard vs separable

def conv_vs_separable(model="mobilenet_v1", path="features.block2", input_shape=None, *,
                      theme="light", legend=True):
    """A standard convolution (left) beside the depthwise separable one at `path` (right),
    with the same input, output channels, kernel and stride, and their parameters and
    multiply-accumulates as `d2lcnn.summary` counts them (so the saving is the book's own
    arithmetic)."""
    from mxnet.gluon import nn
    from ..summary import summary
    src = resolve(model, input_shape)
    raw, target = block_graph(src, path)
    g = fuse(raw)
    items = decompose(g)
    chain = [g.nodes[i] for i in items if not isinstance(i, Par)]
    if ([n.kind for n in chain] != ["input", "conv", "conv"] or len(chain) != len(items)
            or not is_depthwise(chain[1]) or chain[2].attrs["kernel"] != (1, 1)):
        raise DiagramError(f"{path!r} of {src.name} is not a depthwise convolution followed "
                           f"by a 1x1 one: give a MobileNet or Xception layer")
    depthwise, pointwise = chain[1:]
    in_shape = tuple(g.nodes[items[0]].shape[1:])
    standard = nn.Conv2D(pointwise.attrs["channels"], depthwise.attrs["kernel"],
                         strides=depthwise.attrs["stride"], padding=depthwise.attrs["pad"],
                         use_bias=False, in_channels=in_shape[0])
    s_std, s_sep = summary(standard, in_shape), summary(target, in_shape)
    weights = {k: sum(r.trainable_params for r in s.rows if r.type == "Conv2D")
               for k, s in (("standard", s_std), ("separable", s_sep))}
    sg = fuse(trace(standard, in_shape))
    left, _, omit = flow_layout(sg, decompose(sg), max_label=120.0, omit=())
    right, _, _ = flow_layout(g, items, max_label=120.0, omit=())
    lx0, ly0, lx1, ly1 = bounds(left)
    rx0, ry0, rx1, ry1 = bounds(right)
    layout = Layout(0, 0)
    layout.merge(left)
    dx = lx1 + 40 - rx0
    layout.merge(right, dx=dx)
    bottom = max(ly1, ry1) + 8
    for (x0, x1), name, key, s in (((lx0, lx1), "standard", "standard", s_std),
                                   ((rx0 + dx, rx1 + dx), "depthwise separable", "separable",
                                    s_sep)):
        cx = (x0 + x1) / 2
        layout.texts.append(Text(cx, ly0 - 12, name, SIZE, "bold"))
        layout.texts.append(Text(cx, bottom + text_height(SMALL) / 2,
                                 f"{weights[key]:,} weights", SMALL, role="muted"))
        layout.texts.append(Text(cx, bottom + 1.5 * text_height(SMALL) + 2,
                                 f"{s.macs:,} MACs", SMALL, role="muted"))
    n, kk = pointwise.attrs["channels"], depthwise.attrs["kernel"][0] * depthwise.attrs[
        "kernel"][1]
    finish(layout, f"Standard vs depthwise separable convolution ({src.name} {path})",
           notes=[f"separable / standard: {s_sep.macs / s_std.macs:.3f} of the "
                  f"multiply-accumulates (1/{n} + 1/{kk} = {1 / n + 1 / kk:.3f}); convolution "
                  f"weights and MACs from d2lcnn.summary (BatchNorm left out)"],
           legend=legend)
    layout.info.update(standard=(weights["standard"], s_std.macs),
                       separable=(weights["separable"], s_sep.macs))
    return Drawing(layout, theme)


__all__ = ["block", "resnext_paths", "conv_vs_separable", "flow_layout", "conv_note"]
