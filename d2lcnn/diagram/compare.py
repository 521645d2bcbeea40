"""Several networks side by side at one scale (the closing chapter's figure).

Each network is a column of slabs, one per convolution or dense layer on its longest path
(its depth, as the papers count it), all networks with the same height per layer and the same
width per doubling of the channels, coloured by kind; the numbers on the left of a column are
the feature maps' side where it changes. Below each column: depth, trainable parameters and
multiply-accumulates from `d2lcnn.summary`.
"""
import math

from . import labels
from .errors import DiagramError
from .layout import Box, Layout, Text
from .page import finish
from .render import Drawing
from .source import resolve
from .structure import fuse, longest_path
from .style import SIZE, SMALL, text_height, text_width
from .trace import trace_model

DEFAULT = ("lenet5", "alexnet", "vgg16", "googlenet", "resnet50", "xception", "mobilenet_v2")
WEIGHTS = ("conv", "sepconv", "dense")


def compare(models=DEFAULT, *, unit=4.0, width_per_doubling=4.5, params=True,
            summaries=None, theme="light", legend=True, title=None):
    """Draw `models` (registered names, each at its paper's input size) side by side: `unit`
    points of height per layer and `width_per_doubling` points of width per doubling of the
    channels, the same for every network. `summaries` ({name: a `d2lcnn.summary`, or a row
    of `d2lcnn.architecture_table`}) reuses measurements already made; otherwise each network
    is measured by `d2lcnn.summary`, unless ``params=False`` leaves the totals out.
    Returns a `Drawing`; its layout's ``info["columns"]`` holds each network's data."""
    if isinstance(models, str) or not models:
        raise DiagramError("compare() takes a list of registered model names, e.g. "
                           "['vgg16', 'resnet50']")
    columns = [_column(name, params, (summaries or {}).get(name)) for name in models]
    layout = Layout(0, 0)
    x = 0.0
    top = text_height(SIZE) + 4
    for col in columns:
        widths = [_slab_width(c, width_per_doubling) for _, c, _, _ in col["layers"]]
        side_w = max([text_width(str(s), SMALL) for s in col["sides"]] or [0]) + 3
        stats = _stats(col)
        body_w = side_w + max(widths)
        col_w = max(body_w, text_width(col["name"], SIZE, "bold"),
                    max(text_width(s, SMALL) for s in stats))
        cx = x + side_w + max(widths) / 2 + (col_w - body_w) / 2
        layout.texts.append(Text(x + col_w / 2, top / 2, col["name"], SIZE, "bold"))
        y, last_label = top, -1e9
        for (kind, channels, side, path), w in zip(col["layers"], widths):
            box = Box(cx - w / 2, y, w, unit - 0.6, kind, shape="rect", role="slab",
                      info=dict(network=col["name"], channels=channels, side=side, path=path))
            layout.add(box)
            y += unit
        # the feature maps' side where it changes, where there is room for its label
        y = top
        prev = None
        for kind, channels, side, path in col["layers"]:
            if side != prev and side is not None and y - last_label >= text_height(SMALL):
                layout.texts.append(Text(cx - max(widths) / 2 - 3, y + text_height(SMALL) / 2,
                                         str(side), SMALL, ha="right", role="muted"))
                last_label = y + text_height(SMALL) - 0.5
            prev = side if side is not None else prev
            y += unit
        col["bottom"] = y
        col["x"], col["w"] = x, col_w
        x += col_w + 8
    bottom = max(c["bottom"] for c in columns) + 6
    for col in columns:
        for i, s in enumerate(_stats(col)):
            layout.texts.append(Text(col["x"] + col["w"] / 2,
                                     bottom + (i + 0.5) * text_height(SMALL), s, SMALL,
                                     role="muted" if i else "text"))
    layout.info["columns"] = [{k: v for k, v in c.items() if k not in ("x", "w", "bottom")}
                              for c in columns]
    finish(layout, title or "The networks at one scale",
           notes=[f"one slab per convolution or dense layer on the longest path, "
                  f"{unit:g} pt high; width grows by {width_per_doubling:g} pt per doubling "
                  f"of the channels", "left of each column: the feature maps' side where "
                  "it changes; each network at its paper's input size"], legend=legend)
    return Drawing(layout, theme)


def _column(name, params, s):
    src = resolve(name)
    g = fuse(trace_model(src.net, src.input_shape))
    path = [g.nodes[i] for i in longest_path(g, lambda n: n.kind in WEIGHTS)]
    layers = []
    for n in path:
        if n.kind not in WEIGHTS:
            continue
        side = n.shape[2] if len(n.shape) == 4 else None
        channels = n.attrs.get("channels", n.attrs.get("units"))
        layers.append((labels.kind(n), channels, side, n.path))
    col = dict(name=src.name, layers=layers, depth=len(layers),
               sides=[s for _, _, s, _ in layers if s is not None])
    if params:
        if s is None:
            from .networks import measure
            s = measure(src)
        if getattr(s, "name", name) != name:
            raise DiagramError(f"summaries[{name!r}] measures {s.name!r}")
        trainable = getattr(s, "trainable_params", None)
        col.update(trainable_params=s.params if trainable is None else trainable, macs=s.macs)
    return col


def _slab_width(channels, per_doubling):
    return max(4.0, per_doubling * math.log2(max(channels, 2)))


def _stats(col):
    from ..summary import human
    out = [f"{col['depth']} layers"]
    if "trainable_params" in col:
        out += [f"{human(col['trainable_params'])} params", f"{human(col['macs'])} MACs"]
    return out
