"""AlexNet's two towers (Krizhevsky et al. 2012, Figure 2): the paper's network split over two
GPUs, each holding half of every layer's maps. A layer with ``groups=2`` reads only its own
GPU's maps; the others (conv3 and the dense layers) read both, which is where the GPUs
exchange data. Drawn top to bottom from the package's ``alexnet_grouped``: the groups of each
convolution decide the connections, so the picture is the code's, not a copy of the paper's.
"""
import dataclasses

from . import labels
from .errors import DiagramError
from .layout import Box, Edge, Layout, Text
from .page import finish
from .render import Drawing
from .source import resolve
from .structure import fuse
from .style import COLUMN, SIZE, SMALL, text_height, text_width
from .trace import trace_model

PADX, PADY = 5.0, 3.0
ROW_GAP = 18.0
TOWERS = 2


def _tower_node(n):
    """The part of layer `n` one GPU holds: half the maps (or units)."""
    attrs = dict(n.attrs)
    if "channels" in attrs:
        attrs.update(channels=attrs["channels"] // TOWERS, groups=1)
    if "units" in attrs:
        attrs["units"] = attrs["units"] // TOWERS
    shape = tuple(n.shape)
    shape = shape[:1] + (shape[1] // TOWERS,) + shape[2:]
    return dataclasses.replace(n, attrs=attrs, shape=shape, pre=[])


def _reads_both(n):
    """Whether layer `n` reads both GPUs' maps: a convolution without groups, a dense layer."""
    return (n.kind == "conv" and n.attrs.get("groups", 1) == 1) or n.kind == "dense"


def alexnet_towers(model="alexnet_grouped", input_shape=None, *, theme="light", legend=True,
                   title=None, **options):
    """Draw AlexNet as two towers, one per GPU, with the connections between them in the
    theme's accent colour. `options` go to the model (``lrn=True`` adds the paper's local
    response normalisations). Returns a `Drawing`; ``layout.info["exchanges"]`` names the
    layers that read both towers."""
    src = resolve(model, input_shape, **options)
    g = fuse(trace_model(src.net, src.input_shape))
    nodes = list(g.nodes.values())
    convs = [n for n in nodes if n.kind == "conv"]
    if not any(n.attrs.get("groups", 1) == TOWERS for n in convs):
        raise DiagramError(f"{src.name} has no convolution with groups=2: draw "
                           f"'alexnet_grouped', the paper's two-GPU network")
    width = COLUMN - 20
    centers = [width * 0.25, width * 0.75]
    layout = Layout(0, 0)
    for k, cx in enumerate(centers):
        layout.texts.append(Text(cx, text_height(SIZE) / 2, f"GPU {k + 1}", SIZE, "bold"))
    y = text_height(SIZE) + 8
    prev, exchanges = None, []
    for i, n in enumerate(nodes):
        single = n.kind == "input" or i == len(nodes) - 1
        parts = [n] if single else [_tower_node(n)] * TOWERS
        xs = [width / 2] if single else centers
        row = []
        for part, cx in zip(parts, xs):
            lines = _lines(n, part, single)
            w = max(text_width(t, s, wt) for t, s, wt, _ in lines) + 2 * PADX
            h = sum(text_height(s) for _, s, _, _ in lines) + 2 * PADY
            exchange = prev is not None and len(prev) > 1 and _reads_both(n)
            box = Box(cx - w / 2, y, w, h, labels.kind(part),
                      shape="rect" if n.kind == "input" else "round",
                      role="accent" if exchange else "box",
                      info=dict(name=_short(n), path=n.path, kind=n.kind, tower=len(row),
                                channels=part.attrs.get("channels"),
                                units=part.attrs.get("units"), shape=part.shape,
                                reads_both=_reads_both(n), groups=n.attrs.get("groups")))
            ty = y + PADY
            for t, s, wt, role in lines:
                box.texts.append(Text(box.cx, ty + text_height(s) / 2, t, s, wt, role=role))
                ty += text_height(s)
            row.append(layout.add(box))
        if prev is not None:
            both = _reads_both(n)
            if both and len(prev) > 1:
                exchanges.append(_short(n))
            for a in prev:
                for b in row:
                    pa, pb = layout.boxes[a], layout.boxes[b]
                    cross = abs(pa.cx - pb.cx) > 1 and len(prev) > 1 and len(row) > 1
                    if cross and not both:
                        continue
                    layout.edges.append(Edge([(pa.cx, pa.bottom), (pb.cx, pb.y)], a, b,
                                             role="accent" if cross or (both and len(prev) > 1
                                                                        and len(row) == 1)
                                             else "edge"))
        prev = row
        y = max(layout.boxes[b].bottom for b in row) + ROW_GAP
    layout.info.update(exchanges=exchanges, name=src.name)
    finish(layout, title or f"{src.name}: the two towers of Krizhevsky et al. (2012)",
           notes=[f"outlined and linked in red: the layers that read both GPUs' maps "
                  f"({', '.join(exchanges)}); the others read their own GPU's half",
                  "each box is one GPU's half of the layer; shapes: height×width×channels"],
           legend=legend)
    return Drawing(layout, theme)


def _short(n):
    return n.path.split(".")[-1] if n.path else "input"


def _lines(n, part, single):
    """A tower box's lines: name and layer (half of it), then what it reads and its output."""
    head = (f"{_short(n)}: {labels.main(part)}" if n.kind != "input"
            else f"input {labels.shape(n.shape)}")
    lines = [(head, SIZE, "normal", "text")]
    if n.kind == "input":
        return lines
    detail = []
    if n.kind == "conv":
        cin = n.attrs.get("in_channels") or 0
        groups = n.attrs.get("groups", 1)
        detail.append(f"reads {cin // groups} maps" + ("" if groups > 1 or single
                                                      or cin == 3 else " (both GPUs)"))
    detail += [p for p in n.post if p != "ReLU"]
    detail.append(labels.shape(part.shape))
    lines.append((" · ".join(detail), SMALL, "normal", "muted"))
    return lines
