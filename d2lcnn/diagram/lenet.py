"""LeNet-5 in the manner of Figure 2 of LeCun et al. (1998): feature maps as stacks of planes
with their sizes ("C1: feature maps 6@28×28"), the operation between layers below, and C3's
connection table (Table I of the paper) as a 6 × 16 grid.

Both are read from the package's LeNet-5 (``d2lcnn.get_model("lenet5")``, or a LeNet built
from another table): the layers, their names (c1 -> C1), shapes and kinds from the traced
network, the connection table from its `PartialConv2D`.
"""
from . import labels
from .errors import DiagramError
from .layout import Box, Edge, Layout, Text
from .page import finish
from .render import Drawing
from .source import resolve
from .structure import fuse
from .style import SIZE, SMALL, text_height, text_width
from .trace import trace_model

PIXEL = 2.0      # points per pixel of a feature map
OFFSET = 2.2     # between stacked planes
UNIT = 0.45      # points of bar height per unit of a 1-D layer
GAP = 20.0


def _layers(model, input_shape, options):
    src = resolve(model, input_shape, **options)
    g = fuse(trace_model(src.net, src.input_shape))
    nodes = list(g.nodes.values())
    if nodes[0].kind != "input":
        raise DiagramError(f"{src.name}: the first node is not the input")
    return src, nodes


def _name(n, last):
    if n.kind == "input":
        return "INPUT"
    if last:
        return "OUTPUT"
    part = n.path.split(".")
    return (part[1] if len(part) > 1 else part[0]).upper()


def _caption(n):
    """The paper's words for the connection into layer `n`."""
    a = n.attrs
    if n.kind == "conv":
        return f"{labels.kernel(a['kernel'])} convolutions"
    if n.kind == "pool":
        return "subsampling" if a.get("pool") == "subsampling" else f"{a.get('pool')} pooling"
    if n.kind == "dense":
        return "Gaussian connections" if a.get("rbf") else "full connection"
    return labels.main(n)


def lenet5(model="lenet5", input_shape=None, *, theme="light", legend=True, title=None,
           **options):
    """LeNet-5 as the paper's Figure 2 draws it. Returns a `Drawing`; each stack's box
    ``info`` holds its name, maps and side."""
    src, nodes = _layers(model, input_shape, options)
    layout = Layout(0, 0)
    cols, x = [], 0.0
    label_h = 2 * text_height(SMALL)
    for i, n in enumerate(nodes):
        name, last = _name(n, i == len(nodes) - 1), i == len(nodes) - 1
        if len(n.shape) == 4 and n.shape[2] * n.shape[3] > 1:
            maps, side = n.shape[1], n.shape[2]
            head = f"{name}: feature maps" if i == 1 else (name if n.kind == "input"
                                                          else f"{name}: f. maps")
            sub = (f"{side}×{n.shape[3]}" if n.kind == "input"
                   else f"{maps}@{side}×{n.shape[3]}")
            w = side * PIXEL + OFFSET * (maps - 1)
            h = n.shape[2] * PIXEL + OFFSET * (maps - 1)
            cols.append(dict(node=n, name=name, head=head, sub=sub, w=w, h=h, maps=maps,
                             side=side, planes=True))
        else:
            units = n.shape[1]
            head = name if last else f"{name}: layer"
            cols.append(dict(node=n, name=name, head=head, sub=str(units), w=9.0,
                             h=max(12.0, units * UNIT), maps=units, side=1, planes=False))
    height = max(c["h"] for c in cols)
    for c in cols:
        c["col_w"] = max(c["w"], text_width(c["head"], SMALL), text_width(c["sub"], SMALL))
        c["x"] = x
        x += c["col_w"] + GAP
    top = label_h + 4
    for c in cols:
        n = c["node"]
        cx = c["x"] + c["col_w"] / 2
        y0 = top + (height - c["h"]) / 2
        info = dict(name=c["name"], path=n.path, maps=c["maps"], side=c["side"],
                    shape=n.shape, kind=n.kind)
        if c["planes"]:
            size = c["side"] * PIXEL
            x0 = cx - c["w"] / 2
            for k in range(c["maps"]):  # back to front: the first map in front, bottom left
                j = c["maps"] - 1 - k
                box = Box(x0 + j * OFFSET, y0 + (c["maps"] - 1 - j) * OFFSET, size, size,
                          labels.kind(n), shape="plane", group=c["name"],
                          info=dict(info, plane=j))
                layout.add(box)
        else:
            layout.add(Box(cx - c["w"] / 2, y0, c["w"], c["h"], labels.kind(n), shape="rect",
                           info=dict(info, plane=0)))
        layout.texts.append(Text(cx, text_height(SMALL) / 2, c["head"], SMALL))
        layout.texts.append(Text(cx, 1.5 * text_height(SMALL), c["sub"], SMALL,
                                 role="muted"))
        c["box"] = len(layout.boxes) - 1
        c["mid"] = top + height / 2
    captions = []
    for a, b in zip(cols, cols[1:]):
        x0 = a["x"] + (a["col_w"] + a["w"]) / 2
        x1 = b["x"] + (b["col_w"] - b["w"]) / 2
        y = a["mid"]
        layout.edges.append(Edge([(x0 + 2, y), (x1 - 2, y)], None, None))
        captions.append(((x0 + x1) / 2, _caption(b["node"])))
    base = top + height + 6
    for k, (cx, text) in enumerate(captions):  # two staggered lines, so neighbours never touch
        row = k % 2 if _crowded(captions) else 0
        layout.texts.append(Text(cx, base + (row + 0.5) * text_height(SMALL), text, SMALL,
                                 role="muted"))
    layout.info["layers"] = [dict(name=c["name"], head=c["head"], sub=c["sub"],
                                  path=c["node"].path, shape=c["node"].shape) for c in cols]
    finish(layout, title or f"{src.name}, drawn as Figure 2 of LeCun et al. (1998)",
           notes=["each plane is one feature map, drawn at its size (a pixel is "
                  f"{PIXEL:g} pt); C5, F6 and OUTPUT are vectors"], legend=legend)
    return Drawing(layout, theme)


def _crowded(captions):
    return any(x1 - x0 < (text_width(a, SMALL) + text_width(b, SMALL)) / 2 + 4
               for (x0, a), (x1, b) in zip(captions, captions[1:]))


def c3_table(model="lenet5", *, theme="light", legend=False, title=None, **options):
    """C3's connection table (Table I of the paper): a column per C3 map, a row per S2 map,
    "X" where the C3 map reads the S2 map. Read from the network's partial convolution;
    its connections and parameters are in the layout's ``info``."""
    src, nodes = _layers(model, None, options)
    partial = [n for n in nodes if n.attrs.get("partial")]
    if not partial:
        raise DiagramError(f"{src.name} has no partial convolution (a PartialConv2D with a "
                           f"connection table): draw lenet5")
    n = partial[0]
    table, in_maps = n.attrs["table"], n.attrs["in_channels"]
    cell = 15.0
    head_w = text_width("S2 map 0", SMALL) + 6
    layout = Layout(0, 0)
    y0 = 2 * text_height(SMALL) + 4
    layout.texts.append(Text(head_w + len(table) * cell / 2, text_height(SMALL) / 2,
                             f"{_name(n, False)} feature map", SMALL, "bold"))
    for j in range(len(table)):
        layout.texts.append(Text(head_w + (j + 0.5) * cell, 1.5 * text_height(SMALL) + 2,
                                 str(j), SMALL, role="muted"))
    for i in range(in_maps):
        layout.texts.append(Text(head_w - 6, y0 + (i + 0.5) * cell, f"S2 map {i}", SMALL,
                                 ha="right", role="muted"))
        for j, row in enumerate(table):
            on = i in row
            box = Box(head_w + j * cell, y0 + i * cell, cell, cell,
                      labels.kind(n) if on else "input", shape="cell",
                      info=dict(s2=i, c3=j, connected=on))
            if on:
                box.add_text(cell / 2, "X", size=SIZE, weight="bold")
            layout.add(box)
    k = n.attrs["kernel"]
    connections = sum(len(r) for r in table)
    params = connections * k[0] * k[1] + len(table)
    layout.info.update(table=table, connections=connections, params=params, path=n.path)
    finish(layout, title or f"{_name(n, False)}'s connection table (Table I of the paper)",
           notes=[f"{connections} connections × {k[0]}×{k[1]} weights + {len(table)} biases "
                  f"= {params:,} parameters ({len(table) * in_maps} connections, "
                  f"{len(table) * in_maps * k[0] * k[1] + len(table):,} parameters if full)"],
           legend=legend)
    return Drawing(layout, theme)
