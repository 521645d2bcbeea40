"""Xception's entry, middle and exit flows (Chollet 2017, Figure 5), traced from the package's
network: separable convolutions as one box each (the depthwise 3x3 and the pointwise 1x1 with
nothing between them), the residual blocks with their shortcuts, the middle flow's block drawn
once with its repeat count read from the network."""
import dataclasses

from . import labels
from .blocks import conv_note, flow_layout
from .errors import DiagramError
from .layout import Layout, Text
from .page import bounds, finish
from .render import Drawing
from .rows import fold_label
from .source import resolve
from .structure import Par, decompose, fuse, nodes_of
from .style import SIZE, text_height
from .trace import trace_model

FLOWS = ("entry_flow", "middle_flow", "exit_flow")


def xception_flows(model="xception", input_shape=None, *, theme="light", legend=True,
                   title=None, **options):
    """The three flows of Xception side by side: the entry flow on the left, the middle and
    exit flows on the right. Returns a `Drawing`; ``layout.info["flows"]`` holds, for each
    flow, its blocks and the middle flow's repeat count."""
    src = resolve(model, input_shape, **options)
    net = src.net
    if not all(hasattr(getattr(net, "features", None), f) for f in FLOWS):
        raise DiagramError(f"{src.name} has no entry, middle and exit flows: draw 'xception'")
    g = fuse(trace_model(net, src.input_shape), separable=True)
    items = decompose(g)
    owner = [(it, g.nodes[it.join if isinstance(it, Par) else it].path) for it in items]
    omit = labels.common_post(g.nodes.values())
    columns, info = [], {}
    for flow in FLOWS:
        prefix = f"features.{flow}"
        mine = [it for it, p in owner if p.startswith(prefix + ".")]
        if not mine:
            raise DiagramError(f"{src.name}'s {flow} is empty")
        count, names = 1, [c for c in getattr(net.features, flow)._children]
        if flow == "middle_flow":
            mine, count, names = _first_of_repeats(g, mine, prefix)
        if flow == "exit_flow":  # the head follows it: pooling and classifier
            at = [i for i, (it, _) in enumerate(owner) if it is mine[-1]][0]
            mine = mine + [it for it, _ in owner[at + 1:]]
        source = _source_before(g, items, mine)
        columns.append((flow, [source] + mine, count))
        info[flow] = dict(blocks=names, count=count,
                          nodes=[n for n in nodes_of(mine)])
    parts = []
    for (flow, col_items, count), source in zip(columns, ("input", "from the entry flow",
                                                          "from the middle flow")):
        g2 = _relabelled(g, col_items[0], source)
        lay, _, _ = flow_layout(g2, col_items, omit=omit, max_label=100.0)
        head = flow.replace("_", " ").capitalize()
        if count > 1:
            head += f", repeated {count} times"
        x0, y0, x1, y1 = bounds(lay)
        lay.texts.append(Text((x0 + x1) / 2, y0 - 10 - text_height(SIZE) / 2, head, SIZE,
                              "bold"))
        parts.append(lay)
    layout = Layout(0, 0)
    entry, middle, exit_ = parts
    layout.merge(entry)
    ex0, ey0, ex1, ey1 = bounds(entry)
    mx0, my0, mx1, my1 = bounds(middle)
    dx = ex1 + 24 - mx0
    layout.merge(middle, dx=dx, dy=ey0 - my0)
    xx0, xy0, xx1, xy1 = bounds(exit_)
    layout.merge(exit_, dx=ex1 + 24 - xx0, dy=ey0 + (my1 - my0) + 18 - xy0)
    layout.info["flows"] = info
    finish(layout, title or f"{src.name}: entry, middle and exit flows (Chollet 2017, Fig. 5)",
           notes=[conv_note(omit), "sep. conv: a 3×3 depthwise convolution then a 1×1 "
                  "one, nothing between them"], legend=legend)
    return Drawing(layout, theme)


def _first_of_repeats(g, mine, prefix):
    """The items of the middle flow's first block, how many blocks repeat it, their names."""
    by_block = {}
    for it in mine:
        nid = it.join if isinstance(it, Par) else it
        block = g.nodes[nid].path[len(prefix) + 1:].split(".")[0]
        by_block.setdefault(block, []).append(it)
    blocks = list(by_block)
    keys = [labels.block_text(g, by_block[b], 0) for b in blocks]
    count = 1
    while count < len(keys) and keys[count] == keys[0]:
        count += 1
    if count != len(keys):
        raise DiagramError(f"the middle flow's blocks differ ({blocks[0]} vs {blocks[count]}): "
                           f"draw it with d2lcnn.diagram.network('xception')")
    return by_block[blocks[0]], count, [fold_label(blocks[0], blocks[-1])]


def _source_before(g, items, mine):
    """The node that feeds the first of `mine` (the previous flow's output, or the input)."""
    first = mine[0]
    if isinstance(first, Par):
        return first.fork
    preds = g.pred(first)
    return preds[0]


def _relabelled(g, source, name):
    """A copy of `g` where the column's `source` node is drawn as an input box `name`."""
    nodes = dict(g.nodes)
    nodes[source] = dataclasses.replace(nodes[source], kind="input", attrs={"label": name},
                                        pre=[], post=[])
    return type(g)(nodes, g.edges)
