"""Whole networks, drawn from the registry: a stack of stages and layers (vertical, for the
book's column) or a band of boxes (horizontal, for wide pages and slides).

Every row says what the layer or block is (kernel, stride, channels, or the block's layers),
its output shape for the drawing's input size and its trainable parameters from
`d2lcnn.summary`; repeated blocks are folded ("× 36"). The footer gives the totals and the
depth (convolution and dense layers on the longest path: 16 for VGG-16, 22 for GoogLeNet, 152
for ResNet-152, as the papers count).
"""
import re

from . import labels
from .blocks import conv_note
from .errors import DiagramError
from .layout import Box, Edge, Layout, Text
from .page import finish, wrap
from .render import Drawing
from .rows import Row, RowBuilder, body, flatten_rows, params_by_layer
from .source import resolve
from .structure import decompose, fuse, longest_path, nodes_of
from .style import COLUMN, SIZE, SMALL, text_height, text_width
from .trace import trace_model

PADX, PADY = 5.0, 3.0
ROW_GAP = 8.0        # between rows: room for an arrow
INDENT = 7.0         # of a stage's rows inside its frame
HEADER = 15.0        # a stage frame's label line
WEIGHTS = ("conv", "sepconv", "dense")


def network(model, input_shape=None, *, horizontal=False, params=True, summary=None,
            title=None, theme="light", legend=True, page_width=None, separable=True,
            **options):
    """Draw a whole network: a registered name (built with `options`, at the paper's input
    size unless `input_shape` is given) or a network block with its `input_shape`.

    ``horizontal=True`` lays it out left to right (wrapped at `page_width` points, default
    1000), for wide pages; the default is a column `page_width` points wide (default: the
    book's column).
    ``params=False`` skips `d2lcnn.summary` (no parameter column or totals, no forward pass);
    a summary already computed can be passed as `summary`. A depthwise convolution followed
    directly by a 1x1 one is drawn as one separable convolution unless ``separable=False``.
    Returns a `Drawing`; its layout's ``info`` holds the rows and the totals.
    """
    src = resolve(model, input_shape, **options)
    data = network_data(src, params=params, summary=summary, separable=separable)
    if horizontal:
        rows = data["rows_for"](170.0)
        layout = _horizontal(rows, page_width or 1000.0)
    else:
        rows, layout = _vertical(data["rows_for"], (page_width or COLUMN) - 20.0)
    notes = [conv_note(data["omit"])] + data["notes"]
    finish(layout, title or _title(src), notes=notes, legend=legend)
    layout.info.update({k: v for k, v in data.items() if k not in ("graph", "rows_for")})
    layout.info["rows"] = rows
    return Drawing(layout, theme)


def _title(src):
    c, h, w = src.input_shape
    return f"{src.name} at {h}×{w}×{c}"


def network_data(src, params=True, summary=None, separable=True):
    """A network's graph, its totals and ``rows_for(width)``: its rows, with the block
    descriptions fitted to `width` points (see `network`)."""
    g = fuse(trace_model(src.net, src.input_shape), separable=separable)
    items = decompose(g)
    omit = labels.common_post(g.nodes.values())
    s = summary
    if params and s is None:
        s = measure(src)
    elif s is not None:
        _check_summary(s, src, g)
    builder = RowBuilder(g, items, omit, params_by_layer(s) if s else None)
    units = body(src.net)
    source = g.nodes[g.source]

    def rows_for(width):
        rows = builder.rows(units, width)
        rows.insert(0, Row(["input"], "input", "input", "", "", source.shape, (), "input",
                           nodes=[source.id], all_nodes=[source.id]))
        return rows

    drawn = {n for r in flatten_rows(rows_for(1e9)) for n in r.all_nodes}
    missing = [g.nodes[n].path or g.nodes[n].kind for n in nodes_of(items) if n not in drawn]
    if missing:
        raise DiagramError(f"{src.name} does not read as a stack of layers ({missing[0]} is "
                           f"not inside one of its children); draw it with "
                           f"d2lcnn.diagram.block(...) instead")
    path = longest_path(g, lambda n: n.kind in WEIGHTS)
    depth = sum(1 for i in path if g.nodes[i].kind in WEIGHTS)
    separables = sum(1 for i in path if g.nodes[i].kind == "sepconv")
    depth += separables  # depthwise + pointwise, as MobileNet counts its 28 layers
    notes = [f"depth {depth}: convolution and dense layers on the longest path"
             + (" (a separable convolution counts as two)" if separables else "")]
    data = dict(graph=g, rows_for=rows_for, omit=omit, depth=depth, name=src.name,
                input_shape=src.input_shape, notes=notes)
    if s is not None:
        from ..summary import human
        data.update(trainable_params=s.trainable_params, macs=s.macs)
        notes.insert(0, f"{s.trainable_params:,} trainable parameters "
                        f"({human(s.trainable_params)}), {s.macs:,} multiply-accumulates "
                        f"({human(s.macs)}) per image, from d2lcnn.summary")
        aside = [r for r in s.rows if r.name == "(not called)"]
        if aside:
            notes.append(f"not drawn: {aside[0].trainable_params:,} parameters the forward "
                         f"pass does not use (auxiliary classifiers)")
    return data


def _check_summary(s, src, g):
    """A summary handed in must be of this network at this input size: else its counts
    would be drawn beside the wrong layers."""
    names = {re.sub(r"\[\d+\]$", "", r.name) for r in s.rows}
    missing = [n.path for n in g.nodes.values() if n.kind in WEIGHTS and not any(
        m == n.path or m.startswith(n.path + ".") for m in names)]
    if tuple(s.input_shape[1:]) != tuple(src.input_shape) or missing:
        what = (f"input {tuple(s.input_shape[1:])}, drawing {tuple(src.input_shape)}"
                if not missing else f"it has no layer {missing[0]!r}")
        raise DiagramError(f"summary= is not a summary of {src.name} at this input size "
                           f"({what}); compute it with d2lcnn.summary(net, input_shape) or "
                           f"leave it out")


def measure(src):
    """`d2lcnn.summary` of the source's network. A network this module built itself (from a
    registered name) gets zeros for parameters first: the counts and shapes are the same,
    and drawing the random numbers of a large network costs seconds."""
    from mxnet import init
    from ..summary import summary
    if src.info is not None:
        src.net.initialize(init.Zero())
    return summary(src.net, src.input_shape)


# ------------------------------------------------------------------------------- vertical

def _vertical(rows_for, width):
    """The rows as a column `width` points wide; returns (rows, layout)."""
    rows = rows_for(1e9)
    all_rows = list(_with_depth(rows))
    max_depth = max(d for _, d in all_rows)
    show_params = any(r.params is not None for r, _ in all_rows)
    label_w = max(text_width(r.label, SIZE, "bold") + d * INDENT for r, d in all_rows)
    shape_w = max(text_width(labels.shape(r.shape), SMALL) for r, _ in all_rows)
    params_w = (max(text_width(_params(r), SMALL) for r, _ in all_rows) if show_params else 0)
    count_w = max([text_width(f"× {r.count}", SIZE, "bold") for r, _ in all_rows
                   if r.count > 1] or [0])
    right = width - max_depth * INDENT - PADX
    cols = dict(params=right, shape=right - (params_w + 10 if show_params else 0))
    cols["count"] = cols["shape"] - shape_w - 8
    cols["text"] = PADX + label_w + 8
    avail = cols["count"] - (count_w + 6 if count_w else 0) - cols["text"]
    if avail < 120:
        raise DiagramError(f"a column {width + 20:.0f} pt wide leaves {avail:.0f} pt for the "
                           f"layers' descriptions; give a wider page_width=")
    rows = rows_for(avail - max([text_width(r.detail, SMALL) + 5 for r, _ in all_rows
                                 if r.kind == "block" and r.detail] or [0]))
    layout = Layout(0, 0)
    head_y = 0.0
    layout.texts.append(Text(cols["shape"], head_y, "output", SMALL, ha="right", role="muted"))
    if show_params:
        layout.texts.append(Text(cols["params"], head_y, "params", SMALL, ha="right",
                                 role="muted"))
    _stack(layout, rows, 0, 0.0, width, head_y + 8, cols, avail, show_params)
    return rows, layout


def _with_depth(rows, d=0):
    for r in rows:
        yield r, d
        yield from _with_depth(r.children, d + 1)


def _params(r):
    return "" if r.params is None or r.kind == "input" else f"{r.params:,}"


def _stack(layout, rows, depth, x0, x1, y, cols, avail, show_params):
    """Rows from y down between x0 and x1; returns (y below them, index of the first and
    last box)."""
    prev, first = None, None
    for r in rows:
        if r.children:
            top = y
            inner_y, _, _ = _stack(layout, r.children, depth + 1, x0 + INDENT, x1 - INDENT,
                                   y + HEADER, cols, avail, show_params)
            box = Box(x0, top, x1 - x0, inner_y - top + PADY, "none", shape="frame",
                      info=_info(r))
            _cells(box, r, cols, x0, top + HEADER / 2 + 1, show_params, header=True)
            i = layout.add(box)
            y = box.bottom
        else:
            h = text_height(SIZE) + 2 * PADY
            box = Box(x0, y, x1 - x0, h, r.kind if r.kind != "stage" else "block",
                      shape="rect" if r.kind == "input" else "round", info=_info(r))
            _cells(box, r, cols, x0, y + h / 2, show_params, avail=avail)
            i = layout.add(box)
            y = box.bottom
        if prev is not None:
            a, b = layout.boxes[prev], layout.boxes[i]
            ax = (x0 + x1) / 2
            layout.edges.append(Edge([(ax, a.bottom), (ax, b.y)], prev, i))
        first = i if first is None else first
        prev = i
        y += ROW_GAP
    return y - ROW_GAP, first, prev


def _info(r):
    return dict(name=r.label, paths=list(r.paths), row_kind=r.kind, type=r.type,
                text=r.text, detail=r.detail, shape=r.shape, count=r.count, params=r.params,
                nodes=list(r.nodes))


def _cells(box, r, cols, x0, cy, show_params, avail=None, header=False):
    box.texts.append(Text(x0 + PADX, cy, r.label, SIZE, "bold", ha="left"))
    if r.text:
        box.texts.append(Text(cols["text"], cy, r.text, SIZE, ha="left"))
        if r.detail:
            x = cols["text"] + text_width(r.text, SIZE) + 5
            box.texts.append(Text(x, cy, r.detail, SMALL, ha="left", role="muted"))
    if r.count > 1:
        box.texts.append(Text(cols["count"], cy, f"× {r.count}", SIZE, "bold", ha="right"))
    box.texts.append(Text(cols["shape"], cy, labels.shape(r.shape), SMALL, ha="right",
                          role="muted"))
    if show_params and _params(r):
        box.texts.append(Text(cols["params"], cy, _params(r), SMALL, ha="right",
                              role="muted"))


# ----------------------------------------------------------------------------- horizontal

def _hbox(r, x, y):
    """A column box for row `r` with its top-left at (x, y)."""
    lines = [(r.label, SIZE, "bold", "text")]
    lines += [(t, SIZE, "normal", "text") for t in wrap(r.text, 96.0)] if r.text else []
    lines += [(t, SMALL, "normal", "muted") for t in wrap(r.detail, 96.0, SMALL,
                                                          separators=(" · ",))] \
        if r.detail else []
    if r.count > 1:
        lines.append((f"× {r.count}", SIZE, "bold", "text"))
    lines.append((labels.shape(r.shape), SMALL, "normal", "muted"))
    w = max(48.0, max(text_width(t, s, wt) for t, s, wt, _ in lines) + 2 * PADX)
    h = sum(text_height(s) for _, s, _, _ in lines) + 2 * PADY
    box = Box(x, y, w, h, r.kind if r.kind != "stage" else "block",
              shape="rect" if r.kind == "input" else "round", info=_info(r))
    ty = y + PADY
    for t, s, wt, role in lines:
        box.texts.append(Text(box.cx, ty + text_height(s) / 2, t, s, wt, role=role))
        ty += text_height(s)
    return box


def _horizontal(rows, width):
    """Rows left to right; a stage is a frame around its rows; bands wrap at `width`."""
    layout = Layout(0, 0)
    groups = []   # (frame row or None, [boxes]) for each top-level row
    for r in rows:
        members = r.children if r.children else [r]
        boxes = [_hbox(m, 0, 0) for m in _leaves(members)]
        groups.append((r if r.children else None, boxes))
    gap, x, y, band_h, bands = 14.0, 0.0, HEADER, 0.0, [[]]
    for frame, boxes in groups:
        w = sum(b.w for b in boxes) + gap * (len(boxes) - 1) + (2 * INDENT if frame else 0)
        if x > 0 and x + w > width - 20:
            bands.append([])
            x = 0.0
        bands[-1].append((frame, boxes, x))
        x += w + gap
    order = []
    for band in bands:
        h = max(b.h for _, boxes, _ in band for b in boxes)
        for frame, boxes, bx in band:
            cx = bx + (INDENT if frame else 0)
            for b in boxes:
                b.moved(cx, y + (h - b.h) / 2)
                cx += b.w + gap
                order.append(layout.add(b))
            if frame is not None:
                fb = Box(bx, y - HEADER, cx - gap + INDENT - bx, h + HEADER + PADY, "none",
                         shape="frame", info=_info(frame))
                fb.texts.append(Text(bx + PADX, y - HEADER / 2, frame.label, SIZE, "bold",
                                     ha="left"))
                layout.add(fb)
        band_h = h
        y += band_h + HEADER + 22
    for a, b in zip(order, order[1:]):
        p, q = layout.boxes[a], layout.boxes[b]
        if q.x > p.right:
            layout.edges.append(Edge([(p.right, p.cy), (q.x, p.cy)] if abs(p.cy - q.cy) < 1
                                     else [(p.right, p.cy), (q.x, q.cy)], a, b))
        else:  # to the next band: down, back left, down
            mid = p.bottom + (q.y - HEADER - p.bottom) / 2 + 2
            layout.edges.append(Edge([(p.cx, p.bottom), (p.cx, mid), (q.cx, mid),
                                      (q.cx, q.y)], a, b))
    return layout


def _leaves(rows):
    for r in rows:
        if r.children:
            yield from _leaves(r.children)
        else:
            yield r
