"""The frame of every drawing: margins, a title, notes and the legend, so that all drawings
share one visual language (the same colours and names for the same kinds, everywhere)."""
from .layout import Box, Text
from .style import COLUMN, KINDS, SIZE, SMALL, TITLE, text_height, text_width

MARGIN = 10.0
SWATCH = (12.0, 8.0)


def bounds(layout):
    """(x0, y0, x1, y1) of everything in `layout`."""
    xs, ys = [], []
    for b in layout.boxes:
        xs += [b.x, b.right]
        ys += [b.y, b.bottom]
    for t in layout.all_texts():
        x0, y0, x1, y1 = t.bbox()
        xs += [x0, x1]
        ys += [y0, y1]
    for e in layout.edges:
        xs += [p[0] for p in e.points]
        ys += [p[1] for p in e.points]
    if not xs:
        return (0.0, 0.0, 0.0, 0.0)
    return (min(xs), min(ys), max(xs), max(ys))


def legend_kinds(layout):
    """The kinds drawn, in the legend's fixed order."""
    drawn = {b.kind for b in layout.boxes if b.kind in KINDS and not b.info.get("legend")}
    return tuple(k for k in KINDS if k in drawn)


def finish(layout, title="", notes=(), legend=True, min_width=0.0):
    """Put the content of `layout` on its page: a title above, then the content, then the
    notes and the legend (of the kinds it shows), `MARGIN` points all round. Returns it."""
    x0, y0, x1, y1 = bounds(layout)
    width = max(x1 - x0 + 2 * MARGIN, min_width)
    # the title and the notes wrap to the drawing's width, or to the book's column if the
    # drawing is narrower
    room = max(width, COLUMN) - 2 * MARGIN
    heads = wrap(title, room, TITLE, "bold", separators=(" (", " ")) if title else []
    notes = [line for n in notes for line in wrap(n, room, SMALL, separators=("; ", " "))]
    width = max([width] + [text_width(n, SMALL) + 2 * MARGIN for n in notes]
                + [text_width(h, TITLE, "bold") + 2 * MARGIN for h in heads])
    top = MARGIN + (len(heads) * text_height(TITLE) + 6 if heads else 0)
    layout.shift(MARGIN - x0, top - y0)
    for i, head in enumerate(heads):
        layout.texts.append(Text(MARGIN, MARGIN + (i + 0.5) * text_height(TITLE), head, TITLE,
                                 "bold", ha="left"))
    layout.title = title
    y = top + (y1 - y0) + 8
    kinds = legend_kinds(layout) if legend else ()
    layout.legend = kinds
    if kinds:
        y = _legend(layout, kinds, y, width) + 4
    for note in notes:
        layout.texts.append(Text(MARGIN, y + text_height(SMALL) / 2, note, SMALL, ha="left",
                                 role="muted"))
        y += text_height(SMALL) + 2
    layout.width, layout.height = width, y + MARGIN - 2
    return layout


def _legend(layout, kinds, y, width):
    """One swatch and label per kind, wrapped to the page width; returns the y below it."""
    x, line = MARGIN, text_height(SMALL)
    for k in kinds:
        label = KINDS[k][0]
        w = SWATCH[0] + 4 + text_width(label, SMALL) + 12
        if x + w > width - MARGIN + 12 and x > MARGIN:
            x, y = MARGIN, y + line + 4
        sw = Box(x, y + (line - SWATCH[1]) / 2, SWATCH[0], SWATCH[1], k, shape="rect",
                 info={"legend": k})
        layout.add(sw)
        layout.texts.append(Text(x + SWATCH[0] + 4, y + line / 2, label, SMALL, ha="left"))
        x += w
    return y + line


def wrap(text, width, size=SIZE, weight="normal", separators=(" → ", ", ", " ")):
    """`text` split into lines no wider than `width` points where it can be (at arrows first,
    then commas, then spaces); a word wider than `width` stays whole. A separator that ends
    in a space stays at the end of its line ("ReLU →"), one that does not starts the next
    line ("(xception ...)")."""
    if text_width(text, size, weight) <= width:
        return [text]
    best = [text]
    for sep in separators:
        if sep not in text:
            continue
        end, start = (sep.rstrip(), "") if sep.endswith(" ") else ("", sep.lstrip())
        words = text.split(sep)
        lines, cur = [], words[0]
        for w in words[1:]:
            trial = cur + sep + w
            if text_width(trial, size, weight) <= width:
                cur = trial
            else:
                lines.append(cur + end)
                cur = start + w
        lines.append(cur)
        best = lines
        if all(text_width(line, size, weight) <= width for line in lines):
            return lines
    return best
