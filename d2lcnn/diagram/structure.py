"""From a traced graph to what a drawing shows: `fuse` merges each convolution with the
BatchNorm and activation that follow it, `decompose` splits the graph into series and parallel
parts (the shape of every block of the classic CNNs), `longest_path` finds a network's depth.
"""
import dataclasses

from .errors import DiagramError
from .trace import Graph

# -------------------------------------------------------------------------------------- fuse

def _input_channels(graph, node):
    preds = graph.pred(node.id)
    if preds and graph.nodes[preds[0]].shape:
        return graph.nodes[preds[0]].shape[1]
    return None


def fuse(graph, separable=False):
    """The drawing's nodes: BatchNorm, activations and dropout join the layer before them
    (``post``), an activation that feeds a convolution from a fork joins it (``pre``), flatten
    disappears; with `separable`, a depthwise convolution followed directly by a 1x1 one
    becomes one separable convolution (Xception's view)."""
    nodes = {i: dataclasses.replace(n, attrs=dict(n.attrs), pre=list(n.pre),
                                    post=list(n.post), members=list(n.members))
             for i, n in graph.nodes.items()}
    g = Graph(nodes, list(graph.edges))
    for n in g.nodes.values():
        if n.kind == "conv":
            n.attrs.setdefault("in_channels", _input_channels(g, n))
    for n in list(g.nodes.values()):
        if n.kind == "flatten":
            _remove(g, n.id)
    changed = True
    while changed:
        changed = False
        for n in list(g.nodes.values()):
            if n.kind not in ("norm", "act", "dropout") or n.id not in g.nodes:
                continue
            preds, succs = g.pred(n.id), g.succ(n.id)
            if len(preds) != 1:
                continue
            p = g.nodes[preds[0]]
            label = _fused_label(n)
            if (p.kind not in ("input", "op") and len(g.succ(p.id)) == 1
                    and not (n.kind == "norm" and n.attrs.get("norm") == "LRN")
                    ):
                p.post.append(label)
                p.members += n.members
                _remove(g, n.id)
                changed = True
            elif (n.kind == "act" and len(succs) == 1
                  and g.nodes[succs[0]].kind == "conv" and len(g.pred(succs[0])) == 1):
                s = g.nodes[succs[0]]
                s.pre.insert(0, label)
                s.members += n.members
                _remove(g, n.id)
                changed = True
    if separable:
        _fuse_separable(g)
    return g


def _fused_label(n):
    if n.kind == "act":
        return n.attrs.get("act", "act")
    if n.kind == "norm":
        return n.attrs.get("norm", "norm")
    return f"dropout {n.attrs.get('rate', 0):g}"


def _remove(g, nid):
    """Drop node `nid`, connecting its (first) input to its consumers in its place."""
    preds = g.pred(nid)
    new = []
    for s, d in g.edges:
        if d == nid:
            continue
        if s == nid:
            for p in preds[:1]:
                new.append((p, d))
            continue
        new.append((s, d))
    g.edges[:] = new
    del g.nodes[nid]


def is_depthwise(n):
    a = n.attrs
    return (n.kind == "conv" and a.get("groups", 1) > 1
            and a.get("groups") == a.get("in_channels") == a.get("channels"))


def _fuse_separable(g):
    for n in list(g.nodes.values()):
        if n.id not in g.nodes or not is_depthwise(n) or n.post:
            continue
        succs = g.succ(n.id)
        if len(succs) != 1:
            continue
        p = g.nodes[succs[0]]
        if (p.kind == "conv" and p.attrs["kernel"] == (1, 1) and p.attrs["groups"] == 1
                and len(g.pred(p.id)) == 1 and not p.pre):
            n.kind = "sepconv"
            n.attrs.update(channels=p.attrs["channels"], pointwise=p.path,
                           depthwise_channels=n.attrs["channels"])
            n.post, n.members, n.shape = p.post, n.members + p.members, p.shape
            g.edges[:] = [(s, d) for s, d in g.edges if (s, d) != (n.id, p.id)]
            g.edges[:] = [((n.id if s == p.id else s), d) for s, d in g.edges]
            del g.nodes[p.id]


# --------------------------------------------------------------------------------- decompose

@dataclasses.dataclass
class Par:
    """Parallel branches from `fork` to `join` (node ids); a branch is a list of items (node
    ids or nested Par), empty for an identity shortcut."""

    branches: list
    fork: int
    join: int


def _postdominators(g):
    """node -> its immediate post-dominator (the first node every path from it goes through),
    and the topological index of every node."""
    order = list(g.nodes)
    index = {n: i for i, n in enumerate(order)}
    ipdom = {}
    for n in reversed(order):
        succs = g.succ(n)
        ipdom[n] = _meet(succs, ipdom, index) if succs else None
    return ipdom, index


def _meet(nodes, ipdom, index):
    """The first node that post-dominates all of `nodes` (None: they never meet)."""
    cur = nodes[0]
    for other in nodes[1:]:
        a, b = cur, other
        while a != b:
            if a is None or b is None:
                return None
            if index[a] < index[b]:
                a = ipdom[a]
            else:
                b = ipdom[b]
        cur = a
    return cur


def decompose(g):
    """The series-parallel structure of `g` from its source to its sink: a list of node ids
    and `Par` items. A fork's successors that meet before its join form one branch that
    starts with a nested `Par` (Inception-ResNet: three towers concatenated, then added to
    the input). A graph that is not series-parallel is an error."""
    ipdom, index = _postdominators(g)

    def groups(entries, join):
        """Entries whose descendants (before `join`) meet belong to one branch."""
        reach = []
        for e in entries:
            seen, todo = set(), [e] if e != join else []
            while todo:
                n = todo.pop()
                if n not in seen:
                    seen.add(n)
                    todo += [s for s in g.succ(n) if s != join]
            reach.append(seen)
        found = []  # [entries, descendants], merged until no two share a descendant
        for e, r in zip(entries, reach):
            grp = [[e], set(r)]
            for other in [f for f in found if f[1] & grp[1]]:
                found.remove(other)
                grp = [other[0] + grp[0], other[1] | grp[1]]
            found.append(grp)
        order = {e: i for i, e in enumerate(entries)}
        return sorted((sorted(f[0], key=order.get) for f in found), key=lambda f: order[f[0]])

    def parallel(fork, entries, join):
        branches = [[] if grp == [join] else run(fork, grp, join, False)
                    for grp in groups(entries, join)]
        return Par(_order(g, branches, join), fork, join)

    def run(fork, entries, end, inclusive):
        items = []
        if len(entries) > 1:
            meet = _meet(entries, ipdom, index)
            if meet is None:
                raise DiagramError(f"the branches after {_name(g, fork)} never join: a "
                                   f"drawing needs one output")
            if meet == end:  # they share layers, yet meet only where all branches do
                raise DiagramError(f"the graph is not series-parallel: branches after "
                                   f"{_name(g, fork)} cross before {_name(g, end)}")
            items.append(parallel(fork, entries, meet))
            cur = meet
        else:
            cur = entries[0]
        while True:
            if cur == end and not inclusive:
                return items
            items.append(cur)
            if cur == end:
                return items
            succs = g.succ(cur)
            if not succs:
                raise DiagramError(f"the graph ends at {_name(g, cur)} before reaching "
                                   f"{_name(g, end)}")
            if len(succs) == 1:
                if succs[0] != end and len(g.pred(succs[0])) > 1:
                    raise DiagramError(f"the graph is not series-parallel: {_name(g, succs[0])} "
                                       f"joins branches that do not start at one fork")
                cur = succs[0]
                continue
            join = ipdom[cur]
            if join is None:
                raise DiagramError(f"the branches after {_name(g, cur)} never join: a "
                                   f"drawing needs one output")
            items.append(parallel(cur, succs, join))
            cur = join

    return run(None, [g.source], g.sink, True)


def _name(g, n):
    return repr(g.nodes[n].path or g.nodes[n].kind)


def _order(g, branches, join):
    """Concatenations keep their inputs' order; for additions the longest branch comes first
    (the main path), the shortcut last."""
    if g.nodes[join].kind == "concat":
        inputs = g.pred(join)

        def key(b):
            last = _last_node(b)
            return inputs.index(last) if last in inputs else len(inputs)
        return sorted(branches, key=key)
    return sorted(branches, key=lambda b: -_count(b))


def _last_node(items):
    if not items:
        return None
    last = items[-1]
    return last.join if isinstance(last, Par) else last


def _count(items):
    return len(nodes_of(items))


def nodes_of(items):
    """Every node id in a decomposed list (forks and joins included)."""
    out = []
    for i in items:
        if isinstance(i, Par):
            for b in i.branches:
                out += nodes_of(b)
        else:
            out.append(i)
    return out


def longest_path(g, counts):
    """The nodes of the path from source to sink with the most nodes for which
    ``counts(node)`` is true (ties: the first found), as a list of ids."""
    best = {}
    for n in g.nodes:
        preds = g.pred(n)
        if not preds:
            best[n] = (int(counts(g.nodes[n])), [n])
            continue
        score, path = max((best[p] for p in preds), key=lambda v: v[0])
        best[n] = (score + int(counts(g.nodes[n])), path + [n])
    return best[g.sink][1]
