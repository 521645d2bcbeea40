"""Lay out a decomposed graph (`structure.decompose`) top to bottom: a sequence is a column of
boxes, parallel branches stand side by side between their fork and their join.

Residual blocks keep the main path straight, the shortcut to its right and entering the "+"
from the side, as in He et al.'s figures; towers that are concatenated end on one wide
"concat" box, as in GoogLeNet's. Each box's ``info`` holds the node it draws (path, kind,
attributes, output shape), so tests compare the picture with the network.
"""
from . import labels
from .layout import Box, Edge, Text
from .page import wrap
from .structure import Par
from .style import SIZE, SMALL, text_height, text_width

PADX, PADY = 5.0, 3.0
GAP = 14.0          # between consecutive items (room for an arrow)
BRANCH_GAP = 8.0    # between parallel branches
LANE = 14.0         # width of an identity shortcut
MIN_W = 36.0
RADIUS = 7.0        # of the "+" of an addition
SPAN_MARGIN = 16.0  # a concat box reaches this far beyond its outer towers


class Flow:
    """Lays out one decomposed graph `g` into a `Layout`. `omit` is the post-operation list
    the drawing's note states once (see `labels.common_post`); `max_label` the widest a
    label may be before it wraps."""

    def __init__(self, g, layout, omit=(), shapes=True, max_label=120.0):
        self.g, self.layout, self.omit, self.shapes = g, layout, tuple(omit), shapes
        self.max_label = max_label
        self.boxes = {}   # node id -> box index

    # ----------------------------------------------------------------------------- measure
    def lines(self, n):
        main = wrap(labels.main(n), self.max_label)
        detail = labels.detail(n, self.omit, self.shapes)
        return ([(t, SIZE) for t in main]
                + ([(t, SMALL) for t in wrap(detail, self.max_label, SMALL, separators=(" · ",))]
                   if detail else []))

    def leaf_size(self, nid):
        n = self.g.nodes[nid]
        if n.kind == "add":
            side = labels.detail(n, (), self.shapes)
            w = 2 * RADIUS + (4 + text_width(side, SMALL) if side else 0)
            return w, 2 * RADIUS, (w - RADIUS if side else RADIUS)
        lines = self.lines(n)
        w = max(MIN_W, max(text_width(t, s) for t, s in lines) + 2 * PADX)
        h = sum(text_height(s) for _, s in lines) + 2 * PADY
        return w, h, w / 2

    def size(self, items):
        """(width, height, anchor) of a list of items: the anchor is the x of the column's
        axis, from its left edge."""
        left = right = h = 0.0
        for it in items:
            w, ih, a = self.par_size(it) if isinstance(it, Par) else self.leaf_size(it)
            left, right, h = max(left, a), max(right, w - a), h + ih
        h += GAP * max(0, len(items) - 1)
        return left + right, h, left

    def par_size(self, p):
        sizes = [self.size(b) if b else (LANE, 0.0, LANE / 2) for b in p.branches]
        w = sum(s[0] for s in sizes) + BRANCH_GAP * (len(sizes) - 1)
        h = max(s[1] for s in sizes)
        if self.residual(p):
            return w, h, sizes[0][2]
        return w, h, w / 2

    def residual(self, p):
        return self.g.nodes[p.join].kind == "add" and len(p.branches) == 2 and p.branches[0]

    # ------------------------------------------------------------------------------- place
    def place(self, items, ax, y):
        """Place `items` on the axis x = `ax` from y down; returns (entries, exits): the
        points where edges come in and go out, as (x, y, box index or None)."""
        first_entries, prev = None, None
        for it in items:
            if isinstance(it, Par):
                entries, exits, bottom = self.place_par(it, ax, y)
            else:
                entries, exits, bottom = self.place_leaf(it, ax, y, prev)
            if prev is not None:
                self.connect(prev, entries, it)
            first_entries = first_entries if first_entries is not None else entries
            prev, y = exits, bottom + GAP
        return first_entries or [], prev or []

    def place_leaf(self, nid, ax, y, prev):
        n = self.g.nodes[nid]
        w, h, a = self.leaf_size(nid)
        info = dict(n.attrs, node=nid, path=n.path, kind=n.kind, type=n.type, shape=n.shape,
                    members=list(n.members), post=list(n.post), pre=list(n.pre))
        if n.kind == "add":
            box = Box(ax - RADIUS, y, 2 * RADIUS, 2 * RADIUS, "merge", shape="circle",
                      info=info)
            box.texts.append(Text(ax, y + RADIUS, "+", SIZE + 2, "bold"))
            side = labels.detail(n, (), self.shapes)
            if side:
                self.layout.texts.append(Text(ax - RADIUS - 4, y + RADIUS, side, SMALL,
                                              ha="right", role="muted"))
            i = self.layout.add(box)
            self.boxes[nid] = i
            return [(ax, y, i)], [(ax, y + h, i)], y + h
        x0 = ax - a
        if n.kind == "concat" and prev and len(prev) > 1:  # span the towers above it
            lo = min(p[0] for p in prev) - SPAN_MARGIN
            hi = max(p[0] for p in prev) + SPAN_MARGIN
            x0, w = min(x0, lo), max(x0 + w, hi) - min(x0, lo)
        box = Box(x0, y, w, h, labels.kind(n), info=info,
                  shape="rect" if n.kind == "input" else "round")
        ty = y + PADY
        for text, size in self.lines(n):
            box.texts.append(Text(box.cx, ty + text_height(size) / 2, text, size,
                                  role="text" if size == SIZE else "muted"))
            ty += text_height(size)
        i = self.layout.add(box)
        self.boxes[nid] = i
        return [(box.cx, y, i)], [(box.cx, y + h, i)], y + h

    def place_par(self, p, ax, y):
        w, h, a = self.par_size(p)
        x = ax - a
        entries, exits = [], []
        for b in p.branches:
            bw, bh, ba = self.size(b) if b else (LANE, 0.0, LANE / 2)
            bx = x + ba
            if b:
                e, o = self.place(b, bx, y)
            else:  # identity: a lane the edges run along
                self.layout.edges.append(Edge([(bx, y), (bx, y + h)], arrow=False))
                e, o = [(bx, y, None)], [(bx, y + h, None)]
            entries += e
            exits += [(px, py, i, y + h) for px, py, i in o]
            x += bw + BRANCH_GAP
        return entries, exits, y + h

    # ----------------------------------------------------------------------------- connect
    def connect(self, exits, entries, target):
        """Edges from the `exits` of one item to the `entries` of the next."""
        edges = self.layout.edges
        if len(exits) == 1:
            x0, y0, src = exits[0][:3]
            for x1, y1, dst in entries:
                pts = [(x0, y0), (x1, y1)] if abs(x0 - x1) < 0.01 else \
                    [(x0, y0), (x0, y0 + GAP / 2), (x1, y0 + GAP / 2), (x1, y1)]
                edges.append(Edge(pts, src, dst, arrow=dst is not None))
            return
        (x1, y1, dst), = entries
        box = self.layout.boxes[dst]
        for x0, y0, src, _ in exits:
            if box.shape == "circle" and len(exits) == 2 and abs(x0 - x1) > 0.01:
                # a shortcut enters the "+" from the side
                cy = box.cy
                side = box.x if x0 < x1 else box.right
                pts = [(x0, y0), (x0, cy), (side, cy)]
            elif abs(x0 - x1) < 0.01 or box.x + 2 < x0 < box.right - 2:
                pts = [(x0, y0), (x0, y1)]
            else:
                pts = [(x0, y0), (x0, y1 - GAP / 2), (x1, y1 - GAP / 2), (x1, y1)]
            edges.append(Edge(pts, src, dst))
