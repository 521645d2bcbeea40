"""The words of the drawings: what a box says about its layer, in the papers' notation
("3×3 conv, 64, /2", "3×3 max pool, /2", "56×56×256"), and short descriptions of whole blocks
for the network drawings. Everything is read from the traced nodes (`trace.Node`)."""
from collections import Counter

from .structure import Par, is_depthwise, nodes_of
from .style import SIZE, text_width

TIMES = "×"
ARROW = " → "


def kernel(k):
    return f"{k[0]}{TIMES}{k[1]}" if k else "?"


def stride(s):
    """", /2" for a stride of 2 (both axes), ", /(2, 1)" for an uneven one, "" for 1."""
    if not s or all(v == 1 for v in s):
        return ""
    return f", /{s[0]}" if len(set(s)) == 1 else f", /{tuple(s)}"


def shape(s):
    """(1, 64, 56, 56) -> '56×56×64' (height × width × channels, as the papers write it);
    (1, 1000) -> '1000'."""
    s = tuple(s)[1:]
    if len(s) == 3:
        return f"{s[1]}{TIMES}{s[2]}{TIMES}{s[0]}"
    return TIMES.join(str(v) for v in s)


def kind(n):
    """The colour kind (a key of style.KINDS) of a node."""
    if n.kind == "conv":
        if is_depthwise(n) or n.attrs.get("groups", 1) > 1:
            return "dwconv"
        return "conv1x1" if n.attrs.get("kernel") == (1, 1) else "conv"
    if n.kind in ("add", "concat", "scale"):
        return "merge"
    if n.kind in ("sepconv", "dense", "pool", "norm", "act", "input"):
        return n.kind
    return "op"


def main(n):
    """The first line of a node's box."""
    a = n.attrs
    if n.kind == "conv":
        k, s, c = kernel(a.get("kernel")), stride(a.get("stride")), a.get("channels")
        if a.get("partial"):
            text = f"{k} conv, {c}, partial"
        elif is_depthwise(n):
            text = f"{k} depthwise conv, {c}"
        elif a.get("groups", 1) > 1:
            text = f"{k} conv, {c}, {a['groups']} groups"
        else:
            text = f"{k} conv, {c}"
        text += s
    elif n.kind == "sepconv":
        text = f"{kernel(a['kernel'])} sep. conv, {a['channels']}{stride(a.get('stride'))}"
    elif n.kind == "dense":
        text = f"{'RBF' if a.get('rbf') else 'dense'}, {a['units']}"
    elif n.kind == "pool":
        text = pool(a)
    elif n.kind == "norm":
        text = {"BN": "BatchNorm"}.get(a.get("norm"), a.get("norm", "norm"))
    elif n.kind == "act":
        text = a.get("act", "activation")
    elif n.kind == "add":
        text = "+"
    elif n.kind == "concat":
        text = "concat"
    elif n.kind == "scale":
        text = f"{TIMES} {a['scalar']:g}"
    elif n.kind == "input":
        text = a.get("label", "input")
    elif n.kind == "dropout":
        text = f"dropout {a.get('rate', 0):g}"
    else:
        text = a.get("op") or n.type or "op"
    return ARROW.join(n.pre + [text])


def pool(a):
    if a.get("glob"):
        return f"global {a.get('pool', 'avg')} pool"
    if a.get("pool") == "subsampling":
        return f"{kernel(a['kernel'])} subsampling{stride(a.get('stride'))}"
    return f"{kernel(a.get('kernel'))} {a.get('pool', 'max')} pool{stride(a.get('stride'))}"


def common_post(nodes):
    """The most frequent list of operations fused after the convolutions (e.g. BN, ReLU): a
    drawing says it once instead of in every box."""
    posts = Counter(tuple(n.post) for n in nodes if n.kind in ("conv", "sepconv"))
    if not posts:
        return ()
    post, count = posts.most_common(1)[0]
    return post if count > 1 else ()


def detail(n, omit=(), shapes=True):
    """The second line: what is fused after the layer (unless it is the drawing's common
    `omit`; a convolution without the common activation says "linear"), and its output."""
    items = []
    if n.kind in ("conv", "sepconv") and tuple(n.post) == tuple(omit):
        pass
    elif n.kind in ("conv", "sepconv") and omit and not _has_act(n.post) and _has_act(omit):
        items += list(n.post) + ["linear"]
    else:
        items += list(n.post)
    if shapes and n.shape:
        items.append(shape(n.shape))
    return " · ".join(items)


def _has_act(post):
    return any(p not in ("BN", "LRN") and not p.startswith("dropout") for p in post)


# --------------------------------------------------------------------------- block summaries

def short(n):
    """A node in a few characters, for one-line descriptions of blocks."""
    a = n.attrs
    if n.kind == "conv":
        if is_depthwise(n):
            text = f"{kernel(a['kernel'])} dw"
        elif a.get("groups", 1) > 1:
            text = f"{kernel(a['kernel'])}, {a['channels']}, {a['groups']} groups"
        else:
            text = f"{kernel(a['kernel'])}, {a['channels']}"
        return text + _slash(a)
    if n.kind == "sepconv":
        return f"sep {kernel(a['kernel'])}, {a['channels']}" + _slash(a)
    if n.kind == "pool":
        if a.get("glob"):
            return f"global {a.get('pool')} pool"
        return f"{kernel(a.get('kernel'))} {a.get('pool')}" + _slash(a)
    if n.kind == "scale":
        return f"{TIMES}{a['scalar']:g}"
    return main(n)


def _slash(a):
    s = a.get("stride")
    return f" /{s[0]}" if s and any(v != 1 for v in s) else ""


LEVELS = 4


def describe(g, items, width, size=SIZE):
    """The most detailed one-line description of a block's items that fits in `width` points:
    every layer (level 0), towers by kernel and channels (1), by kernel (2), counted (3)."""
    texts = [block_text(g, items, level) for level in range(LEVELS)]
    for t in texts:
        if text_width(t, size) <= width:
            return t
    return texts[-1]


def block_text(g, items, level=0, top=True):
    """A block's items in words at a detail `level` (see `describe`). Level 0 names every
    layer: two blocks with the same level-0 text are the same block."""
    parts = []
    for it in items:
        if isinstance(it, Par):
            parts.append(_par(g, it, level, top and len(_real(g, items)) == 1))
        elif g.nodes[it].kind in ("add", "concat"):
            continue  # said by the Par before it
        else:
            parts.append(short(g.nodes[it]) if level < 2 else _kernel_only(g.nodes[it]))
    return ARROW.join(p for p in parts if p)


def _real(g, items):
    """The items that say something (joins are said by their Par)."""
    return [i for i in items if isinstance(i, Par) or g.nodes[i].kind not in ("add", "concat")]


def _kernel_only(n):
    if n.kind in ("conv", "sepconv"):
        return ("sep " if n.kind == "sepconv" else "") + kernel(n.attrs["kernel"]) + (
            " dw" if is_depthwise(n) else "") + _slash(n.attrs)
    return short(n)


def _par(g, p, level, top):
    join = g.nodes[p.join]
    if join.kind == "add":
        main_branch, others = p.branches[0], p.branches[1:]
        inner = block_text(g, main_branch, level, top=False)
        shortcut = ["identity" if not b else ("projection" if any(
            g.nodes[i].kind == "conv" for i in nodes_of(b)) else block_text(g, b, 2, False))
            for b in others]
        return f"[{inner}] + " + " + ".join(shortcut)
    n = len(p.branches)
    if level == 0:
        towers = [block_text(g, b, 0, False) or "identity" for b in p.branches]
    elif level < 3:
        towers = [_tower(g, b, channels=level == 1) for b in p.branches]
    else:
        return f"{n} towers" if top else f"({n} towers)"
    return f"{n} towers: " + " | ".join(towers) if top else "(" + " | ".join(towers) + ")"


def _tower(g, branch, channels):
    """A tower by its widest operation (the largest kernel, or its pooling), with the
    channels of its convolutions in order when `channels`: "3×3 96→128", "max pool→32"."""
    nodes = [g.nodes[i] for i in nodes_of(branch)]
    if not nodes:
        return "identity"
    pools = [n for n in nodes if n.kind == "pool"]
    convs = [n for n in nodes if n.kind in ("conv", "sepconv")]
    if pools and (not convs or all(n.attrs["kernel"] == (1, 1) for n in convs)):
        head = f"{pools[0].attrs.get('pool')} pool"
        sep = "→"
    elif convs:
        head = kernel(max((n.attrs["kernel"] for n in convs), key=lambda k: k[0] * k[1]))
        sep = " "
    else:
        return short(nodes[0])
    strided = any(_slash(n.attrs) for n in nodes)
    text = head + (sep + "→".join(str(n.attrs["channels"]) for n in convs)
                   if channels and convs else "")
    return text + (" /2" if strided and (channels or not pools) else "")


__all__ = ["kernel", "stride", "shape", "kind", "main", "detail", "common_post", "describe",
           "block_text", "short"]
