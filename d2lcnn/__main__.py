"""Command line: ``python -m d2lcnn list | summary MODEL | bench MODEL | train MODEL |
draw MODEL``.

User errors (an unknown model or family, a malformed or unfitting ``--input``, a bad value, no
GPU, a diverging training run) end with exit code 2 and one line on stderr, without a traceback.
Each command is a function that adds its parser (``add_<command>``) and one that runs it
(``cmd_<command>``); `COMMANDS` lists the first kind, so a new command is two functions and a
line there.
"""
import argparse
import os
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


def _positive(args, *flags):
    """A one-line error for any of `flags` (argparse dests) that is set and not positive."""
    for flag in flags:
        value = getattr(args, flag, None)
        if value is not None and not value > 0:
            raise UserError(f"--{flag.replace('_', '-')} must be a positive "
                            f"{'number' if isinstance(value, float) else 'integer'}; got {value}")


def _model_info(name):
    from .errors import UnknownModelError
    from .registry import model_info
    try:
        return model_info(name)
    except UnknownModelError as e:
        raise UserError(str(e)) from None


def _model(name, args):
    """The registry entry, the image shape and the built net, with the input checked."""
    from .registry import get_model
    info = _model_info(name)
    _positive(args, "classes", "in_channels")
    channels = info.in_channels if args.in_channels is None else args.in_channels
    default = f"{channels}x{info.input_size}x{info.input_size}"
    shape = parse_input(default if args.input is None else args.input, channels)
    if shape[0] != channels:
        given = "x".join(map(str, shape))
        if args.in_channels is not None:
            raise UserError(f"--in-channels {channels} but --input {given} has {shape[0]} "
                            f"channel(s): give one of the two")
        raise UserError(f"{info.name} takes {channels}-channel images (--input {default}); got "
                        f"{shape[0]} channel(s) in --input {given} (or build it for them: "
                        f"--in-channels {shape[0]})")
    classes = info.expected_classes if args.classes is None else args.classes
    return info, shape, classes, get_model(info.name, num_classes=classes, in_channels=channels)


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
        families = sorted({model_info(n).family for n in list_models()})
        raise UserError(f"no models in family {args.family!r}; the families are "
                        f"{', '.join(families)}")
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
    paper = (classes == info.expected_classes and shape == (info.in_channels,) +
             (info.input_size,) * 2)
    if info.expected_params is not None and paper:
        verdict = ("matches" if s.trainable_params == info.expected_params else
                   f"DIFFERS by {s.trainable_params - info.expected_params:+,}")
        print(f"Published:              {info.expected_params:,} trainable ({verdict})",
              file=out)
        print(f"  source: {info.source}", file=out)
    return s


def _device(choice):
    """--device: "gpu" (an error where MXNet has none), "cpu", or None (try_gpu's choice)."""
    import mxnet as mx
    if choice == "gpu":
        from .device import _fallback_reason, mxnet_gpu_count
        if mxnet_gpu_count() < 1:
            raise UserError("--device gpu: " + (_fallback_reason() or
                                                "MXNet finds no GPU on this machine"))
        return mx.gpu(0)
    return mx.cpu() if choice == "cpu" else None


def cmd_bench(args, out):
    from .bench import bench
    device = _device(args.device)
    _positive(args, "batch", "repeats")
    if args.warmup < 0:
        raise UserError(f"--warmup must be >= 0; got {args.warmup}")
    info, shape, classes, net = _model(args.model, args)
    result = bench(net, shape, batch_size=args.batch, device=device, repeats=args.repeats,
                   warmup=args.warmup, backward=args.backward, name=info.name)
    print(result, file=out)
    return result


FASHION_MNIST_CHANNELS = 1


def _train_size(info, resize, options):
    """The side the images are resized to: --resize, else 28 if the model takes it, else the
    smallest side it takes (said on stdout)."""
    smallest = info.smallest_input(options)
    if resize is not None:
        if resize < smallest:
            raise UserError(f"--resize {resize} is too small for {info.name}: the smallest "
                            f"size that works is {smallest}")
        return resize
    return max(28, smallest)


def _writable(path):
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder) or not os.access(folder, os.W_OK):
        raise UserError(f"--out {path}: cannot write into {folder} (no such folder, or not "
                        f"writable)")


def cmd_train(args, out):
    """Train MODEL on Fashion-MNIST with train_ch6 and save its History as JSON."""
    from .data import load_data_fashion_mnist
    from .errors import TrainingDivergedError
    from .registry import get_model
    from .train import train_ch6
    info = _model_info(args.model)
    _positive(args, "epochs", "lr", "batch_size", "classes", "in_channels", "resize")
    if args.in_channels not in (None, FASHION_MNIST_CHANNELS):
        raise UserError(f"--in-channels {args.in_channels}: Fashion-MNIST's images have "
                        f"{FASHION_MNIST_CHANNELS} channel (train builds the model for them)")
    out_path = args.out or f"{info.name}.history.json"
    _writable(out_path)
    device = _device(args.device)
    size = _train_size(info, args.resize, {})
    classes = 10 if args.classes is None else args.classes
    net = get_model(info.name, num_classes=classes, in_channels=FASHION_MNIST_CHANNELS)
    print(f"{info.name}: {classes} classes, 1x{size}x{size} images, batch {args.batch_size}, "
          f"lr {args.lr}, {args.epochs} epoch{'s' * (args.epochs != 1)}", file=out)
    train_iter, test_iter = load_data_fashion_mnist(args.batch_size,
                                                    resize=None if size == 28 else size,
                                                    seed=args.seed)
    try:
        history = train_ch6(net, train_iter, test_iter, args.epochs, args.lr, device,
                            seed=args.seed, progress=args.progress, verbose=False)
        problem = None
    except TrainingDivergedError as err:
        history, problem = getattr(err, "history", None), err
    if history is not None and history.epochs:
        history.options.update(model=info.name, num_classes=classes, input_size=size)
        history.save_json(out_path)
        print(history.summary(), file=out)
        print(f"history of {history.epochs} epoch(s) saved to {out_path}", file=out)
    if problem is not None:
        raise UserError(" ".join(str(problem).split()))
    return history


def add_list(sub):
    p = sub.add_parser("list", help="the registered models")
    p.add_argument("--family", help="only this family (vgg, resnet, ...)")
    p.set_defaults(run=cmd_list)


def _model_args(p, classes_default):
    p.add_argument("model", help="a registered name (python -m d2lcnn list)")
    p.add_argument("--classes", type=int, default=None,
                   help=f"output classes (default: {classes_default})")
    p.add_argument("--in-channels", type=int, default=None,
                   help="input channels (default: the model's, 1 for the Fashion-MNIST nets)")


def _shape_args(p):
    _model_args(p, "the paper's, 1000 for ImageNet")
    p.add_argument("--input", metavar="CxHxW",
                   help="image shape, e.g. 3x224x224 (default: the paper's)")


def add_summary(sub):
    p = sub.add_parser("summary", help="layers, parameters and MACs of a model")
    _shape_args(p)
    p.add_argument("--rows", action=argparse.BooleanOptionalAction, default=True,
                   help="print one row per layer (--no-rows: the totals only)")
    p.set_defaults(run=cmd_summary)


def add_bench(sub):
    p = sub.add_parser("bench", help="forward and forward-backward time per batch")
    _shape_args(p)
    p.add_argument("--batch", type=int, default=32, help="batch size (default 32)")
    p.add_argument("--device", choices=("cpu", "gpu"), default=None,
                   help="default: the GPU if MXNet can use one, else the CPU")
    p.add_argument("--repeats", type=int, default=10, help="timed steps (default 10)")
    p.add_argument("--warmup", type=int, default=2, help="untimed steps first (default 2)")
    p.add_argument("--backward", action=argparse.BooleanOptionalAction, default=True,
                   help="also time forward+backward (default on)")
    p.set_defaults(run=cmd_bench)


def add_train(sub):
    p = sub.add_parser("train", help="train a model on Fashion-MNIST, save its history (JSON)")
    _model_args(p, "10, Fashion-MNIST's")
    p.add_argument("--epochs", type=int, default=10, help="epochs (default 10)")
    p.add_argument("--lr", type=float, default=0.1, help="SGD learning rate (default 0.1)")
    p.add_argument("--batch-size", type=int, default=256, help="batch size (default 256)")
    p.add_argument("--resize", type=int, default=None,
                   help="image side (default 28, or the smallest the model takes)")
    p.add_argument("--device", choices=("cpu", "gpu"), default=None,
                   help="default: the GPU if MXNet can use one, else the CPU")
    p.add_argument("--seed", type=int, default=None, help="for a repeatable run")
    p.add_argument("--out", metavar="FILE.json", default=None,
                   help="where the history goes (default: MODEL.history.json here)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="a progress bar (default: when stderr is a terminal)")
    p.set_defaults(run=cmd_train)


def add_draw(sub):
    from .diagram.cli import add_parser  # the diagram package owns its options
    add_parser(sub, UserError, parse_input)


#: the commands, in the order --help lists them: each adds its parser to the subparsers
COMMANDS = [add_list, add_summary, add_bench, add_train, add_draw]


def build_parser():
    parser = _Parser(prog=PROG, description="The classic CNNs: list the registered models, "
                     "tabulate one, time it, train it on Fashion-MNIST, or draw it.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    sub.required = True
    for add in COMMANDS:
        add(sub)
    sub.metavar = "{" + ",".join(sub.choices) + "}"
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
