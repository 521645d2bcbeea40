"""The book's tables as pandas DataFrames: spec tables, per-layer summaries, the architectures
side by side, and the published parameter counts against ours.

Each helper returns a plain DataFrame with short column names and a meaningful index (a layer,
a model, a configuration), numbers kept as numbers (integers as integers) so that a chapter can
compute with them. `styled` is how the book shows one: thousands separators on the integers,
no index name clutter, and a compact table that fits the page column. pandas is needed only by
this module (``pip install pandas``).
"""
from . import arithmetic

__all__ = ["styled", "summary_frame", "totals_frame", "architecture_frame", "published_frame",
           "lenet_frame", "alexnet_frame", "vgg_frame", "googlenet_frame", "branches_frame",
           "resnet_frame", "mobilenet_v1_frame", "mobilenet_v2_frame"]


def _pd():
    try:
        import pandas as pd
    except ImportError:
        raise ImportError("d2lcnn's tables need pandas: pip install pandas") from None
    return pd


def styled(frame, precision=1):
    """`frame` for display: integers with thousands separators (a year column without),
    floats with `precision` decimals, missing values blank (a pandas Styler; the data are
    unchanged)."""
    pd = _pd()
    formats = {}
    for column, dtype in frame.dtypes.items():
        if pd.api.types.is_integer_dtype(dtype) and "year" in str(column).lower():
            formats[column] = "{}"                  # 2016, not 2,016
        elif pd.api.types.is_integer_dtype(dtype):
            formats[column] = "{:,}"
        elif pd.api.types.is_float_dtype(dtype):
            formats[column] = f"{{:,.{precision}f}}"
    return frame.style.format(formats, na_rep="")


# ------------------------------------------------------------------------------- summaries

def summary_frame(summary):
    """A `d2lcnn.Summary`'s rows: index ``layer``; ``type``, ``output`` (shape of one image's
    output), ``params``, ``trainable``, ``MACs`` (missing where unknown), ``bytes``."""
    pd = _pd()
    rows = [{"layer": r.name, "type": r.type, "output": _shape(r.output_shape),
             "params": r.params, "trainable": r.trainable_params, "MACs": r.macs,
             "bytes": r.output_bytes} for r in summary.rows]
    frame = pd.DataFrame(rows, columns=["layer", "type", "output", "params", "trainable",
                                        "MACs", "bytes"]).set_index("layer")
    frame["MACs"] = frame["MACs"].astype("Int64")  # integers, with <NA> for unknown kinds
    return frame


def _shape(shape):
    """Output shape without the batch axis, as text: (1, 64, 56, 56) -> '64x56x56'."""
    if shape and isinstance(shape[0], tuple):
        return ", ".join(_shape(s) for s in shape)
    return "x".join(str(d) for d in shape[1:]) if shape else ""


def totals_frame(summary):
    """A `d2lcnn.Summary`'s totals (`Summary.totals`): index ``total``, column ``value``; the
    labels say that the papers' "FLOPs" are the MACs and that FLOPs = 2 x MACs."""
    pd = _pd()
    labels, values = zip(*summary.totals())
    return pd.DataFrame({"value": list(values)}, index=pd.Index(labels, name="total"))


# ------------------------------------------------------------------------ all the networks

def architecture_frame(rows=None):
    """The closing chapter's table: `d2lcnn.compare.architecture_table` rows (computed if not
    given) with index ``model`` and ``family``, ``year``, ``input`` (CxHxW), ``classes``,
    ``params``, ``MACs``, ``act. MiB`` (activations per image), ``depth``, ``top-1 %`` (the
    paper's, missing where it states none)."""
    pd = _pd()
    if rows is None:
        from .compare import architecture_table
        rows = architecture_table()
    frame = pd.DataFrame([{
        "model": r.name, "family": r.family, "year": r.year,
        "input": f"{r.in_channels}x{r.input_size}x{r.input_size}", "classes": r.num_classes,
        "params": r.params, "MACs": r.macs, "act. MiB": r.activation_bytes / 2**20,
        "depth": r.depth, "top-1 %": r.top1} for r in rows]).set_index("model")
    frame["year"] = frame["year"].astype("Int64")
    frame["top-1 %"] = frame["top-1 %"].astype(float)
    return frame


def published_frame(names=None):
    """The registry's published parameter counts against the built networks': index ``model``;
    ``published``, ``ours`` (trainable parameters of ``get_model(name)`` at the registry's
    classes, channels and input size), ``difference`` (ours - published) and ``source``.
    Models without a published count are left out."""
    from mxnet import np
    from .registry import get_model, list_models, model_info
    from .summary import count_params
    pd = _pd()
    rows = []
    for name in list_models() if names is None else names:
        info = model_info(name)
        if info.expected_params is None:
            continue
        net = get_model(name)
        net.infer_shape(np.zeros((1, info.in_channels, info.input_size, info.input_size)))
        ours = count_params(net)
        rows.append({"model": name, "published": info.expected_params, "ours": ours,
                     "difference": ours - info.expected_params, "source": info.source})
    return pd.DataFrame(rows, columns=["model", "published", "ours", "difference",
                                       "source"]).set_index("model")


# ----------------------------------------------------------------------------- spec tables

def lenet_frame(name="lenet5"):
    """LeNet-5's layers (``name="lenet"``: d2l's LeNet) from the family's table: index
    ``layer``; ``kind``, ``maps`` (output channels or units), ``kernel``, ``params`` (counted in
    the built network, so LeNet-5's read as the paper's 156, 12, 1,516, 32, 48,120, 10,164)."""
    from mxnet import np
    from .models import lenet as family
    from .registry import model_info
    from .summary import count_params
    pd = _pd()
    info = model_info(name)
    table = {"lenet": family.LENET, "lenet5": family.LENET5}[name]
    net = info.builder()
    net.infer_shape(np.zeros((1, info.in_channels, info.input_size, info.input_size)))
    rows = []
    for layer, kind, *args in table:
        maps = (len(args[0]) if kind == "partial_conv" else args[0]) if args else None
        kernel = args[1] if kind in ("conv", "partial_conv") else None
        rows.append({"layer": layer, "kind": kind, "maps": maps, "kernel": kernel,
                     "params": count_params(getattr(net.features, layer))})
    frame = pd.DataFrame(rows).set_index("layer")
    for column in ("maps", "kernel"):
        frame[column] = frame[column].astype("Int64")
    return frame


def alexnet_frame(input_size=227, padding=0):
    """AlexNet's convolutions (`ALEXNET`, Figure 2) at `input_size`: index ``layer``;
    ``channels``, ``kernel``, ``stride``, ``padding``, ``groups`` (two-GPU network), ``LRN``,
    ``pool``, ``output`` (side after the layer and its pooling, by `d2lcnn.arithmetic`)."""
    from .models.alexnet import ALEXNET
    pd = _pd()
    rows, side = [], input_size
    for name, channels, kernel, stride, pad, groups, lrn, pool in ALEXNET:
        pad = padding if pad is None else pad
        side = arithmetic.conv_output_size(side, kernel, stride, pad)
        if pool:
            side = arithmetic.pool_output_size(side, 3, 2)
        rows.append({"layer": name, "channels": channels, "kernel": kernel, "stride": stride,
                     "padding": pad, "groups": groups, "LRN": lrn, "pool": pool,
                     "output": side})
    return pd.DataFrame(rows).set_index("layer")


def vgg_frame():
    """Table 1 of the VGG paper (`CFGS`): one column per configuration (A, A-LRN, B, C, D, E),
    one row per block with its layers in the paper's notation (``conv3-64``: a 3x3 convolution
    to 64 channels), then ``weight layers`` (the depth, with fc6, fc7, fc8)."""
    from .models.vgg import CFGS, _stages
    pd = _pd()
    columns = {}
    for key, cfg in CFGS.items():
        cells = {}
        for i, layers in enumerate(_stages(cfg), start=1):
            cells[f"block{i}"] = ", ".join(
                "LRN" if x == "LRN" else
                f"conv{x[1]}-{x[0]}" if isinstance(x, tuple) else f"conv3-{x}" for x in layers)
        cells["weight layers"] = sum(1 for x in cfg if x not in ("M", "LRN")) + 3
        columns[key] = cells
    return pd.DataFrame(columns)


def googlenet_frame():
    """Table 1 of GoogLeNet (`GOOGLENET`), its Inception rows: index ``module``; the columns
    ``#1x1``, ``#3x3 reduce``, ``#3x3``, ``#5x5 reduce``, ``#5x5``, ``pool proj``, and
    ``output`` (channels: #1x1 + #3x3 + #5x5 + pool proj)."""
    from .models.inception import GOOGLENET
    pd = _pd()
    columns = ["#1x1", "#3x3 reduce", "#3x3", "#5x5 reduce", "#5x5", "pool proj"]
    rows = [{"module": name, **dict(zip(columns, args)),
             "output": args[0] + args[2] + args[4] + args[5]}
            for name, kind, args in GOOGLENET if kind == "inception"]
    return pd.DataFrame(rows).set_index("module")


def branches_frame(block):
    """An Inception block (a `d2lcnn.models.inception.Mixed`, e.g. ``InceptionA(192, 32)``) as
    its branches: index ``branch``; ``layers`` (``1x1 conv 64 -> 3x3 conv 96``, ...) and
    ``channels`` (output channels; the block's output is their sum)."""
    from mxnet.gluon import nn
    from .models.inception import Mixed
    pd = _pd()
    if not isinstance(block, Mixed):
        raise TypeError(f"branches_frame() takes an Inception block (a Mixed); "
                        f"got {type(block).__name__}")

    def steps(seq):
        out, channels = [], None
        for child in seq._children.values():
            if isinstance(child, Mixed):
                inner = [" & ".join(steps(b)[0]) for b in child._children.values()]
                out.append("(" + " | ".join(inner) + ")")
                channels = child.out_channels
                continue
            conv = child if isinstance(child, nn.Conv2D) else getattr(child, "conv", None)
            if conv is not None:
                kh, kw = conv._kwargs["kernel"]
                stride = conv._kwargs["stride"][0]
                out.append(f"{kh}x{kw} conv {conv._channels}" + (f" /{stride}"
                                                                 if stride > 1 else ""))
                channels = conv._channels
            else:  # a pooling
                kind = "max" if isinstance(child, nn.MaxPool2D) else "avg"
                k, s = child._kwargs["kernel"][0], child._kwargs["stride"][0]
                out.append(f"{k}x{k} {kind} pool" + (f" /{s}" if s > 1 else ""))
        return out, channels

    rows = []
    for name, branch in block._children.items():
        layers, channels = steps(branch)
        rows.append({"branch": name, "layers": " -> ".join(layers),
                     "channels": block.in_channels if channels is None else channels})
    return pd.DataFrame(rows).set_index("branch")


def resnet_frame():
    """Table 1 of the ResNet paper (`resnet_spec`): index ``depth``; ``block`` (basic or
    bottleneck), ``conv2_x`` .. ``conv5_x`` (blocks x width, and the 4x output width of a
    bottleneck stage), ``layers`` (weight layers: the blocks' convolutions, conv1 and fc)."""
    from .models.resnet import resnet_spec
    pd = _pd()
    rows = []
    for depth, (kind, blocks, widths) in resnet_spec.items():
        convs = 2 if kind == "basic" else 3
        row = {"depth": depth, "block": kind}
        for k, (n, w) in enumerate(zip(blocks, widths), start=2):
            row[f"conv{k}_x"] = f"{n} x {w}" if kind == "basic" else f"{n} x {w}, {4 * w}"
        row["layers"] = convs * sum(blocks) + 2
        rows.append(row)
    return pd.DataFrame(rows).set_index("depth")


def mobilenet_v1_frame(alpha=1.0, input_size=224):
    """Table 1 of MobileNet (`MOBILENET_V1`, with width multiplier `alpha`): one row per
    convolution as the paper prints it, indexed by its place in ``mobilenet_v1().features``
    (``conv1``, ``block1.depthwise``, ...): ``type`` ("Conv" or "Conv dw"), ``stride``,
    ``filter`` (kh x kw x in x out, or kh x kw x channels dw), ``input`` (H x W x C it sees)."""
    from .models.mobilenet import FIRST_CONV, MOBILENET_V1
    pd = _pd()
    c, side = int(FIRST_CONV * alpha), input_size
    rows = [{"layer": "conv1", "type": "Conv", "stride": 2, "filter": f"3x3x3x{c}",
             "input": f"{side}x{side}x3"}]
    side = arithmetic.conv_output_size(side, 3, 2, 1)
    for i, (stride, out) in enumerate(MOBILENET_V1, start=1):
        out = int(out * alpha)
        rows.append({"layer": f"block{i}.depthwise", "type": "Conv dw", "stride": stride,
                     "filter": f"3x3x{c} dw", "input": f"{side}x{side}x{c}"})
        side = arithmetic.conv_output_size(side, 3, stride, 1)
        rows.append({"layer": f"block{i}.pointwise", "type": "Conv", "stride": 1,
                     "filter": f"1x1x{c}x{out}", "input": f"{side}x{side}x{c}"})
        c = out
    return pd.DataFrame(rows).set_index("layer")


def mobilenet_v2_frame(input_size=224):
    """Table 2 of MobileNetV2 (`MOBILENET_V2`): one row per stage, indexed by its name in
    ``mobilenet_v2().features`` (``conv1``, ``stage1`` .. ``stage7``, ``conv2``): ``input``
    (H x W x C), ``operator``, and the paper's ``t`` (expansion), ``c`` (output channels),
    ``n`` (repeats), ``s`` (stride of the first); ``t`` is missing for the plain convolutions."""
    from .models.mobilenet import FIRST_CONV, LAST_CONV_V2, MOBILENET_V2
    pd = _pd()
    side = input_size
    rows = [{"stage": "conv1", "input": f"{side}x{side}x3", "operator": "conv2d 3x3",
             "t": None, "c": FIRST_CONV, "n": 1, "s": 2}]
    side, c = arithmetic.conv_output_size(side, 3, 2, 1), FIRST_CONV
    for k, (t, out, n, s) in enumerate(MOBILENET_V2, start=1):
        rows.append({"stage": f"stage{k}", "input": f"{side}x{side}x{c}",
                     "operator": "bottleneck", "t": t, "c": out, "n": n, "s": s})
        side, c = arithmetic.conv_output_size(side, 3, s, 1), out
    rows.append({"stage": "conv2", "input": f"{side}x{side}x{c}", "operator": "conv2d 1x1",
                 "t": None, "c": LAST_CONV_V2, "n": 1, "s": 1})
    frame = pd.DataFrame(rows).set_index("stage")
    frame["t"] = frame["t"].astype("Int64")
    return frame
