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
  The papers of this literature call these multiply-adds "FLOPs" (ResNet's "3.6 billion FLOPs
  (multiply-adds)", VGG's 15.3/19.6 G, MobileNet's "Mult-Adds"); the hardware convention counts
  a multiply and an add apart, **FLOPs = 2 x MACs**. The summary gives both, labelled.
  Layers whose only parameters are per-channel vectors (BatchNorm, PReLU) count 0. A custom
  layer with a weight matrix can give its cost with a method ``summary_macs(inputs, outputs)``
  (MACs of the whole batch); without one its MACs show as "?" and a note says they are left out.
* **Activation memory** (``activation_bytes``) per image: the sum of the outputs of the layers
  of the table (the leaves, and blocks with parameters of their own) times their item size,
  4 bytes for float32. This is what a training step keeps for the backward pass, roughly: the
  outputs of containers (concatenations, additions) are not included, and in-place operations
  or a memory planner may share some buffers.
* **Depth**: the number of convolution and dense layers called (VGG-16 has 16).

`Summary.to_frame` and `Summary.totals_frame` give the table as pandas DataFrames (the book
shows them as HTML tables, see `d2lcnn.tables`).
"""
import dataclasses
import html
from typing import List, Optional, Tuple

import mxnet as mx
from mxnet import autograd, np, npx
from mxnet.gluon import Block, nn
from mxnet.gluon.nn.conv_layers import _Conv

from .errors import D2LCNNError
from .npmode import require_np
from .walk import (Imperative, batch_shape, callable_module, ensure_initialised, named_blocks,
                   param_device, unique_params)

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

    def __str__(self):
        shape = _fmt_shape(self.output_shape) or "-"
        macs = "?" if self.macs is None else f"{self.macs:,}"
        return (f"{self.name} ({self.type}): output {shape}, {self.params:,} parameters "
                f"({self.trainable_params:,} trainable), {macs} MACs")


# ------------------------------------------------------------------------------------ counting

def _size(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def _known(shape):
    return shape is not None and len(shape) > 0 and all(d > 0 for d in shape)


def _param_size(p):
    if not _known(p.shape):
        raise ShapeUnknownError(
            f"the shape of parameter {p.name!r} is {p.shape} (-1: not known yet); it is set by "
            f"the first forward pass. Run one, or use d2lcnn.summary(net, input_shape).")
    return _size(p.shape)


def count_params(net, trainable_only=True):
    """Parameters of `net` as the framework holds them (``trainable_only``: those with a
    gradient). Works without initialisation when every shape is known (``in_channels`` given)."""
    return sum(_param_size(p) for p in unique_params(net)
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

def _is_layer(block):
    """A row of the table: a leaf block, or a block that holds parameters of its own
    (Conv2D with an `activation=` has an Activation child but its own weights)."""
    return not block._children or bool(block._reg_params)


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
    shape = batch_shape(input_shape, batch_size)
    batch = shape[0]
    device = device or param_device(net) or mx.cpu()
    ensure_initialised(net, device)

    blocks = named_blocks(net)
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
        with Imperative(net), autograd.pause():  # predict mode, nothing recorded
            x = np.zeros(shape, ctx=device)
            net(x)
            npx.waitall()  # MXNet runs ops asynchronously: surface their errors here
    finally:
        for h in handles:
            h.detach()
    rows = [r for r in rows if r is not None]  # a call that raised leaves no row

    params = unique_params(net)
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
        """2 x MACs (a multiply and an add each): the hardware convention. The papers' "FLOPs"
        are `macs`."""
        return 2 * self.macs

    def totals(self):
        """(label, value) of each total, with labels that say which convention they use."""
        return [
            ("Trainable params", self.trainable_params),
            ("Non-trainable params", self.nontrainable_params),
            ("Total params", self.total_params),
            ("MACs (multiply-adds; the papers' FLOPs)", self.macs),
            ("FLOPs (2 x MACs; hardware convention)", self.flops),
            ("Activations (bytes per image)", self.activation_bytes),
            ("Depth (conv + dense)", self.depth),
        ]

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
            *self._cost_lines(),
            ("Activations per image", f"{self.activation_bytes:,} bytes "
                                      f"({self.activation_bytes / 2**20:,.1f} MiB)"),
            ("Depth (conv + dense)", f"{self.depth}"),
        ]

    def _cost_lines(self):
        return [("MACs per image", f"{self.macs:,} ({human(self.macs)} multiply-adds: what the "
                                   f"papers call FLOPs)"),
                ("FLOPs per image", f"{self.flops:,} ({human(self.flops)} = 2 x MACs: the "
                                    f"hardware convention)")]

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

    def to_frame(self):
        """The rows as a pandas DataFrame: index ``layer`` (the child path), columns ``type``,
        ``output`` (shape without the batch axis), ``params``, ``trainable``, ``MACs`` (None
        where unknown) and ``bytes`` (output per image); integers are kept as integers
        (`d2lcnn.tables.styled` shows them with thousands separators)."""
        from .tables import summary_frame
        return summary_frame(self)

    to_dataframe = to_frame  # the earlier name

    def totals_frame(self):
        """The totals (`totals`) as a DataFrame: index ``total``, one column ``value``."""
        from .tables import totals_frame
        return totals_frame(self)


callable_module(__name__)  # d2lcnn.summary(...) works when the package attribute is the module
