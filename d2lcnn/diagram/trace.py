"""The data flow of a built block, traced from its own forward pass.

The block is called once on an MXNet symbol, which records every operation it performs (the
same code path as ``hybridize``): so the graph shows exactly where the code adds, concatenates
or scales, and can never disagree with it. MXNet's shape inference then gives every output
shape for a given input, without computing anything. Operations are grouped into *layers* (the
Gluon blocks that own them: a Conv2D and its activation are one layer), named by their child
path in the network ("features.conv2_x.block1.conv1", the names `d2lcnn.summary` prints).

`structure.fuse` then makes the drawing's nodes and `structure.decompose` its series and
parallel parts.
"""
import dataclasses
import json
from typing import List

from .errors import DiagramError

#: Blocks drawn as one layer although they have children: C3 of LeNet-5.
OPAQUE = {"PartialConv2D"}
ACTIVATIONS = {"Activation": None, "ReLU6": "ReLU6", "ScaledTanh": "scaled tanh",
               "LeakyReLU": "leaky ReLU", "PReLU": "PReLU", "ELU": "ELU", "SELU": "SELU",
               "GELU": "GELU", "Swish": "swish", "SiLU": "SiLU"}
_ADD = {"_npi_add", "elemwise_add", "broadcast_add", "_plus", "_Plus", "broadcast_plus"}
_CONCAT = {"_npi_concatenate", "Concat", "concat", "_npi_stack"}
_SCALE = {"_npi_multiply_scalar", "_mul_scalar", "_MulScalar"}
_RELU = {"_npx_relu", "relu"}
_SHAPE_ONLY = {"Reshape", "_npx_reshape", "_np_reshape", "reshape", "Flatten", "flatten",
               "_npx_batch_flatten", "SliceChannel", "_npi_split", "split", "_np_squeeze",
               "squeeze", "expand_dims", "_npi_expand_dims", "transpose", "_np_transpose",
               "_copy", "BlockGrad", "identity", "_np_copy"}


@dataclasses.dataclass
class Node:
    """A layer (or an operation of a block's own ``hybrid_forward``) of the traced graph."""

    id: int
    kind: str                 # conv, dense, pool, norm, act, dropout, flatten, add, concat,
                              # scale, input, op (anything else)
    path: str                 # child path of the layer ("" for the input, the block's path
                              # for an operation of its own hybrid_forward)
    type: str                 # class name of the layer (or of the block that owns the op)
    attrs: dict               # kernel, stride, channels, groups, pool, units, scalar, act, ...
    shape: tuple = ()         # output shape, batch axis first
    pre: List[str] = dataclasses.field(default_factory=list)   # fused before it (ReLU)
    post: List[str] = dataclasses.field(default_factory=list)  # fused after it (BN, ReLU)
    members: List[str] = dataclasses.field(default_factory=list)  # layer paths fused in


@dataclasses.dataclass
class Graph:
    nodes: dict               # id -> Node, in topological order
    edges: list               # (src id, dst id), each destination's inputs in order

    def succ(self, n):
        return [d for s, d in self.edges if s == n]

    def pred(self, n):
        return [s for s, d in self.edges if d == n]

    @property
    def source(self):
        return next(iter(self.nodes))

    @property
    def sink(self):
        return next(reversed(list(self.nodes)))

    def under(self, path):
        """The nodes of the layer or block at `path` (and below it)."""
        return [n for n in self.nodes.values()
                if n.path == path or n.path.startswith(path + ".")
                or any(m == path or m.startswith(path + ".") for m in n.members)]


# ------------------------------------------------------------------------------------- trace

def _paths(root):
    """prefix -> (path, block) for every block under `root` (paths as summary names them)."""
    found = {}

    def walk(block, path):
        found.setdefault(block.prefix, (path, block))
        for key, child in block._children.items():
            walk(child, f"{path}.{key}" if path else str(key))

    walk(root, "")
    return found


def _owner(name, prefixes):
    """The block whose prefix is the longest prefix of the op name `name`."""
    for i in range(len(name) - 1, -1, -1):
        if name[i] == "_" and name[:i + 1] in prefixes:
            return prefixes[name[:i + 1]]
    return None


def _layer_of(path, block, prefixes_by_path):
    """The layer an op belongs to: the topmost ancestor (or the block itself) that is drawn as
    one layer (it holds parameters of its own, or is opaque), else the block if it is a leaf;
    None for an op of a composite block's own hybrid_forward."""
    parts = path.split(".") if path else []
    for k in range(len(parts) + 1):
        p = ".".join(parts[:k])
        b = prefixes_by_path.get(p)
        if b is None:
            continue
        if type(b).__name__ in OPAQUE or (b._reg_params and k > 0):
            return p, b
    return (path, block) if not block._children else None


def _ints(text):
    return tuple(int(v) for v in text.strip("()[] ").split(",") if v.strip())


def trace(blocks, input_shape, root=None):
    """Trace `blocks` (one HybridBlock, or several applied in turn) on an input of
    `input_shape` ((C, H, W) or with the batch axis). Paths are relative to `root` (default:
    the block). Returns the layer-level `Graph`."""
    import mxnet as mx
    from mxnet.base import MXNetError

    blocks = list(blocks) if isinstance(blocks, (list, tuple)) else [blocks]
    root = root if root is not None else blocks[0]
    shape = tuple(int(d) for d in input_shape)
    shape = shape if len(shape) == 4 else (1,) + shape
    x = mx.sym.var("data")
    try:
        x = x.as_np_ndarray()
    except AttributeError:  # pragma: no cover  (legacy ndarray mode)
        pass
    out = x
    for b in blocks:
        out = b(out)
    if isinstance(out, (list, tuple)):
        out = out[0]
    sym = out.as_nd_ndarray() if hasattr(out, "as_nd_ndarray") else out
    internals = sym.get_internals()
    try:
        _, out_shapes, _ = internals.infer_shape(data=shape)
    except MXNetError as e:
        raise DiagramError(f"the network cannot run on an input of shape {shape[1:]}: "
                           f"{str(e).splitlines()[0]}") from None
    shapes = dict(zip(internals.list_outputs(), out_shapes))
    raw = json.loads(sym.tojson())["nodes"]
    prefixes = _paths(root)
    by_path = {path: b for path, b in prefixes.values()}
    return _group(raw, shapes, prefixes, by_path)


def _group(raw, shapes, prefixes, by_path):
    """Group the raw operations of a symbol into layers."""
    nodes, edges, alias = {}, [], {}   # alias: raw index -> node id
    layer_ids = {}                     # layer path -> node id

    def shape_of(i):
        name = raw[i]["name"]
        for suffix in ("_output", "_output0", "_out", "_out0", ""):
            if name + suffix in shapes:
                return tuple(shapes[name + suffix])
        return ()

    for i, r in enumerate(raw):
        op, name = r["op"], r["name"]
        inputs = [alias[j] for j, *_ in r["inputs"] if j in alias]
        if op == "null":
            if name == "data":
                nodes[i] = Node(i, "input", "", "input", {}, shape_of(i))
                alias[i] = i
            continue
        owner = _owner(name, prefixes)
        path, block = owner if owner else ("", None)
        layer = _layer_of(path, block, by_path) if block is not None else None
        if layer is not None:
            lpath, lblock = layer
            nid = layer_ids.get(lpath)
            if nid is None:
                nid = layer_ids[lpath] = i
                nodes[nid] = Node(nid, "op", lpath, type(lblock).__name__, {},
                                  members=[lpath])
                _describe_layer(nodes[nid], lblock)
            _absorb_op(nodes[nid], r)
            nodes[nid].shape = shape_of(i)
            alias[i] = nid
            for s in inputs:
                if s != nid and (s, nid) not in edges:
                    edges.append((s, nid))
            continue
        kind, attrs = _own_op(op, r.get("attrs", {}))
        if kind is None:  # shape-only: pass its (first) input through
            if inputs:
                alias[i] = inputs[0]
            continue
        nodes[i] = Node(i, kind, path, type(block).__name__ if block else "", attrs,
                        shape_of(i))
        alias[i] = i
        edges += [(s, i) for s in inputs]
    return Graph(nodes, edges)


def _own_op(op, attrs):
    if op in _ADD:
        return "add", {}
    if op in _CONCAT:
        return "concat", {}
    if op in _SCALE:
        return "scale", {"scalar": float(attrs.get("scalar", "nan"))}
    if op in _RELU:
        return "act", {"act": "ReLU"}
    if op == "Activation":
        return "act", {"act": _act_name(attrs.get("act_type", "?"))}
    if op in ("clip", "_npi_clip") and attrs.get("a_min") in ("0", "0.0") and \
            attrs.get("a_max") in ("6", "6.0"):
        return "act", {"act": "ReLU6"}
    if op in _SHAPE_ONLY:
        return None, {}
    return "op", {"op": op}


def _act_name(act_type):
    return {"relu": "ReLU", "sigmoid": "sigmoid", "tanh": "tanh", "softrelu": "softplus",
            "softsign": "softsign"}.get(act_type, act_type)


def _describe_layer(node, block):
    """Kind and attributes of a layer, from the block itself (they are completed from its
    operations by `_absorb_op`)."""
    t = type(block).__name__
    if t in ACTIVATIONS:
        node.kind = "act"
        node.attrs["act"] = ACTIVATIONS[t] or _act_name(getattr(block, "_act_type", "?"))
    elif t == "Dropout":
        node.kind, node.attrs["rate"] = "dropout", float(getattr(block, "_rate", 0.0))
    elif t == "Flatten":
        node.kind = "flatten"
    elif t == "BatchNorm":
        node.kind, node.attrs["norm"] = "norm", "BN"
    elif t == "LRN":
        node.kind, node.attrs["norm"] = "norm", "LRN"
    elif t == "Subsampling":
        k = block.pool_size
        node.kind = "pool"
        node.attrs.update(pool="subsampling", kernel=(k, k), stride=(k, k))
    elif t == "PartialConv2D":
        convs = [c for c in block._children.values() if type(c).__name__ == "Conv2D"]
        k = tuple(convs[0]._kwargs["kernel"]) if convs else ()
        node.kind = "conv"
        node.attrs.update(kernel=k, stride=(1, 1), channels=len(block.table), groups=1,
                          table=block.table, in_channels=block.in_channels, partial=True)
    elif t == "RBFOutput":
        node.kind = "dense"
        node.attrs.update(units=block.prototypes.shape[0], rbf=True)


def _absorb_op(node, r):
    """Fill the layer's attributes from one of its raw operations."""
    op, a = r["op"], r.get("attrs", {})
    if node.attrs.get("partial") or node.attrs.get("rbf"):
        return
    if op in ("Convolution", "Deconvolution"):
        node.kind = "conv"
        node.attrs.update(kernel=_ints(a["kernel"]), stride=_ints(a.get("stride", "(1, 1)")),
                          pad=_ints(a.get("pad", "(0, 0)")), channels=int(a["num_filter"]),
                          groups=int(a.get("num_group", "1")))
    elif op == "FullyConnected":
        node.kind = "dense"
        node.attrs["units"] = int(a["num_hidden"])
    elif op == "Pooling" and node.attrs.get("pool") != "subsampling":
        if node.attrs.get("norm") == "LRN":
            return  # LRN sums squares with a pooling over the channels
        node.kind = "pool"
        if a.get("global_pool", "False") == "True":
            node.attrs.update(pool=a.get("pool_type", "max"), glob=True)
        else:
            node.attrs.update(pool=a.get("pool_type", "max"), kernel=_ints(a["kernel"]),
                              stride=_ints(a.get("stride", "(1, 1)")),
                              ceil=a.get("pooling_convention") == "full")
    elif op == "Activation" and node.kind in ("conv", "dense"):
        node.post.append(_act_name(a.get("act_type", "?")))
    elif node.kind == "op" and "op" not in node.attrs and op not in _SHAPE_ONLY:
        node.attrs["op"] = op


def trace_model(net, input_shape):
    """The graph of a whole network: its ``features`` then its ``output`` when it has them
    (the registry's networks: their auxiliary heads are left out), else the network itself."""
    if hasattr(net, "features") and hasattr(net, "output"):
        return trace([net.features, net.output], input_shape, root=net)
    return trace(net, input_shape)
