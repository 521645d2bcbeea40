"""A whole network as rows: one per layer or block of its body, stages (containers of layers
or blocks: VGG's blocks, ResNet's conv2_x, Xception's flows) holding their own rows, and
consecutive rows that say the same thing folded into one with a count ("× 36"), so that
ResNet-152 or Inception-v4 fits on a page.

A row's words come from the traced graph (`labels`), its parameters from `d2lcnn.summary`.
"""
import dataclasses
import re
from typing import List, Optional

from . import labels
from .structure import Par, nodes_of

_SEQUENTIAL = {"HybridSequential", "Sequential"}


@dataclasses.dataclass
class Row:
    paths: List[str]          # child paths drawn by the row (several when folded)
    label: str                # the name shown: "conv1", "block2–3", "inception_a1–4"
    kind: str                 # colour kind: a layer's kind, "block", or "stage"
    text: str                 # what it is: "7×7 conv, 64, /2", "[1×1, 64 → ...] + identity"
    detail: str               # what follows it (BN · ReLU), when not the drawing's common one
    shape: tuple              # output shape (batch axis first)
    in_shape: tuple           # input shape: rows fold only if they see the same input too
    type: str                 # class name of the layer or block
    key: str = ""             # every layer in words: rows fold only if their keys are equal
    count: int = 1
    params: Optional[int] = None
    nodes: List[int] = dataclasses.field(default_factory=list)   # node ids (first repeat)
    all_nodes: List[int] = dataclasses.field(default_factory=list)  # of every repeat
    children: List["Row"] = dataclasses.field(default_factory=list)

    def signature(self):
        return (self.kind, self.key or self.text, self.detail, self.shape, self.in_shape,
                self.type,
                tuple(c.signature() + (c.count,) for c in self.children))


def body(net):
    """(path, block) of the network's units, in order: the children of ``features`` then
    ``output`` for the registry's networks, else the network's own children."""
    if hasattr(net, "features") and hasattr(net, "output"):
        return ([(f"features.{k}", c) for k, c in net.features._children.items()]
                + [("output", net.output)])
    return list(net._children.items())


def _under(path, prefix):
    return path == prefix or path.startswith(prefix + ".")


class RowBuilder:
    """Builds the rows of a network from its fused graph `g` and decomposed `items`."""

    def __init__(self, g, items, omit=(), params=None):
        self.g, self.items, self.omit = g, items, tuple(omit)
        self.text_width, self.params = 1e9, params
        self.owner = {}
        for it in items:
            nid = it.join if isinstance(it, Par) else it
            self.owner[id(it)] = g.nodes[nid].path

    def rows(self, units, text_width=1e9):
        """The rows of `units` ((path, block) pairs), block descriptions fitted to
        `text_width` points."""
        self.text_width = text_width
        return self._rows(units)

    def _rows(self, units):
        out = []
        for path, block in units:
            items = [it for it in self.items if _under(self.owner[id(it)], path)]
            if not items:
                continue  # flatten, or a dropout drawn with the layer before it
            children = [(f"{path}.{k}", c) for k, c in block._children.items()]
            nodes = [self.g.nodes[i] for i in nodes_of(items)]
            if len(items) == 1 and not isinstance(items[0], Par):
                out.append(self.layer_row(path, block, nodes[0]))
            elif type(block).__name__ in _SEQUENTIAL and children:
                inner = self._rows(children)
                if len(inner) == 1 and inner[0].count == 1:  # a wrapper: its only row
                    inner[0].paths, inner[0].label = [path], path.split(".")[-1]
                    out.append(inner[0])
                    continue
                row = Row([path], path.split(".")[-1], "stage", "", "", inner[-1].shape,
                          inner[0].in_shape, type(block).__name__, children=inner,
                          nodes=[n.id for n in nodes])
                row.params = self.count(row.paths)
                out.append(row)
            else:
                out.append(self.block_row(path, block, items, nodes))
        return fold(out)

    def in_shape(self, node):
        preds = self.g.pred(node.id)
        return self.g.nodes[preds[0]].shape if preds else ()

    def layer_row(self, path, block, node):
        return Row([path], path.split(".")[-1], labels.kind(node), labels.main(node),
                   labels.detail(node, self.omit, shapes=False), node.shape,
                   self.in_shape(node), node.type if node.type else type(block).__name__,
                   params=self.count([path]), nodes=[node.id])

    def block_row(self, path, block, items, nodes):
        text = labels.describe(self.g, items, self.text_width)
        last = self.g.nodes[items[-1].join if isinstance(items[-1], Par) else items[-1]]
        return Row([path], path.split(".")[-1], "block", text, " · ".join(last.post),
                   last.shape, self.in_shape(nodes[0]), type(block).__name__,
                   key=labels.block_text(self.g, items, 0), params=self.count([path]),
                   nodes=[n.id for n in nodes])

    def count(self, paths):
        if self.params is None:
            return None
        return sum(p for name, p in self.params.items() if any(_under(name, q) for q in paths))


def params_by_layer(s):
    """{layer path: trainable parameters} from a `d2lcnn.summary` (repeated calls merged)."""
    out = {}
    for r in s.rows:
        name = re.sub(r"\[\d+\]$", "", r.name)
        out[name] = out.get(name, 0) + r.trainable_params
    return out


def fold(rows):
    """Consecutive rows that say the same thing become one row with a count."""
    out = []
    for r in rows:
        r.all_nodes = r.all_nodes or list(r.nodes)
        if out and out[-1].signature() == r.signature():
            prev = out[-1]
            prev.paths += r.paths
            prev.all_nodes += r.all_nodes
            prev.count += r.count
            prev.params = None if prev.params is None else prev.params + (r.params or 0)
            prev.label = fold_label(prev.paths[0].split(".")[-1], r.paths[-1].split(".")[-1])
        else:
            out.append(r)
    return out


def fold_label(first, last):
    """"block2", "block3" -> "block2–3"; "inception_a1", "inception_a4" -> "inception_a1–4"."""
    common = 0
    while common < min(len(first), len(last)) and first[common] == last[common]:
        common += 1
    while common and first[common - 1].isdigit():
        common -= 1
    return f"{first}–{last[common:]}"


def flatten_rows(rows):
    """Every row, stages' rows included (depth first)."""
    for r in rows:
        yield r
        yield from flatten_rows(r.children)
