"""``python -m d2lcnn draw MODEL [--input 1x28x28] [--out FILE.svg|.png] [--horizontal]``:
a registered network drawn to a file, for homework and slides.

`add_parser` receives the command line's own error class and input parser, so that its errors
are reported like the other commands' (one line, exit status 2) also when the command line
runs as ``python -m d2lcnn`` (where ``d2lcnn.__main__`` is a second copy of that module).
"""
import argparse
import functools
import os

from .style import THEMES

CLI_FORMATS = ("svg", "png")


def add_parser(subparsers, user_error=None, parse_input=None):
    """Add the ``draw`` command to `subparsers` (an ``add_subparsers()`` result)."""
    if user_error is None or parse_input is None:
        from .. import __main__ as cli
        user_error, parse_input = cli.UserError, cli.parse_input
    p = subparsers.add_parser("draw", help="draw a model to an SVG or PNG file")
    p.add_argument("model", help="a registered name (python -m d2lcnn list)")
    p.add_argument("--input", metavar="CxHxW",
                   help="image shape, e.g. 1x28x28 (default: the paper's)")
    p.add_argument("--out", metavar="FILE", help="FILE.svg or FILE.png (default: MODEL.svg)")
    p.add_argument("--horizontal", action="store_true",
                   help="left to right, for wide pages and slides")
    p.add_argument("--theme", choices=tuple(THEMES), default="light",
                   help="light (default: a white card), dark, or transparent")
    p.add_argument("--params", action=argparse.BooleanOptionalAction, default=True,
                   help="parameter counts and totals (--no-params: no forward pass)")
    p.set_defaults(run=functools.partial(run, user_error=user_error,
                                         parse_input=parse_input))
    return p


def check_output(path, user_error):
    """The output file's format, or a one-line error for a bad name or folder."""
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    if ext not in CLI_FORMATS:
        raise user_error(f"--out must end in .svg or .png; got {path!r}")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise user_error(f"--out {path!r}: the folder {folder} does not exist")
    return ext


def run(args, out, user_error, parse_input):
    """Draw ``args.model`` and write it to ``args.out``; prints one line saying what."""
    from ..errors import UnknownModelError
    from ..registry import model_info
    from .errors import DiagramError
    from .networks import network
    try:
        info = model_info(args.model)
    except UnknownModelError as e:
        raise user_error(str(e)) from None
    path = args.out or f"{info.name}.svg"
    check_output(path, user_error)
    shape = None
    if args.input is not None:
        shape = parse_input(args.input, info.in_channels)
        if shape[0] != info.in_channels:
            raise user_error(f"{info.name} takes {info.in_channels}-channel images; got "
                             f"{shape[0]} channel(s) in --input {args.input}")
    try:
        drawing = network(info.name, shape, horizontal=args.horizontal, theme=args.theme,
                          params=args.params)
        drawing.save(path)
    except DiagramError as e:
        raise user_error(str(e)) from None
    except OSError as e:
        raise user_error(f"cannot write {path!r}: {e.strerror or e}") from None
    w, h = drawing.layout.width, drawing.layout.height
    print(f"wrote {path}: {info.name}, {len(drawing.layout.boxes)} boxes, "
          f"{w:.0f}x{h:.0f} pt", file=out)
    return drawing


__all__ = ["add_parser", "run", "check_output"]
