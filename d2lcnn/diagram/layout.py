"""What a drawing is made of, as data: boxes, texts and edges in points, computed without
matplotlib.

Coordinates are points (1/72 inch) from the top-left corner, y pointing down, so that a
layout's numbers read as its picture. Every drawing function returns its `Layout`, which tests
read: the text of each box (and the data it came from, in ``Box.info``), and `problems()`,
which finds overlapping items, text wider than its box and edges that cross boxes, from the
font's own advance widths (see `style.text_width`).
"""
import dataclasses
from typing import List, Optional, Tuple

from .style import SIZE, text_height, text_width

#: Box shapes: "round" (rounded corners), "rect", "circle" (add / scale nodes), "frame" (an
#: outline around other items: stages, towers), "plane" (a feature map, drawn in stacks that
#: overlap on purpose), "cell" (a cell of a table).
SHAPES = ("round", "rect", "circle", "frame", "plane", "cell")


@dataclasses.dataclass
class Text:
    """One line of text. (x, y) is its anchor: `ha` says which horizontal point of the text
    it is ("left", "center", "right"); vertically the anchor is always the middle."""

    x: float
    y: float
    text: str
    size: float = SIZE
    weight: str = "normal"
    ha: str = "center"
    role: str = "text"        # "text" or "muted" (secondary), coloured by the theme
    rotation: float = 0.0     # degrees; only 0 and 90 are laid out

    @property
    def width(self):
        return text_width(self.text, self.size, self.weight)

    def bbox(self):
        """(x0, y0, x1, y1) the text covers, estimated from the font's advance widths."""
        w, h = self.width, text_height(self.size)
        if self.rotation == 90:
            w, h = h, w
            return (self.x - w / 2, self.y - h / 2, self.x + w / 2, self.y + h / 2)
        x0 = {"left": self.x, "center": self.x - w / 2, "right": self.x - w}[self.ha]
        return (x0, self.y - h / 2, x0 + w, self.y + h / 2)


@dataclasses.dataclass
class Box:
    """A box, its texts (absolute positions) and the data it shows (`info`: name, kind of
    layer, channels, kernel, stride, output shape, repeats, ... whatever the drawing drew)."""

    x: float
    y: float
    w: float
    h: float
    kind: str                       # a key of style.KINDS, or "frame" / "none"
    texts: List[Text] = dataclasses.field(default_factory=list)
    shape: str = "round"
    info: dict = dataclasses.field(default_factory=dict)
    group: Optional[str] = None     # boxes of one group may overlap (stacked planes)
    role: str = "box"               # "box", or "accent" (outlined in the theme's accent)

    @property
    def text(self):
        """The box's texts, top to bottom, as one string (what a reader sees)."""
        return " | ".join(t.text for t in sorted(self.texts, key=lambda t: (t.y, t.x)))

    def bbox(self):
        return (self.x, self.y, self.x + self.w, self.y + self.h)

    @property
    def cx(self):
        return self.x + self.w / 2

    @property
    def cy(self):
        return self.y + self.h / 2

    @property
    def bottom(self):
        return self.y + self.h

    @property
    def right(self):
        return self.x + self.w

    def add_text(self, dy, text, **kwargs):
        """A centred line `dy` points below the box's top."""
        t = Text(self.cx, self.y + dy, text, **kwargs)
        self.texts.append(t)
        return t

    def moved(self, dx, dy):
        self.x += dx
        self.y += dy
        for t in self.texts:
            t.x += dx
            t.y += dy


@dataclasses.dataclass
class Edge:
    """A polyline from box `src` to box `dst` (indices into ``Layout.boxes``, or None for a
    free end), with an arrowhead at its end unless ``arrow=False``."""

    points: List[Tuple[float, float]]
    src: Optional[int] = None
    dst: Optional[int] = None
    arrow: bool = True
    role: str = "edge"      # "edge", "shortcut" (dashed) or "accent" (AlexNet's exchanges)


@dataclasses.dataclass
class Layout:
    """Everything a drawing shows. ``legend`` lists the kinds of the legend, in order."""

    width: float
    height: float
    boxes: List[Box] = dataclasses.field(default_factory=list)
    texts: List[Text] = dataclasses.field(default_factory=list)
    edges: List[Edge] = dataclasses.field(default_factory=list)
    legend: Tuple[str, ...] = ()
    title: str = ""
    info: dict = dataclasses.field(default_factory=dict)   # the drawing's data (totals, ...)

    def add(self, box):
        """Append `box`; returns its index (what edges refer to)."""
        self.boxes.append(box)
        return len(self.boxes) - 1

    def connect(self, src, dst, points=None, **kwargs):
        """An edge from the bottom of box `src` to the top of box `dst` (or along `points`)."""
        a, b = self.boxes[src], self.boxes[dst]
        points = points or [(a.cx, a.bottom), (b.cx, b.y)]
        self.edges.append(Edge(list(points), src, dst, **kwargs))
        return self.edges[-1]

    def find(self, **info):
        """The boxes whose ``info`` has all the given items."""
        return [b for b in self.boxes if all(b.info.get(k) == v for k, v in info.items())]

    def all_texts(self):
        return [t for b in self.boxes for t in b.texts] + list(self.texts)

    def shift(self, dx, dy):
        for b in self.boxes:
            b.moved(dx, dy)
        for t in self.texts:
            t.x += dx
            t.y += dy
        for e in self.edges:
            e.points = [(x + dx, y + dy) for x, y in e.points]

    def merge(self, other, dx=0.0, dy=0.0):
        """Add the items of `other`, moved by (dx, dy); returns the index offset of its boxes."""
        other.shift(dx, dy)
        offset = len(self.boxes)
        self.boxes += other.boxes
        self.texts += other.texts
        for e in other.edges:
            e.src = None if e.src is None else e.src + offset
            e.dst = None if e.dst is None else e.dst + offset
            self.edges.append(e)
        self.legend = tuple(dict.fromkeys(self.legend + other.legend))
        return offset

    def problems(self, tolerance=0.5):
        """What would make the drawing unreadable, as sentences (empty when all is well):
        items outside the canvas, text wider or taller than its box, boxes or texts that
        overlap, edges that run through a box or a text."""
        found = []
        canvas = (0.0, 0.0, self.width, self.height)
        for i, b in enumerate(self.boxes):
            if not _inside(b.bbox(), canvas, tolerance):
                found.append(f"box {i} ({b.text!r}) is outside the canvas")
            for t in b.texts:
                if not _inside(t.bbox(), _shrink(b.bbox(), 1.0), tolerance):
                    found.append(f"text {t.text!r} does not fit in its box {i} "
                                 f"({t.width:.1f} pt wide, box {b.w:.1f} pt)")
        for t in self.texts:
            if not _inside(t.bbox(), canvas, tolerance):
                found.append(f"text {t.text!r} is outside the canvas")
        solid = [(i, b) for i, b in enumerate(self.boxes) if b.shape != "frame"]
        for n, (i, a) in enumerate(solid):
            for j, b in solid[n + 1:]:
                if a.group is not None and a.group == b.group:
                    continue
                if _overlap(a.bbox(), b.bbox()) > tolerance:
                    found.append(f"boxes {i} ({a.text!r}) and {j} ({b.text!r}) overlap")
        frames = [(i, b) for i, b in enumerate(self.boxes) if b.shape == "frame"]
        for i, f in frames:
            for j, b in enumerate(self.boxes):
                if i != j and _overlap(f.bbox(), b.bbox()) > tolerance and not (
                        _inside(b.bbox(), f.bbox(), tolerance)
                        or _inside(f.bbox(), b.bbox(), tolerance)):
                    found.append(f"frame {i} ({f.info.get('name', '')!r}) cuts box {j} "
                                 f"({b.text!r})")
        texts = self.all_texts()
        owner = {id(t): i for i, b in enumerate(self.boxes) for t in b.texts}
        for n, s in enumerate(texts):
            for t in texts[n + 1:]:
                if _overlap(s.bbox(), t.bbox()) > tolerance:
                    found.append(f"texts {s.text!r} and {t.text!r} overlap")
        for t in self.texts:  # free texts must not sit on boxes (frames excepted)
            for i, b in solid:
                if _overlap(t.bbox(), b.bbox()) > tolerance:
                    found.append(f"text {t.text!r} overlaps box {i} ({b.text!r})")
        for e in self.edges:
            for a, b in zip(e.points, e.points[1:]):
                for i, box in solid:
                    if i in (e.src, e.dst) or box.shape == "plane":
                        continue
                    if _segment_hits(a, b, _shrink(box.bbox(), 1.0)):
                        found.append(f"an edge {e.src}->{e.dst} crosses box {i} ({box.text!r})")
                for t in texts:
                    if owner.get(id(t)) in (e.src, e.dst):
                        continue
                    if _segment_hits(a, b, _shrink(t.bbox(), 0.5)):
                        found.append(f"an edge {e.src}->{e.dst} crosses text {t.text!r}")
        return found


def _shrink(bbox, d):
    x0, y0, x1, y1 = bbox
    return (x0 + d, y0 + d, x1 - d, y1 - d)


def _inside(inner, outer, tol):
    return (inner[0] >= outer[0] - tol and inner[1] >= outer[1] - tol
            and inner[2] <= outer[2] + tol and inner[3] <= outer[3] + tol)


def _overlap(a, b):
    """The smaller side of the intersection of two bboxes (0 if they do not intersect)."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return max(0.0, min(w, h))


def _segment_hits(p, q, bbox):
    """Whether the axis-parallel or oblique segment p-q passes through the open bbox."""
    x0, y0, x1, y1 = bbox
    if x0 >= x1 or y0 >= y1:
        return False
    # Liang-Barsky clipping
    (px, py), (qx, qy) = p, q
    dx, dy = qx - px, qy - py
    t0, t1 = 0.0, 1.0
    for d, lo, hi, start in ((dx, x0, x1, px), (dy, y0, y1, py)):
        if d == 0:
            if not (lo < start < hi):
                return False
            continue
        a, b = (lo - start) / d, (hi - start) / d
        a, b = min(a, b), max(a, b)
        t0, t1 = max(t0, a), min(t1, b)
        if t0 >= t1:
            return False
    return t1 - t0 > 1e-9
