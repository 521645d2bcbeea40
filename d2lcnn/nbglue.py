"""``glue(name, value)``: a value a chapter computes, for its text to quote.

Why here and not ``from myst_nb import glue``: the book's text quotes numbers through myst-nb's
glue (``{glue:text}`name```), but myst-nb is a book-building tool that Colab and a student's
environment do not have, and a chapter that imports it stops at its second cell there. So
chapters take ``glue`` from d2lcnn: where myst-nb is installed (the book's build and CI) it is
myst-nb's own, with the same stored outputs; elsewhere a plain recorder shows the value (if
``display``) and keeps it in `RECORDED`, so that a reader sees the number and tests can read it.
"""

#: every value glued in this process, by name (the last one wins, as in myst-nb)
RECORDED = {}


def _myst_glue():
    """myst-nb's ``glue``, or None where myst-nb is not installed."""
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        return None
    return myst_glue


def _show(value):
    """Display `value` as a cell output in IPython, else print it."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        get_ipython = None
    if get_ipython is not None and get_ipython() is not None:
        display(value)
    else:
        print(value)


def glue(name, variable, display=True):
    """Glue `variable` under `name` for the text (myst-nb's ``glue`` where it is installed).

    name: the key the text uses (``{glue:text}`name```); a non-empty string.
    display: also show the value as this cell's output (myst-nb's meaning).
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"glue needs a non-empty string name; got {name!r}")
    RECORDED[name] = variable
    myst_glue = _myst_glue()
    if myst_glue is not None:
        return myst_glue(name, variable, display)
    if display:
        _show(variable)
    return None
