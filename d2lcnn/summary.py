"""Layer-by-layer summary of a network: output shapes, parameters, multiply-accumulates.

The chapters print these tables instead of typing numbers, so every figure comes from the built
network: shapes from a real forward pass, parameters from the framework's own parameter arrays.

Conventions (the papers and torchvision/timm count the same way):

* **Parameters**: every element of every parameter array. *Trainable* ones have a gradient
  (``grad_req != 'null'``); BatchNorm's running mean and variance are *non-trainable* and counted
  apart. A parameter shared by several layers is counted once, in the first layer that uses it.
* **MACs** (multiply-accumulates) per image: a convolution does ``out_elems * (c_in / groups) *
  kh * kw`` (a transposed convolution ``in_elems * (c_out / groups) * kh * kw``), a dense layer
  ``in * out``. Bias additions, BatchNorm, pooling, activations, concatenations and residual
  additions are not counted: they are cheap, elementwise, and papers leave them out.
  **FLOPs = 2 x MACs** (one multiply and one add each); papers that say "FLOPs" often mean MACs.
  Layers whose only parameters are per-channel vectors (BatchNorm, PReLU) count 0. A custom
  layer with a weight matrix can give its cost with a method ``summary_macs(inputs, outputs)``
  (MACs of the whole batch); without one its MACs show as "?" and a note says they are left out.
* **Activation memory** (``activation_bytes``) per image: the sum of the outputs of the layers
  of the table (the leaves, and blocks with parameters of their own) times their item size,
  4 bytes for float32. This is what a training step keeps for the backward pass, roughly: the
  outputs of containers (concatenations, additions) are not included, and in-place operations
  or a memory planner may share some buffers.
* **Depth**: the number of convolution and dense layers called (VGG-16 has 16).
"""
import dataclasses
import html
import sys
import types
from typing import List, Optional, Tuple

import mxnet as mx
from mxnet import autograd, np, npx
from mxnet.gluon import Block, HybridBlock, nn
from mxnet.gluon.nn.conv_layers import _Conv

from .errors import D2LCNNError
from .npmode import require_np

__all__ = ["Layer", "Summary", "summary", "count_params", "ShapeUnknownError"]


class ShapeUnknownError(D2LCNNError, ValueError):
    """A parameter's shape is still deferred: it is only known after a forward pass."""


@dataclasses.dataclass(frozen=True)
class Layer:
    """One row of a summary: a layer as it was called in the forward pass."""

    name: str                     # the child path, e.g. "features.block1.conv2"
    type: str                     # the class name, e.g. "Conv2D"
    output_shape: tuple           # with the batch axis; a tuple of shapes for several outputs
    params: int                   # parameters first used by this layer (all of them)
    trainable_params: int         # of which have a gradient
    macs: Optional[int]           # per image; None if the layer's kind is unknown (see notes)
    output_bytes: int = 0         # size of the output for one image


# ------------------------------------------------------------------------------------ counting

def _size(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def _known(shape):
    return shape is not None and len(shape) > 0 and all(d > 0 for d in shape)


def _unique_params(net):
    """The net's parameters as the framework sees them (shared ones once)."""
    seen, params = set(), []
    for p in net.collect_params().values():
        if id(p) not in seen:
            seen.add(id(p))
            params.append(p)
    return params


def _param_size(p):
    if not _known(p.shape):
        raise ShapeUnknownError(
            f"the shape of parameter {p.name!r} is {p.shape} (-1: not known yet); it is set by "
            f"the first forward pass. Run one, or use d2lcnn.summary(net, input_shape).")
    return _size(p.shape)


def count_params(net, trainable_only=True):
    """Parameters of `net` as the framework holds them (``trainable_only``: those with a
    gradient). Works without initialisation when every shape is known (``in_channels`` given)."""
    return sum(_param_size(p) for p in _unique_params(net)
               if not trainable_only or p.grad_req != "null")


def _layer_macs(block, inputs, outputs, batch):
    """MACs per image of one call of `block`, by the module's convention; None if unknown."""
    custom = getattr(block, "summary_macs", None)
    if callable(custom):  # a custom layer may say what it costs
        return int(custom(inputs, outputs)) // batch
    if isinstance(block, _Conv) or isinstance(block, nn.Dense):
        fan_in = _size(block.weight.shape[1:])  # (c_in/groups)*kh*kw, or in_units
        if isinstance(block, _Conv) and block._op_name.lower() == "deconvolution":
            # every input element is spread over (c_out/groups)*kh*kw outputs
            return _elems(inputs[0]) * fan_in // batch
        return _elems(outputs) * fan_in // batch
    own = list(block._reg_params.values())
    if all(len(p.shape) <= 1 for p in own):
        return 0  # no parameters, or per-channel ones (BatchNorm, PReLU): elementwise
    return None


def _elems(x):
    if isinstance(x, (list, tuple)):
        return sum(_elems(y) for y in x)
    return x.size


def _bytes(x):
    if isinstance(x, (list, tuple)):
        return sum(_bytes(y) for y in x)
    return x.size * x.dtype.itemsize


def _symbolic(x):
    if isinstance(x, (list, tuple)):
        return any(_symbolic(y) for y in x)
    return isinstance(x, mx.symbol.Symbol)


def _shape(x):
    if isinstance(x, (list, tuple)):
        return tuple(_shape(y) for y in x)
    return tuple(x.shape)


# ------------------------------------------------------------------------- walking the network

def _named_blocks(net):
    """(path, block) for every block under `net`, each once, in definition order."""
    found, seen = [], set()

    def walk(block, path):
        if id(block) in seen:
            return
        seen.add(id(block))
        found.append((path, block))
        for key, child in block._children.items():
            walk(child, f"{path}.{key}" if path else str(key))

    walk(net, "")
    return found


def _is_layer(block):
    """A row of the table: a leaf block, or a block that holds parameters of its own
    (Conv2D with an `activation=` has an Activation child but its own weights)."""
    return not block._children or bool(block._reg_params)


class _Imperative:
    """Temporarily run hybridized blocks imperatively, so that forward hooks see every layer.

    Only the ``_active`` flag is switched: the cached graphs and hybridize() options stay as
    they were, and are used again once the flags are restored.
    """

    def __init__(self, net):
        self.blocks = [b for _, b in _named_blocks(net) if isinstance(b, HybridBlock)]

    def __enter__(self):
        self.saved = [(b, b._active) for b in self.blocks]
        for b in self.blocks:
            b._active = False
        return self

    def __exit__(self, *exc):
        for b, active in self.saved:
            b._active = active


def _initialised(p):
    try:
        p.list_ctx()
        return True
    except RuntimeError:
        return False


def _ensure_initialised(net, device):
    """Initialise only what is not initialised yet (default init), leaving the rest alone."""
    for p in _unique_params(net):
        if not _initialised(p):
            p.initialize(ctx=device)


def _param_device(net):
    for p in _unique_params(net):
        if _initialised(p):
            return p.list_ctx()[0]
    return None


def _batch_shape(input_shape, batch_size):
    """(C, H, W) or (N, C, H, W) -> (N, C, H, W); other ranks get a batch axis prepended."""
    try:
        shape = tuple(int(d) for d in input_shape)
    except (TypeError, ValueError):
        raise ValueError(f"input_shape must be a tuple of sizes such as (3, 224, 224); "
                         f"got {input_shape!r}") from None
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer; got {batch_size!r}")
    if not shape or any(d < 1 for d in shape):
        raise ValueError(f"input_shape must hold positive sizes such as (3, 224, 224); "
                         f"got {input_shape!r}")
    if len(shape) == 4:
        return shape
    return (batch_size,) + shape


# ------------------------------------------------------------------------------------- summary

def summary(net, input_shape, *, device=None, batch_size=1):
    """Run one forward pass of zeros through `net` and tabulate its layers (see the module doc
    for what is counted). `input_shape` is (C, H, W), or (N, C, H, W) with the batch axis.

    An uninitialised net is initialised (default init, on `device` or the CPU); an initialised
    one keeps its parameters (the pass runs in predict mode, so BatchNorm statistics stay).
    """
    require_np("summary()")
    if not isinstance(net, Block):
        raise TypeError(f"summary() takes a Gluon Block; got {type(net).__name__}")
    shape = _batch_shape(input_shape, batch_size)
    batch = shape[0]
    device = device or _param_device(net) or mx.cpu()
    _ensure_initialised(net, device)

    blocks = _named_blocks(net)
    names = {id(b): (path or b.name) for path, b in blocks}
    calls = {}        # id(block) -> number of calls so far
    rows, open_rows = [], {}   # open_rows: id(block) -> stack of row indices awaiting output
    seen_params = set()

    def pre_hook(block, inputs):
        if _symbolic(inputs):  # deferred shape inference traces blocks with symbols: skip
            return
        # reserve the row now, so that a block with its own parameters precedes its children
        rows.append(None)
        open_rows.setdefault(id(block), []).append(len(rows) - 1)

    def hook(block, inputs, outputs):
        if _symbolic(inputs):
            return
        index = open_rows[id(block)].pop()
        n = calls[id(block)] = calls.get(id(block), 0) + 1
        name = names[id(block)] + (f"[{n}]" if n > 1 else "")
        total = trainable = 0
        for p in block._reg_params.values():
            if id(p) not in seen_params:
                seen_params.add(id(p))
                size = _param_size(p)
                total += size
                trainable += size if p.grad_req != "null" else 0
        rows[index] = Layer(name, type(block).__name__, _shape(outputs), total, trainable,
                            _layer_macs(block, inputs, outputs, batch),
                            _bytes(outputs) // batch)

    handles = []
    try:
        for _, block in blocks:
            if _is_layer(block):
                handles.append(block.register_forward_pre_hook(pre_hook))
                handles.append(block.register_forward_hook(hook))
        with _Imperative(net), autograd.pause():  # predict mode, nothing recorded
            x = np.zeros(shape, ctx=device)
            net(x)
            npx.waitall()  # MXNet runs ops asynchronously: surface their errors here
    finally:
        for h in handles:
            h.detach()
    rows = [r for r in rows if r is not None]  # a call that raised leaves no row

    params = _unique_params(net)
    unused = [p for p in params if id(p) not in seen_params]
    notes = []
    if unused:  # parameters of blocks the forward pass never called: still the model's
        size = sum(_param_size(p) for p in unused)
        trainable = sum(_param_size(p) for p in unused if p.grad_req != "null")
        rows.append(Layer("(not called)", "-", (), size, trainable, 0, 0))
        notes.append(f"{len(unused)} parameter array(s) not used by the forward pass: "
                     + ", ".join(p.name for p in unused[:5]) + (" ..." if len(unused) > 5 else ""))
    unknown = [r.name for r in rows if r.macs is None]
    if unknown:
        notes.append("MACs not counted for layers of unknown kind (give the class a "
                     "summary_macs(inputs, outputs) method): " + ", ".join(unknown))
    total = sum(_param_size(p) for p in params)
    trainable = sum(_param_size(p) for p in params if p.grad_req != "null")
    return Summary(
        rows=rows, input_shape=shape, total_params=total, trainable_params=trainable,
        macs=sum(r.macs for r in rows if r.macs is not None),
        activation_bytes=sum(r.output_bytes for r in rows),
        depth=sum(1 for (_, b) in blocks for _ in range(calls.get(id(b), 0))
                  if isinstance(b, (_Conv, nn.Dense))),
        notes=tuple(notes), model=type(net).__name__)


# ----------------------------------------------------------------------------------- rendering

def human(n, unit=""):
    """138357544 -> '138.4 M'; small numbers stay as they are."""
    for factor, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= factor:
            return f"{n / factor:.4g} {suffix}{unit}"
    return f"{n:,} {unit}".rstrip()


def _fmt_shape(shape):
    if shape and isinstance(shape[0], tuple):
        return ", ".join(_fmt_shape(s) for s in shape)
    return "(" + ", ".join(str(d) for d in shape) + ")" if shape else ""


@dataclasses.dataclass(frozen=True)
class Summary:
    """What `summary()` found. ``print`` it for a table; in a notebook it shows as HTML."""

    rows: List[Layer]
    input_shape: Tuple[int, ...]
    total_params: int
    trainable_params: int
    macs: int
    activation_bytes: int
    depth: int
    notes: Tuple[str, ...] = ()
    model: str = ""

    @property
    def nontrainable_params(self):
        return self.total_params - self.trainable_params

    @property
    def flops(self):
        """2 x MACs (a multiply and an add each)."""
        return 2 * self.macs

    def _table(self):
        head = ("Layer", "Type", "Output shape", "Params", "MACs")
        body = [(r.name, r.type, _fmt_shape(r.output_shape), f"{r.params:,}",
                 "?" if r.macs is None else f"{r.macs:,}") for r in self.rows]
        return head, body

    def _totals(self):
        return [
            ("Input", _fmt_shape(self.input_shape)),
            ("Trainable params", f"{self.trainable_params:,} ({human(self.trainable_params)})"),
            ("Non-trainable params", f"{self.nontrainable_params:,} (no gradient: BatchNorm "
                                     f"running mean and variance, ...)"),
            ("Total params", f"{self.total_params:,} ({human(self.total_params)})"),
            ("MACs per image", f"{self.macs:,} ({human(self.macs)}; FLOPs = 2 x MACs "
                               f"= {human(self.flops)})"),
            ("Activations per image", f"{self.activation_bytes:,} bytes "
                                      f"({self.activation_bytes / 2**20:,.1f} MiB)"),
            ("Depth (conv + dense)", f"{self.depth}"),
        ]

    def render(self, rows=True):
        """The table as text (``rows=False``: the totals only)."""
        lines = []
        if rows:
            head, body = self._table()
            widths = [max(len(line[i]) for line in [head] + body) for i in range(len(head))]
            right = (False, False, False, True, True)

            def fmt(line):
                return "  ".join(c.rjust(w) if r else c.ljust(w)
                                 for c, w, r in zip(line, widths, right)).rstrip()

            rule = "-" * len(fmt(head))
            lines += [fmt(head), rule] + [fmt(line) for line in body] + [rule]
        key = max(len(k) for k, _ in self._totals())
        lines += [f"{k + ':':<{key + 1}}  {v}" for k, v in self._totals()]
        lines += [f"Note: {n}" for n in self.notes]
        return "\n".join(lines)

    def __str__(self):
        return self.render()

    def __repr__(self):
        return self.render()

    def _repr_html_(self):
        e = html.escape
        head, body = self._table()
        num = ' style="text-align:right"'
        out = ["<table>", "<thead><tr>"]
        out += [f"<th{num if i >= 3 else ''}>{e(h)}</th>" for i, h in enumerate(head)]
        out += ["</tr></thead>", "<tbody>"]
        for line in body:
            out.append("<tr>" + "".join(
                f"<td{num if i >= 3 else ''}><code>{e(c)}</code></td>" if i == 0 else
                f"<td{num if i >= 3 else ''}>{e(c)}</td>" for i, c in enumerate(line)) + "</tr>")
        out += ["</tbody>", "<tfoot>"]
        for k, v in self._totals():
            out.append(f'<tr><th colspan="3" style="text-align:left">{e(k)}</th>'
                       f'<td colspan="2"{num}>{e(v)}</td></tr>')
        out += ["</tfoot>", "</table>"]
        out += [f"<p><em>Note:</em> {e(n)}</p>" for n in self.notes]
        return "\n".join(out)

    def to_dataframe(self):
        """The rows as a pandas DataFrame (pandas must be installed)."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("to_dataframe() needs pandas: pip install pandas") from None
        return pd.DataFrame([dataclasses.asdict(r) for r in self.rows],
                            columns=[f.name for f in dataclasses.fields(Layer)])


class _CallableModule(types.ModuleType):
    """``d2lcnn.summary(...)`` must work whether the package attribute is the function (the
    package's lazy export) or this module: importing ``d2lcnn.summary`` first (as other modules
    do) binds the module to that name, and the export is then never looked up."""

    def __call__(self, *args, **kwargs):
        return summary(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
