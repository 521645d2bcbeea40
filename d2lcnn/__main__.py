"""Command line: ``python -m d2lcnn list | summary MODEL | bench MODEL``.

User errors (an unknown model, a malformed or unfitting ``--input``, no GPU) end with exit code 2
and one line on stderr, without a traceback.
"""
import argparse
import sys

from ._version import __version__

PROG = "d2lcnn"


class UserError(Exception):
    """Something the user can fix: reported on one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but its errors are one line too (argparse prints usage first)."""

    def error(self, message):
        raise UserError(f"{message} (see {self.prog} --help)")


def parse_input(text, in_channels):
    """'3x224x224' -> (3, 224, 224); '224x224' and '224' take the model's channels."""
    parts = text.lower().replace("*", "x").split("x")
    try:
        sizes = tuple(int(p) for p in parts)
    except ValueError:
        sizes = ()
    if len(sizes) not in (1, 2, 3) or any(s < 1 for s in sizes):
        raise UserError(f"--input must look like 3x224x224 (channels x height x width), "
                        f"224x224 or 224; got {text!r}")
    if len(sizes) == 1:
        sizes = sizes * 2
    return sizes if len(sizes) == 3 else (in_channels,) + sizes


def _model(name, args):
    """The registry entry, the image shape and the built net, with the input checked."""
    from .errors import UnknownModelError
    from .registry import get_model, model_info
    try:
        info = model_info(name)
    except UnknownModelError as e:
        raise UserError(str(e)) from None
    default = f"{info.in_channels}x{info.input_size}x{info.input_size}"
    shape = parse_input(default if args.input is None else args.input, info.in_channels)
    if shape[0] != info.in_channels:
        raise UserError(f"{info.name} takes {info.in_channels}-channel images "
                        f"(--input {default}); got {shape[0]} channel(s) in --input "
                        f"{'x'.join(map(str, shape))}")
    classes = info.expected_classes if args.classes is None else args.classes
    if classes < 1:
        raise UserError(f"--classes must be a positive integer; got {classes}")
    return info, shape, classes, get_model(info.name, num_classes=classes)


def cmd_list(args, out):
    from .registry import list_models, model_info
    rows = [("name", "family", "input", "classes", "params (paper)", "year")]
    for name in list_models(args.family):
        info = model_info(name)
        rows.append((name, info.family, f"{info.in_channels}x{info.input_size}x{info.input_size}",
                     str(info.expected_classes),
                     "-" if info.expected_params is None else f"{info.expected_params:,}",
                     str(info.year or "")))
    if len(rows) == 1:
        raise UserError(f"no models in family {args.family!r}")
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    right = (False, False, False, True, True, False)
    for r in rows:
        print("  ".join(c.rjust(w) if ra else c.ljust(w)
                        for c, w, ra in zip(r, widths, right)).rstrip(), file=out)


def cmd_summary(args, out):
    from .summary import summary
    info, shape, classes, net = _model(args.model, args)
    s = summary(net, shape)
    print(f"{info.name} ({info.family}), {classes} classes, input {'x'.join(map(str, shape))}",
          file=out)
    print(s.render(rows=args.rows), file=out)
    paper = (classes == info.expected_classes and shape[1:] == (info.input_size,) * 2)
    if info.expected_params is not None and paper:
        verdict = ("matches" if s.trainable_params == info.expected_params else
                   f"DIFFERS by {s.trainable_params - info.expected_params:+,}")
        print(f"Published:              {info.expected_params:,} trainable ({verdict})",
              file=out)
        print(f"  source: {info.source}", file=out)
    return s


def cmd_bench(args, out):
    import mxnet as mx
    from .bench import bench
    if args.device == "gpu":
        from .device import _fallback_reason, mxnet_gpu_count
        if mxnet_gpu_count() < 1:
            raise UserError("--device gpu: " + (_fallback_reason() or
                                                "MXNet finds no GPU on this machine"))
        device = mx.gpu(0)
    else:
        device = mx.cpu() if args.device == "cpu" else None
    for flag in ("batch", "repeats"):
        if getattr(args, flag) < 1:
            raise UserError(f"--{flag} must be a positive integer; got {getattr(args, flag)}")
    if args.warmup < 0:
        raise UserError(f"--warmup must be >= 0; got {args.warmup}")
    info, shape, classes, net = _model(args.model, args)
    result = bench(net, shape, batch_size=args.batch, device=device, repeats=args.repeats,
                   warmup=args.warmup, backward=args.backward, name=info.name)
    print(result, file=out)
    return result


def build_parser():
    parser = _Parser(prog=PROG, description="Arithmetic of the classic CNNs: list the "
                     "registered models, tabulate one, or time it.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="{list,summary,bench}",
                                parser_class=_Parser)
    sub.required = True

    p = sub.add_parser("list", help="the registered models")
    p.add_argument("--family", help="only this family (vgg, resnet, ...)")
    p.set_defaults(run=cmd_list)

    def model_args(p):
        p.add_argument("model", help="a registered name (python -m d2lcnn list)")
        p.add_argument("--input", metavar="CxHxW",
                       help="image shape, e.g. 3x224x224 (default: the paper's)")
        p.add_argument("--classes", type=int, default=None,
                       help="output classes (default: the paper's, 1000 for ImageNet)")

    p = sub.add_parser("summary", help="layers, parameters and MACs of a model")
    model_args(p)
    p.add_argument("--rows", action=argparse.BooleanOptionalAction, default=True,
                   help="print one row per layer (--no-rows: the totals only)")
    p.set_defaults(run=cmd_summary)

    p = sub.add_parser("bench", help="forward and forward-backward time per batch")
    model_args(p)
    p.add_argument("--batch", type=int, default=32, help="batch size (default 32)")
    p.add_argument("--device", choices=("cpu", "gpu"), default=None,
                   help="default: the GPU if MXNet can use one, else the CPU")
    p.add_argument("--repeats", type=int, default=10, help="timed steps (default 10)")
    p.add_argument("--warmup", type=int, default=2, help="untimed steps first (default 2)")
    p.add_argument("--backward", action=argparse.BooleanOptionalAction, default=True,
                   help="also time forward+backward (default on)")
    p.set_defaults(run=cmd_bench)
    return parser


def main(argv=None, out=None):
    """Run the command line; returns the exit code (0, or 2 for a user error)."""
    out = out or sys.stdout
    try:
        args = build_parser().parse_args(argv)
        from mxnet import npx
        npx.set_np()
        from .errors import InputShapeError
        try:
            args.run(args, out)
        except InputShapeError as e:  # the registry's input check: it says what fits
            raise UserError(str(e)) from None
    except UserError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
